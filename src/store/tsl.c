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

enum store_err
store_issuer_set_tsl(struct store *s, uint32_t id,
		     const struct store_tsl_info *info)
{
	MDB_txn *txn;
	struct store_issuer is;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK)
		goto out;
	is.short_name = info->short_name;
	is.inn = info->inn;
	is.ogrn = info->ogrn;
	is.accreditation = info->accreditation;
	is.crl_urls = info->crl_urls;
	/* issuer_put_txn encodes (from map pointers) before it writes. */
	if ((e = issuer_put_txn(txn, s, &is)) != STORE_OK)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	e = store_err_from_mdb(rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
}

enum store_err
store_issuer_set_accreditation(struct store *s, uint32_t id,
			       const char *accreditation, json_t *event)
{
	MDB_txn *txn;
	struct store_issuer is;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK)
		goto out;
	is.accreditation = accreditation;
	if ((e = issuer_put_txn(txn, s, &is)) != STORE_OK ||
	    (event != NULL && (e = event_put_txn(txn, s, event)) != STORE_OK))
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	e = store_err_from_mdb(rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
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

static enum store_err
tsl_get_txn(MDB_txn *txn, struct store *s, struct store_tsl_meta *out)
{
	MDB_val k = {sizeof(TSL_META_KEY) - 1, TSL_META_KEY}, v;
	json_t *o;
	json_error_t jerr;
	const char *sha;
	json_int_t version = 0, date = 0, size = 0, at = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mdb_get(txn, s->meta, &k, &v)) == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_err_from_mdb(rc);
	o = json_loadb(v.mv_data, v.mv_size, 0, &jerr);
	if (o == NULL ||
	    json_unpack(o, "{s:I, s:I, s:s, s:I, s:I}", "version", &version,
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
	MDB_val k = {sizeof(TSL_META_KEY) - 1, TSL_META_KEY}, v;
	struct store_tsl_meta cur;
	char hex[65], *text = NULL;
	json_t *o = NULL;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = tsl_get_txn(txn, s, &cur)) != STORE_OK ||
	    (e = rule(&cur, m)) != STORE_OK)
		goto out;
	o = json_pack("{s:I, s:I, s:s, s:I, s:I}", "version",
		      (json_int_t)m->version, "date", (json_int_t)m->date,
		      "sha256", hex_encode(m->sha256, 32, hex), "size",
		      (json_int_t)m->size, "imported_at",
		      (json_int_t)m->imported_at);
	if (o == NULL ||
	    (text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		e = STORE_INVALID;
		goto out;
	}
	v.mv_data = text;
	v.mv_size = strlen(text);
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0) {
		e = store_err_from_mdb(rc);
		goto out;
	}
	if (event != NULL && (e = event_put_txn(txn, s, event)) != STORE_OK)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	e = store_err_from_mdb(rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	json_decref(o);
	free(text);
	return e;
}

static enum store_err
tsl_fetch_get_txn(MDB_txn *txn, struct store *s, struct store_tsl_fetch *out)
{
	MDB_val k = {sizeof(TSL_FETCH_KEY) - 1, TSL_FETCH_KEY}, v;
	json_int_t attempt = 0, success = 0, failures = 0;
	const char *error = "";
	json_t *o;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mdb_get(txn, s->meta, &k, &v)) == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_err_from_mdb(rc);
	o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	if (o == NULL ||
	    json_unpack(o, "{s:I, s:I, s:I, s:s}", "attempt_at", &attempt,
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
	MDB_val k = {sizeof(TSL_FETCH_KEY) - 1, TSL_FETCH_KEY}, v;
	struct store_tsl_fetch f;
	char *text = NULL;
	json_t *o;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	/* A record that does not decode is replaced, not kept for ever. */
	if ((e = tsl_fetch_get_txn(txn, s, &f)) == STORE_CORRUPT)
		memset(&f, 0, sizeof(f));
	else if (e != STORE_OK)
		goto out;
	o = json_pack("{s:I, s:I, s:I, s:s}", "attempt_at", (json_int_t)now,
		      "success_at", (json_int_t)(ok ? now : f.success_at),
		      "failures", (json_int_t)(ok ? 0 : f.failures + 1),
		      "error", ok || error == NULL ? "" : error);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (text == NULL) {
		e = STORE_INVALID;
		goto out;
	}
	v.mv_data = text;
	v.mv_size = strlen(text);
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0) {
		e = store_err_from_mdb(rc);
		goto out;
	}
	if (event != NULL && (e = event_put_txn(txn, s, event)) != STORE_OK)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	e = store_err_from_mdb(rc);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(text);
	return e;
}
