/*
 * libFuzzer driver for the JSON request decoder of POST /v1/verify
 * (src/verify/request.c, verify_request_parse()). At the first call it
 * initialises the crypto (GOST_AUTO) so that digest names resolve.
 *
 * On every input the decoder must either fail with a non-empty message
 * and a cleared request, or succeed with a non-empty signature; content
 * and a digest never both; a digest has a known algorithm and that
 * algorithm's length; decoding the same input twice gives the same
 * result; and jansson alone (verify_request_parse_json) must decide as
 * the decoder with its fast scan does, to the same request (its
 * content the same once decoded: the scan leaves JSON's escapes in).
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "otzyv/crypto.h"
#include "otzyv/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The same content, once decoded: one decoding may have it with JSON's
 * escapes still in (content_b64_json), the other without. */
static int
same_content(const struct verify_request *a, const struct verify_request *b)
{
	uint8_t *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	int oka, okb, same;

	if (a->content_b64 == NULL || b->content_b64 == NULL)
		return a->content_b64 == b->content_b64;
	oka = crypto_base64_decode(a->content_b64, a->content_b64_len,
				   a->content_b64_json, &da, &la);
	okb = crypto_base64_decode(b->content_b64, b->content_b64_len,
				   b->content_b64_json, &db, &lb);
	same = oka == okb && (!oka || same_bytes(da, la, db, lb));
	free(da);
	free(db);
	return same;
}

/* Two decodings of one request say the same. */
static int
same(const struct verify_request *a, const struct verify_request *b)
{
	return same_bytes(a->sig, a->sig_len, b->sig, b->sig_len) &&
	       same_content(a, b) && a->digest_alg == b->digest_alg &&
	       same_bytes(a->digest, a->digest_len, b->digest, b->digest_len) &&
	       a->at == b->at;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct verify_request a, b, c;
	char err[512], err2[512];
	int ok, ok2, ok3;

	if (!ready) {
		if (!crypto_init(GOST_AUTO, err, sizeof(err)))
			__builtin_trap();
		ready = 1;
	}
	err[0] = '\0';
	ok = verify_request_parse(data, size, &a, err, sizeof(err));
	ok2 = verify_request_parse(data, size, &b, err2, sizeof(err2));
	ok3 = verify_request_parse_json(data, size, &c, err2, sizeof(err2));
	if (ok != ok2 || ok != ok3)
		__builtin_trap();
	if (!ok) {
		if (err[0] == '\0' || a.sig != NULL || a.content_b64 != NULL ||
		    a.digest != NULL || a.doc != NULL)
			__builtin_trap();
		return 0;
	}
	if (a.sig == NULL || a.sig_len == 0 || a.sig_len != b.sig_len ||
	    memcmp(a.sig, b.sig, a.sig_len) != 0)
		__builtin_trap();
	if (!same(&a, &c))
		__builtin_trap();
	if (a.content_b64 != NULL && a.digest != NULL)
		__builtin_trap();
	if (a.digest != NULL) {
		const EVP_MD *md = crypto_md((enum hash_alg)a.digest_alg);

		if (md == NULL || a.digest_len != (size_t)EVP_MD_get_size(md))
			__builtin_trap();
	}
	verify_request_clear(&a);
	verify_request_clear(&b);
	verify_request_clear(&c);
	return 0;
}
