/*
 * Private to src/fetch: one download (a curl easy handle writing a spool
 * file) and the scheduling arithmetic.
 */
#ifndef OTZYV_FETCH_INTERNAL_H
#define OTZYV_FETCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "otzyv/config.h"

/* What every transfer is allowed, from [fetch]. */
struct fetch_limits {
	int64_t timeout, connect_timeout, low_speed_time;
	uint64_t low_speed_limit;
	unsigned max_redirects;
	char *user_agent;
	char *ca_bundle; /* NULL: the system's trust store */
};

/* Copies cfg's limits; 1, or 0 out of memory. */
int fetch_limits_copy(struct fetch_limits *out, const struct config *cfg);
void fetch_limits_free(struct fetch_limits *l);

/* One URL into one spool file, cut off at `limit` octets. */
struct download {
	CURL *easy;
	int fd;
	uint64_t written, limit;
	int too_big;
	EVP_MD_CTX *sha;
	uint8_t sha256[32]; /* of what was written, once finished */
	char etag[256], last_modified[128];
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	const char *url;
};

enum download_outcome {
	DOWNLOAD_BODY,	       /* a complete 2xx body is in the spool file */
	DOWNLOAD_NOT_MODIFIED, /* 304 */
	DOWNLOAD_FAILED,       /* err says why */
};

/* Prepares d for `url` into `path` (truncated). etag / last_modified
 * (may be NULL) make the request conditional. 1, or 0 with err set. */
int download_init(struct download *d, const struct fetch_limits *l,
		  const char *url, const char *path, uint64_t limit,
		  const char *etag, const char *last_modified, char *err,
		  size_t errlen);

/* What the finished transfer gave; `rc` is curl's result for it. */
enum download_outcome download_finish(struct download *d, CURLcode rc,
				      char *err, size_t errlen);

/* Frees the handle and closes the spool file (which stays on disk). */
void download_cleanup(struct download *d);

/* The schedule's parameters, from [fetch]. */
struct sched {
	int64_t interval, retry_min, retry_max;
};

/* When to try again after a usable answer, given the stored CRL's
 * nextUpdate (0: none); rnd is uniform random. */
int64_t sched_after_success(const struct sched *p, int64_t now,
			    int64_t next_update, uint32_t rnd);

/* When to try again after `failures` consecutive failures (>= 1). */
int64_t sched_after_failure(const struct sched *p, int64_t now,
			    uint32_t failures, int64_t next_update,
			    uint32_t rnd);

#endif
