/*
 * Routes and handlers.
 *
 *   POST /, POST /ocsp            OCSP (application/ocsp-request)
 *   GET /ocsp/{b64}, GET /{b64}   OCSP, RFC 6960 appendix A / RFC 5019
 *   GET /healthz, /readyz, /metrics
 *
 * Every reply has a short body and keeps the connection usable: 404 for
 * unknown paths, 405 for a method a path does not take, 415 for a POST
 * that is not an OCSP request; evhttp itself answers 413 for bodies and
 * headers over the limits and 405 for methods other than GET and POST.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "internal.h"
#include "otzyv/log.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
reply(struct worker *w, struct evhttp_request *req, int code,
      const char *reason, enum metrics_endpoint ep, double t0)
{
	if (w->stopping)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Connection", "close");
	evhttp_send_reply(req, code, reason, NULL);
	metrics_request(w->srv->metrics, ep, code, mono() - t0);
	if (w->srv->o.access_log) {
		char path[256];
		const char *uri = evhttp_request_get_uri(req);

		log_escape(uri, strlen(uri), path, sizeof(path));
		log_info("event=request method=%s path=\"%s\" status=%d "
			 "duration_us=%.0f",
			 evhttp_request_get_command(req) == EVHTTP_REQ_POST
			     ? "POST"
			     : "GET",
			 path, code, (mono() - t0) * 1e6);
	}
}

static void
text(struct worker *w, struct evhttp_request *req, int code, const char *reason,
     const char *body, enum metrics_endpoint ep, double t0)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	reply(w, req, code, reason, ep, t0);
}

static struct http_site *
site_for(struct worker *w)
{
	unsigned gen = atomic_load(&w->srv->generation);

	if (gen != w->generation) {
		/* A reload: answers signed with the old keys must go. */
		size_t size = w->srv->o.cache_size / w->srv->nworkers;
		struct ocsp_cache *c = ocsp_cache_new(size);

		if (c != NULL) {
			ocsp_cache_free(w->cache);
			w->cache = c;
			w->generation = gen;
		}
	}
	return atomic_load(&w->srv->site);
}

static void
http_date(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* RFC 5019 6.2: caching headers for a GET answer. 1 when the client's
 * If-None-Match already names it (answer 304). */
static int
cache_headers(struct worker *w, struct evhttp_request *req,
	      const struct ocsp_reply *r, int64_t now)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *inm = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "If-None-Match");
	uint8_t md[SHA256_DIGEST_LENGTH];
	char etag[40], hex[33], date[64], cc[128];
	int64_t age;

	if (r->status != OCSP_SUCCESSFUL || r->next_update <= now) {
		evhttp_add_header(h, "Cache-Control",
				  "max-age=0, no-cache, must-revalidate");
		return 0;
	}
	age = r->next_update - now;
	if (age > w->srv->o.max_age)
		age = w->srv->o.max_age;
	snprintf(cc, sizeof(cc),
		 "max-age=%lld, public, no-transform, must-revalidate",
		 (long long)age);
	evhttp_add_header(h, "Cache-Control", cc);
	http_date(r->this_update, date, sizeof(date));
	evhttp_add_header(h, "Last-Modified", date);
	http_date(now + age, date, sizeof(date));
	evhttp_add_header(h, "Expires", date);
	SHA256(r->der, r->len, md);
	snprintf(etag, sizeof(etag), "\"%s\"", hex_encode(md, 16, hex));
	evhttp_add_header(h, "ETag", etag);
	return inm != NULL && strstr(inm, etag) != NULL;
}

static void
answer_ocsp(struct worker *w, struct evhttp_request *req, const uint8_t *der,
	    size_t len, int get, double t0)
{
	struct http_site *site = site_for(w);
	struct ocsp_reply r;
	int64_t now = clock_now();
	enum metrics_endpoint ep = get ? EP_OCSP_GET : EP_OCSP_POST;

	ocsp_respond(site->responder, w->cache, der, len, now, &r);
	metrics_ocsp(w->srv->metrics, &r, 1);
	if (r.status == OCSP_MALFORMED_REQUEST ||
	    r.status == OCSP_INTERNAL_ERROR)
		log_debug("event=ocsp_error status=%d why=\"%s\"", r.status,
			  r.why);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/ocsp-response");
	if (get && cache_headers(w, req, &r, now)) {
		ocsp_reply_free(&r);
		reply(w, req, 304, "Not Modified", ep, t0);
		return;
	}
	if (!get)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Cache-Control", "no-store");
	evbuffer_add(evhttp_request_get_output_buffer(req), r.der, r.len);
	ocsp_reply_free(&r);
	reply(w, req, 200, "OK", ep, t0);
}

static void
ocsp_post(struct worker *w, struct evhttp_request *req, double t0)
{
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const uint8_t *body;

	/* RFC 6960 A.1: the media type is application/ocsp-request. */
	if (ct == NULL ||
	    strncasecmp(ct, "application/ocsp-request", 24) != 0 ||
	    (ct[24] != '\0' && ct[24] != ';' && ct[24] != ' ')) {
		text(w, req, 415, "Unsupported Media Type",
		     "OCSP requests are application/ocsp-request\n",
		     EP_OCSP_POST, t0);
		return;
	}
	body = evbuffer_pullup(in, -1);
	answer_ocsp(w, req, body ? body : (const uint8_t *)"", len, 0, t0);
}

