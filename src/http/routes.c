/*
 * Routes and handlers.
 *
 *   POST /, POST /ocsp            OCSP (application/ocsp-request)
 *   GET /ocsp/{b64}, GET /{b64}   OCSP, RFC 6960 appendix A / RFC 5019
 *   GET /healthz, /readyz, /metrics
 *
 * Every reply has a short body and keeps the connection usable: 404 for
 * unknown paths, 405 for a method a path does not take, 415 for a POST
 * that is not an OCSP request. Limits (413, 431, 408) are conn.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "internal.h"
#include "otzyv/log.h"
#include "otzyv/report.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

void
http_send(struct http_exchange *x, int code, const char *reason,
	  enum metrics_endpoint ep, const void *body, size_t len)
{
	double dt;

	http_reply(x, code, reason, body, len);
	dt = clock_mono() - x->t0;
	metrics_request(x->w->srv->metrics, ep, code, dt);
	if (x->w->srv->o.access_log) {
		char path[256];

		log_escape(x->head->path, x->head->path_len, path,
			   sizeof(path));
		log_info("event=request method=%s path=\"%s\" status=%d "
			 "bytes=%zu duration_us=%.0f",
			 x->head->method == HTTP_POST	? "POST"
			 : x->head->method == HTTP_GET	? "GET"
			 : x->head->method == HTTP_HEAD ? "HEAD"
							: "other",
			 path, code, len, dt * 1e6);
	}
}

void
http_text(struct http_exchange *x, int code, const char *reason,
	  const char *body, enum metrics_endpoint ep)
{
	http_header(x, "Content-Type", "text/plain; charset=utf-8");
	http_header(x, "Cache-Control", "no-store");
	http_send(x, code, reason, ep, body, strlen(body));
}

struct http_site *
http_site_for(struct worker *w)
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

/*
 * RFC 5019 6.2: caching headers for a GET answer. 1 when the client's
 * If-None-Match already names it (answer 304).
 *
 * The ETag is weak and names what decides the answer, the request, the
 * CRLs it came from and the signing key, not the signed bytes: each worker
 * signs its own copy (another producedAt, another ECDSA signature), and a
 * revalidation that lands on another worker or replica must still match.
 */
