/*
 * Certification paths (RFC 5280 6): built by OpenSSL from the signer
 * to an anchor through the CMS's certificates, the caller's
 * intermediates and the store's CA certificates, and validated at the
 * moment of signing T: validity periods, basicConstraints, keyUsage,
 * name chaining, critical extensions. OpenSSL's own CRL checks stay off
 * (revocation.c answers from the store's history instead), and so do
 * partial chains: a path ends at a self-signed anchor.
 *
 * The verify callback lets a path go on past an expired or not yet
 * valid certificate, so that the answer still shows the whole path and
 * every certificate's status; any other error ends the path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"

#include "internal.h"

X509_STORE *
chain_anchor_store(const struct verify_opts *o)
{
	X509_STORE *xs;
	size_t i;

	if (o->cache != NULL)
		return cache_anchor_store(o->cache);
	if ((xs = X509_STORE_new()) == NULL)
		return NULL;
	for (i = 0; i < o->nanchors; i++) {
		/* A duplicate anchor is harmless: OpenSSL says so with an
		 * error that is not one. */
		X509_STORE_add_cert(xs, o->anchors[i]);
	}
	ERR_clear_error();
	return xs;
}

/* The reason an OpenSSL path error stands for. */
static enum reason
reason_of(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return R_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return R_NOT_YET_VALID;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		return R_UNTRUSTED_CHAIN;
	default:
		return R_BAD_CHAIN;
	}
}

static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct findings *f = X509_STORE_CTX_get_app_data(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	int err = X509_STORE_CTX_get_error(ctx);
	char name[96] = "?", ts[32];

	if (ok)
		return 1;
	if (x != NULL)
		report_short_name(x, name, sizeof(name));
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		findings_add(
		    f, R_EXPIRED, "certificate \"%s\" expired %s", name,
		    time_format(crypto_time(X509_get0_notAfter(x)), ts));
		return 1;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		findings_add(
		    f, R_NOT_YET_VALID,
		    "certificate \"%s\" is valid only from %s", name,
		    time_format(crypto_time(X509_get0_notBefore(x)), ts));
		return 1;
	default:
		findings_add(f, reason_of(err),
			     "certificate \"%s\": %s (RFC 5280 6.1)", name,
			     X509_verify_cert_error_string(err));
		return 0;
	}
}

/* x's issuer among `pool`, or NULL. */
static X509 *
issuer_in(STACK_OF(X509) * pool, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(pool); i++)
		if (X509_check_issued(sk_X509_value(pool, i), x) == X509_V_OK)
			return sk_X509_value(pool, i);
	return NULL;
}

/*
 * Adds to `pool` the store's CA certificates on the way up from `leaf`,
 * by issuer name and authority key identifier, until a certificate is
 * self-issued, its issuer is an anchor, or the store has no issuer.
 * Only the certificates a path can use are decoded: the store may hold
 * thousands.
 */
static enum store_err
pool_from_store(struct chain_ctx *cx, X509 *leaf, STACK_OF(X509) * pool)
{
	STACK_OF(X509) *anchors = X509_STORE_get1_all_certs(cx->anchors);
	struct store_txn *t = NULL;
	struct store_issuer is;
	X509 *cur = leaf, *next;
	unsigned char *name = NULL;
	const unsigned char *p;
	const ASN1_OCTET_STRING *aki;
	uint32_t id;
	enum store_err e = STORE_OK;
	int depth, len;

	if (cx->store == NULL || anchors == NULL)
		goto out;
	if ((e = store_read_begin(cx->store, &t)) != STORE_OK)
		goto out;
	for (depth = 0; depth < MAX_VERIFY_CHAIN_DEPTH; depth++) {
		if (X509_check_issued(cur, cur) == X509_V_OK ||
		    issuer_in(anchors, cur) != NULL)
			break;
		if ((next = issuer_in(pool, cur)) != NULL) {
			cur = next;
			continue;
		}
		OPENSSL_free(name);
		name = NULL;
		if ((len = i2d_X509_NAME(X509_get_issuer_name(cur), &name)) <=
		    0)
			break;
		aki = X509_get0_authority_key_id(cur);
		e = store_issuer_find(t, name, (size_t)len,
				      aki ? ASN1_STRING_get0_data(aki) : NULL,
				      aki ? (size_t)ASN1_STRING_length(aki) : 0,
				      crypto_issued, cur, &id);
		if (e == STORE_OK)
			e = store_issuer_get(t, id, &is);
		if (e == STORE_NOTFOUND) {
			e = STORE_OK;
			break;
		}
		if (e != STORE_OK)
			goto out;
		p = is.cert;
		if ((next = d2i_X509(NULL, &p, (long)is.cert_len)) == NULL)
			break;
		if (!sk_X509_push(pool, next)) {
			X509_free(next);
			break;
		}
		cur = next;
	}
out:
	store_txn_end(t);
	OPENSSL_free(name);
	sk_X509_pop_free(anchors, X509_free);
	ERR_clear_error();
	return e;
}

