/*
 * libFuzzer driver for the OCSP request reader (src/ocsp/request.c).
 * ocsp_request_parse() runs with max_single = OCSP_MAX_SINGLE and must
 * either refuse the input with a message or give a struct ocsp_request
 * whose every pointer lies inside the input:
 *
 *  - 1 <= n <= OCSP_MAX_SINGLE;
 *  - each CertID raw slice lies in the input, is a whole SEQUENCE TLV
 *    (0x30 and a length that spans exactly raw_len), follows the one
 *    before it, and holds its hashes and serial;
 *  - the two hashes have equal lengths of 1..HASH_MAX_LEN, the digest's
 *    length when the algorithm is known, and alg is 0 or a hash_alg;
 *  - the serial is a minimal INTEGER of 1..MAX_SERIAL_LEN octets;
 *  - the nonce, when present, is an OCTET STRING TLV of 1..32 octets
 *    (nonce_len <= 34) inside the input;
 *  - on refusal, nothing is left half set.
 *
 * When OpenSSL's own d2i_OCSP_REQUEST also accepts the input, both must
 * agree on the number of single requests, each serial and hash, and the
 * CertID bytes (OpenSSL is laxer, so it accepting what we refuse is
 * expected; the reverse is only reported when they disagree on fields).
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "otzyv/crypto.h"
#include "otzyv/der.h"
#include "otzyv/limits.h"
#include "otzyv/ocsp.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_ocsp: %s:%d: %s\n", __FILE__,    \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* [p, p + len) inside [lo, lo + lo_len). */
static int
inside(const uint8_t *p, size_t len, const uint8_t *lo, size_t lo_len)
{
	return p != NULL && p >= lo && p <= lo + lo_len &&
	       len <= (size_t)(lo + lo_len - p);
}

static size_t
digest_len(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1:
		return 20;
	case HASH_SHA256:
	case HASH_STREEBOG256:
	case HASH_GOST94:
		return 32;
	case HASH_SHA384:
		return 48;
	case HASH_SHA512:
	case HASH_STREEBOG512:
		return 64;
	}
	return 0;
}

static void
check_certid(const struct ocsp_certid *id, const uint8_t *data, size_t size,
	     const uint8_t *prev_end)
{
	struct der_cursor c;
	struct der_tlv t;

	CHECK(inside(id->raw, id->raw_len, data, size));
	CHECK(id->raw >= prev_end);
	CHECK(id->raw_len >= 2 && id->raw[0] == DER_SEQUENCE);
	/* raw is exactly one TLV. */
	der_init(&c, id->raw, id->raw_len);
	CHECK(der_next(&c, &t) == DER_OK && der_at_end(&c));
	CHECK(t.raw == id->raw && t.raw_len == id->raw_len);

	CHECK((int)id->alg == 0 ||
	      (id->alg >= HASH_FIRST && id->alg <= HASH_LAST));
	CHECK(id->hash_len >= 1 && id->hash_len <= HASH_MAX_LEN);
	if (id->alg != 0)
		CHECK(id->hash_len == digest_len(id->alg));
	CHECK(inside(id->name_hash, id->hash_len, id->raw, id->raw_len));
	CHECK(inside(id->key_hash, id->hash_len, id->raw, id->raw_len));
	CHECK(id->name_hash + id->hash_len <= id->key_hash);
	/* Each hash is the contents of an OCTET STRING (short form). */
	CHECK(id->name_hash[-2] == DER_OCTET_STRING &&
	      id->name_hash[-1] == id->hash_len);
	CHECK(id->key_hash[-2] == DER_OCTET_STRING &&
	      id->key_hash[-1] == id->hash_len);

	CHECK(id->serial_len >= 1 && id->serial_len <= MAX_SERIAL_LEN);
	CHECK(inside(id->serial, id->serial_len, id->raw, id->raw_len));
	CHECK(id->key_hash + id->hash_len <= id->serial);
	/* The serial ends the CertID, as a minimal INTEGER. */
	CHECK(id->serial + id->serial_len == id->raw + id->raw_len);
	memset(&t, 0, sizeof(t));
	t.tag = DER_INTEGER;
	t.val = id->serial;
	t.len = id->serial_len;
	CHECK(der_check_integer(&t) == DER_OK);
}

