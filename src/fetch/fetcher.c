/*
 * The fetcher: a libevent loop driving curl's multi interface (socket
 * and timer callbacks, curl_multi_socket_action), a schedule of targets
 * (one per watched CA, plus the trusted list), and what is done with
 * each finished download.
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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "internal.h"
#include "otzyv/fetch.h"
#include "otzyv/import.h"
#include "otzyv/log.h"
#include "otzyv/report.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

/* The fetch thread yields to the HTTP workers: imports are CPU-bound
 * for seconds, answers must not wait for them. */
#define FETCH_NICE 5

/* The loop looks at its schedule at least this often (seconds), so that
 * a clock step or a missed wake-up costs at most this much. */
#define MAX_SLEEP 60

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

static void schedule(struct fetcher *f);
static void start_url(struct fetcher *f, struct target *t);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
random_u32(void)
{
	uint32_t r = 0;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	return r;
}

static char *
spool_path(const struct fetcher *f, const struct target *t, char *out,
	   size_t len)
{
	if (t->id == 0)
		snprintf(out, len, "%s/spool/tsl.part", f->state_dir);
	else
		snprintf(out, len, "%s/spool/%u.part", f->state_dir, t->id);
	return out;
}

/* ---- targets --------------------------------------------------------- */

static void
target_free(struct target *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nurls; i++)
		free(t->urls[i]);
	free(t->urls);
	free(t->name);
	if (t->id != 0)
		free(t);
}

/* Splits the store's newline-separated URL list into t->urls. */
static int
target_add_url(struct target *t, const char *url, size_t len)
{
	char **n;

	if (t->nurls >= MAX_MIRRORS)
		return 1; /* enough mirrors */
	if ((n = realloc(t->urls, (t->nurls + 1) * sizeof(*n))) == NULL ||
	    (n[t->nurls] = strndup(url, len)) == NULL)
		return 0;
	t->urls = n;
	t->nurls++;
	return 1;
}

struct plan {
	struct fetcher *f;
	struct target **list;
	size_t n;
	int64_t now;
	int oom;
};

/* The configured CA whose issuer id is `id`, or -1. */
static long
config_index(const struct fetcher *f, uint32_t id)
{
	size_t i;

	for (i = 0; i < f->ncas; i++)
		if (f->ca_ids[i] == id)
			return (long)i;
	return -1;
}

static int
plan_one(const struct store_issuer *is, void *arg)
{
	struct plan *p = arg;
	struct fetcher *f = p->f;
	long ci = config_index(f, is->id);
	struct target *t, **n;
	const char *u, *nl;
	size_t i;

	if (ci < 0 && !report_watched(is, p->now))
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto oom;
	t->id = is->id;
	t->max_size = f->max_crl_size;
	if (ci >= 0 && f->ca_max[ci] != 0)
		t->max_size = f->ca_max[ci];
	if ((t->name = strdup(ci >= 0	 ? f->ca_names[ci]
			      : is->name ? is->name
					 : "?")) == NULL)
		goto oom;
	if (ci >= 0 && f->ca_nurls[ci] > 0) {
		for (i = 0; i < f->ca_nurls[ci]; i++)
			if (!target_add_url(t, f->ca_urls[ci][i],
					    strlen(f->ca_urls[ci][i])))
				goto oom;
	} else {
		for (u = is->crl_urls; u != NULL && *u; u = *nl ? nl + 1 : nl) {
			if ((nl = strchr(u, '\n')) == NULL)
				nl = u + strlen(u);
			if (nl > u && !target_add_url(t, u, (size_t)(nl - u)))
				goto oom;
		}
	}
	if (t->nurls == 0) {
		target_free(t); /* imported by hand only */
		return 0;
	}
	t->next_at = is->fetch.next_at;
	if ((n = realloc(p->list, (p->n + 1) * sizeof(*n))) == NULL)
		goto oom;
	p->list = n;
	p->list[p->n++] = t;
	return 0;
oom:
	target_free(t);
	p->oom = 1;
	return 1;
}

