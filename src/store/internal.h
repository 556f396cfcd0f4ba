/*
 * Private to src/store: the LMDB handles and the record codecs.
 */
#ifndef OTZYV_STORE_INTERNAL_H
#define OTZYV_STORE_INTERNAL_H

#include <stdatomic.h>

#include <lmdb.h>

#include "otzyv/store.h"

/*
 * Ended read transactions are kept, reset, in `spare` and renewed by the
 * next reader: a renewed transaction keeps its reader slot, so such a
 * read takes neither malloc nor LMDB's reader-table mutex, which a
 * verification thread (SCHED_IDLE, preemptible anywhere) could
 * otherwise hold while an OCSP worker waits. Only a read with no spare
 * left (the first ones, or more than STORE_SPARE_TXNS at once) begins
 * anew. A slot is taken by exchange and filled by compare and swap: no
 * lock.
 */
#define STORE_SPARE_TXNS 32

struct store {
	MDB_env *env;
	MDB_dbi meta, issuers, certid, revoked, events;
	size_t map_size;
	_Atomic(struct store_txn *) spare[STORE_SPARE_TXNS];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
};

enum store_err store_err_from_mdb(int rc);

/* Commits a write transaction (ended either way): store_err_from_mdb,
 * and a write cut short on a full disk as STORE_NO_SPACE. */
enum store_err txn_commit(struct store *s, MDB_txn *txn);

/* Big-endian fixed-width integers, as keys sort. */
void be32_put(uint8_t *p, uint32_t v);
uint32_t be32_get(const uint8_t *p);
void be64_put(uint8_t *p, uint64_t v);
uint64_t be64_get(const uint8_t *p);

/* A growable byte buffer for encoding records. Out of memory is fatal:
 * records are bounded by the inputs. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *data, size_t len);
void buf_free(struct buf *b);

/* Issuer records: tagged fields (u8 tag, u32 length, value). */
void issuer_encode(const struct store_issuer *is, struct buf *out);
enum store_err issuer_decode(uint32_t id, const uint8_t *p, size_t len,
			     struct store_issuer *out);
enum store_err issuer_get_txn(MDB_txn *txn, struct store *s, uint32_t id,
			      struct store_issuer *out);
enum store_err issuer_put_txn(MDB_txn *txn, struct store *s,
			      const struct store_issuer *is);
/* Rewrites issuer `id` with `edit` applied, and `event` (may be NULL),
 * in one write transaction. */
enum store_err issuer_update(struct store *s, uint32_t id,
			     void (*edit)(struct store_issuer *, const void *),
			     const void *arg, json_t *event);

/* Revocation histories: version octet, then episodes. */
void history_start(struct buf *out);
void episode_encode(const struct store_episode *ep, struct buf *out);

/* Journal write inside the caller's write transaction. */
enum store_err event_put_txn(MDB_txn *txn, struct store *s, json_t *event);

/* Meta counters inside a write transaction. */
enum store_err meta_next(MDB_txn *txn, struct store *s, const char *key,
			 uint64_t *out);

#define REVOKED_KEY_MAX (4 + MAX_SERIAL_LEN)
size_t revoked_key(uint32_t issuer, const uint8_t *serial, size_t len,
		   uint8_t *out);

#endif
