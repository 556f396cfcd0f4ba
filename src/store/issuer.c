/*
 * Issuers and their certid index.
 */
#include "config.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "internal.h"
#include "otzyv/crypto.h"
#include "otzyv/util.h"

enum store_err
issuer_get_txn(MDB_txn *txn, struct store *s, uint32_t id,
	       struct store_issuer *out)
{
	uint8_t kb[4];
	MDB_val k = {4, kb}, v;
	int rc;

	be32_put(kb, id);
	if ((rc = mdb_get(txn, s->issuers, &k, &v)) != 0)
		return store_err_from_mdb(rc);
	return issuer_decode(id, v.mv_data, v.mv_size, out);
}

enum store_err
issuer_put_txn(MDB_txn *txn, struct store *s, const struct store_issuer *is)
{
	struct buf b = {0};
	uint8_t kb[4];
	MDB_val k = {4, kb}, v;
	int rc;

	be32_put(kb, is->id);
	issuer_encode(is, &b);
	v.mv_data = b.p;
	v.mv_size = b.len;
	rc = mdb_put(txn, s->issuers, &k, &v, 0);
	buf_free(&b);
	return store_err_from_mdb(rc);
}

enum store_err
store_issuer_get(struct store_txn *t, uint32_t id, struct store_issuer *out)
{
	return issuer_get_txn(t->txn, t->s, id, out);
}

enum store_err
store_issuer_foreach(struct store_txn *t,
		     int (*fn)(const struct store_issuer *, void *), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct store_issuer is;
	enum store_err e = STORE_OK;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, t->s->issuers, &cur)) != 0)
		return store_err_from_mdb(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 4 ||
		    (e = issuer_decode(be32_get(k.mv_data), v.mv_data,
				       v.mv_size, &is)) != STORE_OK)
			break;
		if (fn(&is, arg))
			break;
	}
	mdb_cursor_close(cur);
	if (e == STORE_OK && k.mv_size != 4 && rc == 0)
		e = STORE_CORRUPT;
	if (e == STORE_OK && rc != 0 && rc != MDB_NOTFOUND)
		e = store_err_from_mdb(rc);
	return e;
}

static size_t
certid_key(int alg, const uint8_t *name_hash, const uint8_t *key_hash,
	   size_t hlen, uint8_t *out)
{
	out[0] = (uint8_t)alg;
	memcpy(out + 1, name_hash, hlen);
	memcpy(out + 1 + hlen, key_hash, hlen);
	return 1 + 2 * hlen;
}

enum store_err
store_issuer_by_certid(struct store_txn *t, int alg, const uint8_t *name_hash,
		       const uint8_t *key_hash, size_t hash_len,
		       uint32_t *out_id)
{
	uint8_t kb[1 + 2 * HASH_MAX_LEN];
	MDB_val k, v;
	int rc;

	if (hash_len > HASH_MAX_LEN)
		return STORE_NOTFOUND;
	k.mv_data = kb;
	k.mv_size = certid_key(alg, name_hash, key_hash, hash_len, kb);
	if ((rc = mdb_get(t->txn, t->s->certid, &k, &v)) != 0)
		return store_err_from_mdb(rc);
	if (v.mv_size != 4)
		return STORE_CORRUPT;
	*out_id = be32_get(v.mv_data);
	return STORE_OK;
}

struct find_ctx {
	X509_NAME *name;
	const uint8_t *keyid;
	size_t keyid_len;
	int (*fits)(const uint8_t *, size_t, void *);
	void *arg;
	uint32_t found;
};

static int
find_one(const struct store_issuer *is, void *arg)
{
	struct find_ctx *f = arg;
	const unsigned char *p = is->subject;
	X509_NAME *subject;
	int same = 0;

	if (f->keyid != NULL) {
		int by_ski = is->ski != NULL && is->ski_len == f->keyid_len &&
			     memcmp(is->ski, f->keyid, f->keyid_len) == 0;
		int by_spki = f->keyid_len == 20 &&
			      memcmp(is->spki_sha1, f->keyid, 20) == 0;

		if (!by_ski && !by_spki)
			return 0;
	}
	subject = d2i_X509_NAME(NULL, &p, (long)is->subject_len);
	same = subject != NULL && X509_NAME_cmp(subject, f->name) == 0;
	X509_NAME_free(subject);
	if (same &&
	    (f->fits == NULL || f->fits(is->cert, is->cert_len, f->arg)))
		f->found = is->id;
	return 0;
}

