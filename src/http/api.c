/*
 * What the HTTP front shows besides OCSP:
 *
 *   GET /                         the HTML status page (?sort=state|name|
 *                                 id|age)
 *   GET /v1/cas, /v1/cas/{id}     the CA report (include/otzyv/report.h)
 *   GET /v1/status?issuer=&serial=[&at=]
 *   POST /v1/status[?at=]         certificate status (DESIGN.md "JSON
 *   POST /v1/status/batch         status answer", include/otzyv/status.h)
 *   GET /crl/{id}.crl             the CA's last good CRL, as fetched
 *   POST /v1/admin/refresh[?ca=]  admin listener only: fetch now
 *   POST /v1/admin/reload         admin listener only: config and list
 *
 * Reports are built from the store per request: they are for people and
 * dashboards polling every few seconds, not for the OCSP hot path.
 *
 * Status answers: a malformed question (issuer, serial, at, a body that
 * is not a certificate or not a JSON array) is 400 {"error": "…"}; an
 * issuer that is not stored is an answer, "unknown", as from `otzyv
 * status`. In a batch, a bad item gets {"error": "…"} in its place and
 * the others are answered.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/fetch.h"
#include "otzyv/limits.h"
#include "otzyv/report.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

/* Seconds between reloads of the status page. */
#define PAGE_REFRESH 30

static int
path_is(const struct http_head *h, const char *p)
{
	return h->path_len == strlen(p) && memcmp(h->path, p, h->path_len) == 0;
}

static int
path_starts(const struct http_head *h, const char *p)
{
	size_t n = strlen(p);

	return h->path_len >= n && memcmp(h->path, p, n) == 0;
}

/* A decimal issuer id at p[0..len), or 0. */
static uint32_t
parse_id(const char *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v <= UINT32_MAX ? (uint32_t)v : 0;
}

/* The standard reason phrase of the statuses the API answers. */
static const char *
reason_of(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

char *
http_json_text(json_t *doc)
{
	/* Compact: the answers are read by programs (`jq` shows them to a
	 * person), and jansson's indentation cost a verification 8% of its
	 * throughput. */
	char *text =
		 doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6) |
					   JSON_PRESERVE_ORDER)
		     : NULL,
	     *nl;
	size_t len;

	json_decref(doc);
	/* A final newline: `curl` leaves the shell's prompt on a line of
	 * its own. */
	if (text == NULL ||
	    (nl = realloc(text, (len = strlen(text)) + 2)) == NULL) {
		free(text);
		return NULL;
	}
	nl[len] = '\n';
	nl[len + 1] = '\0';
	return nl;
}

void
http_send_json(struct http_exchange *x, int code, const char *body)
{
	static const char oom[] = "{\"error\": \"out of memory\"}\n";

	http_header(x, "Content-Type", "application/json");
	http_header(x, "Cache-Control", "no-store");
	if (body == NULL)
		http_send(x, 500, reason_of(500), EP_OTHER, oom,
			  sizeof(oom) - 1);
	else
		http_send(x, code, reason_of(code), EP_OTHER, body,
			  strlen(body));
}

static void
send_json(struct http_exchange *x, int code, json_t *doc)
{
	char *body = http_json_text(doc);

	http_send_json(x, code, body);
	free(body);
}

char *
http_error_text(const char *msg)
{
	return http_json_text(json_pack("{s:s}", "error", msg));
}

void
http_send_error(struct http_exchange *x, int code, const char *msg)
{
	send_json(x, code, json_pack("{s:s}", "error", msg));
}

static json_t *
build(struct http_exchange *x)
{
	char err[256];
	json_t *doc = report_build(x->w->srv->store, clock_now(),
				   http_site_for(x->w)->responder_stale_grace,
				   err, sizeof(err));

	if (doc == NULL)
		http_send_error(x, 503, err);
	return doc;
}

static void
cas(struct http_exchange *x)
{
	json_t *doc = build(x);

	if (doc != NULL)
		send_json(x, 200, doc);
}

static void
one_ca(struct http_exchange *x, uint32_t id)
{
	struct store_txn *t;
	struct store_issuer is;
	enum store_err e;
	json_t *o = NULL;

	if (id == 0 ||
	    (e = store_read_begin(x->w->srv->store, &t)) != STORE_OK) {
		http_send_error(x, 404, "no such CA");
		return;
	}
	if ((e = store_issuer_get(t, id, &is)) == STORE_OK)
		o = report_ca(&is, clock_now(),
			      http_site_for(x->w)->responder_stale_grace);
	store_txn_end(t);
	if (e != STORE_OK)
		http_send_error(x, 404, "no such CA");
	else
		send_json(x, 200, o);
}

