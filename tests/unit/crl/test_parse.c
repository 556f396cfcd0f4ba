/*
 * Unit tests of src/crl/parse.c: the CRL-level fields crl_parse()
 * extracts, the entry checks of crl_iter_next(), crl_reason_name(),
 * crl_number_cmp(), and the PEM path of import_crl_file().
 *
 * CRLs come from tests/data/gencrl; a few hostile variants are cut out
 * of them by re-encoding tbsCertList (the signature is not checked by
 * crl_parse, so it need not match).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "otzyv/crl.h"
#include "otzyv/crypto.h"
#include "otzyv/import.h"
#include "otzyv/store.h"
#include "otzyv/util.h"

#define THIS_UPDATE "2026-11-01T10:00:00Z"
#define THIS_UPDATE_T INT64_C(1793527200)
#define NEXT_UPDATE "2026-11-08T10:00:00Z"
#define NEXT_UPDATE_T (THIS_UPDATE_T + 7 * 86400)

static void
setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_YES, err, sizeof(err)), "%s", err);
}

TestSuite(crl_parse, .init = setup, .timeout = 60);

/* A generated CRL, mapped and parsed. */
struct parsed {
	char *dir;
	char *path;
	struct mapfile m;
	struct crl crl;
	struct crl_error err;
	int ok;
};



/* Generates a CRL of ALG-ca with the options, then crl_parse()s it. */
static void
parse_gen(struct parsed *p, const char *alg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	memset(p, 0, sizeof(*p));
	p->dir = tmpdir_new("parse");
	p->path = strdup(path_in(p->dir, "t.crl"));
	va_start(ap, fmt);
	rc = gencrl_v(alg, p->path, fmt, ap);
	va_end(ap);
	cr_assert_eq(rc, 0, "gencrl failed");
	cr_assert_eq(mapfile_open(p->path, &p->m), 0);
	p->ok = crl_parse(p->m.data, p->m.len, &p->crl, &p->err);
}

static void
parsed_free(struct parsed *p)
{
	mapfile_close(&p->m);
	free(p->path);
	tmpdir_remove(p->dir);
}


/* All entries of p: count, and the first `cap` of them in out. */
static size_t
entries(struct parsed *p, struct crl_entry *out, size_t cap)
{
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t n = 0;
	int rc;

	crl_iter_init(&p->crl, &it);
	while ((rc = crl_iter_next(&it, &e, &err)) == 1) {
		if (n < cap)
			out[n] = e;
		n++;
	}
	cr_assert_eq(rc, 0, "crl_iter_next: %s", err.msg);
	return n;
}

/* ---- DER surgery on generated CRLs ----------------------------------- */

/* Header of the TLV at p (trusted input): its length, *len the contents. */
static size_t
tlv_head(const uint8_t *p, size_t *len)
{
	size_t n, i;

	if (p[1] < 0x80) {
		*len = p[1];
		return 2;
	}
	n = p[1] & 0x7F;
	*len = 0;
	for (i = 0; i < n; i++)
		*len = *len << 8 | p[2 + i];
	return 2 + n;
}

static size_t
put_head(uint8_t *out, uint8_t tag, size_t len)
{
	size_t n = 0, i;

	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	for (i = len; i; i >>= 8)
		n++;
	out[1] = (uint8_t)(0x80 | n);
	for (i = 0; i < n; i++)
		out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	return 2 + n;
}

/* Where tbsCertList's contents lie in a CertificateList. */
static void
locate_tbs(const uint8_t *crl, size_t *out_tbs, size_t *out_hl, size_t *out_len)
{
	size_t len, outer_hl = tlv_head(crl, &len);

	*out_tbs = outer_hl;
	*out_hl = tlv_head(crl + outer_hl, out_len);
}

/*
 * The CRL with tbsCertList's contents replaced by head[0..hn) followed
 * by the old contents from offset `from`: lengths re-encoded, the
 * signature kept (and so no longer valid).
 */
