/*
 * otzyvd: the OCSP responder daemon. A thin front end: configuration,
 * the store, the responder keys, the HTTP workers, signals.
 *
 *   SIGTERM, SIGINT  stop accepting, drain, exit 0
 *   SIGHUP           reload the configuration (CAs, keys, responder
 *                    settings, fetch schedule) and fetch the trusted
 *                    list again, without dropping connections; listen
 *                    addresses, threads and the store need a restart
 *
 * The admin listener's POST /v1/admin/reload does what SIGHUP does, and
 * POST /v1/admin/refresh makes CAs due for fetching now.
 *
 * Exit status: 0 after a signal, 3 when the configuration or the keys
 * are unusable, 4 when the store or the listeners are.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>

#include "otzyv/config.h"
#include "otzyv/crypto.h"
#include "otzyv/fetch.h"
#include "otzyv/http.h"
#include "otzyv/log.h"
#include "otzyv/metrics.h"
#include "otzyv/ocsp.h"
#include "otzyv/registry.h"
#include "otzyv/report.h"
#include "otzyv/store.h"
#include "otzyv/util.h"
#include "otzyv/verify.h"

/* How long in-flight responses may take to drain on SIGTERM; replies
 * meanwhile say "Connection: close". */
#define DRAIN_SECONDS 2

/* A site replaced by SIGHUP, freed once no worker can be using it. */
struct retired {
	struct daemon *d;
	struct http_site *site;
	struct event *timer;
	struct retired *next;
};

struct daemon {
	struct retired *retired; /* not yet freed */
	const char *conf_path;
	struct config *cfg; /* running */
	/* As otzyvd started: what the settings that need a restart still
	 * are. cfg's until the first reload, then owned here. */
	struct config *started;
	struct store *store;
	struct metrics metrics;
	struct http_server *srv;
	struct event_base *base;
	struct event *reload_ev; /* an admin reload, from a worker */
	/* POST /v1/admin/reload requests waiting for the next reload; no
	 * more are taken once stopping. Guarded by reload_mu. */
	pthread_mutex_t reload_mu;
	struct http_reload **waiting;
	size_t nwaiting;
	int stopping;
	pthread_mutex_t fetch_mu; /* guards fetcher against workers */
	struct fetcher *fetcher;
	struct event *fetch_retry; /* a fetcher that could not start */
	/* CAs a stopped fetcher had been asked to fetch and had not: the
	 * next one fetches them now. Main thread only. */
	uint32_t *unfetched;
	size_t nunfetched;
};

/* Seconds between attempts to start a fetcher that failed to (another
 * process held the store's spool, say). */
#define FETCH_RETRY 10

/* Logs event=EVENT error="why", why escaped (log_escape): configuration
 * errors quote the values they refuse, which would end the field early.
 * The escaped text is cut to 1K here, whole escapes only, so that the
 * log line (2K) always closes the field. */
static void
log_failed(const char *event, const char *why)
{
	char esc[1024];

	log_error("event=%s error=\"%s\"", event,
		  log_escape_str(why, esc, sizeof(esc)));
}

static int
admin_refresh(void *arg, const char *ca)
{
	struct daemon *d = arg;
	int n = -1;

	pthread_mutex_lock(&d->fetch_mu);
	if (d->fetcher != NULL)
		n = fetcher_refresh(d->fetcher, ca);
	pthread_mutex_unlock(&d->fetch_mu);
	return n;
}

static void
admin_reload(void *arg, struct http_reload *r)
{
	struct daemon *d = arg;
	struct http_reload **n = NULL;
	int stopping;

	pthread_mutex_lock(&d->reload_mu);
	stopping = d->stopping;
	if (!stopping &&
	    (n = realloc(d->waiting, (d->nwaiting + 1) * sizeof(*n))) != NULL) {
		d->waiting = n;
		d->waiting[d->nwaiting++] = r;
	}
	pthread_mutex_unlock(&d->reload_mu);
	if (stopping)
		http_reload_done(r, HTTP_RELOAD_STOPPING, NULL, NULL);
	else if (n == NULL)
		http_reload_done(r, HTTP_RELOAD_FAILED, "out of memory", NULL);
	else /* the reload runs in the main loop, as for SIGHUP */
		event_active(d->reload_ev, 0, 0);
}

