/*
 * curl's multi interface on the fetcher's libevent loop: curl says
 * which sockets to watch and when to time out; libevent says when they
 * are ready (curl_multi_socket_action), and finished transfers go to
 * fetch_check_done().
 */
#include "config.h"

#include "internal.h"

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	int running;
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(f->multi, fd, action, &running);
	fetch_check_done(f);
}

static int
on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	struct fetcher *f = userp;
	struct event *ev = socketp;
	short kind;

	(void)easy;
	if (ev != NULL) {
		event_free(ev);
		curl_multi_assign(f->multi, s, NULL);
	}
	if (what == CURL_POLL_REMOVE)
		return 0;
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
		       (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	if ((ev = event_new(f->base, s, kind, on_socket_event, f)) == NULL ||
	    event_add(ev, NULL) != 0) {
		if (ev != NULL)
			event_free(ev);
		return -1;
	}
	curl_multi_assign(f->multi, s, ev);
	return 0;
}

static void
on_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(f);
}

static int
on_curl_timer(CURLM *multi, long ms, void *userp)
{
	struct fetcher *f = userp;
	struct timeval tv;

	(void)multi;
	if (ms < 0)
		return evtimer_del(f->curl_timer);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(f->curl_timer, &tv);
}

int
fetch_loop_attach(struct fetcher *f)
{
	if ((f->multi = curl_multi_init()) == NULL ||
	    (f->curl_timer = evtimer_new(f->base, on_curl_timeout, f)) == NULL)
		return 0;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return 1;
}
