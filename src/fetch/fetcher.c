/*
 * The fetcher's threads, attempts and schedule. Its libevent loop
 * drives curl (loop.c) over the targets (plan.c: one per watched CA,
 * plus the trusted list, list.c); what a download comes to is
 * outcome.c's.
 *
 * Threads: everything here runs on the fetcher's own thread, except
 * fetcher_refresh() and fetcher_free(), which only set flags under the
 * mutex and wake the loop.
 *
 * A target's attempt walks its URLs (the mirror that answered last
 * first); the first usable answer ends it, and only when every URL
 * failed does the attempt fail. The trusted list is imported when no CRL
 * download is in flight, and the targets are planned anew from the store
 * after it, since the list adds CAs and URLs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "internal.h"
#include "otzyv/fetch.h"
#include "otzyv/log.h"
#include "otzyv/util.h"

/* The fetch thread yields to the HTTP workers: imports are CPU-bound
 * for seconds, answers must not wait for them. */
#define FETCH_NICE 5

/* The loop looks at its schedule at least this often (seconds), so that
 * a clock step or a missed wake-up costs at most this much. */
#define MAX_SLEEP 60

static void schedule(struct fetcher *f);
static void start_url(struct fetcher *f, struct target *t);

/* The current URL's answer is known: the next URL, or the attempt's
 * end. `why` says what was wrong with it when !ok. */
static void
url_finish(struct fetcher *f, struct target *t, int ok, int tsl_body,
	   const char *why)
{
	const char *url = t->urls[t->order[t->tried]];
	char spool[1024];

	if (!ok) {
		size_t n = strlen(t->why);

		snprintf(t->why + n, sizeof(t->why) - n, "%s%s: %s",
			 n ? "; " : "", url, why);
		unlink(fetch_spool_path(f, t, spool, sizeof(spool)));
	}
	t->tried++;
	if (!ok && t->tried < t->norder) {
		start_url(f, t);
		return;
	}
	t->busy = 0;
	f->inflight--;
	if (t->id == 0) {
		if (tsl_body)
			f->tsl_pending = 1;
		else
			fetch_tsl_done(f, ok, ok ? NULL : t->why);
		return;
	}
	fetch_record(f, t, ok, url, t->why);
}

/* Hands a downloaded CRL to the import thread. */
static void
queue_import(struct fetcher *f, struct target *t)
{
	snprintf(t->etag, sizeof(t->etag), "%s", t->dl.etag);
	snprintf(t->last_modified, sizeof(t->last_modified), "%s",
		 t->dl.last_modified);
	download_cleanup(&t->dl);
	pthread_mutex_lock(&f->mu);
	t->next_job = NULL;
	*f->jobs_tail = t;
	f->jobs_tail = &t->next_job;
	pthread_cond_signal(&f->import_cv);
	pthread_mutex_unlock(&f->mu);
}

/* The current URL's transfer ended. */
static void
url_done(struct fetcher *f, struct target *t, CURLcode rc)
{
	char spool[1024], why[ERRLEN];
	enum download_outcome out;
	int ok = 0;

	fetch_spool_path(f, t, spool, sizeof(spool));
	out = download_finish(&t->dl, rc, why, sizeof(why));
	t->bytes += t->dl.written;
	memcpy(t->sha256, t->dl.sha256, 32);
	curl_multi_remove_handle(f->multi, t->dl.easy);
	switch (out) {
	case DOWNLOAD_NOT_MODIFIED:
		unlink(spool); /* empty */
		/* Only an answer to our validators: a 304 to a plain
		 * request says nothing of any CRL. */
		if (!t->conditional) {
			snprintf(why, sizeof(why),
				 "HTTP 304 to a request without validators");
			break;
		}
		t->result = "not_modified";
		ok = 1;
		break;
	case DOWNLOAD_BODY:
		if (t->id != 0) {
			queue_import(f, t); /* url_finish() when imported */
			return;
		}
		ok = 1; /* the list: imported once CRL transfers are done */
		break;
	case DOWNLOAD_FAILED:
		break;
	}
	download_cleanup(&t->dl);
	url_finish(f, t, ok, ok && out == DOWNLOAD_BODY, why);
}