static uint8_t *
retbs(const uint8_t *crl, size_t crl_len, const uint8_t *head, size_t hn,
      size_t from, size_t *out_len)
{
	size_t tbs, hl, len, rest, body, n = 0;
	uint8_t *out = malloc(crl_len + hn + 16), h[16];

	cr_assert_not_null(out);
	locate_tbs(crl, &tbs, &hl, &len);
	cr_assert(from <= len);
	rest = crl_len - (tbs + hl + len); /* algorithm and signature */
	body = hn + (len - from);
	n = put_head(h, 0x30, body);
	n = put_head(out, 0x30, n + body + rest);
	n += put_head(out + n, 0x30, body);
	if (hn > 0)
		memcpy(out + n, head, hn);
	n += hn;
	memcpy(out + n, crl + tbs + hl + from, len - from);
	n += len - from;
	memcpy(out + n, crl + tbs + hl + len, rest);
	n += rest;
	*out_len = n;
	return out;
}

static void
assert_rejected(const uint8_t *buf, size_t len, const char *rule)
{
	struct crl crl;
	struct crl_error err;

	memset(&err, 0, sizeof(err));
	cr_assert_not(crl_parse(buf, len, &crl, &err), "accepted");
	cr_assert_not_null(strstr(err.msg, rule), "'%s' does not name '%s'",
			   err.msg, rule);
}

/* ---- fields ------------------------------------------------------------ */

Test(crl_parse, v2_fields)
{
	struct parsed p;
	struct crl_entry e[4];
	X509 *ca = load_ca("ecdsa");
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	unsigned char *subj = NULL;
	int subj_len = i2d_X509_NAME(X509_get_subject_name(ca), &subj);

	parse_gen(
	    &p, "ecdsa",
	    "--number 42 --this-update %s --next-update %s "
	    "--entry 0a,2026-10-01T00:00:00Z,keyCompromise,"
	    "2026-09-30T12:00:00Z --entry 0b --entry -0c,,certificateHold",
	    THIS_UPDATE, NEXT_UPDATE);
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(p.crl.version, 2);
	cr_assert_eq(p.crl.issuer_len, (size_t)subj_len);
	cr_assert_eq(memcmp(p.crl.issuer, subj, (size_t)subj_len), 0);
	cr_assert_eq(p.crl.this_update, THIS_UPDATE_T);
	cr_assert(p.crl.has_next_update);
	cr_assert_eq(p.crl.next_update, NEXT_UPDATE_T);
	cr_assert_eq(p.crl.number.len, 1);
	cr_assert_eq(p.crl.number.v[0], 42);
	cr_assert_eq(p.crl.aki_len, (size_t)ASN1_STRING_length(ski));
	cr_assert_eq(
	    memcmp(p.crl.aki, ASN1_STRING_get0_data(ski), p.crl.aki_len), 0);
	cr_assert_not(p.crl.is_delta);
	cr_assert_eq(p.crl.delta_base.len, 0);
	cr_assert_null(p.crl.idp);
	cr_assert_eq(p.crl.idp_only_user + p.crl.idp_only_ca +
			 p.crl.idp_only_attr + p.crl.idp_indirect +
			 p.crl.idp_some_reasons,
		     0);
	/* The pieces the signature check uses lie inside the buffer. */
	cr_assert(p.crl.tbs > p.m.data &&
		  p.crl.tbs + p.crl.tbs_len < p.m.data + p.m.len);
	cr_assert(p.crl.sig_len > 0 &&
		  p.crl.sig + p.crl.sig_len == p.m.data + p.m.len);

	cr_assert_eq(entries(&p, e, 4), 3);
	cr_assert_eq(e[0].serial_len, 1);
	cr_assert_eq(e[0].serial[0], 0x0a);
	cr_assert_eq(e[0].revoked_at, INT64_C(1790812800));
	cr_assert_eq(e[0].reason, CRL_REASON_KEY_COMPROMISE);
	cr_assert(e[0].has_invalidity);
	cr_assert_eq(e[0].invalidity, INT64_C(1790812800) - 43200);
	cr_assert_eq(e[1].reason, CRL_REASON_ABSENT);
	cr_assert_not(e[1].has_invalidity);
	cr_assert_eq(e[1].revoked_at, THIS_UPDATE_T - 3600);
	cr_assert_eq(e[2].serial_len, 1);
	cr_assert_eq(e[2].serial[0], 0xf4); /* -12 */
	cr_assert_eq(e[2].reason, CRL_REASON_CERTIFICATE_HOLD);
	cr_assert_null(e[2].cert_issuer);
	OPENSSL_free(subj);
	X509_free(ca);
	parsed_free(&p);
}

