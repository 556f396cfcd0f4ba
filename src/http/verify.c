/*
 * POST /v1/verify: "is this signature valid?" (DESIGN.md). The body
 * goes into a job and is checked on the job pool, never on the worker:
 * the JSON request is decoded there too, as is the answer encoded. A
 * big body arrives spooled to a file (conn.c): the job takes its
 * mapping rather than a copy. A full queue answers 503 with
 * Retry-After at once.
 *
 * The body is JSON (verify_request_parse()) or, with Content-Type
 * application/pkcs7-signature, application/cms or
 * application/pkcs7-mime, the attached signature itself.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "internal.h"
#include "otzyv/util.h"
#include "otzyv/verify.h"

struct verify_job {
	struct http_job job; /* first: the pool sees this */
	struct store *store;
	struct http_verify_trust *trust; /* a reference */
	struct http_body body;
	int raw;		      /* the body is the signature */
	int64_t now;		      /* the time of the check */
	char id[VERIFY_AUDIT_ID_LEN]; /* X-Request-Id, and in the audit */
	int code;		      /* the answer, filled by run() */
	char *answer;		      /* JSON, malloc'd */
};

struct http_verify_trust *
http_verify_trust_new(void)
{
	struct http_verify_trust *t = calloc(1, sizeof(*t));

	if (t != NULL) {
		atomic_init(&t->refs, 1);
		pthread_mutex_init(&t->mu, NULL);
	}
	return t;
}

void
http_verify_trust_unref(struct http_verify_trust *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	verify_certs_free(t->anchors, t->nanchors);
	verify_certs_free(t->intermediates, t->nintermediates);
	verify_certs_free(t->listed, t->nlisted);
	verify_cache_unref(t->cache);
	verify_audit_close(t->audit);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/*
 * The anchors of one verification, as a cache (a new reference, or
 * NULL with *e set): the configured ones and, with tsl_anchors, the
 * trusted list's as stored now. Both are read again, and the cache
 * made anew, only when the stored list's SHA-256 changed.
 */
static struct verify_cache *
cache_now(struct http_verify_trust *t, struct store *s, enum store_err *e)
{
	struct store_tsl_meta m = {0};
	struct store_txn *txn;
	struct verify_cache *c = NULL;
	X509 **v;
	size_t i, n = 0;

	*e = STORE_OK;
	/* Read before the lock: the pool's threads would queue behind
	 * one another's store reads. */
	if (t->tsl_anchors && (*e = store_read_begin(s, &txn)) == STORE_OK) {
		*e = store_tsl_get(txn, &m);
		store_txn_end(txn);
	}
	if (*e != STORE_OK)
		return NULL;
	pthread_mutex_lock(&t->mu);
	if (t->tsl_anchors &&
	    (!t->listed_read ||
	     memcmp(m.sha256, t->listed_sha256, sizeof(m.sha256)) != 0)) {
		verify_certs_free(t->listed, t->nlisted);
		t->listed = NULL;
		t->nlisted = 0;
		t->listed_read = 0;
		verify_cache_unref(t->cache);
		t->cache = NULL;
		if ((*e = verify_anchors_from_store(s, &t->listed,
						    &t->nlisted)) != STORE_OK)
			goto out;
		memcpy(t->listed_sha256, m.sha256, sizeof(m.sha256));
		t->listed_read = 1;
	}
	if (t->cache == NULL) {
		if ((v = calloc(t->nanchors + t->nlisted + 1, sizeof(*v))) ==
		    NULL) {
			*e = STORE_IO;
			goto out;
		}
		for (i = 0; i < t->nanchors; i++)
			v[n++] = t->anchors[i];
		for (i = 0; i < t->nlisted; i++)
			v[n++] = t->listed[i];
		t->cache = verify_cache_new(v, n);
		free(v);
		if (t->cache == NULL) {
			*e = STORE_IO;
			goto out;
		}
	}
	c = verify_cache_ref(t->cache);
out:
	pthread_mutex_unlock(&t->mu);
	return c;
}

/* In a pool thread: decode, verify, encode. */
static void
job_run(struct http_job *hj)
{
	struct verify_job *j = (struct verify_job *)hj;
	struct verify_request rq = {0};
	struct verify_input in = {0};
	struct verify_opts vo = {0};
	char err[512] = "";
	json_t *doc = NULL;
	enum verify_err e;
	enum store_err se;
	struct verify_cache *cache = NULL;

	if (j->raw) {
		in.sig = j->body.p;
		in.sig_len = j->body.len;
	} else {
		if (!verify_request_parse(j->body.p, j->body.len, &rq, err,
					  sizeof(err))) {
			j->code = 400;
			j->answer = http_error_text(err);
			goto out;
		}
		/* The content stays where it is, in the body or (a
		 * request only jansson reads) in the request's JSON: the
		 * body, and its spool budget, are kept to the end. */
		if (rq.content_b64 == NULL)
			http_body_drop(&j->body);
		in.sig = rq.sig;
		in.sig_len = rq.sig_len;
		in.content_b64 = rq.content_b64;
		in.content_b64_len = rq.content_b64_len;
		in.content_b64_json = rq.content_b64_json;
		in.digest_alg = rq.digest_alg;
		in.digest = rq.digest;
		in.digest_len = rq.digest_len;
		vo.at = rq.at;
	}
	if ((cache = cache_now(j->trust, j->store, &se)) == NULL) {
		snprintf(err, sizeof(err), "store: %s", store_strerror(se));
		j->code = 503;
		j->answer = http_error_text(err);
		goto out;
	}
	vo.cache = cache;
	vo.intermediates = j->trust->intermediates;
	vo.nintermediates = j->trust->nintermediates;
	vo.trust_claimed_signing_time = j->trust->trust_claimed_signing_time;
	vo.cautionary = j->trust->cautionary;
	vo.stale_grace = j->trust->stale_grace;
	vo.now = j->now;
	e = verify_run(j->store, &vo, &in, &doc, err, sizeof(err));
	switch (e) {
	case VERIFY_OK:
		j->code = 200;
		j->answer = http_json_text(json_incref(doc));
		break;
	case VERIFY_BAD_INPUT:
		j->code = 400;
		j->answer = http_error_text(err);
		break;
	case VERIFY_STORE:
		j->code = 503;
		j->answer = http_error_text(err);
		break;
	default:
		j->code = 500;
		j->answer = http_error_text(err);
		break;
	}
out:
	verify_audit_write(j->trust->audit, j->id, doc, err);
	json_decref(doc);
	verify_cache_unref(cache);
	verify_request_clear(&rq);
}

/* Back in the worker: the reply. */
static void
job_reply(struct http_job *hj, struct http_exchange *x)
{
	struct verify_job *j = (struct verify_job *)hj;

	http_header(x, "X-Request-Id", j->id);
	if (j->code == 503)
		http_header(x, "Retry-After", "1");
	http_send_json(x, j->code, j->answer);
}

static void
job_free(struct http_job *hj)
{
	struct verify_job *j = (struct verify_job *)hj;

	http_verify_trust_unref(j->trust);
	http_body_drop(&j->body);
	free(j->answer);
	free(j->job.path);
	free(j);
}

static void
reply_error(struct http_exchange *x, struct verify_audit *audit, int code,
	    const char *msg)
{
	char *body = http_error_text(msg), id[VERIFY_AUDIT_ID_LEN];

	verify_audit_id(id);
	verify_audit_write(audit, id, NULL, msg);
	http_header(x, "X-Request-Id", id);
	if (code == 503)
		http_header(x, "Retry-After", "1");
	http_send_json(x, code, body);
	free(body);
}

/* 1 when the Content-Type names a raw CMS body. */
static int
is_raw(const struct http_head *h)
{
	static const char *const types[] = {
	    "application/pkcs7-signature",
	    "application/cms",
	    "application/pkcs7-mime",
	};
	size_t i, n;

	if (h->content_type == NULL)
		return 0;
	for (n = 0; n < h->content_type_len && h->content_type[n] != ';' &&
		    h->content_type[n] != ' ';
	     n++)
		;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n &&
		    strncasecmp(types[i], h->content_type, n) == 0)
			return 1;
	return 0;
}