/* In the fetch thread: the imports the import thread finished. */
static void
on_imported(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	struct target *t, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&f->mu);
	t = f->done;
	f->done = NULL;
	pthread_mutex_unlock(&f->mu);
	for (; t != NULL; t = next) {
		next = t->next_job;
		url_finish(f, t, t->import_ok, 0, t->import_why);
	}
	schedule(f);
}

/* The import thread: one CRL at a time (the store has one writer). */
static void *
run_importer(void *arg)
{
	struct fetcher *f = arg;
	struct target *t;
	char spool[1024];

	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), FETCH_NICE);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->jobs == NULL && !f->stop)
			pthread_cond_wait(&f->import_cv, &f->mu);
		if (f->stop)
			break;
		t = f->jobs;
		if ((f->jobs = t->next_job) == NULL)
			f->jobs_tail = &f->jobs;
		pthread_mutex_unlock(&f->mu);
		t->import_why[0] = '\0';
		t->import_ok = fetch_import_body(
		    f, t, fetch_spool_path(f, t, spool, sizeof(spool)),
		    t->urls[t->order[t->tried]], t->import_why,
		    sizeof(t->import_why));
		pthread_mutex_lock(&f->mu);
		t->next_job = f->done;
		f->done = t;
		event_active(f->imported_ev, 0, 0);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

void
fetch_check_done(struct fetcher *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct download *d = NULL;
		struct target *t;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&d);
		/* d is the first member's address of its target. */
		t = (struct target *)((char *)d - offsetof(struct target, dl));
		url_done(f, t, msg->data.result);
	}
	schedule(f);
}

/* Starts the transfer of t's current URL (t->order[t->tried]). */
static void
start_url(struct fetcher *f, struct target *t)
{
	const char *url = t->urls[t->order[t->tried]];
	char spool[1024], why[ERRLEN];
	struct stored st;
	uint64_t limit = t->max_size;
	const char *etag = NULL, *lm = NULL;

	memset(&st, 0, sizeof(st));
	if (t->id != 0) {
		fetch_stored_get(f, t->id, &st);
		/* Validators belong to the URL that gave them. */
		if (st.present && strcmp(st.url, url) == 0) {
			etag = st.etag;
			lm = st.last_modified;
		}
	}
	t->conditional = (etag != NULL && *etag) || (lm != NULL && *lm);
	fetch_spool_path(f, t, spool, sizeof(spool));
	if (download_init(&t->dl, &f->limits, url, spool, limit, etag, lm, why,
			  sizeof(why)) &&
	    curl_multi_add_handle(f->multi, t->dl.easy) == CURLM_OK)
		return;
	download_cleanup(&t->dl);
	/* Counted as this URL's failure; the next one is tried from the
	 * loop, not recursively. */
	snprintf(t->why + strlen(t->why), sizeof(t->why) - strlen(t->why),
		 "%s%s: %s", t->why[0] ? "; " : "", url, why);
	t->tried++;
	if (t->tried < t->norder) {
		start_url(f, t);
		return;
	}
	t->busy = 0;
	f->inflight--;
	if (t->id == 0)
		fetch_tsl_done(f, 0, t->why);
	else
		fetch_record(f, t, 0, url, t->why);
}

/* Begins an attempt: the URL that answered last first, then the rest
 * in their order. */
static void
start_attempt(struct fetcher *f, struct target *t)
{
	struct stored st;
	size_t i, first = 0;

	memset(&st, 0, sizeof(st));
	if (t->id != 0)
		fetch_stored_get(f, t->id, &st);
	for (i = 0; i < t->nurls; i++)
		if (st.last_url[0] && strcmp(t->urls[i], st.last_url) == 0)
			first = i;
	t->norder = 0;
	t->order[t->norder++] = first;
	for (i = 0; i < t->nurls; i++)
		if (i != first)
			t->order[t->norder++] = i;
	t->tried = 0;
	t->why[0] = '\0';
	t->bytes = 0;
	t->busy = 1;
	t->due = 0;
	t->done = 1;
	t->started_ms = fetch_now_ms();
	f->inflight++;
	start_url(f, t);
}

/* ---- the schedule ------------------------------------------------------ */

static int
is_due(const struct fetcher *f, const struct target *t, int64_t now)
{
	if (t->busy)
		return 0;
	if (f->once)
		return t->due && !t->done;
	return t->due || t->next_at <= now;
}

