/*
 * HTTP/1.1 connections on bufferevents.
 *
 * A connection reads a request head (bounded by max_header, and by a
 * deadline of `timeout` seconds from its first byte, so that a client
 * dribbling bytes cannot hold it), then a Content-Length body (bounded
 * by max_body, or by max_api_body for paths under /v1/: the limit is
 * known from the head, before any of the body is read), answers it,
 * and, with keep-alive, goes on with the next request, which may
 * already be buffered (pipelining). While more than OUTPUT_HIGH bytes
 * of replies wait for a client that does not read, the connection
 * stops reading. Idle keep-alive connections close after `timeout`
 * seconds. Errors get a short reply and close the connection.
 *
 * States: READ (waiting for a head or body), DEFERRED (a handler handed
 * the request to the job pool, http_defer(), until the job's completion
 * arrives on this worker's loop and its reply is written; reading stops
 * when a next request arrives meanwhile, which waits in the input),
 * CLOSING (the last reply is being written; then the connection is
 * freed). A connection freed while DEFERRED (client gone, server
 * stopping) clears its job's pointer to it: the completion then only
 * frees the job.
 *
 * Replies are written where they are made, at the end of each event
 * (send_out()); the write event is enabled only for what the socket
 * did not take. A reply that fits, the usual case, so costs no
 * epoll_ctl, nor does a DEFERRED request whose client waits quietly
 * (measured: a /v1/verify 8.5 -> 4.4 system calls, about 6 % less CPU;
 * a cached OCSP answer 5.1 -> 3.1, about 10 % less).
 *
 * A body of SPOOL_MIN octets or more (the documents of /v1/verify) is
 * not gathered in memory: while in READ, each piece goes to an unnamed
 * file as it arrives, and the handler gets the file mapped (a job may
 * keep the mapping, http_exchange.body_map). Copying a big body in one
 * go would stall every other connection of the worker, OCSP included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "internal.h"
#include "otzyv/limits.h"
#include "otzyv/log.h"
#include "otzyv/util.h"

/* Connections the admin listener takes beyond max_connections: an
 * operator gets in while the main port is flooded. */
#define ADMIN_CONNS 16

/* CR and LF octets ignored before one request (RFC 9112 2.2). */
#define MAX_BLANKS 8

/* Stop reading while this much output is pending. */
#define OUTPUT_HIGH (256 * 1024)

/* Bodies this big or bigger go to a file as they arrive; at most
 * SPOOL_BUDGET of the largest allowed at once, counted as they arrive
 * (503 beyond). */
#define SPOOL_MIN (256 * 1024)
#define SPOOL_BUDGET 8
/* Body octets counted one by one before a body's whole length is. */
#define SPOOL_PROBE (64 * 1024)

struct conn {
	struct worker *w;
	struct conn *prev, *next;
	struct bufferevent *bev;
	struct event *deadline; /* armed while a request is incomplete */
	int closing;
	int deadline_armed;
	int blanks;	   /* empty-line octets before the request, ignored */
	unsigned requests; /* answered (max_keepalive_requests) */
	int continued;	   /* 100 Continue sent for the request being read */
	int admin;	   /* came in on the admin listener */
	struct http_job *job; /* DEFERRED: the reply comes from this job */
	/* A body being spooled: the file (-1: none), the request head
	 * (copied out of the input), and the body octets still to come. */
	int spool_fd;
	char *spool_head;
	size_t spool_head_len, spool_len, spool_left;
	size_t spool_reserved; /* of srv->spooled, until dispatched */
};

static void conn_free(struct conn *c);

/* Takes a place for a new connection: the main listeners share
 * max_connections across every worker (the kernel spreads them
 * unevenly); the admin listener has ADMIN_CONNS of its own. 1, or 0
 * when there is none. */
