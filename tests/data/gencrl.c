/*
 * gencrl: writes a signed X.509 CRL for the tests and the benchmark.
 *
 *   gencrl --ca-cert FILE --ca-key FILE --out FILE [options]
 *
 * Built with OpenSSL's X509_CRL_* API on purpose: the CRLs our reader is
 * tested with come from an independent encoder. Entries are written in
 * the order given (never sorted: the reader must sort). See usage() for
 * the options.
 *
 * --random N --seed S makes N entries that depend on S alone: entry i is
 * drawn from its own splitmix64 stream keyed by (S, i), so --change can
 * rebuild the same list and alter exactly the chosen entries without
 * holding the list in memory. Revocation times are spread over the year
 * before RANDOM_EPOCH (or before thisUpdate - 1h when that is earlier),
 * never relative to "now", so two runs seconds apart agree.
 *
 * Nothing checks that the key belongs to the certificate, nor that
 * serials or numbers stay in RFC 5280's limits: tests make bad CRLs so.
 * The GOST engine is loaded when installed (GOST_AUTO), so the other
 * algorithms work without it.
 *
 * Exit status: 0 on success, 1 with a message on stderr otherwise.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"

/* Serial magnitudes we accept: beyond the reader's MAX_SERIAL_LEN so
 * that tests can make over-long serials. */
#define GEN_MAX_SERIAL 128
/* CRL / base numbers: beyond RFC 5280's 20 octets for rejection tests. */
#define GEN_MAX_NUMBER_BITS 1024
/* Anchor of --random revocation times: 2026-01-01T00:00:00Z. */
#define RANDOM_EPOCH INT64_C(1767225600)
#define YEAR (INT64_C(365) * 86400)
#define UNKNOWN_EXT_OID "1.3.6.1.4.1.99999.1"
#define IDP_URI "http://crl.example.test/otzyv-test.crl"
#define REASON_NONE (-1)

enum time_format { TF_DEFAULT, TF_UTC, TF_GEN };

/* One --entry / --entries-file argument, kept in command-line order. */
struct source {
	int is_file;
	const char *arg;
};

struct opts {
	const char *ca_cert, *ca_key, *out;
	const char *number, *delta;
	int64_t this_update, next_update;
	int has_this, has_next, no_next;
	int v1, pss, pem, no_aki, idp, crit_ext, entry_crit_ext, cert_issuer;
	const char *idp_scope; /* user (default), ca, attr, reasons, all */
	const char *idp_dp;    /* its distributionPoint: uri:U, ou:V, none */
	const char *md;
	enum time_format tf;
	struct source *sources;
	size_t nsources;
	unsigned long long random_n;
	int has_random;
	uint64_t seed;
	int has_seed;
	double change;
	int has_change;
};

/* The entry being built, before it becomes an X509_REVOKED. */
struct spec {
	uint8_t mag[GEN_MAX_SERIAL]; /* magnitude, big-endian, minimal */
	size_t len;
	int neg;
	int64_t time;
	int reason; /* REASON_NONE or 0..10 */
	int has_inval;
	int64_t inval;
};

/* Objects shared by every entry, made once. */
struct shared {
	const struct opts *o;
	X509 *ca;
	ASN1_INTEGER *serial;
	ASN1_TIME *time;
	ASN1_GENERALIZEDTIME *inval;
	X509_EXTENSION *reason_ext[11];
	X509_EXTENSION *unknown_ext;
	size_t count; /* entries added so far */
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gencrl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ERR_peek_error() != 0)
		ERR_print_errors_fp(stderr);
	exit(1);
}

