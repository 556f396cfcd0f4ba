/*
 * Differential test of the CRL reader (src/crl/parse.c, verify.c):
 * CRLs made by tests/data/gencrl (OpenSSL's encoder) are read by our
 * streaming reader and by OpenSSL's d2i_X509_CRL, and every field of
 * every entry must agree, in file order.
 *
 * For each CA type (rsa, rsapss with PSS signatures, ecdsa, ed25519,
 * gost256, gost512) five CRLs: empty, one entry, 1 000 entries in
 * UTCTime, 1 000 in GeneralizedTime, 100 000 in OpenSSL's default
 * choice. The non-empty ones start with hand-picked edge entries (20,
 * 21 and 64 octet serials, zero, negative serials around the sign
 * boundaries, every reason code by name and number, invalidity dates,
 * the UTCTime range limits, a duplicate) followed by random ones.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "otzyv/crl.h"
#include "otzyv/crypto.h"
#include "otzyv/util.h"

#define THIS_UPDATE "2026-11-01T10:00:00Z"
#define THIS_UPDATE_T INT64_C(1793527200)
#define NEXT_UPDATE "2026-11-02T10:00:00Z"

static void
setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_YES, err, sizeof(err)), "%s", err);
}

TestSuite(crl_diff, .init = setup, .timeout = 120);

enum tf { TF_DEFAULT, TF_UTC, TF_GEN };

/* One CRL to generate and compare. */
struct diff_case {
	const char *alg;
	size_t nentries;
	enum tf tf;
	int has_next;
	int has_aki;
	int has_idp;
	const char *number; /* gencrl --number, or NULL */
	const char *extra;  /* more gencrl options */
	const char *one;    /* the single entry of a one-entry CRL */
};

/*
 * Edge entries; times after 2049 only where GeneralizedTime is allowed
 * (a UTCTime cannot hold them). Returns the number written.
 */
static size_t
write_specials(const char *path, enum tf tf)
{
	static const char *const common[] = {
	    /* 20 octets, the RFC 5280 4.1.2.2 maximum */
	    "7f0102030405060708090a0b0c0d0e0f10111213,2020-02-29T12:00:00Z,"
	    "keyCompromise,2020-02-01T00:00:00Z",
	    /* 20-octet magnitude with the top bit set: 21 DER octets */
	    "8f0102030405060708090a0b0c0d0e0f10111213,,cACompromise",
	    /* 21 octets */
	    "010102030405060708090a0b0c0d0e0f1011121314,,6",
	    /* 64 octets: MAX_SERIAL_LEN */
	    "7f0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	    "0,,unspecified",
	    "1,1950-01-01T00:00:00Z,affiliationChanged",
	    "-1,2049-12-31T23:59:59Z,superseded",
	    "-7f,,cessationOfOperation",
	    "-80,,certificateHold,2026-01-01T00:00:00Z",
	    "-81,,removeFromCRL",
	    "-ff,,privilegeWithdrawn",
	    "-100,,aACompromise",
	    "-8000,,none",
	    "-0123456789abcdef0123456789abcdef01234567,1999-12-31T23:59:59Z,1,"
	    "2000-01-01T00:00:00Z",
	    "00ff,,2", /* leading zero octets are not part of the value */
	    "ff,,3",
	    "80,,4",
	    "7f,,5",
	    "1001,,8",
	    "1001,,9", /* listed twice: order and both copies kept */
	    "2002,,10",
	    "3003,,0,1949-12-31T23:59:59Z",
	    "4004,2026-10-31T23:59:59Z,,2026-10-31T00:00:00Z",
	};
	static const char *const gen_only[] = {
	    "5005,2050-01-01T00:00:00Z,keyCompromise",
	    "6006,2100-06-15T01:02:03Z,,2099-01-01T00:00:00Z",
	    "-7007,1949-12-31T23:59:59Z,certificateHold",
	};
	FILE *f = fopen(path, "w");
	size_t i, n = 0;

	cr_assert_not_null(f);
	fputs("# edge entries\n\n", f);
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++, n++)
		fprintf(f, "%s\n", common[i]);
	if (tf != TF_UTC)
		for (i = 0; i < sizeof(gen_only) / sizeof(gen_only[0]);
		     i++, n++)
			fprintf(f, "  %s\r\n", gen_only[i]);
	cr_assert_eq(fclose(f), 0);
	return n;
}