static int
enter(struct worker *w, int admin)
{
	if (admin) {
		if (w->nadmin >= ADMIN_CONNS)
			return 0;
		w->nadmin++;
		return 1;
	}
	if (atomic_fetch_add(&w->srv->open, 1) < w->srv->o.max_connections)
		return 1;
	atomic_fetch_sub(&w->srv->open, 1);
	return 0;
}

static void
leave(struct worker *w, int admin)
{
	if (admin)
		w->nadmin--;
	else
		atomic_fetch_sub(&w->srv->open, 1);
}

static void
conn_free(struct conn *c)
{
	struct worker *w = c->w;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->job != NULL)
		c->job->conn = NULL; /* the completion finds it gone */
	bufferevent_free(c->bev);
	event_free(c->deadline);
	if (c->spool_fd >= 0)
		close(c->spool_fd);
	free(c->spool_head);
	http_spool_release(w->srv, NULL, c->spool_reserved);
	leave(w, c->admin);
	w->nconns--;
	atomic_fetch_sub_explicit(&w->srv->metrics->connections, 1,
				  memory_order_relaxed);
	free(c);
	/* Draining and nothing left: the worker is done. */
	if (w->stopping && w->nconns == 0)
		event_base_loopbreak(w->base);
}

void
http_close_idle(struct worker *w)
{
	struct conn *c = w->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (!c->deadline_armed && c->job == NULL &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
	}
}

void
http_close_all(struct worker *w)
{
	while (w->conns != NULL)
		conn_free(w->conns);
}

void
http_header(struct http_exchange *x, const char *name, const char *value)
{
	int n = snprintf(x->headers + x->headers_len,
			 sizeof(x->headers) - x->headers_len, "%s: %s\r\n",
			 name, value);

	if (n > 0 && (size_t)n < sizeof(x->headers) - x->headers_len)
		x->headers_len += (size_t)n;
}

/* RFC 9110 6.6.1: the Date of a response, "Sun, 06 Nov 1994 08:49:37
 * GMT". Formatted once per second per worker. */
static const char *
http_now(struct worker *w)
{
	time_t now = time(NULL);

	if (now != w->date_at) {
		time_format_http(now, w->date);
		w->date_at = now;
	}
	return w->date;
}

/* The status line and headers of a reply with a body of len octets. */
static void
reply_head(struct http_exchange *x, int code, const char *reason, size_t len)
{
	struct conn *c = x->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	unsigned max = c->w->srv->o.max_keepalive_requests;

	if (c->w->stopping || !x->head->keep_alive ||
	    (max > 0 && ++c->requests >= max))
		c->closing = 1;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", code, reason,
			    http_now(c->w));
	/* RFC 9110 8.6: no Content-Length on a 304 (nor 1xx, 204). */
	if (code != 304 && code != 204 && code >= 200)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	evbuffer_add_printf(out, "%.*s%s\r\n", (int)x->headers_len, x->headers,
			    c->closing		  ? "Connection: close\r\n"
			    : x->head->minor == 0 ? "Connection: keep-alive\r\n"
						  : "");
}

void
http_reply(struct http_exchange *x, int code, const char *reason,
	   const void *body, size_t len)
{
	reply_head(x, code, reason, len);
	if (len > 0 && x->head->method != HTTP_HEAD)
		evbuffer_add(bufferevent_get_output(x->conn->bev), body, len);
}

void
http_reply_file(struct http_exchange *x, int fd, size_t len)
{
	struct conn *c = x->conn;

	reply_head(x, 200, "OK", len);
	if (len == 0 || x->head->method == HTTP_HEAD) {
		close(fd);
		return;
	}
	/* Sent with sendfile(); libevent closes fd once it is sent. On
	 * failure the promised length cannot be kept: end the stream. */
	if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
			      (ev_off_t)len) != 0)
		c->closing = 1;
}

