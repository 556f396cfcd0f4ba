/*
 * Unit tests of src/ocsp/request.c: ocsp_request_parse() and
 * ocsp_error_response().
 *
 * Real requests come from `openssl ocsp -reqout` over the test PKI
 * (GOST hashes through an OPENSSL_CONF that loads the gost engine, since
 * `openssl ocsp` has no -engine option); every field we parse is compared
 * with what OpenSSL's d2i_OCSP_REQUEST reports, and the CertID hashes are
 * recomputed from the issuer certificate.
 *
 * Hostile inputs are built by hand with a small DER writer below, in
 * tables giving each one's expected outcome and the rule its rejection
 * must name. Inputs are parsed from exactly-sized heap copies, so a read
 * one byte past the end is caught by the sanitizer build.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "common.h"
#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "otzyv/ocsp.h"

static void
setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_YES, err, sizeof(err)), "%s", err);
}

TestSuite(ocsp_request, .init = setup, .timeout = 120);

/* ---- helpers ----------------------------------------------------------- */

/* buf[0..len) in a heap block of exactly len bytes (1 when len is 0). */
static uint8_t *
exact_copy(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	cr_assert_not_null(p);
	if (len)
		memcpy(p, buf, len);
	return p;
}

/* ocsp_request_parse on an exact copy; the copy is kept in *keep for
 * the caller to free (pointers in out point into it). */
static int
parse_copy(const uint8_t *buf, size_t len, size_t max, struct ocsp_request *out,
	   char *why, size_t whylen, uint8_t **keep)
{
	uint8_t *c = exact_copy(buf, len);
	int ok;

	memset(why, 'X', whylen);
	ok = ocsp_request_parse(len ? c : NULL, len, max, out, why, whylen);
	/* The result is 0 or 1, and on failure nothing is left half set. */
	cr_assert(ok == 0 || ok == 1);
	if (!ok) {
		cr_assert_eq(out->n, 0);
		cr_assert_null(out->nonce);
		cr_assert_eq(out->nonce_len, 0);
		cr_assert(memchr(why, '\0', whylen) != NULL &&
			      why[0] != '\0',
			  "a rejection without a message");
	} else {
		cr_assert_eq(why[0], '\0');
	}
	*keep = c;
	return ok;
}

/* INTEGER contents of an ASN1_INTEGER, as DER writes them. */
static size_t
integer_contents(const ASN1_INTEGER *a, uint8_t *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = i2d_ASN1_INTEGER(a, &der);
	size_t hl;

	cr_assert_gt(n, 2);
	hl = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7F);
	cr_assert_leq((size_t)n - hl, cap);
	memcpy(out, der + hl, (size_t)n - hl);
	OPENSSL_free(der);
	return (size_t)n - hl;
}

static int
inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p != NULL && p >= buf && p <= buf + len &&
	       n <= (size_t)(buf + len - p);
}

/*
 * Everything ocsp_request_parse() gave for buf equals what OpenSSL's own
 * decoder finds: the number of single requests, each CertID's hash
 * algorithm, hashes, serial and exact bytes, and the nonce extnValue.
 */
static void
check_against_openssl(const uint8_t *buf, size_t len,
		      const struct ocsp_request *r)
{
	const unsigned char *p = buf;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	const uint8_t *prev_end = buf;
	int i, idx;

	cr_assert_not_null(req, "OpenSSL cannot decode the request");
	cr_assert_eq(p, buf + len);
	cr_assert_eq((size_t)OCSP_request_onereq_count(req), r->n);
	for (i = 0; i < OCSP_request_onereq_count(req); i++) {
		OCSP_CERTID *cid =
		    OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		const struct ocsp_certid *id = &r->ids[i];
		ASN1_OCTET_STRING *nh, *kh;
		ASN1_OBJECT *md;
		ASN1_INTEGER *sn;
		unsigned char *cd = NULL;
		uint8_t serial[MAX_SERIAL_LEN + 8];
		size_t sl;
		int cl;

		cr_assert(OCSP_id_get0_info(&nh, &md, &kh, &sn, cid));
		cr_assert_eq(id->alg, crypto_hash_from_nid(OBJ_obj2nid(md)),
			     "request %d: hash algorithm", i);
		cr_assert_eq(id->hash_len, (size_t)ASN1_STRING_length(nh));
		cr_assert_eq(id->hash_len, (size_t)ASN1_STRING_length(kh));
		cr_assert_arr_eq(id->name_hash, ASN1_STRING_get0_data(nh),
				 id->hash_len);
		cr_assert_arr_eq(id->key_hash, ASN1_STRING_get0_data(kh),
				 id->hash_len);
		sl = integer_contents(sn, serial, sizeof(serial));
		cr_assert_eq(id->serial_len, sl, "request %d: serial length",
			     i);
		cr_assert_arr_eq(id->serial, serial, sl);
		/* raw is the CertID as it stands in the input. */
		cl = i2d_OCSP_CERTID(cid, &cd);
		cr_assert_gt(cl, 0);
		cr_assert_eq(id->raw_len, (size_t)cl);
		cr_assert_arr_eq(id->raw, cd, (size_t)cl);
		OPENSSL_free(cd);
		cr_assert(inside(id->raw, id->raw_len, buf, len));
		cr_assert_geq(id->raw, prev_end, "CertIDs out of order");
		prev_end = id->raw + id->raw_len;
		cr_assert(inside(id->name_hash, id->hash_len, id->raw,
				 id->raw_len));
		cr_assert(inside(id->key_hash, id->hash_len, id->raw,
				 id->raw_len));
		cr_assert(inside(id->serial, id->serial_len, id->raw,
				 id->raw_len));
	}
	idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	if (idx < 0) {
		cr_assert_null(r->nonce);
		cr_assert_eq(r->nonce_len, 0);
	} else {
		ASN1_OCTET_STRING *d =
		    X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, idx));

		cr_assert_not_null(r->nonce);
		cr_assert_eq(r->nonce_len, (size_t)ASN1_STRING_length(d));
		cr_assert_arr_eq(r->nonce, ASN1_STRING_get0_data(d),
				 r->nonce_len);
		cr_assert(inside(r->nonce, r->nonce_len, buf, len));
	}
	OCSP_REQUEST_free(req);
}

/* The CertID's hashes are those of the issuer CA's name and key
 * (RFC 6960 4.1.1), recomputed here with crypto_hash(). */
static void
check_issuer(const struct ocsp_certid *id, const char *ca_pem)
{
	X509 *ca = load_cert(ca_pem);
	unsigned char *name = NULL;
	const uint8_t *bits;
	size_t bits_len, n;
	uint8_t h[HASH_MAX_LEN];
	int nl = i2d_X509_NAME(X509_get_subject_name(ca), &name);

	cr_assert_gt(nl, 0);
	n = crypto_hash(id->alg, name, (size_t)nl, h);
	cr_assert_eq(n, id->hash_len, "%s: hash of %zu octets, CertID has %zu",
		     ca_pem, n, id->hash_len);
	cr_assert_arr_eq(id->name_hash, h, n, "%s: issuerNameHash", ca_pem);
	cr_assert(crypto_spki_bits(ca, &bits, &bits_len));
	n = crypto_hash(id->alg, bits, bits_len, h);
	cr_assert_arr_eq(id->key_hash, h, n, "%s: issuerKeyHash", ca_pem);
	OPENSSL_free(name);
	X509_free(ca);
}