/* The targets anew from the store. Only while nothing is in flight. */
static int
plan(struct fetcher *f)
{
	struct plan p = {f, NULL, 0, clock_now(), 0};
	struct store_txn *txn;
	enum store_err e;
	size_t i, j;

	if ((e = store_read_begin(f->store, &txn)) != STORE_OK) {
		log_error("event=fetch_plan_failed error=\"%s\"",
			  store_strerror(e));
		return 0;
	}
	e = store_issuer_foreach(txn, plan_one, &p);
	store_txn_end(txn);
	if (e != STORE_OK || p.oom) {
		log_error("event=fetch_plan_failed error=\"%s\"",
			  p.oom ? "out of memory" : store_strerror(e));
		for (i = 0; i < p.n; i++)
			target_free(p.list[i]);
		free(p.list);
		return 0;
	}
	/* Requests already made still stand; a pass over everything takes
	 * in the CAs the list just brought. */
	for (i = 0; i < p.n; i++)
		p.list[i]->due = f->once_all;
	for (i = 0; i < p.n; i++)
		for (j = 0; j < f->ntargets; j++)
			if (f->targets[j]->id == p.list[i]->id) {
				p.list[i]->due = f->targets[j]->due;
				p.list[i]->done = f->targets[j]->done;
			}
	/* fetcher_refresh() reads the names from other threads. */
	pthread_mutex_lock(&f->mu);
	for (j = 0; j < f->ntargets; j++)
		target_free(f->targets[j]);
	free(f->targets);
	f->targets = p.list;
	f->ntargets = p.n;
	pthread_mutex_unlock(&f->mu);
	f->planned_at = p.now;
	return 1;
}

/* ---- curl on libevent ------------------------------------------------ */

static void check_done(struct fetcher *f);

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	int running;
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(f->multi, fd, action, &running);
	check_done(f);
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
	check_done(f);
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

/* ---- outcomes -------------------------------------------------------- */

/* Writes what the attempt came to; `error` NULL on success. */
static void
record(struct fetcher *f, struct target *t, int ok, const char *url,
       const char *error)
{
	struct store_txn *txn;
	struct store_issuer is;
	struct store_fetch st = {0};
	int64_t now = clock_now(), next_update = 0;
	json_t *ev = NULL;
	enum store_err e;
	char url_copy[MAX_URL_LEN];

	if (store_read_begin(f->store, &txn) == STORE_OK) {
		if (store_issuer_get(txn, t->id, &is) == STORE_OK) {
			st = is.fetch;
			next_update = is.crl.present ? is.crl.next_update : 0;
			/* The record's strings die with the transaction. */
			snprintf(url_copy, sizeof(url_copy), "%s",
				 st.url ? st.url : "");
			st.url = url_copy[0] ? url_copy : NULL;
		}
		store_txn_end(txn);
	}
	st.attempt_at = now;
	st.duration_ms = now_ms() - t->started_ms;
	st.bytes_total += t->bytes;
	if (ok) {
		st.success_at = now;
		st.failures = 0;
		st.url = url;
		st.next_at = sched_after_success(&f->sched, now, next_update,
						 random_u32());
	} else {
		st.failures++;
		st.failures_total++;
		st.next_at = sched_after_failure(&f->sched, now, st.failures,
						 next_update, random_u32());
		ev = json_pack("{s:s, s:i, s:s, s:i}", "type", "fetch_failed",
			       "issuer", (json_int_t)t->id, "reason", error,
			       "failures", (json_int_t)st.failures);
		f->failures++;
	}
	t->next_at = st.next_at;
	e = store_issuer_fetched(f->store, t->id, &st, ok ? NULL : error, ev);
	json_decref(ev);
	if (e != STORE_OK)
		log_error("event=fetch_record_failed ca=\"%s\" error=\"%s\"",
			  t->name, store_strerror(e));
	if (ok)
		log_info("event=fetch_ok ca=\"%s\" id=%u result=%s url=%s "
			 "bytes=%llu ms=%lld next_in=%lld",
			 t->name, t->id, t->result, url,
			 (unsigned long long)t->bytes,
			 (long long)st.duration_ms,
			 (long long)(st.next_at - now));
	else
		log_warn("event=fetch_failed ca=\"%s\" id=%u failures=%u "
			 "next_in=%lld error=\"%s\"",
			 t->name, t->id, st.failures,
			 (long long)(st.next_at - now), error);
}

/* PEM's armour at the start of a file (after blank space). */
static int
is_pem(const struct mapfile *m)
{
	size_t i = 0;

	while (i < m->len && i < 64 &&
	       (m->data[i] == ' ' || m->data[i] == '\t' || m->data[i] == '\r' ||
		m->data[i] == '\n'))
		i++;
	return m->len - i >= 10 && memcmp(m->data + i, "-----BEGIN", 10) == 0;
}

