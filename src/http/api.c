/*
 * What the HTTP front shows besides OCSP:
 *
 *   GET /                         the HTML status page (?sort=state|name|
 *                                 id|age)
 *   GET /v1/cas, /v1/cas/{id}     the CA report (include/otzyv/report.h)
 *   GET /crl/{id}.crl             the CA's last good CRL, as fetched
 *   POST /v1/admin/refresh[?ca=]  admin listener only: fetch now
 *   POST /v1/admin/reload         admin listener only: config and list
 *
 * Reports are built from the store per request: they are for people and
 * dashboards polling every few seconds, not for the OCSP hot path.
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
#include "otzyv/report.h"
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

/* The value of `name` in the query, percent-decoded into out; 1 when
 * present. */
static int
query_param(const struct http_head *h, const char *name, char *out, size_t cap)
{
	const char *q = h->query,
		   *end = h->query ? h->query + h->query_len : NULL;
	size_t n = strlen(name), k;

	for (; q != NULL && q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - q) > n && memcmp(q, name, n) == 0 &&
		    q[n] == '=') {
			for (q += n + 1, k = 0; q < stop && k + 1 < cap; q++) {
				int hi, lo;

				if (*q == '%' && stop - q > 2 &&
				    (hi = hex_digit(q[1])) >= 0 &&
				    (lo = hex_digit(q[2])) >= 0) {
					out[k++] = (char)(hi << 4 | lo);
					q += 2;
				} else {
					out[k++] = *q == '+' ? ' ' : *q;
				}
			}
			out[k] = '\0';
			return 1;
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
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

static void
send_json(struct http_exchange *x, int code, const char *reason, json_t *doc)
{
	char *body =
	    doc ? json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(6) |
				      JSON_PRESERVE_ORDER)
		: NULL;

	json_decref(doc);
	http_header(x, "Content-Type", "application/json");
	http_header(x, "Cache-Control", "no-store");
	if (body == NULL) {
		http_text(x, 500, "Internal Server Error", "out of memory\n",
			  EP_OTHER);
		return;
	}
	http_send(x, code, reason, EP_OTHER, body, strlen(body));
	free(body);
}

static void
json_error(struct http_exchange *x, int code, const char *reason,
	   const char *msg)
{
	send_json(x, code, reason, json_pack("{s:s}", "error", msg));
}

static json_t *
build(struct http_exchange *x)
{
	char err[256];
	json_t *doc = report_build(x->w->srv->store, clock_now(),
				   http_site_for(x->w)->responder_stale_grace,
				   err, sizeof(err));

	if (doc == NULL)
		json_error(x, 503, "Service Unavailable", err);
	return doc;
}

static void
cas(struct http_exchange *x)
{
	json_t *doc = build(x);

	if (doc != NULL)
		send_json(x, 200, "OK", doc);
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
		json_error(x, 404, "Not Found", "no such CA");
		return;
	}
	if ((e = store_issuer_get(t, id, &is)) == STORE_OK)
		o = report_ca(&is, clock_now(),
			      http_site_for(x->w)->responder_stale_grace);
	store_txn_end(t);
	if (e != STORE_OK)
		json_error(x, 404, "Not Found", "no such CA");
	else
		send_json(x, 200, "OK", o);
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
	    doc, query_param(x->head, "sort", sort, sizeof(sort)) ? sort : NULL,
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

	http_date(m->this_update, date, sizeof(date));
	http_header(x, "Last-Modified", date);
	if (m->next_update > now) {
		age = m->next_update - now;
		if (age > x->w->srv->o.max_age)
			age = x->w->srv->o.max_age;
		snprintf(cc, sizeof(cc), "max-age=%lld, public, no-transform",
			 (long long)age);
		http_header(x, "Cache-Control", cc);
		http_date(now + age, date, sizeof(date));
		http_header(x, "Expires", date);
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
	int n;

	if (x->head->method != HTTP_POST) {
		http_header(x, "Allow", "POST");
		http_text(x, 405, "Method Not Allowed", "use POST\n", EP_OTHER);
		return;
	}
	if (path_is(x->head, "/v1/admin/reload")) {
		if (site->admin_reload == NULL) {
			json_error(x, 503, "Service Unavailable",
				   "reload is not available");
			return;
		}
		site->admin_reload(site->admin_arg);
		send_json(x, 202, "Accepted",
			  json_pack("{s:b}", "reloading", 1));
		return;
	}
	if (!path_is(x->head, "/v1/admin/refresh")) {
		json_error(x, 404, "Not Found", "no such action");
		return;
	}
	n = site->admin_refresh == NULL
		? -1
		: site->admin_refresh(
		      site->admin_arg,
		      query_param(x->head, "ca", ca, sizeof(ca)) ? ca : NULL);
	if (n < 0)
		json_error(x, 503, "Service Unavailable",
			   "no fetcher: nothing to refresh");
	else if (n == 0)
		json_error(x, 404, "Not Found",
			   "no CA of that name is fetched");
	else
		send_json(x, 202, "Accepted",
			  json_pack("{s:i}", "refreshing", (json_int_t)n));
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
