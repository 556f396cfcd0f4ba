/*
 * Private to src/ocsp: the response cache's entries.
 */
#ifndef OTZYV_OCSP_CACHE_H
#define OTZYV_OCSP_CACHE_H

#include "otzyv/ocsp.h"

/* Issuers behind one cached response, at most. */
#define CACHE_MAX_ISSUERS 4

struct cache_entry {
	uint64_t hash;
	size_t keylen, len;
	int64_t this_update, next_update;
	int64_t expires; /* served until then at most */
	size_t nissuers;
	struct {
		uint32_t id;
		uint8_t crl_tag[8]; /* SHA-256 prefix of the CRL file */
	} iss[CACHE_MAX_ISSUERS];
	unsigned good, revoked, unknown;
	uint64_t tag;	/* ocsp_reply.tag */
	uint8_t data[]; /* key, then the response DER */
};

struct ocsp_cache {
	struct cache_entry **slots;
	size_t mask;
	size_t hand; /* next slot to evict from when over budget */
	size_t cap, bytes;
	uint64_t hits, misses;
};

struct cache_entry *cache_find(struct ocsp_cache *c, const uint8_t *key,
			       size_t keylen);
/* Replaces the slot's entry; NULL when over budget (nothing cached). */
struct cache_entry *cache_put(struct ocsp_cache *c, const uint8_t *key,
			      size_t keylen, const uint8_t *der, size_t len);
void cache_drop(struct ocsp_cache *c, struct cache_entry *e);

#endif
