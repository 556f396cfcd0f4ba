/*
 * POST /v1/verify end to end: otzyvd on a loopback port of its own, over
 * the store of tests/unit/verify/helpers.c (CRLs of the ECDSA signature
 * PKI imported in-process), with [verify] anchors = ecdsa-ca.pem and
 * tsl_anchors = no; signatures made with `openssl cms`.
 *
 * Covered: a detached signature with its content as JSON, the same with
 * only the content's SHA-256, an attached signature as a raw
 * application/pkcs7-signature body; a corrupted signature ("invalid");
 * garbage (raw and JSON) and JSON of wrong types, 400 with {"error"};
 * a body over [verify] max_body, 413; a full queue (threads = 1, queue
 * = 1), 503 with Retry-After; a client gone while its job runs; OCSP
 * answered while verifications run; a signer certificate with a 200
 * KiB extension (an answer, and the daemon still up); ~300 hostile
 * bodies with the daemon's VmRSS read after the first 100 and at the
 * end (bounded growth); with tsl_anchors = yes and no anchors, a CA of
 * a generated trusted list (tests/data/mktsl.sh) untrusted until `otzyv
 * import-tsl` runs beside the daemon, then trusted by the next request;
 * the audit trail ([verify] audit_log) of three decisions.
 *
 * The queue test is timing-based but with a wide margin: six bodies are
 * sent but for their last byte, then those bytes go out back to back,
 * so that six requests arrive within a millisecond or so while one
 * verification of 8 MiB of content takes tens of milliseconds: with one
 * thread and a queue of one, at least one request must be refused.
 */
#include "config.h"

#include <arpa/inet.h>
#include <sched.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common.h"
#include "e2e.h"
#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "unit/verify/helpers.h"

#define MAX_BODY (40 << 20)

static char conf[1024], logpath[1024];
static pid_t dpid = -1;
static int dport;
/* [verify] anchors (a file; NULL: none) and tsl_anchors of the next
 * daemon_start(); ecdsa-ca.pem and no by default. */
static char anchors[1024];
static int tsl_anchors;
/* [verify] audit_file of the next daemon_start() ("": no audit). */
static char audit_file[1024];
static int didle; /* [server] idle_timeout, seconds */

static void
setup(void)
{
	vt_setup();
	snprintf(conf, sizeof(conf), "%s", vt_path("otzyv.conf"));
	snprintf(logpath, sizeof(logpath), "%s", vt_path("otzyvd.log"));
	snprintf(anchors, sizeof(anchors), "%s", vt_pki("ecdsa-ca.pem"));
	tsl_anchors = 0;
	audit_file[0] = '\0';
	didle = 60;
	dpid = -1;
}

static void
teardown(void)
{
	stop(&dpid, SIGKILL);
	vt_teardown();
}

TestSuite(verify_http, .init = setup, .fini = teardown, .timeout = 120 * SLOW);

/* ---- the daemon ---------------------------------------------------------- */

static void
conf_write(unsigned threads, unsigned queue)
{
	const char *p = test_pki();
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"[server]\nlisten = 127.0.0.1:%d\nadmin_listen =\nthreads = 2\n"
		"idle_timeout = %ds\n"
		"\n[store]\npath = %s\nmap_size = 64M\n\n"
		"[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
		"[fetch]\nretry_min = 1h\nretry_max = 2h\n\n"
		"[verify]\nmax_body = %d\n%s%s\ntsl_anchors = %s\n"
		"threads = %u\nqueue = %u\n%s%s\n",
		dport, didle, vt_path("store"), p, p, MAX_BODY,
		anchors[0] ? "anchors = " : "", anchors,
		tsl_anchors ? "yes" : "no", threads, queue,
		audit_file[0] ? "audit_log = yes\naudit_file = " : "",
		audit_file);
	cr_assert_eq(fclose(f), 0);
}

static int
is_up(void)
{
	struct req q = {.port = dport,
			.method = "GET",
			.path = "/healthz",
			.timeout_ms = 2000};
	struct resp r;
	int ok = http_ask(&q, &r) && r.code == 200;

	resp_free(&r);
	return ok;
}

/* The pool size of the next daemon_start(). */
static unsigned dthreads, dqueue;

/* A new port, and the configuration for it. */
static void
daemon_setup(void)
{
	dport = free_loopback_port();
	conf_write(dthreads, dqueue);
}

static void
daemon_start(unsigned threads, unsigned queue)
{
	dthreads = threads;
	dqueue = queue;
	dpid = otzyvd_start(conf, logpath, daemon_setup, is_up);
}

static void
daemon_stop_clean(void)
{
	otzyvd_stop_clean(&dpid, logpath);
}

/* ---- requests ------------------------------------------------------------ */

/* base64 of buf (malloc'd). */
static char *
b64(const uint8_t *buf, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);

	cr_assert_not_null(out);
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

