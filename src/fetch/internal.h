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
#include "otzyv/limits.h"

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

/* ---- the fetcher's state, shared by fetcher.c (threads, attempts,
 * schedule), plan.c (targets), loop.c (curl on libevent), outcome.c
 * (what a download comes to) and list.c (the trusted list). */

#include <pthread.h>

#include <event2/event.h>

#include "otzyv/store.h"

#define ERRLEN 1024

/* URLs tried per CA: the real list gives two or three. */
#define MAX_MIRRORS 16

struct target {
	uint32_t id; /* 0: the trusted list */
	char *name;
	char **urls;
	size_t nurls;
	uint64_t max_size;
	int64_t next_at;
	int due;  /* asked for now (refresh, one pass) */
	int busy; /* an attempt is under way */
	int done; /* one pass: attempted */
	/* The attempt under way. */
	size_t order[MAX_MIRRORS];
	size_t norder, tried;
	struct download dl;
	uint8_t sha256[32]; /* of the last body downloaded */
	const char *result; /* "imported", "unchanged", "not_modified" */
	int conditional;    /* the request under way carries validators */
	/* A downloaded CRL handed to the import thread, and its outcome. */
	char etag[256], last_modified[128];
	int import_ok;
	char import_why[ERRLEN];
	/* The attempt record written with an imported CRL (attempt_at 0:
	 * none): fetch_record() need not write it again. */
	struct store_fetch imported;
	struct target *next_job; /* in the import or done queue */
	int64_t started_ms;
	uint64_t bytes;
	char why[ERRLEN]; /* every URL's failure, "; "-separated */
};

struct fetcher {
	struct store *store;
	char *state_dir;
	int lock_fd; /* spool/lock, held while this fetcher lives */
	struct fetch_limits limits;
	struct sched sched;
	int64_t stale_grace;
	uint64_t max_crl_size;
	unsigned concurrency;
	/* [ca NAME] sections: names, ids, URLs, size limits. */
	size_t ncas;
	char **ca_names;
	uint32_t *ca_ids;
	char ***ca_urls;
	size_t *ca_nurls;
	uint64_t *ca_max;
	/* The trusted list. */
	struct target tsl;
	int tsl_enabled;
	int tsl_pending; /* downloaded, waiting for CRL transfers to end */
	int64_t tsl_refresh;
	uint8_t tsl_pin[32];
	int tsl_pinned;
	char **exclude;
	size_t nexclude;

	struct target **targets;
	size_t ntargets;
	unsigned inflight;
	int once;     /* fetcher_run_once: stop when every target was tried */
	int once_all; /* ... and every target is wanted, new ones too */
	int failures;
	int64_t planned_at; /* when the targets were last read */

	struct event_base *base;
	CURLM *multi;
	struct event *curl_timer, *tick, *wake;
	pthread_t thread;
	int started;
	/* The import thread: downloads go on while a CRL is imported. */
	pthread_t importer;
	int importer_started;
	pthread_cond_t import_cv;
	struct target *jobs, **jobs_tail; /* to import */
	struct target *done;		  /* imported, for the loop */
	struct event *imported_ev;
	pthread_mutex_t mu; /* guards the requests and queues below */
	int stop;
	int refresh_all;
	char **refresh_names;
	size_t nrefresh;
};

/* The stored CRL's SHA-256, validators and URL, for a download of t. */
struct stored {
	int present;
	uint8_t sha256[32];
	char url[MAX_URL_LEN], etag[256], last_modified[128];
	char last_url[MAX_URL_LEN];
};

/* plan.c */
void fetch_target_free(struct target *t);
int fetch_target_add_url(struct target *t, const char *url, size_t len);
/* Reads the targets anew from the store; only while nothing is in
 * flight. 1, or 0 (logged) with the old targets kept. */
int fetch_plan(struct fetcher *f);
/* t is the CA named `ca`: config section, display name, or id. */
int fetch_target_matches(const struct target *t, const char *ca);

/* loop.c: a curl multi handle whose sockets and timer live on f->base.
 * 1, or 0 out of memory. */
int fetch_loop_attach(struct fetcher *f);

/* fetcher.c: the transfers curl finished. */
void fetch_check_done(struct fetcher *f);

/* outcome.c */
int64_t fetch_now_ms(void);
char *fetch_spool_path(const struct fetcher *f, const struct target *t,
		       char *out, size_t len);
void fetch_stored_get(struct fetcher *f, uint32_t id, struct stored *out);
const char *fetch_without_spool(const char *msg, const char *spool);
/* The attempt's end in the store and the log; error NULL when ok. */
void fetch_record(struct fetcher *f, struct target *t, int ok, const char *url,
		  const char *error);
void fetch_keep_last_good(struct fetcher *f, const struct target *t,
			  const char *spool);
/* A CRL body in the spool: import it. 1 usable, 0 with why set. */
int fetch_import_body(struct fetcher *f, struct target *t, const char *spool,
		      const char *url, char *why, size_t whylen);
void fetch_recover_spool(struct fetcher *f, struct target *t);

/* list.c: the trusted list as a target. */
int fetch_tsl_setup(struct fetcher *f, const struct config *cfg);
void fetch_tsl_done(struct fetcher *f, int ok, const char *error);
void fetch_tsl_import(struct fetcher *f);

#endif
