/*
 * Answering OCSP requests from the store (RFC 6960 2.2, 2.3, 4.2).
 *
 * Per request: parse; if it carries no nonce to echo, try the cache;
 * else, in one read transaction, find each CertID's issuer through the
 * certid index and its state now from the revocation history; then
 * decide the response status, pick the key, sign, and cache.
 *
 * Response status: unauthorized when no CertID names an issuer we
 * serve; tryLater when an issuer we serve has no CRL covering now
 * (unless stale_serve); otherwise successful, with "unknown" for the
 * CertIDs of issuers we do not serve.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cache.h"
#include "otzyv/crl.h"
#include "otzyv/ocsp.h"
#include "otzyv/status.h"

/* A cached response stops being served this long before nextUpdate. */
#define CACHE_NEXT_UPDATE_MARGIN 60
/* Cache keys longer than this (many CertIDs) are not cached. */
#define CACHE_MAX_KEY 4096

struct delegate {
	uint32_t id;
	struct ocsp_signer *signer;
};

struct ocsp_responder {
	struct store *store;
	struct ocsp_signer *dflt;
	struct delegate *del;
	size_t ndel;
	struct ocsp_responder_opts o;
};

struct ocsp_responder *
ocsp_responder_new(struct store *s, struct ocsp_signer *dflt,
		   const struct ocsp_responder_opts *o)
{
	struct ocsp_responder *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->store = s;
	r->dflt = dflt;
	r->o = *o;
	if (r->o.max_single == 0 || r->o.max_single > OCSP_MAX_SINGLE)
		r->o.max_single = OCSP_MAX_SINGLE;
	return r;
}

int
ocsp_responder_delegate(struct ocsp_responder *r, uint32_t id,
			struct ocsp_signer *delegated)
{
	struct delegate *n = realloc(r->del, (r->ndel + 1) * sizeof(*n));

	if (n == NULL)
		return 0;
	r->del = n;
	r->del[r->ndel].id = id;
	r->del[r->ndel].signer = delegated;
	r->ndel++;
	return 1;
}

void
ocsp_responder_free(struct ocsp_responder *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ndel; i++)
		ocsp_signer_free(r->del[i].signer);
	free(r->del);
	ocsp_signer_free(r->dflt);
	free(r);
}

void
ocsp_reply_free(struct ocsp_reply *out)
{
	OPENSSL_free(out->owned);
	out->owned = NULL;
	out->der = NULL;
}

static void
fail(struct ocsp_reply *out, enum ocsp_status st, const char *why)
{
	ocsp_reply_free(out);
	out->status = st;
	out->der = ocsp_error_response(st, &out->len);
	out->next_update = 0;
	out->cacheable = 0;
	if (why != NULL)
		snprintf(out->why, sizeof(out->why), "%s", why);
}

/* What one read transaction found for the request. */
struct found {
	struct ocsp_single singles[OCSP_MAX_SINGLE];
	uint32_t issuer[OCSP_MAX_SINGLE]; /* per single: 0 when not ours */
	size_t nissuers;
	struct {
		uint32_t id;
		uint8_t crl_tag[8];
	} iss[OCSP_MAX_SINGLE];
	size_t ours;
	int stale;
	int64_t this_update, next_update;
};

static void
note_issuer(struct found *f, uint32_t id, const struct store_crl_meta *m)
{
	size_t i;

	for (i = 0; i < f->nissuers; i++)
		if (f->iss[i].id == id)
			return;
	f->iss[f->nissuers].id = id;
	memcpy(f->iss[f->nissuers].crl_tag, m->sha256, 8);
	f->nissuers++;
}

/* One CertID's answer. 0 on a store failure. */
static int
answer_one(struct ocsp_responder *r, struct store_txn *t,
	   const struct ocsp_certid *id, int64_t now, struct found *f,
	   struct ocsp_single *one)
{
	struct store_issuer is;
	struct store_history h;
	struct store_episode ep;
	enum store_state st = STORE_STATE_NOT_LISTED;
	uint32_t issuer;
	enum store_err e;

