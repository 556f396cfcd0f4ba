/*
 * /v1/status end to end: otzyvd on a loopback port of its own, from a
 * generated config and store in a temporary folder, CRLs imported with
 * `otzyv import-crl` (and a trusted list with `otzyv import-tsl`), asked
 * over raw HTTP/1.1 sockets; each answer is read back as JSON.
 *
 * Covered:
 *  1. lookups: good, revoked (reason, time), on hold then released (the
 *     history keeps the hold period), `at` in the past (before a
 *     revocation: good; during the hold: on_hold), the issuer named by
 *     id and by the SHA-1 and SHA-256 of its public key (computed here
 *     from the certificate, not by otzyv), upper case and ':' too.
 *  2. unknown issuers (a key and an id not stored) and a CA without a
 *     CRL are answers, "unknown"; malformed issuer, serial, at and
 *     missing or overlong parameters are 400 with {"error"}.
 *  3. POST /v1/status with a certificate as PEM, DER and base64:
 *     validity, "qualified" null for a CA of the config; true and false
 *     for CAs of a trusted list (tests/data/mktsl.sh: CA 1 accredited,
 *     CA 3 accreditation ended before the certificates were issued), the
 *     same in `otzyv status --json`; non-certificates are 400.
 *  4. POST /v1/status/batch: mixed good and bad items answered in
 *     order; wrong types per item; max_batch items pass, one more is
 *     400; bodies that are not a JSON array are 400.
 *  5. body limits: [verify] max_body for /v1/ (413 beyond, below it
 *     accepted although over the OCSP limit) while POST /ocsp keeps
 *     max_ocsp_request (16K).
 *  6. stale: past nextUpdate (stale_grace 0) the status is "unknown",
 *     fresh false, with source and last_known; a past instant the CRL
 *     covers is still answered.
 *
 * Each test starts its own daemon (free ports in 20000-32767, retried
 * when taken; no admin listener), and stops it with SIGTERM at the end,
 * expecting exit 0 and no sanitizer report in its log; .fini kills it
 * after a failed assertion, and it gets SIGKILL if this process dies.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common.h"

/* Waits stretch under sanitizers. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOW 3
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW 3
#endif
#endif
#ifndef SLOW
#define SLOW 1
#endif

/* [verify] of the tests. */
#define MAX_BODY (64 * 1024)
#define MAX_BATCH 8

static char *dir;	   /* the test's folder */
static char conf[1024];	   /* DIR/otzyv.conf */
static char logpath[1024]; /* DIR/otzyvd.log */
static pid_t dpid = -1;
static int dport;
static long long t0; /* now, when the test began */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
setup(void)
{
	dir = tmpdir_new("status");
	snprintf(conf, sizeof(conf), "%s/otzyv.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/otzyvd.log", dir);
	dpid = -1;
	t0 = (long long)time(NULL);
}

static void
teardown(void)
{
	if (dpid > 0) {
		kill(dpid, SIGKILL);
		waitpid(dpid, NULL, 0);
	}
	dpid = -1;
	tmpdir_remove(dir);
	dir = NULL;
}

TestSuite(status, .init = setup, .fini = teardown, .timeout = 90 * SLOW);

/* The end of the daemon's log, for failure messages (static). */
static const char *
log_tail(void)
{
	static char buf[4001];
	size_t len = 0, from;
	uint8_t *b = read_file(logpath, &len);

	buf[0] = '\0';
	if (b != NULL) {
		from = len > 4000 ? len - 4000 : 0;
		memcpy(buf, b + from, len - from);
		buf[len - from] = '\0';
		free(b);
	}
	return buf;
}

/* "2026-01-10T00:00:00Z" of Unix time t (rotating static buffers). */
static const char *
iso(long long t)
{
	static char bufs[8][32];
	static int next;
	char *b = bufs[next++ % 8];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(bufs[0]), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return b;
}

/* ---- processes ----------------------------------------------------------- */

static void
close_fds_from(int lowfd)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

/* Forks and execs otzyvd -c CONF, stdout and stderr appended to the
 * log; it gets SIGKILL when this process dies. */
static pid_t
spawn_daemon(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644)) <
		    0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, 0);
		close_fds_from(3);
		execl(env_path("OTZYVD_BIN"), "otzyvd", "-c", conf,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A port in 20000-32767 (below Linux's ephemeral range) free now. */
static int
free_port(void)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		struct sockaddr_in a = {0};
		uint16_t r;
		int fd, ok;

		cr_assert_eq(RAND_bytes((unsigned char *)&r, sizeof(r)), 1);
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)(20000 + r % 12768));
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(fd, 0);
		ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return ntohs(a.sin_port);
	}
	cr_assert_fail("no free loopback port after 100 tries");
	return -1;
}

/* The config: the port, no admin listener, the store in DIR, the test
 * PKI's rsa-ocsp as the responder, [verify] limits of the tests, and
 * [ca rsa], [ca ecdsa] without CRL URLs (CRLs come by hand). */
static void
conf_write(void)
{
	const char *p = test_pki();
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"; generated by test_status\n"
		"[server]\nlisten = 127.0.0.1:%d\nadmin_listen =\n"
		"threads = 2\nmax_ocsp_request = 16K\n\n"
		"[store]\npath = %s/store\nmap_size = 64M\n\n"
		"[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		"stale_grace = 0\n\n"
		"[fetch]\nretry_min = 1h\nretry_max = 2h\n\n"
		"[verify]\nmax_body = %d\nmax_batch = %d\n\n"
		"[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
		"[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n",
		dport, dir, p, p, MAX_BODY, MAX_BATCH, p, p);
	cr_assert_eq(fclose(f), 0);
}

static int http_code(const char *method, const char *path);

/* Starts otzyvd and waits for /healthz; other ports when the chosen
 * one was taken meanwhile. */
