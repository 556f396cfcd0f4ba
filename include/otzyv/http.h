/*
 * http: the HTTP/1.1 front of otzyvd, on libevent bufferevents. N
 * worker threads, each with its own event_base and listening sockets
 * (SO_REUSEPORT: the kernel spreads connections), its own connections
 * and response cache, and read-only access to the store and the
 * responder. Every limit is explicit: head and body sizes, a deadline
 * per request, an idle timeout, and a cap on connections. libevent
 * types stay in src/http/.
 */
#ifndef OTZYV_HTTP_H
#define OTZYV_HTTP_H

#include <stdatomic.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "otzyv/metrics.h"
#include "otzyv/ocsp.h"
#include "otzyv/store.h"

struct http_server_opts {
	char **listen; /* "127.0.0.1:8080", "[::1]:8080" */
	size_t nlisten;
	unsigned threads;
	size_t max_header;
	size_t max_body;      /* POST bodies: OCSP and all but /v1/ */
	size_t max_api_body;  /* POST bodies under /v1/ (0: max_body) */
	unsigned max_batch;   /* items of POST /v1/status/batch */
	int64_t timeout;      /* per request, from its first byte */
	int64_t idle_timeout; /* between requests */
	unsigned max_connections;
	unsigned max_keepalive_requests; /* on one connection (0: any) */
	int64_t max_age;		 /* cap of Cache-Control max-age */
	size_t cache_size; /* response cache, all workers together */
	int access_log;
	const char *admin_listen; /* NULL or "": no admin listener */
	unsigned verify_threads;  /* POST /v1/verify pool; 0: one per CPU */
	unsigned verify_queue;	  /* verifications waiting, at most */
};

/*
 * What POST /v1/verify trusts, loaded once per site. Reference counted:
 * the site holds one reference, every verification in flight another,
 * so that a reload cannot free it under a running job.
 */
struct http_verify_trust {
	atomic_uint refs;
	X509 **anchors; /* [verify] anchors; owned (verify_certs_free) */
	size_t nanchors;
	/* tsl_anchors: the trusted list's self-signed CAs, read again
	 * whenever the stored list changes (the fetcher imports it while
	 * the site stays). Guarded by mu. */
	int tsl_anchors;
	pthread_mutex_t mu;
	X509 **listed;
	size_t nlisted;
	uint8_t listed_sha256[32]; /* of the list they were read from */
	int listed_read;
	/* The anchors above with what verifications share (verify.h);
	 * made again when the listed ones change. Guarded by mu. */
	struct verify_cache *cache;
	struct verify_audit *audit; /* NULL: no audit trail; owned */
	X509 **intermediates;	    /* owned */
	size_t nintermediates;
	int trust_claimed_signing_time;
	int64_t cautionary;
	int64_t stale_grace;
};

/* A trust with one reference and no certificates, or NULL. */
struct http_verify_trust *http_verify_trust_new(void);
/* Drops a reference; the last frees the certificates. NULL-safe. */
void http_verify_trust_unref(struct http_verify_trust *t);

/* A POST /v1/admin/reload waiting for its reload. */
struct http_reload;

/*
 * What the workers answer with; replaced whole on reload. Owned by its
 * creator, who frees it (http_site_free) once no worker can use it.
 */
struct http_site {
	struct ocsp_responder *responder;
	int64_t responder_stale_grace;
	size_t nready; /* configured CAs, for /readyz */
	uint32_t *ready_ids;
	char **ready_names;
	char *state_dir; /* the store's folder: STATE/crl/ID.crl */
	struct http_verify_trust *verify; /* NULL: /v1/verify answers 503 */
	/* The admin listener's actions, run in a worker thread: refresh
	 * returns how many CAs were made due (-1: no fetcher); reload asks
	 * for a reload, and its caller later calls http_reload_done(r)
	 * with what came of it. */
	int (*admin_refresh)(void *arg, const char *ca);
	void (*admin_reload)(void *arg, struct http_reload *r);
	void *admin_arg;
};
void http_site_free(struct http_site *site);

enum http_reload_outcome {
	HTTP_RELOADED,	     /* 200, with the settings kept until a restart */
	HTTP_RELOAD_FAILED,  /* 500, with why the new config was refused */
	HTTP_RELOAD_STOPPING /* 503: the daemon stops instead */
};

/*
 * Answers the request that made r (any thread; once; before
 * http_server_stop()). needs_restart: NULL-terminated setting names, or
 * NULL; err: the refusal's cause. r is the server's again.
 */
void http_reload_done(struct http_reload *r, enum http_reload_outcome outcome,
		      const char *err, const char *const *needs_restart);

struct http_server;

/* Binds every listen address in every worker (before privileges are
 * dropped). NULL with the cause in err. */
struct http_server *http_server_new(const struct http_server_opts *o,
				    struct store *s, struct metrics *m,
				    struct http_site *site, char *err,
				    size_t errlen);

/* Starts the worker threads. 1 or 0. */
int http_server_start(struct http_server *srv);

/* Installs `site` for the next requests and returns the previous one;
 * workers drop their cached responses. */
struct http_site *http_server_swap(struct http_server *srv,
				   struct http_site *site);

/* Stops accepting, lets responses in flight drain for up to `drain`
 * seconds, closes every connection and joins the workers. */
void http_server_stop(struct http_server *srv, int drain);
void http_server_free(struct http_server *srv);

#endif
