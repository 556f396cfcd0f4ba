/*
 * Private to src/http.
 */
#ifndef OTZYV_HTTP_INTERNAL_H
#define OTZYV_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "otzyv/http.h"

struct http_server;

struct worker {
	struct http_server *srv;
	pthread_t thread;
	int started;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener **ls;
	size_t nls;
	struct event *stop_ev;
	struct ocsp_cache *cache;
	unsigned generation; /* of the site the cache was filled for */
	int stopping;	     /* draining: every reply closes its connection */
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

/* Routes one request (the evhttp generic callback). */
void http_dispatch(struct evhttp_request *req, void *arg);

#endif