	memset(one, 0, sizeof(*one));
	one->id = id;
	one->status = OCSP_CERT_UNKNOWN;
	one->reason = CRL_REASON_ABSENT;
	one->this_update = now;
	if (id->alg == 0)
		return 1;
	e = store_issuer_by_certid(t, id->alg, id->name_hash, id->key_hash,
				   id->hash_len, &issuer);
	if (e == STORE_NOTFOUND)
		return 1;
	if (e != STORE_OK || store_issuer_get(t, issuer, &is) != STORE_OK)
		return 0;
	f->ours++;
	f->issuer[one - f->singles] = issuer;
	if (!is.crl.present) {
		f->stale = 1;
		return 1;
	}
	if (!status_crl_covers(&is.crl, now, now, r->o.stale_grace))
		f->stale = 1;
	note_issuer(f, issuer, &is.crl);
	e = store_history_get(t, issuer, id->serial, id->serial_len, &h);
	if (e == STORE_OK)
		st = store_history_state(h, now, &ep);
	else if (e != STORE_NOTFOUND)
		return 0;
	one->this_update = is.crl.this_update;
	one->next_update = is.crl.next_update;
	if (st == STORE_STATE_NOT_LISTED) {
		one->status = status_serial_in_scope(is.crl.scope, 0)
				  ? OCSP_CERT_GOOD
				  : OCSP_CERT_UNKNOWN;
	} else {
		/* RFC 6960 4.2.1: a hold is "revoked" with reason
		 * certificateHold. */
		one->status = OCSP_CERT_REVOKED;
		one->revoked_at = ep.revoked_at;
		one->reason = ep.reason;
	}
	if (f->this_update == 0 || one->this_update < f->this_update)
		f->this_update = one->this_update;
	if (f->next_update == 0 ||
	    (one->next_update && one->next_update < f->next_update))
		f->next_update = one->next_update;
	return 1;
}

/* The delegated key of the issuer when every CertID names that one
 * issuer (RFC 6960 4.2.2.2: a delegate speaks for its CA only); else the
 * default key. */
static const struct ocsp_signer *
pick_signer(const struct ocsp_responder *r, const struct found *f, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (f->issuer[i] != f->issuer[0])
			return r->dflt;
	for (i = 0; f->issuer[0] != 0 && i < r->ndel; i++)
		if (r->del[i].id == f->issuer[0])
			return r->del[i].signer;
	return r->dflt;
}

/* Whether a cached entry still stands: same CRLs, still fresh. */
static int
still_valid(struct ocsp_responder *r, struct store_txn *t,
	    const struct cache_entry *e, int64_t now)
{
	struct store_issuer is;
	size_t i;

	if (now >= e->expires)
		return 0;
	for (i = 0; i < e->nissuers; i++) {
		if (store_issuer_get(t, e->iss[i].id, &is) != STORE_OK ||
		    !is.crl.present ||
		    memcmp(is.crl.sha256, e->iss[i].crl_tag, 8) != 0)
			return 0;
		if (!r->o.stale_serve &&
		    !status_crl_covers(&is.crl, now, now, r->o.stale_grace))
			return 0;
	}
	return 1;
}

/* The issuers' CRL tags folded into one number. */
static uint64_t
fold_tags(const uint8_t (*tags)[8], size_t n, size_t stride)
{
	uint64_t t = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&v, (const uint8_t *)tags + i * stride, 8);
		t ^= v;
	}
	return t;
}

static void
serve_entry(const struct cache_entry *e, struct ocsp_reply *out)
{
	out->status = OCSP_SUCCESSFUL;
	out->der = e->data + e->keylen;
	out->len = e->len;
	out->this_update = e->this_update;
	out->next_update = e->next_update;
	out->good = e->good;
	out->revoked = e->revoked;
	out->unknown = e->unknown;
	out->tag = e->tag;
	out->cacheable = 1;
}

