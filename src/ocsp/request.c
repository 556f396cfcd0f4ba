/*
 * OCSPRequest reader (RFC 6960 4.1) with the strict DER reader.
 *
 *   OCSPRequest ::= SEQUENCE {
 *       tbsRequest                  TBSRequest,
 *       optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
 *   TBSRequest ::= SEQUENCE {
 *       version             [0]     EXPLICIT Version DEFAULT v1,
 *       requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
 *       requestList                 SEQUENCE OF Request,
 *       requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
 *   Request ::= SEQUENCE {
 *       reqCert                     CertID,
 *       singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 *   CertID ::= SEQUENCE {
 *       hashAlgorithm       AlgorithmIdentifier,
 *       issuerNameHash      OCTET STRING,
 *       issuerKeyHash       OCTET STRING,
 *       serialNumber        CertificateSerialNumber }
 *
 * This is the OCSP hot path: no allocation, no OpenSSL, and a fixed
 * amount of work per input byte. The parser descends a fixed number of
 * levels (at most 7: OCSPRequest / TBSRequest / requestList / Request /
 * CertID / AlgorithmIdentifier, or ... / [0] / Extensions / Extension),
 * never recursively, so der_enter's MAX_DER_DEPTH is never the limit
 * that stops a hostile input; the structure is.
 *
 * Each check below is one rule; a failure says which, with its section.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"
#include "otzyv/ocsp.h"

/* Hash algorithm OIDs, contents octets only. */
static const uint8_t OID_SHA1[] = {0x2B, 0x0E, 0x03, 0x02, 0x1A};
static const uint8_t OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65,
				     0x03, 0x04, 0x02, 0x01};
static const uint8_t OID_SHA384[] = {0x60, 0x86, 0x48, 0x01, 0x65,
				     0x03, 0x04, 0x02, 0x02};
static const uint8_t OID_SHA512[] = {0x60, 0x86, 0x48, 0x01, 0x65,
				     0x03, 0x04, 0x02, 0x03};
static const uint8_t OID_STREEBOG256[] = {0x2A, 0x85, 0x03, 0x07,
					  0x01, 0x01, 0x02, 0x02};
static const uint8_t OID_STREEBOG512[] = {0x2A, 0x85, 0x03, 0x07,
					  0x01, 0x01, 0x02, 0x03};
static const uint8_t OID_GOST94[] = {0x2A, 0x85, 0x03, 0x02, 0x02, 0x09};

/* id-pkix-ocsp (1.3.6.1.5.5.7.48.1) arcs. */
static const uint8_t OID_OCSP_BASIC[] = {0x2B, 0x06, 0x01, 0x05, 0x05,
					 0x07, 0x30, 0x01, 0x01};
static const uint8_t OID_OCSP_NONCE[] = {0x2B, 0x06, 0x01, 0x05, 0x05,
					 0x07, 0x30, 0x01, 0x02};
static const uint8_t OID_OCSP_RESPONSE[] = {0x2B, 0x06, 0x01, 0x05, 0x05,
					    0x07, 0x30, 0x01, 0x04};
static const uint8_t OID_OCSP_PREF_SIG_ALGS[] = {0x2B, 0x06, 0x01, 0x05, 0x05,
						 0x07, 0x30, 0x01, 0x08};

static const struct {
	const uint8_t *oid;
	size_t oid_len;
	enum hash_alg alg;
	size_t digest_len;
} hashes[] = {
    {OID_SHA1, sizeof(OID_SHA1), HASH_SHA1, 20},
    {OID_SHA256, sizeof(OID_SHA256), HASH_SHA256, 32},
    {OID_SHA384, sizeof(OID_SHA384), HASH_SHA384, 48},
    {OID_SHA512, sizeof(OID_SHA512), HASH_SHA512, 64},
    {OID_STREEBOG256, sizeof(OID_STREEBOG256), HASH_STREEBOG256, 32},
    {OID_STREEBOG512, sizeof(OID_STREEBOG512), HASH_STREEBOG512, 64},
    {OID_GOST94, sizeof(OID_GOST94), HASH_GOST94, 32},
};

/* One parse: where the reason goes, and the caller's ceiling. */
struct ctx {
	char *why;
	size_t whylen;
	size_t max_single;
	struct ocsp_request *out;
};

