/*
 * The fetcher end to end: otzyvd keeping itself current from CRL
 * distribution points and a trusted list served by tests/data/cdp.py, a
 * fault-injecting HTTP server on a loopback port, as people, dashboards
 * and OCSP clients see it: /v1/cas, /crl/ID.crl, /readyz, /metrics, the
 * HTML page, `openssl ocsp`, and the otzyv tool on the same store.
 *
 * Covered:
 *  1. trusted_list_every_ca: a generated list (tests/data/mktsl.sh) of
 *     12 CAs and 18 keys (RSA, ECDSA, GOST 2012-256/512; BOM, CRLF,
 *     wrapped base64; CA 3 terminated; CA 2 key 1's first URL a 404):
 *     every key fresh, OCSP good and revoked for each (Streebog CertIDs
 *     for GOST), the mirror remembered, /crl/ID.crl byte-identical with
 *     its ETag and 304, /metrics read by prometheus_client, the HTML
 *     page rendered by Chromium and read back by OCR.
 *  2. crl_faults: a table of faults on a configured CA that was fresh
 *     (HTTP 404 and 500, refused, hang, slower than the total timeout,
 *     stall, truncation, HTML, wrong signature, another CA's CRL, too
 *     big with and without Content-Length, a redirect loop, rollback,
 *     an expired CRL with a higher number); after each the stored CRL,
 *     the mirror file and OCSP answers are unchanged, the state is
 *     failing with the reason, the next attempt is scheduled (backoff
 *     doubling to retry_max), the metrics say so, and clearing the
 *     fault makes it fresh again. Also: a failing mirror with a second
 *     that answers (and is asked first next time), both failing, 304
 *     Not Modified to a conditional request, a 304 to an unconditional
 *     one for a CA without a CRL, the configured URLs in /v1/cas, a
 *     reload during a transfer, a PEM CRL, a gzip-encoded one, refresh
 *     only on the admin listener; the journal has every failure.
 *  3. trusted_list_faults: with CAs excluded by name and key id, a list
 *     with a lower Версия, the same Версия with other content, a DOCTYPE
 *     with an entity, a list cut mid-element: each refused with a
 *     tsl_failed event, the stored list and the CAs unchanged; [tsl]
 *     sha256 pinning (a wrong pin refuses, the right one accepts a newer
 *     list, journalled with its version, hash and size).
 *  4. stale_then_recovers: nextUpdate passes: stale, tryLater, 503
 *     /readyz naming the CA, `otzyv check` CRITICAL; a new CRL is picked
 *     up by the schedule alone and brings everything back.
 *  5. kill9_during_import: kill -9 while a 1 000 000-entry CRL is
 *     downloaded or imported, four rounds at different moments: after
 *     each restart the store holds the old or the new CRL whole, and
 *     fetching resumes.
 *  6. cli: otzyv fetch (also with [tsl] file), cas, check, dump,
 *     events, import-tsl FILE|URL, with their exit codes.
 *
 * How: each test has a folder, its own cdp.py (port from --port-file)
 * and otzyvd on free loopback ports (main and admin listener) from a
 * generated config; .fini kills both, also after a failed assertion,
 * and both get SIGKILL if the test process dies (PR_SET_PDEATHSIG).
 * Attempts are counted in the daemon's log (one event=fetch_ok or
 * event=fetch_failed line per attempt and CA) and seen in cdp's /_log.
 * retry_min is 10 s, so that no automatic retry races with a case:
 * every attempt is one asked for with POST /v1/admin/refresh. Every
 * wait polls with a deadline (longer under sanitizers).
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common.h"
#include "e2e.h"

/* [fetch] retry_min / retry_max: long enough that nothing is retried
 * on its own while a case runs. */
#define RETRY_MIN 10
#define RETRY_MAX 40

/* [ca one] max_crl_size, and what the "big" fault sends. */
#define ONE_LIMIT 65536
#define BIG_BYTES (20 * 1024 * 1024)

/* ---- this test's processes and files ------------------------------------ */

static char *dir;	   /* the test's folder */
static char www[1024];	   /* DIR/www: what cdp.py serves */
static char conf[1024];	   /* DIR/otzyv.conf */
static char logpath[1024]; /* DIR/otzyvd.log: every daemon's stderr */
static char gostcnf[1024]; /* DIR/gost.cnf: openssl with the gost engine */
static pid_t dpid = -1, cpid = -1;
static int dport, aport, cport; /* main, admin, cdp */
static char *dextra;		/* the config after the generated head */
static long log_mark;		/* log size when the daemon was started */

static void
setup(void)
{
	FILE *f;

	dir = tmpdir_new("fetch");
	snprintf(www, sizeof(www), "%s/www", dir);
	snprintf(conf, sizeof(conf), "%s/otzyv.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/otzyvd.log", dir);
	snprintf(gostcnf, sizeof(gostcnf), "%s/gost.cnf", dir);
	cr_assert_eq(mkdir(www, 0755), 0);
	/* openssl ocsp has no -engine option: the engine comes from a
	 * config file, so that -md_gost12_256 makes Streebog CertIDs. */
	f = fopen(gostcnf, "w");
	cr_assert_not_null(f);
	fputs("openssl_conf = openssl_def\n[openssl_def]\n"
	      "engines = engine_section\n[engine_section]\n"
	      "gost = gost_section\n[gost_section]\n"
	      "default_algorithms = ALL\n",
	      f);
	cr_assert_eq(fclose(f), 0);
	dpid = cpid = -1;
	dextra = NULL;
	log_mark = 0;
}

static void
teardown(void)
{
	stop(&dpid, SIGKILL);
	stop(&cpid, SIGTERM);
	free(dextra);
	dextra = NULL;
	tmpdir_remove(dir);
	dir = NULL;
}

TestSuite(fetch, .init = setup, .fini = teardown, .timeout = 120 * SLOW);

/* The daemon's log from byte `from` (malloc'd, "" when unreadable). */
static char *
log_from(long from)
{
	size_t len = 0;
	uint8_t *b = read_file(logpath, &len);
	char *s;

	if (b == NULL)
		return strdup("");
	if (from < 0 || (size_t)from > len)
		from = 0;
	s = strndup((char *)b + from, len - (size_t)from);
	free(b);
	cr_assert_not_null(s);
	return s;
}

/* How often `needle` is in the daemon's log, all starts included. */
static int
count_log(const char *needle)
{
	char *all = log_from(0);
	const char *p = all;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(all);
	return n;
}

/* 1 when s contains one of the '|'-separated alternatives. */
static int
has_any(const char *s, const char *alts)
{
	char buf[512], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", alts);
	for (tok = strtok_r(buf, "|", &save); tok != NULL;
	     tok = strtok_r(NULL, "|", &save))
		if (strstr(s, tok) != NULL)
			return 1;
	return 0;
}

static void
sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	int i;

	cr_assert_eq(EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* An RFC 3339 UTC time ("2026-01-10T00:00:00Z") as Unix seconds; -1. */
static long long
parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    strcmp(end, "Z") != 0)
		return -1;
	return (long long)timegm(&tm);
}

/* ---- processes ----------------------------------------------------------- */

/* ---- HTTP/1.1 client (one request per connection) ------------------------ */

/*
 * METHOD path on 127.0.0.1:port with "Connection: close", extra header
 * lines `hdrs` ("Name: value\r\n"...) and a body; reads to the end
 * (at most 30 s), the body cut at its Content-Length. 1 with a complete
 * response in r, 0 otherwise.
 */
static int
http(int port, const char *method, const char *path, const char *hdrs,
     const char *body, struct resp *r)
{
	struct req q = {.port = port,
			.method = method,
			.path = path,
			.hdrs = hdrs,
			.body = body,
			.len = body ? strlen(body) : 0,
			.timeout_ms = 30000 * SLOW};
	const char *cl;

	if (!http_ask(&q, r))
		return 0;
	if ((cl = resp_header(r, "Content-Length")) != NULL &&
	    strtoull(cl, NULL, 10) < r->len) {
		r->len = strtoull(cl, NULL, 10);
		r->body[r->len] = '\0';
	}
	return 1;
}

/* The status of GET path on the daemon, -1 without an answer. */
static int
get_code(const char *path)
{
	struct resp r;
	int code = http(dport, "GET", path, NULL, NULL, &r) ? r.code : -1;

	resp_free(&r);
	return code;
}

static json_t *
get_json(int port, const char *path)
{
	struct resp r;
	json_error_t je;
	json_t *j;

	cr_assert(http(port, "GET", path, NULL, NULL, &r),
		  "GET %s on port %d: no answer\n%s", path, port,
		  tail_of(logpath));
	cr_assert_eq(r.code, 200, "GET %s: HTTP %d, expected 200:\n%s", path,
		     r.code, r.body);
	j = json_loadb((char *)r.body, r.len, 0, &je);
	cr_assert_not_null(j, "GET %s: not JSON (%s):\n%s", path, je.text,
			   r.body);
	resp_free(&r);
	return j;
}

/* ---- cdp.py -------------------------------------------------------------- */

/* Starts cdp.py serving www; waits for its port file (10 s). */
static void
cdp_start(void)
{
	char script[1024], portfile[1024], out[1024];
	char *argv[] = {"python3",     script,	 "--root", www,
			"--port-file", portfile, NULL};
	double end = now_ms() + 10000.0 * SLOW;

	snprintf(script, sizeof(script), "%s/data/cdp.py",
		 env_path("TESTS_SRCDIR"));
	snprintf(portfile, sizeof(portfile), "%s/cdp.port", dir);
	snprintf(out, sizeof(out), "%s/cdp.log", dir);
	cpid = spawn(argv, out);
	for (;;) {
		size_t len;
		uint8_t *b = read_file(portfile, &len);

		cport = b ? atoi((char *)b) : 0;
		free(b);
		if (cport > 0)
			return;
		if (waitpid(cpid, NULL, WNOHANG) == cpid) {
			cpid = -1;
			cr_assert_fail("cdp.py exited; see %s", out);
		}
		cr_assert(now_ms() < end, "cdp.py wrote no port in 10 s");
		sleep_ms(20);
	}
}

static void
cdp_post(const char *path, const char *body)
{
	struct resp r;

	cr_assert(http(cport, "POST", path, NULL, body, &r),
		  "cdp POST %s: no answer", path);
	cr_assert_eq(r.code, 200, "cdp POST %s %s: HTTP %d %s", path, body,
		     r.code, r.body);
	resp_free(&r);
}

/* POST /_fault with {"path": path, ...spec}; spec is JSON members. */
static void
cdp_fault(const char *path, const char *spec)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"path\": \"%s\", %s}", path, spec);
	cdp_post("/_fault", body);
}

static void
cdp_serve(const char *path, const char *file)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "\"mode\": \"serve\", \"file\": \"%s\"",
		 file);
	cdp_fault(path, spec);
}

/* The requests cdp served for `path` (exactly, query included, or
 * any query when path ends in '?'), oldest first: a new array. */
static json_t *
cdp_requests(const char *path)
{
	json_t *log = get_json(cport, "/_log"), *out = json_array(), *e;
	size_t i, n = strlen(path);

	json_array_foreach(log, i, e)
	{
		const char *p = jstr(e, "path");

		if (path[n - 1] == '?' ? strncmp(p, path, n - 1) == 0
				       : strcmp(p, path) == 0)
			json_array_append(out, e);
	}
	json_decref(log);
	return out;
}

/* The URL of path on cdp (rotating static buffers). */
static const char *
cdp_url(const char *path)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "http://127.0.0.1:%d%s", cport, path);
	return b;
}

/* ---- test data ----------------------------------------------------------- */

/* A CRL of the test PKI's ALG-ca: number, nextUpdate in `valid`
 * seconds, 0x2002 revoked (keyCompromise), more gencrl options. */
