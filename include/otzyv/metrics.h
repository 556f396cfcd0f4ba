/*
 * metrics: counters the HTTP workers bump without locks (C11 atomics),
 * rendered as Prometheus text with the store's per-CA CRL freshness.
 */
#ifndef OTZYV_METRICS_H
#define OTZYV_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "otzyv/ocsp.h"
#include "otzyv/store.h"

enum metrics_endpoint {
	EP_OCSP_POST,
	EP_OCSP_GET,
	EP_HEALTHZ,
	EP_READYZ,
	EP_METRICS,
	EP_OTHER,
	EP_COUNT,
};

/* Latency histogram upper bounds, seconds. */
#define METRICS_BUCKETS 12

struct metrics {
	atomic_ulong requests[EP_COUNT][6]; /* by HTTP status class 0..5xx */
	atomic_ulong ocsp_status[8];	    /* by OCSPResponseStatus */
	atomic_ulong cert_status[3];	    /* good, revoked, unknown */
	atomic_ulong cache_hits, cache_misses;
	atomic_ulong latency[METRICS_BUCKETS + 1]; /* last: +Inf */
	atomic_ulong latency_sum_us;
	atomic_ulong connections; /* open now */
};

/* One finished HTTP request; seconds < 0 counts it without a latency. */
void metrics_request(struct metrics *m, enum metrics_endpoint ep, int code,
		     double seconds);

/* One OCSP answer. */
void metrics_ocsp(struct metrics *m, const struct ocsp_reply *r);

/* The exposition text, malloc'd (caller frees); NULL on out of memory. */
char *metrics_render(struct metrics *m, struct store *s, int64_t now,
		     int64_t stale_grace, size_t *out_len);

#endif