static void
usage(FILE *f)
{
	fputs(
	    "usage: gencrl --ca-cert FILE --ca-key FILE --out FILE [options]\n"
	    "  --number N          cRLNumber (decimal or 0x hex); default "
	    "none\n"
	    "  --this-update T     RFC 3339 or @UNIX (default: now)\n"
	    "  --next-update T     default thisUpdate + 1 day\n"
	    "  --no-next-update    omit nextUpdate\n"
	    "  --v1                version 1 CRL without any extension\n"
	    "  --md NAME           digest (default sha256; GOST: Streebog)\n"
	    "  --pss               RSA-PSS (salt 32, MGF1 with the digest)\n"
	    "  --entry SPEC        SERIAL[,TIME[,REASON[,INVALIDITY]]]\n"
	    "  --entries-file F    one SPEC per line ('#' comments)\n"
	    "  --random N --seed S N deterministic random entries\n"
	    "  --change PCT        the next CRL of --random/--seed: PCT%\n"
	    "                      of entries removed, re-reasoned, replaced\n"
	    "  --time-format utc|gen  force the time encoding\n"
	    "  --crit-ext          unknown critical CRL extension\n"
	    "  --entry-crit-ext    unknown critical extension, first entry\n"
	    "  --no-aki            omit authorityKeyIdentifier\n"
	    "  --delta BASE        critical deltaCRLIndicator\n"
	    "  --idp               critical issuingDistributionPoint\n"
	    "  --idp-scope S       its scope: user (default), ca, attr,\n"
	    "                      reasons (keyCompromise only), all\n"
	    "  --idp-dp NAME       its distributionPoint: uri:URL (default\n"
	    "                      uri:" IDP_URI "),\n"
	    "                      ou:VALUE (relative to the issuer), none\n"
	    "  --cert-issuer       certificateIssuer on the first entry\n"
	    "  --pem               PEM instead of DER\n",
	    f);
}

/* --idp-scope: the IDP's flags (RFC 5280 5.2.5), booleans as DER TRUE
 * (X.690 11.1). */
static void
set_idp_scope(ISSUING_DIST_POINT *idp, const char *scope)
{
	if (strcmp(scope, "user") == 0) {
		idp->onlyuser = 0xFF;
	} else if (strcmp(scope, "ca") == 0) {
		idp->onlyCA = 0xFF;
	} else if (strcmp(scope, "attr") == 0) {
		idp->onlyattr = 0xFF;
	} else if (strcmp(scope, "reasons") == 0) {
		if ((idp->onlysomereasons = ASN1_BIT_STRING_new()) == NULL ||
		    !ASN1_BIT_STRING_set_bit(idp->onlysomereasons, 1, 1))
			die("out of memory");
	} else if (strcmp(scope, "all") != 0) {
		die("--idp-scope: user, ca, attr, reasons or all");
	}
}

/* --idp-dp: a fullName of one URI, a name relative to the issuer (one
 * OU), or none. */
static DIST_POINT_NAME *
idp_name(const char *spec)
{
	DIST_POINT_NAME *n;

	if (strcmp(spec, "none") == 0)
		return NULL;
	if ((n = DIST_POINT_NAME_new()) == NULL)
		die("out of memory");
	if (strncmp(spec, "uri:", 4) == 0) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *uri = ASN1_IA5STRING_new();

		n->type = 0; /* fullName */
		if (gn == NULL || uri == NULL ||
		    (n->name.fullname = GENERAL_NAMES_new()) == NULL ||
		    !ASN1_STRING_set(uri, spec + 4, -1))
			die("out of memory");
		GENERAL_NAME_set0_value(gn, GEN_URI, uri);
		if (!sk_GENERAL_NAME_push(n->name.fullname, gn))
			die("out of memory");
	} else if (strncmp(spec, "ou:", 3) == 0) {
		X509_NAME_ENTRY *e = X509_NAME_ENTRY_create_by_NID(
		    NULL, NID_organizationalUnitName, MBSTRING_UTF8,
		    (const unsigned char *)spec + 3, -1);

		n->type = 1; /* nameRelativeToCRLIssuer */
		if (e == NULL ||
		    (n->name.relativename = sk_X509_NAME_ENTRY_new_null()) ==
			NULL ||
		    !sk_X509_NAME_ENTRY_push(n->name.relativename, e))
			die("out of memory");
	} else {
		die("--idp-dp: uri:URL, ou:VALUE or none");
	}
	return n;
}

/* ---- deterministic randomness (splitmix64) ---------------------------- */

