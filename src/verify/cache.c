/*
 * What many verifications against one set of anchors share: the
 * anchors as an X509_STORE, certificates decoded once, and paths
 * already validated.
 *
 * Why: under OpenSSL 3 decoding a certificate (its public key goes
 * through the provider decoders) and building a store cost more than
 * checking a signature, and a relying party sees the same few signer
 * and CA certificates again and again. A signature is still checked
 * for every request; a path is not built again while the instant asked
 * about lies within the validity of all its certificates.
 *
 * A path is keyed by its leaf's SHA-256 and the purpose, and kept only
 * when it validated with nothing to report (every signature, name,
 * constraint and critical extension checked), so any later instant T
 * with latest notBefore <= T < earliest notAfter of its certificates
 * validates it alike (OpenSSL's bounds). It is used again only for a
 * request that could have built it: each certificate between leaf and
 * anchor must be among that request's own (the CMS's, the configured
 * intermediates) or have come from the store. Revocation is never
 * cached: it is read from the store for every answer. The anchors are
 * part of the cache: a different anchor set is a different cache.
 *
 * Certificates are kept by the SHA-256 of their encoding, but only
 * those of a validated path and of at most MAX_VERIFY_CACHED_CERT
 * octets: whatever a client sends is decoded for its request and
 * forgotten, so junk cannot fill the cache.
 *
 * Both tables are direct-mapped (a new entry replaces the one in its
 * slot): bounded memory, no eviction policy to get wrong. `mu` guards
 * them; decoding and validation happen outside it.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "otzyv/crypto.h"

#include "internal.h"

#define CACHE_CERTS VERIFY_CACHE_CERTS
#define CACHE_PATHS VERIFY_CACHE_PATHS

struct cert_slot {
	uint8_t h[32]; /* SHA-256 of the certificate's encoding */
	X509 *x;       /* NULL: empty */
};

struct path_slot {
	uint8_t h[32]; /* SHA-256 of the leaf's encoding */
	int purpose;
	int64_t lo, hi;	 /* lo <= T < hi: every certificate is valid at T */
	uint32_t stored; /* bit i: certificate i came from the store */
	STACK_OF(X509) * path; /* NULL: empty */
};

struct verify_cache {
	atomic_uint refs;
	pthread_mutex_t mu;
	X509_STORE *anchors;
	struct cert_slot certs[CACHE_CERTS];
	struct path_slot paths[CACHE_PATHS];
};