static void
make_crl(const char *alg, const char *path, unsigned number, long long valid,
	 const char *more)
{
	long long now = (long long)time(NULL);

	cr_assert_eq(gencrl(alg, path,
			    "--number %u --this-update @%lld "
			    "--next-update @%lld "
			    "--entry 2002,@%lld,keyCompromise %s",
			    number, now - 3600, now + valid, now - 7200,
			    more ? more : ""),
		     0, "gencrl %s %s failed", alg, path);
}

/* mktsl.sh: n CAs with their CRLs and tsl.xml in www, served by cdp. */
static void
make_tsl(int n)
{
	char *out = NULL;

	cr_assert_eq(sh(&out, "GENCRL='%s' sh '%s/data/mktsl.sh' '%s' '%s' %d",
			env_path("GENCRL"), env_path("TESTS_SRCDIR"), www,
			cdp_url(""), n),
		     0, "mktsl.sh failed:\n%s", out);
	free(out);
}

/* ---- the daemon ---------------------------------------------------------- */

static void set_extra(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
set_extra(const char *fmt, ...)
{
	va_list ap;

	free(dextra);
	va_start(ap, fmt);
	cr_assert(vasprintf(&dextra, fmt, ap) >= 0);
	va_end(ap);
}

/* The config: listeners on dport/aport, the store in DIR, the test
 * PKI's rsa-ocsp as the default responder, the [fetch] limits of the
 * tests, then dextra. */
static void
conf_write(void)
{
	const char *p = test_pki();
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"; generated by test_fetch\n"
		"[server]\nlisten = 127.0.0.1:%d\nadmin_listen = "
		"127.0.0.1:%d\nthreads = 2\n\n"
		"[store]\npath = %s/store\nmap_size = 4G\n\n"
		"[crypto]\ngost = yes\n\n"
		"[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		"stale = trylater\nstale_grace = 0\n\n"
		"[fetch]\ninterval = 10m\ntimeout = 4s\nconnect_timeout = 2s\n"
		"low_speed_limit = 1K\nlow_speed_time = 2s\n"
		"max_redirects = 3\nconcurrency = 4\n"
		"retry_min = %ds\nretry_max = %ds\n\n%s",
		dport, aport, dir, p, p, RETRY_MIN, RETRY_MAX,
		dextra ? dextra : "");
	cr_assert_eq(fclose(f), 0);
}

/* 1 once the daemon started since log_mark has its fetcher running:
 * it starts after the HTTP workers (and looks at left-over spool files
 * first), and until then POST /v1/admin/refresh answers 503. */
static int
fetcher_started(void)
{
	char *log = log_from(log_mark);
	int yes = strstr(log, "event=fetch_start ") != NULL;

	free(log);
	return yes;
}

/* 1 once /healthz says 200 and the fetcher runs. */
static int
is_up(void)
{
	return get_code("/healthz") == 200 && fetcher_started();
}

/* New free ports, and the configuration for them; the log read from
 * here on. */
static void
daemon_setup(void)
{
	struct stat st;

	dport = free_loopback_port();
	do
		aport = free_loopback_port();
	while (aport == dport);
	conf_write();
	log_mark = stat(logpath, &st) == 0 ? (long)st.st_size : 0;
}

/* Starts otzyvd and waits for /healthz and for its fetcher. */
static void
daemon_start(void)
{
	dpid = otzyvd_start(conf, logpath, daemon_setup, is_up);
}

/* (Under ASan, LeakSanitizer checks the exit: leaks of the fetch paths
 * the test went through show in the log.) */
static void
daemon_stop_clean(void)
{
	otzyvd_stop_clean(&dpid, logpath);
}

/* POST path on the admin listener: the status, body into *out. */
static int
admin_post(const char *path, char **out)
{
	struct resp r;
	int code;

	cr_assert(http(aport, "POST", path, NULL, NULL, &r),
		  "admin POST %s: no answer\n%s", path, tail_of(logpath));
	code = r.code;
	if (out != NULL)
		*out = strdup((char *)r.body);
	resp_free(&r);
	return code;
}

/* POST /v1/admin/refresh[?ca=NAME]: 202. */
static void
refresh(const char *ca)
{
	char path[512], *body = NULL;
	int code;

	snprintf(path, sizeof(path), "/v1/admin/refresh%s%s", ca ? "?ca=" : "",
		 ca ? ca : "");
	code = admin_post(path, &body);
	cr_assert_eq(code, 202, "POST %s: HTTP %d, expected 202: %s", path,
		     code, body);
	assert_has(body, "refreshing");
	free(body);
}

/* POST /v1/admin/reload after rewriting the config: answered once the
 * reload ran, and with `says` in the answer (NULL: anything). */
static void
reload_saying(const char *says)
{
	int before = count_log("event=reload ");
	char *body = NULL;
	int code;

	conf_write();
	code = admin_post("/v1/admin/reload", &body);
	cr_assert_eq(code, 200, "POST /v1/admin/reload: HTTP %d: %s\n%s", code,
		     body, tail_of(logpath));
	assert_has(body, "\"reloaded\":true");
	if (says != NULL)
		assert_has(body, says);
	free(body);
	cr_assert_gt(count_log("event=reload "), before,
		     "answered before the reload ran:\n%s", tail_of(logpath));
}

static void
reload(void)
{
	reload_saying(NULL);
}

/* Fetch attempts of the CA named `name` that have ended, so far. */
static int
attempts(const char *name)
{
	char ok[256], failed[256];

	snprintf(ok, sizeof(ok), "event=fetch_ok ca=\"%s\" ", name);
	snprintf(failed, sizeof(failed), "event=fetch_failed ca=\"%s\" ", name);
	return count_log(ok) + count_log(failed);
}

/* Refreshes CA `name` and waits until one more attempt of it ended. */
static void
refresh_wait(const char *name)
{
	int before = attempts(name);
	double end = now_ms() + 30000.0 * SLOW;

	refresh(name);
	while (attempts(name) <= before) {
		cr_assert(now_ms() < end,
			  "no attempt of %s ended in 30 s after a refresh:\n%s",
			  name, tail_of(logpath));
		sleep_ms(20);
	}
}

/* The CA in /v1/cas with `field` equal to value ("subject": starting
 * with it); a borrowed reference into doc, or NULL. */
static json_t *
find_ca(json_t *doc, const char *field, const char *value)
{
	json_t *ca;
	size_t i;

	json_array_foreach(json_object_get(doc, "cas"), i, ca)
	{
		const char *v = jstr(ca, field);

		if (strcmp(field, "subject") == 0
			? strncmp(v, value, strlen(value)) == 0
			: strcmp(v, value) == 0)
			return ca;
	}
	return NULL;
}

static int
ca_id(const char *field, const char *value)
{
	json_t *doc = get_json(dport, "/v1/cas"), *ca;
	int id;

	ca = find_ca(doc, field, value);
	cr_assert_not_null(ca, "no CA with %s \"%s\" in /v1/cas:\n%s", field,
			   value, jdump(doc));
	id = (int)jint(ca, "id");
	json_decref(doc);
	return id;
}

static json_t *
ca_get(int id)
{
	char path[64];

	snprintf(path, sizeof(path), "/v1/cas/%d", id);
	return get_json(dport, path);
}

/* Waits (at most `secs`) until CA id is in `state`; returns it. */
static json_t *
wait_state(int id, const char *state, int secs)
{
	double end = now_ms() + secs * 1000.0 * SLOW;

	for (;;) {
		json_t *ca = ca_get(id);

		if (strcmp(jstr(ca, "state"), state) == 0)
			return ca;
		cr_assert(now_ms() < end, "CA %d not %s in %d s:\n%s\n%s", id,
			  state, secs, jdump(ca), tail_of(logpath));
		json_decref(ca);
		sleep_ms(100);
	}
}

/* ---- clients ------------------------------------------------------------- */

/* openssl ocsp against the daemon for issuer (a PEM path) of `alg`
 * (GOST: Streebog CertIDs), trusting the default responder; `what` is
 * -cert/-serial options. Output in *out; exit status. */
static int
ocsp(char **out, const char *issuer, const char *alg, const char *what)
{
	const char *md = strcmp(alg, "gost256") == 0   ? "-md_gost12_256"
			 : strcmp(alg, "gost512") == 0 ? "-md_gost12_512"
						       : "";

	return sh(out,
		  "OPENSSL_CONF='%s' openssl ocsp -issuer '%s' %s %s -url "
		  "'http://127.0.0.1:%d/' -VAfile '%s/rsa-ocsp.pem' -resp_text",
		  gostcnf, issuer, md, what, dport, test_pki());
}

/* OCSP says good for serial 0x1001 and revoked for 0x2002 of ALG-ca. */
static void
assert_ocsp_pki(const char *alg, const char *when)
{
	char issuer[1024], *out = NULL;
	int rc;

	snprintf(issuer, sizeof(issuer), "%s/%s-ca.pem", test_pki(), alg);
	rc = ocsp(&out, issuer, alg, "-serial 0x1001 -serial 0x2002");
	cr_assert_eq(rc, 0, "%s: openssl ocsp failed:\n%s", when, out);
	cr_assert(
	    strstr(out, "Response verify OK") && strstr(out, "0x1001: good") &&
		strstr(out, "0x2002: revoked"),
	    "%s: expected 0x1001 good and 0x2002 revoked:\n%s", when, out);
	free(out);
}

/* Runs the otzyv tool on the config; exit status, output in *out. */
static int otzyv(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
otzyv(char **out, const char *fmt, ...)
{
	va_list ap;
	char *args;
	int rc;

	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	rc = sh(out, "'%s' -c '%s' %s", env_path("OTZYV_BIN"), conf, args);
	free(args);
	return rc;
}

/* The journal's events of `type` (and issuer id, unless 0), oldest
 * first: a new array. */
static json_t *
events(const char *type, int issuer)
{
	char *out = NULL, *line, *save = NULL;
	json_t *all = json_array();
	int rc = otzyv(&out, "events");

	cr_assert_eq(rc, 0, "otzyv events: exit %d:\n%s", rc, out);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);

		if (e != NULL && strcmp(jstr(e, "type"), type) == 0 &&
		    (issuer == 0 || jint(e, "issuer") == issuer))
			json_array_append(all, e);
		json_decref(e);
	}
	free(out);
	return all;
}

/* GET /crl/ID.crl: the body (malloc'd, length in *len) and ETag. */
static uint8_t *
get_crl(int id, size_t *len, char etag[80])
{
	char path[64];
	struct resp r;
	const char *et;
	uint8_t *b;

	snprintf(path, sizeof(path), "/crl/%d.crl", id);
	cr_assert(http(dport, "GET", path, NULL, NULL, &r), "GET %s", path);
	cr_assert_eq(r.code, 200, "GET %s: HTTP %d, expected 200: %s", path,
		     r.code, r.body);
	cr_assert_str_eq(resp_header(&r, "Content-Type"),
			 "application/pkix-crl", "GET %s", path);
	et = resp_header(&r, "ETag");
	snprintf(etag, 80, "%s", et ? et : "");
	b = r.body;
	*len = r.len;
	return b;
}

/* ---- 1. a trusted list of 12 CAs ----------------------------------------- */

/* cas.tsv of mktsl.sh, one row per key. */
struct key_row {
	int ca, key;
	char alg[16], name[32], cert[64], good[64], revoked[64], crl[64];
	char url1[256], url2[256];
};

static int
read_manifest(struct key_row *rows, int max)
{
	char path[1100], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cas.tsv", www);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_not_null(fgets(line, sizeof(line), f)); /* the header */
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		struct key_row *k = &rows[n];

		cr_assert_eq(sscanf(line,
				    "%d\t%d\t%15[^\t]\t%31[^\t]\t%63[^\t]\t%*"
				    "[^\t]\t%63[^\t]\t%63[^\t]\t%63[^\t]\t%"
				    "255[^\t]\t%255[^\t\n]",
				    &k->ca, &k->key, k->alg, k->name, k->cert,
				    k->good, k->revoked, k->crl, k->url1,
				    k->url2),
			     10, "cas.tsv: %s", line);
		n++;
	}
	fclose(f);
	return n;
}