static char *
b64_file(const char *path)
{
	size_t len;
	uint8_t *buf = read_file(path, &len);
	char *s;

	cr_assert_not_null(buf, "%s", path);
	s = b64(buf, len);
	free(buf);
	return s;
}

/* POSTs body to /v1/verify; the answer in *r, its JSON returned (NULL
 * when not JSON). */
static json_t *
post(const char *ctype, const void *body, size_t len, struct resp *r)
{
	char hdrs[128];
	struct req q = {.port = dport,
			.method = "POST",
			.path = "/v1/verify",
			.hdrs = hdrs,
			.body = body,
			.len = len,
			.timeout_ms = 20000 * SLOW};

	snprintf(hdrs, sizeof(hdrs), "Content-Type: %s\r\n", ctype);
	cr_assert(http_ask(&q, r), "no answer");
	return json_loadb((const char *)r->body, r->len, 0, NULL);
}

static json_t *
post_json(const char *text, struct resp *r)
{
	return post("application/json", text, strlen(text), r);
}

/* {"signature": SIG, "content": DOC} of files. */
static char *
detached_request(const char *sig, const char *content)
{
	char *s = b64_file(sig), *c = b64_file(content), *out;

	cr_assert_geq(asprintf(&out,
			       "{\"signature\": \"%s\", \"content\": \"%s\"}",
			       s, c),
		      0);
	free(s);
	free(c);
	return out;
}

static void
expect_verdict(const char *text, const char *verdict)
{
	struct resp r;
	json_t *doc = post_json(text, &r);

	cr_assert_eq(r.code, 200, "%d %s", r.code, (char *)r.body);
	cr_assert_not_null(doc);
	cr_expect_str_eq(jstr(doc, "verdict"), verdict, "%s", jdump(doc));
	json_decref(doc);
	resp_free(&r);
}

static void
expect_400(const char *ctype, const char *text, const char *needle)
{
	struct resp r;
	json_t *doc = post(ctype, text, strlen(text), &r);

	cr_assert_eq(r.code, 400, "%s: %d %s", text, r.code, (char *)r.body);
	cr_assert_not_null(doc, "%s", (char *)r.body);
	assert_has(jstr(doc, "error"), needle);
	cr_assert(r.len > 0 && r.body[r.len - 1] == '\n', "%s", r.body);
	json_decref(doc);
	resp_free(&r);
}

/* A request of 8 MiB of content signed detached (big enough that its
 * verification takes a while). */
static char *
big_request(void)
{
	size_t n = 8u << 20;
	char *content = malloc(n), *req;

	cr_assert_not_null(content);
	memset(content, 'x', n);
	cr_assert(write_file(vt_path("big.txt"), content, n));
	free(content);
	cr_assert_eq(run("openssl cms -sign -binary -in '%s' -signer '%s' "
			 "-inkey '%s' -certfile '%s' -outform DER -out '%s'",
			 vt_path("big.txt"), vt_pki("ecdsa-signer.pem"),
			 vt_pki("ecdsa-signer.key"), vt_pki("ecdsa-int.pem"),
			 vt_path("big.der")),
		     0);
	req = detached_request(vt_path("big.der"), vt_path("big.txt"));
	return req;
}

static int
connect_to(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Sends the head and all of body but its last `keep` octets. */
static int
send_partial(const char *body, size_t len, size_t keep)
{
	char head[256];
	int fd = connect_to(dport), n;

	n = snprintf(head, sizeof(head),
		     "POST /v1/verify HTTP/1.1\r\nHost: x\r\nConnection: "
		     "close\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     len);
	cr_assert(send_all(fd, head, (size_t)n));
	cr_assert(send_all(fd, body, len - keep));
	return fd;
}

/* The status code of the answer on fd, read to its end. */
static int
read_code(int fd, char **head)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int code = -1;

	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			got = sizeof(buf) / 2; /* keep the head only */
	}
	buf[got] = '\0';
	sscanf(buf, "HTTP/1.1 %d", &code);
	if (head != NULL)
		*head = strdup(buf);
	return code;
}

/* ---- tests --------------------------------------------------------------- */

Test(verify_http, detached_digest_attached)
{
	uint8_t md[HASH_MAX_LEN];
	size_t len, mdlen;
	uint8_t *doc = read_file(vt_doc(), &len);
	char *req, *s, *d;
	struct resp r;
	json_t *ans;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	daemon_start(1, 64);

	req = detached_request(vt_path("s.der"), vt_doc());
	expect_verdict(req, "valid");
	free(req);

	/* Only the digest. */
	mdlen = crypto_hash(HASH_SHA256, doc, len, md);
	s = b64_file(vt_path("s.der"));
	d = b64(md, mdlen);
	cr_assert_geq(
	    asprintf(&req,
		     "{\"signature\": \"%s\", \"content_digest\": "
		     "{\"algorithm\": \"sha256\", \"value\": \"%s\"}}",
		     s, d),
	    0);
	expect_verdict(req, "valid");
	free(req);
	free(d);
	free(s);
	free(doc);

	/* An attached signature, raw. */
	vt_sign("ecdsa", "a.der", "-nodetach");
	doc = read_file(vt_path("a.der"), &len);
	ans = post("application/pkcs7-signature", doc, len, &r);
	cr_assert_eq(r.code, 200, "%d %s", r.code, (char *)r.body);
	cr_expect_str_eq(jstr(ans, "verdict"), "valid", "%s", jdump(ans));
	json_decref(ans);
	resp_free(&r);
	free(doc);
	daemon_stop_clean();
}

