/*
 * CRL import: map, parse, identify the issuer, verify, index, merge.
 *
 * Memory: the CRL stays in the page cache (mapped, not copied); the only
 * allocation that grows with the CRL is the sort index, 16 bytes per
 * entry. LMDB's dirty pages are the rest.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "otzyv/crl.h"
#include "otzyv/import.h"
#include "otzyv/util.h"

/*
 * One entry of the sort index: where its serial lies in the file, and
 * its first eight octets as a big-endian number (zero-padded). Prefixes
 * that differ order the same way as the serials do (memcmp, then
 * length), so most comparisons never touch the mapped file, whose
 * random reads otherwise dominate the sort.
 */
struct slot {
	uint64_t prefix;
	uint32_t entry; /* offset of the entry in the file */
	uint8_t skip;	/* from the entry to the serial's contents */
	uint8_t len;	/* serial length */
};

struct job {
	struct store *s;
	const struct import_opts *opts;
	struct import_result *res;
	const char *label;
	struct crl crl;
	X509 *ca;
	int signed_by_ca;    /* find_issuer chose ca by its key's signature */
	int64_t stored_next; /* the stored CRL's nextUpdate; 0: none, or
				without one */
	struct slot *slots;
	size_t nslots;
	size_t pos; /* next slot the merge iterator yields */
};

/* Octets of a reason: the longest (a parser's crl_error after a short
 * prefix) fits, and a file's name or URL before it in a message of
 * import_result.msg's size. */
#define WHY_MAX 384

static enum import_status finish(struct job *j, enum import_status st,
				 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A rejection in the journal and as the CA's last error. They name the
 * CRL as the operator knows it: by its URL when it has one, else by the
 * file given. A fetched CRL's file is a spool file, which tells nobody
 * anything (the fetcher records its own error, naming the URL, next).
 */
static void
record_rejected(struct job *j, const char *why)
{
	const char *url = j->opts->url;
	char msg[sizeof(j->res->msg)];
	json_t *ev;

	ev = json_pack("{s:s, s:s, s:s}", "type", "crl_rejected",
		       url ? "url" : "file", url ? url : j->label, "reason",
		       why);
	if (ev == NULL)
		return;
	if (j->res->issuer_id != 0) {
		json_object_set_new(ev, "issuer",
				    json_integer(j->res->issuer_id));
		snprintf(msg, sizeof(msg), "%s: %s", url ? url : j->label, why);
		store_issuer_fail(j->s, j->res->issuer_id, msg, ev);
	} else {
		store_event_log(j->s, ev);
	}
	json_decref(ev);
}

/* Sets the outcome: r->msg is "file: why"; a rejection is also
 * recorded in the store. */
static enum import_status
finish(struct job *j, enum import_status st, const char *fmt, ...)
{
	struct import_result *r = j->res;
	char why[WHY_MAX];
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->msg, sizeof(r->msg), "%s: %s", j->label, why);
	if (st == IMPORT_REJECTED)
		record_rejected(j, why);
	return st;
}

/* The stored id of the CA given in opts, if it is stored, for the
 * journal and the CA's last error. */
static void
stored_id(struct job *j)
{
	struct store_txn *t;
	struct store_issuer is;
	uint32_t id;

	if (store_read_begin(j->s, &t) != STORE_OK)
		return;
	if (store_issuer_id_of(t, j->opts->issuer, &id) == STORE_OK) {
		j->res->issuer_id = id;
		if (store_issuer_get(t, id, &is) == STORE_OK && is.crl.present)
			j->stored_next = is.crl.next_update;
	}
	store_txn_end(t);
}

/* store_issuer_find's `fits`: the CA certificate's key verifies the
 * CRL (CAs that share a name, and a CRL without AKI to tell them).
 * The CA found is one that verified it: verify() need not again. */