/* Waits until counts.fresh is n, the list's version is `version`, and
 * every fresh CA's fetch is recorded. */
static void
wait_all_fresh(int n, int version, int secs)
{
	double end = now_ms() + secs * 1000.0 * SLOW;

	for (;;) {
		json_t *doc = get_json(dport, "/v1/cas"), *ca;
		int ok = jint(doc, "counts.fresh") == n &&
			 jint(doc, "tsl.version") == version;
		size_t i;

		/* A CRL is stored before its fetch is recorded (two
		 * transactions): wait for both. */
		json_array_foreach(json_object_get(doc, "cas"), i, ca)
		{
			if (strcmp(jstr(ca, "state"), "fresh") == 0 &&
			    json_is_null(jget(ca, "fetch.last_success")))
				ok = 0;
		}

		if (ok) {
			json_decref(doc);
			return;
		}
		cr_assert(now_ms() < end,
			  "not %d CAs fresh from list version %d in %d s:\n"
			  "%s\n%s",
			  n, version, secs, jdump(doc), tail_of(logpath));
		json_decref(doc);
		sleep_ms(200);
	}
}

/* The python3 that has prometheus_client (pyenv's may not). */
static const char *
python_with_prometheus(void)
{
	static const char *const cands[] = {"python3", "/usr/bin/python3"};
	size_t i;

	for (i = 0; i < 2; i++)
		if (run("%s -c 'import prometheus_client' 2>/dev/null",
			cands[i]) == 0)
			return cands[i];
	return NULL;
}

static const char PY_METRICS[] =
    "import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))\n"
    "entries = set(); fresh = set()\n"
    "for f in fams:\n"
    "    for s in f.samples:\n"
    "        if s.name == 'otzyv_crl_entries' and s.value == 1:\n"
    "            entries.add(s.labels['issuer'])\n"
    "        if (s.name == 'otzyv_ca_state' and s.labels['state'] == "
    "'fresh'\n"
    "                and s.value == 1):\n"
    "            fresh.add(s.labels['issuer'])\n"
    "print('families=%d entries1=%d fresh=%d' % (len(fams), len(entries),\n"
    "      len(fresh)))\n";

static void
check_metrics(int n)
{
	const char *py = python_with_prometheus();
	char path[1100], want[64], *out = NULL;
	struct resp r;

	if (py == NULL) {
		cr_log_warn("python3 prometheus_client missing: /metrics not "
			    "parsed");
		return;
	}
	cr_assert(http(dport, "GET", "/metrics", NULL, NULL, &r));
	cr_assert_eq(r.code, 200);
	snprintf(path, sizeof(path), "%s/metrics.txt", dir);
	cr_assert(write_file(path, r.body, r.len));
	resp_free(&r);
	snprintf(want, sizeof(want), "%s/metrics.py", dir);
	cr_assert(write_file(want, PY_METRICS, strlen(PY_METRICS)));
	cr_assert_eq(sh(&out, "%s '%s' '%s'", py, want, path), 0,
		     "prometheus_client could not parse /metrics:\n%s", out);
	snprintf(want, sizeof(want), "entries1=%d fresh=%d", n, n);
	assert_has(out, want);
	free(out);
}

/* The page is self-contained: no script, no external resource, a
 * refresh; every sort order answers with every CA. */
static void
check_html(int n)
{
	static const char *const sorts[] = {"", "?sort=state", "?sort=name",
					    "?sort=id", "?sort=age"};
	size_t i;

	for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		char path[64];
		const char *b, *ct;
		struct resp r;
		int fresh = 0;

		snprintf(path, sizeof(path), "/%s", sorts[i]);
		cr_assert(http(dport, "GET", path, NULL, NULL, &r));
		cr_assert_eq(r.code, 200, "GET %s: HTTP %d", path, r.code);
		ct = resp_header(&r, "Content-Type");
		cr_assert(ct && strncmp(ct, "text/html", 9) == 0, "%s", path);
		b = (const char *)r.body;
		cr_assert(strcasestr(b, "<script") == NULL &&
			      strcasestr(b, "src=\"http") == NULL &&
			      strcasestr(b, "href=\"http") == NULL,
			  "GET %s: a script or an external resource:\n%s", path,
			  b);
		cr_assert_not_null(strcasestr(b, "http-equiv=\"refresh\""),
				   "GET %s: no auto-refresh", path);
		/* One badge per CA, and one in the summary. */
		while ((b = strstr(b, "st-fresh\">fresh<")) != NULL) {
			fresh++;
			b++;
		}
		cr_assert_eq(fresh, n + 1,
			     "GET %s: %d fresh badges, expected one for each "
			     "of %d CAs and the summary's",
			     path, fresh, n);
		resp_free(&r);
	}
}

/* The HTML page rendered by Chromium and read back by OCR shows every
 * name "Test CA 1".."Test CA n". OCR sometimes drops the space in
 * "CA 2": such names are accepted when "Test CA2" (not followed by a
 * digit) was read, with a warning in the log. */
static void
check_page(int n)
{
	char names[2048] = "", shot[1100], *out = NULL, *ocr;
	int i, rc, len = 0;

	for (i = 1; i <= n; i++)
		len += snprintf(names + len, sizeof(names) - (size_t)len,
				" 'Test CA %d'", i);
	snprintf(shot, sizeof(shot), "%s/page.png", dir);
	rc = sh(&out, "sh '%s/data/pageshot.sh' 'http://127.0.0.1:%d/' '%s'%s",
		env_path("TESTS_SRCDIR"), dport, shot, names);
	if (rc == 77) {
		cr_log_warn("pageshot.sh skipped (no chromium or tesseract): "
			    "%s",
			    out);
		free(out);
		return;
	}
	if (rc != 0) {
		cr_assert_eq(rc, 1, "pageshot.sh failed (%d):\n%s", rc, out);
		ocr = strstr(out, "OCR text was: ");
		cr_assert_not_null(ocr, "pageshot.sh:\n%s", out);
		for (i = 1; i <= n; i++) {
			char name[32], squeezed[32];
			const char *p;
			int seen = 0;

			snprintf(name, sizeof(name),
				 "not on the page: Test "
				 "CA %d\n",
				 i);
			if (strstr(out, name) == NULL)
				continue;
			snprintf(squeezed, sizeof(squeezed), "Test CA%d", i);
			for (p = ocr; (p = strcasestr(p, squeezed)) != NULL;
			     p++)
				if (p[strlen(squeezed)] < '0' ||
				    p[strlen(squeezed)] > '9')
					seen = 1;
			cr_assert(seen,
				  "the status page (%s) does not show "
				  "\"Test CA %d\":\n%s",
				  shot, i, out);
			cr_log_warn("OCR read \"Test CA %d\" as \"%s\"", i,
				    squeezed);
		}
	}
	free(out);
}

Test(fetch, trusted_list_every_ca, .timeout = 150 * SLOW)
{
	struct key_row rows[32];
	json_t *doc;
	int n, i, terminated = 0;

	cdp_start();
	make_tsl(12);
	n = read_manifest(rows, 32);
	cr_assert_eq(n, 18, "12 CAs with 18 keys expected in cas.tsv");
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\n", cdp_url("/tsl.xml"));
	daemon_start();
	wait_all_fresh(18, 100, 30);

	doc = get_json(dport, "/v1/cas");
	cr_assert_eq(jint(doc, "counts.failing") + jint(doc, "counts.stale") +
			 jint(doc, "counts.never_fetched"),
		     0, "only fresh CAs expected:\n%s", jdump(doc));
	for (i = 0; i < n; i++) {
		const struct key_row *k = &rows[i];
		char subject[64], what[2600], path[1100], hex[65], etag[80];
		char *out = NULL;
		json_t *ca;
		uint8_t *served, *mirror;
		size_t slen, mlen;
		struct resp r;
		long long next;
		int id, rc;

		snprintf(subject, sizeof(subject), "CN=Test CA %d key %d,",
			 k->ca, k->key);
		ca = find_ca(doc, "subject", subject);
		cr_assert_not_null(ca, "no CA %s in /v1/cas", subject);
		id = (int)jint(ca, "id");
		cr_assert_str_eq(jstr(ca, "state"), "fresh", "%s", jdump(ca));
		cr_assert_str_eq(jstr(ca, "short_name"), k->name);
		cr_assert_eq(jint(ca, "crl.entries"), 1, "%s", jdump(ca));
		cr_assert_eq(jint(ca, "fetch.failures"), 0);
		next = parse_time(jstr(ca, "fetch.next"));
		cr_assert(next > time(NULL) && next <= time(NULL) + 600,
			  "the next fetch within [fetch] interval:\n%s",
			  jdump(ca));

		/* The URL that answered: the first, except for CA 2 key 1
		 * whose first is missing and whose mirror must answer. */
		if (k->ca == 2 && k->key == 1) {
			cr_assert_str_eq(jstr(ca, "fetch.url"), k->url2,
					 "CA 2 key 1: the mirror answered:\n%s",
					 jdump(ca));
			cr_assert_str_eq(jstr(ca, "crl.url"), k->url2);
		} else {
			cr_assert_str_eq(jstr(ca, "fetch.url"), k->url1, "%s",
					 jdump(ca));
		}
		if (k->ca == 3) {
			cr_assert_str_eq(jstr(ca, "accreditation.status"),
					 "Прекращена", "%s", jdump(ca));
			terminated++;
		}

		/* OCSP for both certificates of the key. */
		snprintf(what, sizeof(what), "-cert '%s/%s' -cert '%s/%s'", www,
			 k->good, www, k->revoked);
		snprintf(path, sizeof(path), "%s/%s", www, k->cert);
		rc = ocsp(&out, path, k->alg, what);
		cr_assert_eq(rc, 0, "%s: openssl ocsp:\n%s", subject, out);
		assert_has(out, "Response verify OK");
		snprintf(what, sizeof(what), "%s: good", k->good);
		assert_has(out, what);
		snprintf(what, sizeof(what), "%s: revoked", k->revoked);
		assert_has(out, what);
		free(out);

		/* The mirror endpoint: the very bytes served, ETag, 304. */
		served = get_crl(id, &slen, etag);
		snprintf(path, sizeof(path), "%s/%s", www, k->crl);
		mirror = read_file(path, &mlen);
		cr_assert_not_null(mirror);
		cr_assert(slen == mlen && memcmp(served, mirror, slen) == 0,
			  "%s: /crl/%d.crl differs from %s", subject, id,
			  k->crl);
		sha256_hex(mirror, mlen, hex);
		cr_assert_str_eq(jstr(ca, "crl.sha256"), hex);
		snprintf(what, sizeof(what), "\"%s\"", hex);
		cr_assert_str_eq(etag, what, "/crl/%d.crl ETag", id);
		snprintf(what, sizeof(what), "If-None-Match: %s\r\n", etag);
		snprintf(path, sizeof(path), "/crl/%d.crl", id);
		cr_assert(http(dport, "GET", path, what, NULL, &r));
		cr_assert_eq(r.code, 304, "%s with If-None-Match: HTTP %d",
			     path, r.code);
		resp_free(&r);
		free(served);
		free(mirror);
	}
	cr_assert_eq(terminated, 2, "both keys of CA 3 (terminated)");
	json_decref(doc);
	/* The missing first URL of CA 2 key 1 was asked, and said 404. */
	doc = cdp_requests("/missing/ca2-1.crl");
	cr_assert_geq(json_array_size(doc), 1);
	cr_assert_eq(jint(json_array_get(doc, 0), "status"), 404);
	json_decref(doc);

	cr_assert_eq(get_code("/readyz"), 200, "every listed CA fresh: ready");
	check_metrics(18);
	check_html(18);
	check_page(12);
	daemon_stop_clean();
}