static int
cache_headers(struct http_exchange *x, const struct ocsp_reply *r,
	      const uint8_t *req, size_t req_len, int64_t now)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	char etag[44], hex[33], date[64], cc[128];
	int64_t age;
	uint64_t tag = r->tag;
	EVP_MD_CTX *h;

	if (r->status != OCSP_SUCCESSFUL || r->next_update <= now) {
		http_header(x, "Cache-Control",
			    "max-age=0, no-cache, must-revalidate");
		return 0;
	}
	age = r->next_update - now;
	if (age > x->w->srv->o.max_age)
		age = x->w->srv->o.max_age;
	snprintf(cc, sizeof(cc),
		 "max-age=%lld, public, no-transform, must-revalidate",
		 (long long)age);
	http_header(x, "Cache-Control", cc);
	/* RFC 9110 8.8.2.1: never after Date (a CA's clock may be ahead). */
	http_header(x, "Last-Modified",
		    time_format_http(
			r->this_update < now ? r->this_update : now, date));
	http_header(x, "Expires", time_format_http(now + age, date));
	if ((h = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(h, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(h, req, req_len) ||
	    !EVP_DigestUpdate(h, &tag, sizeof(tag)) ||
	    !EVP_DigestFinal_ex(h, md, NULL)) {
		EVP_MD_CTX_free(h);
		return 0;
	}
	EVP_MD_CTX_free(h);
	snprintf(etag, sizeof(etag), "W/\"%s\"", hex_encode(md, 16, hex));
	http_header(x, "ETag", etag);
	/* RFC 9110 13.1.2: weak comparison, so with or without "W/";
	 * "*" matches any. */
	return x->head->if_none_match != NULL &&
	       (memmem(x->head->if_none_match, x->head->if_none_match_len,
		       etag + 2, strlen(etag + 2)) != NULL ||
		(x->head->if_none_match_len == 1 &&
		 x->head->if_none_match[0] == '*'));
}

static void
answer_ocsp(struct http_exchange *x, const uint8_t *der, size_t len, int get)
{
	struct http_site *site = http_site_for(x->w);
	struct ocsp_reply r;
	int64_t now = clock_now();
	enum metrics_endpoint ep = get ? EP_OCSP_GET : EP_OCSP_POST;

	ocsp_respond(site->responder, x->w->cache, der, len, now, &r);
	metrics_ocsp(x->w->srv->metrics, &r);
	if (r.status == OCSP_MALFORMED_REQUEST ||
	    r.status == OCSP_INTERNAL_ERROR)
		log_debug("event=ocsp_error status=%d why=\"%s\"", r.status,
			  r.why);
	http_header(x, "Content-Type", "application/ocsp-response");
	if (get && cache_headers(x, &r, der, len, now)) {
		ocsp_reply_free(&r);
		http_send(x, 304, "Not Modified", ep, NULL, 0);
		return;
	}
	if (!get)
		http_header(x, "Cache-Control", "no-store");
	http_send(x, 200, "OK", ep, r.der, r.len);
	ocsp_reply_free(&r);
}

static void
ocsp_post(struct http_exchange *x)
{
	const char *ct = x->head->content_type;
	size_t n = x->head->content_type_len;

	/* RFC 6960 A.1: the media type is application/ocsp-request. */
	if (ct == NULL || n < 24 ||
	    strncasecmp(ct, "application/ocsp-request", 24) != 0 ||
	    (n > 24 && ct[24] != ';' && ct[24] != ' ')) {
		http_text(x, 415, "Unsupported Media Type",
			  "OCSP requests are application/ocsp-request\n",
			  EP_OCSP_POST);
		return;
	}
	answer_ocsp(x, x->body, x->body_len, 0);
}

/*
 * RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER
 * OCSPRequest}. Clients also send base64url and leave '/' and '+' raw.
 * Returns the DER length in out[cap], or -1 when `enc` is not that.
 */
static long
decode_get(const char *enc, size_t n, uint8_t *out, size_t cap)
{
	char b[4 * 65536 / 3 + 8];
	size_t i, k = 0, pad = 0;
	int len;

	if (n == 0 || n > sizeof(b) - 4 || (n / 4 * 3) > cap + 3)
		return -1;
	for (i = 0; i < n; i++) {
		char c = enc[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			if ((hi = hex_digit(enc[i + 1])) < 0 ||
			    (lo = hex_digit(enc[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue; /* MIME base64's line breaks */
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		b[k++] = c;
	}
	if (k == 0)
		return -1;
	while (k % 4 != 0)
		b[k++] = '=';
	b[k] = '\0';
	for (pad = 0; pad < 2 && b[k - 1 - pad] == '='; pad++)
		;
	if (k / 4 * 3 > cap)
		return -1;
	len = EVP_DecodeBlock(out, (unsigned char *)b, (int)k);
	if (len < 0 || (size_t)len < pad)
		return -1;
	return len - (long)pad;
}

/* A GET request: `named` when under /ocsp/, where whatever follows is
 * meant as one, so that what does not decode is malformedRequest. */
static void
ocsp_get(struct http_exchange *x, const char *enc, size_t n, int named)
{
	uint8_t der[65536];
	size_t cap = x->w->srv->o.max_body < sizeof(der) ? x->w->srv->o.max_body
							 : sizeof(der);
	long len;

	if (named && n / 4 * 3 > cap + 3) {
		http_text(x, 413, "Payload Too Large",
			  "OCSP request larger than max_ocsp_request\n",
			  EP_OCSP_GET);
		return;
	}
	len = decode_get(enc, n, der, cap);
	if (len >= 2 && der[0] == 0x30)
		answer_ocsp(x, der, (size_t)len, 1);
	else if (named)
		answer_ocsp(x, der, 0, 1); /* malformedRequest */
	else /* Not base64 of something DER-shaped: a path. */
		http_text(x, 404, "Not Found", "not found\n", EP_OTHER);
}

struct ready {
	struct http_site *site;
	json_t *reasons;
	int64_t now;
};

/* The configured name of issuer `id`, or NULL when it is not one. */
static const char *
configured(const struct http_site *site, uint32_t id)
{
	size_t i;

	for (i = 0; i < site->nready; i++)
		if (site->ready_ids[i] == id)
			return site->ready_names[i];
	return NULL;
}

static int
ready_one(const struct store_issuer *is, void *arg)
{
	struct ready *r = arg;
	const char *name = configured(r->site, is->id);
	const char *why = NULL;

	/* Configured CAs, and the trusted list's CAs the fetcher keeps. */
	if (name == NULL &&
	    (!(is->source & STORE_SRC_TSL) || !report_watched(is, r->now)))
		return 0;
	switch (report_state_of(is, r->now, r->site->responder_stale_grace)) {
	case REPORT_NEVER_FETCHED:
		why = "no_crl";
		break;
	case REPORT_STALE:
		why = "crl_not_fresh";
		break;
	case REPORT_FRESH:
	case REPORT_FAILING:
		return 0;
	}
	json_array_append_new(r->reasons, json_pack("{s:s, s:I, s:s}", "ca",
						    name       ? name
						    : is->name ? is->name
							       : "",
						    "id", (json_int_t)is->id,
						    "reason", why));
	return 0;
}

static void
readyz(struct http_exchange *x)
{
	struct ready r = {http_site_for(x->w), json_array(), clock_now()};
	struct store_txn *t;
	enum store_err e;
	json_t *o;
	char *body;
	int ok;

	if (store_read_begin(x->w->srv->store, &t) != STORE_OK) {
		json_decref(r.reasons);
		http_text(x, 503, "Service Unavailable", "store unreadable\n",
			  EP_READYZ);
		return;
	}
	e = store_issuer_foreach(t, ready_one, &r);
	store_txn_end(t);
	ok = e == STORE_OK && json_array_size(r.reasons) == 0;
	o = json_pack("{s:b, s:o}", "ready", ok, "reasons", r.reasons);
	if (e != STORE_OK)
		json_object_set_new(o, "error", json_string(store_strerror(e)));
	body = http_json_text(o);
	http_header(x, "Content-Type", "application/json");
	http_header(x, "Cache-Control", "no-store");
	http_send(x, ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
		  EP_READYZ, body ? body : "{}", body ? strlen(body) : 2);
	free(body);
}

static void
metrics(struct http_exchange *x)
{
	size_t len = 0;
	char *body =
	    metrics_render(x->w->srv->metrics, x->w->srv->store, clock_now(),
			   http_site_for(x->w)->responder_stale_grace, &len);

	if (body == NULL) {
		http_text(x, 500, "Internal Server Error", "out of memory\n",
			  EP_METRICS);
		return;
	}
	http_header(x, "Content-Type", "text/plain; version=0.0.4");
	http_send(x, 200, "OK", EP_METRICS, body, len);
	free(body);
}

static int
path_is(const struct http_head *h, const char *p)
{
	return h->path_len == strlen(p) && memcmp(h->path, p, h->path_len) == 0;
}

void
http_dispatch(struct http_exchange *x)
{
	const struct http_head *h = x->head;
	int post = h->method == HTTP_POST;

	x->t0 = clock_mono();
	if (h->method == HTTP_OTHER) {
		http_header(x, "Allow", "GET, HEAD, POST");
		http_text(x, 405, "Method Not Allowed", "use GET or POST\n",
			  EP_OTHER);
		return;
	}
	if (post && (path_is(h, "/") || path_is(h, "/ocsp"))) {
		ocsp_post(x);
		return;
	}
	if (http_api(x))
		return;
	if (path_is(h, "/healthz") || path_is(h, "/readyz") ||
	    path_is(h, "/metrics")) {
		if (post) {
			http_header(x, "Allow", "GET, HEAD");
			http_text(x, 405, "Method Not Allowed", "use GET\n",
				  EP_OTHER);
		} else if (h->path[1] == 'h') {
			http_text(x, 200, "OK", "ok\n", EP_HEALTHZ);
		} else if (h->path[1] == 'r') {
			readyz(x);
		} else {
			metrics(x);
		}
		return;
	}
	if (post) {
		http_text(x, 404, "Not Found", "not found\n", EP_OTHER);
		return;
	}
	if (h->path_len > 6 && memcmp(h->path, "/ocsp/", 6) == 0)
		ocsp_get(x, h->path + 6, h->path_len - 6, 1);
	else
		ocsp_get(x, h->path + 1, h->path_len - 1, 0);
}