/*
 * RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER
 * OCSPRequest}. Clients also send base64url and leave '/' and '+' raw.
 * Returns the DER length in out[cap], or -1 when `enc` is not that.
 */
static long
decode_get(const char *enc, uint8_t *out, size_t cap)
{
	char *dec = evhttp_uridecode(enc, 0, NULL);
	size_t n, i, pad;
	int len;
	char *b = NULL;
	long rc = -1;

	if (dec == NULL)
		return -1;
	n = strlen(dec);
	if (n == 0 || n > 2 * cap || (b = malloc(n + 4)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		char c = dec[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == ' ')
			c = '+'; /* a '+' that went through form decoding */
		b[i] = c;
	}
	while (n % 4 != 0)
		b[n++] = '=';
	b[n] = '\0';
	for (pad = 0; pad < 2 && b[n - 1 - pad] == '='; pad++)
		;
	if (n / 4 * 3 > cap)
		goto out;
	len = EVP_DecodeBlock(out, (unsigned char *)b, (int)n);
	if (len < 0 || (size_t)len < pad)
		goto out;
	rc = len - (long)pad;
out:
	free(b);
	free(dec);
	return rc;
}

static void
ocsp_get(struct worker *w, struct evhttp_request *req, const char *enc,
	 double t0)
{
	uint8_t der[65536];
	size_t cap =
	    w->srv->o.max_body < sizeof(der) ? w->srv->o.max_body : sizeof(der);
	long len = decode_get(enc, der, cap);

	if (len <= 0) {
		text(w, req, 404, "Not Found", "not found\n", EP_OTHER, t0);
		return;
	}
	answer_ocsp(w, req, der, (size_t)len, 1, t0);
}

static void
readyz(struct worker *w, struct evhttp_request *req, double t0)
{
	struct http_site *site = site_for(w);
	struct store_txn *t;
	struct store_issuer is;
	json_t *reasons = json_array(), *o;
	int64_t now = clock_now();
	char *body;
	size_t i;
	int ok;

	if (store_read_begin(w->srv->store, &t) != STORE_OK) {
		text(w, req, 503, "Service Unavailable", "store unreadable\n",
		     EP_READYZ, t0);
		json_decref(reasons);
		return;
	}
	for (i = 0; i < site->nready; i++) {
		const char *why = NULL;

		if (store_issuer_get(t, site->ready_ids[i], &is) != STORE_OK ||
		    !is.crl.present)
			why = "no_crl";
		else if (!status_crl_covers(&is.crl, now, now,
					    site->responder_stale_grace))
			why = "crl_not_fresh";
		if (why != NULL)
			json_array_append_new(reasons,
					      json_pack("{s:s, s:s}", "ca",
							site->ready_names[i],
							"reason", why));
	}
	store_txn_end(t);
	ok = json_array_size(reasons) == 0;
	o = json_pack("{s:b, s:o}", "ready", ok, "reasons", reasons);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Cache-Control", "no-store");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "%s\n",
			    body ? body : "{}");
	free(body);
	reply(w, req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
	      EP_READYZ, t0);
}

static void
free_body(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

static void
metrics(struct worker *w, struct evhttp_request *req, double t0)
{
	size_t len = 0;
	char *body =
	    metrics_render(w->srv->metrics, w->srv->store, clock_now(), &len);

	if (body == NULL) {
		text(w, req, 500, "Internal Server Error", "out of memory\n",
		     EP_METRICS, t0);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "text/plain; version=0.0.4");
	evbuffer_add_reference(evhttp_request_get_output_buffer(req), body, len,
			       free_body, NULL);
	reply(w, req, 200, "OK", EP_METRICS, t0);
}

void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	double t0 = mono();

	if (path == NULL)
		path = "/";
	if (strcmp(path, "/") == 0 || strcmp(path, "/ocsp") == 0) {
		if (post)
			ocsp_post(w, req, t0);
		else
			text(w, req, 200, "OK",
			     "otzyv OCSP responder: POST OCSP requests here\n",
			     EP_OTHER, t0);
		return;
	}
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
	    strcmp(path, "/metrics") == 0) {
		if (post)
			text(w, req, 405, "Method Not Allowed", "use GET\n",
			     EP_OTHER, t0);
		else if (path[1] == 'h')
			text(w, req, 200, "OK", "ok\n", EP_HEALTHZ, t0);
		else if (path[1] == 'r')
			readyz(w, req, t0);
		else
			metrics(w, req, t0);
		return;
	}
	if (post) {
		text(w, req, 404, "Not Found", "not found\n", EP_OTHER, t0);
		return;
	}
	ocsp_get(w, req, strncmp(path, "/ocsp/", 6) == 0 ? path + 6 : path + 1,
		 t0);
}