/* ---- 2. faults on a configured CA ---------------------------------------- */

/*
 * [ca one] (ecdsa-ca) fetches /one.crl, at most 64K; [ca two] (rsa-ca)
 * has the mirrors /two/a.crl and /two/b.crl. What [ca one] has stored:
 */
static int one_id, two_id;
static char one_url[256];
static struct {
	char sha256[65], number[64];
	uint8_t *der;
	size_t len;
	long long bytes_total; /* fetch.bytes_total then */
} one;

static void
fault_conf(void)
{
	const char *p = test_pki();

	set_extra("[ca one]\ncert = %s/ecdsa-ca.pem\ncrl = %s\n"
		  "max_crl_size = 64K\n\n"
		  "[ca two]\ncert = %s/rsa-ca.pem\ncrl = %s\ncrl = %s\n\n"
		  "[ca three]\ncert = %s/gost512-ca.pem\ncrl = %s\n",
		  p, one_url, p, cdp_url("/two/a.crl"), cdp_url("/two/b.crl"),
		  p, cdp_url("/three.crl"));
}

/* [ca one] is fresh, without failures: remember its CRL. */
static void
one_remember(const char *when)
{
	json_t *ca = ca_get(one_id);
	char etag[80], hex[65];

	cr_assert_str_eq(jstr(ca, "state"), "fresh", "%s:\n%s\n%s", when,
			 jdump(ca), tail_of(logpath));
	cr_assert_eq(jint(ca, "fetch.failures"), 0, "%s", when);
	/* A success heals the error, also one that brought nothing new
	 * (after most faults the CRL comes back as a 304). */
	cr_assert(json_is_null(jget(ca, "last_error")),
		  "%s: last_error outlived a success:\n%s", when, jdump(ca));
	snprintf(one.sha256, sizeof(one.sha256), "%s", jstr(ca, "crl.sha256"));
	snprintf(one.number, sizeof(one.number), "%s", jstr(ca, "crl.number"));
	one.bytes_total = jint(ca, "fetch.bytes_total");
	free(one.der);
	one.der = get_crl(one_id, &one.len, etag);
	sha256_hex(one.der, one.len, hex);
	cr_assert_str_eq(hex, one.sha256, "%s: /crl/ID.crl is the stored CRL",
			 when);
	json_decref(ca);
}

/* 1 when /readyz names CA `name` among its reasons. */
static int
ready_names(const char *when, const char *name)
{
	json_t *rd, *e;
	struct resp r;
	size_t i;
	int found = 0;

	cr_assert(http(dport, "GET", "/readyz", NULL, NULL, &r), "%s", when);
	rd = json_loads((char *)r.body, 0, NULL);
	cr_assert_not_null(rd, "%s: /readyz: %s", when, r.body);
	cr_assert(r.len > 0 && r.body[r.len - 1] == '\n',
		  "%s: /readyz does not end its line", when);
	resp_free(&r);
	json_array_foreach(jget(rd, "reasons"), i, e)
	{
		found |= strcmp(jstr(e, "ca"), name) == 0;
	}
	json_decref(rd);
	return found;
}

/* The stored CRL of [ca one] is still the remembered one, served as
 * such, and OCSP answers from it. */
static void
one_unchanged(const char *when, json_t *ca)
{
	uint8_t *b;
	size_t len;
	char etag[80];

	cr_assert_str_eq(jstr(ca, "crl.sha256"), one.sha256,
			 "%s: the stored CRL changed:\n%s", when, jdump(ca));
	cr_assert_str_eq(jstr(ca, "crl.number"), one.number, "%s", when);
	b = get_crl(one_id, &len, etag);
	cr_assert(len == one.len && memcmp(b, one.der, len) == 0,
		  "%s: /crl/%d.crl is not the last good CRL", when, one_id);
	free(b);
	cr_assert(!ready_names(when, "one"),
		  "%s: a failing CA with a valid CRL is still ready", when);
	assert_ocsp_pki("ecdsa", when);
}

/* After a second refresh of a fault: the backoff doubles from
 * retry_min up to retry_max (less up to a tenth of jitter). */
static void
check_backoff(void)
{
	static const int want[] = {2 * RETRY_MIN, 4 * RETRY_MIN, RETRY_MAX};
	size_t i;

	for (i = 0; i < 3; i++) {
		json_t *ca;
		long long gap;

		refresh_wait("one");
		ca = ca_get(one_id);
		gap = parse_time(jstr(ca, "fetch.next")) -
		      parse_time(jstr(ca, "fetch.last_attempt"));
		cr_assert_eq(jint(ca, "fetch.failures"), (long long)i + 2, "%s",
			     jdump(ca));
		cr_assert(gap <= want[i] && gap >= want[i] - want[i] / 10 - 1,
			  "after %zu failures the next attempt is due in "
			  "%lld s, expected %d s less jitter:\n%s",
			  i + 2, gap, want[i], jdump(ca));
		json_decref(ca);
	}
}

static char closed_url[256];

static void
point_to_closed_port(void)
{
	snprintf(closed_url, sizeof(closed_url), "http://127.0.0.1:%d/one.crl",
		 free_loopback_port());
	snprintf(one_url, sizeof(one_url), "%s", closed_url);
	fault_conf();
	reload();
}

static void
point_back(void)
{
	snprintf(one_url, sizeof(one_url), "%s", cdp_url("/one.crl"));
	fault_conf();
	reload();
}

/* The download was cut off at the limit: cdp sent far less than the
 * 20 MiB, and the spool never held more than the limit. */
static void
check_cut_off(void)
{
	double end = now_ms() + 5000.0 * SLOW;
	long long sent = -1, prev = -2;
	char spool[1100];
	struct stat st;
	json_t *ca = ca_get(one_id);

	cr_assert_leq(jint(ca, "fetch.bytes_total") - one.bytes_total,
		      ONE_LIMIT, "the daemon took more than the limit:\n%s",
		      jdump(ca));
	json_decref(ca);

	/* cdp's count stops once the daemon has gone away. */
	while (sent != prev) {
		json_t *reqs = cdp_requests("/one.crl");
		json_t *last = json_array_get(reqs, json_array_size(reqs) - 1);

		cr_assert_str_eq(jstr(last, "fault"), "big");
		prev = sent;
		sent = jint(last, "sent");
		json_decref(reqs);
		cr_assert(now_ms() < end, "cdp still sending");
		sleep_ms(300);
	}
	cr_log_info("  cdp sent %lld bytes", sent);
	cr_assert_lt(sent, 8 * 1024 * 1024,
		     "the daemon read %lld bytes of a %d-byte body with a "
		     "limit of %d: not cut off at the limit",
		     sent, BIG_BYTES, ONE_LIMIT);
	snprintf(spool, sizeof(spool), "%s/store/spool/%d.part", dir, one_id);
	if (stat(spool, &st) == 0)
		cr_assert_leq(st.st_size, ONE_LIMIT,
			      "%s holds %lld bytes, over the limit", spool,
			      (long long)st.st_size);
}

/* CRL number 2 becomes /one.crl; number 1 stays as one-1.crl. */
static void
install_crl_2(void)
{
	char from[1100], to[1100];

	snprintf(from, sizeof(from), "%s/one-2.crl", www);
	snprintf(to, sizeof(to), "%s/one.crl", www);
	make_crl("ecdsa", from, 2, 2 * 86400, "--random 500 --seed 1");
	cr_assert_eq(rename(from, to), 0);
	refresh_wait("one");
	one_remember("after CRL 2 was served");
	cr_assert_str_eq(one.number, "02");
}

/* An expired CRL with a higher number than the stored one. */
static void
make_expired(void)
{
	char path[1100];
	long long now = (long long)time(NULL);

	snprintf(path, sizeof(path), "%s/one-expired.crl", www);
	cr_assert_eq(gencrl("ecdsa", path,
			    "--number 7 --this-update @%lld --next-update "
			    "@%lld --entry 2002,@%lld,keyCompromise",
			    now - 2 * 86400, now - 86400, now - 3 * 86400),
		     0);
}

/* While failing, the per-CA metrics say so. */
static void
check_metrics_failing(void)
{
	char want[256];
	struct resp r;

	cr_assert(http(dport, "GET", "/metrics", NULL, NULL, &r));
	snprintf(want, sizeof(want),
		 "otzyv_ca_fetch_consecutive_failures{issuer=\"%d\","
		 "name=\"one\"} 1\n",
		 one_id);
	assert_has((char *)r.body, want);
	snprintf(want, sizeof(want),
		 "otzyv_ca_state{issuer=\"%d\",name=\"one\","
		 "state=\"failing\"} 1\n",
		 one_id);
	assert_has((char *)r.body, want);
	resp_free(&r);
}

struct fault_case {
	const char *what;
	const char *spec;   /* the fault of /one.crl (JSON members), or NULL */
	const char *serve;  /* or: serve this file instead */
	const char *expect; /* in last_error: '|'-separated alternatives */
	void (*before)(void);
	void (*after)(void); /* more checks while failing */
	void (*undo)(void);
};

static const struct fault_case fault_cases[] = {
    {"HTTP 404", "\"mode\": \"status\", \"code\": 404", NULL, "HTTP 404", NULL,
     check_backoff, NULL},
    {"HTTP 500", "\"mode\": \"status\", \"code\": 500", NULL, "HTTP 500", NULL,
     check_metrics_failing, NULL},
    {"connection refused", NULL, NULL,
     "Connection refused|Couldn't connect|Failed to connect",
     point_to_closed_port, NULL, point_back},
    {"no answer (hang)", "\"mode\": \"hang\", \"seconds\": 30", NULL,
     "timed out|too slow", NULL, NULL, NULL},
    {"slower than the total timeout", "\"mode\": \"slow\", \"rate\": 2000",
     NULL, "timed out", NULL, NULL, NULL},
    {"a body stalling mid-way", "\"mode\": \"stall\", \"seconds\": 30", NULL,
     "too slow|timed out", NULL, NULL, NULL},
    {"a truncated CRL", "\"mode\": \"truncate\"", NULL,
     "transfer closed|partial|Partial", NULL, NULL, NULL},
    {"HTML instead of a CRL", "\"mode\": \"html\"", NULL,
     "RFC 5280 5.1: CertificateList", NULL, NULL, NULL},
    {"a wrong signature (twin-ca)", NULL, "twin.crl",
     "RFC 5280 5.1.1.3: CRL signature does not verify", NULL, NULL, NULL},
    {"another CA's CRL", NULL, "two/a.crl", "RFC 5280 5.1.2.3", NULL, NULL,
     NULL},
    {"larger than the limit, chunked",
     "\"mode\": \"big\", \"bytes\": 20971520, \"chunked\": true", NULL,
     "larger than the limit of 65536 bytes", NULL, check_cut_off, NULL},
    {"larger than the limit, Content-Length",
     "\"mode\": \"big\", \"bytes\": 20971520", NULL,
     "larger than the limit of 65536 bytes", NULL, check_cut_off, NULL},
    {"a redirect loop", "\"mode\": \"redirect_loop\"", NULL,
     "more than the allowed redirects", NULL, NULL, NULL},
    {"an older CRL number (rollback)", NULL, "one-1.crl", "RFC 5280 5.2.3",
     install_crl_2, NULL, NULL},
    {"an expired CRL with a higher number", NULL, "one-expired.crl",
     "expired (nextUpdate passed)", make_expired, NULL, NULL},
};