/* An error before a request could be routed: reply and close. */
static void
fail(struct conn *c, int code, const char *reason)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = strlen(reason) + 1;

	evbuffer_add_printf(
	    out,
	    "HTTP/1.1 %d %s\r\nDate: %s\r\n%s"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s\n",
	    code, reason, http_now(c->w),
	    code == 503 ? "Retry-After: 1\r\n" : "", len, reason);
	metrics_request(c->w->srv->metrics, EP_OTHER, code, -1);
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
}

static void
arm_deadline(struct conn *c)
{
	struct timeval tv = {c->w->srv->o.timeout, 0};

	if (!c->deadline_armed) {
		evtimer_add(c->deadline, &tv);
		c->deadline_armed = 1;
	}
}

static void
disarm_deadline(struct conn *c)
{
	if (c->deadline_armed) {
		evtimer_del(c->deadline);
		c->deadline_armed = 0;
	}
}

/* The largest body a request may have, known from its head: the JSON
 * API under /v1/ takes documents and certificate lists ([verify]
 * max_body), but one certificate, which the worker reads itself, no
 * more than MAX_STATUS_BODY; OCSP and every other path keep the small
 * OCSP limit. */
static size_t
body_limit(const struct http_server *srv, const struct http_head *h)
{
	size_t api = srv->o.max_api_body;

	if (h->path_len == 10 && memcmp(h->path, "/v1/status", 10) == 0 &&
	    api > MAX_STATUS_BODY)
		return MAX_STATUS_BODY;
	if (h->path_len >= 4 && memcmp(h->path, "/v1/", 4) == 0 && api > 0)
		return api;
	return srv->o.max_body;
}

/* An unnamed file for a body: in $TMPDIR, else /var/tmp (on disk
 * rather than in memory); -1 when none can be made. */
static int
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/var/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	/* A file system without O_TMPFILE: a named file, unlinked. */
	if ((size_t)snprintf(path, sizeof(path), "%s/otzyv-body.XXXXXX", dir) >=
		sizeof(path) ||
	    (fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	unlink(path);
	return fd;
}

void
http_spool_release(struct http_server *srv, void *map, size_t len)
{
	if (map != NULL)
		munmap(map, len);
	atomic_fetch_sub(&srv->spooled, len);
}

int
http_body_take(struct http_exchange *x, struct http_body *b)
{
	memset(b, 0, sizeof(*b));
	if (x->body_map != NULL) {
		b->map = x->body_map;
		b->srv = x->w->srv;
		b->p = b->map;
		x->body_map = NULL;
	} else if (x->body_len > 0) {
		uint8_t *copy = malloc(x->body_len);

		if (copy == NULL)
			return 0;
		memcpy(copy, x->body, x->body_len);
		b->p = copy;
	}
	b->len = x->body_len;
	return 1;
}

void
http_body_drop(struct http_body *b)
{
	if (b->map != NULL)
		http_spool_release(b->srv, b->map, b->len);
	else
		free((void *)b->p);
	memset(b, 0, sizeof(*b));
}

/* Takes len octets of the server's spool budget: SPOOL_BUDGET bodies
 * of the largest size, all connections and jobs together (slow
 * uploads cannot fill the disk). 1, or 0 when it is spent. */
static int
spool_reserve(struct http_server *srv, size_t len)
{
	size_t body =
	    srv->o.max_api_body ? srv->o.max_api_body : srv->o.max_body;

	if (atomic_fetch_add(&srv->spooled, len) + len <= SPOOL_BUDGET * body)
		return 1;
	atomic_fetch_sub(&srv->spooled, len);
	return 0;
}

/* Starts spooling the body of the request whose head (head_len octets)
 * begins the input: 1, or 0 (with errno) when no file could be made. */
static int
spool_begin(struct conn *c, const struct http_head *h)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	if ((c->spool_head = malloc(h->head_len)) == NULL)
		return 0;
	if ((c->spool_fd = spool_open()) < 0)
		return 0;
	evbuffer_remove(in, c->spool_head, h->head_len);
	c->spool_head_len = h->head_len;
	c->spool_len = c->spool_left = h->content_length;
	return 1;
}

