/*
 * Prometheus text exposition (version 0.0.4) of the counters and of the
 * store's CA freshness.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otzyv/metrics.h"
#include "otzyv/report.h"
#include "otzyv/log.h"

static const double bounds[METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01,   0.025,   0.05,   0.1,   0.5,    1.0,
};

static const char *const endpoints[EP_COUNT] = {
    "ocsp_post", "ocsp_get", "healthz", "readyz", "metrics", "other",
};

void
metrics_request(struct metrics *m, enum metrics_endpoint ep, int code,
		double seconds)
{
	int cls = code / 100;
	size_t b;

	if (cls < 0 || cls > 5)
		cls = 0;
	atomic_fetch_add_explicit(&m->requests[ep][cls], 1,
				  memory_order_relaxed);
	if (seconds < 0)
		return; /* refused before it was a request: no latency */
	for (b = 0; b < METRICS_BUCKETS && seconds > bounds[b]; b++)
		;
	atomic_fetch_add_explicit(&m->latency[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_sum_us,
				  (unsigned long)(seconds * 1e6),
				  memory_order_relaxed);
}

void
metrics_ocsp(struct metrics *m, const struct ocsp_reply *r)
{
	atomic_fetch_add_explicit(&m->ocsp_status[r->status & 7], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m->cert_status[0], r->good,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m->cert_status[1], r->revoked,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m->cert_status[2], r->unknown,
				  memory_order_relaxed);
	if (!r->cacheable)
		return;
	if (r->from_cache)
		atomic_fetch_add_explicit(&m->cache_hits, 1,
					  memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&m->cache_misses, 1,
					  memory_order_relaxed);
}

/* A bounded text buffer; out of memory is fatal (inputs are ours). */
struct text {
	char *p;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap *= 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL)
			fatalx("out of memory rendering metrics");
	}
}

static unsigned long
get(atomic_ulong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* Per-CA families, each written in one pass over the issuers. */
enum ca_family {
	CA_AGE,
	CA_NEXT_UPDATE,
	CA_ENTRIES,
	CA_STATE,
	CA_FAILURES,
	CA_FAILURES_TOTAL,
	CA_DURATION,
	CA_BYTES,
	CA_FAMILIES,
};

static const struct {
	const char *name, *type, *help;
	int needs_crl; /* only CAs with a stored CRL */
} families[CA_FAMILIES] = {
    [CA_AGE] = {"otzyv_crl_age_seconds", "gauge",
		"Seconds since the current CRL's thisUpdate.", 1},
    [CA_NEXT_UPDATE] = {"otzyv_crl_next_update_seconds", "gauge",
			"Seconds until the current CRL's nextUpdate "
			"(negative: past it).",
			1},
    [CA_ENTRIES] = {"otzyv_crl_entries", "gauge", "Entries of the current CRL.",
		    1},
    [CA_STATE] = {"otzyv_ca_state", "gauge",
		  "1 for the CA's state: fresh, failing, stale or "
		  "never_fetched.",
		  0},
    [CA_FAILURES] = {"otzyv_ca_fetch_consecutive_failures", "gauge",
		     "Failed fetch attempts since the last good one.", 0},
    [CA_FAILURES_TOTAL] = {"otzyv_ca_fetch_failures_total", "counter",
			   "Failed fetch attempts.", 0},
    [CA_DURATION] = {"otzyv_ca_fetch_duration_seconds", "gauge",
		     "Duration of the last fetch attempt.", 0},
    [CA_BYTES] = {"otzyv_ca_fetch_bytes_total", "counter",
		  "Bytes downloaded for the CA.", 0},
};

/* Per-CA samples, a text per family: the issuers are read once, and a
 * family's samples must follow its HELP and TYPE lines. */
struct ca_ctx {
	struct text fam[CA_FAMILIES];
	int64_t now, grace;
};

/* Label values are escaped per the exposition format. */
static void
label(struct text *t, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			put(t, "\\%c", *v);
		else if (*v == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *v);
	}
}

static void
series(struct text *t, enum ca_family f, const struct store_issuer *is,
       const char *extra)
{
	put(t, "%s{issuer=\"%u\",name=\"", families[f].name, is->id);
	label(t, is->name);
	put(t, "\"%s} ", extra);
}