/* Writes der to path through a temporary file and a rename. */
static void
write_atomic(const char *path, const unsigned char *der, size_t len)
{
	char tmp[1100];
	FILE *out;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((out = fopen(tmp, "wb")) == NULL)
		return;
	ok = fwrite(der, 1, len, out) == len && fflush(out) == 0 &&
	     fsync(fileno(out)) == 0;
	if (fclose(out) == 0 && ok && rename(tmp, path) == 0)
		return;
	unlink(tmp);
}

/* Keeps the spool file as the CA's last good CRL, always as DER: GET
 * /crl/ID.crl serves application/pkix-crl. */
static void
keep_last_good(struct fetcher *f, const struct target *t, const char *spool)
{
	char path[1024], *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	struct mapfile m;
	BIO *in;
	long len = 0;

	fetch_crl_path(f->state_dir, t->id, path, sizeof(path));
	if (mapfile_open(spool, &m) != 0)
		return;
	if (!is_pem(&m) || m.len > INT32_MAX) {
		mapfile_close(&m);
		rename(spool, path);
		return;
	}
	if ((in = BIO_new_mem_buf(m.data, (int)m.len)) != NULL &&
	    PEM_read_bio(in, &name, &header, &der, &len))
		write_atomic(path, der, (size_t)len);
	ERR_clear_error();
	BIO_free(in);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	mapfile_close(&m);
	unlink(spool);
}

/* The stored CRL's SHA-256, validators and URL, for a download of t. */
struct stored {
	int present;
	uint8_t sha256[32];
	char url[MAX_URL_LEN], etag[256], last_modified[128];
	char last_url[MAX_URL_LEN];
};

static void
stored_get(struct fetcher *f, uint32_t id, struct stored *out)
{
	struct store_txn *txn;
	struct store_issuer is;

	memset(out, 0, sizeof(*out));
	if (store_read_begin(f->store, &txn) != STORE_OK)
		return;
	if (store_issuer_get(txn, id, &is) == STORE_OK) {
		out->present = is.crl.present;
		memcpy(out->sha256, is.crl.sha256, 32);
		snprintf(out->url, sizeof(out->url), "%s",
			 is.crl.url ? is.crl.url : "");
		snprintf(out->etag, sizeof(out->etag), "%s",
			 is.crl.etag ? is.crl.etag : "");
		snprintf(out->last_modified, sizeof(out->last_modified), "%s",
			 is.crl.last_modified ? is.crl.last_modified : "");
		snprintf(out->last_url, sizeof(out->last_url), "%s",
			 is.fetch.url ? is.fetch.url : "");
	}
	store_txn_end(txn);
}

/* The importers' messages start with the file's path: the operator
 * knows the URL, which the caller puts in front instead. */
static const char *
without_spool(const char *msg, const char *spool)
{
	size_t n = strlen(spool);

	if (strncmp(msg, spool, n) != 0)
		return msg;
	msg += n;
	return strncmp(msg, ": ", 2) == 0 ? msg + 2 : msg;
}

/* A CRL body in the spool: import it. 1 usable, 0 with why set. */
static int
import_body(struct fetcher *f, struct target *t, const char *spool,
	    const char *url, char *why, size_t whylen)
{
	struct import_opts o = {0};
	struct import_result r;
	struct stored st;

	stored_get(f, t->id, &st);
	if (st.present && memcmp(st.sha256, t->sha256, 32) == 0) {
		/* The stored file again: nothing to verify. */
		keep_last_good(f, t, spool);
		t->result = "unchanged";
		return 1;
	}
	o.issuer_id = t->id;
	o.url = url;
	o.etag = t->etag[0] ? t->etag : NULL;
	o.last_modified = t->last_modified[0] ? t->last_modified : NULL;
	o.now = clock_now();
	switch (import_crl_file(f->store, spool, &o, &r)) {
	case IMPORT_OK:
		log_info("event=crl_imported ca=\"%s\" id=%u entries=%llu "
			 "added=%llu removed=%llu changed=%llu",
			 t->name, t->id, (unsigned long long)r.entries,
			 (unsigned long long)r.stats.added,
			 (unsigned long long)r.stats.removed,
			 (unsigned long long)r.stats.changed);
		keep_last_good(f, t, spool);
		t->result = "imported";
		return 1;
	case IMPORT_UNCHANGED:
		keep_last_good(f, t, spool);
		t->result = "unchanged";
		return 1;
	case IMPORT_REJECTED:
	case IMPORT_ERROR:
		break;
	}
	snprintf(why, whylen, "%s", without_spool(r.msg, spool));
	return 0;
}

