/*
 * POST /v1/admin/reload: answered once the reload ran, with what came of
 * it, so that whoever changed the configuration learns at once that it
 * was refused (and why) or which changes wait for a restart, not from
 * the log. The reload itself runs in the daemon's main loop; the
 * request waits meanwhile as a deferred one does (http_await()), and
 * the daemon's http_reload_done() hands it back to its worker.
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "internal.h"

struct http_reload {
	struct http_job job; /* first: the worker sees this */
	int code;
	char *answer; /* JSON, malloc'd; NULL: out of memory */
};

static void
reload_reply(struct http_job *hj, struct http_exchange *x)
{
	struct http_reload *r = (struct http_reload *)hj;

	if (r->code == 503)
		http_header(x, "Retry-After", "1");
	http_send_json(x, r->code, r->answer);
}

static void
reload_free(struct http_job *hj)
{
	struct http_reload *r = (struct http_reload *)hj;

	free(r->answer);
	free(r->job.path);
	free(r);
}

void
http_admin_reload(struct http_exchange *x)
{
	struct http_site *site = http_site_for(x->w);
	struct http_reload *r;

	if (site->admin_reload == NULL) {
		http_send_error(x, 503, "reload is not available");
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		http_send_json(x, 500, NULL);
		return;
	}
	r->job.reply = reload_reply;
	r->job.free = reload_free;
	if (!http_await(x, &r->job)) {
		reload_free(&r->job);
		http_send_json(x, 500, NULL);
		return;
	}
	site->admin_reload(site->admin_arg, r);
}

void
http_reload_done(struct http_reload *r, enum http_reload_outcome outcome,
		 const char *err, const char *const *needs_restart)
{
	json_t *names, *doc = NULL;

	switch (outcome) {
	case HTTP_RELOADED:
		r->code = 200;
		if ((names = json_array()) != NULL)
			for (; needs_restart && *needs_restart; needs_restart++)
				json_array_append_new(
				    names, json_string(*needs_restart));
		doc = json_pack("{s:b,s:o*}", "reloaded", 1, "needs_restart",
				names);
		break;
	case HTTP_RELOAD_FAILED:
		r->code = 500;
		doc = json_pack("{s:s,s:s}", "error",
				"the configuration was refused; the old one "
				"runs",
				"reason", err ? err : "");
		break;
	case HTTP_RELOAD_STOPPING:
		r->code = 503;
		doc = json_pack("{s:s}", "error", "otzyvd is stopping");
		break;
	}
	r->answer = http_json_text(doc);
	http_job_done(&r->job);
}