/* ---- requests made by `openssl ocsp` ------------------------------------ */

struct req {
	char *dir;
	uint8_t *buf; /* exactly len bytes */
	size_t len;
	struct ocsp_request r;
	char why[256];
	int ok;
};

/* `openssl ocsp ARGS -reqout` run in the test PKI's folder, with the
 * gost engine loaded through a config file. The request is parsed with
 * at most max single requests. */
static void
make_req_max(struct req *q, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
make_req_max(struct req *q, size_t max, const char *fmt, ...)
{
	static const char conf[] = "openssl_conf = openssl_def\n"
				   "[openssl_def]\n"
				   "engines = engine_section\n"
				   "[engine_section]\n"
				   "gost = gost_section\n"
				   "[gost_section]\n"
				   "engine_id = gost\n"
				   "default_algorithms = ALL\n";
	va_list ap;
	char *args;
	uint8_t *file;
	int rc;

	memset(q, 0, sizeof(*q));
	q->dir = tmpdir_new("ocsp");
	cr_assert(write_file(path_in(q->dir, "gost.cnf"), conf,
			     sizeof(conf) - 1));
	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	rc = run("cd '%s' && OPENSSL_CONF='%s/gost.cnf' openssl ocsp %s "
		 "-reqout '%s/req.der' >/dev/null",
		 test_pki(), q->dir, args, q->dir);
	cr_assert_eq(rc, 0, "openssl ocsp %s failed", args);
	free(args);
	file = read_file(path_in(q->dir, "req.der"), &q->len);
	cr_assert_not_null(file);
	q->buf = exact_copy(file, q->len);
	free(file);
	memset(q->why, 'X', sizeof(q->why));
	q->ok = ocsp_request_parse(q->buf, q->len, max, &q->r, q->why,
				   sizeof(q->why));
}

#define make_req(q, ...) make_req_max(q, OCSP_MAX_SINGLE, __VA_ARGS__)

static void
req_free(struct req *q)
{
	free(q->buf);
	tmpdir_remove(q->dir);
}

static const uint8_t SERIAL_1001[] = {0x10, 0x01};

/* One CertID of ALG-leaf.pem by ALG-ca.pem with hash `alg`, no nonce. */
static void
one_cert(const char *ca, const char *digest, enum hash_alg alg, size_t hlen)
{
	struct req q;

	make_req(&q, "-issuer %s-ca.pem %s -cert %s-leaf.pem -no_nonce", ca,
		 digest, ca);
	cr_assert(q.ok, "%s", q.why);
	cr_assert_eq(q.r.n, 1);
	cr_assert_eq(q.r.ids[0].alg, alg);
	cr_assert_eq(q.r.ids[0].hash_len, hlen);
	cr_assert_eq(q.r.ids[0].serial_len, 2);
	cr_assert_arr_eq(q.r.ids[0].serial, SERIAL_1001, 2);
	cr_assert_null(q.r.nonce);
	/* openssl ocsp writes the whole input as one CertID in one
	 * Request in one list: OCSPRequest, tbsRequest, list, Request. */
	cr_assert_eq(q.r.ids[0].raw[0], 0x30);
	check_against_openssl(q.buf, q.len, &q.r);
	{
		char ca_pem[64];

		snprintf(ca_pem, sizeof(ca_pem), "%s-ca.pem", ca);
		check_issuer(&q.r.ids[0], ca_pem);
	}
	req_free(&q);
}

Test(ocsp_request, openssl_sha1)
{
	one_cert("rsa", "", HASH_SHA1, 20);
}

Test(ocsp_request, openssl_sha256)
{
	one_cert("ecdsa", "-sha256", HASH_SHA256, 32);
}

Test(ocsp_request, openssl_sha384)
{
	one_cert("rsa", "-sha384", HASH_SHA384, 48);
}

Test(ocsp_request, openssl_sha512)
{
	one_cert("ed25519", "-sha512", HASH_SHA512, 64);
}

Test(ocsp_request, openssl_streebog256)
{
	one_cert("gost256", "-md_gost12_256", HASH_STREEBOG256, 32);
}

Test(ocsp_request, openssl_streebog512)
{
	one_cert("gost512", "-md_gost12_512", HASH_STREEBOG512, 64);
}

Test(ocsp_request, openssl_gost94)
{
	one_cert("gost256", "-md_gost94", HASH_GOST94, 32);
}

Test(ocsp_request, openssl_nonce)
{
	struct req q;

	make_req(&q, "-issuer rsa-ca.pem -sha256 -cert rsa-leaf.pem -nonce");
	cr_assert(q.ok, "%s", q.why);
	/* openssl's nonce: 16 random octets in an OCTET STRING. */
	cr_assert_eq(q.r.nonce_len, 18);
	cr_assert_eq(q.r.nonce[0], 0x04);
	cr_assert_eq(q.r.nonce[1], 16);
	check_against_openssl(q.buf, q.len, &q.r);
	req_free(&q);
}

/* Several issuers, hashes and serials in one request, in order. */
Test(ocsp_request, openssl_several)
{
	static const struct {
		enum hash_alg alg;
		const char *ca;
		uint8_t serial[21];
		size_t serial_len;
	} want[] = {
	    {HASH_SHA1, "rsa-ca.pem", {0x10, 0x01}, 2},
	    {HASH_SHA256, "rsa-ca.pem", {0xFB}, 1},
	    {HASH_SHA256, "rsa-ca.pem", {0x00}, 1},
	    {HASH_SHA256, "rsa-ca.pem", {0x00, 0x80}, 2},
	    {HASH_SHA256,
	     "rsa-ca.pem",
	     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
	      19, 20},
	     20},
	    {HASH_SHA512, "ecdsa-ca.pem", {0x10, 0x01}, 2},
	    {HASH_STREEBOG256, "gost256-ca.pem", {0x10, 0x01}, 2},
	    {HASH_STREEBOG512, "gost512-ca.pem", {0x10, 0x01}, 2},
	};
	struct req q;
	size_t i;

	make_req(&q, "-issuer rsa-ca.pem -cert rsa-leaf.pem "
		     "-sha256 -serial -5 -serial 0 -serial 0x80 "
		     "-serial 0x0102030405060708090A0B0C0D0E0F1011121314 "
		     "-sha512 -issuer ecdsa-ca.pem -cert ecdsa-leaf.pem "
		     "-md_gost12_256 -issuer gost256-ca.pem "
		     "-cert gost256-leaf.pem "
		     "-md_gost12_512 -issuer gost512-ca.pem "
		     "-cert gost512-leaf.pem -nonce");
	cr_assert(q.ok, "%s", q.why);
	cr_assert_eq(q.r.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < q.r.n; i++) {
		cr_assert_eq(q.r.ids[i].alg, want[i].alg, "request %zu", i);
		cr_assert_eq(q.r.ids[i].serial_len, want[i].serial_len,
			     "request %zu", i);
		cr_assert_arr_eq(q.r.ids[i].serial, want[i].serial,
				 want[i].serial_len, "request %zu", i);
		check_issuer(&q.r.ids[i], want[i].ca);
	}
	cr_assert_not_null(q.r.nonce);
	check_against_openssl(q.buf, q.len, &q.r);
	req_free(&q);
}