static void
remember(struct ocsp_cache *c, const uint8_t *key, size_t keylen,
	 const struct found *f, int64_t now, struct ocsp_reply *out)
{
	struct cache_entry *e;
	size_t i;

	if (f->nissuers > CACHE_MAX_ISSUERS || f->next_update == 0 ||
	    f->next_update - CACHE_NEXT_UPDATE_MARGIN <= now)
		return;
	if ((e = cache_put(c, key, keylen, out->der, out->len)) == NULL)
		return;
	e->this_update = f->this_update;
	e->next_update = f->next_update;
	e->expires = f->next_update - CACHE_NEXT_UPDATE_MARGIN;
	e->nissuers = f->nissuers;
	for (i = 0; i < f->nissuers; i++) {
		e->iss[i].id = f->iss[i].id;
		memcpy(e->iss[i].crl_tag, f->iss[i].crl_tag, 8);
	}
	e->good = out->good;
	e->revoked = out->revoked;
	e->unknown = out->unknown;
	e->tag = out->tag;
	/* Serve from the cache's copy; the signed buffer goes. */
	ocsp_reply_free(out);
	out->der = e->data + e->keylen;
}

void
ocsp_respond(struct ocsp_responder *r, struct ocsp_cache *c, const uint8_t *req,
	     size_t len, int64_t now, struct ocsp_reply *out)
{
	struct ocsp_request q;
	struct found f;
	struct store_txn *t = NULL;
	struct cache_entry *e;
	uint8_t key[CACHE_MAX_KEY];
	size_t keylen = 0, i;
	int cacheable, ok = 1;
	const struct ocsp_signer *signer;
	uint8_t *der;
	size_t der_len;

	memset(out, 0, sizeof(*out));
	if (!ocsp_request_parse(req, len, r->o.max_single, &q, out->why,
				sizeof(out->why))) {
		fail(out, OCSP_MALFORMED_REQUEST, NULL);
		return;
	}
	/* A nonce to echo needs a fresh signature; an ignored one does
	 * not change the answer. */
	cacheable = c != NULL && !(q.nonce != NULL && r->o.nonce_echo);
	for (i = 0; cacheable && i < q.n; i++) {
		if (keylen + q.ids[i].raw_len > sizeof(key)) {
			cacheable = 0;
			break;
		}
		memcpy(key + keylen, q.ids[i].raw, q.ids[i].raw_len);
		keylen += q.ids[i].raw_len;
	}
	if (store_read_begin(r->store, &t) != STORE_OK) {
		fail(out, OCSP_INTERNAL_ERROR, "store read failed");
		return;
	}
	out->cacheable = cacheable;
	if (cacheable && (e = cache_find(c, key, keylen)) != NULL) {
		if (still_valid(r, t, e, now)) {
			c->hits++;
			store_txn_end(t);
			serve_entry(e, out);
			out->from_cache = 1;
			return;
		}
		cache_drop(c, e);
	}
	if (cacheable)
		c->misses++;
	memset(&f, 0, sizeof(f));
	for (i = 0; i < q.n && ok; i++)
		ok = answer_one(r, t, &q.ids[i], now, &f, &f.singles[i]);
	store_txn_end(t);
	if (!ok) {
		fail(out, OCSP_INTERNAL_ERROR, "store lookup failed");
		return;
	}
	if (f.ours == 0) {
		fail(out, OCSP_UNAUTHORIZED, "no issuer served here");
		return;
	}
	if (f.stale && !r->o.stale_serve) {
		fail(out, OCSP_TRY_LATER, "no CRL covers now");
		return;
	}
	for (i = 0; i < q.n; i++) {
		out->good += f.singles[i].status == OCSP_CERT_GOOD;
		out->revoked += f.singles[i].status == OCSP_CERT_REVOKED;
		out->unknown += f.singles[i].status == OCSP_CERT_UNKNOWN;
	}
	signer = pick_signer(r, &f, q.n);
	if (!ocsp_response_sign(signer, f.singles, q.n,
				r->o.nonce_echo ? q.nonce : NULL, q.nonce_len,
				&der, &der_len)) {
		fail(out, OCSP_INTERNAL_ERROR, "signing failed");
		return;
	}
	out->status = OCSP_SUCCESSFUL;
	out->owned = der;
	out->der = der;
	out->len = der_len;
	out->this_update = f.this_update;
	out->next_update = f.stale ? 0 : f.next_update;
	out->tag = fold_tags((const uint8_t(*)[8])f.iss[0].crl_tag, f.nissuers,
			     sizeof(f.iss[0])) ^
		   ocsp_signer_tag(signer);
	if (cacheable && !f.stale)
		remember(c, key, keylen, &f, now, out);
}