STACK_OF(X509) * chain_validate(struct chain_ctx *cx, X509 *leaf, int64_t at,
				int purpose, struct findings *f,
				enum store_err *out_store_err)
{
	STACK_OF(X509) *pool = NULL, *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	size_t before = f->ndetail;
	uint32_t had = f->reasons;
	int i, rc;

	*out_store_err = STORE_OK;
	if (cx->cache != NULL &&
	    (chain = cache_path_get(cx->cache, leaf, purpose, at, cx->pool)) !=
		NULL)
		return chain;
	if ((pool = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(cx->pool); i++) {
		if (!X509_up_ref(sk_X509_value(cx->pool, i)))
			goto out;
		if (!sk_X509_push(pool, sk_X509_value(cx->pool, i))) {
			X509_free(sk_X509_value(cx->pool, i));
			goto out;
		}
	}
	if ((*out_store_err = pool_from_store(cx, leaf, pool)) != STORE_OK)
		goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, cx->anchors, leaf, pool))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)at);
	/* OpenSSL's depth counts the intermediates. */
	X509_VERIFY_PARAM_set_depth(param, MAX_VERIFY_CHAIN_DEPTH - 2);
	/* 80 bits at least: no MD5-signed certificate, no RSA key under
	 * 1024 bits (a signature such a key makes can be forged). */
	X509_VERIFY_PARAM_set_auth_level(param, 1);
	X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN |
						 X509_V_FLAG_CRL_CHECK |
						 X509_V_FLAG_CRL_CHECK_ALL);
	if (purpose != 0 && !X509_STORE_CTX_set_purpose(ctx, purpose))
		goto out;
	X509_STORE_CTX_set_app_data(ctx, f);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	rc = X509_verify_cert(ctx);
	if (rc != 1) {
		/* A failure the callback did not see (it is given every
		 * error it can decide on). */
		if (f->reasons == had && f->ndetail == before)
			findings_add(f, R_UNTRUSTED_CHAIN,
				     "no path to a trust anchor: %s",
				     X509_verify_cert_error_string(
					 X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	chain = X509_STORE_CTX_get1_chain(ctx);
	if (cx->cache != NULL && chain != NULL && f->reasons == had &&
	    f->ndetail == before)
		cache_path_put(cx->cache, leaf, purpose, chain, cx->pool);
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(pool, X509_free);
	ERR_clear_error();
	return chain;
}

/* ---- anchors from the store ------------------------------------- */

struct anchors_acc {
	X509 **v;
	size_t n, cap;
	int oom;
};

static int
collect_anchor(const struct store_issuer *is, void *arg)
{
	struct anchors_acc *acc = arg;
	const unsigned char *p = is->cert;
	X509 *x, **nv;

	/* One the list no longer names stays an anchor: signatures made
	 * while it was accredited still verify, and `qualified` (at each
	 * certificate's notBefore) tells what it issued after. */
	if (!(is->source & STORE_SRC_TSL) || is->cert == NULL)
		return 0;
	if ((x = d2i_X509(NULL, &p, (long)is->cert_len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	/* Self-signed: issued by itself, and the signature verifies. */
	if (X509_check_issued(x, x) != X509_V_OK ||
	    X509_verify(x, X509_get0_pubkey(x)) != 1) {
		ERR_clear_error();
		X509_free(x);
		return 0;
	}
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 16;

		if ((nv = realloc(acc->v, cap * sizeof(*nv))) == NULL) {
			X509_free(x);
			acc->oom = 1;
			return 1;
		}
		acc->v = nv;
		acc->cap = cap;
	}
	acc->v[acc->n++] = x;
	return acc->n >= MAX_VERIFY_ANCHORS;
}

enum store_err
verify_anchors_from_store(struct store *s, X509 ***out, size_t *out_n)
{
	struct anchors_acc acc = {0};
	struct store_txn *t = NULL;
	enum store_err e;

	*out = NULL;
	*out_n = 0;
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	e = store_issuer_foreach(t, collect_anchor, &acc);
	store_txn_end(t);
	if (e == STORE_OK && acc.oom)
		e = STORE_IO;
	if (e != STORE_OK) {
		verify_certs_free(acc.v, acc.n);
		return e;
	}
	*out = acc.v;
	*out_n = acc.n;
	return STORE_OK;
}

void
verify_certs_free(X509 **certs, size_t n)
{
	size_t i;

	if (certs == NULL)
		return;
	for (i = 0; i < n; i++)
		X509_free(certs[i]);
	free(certs);
}
