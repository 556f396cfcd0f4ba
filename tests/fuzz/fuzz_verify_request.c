/*
 * libFuzzer driver for the JSON request decoder of POST /v1/verify
 * (src/verify/request.c, verify_request_parse()). At the first call it
 * initialises the crypto (GOST_AUTO) so that digest names resolve.
 *
 * On every input the decoder must either fail with a non-empty message
 * and a cleared request, or succeed with a non-empty signature; content
 * and a digest never both; a digest has a known algorithm and that
 * algorithm's length; decoding the same input twice gives the same
 * result.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "otzyv/crypto.h"
#include "otzyv/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct verify_request a, b;
	char err[512], err2[512];
	int ok, ok2;

	if (!ready) {
		if (!crypto_init(GOST_AUTO, err, sizeof(err)))
			__builtin_trap();
		ready = 1;
	}
	err[0] = '\0';
	ok = verify_request_parse(data, size, &a, err, sizeof(err));
	ok2 = verify_request_parse(data, size, &b, err2, sizeof(err2));
	if (ok != ok2)
		__builtin_trap();
	if (!ok) {
		if (err[0] == '\0' || strcmp(err, err2) != 0 || a.sig != NULL ||
		    a.content != NULL || a.digest != NULL)
			__builtin_trap();
		return 0;
	}
	if (a.sig == NULL || a.sig_len == 0 || a.sig_len != b.sig_len ||
	    memcmp(a.sig, b.sig, a.sig_len) != 0)
		__builtin_trap();
	if (a.content != NULL && a.digest != NULL)
		__builtin_trap();
	if (a.digest != NULL) {
		const EVP_MD *md = crypto_md((enum hash_alg)a.digest_alg);

		if (md == NULL || a.digest_len != (size_t)EVP_MD_get_size(md))
			__builtin_trap();
	}
	verify_request_clear(&a);
	verify_request_clear(&b);
	return 0;
}