enum store_err
store_issuer_find(struct store_txn *t, const uint8_t *name, size_t name_len,
		  const uint8_t *keyid, size_t keyid_len,
		  int (*fits)(const uint8_t *, size_t, void *), void *arg,
		  uint32_t *out_id)
{
	const unsigned char *p = name;
	struct find_ctx f = {0};
	enum store_err e;

	/* RFC 5280 7.1 name matching; the store holds hundreds of CAs, and
	 * this runs once per CRL, so a scan is cheap. */
	if ((f.name = d2i_X509_NAME(NULL, &p, (long)name_len)) == NULL)
		return STORE_INVALID;
	f.keyid = keyid;
	f.keyid_len = keyid_len;
	f.fits = fits;
	f.arg = arg;
	e = store_issuer_foreach(t, find_one, &f);
	X509_NAME_free(f.name);
	if (e != STORE_OK)
		return e;
	if (f.found == 0)
		return STORE_NOTFOUND;
	*out_id = f.found;
	return STORE_OK;
}

/* Index (alg, H(subject), H(key)) -> id for every algorithm we have. */
static enum store_err
put_certids(MDB_txn *txn, struct store *s, const uint8_t *subject,
	    size_t subject_len, const uint8_t *key, size_t key_len, uint32_t id)
{
	uint8_t nh[HASH_MAX_LEN], kh[HASH_MAX_LEN], kb[1 + 2 * HASH_MAX_LEN];
	uint8_t idb[4];
	int alg, rc;

	be32_put(idb, id);
	for (alg = HASH_FIRST; alg <= HASH_LAST; alg++) {
		size_t n = crypto_hash(alg, subject, subject_len, nh);
		MDB_val k, v = {4, idb};

		if (n == 0 || crypto_hash(alg, key, key_len, kh) != n)
			continue;
		k.mv_data = kb;
		k.mv_size = certid_key(alg, nh, kh, n, kb);
		if ((rc = mdb_put(txn, s->certid, &k, &v, 0)) != 0)
			return store_err_from_mdb(rc);
	}
	return STORE_OK;
}

/* SHA-256 of the subject and of the key bits: the certid that
 * identifies an issuer in the store. */
static int
identity(X509 *cert, uint8_t nh[32], uint8_t kh[32])
{
	unsigned char *subject = NULL;
	int len = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
	const uint8_t *key;
	size_t key_len;
	int ok = len > 0 && crypto_spki_bits(cert, &key, &key_len) &&
		 crypto_hash(HASH_SHA256, subject, (size_t)len, nh) == 32 &&
		 crypto_hash(HASH_SHA256, key, key_len, kh) == 32;

	OPENSSL_free(subject);
	return ok;
}

enum store_err
store_issuer_id_of(struct store_txn *t, X509 *cert, uint32_t *out_id)
{
	uint8_t nh[32], kh[32];

	if (!identity(cert, nh, kh))
		return STORE_INVALID;
	return store_issuer_by_certid(t, HASH_SHA256, nh, kh, 32, out_id);
}

/* 1 when the issuer is stored exactly so: callers register their CAs at
 * every start, and a write transaction would queue behind an import. */
static int
already_registered(struct store *s, const uint8_t *nh, const uint8_t *kh,
		   const uint8_t *der, size_t der_len, const char *name,
		   unsigned source, uint32_t *out_id)
{
	struct store_txn *t;
	struct store_issuer is;
	uint32_t id;
	int same = 0;

	if (store_read_begin(s, &t) != STORE_OK)
		return 0;
	if (store_issuer_by_certid(t, HASH_SHA256, nh, kh, 32, &id) ==
		STORE_OK &&
	    store_issuer_get(t, id, &is) == STORE_OK)
		same = is.cert_len == der_len &&
		       memcmp(is.cert, der, der_len) == 0 &&
		       (is.source & source) == source &&
		       (name == NULL ||
			(is.name != NULL && strcmp(is.name, name) == 0));
	store_txn_end(t);
	if (same)
		*out_id = id;
	return same;
}