struct verify_cache *
verify_cache_new(X509 *const *anchors, size_t n)
{
	struct verify_cache *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	if ((c->anchors = X509_STORE_new()) == NULL ||
	    pthread_mutex_init(&c->mu, NULL) != 0) {
		X509_STORE_free(c->anchors);
		free(c);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	/* (A duplicate anchor is accepted: it is there once.) */
	for (i = 0; i < n; i++)
		if (!X509_STORE_add_cert(c->anchors, anchors[i])) {
			ERR_clear_error();
			verify_cache_unref(c);
			return NULL;
		}
	return c;
}

struct verify_cache *
verify_cache_ref(struct verify_cache *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void
verify_cache_unref(struct verify_cache *c)
{
	size_t i;

	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (i = 0; i < CACHE_CERTS; i++)
		X509_free(c->certs[i].x);
	for (i = 0; i < CACHE_PATHS; i++)
		sk_X509_pop_free(c->paths[i].path, X509_free);
	X509_STORE_free(c->anchors);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

X509_STORE *
cache_anchor_store(struct verify_cache *c)
{
	return X509_STORE_up_ref(c->anchors) ? c->anchors : NULL;
}

static size_t
slot_of(const uint8_t h[32], size_t n)
{
	return ((size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16) % n;
}

X509 *
cache_cert(struct verify_cache *c, const uint8_t *der, size_t len)
{
	uint8_t h[HASH_MAX_LEN];
	const unsigned char *p = der;
	struct cert_slot *s;
	X509 *x;

	if (crypto_hash(HASH_SHA256, der, len, h) != 32)
		return NULL;
	s = &c->certs[slot_of(h, CACHE_CERTS)];
	pthread_mutex_lock(&c->mu);
	if (s->x != NULL && memcmp(s->h, h, 32) == 0 && X509_up_ref(s->x)) {
		x = s->x;
		pthread_mutex_unlock(&c->mu);
		return x;
	}
	pthread_mutex_unlock(&c->mu);

	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	/* The extensions decoded now, once, not by each reader. */
	X509_check_purpose(x, -1, 0);
	ERR_clear_error();
	return x;
}

static int
cert_hash(X509 *x, uint8_t h[32])
{
	unsigned int n = 0;

	return X509_digest(x, EVP_sha256(), h, &n) == 1 && n == 32;
}

/* Keeps x (of a validated path) for cache_cert(). */
static void
keep_cert(struct verify_cache *c, X509 *x)
{
	uint8_t h[32];
	struct cert_slot *s;
	int len = i2d_X509(x, NULL);

	if (len <= 0 || (size_t)len > MAX_VERIFY_CACHED_CERT ||
	    !cert_hash(x, h)) {
		ERR_clear_error();
		return;
	}
	s = &c->certs[slot_of(h, CACHE_CERTS)];
	pthread_mutex_lock(&c->mu);
	if ((s->x == NULL || memcmp(s->h, h, 32) != 0) && X509_up_ref(x)) {
		X509_free(s->x);
		s->x = x;
		memcpy(s->h, h, 32);
	}
	pthread_mutex_unlock(&c->mu);
}

static int
in_pool(STACK_OF(X509) * pool, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(pool); i++)
		if (X509_cmp(sk_X509_value(pool, i), x) == 0)
			return 1;
	return 0;
}

STACK_OF(X509) * cache_path_get(struct verify_cache *c, X509 *leaf, int purpose,
				int64_t at, STACK_OF(X509) * pool)
{
	uint8_t h[32];
	struct path_slot *s;
	STACK_OF(X509) *path = NULL;
	uint32_t stored = 0;
	int i, n;

	if (!cert_hash(leaf, h))
		return NULL;
	s = &c->paths[slot_of(h, CACHE_PATHS)];
	pthread_mutex_lock(&c->mu);
	if (s->path != NULL && s->purpose == purpose &&
	    memcmp(s->h, h, 32) == 0 && s->lo <= at && at < s->hi) {
		path = X509_chain_up_ref(s->path);
		stored = s->stored;
	}
	pthread_mutex_unlock(&c->mu);
	n = sk_X509_num(path);
	for (i = 1; i < n - 1; i++)
		if (!(stored & (UINT32_C(1) << i)) &&
		    !in_pool(pool, sk_X509_value(path, i))) {
			sk_X509_pop_free(path, X509_free);
			return NULL;
		}
	return path;
}

void
cache_path_put(struct verify_cache *c, X509 *leaf, int purpose,
	       STACK_OF(X509) * path, STACK_OF(X509) * pool)
{
	uint8_t h[32];
	struct path_slot *s;
	STACK_OF(X509) * copy;
	int64_t lo = INT64_MIN, hi = INT64_MAX, nb, na;
	uint32_t stored = 0;
	int i, n = sk_X509_num(path);

	if (n > 32 || !cert_hash(leaf, h))
		return;
	for (i = 0; i < n; i++) {
		nb = crypto_time(X509_get0_notBefore(sk_X509_value(path, i)));
		na = crypto_time(X509_get0_notAfter(sk_X509_value(path, i)));
		if (nb == 0 || na == 0)
			return;
		lo = nb > lo ? nb : lo;
		hi = na < hi ? na : hi;
		if (i > 0 && i < n - 1 &&
		    !in_pool(pool, sk_X509_value(path, i)))
			stored |= UINT32_C(1) << i;
	}
	if ((copy = X509_chain_up_ref(path)) == NULL)
		return;
	for (i = 0; i < n; i++)
		keep_cert(c, sk_X509_value(path, i));
	s = &c->paths[slot_of(h, CACHE_PATHS)];
	pthread_mutex_lock(&c->mu);
	sk_X509_pop_free(s->path, X509_free);
	s->path = copy;
	s->purpose = purpose;
	s->lo = lo;
	s->hi = hi;
	s->stored = stored;
	memcpy(s->h, h, 32);
	pthread_mutex_unlock(&c->mu);
}