static int64_t
asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	cr_assert_not_null(t);
	cr_assert(ASN1_TIME_to_tm(t, &tm), "OpenSSL cannot read a time");
	return (int64_t)timegm(&tm);
}

/* The contents octets of an INTEGER as OpenSSL encodes it. */
static size_t
int_contents(const ASN1_INTEGER *ai, uint8_t *out, size_t cap)
{
	unsigned char buf[512], *q = buf;
	size_t hl, len = 0, i;
	int n = i2d_ASN1_INTEGER(ai, NULL);

	cr_assert(n > 0 && (size_t)n <= sizeof(buf));
	i2d_ASN1_INTEGER(ai, &q);
	cr_assert_eq(buf[0], 0x02);
	if (buf[1] < 0x80) {
		hl = 2;
		len = buf[1];
	} else {
		hl = 2 + (buf[1] & 0x7F);
		for (i = 2; i < hl; i++)
			len = len << 8 | buf[i];
	}
	cr_assert_eq(hl + len, (size_t)n);
	cr_assert(len <= cap);
	memcpy(out, buf + hl, len);
	return len;
}

#define CRL_LEVEL SIZE_MAX

static void
assert_octets(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	      const char *what, size_t index)
{
	char ha[2 * 130 + 1], hb[2 * 130 + 1];

	if (alen == blen && memcmp(a, b, alen) == 0)
		return;
	hex_encode(a, alen < 130 ? alen : 130, ha);
	hex_encode(b, blen < 130 ? blen : 130, hb);
	if (index == CRL_LEVEL)
		cr_assert_fail("%s differs: ours %s, theirs %s", what, ha, hb);
	cr_assert_fail("entry %zu: %s differs: ours %s, OpenSSL %s", index,
		       what, ha, hb);
}



