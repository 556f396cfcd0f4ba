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

#include "otzyv/http.h"
#include "parse.h"

struct http_server;

struct worker {
	struct http_server *srv;
	pthread_t thread;
	int started;
	struct event_base *base;
	struct evconnlistener **ls;
	size_t nls;
	struct event *stop_ev;
	struct event *resume_ev; /* re-enables listeners after EMFILE */
	struct ocsp_cache *cache;
	unsigned generation; /* of the site the cache was filled for */
	struct conn *conns;  /* open connections, a doubly linked list */
	unsigned nconns;
	unsigned max_conns; /* this worker's share of max_connections */
	int stopping;	    /* draining: every reply closes its connection */
	char date[40];	    /* the Date header, as of date_at */
	time_t date_at;
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
};

/* One request being answered: the parsed head, the body, and the reply
 * under construction. Valid during http_dispatch() only. */
struct http_exchange {
	struct conn *conn;
	struct worker *w;
	const struct http_head *head;
	const uint8_t *body;
	size_t body_len;
	char headers[768]; /* extra response header lines */
	size_t headers_len;
	double t0;
};

/* Adds "name: value\r\n" to the reply (silently dropped when full). */
void http_header(struct http_exchange *x, const char *name, const char *value);

/* Sends the reply: status line, Content-Length, the headers, body. */
void http_reply(struct http_exchange *x, int code, const char *reason,
		const void *body, size_t len);

/* Routes one request; must call http_reply() exactly once. */
void http_dispatch(struct http_exchange *x);

/* Closes the connections between requests (when draining). */
void http_close_idle(struct worker *w);

/* Frees every connection of the worker (after its loop ended). */
void http_close_all(struct worker *w);

/* A new connection from a listener (the worker is `arg`). */
void http_accept(struct evconnlistener *l, evutil_socket_t fd,
		 struct sockaddr *sa, int socklen, void *arg);

#endif