static int
signed_crl(const uint8_t *ca_der, size_t len, void *arg)
{
	struct job *j = arg;
	const unsigned char *p = ca_der;
	X509 *ca = d2i_X509(NULL, &p, (long)len);
	struct crl_error err;
	EVP_PKEY *key = ca ? X509_get0_pubkey(ca) : NULL;
	int ok = key != NULL && crl_verify_signature(&j->crl, key, &err);

	X509_free(ca);
	ERR_clear_error();
	j->signed_by_ca |= ok;
	return ok;
}

/* The issuer: the CA given in opts, or looked up by name and AKI. */
static enum import_status
find_issuer(struct job *j)
{
	struct store_txn *t = NULL;
	struct store_issuer is;
	const unsigned char *p;
	enum store_err e;
	uint32_t id = j->opts->issuer_id;

	if (j->opts->issuer != NULL) {
		/* Registered only once the CRL passed every check (see
		 * register_issuer). */
		if ((j->ca = X509_dup(j->opts->issuer)) == NULL)
			return finish(j, IMPORT_ERROR, "out of memory");
		return IMPORT_OK;
	}
	if ((e = store_read_begin(j->s, &t)) != STORE_OK)
		return finish(j, IMPORT_ERROR, "%s", store_strerror(e));
	if (id == 0) {
		/* Without an AKI, the CA whose key signed it; when none
		 * did, the name's, for verify() to say so. */
		e = store_issuer_find(t, j->crl.issuer, j->crl.issuer_len,
				      j->crl.aki, j->crl.aki_len,
				      j->crl.aki ? NULL : signed_crl, j, &id);
		if (e == STORE_NOTFOUND && j->crl.aki == NULL)
			e = store_issuer_find(t, j->crl.issuer,
					      j->crl.issuer_len, NULL, 0, NULL,
					      NULL, &id);
	}
	if (e == STORE_OK && (e = store_issuer_get(t, id, &is)) == STORE_OK) {
		p = is.cert;
		j->ca = d2i_X509(NULL, &p, (long)is.cert_len);
		j->stored_next = is.crl.present ? is.crl.next_update : 0;
	}
	store_txn_end(t);
	if (e == STORE_NOTFOUND && j->opts->issuer_id == 0)
		return finish(j, IMPORT_REJECTED,
			      "no stored CA has the CRL's issuer name%s; "
			      "give the CA certificate with --issuer",
			      j->crl.aki ? " and authority key identifier"
					 : "");
	if (e != STORE_OK || j->ca == NULL)
		return finish(j, IMPORT_ERROR, "reading the issuer: %s",
			      e != STORE_OK ? store_strerror(e) : "bad DER");
	j->res->issuer_id = id;
	return IMPORT_OK;
}

/* The CA given with the CRL, registered now that the CRL verified. */
static enum import_status
register_issuer(struct job *j)
{
	enum store_err e;
	uint32_t id;

	if (j->opts->issuer == NULL)
		return IMPORT_OK;
	e = store_issuer_register(
	    j->s, j->opts->issuer, j->opts->name,
	    j->opts->source ? j->opts->source : STORE_SRC_MANUAL, &id);
	if (e != STORE_OK)
		return finish(j, IMPORT_ERROR, "registering the issuer: %s",
			      store_strerror(e));
	j->res->issuer_id = id;
	return IMPORT_OK;
}

static enum import_status
verify(struct job *j)
{
	struct crl_error err;
	EVP_PKEY *key;
	int ok;

	if (!crl_check_issuer(&j->crl, j->ca, &err))
		return finish(j, IMPORT_REJECTED, "%s", err.msg);
	if ((key = X509_get0_pubkey(j->ca)) == NULL)
		return finish(j, IMPORT_REJECTED,
			      "the CA's public key is not usable here "
			      "(a GOST key needs libengine-gost-openssl)");
	/* A hash of the whole CRL: not twice. */
	ok = j->signed_by_ca || crl_verify_signature(&j->crl, key, &err);
	ERR_clear_error();
	if (!ok)
		return finish(j, IMPORT_REJECTED, "%s", err.msg);
	return IMPORT_OK;
}