/* CRL-level fields: ours against OpenSSL's and against the request. */
static void
compare_crl_fields(const struct crl *crl, X509_CRL *x,
		   const struct diff_case *dc, X509 *ca)
{
	const ASN1_TIME *nu;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *akid;
	ISSUING_DIST_POINT *idp;
	unsigned char *der = NULL;
	uint8_t v[64];
	size_t n;
	int len, crit;
	int want_type =
	    dc->tf == TF_GEN ? V_ASN1_GENERALIZEDTIME : V_ASN1_UTCTIME;

	cr_assert_eq(crl->version, X509_CRL_get_version(x) + 1);
	cr_assert_eq(crl->version, 2);

	len = i2d_X509_NAME(X509_CRL_get_issuer(x), &der);
	cr_assert(len > 0);
	assert_octets(crl->issuer, crl->issuer_len, der, (size_t)len, "issuer",
		      CRL_LEVEL);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509_NAME(X509_get_subject_name(ca), &der);
	assert_octets(crl->issuer, crl->issuer_len, der, (size_t)len,
		      "issuer vs CA subject", CRL_LEVEL);
	OPENSSL_free(der);

	/* thisUpdate: the value asked for, in the encoding asked for. */
	cr_assert_eq(crl->this_update, asn1_unix(X509_CRL_get0_lastUpdate(x)));
	cr_assert_eq(crl->this_update, THIS_UPDATE_T);
	cr_assert_eq(ASN1_STRING_type(X509_CRL_get0_lastUpdate(x)), want_type);

	nu = X509_CRL_get0_nextUpdate(x);
	cr_assert_eq(crl->has_next_update, nu != NULL);
	cr_assert_eq(crl->has_next_update, dc->has_next);
	if (nu != NULL) {
		cr_assert_eq(crl->next_update, asn1_unix(nu));
		cr_assert_eq(crl->next_update, THIS_UPDATE_T + 86400);
		cr_assert_eq(ASN1_STRING_type(nu), want_type);
	} else {
		cr_assert_eq(crl->next_update, 0);
	}

	num = X509_CRL_get_ext_d2i(x, NID_crl_number, &crit, NULL);
	cr_assert_eq(num != NULL, dc->number != NULL);
	if (num != NULL) {
		n = int_contents(num, v, sizeof(v));
		assert_octets(crl->number.v, crl->number.len, v, n, "cRLNumber",
			      CRL_LEVEL);
		ASN1_INTEGER_free(num);
	} else {
		cr_assert_eq(crl->number.len, 0);
	}

	akid =
	    X509_CRL_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	cr_assert_eq(akid != NULL, dc->has_aki);
	if (akid != NULL) {
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);

		cr_assert_not_null(akid->keyid);
		cr_assert_not_null(crl->aki);
		assert_octets(
		    crl->aki, crl->aki_len, ASN1_STRING_get0_data(akid->keyid),
		    (size_t)ASN1_STRING_length(akid->keyid), "AKI", CRL_LEVEL);
		assert_octets(
		    crl->aki, crl->aki_len, ASN1_STRING_get0_data(ski),
		    (size_t)ASN1_STRING_length(ski), "AKI vs SKI", CRL_LEVEL);
		AUTHORITY_KEYID_free(akid);
	} else {
		cr_assert_null(crl->aki);
		cr_assert_eq(crl->aki_len, 0);
	}

	idp = X509_CRL_get_ext_d2i(x, NID_issuing_distribution_point, &crit,
				   NULL);
	cr_assert_eq(idp != NULL, dc->has_idp);
	cr_assert_eq(crl->idp != NULL, dc->has_idp);
	if (idp != NULL) {
		cr_assert_eq(crit, 1);
		cr_assert_eq(crl->idp_only_user, idp->onlyuser != 0);
		cr_assert_eq(crl->idp_only_ca, idp->onlyCA != 0);
		cr_assert_eq(crl->idp_indirect, idp->indirectCRL != 0);
		cr_assert_eq(crl->idp_only_user, 1);
		ISSUING_DIST_POINT_free(idp);
	}
	cr_assert_eq(crl->is_delta, 0);
	cr_assert_null(X509_CRL_get_ext_d2i(x, NID_delta_crl, &crit, NULL));
}

/* One entry: ours against OpenSSL's. */
static void
compare_entry(const struct crl_entry *e, X509_REVOKED *r, size_t i, enum tf tf)
{
	const ASN1_TIME *rd = X509_REVOKED_get0_revocationDate(r);
	ASN1_ENUMERATED *reason;
	ASN1_GENERALIZEDTIME *inval;
	GENERAL_NAMES *gens;
	uint8_t v[512];
	size_t n;
	int crit;

	n = int_contents(X509_REVOKED_get0_serialNumber(r), v, sizeof(v));
	assert_octets(e->serial, e->serial_len, v, n, "serial", i);

	cr_assert_eq(e->revoked_at, asn1_unix(rd),
		     "entry %zu: revocationDate %lld vs %lld", i,
		     (long long)e->revoked_at, (long long)asn1_unix(rd));
	if (tf != TF_DEFAULT)
		cr_assert_eq(ASN1_STRING_type(rd),
			     tf == TF_GEN ? V_ASN1_GENERALIZEDTIME
					  : V_ASN1_UTCTIME,
			     "entry %zu: revocationDate encoding", i);

	reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	cr_assert(reason != NULL || crit == -1, "entry %zu: reasonCode", i);
	cr_assert_eq(e->reason,
		     reason ? (int)ASN1_ENUMERATED_get(reason)
			    : CRL_REASON_ABSENT,
		     "entry %zu: reason %d", i, e->reason);
	ASN1_ENUMERATED_free(reason);

	inval = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, NULL);
	cr_assert(inval != NULL || crit == -1, "entry %zu: invalidityDate", i);
	cr_assert_eq(e->has_invalidity, inval != NULL,
		     "entry %zu: invalidityDate presence", i);
	if (inval != NULL)
		cr_assert_eq(e->invalidity, asn1_unix(inval),
			     "entry %zu: invalidityDate", i);
	else
		cr_assert_eq(e->invalidity, 0);
	ASN1_GENERALIZEDTIME_free(inval);

	gens = X509_REVOKED_get_ext_d2i(r, NID_certificate_issuer, &crit, NULL);
	cr_assert_eq(e->cert_issuer != NULL, gens != NULL);
	GENERAL_NAMES_free(gens);
}

