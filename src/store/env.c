/*
 * The LMDB environment, transactions, meta counters and error mapping.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "internal.h"
#include "otzyv/limits.h"

/* LMDB's own codes, and the errno values it passes on from the
 * system: a full disk surfaces so, from a commit's writes. */
enum store_err
store_err_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOTFOUND;
	case MDB_MAP_FULL:
		return STORE_MAP_FULL;
	case MDB_TXN_FULL:
		return STORE_TXN_FULL;
	case ENOSPC:
	case EDQUOT:
		return STORE_NO_SPACE;
	case MDB_READERS_FULL:
		return STORE_BUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return STORE_CORRUPT;
	default:
		return STORE_IO;
	}
}

const char *
store_strerror(enum store_err e)
{
	switch (e) {
	case STORE_OK:
		return "ok";
	case STORE_NOTFOUND:
		return "not found";
	case STORE_MAP_FULL:
		return "store map is full: raise [store] map_size";
	case STORE_NO_SPACE:
		return "no space left on device for the store (disk or quota "
		       "full)";
	case STORE_ROLLBACK:
		return "CRL is older than the stored one (rollback refused)";
	case STORE_CONFLICT:
		return "CRL has the stored CRL's number but different content";
	case STORE_UNCHANGED:
		return "CRL is the one already stored";
	case STORE_SCHEMA:
		return "store was written by a newer otzyv (schema version)";
	case STORE_CORRUPT:
		return "store record is corrupt";
	case STORE_BUSY:
		return "too many concurrent store readers";
	case STORE_IO:
		return "store I/O error";
	case STORE_INVALID:
		return "invalid input to the store";
	case STORE_OTHER_SCOPE:
		return "CRL covers another part of the CA's certificates "
		       "(issuingDistributionPoint) than the stored one, which "
		       "is still current";
	case STORE_TXN_FULL:
		/* MDB_TXN_FULL: the transaction's dirty page list is full
		 * and LMDB could not spill pages to make room. It says
		 * nothing of the map or the disk, and no setting raises
		 * the limit (MDB_IDL_UM_MAX pages). */
		return "store write transaction too large for LMDB "
		       "(MDB_TXN_FULL: too many dirty pages); nothing was "
		       "written, the stored data stands; please report it, "
		       "with what was being imported";
	}
	return "unknown store error";
}

/* Free space under which the store's file system counts as full: a
 * write cut short leaves less than a block; a few pages of margin. */
#define FULL_DISK_ROOM (64 * 1024)

/* 1 when the file system of s's environment has no room left. */
static int
disk_full(struct store *s)
{
	const char *path;
	struct statvfs v;

	return mdb_env_get_path(s->env, &path) == 0 && statvfs(path, &v) == 0 &&
	       (uint64_t)v.f_bavail * v.f_frsize < FULL_DISK_ROOM;
}

/*
 * Commits txn (ended either way). LMDB says ENOSPC only for a write
 * that found no room at all; one the disk cut short it reports as EIO
 * (mdb_page_flush: "short write, filesystem full?"): an I/O error on a
 * full file system is taken for what it is.
 */
enum store_err
txn_commit(struct store *s, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);

	if (rc == EIO && disk_full(s))
		return STORE_NO_SPACE;
	return store_err_from_mdb(rc);
}

void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

uint64_t
be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

size_t
revoked_key(uint32_t issuer, const uint8_t *serial, size_t len, uint8_t *out)
{
	be32_put(out, issuer);
	memcpy(out + 4, serial, len);
	return 4 + len;
}

/* Reads meta "schema"; writes it in a new store. */
static enum store_err
check_schema(struct store *s, int create)
{
	MDB_txn *txn;
	MDB_val k = {6, "schema"}, v;
	uint8_t cur[4];
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc)
		return store_err_from_mdb(rc);
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND && create) {
		be32_put(cur, STORE_SCHEMA_VERSION);
		v.mv_data = cur;
		v.mv_size = 4;
		rc = mdb_put(txn, s->meta, &k, &v, 0);
		if (rc == 0)
			return txn_commit(s, txn);
	} else if (rc == 0) {
		if (v.mv_size != 4)
			rc = MDB_CORRUPTED;
		else if (be32_get(v.mv_data) > STORE_SCHEMA_VERSION) {
			mdb_txn_abort(txn);
			return STORE_SCHEMA;
		}
	}
	mdb_txn_abort(txn);
	return store_err_from_mdb(rc);
}

