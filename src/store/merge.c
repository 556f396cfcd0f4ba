/*
 * Merging a CRL into an issuer's revocation histories, in one write
 * transaction.
 *
 * The new entries arrive sorted in key order; the stored ones are read
 * with a cursor from the issuer's first key. Walking both in step is a
 * merge join: each key is either new (insert), gone (close its open
 * episode), or in both (compare, rewrite only when it changed). Only the
 * changed entries are written; but random serials spread them over the
 * tree, so a 1 % change still copies most leaf pages (LMDB is
 * copy-on-write); the pages it frees are reused by the next import.
 * When no key at all sorts after the issuer's prefix (a new issuer, or
 * the newest), the inserts are appends, which fill pages completely.
 */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "otzyv/util.h"

#define MAX_EPISODES_DECODED 256

static int
serial_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
same_facts(const struct store_episode *ep, const struct store_entry *ne)
{
	return ep->revoked_at == ne->revoked_at && ep->reason == ne->reason &&
	       ep->has_invalidity == ne->has_invalidity &&
	       (!ne->has_invalidity || ep->invalidity == ne->invalidity);
}

static void
episode_from_entry(const struct store_entry *ne,
		   const struct store_crl_meta *meta, struct store_episode *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->revoked_at = ne->revoked_at;
	ep->reason = ne->reason;
	ep->has_invalidity = ne->has_invalidity;
	ep->invalidity = ne->invalidity;
	/* A CRL dated ahead (the CA's clock) lists it from its import. */
	ep->listed_at =
	    meta->fetched_at != 0 && meta->fetched_at < meta->this_update
		? meta->fetched_at
		: meta->this_update;
	ep->listed_in = meta->number;
}

enum change { KEPT, ADDED, CHANGED, REMOVED };

/*
 * Rewrites a stored history given the new CRL's word on it: `ne` the
 * entry, or NULL when the CRL no longer lists the serial. Returns what
 * happened; *out holds the new value unless KEPT.
 */
static int
rewrite_history(const MDB_val *old, const struct store_entry *ne,
		const struct store_crl_meta *meta, struct buf *out,
		enum change *what)
{
	struct store_history h;
	struct store_episode eps[MAX_EPISODES_DECODED], add;
	size_t n = 0, i;
	struct store_episode *last;
	int rc;

	if (old->mv_size < 1 || ((uint8_t *)old->mv_data)[0] != 1)
		return 0;
	h.p = (uint8_t *)old->mv_data + 1;
	h.len = old->mv_size - 1;
	while ((rc = store_history_next(&h, &eps[n])) == 1)
		if (++n == MAX_EPISODES_DECODED)
			return 0;
	if (rc < 0 || n == 0)
		return 0;
	last = &eps[n - 1];
	*what = KEPT;
	if (ne == NULL) {
		if (last->removed)
			return 1;
		last->removed = 1;
		last->removed_at = meta->this_update;
		last->removed_in = meta->number;
		*what = REMOVED;
	} else if (last->removed) {
		/* Listed again, e.g. a second hold. */
		episode_from_entry(ne, meta, &add);
		*what = ADDED;
	} else if (same_facts(last, ne)) {
		return 1;
	} else if ((last->reason == CRL_REASON_CERTIFICATE_HOLD) !=
		   (ne->reason == CRL_REASON_CERTIFICATE_HOLD)) {
		/* RFC 5280 5.3.1: a hold became a revocation. Keep the hold
		 * as history and open the revocation as its own episode.
		 * The other way round, which no CA may do, both are kept
		 * too, and the revocation stands (store_history_state). */
		last->removed = 1;
		last->removed_at = meta->this_update;
		last->removed_in = meta->number;
		episode_from_entry(ne, meta, &add);
		*what = CHANGED;
	} else {
		last->revoked_at = ne->revoked_at;
		last->reason = ne->reason;
		last->has_invalidity = ne->has_invalidity;
		last->invalidity = ne->invalidity;
		*what = CHANGED;
		n--; /* re-added below as `add` */
		add = *last;
	}
	history_start(out);
	for (i = 0; i < n; i++)
		episode_encode(&eps[i], out);
	if (*what != REMOVED)
		episode_encode(&add, out);
	return 1;
}