/* Policy checks beyond RFC 5280's syntax. */
static enum import_status
check_policy(struct job *j)
{
	const struct crl *c = &j->crl;
	/* Only the CA's complete list: read as one, what a partial CRL
	 * leaves out would be "good". */
	const struct {
		int bad;
		const char *why;
	} partial[] = {
	    {c->is_delta, "5.2.4: delta CRL; only complete CRLs are imported"},
	    {c->idp_indirect, "5.2.5: indirect CRLs are not supported"},
	    {c->idp_some_reasons,
	     "5.2.5: onlySomeReasons: a CRL of some revocation reasons "
	     "only; only complete CRLs are imported"},
	    {c->idp_only_attr, "5.2.5: onlyContainsAttributeCerts: not a CRL "
			       "of public-key certificates"},
	    {c->idp_only_user && c->idp_only_ca,
	     "5.2.5: onlyContainsUserCerts and onlyContainsCACerts both set"},
	};
	size_t i;

	for (i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
		if (partial[i].bad)
			return finish(j, IMPORT_REJECTED, "RFC 5280 %s",
				      partial[i].why);
	/* Kept with the CRL, to tell which certificates it speaks for. */
	if (c->idp_dp != NULL && (c->idp_dp_len > MAX_CRL_IDP_DP ||
				  !crl_dp_valid(c->idp_dp, c->idp_dp_len)))
		return finish(j, IMPORT_REJECTED,
			      "RFC 5280 5.2.5: the issuingDistributionPoint"
			      "'s distributionPoint is not a "
			      "DistributionPointName of at most %d octets",
			      MAX_CRL_IDP_DP);
	if (c->this_update > j->opts->now + IMPORT_CLOCK_SLACK)
		return finish(j, IMPORT_REJECTED,
			      "RFC 5280 5.1.2.4: thisUpdate is in the "
			      "future");
	/* An expired CRL teaches nothing a stored one that outlives it does
	 * not; it can only be a replay. */
	if (c->has_next_update && c->next_update < j->opts->now &&
	    j->stored_next > c->next_update)
		return finish(j, IMPORT_REJECTED,
			      "expired (nextUpdate passed) while the "
			      "stored CRL is valid longer");
	return IMPORT_OK;
}

static int
slot_cmp(const void *a, const void *b, void *arg)
{
	const uint8_t *buf = arg;
	const struct slot *x = a, *y = b;
	size_t n;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	n = x->len < y->len ? x->len : y->len;
	c = memcmp(buf + x->entry + x->skip, buf + y->entry + y->skip, n);
	if (c != 0)
		return c;
	return (int)x->len - (int)y->len;
}

static uint64_t
serial_prefix(const uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (i < len ? p[i] : 0);
	return v;
}

/* Walks every entry once (checking it) and builds the sort index. */
static enum import_status
index_entries(struct job *j)
{
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t cap = 0;
	int rc;

	crl_iter_init(&j->crl, &it);
	while ((rc = crl_iter_next(&it, &e, &err)) == 1) {
		if (e.cert_issuer != NULL)
			return finish(j, IMPORT_REJECTED,
				      "entry %zu: RFC 5280 5.3.3: "
				      "certificateIssuer is only for indirect "
				      "CRLs, which are not supported",
				      j->nslots);
		if (j->nslots == cap) {
			struct slot *n;

			if (cap >= MAX_CRL_ENTRIES)
				return finish(j, IMPORT_REJECTED,
					      "more than %u entries",
					      MAX_CRL_ENTRIES);
			cap = cap ? cap * 2 : 1024;
			if ((n = realloc(j->slots, cap * sizeof(*n))) == NULL)
				return finish(j, IMPORT_ERROR, "out of memory");
			j->slots = n;
		}
		j->slots[j->nslots].prefix =
		    serial_prefix(e.serial, e.serial_len);
		j->slots[j->nslots].entry = (uint32_t)e.offset;
		j->slots[j->nslots].skip =
		    (uint8_t)(e.serial - (j->crl.buf + e.offset));
		j->slots[j->nslots].len = (uint8_t)e.serial_len;
		j->nslots++;
	}
	if (rc < 0)
		return finish(j, IMPORT_REJECTED, "%s", err.msg);
	if (j->nslots > 0) /* an empty CRL has no slots: NULL */
		qsort_r(j->slots, j->nslots, sizeof(*j->slots), slot_cmp,
			(void *)j->crl.buf);
	return IMPORT_OK;
}

static void
to_store_entry(const struct crl_entry *e, struct store_entry *out)
{
	out->serial = e->serial;
	out->serial_len = e->serial_len;
	out->revoked_at = e->revoked_at;
	out->reason = e->reason;
	out->has_invalidity = e->has_invalidity;
	out->invalidity = e->invalidity;
}

/* Of two entries of one serial, the one that is never wrongly "good":
 * a revocation over a hold (which may end), else the earlier. */
static int
outranks(const struct crl_entry *a, const struct crl_entry *b)
{
	int ha = a->reason == CRL_REASON_CERTIFICATE_HOLD,
	    hb = b->reason == CRL_REASON_CERTIFICATE_HOLD;

	return ha != hb ? hb : a->revoked_at < b->revoked_at;
}

/*
 * store_entry_fn over the sorted index. A serial listed twice (seen in
 * the wild) is yielded once, as the entry that outranks the others.
 */
static int
next_entry(void *arg, struct store_entry *out)
{
	struct job *j = arg;
	struct crl_entry e, dup;
	struct crl_error err;

	if (j->pos == j->nslots)
		return 0;
	if (!crl_entry_at(&j->crl, j->slots[j->pos].entry, &e, &err))
		return -1;
	j->pos++;
	while (j->pos < j->nslots &&
	       slot_cmp(&j->slots[j->pos - 1], &j->slots[j->pos],
			(void *)j->crl.buf) == 0) {
		if (!crl_entry_at(&j->crl, j->slots[j->pos].entry, &dup, &err))
			return -1;
		if (outranks(&dup, &e))
			e = dup;
		j->res->duplicates++;
		j->pos++;
	}
	to_store_entry(&e, out);
	return 1;
}

static enum import_status
merge(struct job *j)
{
	struct store_crl_meta meta;
	enum store_err e;
	struct import_result *r = j->res;

	memset(&meta, 0, sizeof(meta));
	meta.present = 1;
	meta.number = j->crl.number;
	meta.this_update = j->crl.this_update;
	meta.next_update = j->crl.has_next_update ? j->crl.next_update : 0;
	meta.fetched_at = j->opts->now;
	meta.size = j->crl.len;
	SHA256(j->crl.buf, j->crl.len, meta.sha256);
	meta.url = j->opts->url;
	meta.scope = j->crl.idp_only_user ? STORE_SCOPE_USERS
		     : j->crl.idp_only_ca ? STORE_SCOPE_CAS
					  : STORE_SCOPE_ALL;
	meta.idp_known = 1;
	if (j->crl.idp != NULL)
		SHA256(j->crl.idp, j->crl.idp_len, meta.idp_sha256);
	meta.idp_dp = j->crl.idp_dp;
	meta.idp_dp_len = j->crl.idp_dp_len;
	meta.etag = j->opts->etag;
	meta.last_modified = j->opts->last_modified;
	e = store_merge_crl(j->s, r->issuer_id, &meta, next_entry, j,
			    j->opts->edit, &r->stats);
	switch (e) {
	case STORE_OK:
		r->entries = r->stats.added + r->stats.changed + r->stats.kept;
		return finish(j, IMPORT_OK, "imported");
	case STORE_UNCHANGED:
		/* The stored CRL, verified again: the CA is as well as an
		 * import would leave it, so an error a refused CRL left
		 * goes, as a fetch of the same file clears it. */
		if ((e = store_issuer_clear_error(j->s, r->issuer_id)) !=
		    STORE_OK)
			return finish(j, IMPORT_ERROR, "%s", store_strerror(e));
		return finish(j, IMPORT_UNCHANGED, "already imported");
	case STORE_ROLLBACK:
	case STORE_CONFLICT:
		return finish(j, IMPORT_REJECTED, "RFC 5280 5.2.3: %s",
			      store_strerror(e));
	case STORE_OTHER_SCOPE:
		return finish(j, IMPORT_REJECTED, "RFC 5280 5.2.5: %s",
			      store_strerror(e));
	default:
		return finish(j, IMPORT_ERROR, "%s", store_strerror(e));
	}
}

enum import_status
import_crl_der(struct store *s, const uint8_t *der, size_t len,
	       const char *label, const struct import_opts *opts,
	       struct import_result *out)
{
	struct job j;
	struct crl_error err;
	enum import_status st;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	j.s = s;
	j.opts = opts;
	j.res = out;
	j.label = label;
	if (len > MAX_CRL_FILE_SIZE) {
		st = finish(&j, IMPORT_REJECTED, "larger than 4 GiB");
		goto out;
	}
	/* Known before parsing, so that a CRL refused at any step is
	 * recorded on the CA it was given for. */
	if (opts->issuer != NULL)
		stored_id(&j);
	else
		out->issuer_id = opts->issuer_id;
	if (!crl_parse(der, len, &j.crl, &err)) {
		st = finish(&j, IMPORT_REJECTED, "%s", err.msg);
		goto out;
	}
	out->number = j.crl.number;
	out->this_update = j.crl.this_update;
	out->next_update = j.crl.next_update;
	if ((st = find_issuer(&j)) != IMPORT_OK ||
	    (st = verify(&j)) != IMPORT_OK ||
	    (st = check_policy(&j)) != IMPORT_OK ||
	    (st = index_entries(&j)) != IMPORT_OK ||
	    (st = register_issuer(&j)) != IMPORT_OK)
		goto out;
	st = merge(&j);
out:
	free(j.slots);
	X509_free(j.ca);
	return st;
}

unsigned char *
import_crl_pem(const struct mapfile *m, long *out_len)
{
	BIO *bio;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	size_t i = 0;

	if (m->len <= 10 || m->len > INT32_MAX)
		return NULL;
	while (i < m->len && i < 64 &&
	       (m->data[i] == ' ' || m->data[i] == '\n' || m->data[i] == '\r' ||
		m->data[i] == '\t'))
		i++;
	if (m->len - i < 10 || memcmp(m->data + i, "-----BEGIN", 10) != 0)
		return NULL;
	if ((bio = BIO_new_mem_buf(m->data, (int)m->len)) == NULL)
		return NULL;
	if (!PEM_read_bio(bio, &name, &header, &data, out_len) ||
	    strcmp(name, "X509 CRL") != 0) {
		OPENSSL_free(data);
		data = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	ERR_clear_error();
	return data;
}

enum import_status
import_crl_file(struct store *s, const char *path,
		const struct import_opts *opts, struct import_result *out)
{
	struct mapfile m;
	unsigned char *der = NULL;
	long der_len = 0;
	enum import_status st;
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = mapfile_open(path, &m)) != 0) {
		out->status = IMPORT_ERROR;
		snprintf(out->msg, sizeof(out->msg), "%s: cannot read: %s",
			 path, strerror(e));
		return IMPORT_ERROR;
	}
	der = import_crl_pem(&m, &der_len);
	if (der != NULL)
		st = import_crl_der(s, der, (size_t)der_len, path, opts, out);
	else
		st = import_crl_der(s, m.data ? m.data : (const uint8_t *)"",
				    m.len, path, opts, out);
	OPENSSL_free(der);
	mapfile_close(&m);
	return st;
}