int
http_verify(struct http_exchange *x)
{
	const struct http_head *h = x->head;
	struct http_site *site;
	struct verify_job *j;

	if (h->path_len != 10 || memcmp(h->path, "/v1/verify", 10) != 0)
		return 0;
	if (h->method != HTTP_POST) {
		http_header(x, "Allow", "POST");
		reply_error(x, NULL, 405, "POST a signature");
		return 1;
	}
	site = http_site_for(x->w);
	if (site == NULL || site->verify == NULL) {
		reply_error(x, NULL, 503,
			    "signature validation is not configured");
		return 1;
	}
	if (x->body_len == 0) {
		reply_error(x, site->verify->audit, 400,
			    "empty body: POST a JSON request or a CMS "
			    "signature");
		return 1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		reply_error(x, site->verify->audit, 500, "out of memory");
		return 1;
	}
	if (!http_body_take(x, &j->body)) {
		free(j);
		reply_error(x, site->verify->audit, 500, "out of memory");
		return 1;
	}
	j->job.cost = x->body_len;
	j->raw = is_raw(h);
	j->now = clock_now();
	verify_audit_id(j->id);
	j->store = x->w->srv->store;
	j->trust = site->verify;
	atomic_fetch_add(&j->trust->refs, 1);
	j->job.run = job_run;
	j->job.reply = job_reply;
	j->job.free = job_free;
	if (!http_defer(x, &j->job)) {
		job_free(&j->job);
		reply_error(x, site->verify->audit, 503,
			    "too many verifications waiting; retry");
	}
	return 1;
}