/* Moves what arrived of the body to the file: 1 when it is complete,
 * 0 when more is to come or writing failed (then the connection is
 * failing). */
static int
spool_more(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in);
	int w;

	if (n > c->spool_left)
		n = c->spool_left;
	/* The budget is not spent by heads alone: octets are counted as
	 * they arrive, up to SPOOL_PROBE, then the rest of the declared
	 * length at once, so that an upload under way is not refused
	 * halfway. */
	if (n > 0 && c->spool_reserved < c->spool_len) {
		size_t got = c->spool_len - c->spool_left;
		size_t want = got + n < SPOOL_PROBE
				  ? n
				  : c->spool_len - c->spool_reserved;

		if (!spool_reserve(c->w->srv, want)) {
			log_warn("event=spool_budget_spent bytes=%zu",
				 c->spool_len);
			fail(c, 503, "Service Unavailable");
			return 0;
		}
		c->spool_reserved += want;
	}
	while (n > 0) {
		w = evbuffer_write_atmost(in, c->spool_fd, (ev_ssize_t)n);
		if (w <= 0) {
			log_warn("event=spool_failed error=\"%s\"",
				 strerror(w < 0 ? errno : ENOSPC));
			fail(c, 503, "Service Unavailable");
			return 0;
		}
		n -= (size_t)w;
		c->spool_left -= (size_t)w;
	}
	return c->spool_left == 0;
}

/* The spooled request, complete: mapped and dispatched. */
static void
spool_dispatch(struct conn *c)
{
	struct http_server *srv = c->w->srv;
	struct http_head head;
	struct http_exchange x;
	void *map = NULL;

	if (c->spool_len > 0 &&
	    (map = mmap(NULL, c->spool_len, PROT_READ, MAP_PRIVATE, c->spool_fd,
			0)) == MAP_FAILED) {
		log_warn("event=spool_failed error=\"%s\"", strerror(errno));
		fail(c, 503, "Service Unavailable");
		return;
	}
	close(c->spool_fd);
	c->spool_fd = -1;
	http_parse_head(c->spool_head, c->spool_head_len, srv->o.max_header,
			&head);
	memset(&x, 0, sizeof(x));
	x.conn = c;
	x.w = c->w;
	x.admin = c->admin;
	x.head = &head;
	x.body = map;
	x.body_len = c->spool_len;
	x.body_map = map;
	c->spool_reserved = 0; /* the mapping holds it now */
	http_dispatch(&x);
	if (x.body_map != NULL)
		http_spool_release(srv, x.body_map, c->spool_len);
	free(c->spool_head);
	c->spool_head = NULL;
	disarm_deadline(c);
}

