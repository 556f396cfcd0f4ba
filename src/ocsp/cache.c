/*
 * The per-thread response cache: a direct-mapped table keyed by the
 * request's CertIDs (nonce excluded). Each entry remembers, per issuer
 * behind it, a tag of the CRL it was answered from; a hit is served only
 * after the responder re-checks those tags against the store.
 *
 * Memory: the table holds at most `cap` bytes of entries; an insert that
 * would exceed it evicts the entry in its slot, then those a moving hand
 * points at (at most EVICT_WALK), and is dropped only if still too big.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define EVICT_WALK 16

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	/* The low bits of a product depend only on the low bits of its
	 * factors: without this, two CAs whose CertID prefixes agree in the
	 * bits the mask keeps would collide on every serial. MurmurHash3's
	 * finaliser spreads the high bits down. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

struct ocsp_cache *
ocsp_cache_new(size_t bytes)
{
	struct ocsp_cache *c = calloc(1, sizeof(*c));
	size_t slots = 64;

	if (c == NULL)
		return NULL;
	/* About one slot per 2 KB of budget (entries are ~0.7-1.8 KB). */
	while (slots < bytes / 2048 && slots < (1u << 24))
		slots <<= 1;
	if ((c->slots = calloc(slots, sizeof(*c->slots))) == NULL) {
		free(c);
		return NULL;
	}
	c->mask = slots - 1;
	c->cap = bytes;
	return c;
}

static size_t
entry_size(const struct cache_entry *e)
{
	return sizeof(*e) + e->keylen + e->len;
}

static void
entry_free(struct ocsp_cache *c, struct cache_entry *e)
{
	if (e == NULL)
		return;
	c->bytes -= entry_size(e);
	free(e);
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i <= c->mask; i++)
		entry_free(c, c->slots[i]);
	free(c->slots);
	free(c);
}

void
ocsp_cache_stats(const struct ocsp_cache *c, uint64_t *hits, uint64_t *misses,
		 size_t *bytes)
{
	*hits = c->hits;
	*misses = c->misses;
	*bytes = c->bytes;
}

struct cache_entry *
cache_find(struct ocsp_cache *c, const uint8_t *key, size_t keylen)
{
	uint64_t h = fnv1a(key, keylen);
	struct cache_entry *e = c->slots[h & c->mask];

	if (e != NULL && e->hash == h && e->keylen == keylen &&
	    memcmp(e->data, key, keylen) == 0)
		return e;
	return NULL;
}

void
cache_drop(struct ocsp_cache *c, struct cache_entry *e)
{
	struct cache_entry **slot = &c->slots[e->hash & c->mask];

	if (*slot == e) {
		*slot = NULL;
		entry_free(c, e);
	}
}

struct cache_entry *
cache_put(struct ocsp_cache *c, const uint8_t *key, size_t keylen,
	  const uint8_t *der, size_t len)
{
	uint64_t h = fnv1a(key, keylen);
	struct cache_entry **slot = &c->slots[h & c->mask], *e;
	size_t need = sizeof(*e) + keylen + len, i;

	entry_free(c, *slot);
	*slot = NULL;
	/* Over budget: evict the entries of the next slots, a bounded
	 * walk from a moving hand, until the new one fits. */
	for (i = 0; c->bytes + need > c->cap && i < EVICT_WALK; i++) {
		struct cache_entry **victim = &c->slots[c->hand++ & c->mask];

		entry_free(c, *victim);
		*victim = NULL;
	}
	if (c->bytes + need > c->cap || (e = malloc(need)) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->keylen = keylen;
	e->len = len;
	memcpy(e->data, key, keylen);
	memcpy(e->data + keylen, der, len);
	c->bytes += need;
	*slot = e;
	return e;
}
