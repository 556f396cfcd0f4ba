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
 * answered while verifications run.
 *
 * The queue test is timing-based but with a wide margin: six bodies are
 * sent but for their last byte, then those bytes go out back to back,
 * so that six requests arrive within a millisecond or so while one
 * verification of 8 MiB of content takes tens of milliseconds: with one
 * thread and a queue of one, at least one request must be refused.
 */
#include "config.h"

#include <arpa/inet.h>
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
#include "unit/verify/helpers.h"

#define MAX_BODY (40 << 20)

static char conf[1024], logpath[1024];
static pid_t dpid = -1;
static int dport;

static void
setup(void)
{
	vt_setup();
	snprintf(conf, sizeof(conf), "%s", vt_path("otzyv.conf"));
	snprintf(logpath, sizeof(logpath), "%s", vt_path("otzyvd.log"));
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
		"\n[store]\npath = %s\nmap_size = 64M\n\n"
		"[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
		"[fetch]\nretry_min = 1h\nretry_max = 2h\n\n"
		"[verify]\nmax_body = %d\nanchors = %s\ntsl_anchors = no\n"
		"threads = %u\nqueue = %u\n",
		dport, vt_path("store"), p, p, MAX_BODY, vt_pki("ecdsa-ca.pem"),
		threads, queue);
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

static void
daemon_start(unsigned threads, unsigned queue)
{
	char *argv[] = {(char *)env_path("OTZYVD_BIN"), "-c", conf, NULL};
	int attempt, code;

	for (attempt = 0; attempt < 8; attempt++) {
		dport = free_loopback_port();
		conf_write(threads, queue);
		dpid = spawn(argv, logpath);
		if (wait_ready(&dpid, is_up, &code))
			return;
		if (code == 4 &&
		    strstr(tail_of(logpath), "Address already in use"))
			continue;
		cr_assert_fail("otzyvd not up (exit %d):\n%s", code,
			       tail_of(logpath));
	}
	cr_assert_fail("otzyvd: no usable port after 8 tries");
}

static void
daemon_stop_clean(void)
{
	int code = term_wait(&dpid);

	cr_assert(strstr(tail_of(logpath), "Sanitizer") == NULL &&
		      strstr(tail_of(logpath), "runtime error:") == NULL,
		  "a sanitizer report in otzyvd's log:\n%s", tail_of(logpath));
	cr_assert_eq(code, 0, "otzyvd exit %d:\n%s", code, tail_of(logpath));
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

	/* Over max_body: 413 from the head alone. */
	q.port = dport;
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