static void
page(struct http_exchange *x)
{
	char sort[16];
	json_t *doc = build(x);
	size_t len = 0;
	char *html;

	if (doc == NULL)
		return;
	html = report_html(
	    doc,
	    http_query_param(x->head, "sort", sort, sizeof(sort)) > 0 ? sort
								      : NULL,
	    PAGE_REFRESH, &len);
	json_decref(doc);
	if (html == NULL) {
		http_text(x, 500, "Internal Server Error", "out of memory\n",
			  EP_OTHER);
		return;
	}
	http_header(x, "Content-Type", "text/html; charset=utf-8");
	http_header(x, "Cache-Control", "no-store");
	http_header(x, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'");
	http_send(x, 200, "OK", EP_OTHER, html, len);
	free(html);
}

/* Caching headers of a CRL file, from the CRL it holds; 1 when the
 * client's If-None-Match names it. */
static int
crl_cache_headers(struct http_exchange *x, const struct store_crl_meta *m,
		  size_t file_size)
{
	int64_t now = clock_now(), age;
	char date[64], etag[80], hex[65], cc[96];

	http_header(x, "Last-Modified", time_format_http(m->this_update, date));
	if (m->next_update > now) {
		age = m->next_update - now;
		if (age > x->w->srv->o.max_age)
			age = x->w->srv->o.max_age;
		snprintf(cc, sizeof(cc), "max-age=%lld, public, no-transform",
			 (long long)age);
		http_header(x, "Cache-Control", cc);
		http_header(x, "Expires", time_format_http(now + age, date));
	} else {
		http_header(x, "Cache-Control", "max-age=0, must-revalidate");
	}
	/* The store hashes the DER it imported, which is this file unless a
	 * crash came between the import and the file's rename. */
	if (m->size != file_size)
		return 0;
	snprintf(etag, sizeof(etag), "\"%s\"", hex_encode(m->sha256, 32, hex));
	http_header(x, "ETag", etag);
	return x->head->if_none_match != NULL &&
	       memmem(x->head->if_none_match, x->head->if_none_match_len, etag,
		      strlen(etag)) != NULL;
}

static void
crl_file(struct http_exchange *x)
{
	const struct http_head *h = x->head;
	struct http_site *site = http_site_for(x->w);
	uint32_t id = 0;
	struct store_txn *t;
	struct store_issuer is;
	struct store_crl_meta m = {0};
	char path[1024];
	struct stat st;
	int fd;

	if (h->path_len > 9 &&
	    memcmp(h->path + h->path_len - 4, ".crl", 4) == 0)
		id = parse_id(h->path + 5, h->path_len - 9);
	if (id == 0 || site->state_dir == NULL) {
		http_text(x, 404, "Not Found", "not found\n", EP_OTHER);
		return;
	}
	if (store_read_begin(x->w->srv->store, &t) == STORE_OK) {
		if (store_issuer_get(t, id, &is) == STORE_OK)
			m = is.crl; /* numbers only are used after the txn */
		store_txn_end(t);
	}
	fetch_crl_path(site->state_dir, id, path, sizeof(path));
	if (!m.present || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		http_text(x, 404, "Not Found", "no CRL fetched for this CA\n",
			  EP_OTHER);
		return;
	}
	if (fstat(fd, &st) != 0) {
		close(fd);
		http_text(x, 500, "Internal Server Error", "cannot read\n",
			  EP_OTHER);
		return;
	}
	http_header(x, "Content-Type", "application/pkix-crl");
	if (crl_cache_headers(x, &m, (size_t)st.st_size)) {
		close(fd);
		http_send(x, 304, "Not Modified", EP_OTHER, NULL, 0);
		return;
	}
	http_reply_file(x, fd, (size_t)st.st_size);
}

static void
admin(struct http_exchange *x)
{
	struct http_site *site = http_site_for(x->w);
	char ca[256];
	int n, has_ca;

	if (x->head->method != HTTP_POST) {
		http_header(x, "Allow", "POST");
		http_text(x, 405, "Method Not Allowed", "use POST\n", EP_OTHER);
		return;
	}
	if (path_is(x->head, "/v1/admin/reload")) {
		http_admin_reload(x);
		return;
	}
	if (!path_is(x->head, "/v1/admin/refresh")) {
		http_send_error(x, 404, "no such action");
		return;
	}
	if ((has_ca = http_query_param(x->head, "ca", ca, sizeof(ca))) < 0) {
		http_send_error(x, 400, "ca: too long, or holds %00");
		return;
	}
	n = site->admin_refresh == NULL
		? -1
		: site->admin_refresh(site->admin_arg, has_ca ? ca : NULL);
	if (n < 0)
		http_send_error(x, 503, "no fetcher: nothing to refresh");
	else if (n == 0 && has_ca)
		http_send_error(x, 404, "no CA of that name is fetched");
	else /* without a name, none watched is no error: 0 refreshing */
		send_json(x, 202,
			  json_pack("{s:I}", "refreshing", (json_int_t)n));
}

/* ---- /v1/status ------------------------------------------------------- */

/* Longest issuer, serial or at text taken: a SHA-256 in hex with ':'
 * separators is 95 characters, a serial of MAX_SERIAL_LEN octets 129. */
#define STATUS_TEXT_MAX 256

/* The answer to one question, or the error of `why`. */
static void
send_answer(struct http_exchange *x, enum status_asked why, json_t *o,
	    const char *err)
{
	if (why == STATUS_ASKED_OK)
		send_json(x, 200, o);
	else if (why == STATUS_ASKED_BAD)
		http_send_error(x, 400, err);
	else
		http_send_error(x, 503, err);
}

/* status_ask() with this exchange's store and policy. */
static enum status_asked
ask(struct http_exchange *x, const struct status_question *qn, int64_t now,
    struct status_keys **keys, json_t **out, char *err, size_t errlen)
{
	return status_ask(x->w->srv->store, qn, now,
			  http_site_for(x->w)->responder_stale_grace, keys, out,
			  err, errlen);
}

/* A query parameter of the status question: 1 with its value, 0 when
 * absent, -1 after a 400 (too long, or an encoded NUL). */
static int
status_param(struct http_exchange *x, const char *name, char *out)
{
	char msg[64];
	int r = http_query_param(x->head, name, out, STATUS_TEXT_MAX);

	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s: too long, or holds %%00", name);
		http_send_error(x, 400, msg);
	}
	return r;
}