/* A signed request: requestorName and optionalSignature with certs. */
Test(ocsp_request, openssl_signed)
{
	struct req q;
	X509 *leaf = load_cert("rsa-leaf.pem");
	unsigned char *der = NULL;
	int dl = i2d_X509(leaf, &der);
	const unsigned char *p;
	OCSP_REQUEST *req;

	make_req(&q, "-issuer rsa-ca.pem -cert rsa-leaf.pem -nonce "
		     "-signer rsa-leaf.pem -signkey rsa-leaf.key");
	cr_assert(q.ok, "%s", q.why);
	cr_assert_eq(q.r.n, 1);
	check_against_openssl(q.buf, q.len, &q.r);
	/* It is signed and carries the signer's certificate. */
	p = q.buf;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)q.len);
	cr_assert(OCSP_request_is_signed(req));
	cr_assert_gt(dl, 0);
	cr_assert_not_null(memmem(q.buf, q.len, der, (size_t)dl));
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	X509_free(leaf);
	req_free(&q);
}

/* serial arguments 1..n for openssl ocsp. */
static char *
serials(size_t n)
{
	char *s = calloc(n, 16);
	size_t i, used = 0;

	cr_assert_not_null(s);
	for (i = 1; i <= n; i++)
		used += (size_t)sprintf(s + used, " -serial %zu", i);
	return s;
}

Test(ocsp_request, openssl_max_single)
{
	struct req q;
	char *s64 = serials(OCSP_MAX_SINGLE),
	     *s65 = serials(OCSP_MAX_SINGLE + 1);

	make_req(&q, "-issuer rsa-ca.pem %s", s64);
	cr_assert(q.ok, "%s", q.why);
	cr_assert_eq(q.r.n, OCSP_MAX_SINGLE);
	cr_assert_eq(q.r.ids[OCSP_MAX_SINGLE - 1].serial[0], OCSP_MAX_SINGLE);
	check_against_openssl(q.buf, q.len, &q.r);
	req_free(&q);

	/* The caller's lower ceiling. */
	make_req_max(&q, OCSP_MAX_SINGLE - 1, "-issuer rsa-ca.pem %s", s64);
	cr_assert_not(q.ok);
	cr_assert(strstr(q.why, "more than 63 single requests"), "%s", q.why);
	req_free(&q);

	/* One over OCSP_MAX_SINGLE, even when the caller allows more. */
	make_req(&q, "-issuer rsa-ca.pem %s", s65);
	cr_assert_not(q.ok);
	cr_assert(strstr(q.why, "more than 64 single requests"), "%s", q.why);
	req_free(&q);
	make_req_max(&q, 1000, "-issuer rsa-ca.pem %s", s65);
	cr_assert_not(q.ok);
	cr_assert(strstr(q.why, "more than 64 single requests"), "%s", q.why);
	cr_assert_eq(q.r.n, 0);
	req_free(&q);
	free(s64);
	free(s65);
}

/* Every proper prefix of a rich real request is refused, with a reason,
 * without reading past its end (exact heap copies; see ASan build). */
Test(ocsp_request, openssl_truncated_everywhere)
{
	struct req q;
	struct ocsp_request r;
	char why[256];
	size_t k;

	make_req(&q, "-issuer rsa-ca.pem -cert rsa-leaf.pem -sha256 "
		     "-serial 0x80 -issuer gost256-ca.pem -md_gost12_256 "
		     "-cert gost256-leaf.pem -nonce "
		     "-signer rsa-leaf.pem -signkey rsa-leaf.key");
	cr_assert(q.ok, "%s", q.why);
	cr_assert_eq(q.r.n, 3);
	for (k = 0; k < q.len; k++) {
		uint8_t *keep;

		cr_assert_not(parse_copy(q.buf, k, OCSP_MAX_SINGLE, &r, why,
					 sizeof(why), &keep),
			      "prefix of %zu of %zu octets accepted", k,
			      q.len);
		free(keep);
	}
	req_free(&q);
}

/* ---- a DER writer for hand-built inputs ----------------------------------- */

struct b {
	const uint8_t *p;
	size_t n;
};

/* Each test runs in its own process: one arena per test is enough. */
static uint8_t arena[1 << 20];
static size_t arena_used;

static uint8_t *
alloc(size_t n)
{
	uint8_t *p;

	cr_assert_leq(n, sizeof(arena) - arena_used, "DER arena full");
	p = arena + arena_used;
	arena_used += n;
	return p;
}

static struct b
rep(uint8_t byte, size_t n)
{
	uint8_t *p = alloc(n);

	memset(p, byte, n);
	return (struct b){p, n};
}

static struct b
hex(const char *h)
{
	size_t n = 0;
	uint8_t *p = alloc(strlen(h) / 2);
	unsigned v;

	while (*h) {
		if (*h == ' ') {
			h++;
			continue;
		}
		cr_assert(sscanf(h, "%2x", &v) == 1, "bad hex %s", h);
		p[n++] = (uint8_t)v;
		h += 2;
	}
	return (struct b){p, n};
}

static struct b
catv(size_t k, const struct b *parts)
{
	size_t i, n = 0;
	uint8_t *p;

	for (i = 0; i < k; i++)
		n += parts[i].n;
	p = alloc(n);
	n = 0;
	for (i = 0; i < k; i++) {
		if (parts[i].n)
			memcpy(p + n, parts[i].p, parts[i].n);
		n += parts[i].n;
	}
	return (struct b){p, n};
}

#define CAT(...)                                                               \
	catv(sizeof((struct b[]){__VA_ARGS__}) / sizeof(struct b),             \
	     (struct b[]){__VA_ARGS__})

static const struct b NONE = {NULL, 0};

/* A TLV with a minimal (DER) length. */
static struct b
tlv(uint8_t tag, struct b v)
{
	uint8_t h[10];
	size_t hn = 0, i, k = 0;

	h[hn++] = tag;
	if (v.n < 0x80) {
		h[hn++] = (uint8_t)v.n;
	} else {
		for (i = v.n; i; i >>= 8)
			k++;
		h[hn++] = (uint8_t)(0x80 | k);
		for (i = 0; i < k; i++)
			h[hn++] = (uint8_t)(v.n >> (8 * (k - 1 - i)));
	}
	return CAT(((struct b){h, hn}), v);
}

#define SEQ(...) tlv(0x30, CAT(__VA_ARGS__))
#define OID(h) tlv(0x06, hex(h))
#define INT(h) tlv(0x02, hex(h))
#define OCTETS(n, fill) tlv(0x04, rep(fill, n))
#define NULL_ tlv(0x05, NONE)

#define SHA1 "2B0E03021A"
#define SHA256 "608648016503040201"
#define SHA512 "608648016503040203"
#define STREEBOG256 "2A85030701010202"
#define STREEBOG512 "2A85030701010203"
#define GOST94 "2A8503020209"
#define NONCE "2B0601050507300102"
#define OCSP_BASIC "2B0601050507300101"
#define ACCEPTABLE "2B0601050507300104"
#define PREF_SIG_ALGS "2B0601050507300108"
#define SERVICE_LOCATOR "2B0601050507300107"
#define UNKNOWN_EXT "2A0304"
#define SHA256_RSA "2A864886F70D01010B"