static uint64_t
mix64(uint64_t z)
{
	z += UINT64_C(0x9E3779B97F4A7C15);
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t
rng_next(uint64_t *s)
{
	*s += UINT64_C(0x9E3779B97F4A7C15);
	return mix64(*s);
}

/* The stream for (seed, what, index): independent of every other. */
static uint64_t
rng_stream(uint64_t seed, unsigned what, uint64_t index)
{
	return mix64(seed) ^ mix64(index * 4 + what + UINT64_C(0x5DEECE66D));
}

enum { STREAM_BASE, STREAM_REASON, STREAM_REPLACE, STREAM_PICK };

/* Reasons of --random: RFC 5280 5.3.1 codes (7 is unused). */
static const int random_reasons[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10};
#define NREASONS (sizeof(random_reasons) / sizeof(random_reasons[0]))

/* A random positive 16-octet serial and its details. */
static void
random_entry(uint64_t seed, unsigned stream, uint64_t i, int64_t anchor,
	     struct spec *out)
{
	uint64_t s = rng_stream(seed, stream, i), a, b, r;
	int k;

	a = rng_next(&s);
	b = rng_next(&s);
	for (k = 0; k < 8; k++) {
		out->mag[k] = (uint8_t)(a >> (56 - 8 * k));
		out->mag[8 + k] = (uint8_t)(b >> (56 - 8 * k));
	}
	/* Positive and exactly 16 DER octets. */
	out->mag[0] &= 0x7F;
	if (out->mag[0] == 0)
		out->mag[0] = 0x01;
	out->len = 16;
	out->neg = 0;
	out->time = anchor - (int64_t)(rng_next(&s) % (uint64_t)YEAR);
	r = rng_next(&s) % (3 * NREASONS);
	out->reason = r < NREASONS ? REASON_NONE : random_reasons[r % NREASONS];
	out->has_inval = rng_next(&s) % 10 == 0;
	out->inval = out->time - (int64_t)(rng_next(&s) % (30 * 86400));
}

/* A reason other than `old`, among none and the ten codes. */
static int
other_reason(uint64_t seed, uint64_t i, int old)
{
	uint64_t s = rng_stream(seed, STREAM_REASON, i);
	int all[NREASONS + 1], pos = 0;
	size_t k;

	all[0] = REASON_NONE;
	for (k = 0; k < NREASONS; k++) {
		all[k + 1] = random_reasons[k];
		if (random_reasons[k] == old)
			pos = (int)k + 1;
	}
	k = 1 + rng_next(&s) % NREASONS;
	return all[(pos + k) % (NREASONS + 1)];
}

/* ---- parsing of arguments --------------------------------------------- */

static int64_t
parse_time_arg(const char *what, const char *s)
{
	int64_t t;

	if (!time_parse(s, &t))
		die("%s: bad time '%s' (RFC 3339 or @UNIX)", what, s);
	return t;
}

/* Decimal or 0x-prefixed hex, optionally negative, into an INTEGER. */
static ASN1_INTEGER *
parse_number(const char *what, const char *s)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	const char *digits = s;
	int neg = 0, n;

	if (*digits == '-') {
		neg = 1;
		digits++;
	}
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		n = BN_hex2bn(&bn, digits + 2), digits += 2;
	else
		n = BN_dec2bn(&bn, digits);
	if (n == 0 || digits[n] != '\0' || digits[0] == '-' ||
	    BN_num_bits(bn) > GEN_MAX_NUMBER_BITS)
		die("%s: bad number '%s'", what, s);
	BN_set_negative(bn, neg);
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		die("%s: cannot encode '%s'", what, s);
	BN_free(bn);
	return ai;
}

/* Hex magnitude with an optional '-': minimal magnitude into sp. */
static void
parse_serial(const char *s, struct spec *sp)
{
	uint8_t buf[GEN_MAX_SERIAL];
	long n;
	size_t i = 0;

	sp->neg = 0;
	if (*s == '-') {
		sp->neg = 1;
		s++;
	}
	if (*s == '\0' || *s == '-' ||
	    (n = hex_decode(s, buf, sizeof(buf))) < 0)
		die("entry: bad serial '%s' (hex, at most %d octets)", s,
		    GEN_MAX_SERIAL);
	while (i + 1 < (size_t)n && buf[i] == 0)
		i++;
	sp->len = (size_t)n - i;
	memcpy(sp->mag, buf + i, sp->len);
	if (sp->len == 1 && sp->mag[0] == 0)
		sp->neg = 0; /* "-0" is zero */
}

