/*
 * libFuzzer driver for CMS signature validation (src/verify/, through
 * verify_run()). At the first call it initialises the crypto (GOST_AUTO)
 * and opens a fresh store in a temporary directory (removed at exit),
 * holding one CA certificate named like the corpus's EC CA but with a
 * key of its own, so that path building finds a candidate in the store.
 * No anchors are given and opts.now is fixed.
 *
 * Input: when the first byte is even, the whole input is the signature
 * (no content, no digest). When it is odd, the input is a detached
 * signature and its content: octets 1-2 are a big-endian length (cut to
 * what is left), that many octets from offset 3 are the signature and
 * the rest is the content.
 *
 * On every input verify_run() must either fail with a message and no
 * answer, or succeed with an answer whose "verdict" is "valid",
 * "invalid" or "indeterminate", the worst of its 1..MAX_VERIFY_SIGNERS
 * "signers", each with a verdict of its own; and with no anchors
 * nothing is ever "valid". OpenSSL's error queue is left empty. The
 * same input through a cache kept across inputs (certificates decoded
 * apart and reused) must get the same answer, to the byte.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "otzyv/limits.h"
#include "otzyv/store.h"
#include "otzyv/verify.h"

#include "fuzz_store.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_verify: %s:%d: %s\n", __FILE__,  \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

/* 2031-01-01T00:00:00Z: inside the corpus certificates' ten years. */
#define FUZZ_NOW ((int64_t)1924992000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static struct verify_cache *cache;

static void
drop_cache(void)
{
	verify_cache_unref(cache);
	cache = NULL;
}

static void
setup(void)
{
	store = fuzz_store_open(NULL, NULL, NULL);
	/* No anchors, as without a cache. */
	if ((cache = verify_cache_new(NULL, 0)) == NULL)
		FUZZ_DIE("cannot make a cache");
	atexit(drop_cache);
	ERR_clear_error();
}

/* The same input through the cache (certificates decoded apart and
 * kept across inputs) must get the same answer, to the byte. */
static void
check_cached(const struct verify_opts *plain, const struct verify_input *in,
	     enum verify_err want, const json_t *answer)
{
	struct verify_opts o = *plain;
	json_t *again = NULL;
	char err[512], *a, *b;
	enum verify_err ve;

	o.cache = cache;
	ve = verify_run(store, &o, in, &again, err, sizeof(err));
	CHECK(ve == want);
	if (want != VERIFY_OK)
		return;
	a = json_dumps(answer, JSON_SORT_KEYS);
	b = json_dumps(again, JSON_SORT_KEYS);
	CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
	free(a);
	free(b);
	json_decref(again);
}

static int
rank(const char *v)
{
	if (v == NULL)
		return -1;
	if (strcmp(v, "valid") == 0)
		return 0;
	if (strcmp(v, "indeterminate") == 0)
		return 1;
	if (strcmp(v, "invalid") == 0)
		return 2;
	return -1;
}

static void
check_answer(const json_t *answer)
{
	const json_t *signers, *one;
	int overall, worst = 0, r;
	size_t i;

	CHECK(answer != NULL && json_is_object(answer));
	overall = rank(json_string_value(json_object_get(answer, "verdict")));
	CHECK(overall >= 0);
	CHECK(rank(verify_verdict(answer)) == overall);
	/* No anchors: no path ends at one. */
	CHECK(overall != 0);
	signers = json_object_get(answer, "signers");
	CHECK(json_is_array(signers));
	CHECK(json_array_size(signers) >= 1 &&
	      json_array_size(signers) <= MAX_VERIFY_SIGNERS);
	json_array_foreach(signers, i, one)
	{
		CHECK(json_is_object(one));
		r = rank(json_string_value(json_object_get(one, "verdict")));
		CHECK(r > 0);
		if (r > worst)
			worst = r;
	}
	CHECK(worst == overall);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct verify_opts opts;
	struct verify_input in;
	json_t *answer = (json_t *)1;
	char err[512];
	size_t n;
	enum verify_err ve;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.now = FUZZ_NOW;
	memset(&in, 0, sizeof(in));
	if (size > 0 && (data[0] & 1)) {
		if (size < 3)
			return 0;
		n = (size_t)data[1] << 8 | data[2];
		if (n > size - 3)
			n = size - 3;
		in.sig = data + 3;
		in.sig_len = n;
		in.content = data + 3 + n;
		in.content_len = size - 3 - n;
	} else {
		in.sig = data;
		in.sig_len = size;
	}

	err[0] = '\0';
	ve = verify_run(store, &opts, &in, &answer, err, sizeof(err));
	CHECK(ve == VERIFY_OK || ve == VERIFY_BAD_INPUT || ve == VERIFY_STORE ||
	      ve == VERIFY_INTERNAL);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (ve == VERIFY_OK)
		check_answer(answer);
	else
		CHECK(answer == NULL && err[0] != '\0');
	check_cached(&opts, &in, ve, answer);
	json_decref(answer);
	CHECK(ERR_peek_error() == 0);
	return 0;
}