enum store_err
store_issuer_register(struct store *s, X509 *cert, const char *name,
		      unsigned source, uint32_t *out_id)
{
	unsigned char *subject = NULL, *der = NULL;
	const uint8_t *key;
	size_t key_len;
	int subject_len, der_len;
	uint8_t nh[32], kh[32];
	const ASN1_OCTET_STRING *ski;
	struct store_issuer is;
	MDB_txn *txn = NULL;
	uint64_t next;
	uint32_t id;
	enum store_err e = STORE_INVALID;
	char oneline[256];
	int rc;

	subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
	der_len = i2d_X509(cert, &der);
	if (subject_len <= 0 || der_len <= 0 ||
	    !crypto_spki_bits(cert, &key, &key_len))
		goto out;
	crypto_hash(HASH_SHA256, subject, (size_t)subject_len, nh);
	crypto_hash(HASH_SHA256, key, key_len, kh);

	if (already_registered(s, nh, kh, der, (size_t)der_len, name, source,
			       out_id)) {
		e = STORE_OK;
		goto out;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		e = store_err_from_mdb(rc);
		goto out;
	}
	{
		uint8_t kb[1 + 64];
		MDB_val k = {1 + 64, kb}, v;

		certid_key(HASH_SHA256, nh, kh, 32, kb);
		rc = mdb_get(txn, s->certid, &k, &v);
		if (rc == 0 && v.mv_size == 4) {
			id = be32_get(v.mv_data);
			if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK)
				goto out;
		} else if (rc == MDB_NOTFOUND) {
			if ((e = meta_next(txn, s, "next_issuer", &next)) !=
			    STORE_OK)
				goto out;
			id = (uint32_t)next;
			memset(&is, 0, sizeof(is));
			is.id = id;
			X509_NAME_oneline(X509_get_subject_name(cert), oneline,
					  sizeof(oneline));
			is.name = oneline;
		} else {
			e = store_err_from_mdb(rc ? rc : MDB_CORRUPTED);
			goto out;
		}
	}
	/* The record's pointers may point into the map: replace fields,
	 * then encode before any write. */
	if (name != NULL)
		is.name = name;
	is.subject = subject;
	is.subject_len = (size_t)subject_len;
	is.cert = der;
	is.cert_len = (size_t)der_len;
	crypto_hash(HASH_SHA1, key, key_len, is.spki_sha1);
	memcpy(is.spki_sha256, kh, 32);
	ski = X509_get0_subject_key_id(cert);
	is.ski = ski ? ASN1_STRING_get0_data(ski) : NULL;
	is.ski_len = ski ? (size_t)ASN1_STRING_length(ski) : 0;
	is.source |= source;
	is.not_after = crypto_time(X509_get0_notAfter(cert));
	if ((e = issuer_put_txn(txn, s, &is)) != STORE_OK ||
	    (e = put_certids(txn, s, subject, (size_t)subject_len, key, key_len,
			     id)) != STORE_OK)
		goto out;
	e = txn_commit(s, txn);
	txn = NULL;
	if (e == STORE_OK)
		*out_id = id;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	OPENSSL_free(subject);
	OPENSSL_free(der);
	return e;
}

enum store_err
issuer_update(struct store *s, uint32_t id,
	      void (*edit)(struct store_issuer *, const void *),
	      const void *arg, json_t *event)
{
	MDB_txn *txn;
	struct store_issuer is;
	enum store_err e;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return store_err_from_mdb(rc);
	if ((e = issuer_get_txn(txn, s, id, &is)) != STORE_OK)
		goto out;
	edit(&is, arg);
	if ((e = issuer_put_txn(txn, s, &is)) != STORE_OK)
		goto out;
	if (event != NULL && (e = event_put_txn(txn, s, event)) != STORE_OK)
		goto out;
	e = txn_commit(s, txn);
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
}

static void
set_error(struct store_issuer *is, const void *why)
{
	is->last_error = why;
	is->last_error_at = clock_now();
}

enum store_err
store_issuer_fail(struct store *s, uint32_t id, const char *why, json_t *event)
{
	return issuer_update(s, id, set_error, why, event);
}

static void
clear_error(struct store_issuer *is, const void *arg)
{
	(void)arg;
	is->last_error = NULL;
	is->last_error_at = 0;
}