static void tsl_done(struct fetcher *f, int ok, const char *error);

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
		unlink(spool_path(f, t, spool, sizeof(spool)));
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
			tsl_done(f, ok, ok ? NULL : t->why);
		return;
	}
	record(f, t, ok, url, t->why);
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

	spool_path(f, t, spool, sizeof(spool));
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
		t->import_ok =
		    import_body(f, t, spool_path(f, t, spool, sizeof(spool)),
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

static void
check_done(struct fetcher *f)
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
		stored_get(f, t->id, &st);
		/* Validators belong to the URL that gave them. */
		if (st.present && strcmp(st.url, url) == 0) {
			etag = st.etag;
			lm = st.last_modified;
		}
	}
	t->conditional = (etag != NULL && *etag) || (lm != NULL && *lm);
	spool_path(f, t, spool, sizeof(spool));
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
		tsl_done(f, 0, t->why);
	else
		record(f, t, 0, url, t->why);
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
		stored_get(f, t->id, &st);
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
	t->started_ms = now_ms();
	f->inflight++;
	start_url(f, t);
}

/*
 * A spool file left by a crash between an import's commit and the
 * file's rename is the stored CRL: keep it as the last good file. Any
 * other is a download that never finished: removed.
 */
static void
recover_spool(struct fetcher *f, struct target *t)
{
	char spool[1024];
	struct stored st;
	struct mapfile m;
	uint8_t md[32];
	int same;

	spool_path(f, t, spool, sizeof(spool));
	if (mapfile_open(spool, &m) != 0)
		return;
	stored_get(f, t->id, &st);
	SHA256(m.data ? m.data : (const uint8_t *)"", m.len, md);
	same = st.present && memcmp(md, st.sha256, 32) == 0;
	mapfile_close(&m);
	if (same) {
		log_info("event=fetch_recovered ca=\"%s\" id=%u", t->name,
			 t->id);
		keep_last_good(f, t, spool);
	} else {
		unlink(spool);
	}
}

/* ---- the trusted list -------------------------------------------------- */

static void
tsl_done(struct fetcher *f, int ok, const char *error)
{
	struct target *t = &f->tsl;
	int64_t now = clock_now();
	json_t *ev;

	if (ok) {
		t->next_at = now + f->tsl_refresh;
		return;
	}
	f->failures++;
	t->next_at = now + f->sched.retry_min;
	log_warn("event=tsl_failed error=\"%s\"", error);
	ev = json_pack("{s:s, s:s}", "type", "tsl_failed", "reason", error);
	if (ev != NULL)
		store_event_log(f->store, ev);
	json_decref(ev);
}

