/*
 * POST /v1/status/batch: up to [verify] max_batch questions, answered
 * in order. A batch is work (a thousand certificates decoded, their
 * issuers' signatures checked, as many lookups), so it is answered on
 * the job pool as verifications are, never on the worker that answers
 * OCSP; a full queue answers 503 with Retry-After at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "internal.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

struct batch_job {
	struct http_job job; /* first: the pool sees this */
	struct http_body body;
	struct store *store;
	unsigned max;
	int64_t stale_grace, now;
	int code;     /* the answer, filled by run() */
	char *answer; /* JSON, malloc'd */
};

/* One item of a batch: its status object or {"error": "…"}. */
static json_t *
batch_item(struct batch_job *j, json_t *item, struct status_keys **keys)
{
	struct status_question qn;
	char id[STATUS_ID_TEXT], err[256];
	const char *bad = status_batch_question(item, &qn, id);
	json_t *o = NULL;

	if (bad != NULL)
		return json_pack("{s:s}", "error", bad);
	if (status_ask(j->store, &qn, j->now, j->stale_grace, keys, &o, err,
		       sizeof(err)) != STATUS_ASKED_OK)
		o = json_pack("{s:s}", "error", err);
	X509_free(qn.cert);
	return o;
}

/* In a pool thread. */
static void
job_run(struct http_job *hj)
{
	struct batch_job *j = (struct batch_job *)hj;
	struct status_keys *keys = NULL;
	json_t *in, *out, *item;
	char msg[256];
	size_t i;

	in = status_batch_parse(j->body.p ? j->body.p : (const uint8_t *)"",
				j->body.len, j->max, msg, sizeof(msg));
	http_body_drop(&j->body);
	if (in == NULL) {
		j->code = 400;
		j->answer = http_error_text(msg);
		return;
	}
	out = json_array();
	json_array_foreach(in, i, item)
	{
		json_array_append_new(out, batch_item(j, item, &keys));
	}
	status_keys_free(keys);
	json_decref(in);
	j->code = 200;
	j->answer = http_json_text(out);
}

/* Back in the worker: the reply. */
static void
job_reply(struct http_job *hj, struct http_exchange *x)
{
	struct batch_job *j = (struct batch_job *)hj;

	http_send_json(x, j->code, j->answer); /* NULL: out of memory */
}

static void
job_free(struct http_job *hj)
{
	struct batch_job *j = (struct batch_job *)hj;

	http_body_drop(&j->body);
	free(j->answer);
	free(j->job.path);
	free(j);
}

void
http_status_batch(struct http_exchange *x)
{
	struct batch_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    !http_body_take(x, &j->body)) {
		free(j);
		http_send_json(x, 500, NULL);
		return;
	}
	j->store = x->w->srv->store;
	j->max = x->w->srv->o.max_batch ? x->w->srv->o.max_batch : 1000;
	j->stale_grace = http_site_for(x->w)->responder_stale_grace;
	j->now = clock_now();
	j->job.cost = x->body_len;
	j->job.run = job_run;
	j->job.reply = job_reply;
	j->job.free = job_free;
	if (!http_defer(x, &j->job)) {
		job_free(&j->job);
		http_header(x, "Retry-After", "1");
		http_send_error(x, 503, "too many questions waiting; retry");
	}
}