static void
run_fault_case(const struct fault_case *c)
{
	const char *url;
	long long next, now;
	json_t *ca;
	const char *msg;

	cr_log_info("fault: %s", c->what);
	if (c->before != NULL)
		c->before();
	url = c->before == point_to_closed_port ? closed_url : one_url;
	if (c->spec != NULL)
		cdp_fault("/one.crl", c->spec);
	else if (c->serve != NULL)
		cdp_serve("/one.crl", c->serve);
	refresh_wait("one");

	ca = ca_get(one_id);
	now = (long long)time(NULL);
	msg = jstr(ca, "last_error.message");
	cr_log_info("  last_error: %s", msg);
	cr_assert_str_eq(jstr(ca, "state"), "failing",
			 "%s: state failing expected:\n%s", c->what, jdump(ca));
	cr_assert(has_any(msg, c->expect) && strstr(msg, url) != NULL,
		  "%s: last_error should name %s and say \"%s\":\n%s", c->what,
		  url, c->expect, jdump(ca));
	cr_assert_eq(jint(ca, "fetch.failures"), 1,
		     "%s: one consecutive failure:\n%s", c->what, jdump(ca));
	next = parse_time(jstr(ca, "fetch.next"));
	cr_assert(next > now && next <= now + RETRY_MIN,
		  "%s: the next attempt should be due within retry_min "
		  "(%d s) from now (%lld):\n%s",
		  c->what, RETRY_MIN, now, jdump(ca));
	one_unchanged(c->what, ca);
	json_decref(ca);
	if (c->after != NULL)
		c->after();

	cdp_post("/_reset", "{}");
	if (c->undo != NULL)
		c->undo();
	refresh_wait("one");
	one_remember(c->what);
}

/* A refresh with nothing changed: a conditional request answered 304,
 * no bytes, the CA fresh. */