/* Extension: crit < 0 leaves critical out, else encodes it as given. */
static struct b
ext(const char *oid, int crit, struct b value)
{
	return SEQ(OID(oid), crit < 0 ? NONE : tlv(0x01, rep((uint8_t)crit, 1)),
		   tlv(0x04, value));
}

static struct b
certid_with(struct b algid, struct b name, struct b key, struct b serial)
{
	return SEQ(algid, name, key, serial);
}

/* A SHA-1 CertID, serial 0x1001. */
static struct b
certid(void)
{
	return certid_with(SEQ(OID(SHA1), NULL_), OCTETS(20, 0xAA),
			   OCTETS(20, 0xBB), INT("1001"));
}

/* Request ::= SEQUENCE { CertID, [0] Extensions OPTIONAL }; exts is
 * the list of Extension values, NONE for no [0]. */
static struct b
single(struct b cid, struct b exts)
{
	return SEQ(cid, exts.n ? tlv(0xA0, tlv(0x30, exts)) : NONE);
}

/* An OCSPRequest of the tbsRequest fields and optionalSignature. */
static struct b
ocsp(struct b tbs_fields, struct b sig)
{
	return SEQ(tlv(0x30, tbs_fields), sig);
}

/* The common case: one SHA-1 single request, requestExtensions exts. */
static struct b
with_req_exts(struct b exts)
{
	return ocsp(CAT(SEQ(single(certid(), NONE)),
			exts.n ? tlv(0xA2, tlv(0x30, exts)) : NONE),
		    NONE);
}

static struct b
with_certid(struct b cid)
{
	return ocsp(SEQ(single(cid, NONE)), NONE);
}

static struct b
nonce_ext(size_t n)
{
	return ext(NONCE, -1, OCTETS(n, 0x5A));
}

static struct b
nested(size_t depth, struct b inner)
{
	size_t i;

	for (i = 0; i < depth; i++)
		inner = tlv(0x30, inner);
	return inner;
}

/* The DER of a test PKI certificate, in the arena. */
static struct b
cert_der(const char *name)
{
	X509 *x = load_cert(name);
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);
	uint8_t *p;

	cr_assert_gt(n, 0);
	p = alloc((size_t)n);
	memcpy(p, d, (size_t)n);
	OPENSSL_free(d);
	X509_free(x);
	return (struct b){p, (size_t)n};
}

/* A Signature: sha256WithRSA, a BIT STRING (not a valid signature: it
 * is not checked), and certs: the first ncerts of rsa-leaf and rsa-ca
 * (ncerts < 0: no certs field). */
static struct b
signature(int ncerts)
{
	static const char *const names[] = {"rsa-leaf.pem", "rsa-ca.pem"};
	struct b certs = NONE;
	int i;

	for (i = 0; i < ncerts && i < 2; i++)
		certs = CAT(certs, cert_der(names[i]));
	return tlv(0xA0,
		   SEQ(SEQ(OID(SHA256_RSA), NULL_), tlv(0x03, hex("00 C0FFEE")),
		       ncerts < 0 ? NONE : tlv(0xA0, tlv(0x30, certs))));
}

/* ---- the tables ---------------------------------------------------------- */

struct row {
	const char *name;
	struct b (*make)(void);
	int ok;
	/* when rejected: part of the reason */
	const char *why;
	/* when accepted: expectations, -1 for "not checked" */
	long n, alg, nonce_len, hash_len;
	size_t max; /* 0: OCSP_MAX_SINGLE */
};

static struct b
m_baseline(void)
{
	return with_req_exts(NONE);
}

static struct b
m_empty(void)
{
	return NONE;
}

static struct b
m_empty_seq(void)
{
	return hex("3000");
}

static struct b
m_trailing_zero(void)
{
	return CAT(m_baseline(), hex("00"));
}

static struct b
m_trailing_request(void)
{
	return CAT(m_baseline(), m_baseline());
}

static struct b
m_indefinite(void)
{
	struct b in = m_baseline();

	/* 30 LL <contents>  ->  30 80 <contents> 00 00 */
	return CAT(hex("3080"), ((struct b){in.p + 2, in.n - 2}), hex("0000"));
}

static struct b
m_long_length(void)
{
	struct b in = m_baseline();

	/* A length of 81 xx for a value under 128 octets. */
	return CAT(hex("30"), hex("81"), ((struct b){in.p + 1, in.n - 1}));
}

static struct b
m_not_sequence(void)
{
	return tlv(0x31, CAT(tlv(0x30, SEQ(single(certid(), NONE)))));
}

static struct b
m_version(const char *v)
{
	return ocsp(CAT(tlv(0xA0, INT(v)), SEQ(single(certid(), NONE))), NONE);
}

static struct b
m_version_v1(void)
{
	return m_version("00");
}

static struct b
m_version_v2(void)
{
	return m_version("01");
}

static struct b
m_version_neg(void)
{
	return m_version("FF");
}