static void
daemon_start(void)
{
	int attempt;

	for (attempt = 0; attempt < 8; attempt++) {
		double end = now_ms() + 10000.0 * SLOW;
		int ws, code = -1;

		dport = free_port();
		conf_write();
		dpid = spawn_daemon();
		while (now_ms() < end) {
			if (waitpid(dpid, &ws, WNOHANG) == dpid) {
				dpid = -1;
				code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -2;
				break;
			}
			if (http_code("GET", "/healthz") == 200)
				return;
			sleep_ms(20);
		}
		if (code == 4 && strstr(log_tail(), "Address already in use"))
			continue;
		cr_assert_fail("otzyvd not up in 10 s (exit %d):\n%s", code,
			       log_tail());
	}
	cr_assert_fail("otzyvd: no usable port after 8 tries");
}

/* SIGTERM: exit 0 and no sanitizer report in the log. */
static void
daemon_stop_clean(void)
{
	double end = now_ms() + 10000.0 * SLOW;
	int ws, code;

	cr_assert_eq(kill(dpid, SIGTERM), 0);
	while (waitpid(dpid, &ws, WNOHANG) == 0) {
		cr_assert(now_ms() < end, "otzyvd still runs 10 s after "
					  "SIGTERM");
		sleep_ms(20);
	}
	dpid = -1;
	code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
	cr_assert(strstr(log_tail(), "Sanitizer") == NULL &&
		      strstr(log_tail(), "runtime error:") == NULL,
		  "a sanitizer report in otzyvd's log:\n%s", log_tail());
	cr_assert_eq(code, 0, "otzyvd exit %d after SIGTERM:\n%s", code,
		     log_tail());
}

/* Runs `otzyv -c CONF args`, output (stderr too) into *out (may be
 * NULL); the exit status. */