static void
check_not_modified(const char *when)
{
	json_t *ca, *reqs, *r;
	long long bytes;
	char etag[80];

	ca = ca_get(one_id);
	bytes = jint(ca, "fetch.bytes_total");
	json_decref(ca);
	cdp_post("/_log/clear", "{}");
	refresh_wait("one");
	reqs = cdp_requests("/one.crl");
	cr_assert_eq(json_array_size(reqs), 1, "%s: one request", when);
	r = json_array_get(reqs, 0);
	snprintf(etag, sizeof(etag), "\"%s\"", one.sha256);
	cr_assert_str_eq(jstr(r, "if_none_match"), etag,
			 "%s: a conditional request expected:\n%s", when,
			 jdump(r));
	cr_assert(json_is_string(jget(r, "if_modified_since")),
		  "%s: If-Modified-Since expected too:\n%s", when, jdump(r));
	cr_assert_eq(jint(r, "status"), 304, "%s", when);
	json_decref(reqs);
	ca = ca_get(one_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh", "%s", when);
	cr_assert_eq(jint(ca, "fetch.failures"), 0, "%s", when);
	cr_assert_eq(jint(ca, "fetch.bytes_total"), bytes,
		     "%s: a 304 downloads nothing", when);
	cr_assert_str_eq(jstr(ca, "crl.sha256"), one.sha256);
	json_decref(ca);
}

/* Mirrors: the first fails, the second answers; next time the one
 * that answered is asked first. */
static void
check_mirrors(void)
{
	char want[600];
	json_t *ca, *reqs;

	cdp_fault("/two/a.crl", "\"mode\": \"status\", \"code\": 500");
	cdp_post("/_log/clear", "{}");
	refresh_wait("two");
	ca = ca_get(two_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh",
			 "a failing first mirror with a good second:\n%s",
			 jdump(ca));
	cr_assert_eq(jint(ca, "fetch.failures"), 0);
	cr_assert_str_eq(jstr(ca, "fetch.url"), cdp_url("/two/b.crl"), "%s",
			 jdump(ca));
	json_decref(ca);
	reqs = get_json(cport, "/_log");
	cr_assert_eq(json_array_size(reqs), 2, "%s", jdump(reqs));
	cr_assert_str_eq(jstr(json_array_get(reqs, 0), "path"), "/two/a.crl");
	cr_assert_eq(jint(json_array_get(reqs, 0), "status"), 500);
	cr_assert_str_eq(jstr(json_array_get(reqs, 1), "path"), "/two/b.crl");
	cr_assert_eq(jint(json_array_get(reqs, 1), "status"), 200);
	json_decref(reqs);

	cdp_post("/_reset", "{}");
	cdp_post("/_log/clear", "{}");
	refresh_wait("two");
	reqs = get_json(cport, "/_log");
	cr_assert_geq(json_array_size(reqs), 1);
	cr_assert_str_eq(jstr(json_array_get(reqs, 0), "path"), "/two/b.crl",
			 "the mirror that answered last is asked first:\n%s",
			 jdump(reqs));
	/* ... with its own validators, kept when its answer was the
	 * stored CRL again: a 304, not the whole file once more. */
	cr_assert_eq(jint(json_array_get(reqs, 0), "status"), 304,
		     "a conditional request to the mirror expected:\n%s",
		     jdump(reqs));
	json_decref(reqs);
	ca = ca_get(two_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh");
	json_decref(ca);
	assert_ocsp_pki("rsa", "[ca two] after the mirror answered");

	/* Both failing: the reason names every mirror tried. */
	cdp_fault("/two/a.crl", "\"mode\": \"status\", \"code\": 500");
	cdp_fault("/two/b.crl", "\"mode\": \"status\", \"code\": 404");
	refresh_wait("two");
	ca = ca_get(two_id);
	snprintf(want, sizeof(want), "%s: HTTP 404; %s: HTTP 500",
		 cdp_url("/two/b.crl"), cdp_url("/two/a.crl"));
	cr_assert_str_eq(jstr(ca, "state"), "failing", "%s", jdump(ca));
	cr_assert_str_eq(jstr(ca, "last_error.message"), want,
			 "both mirrors' reasons, in the order tried:\n%s",
			 jdump(ca));
	json_decref(ca);
	assert_ocsp_pki("rsa", "[ca two] with both mirrors failing");
	cdp_post("/_reset", "{}");
}

/* /v1/cas lists a configured CA's crl = URLs, mirrors in order. */
static void
check_urls(void)
{
	json_t *ca = ca_get(two_id), *urls = jget(ca, "urls");

	cr_assert(json_array_size(urls) == 2 &&
		      strcmp(json_string_value(json_array_get(urls, 0)),
			     cdp_url("/two/a.crl")) == 0 &&
		      strcmp(json_string_value(json_array_get(urls, 1)),
			     cdp_url("/two/b.crl")) == 0,
		  "\"urls\" of [ca two] should be its two crl = URLs:\n%s",
		  jdump(ca));
	json_decref(ca);
}

/* [ca three] never had a CRL and its CDP answers 304 to a request
 * without validators: that is no CRL, so the attempt failed. */
static void
check_unconditional_304(void)
{
	json_t *ca, *reqs;
	int id = ca_id("name", "three");

	reqs = cdp_requests("/three.crl");
	cr_assert_geq(json_array_size(reqs), 1);
	cr_assert(json_is_null(jget(json_array_get(reqs, 0), "if_none_match")),
		  "no validators without a CRL:\n%s", jdump(reqs));
	cr_assert_eq(jint(json_array_get(reqs, 0), "status"), 304);
	json_decref(reqs);
	ca = ca_get(id);
	cr_assert_str_eq(jstr(ca, "state"), "never_fetched", "%s", jdump(ca));
	cr_assert(jint(ca, "fetch.failures") >= 1 &&
		      !json_is_null(jget(ca, "last_error")),
		  "a 304 to an unconditional request brought no CRL: the "
		  "attempt failed, with a reason (else the CA shows no CRL "
		  "and no error):\n%s",
		  jdump(ca));
	json_decref(ca);
}

/* A reload while a refreshed CA's transfer runs: the daemon stays up,
 * the transfer is abandoned without a trace, and the new fetcher fetches
 * that CA at once (the refresh is not lost; the schedule alone would
 * wait the 10-minute interval); the next refresh works. */
static void
check_reload_during_transfer(void)
{
	double end = now_ms() + 10000.0 * SLOW;
	int before;
	json_t *ca;

	cdp_fault("/one.crl", "\"mode\": \"slow\", \"rate\": 2000");
	cdp_post("/_log/clear", "{}");
	refresh("one");
	for (;;) {
		json_t *reqs = cdp_requests("/one.crl");
		long long sent = jint(json_array_get(reqs, 0), "sent");

		json_decref(reqs);
		if (sent > 0)
			break;
		cr_assert(now_ms() < end, "the slow transfer did not start");
		sleep_ms(20);
	}
	cdp_post("/_reset", "{}"); /* the transfer under way stays slow */
	before = attempts("one");
	reload();
	cr_assert_eq(get_code("/healthz"), 200, "after a reload mid-transfer");
	ca = ca_get(one_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh", "%s", jdump(ca));
	json_decref(ca);
	end = now_ms() + 30000.0 * SLOW;
	while (attempts("one") <= before) {
		cr_assert(now_ms() < end,
			  "the refresh abandoned by the reload was not done "
			  "again:\n%s",
			  tail_of(logpath));
		sleep_ms(20);
	}
	refresh_wait("one");
	one_remember("after a reload during a transfer");
	cr_assert_eq(kill(dpid, 0), 0, "otzyvd is gone:\n%s", tail_of(logpath));
}

/* Refreshes are for the admin listener, and name a fetched CA. */
static void
check_admin_only(void)
{
	struct resp r;

	cr_assert(http(dport, "POST", "/v1/admin/refresh", NULL, NULL, &r));
	cr_assert_eq(r.code, 404, "refresh on the main listener: HTTP %d",
		     r.code);
	resp_free(&r);
	cr_assert_eq(admin_post("/v1/admin/refresh?ca=nosuch", NULL), 404,
		     "refresh of no CA: 404 expected");
}

/* A PEM CRL is accepted; /crl/ID.crl serves it as DER. */
static void
check_pem(void)
{
	char der[1100], pem[1100], etag[80], want[80], *out = NULL;
	size_t len;
	json_t *ca;

	snprintf(der, sizeof(der), "%s/one-3.der", dir);
	snprintf(pem, sizeof(pem), "%s/one.crl", www);
	make_crl("ecdsa", der, 3, 2 * 86400, "--random 500 --seed 1");
	cr_assert_eq(sh(&out,
			"openssl crl -inform DER -in '%s' -outform PEM -out "
			"'%s.tmp' && mv '%s.tmp' '%s'",
			der, pem, pem, pem),
		     0, "%s", out);
	free(out);
	refresh_wait("one");
	ca = ca_get(one_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh", "a PEM CRL:\n%s",
			 jdump(ca));
	cr_assert_str_eq(jstr(ca, "crl.number"), "03", "%s", jdump(ca));
	json_decref(ca);
	one_remember("after a PEM CRL");
	free(one.der);
	one.der = read_file(der, &one.len);
	ca = ca_get(one_id);
	one_unchanged("/crl/ID.crl of a PEM CRL is its DER", ca);
	cr_assert_eq(jint(ca, "crl.size"), (long long)one.len,
		     "crl.size is the DER's:\n%s", jdump(ca));
	free(get_crl(one_id, &len, etag));
	snprintf(want, sizeof(want), "\"%s\"", one.sha256);
	cr_assert_str_eq(etag, want, "/crl/%d.crl of a PEM CRL: ETag", one_id);
	json_decref(ca);
}

/* A CRL sent with Content-Encoding: gzip is decoded before the limit,
 * the hash and the import see it. */
static void
check_gzip(void)
{
	char der[1100];
	json_t *ca;

	snprintf(der, sizeof(der), "%s/one.crl", www);
	make_crl("ecdsa", der, 4, 2 * 86400, "--random 600 --seed 4");
	cdp_fault("/one.crl", "\"mode\": \"gzip\"");
	refresh_wait("one");
	ca = ca_get(one_id);
	cr_assert_str_eq(jstr(ca, "state"), "fresh", "a gzip CRL:\n%s",
			 jdump(ca));
	cr_assert_str_eq(jstr(ca, "crl.number"), "04", "%s", jdump(ca));
	cr_assert_eq(jint(ca, "crl.entries"), 601, "600 random + 0x2002: %s",
		     jdump(ca));
	json_decref(ca);
	cdp_post("/_reset", "{}");
	one_remember("after a gzip CRL");
}

Test(fetch, crl_faults, .timeout = 240 * SLOW)
{
	char path[1100], path2[1100];
	size_t i, ncases = sizeof(fault_cases) / sizeof(fault_cases[0]);
	struct stat st;
	json_t *evs;

	cdp_start();
	snprintf(path, sizeof(path), "%s/one.crl", www);
	/* 500 entries, about 20 KB: 10 s at 2000 bytes a second. */
	make_crl("ecdsa", path, 1, 2 * 86400, "--random 500 --seed 1");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_gt(st.st_size, 2000 * 6, "one.crl is too small: %lld",
		     (long long)st.st_size);
	snprintf(path2, sizeof(path2), "%s/one-1.crl", www);
	cr_assert_eq(run("cp '%s' '%s'", path, path2), 0);
	snprintf(path, sizeof(path), "%s/twin.crl", www);
	cr_assert_eq(gencrl("twin", path,
			    "--number 5 --no-aki --entry 1001,@%lld",
			    (long long)time(NULL) - 60),
		     0);
	cr_assert_eq(run("mkdir -p '%s/two'", www), 0);
	snprintf(path, sizeof(path), "%s/two/a.crl", www);
	make_crl("rsa", path, 1, 2 * 86400, NULL);
	snprintf(path2, sizeof(path2), "%s/two/b.crl", www);
	cr_assert_eq(run("cp '%s' '%s'", path, path2), 0);

	cdp_fault("/three.crl", "\"mode\": \"not_modified\"");
	snprintf(one_url, sizeof(one_url), "%s", cdp_url("/one.crl"));
	fault_conf();
	daemon_start();
	one_id = ca_id("name", "one");
	two_id = ca_id("name", "two");
	json_decref(wait_state(one_id, "fresh", 20));
	json_decref(wait_state(two_id, "fresh", 20));
	check_urls();
	check_unconditional_304();
	one_remember("at start");
	assert_ocsp_pki("ecdsa", "at start");

	check_not_modified("before the faults");
	for (i = 0; i < ncases; i++)
		run_fault_case(&fault_cases[i]);
	check_not_modified("after the faults");
	check_mirrors();

	/* The journal has every failure, and the importer's rejections. */
	evs = events("fetch_failed", one_id);
	cr_assert_geq(json_array_size(evs), ncases + 3,
		      "a fetch_failed event per failed attempt:\n%s",
		      jdump(evs));
	json_decref(evs);
	evs = events("crl_rejected", one_id);
	cr_assert_geq(json_array_size(evs), 4,
		      "crl_rejected events for HTML, twin, other CA and "
		      "rollback:\n%s",
		      jdump(evs));
	/* ... naming the URL, never the spool file. */
	for (i = 0; i < json_array_size(evs); i++) {
		json_t *ev = json_array_get(evs, i);

		cr_assert(json_is_string(jget(ev, "url")) &&
			      strstr(jdump(ev), "/spool/") == NULL,
			  "crl_rejected should name the URL, not the "
			  "spool:\n%s",
			  jdump(ev));
	}
	json_decref(evs);
	check_admin_only();
	check_reload_during_transfer();
	check_pem();
	check_gzip();
	free(one.der);
	one.der = NULL;
	daemon_stop_clean();
}

/* ---- 3. trusted-list faults ---------------------------------------------- */

/* Keys of mktsl.sh's 4 CAs (2 + 1 + 2 + 1) less the 2 excluded. */
#define TSL_KEYS 4

/* Refreshes everything (the list too) and waits for one more
 * tsl_failed; the journal's last tsl_failed says `expect`. */
static void
tsl_fails(const char *what, const char *expect, int do_refresh)
{
	int before = count_log("event=tsl_failed ");
	double end = now_ms() + 30000.0 * SLOW;
	json_t *evs, *doc;
	const char *reason;

	if (do_refresh)
		refresh(NULL);
	while (count_log("event=tsl_failed ") == before) {
		cr_assert(now_ms() < end, "%s: no tsl_failed in 30 s:\n%s",
			  what, tail_of(logpath));
		sleep_ms(50);
	}
	evs = events("tsl_failed", 0);
	cr_assert_geq(json_array_size(evs), 1);
	reason = jstr(json_array_get(evs, json_array_size(evs) - 1), "reason");
	cr_log_info("%s: %s", what, reason);
	cr_assert(strstr(reason, expect) != NULL,
		  "%s: the tsl_failed event should say \"%s\":\n%s", what,
		  expect, jdump(evs));
	json_decref(evs);
	doc = get_json(dport, "/v1/cas");
	cr_assert_eq(jint(doc, "tsl.version"), 100,
		     "%s: the stored list stays version 100:\n%s", what,
		     jdump(doc));
	/* ... and monitoring sees the list failing. */
	cr_assert_geq(jint(doc, "tsl.fetch.failures"), 1, "%s:\n%s", what,
		      jdump(doc));
	cr_assert(strstr(jstr(doc, "tsl.fetch.last_error"), expect) != NULL,
		  "%s:\n%s", what, jdump(doc));
	cr_assert_eq(jint(doc, "counts.fresh"), TSL_KEYS,
		     "%s: the CAs stay fresh:\n%s", what, jdump(doc));
	json_decref(doc);
}

Test(fetch, trusted_list_faults, .timeout = 150 * SLOW)
{
	char *out = NULL, pin[65], path[1100];
	json_t *evs, *last, *doc;
	uint8_t *b;
	size_t len;
	double end;

	cdp_start();
	make_tsl(4); /* 4 CAs, 6 keys */
	cr_assert_eq(
	    sh(&out,
	       "cd '%s' && sed 's|<Версия>100</Версия>|<Версия>99</Версия>|' "
	       "tsl.xml > tsl-99.xml && "
	       "sed 's|<Версия>100</Версия>|<Версия>101</Версия>|' tsl.xml > "
	       "tsl-101.xml && "
	       "sed 's|Тестовый УЦ 1<|Тестовый УЦ 1 (другой)<|' tsl.xml > "
	       "tsl-other.xml && ! cmp -s tsl.xml tsl-other.xml && "
	       "sed '1a <!DOCTYPE АккредитованныеУдостоверяющиеЦентры "
	       "[<!ENTITY x \"boom\">]>' tsl.xml | "
	       "sed 's|Тестовый УЦ 1<|\\&x;<|' > tsl-doctype.xml && "
	       "off=$(grep -a -b -o 'Тестовый УЦ 3' tsl.xml | head -n 1 | "
	       "cut -d: -f1) && head -c $((off + 4)) tsl.xml > tsl-trunc.xml "
	       "&& ! cmp -s tsl.xml tsl-99.xml && grep -q ENTITY "
	       "tsl-doctype.xml && grep -q '&x;' tsl-doctype.xml",
	       www),
	    0, "making the list variants:\n%s", out);
	free(out);
	/* CA 2 excluded by its short name, CA 3 key 2 by its key id. */
	cr_assert_eq(sh(&out,
			"openssl x509 -engine gost -in '%s/ca3-2.pem' -noout "
			"-ext subjectKeyIdentifier 2>/dev/null | sed -n "
			"'2{s/[ :]//g;p;}'",
			www),
		     0, "%s", out);
	out[strcspn(out, "\n")] = '\0';
	cr_assert_eq(strlen(out), 40, "the SKI of ca3-2: %s", out);
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\nexclude = Test CA 2\n"
		  "exclude = %s\n",
		  cdp_url("/tsl.xml"), out);
	free(out);
	daemon_start();
	wait_all_fresh(TSL_KEYS, 100, 30);
	doc = get_json(dport, "/v1/cas");
	cr_assert_null(find_ca(doc, "subject", "CN=Test CA 2 key 1,"),
		       "CA 2 is excluded:\n%s", jdump(doc));
	cr_assert_null(find_ca(doc, "subject", "CN=Test CA 3 key 2,"),
		       "CA 3 key 2 is excluded:\n%s", jdump(doc));
	cr_assert_not_null(find_ca(doc, "subject", "CN=Test CA 3 key 1,"));
	json_decref(doc);

	cdp_serve("/tsl.xml", "tsl-99.xml");
	tsl_fails("a lower Версия", "Версия 99 is lower than the stored list's",
		  1);
	cdp_serve("/tsl.xml", "tsl-other.xml");
	tsl_fails("the same Версия with other content",
		  "Версия 100 was already imported with other content", 1);
	cdp_serve("/tsl.xml", "tsl-doctype.xml");
	tsl_fails("a DOCTYPE with an entity", "DOCTYPE is refused", 1);
	cdp_serve("/tsl.xml", "tsl-trunc.xml");
	tsl_fails("a list cut mid-element", "malformed XML", 1);
	cdp_post("/_reset", "{}");

	/* A pin refuses every other list, before parsing it... */
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\nsha256 = %064d\n"
		  "exclude = Test CA 2\n",
		  cdp_url("/tsl.xml"), 0);
	reload();
	tsl_fails("a wrong [tsl] sha256", "SHA-256 differs from [tsl] sha256",
		  0);
	/* ...and accepts the one it names. */
	snprintf(path, sizeof(path), "%s/tsl-101.xml", www);
	b = read_file(path, &len);
	cr_assert_not_null(b);
	sha256_hex(b, len, pin);
	free(b);
	cdp_serve("/tsl.xml", "tsl-101.xml");
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\nsha256 = %s\n",
		  cdp_url("/tsl.xml"), pin);
	reload();
	end = now_ms() + 30000.0 * SLOW;
	for (;;) {
		int done;

		doc = get_json(dport, "/v1/cas");
		done = jint(doc, "tsl.version") == 101;

		if (done) {
			cr_assert_str_eq(jstr(doc, "tsl.sha256"), pin);
			cr_assert_eq(jint(doc, "tsl.size"), (long long)len);
			json_decref(doc);
			break;
		}
		cr_assert(now_ms() < end,
			  "the pinned list (version 101) not imported in "
			  "30 s:\n%s\n%s",
			  jdump(doc), tail_of(logpath));
		json_decref(doc);
		sleep_ms(100);
	}
	/* The journal has both accepted lists with their version, hash
	 * and size. */
	evs = events("tsl_imported", 0);
	cr_assert_eq(json_array_size(evs), 2, "%s", jdump(evs));
	last = json_array_get(evs, 1);
	cr_assert_eq(jint(last, "version"), 101, "%s", jdump(evs));
	cr_assert_str_eq(jstr(last, "sha256"), pin, "%s", jdump(evs));
	cr_assert_eq(jint(last, "size"), (long long)len, "%s", jdump(evs));
	cr_assert_eq(jint(json_array_get(evs, 0), "version"), 100);
	json_decref(evs);
	daemon_stop_clean();
}

/* ---- 4. stale, then recovered -------------------------------------------- */

