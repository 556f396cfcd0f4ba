/*
 * Workers: threads, listeners, start and stop.
 *
 * Concurrency: each worker touches only its own event_base, listeners,
 * connections and cache. Shared are the store (LMDB: any thread may open
 * read transactions, MDB_NOTLS), the metrics (atomics), the site
 * pointer, swapped atomically (a worker notices a new generation on its
 * next request and empties its cache then), and the job pool, which
 * shares no lock with the workers (pool.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/thread.h>
#include <event2/util.h>

#include "internal.h"
#include "otzyv/log.h"

#define LISTEN_BACKLOG 1024

void
http_site_free(struct http_site *site)
{
	size_t i;

	if (site == NULL)
		return;
	ocsp_responder_free(site->responder);
	for (i = 0; i < site->nready; i++)
		free(site->ready_names[i]);
	free(site->ready_names);
	free(site->ready_ids);
	free(site->state_dir);
	http_verify_trust_unref(site->verify);
	free(site);
}

/* accept() failed (out of descriptors, say): the socket stays readable,
 * so pause accepting for a moment rather than spin. */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct worker *w = arg;
	struct timeval pause = {0, 100000};
	int err = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)l;
	log_warn("event=accept_failed error=\"%s\"",
		 evutil_socket_error_to_string(err));
	for (i = 0; i < w->nls; i++)
		evconnlistener_disable(w->ls[i]);
	evtimer_add(w->resume_ev, &pause);
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	size_t i;

	(void)fd;
	(void)what;
	if (w->stopping)
		return;
	for (i = 0; i < w->nls; i++)
		evconnlistener_enable(w->ls[i]);
}

/* Whether a socket listens on the address already. The workers share
 * each main port (SO_REUSEPORT), which would let a second daemon of the
 * same user bind it too and take half the clients, silently; a socket
 * without SO_REUSEPORT cannot bind a port that anyone listens on. */
static int
address_taken(const struct sockaddr *sa, int len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	int taken;

	if (fd < 0)
		return 0; /* the listener's own bind reports the error */
	/* Not refused for a connection of a previous run in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	taken = bind(fd, sa, (socklen_t)len) != 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

static int
bind_worker(struct http_server *srv, struct worker *w, char *err, size_t errlen)
{
	size_t i;

	w->srv = srv;
	if ((w->base = event_base_new()) == NULL ||
	    (w->ls = calloc(srv->o.nlisten, sizeof(*w->ls))) == NULL ||
	    (w->cache = ocsp_cache_new(srv->o.cache_size / srv->nworkers)) ==
		NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	if ((w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return 0;
	}
	if ((w->resume_ev = evtimer_new(w->base, on_resume, w)) == NULL ||
	    (w->done_ev = event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST,
				    http_jobs_deliver, w)) == NULL ||
	    event_add(w->done_ev, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	for (i = 0; i < srv->o.nlisten; i++) {
		struct sockaddr_storage ss;
		int sslen = sizeof(ss);

		if (evutil_parse_sockaddr_port(
			srv->o.listen[i], (struct sockaddr *)&ss, &sslen) < 0) {
			snprintf(
			    err, errlen,
			    "listen %s: not an address:port (127.0.0.1:8080,"
			    " [::1]:8080)",
			    srv->o.listen[i]);
			return 0;
		}
		if (w == srv->workers &&
		    address_taken((struct sockaddr *)&ss, sslen)) {
			snprintf(err, errlen,
				 "listen %s: address already in use (another "
				 "otzyvd?)",
				 srv->o.listen[i]);
			return 0;
		}
		w->ls[i] = evconnlistener_new_bind(
		    w->base, http_accept, w,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT,
		    LISTEN_BACKLOG, (struct sockaddr *)&ss, sslen);
		if (w->ls[i] == NULL) {
			snprintf(err, errlen, "listen %s: %s", srv->o.listen[i],
				 evutil_socket_error_to_string(
				     EVUTIL_SOCKET_ERROR()));
			return 0;
		}
		w->nls++;
		evconnlistener_set_error_cb(w->ls[i], on_accept_error);
	}
	return 1;
}

/* The admin listener: one socket, in the first worker (its requests are
 * rare and cheap). */
static int
bind_admin(struct http_server *srv, struct worker *w, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	const char *addr = srv->o.admin_listen;

	if (addr == NULL || *addr == '\0')
		return 1;
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) <
	    0) {
		snprintf(
		    err, errlen,
		    "admin_listen %s: not an address:port (127.0.0.1:8081)",
		    addr);
		return 0;
	}
	w->admin_ls = evconnlistener_new_bind(
	    w->base, http_accept, w,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    LISTEN_BACKLOG, (struct sockaddr *)&ss, sslen);
	if (w->admin_ls == NULL) {
		snprintf(err, errlen, "admin_listen %s: %s", addr,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return 0;
	}
	evconnlistener_set_error_cb(w->admin_ls, on_accept_error);
	return 1;
}