static int
parse_reason(const char *s)
{
	static const char *const names[] = {
	    "unspecified",     "keyCompromise",
	    "cACompromise",    "affiliationChanged",
	    "superseded",      "cessationOfOperation",
	    "certificateHold", NULL,
	    "removeFromCRL",   "privilegeWithdrawn",
	    "aACompromise",
	};
	char *end;
	long v;
	int i;

	if (*s == '\0' || strcasecmp(s, "none") == 0)
		return REASON_NONE;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || *end || v < 0 || v > 10)
			die("entry: reason '%s' is not 0..10", s);
		return (int)v;
	}
	for (i = 0; i <= 10; i++)
		if (names[i] != NULL && strcasecmp(s, names[i]) == 0)
			return i;
	die("entry: unknown reason '%s'", s);
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (n > 0 && isspace((unsigned char)*s)) {
		char *p = s;

		while (isspace((unsigned char)*p))
			p++;
		memmove(s, p, strlen(p) + 1);
	}
}

/* SERIAL[,TIME[,REASON[,INVALIDITY]]]; empty fields take defaults. */
static void
parse_spec(const char *text, int64_t this_update, struct spec *sp)
{
	char *copy = strdup(text), *field[4] = {NULL, NULL, NULL, NULL};
	char *p = copy;
	int n = 0;

	if (copy == NULL)
		die("out of memory");
	while (n < 4) {
		field[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	if (p != NULL)
		die("entry '%s': more than four fields", text);
	for (n = 0; n < 4; n++)
		if (field[n] != NULL)
			trim(field[n]);
	parse_serial(field[0], sp);
	sp->time = field[1] != NULL && *field[1]
		       ? parse_time_arg("entry", field[1])
		       : this_update - 3600;
	sp->reason = field[2] != NULL ? parse_reason(field[2]) : REASON_NONE;
	sp->has_inval = field[3] != NULL && *field[3];
	if (sp->has_inval)
		sp->inval = parse_time_arg("entry", field[3]);
	free(copy);
}

/* ---- building --------------------------------------------------------- */

/* Sets `t` (may be NULL: a new one) to `when` in the chosen encoding. */
static ASN1_TIME *
set_time(ASN1_TIME *t, int64_t when, enum time_format tf)
{
	ASN1_TIME *r;

	switch (tf) {
	case TF_UTC:
		r = ASN1_UTCTIME_set(t, (time_t)when);
		break;
	case TF_GEN:
		r = ASN1_GENERALIZEDTIME_set(t, (time_t)when);
		break;
	default:
		r = ASN1_TIME_set(t, (time_t)when);
		break;
	}
	if (r == NULL)
		die("time %lld cannot be encoded%s", (long long)when,
		    tf == TF_UTC ? " as UTCTime (1950..2049)" : "");
	return r;
}

static X509_EXTENSION *
unknown_extension(void)
{
	static const unsigned char der_null[] = {0x05, 0x00};
	ASN1_OBJECT *obj = OBJ_txt2obj(UNKNOWN_EXT_OID, 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	if (obj == NULL || val == NULL ||
	    !ASN1_OCTET_STRING_set(val, der_null, sizeof(der_null)) ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, val)) == NULL)
		die("cannot build the unknown extension");
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(val);
	return ext;
}

static void
shared_init(struct shared *sh, const struct opts *o, X509 *ca)
{
	int r;

	memset(sh, 0, sizeof(*sh));
	sh->o = o;
	sh->ca = ca;
	if ((sh->serial = ASN1_INTEGER_new()) == NULL ||
	    (sh->time = ASN1_TIME_new()) == NULL ||
	    (sh->inval = ASN1_GENERALIZEDTIME_new()) == NULL)
		die("out of memory");
	for (r = 0; r <= 10; r++) {
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

		if (e == NULL || !ASN1_ENUMERATED_set(e, r) ||
		    (sh->reason_ext[r] =
			 X509V3_EXT_i2d(NID_crl_reason, 0, e)) == NULL)
			die("cannot build a reasonCode extension");
		ASN1_ENUMERATED_free(e);
	}
	sh->unknown_ext = unknown_extension();
}

static void
shared_free(struct shared *sh)
{
	int r;

	ASN1_INTEGER_free(sh->serial);
	ASN1_TIME_free(sh->time);
	ASN1_GENERALIZEDTIME_free(sh->inval);
	for (r = 0; r <= 10; r++)
		X509_EXTENSION_free(sh->reason_ext[r]);
	X509_EXTENSION_free(sh->unknown_ext);
}

/* GeneralNames with the CA's subject as a directoryName. */
static GENERAL_NAMES *
ca_names(X509 *ca)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *nm = X509_NAME_dup(X509_get_subject_name(ca));

	if (gens == NULL || gn == NULL || nm == NULL)
		die("out of memory");
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, nm);
	if (!sk_GENERAL_NAME_push(gens, gn))
		die("out of memory");
	return gens;
}