/* STORE_OK when `meta` may replace `stored`; else why not. */
static enum store_err
check_order(const struct store_crl_meta *stored,
	    const struct store_crl_meta *meta)
{
	int c;

	if (!stored->present)
		return STORE_OK;
	if (meta->number.len && stored->number.len)
		c = crl_number_cmp(&meta->number, &stored->number);
	else
		c = meta->this_update < stored->this_update   ? -1
		    : meta->this_update > stored->this_update ? 1
							      : 0;
	if (c == 0)
		return memcmp(meta->sha256, stored->sha256, 32) == 0
			   ? STORE_UNCHANGED
			   : STORE_CONFLICT;
	/* RFC 5280 5.2.5: a CRL of another scope (users or CAs only, or
	 * another distribution point's part) is not the next of the
	 * stored one: merged, it would mark what it leaves out as off the
	 * list, and lift holds. While the stored one is current it stays;
	 * after, the CA has moved to the new scope. */
	if (meta->idp_known && stored->idp_known &&
	    memcmp(meta->idp_sha256, stored->idp_sha256, 32) != 0 &&
	    (stored->next_update == 0 ||
	     meta->fetched_at <= stored->next_update))
		return STORE_OTHER_SCOPE;
	/* A higher number with an older thisUpdate is as suspect as a
	 * lower number (RFC 5280 5.2.3: numbers increase over time). */
	if (c < 0 || meta->this_update < stored->this_update)
		return STORE_ROLLBACK;
	return STORE_OK;
}

static json_t *
imported_event(uint32_t id, const struct store_crl_meta *meta,
	       const struct store_merge_stats *st, uint64_t entries)
{
	char num[2 * (MAX_CRL_NUMBER_LEN + 1) + 1], sha[65], tu[32], nu[32];

	hex_encode(meta->number.v, meta->number.len, num);
	return json_pack(
	    "{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s?}", "type",
	    "crl_imported", "issuer", (json_int_t)id, "crl_number", num,
	    "this_update", time_format(meta->this_update, tu), "next_update",
	    meta->next_update ? time_format(meta->next_update, nu) : "",
	    "entries", (json_int_t)entries, "added", (json_int_t)st->added,
	    "changed", (json_int_t)st->changed, "removed",
	    (json_int_t)st->removed, "sha256",
	    hex_encode(meta->sha256, 32, sha), "url", meta->url);
}

/* The merge join; *out_entries counts the CRL's entries. */
static enum store_err
merge_entries(MDB_txn *txn, struct store *s, uint32_t id,
	      const struct store_crl_meta *meta, store_entry_fn next, void *arg,
	      struct store_merge_stats *st, uint64_t *out_entries)
{
	MDB_cursor *cur = NULL;
	uint8_t prefix[4], kb[REVOKED_KEY_MAX], prev[MAX_SERIAL_LEN];
	size_t prev_len = 0;
	MDB_val ok = {4, prefix}, ov, nk, nv;
	struct store_entry ne;
	struct store_episode ep;
	struct buf b = {0};
	enum store_err e = STORE_OK;
	enum change what;
	int rc, have_old, have_new, append, cmp;