/* In the worker's thread: stop accepting, then let the loop run until
 * the drain time is over so that replies already queued are written. */
static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = {w->srv->drain, 0};
	size_t i;

	(void)fd;
	(void)what;
	w->stopping = 1;
	for (i = 0; i < w->nls; i++)
		evconnlistener_disable(w->ls[i]);
	if (w->admin_ls != NULL)
		evconnlistener_disable(w->admin_ls);
	http_close_idle(w);
	if (w->nconns == 0)
		event_base_loopbreak(w->base);
	else
		event_base_loopexit(w->base, &tv);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	http_close_all(w);
	/* A freed bufferevent's socket is closed by a finalizer the loop
	 * runs: run it now, or the sockets of this worker's connections
	 * stay open, unread, until the last worker is done draining. */
	event_base_loop(w->base, EVLOOP_NONBLOCK);
	return NULL;
}

struct http_server *
http_server_new(const struct http_server_opts *o, struct store *s,
		struct metrics *m, struct http_site *site, char *err,
		size_t errlen)
{
	struct http_server *srv;
	unsigned i;
	long ncpu;

	evthread_use_pthreads();
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->o = *o;
	srv->store = s;
	srv->metrics = m;
	atomic_init(&srv->site, site);
	atomic_init(&srv->generation, 1);
	srv->nworkers = o->threads;
	if (srv->nworkers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		srv->nworkers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if ((srv->workers = calloc(srv->nworkers, sizeof(*srv->workers))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		free(srv);
		return NULL;
	}
	for (i = 0; i < srv->nworkers; i++)
		srv->workers[i].wake_fd = -1;
	for (i = 0; i < srv->nworkers; i++) {
		srv->workers[i].generation = 1;
		if (!bind_worker(srv, &srv->workers[i], err, errlen) ||
		    (i == 0 &&
		     !bind_admin(srv, &srv->workers[0], err, errlen))) {
			http_server_free(srv);
			return NULL;
		}
	}
	/* The addresses belong to the caller's configuration, which a
	 * reload frees: they are not needed after binding. */
	srv->o.listen = NULL;
	srv->o.admin_listen = NULL;
	return srv;
}

int
http_server_start(struct http_server *srv)
{
	unsigned i;

	if ((srv->pool = http_pool_new(srv->o.verify_threads,
				       srv->o.verify_queue)) == NULL)
		return 0;
	for (i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];

		w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
		if (w->stop_ev == NULL ||
		    pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return 0;
		w->started = 1;
	}
	return 1;
}

struct http_site *
http_server_swap(struct http_server *srv, struct http_site *site)
{
	struct http_site *old = atomic_exchange(&srv->site, site);

	atomic_fetch_add(&srv->generation, 1);
	return old;
}

void
http_server_stop(struct http_server *srv, int drain)
{
	unsigned i;

	srv->drain = drain;
	for (i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started)
			event_active(srv->workers[i].stop_ev, EV_READ, 0);
	for (i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started) {
			pthread_join(srv->workers[i].thread, NULL);
			srv->workers[i].started = 0;
		}
	/* The workers are gone, their connections freed: a job still
	 * running completes onto a done list nobody reads; drop those. */
	http_pool_free(srv->pool);
	srv->pool = NULL;
	for (i = 0; i < srv->nworkers; i++)
		http_jobs_drop(&srv->workers[i]);
}

void
http_server_free(struct http_server *srv)
{
	unsigned i;

	if (srv == NULL)
		return;
	http_pool_free(srv->pool);
	srv->pool = NULL;
	for (i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];

		http_jobs_drop(w);
		if (w->done_ev != NULL)
			event_free(w->done_ev);
		if (w->wake_fd >= 0)
			close(w->wake_fd);

		for (size_t k = 0; k < w->nls; k++)
			evconnlistener_free(w->ls[k]);
		if (w->admin_ls != NULL)
			evconnlistener_free(w->admin_ls);
		if (w->stop_ev != NULL)
			event_free(w->stop_ev);
		if (w->resume_ev != NULL)
			event_free(w->resume_ev);
		if (w->base != NULL)
			event_base_free(w->base);
		ocsp_cache_free(w->cache);
		free(w->ls);
	}
	free(srv->workers);
	free(srv);
}