/* `at` from a query string: an offset's '+' that was not percent-
 * encoded arrives as ' ' (2026-11-21T13:00:00 03:00); RFC 3339 has no
 * space there. */
static void
restore_plus(char *at)
{
	size_t i;

	for (i = 19; i < strlen(at); i++)
		if (at[i] == ' ')
			at[i] = '+';
}

/* GET /v1/status?issuer=HEX|ID&serial=HEX[&at=TIME] */
static void
status_get(struct http_exchange *x)
{
	char issuer[STATUS_TEXT_MAX], serial[STATUS_TEXT_MAX],
	    at[STATUS_TEXT_MAX], err[256];
	struct status_question qn = {NULL, issuer, serial, NULL};
	struct status_keys *keys = NULL;
	json_t *o = NULL;
	enum status_asked why;
	int hi, hs, ha;

	if ((hi = status_param(x, "issuer", issuer)) < 0 ||
	    (hs = status_param(x, "serial", serial)) < 0 ||
	    (ha = status_param(x, "at", at)) < 0)
		return;
	if (!hi || !hs) {
		http_send_error(
		    x, 400,
		    "give issuer (id, or hex SHA-1 or SHA-256 of the "
		    "issuer's public key) and serial (hex)");
		return;
	}
	if (ha) {
		restore_plus(at);
		qn.at = at;
	}
	why = ask(x, &qn, clock_now(), &keys, &o, err, sizeof(err));
	status_keys_free(keys);
	send_answer(x, why, o, err);
}

/* POST /v1/status[?at=TIME] with a certificate: DER, PEM or base64. */
static void
status_post(struct http_exchange *x)
{
	char at[STATUS_TEXT_MAX], err[256];
	struct status_question qn = {NULL, NULL, NULL, NULL};
	json_t *o = NULL;
	enum status_asked why;
	int ha;

	if ((ha = status_param(x, "at", at)) < 0)
		return;
	if (ha) {
		restore_plus(at);
		qn.at = at;
	}
	if ((qn.cert = status_cert_decode(x->body, x->body_len)) == NULL) {
		http_send_error(x, 400,
				"the body is not a certificate (DER, PEM, or "
				"base64 of the DER)");
		return;
	}
	why = ask(x, &qn, clock_now(), NULL, &o, err, sizeof(err));
	X509_free(qn.cert);
	send_answer(x, why, o, err);
}

/* 1 when the request was a /v1/status one (and is answered). */
static int
status_api(struct http_exchange *x)
{
	const struct http_head *h = x->head;
	int post = h->method == HTTP_POST;

	if (path_is(h, "/v1/status")) {
		if (post)
			status_post(x);
		else
			status_get(x);
		return 1;
	}
	if (path_is(h, "/v1/status/batch")) {
		if (post) {
			http_status_batch(x);
		} else {
			http_header(x, "Allow", "POST");
			http_send_error(x, 405,
					"POST a JSON array of questions");
		}
		return 1;
	}
	return 0;
}

int
http_api(struct http_exchange *x)
{
	const struct http_head *h = x->head;
	int get = h->method == HTTP_GET || h->method == HTTP_HEAD;

	if (x->admin && path_starts(h, "/v1/admin/")) {
		admin(x);
		return 1;
	}
	if (status_api(x) || http_verify(x))
		return 1;
	if (!get)
		return 0;
	if (path_is(h, "/"))
		page(x);
	else if (path_is(h, "/v1/cas"))
		cas(x);
	else if (path_starts(h, "/v1/cas/"))
		one_ca(x, parse_id(h->path + 8, h->path_len - 8));
	else if (path_starts(h, "/crl/"))
		crl_file(x);
	else
		return 0;
	return 1;
}