Test(fetch, stale_then_recovers, .timeout = 90 * SLOW)
{
	char path[1100], tmp[1100], want[128], *out = NULL;
	const char *p = test_pki();
	json_t *ca, *rd;
	int id, rc;

	cdp_start();
	snprintf(path, sizeof(path), "%s/st.crl", www);
	make_crl("gost256", path, 1, 6 * SLOW, NULL);
	set_extra("[ca st]\ncert = %s/gost256-ca.pem\ncrl = %s\n", p,
		  cdp_url("/st.crl"));
	daemon_start();
	id = ca_id("name", "st");
	json_decref(wait_state(id, "fresh", 10));
	assert_ocsp_pki("gost256", "before nextUpdate");

	ca = wait_state(id, "stale", 20);
	cr_assert_lt(jint(ca, "crl.expires_in"), 0, "%s", jdump(ca));
	json_decref(ca);
	snprintf(want, sizeof(want), "%s/gost256-ca.pem", p);
	ocsp(&out, want, "gost256", "-serial 0x1001");
	assert_has(out, "Responder Error: trylater (3)");
	free(out);
	{
		struct resp r;

		cr_assert(http(dport, "GET", "/readyz", NULL, NULL, &r));
		cr_assert_eq(r.code, 503, "/readyz with a stale CA: %d %s",
			     r.code, r.body);
		rd = json_loads((char *)r.body, 0, NULL);
		cr_assert_not_null(rd, "%s", r.body);
		resp_free(&r);
	}
	cr_assert_str_eq(jstr(json_array_get(jget(rd, "reasons"), 0), "ca"),
			 "st", "%s", jdump(rd));
	cr_assert_str_eq(jstr(json_array_get(jget(rd, "reasons"), 0), "reason"),
			 "crl_not_fresh", "%s", jdump(rd));
	json_decref(rd);
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 2, "otzyv check with a stale CA: exit %d:\n%s", rc,
		     out);
	assert_has(out, "OTZYV CRITICAL");
	free(out);

	/* A new CRL arrives: the schedule picks it up by itself, an
	 * expired CRL being looked for again every retry_min. */
	snprintf(tmp, sizeof(tmp), "%s/st-2.crl", www);
	make_crl("gost256", tmp, 2, 86400, NULL);
	cr_assert_eq(rename(tmp, path), 0);
	ca = wait_state(id, "fresh", 2 * RETRY_MIN + 5);
	cr_assert_str_eq(jstr(ca, "crl.number"), "02", "%s", jdump(ca));
	json_decref(ca);
	cr_assert_eq(get_code("/readyz"), 200);
	assert_ocsp_pki("gost256", "after the new CRL");
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 0, "otzyv check, all fresh: exit %d:\n%s", rc, out);
	assert_has(out, "OTZYV OK");
	free(out);
	daemon_stop_clean();
}

/* ---- 5. kill -9 during a big import -------------------------------------- */

/* Revoked serials in the store for issuer id (removed ones not
 * counted), by the otzyv tool. */
static long long
dumped(int id)
{
	char *out = NULL;
	long long n;
	int rc;

	rc = sh(&out,
		"'%s' -c '%s' dump --ca %d | awk '!/^#/ && $NF !~ /\\.\\./' | "
		"wc -l",
		env_path("OTZYV_BIN"), conf, id);
	cr_assert_eq(rc, 0, "otzyv dump: %s", out);
	n = atoll(out);
	free(out);
	return n;
}

/* The store holds CRL `old` (entries old_n) or `new` (1 000 000) whole:
 * the report and the dump agree. Returns the number held. */
static int
assert_whole(int id, int old, long long old_n, int new, const char *when)
{
	json_t *ca = ca_get(id);
	long long entries = jint(ca, "crl.entries");
	int number = (int)strtol(jstr(ca, "crl.number"), NULL, 16);
	long long n = dumped(id);
	char etag[80], hex[65];
	uint8_t *b;
	size_t len;

	cr_assert((number == old && entries == old_n) ||
		      (number == new &&entries == 1000000),
		  "%s: CRL %d with %lld entries, expected CRL %d (%lld) or "
		  "%d (1000000):\n%s",
		  when, number, entries, old, old_n, new, jdump(ca));
	cr_assert_eq(n, entries,
		     "%s: otzyv dump lists %lld revoked serials, the report "
		     "says %lld entries",
		     when, n, entries);
	/* The mirror file is the stored CRL too. */
	b = get_crl(id, &len, etag);
	sha256_hex(b, len, hex);
	free(b);
	cr_assert_str_eq(hex, jstr(ca, "crl.sha256"),
			 "%s: /crl/%d.crl (%zu bytes) is not the stored CRL "
			 "(CRL %d):\n%s",
			 when, id, len, number, jdump(ca));
	json_decref(ca);
	return number;
}

Test(fetch, kill9_during_import, .timeout = 240 * SLOW)
{
	/* When to kill: -1 half-way through the download, else ms after
	 * the last byte was sent (the import takes seconds). */
	static const int when[] = {-1, 250, 700, 1500};
	const int rounds = (int)(sizeof(when) / sizeof(when[0]));
	char path[1100], *out = NULL;
	const char *p = test_pki();
	long long old_n = 1, size = 0;
	int id, r, held, old = 1;
	struct stat st;
	json_t *ca;

	cdp_start();
	snprintf(path, sizeof(path), "%s/big.crl", www);
	make_crl("rsa", path, 1, 2 * 86400, NULL);
	/* Four 1 000 000-entry CRLs, numbered 2 to 5, made in parallel. */
	cr_assert_eq(
	    sh(&out,
	       "for n in 2 3 4 5; do '%s' --ca-cert '%s/rsa-ca.pem' --ca-key "
	       "'%s/rsa-ca.key' --out '%s'/big-$n.crl --number $n "
	       "--this-update @%lld --next-update @%lld --random 1000000 "
	       "--seed $n & done; wait; ls -l '%s'/big-?.crl | wc -l | "
	       "grep -qx 4",
	       env_path("GENCRL"), p, p, www, (long long)time(NULL) - 60,
	       (long long)time(NULL) + 2 * 86400, www),
	    0, "gencrl --random 1000000:\n%s", out);
	free(out);
	set_extra("[ca big]\ncert = %s/rsa-ca.pem\ncrl = %s\n", p,
		  cdp_url("/big.crl"));
	daemon_start();
	id = ca_id("name", "big");
	json_decref(wait_state(id, "fresh", 10));

	for (r = 0; r < rounds; r++) {
		char file[32], at[64];
		double end = now_ms() + 60000.0 * SLOW;
		long long sent = 0;

		snprintf(file, sizeof(file), "big-%d.crl", r + 2);
		snprintf(path, sizeof(path), "%s/%s", www, file);
		cr_assert_eq(stat(path, &st), 0);
		size = (long long)st.st_size;
		cdp_serve("/big.crl", file);
		cdp_post("/_log/clear", "{}");
		refresh("big");
		for (;;) {
			json_t *reqs = cdp_requests("/big.crl");
			json_t *last =
			    json_array_get(reqs, json_array_size(reqs) - 1);

			sent = last ? jint(last, "sent") : 0;
			json_decref(reqs);
			if (when[r] < 0 ? sent >= size / 2 : sent >= size)
				break;
			cr_assert(now_ms() < end,
				  "round %d: %lld of %lld bytes sent in 60 s",
				  r, sent, size);
			sleep_ms(when[r] < 0 ? 2 : 20);
		}
		if (when[r] > 0)
			sleep_ms(when[r] * SLOW);
		snprintf(at, sizeof(at),
			 when[r] < 0 ? "killed at %lld of %lld bytes"
				     : "killed %lld ms after %lld bytes",
			 when[r] < 0 ? sent : (long long)when[r], size);
		cr_log_info("round %d: %s", r, at);
		cr_assert_eq(kill(dpid, SIGKILL), 0);
		waitpid(dpid, NULL, 0);
		dpid = -1;

		daemon_start();
		held = assert_whole(id, old, old_n, r + 2, at);
		cr_log_info("round %d: the store holds CRL %d whole", r, held);
		if (held == r + 2) {
			old = r + 2;
			old_n = 1000000;
		}
	}

	/* Fetching resumes: the last CRL is fetched and imported whole. */
	refresh_wait("big");
	ca = wait_state(id, "fresh", 30);
	cr_assert_eq(jint(ca, "crl.entries"), 1000000, "%s", jdump(ca));
	cr_assert_eq((int)strtol(jstr(ca, "crl.number"), NULL, 16), rounds + 1,
		     "%s", jdump(ca));
	json_decref(ca);
	cr_assert_eq(dumped(id), 1000000);
	{
		uint8_t *b, *want;
		size_t len, wlen;
		char etag[80];

		b = get_crl(id, &len, etag);
		want = read_file(path, &wlen);
		cr_assert(want != NULL && len == wlen &&
			      memcmp(b, want, len) == 0,
			  "/crl/%d.crl is not the last CRL served", id);
		free(b);
		free(want);
	}
	daemon_stop_clean();
}

/* ---- 6. the command-line tool -------------------------------------------- */

/* One CA "one" whose CRL 1 is served, fetched by one `otzyv fetch`
 * pass: no daemon. */
static void
one_ca_fetched_by_cli(void)
{
	char path[1100], *out = NULL;
	int rc;

	cdp_start();
	snprintf(path, sizeof(path), "%s/one.crl", www);
	make_crl("rsa", path, 1, 2 * 86400, NULL);
	set_extra("[ca one]\ncert = %s/rsa-ca.pem\ncrl = %s\n", test_pki(),
		  cdp_url("/one.crl"));
	dport = free_loopback_port(); /* no daemon: the ports are not bound */
	aport = free_loopback_port();
	conf_write();
	rc = otzyv(&out, "fetch");
	cr_assert_eq(rc, 0, "otzyv fetch: exit %d:\n%s", rc, out);
	free(out);
}