/* Answers every waiting POST /v1/admin/reload; with `stop`, takes no
 * more. */
static void
reload_answer(struct daemon *d, enum http_reload_outcome outcome,
	      const char *err, const char *const *needs_restart, int stop)
{
	struct http_reload **waiting;
	size_t i, n;

	pthread_mutex_lock(&d->reload_mu);
	waiting = d->waiting;
	n = d->nwaiting;
	d->waiting = NULL;
	d->nwaiting = 0;
	d->stopping |= stop;
	pthread_mutex_unlock(&d->reload_mu);
	for (i = 0; i < n; i++)
		http_reload_done(waiting[i], outcome, err, needs_restart);
	free(waiting);
}

/* Stops and frees the fetcher, keeping what it had been asked to fetch
 * and had not (d->unfetched). */
static void
stop_fetcher(struct daemon *d)
{
	struct fetcher *old;
	uint32_t *ids, *all;
	size_t n;

	pthread_mutex_lock(&d->fetch_mu);
	old = d->fetcher;
	d->fetcher = NULL;
	pthread_mutex_unlock(&d->fetch_mu);
	if ((ids = fetcher_stop(old, &n)) != NULL && n > 0 &&
	    (all = realloc(d->unfetched, (d->nunfetched + n) * sizeof(*all))) !=
		NULL) {
		memcpy(all + d->nunfetched, ids, n * sizeof(*ids));
		d->unfetched = all;
		d->nunfetched += n;
	}
	free(ids);
	fetcher_free(old);
}

/* Replaces the fetcher with one for cfg (none when cfg fetches
 * nothing). The old one is stopped first: two must never write the same
 * spool files. A refresh asked of the old one, or a transfer it
 * abandons, is fetched by the new one at once: an operator's refresh
 * must not vanish because a reload came meanwhile. */
static void
replace_fetcher(struct daemon *d, const struct config *cfg,
		const uint32_t *ca_ids)
{
	struct fetcher *f;
	char err[1024], id[16];
	size_t i;

	stop_fetcher(d);
	if (d->fetch_retry != NULL)
		evtimer_del(d->fetch_retry);
	/* The config now running is the truth about configured CAs. */
	if (!registry_forget_gone(cfg, d->store, ca_ids, err, sizeof(err)))
		log_failed("registry_failed", err);
	if ((f = fetcher_new(cfg, d->store, ca_ids, err, sizeof(err))) ==
		NULL ||
	    !fetcher_start(f)) {
		struct timeval later = {FETCH_RETRY, 0};
		char esc[1024];

		log_error(
		    "event=fetch_failed_to_start error=\"%s\" "
		    "retry_in=%d",
		    log_escape_str(f ? "no thread" : err, esc, sizeof(esc)),
		    FETCH_RETRY);
		fetcher_free(f);
		if (d->fetch_retry != NULL)
			evtimer_add(d->fetch_retry, &later);
		return;
	}
	for (i = 0; i < d->nunfetched; i++) {
		snprintf(id, sizeof(id), "%u", (unsigned)d->unfetched[i]);
		fetcher_refresh(f, id);
	}
	free(d->unfetched);
	d->unfetched = NULL;
	d->nunfetched = 0;
	pthread_mutex_lock(&d->fetch_mu);
	d->fetcher = f;
	pthread_mutex_unlock(&d->fetch_mu);
}

/* The responder and the readiness list for cfg. NULL with err set. */
static void
retry_fetcher(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint32_t *ids = calloc(d->cfg->ncas + 1, sizeof(*ids));
	char err[1024];

	(void)fd;
	(void)what;
	if (ids == NULL ||
	    !registry_sync(d->cfg, d->store, ids, err, sizeof(err))) {
		struct timeval later = {FETCH_RETRY, 0};

		evtimer_add(d->fetch_retry, &later);
	} else {
		replace_fetcher(d, d->cfg, ids);
	}
	free(ids);
}