	be32_put(prefix, id);
	if ((rc = mdb_cursor_open(txn, s->revoked, &cur)) != 0)
		return store_err_from_mdb(rc);
	rc = mdb_cursor_get(cur, &ok, &ov, MDB_SET_RANGE);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		e = store_err_from_mdb(rc);
		goto out;
	}
	append = rc == MDB_NOTFOUND;
	have_old = rc == 0 && ok.mv_size > 4 && be32_get(ok.mv_data) == id;
	have_new = next(arg, &ne);
	while (have_old || have_new) {
		if (have_new < 0) {
			e = STORE_INVALID;
			goto out;
		}
		if (have_new) {
			if (ne.serial_len == 0 ||
			    ne.serial_len > MAX_SERIAL_LEN ||
			    (*out_entries > 0 &&
			     serial_cmp(prev, prev_len, ne.serial,
					ne.serial_len) >= 0)) {
				e = STORE_INVALID;
				goto out;
			}
		}
		cmp = !have_old	  ? -1
		      : !have_new ? 1
				  : serial_cmp(ne.serial, ne.serial_len,
					       (uint8_t *)ok.mv_data + 4,
					       ok.mv_size - 4);
		b.len = 0;
		if (cmp < 0) {
			episode_from_entry(&ne, meta, &ep);
			history_start(&b);
			episode_encode(&ep, &b);
			nk.mv_data = kb;
			nk.mv_size =
			    revoked_key(id, ne.serial, ne.serial_len, kb);
			nv.mv_data = b.p;
			nv.mv_size = b.len;
			rc = mdb_cursor_put(cur, &nk, &nv,
					    append ? MDB_APPEND : 0);
			if (rc != 0) {
				e = store_err_from_mdb(rc);
				goto out;
			}
			st->added++;
		} else {
			if (!rewrite_history(&ov, cmp == 0 ? &ne : NULL, meta,
					     &b, &what)) {
				e = STORE_CORRUPT;
				goto out;
			}
			if (what != KEPT) {
				/* The key must not point into the page that
				 * the put rewrites. */
				memcpy(kb, ok.mv_data, ok.mv_size);
				nk.mv_data = kb;
				nk.mv_size = ok.mv_size;
				nv.mv_data = b.p;
				nv.mv_size = b.len;
				rc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT);
				if (rc != 0) {
					e = store_err_from_mdb(rc);
					goto out;
				}
			}
			st->added += what == ADDED;
			st->changed += what == CHANGED;
			st->removed += what == REMOVED;
			/* (a serial already off the CRL is not counted) */
			st->kept += what == KEPT && cmp == 0;
		}
		if (cmp <= 0) {
			memcpy(prev, ne.serial, ne.serial_len);
			prev_len = ne.serial_len;
			(*out_entries)++;
			have_new = next(arg, &ne);
		}
		/* After an insert the cursor sits on the new key, and the
		 * old key follows it; otherwise step past the old key. */
		if (have_old) {
			rc = mdb_cursor_get(cur, &ok, &ov, MDB_NEXT);
			if (rc != 0 && rc != MDB_NOTFOUND) {
				e = store_err_from_mdb(rc);
				goto out;
			}
			have_old = rc == 0 && ok.mv_size > 4 &&
				   be32_get(ok.mv_data) == id;
		}
	}
out:
	buf_free(&b);
	mdb_cursor_close(cur);
	return e;
}

enum store_err
store_merge_crl(struct store *s, uint32_t id, const struct store_crl_meta *meta,
		store_entry_fn next, void *arg,
		const struct store_issuer_edit *edit,
		struct store_merge_stats *out_stats)
{
	MDB_txn *txn = NULL;
	struct store_issuer is;
	struct store_merge_stats st = {0};
	uint64_t entries = 0;
	json_t *ev = NULL;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK ||
	    (e = check_order(&is.crl, meta)) != STORE_OK)
		goto out;
	if ((e = merge_entries(txn, s, id, meta, next, arg, &st, &entries)) !=
	    STORE_OK)
		goto out;
	/* Re-read: the merge's writes may have moved the record's page. */
	if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK)
		goto out;
	if (!is.crl.present && is.history_since == 0)
		is.history_since = meta->this_update;
	is.crl = *meta;
	is.crl.present = 1;
	is.crl.entries = entries;
	is.last_error = NULL;
	is.last_error_at = 0;
	if (edit != NULL)
		edit->fn(&is, edit->arg);
	if ((e = issuer_put_txn(txn, s, &is)) != STORE_OK)
		goto out;
	ev = imported_event(id, meta, &st, entries);
	if (ev == NULL || (e = event_put_txn(txn, s, ev)) != STORE_OK) {
		e = ev == NULL ? STORE_INVALID : e;
		goto out;
	}
	e = txn_commit(s, txn);
	txn = NULL;
	if (e == STORE_OK && out_stats != NULL)
		*out_stats = st;
out:
	json_decref(ev);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
}