static struct b
m_version_two_values(void)
{
	return ocsp(CAT(tlv(0xA0, CAT(INT("00"), INT("00"))),
			SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_requestor_dn(void)
{
	return ocsp(CAT(tlv(0xA1, tlv(0xA4, SEQ(tlv(
				       0x31, SEQ(OID("550403"),
						 tlv(0x0C, hex("414243"))))))),
			SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_requestor_bad_tag(void)
{
	return ocsp(CAT(tlv(0xA1, tlv(0x89, hex("00"))),
			SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_requestor_universal(void)
{
	/* An INTEGER: tag number 2 as dNSName, but universal class. */
	return ocsp(CAT(tlv(0xA1, INT("01")), SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_requestor_cons_dns(void)
{
	return ocsp(CAT(tlv(0xA1, tlv(0xA2, hex("0400"))),
			SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_empty_list(void)
{
	return ocsp(hex("3000"), NONE);
}

static struct b
m_no_list(void)
{
	return ocsp(NONE, NONE);
}

static struct b
m_singles(size_t n)
{
	struct b list = NONE;
	size_t i;

	for (i = 0; i < n; i++)
		list = CAT(list, single(certid(), NONE));
	return ocsp(tlv(0x30, list), NONE);
}

static struct b
m_singles_2(void)
{
	return m_singles(2);
}

static struct b
m_singles_3(void)
{
	return m_singles(3);
}

static struct b
m_singles_64(void)
{
	return m_singles(64);
}

static struct b
m_singles_65(void)
{
	return m_singles(65);
}

static struct b
m_nonce_0(void)
{
	return with_req_exts(nonce_ext(0));
}

static struct b
m_nonce_1(void)
{
	return with_req_exts(nonce_ext(1));
}

static struct b
m_nonce_32(void)
{
	return with_req_exts(nonce_ext(32));
}

static struct b
m_nonce_33(void)
{
	return with_req_exts(nonce_ext(33));
}

static struct b
m_nonce_critical(void)
{
	return with_req_exts(ext(NONCE, 0xFF, OCTETS(8, 1)));
}

static struct b
m_nonce_integer(void)
{
	return with_req_exts(ext(NONCE, -1, INT("05")));
}

static struct b
m_nonce_raw(void)
{
	/* Pre-RFC 8954 clients: the nonce octets with no OCTET STRING. */
	return with_req_exts(ext(NONCE, -1, rep(0x42, 16)));
}

static struct b
m_nonce_trailing(void)
{
	return with_req_exts(ext(NONCE, -1, CAT(OCTETS(8, 1), hex("00"))));
}

static struct b
m_nonce_empty_value(void)
{
	return with_req_exts(ext(NONCE, -1, NONE));
}

static struct b
m_nonce_twice(void)
{
	return with_req_exts(CAT(nonce_ext(8), nonce_ext(8)));
}

static struct b
m_unknown_twice(void)
{
	return with_req_exts(CAT(ext(UNKNOWN_EXT, -1, hex("0500")),
				 ext(UNKNOWN_EXT, -1, hex("0500"))));
}

static struct b
m_unknown_critical(void)
{
	return with_req_exts(ext(UNKNOWN_EXT, 0xFF, hex("0500")));
}

static struct b
m_unknown_noncritical(void)
{
	return with_req_exts(CAT(ext(UNKNOWN_EXT, -1, hex("0500")),
				 nonce_ext(4)));
}

static struct b
m_unknown_false(void)
{
	return with_req_exts(ext(UNKNOWN_EXT, 0x00, hex("0500")));
}

static struct b
m_unknown_ber_true(void)
{
	return with_req_exts(ext(UNKNOWN_EXT, 0x01, hex("0500")));
}

static struct b
m_crit_not_bool(void)
{
	return with_req_exts(
	    SEQ(OID(UNKNOWN_EXT), INT("01"), tlv(0x04, hex("0500"))));
}

static struct b
m_crit_two_octets(void)
{
	return with_req_exts(SEQ(OID(UNKNOWN_EXT), tlv(0x01, hex("FFFF")),
				 tlv(0x04, hex("0500"))));
}

static struct b
m_ext_no_value(void)
{
	return with_req_exts(SEQ(OID(UNKNOWN_EXT)));
}

static struct b
m_ext_bad_oid(void)
{
	return with_req_exts(SEQ(tlv(0x06, hex("2A80")), tlv(0x04, NONE)));
}

static struct b
m_exts_empty(void)
{
	return ocsp(CAT(SEQ(single(certid(), NONE)), tlv(0xA2, hex("3000"))),
		    NONE);
}

static struct b
m_too_many_exts(void)
{
	struct b e = NONE;
	char oid[16];
	int i;

	for (i = 0; i < 33; i++) {
		snprintf(oid, sizeof(oid), "2A03%02X", i + 1);
		e = CAT(e, ext(oid, -1, hex("0500")));
	}
	return with_req_exts(e);
}

static struct b
m_acceptable_basic_critical(void)
{
	return with_req_exts(
	    ext(ACCEPTABLE, 0xFF, SEQ(OID(OCSP_BASIC), OID(UNKNOWN_EXT))));
}

static struct b
m_acceptable_other_critical(void)
{
	return with_req_exts(ext(ACCEPTABLE, 0xFF, SEQ(OID(UNKNOWN_EXT))));
}

static struct b
m_acceptable_other(void)
{
	return with_req_exts(ext(ACCEPTABLE, -1, SEQ(OID(UNKNOWN_EXT))));
}

static struct b
m_acceptable_bad(void)
{
	return with_req_exts(ext(ACCEPTABLE, -1, SEQ(INT("01"))));
}

static struct b
m_pref_sig_critical(void)
{
	return with_req_exts(ext(PREF_SIG_ALGS, 0xFF,
				 SEQ(SEQ(SEQ(OID(SHA256_RSA), NULL_)))));
}

static struct b
m_single_ext_critical(void)
{
	return ocsp(SEQ(single(certid(), ext(SERVICE_LOCATOR, 0xFF,
					     SEQ(SEQ(OID("550403")))))),
		    NONE);
}

static struct b
m_single_ext_noncritical(void)
{
	return ocsp(SEQ(single(certid(), CAT(ext(SERVICE_LOCATOR, -1,
						 SEQ(SEQ(OID("550403")))),
					     nonce_ext(8)))),
		    NONE);
}

static struct b
m_single_ext_twice(void)
{
	return ocsp(SEQ(single(certid(), CAT(ext(UNKNOWN_EXT, -1, NONE),
					     ext(UNKNOWN_EXT, -1, NONE)))),
		    NONE);
}

static struct b
m_single_extra_field(void)
{
	return ocsp(SEQ(SEQ(certid(), INT("00"))), NONE);
}

static struct b
m_certid_extra_field(void)
{
	return with_certid(SEQ(SEQ(OID(SHA1)), OCTETS(20, 1), OCTETS(20, 2),
			       INT("01"), INT("02")));
}

static struct b
m_unknown_hash(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304"), NULL_),
				       OCTETS(20, 1), OCTETS(20, 2), INT("01")));
}

static struct b
m_unknown_hash_odd_len(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304")), OCTETS(7, 1),
				       OCTETS(7, 2), INT("01")));
}

static struct b
m_unknown_hash_unequal(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304")), OCTETS(20, 1),
				       OCTETS(32, 2), INT("01")));
}

static struct b
m_unknown_hash_65(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304")), OCTETS(65, 1),
				       OCTETS(65, 2), INT("01")));
}

static struct b
m_unknown_hash_empty(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304")), OCTETS(0, 1),
				       OCTETS(0, 2), INT("01")));
}

static struct b
m_sha1_no_params(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1)), OCTETS(20, 1),
				       OCTETS(20, 2), INT("01")));
}

static struct b
m_sha1_int_params(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1), INT("00")),
				       OCTETS(20, 1), OCTETS(20, 2), INT("01")));
}

static struct b
m_sha1_null_content(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1), tlv(0x05, hex("00"))),
				       OCTETS(20, 1), OCTETS(20, 2), INT("01")));
}

static struct b
m_sha1_two_params(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1), NULL_, NULL_),
				       OCTETS(20, 1), OCTETS(20, 2), INT("01")));
}

static struct b
m_unknown_hash_deep_params(void)
{
	return with_certid(certid_with(SEQ(OID("2A0304"), nested(100, NONE)),
				       OCTETS(20, 1), OCTETS(20, 2), INT("01")));
}

static struct b
m_sha256_20(void)
{
	return with_certid(certid_with(SEQ(OID(SHA256), NULL_), OCTETS(20, 1),
				       OCTETS(20, 2), INT("01")));
}

static struct b
m_sha1_name_key_differ(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1), NULL_), OCTETS(20, 1),
				       OCTETS(32, 2), INT("01")));
}

static struct b
m_streebog256_by_hand(void)
{
	return with_certid(certid_with(SEQ(OID(STREEBOG256), NULL_),
				       OCTETS(32, 1), OCTETS(32, 2), INT("1001")));
}

static struct b
m_streebog512_by_hand(void)
{
	return with_certid(certid_with(SEQ(OID(STREEBOG512)), OCTETS(64, 1),
				       OCTETS(64, 2), INT("1001")));
}

static struct b
m_streebog512_32(void)
{
	return with_certid(certid_with(SEQ(OID(STREEBOG512), NULL_),
				       OCTETS(32, 1), OCTETS(32, 2), INT("01")));
}