Test(fetch, cli, .timeout = 90 * SLOW)
{
	char *out = NULL;
	json_t *doc, *ca, *evs;
	int rc;

	/* One pass: fresh; the table, the JSON, the plugin, the dump. */
	one_ca_fetched_by_cli();
	rc = otzyv(&out, "cas");
	cr_assert_eq(rc, 0, "otzyv cas: %s", out);
	assert_has(out, "one");
	assert_has(out, "fresh");
	free(out);
	rc = otzyv(&out, "cas --json 2>/dev/null");
	cr_assert_eq(rc, 0);
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc, "otzyv cas --json: not JSON:\n%s", out);
	free(out);
	ca = find_ca(doc, "name", "one");
	cr_assert_not_null(ca, "%s", jdump(doc));
	cr_assert_str_eq(jstr(ca, "state"), "fresh", "%s", jdump(ca));
	cr_assert_eq(jint(ca, "crl.entries"), 1);
	json_decref(doc);
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 0, "otzyv check: exit %d, expected 0:\n%s", rc, out);
	cr_assert(strncmp(out, "OTZYV OK", 8) == 0 && strchr(out, '|'),
		  "a plugin line with perfdata expected:\n%s", out);
	free(out);
	/* The CRL's thisUpdate is an hour old. */
	rc = otzyv(&out, "check --warn 30m");
	cr_assert_eq(rc, 1, "check --warn 30m: exit %d, expected 1:\n%s", rc,
		     out);
	assert_has(out, "OTZYV WARNING");
	free(out);
	rc = otzyv(&out, "check --warn 10m --crit 30m");
	cr_assert_eq(rc, 2, "check --crit 30m: exit %d, expected 2:\n%s", rc,
		     out);
	assert_has(out, "OTZYV CRITICAL");
	free(out);
	rc = otzyv(&out, "check --warn nonsense");
	cr_assert_eq(rc, 3, "check with a bad option: exit %d, expected 3:\n%s",
		     rc, out);
	free(out);
	rc = otzyv(&out, "dump --ca one | grep -v '^#'");
	cr_assert_eq(rc, 0, "otzyv dump: %s", out);
	cr_assert(strstr(out, " 2002 ") != NULL &&
		      strchr(out, '\n') == out + strlen(out) - 1,
		  "one line for serial 2002 expected:\n%s", out);
	free(out);

	/* A failing CDP: exit 1, a fetch_failed event, WARNING. */
	cdp_fault("/one.crl", "\"mode\": \"status\", \"code\": 404");
	rc = otzyv(&out, "fetch --ca one");
	cr_assert_eq(rc, 1, "otzyv fetch of a 404: exit %d, expected 1:\n%s",
		     rc, out);
	free(out);
	evs = events("fetch_failed", 0);
	cr_assert_eq(json_array_size(evs), 1, "%s", jdump(evs));
	assert_has(jstr(json_array_get(evs, 0), "reason"), "HTTP 404");
	json_decref(evs);
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 1, "otzyv check with a failing CA: exit %d:\n%s", rc,
		     out);
	free(out);
	rc = otzyv(&out, "fetch --ca nosuch");
	cr_assert_eq(rc, 3, "fetch --ca of no CA: exit %d:\n%s", rc, out);
	free(out);
	cdp_post("/_reset", "{}");
	rc = otzyv(&out, "fetch --ca one");
	cr_assert_eq(rc, 0, "otzyv fetch after the fault: exit %d:\n%s", rc,
		     out);
	free(out);
	/* The same CRL again: the CA has healed, no error left to show. */
	rc = otzyv(&out, "cas --json 2>/dev/null");
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc, "%s", out);
	free(out);
	ca = find_ca(doc, "name", "one");
	cr_assert(json_is_null(jget(ca, "last_error")),
		  "last_error outlived a success:\n%s", jdump(ca));
	json_decref(doc);
	rc = otzyv(&out, "cas");
	cr_assert_eq(rc, 0, "otzyv cas: %s", out);
	cr_assert_null(strstr(out, "HTTP 404"), "%s", out);
	free(out);

	/* [tsl] file: one pass imports the list and fetches its CAs. */
	make_tsl(2);
	cr_assert_eq(run("cd '%s' && sed 's|<Версия>100</|<Версия>101</|' "
			 "tsl.xml > tsl-101.xml && sed "
			 "'s|<Версия>100</|<Версия>99</|' tsl.xml > tsl-99.xml",
			 www),
		     0);
	set_extra("[ca one]\ncert = %s/rsa-ca.pem\ncrl = %s\n\n"
		  "[tsl]\nfile = %s/tsl.xml\n",
		  test_pki(), cdp_url("/one.crl"), www);
	conf_write();
	rc = otzyv(&out, "fetch");
	cr_assert_eq(rc, 0, "otzyv fetch with [tsl] file: exit %d:\n%s", rc,
		     out);
	free(out);
	rc = otzyv(&out, "cas --json 2>/dev/null");
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc, "%s", out);
	free(out);
	cr_assert_eq(jint(doc, "tsl.version"), 100, "%s", jdump(doc));
	cr_assert_eq(jint(doc, "counts.fresh"), 4,
		     "[ca one] and the list's 3 keys fresh:\n%s", jdump(doc));
	cr_assert_not_null(find_ca(doc, "short_name", "Test CA 2"));
	json_decref(doc);

	/* import-tsl from a URL; a lower Версия refused. */
	rc = otzyv(&out, "import-tsl '%s'", cdp_url("/tsl-101.xml"));
	cr_assert_eq(rc, 0, "import-tsl URL: exit %d:\n%s", rc, out);
	free(out);
	rc = otzyv(&out, "import-tsl '%s/tsl-99.xml'", www);
	cr_assert_eq(rc, 1, "import-tsl of a lower Версия: exit %d:\n%s", rc,
		     out);
	assert_has(out, "rollback");
	free(out);
	/* A file:// URL, as [tsl] url takes it. */
	rc = otzyv(&out, "import-tsl 'file://%s/tsl-101.xml'", www);
	cr_assert_eq(rc, 0, "import-tsl file:// URL: exit %d:\n%s", rc, out);
	assert_has(out, "unchanged file://");
	free(out);
	evs = events("tsl_imported", 0);
	cr_assert_eq(json_array_size(evs), 2, "%s", jdump(evs));
	cr_assert_eq(jint(json_array_get(evs, 1), "version"), 101);
	json_decref(evs);
	/* The configured file is now older than the stored list: the pass
	 * says so (exit 1, tsl_failed), the CAs stay fresh, and otzyv check
	 * warns of the list as of a failing CA. */
	rc = otzyv(&out, "fetch");
	cr_assert_eq(rc, 1, "otzyv fetch of an older [tsl] file: exit %d:\n%s",
		     rc, out);
	free(out);
	evs = events("tsl_failed", 0);
	cr_assert_eq(json_array_size(evs), 1, "%s", jdump(evs));
	assert_has(jstr(json_array_get(evs, 0), "reason"), "rollback");
	json_decref(evs);
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 1, "otzyv check with the list failing: exit %d:\n%s",
		     rc, out);
	assert_has(out, "OTZYV WARNING - trusted list failing (file://");
	assert_has(out, "rollback");
	assert_has(out, "4 watched CAs fresh");
	free(out);
	/* The list configured no more: its failure is history. */
	set_extra("[ca one]\ncert = %s/rsa-ca.pem\ncrl = %s\n", test_pki(),
		  cdp_url("/one.crl"));
	conf_write();
	rc = otzyv(&out, "check");
	cr_assert_eq(rc, 0, "otzyv check without [tsl]: exit %d:\n%s", rc, out);
	assert_has(out, "OTZYV OK");
	free(out);
}

/* A crash between an import's commit and the keeping of its file
 * leaves the download in the spool: found at the next start to be the
 * stored CRL (by the hash of its DER, also when it came as PEM) and
 * kept as the last good file. */
Test(fetch, pem_spool_recovered, .timeout = 90 * SLOW)
{
	char pem[1100], spool[1200], der[1100], *out = NULL;
	json_t *doc;
	long long id;
	int rc;

	one_ca_fetched_by_cli();
	rc = otzyv(&out, "cas --json 2>/dev/null");
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc, "%s", out);
	free(out);
	id = jint(find_ca(doc, "name", "one"), "id");
	json_decref(doc);

	/* CRL 2, as PEM: imported, then left in the spool as by a crash. */
	snprintf(pem, sizeof(pem), "%s/two.pem", dir);
	make_crl("rsa", pem, 2, 2 * 86400, "--pem");
	rc = otzyv(&out, "import-crl '%s'", pem);
	cr_assert_eq(rc, 0, "import-crl: exit %d:\n%s", rc, out);
	free(out);
	snprintf(spool, sizeof(spool), "%s/store/spool/%lld.part", dir, id);
	snprintf(der, sizeof(der), "%s/two.der", dir);
	cr_assert_eq(sh(&out,
			"cp '%s' '%s' && openssl crl -in '%s' -outform "
			"DER -out '%s'",
			pem, spool, pem, der),
		     0, "%s", out);
	free(out);
	/* The pass recovers it first; its own download (CRL 1) is then
	 * refused as a rollback and keeps nothing. */
	otzyv(&out, "fetch");
	free(out);
	cr_assert_eq(sh(&out, "cmp '%s' '%s/store/crl/%lld.crl'", der, dir, id),
		     0, "the last good file is not CRL 2: %s", out);
	free(out);
}

/* A daemon that watches nothing (a CA without crl =, no [tsl]): a
 * refresh of everything is no error and refreshes nothing; one of a
 * name nobody fetches is 404. */
Test(fetch, refresh_with_nothing_watched, .timeout = 60 * SLOW)
{
	char *body = NULL;

	set_extra("[ca alone]\ncert = %s/rsa-ca.pem\n", test_pki());
	daemon_start();
	cr_assert_eq(admin_post("/v1/admin/refresh", &body), 202, "%s", body);
	assert_has(body, "\"refreshing\":0");
	free(body);
	cr_assert_eq(admin_post("/v1/admin/refresh?ca=alone", &body), 404, "%s",
		     body);
	assert_has(body, "no CA of that name is fetched");
	free(body);
	daemon_stop_clean();
}

/* otzyv fetch beside the daemon, with a configuration that lacks one of
 * the daemon's CAs: refused (the daemon holds the spool's lock), and
 * the daemon's CA is still watched, its URLs untouched. */
Test(fetch, cli_fetch_beside_the_daemon, .timeout = 60 * SLOW)
{
	char other[1100], *out = NULL;
	json_t *doc, *ca;
	int rc;

	set_extra("[ca one]\ncert = %s/rsa-ca.pem\ncrl = %s\n\n"
		  "[ca two]\ncert = %s/ecdsa-ca.pem\n",
		  test_pki(), cdp_url("/one.crl"), test_pki());
	daemon_start();
	snprintf(other, sizeof(other), "%s/other.conf", dir);
	cr_assert_eq(
	    run("sed '/^\\[ca one\\]/,/^$/d' '%s' > '%s'", conf, other), 0);
	rc = sh(&out, "'%s' -c '%s' fetch 2>&1", env_path("OTZYV_BIN"), other);
	cr_assert_eq(rc, 4, "otzyv fetch beside the daemon: exit %d:\n%s", rc,
		     out);
	assert_has(out, "another process fetches");
	free(out);
	doc = get_json(dport, "/v1/cas");
	ca = find_ca(doc, "name", "one");
	cr_assert_not_null(ca, "%s", jdump(doc));
	cr_assert(json_is_true(json_object_get(ca, "watched")), "%s",
		  jdump(ca));
	json_decref(doc);
	daemon_stop_clean();
}

/* POST /v1/admin/reload answers with what came of the reload: a refused
 * configuration is 500 with the cause (the old one runs on), one with a
 * setting that needs a restart names it. */
Test(fetch, admin_reload_says_what_came_of_it, .timeout = 60 * SLOW)
{
	char *body = NULL;
	int code;

	daemon_start();
	set_extra("[verify]\nthreads = many\n");
	conf_write();
	code = admin_post("/v1/admin/reload", &body);
	cr_assert_eq(code, 500, "a bad config: HTTP %d: %s", code, body);
	assert_has(body, "refused");
	assert_has(body, "threads");
	free(body);
	/* One logfmt field, the refused value's quotes escaped as \". */
	cr_assert_eq(count_log("event=reload_failed error=\""), 1, "%s",
		     tail_of(logpath));
	cr_assert_eq(count_log("threads: \\\"many\\\" is not a number"), 1,
		     "%s", tail_of(logpath));
	cr_assert_eq(get_code("/healthz"), 200);

	set_extra("[verify]\nqueue = 7\n");
	reload_saying("\"needs_restart\":[\"[verify] max_body, max_batch, "
		      "threads or queue\"]");
	/* ... and at every reload until a restart: the old queue runs */
	reload_saying("\"needs_restart\":[\"[verify] max_body, max_batch, "
		      "threads or queue\"]");
	/* the user otzyvd runs as is chosen at start only */
	set_extra("[verify]\nqueue = 7\n[server]\nuser = nobody\n");
	reload_saying("\"needs_restart\":[\"[server] user\",\"[verify] "
		      "max_body, max_batch, threads or queue\"]");

	set_extra("%s", "");
	reload();
	reload_saying("\"needs_restart\":[]");
	daemon_stop_clean();
}

/* The number of CAs watched ("watched": true) in a /v1/cas document. */
static int
count_watched(const json_t *doc)
{
	const json_t *ca;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(doc, "cas"), i, ca) n +=
	    json_is_true(json_object_get(ca, "watched"));
	return n;
}

/* event=reload says how many CAs the daemon watches after the reload,
 * as /v1/cas counts them (cas=), and how many of them are configured
 * (configured=): a daemon fed by the trusted list alone watches the
 * list's CAs, none configured. */
Test(fetch, reload_logs_watched_cas, .timeout = 90 * SLOW)
{
	struct key_row rows[8];
	json_t *doc;

	cdp_start();
	make_tsl(2);
	cr_assert_eq(read_manifest(rows, 8), 3, "2 CAs with 3 keys expected");
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\n", cdp_url("/tsl.xml"));
	daemon_start();
	wait_all_fresh(3, 100, 30);
	reload();
	cr_assert_eq(count_log("event=reload cas=3 configured=0\n"), 1, "%s",
		     tail_of(logpath));

	/* A configured CA without crl = is watched (imported by hand). */
	set_extra("[tsl]\nurl = %s\nrefresh = 6h\n\n[ca alone]\ncert = "
		  "%s/rsa-ca.pem\n",
		  cdp_url("/tsl.xml"), test_pki());
	reload();
	cr_assert_eq(count_log("event=reload cas=4 configured=1\n"), 1, "%s",
		     tail_of(logpath));
	doc = get_json(dport, "/v1/cas");
	cr_assert_eq(count_watched(doc), 4, "%s", jdump(doc));
	json_decref(doc);
	daemon_stop_clean();
}