/* Answers every complete request in the input. */
static void
process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct http_server *srv = c->w->srv;

	while (!c->closing) {
		size_t avail = evbuffer_get_length(in), want;
		size_t peek =
		    avail < srv->o.max_header ? avail : srv->o.max_header;
		struct http_head head;
		struct http_exchange x;
		const char *p;

		if (c->job != NULL) {
			/* DEFERRED: a next request waits for this one's
			 * reply, unread (TCP holds back the client). */
			if (avail > 0)
				bufferevent_disable(c->bev, EV_READ);
			return;
		}
		if (c->spool_head != NULL) {
			if (!spool_more(c))
				return;
			spool_dispatch(c);
			continue;
		}
		if (avail == 0) {
			disarm_deadline(c);
			return;
		}
		/* RFC 9112 2.2: empty lines before a request are ignored,
		 * a few: they must not start its deadline, nor hold the
		 * connection open for ever (the rest go to the parser: 400). */
		if (!c->deadline_armed) {
			const char *b = (const char *)evbuffer_pullup(in, 1);

			if ((*b == '\r' || *b == '\n') &&
			    c->blanks < MAX_BLANKS) {
				c->blanks++;
				evbuffer_drain(in, 1);
				continue;
			}
			c->blanks = 0;
		}
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    OUTPUT_HIGH) {
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		arm_deadline(c);
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)peek);
		switch (http_parse_head(p, peek, srv->o.max_header, &head)) {
		case HTTP_PARSE_MORE:
			return;
		case HTTP_PARSE_DONE:
			break;
		case HTTP_PARSE_TOO_BIG:
			fail(c, 431, "Request Header Fields Too Large");
			return;
		case HTTP_PARSE_VERSION:
			fail(c, 505, "HTTP Version Not Supported");
			return;
		case HTTP_PARSE_CHUNKED:
			fail(c, 501, "Not Implemented");
			return;
		case HTTP_PARSE_BAD:
			fail(c, 400, "Bad Request");
			return;
		}
		if (head.has_length &&
		    head.content_length > body_limit(srv, &head)) {
			fail(c, 413, "Payload Too Large");
			return;
		}
		want =
		    head.head_len + (head.has_length ? head.content_length : 0);
		if (avail < want) {
			/* RFC 9110 10.1.1: tell a waiting client to send. */
			if (head.expect_continue && !c->continued) {
				evbuffer_add_printf(
				    bufferevent_get_output(c->bev),
				    "HTTP/1.1 100 Continue\r\n\r\n");
				c->continued = 1;
			}
			if (head.content_length < SPOOL_MIN)
				return; /* the body is still coming */
			c->continued = 0;
			if (!spool_begin(c, &head)) {
				log_warn("event=spool_failed error=\"%s\"",
					 strerror(errno));
				fail(c, 503, "Service Unavailable");
				return;
			}
			continue;
		}
		c->continued = 0;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)want);
		/* The head moved with the pullup: parse it again in place. */
		http_parse_head(p, head.head_len, srv->o.max_header, &head);
		memset(&x, 0, sizeof(x));
		x.conn = c;
		x.w = c->w;
		x.admin = c->admin;
		x.head = &head;
		x.body = (const uint8_t *)p + head.head_len;
		x.body_len = head.has_length ? head.content_length : 0;
		http_dispatch(&x);
		evbuffer_drain(in, want);
		disarm_deadline(c);
	}
	bufferevent_disable(c->bev, EV_READ);
}

/* Whether the connection, its output all written, is done: closing
 * (and no reply is still being made), or between requests while the
 * server drains. */
static int
done(struct conn *c)
{
	return c->job == NULL &&
	       (c->closing ||
		(c->w->stopping && !c->deadline_armed &&
		 evbuffer_get_length(bufferevent_get_input(c->bev)) == 0));
}

/* At the end of an event: writes the output now, as much as one write
 * of the bufferevent would (the rest waits for the write event, so one
 * big reply does not hold the worker); frees the connection when it is
 * done or its socket failed. c may be gone on return. */
static void
send_out(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int n = 0;

	if (evbuffer_get_length(out) > 0) {
		/* A socket bufferevent keeps its output's start frozen
		 * but while it writes itself: so here too. */
		evbuffer_unfreeze(out, 1);
		n = evbuffer_write_atmost(
		    out, bufferevent_getfd(c->bev),
		    bufferevent_get_max_single_write(c->bev));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			n = 0;
		evbuffer_freeze(out, 1);
	}
	if (n < 0) {
		conn_free(c); /* the client is gone (EPIPE, ECONNRESET) */
		return;
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE); /* on_write goes on */
	else if (done(c))
		conn_free(c);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process(arg);
	send_out(arg);
}

/* The output the socket did not take at once is written: finish a
 * closing connection, or resume reading. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	bufferevent_disable(bev, EV_WRITE);
	if (done(c)) {
		conn_free(c);
		return;
	}
	if (c->job == NULL && !(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		process(c);
		send_out(c);
	}
}

/* Fills j for x: what the reply and the access log need. 1, or 0 out of
 * memory. */