static struct b
m_gost94_by_hand(void)
{
	return with_certid(certid_with(SEQ(OID(GOST94), NULL_), OCTETS(32, 1),
				       OCTETS(32, 2), INT("01")));
}

static struct b
m_hash_not_octets(void)
{
	return with_certid(certid_with(SEQ(OID(SHA1), NULL_),
				       tlv(0x03, rep(0, 20)), OCTETS(20, 2),
				       INT("01")));
}

static struct b
m_serial(struct b s)
{
	return with_certid(
	    certid_with(SEQ(OID(SHA1), NULL_), OCTETS(20, 1), OCTETS(20, 2), s));
}

static struct b
m_serial_empty(void)
{
	return m_serial(tlv(0x02, NONE));
}

static struct b
m_serial_nonminimal(void)
{
	return m_serial(INT("0001"));
}

static struct b
m_serial_nonminimal_neg(void)
{
	return m_serial(INT("FF80"));
}

static struct b
m_serial_negative(void)
{
	return m_serial(INT("FF"));
}

static struct b
m_serial_64(void)
{
	return m_serial(tlv(0x02, rep(0x11, 64)));
}

static struct b
m_serial_65(void)
{
	return m_serial(tlv(0x02, rep(0x11, 65)));
}

static struct b
m_serial_not_integer(void)
{
	return m_serial(OCTETS(2, 1));
}

static struct b
m_signed(void)
{
	return ocsp(SEQ(single(certid(), NONE)), signature(2));
}

static struct b
m_signed_no_certs(void)
{
	return ocsp(SEQ(single(certid(), NONE)), signature(-1));
}

static struct b
m_signed_unused_bits(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    tlv(0xA0, SEQ(SEQ(OID(SHA256_RSA)), tlv(0x03, hex("07 80")))));
}

static struct b
m_signed_no_bits(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    tlv(0xA0, SEQ(SEQ(OID(SHA256_RSA)))));
}

static struct b
m_signed_cert_not_seq(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    tlv(0xA0, SEQ(SEQ(OID(SHA256_RSA)), tlv(0x03, hex("00")),
				  tlv(0xA0, SEQ(INT("01"))))));
}

static struct b
m_signed_empty_cert(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    tlv(0xA0, SEQ(SEQ(OID(SHA256_RSA)), tlv(0x03, hex("00")),
				  tlv(0xA0, SEQ(cert_der("rsa-ca.pem"),
						hex("3000"))))));
}

static struct b
m_signed_extra(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    tlv(0xA0, SEQ(SEQ(OID(SHA256_RSA)), tlv(0x03, hex("00")),
				  tlv(0xA0, hex("3000")), INT("01"))));
}

static struct b
m_signature_twice(void)
{
	return ocsp(SEQ(single(certid(), NONE)),
		    CAT(signature(0), signature(0)));
}

static struct b
m_third_field(void)
{
	return ocsp(SEQ(single(certid(), NONE)), INT("00"));
}

static struct b
m_tbs_extra(void)
{
	return ocsp(CAT(SEQ(single(certid(), NONE)), INT("00")), NONE);
}

static struct b
m_tbs_fields_reordered(void)
{
	/* requestorName before version. */
	return ocsp(CAT(tlv(0xA1, tlv(0x82, hex("41"))), tlv(0xA0, INT("00")),
			SEQ(single(certid(), NONE))),
		    NONE);
}

static struct b
m_nested_100(void)
{
	return nested(100, NONE);
}

static struct b
m_nested_opaque_ext(void)
{
	/* Deep nesting inside an extnValue we do not read: skipped by
	 * its length, never descended into. */
	return with_req_exts(ext(UNKNOWN_EXT, -1, nested(100, NONE)));
}

static struct b
m_high_tag(void)
{
	return CAT(hex("3F8100"), hex(""));
}

#define ACCEPT(name, mk, n, alg, nonce, hl)                                    \
	{name, mk, 1, NULL, n, alg, nonce, hl, 0}
#define ACCEPT_MAX(name, mk, n, max) {name, mk, 1, NULL, n, -1, -1, -1, max}
#define REJECT(name, mk, why) {name, mk, 0, why, -1, -1, -1, -1, 0}
#define REJECT_MAX(name, mk, why, max) {name, mk, 0, why, -1, -1, -1, -1, max}