static int
open_dbs(struct store *s, int create)
{
	MDB_txn *txn;
	unsigned flags = create ? MDB_CREATE : 0;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return rc;
	if ((rc = mdb_dbi_open(txn, "meta", flags, &s->meta)) ||
	    (rc = mdb_dbi_open(txn, "issuers", flags, &s->issuers)) ||
	    (rc = mdb_dbi_open(txn, "certid", flags, &s->certid)) ||
	    (rc = mdb_dbi_open(txn, "revoked", flags, &s->revoked)) ||
	    (rc = mdb_dbi_open(txn, "events", flags, &s->events))) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

enum store_err
store_open(const char *dir, size_t map_size, int create, struct store **out)
{
	struct store *s;
	enum store_err e;
	int rc;

	*out = NULL;
	if (create && mkdir(dir, 0750) < 0 && errno != EEXIST)
		return store_err_from_mdb(errno);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return STORE_IO;
	s->map_size = map_size ? map_size : DEFAULT_MAP_SIZE;
	if ((rc = mdb_env_create(&s->env)) ||
	    (rc = mdb_env_set_maxdbs(s->env, 8)) ||
	    (rc = mdb_env_set_mapsize(s->env, s->map_size)) ||
	    (rc = mdb_env_set_maxreaders(s->env, 256)) ||
	    /* NOTLS: read transactions are not tied to threads, so a
	     * thread may hold one per request and hand it on. */
	    (rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640))) {
		e = rc == ENOENT ? STORE_NOTFOUND : store_err_from_mdb(rc);
		goto fail;
	}
	if ((rc = open_dbs(s, create)) != 0) {
		e = rc == MDB_NOTFOUND ? STORE_NOTFOUND
				       : store_err_from_mdb(rc);
		goto fail;
	}
	if ((e = check_schema(s, create)) != STORE_OK)
		goto fail;
	/* Reader slots of processes that died (kill -9) pin old pages and
	 * make the file grow: clear them whenever a process opens the store. */
	mdb_reader_check(s->env, NULL);
	*out = s;
	return STORE_OK;
fail:
	mdb_env_close(s->env);
	free(s);
	return e;
}

void
store_close(struct store *s)
{
	struct store_txn *t;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < STORE_SPARE_TXNS; i++)
		if ((t = atomic_exchange(&s->spare[i], NULL)) != NULL) {
			mdb_txn_abort(t->txn);
			free(t);
		}
	mdb_env_close(s->env);
	free(s);
}

/* A spare read transaction, renewed; NULL when none is left. */
static struct store_txn *
spare_take(struct store *s)
{
	struct store_txn *t;
	size_t i;

	for (i = 0; i < STORE_SPARE_TXNS; i++) {
		if (atomic_load_explicit(&s->spare[i], memory_order_relaxed) ==
			NULL ||
		    (t = atomic_exchange(&s->spare[i], NULL)) == NULL)
			continue;
		if (mdb_txn_renew(t->txn) == 0)
			return t;
		mdb_txn_abort(t->txn);
		free(t);
	}
	return NULL;
}

enum store_err
store_read_begin(struct store *s, struct store_txn **out)
{
	struct store_txn *t;
	int rc;

	if ((*out = spare_take(s)) != NULL)
		return STORE_OK;
	if ((t = malloc(sizeof(*t))) == NULL)
		return STORE_IO;
	t->s = s;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
	if (rc) {
		free(t);
		return store_err_from_mdb(rc);
	}
	*out = t;
	return STORE_OK;
}

void
store_txn_end(struct store_txn *t)
{
	struct store_txn *none;
	size_t i;

	if (t == NULL)
		return;
	mdb_txn_reset(t->txn);
	for (i = 0; i < STORE_SPARE_TXNS; i++) {
		none = NULL;
		if (atomic_compare_exchange_strong(&t->s->spare[i], &none, t))
			return;
	}
	mdb_txn_abort(t->txn);
	free(t);
}

enum store_err
meta_next(MDB_txn *txn, struct store *s, const char *key, uint64_t *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	uint8_t b[8];
	uint64_t n = 1;
	int rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && v.mv_size == 8)
		n = be64_get(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return rc ? store_err_from_mdb(rc) : STORE_CORRUPT;
	be64_put(b, n + 1);
	v.mv_data = b;
	v.mv_size = 8;
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
		return store_err_from_mdb(rc);
	*out = n;
	return STORE_OK;
}

enum store_err
store_usage(struct store *s, uint64_t *out_map_size, uint64_t *out_used)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st))
		return STORE_IO;
	*out_map_size = info.me_mapsize;
	*out_used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	return STORE_OK;
}