/* Appends one entry: O(1), nothing sorted. */
static void
add_entry(X509_CRL *crl, struct shared *sh, const struct spec *sp)
{
	const struct opts *o = sh->o;
	X509_REVOKED *rev = X509_REVOKED_new();
	int first = sh->count == 0;

	if (rev == NULL || !ASN1_STRING_set(sh->serial, sp->mag, (int)sp->len))
		die("out of memory");
	sh->serial->type = sp->neg ? V_ASN1_NEG_INTEGER : V_ASN1_INTEGER;
	if (!X509_REVOKED_set_serialNumber(rev, sh->serial) ||
	    !X509_REVOKED_set_revocationDate(
		rev, set_time(sh->time, sp->time, o->tf)))
		die("cannot set the entry's serial or date");
	/* A v1 CRL carries no extensions at all (RFC 5280 5.1.2.1). */
	if (!o->v1) {
		if (sp->reason != REASON_NONE &&
		    !X509_REVOKED_add_ext(rev, sh->reason_ext[sp->reason], -1))
			die("cannot add reasonCode");
		if (sp->has_inval) {
			if (ASN1_GENERALIZEDTIME_set(
				sh->inval, (time_t)sp->inval) == NULL ||
			    !X509_REVOKED_add1_ext_i2d(rev, NID_invalidity_date,
						       sh->inval, 0, 0))
				die("cannot add invalidityDate");
		}
		if (first && o->cert_issuer) {
			GENERAL_NAMES *gens = ca_names(sh->ca);

			if (!X509_REVOKED_add1_ext_i2d(
				rev, NID_certificate_issuer, gens, 1, 0))
				die("cannot add certificateIssuer");
			GENERAL_NAMES_free(gens);
		}
		if (first && o->entry_crit_ext &&
		    !X509_REVOKED_add_ext(rev, sh->unknown_ext, -1))
			die("cannot add the unknown entry extension");
	}
	if (!X509_CRL_add0_revoked(crl, rev))
		die("out of memory");
	sh->count++;
}

static void
add_spec_lines(X509_CRL *crl, struct shared *sh, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	struct spec sp;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		parse_spec(line, sh->o->this_update, &sp);
		add_entry(crl, sh, &sp);
	}
	if (ferror(f))
		die("%s: read error", path);
	free(line);
	fclose(f);
}

/*
 * --random N [--change PCT]: entry i of the base list, or of its
 * successor. The changed entries are a partial Fisher-Yates draw of
 * round(N * PCT / 100) indices; the j-th drawn is removed, given another
 * reason or replaced by a new serial as j % 3 is 0, 1 or 2.
 */
