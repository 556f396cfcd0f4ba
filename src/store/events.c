/*
 * The append-only audit journal: u64 microseconds || u64 sequence -> JSON.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "internal.h"
#include "otzyv/util.h"

static int64_t
now_us(void)
{
	struct timeval tv;

	/* A pinned test clock ($OTZYV_NOW, util.h) moves in whole seconds.
	 * (Comparing clock_now() with the real second instead misfired
	 * when the second turned between the two reads: an event could be
	 * keyed before the one logged just earlier.) */
	if (getenv("OTZYV_NOW") != NULL)
		return clock_now() * 1000000;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

enum store_err
event_put_txn(MDB_txn *txn, struct store *s, json_t *event)
{
	uint8_t kb[16];
	uint64_t seq;
	int64_t us = now_us();
	char *text;
	MDB_val k = {16, kb}, v;
	enum store_err e;
	int rc;

	if ((e = meta_next(txn, s, "event_seq", &seq)) != STORE_OK)
		return e;
	json_object_set_new(event, "time", json_integer(us / 1000000));
	json_object_set_new(event, "seq", json_integer((json_int_t)seq));
	if ((text = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return STORE_INVALID;
	be64_put(kb, (uint64_t)us);
	be64_put(kb + 8, seq);
	v.mv_data = text;
	v.mv_size = strlen(text);
	rc = mdb_put(txn, s->events, &k, &v, 0);
	free(text);
	return store_err_from_mdb(rc);
}

enum store_err
store_event_log(struct store *s, json_t *event)
{
	MDB_txn *txn;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = event_put_txn(txn, s, event)) != STORE_OK) {
		mdb_txn_abort(txn);
		return e;
	}
	return txn_commit(s, txn);
}

enum store_err
store_event_foreach(struct store_txn *t, int64_t since_us,
		    int (*fn)(int64_t, uint64_t, const char *, size_t, void *),
		    void *arg)
{
	MDB_cursor *cur;
	uint8_t kb[16] = {0};
	MDB_val k = {16, kb}, v;
	int rc;

	be64_put(kb, (uint64_t)(since_us > 0 ? since_us : 0));
	if ((rc = mdb_cursor_open(t->txn, t->s->events, &cur)) != 0)
		return store_err_from_mdb(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (fn((int64_t)be64_get(k.mv_data),
		       be64_get((uint8_t *)k.mv_data + 8), v.mv_data, v.mv_size,
		       arg))
			break;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK
					     : store_err_from_mdb(rc);
}
