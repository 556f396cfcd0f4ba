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
decodes_as(const char *text, int json, const char *want)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int ok = crypto_base64_decode(text, strlen(text), json, &out, &len);

	if (ok && want != NULL)
		ok = len == strlen(want) && memcmp(out, want, len) == 0;
	free(out);
	return ok;
}

static int
decodes(const char *text, const char *want)
{
	return decodes_as(text, 0, want);
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

/* The inside of a JSON string: base64 in lines, its solidus escaped. */
Test(base64, json_escapes)
{
	cr_assert(decodes_as("QU\\nJD\\r\\n", 1, "ABC"));
	cr_assert(decodes_as("Pz\\/A", 1, "\x3f\x3f\xc0"));
	cr_assert(decodes_as("\\tQUJD", 1, "ABC"));
	cr_assert(!decodes_as("QU\\nJD", 0, NULL), "escapes outside JSON");
	cr_assert(!decodes_as("QU\\bJD", 1, NULL));
	cr_assert(!decodes_as("QU\\u0041JD", 1, NULL));
	cr_assert(!decodes_as("QUJD\\", 1, NULL));
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
	cr_assert(crypto_base64_decode(text, tlen, 0, &whole, &len));
	cr_assert(len == n && memcmp(whole, data, n) == 0);
	cr_assert(crypto_base64_stream(text, tlen, 0, sink, &a));
	cr_assert(a.len == n && memcmp(a.p, data, n) == 0);

	memcpy(text + 1000, "==", 2);
	a.len = 0;
	cr_assert(!crypto_base64_stream(text, tlen, 0, sink, &a));
	free(whole);
	whole = NULL;
	cr_assert(!crypto_base64_decode(text, tlen, 0, &whole, &len));
	free(a.p);
	free(text);
	free(b64);
	free(data);
}

/* The rules of RFC 4648 4 as plainly as they can be said: white space
 * dropped, the rest of the alphabet and '=', a whole number of quads,
 * '=' only as the last one or two. Returns the octets it stands for
 * (-1: not base64) into out. */
static int
reference(const char *text, size_t len, uint8_t *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *q = malloc(len + 1);
	size_t i, n = 0, pad = 0;
	int k = -1;

	cr_assert(q != NULL);
	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || text[i] == '\0')
			q[n++] = text[i];
	for (i = 0; i < n; i++) {
		if (q[i] == '=')
			pad++;
		else if (q[i] == '\0' || !strchr(alphabet, q[i]) || pad > 0)
			goto out;
	}
	if (n % 4 != 0 || pad > 2)
		goto out;
	k = n == 0 ? 0 : EVP_DecodeBlock(out, (unsigned char *)q, (int)n);
	cr_assert(k >= (int)pad);
	k -= (int)pad;
out:
	free(q);
	return k;
}

/* Random data encoded, white space strewn in, then one octet changed
 * at random: the decoder says what the plain statement of the rules
 * says, whole and streamed. */
Test(base64, agrees_with_the_rules)
{
	enum { ROUNDS = 3000, MAXDATA = 300 };
	static const char noise[] = " \t\r\n=A+/-_.!\0\x80";
	uint8_t data[MAXDATA], want[2 * MAXDATA], *got = NULL;
	char b64[2 * MAXDATA], text[4 * MAXDATA];
	struct acc a = {malloc(4 * MAXDATA), 0};
	size_t dlen, blen, tlen, i, len;
	unsigned seed = 4648;
	int r, k, ok;

	cr_assert(a.p != NULL);
	for (r = 0; r < ROUNDS; r++) {
		dlen = (size_t)rand_r(&seed) % MAXDATA;
		for (i = 0; i < dlen; i++)
			data[i] = (uint8_t)rand_r(&seed);
		blen = (size_t)EVP_EncodeBlock((unsigned char *)b64, data,
					       (int)dlen);
		for (i = tlen = 0; i < blen; i++) {
			while (rand_r(&seed) % 8 == 0)
				text[tlen++] = " \t\r\n"[rand_r(&seed) % 4];
			text[tlen++] = b64[i];
		}
		if (r % 2 == 1 && tlen > 0)
			text[(size_t)rand_r(&seed) % tlen] =
			    noise[(size_t)rand_r(&seed) % (sizeof(noise) - 1)];
		k = reference(text, tlen, want);
		if (r % 2 == 0)
			cr_assert(k == (int)dlen &&
				  memcmp(want, data, dlen) == 0);
		ok = crypto_base64_decode(text, tlen, 0, &got, &len);
		cr_assert(ok == (k >= 0), "round %d: decoder %d, rules %d", r,
			  ok, k);
		if (ok)
			cr_assert(len == (size_t)k &&
				      memcmp(got, want, len) == 0,
				  "round %d", r);
		free(got);
		got = NULL;
		a.len = 0;
		ok = crypto_base64_stream(text, tlen, 0, sink, &a);
		cr_assert(ok == (k >= 0), "round %d (stream)", r);
		if (ok)
			cr_assert(a.len == (size_t)k &&
				  memcmp(a.p, want, a.len) == 0);
	}
	free(a.p);
}