/* [verify] audit_log: one line per decision in the audit file, each
 * with the X-Request-Id of its answer, the signer's serial and issuer,
 * the verdict and reasons, or the error; never the content. */
Test(verify_http, audit_trail)
{
	char *req, *log, ids[3][64], want[128];
	const char *texts[3];
	struct resp r;
	json_t *ans;
	size_t len;
	int i;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	vt_corrupt_signature(vt_path("s.der"), vt_path("bad.der"), 0);
	snprintf(audit_file, sizeof(audit_file), "%s", vt_path("audit.log"));
	daemon_start(1, 64);

	texts[0] = req = detached_request(vt_path("s.der"), vt_doc());
	texts[1] = detached_request(vt_path("bad.der"), vt_doc());
	texts[2] = "{\"signature\": 5}";
	for (i = 0; i < 3; i++) {
		ans = post_json(texts[i], &r);
		cr_assert_eq(r.code, i < 2 ? 200 : 400, "%d %s", r.code,
			     (char *)r.body);
		cr_assert_not_null(resp_header(&r, "X-Request-Id"));
		snprintf(ids[i], sizeof(ids[i]), "%s",
			 resp_header(&r, "X-Request-Id"));
		cr_assert_eq(strlen(ids[i]), 16, "%s", ids[i]);
		json_decref(ans);
		resp_free(&r);
	}
	daemon_stop_clean();

	log = (char *)read_file(vt_path("audit.log"), &len);
	cr_assert_not_null(log);
	snprintf(want, sizeof(want), "request_id=%s verdict=valid signers=1 ",
		 ids[0]);
	assert_has(log, want);
	snprintf(want, sizeof(want), "request_id=%s verdict=invalid ", ids[1]);
	assert_has(log, want);
	assert_has(log, "s0_reasons=bad_signature");
	snprintf(want, sizeof(want),
		 "request_id=%s verdict=error error=\"signature: expected",
		 ids[2]);
	assert_has(log, want);
	assert_has(log, "s0_serial=2001 s0_issuer=\"");
	cr_assert_null(strstr(log, "the document"), "%s", log);
	free(log);
	free((char *)texts[1]);
	free(req);
}

Test(verify_http, bad_signature_invalid)
{
	char *req;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	vt_corrupt_signature(vt_path("s.der"), vt_path("bad.der"), 0);
	daemon_start(1, 64);
	req = detached_request(vt_path("bad.der"), vt_doc());
	expect_verdict(req, "invalid");
	free(req);
	daemon_stop_clean();
}

/* Base64 as JSON encoders write it, in lines ("\n") and with "\/":
 * read where it stands, as plain base64 is. */
Test(verify_http, json_escaped_base64)
{
	char *s, *c, *es, *ec, *req, *o;
	size_t i;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	s = b64_file(vt_path("s.der"));
	c = b64_file(vt_doc());
	es = malloc(2 * strlen(s) + 1);
	ec = malloc(2 * strlen(c) + 1);
	cr_assert_not_null(es);
	cr_assert_not_null(ec);
	for (o = es, i = 0; s[i] != '\0'; i++) {
		if (s[i] == '/')
			*o++ = '\\';
		*o++ = s[i];
	}
	*o = '\0';
	for (o = ec, i = 0; c[i] != '\0'; i++) {
		if (i > 0 && i % 64 == 0) {
			*o++ = '\\';
			*o++ = 'n';
		}
		*o++ = c[i];
	}
	*o = '\0';
	cr_assert_geq(
	    asprintf(&req, "{\"signature\": \"%s\", \"content\": \"%s\\n\"}",
		     es, ec),
	    0);
	daemon_start(1, 64);
	expect_verdict(req, "valid");
	daemon_stop_clean();
	free(req);
	free(s);
	free(c);
	free(es);
	free(ec);
}

