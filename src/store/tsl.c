/*
 * What the trusted list contributes to the store: per-issuer fields and
 * the meta record "tsl", a JSON object
 *   {"version": N, "date": UNIX, "sha256": HEX, "size": N,
 *    "imported_at": UNIX}
 * that the Версия rule is checked against.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/util.h"

#define TSL_META_KEY "tsl"
#define TSL_FETCH_KEY "tsl_fetch"

static void
set_tsl(struct store_issuer *is, const void *arg)
{
	const struct store_tsl_info *info = arg;

	is->short_name = info->short_name;
	is->inn = info->inn;
	is->ogrn = info->ogrn;
	is->accreditation = info->accreditation;
	is->crl_urls = info->crl_urls;
}

enum store_err
store_issuer_set_tsl(struct store *s, uint32_t id,
		     const struct store_tsl_info *info)
{
	return issuer_update(s, id, set_tsl, info, NULL);
}

static void
set_accreditation(struct store_issuer *is, const void *text)
{
	is->accreditation = text;
}

enum store_err
store_issuer_set_accreditation(struct store *s, uint32_t id,
			       const char *accreditation, json_t *event)
{
	return issuer_update(s, id, set_accreditation, accreditation, event);
}

int
store_tsl_lock(struct store *s, int wait)
{
	const char *dir;
	char path[4096];
	int fd;

	if (mdb_env_get_path(s->env, &dir) != 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/tsl.lock", dir) >=
		sizeof(path) ||
	    /* Read-only, readable by all: a lock made by root (otzyv
	     * import-tsl under sudo) must not lock out the daemon's user. */
	    (fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno != EINTR) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
	}
	return fd;
}

/* Meta record `key` as JSON: *out a new reference, NULL when there is
 * none; STORE_CORRUPT when it is not JSON. */
static enum store_err
meta_get_json(MDB_txn *txn, struct store *s, const char *key, json_t **out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc;

	*out = NULL;
	if ((rc = mdb_get(txn, s->meta, &k, &v)) == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_err_from_mdb(rc);
	*out = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	return *out != NULL ? STORE_OK : STORE_CORRUPT;
}

/* Writes meta record `key` as o (taken over; NULL: out of memory) and
 * `event` (may be NULL), then commits txn (aborted on any failure). */
static enum store_err
meta_put_json_commit(MDB_txn *txn, struct store *s, const char *key, json_t *o,
		     json_t *event)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	MDB_val k = {strlen(key), (void *)key}, v;
	enum store_err e = STORE_INVALID;
	int rc;

	json_decref(o);
	if (text != NULL) {
		v.mv_data = text;
		v.mv_size = strlen(text);
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
			e = store_err_from_mdb(rc);
		else if (event == NULL ||
			 (e = event_put_txn(txn, s, event)) == STORE_OK) {
			e = txn_commit(s, txn);
			txn = NULL;
		}
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(text);
	return e;
}

static enum store_err
tsl_get_txn(MDB_txn *txn, struct store *s, struct store_tsl_meta *out)
{
	json_t *o;
	const char *sha;
	json_int_t version = 0, date = 0, size = 0, at = 0;
	enum store_err e;

	memset(out, 0, sizeof(*out));
	if ((e = meta_get_json(txn, s, TSL_META_KEY, &o)) != STORE_OK ||
	    o == NULL)
		return e;
	if (json_unpack(o, "{s:I, s:I, s:s, s:I, s:I}", "version", &version,
			"date", &date, "sha256", &sha, "size", &size,
			"imported_at", &at) != 0 ||
	    hex_decode(sha, out->sha256, 32) != 32) {
		json_decref(o);
		return STORE_CORRUPT;
	}
	out->present = 1;
	out->version = version;
	out->date = date;
	out->size = (uint64_t)size;
	out->imported_at = at;
	json_decref(o);
	return STORE_OK;
}

enum store_err
store_tsl_get(struct store_txn *t, struct store_tsl_meta *out)
{
	return tsl_get_txn(t->txn, t->s, out);
}

static enum store_err
rule(const struct store_tsl_meta *cur, const struct store_tsl_meta *m)
{
	if (!cur->present || m->version > cur->version)
		return STORE_OK;
	if (m->version < cur->version)
		return STORE_ROLLBACK;
	return memcmp(m->sha256, cur->sha256, 32) == 0 ? STORE_UNCHANGED
						       : STORE_CONFLICT;
}

enum store_err
store_tsl_check(struct store_txn *t, const struct store_tsl_meta *m)
{
	struct store_tsl_meta cur;
	enum store_err e;

	if ((e = store_tsl_get(t, &cur)) != STORE_OK)
		return e;
	return rule(&cur, m);
}

enum store_err
store_tsl_set(struct store *s, const struct store_tsl_meta *m, json_t *event)
{
	MDB_txn *txn;
	struct store_tsl_meta cur;
	char hex[65];
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = tsl_get_txn(txn, s, &cur)) != STORE_OK ||
	    (e = rule(&cur, m)) != STORE_OK) {
		mdb_txn_abort(txn);
		return e;
	}
	return meta_put_json_commit(
	    txn, s, TSL_META_KEY,
	    json_pack("{s:I, s:I, s:s, s:I, s:I}", "version",
		      (json_int_t)m->version, "date", (json_int_t)m->date,
		      "sha256", hex_encode(m->sha256, 32, hex), "size",
		      (json_int_t)m->size, "imported_at",
		      (json_int_t)m->imported_at),
	    event);
}

static enum store_err
tsl_fetch_get_txn(MDB_txn *txn, struct store *s, struct store_tsl_fetch *out)
{
	json_int_t attempt = 0, success = 0, failures = 0;
	const char *error = "";
	json_t *o;
	enum store_err e;

	memset(out, 0, sizeof(*out));
	if ((e = meta_get_json(txn, s, TSL_FETCH_KEY, &o)) != STORE_OK ||
	    o == NULL)
		return e;
	if (json_unpack(o, "{s:I, s:I, s:I, s:s}", "attempt_at", &attempt,
			"success_at", &success, "failures", &failures, "error",
			&error) != 0) {
		json_decref(o);
		return STORE_CORRUPT;
	}
	out->attempt_at = attempt;
	out->success_at = success;
	out->failures = (uint32_t)failures;
	snprintf(out->error, sizeof(out->error), "%s", error);
	json_decref(o);
	return STORE_OK;
}

enum store_err
store_tsl_fetch_get(struct store_txn *t, struct store_tsl_fetch *out)
{
	return tsl_fetch_get_txn(t->txn, t->s, out);
}

enum store_err
store_tsl_fetched(struct store *s, int ok, const char *error, int64_t now,
		  json_t *event)
{
	MDB_txn *txn;
	struct store_tsl_fetch f;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	/* A record that does not decode is replaced, not kept for ever. */
	if ((e = tsl_fetch_get_txn(txn, s, &f)) == STORE_CORRUPT) {
		memset(&f, 0, sizeof(f));
	} else if (e != STORE_OK) {
		mdb_txn_abort(txn);
		return e;
	}
	return meta_put_json_commit(
	    txn, s, TSL_FETCH_KEY,
	    json_pack("{s:I, s:I, s:I, s:s}", "attempt_at", (json_int_t)now,
		      "success_at", (json_int_t)(ok ? now : f.success_at),
		      "failures", (json_int_t)(ok ? 0 : f.failures + 1),
		      "error", ok || error == NULL ? "" : error),
	    event);
}