static const struct row rows[] = {
    ACCEPT("baseline", m_baseline, 1, HASH_SHA1, 0, 20),
    REJECT("empty input", m_empty, "OCSPRequest: value missing"),
    REJECT("empty SEQUENCE", m_empty_seq, "tbsRequest: value missing"),
    REJECT("trailing zero", m_trailing_zero,
	   "1 bytes after the OCSPRequest"),
    REJECT("two requests", m_trailing_request, "bytes after the OCSPRequest"),
    REJECT("indefinite length", m_indefinite, "X.690 10.1: indefinite"),
    REJECT("non-minimal length", m_long_length, "X.690 10.1: length"),
    REJECT("SET, not SEQUENCE", m_not_sequence,
	   "OCSPRequest: unexpected tag"),
    REJECT("high tag number", m_high_tag, "OCSPRequest"),
    ACCEPT("explicit version v1", m_version_v1, 1, HASH_SHA1, 0, 20),
    REJECT("version v2", m_version_v2, "RFC 6960 4.1.2: version is not v1"),
    REJECT("version -1", m_version_neg, "RFC 6960 4.1.2: version is not v1"),
    REJECT("version twice", m_version_two_values,
	   "version: trailing bytes"),
    ACCEPT("requestorName directoryName", m_requestor_dn, 1, HASH_SHA1, 0,
	   20),
    REJECT("requestorName [9]", m_requestor_bad_tag,
	   "RFC 5280 4.2.1.6: requestorName is not a GeneralName"),
    REJECT("requestorName INTEGER", m_requestor_universal,
	   "RFC 5280 4.2.1.6: requestorName is not a GeneralName"),
    REJECT("requestorName constructed dNSName", m_requestor_cons_dns,
	   "RFC 5280 4.2.1.6: requestorName is not a GeneralName"),
    REJECT("fields out of order", m_tbs_fields_reordered,
	   "requestList: unexpected tag"),
    REJECT("empty requestList", m_empty_list,
	   "RFC 6960 4.1.1: requestList is empty"),
    REJECT("no requestList", m_no_list, "requestList: value missing"),
    ACCEPT_MAX("2 singles, max 2", m_singles_2, 2, 2),
    REJECT_MAX("3 singles, max 2", m_singles_3,
	       "more than 2 single requests", 2),
    ACCEPT_MAX("64 singles", m_singles_64, 64, 0),
    REJECT("65 singles", m_singles_65, "more than 64 single requests"),
    REJECT_MAX("65 singles, max 100", m_singles_65,
	       "more than 64 single requests", 100),
    REJECT("nonce of 0", m_nonce_0, "RFC 8954 2.1: nonce of 0 octets"),
    ACCEPT("nonce of 1", m_nonce_1, 1, HASH_SHA1, 3, 20),
    ACCEPT("nonce of 32", m_nonce_32, 1, HASH_SHA1, 34, 20),
    REJECT("nonce of 33", m_nonce_33, "RFC 8954 2.1: nonce of 33 octets"),
    ACCEPT("critical nonce", m_nonce_critical, 1, HASH_SHA1, 10, 20),
    REJECT("nonce INTEGER", m_nonce_integer,
	   "RFC 8954 2.1: nonce is not an OCTET STRING"),
    REJECT("nonce raw octets", m_nonce_raw,
	   "RFC 8954 2.1: nonce is not an OCTET STRING"),
    REJECT("nonce with trailing octet", m_nonce_trailing,
	   "RFC 8954 2.1: nonce is not an OCTET STRING: trailing"),
    REJECT("nonce extnValue empty", m_nonce_empty_value,
	   "RFC 8954 2.1: nonce is not an OCTET STRING: value missing"),
    REJECT("nonce twice", m_nonce_twice,
	   "RFC 5280 4.2: requestExtensions: extension appears twice"),
    REJECT("unknown extension twice", m_unknown_twice,
	   "RFC 5280 4.2: requestExtensions: extension appears twice"),
    REJECT("unknown critical", m_unknown_critical,
	   "unrecognised critical extension 1.2.3.4"),
    ACCEPT("unknown non-critical", m_unknown_noncritical, 1, HASH_SHA1, 6,
	   20),
    ACCEPT("unknown, critical FALSE encoded", m_unknown_false, 1, HASH_SHA1,
	   0, 20),
    REJECT("unknown, critical as BER TRUE 0x01", m_unknown_ber_true,
	   "unrecognised critical extension 1.2.3.4"),
    REJECT("critical INTEGER", m_crit_not_bool, "extnValue: unexpected tag"),
    REJECT("critical of two octets", m_crit_two_octets,
	   "critical is not a BOOLEAN"),
    REJECT("extension without extnValue", m_ext_no_value,
	   "extnValue: value missing"),
    REJECT("extension OID malformed", m_ext_bad_oid,
	   "X.690 8.19: OBJECT IDENTIFIER malformed"),
    REJECT("empty requestExtensions", m_exts_empty,
	   "Extensions is empty (SIZE (1..MAX))"),
    REJECT("33 extensions", m_too_many_exts, "more than 32 extensions"),
    ACCEPT("critical AcceptableResponses with basic",
	   m_acceptable_basic_critical, 1, HASH_SHA1, 0, 20),
    REJECT("critical AcceptableResponses without basic",
	   m_acceptable_other_critical,
	   "RFC 6960 4.4.3: critical AcceptableResponses without"),
    ACCEPT("AcceptableResponses without basic", m_acceptable_other, 1,
	   HASH_SHA1, 0, 20),
    REJECT("AcceptableResponses of INTEGERs", m_acceptable_bad,
	   "RFC 6960 4.4.3: AcceptableResponses: unexpected tag"),
    ACCEPT("critical PreferredSignatureAlgorithms", m_pref_sig_critical, 1,
	   HASH_SHA1, 0, 20),
    REJECT("critical single extension", m_single_ext_critical,
	   "singleRequestExtensions: unrecognised critical extension "
	   "1.3.6.1.5.5.7.48.1.7"),
    ACCEPT("non-critical single extensions", m_single_ext_noncritical, 1,
	   HASH_SHA1, 0, 20),
    REJECT("single extension twice", m_single_ext_twice,
	   "singleRequestExtensions: extension appears twice"),
    REJECT("Request with a third field", m_single_extra_field,
	   "request 0: Request has more than two fields"),
    REJECT("CertID with a fifth field", m_certid_extra_field,
	   "request 0: CertID has more than four fields"),
    ACCEPT("unknown hash", m_unknown_hash, 1, 0, 0, 20),
    ACCEPT("unknown hash of 7 octets", m_unknown_hash_odd_len, 1, 0, 0, 7),
    REJECT("unknown hash, lengths differ", m_unknown_hash_unequal,
	   "issuerNameHash (20 octets) and issuerKeyHash (32) differ"),
    REJECT("unknown hash of 65 octets", m_unknown_hash_65,
	   "hashes of 65 octets (1..64 allowed)"),
    REJECT("unknown hash, empty", m_unknown_hash_empty,
	   "hashes of 0 octets (1..64 allowed)"),
    REJECT("unknown hash, 100-deep parameters", m_unknown_hash_deep_params,
	   "hash parameters neither absent nor NULL"),
    ACCEPT("SHA-1, parameters absent", m_sha1_no_params, 1, HASH_SHA1, 0, 20),
    REJECT("SHA-1, INTEGER parameters", m_sha1_int_params,
	   "RFC 5754 2: request 0: hash parameters neither absent nor NULL"),
    REJECT("SHA-1, NULL with contents", m_sha1_null_content,
	   "hash parameters neither absent nor NULL"),
    REJECT("SHA-1, two parameters", m_sha1_two_params,
	   "hashAlgorithm has more than two fields"),
    REJECT("SHA-256 with 20-octet hashes", m_sha256_20,
	   "request 0: hashes of 20 octets for a 32-octet hashAlgorithm"),
    REJECT("SHA-1, name and key lengths differ", m_sha1_name_key_differ,
	   "differ in length"),
    ACCEPT("Streebog-256 by hand", m_streebog256_by_hand, 1,
	   HASH_STREEBOG256, 0, 32),
    ACCEPT("Streebog-512 by hand", m_streebog512_by_hand, 1,
	   HASH_STREEBOG512, 0, 64),
    REJECT("Streebog-512 with 32-octet hashes", m_streebog512_32,
	   "hashes of 32 octets for a 64-octet hashAlgorithm"),
    ACCEPT("GOST R 34.11-94 by hand", m_gost94_by_hand, 1, HASH_GOST94, 0,
	   32),
    REJECT("issuerNameHash BIT STRING", m_hash_not_octets,
	   "issuerNameHash: unexpected tag"),
    REJECT("serial of 0 octets", m_serial_empty,
	   "RFC 5280 4.1.2.2: request 0: serialNumber: X.690 8.3.2"),
    REJECT("serial 00 01", m_serial_nonminimal,
	   "serialNumber: X.690 8.3.2"),
    REJECT("serial FF 80", m_serial_nonminimal_neg,
	   "serialNumber: X.690 8.3.2"),
    ACCEPT("negative serial", m_serial_negative, 1, HASH_SHA1, 0, 20),
    ACCEPT("serial of 64 octets", m_serial_64, 1, HASH_SHA1, 0, 20),
    REJECT("serial of 65 octets", m_serial_65,
	   "serial of 65 octets exceeds the limit of 64"),
    REJECT("serial OCTET STRING", m_serial_not_integer,
	   "serialNumber: unexpected tag"),
    ACCEPT("signed, with two certs", m_signed, 1, HASH_SHA1, 0, 20),
    ACCEPT("signed, no certs", m_signed_no_certs, 1, HASH_SHA1, 0, 20),
    REJECT("signature with unused bits", m_signed_unused_bits,
	   "optionalSignature: signature: X.690 8.6.2"),
    REJECT("signature without BIT STRING", m_signed_no_bits,
	   "optionalSignature: signature: value missing"),
    REJECT("certs of INTEGERs", m_signed_cert_not_seq,
	   "optionalSignature: certs: unexpected tag"),
    REJECT("certs with an empty SEQUENCE", m_signed_empty_cert,
	   "optionalSignature: empty Certificate"),
    REJECT("Signature with a fourth field", m_signed_extra,
	   "optionalSignature has more than three fields"),
    REJECT("two signatures", m_signature_twice,
	   "OCSPRequest has more than two fields"),
    REJECT("OCSPRequest with a stray INTEGER", m_third_field,
	   "OCSPRequest has more than two fields"),
    REJECT("tbsRequest with a stray INTEGER", m_tbs_extra,
	   "tbsRequest: unexpected field after requestList"),
    REJECT("100 nested SEQUENCEs", m_nested_100,
	   "RFC 6960 4.1.1: request 0: hashAlgorithm: unexpected tag"),
    ACCEPT("100 nested SEQUENCEs in an unread extnValue",
	   m_nested_opaque_ext, 1, HASH_SHA1, 0, 20),
};