Test(crl_parse, v1_has_no_version_and_no_extensions)
{
	struct parsed p;
	struct crl_entry e[2];
	X509_CRL *x;
	const unsigned char *q;

	parse_gen(&p, "rsa",
		  "--v1 --this-update %s --entry 1,,keyCompromise,"
		  "2026-01-01T00:00:00Z --entry 2",
		  THIS_UPDATE);
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(p.crl.version, 1);
	/* The file really has no version field (OpenSSL's view). */
	q = p.m.data;
	x = d2i_X509_CRL(NULL, &q, (long)p.m.len);
	cr_assert_not_null(x);
	cr_assert_eq(X509_CRL_get_version(x), 0);
	cr_assert_eq(X509_CRL_get_ext_count(x), 0);
	X509_CRL_free(x);
	cr_assert_eq(p.crl.number.len, 0);
	cr_assert_null(p.crl.aki);
	cr_assert_null(p.crl.idp);
	cr_assert_eq(entries(&p, e, 2), 2);
	cr_assert_eq(e[0].reason, CRL_REASON_ABSENT);
	cr_assert_not(e[0].has_invalidity);
	parsed_free(&p);
}

Test(crl_parse, no_next_update)
{
	struct parsed p;

	parse_gen(&p, "ed25519", "--no-next-update --number 1 --entry 5");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_not(p.crl.has_next_update);
	cr_assert_eq(p.crl.next_update, 0);
	cr_assert_eq(entries(&p, NULL, 0), 1);
	parsed_free(&p);
}

Test(crl_parse, empty_crl)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--number 1");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(p.crl.entries_len, 0);
	cr_assert_eq(entries(&p, NULL, 0), 0);
	parsed_free(&p);
}

Test(crl_parse, idp_flags)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--idp --number 3");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_not_null(p.crl.idp);
	cr_assert(p.crl.idp_len > 0);
	/* The contents of the IDP SEQUENCE: [0] fullName first. */
	cr_assert_eq(p.crl.idp[0], 0xA0);
	cr_assert_eq(p.crl.idp_only_user, 1);
	cr_assert_eq(p.crl.idp_only_ca, 0);
	cr_assert_eq(p.crl.idp_only_attr, 0);
	cr_assert_eq(p.crl.idp_indirect, 0);
	cr_assert_eq(p.crl.idp_some_reasons, 0);
	parsed_free(&p);
}

/* OpenSSL writes IDP flags set through its API as BOOLEAN 0x01, which
 * is BER, not DER; CRLs from such CAs are read as they mean it. */
Test(crl_parse, idp_flag_ber_true)
{
	struct parsed p;
	struct crl crl;
	struct crl_error err;
	uint8_t *buf;
	size_t i, n = 0;

	parse_gen(&p, "ecdsa", "--idp --number 3");
	cr_assert(p.ok, "%s", p.err.msg);
	buf = malloc(p.m.len);
	memcpy(buf, p.m.data, p.m.len);
	/* onlyContainsUserCerts [1] IMPLICIT BOOLEAN: 81 01 FF */
	for (i = (size_t)(p.crl.idp - p.m.data); i + 2 < p.m.len; i++)
		if (buf[i] == 0x81 && buf[i + 1] == 0x01 && buf[i + 2] == 0xFF) {
			buf[i + 2] = 0x01;
			n++;
			break;
		}
	cr_assert_eq(n, 1, "no onlyContainsUserCerts TRUE in the IDP");
	cr_assert(crl_parse(buf, p.m.len, &crl, &err), "%s", err.msg);
	cr_assert_eq(crl.idp_only_user, 1);
	free(buf);
	parsed_free(&p);
}

Test(crl_parse, delta_indicator)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--delta 7 --number 8");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert(p.crl.is_delta);
	cr_assert_eq(p.crl.delta_base.len, 1);
	cr_assert_eq(p.crl.delta_base.v[0], 7);
	cr_assert_eq(p.crl.number.len, 1);
	cr_assert_eq(p.crl.number.v[0], 8);
	parsed_free(&p);
}

Test(crl_parse, aki_absent)
{
	struct parsed p;

	parse_gen(&p, "gost256", "--no-aki --number 1");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_null(p.crl.aki);
	cr_assert_eq(p.crl.aki_len, 0);
	cr_assert_eq(p.crl.number.len, 1);
	parsed_free(&p);
}

/* CRL numbers at the RFC 5280 5.2.3 limit of 20 octets, and past it. */
struct number_case {
	const char *arg;
	int ok;
	size_t len;    /* DER contents octets */
	uint8_t first; /* their first octet */
};