/* The samples of CA `is` for family f. */
static void
ca_samples(struct ca_ctx *c, enum ca_family f, const struct store_issuer *is)
{
	const struct store_crl_meta *crl = &is->crl;
	struct text *t = &c->fam[f];
	enum report_state st, k;
	char extra[64];

	switch (f) {
	case CA_AGE:
		series(t, f, is, "");
		put(t, "%lld\n", (long long)(c->now - crl->this_update));
		break;
	case CA_NEXT_UPDATE:
		series(t, f, is, "");
		put(t, "%lld\n",
		    (long long)(crl->next_update ? crl->next_update - c->now
						 : 0));
		break;
	case CA_ENTRIES:
		series(t, f, is, "");
		put(t, "%llu\n", (unsigned long long)crl->entries);
		break;
	case CA_STATE:
		st = report_state_of(is, c->now, c->grace);
		for (k = REPORT_FRESH; k <= REPORT_NEVER_FETCHED; k++) {
			snprintf(extra, sizeof(extra), ",state=\"%s\"",
				 report_state_name(k));
			series(t, f, is, extra);
			put(t, "%d\n", k == st);
		}
		break;
	case CA_FAILURES:
		series(t, f, is, "");
		put(t, "%u\n", is->fetch.failures);
		break;
	case CA_FAILURES_TOTAL:
		series(t, f, is, "");
		put(t, "%llu\n", (unsigned long long)is->fetch.failures_total);
		break;
	case CA_DURATION:
		series(t, f, is, "");
		put(t, "%.3f\n", (double)is->fetch.duration_ms / 1000.0);
		break;
	case CA_BYTES:
		series(t, f, is, "");
		put(t, "%llu\n", (unsigned long long)is->fetch.bytes_total);
		break;
	case CA_FAMILIES:
		break;
	}
}

static int
one_ca(const struct store_issuer *is, void *arg)
{
	struct ca_ctx *c = arg;
	enum ca_family f;

	/* A CA nobody fetches (left by the trusted list or the config)
	 * would only page someone for a CRL that is meant to age. */
	if (!report_watched(is, c->now))
		return 0;
	for (f = 0; f < CA_FAMILIES; f++)
		if (is->crl.present || !families[f].needs_crl)
			ca_samples(c, f, is);
	return 0;
}

/* Every per-CA family from one pass of one read transaction. */
static void
render_cas(struct text *t, struct store *s, int64_t now, int64_t grace)
{
	struct ca_ctx cc = {.now = now, .grace = grace};
	struct store_txn *txn;
	enum ca_family f;

	for (f = 0; f < CA_FAMILIES; f++)
		if ((cc.fam[f].p = malloc(cc.fam[f].cap = 1024)) == NULL)
			fatalx("out of memory rendering metrics");
	if (store_read_begin(s, &txn) == STORE_OK) {
		store_issuer_foreach(txn, one_ca, &cc);
		store_txn_end(txn);
		for (f = 0; f < CA_FAMILIES; f++)
			put(t, "# HELP %s %s\n# TYPE %s %s\n%.*s",
			    families[f].name, families[f].help,
			    families[f].name, families[f].type,
			    (int)cc.fam[f].len, cc.fam[f].p);
	}
	for (f = 0; f < CA_FAMILIES; f++)
		free(cc.fam[f].p);
}

/* The trusted list: its version and age, and the fetcher's failures
 * to get it (a list refused for weeks must page someone). */
static void
render_tsl(struct text *t, struct store *s, int64_t now)
{
	struct store_txn *txn;
	struct store_tsl_meta m;
	struct store_tsl_fetch f;

	if (store_read_begin(s, &txn) != STORE_OK)
		return;
	if (store_tsl_get(txn, &m) == STORE_OK && m.present)
		put(t,
		    "# HELP otzyv_tsl_version Версия of the stored trusted "
		    "list.\n# TYPE otzyv_tsl_version gauge\n"
		    "otzyv_tsl_version %lld\n"
		    "# HELP otzyv_tsl_age_seconds Seconds since the stored "
		    "list was imported.\n# TYPE otzyv_tsl_age_seconds gauge\n"
		    "otzyv_tsl_age_seconds %lld\n",
		    (long long)m.version, (long long)(now - m.imported_at));
	if (store_tsl_fetch_get(txn, &f) == STORE_OK && f.attempt_at != 0)
		put(t,
		    "# HELP otzyv_tsl_fetch_consecutive_failures Failed "
		    "attempts to fetch the trusted list since the last "
		    "success.\n"
		    "# TYPE otzyv_tsl_fetch_consecutive_failures gauge\n"
		    "otzyv_tsl_fetch_consecutive_failures %u\n",
		    f.failures);
	store_txn_end(txn);
}