enum store_err
store_issuer_clear_error(struct store *s, uint32_t id)
{
	struct store_txn *t;
	struct store_issuer is;
	enum store_err e;
	int has_error = 0;

	/* Most imports have no error to clear: no write transaction for
	 * them, which would queue behind an import. */
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	if ((e = store_issuer_get(t, id, &is)) == STORE_OK)
		has_error = is.last_error != NULL || is.last_error_at != 0;
	store_txn_end(t);
	if (e != STORE_OK || !has_error)
		return e;
	return issuer_update(s, id, clear_error, NULL, NULL);
}

struct fetched {
	const struct store_fetch *f;
	const char *error;
};

/* An attempt that succeeded without a new CRL (a 304, or the stored
 * file again) heals the CA as an import does (store_merge_crl): its
 * last error would go on saying it fails. The journal and the failure
 * counters keep what happened. */
static void
set_fetched(struct store_issuer *is, const void *arg)
{
	const struct fetched *x = arg;

	is->fetch = *x->f;
	if (x->error != NULL)
		set_error(is, x->error);
	else
		clear_error(is, NULL);
}

enum store_err
store_issuer_fetched(struct store *s, uint32_t id, const struct store_fetch *f,
		     const char *error, json_t *event)
{
	struct fetched x = {f, error};

	return issuer_update(s, id, set_fetched, &x, event);
}

static void
set_config_urls(struct store_issuer *is, const void *urls)
{
	is->config_urls = urls;
}

enum store_err
store_issuer_set_config_urls(struct store *s, uint32_t id, const char *urls)
{
	struct store_txn *t;
	struct store_issuer is;
	enum store_err e;
	int same = 0;

	if (urls != NULL && *urls == '\0')
		urls = NULL;
	/* Called for every configured CA at every start: a write
	 * transaction would queue behind an import. */
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	if ((e = store_issuer_get(t, id, &is)) == STORE_OK)
		same = (urls == NULL && is.config_urls == NULL) ||
		       (urls != NULL && is.config_urls != NULL &&
			strcmp(urls, is.config_urls) == 0);
	store_txn_end(t);
	if (e != STORE_OK || same)
		return e;
	return issuer_update(s, id, set_config_urls, urls, NULL);
}

static void
clear_config(struct store_issuer *is, const void *arg)
{
	(void)arg;
	is->source &= ~(unsigned)STORE_SRC_CONFIG;
	is->config_urls = NULL;
}

enum store_err
store_issuer_unconfigure(struct store *s, uint32_t id)
{
	return issuer_update(s, id, clear_config, NULL, NULL);
}

struct source {
	const uint8_t *sha256;
	const char *url, *etag, *last_modified;
};

static void
set_source(struct store_issuer *is, const void *arg)
{
	const struct source *src = arg;

	if (!is->crl.present || memcmp(is->crl.sha256, src->sha256, 32) != 0)
		return;
	is->crl.url = src->url;
	is->crl.etag = src->etag;
	is->crl.last_modified = src->last_modified;
}

enum store_err
store_crl_set_source(struct store *s, uint32_t id, const uint8_t sha256[32],
		     const char *url, const char *etag,
		     const char *last_modified)
{
	struct source src = {sha256, url, etag, last_modified};

	return issuer_update(s, id, set_source, &src, NULL);
}

struct besides {
	unsigned source;
	const uint32_t *keep;
	size_t nkeep;
	uint32_t *v;
	size_t n, cap;
	int oom;
};

static int
collect_besides(const struct store_issuer *is, void *arg)
{
	struct besides *b = arg;
	uint32_t *v;
	size_t i;

	if ((is->source & b->source) != b->source)
		return 0;
	for (i = 0; i < b->nkeep; i++)
		if (b->keep[i] == is->id)
			return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;

		if ((v = realloc(b->v, cap * sizeof(*v))) == NULL) {
			b->oom = 1;
			return 1;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = is->id;
	return 0;
}

enum store_err
store_issuers_besides(struct store *s, unsigned source, const uint32_t *keep,
		      size_t nkeep, uint32_t **out, size_t *out_n)
{
	struct besides b = {source, keep, nkeep, NULL, 0, 0, 0};
	struct store_txn *t;
	enum store_err e;

	*out = NULL;
	*out_n = 0;
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	e = store_issuer_foreach(t, collect_besides, &b);
	store_txn_end(t);
	if (e == STORE_OK && b.oom)
		e = STORE_IO;
	if (e != STORE_OK) {
		free(b.v);
		return e;
	}
	*out = b.v;
	*out_n = b.n;
	return STORE_OK;
}
