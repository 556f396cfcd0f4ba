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

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "otzyv/store.h"
#include "otzyv/verify.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_verify: %s:%d: %s\n", __FILE__,  \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

#define DIE(msg)                                                               \
	do {                                                                   \
		fprintf(stderr, "fuzz_verify: %s\n", msg);                     \
		abort();                                                       \
	} while (0)

/* 2031-01-01T00:00:00Z: inside the corpus certificates' ten years. */
#define FUZZ_NOW ((int64_t)1924992000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static struct verify_cache *cache;
static char dir[64];

static void
cleanup(void)
{
	DIR *d;
	struct dirent *e;
	char path[sizeof(dir) + 300];

	verify_cache_unref(cache);
	cache = NULL;
	store_close(store);
	store = NULL;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* A self-signed P-256 CA with the corpus EC CA's subject. */
static X509 *
make_ca(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	static const char *const exts[][2] = {
	    {"basicConstraints", "critical,CA:true"},
	    {"keyUsage", "critical,keyCertSign,cRLSign"},
	    {"subjectKeyIdentifier", "hash"},
	};
	size_t i;

	if (key == NULL || x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){0}) ==
		NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0,
			     &(time_t){4102444800}) == NULL ||
	    (n = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(
		n, "C", MBSTRING_ASC, (const unsigned char *)"RU", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const unsigned char *)"otzyv corpus",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"Corpus CA ec",
					-1, -1, 0) ||
	    !X509_set_issuer_name(x, n) || !X509_set_pubkey(x, key))
		DIE("cannot make a CA certificate");
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if ((ext = X509V3_EXT_nconf(NULL, &v3, exts[i][0],
					    exts[i][1])) == NULL ||
		    !X509_add_ext(x, ext, -1))
			DIE("cannot add a CA extension");
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(x, key, EVP_sha256()))
		DIE("cannot sign the CA certificate");
	EVP_PKEY_free(key);
	return x;
}

static void
setup(void)
{
	char err[256];
	const char *tmp = getenv("TMPDIR");
	X509 *ca;
	uint32_t id;

	if (!crypto_init(GOST_AUTO, err, sizeof(err))) {
		fprintf(stderr, "fuzz_verify: %s\n", err);
		abort();
	}
	if (tmp == NULL || tmp[0] == '\0' ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/otzyv-fuzz-verify-XXXXXX",
			     tmp) >= sizeof(dir))
		snprintf(dir, sizeof(dir), "/tmp/otzyv-fuzz-verify-XXXXXX");
	if (mkdtemp(dir) == NULL)
		DIE("cannot make a temporary directory");
	atexit(cleanup);
	if (store_open(dir, (size_t)64 << 20, 1, &store) != STORE_OK)
		DIE("cannot open the store");
	ca = make_ca();
	if (store_issuer_register(store, ca, "fuzz", STORE_SRC_MANUAL, &id) !=
	    STORE_OK)
		DIE("cannot register the CA");
	X509_free(ca);
	/* No anchors, as without a cache. */
	if ((cache = verify_cache_new(NULL, 0)) == NULL)
		DIE("cannot make a cache");
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