/* Appends " ARG" to the gencrl arguments in buf. */
static void arg_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
arg_add(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	int w;

	cr_assert(n + 1 < size);
	buf[n++] = ' ';
	va_start(ap, fmt);
	w = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	cr_assert(w >= 0 && (size_t)w < size - n, "arguments too long");
}

static void
run_case(const struct diff_case *dc)
{
	char *dir = tmpdir_new("diff");
	char *crl_path = strdup(path_in(dir, "test.crl"));
	char *specs = strdup(path_in(dir, "specs"));
	char args[1024], leafname[64], caname[64];
	size_t nspecs = 0, want = dc->nentries, i, count;
	struct mapfile m;
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e, again;
	struct crl_error err;
	const unsigned char *p;
	X509_CRL *x;
	STACK_OF(X509_REVOKED) * revs;
	X509 *ca, *leaf;
	int rc;

	if (want > 1)
		nspecs = write_specials(specs, dc->tf);
	args[0] = '\0';
	arg_add(args, sizeof(args), "--this-update %s", THIS_UPDATE);
	if (dc->has_next)
		arg_add(args, sizeof(args), "--next-update %s", NEXT_UPDATE);
	else
		arg_add(args, sizeof(args), "--no-next-update");
	if (dc->tf != TF_DEFAULT)
		arg_add(args, sizeof(args), "--time-format %s",
			dc->tf == TF_UTC ? "utc" : "gen");
	if (strcmp(dc->alg, "rsapss") == 0)
		arg_add(args, sizeof(args), "--pss");
	if (!dc->has_aki)
		arg_add(args, sizeof(args), "--no-aki");
	if (dc->has_idp)
		arg_add(args, sizeof(args), "--idp");
	if (dc->number != NULL)
		arg_add(args, sizeof(args), "--number %s", dc->number);
	if (dc->extra != NULL)
		arg_add(args, sizeof(args), "%s", dc->extra);
	if (want == 1)
		arg_add(args, sizeof(args), "--entry %s", dc->one);
	if (want > 1)
		rc = gencrl(dc->alg, crl_path,
			    "%s --entries-file '%s' --random %zu --seed %zu",
			    args, specs, want - nspecs, want);
	else
		rc = gencrl(dc->alg, crl_path, "%s", args);
	cr_assert_eq(rc, 0, "gencrl failed");

	cr_assert_eq(mapfile_open(crl_path, &m), 0);
	cr_assert(crl_parse(m.data, m.len, &crl, &err), "crl_parse: %s",
		  err.msg);
	p = m.data;
	x = d2i_X509_CRL(NULL, &p, (long)m.len);
	cr_assert_not_null(x, "OpenSSL cannot read the CRL");
	cr_assert_eq(p, m.data + m.len, "OpenSSL left trailing bytes");

	snprintf(caname, sizeof(caname), "%s-ca.pem", dc->alg);
	snprintf(leafname, sizeof(leafname), "%s-leaf.pem", dc->alg);
	ca = load_cert(caname);
	leaf = load_cert(leafname);
	compare_crl_fields(&crl, x, dc, ca);

	revs = X509_CRL_get_REVOKED(x);
	count = revs ? (size_t)sk_X509_REVOKED_num(revs) : 0;
	cr_assert_eq(count, want, "OpenSSL sees %zu entries, asked %zu", count,
		     want);
	cr_assert_eq(crl.entries_len == 0, want == 0);
	crl_iter_init(&crl, &it);
	for (i = 0; (rc = crl_iter_next(&it, &e, &err)) == 1; i++) {
		cr_assert(i < count, "we see more entries than OpenSSL");
		compare_entry(&e, sk_X509_REVOKED_value(revs, (int)i), i,
			      dc->tf);
		/* Random access by offset gives the same entry. */
		if (i % 97 == 0 || i + 1 == count) {
			cr_assert(crl_entry_at(&crl, e.offset, &again, &err),
				  "crl_entry_at: %s", err.msg);
			cr_assert_eq(again.serial, e.serial);
			cr_assert_eq(again.revoked_at, e.revoked_at);
			cr_assert_eq(again.reason, e.reason);
		}
	}
	cr_assert_eq(rc, 0, "crl_iter_next: %s", rc < 0 ? err.msg : "");
	cr_assert_eq(i, count, "we see %zu entries, OpenSSL %zu", i, count);
	cr_assert_eq(it.index, count);
	/* At the end the iterator stays at the end. */
	cr_assert_eq(crl_iter_next(&it, &e, &err), 0);

	/* Signature and issuer: good with the CA, bad with another key. */
	cr_assert(crl_check_issuer(&crl, ca, &err), "crl_check_issuer: %s",
		  err.msg);
	cr_assert(crl_verify_signature(&crl, X509_get0_pubkey(ca), &err),
		  "crl_verify_signature: %s", err.msg);
	cr_assert_eq(X509_CRL_verify(x, X509_get0_pubkey(ca)), 1,
		     "OpenSSL disagrees: the signature is bad");
	cr_assert_not(crl_verify_signature(&crl, X509_get0_pubkey(leaf), &err),
		      "verified with the leaf's key");
	cr_assert_not_null(strstr(err.msg, "RFC 5280 5.1.1.3"), "%s", err.msg);
	cr_assert_not(crl_check_issuer(&crl, leaf, &err),
		      "a leaf passed as the CRL issuer");
	ERR_clear_error();

	X509_free(leaf);
	X509_free(ca);
	X509_CRL_free(x);
	mapfile_close(&m);
	free(crl_path);
	free(specs);
	tmpdir_remove(dir);
}