Test(verify_http, bad_requests)
{
	struct req q = {.method = "POST",
			.path = "/v1/verify",
			.len = (size_t)MAX_BODY + 1,
			.head_only = 1,
			.timeout_ms = 5000 * SLOW};
	struct resp r;

	daemon_start(1, 64);
	expect_400("application/pkcs7-signature", "garbage garbage", "");
	expect_400("application/json", "{not json", "not JSON");
	expect_400("application/json", "[1, 2]", "JSON object");
	expect_400("application/json", "{\"signature\": 5}", "signature");
	expect_400("application/json", "{\"content\": \"AAAA\"}",
		   "signature: required");
	expect_400("application/json", "{\"signature\": \"!!not base64!!\"}",
		   "signature: not base64");
	expect_400("application/json",
		   "{\"signature\": \"AAAA\", \"content\": [1]}", "content");
	expect_400("application/json",
		   "{\"signature\": \"AAAA\", \"content_digest\": \"x\"}",
		   "content_digest");
	expect_400("application/json",
		   "{\"signature\": \"AAAA\", \"content_digest\": "
		   "{\"algorithm\": \"md5\", \"value\": \"AAAA\"}}",
		   "content_digest.algorithm");
	expect_400("application/json",
		   "{\"signature\": \"AAAA\", \"content_digest\": "
		   "{\"algorithm\": \"sha256\", \"value\": \"AAAA\"}}",
		   "content_digest.value");
	expect_400("application/json", "{\"signature\": \"AAAA\", \"at\": 7}",
		   "at:");
	expect_400("application/json",
		   "{\"signature\": \"AAAA\", \"extra\": true}",
		   "unknown member");
	/* Well-formed JSON, not a CMS: verify_run()'s own 400. */
	expect_400("application/json", "{\"signature\": \"AAAA\"}", "");
	/* A million values would cost jansson gigabytes: refused unread. */
	{
		size_t n = 300000, i;
		char *many = malloc(3 * n + 16), *p = many;

		cr_assert_not_null(many);
		p += sprintf(p, "{\"a\": [");
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s{}", i ? "," : "");
		sprintf(p, "]}");
		expect_400("application/json", many,
			   "more than 16 JSON values");
		free(many);
	}

	/* Over max_body: 413 from the head alone. */
	q.port = dport;
	cr_assert(http_ask(&q, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	/* One certificate to /v1/status, which the worker reads itself:
	 * 256K at most, whatever max_body allows. */
	q.path = "/v1/status";
	q.len = MAX_STATUS_BODY + 1;
	cr_assert(http_ask(&q, &r));
	cr_expect_eq(r.code, 413, "%s", r.head);
	resp_free(&r);
	cr_assert(is_up());
	daemon_stop_clean();
}

Test(verify_http, queue_full_503)
{
	enum { N = 6 };
	int fds[N], codes[N], i, ok = 0, full = 0;
	char *req, *head;
	size_t len;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	req = big_request();
	len = strlen(req);
	daemon_start(1, 1);
	for (i = 0; i < N; i++)
		fds[i] = send_partial(req, len, 1);
	for (i = 0; i < N; i++)
		cr_assert(send_all(fds[i], req + len - 1, 1));
	for (i = 0; i < N; i++) {
		codes[i] = read_code(fds[i], &head);
		close(fds[i]);
		if (codes[i] == 200)
			ok++;
		if (codes[i] == 503) {
			full++;
			assert_has(head, "Retry-After: 1");
		}
		free(head);
	}
	cr_expect_eq(ok + full, N, "200s %d, 503s %d", ok, full);
	cr_expect_geq(ok, 1);
	cr_expect_geq(full, 1, "no 503 with threads = 1, queue = 1");
	free(req);
	daemon_stop_clean();
}

/* The spool budget (8 bodies of max_body) is spent by octets that
 * arrive, not by what heads announce: eight heads of max_body each,
 * then silence, leave room for a real document. */
Test(verify_http, heads_alone_do_not_spend_the_budget)
{
	enum { N = 8 };
	char head[256], *req;
	int fds[N], i, n;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	req = big_request();
	daemon_start(1, 8);
	for (i = 0; i < N; i++) {
		fds[i] = connect_to(dport);
		n = snprintf(head, sizeof(head),
			     "POST /v1/verify HTTP/1.1\r\nHost: x\r\n"
			     "Content-Type: application/json\r\n"
			     "Content-Length: %d\r\n\r\n{",
			     MAX_BODY);
		cr_assert(send_all(fds[i], head, (size_t)n));
	}
	/* Time for the worker to read the heads (it answers nothing to
	 * them: there is no reply to wait for). */
	usleep(500 * 1000);
	expect_verdict(req, "valid");
	for (i = 0; i < N; i++)
		close(fds[i]);
	free(req);
	daemon_stop_clean();
}

Test(verify_http, client_gone_mid_job)
{
	char *req, *small;
	size_t len;
	int i, fd;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	req = big_request();
	len = strlen(req);
	daemon_start(1, 8);
	/* Clients that send a whole request and go at once, their jobs
	 * queued or running. */
	for (i = 0; i < 4; i++) {
		fd = send_partial(req, len, 0);
		close(fd);
	}
	small = detached_request(vt_path("s.der"), vt_doc());
	expect_verdict(small, "valid");
	cr_assert(is_up());
	free(small);
	free(req);
	daemon_stop_clean();
}

/* A client that half-closes right after its request still gets the
 * verdict: the close is seen while the job runs. */
Test(verify_http, half_closed_client_gets_its_verdict)
{
	char *req, *head;
	int fd;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	req = big_request();
	daemon_start(1, 8);
	fd = send_partial(req, strlen(req), 0);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	cr_assert_eq(read_code(fd, &head), 200, "%s", head);
	assert_has(head, "\"verdict\":\"valid\"");
	close(fd);
	free(head);
	free(req);
	daemon_stop_clean();
}

/* A child that keeps CPU 0 busy for ms milliseconds. */
static pid_t
hog_cpu0(int ms)
{
	cpu_set_t one;
	pid_t pid = fork();
	double end;

	cr_assert_geq(pid, 0);
	if (pid > 0)
		return pid;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		_exit(1);
	for (end = now_ms() + ms; now_ms() < end;)
		;
	_exit(0);
}

/* A verification that waits longer than idle_timeout for the pool (its
 * threads are SCHED_IDLE: a busy core starves them) is still answered:
 * the client is not idle, its reply is being made. */
Test(verify_http, slow_job_outlives_idle_timeout)
{
	char *req, *head, *out;
	double t0;
	pid_t hog;
	int fd, ws;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	/* Tens of ms of work: at a SCHED_IDLE thread's share of a busy
	 * core, seconds; so done only once the hog has stopped. */
	req = big_request();
	didle = 1;
	daemon_start(1, 8);
	cr_assert_eq(sh(&out, "taskset -a -p -c 0 %d", (int)dpid), 0, "%s",
		     out);
	free(out);
	hog = hog_cpu0(3000);
	sleep_ms(100);
	t0 = now_ms();
	fd = send_partial(req, strlen(req), 0);
	cr_assert_eq(read_code(fd, &head), 200, "%s", head);
	assert_has(head, "\"verdict\":\"valid\"");
	/* Else the pool was not starved, and this proves nothing. */
	cr_expect_gt(now_ms() - t0, 1200, "answered in %.0f ms", now_ms() - t0);
	close(fd);
	free(head);
	cr_assert_eq(waitpid(hog, &ws, 0), hog);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	free(req);
	daemon_stop_clean();
}

/* The whole stream on fd to its end (malloc'd, NUL-terminated). */
static char *
read_all(int fd)
{
	size_t got = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	while ((n = read(fd, buf + got, cap - 1 - got)) > 0)
		if ((got += (size_t)n) == cap - 1) {
			cr_assert_not_null(buf = realloc(buf, cap *= 2));
		}
	buf[got] = '\0';
	return buf;
}

/* Requests behind a verification on its connection wait for its
 * answer, then are answered in order: one sent with the document, one
 * sent while the job runs. */
Test(verify_http, requests_pipelined_behind_a_verification)
{
	static const char next[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char last[] = "GET /v1/nothing HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n";
	char *req, head[256], *out, *second, *third;
	int fd, n;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	req = big_request();
	daemon_start(1, 8);
	fd = connect_to(dport);
	n = snprintf(head, sizeof(head),
		     "POST /v1/verify HTTP/1.1\r\nHost: x\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     strlen(req));
	cr_assert(send_all(fd, head, (size_t)n));
	cr_assert(send_all(fd, req, strlen(req)));
	cr_assert(send_all(fd, next, strlen(next)));
	sleep_ms(5);
	cr_assert(send_all(fd, last, strlen(last)));
	out = read_all(fd);
	close(fd);
	cr_assert(strncmp(out, "HTTP/1.1 200 ", 13) == 0, "%.300s", out);
	cr_assert_not_null(second = strstr(out + 1, "HTTP/1.1 "), "%s", out);
	cr_assert_not_null(third = strstr(second + 1, "HTTP/1.1 "), "%s", out);
	cr_assert_null(strstr(third + 1, "HTTP/1.1 "), "%s", out);
	*second = *third = '\0';
	assert_has(out, "\"verdict\":\"valid\"");
	cr_assert(strncmp(second + 1, "TTP/1.1 200 ", 12) == 0, "%.200s",
		  second + 1);
	cr_assert(strncmp(third + 1, "TTP/1.1 404 ", 12) == 0, "%.200s",
		  third + 1);
	free(out);
	free(req);
	daemon_stop_clean();
}

Test(verify_http, ocsp_while_verifying)
{
	enum { N = 3 };
	int fds[N], i;
	char *req, *out;
	uint8_t *ocsp;
	size_t len, olen;
	struct req q = {.method = "POST",
			.path = "/ocsp",
			.hdrs = "Content-Type: application/ocsp-request\r\n",
			.timeout_ms = 5000 * SLOW};
	struct resp r;
	double t0;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	req = big_request();
	len = strlen(req);
	cr_assert_eq(sh(&out,
			"openssl ocsp -issuer '%s' -cert '%s' -no_nonce "
			"-reqout '%s'",
			vt_pki("rsa-ca.pem"), vt_pki("rsa-leaf.pem"),
			vt_path("req.der")),
		     0, "%s", out);
	free(out);
	ocsp = read_file(vt_path("req.der"), &olen);
	cr_assert_not_null(ocsp);
	daemon_start(1, 8);
	for (i = 0; i < N; i++)
		fds[i] = send_partial(req, len, 0);
	q.port = dport;
	q.body = ocsp;
	q.len = olen;
	t0 = now_ms();
	cr_assert(http_ask(&q, &r));
	cr_expect_eq(r.code, 200, "%s", r.head);
	assert_has(r.head, "application/ocsp-response");
	cr_expect_lt(now_ms() - t0, 2000.0 * SLOW);
	resp_free(&r);
	for (i = 0; i < N; i++) {
		cr_expect_eq(read_code(fds[i], NULL), 200);
		close(fds[i]);
	}
	free(ocsp);
	free(req);
	daemon_stop_clean();
}

/* ---- a huge certificate ------------------------------------------------ */

/* An answer to a signature by rsa-bigext: 200 with the verdict (the
 * path is trusted and the CRLs fresh: "valid"), or a 4xx with
 * {"error"}. */
static void
expect_answer(const char *ctype, const void *body, size_t len)
{
	struct resp r;
	json_t *doc = post(ctype, body, len, &r);

	cr_assert_not_null(doc, "%d, not JSON: %.300s", r.code, (char *)r.body);
	cr_log_info("%s, %zu octets: %d %s", ctype, len, r.code,
		    r.code == 200 ? jstr(doc, "verdict") : jstr(doc, "error"));
	if (r.code == 200) {
		cr_expect_str_eq(jstr(doc, "verdict"), "valid", "%s",
				 jdump(doc));
		cr_expect_str_eq(jstr(doc, "signers.0.serial"), "2002", "%s",
				 jdump(doc));
	} else {
		cr_assert(r.code >= 400 && r.code < 500, "%d %.300s", r.code,
			  (char *)r.body);
		cr_assert(jstr(doc, "error")[0] != '\0', "%s", jdump(doc));
	}
	json_decref(doc);
	resp_free(&r);
}

Test(verify_http, huge_extension)
{
	uint8_t *der;
	size_t len;
	char *req;

	cr_assert_eq(run("cat '%s' '%s' > '%s'", vt_pki("ecdsa-ca.pem"),
			 vt_pki("rsa-ca.pem"), vt_path("anchors.pem")),
		     0);
	snprintf(anchors, sizeof(anchors), "%s", vt_path("anchors.pem"));
	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign_as("rsa", "rsa-bigext", "a.der", "-nodetach");
	vt_sign_as("rsa", "rsa-bigext", "d.der", "-cades");
	daemon_start(1, 8);

	der = read_file(vt_path("a.der"), &len);
	cr_assert_not_null(der);
	cr_assert_gt(len, 200u << 10);
	expect_answer("application/pkcs7-signature", der, len);
	free(der);
	req = detached_request(vt_path("d.der"), vt_doc());
	expect_answer("application/json", req, strlen(req));
	free(req);
	cr_assert(is_up());
	daemon_stop_clean();
}

/* ---- memory under hostile bodies ---------------------------------------- */

/* The resident set of process pid in KiB, from /proc/PID/status. */
static long
vm_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert_gt(kib, 0, "no VmRSS in %s", path);
	return kib;
}

/* A few pseudo-random octets (a fixed sequence: the test repeats). */
static uint32_t
next_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

/* Hostile body number i into *body (malloc'd), its Content-Type
 * returned: garbage DER, base64 junk, wrong JSON types, deep nesting,
 * cut and bit-flipped copies of a good signature, and every sixth one
 * the good request itself (*valid set). */
static const char *
hostile(int i, uint32_t *rnd, const uint8_t *good, size_t good_len,
	const char *good_req, char **body, size_t *len, int *valid)
{
	static const char *const wrong[] = {
	    "{\"signature\": 5}",
	    "{\"signature\": null}",
	    "{\"signature\": [\"AAAA\"]}",
	    "{\"signature\": {\"a\": 1}}",
	    "{\"signature\": \"AAAA\", \"content\": 1.5}",
	    "{\"signature\": \"AAAA\", \"content_digest\": {\"algorithm\": 3}}",
	    "{\"signature\": \"AAAA\", \"at\": \"yesterday\"}",
	    "\"just a string\"",
	    "{\"signature\": \"AAAA\", \"signature\": \"BBBB\"}",
	    "{\"signature\": \"\\u0000\"}",
	};
	static const char b64set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t n, k, depth;
	char *b;

	*valid = 0;
	switch (i % 6) {
	case 0: /* a DER SEQUENCE of garbage */
		n = 64 + next_rand(rnd) % 4096;
		b = malloc(n);
		cr_assert_not_null(b);
		for (k = 0; k < n; k++)
			b[k] = (char)next_rand(rnd);
		b[0] = 0x30;
		b[1] = (char)0x82;
		b[2] = (char)((n - 4) >> 8);
		b[3] = (char)(n - 4);
		*body = b;
		*len = n;
		return "application/pkcs7-signature";
	case 1: /* base64 junk, sometimes valid base64 of nothing good */
		n = 16 + next_rand(rnd) % 4096;
		b = malloc(n + 32);
		cr_assert_not_null(b);
		k = (size_t)sprintf(b, "{\"signature\": \"");
		for (; k < n; k++)
			b[k] = b64set[next_rand(rnd) % (sizeof(b64set) - 1)];
		k += (size_t)sprintf(b + k, "\"}");
		*body = b;
		*len = k;
		return "application/json";
	case 2: /* wrong JSON types */
		b = strdup(wrong[(i / 6) % (sizeof(wrong) / sizeof(wrong[0]))]);
		cr_assert_not_null(b);
		*body = b;
		*len = strlen(b);
		return "application/json";
	case 3: /* deep nesting, arrays or objects */
		depth = 1000 + next_rand(rnd) % 20000;
		b = malloc(16 + 8 * depth);
		cr_assert_not_null(b);
		n = (size_t)sprintf(b, "{\"signature\": ");
		for (k = 0; k < depth; k++)
			n += (size_t)sprintf(b + n,
					     (i / 6) % 2 ? "{\"a\":" : "[");
		for (k = 0; k < depth; k++)
			b[n++] = (i / 6) % 2 ? '}' : ']';
		b[n++] = '}';
		*body = b;
		*len = n;
		return "application/json";
	case 4: /* the good request */
		*valid = 1;
		b = strdup(good_req);
		cr_assert_not_null(b);
		*body = b;
		*len = strlen(b);
		return "application/json";
	default: /* the good attached CMS cut short or with a bit flipped */
		b = malloc(good_len);
		cr_assert_not_null(b);
		memcpy(b, good, good_len);
		if ((i / 6) % 2) {
			*len = 1 + next_rand(rnd) % (good_len - 1);
		} else {
			*len = good_len;
			b[next_rand(rnd) % good_len] ^=
			    (char)(1u << (next_rand(rnd) % 8));
		}
		*body = b;
		return "application/pkcs7-signature";
	}
}

/* Growth allowed between the 100th and the 300th request: generous,
 * and more so under the sanitizers. */
#define RSS_GROWTH_KIB (16L * 1024 * SLOW)

/* AddressSanitizer keeps freed memory in a quarantine of 256 MiB by
 * default, which alone grows the daemon by tens of MiB over these
 * requests: 8 MiB for the daemon this test starts (no effect without
 * the sanitizer). */
static void
small_asan_quarantine(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char v[1024];

	snprintf(v, sizeof(v), "%s%squarantine_size_mb=8", old ? old : "",
		 old != NULL && old[0] != '\0' ? ":" : "");
	cr_assert_eq(setenv("ASAN_OPTIONS", v, 1), 0);
}

Test(verify_http, memory_stable)
{
	enum { N = 300, MID = 100 };
	uint32_t rnd = 20260101;
	uint8_t *good;
	size_t good_len, len;
	char *req, *body;
	const char *ctype;
	long rss_mid = 0, rss_end;
	int i, valid, codes[6] = {0};
	double t0 = now_ms();
	struct resp r;
	json_t *doc;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	vt_sign("ecdsa", "a.der", "-nodetach");
	good = read_file(vt_path("a.der"), &good_len);
	cr_assert_not_null(good);
	req = detached_request(vt_path("s.der"), vt_doc());
	small_asan_quarantine();
	daemon_start(2, 64);
	for (i = 0; i < N; i++) {
		ctype =
		    hostile(i, &rnd, good, good_len, req, &body, &len, &valid);
		doc = post(ctype, body, len, &r);
		cr_assert_not_null(doc, "request %d: %d, not JSON: %.300s", i,
				   r.code, (char *)r.body);
		if (valid) {
			cr_assert_eq(r.code, 200, "%d %s", r.code,
				     (char *)r.body);
			cr_assert_str_eq(jstr(doc, "verdict"), "valid", "%s",
					 jdump(doc));
		} else {
			/* A CMS with a bit flipped may still parse (and
			 * even verify: not every octet is signed), so it
			 * gets a verdict; anything else is a 400 saying
			 * why. */
			cr_assert(r.code == 400 ||
				      (r.code == 200 && i % 6 == 5 &&
				       (i / 6) % 2 == 0),
				  "request %d (kind %d): %d %.300s", i, i % 6,
				  r.code, (char *)r.body);
			if (r.code == 400)
				cr_assert(jstr(doc, "error")[0] != '\0', "%s",
					  jdump(doc));
			else
				cr_assert(verify_verdict(doc) != NULL, "%s",
					  jdump(doc));
		}
		codes[i % 6] += r.code == 200;
		json_decref(doc);
		resp_free(&r);
		free(body);
		if (i + 1 == MID)
			rss_mid = vm_rss_kib(dpid);
		cr_assert_lt(now_ms() - t0, 20000.0 * SLOW,
			     "%d requests in %.0f ms", i + 1, now_ms() - t0);
	}
	rss_end = vm_rss_kib(dpid);
	cr_expect_eq(codes[4], N / 6);
	cr_expect_lt(rss_end - rss_mid, RSS_GROWTH_KIB,
		     "VmRSS %ld KiB after %d requests, %ld KiB after %d",
		     rss_mid, MID, rss_end, N);
	cr_log_info("VmRSS %ld KiB after %d requests, %ld KiB after %d; "
		    "%.0f ms",
		    rss_mid, MID, rss_end, N, now_ms() - t0);
	cr_assert(is_up());
	expect_verdict(req, "valid");
	free(req);
	free(good);
	daemon_stop_clean();
}

/* ---- anchors from the trusted list -------------------------------------- */

/* Fails unless signer 0 of doc lists (want 1) or does not list (want
 * 0) reason r. */
static void
expect_reason(json_t *doc, const char *r, int want)
{
	json_t *v;
	size_t k;
	int has = 0;

	json_array_foreach(jget(doc, "signers.0.reasons"), k, v) has |=
	    strcmp(json_string_value(v), r) == 0;
	cr_assert_eq(has, want, "%s %s listed:\n%s", r, want ? "not" : "still",
		     jdump(doc));
}

/* `otzyv -c CONF ARGS`, which must exit 0. */
static void
otzyv_ok(const char *args)
{
	char *out = NULL;
	int rc;

	rc = sh(&out, "'%s' -c '%s' %s", env_path("OTZYV_BIN"), conf, args);
	cr_assert_eq(rc, 0, "otzyv %s: exit %d\n%s", args, rc, out);
	free(out);
}

static json_t *
ask_verdict(const char *req)
{
	struct resp r;
	json_t *doc = post_json(req, &r);

	cr_assert_eq(r.code, 200, "%d %s", r.code, (char *)r.body);
	cr_assert_not_null(doc);
	resp_free(&r);
	return doc;
}

Test(verify_http, tsl_anchors_refreshed)
{
	char *out = NULL, *req, args[2048];
	const char *tsl = vt_path("tsl");
	json_t *doc;
	int rc;

	/* One CA (rsa, two keys); CRL addresses nothing listens on. */
	rc = sh(&out,
		"GENCRL='%s' sh '%s/data/mktsl.sh' '%s' http://127.0.0.1:9 1",
		env_path("GENCRL"), env_path("TESTS_SRCDIR"), tsl);
	cr_assert_eq(rc, 0, "mktsl.sh failed:\n%s", out);
	free(out);
	/* A signer issued by CA 1 key 1, which signs the document. */
	rc = sh(&out,
		"cd '%s' && openssl req -new -newkey ec -pkeyopt "
		"ec_paramgen_curve:P-256 -nodes -keyout signer.key -subj "
		"'/C=RU/O=Test CA 1/CN=Signer of ca1-1' -out signer.csr && "
		"openssl x509 -req -sha256 -in signer.csr -CA ca1-1.pem "
		"-CAkey ca1-1.key -set_serial 0x3003 -days 30 -extfile '%s' "
		"-extensions signer -out signer.pem && openssl cms -sign "
		"-binary -in '%s' -signer signer.pem -inkey signer.key "
		"-outform DER -out sig.der",
		tsl, vt_pki("verify-ext.cnf"), vt_doc());
	cr_assert_eq(rc, 0, "the signer:\n%s", out);
	free(out);
	req = detached_request(vt_path("tsl/sig.der"), vt_doc());

	anchors[0] = '\0';
	tsl_anchors = 1;
	daemon_start(1, 8);
	doc = ask_verdict(req);
	cr_assert_str_eq(jstr(doc, "verdict"), "invalid", "%s", jdump(doc));
	expect_reason(doc, "untrusted_chain", 1);
	json_decref(doc);

	/* The list, imported while the daemon runs: its CA is an anchor
	 * for the next request, which then lacks only the CRL. */
	snprintf(args, sizeof(args), "import-tsl '%s/tsl.xml'", tsl);
	otzyv_ok(args);
	doc = ask_verdict(req);
	expect_reason(doc, "untrusted_chain", 0);
	cr_assert_str_eq(jstr(doc, "verdict"), "indeterminate", "%s",
			 jdump(doc));
	cr_log_info("after import-tsl: %s", jdump(jget(doc, "signers.0")));
	json_decref(doc);

	snprintf(args, sizeof(args), "import-crl '%s/crl/ca1-1.crl'", tsl);
	otzyv_ok(args);
	doc = ask_verdict(req);
	cr_assert_str_eq(jstr(doc, "verdict"), "valid", "%s", jdump(doc));
	cr_assert(json_is_true(jget(doc, "signers.0.qualified")), "%s",
		  jdump(doc));
	json_decref(doc);
	free(req);
	daemon_stop_clean();
}