/* Starts what is due, within the concurrency limit, and sets the tick
 * for the next due target. */
static void
schedule(struct fetcher *f)
{
	int64_t now = clock_now(), wait = MAX_SLEEP;
	struct timeval tv;
	size_t i;

	if (f->tsl_pending && f->inflight == 0)
		fetch_tsl_import(f);
	/* CAs registered or listed by another process (otzyv import-tsl)
	 * are taken in when nothing is in flight. */
	if (f->inflight == 0 && !f->tsl_pending && !f->once &&
	    now - f->planned_at >= MAX_SLEEP)
		fetch_plan(f);
	if (f->tsl_enabled && is_due(f, &f->tsl, now) && !f->tsl_pending &&
	    f->inflight < f->concurrency)
		start_attempt(f, &f->tsl);
	/* While the list is being fetched or waits to be imported, CRLs
	 * wait too: the list may bring their CAs and URLs. */
	for (i = 0; i < f->ntargets && !f->tsl.busy && !f->tsl_pending &&
		    f->inflight < f->concurrency;
	     i++)
		if (is_due(f, f->targets[i], now))
			start_attempt(f, f->targets[i]);
	if (f->once) {
		int left = f->inflight > 0 || f->tsl_pending ||
			   (f->tsl_enabled && is_due(f, &f->tsl, now));

		for (i = 0; i < f->ntargets && !left; i++)
			left = is_due(f, f->targets[i], now);
		if (!left)
			event_base_loopexit(f->base, NULL);
		wait = 1;
	}
	for (i = 0; i < f->ntargets; i++) {
		const struct target *t = f->targets[i];

		if (!t->busy && t->next_at - now < wait)
			wait = t->next_at - now;
	}
	if (f->tsl_enabled && !f->tsl.busy && f->tsl.next_at - now < wait)
		wait = f->tsl.next_at - now;
	tv.tv_sec = wait > 0 ? wait : 0;
	tv.tv_usec = wait > 0 ? 0 : 100000; /* a moment: let others run */
	evtimer_add(f->tick, &tv);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule(arg);
}

/* Requests from other threads: refreshes, and the stop. */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	size_t i, j;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&f->mu);
	if (f->stop) {
		pthread_mutex_unlock(&f->mu);
		event_base_loopbreak(f->base);
		return;
	}
	if (f->refresh_all) {
		for (i = 0; i < f->ntargets; i++)
			f->targets[i]->due = 1;
		f->tsl.due = f->tsl_enabled;
		f->refresh_all = 0;
	}
	for (j = 0; j < f->nrefresh; j++) {
		for (i = 0; i < f->ntargets; i++)
			if (fetch_target_matches(f->targets[i],
						 f->refresh_names[j]))
				f->targets[i]->due = 1;
		free(f->refresh_names[j]);
	}
	f->nrefresh = 0;
	pthread_mutex_unlock(&f->mu);
	schedule(f);
}

/* ---- life cycle ------------------------------------------------------ */

static int
copy_config(struct fetcher *f, const struct config *cfg, const uint32_t *ids)
{
	size_t i, j;

	f->ncas = cfg->ncas;
	if ((f->ca_names = calloc(cfg->ncas + 1, sizeof(char *))) == NULL ||
	    (f->ca_ids = calloc(cfg->ncas + 1, sizeof(uint32_t))) == NULL ||
	    (f->ca_urls = calloc(cfg->ncas + 1, sizeof(char **))) == NULL ||
	    (f->ca_nurls = calloc(cfg->ncas + 1, sizeof(size_t))) == NULL ||
	    (f->ca_max = calloc(cfg->ncas + 1, sizeof(uint64_t))) == NULL)
		return 0;
	for (i = 0; i < cfg->ncas; i++) {
		const struct config_ca *ca = &cfg->cas[i];

		f->ca_ids[i] = ids[i];
		f->ca_max[i] = ca->max_crl_size;
		if ((f->ca_names[i] = strdup(ca->name)) == NULL ||
		    (f->ca_urls[i] = calloc(ca->ncrl + 1, sizeof(char *))) ==
			NULL)
			return 0;
		for (j = 0; j < ca->ncrl; j++)
			if ((f->ca_urls[i][j] = strdup(ca->crl[j])) == NULL)
				return 0;
		f->ca_nurls[i] = ca->ncrl;
	}
	if ((f->exclude = calloc(cfg->tsl_exclude.n + 1, sizeof(char *))) ==
	    NULL)
		return 0;
	for (i = 0; i < cfg->tsl_exclude.n; i++)
		if ((f->exclude[i] = strdup(cfg->tsl_exclude.v[i])) == NULL)
			return 0;
	f->nexclude = cfg->tsl_exclude.n;
	return 1;
}