char *
metrics_render(struct metrics *m, struct store *s, int64_t now,
	       int64_t stale_grace, size_t *out_len)
{
	static const char *const ocsp_names[8] = {
	    "successful", "malformedRequest", "internalError", "tryLater",
	    "4",	  "sigRequired",      "unauthorized",  "7"};
	static const char *const cert_names[3] = {"good", "revoked", "unknown"};
	struct text t = {malloc(4096), 0, 4096};
	uint64_t map, used;
	unsigned long cum = 0;
	size_t e, c;

	if (t.p == NULL)
		return NULL;
	put(&t, "# HELP otzyv_http_requests_total HTTP requests by endpoint "
		"and status class.\n# TYPE otzyv_http_requests_total "
		"counter\n");
	for (e = 0; e < EP_COUNT; e++)
		for (c = 1; c < 6; c++)
			if (get(&m->requests[e][c]))
				put(&t,
				    "otzyv_http_requests_total{endpoint=\"%s\","
				    "code=\"%zuxx\"} %lu\n",
				    endpoints[e], c, get(&m->requests[e][c]));
	put(&t, "# HELP otzyv_ocsp_responses_total OCSP responses by "
		"responseStatus.\n# TYPE otzyv_ocsp_responses_total counter\n");
	for (c = 0; c < 8; c++)
		if (get(&m->ocsp_status[c]))
			put(&t,
			    "otzyv_ocsp_responses_total{status=\"%s\"} %lu\n",
			    ocsp_names[c], get(&m->ocsp_status[c]));
	put(&t, "# HELP otzyv_ocsp_certificates_total Certificate statuses "
		"answered.\n# TYPE otzyv_ocsp_certificates_total counter\n");
	for (c = 0; c < 3; c++)
		put(&t, "otzyv_ocsp_certificates_total{status=\"%s\"} %lu\n",
		    cert_names[c], get(&m->cert_status[c]));
	put(&t,
	    "# HELP otzyv_ocsp_cache_hits_total Responses served from the "
	    "cache.\n# TYPE otzyv_ocsp_cache_hits_total counter\n"
	    "otzyv_ocsp_cache_hits_total %lu\n"
	    "# HELP otzyv_ocsp_cache_misses_total Cacheable requests signed "
	    "afresh.\n# TYPE otzyv_ocsp_cache_misses_total counter\n"
	    "otzyv_ocsp_cache_misses_total %lu\n",
	    get(&m->cache_hits), get(&m->cache_misses));
	put(&t, "# HELP otzyv_http_request_duration_seconds Time from request "
		"to response.\n# TYPE otzyv_http_request_duration_seconds "
		"histogram\n");
	for (c = 0; c <= METRICS_BUCKETS; c++) {
		cum += get(&m->latency[c]);
		if (c < METRICS_BUCKETS)
			put(&t,
			    "otzyv_http_request_duration_seconds_bucket{le=\"%"
			    "g\"} "
			    "%lu\n",
			    bounds[c], cum);
		else
			put(&t,
			    "otzyv_http_request_duration_seconds_bucket{le=\"+"
			    "Inf\"} %lu\n",
			    cum);
	}
	put(&t,
	    "otzyv_http_request_duration_seconds_sum %.6f\n"
	    "otzyv_http_request_duration_seconds_count %lu\n",
	    get(&m->latency_sum_us) / 1e6, cum);
	put(&t,
	    "# HELP otzyv_http_connections Open HTTP connections.\n"
	    "# TYPE otzyv_http_connections gauge\n"
	    "otzyv_http_connections %lu\n",
	    get(&m->connections));
	render_cas(&t, s, now, stale_grace);
	render_tsl(&t, s, now);
	if (store_usage(s, &map, &used) == STORE_OK)
		put(&t,
		    "# HELP otzyv_store_bytes Bytes of the store in use, and "
		    "its map size.\n# TYPE otzyv_store_bytes gauge\n"
		    "otzyv_store_bytes{kind=\"used\"} %llu\n"
		    "otzyv_store_bytes{kind=\"map\"} %llu\n",
		    (unsigned long long)used, (unsigned long long)map);
	*out_len = t.len;
	return t.p;
}