static void
add_random(X509_CRL *crl, struct shared *sh)
{
	const struct opts *o = sh->o;
	uint64_t n = o->random_n, i, k = 0;
	int64_t anchor = RANDOM_EPOCH;
	uint8_t *kind = NULL;
	struct spec sp;

	if (o->this_update - 3600 < anchor)
		anchor = o->this_update - 3600;
	if (o->has_change) {
		uint32_t *idx = malloc(n * sizeof(*idx));
		uint64_t s = rng_stream(o->seed, STREAM_PICK, 0), j;

		k = (uint64_t)((double)n * o->change / 100.0 + 0.5);
		if (k > n)
			k = n;
		if ((kind = calloc(n ? n : 1, 1)) == NULL || (n && idx == NULL))
			die("out of memory");
		for (i = 0; i < n; i++)
			idx[i] = (uint32_t)i;
		for (j = 0; j < k; j++) {
			uint64_t r = j + rng_next(&s) % (n - j);
			uint32_t t = idx[j];

			idx[j] = idx[r];
			idx[r] = t;
			kind[idx[j]] = (uint8_t)(1 + j % 3);
		}
		free(idx);
	}
	for (i = 0; i < n; i++) {
		random_entry(o->seed, STREAM_BASE, i, anchor, &sp);
		if (kind != NULL) {
			switch (kind[i]) {
			case 1: /* removed */
				continue;
			case 2: /* another reason */
				sp.reason = other_reason(o->seed, i, sp.reason);
				break;
			case 3: /* a new serial */
				random_entry(o->seed, STREAM_REPLACE, i, anchor,
					     &sp);
				break;
			}
		}
		add_entry(crl, sh, &sp);
	}
	free(kind);
}

static EVP_PKEY *
load_key(const char *path)
{
	BIO *bio = BIO_new_file(path, "rb");
	EVP_PKEY *key = NULL;

	if (bio == NULL)
		die("%s: cannot open", path);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (key == NULL) {
		(void)BIO_reset(bio);
		ERR_clear_error();
		key = d2i_PrivateKey_bio(bio, NULL);
	}
	BIO_free(bio);
	if (key == NULL)
		die("%s: not a private key (PEM or DER; GOST keys need "
		    "libengine-gost-openssl)",
		    path);
	return key;
}

static void
add_crl_extensions(X509_CRL *crl, const struct opts *o, X509 *ca)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	ASN1_INTEGER *ai;

	if (!o->no_aki && ski != NULL) {
		AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

		if (akid == NULL ||
		    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
		    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier,
					   akid, 0, 0))
			die("cannot add authorityKeyIdentifier");
		AUTHORITY_KEYID_free(akid);
	}
	if (o->number != NULL) {
		ai = parse_number("--number", o->number);
		if (!X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai, 0, 0))
			die("cannot add cRLNumber");
		ASN1_INTEGER_free(ai);
	}
	if (o->delta != NULL) {
		ai = parse_number("--delta", o->delta);
		if (!X509_CRL_add1_ext_i2d(crl, NID_delta_crl, ai, 1, 0))
			die("cannot add deltaCRLIndicator");
		ASN1_INTEGER_free(ai);
	}
	if (o->idp) {
		ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

		if (idp == NULL)
			die("out of memory");
		idp->distpoint =
		    idp_name(o->idp_dp ? o->idp_dp : "uri:" IDP_URI);
		set_idp_scope(idp, o->idp_scope ? o->idp_scope : "user");
		if (!X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point,
					   idp, 1, 0))
			die("cannot add issuingDistributionPoint");
		ISSUING_DIST_POINT_free(idp);
	}
	if (o->crit_ext) {
		X509_EXTENSION *ext = unknown_extension();

		if (!X509_CRL_add_ext(crl, ext, -1))
			die("cannot add the unknown extension");
		X509_EXTENSION_free(ext);
	}
}

/* The digest: the key's own for GOST, none for EdDSA, else --md. */
static const EVP_MD *
pick_md(const struct opts *o, EVP_PKEY *key)
{
	const EVP_MD *md;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case NID_id_GostR3410_2012_256:
		md = EVP_get_digestbynid(NID_id_GostR3411_2012_256);
		break;
	case NID_id_GostR3410_2012_512:
		md = EVP_get_digestbynid(NID_id_GostR3411_2012_512);
		break;
	default:
		md = EVP_get_digestbyname(o->md);
		break;
	}
	if (md == NULL)
		die("digest unavailable for this key (--md %s)", o->md);
	return md;
}

static void
sign(X509_CRL *crl, const struct opts *o, EVP_PKEY *key)
{
	const EVP_MD *md = pick_md(o, key);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int id = EVP_PKEY_get_base_id(key);

	if (mctx == NULL)
		die("out of memory");
	if (o->pss && id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
		die("--pss needs an RSA key");
	if (EVP_DigestSignInit(mctx, &pctx, md, NULL, key) <= 0)
		die("cannot sign with this key");
	if (o->pss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0))
		die("cannot set up RSA-PSS");
	if (X509_CRL_sign_ctx(crl, mctx) <= 0)
		die("signing failed");
	EVP_MD_CTX_free(mctx);
}