static void
check_row(const struct row *w)
{
	struct ocsp_request r;
	char why[256];
	uint8_t *keep;
	struct b in;
	int ok;

	arena_used = 0;
	in = w->make();
	ok = parse_copy(in.p, in.n, w->max ? w->max : OCSP_MAX_SINGLE, &r,
			why, sizeof(why), &keep);
	cr_expect_eq(ok, w->ok, "%s: %s, expected %s (%s)", w->name,
		     ok ? "accepted" : "rejected",
		     w->ok ? "accepted" : "rejected", ok ? "" : why);
	if (ok != w->ok) {
		free(keep);
		return;
	}
	if (!ok) {
		cr_expect(strstr(why, w->why) != NULL,
			  "%s: reason \"%s\" lacks \"%s\"", w->name, why,
			  w->why);
		free(keep);
		return;
	}
	if (w->n >= 0)
		cr_expect_eq((long)r.n, w->n, "%s: n", w->name);
	if (w->alg >= 0)
		cr_expect_eq((long)r.ids[0].alg, w->alg, "%s: alg", w->name);
	if (w->hash_len >= 0)
		cr_expect_eq((long)r.ids[0].hash_len, w->hash_len,
			     "%s: hash_len", w->name);
	if (w->nonce_len >= 0) {
		cr_expect_eq((long)r.nonce_len, w->nonce_len, "%s: nonce_len",
			     w->name);
		cr_expect_eq(r.nonce == NULL, w->nonce_len == 0,
			     "%s: nonce pointer", w->name);
	}
	/* What we accept, OpenSSL decodes to the same fields. */
	check_against_openssl(keep, in.n, &r);
	free(keep);
}

Test(ocsp_request, hostile_table)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}

/* The serial and hashes point at the right octets, not merely at some
 * of the right length. */
Test(ocsp_request, hand_built_fields)
{
	struct ocsp_request r;
	char why[256];
	uint8_t *keep;
	struct b in;
	static const uint8_t serial[] = {0x00, 0x80, 0x01};

	in = with_certid(certid_with(SEQ(OID(SHA256), NULL_), OCTETS(32, 0xA1),
				     OCTETS(32, 0xB2), INT("008001")));
	cr_assert(parse_copy(in.p, in.n, 1, &r, why, sizeof(why), &keep), "%s",
		  why);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.ids[0].alg, HASH_SHA256);
	cr_assert_eq(r.ids[0].name_hash[-1], 32);
	cr_assert_eq(r.ids[0].name_hash[0], 0xA1);
	cr_assert_eq(r.ids[0].name_hash[31], 0xA1);
	cr_assert_eq(r.ids[0].key_hash[0], 0xB2);
	cr_assert_eq(r.ids[0].key_hash[31], 0xB2);
	cr_assert_eq(r.ids[0].serial_len, 3);
	cr_assert_arr_eq(r.ids[0].serial, serial, 3);
	/* The CertID (header, AlgorithmIdentifier, two hashes, serial)
	 * is the last value in the input. */
	cr_assert_eq(r.ids[0].raw + r.ids[0].raw_len, keep + in.n);
	cr_assert_eq(r.ids[0].raw_len, 2 + 15 + 2 + 32 + 2 + 32 + 2 + 3);
	cr_assert_eq(r.ids[0].raw[0], 0x30);
	free(keep);
}

/* A NULL or zero-sized why is allowed; max_single 0 refuses all. */
Test(ocsp_request, odd_arguments)
{
	struct ocsp_request r;
	struct b in;
	char why[4];
	uint8_t *c;

	in = m_baseline();
	c = exact_copy(in.p, in.n);
	cr_assert_eq(ocsp_request_parse(c, in.n, OCSP_MAX_SINGLE, &r, NULL, 0),
		     1);
	cr_assert_eq(ocsp_request_parse(c, in.n - 1, OCSP_MAX_SINGLE, &r, NULL,
					0),
		     0);
	/* A short buffer gets a truncated, terminated message. */
	cr_assert_eq(ocsp_request_parse(c, in.n - 1, OCSP_MAX_SINGLE, &r, why,
					sizeof(why)),
		     0);
	cr_assert_str_eq(why, "RFC");
	cr_assert_eq(ocsp_request_parse(c, in.n, 0, &r, why, sizeof(why)), 0);
	cr_assert_eq(r.n, 0);
	free(c);
}

/* ---- ocsp_error_response -------------------------------------------------- */

Test(ocsp_request, error_responses)
{
	static const enum ocsp_status sts[] = {
	    OCSP_MALFORMED_REQUEST, OCSP_INTERNAL_ERROR, OCSP_TRY_LATER,
	    OCSP_SIG_REQUIRED,	    OCSP_UNAUTHORIZED,
	};
	/* OpenSSL's names for the same statuses. */
	static const int ossl[] = {
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
	    OCSP_RESPONSE_STATUS_INTERNALERROR,
	    OCSP_RESPONSE_STATUS_TRYLATER,
	    OCSP_RESPONSE_STATUS_SIGREQUIRED,
	    OCSP_RESPONSE_STATUS_UNAUTHORIZED,
	};
	size_t i, len;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		const uint8_t *der = ocsp_error_response(sts[i], &len);
		const unsigned char *p = der;
		unsigned char *again = NULL;
		OCSP_RESPONSE *resp;

		cr_assert_not_null(der, "status %d", (int)sts[i]);
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		cr_assert_not_null(resp, "status %d", (int)sts[i]);
		cr_assert_eq(p, der + len, "status %d: trailing bytes",
			     (int)sts[i]);
		cr_assert_eq(OCSP_response_status(resp), ossl[i]);
		cr_assert_eq(OCSP_response_status(resp), (int)sts[i]);
		cr_assert_null(OCSP_response_get1_basic(resp));
		/* DER: re-encoding gives the same octets. */
		cr_assert_eq(i2d_OCSP_RESPONSE(resp, &again), (int)len);
		cr_assert_arr_eq(again, der, len);
		OPENSSL_free(again);
		OCSP_RESPONSE_free(resp);
	}
	len = 99;
	cr_assert_null(ocsp_error_response(OCSP_SUCCESSFUL, &len));
	cr_assert_eq(len, 0);
	/* 4 is not a status (RFC 6960 4.2.1: "not used"). */
	cr_assert_null(ocsp_error_response((enum ocsp_status)4, &len));
}