Test(crl_parse, crl_number_limits)
{
	static const struct number_case cases[] = {
	    {"0", 1, 1, 0x00},
	    {"127", 1, 1, 0x7f},
	    {"128", 1, 2, 0x00},
	    {"0xffff", 1, 3, 0x00},
	    /* 20 octets */
	    {"0x7f0102030405060708090a0b0c0d0e0f10111213", 1, 20, 0x7f},
	    /* 2^160 - 1: 20 octets of value, 21 with the sign octet */
	    {"0xffffffffffffffffffffffffffffffffffffffff", 1, 21, 0x00},
	    /* 21 octets of value */
	    {"0x010102030405060708090a0b0c0d0e0f1011121314", 0, 0, 0},
	    {"0x80000000000000000000000000000000000000000000", 0, 0, 0},
	    {"-1", 0, 0, 0},
	    {"-0x80", 0, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct number_case *nc = &cases[i];
		struct parsed p;

		parse_gen(&p, "ecdsa", "--number %s", nc->arg);
		if (nc->ok) {
			cr_assert(p.ok, "%s: %s", nc->arg, p.err.msg);
			cr_assert_eq(p.crl.number.len, nc->len, "%s: %u",
				     nc->arg, p.crl.number.len);
			cr_assert_eq(p.crl.number.v[0], nc->first, "%s",
				     nc->arg);
		} else {
			cr_assert_not(p.ok, "%s accepted", nc->arg);
			cr_assert_not_null(strstr(p.err.msg, "RFC 5280 5.2.3"),
					   "%s: %s", nc->arg, p.err.msg);
		}
		parsed_free(&p);
	}
}

Test(crl_parse, delta_base_limits)
{
	struct parsed p;

	parse_gen(&p, "ecdsa",
		  "--number 1 --delta 0x010102030405060708090a0b0c0d0e0f10111"
		  "21314");
	cr_assert_not(p.ok);
	cr_assert_not_null(strstr(p.err.msg, "RFC 5280 5.2.4"), "%s",
			   p.err.msg);
	parsed_free(&p);
}

/* ---- entries ----------------------------------------------------------- */

Test(crl_parse, entry_reason_codes)
{
	static const int codes[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10};
	struct parsed p;
	struct crl_entry e[16];
	char args[1024];
	size_t i, n = 0;

	n += (size_t)snprintf(args + n, sizeof(args) - n, "--number 1");
	for (i = 0; i < 10; i++)
		n += (size_t)snprintf(args + n, sizeof(args) - n,
				      " --entry %zx,,%s", i + 1,
				      crl_reason_name(codes[i]));
	n += (size_t)snprintf(args + n, sizeof(args) - n, " --entry ff,,none");
	parse_gen(&p, "ecdsa", "%s", args);
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(entries(&p, e, 16), 11);
	for (i = 0; i < 10; i++)
		cr_assert_eq(e[i].reason, codes[i], "entry %zu", i);
	cr_assert_eq(e[10].reason, CRL_REASON_ABSENT);
	parsed_free(&p);
}

/* Checks the entry at index `bad` fails with `rule`, those before pass. */
static void
assert_entry_rejected(struct parsed *p, size_t bad, const char *rule)
{
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t i;

	cr_assert(p->ok, "%s", p->err.msg);
	crl_iter_init(&p->crl, &it);
	for (i = 0; i < bad; i++)
		cr_assert_eq(crl_iter_next(&it, &e, &err), 1, "%s", err.msg);
	cr_assert_eq(crl_iter_next(&it, &e, &err), -1);
	cr_assert_not_null(strstr(err.msg, rule), "'%s' does not name '%s'",
			   err.msg, rule);
}

Test(crl_parse, reason_7_rejected)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--number 1 --entry 1,,6 --entry 2,,7");
	assert_entry_rejected(&p, 1, "RFC 5280 5.3.1");
	parsed_free(&p);
}

Test(crl_parse, serial_length_limit)
{
	struct parsed p;
	char hex[2 * (MAX_SERIAL_LEN + 1) + 1];
	size_t i;

	/* MAX_SERIAL_LEN octets pass, one more fails. */
	for (i = 0; i < 2 * MAX_SERIAL_LEN; i++)
		hex[i] = i == 0 ? '7' : 'f';
	hex[i] = '\0';
	parse_gen(&p, "ecdsa", "--number 1 --entry %s --entry 1%s", hex, hex);
	assert_entry_rejected(&p, 1, "RFC 5280 4.1.2.2");
	parsed_free(&p);
}