/* crypto_load_bundle()'s callback: appends to a trust list. */
static int
trust_take(void *arg, X509 *x)
{
	X509 ***v = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];
	X509 **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return 0;
	nv[(*n)++] = x;
	*v = nv;
	return 1;
}

/* What POST /v1/verify trusts, as the CLI's `otzyv verify`: [verify]
 * anchors and intermediates files, loaded once per site, and
 * (tsl_anchors) the trusted list's self-signed CAs, which the trust
 * reads from the store as the list changes. */
static struct http_verify_trust *
build_trust(const struct config *cfg, char *err, size_t errlen)
{
	struct http_verify_trust *t = http_verify_trust_new();
	void *anchors[2], *ints[2];
	size_t i;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	anchors[0] = &t->anchors;
	anchors[1] = &t->nanchors;
	ints[0] = &t->intermediates;
	ints[1] = &t->nintermediates;
	t->trust_claimed_signing_time = cfg->verify_trust_claimed;
	t->cautionary = cfg->verify_cautionary;
	t->stale_grace = cfg->stale_grace;
	for (i = 0; i < cfg->verify_anchors.n; i++)
		if (!crypto_load_bundle(cfg->verify_anchors.v[i], trust_take,
					anchors, err, errlen))
			goto fail;
	for (i = 0; i < cfg->verify_intermediates.n; i++)
		if (!crypto_load_bundle(cfg->verify_intermediates.v[i],
					trust_take, ints, err, errlen))
			goto fail;
	t->tsl_anchors = cfg->verify_tsl_anchors;
	if (cfg->verify_audit_log &&
	    (t->audit = verify_audit_open(cfg->verify_audit_file, err,
					  errlen)) == NULL)
		goto fail;
	return t;
fail:
	http_verify_trust_unref(t);
	return NULL;
}

/* The delegated responder of [ca] section ca, checked against its CA
 * certificate: 1 with *out set (NULL when it has none), or 0. */
static int
load_delegate(const struct config *cfg, const struct config_ca *ca,
	      struct ocsp_signer **out, char *err, size_t errlen)
{
	char why[512];
	X509 *cert;
	int ok;

	*out = NULL;
	if (ca->responder_cert == NULL && ca->responder_key == NULL)
		return 1;
	if (ca->responder_cert == NULL || ca->responder_key == NULL) {
		snprintf(err, errlen,
			 "%s:%d: [ca %s] needs both responder_cert and "
			 "responder_key",
			 cfg->path, ca->line, ca->name);
		return 0;
	}
	if ((*out = ocsp_signer_load(ca->responder_cert, ca->responder_key, why,
				     sizeof(why))) == NULL) {
		snprintf(err, errlen, "[ca %s]: %s", ca->name, why);
		return 0;
	}
	cert = crypto_load_cert(ca->cert, why, sizeof(why));
	ok = cert != NULL &&
	     ocsp_signer_check_delegated(*out, cert, why, sizeof(why));
	X509_free(cert);
	if (!ok) {
		ocsp_signer_free(*out);
		*out = NULL;
		snprintf(err, errlen, "[ca %s] responder_cert: %s", ca->name,
			 why);
	}
	return ok;
}

/* What serves requests under cfg. Everything is checked before the
 * store's registry is synced to cfg: a configuration refused (at start,
 * or by a reload, which keeps the old one) changes nothing in the store,
 * which the status page, /v1/cas and `otzyv check` read. */