/* One fetcher per store at a time: two would write the same spool
 * files. The lock dies with the process, also on SIGKILL. */
static int
lock_spool(struct fetcher *f, char *err, size_t errlen)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/spool/lock", f->state_dir);
	if ((f->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen,
			 "%s: another process fetches into this store (otzyvd? "
			 "ask it with POST /v1/admin/refresh)",
			 path);
		return 0;
	}
	return 1;
}

static int
make_dir(const char *parent, const char *name, char *err, size_t errlen)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 0;
	}
	return 1;
}

struct fetcher *
fetcher_new(const struct config *cfg, struct store *s, const uint32_t *ca_ids,
	    char *err, size_t errlen)
{
	struct fetcher *f = calloc(1, sizeof(*f));
	size_t i;

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->tsl.dl.fd = -1;
	f->lock_fd = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->import_cv, NULL);
	f->jobs_tail = &f->jobs;
	f->store = s;
	f->stale_grace = cfg->stale_grace;
	f->max_crl_size = cfg->fetch_max_crl_size;
	f->concurrency = cfg->fetch_concurrency;
	f->sched.interval = cfg->fetch_interval;
	f->sched.retry_min = cfg->fetch_retry_min;
	f->sched.retry_max = cfg->fetch_retry_max;
	if (!make_dir(cfg->store_path, "spool", err, errlen) ||
	    !make_dir(cfg->store_path, "crl", err, errlen))
		goto fail;
	if ((f->state_dir = strdup(cfg->store_path)) == NULL ||
	    !fetch_limits_copy(&f->limits, cfg) ||
	    !copy_config(f, cfg, ca_ids) || !fetch_tsl_setup(f, cfg)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!lock_spool(f, err, errlen))
		goto fail;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	evthread_use_pthreads();
	if ((f->base = event_base_new()) == NULL || !fetch_loop_attach(f) ||
	    (f->tick = evtimer_new(f->base, on_tick, f)) == NULL ||
	    (f->wake = event_new(f->base, -1, 0, on_wake, f)) == NULL ||
	    (f->imported_ev = event_new(f->base, -1, 0, on_imported, f)) ==
		NULL) {
		snprintf(err, errlen, "cannot set up the fetch loop");
		goto fail;
	}
	if (!fetch_plan(f)) {
		snprintf(err, errlen, "cannot read the store");
		goto fail;
	}
	for (i = 0; i < f->ntargets; i++)
		fetch_recover_spool(f, f->targets[i]);
	if (pthread_create(&f->importer, NULL, run_importer, f) != 0) {
		snprintf(err, errlen, "cannot start the import thread");
		goto fail;
	}
	f->importer_started = 1;
	return f;
fail:
	fetcher_free(f);
	return NULL;
}

static void *
run_thread(void *arg)
{
	struct fetcher *f = arg;

	/* Per-thread on Linux: only this thread yields. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), FETCH_NICE);
	schedule(f);
	event_base_dispatch(f->base);
	return NULL;
}

int
fetcher_start(struct fetcher *f)
{
	char url[1024];

	if (pthread_create(&f->thread, NULL, run_thread, f) != 0)
		return 0;
	f->started = 1;
	log_info("event=fetch_start cas=%zu tsl=\"%s\"", f->ntargets,
		 log_escape_str(f->tsl_enabled ? f->tsl.urls[0] : "none", url,
				sizeof(url)));
	return 1;
}

int
fetcher_refresh(struct fetcher *f, const char *ca)
{
	char *copy = NULL, **n;
	int matched = 0;
	size_t i;

	pthread_mutex_lock(&f->mu);
	/* Names and ids change only in fetch_plan(), under the mutex. */
	for (i = 0; i < f->ntargets; i++)
		matched +=
		    ca == NULL || fetch_target_matches(f->targets[i], ca);
	if (ca == NULL) {
		f->refresh_all = 1;
	} else if ((copy = strdup(ca)) != NULL &&
		   (n = realloc(f->refresh_names,
				(f->nrefresh + 1) * sizeof(*n))) != NULL) {
		f->refresh_names = n;
		f->refresh_names[f->nrefresh++] = copy;
		copy = NULL;
	}
	pthread_mutex_unlock(&f->mu);
	free(copy);
	event_active(f->wake, 0, 0);
	return matched;
}