Test(crl_parse, unknown_critical_entry_extension)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--number 1 --entry 1 --entry-crit-ext");
	assert_entry_rejected(&p, 0, "RFC 5280 5.3:");
	parsed_free(&p);
}

Test(crl_parse, certificate_issuer_is_reported)
{
	struct parsed p;
	struct crl_entry e[2];

	/* Parsed (import refuses it; see test_reject.c). */
	parse_gen(&p, "ecdsa", "--number 1 --entry 1 --entry 2 --cert-issuer");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(entries(&p, e, 2), 2);
	cr_assert_not_null(e[0].cert_issuer);
	cr_assert_eq(e[0].cert_issuer[0], 0x30);
	cr_assert_null(e[1].cert_issuer);
	parsed_free(&p);
}

Test(crl_parse, entry_at_offsets)
{
	struct parsed p;
	struct crl_iter it;
	struct crl_entry e, again;
	struct crl_error err;
	size_t n = 0;

	parse_gen(&p, "ecdsa", "--number 1 --random 50 --seed 9");
	cr_assert(p.ok, "%s", p.err.msg);
	crl_iter_init(&p.crl, &it);
	while (crl_iter_next(&it, &e, &err) == 1) {
		cr_assert(crl_entry_at(&p.crl, e.offset, &again, &err), "%s",
			  err.msg);
		cr_assert_eq(again.serial, e.serial);
		cr_assert_eq(again.revoked_at, e.revoked_at);
		cr_assert_eq(again.reason, e.reason);
		cr_assert_eq(again.has_invalidity, e.has_invalidity);
		n++;
	}
	cr_assert_eq(n, 50);
	/* Offsets outside the list are refused. */
	cr_assert_not(crl_entry_at(&p.crl, 0, &again, &err));
	cr_assert_not(crl_entry_at(&p.crl, p.m.len, &again, &err));
	parsed_free(&p);
}

/* ---- hostile variants ---------------------------------------------------- */

Test(crl_parse, version_field)
{
	struct parsed p;
	uint8_t *buf, *cut;
	size_t tbs, hl, len, n;
	static const uint8_t v1[] = {0x02, 0x01, 0x00};
	static const uint8_t v3[] = {0x02, 0x01, 0x02};

	parse_gen(&p, "ecdsa", "--number 1 --entry 1,,keyCompromise");
	cr_assert(p.ok, "%s", p.err.msg);
	locate_tbs(p.m.data, &tbs, &hl, &len);
	cr_assert_eq(memcmp(p.m.data + tbs + hl, "\x02\x01\x01", 3), 0);
	/* An explicit v1 is not DER (DEFAULT omitted); v3 does not exist. */
	buf = retbs(p.m.data, p.m.len, v1, 3, 3, &n);
	assert_rejected(buf, n, "RFC 5280 5.1.2.1");
	free(buf);
	buf = retbs(p.m.data, p.m.len, v3, 3, 3, &n);
	assert_rejected(buf, n, "RFC 5280 5.1.2.1");
	free(buf);
	/* Without the version, crlExtensions are not allowed (v1). */
	cut = retbs(p.m.data, p.m.len, NULL, 0, 3, &n);
	assert_rejected(cut, n, "extensions in a v1 CRL");
	free(cut);
	parsed_free(&p);
}

Test(crl_parse, v1_with_entry_extensions)
{
	struct parsed p;
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	uint8_t *cut;
	size_t n;

	/* No CRL extensions at all, one entry extension. */
	parse_gen(&p, "ecdsa", "--no-aki --entry 1,,keyCompromise");
	cr_assert(p.ok, "%s", p.err.msg);
	cr_assert_eq(p.crl.version, 2);
	cut = retbs(p.m.data, p.m.len, NULL, 0, 3, &n);
	cr_assert(crl_parse(cut, n, &crl, &err), "%s", err.msg);
	cr_assert_eq(crl.version, 1);
	crl_iter_init(&crl, &it);
	cr_assert_eq(crl_iter_next(&it, &e, &err), -1);
	cr_assert_not_null(strstr(err.msg, "entry extensions in a v1 CRL"),
			   "%s", err.msg);
	free(cut);
	parsed_free(&p);
}