static int
job_for(struct http_exchange *x, struct http_job *j)
{
	/* The head points into the input, drained after dispatch: keep
	 * what the reply and the access log need. */
	if ((j->path = malloc(x->head->path_len + 1)) == NULL)
		return 0;
	memcpy(j->path, x->head->path, x->head->path_len);
	j->path[x->head->path_len] = '\0';
	j->head = *x->head;
	j->head.path = j->path;
	j->head.query = NULL;
	j->head.query_len = 0;
	j->head.content_type = NULL;
	j->head.content_type_len = 0;
	j->head.if_none_match = NULL;
	j->head.if_none_match_len = 0;
	j->w = x->w;
	j->conn = x->conn;
	j->t0 = x->t0;
	j->admin = x->admin;
	return 1;
}

int
http_defer(struct http_exchange *x, struct http_job *j)
{
	if (x->conn->job != NULL || x->w->srv->pool == NULL || !job_for(x, j))
		return 0;
	if (!http_pool_submit(x->w->srv->pool, j)) {
		free(j->path);
		j->path = NULL;
		return 0;
	}
	x->conn->job = j;
	return 1;
}

int
http_await(struct http_exchange *x, struct http_job *j)
{
	if (x->conn->job != NULL || !job_for(x, j))
		return 0;
	x->conn->job = j;
	return 1;
}

/* Finished jobs: write their replies and resume their connections. */
void
http_jobs_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct http_job *j, *next;
	uint64_t n;

	(void)what;
	/* Read before the take: a job pushed after it writes the eventfd
	 * again, so this runs again. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_error("event=wake_read_failed error=\"%s\"",
			  strerror(errno));
	for (j = http_jobs_take(w); j != NULL; j = next) {
		struct conn *c = j->conn;
		struct http_exchange x;

		next = j->next;
		if (c == NULL) {
			j->free(j); /* the client went away meanwhile */
			continue;
		}
		c->job = NULL;
		memset(&x, 0, sizeof(x));
		x.conn = c;
		x.w = w;
		x.admin = j->admin;
		x.head = &j->head;
		x.t0 = j->t0;
		j->reply(j, &x);
		j->free(j);
		if (!c->closing) {
			if (!(bufferevent_get_enabled(c->bev) & EV_READ))
				bufferevent_enable(c->bev, EV_READ);
			process(c);
		}
		send_out(c);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	/* A client that half-closed after its requests still gets the
	 * replies queued or being made; then the connection goes. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    (c->job != NULL ||
	     evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		c->closing = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	/* Reading went idle while a job makes the reply: it is not the
	 * client's silence (reading resumes with the reply). */
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    c->job != NULL)
		return;
	/* Error, idle timeout, or EOF with nothing left to say. */
	conn_free(c);
}

/* The request head or body did not arrive in time. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->deadline_armed = 0;
	if (!c->closing) {
		fail(c, 408, "Request Timeout");
		send_out(c);
	}
}

void
http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
	    int socklen, void *arg)
{
	struct worker *w = arg;
	struct conn *c;
	struct timeval idle = {w->srv->o.idle_timeout, 0};
	int admin = l == w->admin_ls, one = 1;

	(void)sa;
	(void)socklen;
	if (w->stopping || !enter(w, admin)) {
		/* Over the cap: refuse at once rather than queue. */
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		leave(w, admin);
		evutil_closesocket(fd);
		return;
	}
	/* Each reply goes in one write: nothing to gain from Nagle, and a
	 * reply behind an unacknowledged one would wait for the client's
	 * delayed ACK (40 ms) with it. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->w = w;
	c->spool_fd = -1;
	c->admin = admin;
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(w->base, on_deadline, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		leave(w, admin);
		return;
	}
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	atomic_fetch_add_explicit(&w->srv->metrics->connections, 1,
				  memory_order_relaxed);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* The read timeout is the idle timeout: it restarts with each
	 * read; the deadline above bounds a request as a whole. */
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	/* Writing is enabled only while output waits (send_out()). */
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
}
