/*
 * Private to src/http.
 */
#ifndef OTZYV_HTTP_INTERNAL_H
#define OTZYV_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "otzyv/http.h"
#include "parse.h"

struct http_server;
struct http_exchange;
struct http_pool;

/*
 * A request whose reply is computed off the worker (http_defer()).
 * Concurrency: the worker fills it and hands it to the pool; a pool
 * thread calls run(), then queues it on its worker's `done` list; the
 * worker calls reply() (when the connection is still there) and free().
 * `conn` is read and written by the worker thread only: conn_free()
 * clears it, so that the completion finds the connection gone.
 */
struct http_job {
	struct http_job *next;
	struct worker *w;
	struct conn *conn;     /* NULL once the client went away */
	struct http_head head; /* a copy; path points to `path` */
	char *path;
	double t0;
	int admin;
	size_t cost; /* a guess of the work: the body's size */
	void (*run)(struct http_job *j);			    /* pool */
	void (*reply)(struct http_job *j, struct http_exchange *x); /* worker */
	void (*free)(struct http_job *j); /* frees the whole job */
};

struct worker {
	struct http_server *srv;
	pthread_t thread;
	int started;
	struct event_base *base;
	struct evconnlistener **ls;
	size_t nls;
	struct evconnlistener *admin_ls; /* worker 0 only, or NULL */
	struct event *stop_ev;
	struct event *resume_ev; /* re-enables listeners after EMFILE */
	struct ocsp_cache *cache;
	unsigned generation; /* of the site the cache was filled for */
	struct conn *conns;  /* open connections, a doubly linked list */
	unsigned nconns;
	unsigned nadmin; /* of them, on the admin listener */
	int stopping;	 /* draining: every reply closes its connection */
	char date[40];	 /* the Date header, as of date_at */
	time_t date_at;
	/* Finished jobs, newest first: the pool pushes them and writes
	 * wake_fd (an eventfd); the worker takes them all at once
	 * (http_jobs_take()). */
	_Atomic(struct http_job *) done;
	int wake_fd;	       /* -1 until made */
	struct event *done_ev; /* reads wake_fd */
};

struct http_server {
	struct http_server_opts o;
	struct store *store;
	struct metrics *metrics;
	_Atomic(struct http_site *) site;
	atomic_uint generation;
	struct worker *workers;
	unsigned nworkers;
	int drain;
	struct http_pool *pool; /* POST /v1/verify; NULL until started */
	atomic_size_t spooled;	/* octets of bodies spooled (conn.c) */
	atomic_uint open;	/* connections of the main listeners */
};

/* One request being answered: the parsed head, the body, and the reply
 * under construction. Valid during http_dispatch() only. */
struct http_exchange {
	struct conn *conn;
	struct worker *w;
	const struct http_head *head;
	const uint8_t *body;
	size_t body_len;
	/* When the body is a mapped file (a big one, spooled): the
	 * mapping, body_len octets, released after the handler returns
	 * unless it takes it (sets body_map to NULL and releases it with
	 * http_spool_release() when done). NULL otherwise. */
	void *body_map;
	int admin;	   /* on the admin listener */
	char headers[768]; /* extra response header lines */
	size_t headers_len;
	double t0;
};

/* Unmaps a spooled body (map may be NULL) and gives its len octets
 * back to the server's spool budget. */
void http_spool_release(struct http_server *srv, void *map, size_t len);

/* A request body that a job keeps past its exchange: the spooled
 * body's mapping, taken over, or a copy of a small one. */
struct http_body {
	const uint8_t *p;
	size_t len;
	void *map; /* the mapping (then p == map), or NULL: p is malloc'd */
	struct http_server *srv;
};

/* Takes x's body into b: 1, or 0 when out of memory. */
int http_body_take(struct http_exchange *x, struct http_body *b);

/* Frees what b holds (giving back its spool budget); b is then empty.
 * Harmless on an empty one. */
void http_body_drop(struct http_body *b);