/* The list is in the spool and nothing else is in flight: import it. */
static void
tsl_import(struct fetcher *f)
{
	struct tsl_import_opts o = {0};
	struct tsl_import_result r;
	char spool[1024], keep[1024], why[ERRLEN];
	const char *url = f->tsl.urls[0];

	f->tsl_pending = 0;
	spool_path(f, &f->tsl, spool, sizeof(spool));
	/* The download's hash, before any parse: a pinned list that is not
	 * the pinned one is refused before a byte of it is read. */
	if (f->tsl_pinned && memcmp(f->tsl.sha256, f->tsl_pin, 32) != 0) {
		snprintf(why, sizeof(why),
			 "%s: SHA-256 differs from [tsl] sha256", url);
		tsl_done(f, 0, why);
		return;
	}
	o.exclude = (const char *const *)f->exclude;
	o.nexclude = f->nexclude;
	o.source = url;
	switch (tsl_import_file(f->store, spool, &o, &r)) {
	case TSL_IMPORT_OK:
		log_info(
		    "event=tsl_imported version=%lld cas=%llu "
		    "issuers=%llu added=%llu",
		    (long long)r.info.version, (unsigned long long)r.info.cas,
		    (unsigned long long)r.issuers, (unsigned long long)r.added);
		snprintf(keep, sizeof(keep), "%s/tsl.xml", f->state_dir);
		rename(spool, keep);
		plan(f);
		tsl_done(f, 1, NULL);
		return;
	case TSL_IMPORT_UNCHANGED:
		tsl_done(f, 1, NULL);
		return;
	case TSL_IMPORT_REJECTED:
	case TSL_IMPORT_ERROR:
		snprintf(why, sizeof(why), "%s: %s", url,
			 without_spool(r.msg, spool));
		tsl_done(f, 0, why);
		return;
	}
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
		tsl_import(f);
	/* CAs registered or listed by another process (otzyv import-tsl)
	 * are taken in when nothing is in flight. */
	if (f->inflight == 0 && !f->tsl_pending && !f->once &&
	    now - f->planned_at >= MAX_SLEEP)
		plan(f);
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

/* Matches [ca NAME], display name, short name or id. */
static int
target_matches(const struct target *t, const char *ca)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", t->id);
	return strcmp(t->name, ca) == 0 || strcmp(id, ca) == 0;
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
			if (target_matches(f->targets[i], f->refresh_names[j]))
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

static int
setup_tsl(struct fetcher *f, const struct config *cfg)
{
	char url[1100];

	if (cfg->tsl_url == NULL && cfg->tsl_file == NULL)
		return 1;
	if (cfg->tsl_url != NULL)
		snprintf(url, sizeof(url), "%s", cfg->tsl_url);
	else
		snprintf(url, sizeof(url), "file://%s", cfg->tsl_file);
	f->tsl_enabled = 1;
	f->tsl_refresh = cfg->tsl_refresh;
	f->tsl.max_size = cfg->tsl_max_size;
	if ((f->tsl.name = strdup("trusted list")) == NULL ||
	    !target_add_url(&f->tsl, url, strlen(url)))
		return 0;
	if (cfg->tsl_sha256 != NULL) {
		f->tsl_pinned = 1;
		hex_decode(cfg->tsl_sha256, f->tsl_pin, sizeof(f->tsl_pin));
	}
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
	    !copy_config(f, cfg, ca_ids) || !setup_tsl(f, cfg)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!lock_spool(f, err, errlen))
		goto fail;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	evthread_use_pthreads();
	if ((f->base = event_base_new()) == NULL ||
	    (f->multi = curl_multi_init()) == NULL ||
	    (f->curl_timer = evtimer_new(f->base, on_curl_timeout, f)) ==
		NULL ||
	    (f->tick = evtimer_new(f->base, on_tick, f)) == NULL ||
	    (f->wake = event_new(f->base, -1, 0, on_wake, f)) == NULL ||
	    (f->imported_ev = event_new(f->base, -1, 0, on_imported, f)) ==
		NULL) {
		snprintf(err, errlen, "cannot set up the fetch loop");
		goto fail;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	if (!plan(f)) {
		snprintf(err, errlen, "cannot read the store");
		goto fail;
	}
	for (i = 0; i < f->ntargets; i++)
		recover_spool(f, f->targets[i]);
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
	if (pthread_create(&f->thread, NULL, run_thread, f) != 0)
		return 0;
	f->started = 1;
	log_info("event=fetch_start cas=%zu tsl=%s", f->ntargets,
		 f->tsl_enabled ? f->tsl.urls[0] : "none");
	return 1;
}

int
fetcher_refresh(struct fetcher *f, const char *ca)
{
	char *copy = NULL, **n;
	int matched = 0;
	size_t i;

	pthread_mutex_lock(&f->mu);
	/* Names and ids change only in plan(), under the mutex. */
	for (i = 0; i < f->ntargets; i++)
		matched += ca == NULL || target_matches(f->targets[i], ca);
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
		if (ca == NULL || target_matches(f->targets[i], ca)) {
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

void
fetcher_free(struct fetcher *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_signal(&f->import_cv);
	pthread_mutex_unlock(&f->mu);
	if (f->started) {
		event_active(f->wake, 0, 0);
		pthread_join(f->thread, NULL);
	}
	/* An import under way ends first: the store sees it whole or not
	 * at all either way, but the thread must not outlive f. */
	if (f->importer_started)
		pthread_join(f->importer, NULL);
	for (i = 0; i < f->ntargets; i++) {
		abandon(f, f->targets[i]);
		target_free(f->targets[i]);
	}
	abandon(f, &f->tsl);
	target_free(&f->tsl);
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