Test(crl_parse, outer_and_inner_algorithm_differ)
{
	struct parsed p;
	uint8_t *buf;
	size_t tbs, hl, len, alg, ahl, alen, ohl, olen;

	parse_gen(&p, "ecdsa", "--number 1");
	cr_assert(p.ok, "%s", p.err.msg);
	buf = malloc(p.m.len);
	memcpy(buf, p.m.data, p.m.len);
	locate_tbs(buf, &tbs, &hl, &len);
	alg = tbs + hl + len;
	ahl = tlv_head(buf + alg, &alen);
	cr_assert_eq(buf[alg + ahl], 0x06);
	ohl = tlv_head(buf + alg + ahl, &olen);
	/* ecdsa-with-SHA256 (1.2.840.10045.4.3.2) -> ...4.3.3 (SHA384) */
	cr_assert_eq(buf[alg + ahl + ohl + olen - 1], 0x02);
	buf[alg + ahl + ohl + olen - 1] = 0x03;
	assert_rejected(buf, p.m.len, "RFC 5280 5.1.1.2");
	free(buf);
	parsed_free(&p);
}

Test(crl_parse, unknown_critical_crl_extension)
{
	struct parsed p;

	parse_gen(&p, "ecdsa", "--number 1 --crit-ext");
	cr_assert_not(p.ok);
	cr_assert_not_null(strstr(p.err.msg, "RFC 5280 5.2:"), "%s", p.err.msg);
	cr_assert_not_null(strstr(p.err.msg, "1.3.6.1.4.1.99999.1"), "%s",
			   p.err.msg);
	parsed_free(&p);
}

Test(crl_parse, not_a_crl)
{
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t empty_seq[] = {0x30, 0x00};
	struct crl crl;
	struct crl_error err;

	cr_assert_not(crl_parse((const uint8_t *)"", 0, &crl, &err));
	cr_assert_not_null(strstr(err.msg, "RFC 5280 5.1"), "%s", err.msg);
	cr_assert_not(crl_parse(empty_seq, sizeof(empty_seq), &crl, &err));
	cr_assert_not(crl_parse(junk, sizeof(junk), &crl, &err));
	cr_assert_not(crl_parse((const uint8_t *)"-----BEGIN X509 CRL-----", 24,
				&crl, &err));
}

/* ---- tables ----------------------------------------------------------------
 */

Test(crl_parse, reason_names)
{
	static const char *const want[] = {
	    "unspecified",     "keyCompromise",
	    "cACompromise",    "affiliationChanged",
	    "superseded",      "cessationOfOperation",
	    "certificateHold", NULL,
	    "removeFromCRL",   "privilegeWithdrawn",
	    "aACompromise",
	};
	int r;

	for (r = 0; r <= 10; r++) {
		const char *got = crl_reason_name(r);

		if (want[r] == NULL)
			cr_assert_null(got, "reason %d: %s", r, got);
		else
			cr_assert_str_eq(got, want[r], "reason %d", r);
	}
	cr_assert_null(crl_reason_name(CRL_REASON_ABSENT));
	cr_assert_null(crl_reason_name(-2));
	cr_assert_null(crl_reason_name(11));
	cr_assert_null(crl_reason_name(255));
	cr_assert_str_eq(crl_reason_name(CRL_REASON_CERTIFICATE_HOLD),
			 "certificateHold");
}

static struct crl_number
num(const char *hex)
{
	struct crl_number n;
	long len;

	memset(&n, 0, sizeof(n));
	len = hex_decode(hex, n.v, sizeof(n.v));
	cr_assert(len > 0, "%s", hex);
	n.len = (uint8_t)len;
	return n;
}

Test(crl_parse, number_cmp)
{
	/* Ascending DER contents of non-negative INTEGERs. */
	static const char *const asc[] = {
	    "00",
	    "01",
	    "7f",
	    "0080",
	    "00ff",
	    "0100",
	    "7fff",
	    "008000",
	    "0102030405060708090a0b0c0d0e0f1011121314",
	    "7fffffffffffffffffffffffffffffffffffffff",
	    "0080"
	    "00000000000000000000000000000000000000",
	    "00ffffffffffffffffffffffffffffffffffffffff",
	};
	size_t n = sizeof(asc) / sizeof(asc[0]), i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			struct crl_number a = num(asc[i]), b = num(asc[j]);
			int want = i < j ? -1 : i > j ? 1 : 0;

			cr_assert_eq(crl_number_cmp(&a, &b), want,
				     "cmp(%s, %s)", asc[i], asc[j]);
		}
	}
}

