/*
 * Revocation histories: point lookups, the state at an instant, and
 * walks over an issuer's serials.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

static enum store_err
history_from_val(const MDB_val *v, struct store_history *out)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size < 1 || p[0] != 1)
		return STORE_CORRUPT;
	out->p = p + 1;
	out->len = v->mv_size - 1;
	return STORE_OK;
}

enum store_err
store_history_get(struct store_txn *t, uint32_t issuer, const uint8_t *serial,
		  size_t serial_len, struct store_history *out)
{
	uint8_t kb[REVOKED_KEY_MAX];
	MDB_val k, v;
	int rc;

	if (serial_len == 0 || serial_len > MAX_SERIAL_LEN)
		return STORE_NOTFOUND;
	k.mv_data = kb;
	k.mv_size = revoked_key(issuer, serial, serial_len, kb);
	if ((rc = mdb_get(t->txn, t->s->revoked, &k, &v)) != 0)
		return store_err_from_mdb(rc);
	return history_from_val(&v, out);
}

enum store_state
store_history_state(struct store_history h, int64_t at,
		    struct store_episode *out_ep)
{
	struct store_episode ep;
	enum store_state state = STORE_STATE_NOT_LISTED;

	/*
	 * Episodes are in the order they began: the last one covering
	 * `at` is the CA's latest word on that instant, except that a
	 * revocation outranks a hold. An episode covers from its
	 * revocationDate, or from the CRL that listed it when the CA
	 * dated it later: a listed serial is never good. Only a hold ends
	 * (RFC 5280 5.3.1); a revocation that leaves the CRL, as expired
	 * certificates do (5.1.2.6), stands.
	 */
	while (store_history_next(&h, &ep) == 1) {
		int hold = ep.reason == CRL_REASON_CERTIFICATE_HOLD;
		int64_t from =
		    ep.revoked_at < ep.listed_at ? ep.revoked_at : ep.listed_at;

		if (from > at || (hold && ep.removed && ep.removed_at <= at) ||
		    (hold && state == STORE_STATE_REVOKED))
			continue;
		state = hold ? STORE_STATE_ON_HOLD : STORE_STATE_REVOKED;
		if (out_ep != NULL)
			*out_ep = ep;
	}
	return state;
}

enum store_err
store_state_at(struct store *s, uint32_t issuer, const uint8_t *serial,
	       size_t serial_len, int64_t at, enum store_state *out,
	       struct store_episode *out_ep)
{
	uint8_t kb[REVOKED_KEY_MAX];
	MDB_txn *txn;
	MDB_val k, v;
	struct store_history h;
	enum store_err e = STORE_OK;
	int rc;

	*out = STORE_STATE_NOT_LISTED;
	if (serial_len == 0 || serial_len > MAX_SERIAL_LEN)
		return STORE_OK;
	k.mv_data = kb;
	k.mv_size = revoked_key(issuer, serial, serial_len, kb);
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_err_from_mdb(rc);
	rc = mdb_get(txn, s->revoked, &k, &v);
	if (rc == 0 && (e = history_from_val(&v, &h)) == STORE_OK)
		*out = store_history_state(h, at, out_ep);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		e = store_err_from_mdb(rc);
	mdb_txn_abort(txn);
	return e;
}

enum store_err
store_revoked_foreach(struct store_txn *t, uint32_t issuer,
		      int (*fn)(const uint8_t *, size_t, struct store_history,
				void *),
		      void *arg)
{
	MDB_cursor *cur;
	uint8_t kb[4];
	MDB_val k = {4, kb}, v;
	struct store_history h;
	enum store_err e = STORE_OK;
	int rc;

	be32_put(kb, issuer);
	if ((rc = mdb_cursor_open(t->txn, t->s->revoked, &cur)) != 0)
		return store_err_from_mdb(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= 4 || be32_get(k.mv_data) != issuer)
			break;
		if ((e = history_from_val(&v, &h)) != STORE_OK)
			break;
		if (fn((uint8_t *)k.mv_data + 4, k.mv_size - 4, h, arg))
			break;
	}
	mdb_cursor_close(cur);
	if (e == STORE_OK && rc != 0 && rc != MDB_NOTFOUND)
		e = store_err_from_mdb(rc);
	return e;
}