static int otzyv(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
otzyv(char **out, const char *fmt, ...)
{
	va_list ap;
	char *args, *tmp = NULL;
	int rc;

	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	rc = run_capture(&tmp, "'%s' -c '%s' %s 2>&1", env_path("OTZYV_BIN"),
			 conf, args);
	if (out != NULL)
		*out = tmp;
	else
		free(tmp);
	free(args);
	return rc;
}

/* A CRL of the test PKI's ALG-ca into DIR/name, imported; `fmt` adds
 * gencrl options (entries, dates). */
static void import_crl(const char *alg, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
import_crl(const char *alg, const char *name, const char *fmt, ...)
{
	const char *path = path_in(dir, name);
	char *out = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gencrl_v(alg, path, fmt, ap);
	va_end(ap);
	cr_assert_eq(rc, 0, "gencrl %s %s failed", alg, name);
	rc = otzyv(&out, "import-crl '%s'", path);
	cr_assert_eq(rc, 0, "import-crl %s: exit %d\n%s", name, rc, out);
	free(out);
}

/* ---- HTTP/1.1 client (one request per connection) ------------------------ */

struct resp {
	int code;
	char head[8192];
	char *body; /* NUL-terminated */
	size_t len;
};

static void
resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/*
 * METHOD path with "Connection: close", extra header lines `hdrs` and
 * `len` octets of body (Content-Length: len); with `head_only` only the
 * head is sent, for answers given before the body (413). Reads to the
 * end, at most 20 s. 1 with a response in r, 0 without.
 */
static int
http_full(const char *method, const char *path, const char *hdrs,
	  const void *body, size_t len, int head_only, struct resp *r)
{
	struct sockaddr_in a = {0};
	size_t cap = 1 << 16, got = 0, hlen;
	double end = now_ms() + 20000.0 * SLOW;
	char *req, *buf, *e;
	int fd, n, ok = 0;

	memset(r, 0, sizeof(*r));
	r->code = -1;
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Connection: close\r\n%sContent-Length: %zu\r\n\r\n",
		     method, path, dport, hdrs ? hdrs : "", len);
	cr_assert_geq(n, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)dport);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	buf = malloc(cap);
	cr_assert_not_null(buf);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto out;
	if (!head_only && len > 0) {
		const char *p = body;
		size_t left = len;

		while (left > 0) {
			ssize_t s = send(fd, p, left, MSG_NOSIGNAL);

			if (s < 0 && errno == EINTR)
				continue;
			if (s <= 0)
				goto out;
			p += s;
			left -= (size_t)s;
		}
	}
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t k;

		if (now_ms() > end)
			goto out;
		if (poll(&p, 1, 200) <= 0)
			continue;
		if (got + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		k = recv(fd, buf + got, cap - got - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	if ((e = memmem(buf, got, "\r\n\r\n", 4)) == NULL)
		goto out;
	hlen = (size_t)(e - buf) + 4;
	if (hlen >= sizeof(r->head) ||
	    sscanf(buf, "HTTP/1.%*d %d", &r->code) != 1)
		goto out;
	memcpy(r->head, buf, hlen);
	r->head[hlen] = '\0';
	r->len = got - hlen;
	r->body = malloc(r->len + 1);
	cr_assert_not_null(r->body);
	memcpy(r->body, buf + hlen, r->len);
	r->body[r->len] = '\0';
	ok = 1;
out:
	close(fd);
	free(buf);
	free(req);
	return ok;
}

/* The status of a request without a body, -1 without an answer. */
static int
http_code(const char *method, const char *path)
{
	struct resp r;
	int code = http_full(method, path, NULL, NULL, 0, 0, &r) ? r.code : -1;

	resp_free(&r);
	return code;
}

/* A JSON answer with the expected status code; the caller decrefs. */
static json_t *
ask_json(int want, const char *method, const char *path, const char *hdrs,
	 const void *body, size_t len)
{
	struct resp r;
	json_error_t je;
	json_t *j;

	cr_assert(http_full(method, path, hdrs, body, len, 0, &r),
		  "%s %s: no answer\n%s", method, path, log_tail());
	cr_assert_eq(r.code, want, "%s %s: HTTP %d, expected %d:\n%s", method,
		     path, r.code, want, r.body);
	cr_assert(strstr(r.head, "Content-Type: application/json") != NULL,
		  "%s %s: not JSON:\n%s", method, path, r.head);
	j = json_loadb(r.body, r.len, 0, &je);
	cr_assert_not_null(j, "%s %s: not JSON (%s):\n%s", method, path,
			   je.text, r.body);
	resp_free(&r);
	return j;
}

/* POST the string `body`: its JSON, expecting `want`. */
static json_t *
post_str(int want, const char *path, const char *body)
{
	return ask_json(want, "POST", path, NULL, body, strlen(body));
}

/* GET path: its JSON, expecting `want`. */
static json_t *get(int want, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *
get(int want, const char *fmt, ...)
{
	char path[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return ask_json(want, "GET", path, NULL, NULL, 0);
}

/* The member at a dotted path ("revocation.reason", "history.0.to"),
 * or NULL. */
static json_t *
jget(json_t *o, const char *path)
{
	char key[64];

	while (o != NULL && *path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (json_is_array(o))
			o = json_array_get(o, strtoul(key, NULL, 10));
		else
			o = json_object_get(o, key);
		path += n + (dot != NULL);
	}
	return o;
}

static const char *
jstr(json_t *o, const char *path)
{
	const char *s = json_string_value(jget(o, path));

	return s ? s : "";
}

/* o as indented JSON, for failure messages (static). */
static const char *
jdump(json_t *o)
{
	static char buf[8192];
	char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}

#define expect_str(o, path, want)                                              \
	cr_expect_str_eq(jstr((o), (path)), (want), "%s in:\n%s", (path),      \
			 jdump(o))

#define expect_true(o, path)                                                   \
	cr_expect(json_is_true(jget((o), (path))), "%s not true in:\n%s",      \
		  (path), jdump(o))

#define expect_false(o, path)                                                  \
	cr_expect(json_is_false(jget((o), (path))), "%s not false in:\n%s",    \
		  (path), jdump(o))

/* A 400 whose {"error"} mentions `needle`. */
static void
expect_400(json_t *o, const char *needle)
{
	cr_expect(strstr(jstr(o, "error"), needle) != NULL,
		  "error without \"%s\":\n%s", needle, jdump(o));
	json_decref(o);
}

/* ---- the test PKI's keys ------------------------------------------------- */

/* Hex of the SHA-1 or SHA-256 of the CA's subjectPublicKey BIT STRING
 * contents (OCSP's issuerKeyHash), computed with OpenSSL alone. */
static void
key_hash_of(X509 *x, const EVP_MD *md, char *out)
{
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	cr_assert_not_null(bits);
	cr_assert_eq(EVP_Digest(ASN1_STRING_get0_data(bits),
				(size_t)ASN1_STRING_length(bits), h, &n, md,
				NULL),
		     1);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* The same of the test PKI's ALG-ca. */
static void
key_hash(const char *alg, const EVP_MD *md, char *out)
{
	X509 *x = load_ca(alg);

	key_hash_of(x, md, out);
	X509_free(x);
}

/* The id of the CA named `name` in /v1/cas. */
static long long
ca_id(const char *name)
{
	json_t *doc = get(200, "/v1/cas"), *ca;
	long long id = -1;
	size_t i;

	json_array_foreach(json_object_get(doc, "cas"), i, ca)
	{
		if (strcmp(jstr(ca, "name"), name) == 0)
			id = (long long)json_integer_value(
			    json_object_get(ca, "id"));
	}
	cr_assert_gt(id, 0, "no CA %s in /v1/cas:\n%s", name, jdump(doc));
	json_decref(doc);
	return id;
}

/* A file's bytes, NUL-terminated (the test fails when unreadable);
 * *len its size. */
static char *
slurp(const char *path, size_t *len)
{
	uint8_t *b = read_file(path, len);
	char *s;

	cr_assert_not_null(b, "cannot read %s", path);
	s = malloc(*len + 1);
	cr_assert_not_null(s);
	memcpy(s, b, *len);
	s[*len] = '\0';
	free(b);
	return s;
}

/* The DER of the PEM certificate at path (malloc'd). */
static uint8_t *
der_of(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	unsigned char *der = NULL;
	int n;

	cr_assert_not_null(f, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(x, "%s: not PEM", path);
	n = i2d_X509(x, &der);
	cr_assert_gt(n, 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

/* The base64 body of a PEM certificate file, on one line (malloc'd). */
static char *
b64_of(const char *path)
{
	size_t dlen;
	uint8_t *der = der_of(path, &dlen);
	char *out = malloc(4 * ((dlen + 2) / 3) + 1);

	cr_assert_not_null(out);
	EVP_EncodeBlock((unsigned char *)out, der, (int)dlen);
	OPENSSL_free(der);
	return out;
}

/*
 * The history of the tests: rsa-ca's CRL 1 (thisUpdate t0 - 3600) with
 * 2002 revoked at t0 - 7200 (keyCompromise) and 3003 on hold since
 * t0 - 5000; CRL 2 (thisUpdate t0 - 1800) without 3003: the hold was
 * lifted. Both valid for a day.
 */
static void
rsa_history(void)
{
	import_crl("rsa", "rsa-1.crl",
		   "--number 1 --this-update @%lld --next-update @%lld "
		   "--entry 2002,@%lld,keyCompromise "
		   "--entry 3003,@%lld,certificateHold",
		   t0 - 3600, t0 + 86400, t0 - 7200, t0 - 5000);
	import_crl("rsa", "rsa-2.crl",
		   "--number 2 --this-update @%lld --next-update @%lld "
		   "--entry 2002,@%lld,keyCompromise",
		   t0 - 1800, t0 + 86400, t0 - 7200);
}

/* ---- 1. lookups ---------------------------------------------------------- */

Test(status, lookups)
{
	char sha1[41], sha256[65], upper[65], colons[100];
	long long id;
	json_t *o;
	size_t i, k;

	daemon_start();
	rsa_history();
	id = ca_id("rsa");
	key_hash("rsa", EVP_sha1(), sha1);
	key_hash("rsa", EVP_sha256(), sha256);

	/* good, by id */
	o = get(200, "/v1/status?issuer=%lld&serial=1001", id);
	expect_str(o, "status", "good");
	expect_str(o, "serial", "1001");
	cr_expect_eq(json_integer_value(jget(o, "issuer.id")), id);
	expect_str(o, "issuer.name", "rsa");
	expect_true(o, "fresh");
	expect_str(o, "source.crl_number", "02");
	expect_str(o, "source.this_update", iso(t0 - 1800));
	expect_str(o, "source.next_update", iso(t0 + 86400));
	cr_expect_null(jget(o, "revocation"), "%s", jdump(o));
	cr_expect_null(jget(o, "qualified"), "%s", jdump(o));
	cr_expect_eq(json_array_size(jget(o, "history")), 0);
	json_decref(o);

	/* revoked, by SHA-1 of the key */
	o = get(200, "/v1/status?issuer=%s&serial=2002", sha1);
	expect_str(o, "status", "revoked");
	expect_str(o, "revocation.reason", "keyCompromise");
	expect_str(o, "revocation.time", iso(t0 - 7200));
	cr_expect_eq(json_integer_value(jget(o, "issuer.id")), id);
	expect_true(o, "fresh");
	json_decref(o);

	/* released from hold, by SHA-256: good, the hold in the history */
	o = get(200, "/v1/status?issuer=%s&serial=3003", sha256);
	expect_str(o, "status", "good");
	cr_expect_eq(json_array_size(jget(o, "history")), 1, "%s", jdump(o));
	expect_str(o, "history.0.status", "on_hold");
	expect_str(o, "history.0.reason", "certificateHold");
	expect_str(o, "history.0.from", iso(t0 - 5000));
	expect_str(o, "history.0.to", iso(t0 - 1800));
	json_decref(o);

	/* during the hold */
	o = get(200, "/v1/status?issuer=%lld&serial=3003&at=%s", id,
		iso(t0 - 4000));
	expect_str(o, "status", "on_hold");
	expect_str(o, "revocation.reason", "certificateHold");
	expect_str(o, "as_of", iso(t0 - 4000));
	json_decref(o);

	/* before the revocation: good; after it: revoked */
	o = get(200, "/v1/status?issuer=%lld&serial=2002&at=%s", id,
		iso(t0 - 10000));
	expect_str(o, "status", "good");
	expect_str(o, "as_of", iso(t0 - 10000));
	expect_true(o, "fresh");
	cr_expect_null(jget(o, "revocation"), "%s", jdump(o));
	json_decref(o);
	o = get(200, "/v1/status?issuer=%lld&serial=2002&at=%s", id,
		iso(t0 - 7000));
	expect_str(o, "status", "revoked");
	json_decref(o);

	/* an offset, percent-encoded and as a bare '+' (a space) */
	o = get(200, "/v1/status?issuer=%lld&serial=2002&at=%s", id,
		"2000-01-01T03:00:00%2B03:00");
	expect_str(o, "status", "good");
	expect_str(o, "as_of", "2000-01-01T00:00:00Z");
	json_decref(o);
	o = get(200, "/v1/status?issuer=%lld&serial=2002&at=%s", id,
		"2000-01-01T03:00:00+03:00");
	expect_str(o, "as_of", "2000-01-01T00:00:00Z");
	json_decref(o);

	/* the key hash in upper case, and with ':' separators */
	for (i = 0; sha256[i]; i++)
		upper[i] =
		    (char)(sha256[i] >= 'a' ? sha256[i] - 32 : sha256[i]);
	upper[i] = '\0';
	o = get(200, "/v1/status?issuer=%s&serial=2002", upper);
	expect_str(o, "status", "revoked");
	json_decref(o);
	for (i = 0, k = 0; sha1[i]; i += 2) {
		if (i)
			colons[k++] = ':';
		colons[k++] = sha1[i];
		colons[k++] = sha1[i + 1];
	}
	colons[k] = '\0';
	o = get(200, "/v1/status?issuer=%s&serial=2002", colons);
	expect_str(o, "status", "revoked");
	json_decref(o);

	/* leading zeros and "0x" name the same serial */
	o = get(200, "/v1/status?issuer=%lld&serial=0x002002", id);
	expect_str(o, "status", "revoked");
	expect_str(o, "serial", "2002");
	json_decref(o);

	/* HEAD: the head of the same answer */
	cr_expect_eq(http_code("HEAD", "/v1/status?issuer=1&serial=1"), 200);
	daemon_stop_clean();
}

/* ---- 2. unknown and malformed -------------------------------------------- */

Test(status, unknown_and_malformed)
{
	char twin[41], sha1[41], path[512], big[400];
	long long id;
	json_t *o;

	daemon_start();
	rsa_history();
	id = ca_id("rsa");
	key_hash("rsa", EVP_sha1(), sha1);
	/* twin-ca: ecdsa-ca's subject with another key, not stored */
	key_hash("twin", EVP_sha1(), twin);

	o = get(200, "/v1/status?issuer=%s&serial=2002", twin);
	expect_str(o, "status", "unknown");
	expect_str(o, "unknown_reason", "unknown_issuer");
	expect_false(o, "fresh");
	cr_expect_eq(json_object_size(jget(o, "issuer")), 0, "%s", jdump(o));
	json_decref(o);
	o = get(200, "/v1/status?issuer=4000000000&serial=2002");
	expect_str(o, "status", "unknown");
	expect_str(o, "unknown_reason", "unknown_issuer");
	json_decref(o);
	/* a configured CA without a CRL */
	o = get(200, "/v1/status?issuer=%lld&serial=2002", ca_id("ecdsa"));
	expect_str(o, "status", "unknown");
	expect_str(o, "unknown_reason", "no_crl");
	expect_false(o, "fresh");
	cr_expect_null(jget(o, "source"), "%s", jdump(o));
	json_decref(o);

	/* malformed serials */
	expect_400(get(400, "/v1/status?issuer=%lld&serial=zz", id), "serial");
	expect_400(get(400, "/v1/status?issuer=%lld&serial=", id), "serial");
	expect_400(get(400, "/v1/status?issuer=%lld&serial=-", id), "serial");
	expect_400(get(400, "/v1/status?issuer=%lld&serial=12%%2034", id),
		   "serial");
	memset(big, 'a', 130);
	big[130] = '\0'; /* 65 octets: over MAX_SERIAL_LEN */
	expect_400(get(400, "/v1/status?issuer=%lld&serial=%s", id, big),
		   "serial");
	/* malformed issuers */
	expect_400(get(400, "/v1/status?issuer=abc&serial=2002"), "issuer");
	expect_400(get(400, "/v1/status?issuer=0&serial=2002"), "issuer");
	expect_400(get(400, "/v1/status?issuer=-1&serial=2002"), "issuer");
	expect_400(get(400, "/v1/status?issuer=4294967296&serial=2002"),
		   "issuer");
	expect_400(get(400, "/v1/status?issuer=&serial=2002"), "issuer");
	snprintf(path, sizeof(path), "/v1/status?issuer=%.38s&serial=2002",
		 sha1); /* 19 octets */
	expect_400(get(400, "%s", path), "issuer");
	snprintf(path, sizeof(path), "/v1/status?issuer=%s00&serial=2002",
		 sha1); /* 21 octets */
	expect_400(get(400, "%s", path), "issuer");
	snprintf(path, sizeof(path), "/v1/status?issuer=%.39sg&serial=2002",
		 sha1);
	expect_400(get(400, "%s", path), "issuer");
	/* malformed instants */
	expect_400(
	    get(400, "/v1/status?issuer=%lld&serial=2002&at=yesterday", id),
	    "at");
	expect_400(
	    get(400,
		"/v1/status?issuer=%lld&serial=2002&at=2026-13-01T00:00:00Z",
		id),
	    "at");
	expect_400(get(400, "/v1/status?issuer=%lld&serial=2002&at=", id),
		   "at");
	/* missing and overlong parameters */
	expect_400(get(400, "/v1/status?serial=2002"), "issuer");
	expect_400(get(400, "/v1/status?issuer=%lld", id), "serial");
	expect_400(get(400, "/v1/status"), "issuer");
	memset(big, 'a', 300);
	big[300] = '\0';
	expect_400(get(400, "/v1/status?issuer=%lld&serial=%s", id, big),
		   "too long");
	/* the batch path takes POST only */
	cr_expect_eq(http_code("GET", "/v1/status/batch"), 405);
	cr_expect_eq(http_code("PUT", "/v1/status"), 405);
	/* the daemon still answers */
	o = get(200, "/v1/status?issuer=%lld&serial=2002", id);
	expect_str(o, "status", "revoked");
	json_decref(o);
	daemon_stop_clean();
}

/* ---- 3. POST a certificate ----------------------------------------------- */

/* mktsl.sh: 3 CAs (CA 1 rsa accredited since 2019, CA 2 ecdsa, CA 3
 * gost256 whose accreditation ended in 2024) in DIR/tsl; CRL addresses
 * on a port nothing listens on. */
static void
make_tsl(void)
{
	char *out = NULL;
	int rc;

	rc = run_capture(&out,
			 "GENCRL='%s' sh '%s/data/mktsl.sh' '%s/tsl' "
			 "http://127.0.0.1:9 3 2>&1",
			 env_path("GENCRL"), env_path("TESTS_SRCDIR"), dir);
	cr_assert_eq(rc, 0, "mktsl.sh failed:\n%s", out);
	free(out);
}

Test(status, post_certificate)
{
	const char *leaf = path_in(test_pki(), "rsa-leaf.pem");
	char *pem, *b64, *junk;
	uint8_t *der;
	size_t len, dlen;
	json_t *o, *o2;

	daemon_start();
	rsa_history();
	pem = slurp(leaf, &len);
	der = der_of(leaf, &dlen);
	b64 = b64_of(leaf);

	/* PEM */
	o = ask_json(200, "POST", "/v1/status",
		     "Content-Type: application/x-pem-file\r\n", pem, len);
	expect_str(o, "status", "good");
	expect_str(o, "serial", "1001");
	expect_str(o, "issuer.name", "rsa");
	cr_expect(json_is_string(jget(o, "validity.not_before")), "%s",
		  jdump(o));
	cr_expect(json_is_string(jget(o, "validity.not_after")), "%s",
		  jdump(o));
	expect_false(o, "validity.expired");
	cr_expect(json_is_null(jget(o, "qualified")),
		  "qualified is not null for a config CA:\n%s", jdump(o));
	expect_true(o, "fresh");
	/* DER: the same answer */
	o2 = ask_json(200, "POST", "/v1/status",
		      "Content-Type: application/pkix-cert\r\n", der, dlen);
	expect_str(o2, "status", "good");
	expect_str(o2, "validity.not_before", jstr(o, "validity.not_before"));
	expect_str(o2, "validity.not_after", jstr(o, "validity.not_after"));
	cr_expect(json_is_null(jget(o2, "qualified")), "%s", jdump(o2));
	json_decref(o2);
	/* base64 of the DER, without a Content-Type */
	o2 = ask_json(200, "POST", "/v1/status", NULL, b64, strlen(b64));
	expect_str(o2, "serial", "1001");
	json_decref(o2);
	/* a past instant, and one after notAfter: expired */
	o2 = ask_json(200, "POST", "/v1/status?at=2000-01-01T00:00:00Z", NULL,
		      pem, len);
	expect_str(o2, "as_of", "2000-01-01T00:00:00Z");
	json_decref(o2);
	o2 = ask_json(200, "POST", "/v1/status?at=2100-01-01T00:00:00Z", NULL,
		      pem, len);
	expect_true(o2, "validity.expired");
	expect_str(o2, "status", "unknown"); /* the CRL says nothing of 2100 */
	json_decref(o2);
	json_decref(o);

	/* a certificate of a CA not in the store */
	junk = slurp(path_in(test_pki(), "ed25519-leaf.pem"), &len);
	o = ask_json(200, "POST", "/v1/status", NULL, junk, len);
	free(junk);
	expect_str(o, "status", "unknown");
	expect_str(o, "unknown_reason", "unknown_issuer");
	cr_expect(json_is_null(jget(o, "qualified")), "%s", jdump(o));
	json_decref(o);

	daemon_stop_clean();
	free(pem);
	OPENSSL_free(der);
	free(b64);
}

/* Not certificates: each a 400. */
Test(status, post_not_a_certificate)
{
	const char *leaf = path_in(test_pki(), "rsa-leaf.pem");
	static const char *const bad[] = {
	    "",
	    "hello",
	    "MIIB",
	    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	    "\x30\x03\x02\x01\x01",
	    "{\"certificate\": \"x\"}",
	};
	char *pem, *two;
	uint8_t *der, *longer;
	size_t len, dlen, i;
	json_t *o;

	daemon_start();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_400(post_str(400, "/v1/status", bad[i]),
			   "not a certificate");
	/* DER with a byte after it; PEM with text after it; two PEMs */
	der = der_of(leaf, &dlen);
	longer = malloc(dlen + 1);
	cr_assert_not_null(longer);
	memcpy(longer, der, dlen);
	longer[dlen] = 0;
	expect_400(ask_json(400, "POST", "/v1/status", NULL, longer, dlen + 1),
		   "not a certificate");
	/* DER cut short */
	expect_400(ask_json(400, "POST", "/v1/status", NULL, der, dlen - 1),
		   "not a certificate");
	pem = slurp(leaf, &len);
	cr_assert(asprintf(&two, "%s%s", pem, pem) > 0);
	expect_400(ask_json(400, "POST", "/v1/status", NULL, two, strlen(two)),
		   "not a certificate");
	free(two);
	cr_assert(asprintf(&two, "%strailing\n", pem) > 0);
	expect_400(ask_json(400, "POST", "/v1/status", NULL, two, strlen(two)),
		   "not a certificate");
	free(two);
	/* text before the PEM block is allowed (openssl x509 -text) */
	cr_assert(asprintf(&two, "Certificate:\n  Data: ...\n%s\n\n", pem) > 0);
	o = ask_json(200, "POST", "/v1/status", NULL, two, strlen(two));
	expect_str(o, "serial", "1001");
	json_decref(o);
	free(two);
	/* a malformed at with a good certificate */
	expect_400(ask_json(400, "POST", "/v1/status?at=now", NULL, pem, len),
		   "at");
	free(pem);
	free(longer);
	OPENSSL_free(der);
	daemon_stop_clean();
}

/* "qualified" from the trusted list, over HTTP and in the CLI. */
Test(status, qualified_from_the_list)
{
	char path[1024], sha1[41], *pem, *out = NULL;
	size_t len;
	json_t *o;
	int rc;

	make_tsl();
	daemon_start();
	rc = otzyv(&out, "import-tsl '%s/tsl/tsl.xml'", dir);
	cr_assert_eq(rc, 0, "import-tsl: exit %d\n%s", rc, out);
	free(out);
	rc = otzyv(&out,
		   "import-crl '%s/tsl/crl/ca1-1.crl' '%s/tsl/crl/ca3-1.crl'",
		   dir, dir);
	cr_assert_eq(rc, 0, "import-crl: exit %d\n%s", rc, out);
	free(out);

	/* CA 1: accredited since 2019 */
	snprintf(path, sizeof(path), "%s/tsl/ca1-1-good.pem", dir);
	pem = slurp(path, &len);
	o = ask_json(200, "POST", "/v1/status", NULL, pem, len);
	expect_str(o, "status", "good");
	expect_true(o, "qualified");
	json_decref(o);
	free(pem);
	rc = otzyv(&out, "status --json '%s'", path);
	cr_expect_eq(rc, 0, "%s", out);
	o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	expect_true(o, "qualified");
	json_decref(o);
	free(out);
	rc = otzyv(&out, "status '%s'", path);
	cr_expect(strstr(out, "qualified: yes") != NULL, "%s", out);
	free(out);

	/* CA 3: accreditation ended in 2024, the certificate is newer */
	snprintf(path, sizeof(path), "%s/tsl/ca3-1-revoked.pem", dir);
	pem = slurp(path, &len);
	o = ask_json(200, "POST", "/v1/status", NULL, pem, len);
	expect_str(o, "status", "revoked");
	expect_str(o, "revocation.reason", "keyCompromise");
	expect_false(o, "qualified");
	json_decref(o);
	free(pem);
	rc = otzyv(&out, "status --json '%s'", path);
	cr_expect_eq(rc, 1, "%s", out);
	o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	expect_false(o, "qualified");
	json_decref(o);
	free(out);

	/* A bare serial says nothing of qualification */
	{
		FILE *f;
		X509 *x;

		snprintf(path, sizeof(path), "%s/tsl/ca1-1.pem", dir);
		cr_assert_not_null(f = fopen(path, "r"));
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		cr_assert_not_null(x);
		key_hash_of(x, EVP_sha1(), sha1);
		X509_free(x);
	}
	o = get(200, "/v1/status?issuer=%s&serial=1001", sha1);
	expect_str(o, "status", "good");
	cr_expect_null(jget(o, "qualified"), "%s", jdump(o));
	json_decref(o);
	daemon_stop_clean();
}

/* ---- 4. batch ------------------------------------------------------------ */

Test(status, batch)
{
	const char *leaf = path_in(test_pki(), "rsa-leaf.pem");
	char sha256[65], *pem, *pem_json, *b64, *body;
	long long id;
	size_t len, i;
	json_t *o, *pemstr;
	struct resp r;

	daemon_start();
	rsa_history();
	id = ca_id("rsa");
	key_hash("rsa", EVP_sha256(), sha256);
	pem = slurp(leaf, &len);
	pemstr = json_string(pem);
	pem_json = json_dumps(pemstr, JSON_ENCODE_ANY);
	json_decref(pemstr);
	b64 = b64_of(leaf);

	cr_assert(asprintf(&body,
			   "[{\"issuer\": \"%lld\", \"serial\": \"1001\"},\n"
			   " {\"issuer\": \"%s\", \"serial\": \"2002\"},\n"
			   " {\"issuer\": %lld, \"serial\": \"2002\", "
			   "\"at\": \"%s\"},\n"
			   " {\"certificate\": \"%s\"},\n"
			   " {\"certificate\": %s, \"at\": null},\n"
			   " {\"issuer\": \"%lld\", \"serial\": \"zz\"},\n"
			   " {\"issuer\": \"nope\", \"serial\": \"1\"},\n"
			   " {\"issuer\": \"%lld\", \"serial\": \"3003\", "
			   "\"at\": \"%s\"}]",
			   id, sha256, id, iso(t0 - 10000), b64, pem_json, id,
			   id, iso(t0 - 4000)) > 0);
	o = ask_json(200, "POST", "/v1/status/batch",
		     "Content-Type: application/json\r\n", body, strlen(body));
	free(body);
	cr_assert_eq(json_array_size(o), 8, "%s", jdump(o));
	expect_str(o, "0.status", "good");
	expect_str(o, "0.serial", "1001");
	expect_str(o, "1.status", "revoked");
	expect_str(o, "1.revocation.reason", "keyCompromise");
	expect_str(o, "2.status", "good");
	expect_str(o, "2.as_of", iso(t0 - 10000));
	expect_str(o, "3.status", "good");
	expect_str(o, "3.serial", "1001");
	cr_expect(json_is_null(jget(o, "3.qualified")), "%s", jdump(o));
	cr_expect(json_is_string(jget(o, "3.validity.not_after")), "%s",
		  jdump(o));
	expect_str(o, "4.serial", "1001");
	cr_expect(strstr(jstr(o, "5.error"), "serial") != NULL, "%s", jdump(o));
	cr_expect_null(jget(o, "5.status"));
	cr_expect(strstr(jstr(o, "6.error"), "issuer") != NULL, "%s", jdump(o));
	expect_str(o, "7.status", "on_hold");
	json_decref(o);

	/* wrong types and shapes, item by item */
	body = "[1, \"x\", [], null, {},"
	       " {\"issuer\": [], \"serial\": \"1\"},"
	       " {\"issuer\": \"1\", \"serial\": 4098},"
	       " {\"certificate\": \"AAAA\", \"issuer\": \"1\"}]";
	o = post_str(200, "/v1/status/batch", body);
	cr_assert_eq(json_array_size(o), 8, "%s", jdump(o));
	for (i = 0; i < 8; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%zu.error", i);
		cr_expect(json_is_string(jget(o, key)), "item %zu:\n%s", i,
			  jdump(o));
	}
	json_decref(o);
	o = post_str(200, "/v1/status/batch",
		     "[{\"certificate\": \"bm90IGEgY2VydA==\"},"
		     " {\"certificate\": 5}, {\"issuer\": \"1\","
		     " \"serial\": \"1\", \"at\": 5},"
		     " {\"issuer\": \"1\", \"serial\": \"1\", \"at\": \"x\"}]");
	cr_assert_eq(json_array_size(o), 4, "%s", jdump(o));
	cr_expect(strstr(jstr(o, "0.error"), "certificate") != NULL, "%s",
		  jdump(o));
	cr_expect(strstr(jstr(o, "1.error"), "certificate") != NULL, "%s",
		  jdump(o));
	cr_expect(strstr(jstr(o, "2.error"), "at") != NULL, "%s", jdump(o));
	cr_expect(strstr(jstr(o, "3.error"), "at") != NULL, "%s", jdump(o));
	json_decref(o);
	/* a NUL inside a string would cut it short: refused */
	expect_400(post_str(400, "/v1/status/batch",
			    "[{\"issuer\": \"1\", \"serial\": "
			    "\"2002\\u0000zz\"}]"),
		   "not a JSON array");

	/* empty, exactly max_batch, one more */
	o = post_str(200, "/v1/status/batch", "[]");
	cr_expect_eq(json_array_size(o), 0);
	json_decref(o);
	cr_assert(asprintf(&body, "[") > 0);
	for (i = 0; i < MAX_BATCH; i++) {
		char *n;

		cr_assert(asprintf(&n,
				   "%s%s{\"issuer\": %lld, \"serial\": "
				   "\"%zx\"}",
				   body, i ? "," : "", id, 0x2000 + i) > 0);
		free(body);
		body = n;
	}
	{
		char *full, *over;

		cr_assert(asprintf(&full, "%s]", body) > 0);
		o = ask_json(200, "POST", "/v1/status/batch", NULL, full,
			     strlen(full));
		cr_expect_eq(json_array_size(o), MAX_BATCH);
		expect_str(o, "2.status", "revoked"); /* 0x2002 */
		json_decref(o);
		cr_assert(asprintf(&over,
				   "%s, {\"issuer\": 1, \"serial\": "
				   "\"1\"}]",
				   body) > 0);
		expect_400(ask_json(400, "POST", "/v1/status/batch", NULL, over,
				    strlen(over)),
			   "too many items");
		free(over);
		/* many scalars in one item count too */
		cr_assert(asprintf(&over, "[{\"x\": [%s1]}]",
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
				   "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,") >
			  0);
		expect_400(ask_json(400, "POST", "/v1/status/batch", NULL, over,
				    strlen(over)),
			   "too many items");
		free(over);
		free(full);
	}
	free(body);

	/* not a JSON array */
	expect_400(post_str(400, "/v1/status/batch", ""), "not a JSON array");
	expect_400(post_str(400, "/v1/status/batch", "[{"), "not a JSON array");
	expect_400(post_str(400, "/v1/status/batch",
			    "{\"issuer\": \"1\", \"serial\": \"1\"}"),
		   "not a JSON array");
	expect_400(post_str(400, "/v1/status/batch", "\"[]\""),
		   "not a JSON array");
	expect_400(post_str(400, "/v1/status/batch",
			    "[{\"issuer\": \"1\", \"issuer\": \"2\"}]"),
		   "not a JSON array");
	cr_assert(http_full("POST", "/v1/status/batch", NULL, pem, len, 0, &r));
	cr_expect_eq(r.code, 400);
	resp_free(&r);

	free(pem);
	free(pem_json);
	free(b64);
	daemon_stop_clean();
}

/* ---- 5. body limits ------------------------------------------------------ */

Test(status, body_limits)
{
	char *body = malloc(MAX_BODY + 2);
	struct resp r;
	json_t *o;

	cr_assert_not_null(body);
	memset(body, ' ', MAX_BODY + 1);
	body[MAX_BODY + 1] = '\0';
	daemon_start();

	/* over [verify] max_body: 413 from the head alone */
	cr_assert(
	    http_full("POST", "/v1/status", NULL, body, MAX_BODY + 1, 1, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	cr_assert(http_full("POST", "/v1/status/batch", NULL, body,
			    MAX_BODY + 1, 1, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	/* at max_body: read and answered (not a certificate, not JSON) */
	expect_400(ask_json(400, "POST", "/v1/status", NULL, body, MAX_BODY),
		   "not a certificate");
	memcpy(body + MAX_BODY - 2, "[]", 2);
	o = ask_json(200, "POST", "/v1/status/batch", NULL, body, MAX_BODY);
	cr_expect_eq(json_array_size(o), 0);
	json_decref(o);
	/* 20K: over the OCSP limit, under the API's */
	memset(body, ' ', 20 * 1024);
	expect_400(ask_json(400, "POST", "/v1/status", NULL, body, 20 * 1024),
		   "not a certificate");
	cr_assert(http_full("POST", "/ocsp",
			    "Content-Type: application/ocsp-request\r\n", body,
			    20 * 1024, 1, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	cr_assert(http_full("POST", "/",
			    "Content-Type: application/ocsp-request\r\n", body,
			    16 * 1024 + 1, 1, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	/* paths outside /v1/ keep the small limit too */
	cr_assert(http_full("POST", "/metrics", NULL, body, 20 * 1024, 1, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	/* OCSP at its limit is read (and is malformed) */
	cr_assert(http_full("POST", "/ocsp",
			    "Content-Type: application/ocsp-request\r\n", body,
			    16 * 1024, 0, &r));
	cr_expect_eq(r.code, 200, "%s", r.head);
	resp_free(&r);
	free(body);
	daemon_stop_clean();
}

/* ---- 6. stale ------------------------------------------------------------ */

Test(status, stale_is_unknown)
{
	long long id;
	json_t *o;
	char *out = NULL;
	int rc;

	daemon_start();
	/* ecdsa-ca's CRL: thisUpdate t0 - 7200, nextUpdate t0 - 3600 */
	import_crl("ecdsa", "ecdsa-old.crl",
		   "--number 5 --this-update @%lld --next-update @%lld "
		   "--entry 2002,@%lld,keyCompromise",
		   t0 - 7200, t0 - 3600, t0 - 9000);
	id = ca_id("ecdsa");

	o = get(200, "/v1/status?issuer=%lld&serial=2002", id);
	expect_str(o, "status", "unknown");
	expect_false(o, "fresh");
	expect_str(o, "unknown_reason", "crl_not_fresh");
	expect_str(o, "last_known.status", "revoked");
	expect_str(o, "last_known.revocation.reason", "keyCompromise");
	expect_str(o, "source.crl_number", "05");
	expect_str(o, "source.next_update", iso(t0 - 3600));
	cr_expect_null(jget(o, "revocation"), "%s", jdump(o));
	json_decref(o);
	o = get(200, "/v1/status?issuer=%lld&serial=1001", id);
	expect_str(o, "status", "unknown");
	expect_false(o, "fresh");
	expect_str(o, "last_known.status", "good");
	json_decref(o);
	/* a certificate of that CA: never "good" */
	{
		size_t len;
		char *pem = slurp(path_in(test_pki(), "ecdsa-leaf.pem"), &len);

		o = ask_json(200, "POST", "/v1/status", NULL, pem, len);
		expect_str(o, "status", "unknown");
		expect_false(o, "fresh");
		json_decref(o);
		free(pem);
	}
	/* an instant the old CRL covers is still answered */
	o = get(200, "/v1/status?issuer=%lld&serial=2002&at=%s", id,
		iso(t0 - 8000));
	expect_str(o, "status", "revoked");
	expect_true(o, "fresh");
	json_decref(o);
	/* the CLI agrees */
	rc = otzyv(&out,
		   "status --json --issuer '%s/ecdsa-ca.pem' --serial "
		   "2002",
		   test_pki());
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "\"unknown\"") != NULL, "%s", out);
	free(out);
	daemon_stop_clean();
}