/* ---- PEM through import_crl_file -------------------------------------------
 */

struct pem_ctx {
	char *dir;
	struct store *s;
	X509 *ca;
	int64_t now;
};

static void
pem_open(struct pem_ctx *c, const char *store)
{
	cr_assert_eq(
	    store_open(path_in(c->dir, store), (size_t)64 << 20, 1, &c->s),
	    STORE_OK);
}

static enum import_status
pem_import(struct pem_ctx *c, const char *path, struct import_result *res)
{
	struct import_opts o;

	memset(&o, 0, sizeof(o));
	o.issuer = c->ca;
	o.now = c->now;
	return import_crl_file(c->s, path, &o, res);
}

Test(crl_parse, pem_import_matches_der)
{
	struct pem_ctx c;
	struct import_result res;
	char *der, *pem, *spaced;
	uint8_t *text;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.dir = tmpdir_new("pem");
	c.now = clock_now();
	c.ca = load_ca("rsa");
	der = strdup(path_in(c.dir, "c.der"));
	pem = strdup(path_in(c.dir, "c.pem"));
	spaced = strdup(path_in(c.dir, "spaced.pem"));
	/* RSA PKCS#1 v1.5 is deterministic: the same CRL twice. */
#define PEM_ARGS                                                               \
	"--number 77 --this-update @%lld --entry 1,,keyCompromise "            \
	"--entry 2 --entry 3,,6"
	cr_assert_eq(gencrl("rsa", der, PEM_ARGS, (long long)(c.now - 60)), 0);
	cr_assert_eq(
	    gencrl("rsa", pem, "--pem " PEM_ARGS, (long long)(c.now - 60)), 0);
	text = read_file(pem, &len);
	cr_assert_not_null(text);
	cr_assert_eq(memcmp(text, "-----BEGIN X509 CRL-----", 24), 0);

	/* PEM first: imported with the CRL's fields. */
	pem_open(&c, "s1");
	cr_assert_eq(pem_import(&c, pem, &res), IMPORT_OK, "%s", res.msg);
	cr_assert_eq(res.number.len, 1);
	cr_assert_eq(res.number.v[0], 77);
	cr_assert_eq(res.this_update, c.now - 60);
	cr_assert_eq(res.entries, 3);
	/* The DER of the same CRL is the stored one: the PEM path hashed
	 * the decoded DER. */
	cr_assert_eq(pem_import(&c, der, &res), IMPORT_UNCHANGED, "%s",
		     res.msg);
	cr_assert_eq(pem_import(&c, pem, &res), IMPORT_UNCHANGED, "%s",
		     res.msg);
	store_close(c.s);

	/* Leading blank lines before the PEM header are fine. */
	{
		FILE *f = fopen(spaced, "wb");

		cr_assert_not_null(f);
		fputs("\n\r\n  \t\n", f);
		fwrite(text, 1, len, f);
		cr_assert_eq(fclose(f), 0);
	}
	pem_open(&c, "s2");
	cr_assert_eq(pem_import(&c, spaced, &res), IMPORT_OK, "%s", res.msg);
	cr_assert_eq(res.entries, 3);
	/* A certificate in PEM is not a CRL. */
	cr_assert_eq(pem_import(&c, path_in(test_pki(), "rsa-ca.pem"), &res),
		     IMPORT_REJECTED, "%s", res.msg);
	store_close(c.s);

	free(text);
	free(der);
	free(pem);
	free(spaced);
	X509_free(c.ca);
	tmpdir_remove(c.dir);
}

Test(crl_parse, pem_truncated_rejected)
{
	struct pem_ctx c;
	struct import_result res;
	char *pem;
	uint8_t *text;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.dir = tmpdir_new("pem");
	c.now = clock_now();
	c.ca = load_ca("ecdsa");
	pem = strdup(path_in(c.dir, "c.pem"));
	cr_assert_eq(gencrl("ecdsa", pem, "--pem --number 1 --entry 1"), 0);
	text = read_file(pem, &len);
	cr_assert_not_null(text);
	/* Without its END line the PEM does not decode. */
	cr_assert(write_file(pem, text, len - 30));
	pem_open(&c, "s");
	cr_assert_eq(pem_import(&c, pem, &res), IMPORT_REJECTED, "%s", res.msg);
	store_close(c.s);
	free(text);
	free(pem);
	X509_free(c.ca);
	tmpdir_remove(c.dir);
}