static int fail(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->why != NULL && x->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(x->why, x->whylen, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* ---- extensions (RFC 5280 4.1, 4.2) ------------------------------------ */

typedef int (*ext_fn)(struct ctx *x, const struct der_tlv *oid, int critical,
		      const struct der_tlv *value, const char *where);

/*
 * Walks the `Extensions` inside an EXPLICIT [n] wrapper `wrap`, calling
 * `one` for each extension with its OID, criticality and extnValue.
 * RFC 5280 4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension;
 * RFC 5280 4.2: no extension appears twice.
 */
static int
walk_extensions(struct ctx *x, const struct der_cursor *parent,
		const struct der_tlv *wrap, const char *where, ext_fn one)
{
	struct der_cursor wc, c;
	struct der_tlv exts, oid, val;
	struct der_extension xt;
	char why[160];
	struct {
		const uint8_t *p;
		size_t len;
	} seen[MAX_OCSP_EXTENSIONS];
	size_t n = 0, i;
	enum der_err e;
	int critical;

	if ((e = der_enter(parent, wrap, &wc)) != DER_OK ||
	    (e = der_expect(&wc, DER_SEQUENCE, &exts)) != DER_OK ||
	    (e = der_finish(&wc)) != DER_OK ||
	    (e = der_enter(&wc, &exts, &c)) != DER_OK)
		return fail(x,
			    "RFC 5280 4.1: %s: Extensions is not one "
			    "SEQUENCE: %s",
			    where, der_strerror(e));
	if (der_at_end(&c))
		return fail(x,
			    "RFC 5280 4.1: %s: Extensions is empty "
			    "(SIZE (1..MAX))",
			    where);
	while (!der_at_end(&c)) {
		if (n == MAX_OCSP_EXTENSIONS)
			return fail(x,
				    "RFC 5280 4.1: %s: more than %d extensions",
				    where, MAX_OCSP_EXTENSIONS);
		if (der_next_extension(&c, &xt, why, sizeof(why)) != DER_OK)
			return fail(x, "RFC 5280 4.1: %s: %s", where, why);
		oid = xt.oid;
		critical = xt.critical;
		val = xt.value;
		for (i = 0; i < n; i++)
			if (seen[i].len == oid.len &&
			    memcmp(seen[i].p, oid.val, oid.len) == 0)
				return fail(x,
					    "RFC 5280 4.2: %s: extension "
					    "appears twice",
					    where);
		seen[n].p = oid.val;
		seen[n].len = oid.len;
		n++;
		if (!one(x, &oid, critical, &val, where))
			return 0;
	}
	return 1;
}

/* Dotted text of an OID for messages (from the DER, no OpenSSL). */
static void
oid_text(const struct der_tlv *oid, char *buf, size_t size)
{
	size_t i, used = 0;
	uint64_t v = 0;
	int first = 1, n;

	buf[0] = '\0';
	for (i = 0; i < oid->len && used < size; i++) {
		if (v > (UINT64_MAX >> 7)) {
			snprintf(buf, size, "(unprintable)");
			return;
		}
		v = (v << 7) | (oid->val[i] & 0x7F);
		if (oid->val[i] & 0x80)
			continue;
		if (first) {
			unsigned arc = v < 40 ? 0 : v < 80 ? 1 : 2;

			n = snprintf(buf + used, size - used, "%u.%llu", arc,
				     (unsigned long long)(v - 40 * arc));
			first = 0;
		} else {
			n = snprintf(buf + used, size - used, ".%llu",
				     (unsigned long long)v);
		}
		if (n < 0)
			return;
		used += (size_t)n;
		v = 0;
	}
}

static int
unknown_ext(struct ctx *x, const struct der_tlv *oid, int critical,
	    const char *where, const char *section)
{
	char name[80];

	if (!critical)
		return 1;
	oid_text(oid, name, sizeof(name));
	return fail(x, "RFC 6960 %s: %s: unrecognised critical extension %s",
		    section, where, name);
}

/*
 * RFC 8954 2.1 (updating RFC 6960 4.4.1): the nonce's extnValue is
 * itself the DER of an OCTET STRING of 1 to 32 octets. The whole inner
 * TLV is kept: the response echoes the extnValue as it came.
 */
static int
ext_nonce(struct ctx *x, const struct der_tlv *value)
{
	struct der_cursor c;
	struct der_tlv t;
	enum der_err e;

	der_init(&c, value->val, value->len);
	if ((e = der_expect(&c, DER_OCTET_STRING, &t)) != DER_OK ||
	    (e = der_finish(&c)) != DER_OK)
		return fail(x,
			    "RFC 8954 2.1: nonce is not an OCTET STRING: "
			    "%s",
			    der_strerror(e));
	if (t.len < 1 || t.len > OCSP_MAX_NONCE)
		return fail(x,
			    "RFC 8954 2.1: nonce of %zu octets (1..%d "
			    "allowed)",
			    t.len, OCSP_MAX_NONCE);
	x->out->nonce = value->val;
	x->out->nonce_len = value->len;
	return 1;
}

/*
 * RFC 6960 4.4.3: AcceptableResponses ::= SEQUENCE OF OBJECT IDENTIFIER.
 * We answer only id-pkix-ocsp-basic; a client that insists (critical)
 * on a list without it cannot be answered.
 */
static int
ext_acceptable(struct ctx *x, const struct der_tlv *value, int critical)
{
	struct der_cursor c, sc;
	struct der_tlv seq, oid;
	enum der_err e;
	int basic = 0;

	der_init(&c, value->val, value->len);
	if ((e = der_expect(&c, DER_SEQUENCE, &seq)) != DER_OK ||
	    (e = der_finish(&c)) != DER_OK ||
	    (e = der_enter(&c, &seq, &sc)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.4.3: AcceptableResponses is not a "
			    "SEQUENCE: %s",
			    der_strerror(e));
	while (!der_at_end(&sc)) {
		if ((e = der_expect(&sc, DER_OID, &oid)) != DER_OK ||
		    (e = der_check_oid(&oid)) != DER_OK)
			return fail(x,
				    "RFC 6960 4.4.3: AcceptableResponses: "
				    "%s",
				    der_strerror(e));
		if (der_oid_eq(&oid, OID_OCSP_BASIC, sizeof(OID_OCSP_BASIC)))
			basic = 1;
	}
	if (critical && !basic)
		return fail(x, "RFC 6960 4.4.3: critical AcceptableResponses "
			       "without id-pkix-ocsp-basic");
	return 1;
}

/* requestExtensions (RFC 6960 4.4). */
static int
request_ext(struct ctx *x, const struct der_tlv *oid, int critical,
	    const struct der_tlv *value, const char *where)
{
	struct der_cursor c;
	struct der_tlv t;

	if (der_oid_eq(oid, OID_OCSP_NONCE, sizeof(OID_OCSP_NONCE)))
		return ext_nonce(x, value);
	if (der_oid_eq(oid, OID_OCSP_RESPONSE, sizeof(OID_OCSP_RESPONSE)))
		return ext_acceptable(x, value, critical);
	/* RFC 6960 4.4.7.3: the responder falls back to its own algorithm
	 * when it cannot use a preferred one, so this one is understood
	 * even when critical; only its outer form is checked. */
	if (der_oid_eq(oid, OID_OCSP_PREF_SIG_ALGS,
		       sizeof(OID_OCSP_PREF_SIG_ALGS))) {
		der_init(&c, value->val, value->len);
		if (der_expect(&c, DER_SEQUENCE, &t) != DER_OK ||
		    der_finish(&c) != DER_OK)
			return fail(x, "RFC 6960 4.4.7.1: "
				       "PreferredSignatureAlgorithms is not a "
				       "SEQUENCE");
		return 1;
	}
	return unknown_ext(x, oid, critical, where, "4.4");
}

/* singleRequestExtensions: none is acted on (service locator, 4.4.6,
 * would need forwarding), so each is unknown. */
static int
single_ext(struct ctx *x, const struct der_tlv *oid, int critical,
	   const struct der_tlv *value, const char *where)
{
	(void)value;
	return unknown_ext(x, oid, critical, where, "4.4");
}

/* ---- CertID (RFC 6960 4.1.1) ------------------------------------------ */

/*
 * hashAlgorithm: the parameters of a hash are absent or NULL (RFC 5754
 * 2, RFC 3279 2.2.1; Streebog and GOST R 34.11-94 likewise), for any
 * OID. An unknown OID is not an error (the answer is "unknown"): *out
 * is then 0.
 */
static int
check_hash_alg(struct ctx *x, const struct der_cursor *parent,
	       const struct der_tlv *alg, size_t i, enum hash_alg *out,
	       size_t *digest_len)
{
	struct der_cursor c;
	struct der_tlv oid, params;
	enum der_err e;
	size_t k;

	if ((e = der_enter(parent, alg, &c)) != DER_OK ||
	    (e = der_expect(&c, DER_OID, &oid)) != DER_OK ||
	    (e = der_check_oid(&oid)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: request %zu: hashAlgorithm: %s",
			    i, der_strerror(e));
	if (!der_at_end(&c)) {
		if ((e = der_next(&c, &params)) != DER_OK)
			return fail(x,
				    "RFC 5280 4.1.1.2: request %zu: "
				    "hashAlgorithm parameters: %s",
				    i, der_strerror(e));
		if (params.tag != DER_NULL || params.len != 0)
			return fail(x,
				    "RFC 5754 2: request %zu: hash "
				    "parameters neither absent nor NULL",
				    i);
		if (der_finish(&c) != DER_OK)
			return fail(x,
				    "RFC 5280 4.1.1.2: request %zu: "
				    "hashAlgorithm has more than two fields",
				    i);
	}
	*out = (enum hash_alg)0;
	*digest_len = 0;
	for (k = 0; k < sizeof(hashes) / sizeof(hashes[0]); k++) {
		if (der_oid_eq(&oid, hashes[k].oid, hashes[k].oid_len)) {
			*out = hashes[k].alg;
			*digest_len = hashes[k].digest_len;
			break;
		}
	}
	return 1;
}

/* issuerNameHash and issuerKeyHash: equal lengths, the digest's length
 * for a known hash, 1..HASH_MAX_LEN for an unknown one. */
static int
check_hashes(struct ctx *x, const struct der_tlv *name,
	     const struct der_tlv *key, size_t digest_len, size_t i)
{
	if (name->len != key->len)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: issuerNameHash "
			    "(%zu octets) and issuerKeyHash (%zu) differ in "
			    "length",
			    i, name->len, key->len);
	if (digest_len != 0 && name->len != digest_len)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: hashes of %zu "
			    "octets for a %zu-octet hashAlgorithm",
			    i, name->len, digest_len);
	if (name->len == 0 || name->len > HASH_MAX_LEN)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: hashes of %zu "
			    "octets (1..%d allowed)",
			    i, name->len, HASH_MAX_LEN);
	return 1;
}

/* serialNumber: RFC 5280 4.1.2.2, a DER INTEGER; like the CRL reader
 * we take more than 20 octets, up to MAX_SERIAL_LEN. */
static int
check_serial(struct ctx *x, const struct der_tlv *t, size_t i)
{
	enum der_err e;

	if ((e = der_check_integer(t)) != DER_OK)
		return fail(x,
			    "RFC 5280 4.1.2.2: request %zu: serialNumber: %s",
			    i, der_strerror(e));
	if (t->len > MAX_SERIAL_LEN)
		return fail(x,
			    "RFC 5280 4.1.2.2: request %zu: serial of %zu "
			    "octets exceeds the limit of %d",
			    i, t->len, MAX_SERIAL_LEN);
	return 1;
}

static int
parse_certid(struct ctx *x, const struct der_cursor *parent,
	     const struct der_tlv *cid, size_t i, struct ocsp_certid *out)
{
	struct der_cursor c;
	struct der_tlv alg, name, key, serial;
	enum der_err e;
	size_t digest_len;

	if ((e = der_enter(parent, cid, &c)) != DER_OK ||
	    (e = der_expect(&c, DER_SEQUENCE, &alg)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: CertID "
			    "hashAlgorithm: %s",
			    i, der_strerror(e));
	if (!check_hash_alg(x, &c, &alg, i, &out->alg, &digest_len))
		return 0;
	if ((e = der_expect(&c, DER_OCTET_STRING, &name)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: issuerNameHash: %s",
			    i, der_strerror(e));
	if ((e = der_expect(&c, DER_OCTET_STRING, &key)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: request %zu: issuerKeyHash: %s",
			    i, der_strerror(e));
	if (!check_hashes(x, &name, &key, digest_len, i))
		return 0;
	if ((e = der_expect(&c, DER_INTEGER, &serial)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: request %zu: serialNumber: %s",
			    i, der_strerror(e));
	if (!check_serial(x, &serial, i))
		return 0;
	if ((e = der_finish(&c)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: CertID has more "
			    "than four fields",
			    i);
	out->raw = cid->raw;
	out->raw_len = cid->raw_len;
	out->name_hash = name.val;
	out->key_hash = key.val;
	out->hash_len = name.len;
	out->serial = serial.val;
	out->serial_len = serial.len;
	return 1;
}

/* Request ::= SEQUENCE { reqCert CertID,
 *                        singleRequestExtensions [0] EXPLICIT OPTIONAL } */
static int
parse_request(struct ctx *x, struct der_cursor *list, size_t i)
{
	struct der_cursor c;
	struct der_tlv req, cid, exts;
	enum der_err e;
	int present;

	if ((e = der_expect(list, DER_SEQUENCE, &req)) != DER_OK ||
	    (e = der_enter(list, &req, &c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: request %zu: %s", i,
			    der_strerror(e));
	if ((e = der_expect(&c, DER_SEQUENCE, &cid)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: request %zu: reqCert: %s", i,
			    der_strerror(e));
	if (!parse_certid(x, &c, &cid, i, &x->out->ids[i]))
		return 0;
	if ((e = der_optional(&c, DER_CTX_CONS(0), &exts, &present)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: "
			    "singleRequestExtensions: %s",
			    i, der_strerror(e));
	if (present && !walk_extensions(x, &c, &exts, "singleRequestExtensions",
					single_ext))
		return 0;
	if ((e = der_finish(&c)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: request %zu: Request has more "
			    "than two fields",
			    i);
	return 1;
}

/* ---- TBSRequest -------------------------------------------------------- */

/* version [0] EXPLICIT Version DEFAULT v1: when encoded, it must be v1. */
static int
check_version(struct ctx *x, const struct der_cursor *parent,
	      const struct der_tlv *wrap)
{
	struct der_cursor c;
	struct der_tlv t;
	enum der_err e;
	uint64_t v;

	if ((e = der_enter(parent, wrap, &c)) != DER_OK ||
	    (e = der_expect(&c, DER_INTEGER, &t)) != DER_OK ||
	    (e = der_finish(&c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: version: %s", der_strerror(e));
	if (der_get_uint64(&t, &v) != DER_OK || v != 0)
		return fail(x, "RFC 6960 4.1.2: version is not v1 (0)");
	return 1;
}

/*
 * requestorName [1] EXPLICIT GeneralName (RFC 5280 4.2.1.6): one value,
 * a context tag 0..8 whose form (constructed or primitive) matches the
 * CHOICE alternative. Its contents are not used.
 */
static int
check_requestor(struct ctx *x, const struct der_cursor *parent,
		const struct der_tlv *wrap)
{
	/* 1: constructed, 0: primitive, for [0]..[8]. */
	static const uint8_t cons[9] = {1, 0, 0, 1, 1, 1, 0, 0, 0};
	struct der_cursor c;
	struct der_tlv t;
	enum der_err e;
	unsigned n;

	if ((e = der_enter(parent, wrap, &c)) != DER_OK ||
	    (e = der_next(&c, &t)) != DER_OK || (e = der_finish(&c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: requestorName: %s",
			    der_strerror(e));
	n = t.tag & 0x1F;
	if ((t.tag & 0xC0) != DER_CLASS_CONTEXT || n > 8 ||
	    !!(t.tag & 0x20) != cons[n])
		return fail(x, "RFC 5280 4.2.1.6: requestorName is not a "
			       "GeneralName");
	return 1;
}

/* requestList: SEQUENCE OF Request, 1..max_single of them. */
static int
parse_list(struct ctx *x, const struct der_cursor *parent,
	   const struct der_tlv *list)
{
	struct der_cursor c;
	enum der_err e;

	if ((e = der_enter(parent, list, &c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: requestList: %s",
			    der_strerror(e));
	if (der_at_end(&c))
		return fail(x, "RFC 6960 4.1.1: requestList is empty");
	while (!der_at_end(&c)) {
		if (x->out->n == x->max_single)
			return fail(x,
				    "RFC 6960 4.1.1: more than %zu single "
				    "requests in requestList",
				    x->max_single);
		if (!parse_request(x, &c, x->out->n))
			return 0;
		x->out->n++;
	}
	return 1;
}

static int
parse_tbs(struct ctx *x, const struct der_cursor *parent,
	  const struct der_tlv *tbs)
{
	struct der_cursor c;
	struct der_tlv t;
	enum der_err e;
	int present;

	if ((e = der_enter(parent, tbs, &c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: tbsRequest: %s",
			    der_strerror(e));
	if ((e = der_optional(&c, DER_CTX_CONS(0), &t, &present)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: tbsRequest: %s",
			    der_strerror(e));
	if (present && !check_version(x, &c, &t))
		return 0;
	if ((e = der_optional(&c, DER_CTX_CONS(1), &t, &present)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: tbsRequest: %s",
			    der_strerror(e));
	if (present && !check_requestor(x, &c, &t))
		return 0;
	if ((e = der_expect(&c, DER_SEQUENCE, &t)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: requestList: %s",
			    der_strerror(e));
	if (!parse_list(x, &c, &t))
		return 0;
	if ((e = der_optional(&c, DER_CTX_CONS(2), &t, &present)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: requestExtensions: %s",
			    der_strerror(e));
	if (present &&
	    !walk_extensions(x, &c, &t, "requestExtensions", request_ext))
		return 0;
	if ((e = der_finish(&c)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: tbsRequest: unexpected field "
			    "after %s",
			    present ? "requestExtensions" : "requestList");
	return 1;
}

/* ---- optionalSignature (RFC 6960 4.1.1, 4.1.2): form only --------------- */

/* AlgorithmIdentifier ::= SEQUENCE { OID, parameters ANY OPTIONAL } */
static int
check_algid(const struct der_cursor *parent, const struct der_tlv *t)
{
	struct der_cursor c;
	struct der_tlv oid, params;

	if (t->tag != DER_SEQUENCE || der_enter(parent, t, &c) != DER_OK)
		return 0;
	if (der_expect(&c, DER_OID, &oid) != DER_OK ||
	    der_check_oid(&oid) != DER_OK)
		return 0;
	if (!der_at_end(&c) && der_next(&c, &params) != DER_OK)
		return 0;
	return der_finish(&c) == DER_OK;
}

/*
 * Signature ::= SEQUENCE { signatureAlgorithm AlgorithmIdentifier,
 *     signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate
 *     OPTIONAL }. Not verified; each certificate need only be a
 * non-empty SEQUENCE.
 */
static int
check_signature(struct ctx *x, const struct der_cursor *parent,
		const struct der_tlv *wrap)
{
	struct der_cursor wc, c, cc, lc;
	struct der_tlv sig, t, certs, cert;
	const uint8_t *bits;
	size_t bits_len;
	enum der_err e;
	int present;

	if ((e = der_enter(parent, wrap, &wc)) != DER_OK ||
	    (e = der_expect(&wc, DER_SEQUENCE, &sig)) != DER_OK ||
	    (e = der_finish(&wc)) != DER_OK ||
	    (e = der_enter(&wc, &sig, &c)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: optionalSignature is not one "
			    "Signature: %s",
			    der_strerror(e));
	if ((e = der_next(&c, &t)) != DER_OK || !check_algid(&c, &t))
		return fail(x, "RFC 6960 4.1.1: optionalSignature: "
			       "signatureAlgorithm malformed");
	if ((e = der_expect(&c, DER_BIT_STRING, &t)) != DER_OK ||
	    (e = der_get_bits(&t, &bits, &bits_len)) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: optionalSignature: signature: %s",
			    der_strerror(e));
	if ((e = der_optional(&c, DER_CTX_CONS(0), &t, &present)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: optionalSignature: certs: %s",
			    der_strerror(e));
	if (present) {
		if ((e = der_enter(&c, &t, &cc)) != DER_OK ||
		    (e = der_expect(&cc, DER_SEQUENCE, &certs)) != DER_OK ||
		    (e = der_finish(&cc)) != DER_OK ||
		    (e = der_enter(&cc, &certs, &lc)) != DER_OK)
			return fail(x,
				    "RFC 6960 4.1.1: optionalSignature: "
				    "certs is not a SEQUENCE OF Certificate: "
				    "%s",
				    der_strerror(e));
		while (!der_at_end(&lc)) {
			if ((e = der_expect(&lc, DER_SEQUENCE, &cert)) !=
			    DER_OK)
				return fail(x,
					    "RFC 6960 4.1.1: "
					    "optionalSignature: certs: %s",
					    der_strerror(e));
			if (cert.len == 0)
				return fail(x, "RFC 5280 4.1: "
					       "optionalSignature: empty "
					       "Certificate");
		}
	}
	if ((e = der_finish(&c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: optionalSignature has more "
			       "than three fields");
	return 1;
}

/* ---- OCSPRequest ------------------------------------------------------- */

static int
parse(struct ctx *x, const uint8_t *buf, size_t len)
{
	struct der_cursor top, c;
	struct der_tlv req, tbs, t;
	enum der_err e;
	int present;

	der_init(&top, buf, len);
	if ((e = der_expect(&top, DER_SEQUENCE, &req)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: OCSPRequest: %s",
			    der_strerror(e));
	if (der_finish(&top) != DER_OK)
		return fail(x,
			    "RFC 6960 4.1.1: %zu bytes after the "
			    "OCSPRequest",
			    (size_t)(top.end - top.p));
	if ((e = der_enter(&top, &req, &c)) != DER_OK ||
	    (e = der_expect(&c, DER_SEQUENCE, &tbs)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: tbsRequest: %s",
			    der_strerror(e));
	if (!parse_tbs(x, &c, &tbs))
		return 0;
	if ((e = der_optional(&c, DER_CTX_CONS(0), &t, &present)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: optionalSignature: %s",
			    der_strerror(e));
	if (present && !check_signature(x, &c, &t))
		return 0;
	if ((e = der_finish(&c)) != DER_OK)
		return fail(x, "RFC 6960 4.1.1: OCSPRequest has more than "
			       "two fields");
	return 1;
}

int
ocsp_request_parse(const uint8_t *buf, size_t len, size_t max_single,
		   struct ocsp_request *out, char *why, size_t whylen)
{
	struct ctx x;

	x.why = why;
	x.whylen = whylen;
	x.max_single =
	    max_single < OCSP_MAX_SINGLE ? max_single : OCSP_MAX_SINGLE;
	x.out = out;
	out->n = 0;
	out->nonce = NULL;
	out->nonce_len = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (parse(&x, buf, len))
		return 1;
	/* Nothing half-parsed reaches the caller. */
	out->n = 0;
	out->nonce = NULL;
	out->nonce_len = 0;
	return 0;
}

/* ---- unsuccessful responses (RFC 6960 4.2.1) ---------------------------- */

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes
 * [0] EXPLICIT OPTIONAL }: without responseBytes when not successful. */
static const uint8_t resp_malformed[] = {0x30, 0x03, 0x0A, 0x01, 0x01};
static const uint8_t resp_internal[] = {0x30, 0x03, 0x0A, 0x01, 0x02};
static const uint8_t resp_try_later[] = {0x30, 0x03, 0x0A, 0x01, 0x03};
static const uint8_t resp_sig_required[] = {0x30, 0x03, 0x0A, 0x01, 0x05};
static const uint8_t resp_unauthorized[] = {0x30, 0x03, 0x0A, 0x01, 0x06};

const uint8_t *
ocsp_error_response(enum ocsp_status st, size_t *out_len)
{
	const uint8_t *r;

	switch (st) {
	case OCSP_MALFORMED_REQUEST:
		r = resp_malformed;
		break;
	case OCSP_INTERNAL_ERROR:
		r = resp_internal;
		break;
	case OCSP_TRY_LATER:
		r = resp_try_later;
		break;
	case OCSP_SIG_REQUIRED:
		r = resp_sig_required;
		break;
	case OCSP_UNAUTHORIZED:
		r = resp_unauthorized;
		break;
	case OCSP_SUCCESSFUL:
	default:
		*out_len = 0;
		return NULL;
	}
	*out_len = 5;
	return r;
}