/* INTEGER contents of a, into out; its length. */
static size_t
integer_contents(const ASN1_INTEGER *a, uint8_t *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = i2d_ASN1_INTEGER(a, &der);
	size_t hl, len = 0;

	if (n > 2) {
		hl = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7F);
		if ((size_t)n > hl && (size_t)n - hl <= cap) {
			len = (size_t)n - hl;
			memcpy(out, der + hl, len);
		}
	}
	OPENSSL_free(der);
	return len;
}

/* Both decoders accepted data: they agree on every CertID. */
static void
differential(const struct ocsp_request *r, const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)size);
	size_t i;

	if (req == NULL || p != data + size) {
		OCSP_REQUEST_free(req);
		ERR_clear_error();
		return;
	}
	CHECK((size_t)OCSP_request_onereq_count(req) == r->n);
	for (i = 0; i < r->n; i++) {
		OCSP_CERTID *cid =
		    OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, (int)i));
		ASN1_OCTET_STRING *nh, *kh;
		ASN1_OBJECT *md;
		ASN1_INTEGER *sn;
		uint8_t serial[MAX_SERIAL_LEN + 8];
		unsigned char *cd = NULL;
		int cl;

		CHECK(OCSP_id_get0_info(&nh, &md, &kh, &sn, cid) == 1);
		CHECK((size_t)ASN1_STRING_length(nh) == r->ids[i].hash_len);
		CHECK(memcmp(ASN1_STRING_get0_data(nh), r->ids[i].name_hash,
			     r->ids[i].hash_len) == 0);
		CHECK((size_t)ASN1_STRING_length(kh) == r->ids[i].hash_len);
		CHECK(memcmp(ASN1_STRING_get0_data(kh), r->ids[i].key_hash,
			     r->ids[i].hash_len) == 0);
		CHECK(integer_contents(sn, serial, sizeof(serial)) ==
		      r->ids[i].serial_len);
		CHECK(memcmp(serial, r->ids[i].serial, r->ids[i].serial_len) ==
		      0);
		/* Our DER is canonical, so OpenSSL re-encodes it as is. */
		cl = i2d_OCSP_CERTID(cid, &cd);
		CHECK(cl > 0 && (size_t)cl == r->ids[i].raw_len &&
		      memcmp(cd, r->ids[i].raw, (size_t)cl) == 0);
		OPENSSL_free(cd);
	}
	OCSP_REQUEST_free(req);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	struct ocsp_request r;
	char why[256];
	const uint8_t *prev_end;
	size_t i;
	int ok;

	if (size == 0)
		data = empty;
	memset(&r, 0xA5, sizeof(r));
	memset(why, 'X', sizeof(why));
	ok = ocsp_request_parse(data, size, OCSP_MAX_SINGLE, &r, why,
				sizeof(why));
	CHECK(ok == 0 || ok == 1);
	if (!ok) {
		CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
		CHECK(r.n == 0 && r.nonce == NULL && r.nonce_len == 0);
		return 0;
	}
	CHECK(why[0] == '\0');
	CHECK(r.n >= 1 && r.n <= OCSP_MAX_SINGLE);
	prev_end = data;
	for (i = 0; i < r.n; i++) {
		check_certid(&r.ids[i], data, size, prev_end);
		prev_end = r.ids[i].raw + r.ids[i].raw_len;
	}
	if (r.nonce != NULL) {
		CHECK(inside(r.nonce, r.nonce_len, data, size));
		CHECK(r.nonce_len >= 3 && r.nonce_len <= OCSP_MAX_NONCE + 2);
		CHECK(r.nonce[0] == DER_OCTET_STRING &&
		      r.nonce[1] == r.nonce_len - 2);
		/* After every CertID: requestExtensions follow requestList. */
		CHECK(r.nonce >= prev_end);
	} else {
		CHECK(r.nonce_len == 0);
	}
	differential(&r, data, size);
	return 0;
}