int
fetcher_run_once(struct fetcher *f, const char *ca)
{
	size_t i;
	int matched = 0;

	f->once = 1;
	f->once_all = ca == NULL;
	f->failures = 0;
	for (i = 0; i < f->ntargets; i++)
		if (ca == NULL || fetch_target_matches(f->targets[i], ca)) {
			f->targets[i]->due = 1;
			matched++;
		}
	if (ca != NULL && matched == 0)
		return -1;
	f->tsl.due = ca == NULL && f->tsl_enabled;
	schedule(f);
	event_base_dispatch(f->base);
	return f->failures;
}

static void
abandon(struct fetcher *f, struct target *t)
{
	if (!t->busy)
		return;
	if (t->dl.easy != NULL)
		curl_multi_remove_handle(f->multi, t->dl.easy);
	download_cleanup(&t->dl);
	t->busy = 0;
}

/* Ends f's threads (once). */
static void
stop_threads(struct fetcher *f)
{
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_signal(&f->import_cv);
	pthread_mutex_unlock(&f->mu);
	if (f->started) {
		event_active(f->wake, 0, 0);
		pthread_join(f->thread, NULL);
		f->started = 0;
	}
	/* An import under way ends first: the store sees it whole or not
	 * at all either way, but the thread must not outlive f. */
	if (f->importer_started) {
		pthread_join(f->importer, NULL);
		f->importer_started = 0;
	}
}

/* 1 when t was asked for and not yet fetched: a refresh not begun (its
 * flag, or a request the thread had not yet read), or an attempt under
 * way. */
static int
is_wanted(const struct fetcher *f, const struct target *t)
{
	size_t j;

	if (t->due || t->busy || f->refresh_all)
		return 1;
	for (j = 0; j < f->nrefresh; j++)
		if (fetch_target_matches(t, f->refresh_names[j]))
			return 1;
	return 0;
}

uint32_t *
fetcher_stop(struct fetcher *f, size_t *n)
{
	uint32_t *ids;
	size_t i;

	*n = 0;
	if (f == NULL)
		return NULL;
	stop_threads(f);
	if ((ids = calloc(f->ntargets + 1, sizeof(*ids))) == NULL)
		return NULL;
	for (i = 0; i < f->ntargets; i++)
		if (is_wanted(f, f->targets[i]))
			ids[(*n)++] = f->targets[i]->id;
	return ids;
}

void
fetcher_free(struct fetcher *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	stop_threads(f);
	for (i = 0; i < f->ntargets; i++) {
		abandon(f, f->targets[i]);
		fetch_target_free(f->targets[i]);
	}
	abandon(f, &f->tsl);
	fetch_target_free(&f->tsl);
	free(f->targets);
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->curl_timer != NULL)
		event_free(f->curl_timer);
	if (f->tick != NULL)
		event_free(f->tick);
	if (f->wake != NULL)
		event_free(f->wake);
	if (f->imported_ev != NULL)
		event_free(f->imported_ev);
	if (f->base != NULL)
		event_base_free(f->base);
	for (i = 0; i < f->ncas; i++) {
		free(f->ca_names[i]);
		for (j = 0; f->ca_urls && f->ca_urls[i] && j < f->ca_nurls[i];
		     j++)
			free(f->ca_urls[i][j]);
		if (f->ca_urls)
			free(f->ca_urls[i]);
	}
	free(f->ca_names);
	free(f->ca_ids);
	free(f->ca_urls);
	free(f->ca_nurls);
	free(f->ca_max);
	for (i = 0; i < f->nexclude; i++)
		free(f->exclude[i]);
	free(f->exclude);
	for (i = 0; i < f->nrefresh; i++)
		free(f->refresh_names[i]);
	free(f->refresh_names);
	pthread_cond_destroy(&f->import_cv);
	fetch_limits_free(&f->limits);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	free(f->state_dir);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