static struct http_site *
build_site(struct daemon *d, const struct config *cfg, struct store *s,
	   char *err, size_t errlen)
{
	struct http_site *site = calloc(1, sizeof(*site));
	struct ocsp_responder_opts o = {0};
	struct ocsp_signer *signer = NULL, **delegates;
	size_t i;

	delegates = calloc(cfg->ncas + 1, sizeof(*delegates));
	if (site == NULL || delegates == NULL ||
	    (site->ready_ids = calloc(cfg->ncas + 1, sizeof(uint32_t))) ==
		NULL ||
	    (site->ready_names = calloc(cfg->ncas + 1, sizeof(char *))) ==
		NULL ||
	    (site->state_dir = strdup(cfg->store_path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < cfg->ncas; i++) {
		if ((site->ready_names[i] = strdup(cfg->cas[i].name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		site->nready = i + 1;
	}
	site->admin_refresh = admin_refresh;
	site->admin_reload = admin_reload;
	site->admin_arg = d;
	if ((site->verify = build_trust(cfg, err, errlen)) == NULL)
		goto fail;
	if (cfg->responder_cert == NULL || cfg->responder_key == NULL) {
		snprintf(err, errlen,
			 "%s: [responder] cert and key are required",
			 cfg->path);
		goto fail;
	}
	if ((signer = ocsp_signer_load(cfg->responder_cert, cfg->responder_key,
				       err, errlen)) == NULL)
		goto fail;
	for (i = 0; i < cfg->ncas; i++)
		if (!load_delegate(cfg, &cfg->cas[i], &delegates[i], err,
				   errlen))
			goto fail;
	/* Checked: now the store. */
	if (!registry_sync(cfg, s, site->ready_ids, err, errlen))
		goto fail;
	o.max_single = cfg->max_requests;
	o.stale_grace = cfg->stale_grace;
	o.stale_serve = cfg->stale_serve;
	o.nonce_echo = !cfg->nonce_ignore;
	site->responder_stale_grace = cfg->stale_grace;
	if ((site->responder = ocsp_responder_new(s, signer, &o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	signer = NULL; /* the responder's */
	for (i = 0; i < cfg->ncas; i++) {
		if (delegates[i] == NULL)
			continue;
		if (!ocsp_responder_delegate(
			site->responder, site->ready_ids[i], delegates[i])) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		delegates[i] = NULL; /* the responder's */
	}
	free(delegates);
	return site;
fail:
	for (i = 0; delegates != NULL && i < cfg->ncas; i++)
		ocsp_signer_free(delegates[i]);
	free(delegates);
	ocsp_signer_free(signer);
	http_site_free(site);
	return NULL;
}

/* Enough descriptors for max_connections plus files and listeners. */
static void
raise_nofile(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < want + 64) {
		rl.rlim_cur = want + 64 < rl.rlim_max ? want + 64 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Started as root to run as pw: the state directory becomes pw's. It
 * was opened, maybe created, as root, and `otzyv` run as root leaves
 * its files there too; the fetcher, running as pw, writes spool/, crl/
 * and tsl.xml. Given: the directory, what is in it and what is in its
 * subdirectories (the layout's depth), never through a link. 1, or 0
 * when something could not be given (logged). */
static int
give_state_dir(const char *dir, const struct passwd *pw)
{
	char where[256] = "", path_e[1024], where_e[1024], user_e[256];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ok;

	ok = fd >= 0 &&
	     dir_give(fd, 2, pw->pw_uid, pw->pw_gid, where, sizeof(where));
	if (!ok)
		log_error("event=start_failed reason=\"cannot give the state "
			  "directory to its user: %s\" path=\"%s\" "
			  "entry=\"%s\" user=\"%s\"",
			  strerror(errno),
			  log_escape_str(dir, path_e, sizeof(path_e)),
			  log_escape_str(where, where_e, sizeof(where_e)),
			  log_escape_str(pw->pw_name, user_e, sizeof(user_e)));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* After binding: become `user` when started as root, the state
 * directory given to it first. 0, or the exit status (logged). */
static int
drop_privileges(const char *user, const char *state_dir)
{
	struct passwd *pw;
	char user_e[256];

	if (getuid() != 0 || user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_error("event=start_failed reason=\"no such user\" "
			  "user=\"%s\"",
			  log_escape_str(user, user_e, sizeof(user_e)));
		return 3;
	}
	if (!give_state_dir(state_dir, pw))
		return 4;
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_error("event=start_failed reason=\"cannot drop privileges: "
			  "%s\"",
			  strerror(errno));
		return 3;
	}
	log_info("event=privileges_dropped user=\"%s\" uid=%u",
		 log_escape_str(user, user_e, sizeof(user_e)),
		 (unsigned)pw->pw_uid);
	return 0;
}

static void
retire_free(struct retired *r)
{
	struct retired **p;

	for (p = &r->d->retired; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	http_site_free(r->site);
	event_free(r->timer);
	free(r);
}

static void
free_site_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	retire_free(arg);
}

/* Whether two [server] listen lists differ. */
static int
listen_changed(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->nlisten != b->nlisten)
		return 1;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 1;
	return 0;
}

/* Two optional settings alike (NULL: not set). */
static int
same_string(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A reload compares the settings that need a restart (otzyvd(8),
 * SIGNALS) with `run`, the configuration otzyvd started with, and says
 * which changed (logged, and into `changed`, NULL-terminated,
 * RESTART_SETTINGS + 1 long): at every reload until a restart. cfg
 * takes two as they run: a new [store] path would send the fetcher and
 * the CRL mirror to another directory than the store that is open, and
 * a new read_timeout would misjudge when an old site is unused. 0 when
 * out of memory. */
#define RESTART_SETTINGS 11
static int
keep_running_settings(const struct config *run, struct config *cfg,
		      const char **changed)
{
	const struct {
		const char *name;
		int changed;
	} restart[] = {
	    {"[store] path", strcmp(run->store_path, cfg->store_path) != 0},
	    {"[store] map_size", run->map_size != cfg->map_size},
	    {"[crypto] gost", run->gost != cfg->gost},
	    {"[server] listen", listen_changed(run, cfg)},
	    {"[server] admin_listen",
	     strcmp(run->admin_listen, cfg->admin_listen) != 0},
	    {"[server] threads", run->threads != cfg->threads},
	    {"[server] limits or timeouts",
	     run->max_header != cfg->max_header ||
		 run->max_ocsp_request != cfg->max_ocsp_request ||
		 run->read_timeout != cfg->read_timeout ||
		 run->idle_timeout != cfg->idle_timeout ||
		 run->max_connections != cfg->max_connections ||
		 run->max_keepalive_requests != cfg->max_keepalive_requests},
	    {"[server] access_log", run->access_log != cfg->access_log},
	    {"[server] user", !same_string(run->user, cfg->user)},
	    {"[responder] cache_size or max_age",
	     run->cache_size != cfg->cache_size ||
		 run->max_age != cfg->max_age},
	    {"[verify] max_body, max_batch, threads or queue",
	     run->verify_max_body != cfg->verify_max_body ||
		 run->verify_max_batch != cfg->verify_max_batch ||
		 run->verify_threads != cfg->verify_threads ||
		 run->verify_queue != cfg->verify_queue},
	};
	char *path;
	size_t i, n = 0;

	_Static_assert(sizeof(restart) / sizeof(restart[0]) == RESTART_SETTINGS,
		       "RESTART_SETTINGS counts restart[]");
	for (i = 0; i < RESTART_SETTINGS; i++)
		if (restart[i].changed) {
			log_warn("event=reload_needs_restart setting=\"%s\" "
				 "reason=\"kept as it runs until a restart\"",
				 restart[i].name);
			changed[n++] = restart[i].name;
		}
	changed[n] = NULL;
	if (restart[0].changed) {
		if ((path = strdup(run->store_path)) == NULL)
			return 0;
		free(cfg->store_path);
		cfg->store_path = path;
	}
	cfg->read_timeout = run->read_timeout;
	return 1;
}

/* How many CAs the daemon watches now, for the start and reload lines:
 * the configured ones and the trusted list's that it keeps current, as
 * /v1/cas and /metrics count them ("watched"); -1 when the store cannot
 * be read. Not cfg->ncas: a daemon fed by a trusted list alone watches
 * its CAs with no [ca] section at all. */
static long
watched_cas(struct daemon *d)
{
	size_t n;

	if (report_count_watched(d->store, clock_now(), &n) != STORE_OK)
		return -1;
	return (long)n;
}

/* Loads the configuration again and runs it. 1, or 0 with the cause
 * in err and the old one still running. */
static int
reload(struct daemon *d, const char **needs_restart, char *err, size_t errlen)
{
	struct config *cfg;
	struct http_site *site, *old;
	struct retired *r;
	struct timeval later;

	if ((cfg = config_load(d->conf_path, err, errlen)) == NULL)
		return 0;
	if (!keep_running_settings(d->started, cfg, needs_restart)) {
		snprintf(err, errlen, "out of memory");
		config_free(cfg);
		return 0;
	}
	if ((site = build_site(d, cfg, d->store, err, errlen)) == NULL) {
		config_free(cfg);
		return 0;
	}
	old = http_server_swap(d->srv, site);
	replace_fetcher(d, cfg, site->ready_ids);
	/* A worker uses the site only within one request's callback: free
	 * the old one once any request begun before the swap is surely
	 * done (and at exit, whatever remains). */
	later.tv_sec = d->cfg->read_timeout + 1;
	later.tv_usec = 0;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->timer = evtimer_new(d->base, free_site_later, r)) == NULL) {
		free(r);
		http_site_free(old); /* out of memory: keep nothing */
	} else {
		r->d = d;
		r->site = old;
		r->next = d->retired;
		d->retired = r;
		evtimer_add(r->timer, &later);
	}
	if (d->cfg != d->started)
		config_free(d->cfg);
	d->cfg = cfg;
	log_info("event=reload cas=%ld configured=%zu", watched_cas(d),
		 cfg->ncas);
	return 1;
}

static void
on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	const char *needs_restart[RESTART_SETTINGS + 1] = {NULL};
	char err[1024];

	(void)fd;
	(void)what;
	if (reload(d, needs_restart, err, sizeof(err))) {
		reload_answer(d, HTTP_RELOADED, NULL, needs_restart, 0);
	} else {
		log_failed("reload_failed", err);
		reload_answer(d, HTTP_RELOAD_FAILED, err, NULL, 0);
	}
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	log_info("event=stopping signal=%d", (int)sig);
	event_base_loopbreak(d->base);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: otzyvd [-c CONFIG] [-f]\n"
		"CONFIG defaults to $OTZYV_CONF, else %s.\n",
		CONFIG_DEFAULT_PATH);
}

static int
run(struct daemon *d)
{
	struct http_server_opts o = {0};
	struct http_site *site;
	struct event *ev_term, *ev_int, *ev_hup;
	static char *default_listen[] = {"127.0.0.1:8080"};
	char err[1024], why[2048];
	enum store_err e;
	int rc;

	/* A test hook left in a service's environment would freeze the
	 * responder's clock: say so where an operator looks. */
	if (getenv("OTZYV_NOW") != NULL)
		log_warn("event=clock_pinned now=\"%s\" reason=\"OTZYV_NOW is "
			 "set\"",
			 log_escape_str(getenv("OTZYV_NOW"), why, sizeof(why)));
	if (!crypto_init(d->cfg->gost, err, sizeof(err))) {
		snprintf(why, sizeof(why), "%s: %s", d->conf_path, err);
		log_failed("start_failed", why);
		return 3;
	}
	raise_nofile(d->cfg->max_connections);
	e = store_open(d->cfg->store_path, (size_t)d->cfg->map_size, 1,
		       &d->store);
	if (e != STORE_OK) {
		snprintf(why, sizeof(why), "%s: %s", d->cfg->store_path,
			 store_strerror(e));
		log_failed("start_failed", why);
		return 4;
	}
	if ((site = build_site(d, d->cfg, d->store, err, sizeof(err))) ==
	    NULL) {
		log_failed("start_failed", err);
		return 3;
	}
	o.listen = d->cfg->nlisten ? d->cfg->listen : default_listen;
	o.nlisten = d->cfg->nlisten ? d->cfg->nlisten : 1;
	o.threads = d->cfg->threads;
	o.max_header = (size_t)d->cfg->max_header;
	o.max_body = (size_t)d->cfg->max_ocsp_request;
	o.max_api_body = (size_t)d->cfg->verify_max_body;
	o.max_batch = d->cfg->verify_max_batch;
	o.timeout = d->cfg->read_timeout;
	o.idle_timeout = d->cfg->idle_timeout;
	o.max_connections = d->cfg->max_connections;
	o.max_keepalive_requests = d->cfg->max_keepalive_requests;
	o.max_age = d->cfg->max_age;
	o.cache_size = (size_t)d->cfg->cache_size;
	o.access_log = d->cfg->access_log;
	o.admin_listen = d->cfg->admin_listen;
	o.verify_threads = d->cfg->verify_threads;
	o.verify_queue = d->cfg->verify_queue;
	d->srv =
	    http_server_new(&o, d->store, &d->metrics, site, err, sizeof(err));
	if (d->srv == NULL) {
		http_site_free(site);
		log_failed("start_failed", err);
		return 4;
	}
	if ((rc = drop_privileges(d->cfg->user, d->cfg->store_path)) != 0)
		return rc;
	if ((d->base = event_base_new()) == NULL)
		return 4;
	ev_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	ev_int = evsignal_new(d->base, SIGINT, on_stop, d);
	ev_hup = evsignal_new(d->base, SIGHUP, on_hup, d);
	d->reload_ev = event_new(d->base, -1, 0, on_hup, d);
	d->fetch_retry = evtimer_new(d->base, retry_fetcher, d);
	signal(SIGPIPE, SIG_IGN);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    d->reload_ev == NULL || d->fetch_retry == NULL ||
	    event_add(ev_term, NULL) || event_add(ev_int, NULL) ||
	    event_add(ev_hup, NULL)) {
		log_error("event=start_failed error=\"cannot set up signals\"");
		return 4;
	}
	/* The fetcher first: once /healthz answers, so does the admin
	 * listener's refresh. */
	replace_fetcher(d, d->cfg, site->ready_ids);
	if (!http_server_start(d->srv)) {
		log_error("event=start_failed error=\"cannot start workers\"");
		return 4;
	}
	log_info("event=start listen=%s threads=%u cas=%ld configured=%zu "
		 "version=%s",
		 o.listen[0], o.threads, watched_cas(d), d->cfg->ncas,
		 PACKAGE_VERSION);
	event_base_dispatch(d->base);
	reload_answer(d, HTTP_RELOAD_STOPPING, NULL, NULL, 1);
	stop_fetcher(d);
	http_server_stop(d->srv, DRAIN_SECONDS);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	log_info("event=stop");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon d;
	char err[1024];
	int ch, rc;

	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.fetch_mu, NULL);
	pthread_mutex_init(&d.reload_mu, NULL);
	d.conf_path = getenv("OTZYV_CONF");
	if (d.conf_path == NULL || *d.conf_path == '\0')
		d.conf_path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'f':
			break; /* always in the foreground, logging to stderr */
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("otzyvd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 3;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 3;
	}
	if ((d.cfg = config_load(d.conf_path, err, sizeof(err))) == NULL) {
		log_failed("start_failed", err);
		return 3;
	}
	d.started = d.cfg;
	rc = run(&d);
	if (d.srv != NULL) {
		struct http_site *site;

		reload_answer(&d, HTTP_RELOAD_STOPPING, NULL, NULL, 1);
		http_server_stop(d.srv, 0); /* no-op when already stopped */
		site = http_server_swap(d.srv, NULL);
		http_server_free(d.srv);
		http_site_free(site);
	}
	stop_fetcher(&d);
	while (d.retired != NULL)
		retire_free(d.retired);
	if (d.reload_ev != NULL)
		event_free(d.reload_ev);
	if (d.fetch_retry != NULL)
		event_free(d.fetch_retry);
	free(d.unfetched);
	if (d.base != NULL)
		event_base_free(d.base);
	store_close(d.store);
	if (d.cfg != d.started)
		config_free(d.cfg);
	config_free(d.started);
	return rc;
}