/* Adds "name: value\r\n" to the reply (silently dropped when full). */
void http_header(struct http_exchange *x, const char *name, const char *value);

/* Sends the reply: status line, Content-Length, the headers, body. */
void http_reply(struct http_exchange *x, int code, const char *reason,
		const void *body, size_t len);

/* A 200 reply whose body is the open file fd, len octets (fd is taken
 * over and closed). */
void http_reply_file(struct http_exchange *x, int fd, size_t len);

/* Sends the reply and accounts for it in the metrics and access log. */
void http_send(struct http_exchange *x, int code, const char *reason,
	       enum metrics_endpoint ep, const void *body, size_t len);

/* A short text/plain reply. */
void http_text(struct http_exchange *x, int code, const char *reason,
	       const char *body, enum metrics_endpoint ep);

/* The site in force for this worker's next request. */
struct http_site *http_site_for(struct worker *w);

/* api.c. doc (taken) as the body of a JSON answer: compact, members
 * in order, a final newline. malloc'd; NULL when out of memory. */
char *http_json_text(json_t *doc);

/* api.c. {"error": msg} as http_json_text() makes it. */
char *http_error_text(const char *msg);

/* api.c. Sends {"error": msg} with `code`. */
void http_send_error(struct http_exchange *x, int code, const char *msg);

/* api.c. Sends body (from http_json_text(); NULL: a 500) as
 * application/json, not to be cached. */
void http_send_json(struct http_exchange *x, int code, const char *body);

/* The JSON API, CRL mirror and status page handlers (api.c); 0 when the path is
 * not theirs. */
int http_api(struct http_exchange *x);

/* Routes one request; must call http_reply() exactly once. */
void http_dispatch(struct http_exchange *x);

/* Closes the connections between requests (when draining). */
void http_close_idle(struct worker *w);

/* Frees every connection of the worker (after its loop ended). */
void http_close_all(struct worker *w);

/* A new connection from a listener (the worker is `arg`). */
void http_accept(struct evconnlistener *l, evutil_socket_t fd,
		 struct sockaddr *sa, int socklen, void *arg);

/*
 * The job pool: `threads` threads (0: one per CPU) and at most `queue`
 * jobs waiting. NULL when out of resources.
 */
struct http_pool *http_pool_new(unsigned threads, unsigned queue);

/* Queues j: 1, or 0 when the queue is full (j stays the caller's). */
int http_pool_submit(struct http_pool *p, struct http_job *j);

/* Stops the threads: a running job completes (onto its worker's done
 * stack), waiting ones are freed (or, already taken, run). NULL-safe. */
void http_pool_free(struct http_pool *p);

/*
 * Answers x later, from job j (filled with run, reply and free): the
 * connection stops reading until then. 1, or 0 when the pool is full
 * (j untouched, x still to be answered).
 */
int http_defer(struct http_exchange *x, struct http_job *j);

/*
 * As http_defer(), for a job the pool does not run: whoever finishes it
 * hands it back with http_job_done(), while the worker still runs. 1, or
 * 0 (j untouched, x still to be answered).
 */
int http_await(struct http_exchange *x, struct http_job *j);

/* Hands finished job j back to its worker (any thread). */
void http_job_done(struct http_job *j);

/* The worker's finished jobs, delivered (done_ev's callback). */
void http_jobs_deliver(evutil_socket_t fd, short what, void *arg);

/* Takes w's finished jobs, oldest first: the caller now owns them. */
struct http_job *http_jobs_take(struct worker *w);

/* Frees w's finished jobs (after its loop ended). */
void http_jobs_drop(struct worker *w);

/* POST /v1/admin/reload, answered once the reload ran (reload.c). */
void http_admin_reload(struct http_exchange *x);

/* POST /v1/status/batch, answered on the job pool (batch.c). */
void http_status_batch(struct http_exchange *x);

/* POST /v1/verify (verify.c); 0 when the path is not its. */
int http_verify(struct http_exchange *x);

#endif
