/*
 * crypto_base64_decode() and crypto_base64_stream(): RFC 4648 text with
 * white space, padding only at the end, nothing after a "-" taken for
 * the end; the streamed decoding equal to the whole one across its
 * pieces.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "otzyv/crypto.h"

static int
decodes(const char *text, const char *want)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int ok = crypto_base64_decode(text, strlen(text), &out, &len);

	if (ok && want != NULL)
		ok = len == strlen(want) && memcmp(out, want, len) == 0;
	free(out);
	return ok;
}

Test(base64, accepts)
{
	cr_assert(decodes("QUJD", "ABC"));
	cr_assert(decodes(" QU\tJD\r\n", "ABC"));
	cr_assert(decodes("QUI=", "AB"));
	cr_assert(decodes("QQ==\n", "A"));
	cr_assert(decodes("", ""));
}

Test(base64, refuses)
{
	static const char *const bad[] = {
	    "QUJD-!!!!", "QUJD-",  "QQ==QUJD", "QQ===",	   "QUJ",
	    "Q!JD",	 "QUJD\f", "QU=JD",    "QUJD\x80",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!decodes(bad[i], NULL), "accepted \"%s\"", bad[i]);
}

struct acc {
	uint8_t *p;
	size_t len;
};

static int
sink(void *arg, const uint8_t *piece, size_t n)
{
	struct acc *a = arg;

	memcpy(a->p + a->len, piece, n);
	a->len += n;
	return 1;
}

/* 300 KiB in lines of 76, so that pieces end mid-line and mid-quad;
 * then padding in the middle of the first piece. */
Test(base64, stream_equals_whole)
{
	size_t n = 300 * 1024, blen, tlen = 0, i, len;
	uint8_t *data = malloc(n), *whole = NULL;
	char *b64 = malloc(n * 2), *text = malloc(n * 2);
	struct acc a = {malloc(n), 0};

	cr_assert(data && b64 && text && a.p);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	blen = (size_t)EVP_EncodeBlock((unsigned char *)b64, data, (int)n);
	for (i = 0; i < blen; i++) {
		text[tlen++] = b64[i];
		if (i % 76 == 75)
			text[tlen++] = '\n';
	}
	cr_assert(crypto_base64_decode(text, tlen, &whole, &len));
	cr_assert(len == n && memcmp(whole, data, n) == 0);
	cr_assert(crypto_base64_stream(text, tlen, sink, &a));
	cr_assert(a.len == n && memcmp(a.p, data, n) == 0);

	memcpy(text + 1000, "==", 2);
	a.len = 0;
	cr_assert(!crypto_base64_stream(text, tlen, sink, &a));
	free(whole);
	whole = NULL;
	cr_assert(!crypto_base64_decode(text, tlen, &whole, &len));
	free(a.p);
	free(text);
	free(b64);
	free(data);
}