#define NUM20 "0x7f0102030405060708090a0b0c0d0e0f10111213"
#define NUM20_HIGH "0xff0102030405060708090a0b0c0d0e0f10111213"

/* The five CRLs of each CA type. */
static void
diff_empty(const char *alg)
{
	struct diff_case dc = {.alg = alg,
			       .tf = TF_DEFAULT,
			       .has_next = 1,
			       .has_aki = 1,
			       .number = "0"};

	run_case(&dc);
}

static void
diff_one(const char *alg)
{
	struct diff_case dc = {
	    .alg = alg,
	    .nentries = 1,
	    .tf = TF_UTC,
	    .has_next = 1,
	    .has_aki = 1,
	    .number = NUM20,
	    .one =
		"-80,2026-01-01T00:00:00Z,keyCompromise,2025-12-01T00:00:00Z"};

	run_case(&dc);
}

static void
diff_1000_utctime(const char *alg)
{
	struct diff_case dc = {.alg = alg,
			       .nentries = 1000,
			       .tf = TF_UTC,
			       .has_next = 1,
			       .has_aki = 1,
			       .has_idp = 1,
			       .number = "1000"};

	run_case(&dc);
}

/* No nextUpdate, no AKI, a 21-octet CRL number, another digest. */
static void
diff_1000_gentime(const char *alg)
{
	struct diff_case dc = {.alg = alg,
			       .nentries = 1000,
			       .tf = TF_GEN,
			       .number = NUM20_HIGH,
			       .extra = "--md sha384"};

	run_case(&dc);
}

static void
diff_100000(const char *alg)
{
	struct diff_case dc = {.alg = alg,
			       .nentries = 100000,
			       .tf = TF_DEFAULT,
			       .has_next = 1,
			       .has_aki = 1,
			       .number = "123456789012345678901234567890",
			       .extra = "--md sha512"};

	run_case(&dc);
}