static void
write_crl(X509_CRL *crl, const struct opts *o)
{
	BIO *bio = BIO_new_file(o->out, "wb");
	int ok;

	if (bio == NULL)
		die("%s: cannot create: %s", o->out, strerror(errno));
	ok = o->pem ? PEM_write_bio_X509_CRL(bio, crl)
		    : i2d_X509_CRL_bio(bio, crl);
	if (!ok || BIO_flush(bio) <= 0)
		die("%s: write failed", o->out);
	BIO_free(bio);
}

static uint64_t
parse_u64(const char *what, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || *s == '-')
		die("%s: bad count '%s'", what, s);
	return v;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_CERT = 256,
		O_KEY,
		O_OUT,
		O_NUMBER,
		O_THIS,
		O_NEXT,
		O_NO_NEXT,
		O_V1,
		O_MD,
		O_PSS,
		O_ENTRY,
		O_ENTRIES,
		O_RANDOM,
		O_SEED,
		O_CHANGE,
		O_TF,
		O_CRIT,
		O_ECRIT,
		O_NO_AKI,
		O_DELTA,
		O_IDP,
		O_IDP_SCOPE,
		O_IDP_DP,
		O_CISSUER,
		O_PEM,
		O_HELP
	};
	static const struct option lo[] = {
	    {"ca-cert", required_argument, NULL, O_CERT},
	    {"ca-key", required_argument, NULL, O_KEY},
	    {"out", required_argument, NULL, O_OUT},
	    {"number", required_argument, NULL, O_NUMBER},
	    {"this-update", required_argument, NULL, O_THIS},
	    {"next-update", required_argument, NULL, O_NEXT},
	    {"no-next-update", no_argument, NULL, O_NO_NEXT},
	    {"v1", no_argument, NULL, O_V1},
	    {"md", required_argument, NULL, O_MD},
	    {"pss", no_argument, NULL, O_PSS},
	    {"entry", required_argument, NULL, O_ENTRY},
	    {"entries-file", required_argument, NULL, O_ENTRIES},
	    {"random", required_argument, NULL, O_RANDOM},
	    {"seed", required_argument, NULL, O_SEED},
	    {"change", required_argument, NULL, O_CHANGE},
	    {"time-format", required_argument, NULL, O_TF},
	    {"crit-ext", no_argument, NULL, O_CRIT},
	    {"entry-crit-ext", no_argument, NULL, O_ECRIT},
	    {"no-aki", no_argument, NULL, O_NO_AKI},
	    {"delta", required_argument, NULL, O_DELTA},
	    {"idp", no_argument, NULL, O_IDP},
	    {"idp-scope", required_argument, NULL, O_IDP_SCOPE},
	    {"idp-dp", required_argument, NULL, O_IDP_DP},
	    {"cert-issuer", no_argument, NULL, O_CISSUER},
	    {"pem", no_argument, NULL, O_PEM},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *this_arg = NULL, *next_arg = NULL;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->md = "sha256";
	if ((o->sources = calloc((size_t)argc, sizeof(*o->sources))) == NULL)
		die("out of memory");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_CERT:
			o->ca_cert = optarg;
			break;
		case O_KEY:
			o->ca_key = optarg;
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_NUMBER:
			o->number = optarg;
			break;
		case O_THIS:
			this_arg = optarg;
			break;
		case O_NEXT:
			next_arg = optarg;
			break;
		case O_NO_NEXT:
			o->no_next = 1;
			break;
		case O_V1:
			o->v1 = 1;
			break;
		case O_MD:
			o->md = optarg;
			break;
		case O_PSS:
			o->pss = 1;
			break;
		case O_ENTRY:
		case O_ENTRIES:
			o->sources[o->nsources].is_file = c == O_ENTRIES;
			o->sources[o->nsources++].arg = optarg;
			break;
		case O_RANDOM:
			o->random_n = parse_u64("--random", optarg);
			o->has_random = 1;
			break;
		case O_SEED:
			o->seed = parse_u64("--seed", optarg);
			o->has_seed = 1;
			break;
		case O_CHANGE:
			errno = 0;
			o->change = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(o->change >= 0 && o->change <= 100))
				die("--change: '%s' is not a percentage 0..100",
				    optarg);
			o->has_change = 1;
			break;
		case O_TF:
			if (strcmp(optarg, "utc") == 0)
				o->tf = TF_UTC;
			else if (strcmp(optarg, "gen") == 0)
				o->tf = TF_GEN;
			else
				die("--time-format: utc or gen");
			break;
		case O_CRIT:
			o->crit_ext = 1;
			break;
		case O_ECRIT:
			o->entry_crit_ext = 1;
			break;
		case O_NO_AKI:
			o->no_aki = 1;
			break;
		case O_DELTA:
			o->delta = optarg;
			break;
		case O_IDP:
			o->idp = 1;
			break;
		case O_IDP_SCOPE:
			o->idp = 1;
			o->idp_scope = optarg;
			break;
		case O_IDP_DP:
			o->idp = 1;
			o->idp_dp = optarg;
			break;
		case O_CISSUER:
			o->cert_issuer = 1;
			break;
		case O_PEM:
			o->pem = 1;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (o->ca_cert == NULL || o->ca_key == NULL || o->out == NULL) {
		usage(stderr);
		die("--ca-cert, --ca-key and --out are required");
	}
	if (o->has_random != o->has_seed)
		die("--random and --seed go together");
	if (o->has_change && !o->has_random)
		die("--change needs --random and --seed");
	if (o->random_n > UINT32_MAX)
		die("--random: at most %u entries", UINT32_MAX);
	if (o->v1 && (o->number || o->delta || o->idp || o->crit_ext ||
		      o->entry_crit_ext || o->cert_issuer))
		die("--v1 CRLs have no extensions");
	if (o->no_next && next_arg != NULL)
		die("--next-update and --no-next-update exclude each other");
	o->this_update =
	    this_arg ? parse_time_arg("--this-update", this_arg) : clock_now();
	o->has_this = 1;
	o->next_update = next_arg ? parse_time_arg("--next-update", next_arg)
				  : o->this_update + 86400;
	o->has_next = !o->no_next;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct shared sh;
	char err[512];
	X509 *ca;
	EVP_PKEY *key;
	X509_CRL *crl;
	ASN1_TIME *t;
	size_t i;

	parse_args(argc, argv, &o);
	if (!crypto_init(GOST_AUTO, err, sizeof(err)))
		die("%s", err);
	if ((ca = crypto_load_cert(o.ca_cert, err, sizeof(err))) == NULL)
		die("%s", err);
	key = load_key(o.ca_key);
	if ((crl = X509_CRL_new()) == NULL)
		die("out of memory");
	/* v1: the version field is absent (RFC 5280 5.1.2.1). */
	if (!o.v1 && !X509_CRL_set_version(crl, X509_CRL_VERSION_2))
		die("cannot set the version");
	if (!X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)))
		die("cannot set the issuer");
	t = set_time(NULL, o.this_update, o.tf);
	if (!X509_CRL_set1_lastUpdate(crl, t))
		die("cannot set thisUpdate");
	if (o.has_next) {
		set_time(t, o.next_update, o.tf);
		if (!X509_CRL_set1_nextUpdate(crl, t))
			die("cannot set nextUpdate");
	}
	ASN1_TIME_free(t);

	shared_init(&sh, &o, ca);
	for (i = 0; i < o.nsources; i++) {
		if (o.sources[i].is_file) {
			add_spec_lines(crl, &sh, o.sources[i].arg);
		} else {
			struct spec sp;

			parse_spec(o.sources[i].arg, o.this_update, &sp);
			add_entry(crl, &sh, &sp);
		}
	}
	if (o.has_random)
		add_random(crl, &sh);
	shared_free(&sh);
	if (!o.v1)
		add_crl_extensions(crl, &o, ca);
	sign(crl, &o, key);
	write_crl(crl, &o);

	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(ca);
	free(o.sources);
	return 0;
}