#define DIFF_TESTS(ALG)                                                        \
	Test(crl_diff, ALG##_empty)                                            \
	{                                                                      \
		diff_empty(#ALG);                                              \
	}                                                                      \
	Test(crl_diff, ALG##_one)                                              \
	{                                                                      \
		diff_one(#ALG);                                                \
	}                                                                      \
	Test(crl_diff, ALG##_1000_utctime)                                     \
	{                                                                      \
		diff_1000_utctime(#ALG);                                       \
	}                                                                      \
	Test(crl_diff, ALG##_1000_gentime)                                     \
	{                                                                      \
		diff_1000_gentime(#ALG);                                       \
	}                                                                      \
	Test(crl_diff, ALG##_100000)                                           \
	{                                                                      \
		diff_100000(#ALG);                                             \
	}

DIFF_TESTS(rsa)
DIFF_TESTS(rsapss)
DIFF_TESTS(ecdsa)
DIFF_TESTS(ed25519)
DIFF_TESTS(gost256)
DIFF_TESTS(gost512)

/* gencrl keeps the order it is given: the reader must not rely on it. */
Test(crl_diff, entries_keep_given_order)
{
	char *dir = tmpdir_new("diff-order");
	char *path = strdup(path_in(dir, "o.crl"));
	static const uint8_t want[] = {0x30, 0x10, 0x20};
	struct mapfile m;
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t i = 0;

	cr_assert_eq(gencrl("ecdsa", path,
			    "--entry 30 --entry 10 --entry 20 --number 1"),
		     0);
	cr_assert_eq(mapfile_open(path, &m), 0);
	cr_assert(crl_parse(m.data, m.len, &crl, &err), "%s", err.msg);
	crl_iter_init(&crl, &it);
	while (crl_iter_next(&it, &e, &err) == 1) {
		cr_assert(i < 3);
		cr_assert_eq(e.serial_len, 1);
		cr_assert_eq(e.serial[0], want[i]);
		i++;
	}
	cr_assert_eq(i, 3);
	mapfile_close(&m);
	free(path);
	tmpdir_remove(dir);
}

/* ---- the benchmark's pair: --change makes the next CRL of a seed ---- */

struct flat {
	uint8_t serial[MAX_SERIAL_LEN];
	size_t len;
	int64_t revoked_at, invalidity;
	int reason, has_invalidity;
};

static int
flat_cmp(const void *a, const void *b)
{
	const struct flat *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->serial, y->serial, x->len);
}

/* The entries of a CRL file, sorted by serial; *out_n of them. */
static struct flat *
flatten(const char *path, size_t *out_n)
{
	struct mapfile m;
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	struct flat *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	cr_assert_eq(mapfile_open(path, &m), 0);
	cr_assert(crl_parse(m.data, m.len, &crl, &err), "%s", err.msg);
	crl_iter_init(&crl, &it);
	while ((rc = crl_iter_next(&it, &e, &err)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		memcpy(v[n].serial, e.serial, e.serial_len);
		v[n].len = e.serial_len;
		v[n].revoked_at = e.revoked_at;
		v[n].reason = e.reason;
		v[n].has_invalidity = e.has_invalidity;
		v[n].invalidity = e.invalidity;
		n++;
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	mapfile_close(&m);
	qsort(v, n, sizeof(*v), flat_cmp);
	*out_n = n;
	return v;
}

Test(crl_diff, gencrl_change_is_the_next_crl)
{
	char *dir = tmpdir_new("diff-change");
	char *base = strdup(path_in(dir, "base.crl"));
	char *next = strdup(path_in(dir, "next.crl"));
	char *again = strdup(path_in(dir, "again.crl"));
	struct flat *a, *b, *c;
	size_t na, nb, nc, i = 0, j = 0;
	size_t removed = 0, added = 0, reason = 0, same = 0, other = 0;
	int none = 0, hold = 0, inval = 0;
	int64_t first = INT64_MAX, last = INT64_MIN;

	/* Different thisUpdates, as the benchmark makes them. */
	cr_assert_eq(gencrl("ecdsa", base,
			    "--random 6000 --seed 5 --number 1 "
			    "--this-update @1790000000"),
		     0);
	cr_assert_eq(gencrl("ecdsa", next,
			    "--random 6000 --seed 5 --change 10 --number 2 "
			    "--this-update @1790003600"),
		     0);
	cr_assert_eq(gencrl("ecdsa", again,
			    "--random 6000 --seed 5 --number 1 "
			    "--this-update @1790007200"),
		     0);
	a = flatten(base, &na);
	b = flatten(next, &nb);
	c = flatten(again, &nc);
	cr_assert_eq(na, 6000);
	cr_assert_eq(nb, 6000 - 200);
	/* Same seed, same entries, whatever thisUpdate says. */
	cr_assert_eq(nc, na);
	for (i = 0; i < na; i++) {
		cr_assert_eq(flat_cmp(&a[i], &c[i]), 0);
		cr_assert_eq(a[i].revoked_at, c[i].revoked_at);
		cr_assert_eq(a[i].reason, c[i].reason);
		cr_assert_eq(a[i].has_invalidity, c[i].has_invalidity);
		cr_assert_eq(a[i].invalidity, c[i].invalidity);
	}
	i = 0;

	while (i < na || j < nb) {
		int d = i == na ? 1 : j == nb ? -1 : flat_cmp(&a[i], &b[j]);

		if (d < 0) {
			removed++;
			i++;
		} else if (d > 0) {
			added++;
			j++;
		} else {
			if (a[i].reason != b[j].reason)
				reason++;
			else if (a[i].revoked_at == b[j].revoked_at &&
				 a[i].has_invalidity == b[j].has_invalidity &&
				 a[i].invalidity == b[j].invalidity)
				same++;
			else
				other++;
			cr_assert_eq(a[i].revoked_at, b[j].revoked_at);
			i++;
			j++;
		}
	}
	/* 10 % of 6000: a third gone, a third re-reasoned, a third
	 * replaced (gone and added). */
	cr_assert_eq(removed, 400);
	cr_assert_eq(added, 200);
	cr_assert_eq(reason, 200);
	cr_assert_eq(other, 0);
	cr_assert_eq(same, 6000 - 600);

	/* The mix of the base list: positive 16-octet serials, about a
	 * third without a reason, holds, ~10 % invalidity dates, spread
	 * over a year (anchored so as not to move with thisUpdate). */
	for (i = 0; i < na; i++) {
		cr_assert_eq(a[i].len, 16);
		cr_assert(a[i].serial[0] > 0 && a[i].serial[0] < 0x80);
		cr_assert(a[i].revoked_at <= 1790000000 - 3600 &&
			  a[i].revoked_at > 1790000000 - 2 * 366 * 86400);
		cr_assert(!a[i].has_invalidity ||
			  a[i].invalidity <= a[i].revoked_at);
		first = a[i].revoked_at < first ? a[i].revoked_at : first;
		last = a[i].revoked_at > last ? a[i].revoked_at : last;
		cr_assert(a[i].reason != 7);
		none += a[i].reason == CRL_REASON_ABSENT;
		hold += a[i].reason == CRL_REASON_CERTIFICATE_HOLD;
		inval += a[i].has_invalidity;
	}
	cr_assert(none > 1700 && none < 2300, "%d without a reason", none);
	cr_assert(hold > 250 && hold < 550, "%d on hold", hold);
	cr_assert(inval > 450 && inval < 750, "%d invalidity dates", inval);
	cr_assert(last - first > 360 * 86400, "times over %lld s",
		  (long long)(last - first));
	for (i = 1; i < na; i++)
		cr_assert_neq(flat_cmp(&a[i - 1], &a[i]), 0, "duplicate");

	free(a);
	free(b);
	free(c);
	free(base);
	free(next);
	free(again);
	tmpdir_remove(dir);
}
