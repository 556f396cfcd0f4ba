/*
 * otzyvd end to end: the real daemon on a loopback port of its own,
 * from a generated configuration and store in a temporary folder,
 * asked by real clients (openssl ocsp, curl, GnuTLS ocsptool, Python
 * cryptography) and by raw sockets from C, then stopped.
 *
 * Every test starts its own daemon (a random free port in 20000-32767,
 * retried when the bind fails), waits for /healthz (at most 5 s), and
 * the suite's .fini kills it, also after a failed assertion; the daemon
 * also gets SIGKILL when the test process dies (PR_SET_PDEATHSIG).
 * Every loop is bounded in count and time; traffic goes to 127.0.0.1
 * and [::1] only.
 *
 * Covered: OCSP POST and GET (RFC 5019 caching headers, ETag and 304)
 * with openssl, curl, GnuTLS ocsptool and Python cryptography; GOST
 * CertIDs hashed with Streebog and GOST signatures; delegated
 * responders per CA and the refusal of bad ones; a CRL imported while
 * the daemon runs; hostile input, slowloris, 5 000 idle connections
 * and the connection cap; SIGHUP and SIGTERM; refusals to start.
 * The test PKI's ALG-ocsp.pem / ALG-ocsp-noeku.pem come from mkpki.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "otzyv/crypto.h"

#include "common.h"
#include "e2e.h"

/* ---- the daemon under test ----------------------------------------------- */

static char *dir;	   /* this test's folder: config, store, files */
static char conf[1024];	   /* DIR/otzyv.conf */
static char logpath[1024]; /* DIR/otzyvd.log: the daemon's stderr */
static pid_t dpid = -1;
static int dport;
static int dv6;		   /* listen on [::1] rather than 127.0.0.1 */
static int dthreads;	   /* [server] threads */
static const char *duser;  /* [server] user, or NULL */
static int dno_quarantine; /* measuring RSS: no ASan quarantine */
static char *dextra;	   /* the config after the generated head */
static const char *dstore; /* [store] path, in DIR */
static char otzyvd_bin[1024];

/* The malformedRequest OCSPResponse (RFC 6960 4.2.1). */
static const uint8_t MALFORMED[] = {0x30, 0x03, 0x0a, 0x01, 0x01};

static void
setup(void)
{
	dir = tmpdir_new("daemon");
	snprintf(conf, sizeof(conf), "%s/otzyv.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/otzyvd.log", dir);
	snprintf(otzyvd_bin, sizeof(otzyvd_bin), "%s", env_path("OTZYVD_BIN"));
	dv6 = 0;
	dthreads = 2;
	dno_quarantine = 0;
	dstore = "store";
	dpid = -1;
}

static void
daemon_kill(void)
{
	if (dpid > 0) {
		kill(dpid, SIGKILL);
		waitpid(dpid, NULL, 0);
	}
	dpid = -1;
}

static void
teardown(void)
{
	daemon_kill();
	free(dextra);
	dextra = NULL;
	tmpdir_remove(dir);
	dir = NULL;
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 40);

/* The daemon's log so far (static buffer, last 6000 bytes). */
static const char *
daemon_log(void)
{
	static char buf[6001];
	size_t len = 0;
	uint8_t *b = read_file(logpath, &len);

	buf[0] = '\0';
	if (b != NULL) {
		size_t from = len > 6000 ? len - 6000 : 0;

		memcpy(buf, b + from, len - from);
		buf[len - from] = '\0';
		free(b);
	}
	return buf;
}

static int
count_in_log(const char *needle)
{
	const char *p = daemon_log();
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* A bound socket on the loopback port, without SO_REUSEADDR: it fails
 * while anyone else holds the port. -1 when it is taken. */
static int
bind_port(int port, int v6, int do_listen)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return -1;
	if (v6) {
		struct sockaddr_in6 a = {0};

		a.sin6_family = AF_INET6;
		a.sin6_port = htons((uint16_t)port);
		a.sin6_addr = in6addr_loopback;
		ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	} else {
		struct sockaddr_in a = {0};

		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	}
	if (!ok || (do_listen && listen(fd, 16) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A port in 20000-32767 (below Linux's ephemeral range) that is free
 * right now. */
static int
free_port(int v6)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		uint16_t r;
		int port, fd;

		cr_assert_eq(RAND_bytes((unsigned char *)&r, sizeof(r)), 1);
		port = 20000 + r % 12768;
		if ((fd = bind_port(port, v6, 0)) >= 0) {
			close(fd);
			return port;
		}
	}
	cr_assert_fail("no free loopback port after 100 tries");
	return -1;
}

/* Writes the config: the generated head ([server] listen on the port,
 * [store] in DIR, GOST required), then `dextra`. */
static void
conf_write(void)
{
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fprintf(
	    f,
	    "; generated by test_daemon\n"
	    "[server]\nlisten = %s:%d\nthreads = %d\nadmin_listen =\n%s%s%s\n"
	    "[store]\npath = %s/%s\nmap_size = 64M\n\n"
	    "[crypto]\ngost = yes\n\n%s",
	    dv6 ? "[::1]" : "127.0.0.1", dport, dthreads,
	    duser ? "user = " : "", duser ? duser : "", duser ? "\n" : "", dir,
	    dstore, dextra ? dextra : "");
	cr_assert_eq(fclose(f), 0);
}

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

/* The usual responder and CAs: the default key rsa-ocsp (delegated by
 * rsa-ca), [ca rsa] and [ca ecdsa] (no CRL unless a test imports one),
 * then `more`. */
static void
set_std(const char *more)
{
	const char *p = test_pki();

	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		  "max_age = 10m\n\n"
		  "[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
		  "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n\n%s",
		  p, p, p, p, more ? more : "");
}

/* Starts otzyvd -c CONF, stderr and stdout to a log of its own. */
static pid_t
spawn_daemon(void)
{
	char c_opt[] = "-c", *argv[] = {otzyvd_bin, c_opt, conf, NULL};
	const char *o = getenv("ASAN_OPTIONS");
	char *saved = o ? strdup(o) : NULL, opts[1024];
	pid_t pid;
	int fd;

	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	if (dno_quarantine) {
		/* Under AddressSanitizer freed memory is held in a
		 * quarantine (256 MB by default): RSS would grow with the
		 * traffic, not with leaks. No effect otherwise. */
		snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0",
			 o ? o : "", o && *o ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	pid = spawn(argv, logpath);
	if (saved != NULL)
		setenv("ASAN_OPTIONS", saved, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(saved);
	return pid;
}

/* The daemon's exit: its status (0-255), -2 when killed by a signal,
 * -1 when it still runs after timeout_ms. */
static int
daemon_wait(int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	int st;

	if (dpid <= 0)
		return -3;
	for (;;) {
		pid_t r = waitpid(dpid, &st, WNOHANG);

		if (r == dpid) {
			dpid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
		}
		if (now_ms() > end)
			return -1;
		sleep_ms(10);
	}
}

/* ---- raw HTTP/1.1 over sockets ------------------------------------------- */

struct conn {
	int fd;
	size_t len;
	uint8_t buf[1 << 16];
};

/* A connected socket to the daemon (blocking, 2 s send/receive
 * timeouts), or -1. */
static int
tcp_connect(int port)
{
	int fd =
	    socket(dv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {2, 0};
	int ok;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (dv6) {
		struct sockaddr_in6 a = {0};

		a.sin6_family = AF_INET6;
		a.sin6_port = htons((uint16_t)port);
		a.sin6_addr = in6addr_loopback;
		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	} else {
		struct sockaddr_in a = {0};

		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	}
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct conn *
conn_open(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	cr_assert_not_null(c);
	c->fd = tcp_connect(dport);
	cr_assert_geq(c->fd, 0, "connect to port %d: %s", dport,
		      strerror(errno));
	return c;
}

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* Reads one response from c into r. 1: complete; 0: the peer closed
 * (or reset) before any byte of it; -1: closed or timed out within it;
 * -2: nothing at all for timeout_ms. */
static int
conn_read(struct conn *c, struct resp *r, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	size_t hlen = 0;
	long clen = -1;

	memset(r, 0, sizeof(*r));
	for (;;) {
		struct pollfd p = {c->fd, POLLIN, 0};
		double left;
		ssize_t n;

		if (hlen == 0 && c->len >= 4) {
			uint8_t *e = memmem(c->buf, c->len, "\r\n\r\n", 4);

			if (e != NULL) {
				const char *cl;

				hlen = (size_t)(e - c->buf) + 4;
				if (hlen >= sizeof(r->head))
					return -1;
				memcpy(r->head, c->buf, hlen);
				r->head[hlen] = '\0';
				if (sscanf(r->head, "HTTP/1.%*d %d",
					   &r->code) != 1)
					return -1;
				if ((cl = resp_header(r, "Content-Length")) !=
				    NULL)
					clen = atol(cl);
				else if (r->code == 304 || r->code == 204 ||
					 r->code < 200)
					clen = 0;
			}
		}
		if (hlen != 0 && clen >= 0 && c->len >= hlen + (size_t)clen) {
			r->len = (size_t)clen;
			r->body = malloc(r->len + 1);
			cr_assert_not_null(r->body);
			memcpy(r->body, c->buf + hlen, r->len);
			r->body[r->len] = 0;
			c->len -= hlen + r->len;
			memmove(c->buf, c->buf + hlen + r->len, c->len);
			return 1;
		}
		if (c->len == sizeof(c->buf))
			return -1;
		left = end - now_ms();
		if (left <= 0)
			return c->len == 0 ? -2 : -1;
		n = poll(&p, 1, (int)left + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 || n < 0) {
			if (c->len == 0)
				return 0;
			if (n == 0 && hlen != 0 && clen < 0) {
				/* A body delimited by the close. */
				r->len = c->len - hlen;
				r->body = malloc(r->len + 1);
				cr_assert_not_null(r->body);
				memcpy(r->body, c->buf + hlen, r->len);
				r->body[r->len] = 0;
				c->len = 0;
				return 1;
			}
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* "POST PATH" with an OCSP request body, as bytes (malloc'd). */
static char *
post_bytes(const char *path, const char *ctype, const uint8_t *der, size_t len,
	   size_t *out_len)
{
	char *head;
	char *buf;
	int hl = asprintf(&head,
			  "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			  "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			  path, ctype, len);

	cr_assert_geq(hl, 0);
	buf = malloc((size_t)hl + len);
	cr_assert_not_null(buf);
	memcpy(buf, head, (size_t)hl);
	if (len > 0)
		memcpy(buf + hl, der, len);
	free(head);
	*out_len = (size_t)hl + len;
	return buf;
}

static int
conn_post(struct conn *c, const char *path, const uint8_t *der, size_t len)
{
	size_t n;
	char *b = post_bytes(path, "application/ocsp-request", der, len, &n);
	int ok = send_all(c->fd, b, n);

	free(b);
	return ok;
}

/* One request on a new connection; returns conn_read()'s result. */
static int
exchange(const void *req, size_t len, struct resp *r, int timeout_ms)
{
	struct conn *c = conn_open();
	int rc;

	if (!send_all(c->fd, req, len)) {
		/* The daemon may answer and close before it read all. */
	}
	rc = conn_read(c, r, timeout_ms);
	conn_close(c);
	return rc;
}

static int
http_get_code(const char *path, int timeout_ms)
{
	char req[512];
	struct resp r;
	int fd, code = -1;
	struct conn *c;

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		 "\r\n",
		 path);
	memset(&r, 0, sizeof(r));
	if ((fd = tcp_connect(dport)) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	c->fd = fd;
	if (send_all(fd, req, strlen(req)) && conn_read(c, &r, timeout_ms) == 1)
		code = r.code;
	resp_free(&r);
	conn_close(c);
	return code;
}

/*
 * Starts otzyvd with the current dextra and waits for /healthz (5 s).
 * Picks a new port and tries again when the port turned out taken
 * (exit 4, "listen" in the log). Fails the test otherwise.
 */
static void
daemon_start(void)
{
	int attempt;

	for (attempt = 0; attempt < 8; attempt++) {
		double end;
		int st = -1;

		dport = free_port(dv6);
		conf_write();
		dpid = spawn_daemon();
		end = now_ms() + 5000;
		while (now_ms() < end) {
			pid_t r;
			int ws;

			if ((r = waitpid(dpid, &ws, WNOHANG)) == dpid) {
				dpid = -1;
				st = WIFEXITED(ws) ? WEXITSTATUS(ws) : -2;
				break;
			}
			if (http_get_code("/healthz", 500) == 200)
				return;
			sleep_ms(20);
		}
		if (st == 4 && strstr(daemon_log(), "listen") != NULL)
			continue;
		cr_assert_fail("otzyvd did not become ready in 5 s (exit %d):"
			       "\n%s",
			       st, daemon_log());
	}
	cr_assert_fail("otzyvd: no usable port after 8 tries:\n%s",
		       daemon_log());
}

/* Rewrites the config (same port) and sends SIGHUP; waits for the
 * reload to be logged (`event` is "event=reload " or
 * "event=reload_failed"). */
static void
daemon_reload(const char *event)
{
	int before = count_in_log(event);
	double end = now_ms() + 5000;

	conf_write();
	cr_assert_eq(kill(dpid, SIGHUP), 0);
	while (count_in_log(event) == before) {
		cr_assert(now_ms() < end, "no \"%s\" in 5 s after SIGHUP:\n%s",
			  event, daemon_log());
		sleep_ms(20);
	}
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static int
count_fds(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- OCSP from C --------------------------------------------------------- */

/* A DER OCSPRequest for `serial` of ALG-ca (SHA-1 CertID), with a
 * 16-octet nonce when `nonce`; a second CertID for serial2 when > 0. */
static uint8_t *
ocsp_req(const char *alg, long serial, long serial2, int nonce, size_t *out_len)
{
	X509 *ca = load_ca(alg);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	long serials[2] = {serial, serial2};
	uint8_t *der = NULL;
	int i, len;

	cr_assert_not_null(req);
	for (i = 0; i < 2; i++) {
		ASN1_INTEGER *sn;
		OCSP_CERTID *id;

		if (serials[i] <= 0)
			continue;
		sn = ASN1_INTEGER_new();
		cr_assert(sn != NULL && ASN1_INTEGER_set(sn, serials[i]));
		id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca),
				      X509_get0_pubkey_bitstr(ca), sn);
		cr_assert_not_null(id);
		cr_assert_not_null(OCSP_request_add0_id(req, id));
		ASN1_INTEGER_free(sn);
	}
	if (nonce)
		cr_assert_eq(OCSP_request_add1_nonce(req, NULL, 16), 1);
	len = i2d_OCSP_REQUEST(req, &der);
	cr_assert_gt(len, 0);
	*out_len = (size_t)len;
	OCSP_REQUEST_free(req);
	X509_free(ca);
	return der;
}

struct ocsp_answer {
	int status;	 /* responseStatus */
	int verified;	 /* signature and responder checked against ALG-ca */
	int cert_status; /* of the first single response, V_OCSP_CERTSTATUS_* */
	int reason;
	long serial; /* of the first single response */
	int nsingle;
	int has_nonce;
	char why[256];
};

/* Parses an OCSPResponse and, when successful, verifies it with only
 * ALG-ca as the trust anchor (the signer must be the CA or delegated
 * by it). */
static void
ocsp_parse(const uint8_t *der, size_t len, const char *alg,
	   struct ocsp_answer *a)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	X509_STORE *st = NULL;
	X509 *ca = NULL;

	memset(a, 0, sizeof(*a));
	a->status = -1;
	a->cert_status = -1;
	if (resp == NULL || p != der + len) {
		snprintf(a->why, sizeof(a->why), "not one DER OCSPResponse");
		goto out;
	}
	a->status = OCSP_response_status(resp);
	if (a->status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		goto out;
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		snprintf(a->why, sizeof(a->why), "no BasicOCSPResponse");
		goto out;
	}
	a->nsingle = OCSP_resp_count(bs);
	if (a->nsingle > 0) {
		OCSP_SINGLERESP *one = OCSP_resp_get0(bs, 0);
		const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(one);
		ASN1_INTEGER *sn = NULL;

		a->cert_status =
		    OCSP_single_get0_status(one, &a->reason, NULL, NULL, NULL);
		OCSP_id_get0_info(NULL, NULL, NULL, &sn, (OCSP_CERTID *)cid);
		a->serial = sn ? ASN1_INTEGER_get(sn) : -1;
	}
	a->has_nonce =
	    OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1) >= 0;
	if (alg != NULL) {
		char name[64];

		snprintf(name, sizeof(name), "%s-ca.pem", alg);
		ca = crypto_load_cert(path_in(test_pki(), name), a->why,
				      sizeof(a->why));
		st = X509_STORE_new();
		if (ca == NULL || st == NULL || !X509_STORE_add_cert(st, ca))
			goto out;
		a->verified = OCSP_basic_verify(bs, NULL, st, 0) == 1;
		if (!a->verified)
			snprintf(a->why, sizeof(a->why),
				 "OCSP_basic_verify failed");
		ERR_clear_error();
	}
out:
	X509_STORE_free(st);
	X509_free(ca);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

/* An HTTP response carrying a verified successful OCSP answer about
 * serial of rsa-ca with the given certificate status. */
static void
assert_ocsp_http(const struct resp *r, long serial, int cert_status,
		 const char *what)
{
	struct ocsp_answer a;

	cr_assert_eq(r->code, 200, "%s: HTTP %d\n%s", what, r->code, r->head);
	cr_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/ocsp-response", "%s", what);
	ocsp_parse(r->body, r->len, "rsa", &a);
	cr_assert_eq(a.status, 0, "%s: responseStatus %d (%s)", what, a.status,
		     a.why);
	cr_assert(a.verified, "%s: %s", what, a.why);
	cr_assert_eq(a.serial, serial, "%s: serial %lx", what, a.serial);
	cr_assert_eq(a.cert_status, cert_status, "%s: status %d", what,
		     a.cert_status);
}

/* A fresh connection, one cacheable POST (rsa 0x3003): good, verified,
 * answered within max_ms. */
static void
assert_alive(const char *after, double max_ms)
{
	size_t len;
	uint8_t *der = ocsp_req("rsa", 0x3003, 0, 0, &len);
	struct resp r;
	struct conn *c;
	double t0, dt;
	int rc;

	t0 = now_ms();
	c = conn_open();
	cr_assert(conn_post(c, "/", der, len), "after %s: send failed", after);
	rc = conn_read(c, &r, 3000);
	dt = now_ms() - t0;
	conn_close(c);
	OPENSSL_free(der);
	cr_assert_eq(rc, 1, "after %s: no answer (%d)\n%s", after, rc,
		     daemon_log());
	assert_ocsp_http(&r, 0x3003, V_OCSP_CERTSTATUS_GOOD, after);
	resp_free(&r);
	cr_assert_lt(dt, max_ms, "after %s: answered in %.1f ms", after, dt);
	cr_assert_eq(kill(dpid, 0), 0, "after %s: otzyvd is gone", after);
}

/* ---- shell helpers ------------------------------------------------------- */

#define assert_lacks(out, needle)                                              \
	cr_assert(strstr((out), (needle)) == NULL,                             \
		  "did not expect \"%s\" in:\n%s", (needle), (out))

/* A CRL of ALG-ca numbered `number` (thisUpdate an hour ago, nextUpdate
 * in two days) with `entries` (gencrl --entry options), imported with
 * the otzyv tool into the daemon's store while the daemon runs. */
static long long crl_this_update, crl_next_update; /* of the last one */

static void
import_crl(const char *alg, unsigned number, const char *entries)
{
	char crl[1024], *out = NULL;
	long long now = (long long)time(NULL);

	crl_this_update = now - 3600;
	crl_next_update = now + 2 * 86400;
	snprintf(crl, sizeof(crl), "%s/%s-%u.crl", dir, alg, number);
	cr_assert_eq(gencrl(alg, crl,
			    "--number %u --this-update @%lld "
			    "--next-update @%lld %s",
			    number, crl_this_update, crl_next_update, entries),
		     0);
	cr_assert_eq(sh(&out, "'%s' -c '%s' import-crl '%s'",
			env_path("OTZYV_BIN"), conf, crl),
		     0, "%s", out);
	assert_has(out, "imported");
	free(out);
}

#define ENTRIES_1001_2002                                                      \
	"--entry 1001,2026-01-10T00:00:00Z,keyCompromise "                     \
	"--entry 2002,2026-01-11T00:00:00Z,certificateHold"

static const char *
url(const char *path)
{
	static char bufs[4][8192];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "http://%s:%d%s",
		 dv6 ? "[::1]" : "127.0.0.1", dport, path);
	return b;
}

/* openssl ocsp against the daemon; output (with -resp_text) in *out. */
static int
openssl_ocsp(char **out, const char *args)
{
	return sh(out, "openssl ocsp %s -resp_text", args);
}

/* ---- 1. OpenSSL: POST ---------------------------------------------------- */

Test(daemon, openssl_post_statuses)
{
	const char *p = test_pki();
	char args[4096], *out = NULL;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);

	/* The leaf (0x1001), with a nonce, POST to /. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem' -url '%s' "
		 "-CAfile '%s/rsa-ca.pem'",
		 p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "rsa-leaf.pem: revoked");
	assert_has(out, "Cert Status: revoked");
	assert_has(out, "Revocation Time: Jan 10 00:00:00 2026 GMT");
	assert_has(out, "Revocation Reason: keyCompromise (0x1)");
	assert_has(out, "OCSP Nonce:");
	assert_lacks(out, "WARNING");
	/* ResponderID byKey (a hex hash), and the signer is the delegated
	 * responder certificate, included in the response. */
	assert_has(out, "Responder Id: ");
	assert_lacks(out, "Responder Id: C =");
	assert_has(out, "OCSP responder of rsa");
	free(out);

	/* -serial, no nonce, POST to /ocsp: good and on hold. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x3003 -serial 0x2002 "
		 "-no_nonce -url '%s' -CAfile '%s/rsa-ca.pem'",
		 p, url("/ocsp"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "0x3003: good");
	assert_has(out, "0x2002: revoked");
	assert_has(out, "Reason: certificateHold");
	assert_has(out, "Revocation Time: Jan 11 00:00:00 2026 GMT");
	assert_lacks(out, "OCSP Nonce");
	free(out);

	/* thisUpdate / nextUpdate come from the CRL (an hour ago, in two
	 * days), not from the signing time. */
	{
		char this_upd[64], next_upd[64];
		time_t t = (time_t)crl_this_update, n = (time_t)crl_next_update;
		struct tm tm;

		cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
		gmtime_r(&t, &tm);
		strftime(this_upd, sizeof(this_upd),
			 "This Update: %b %e %H:%M:%S %Y GMT", &tm);
		gmtime_r(&n, &tm);
		strftime(next_upd, sizeof(next_upd),
			 "Next Update: %b %e %H:%M:%S %Y GMT", &tm);
		assert_has(out, this_upd);
		assert_has(out, next_upd);
		free(out);
	}

	/* A multi-request naming a CA not served here: that one is
	 * "unknown", the others are answered. The response then speaks
	 * for two issuers: trust the responder itself (-VAfile). */
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x3003 -issuer "
		 "'%s/nocrlsign-ca.pem' -serial 0x77 -url '%s' -VAfile "
		 "'%s/rsa-ocsp.pem'",
		 p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "0x3003: good");
	assert_has(out, "0x77: unknown");
	free(out);

	/* A CA not served at all: unauthorized, with and without nonce. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/nocrlsign-ca.pem' -serial 0x10 -url '%s' "
		 "-CAfile '%s/rsa-ca.pem'",
		 p, url("/"), p);
	openssl_ocsp(&out, args);
	assert_has(out, "Responder Error: unauthorized (6)");
	free(out);
	snprintf(args, sizeof(args),
		 "-issuer '%s/nocrlsign-ca.pem' -serial 0x10 -no_nonce -url "
		 "'%s' -CAfile '%s/rsa-ca.pem'",
		 p, url("/ocsp"), p);
	openssl_ocsp(&out, args);
	assert_has(out, "Responder Error: unauthorized (6)");
	free(out);

	/* A configured CA without any CRL: tryLater. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' -url "
		 "'%s' -CAfile '%s/ecdsa-ca.pem'",
		 p, p, url("/ocsp"), p);
	openssl_ocsp(&out, args);
	assert_has(out, "Responder Error: trylater (3)");
	free(out);

	/* The other CA's answers are signed by the default responder,
	 * which that CA did not delegate: a client trusting only it
	 * refuses them... */
	import_crl("ecdsa", 1, "--entry 1001,2026-02-01T00:00:00Z");
	snprintf(args, sizeof(args),
		 "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' -url "
		 "'%s' -CAfile '%s/ecdsa-ca.pem'",
		 p, p, url("/"), p);
	cr_assert_neq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response Verify Failure");
	free(out);
	/* ...and one that trusts the responder accepts them. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' -url "
		 "'%s' -VAfile '%s/rsa-ocsp.pem'",
		 p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "ecdsa-leaf.pem: revoked");
	assert_lacks(out, "Revocation Reason");
	free(out);
}

/* ---- 1. GET with RFC 5019 caching ---------------------------------------- */

/* The GET path of a DER request: URL-encoded base64, or base64url. */
static char *
get_encode(const uint8_t *der, size_t len, int b64url)
{
	char *b64 = malloc(4 * ((len + 2) / 3) + 1), *out, *o;
	const char *s;

	cr_assert_not_null(b64);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	out = o = malloc(3 * strlen(b64) + 1);
	cr_assert_not_null(out);
	for (s = b64; *s; s++) {
		if (b64url) {
			if (*s == '=')
				continue;
			*o++ = *s == '+' ? '-' : *s == '/' ? '_' : *s;
		} else if (*s == '+' || *s == '/' || *s == '=') {
			o += sprintf(o, "%%%02X", (unsigned char)*s);
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	free(b64);
	return out;
}

/* A header of a curl -D dump (static buffer), or NULL. */
static const char *
dump_header(const char *dump, const char *name)
{
	static char val[512];
	size_t n = strlen(name);
	const char *l = dump;

	while (l != NULL && *l) {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *s = l + n + 1, *e;

			while (*s == ' ')
				s++;
			e = s + strcspn(s, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)(e - s), s);
			return val;
		}
		l = strchr(l, '\n');
		if (l != NULL)
			l++;
	}
	return NULL;
}

static time_t
http_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	cr_assert_not_null(s);
	cr_assert_not_null(strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm),
			   "not an HTTP date: %s", s);
	return timegm(&tm);
}

/* curl GET of PATH into DIR/NAME.der with headers in DIR/NAME.hdr;
 * returns the HTTP code; the header dump in *hdr. */
static int
curl_get(const char *path, const char *name, const char *extra, char **hdr)
{
	char *out = NULL;
	size_t len;
	int code;

	cr_assert_eq(sh(&out,
			"curl -sS -g --max-time 5 %s -D '%s/%s.hdr' -o "
			"'%s/%s.der' -w '%%{http_code}' '%s'",
			extra ? extra : "", dir, name, dir, name, url(path)),
		     0, "%s", out);
	code = atoi(out);
	free(out);
	{
		char hp[1100];

		snprintf(hp, sizeof(hp), "%s/%s.hdr", dir, name);
		*hdr = (char *)read_file(hp, &len);
		cr_assert_not_null(*hdr);
		(*hdr)[len] = '\0';
	}
	return code;
}

/* The GET path encoding (get_encode) of the request that openssl ocsp
 * makes for `what` (its -issuer and -cert or -serial options), without
 * a nonce. The caller frees it. */
static char *
get_request(const char *what, int b64url)
{
	char *out = NULL, *enc;
	uint8_t *req;
	size_t len;

	cr_assert_eq(sh(&out, "openssl ocsp %s -no_nonce -reqout '%s/req.der'",
			what, dir),
		     0, "%s", out);
	free(out);
	req = read_file(path_in(dir, "req.der"), &len);
	cr_assert_not_null(req);
	enc = get_encode(req, len, b64url);
	free(req);
	return enc;
}

/* The answer in DIR/get.der verifies and says the test PKI's RSA leaf
 * is revoked. */
/* What `openssl ocsp` makes of the answer saved as get.der, about the
 * RSA leaf; the caller frees it. */
static char *
read_get_answer(void)
{
	const char *p = test_pki();
	char args[2048], *out = NULL;

	snprintf(args, sizeof(args),
		 "-respin '%s/get.der' -issuer '%s/rsa-ca.pem' -cert "
		 "'%s/rsa-leaf.pem' -CAfile '%s/rsa-ca.pem'",
		 dir, p, p, p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	return out;
}

static void
expect_get_revoked(void)
{
	char *out = read_get_answer();

	assert_has(out, "rsa-leaf.pem: revoked");
	free(out);
}

Test(daemon, get_with_caching_headers)
{
	const char *p = test_pki();
	char args[2048], *out = NULL, *hdr = NULL, *enc, path[4096], etag[256];
	uint8_t *req;
	size_t len;
	time_t date, expires, lastmod;
	static const char *const forms[] = {"/ocsp/%s", "/%s"};
	int i;

	/* One worker: each worker signs into its own cache, and two
	 * signatures of the same answer have different entity tags. */
	dthreads = 1;
	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);

	/* The request as openssl makes it, kept in a file. */
	snprintf(args, sizeof(args),
		 "openssl ocsp -issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem' "
		 "-no_nonce -reqout '%s/req.der'",
		 p, p, dir);
	cr_assert_eq(sh(&out, "%s", args), 0, "%s", out);
	free(out);
	req = read_file(path_in(dir, "req.der"), &len);
	cr_assert_not_null(req);
	enc = get_encode(req, len, 0);
	/* The encoding needs escapes for the test to mean something. */
	cr_assert(strchr(enc, '%') != NULL, "%s", enc);

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), forms[i], enc);
		cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
		cr_assert_str_eq(dump_header(hdr, "Content-Type"),
				 "application/ocsp-response");
		/* nextUpdate is two days away; [responder] max_age caps. */
		cr_assert_str_eq(dump_header(hdr, "Cache-Control"),
				 "max-age=600, public, no-transform, "
				 "must-revalidate",
				 "%s", hdr);
		/* Expires is max_age from now (Date is checked by
		 * responses_carry_date). */
		date = time(NULL);
		expires = http_time(dump_header(hdr, "Expires"));
		lastmod = http_time(dump_header(hdr, "Last-Modified"));
		cr_assert(expires - date >= 595 && expires - date <= 601,
			  "Expires %s", hdr);
		/* Last-Modified is the CRL's thisUpdate (an hour ago). */
		cr_assert_eq((long long)lastmod, crl_this_update,
			     "Last-Modified %s", hdr);
		cr_assert_not_null(dump_header(hdr, "ETag"), "%s", hdr);
		snprintf(etag, sizeof(etag), "%s", dump_header(hdr, "ETag"));
		/* Weak: it names the answer, not one worker's signature. */
		cr_assert(strncmp(etag, "W/\"", 3) == 0 &&
			      etag[strlen(etag) - 1] == '"',
			  "ETag %s", etag);
		free(hdr);

		out = read_get_answer();
		assert_has(out, "Response verify OK");
		assert_has(out, "rsa-leaf.pem: revoked");
		assert_has(out, "Revocation Reason: keyCompromise (0x1)");
		free(out);

		/* The same entity tag: 304 without a body. */
		snprintf(args, sizeof(args), "-H 'If-None-Match: %s'", etag);
		unlink(path_in(dir, "cond.der"));
		cr_assert_eq(curl_get(path, "cond", args, &hdr), 304, "%s",
			     hdr);
		/* RFC 9110 8.6: no Content-Length on a 304. */
		cr_assert_null(dump_header(hdr, "Content-Length"), "%s", hdr);
		free(hdr);
		{
			size_t blen = 1;
			uint8_t *b = read_file(path_in(dir, "cond.der"), &blen);

			cr_assert(b == NULL || blen == 0, "304 with a body");
			free(b);
		}
		/* Another tag: the full answer. */
		cr_assert_eq(curl_get(path, "cond",
				      "-H 'If-None-Match: \"0123\"'", &hdr),
			     200, "%s", hdr);
		free(hdr);
	}
	free(enc);

	/* base64url without padding, as some clients send it. */
	enc = get_encode(req, len, 1);
	snprintf(path, sizeof(path), "/ocsp/%s", enc);
	cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
	free(hdr);
	expect_get_revoked();
	free(enc);
	free(req);

	/* An unsuccessful answer is not to be cached. */
	snprintf(args, sizeof(args),
		 "openssl ocsp -issuer '%s/ecdsa-ca.pem' -serial 0x5 -no_nonce "
		 "-reqout '%s/req2.der'",
		 p, dir);
	cr_assert_eq(sh(&out, "%s", args), 0, "%s", out);
	free(out);
	req = read_file(path_in(dir, "req2.der"), &len);
	enc = get_encode(req, len, 0);
	snprintf(path, sizeof(path), "/ocsp/%s", enc);
	cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
	assert_lacks(hdr, "public");
	cr_assert_null(dump_header(hdr, "ETag"), "%s", hdr);
	free(hdr);
	snprintf(args, sizeof(args), "-respin '%s/get.der'", dir);
	openssl_ocsp(&out, args);
	assert_has(out, "Responder Error: trylater (3)");
	free(out);
	free(enc);
	free(req);
}

/* Under /ocsp/ whatever follows is meant as a request: what does not
 * decode is malformedRequest, too long is 413, and MIME base64's line
 * breaks are read through. Elsewhere it is only a path: 404. */
Test(daemon, get_under_ocsp_is_always_an_answer)
{
	const char *p = test_pki();
	char args[2048], *out = NULL, *hdr = NULL, *enc, path[4096];
	size_t i, k;
	static const char *const bad[] = {"/ocsp/%ZZ", "/ocsp/abc%",
					  "/ocsp/AAAA", "/ocsp/%0A"};

	set_std("[server]\nmax_ocsp_request = 1K\n");
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(curl_get(bad[i], "bad", NULL, &hdr), 200, "%s: %s",
			     bad[i], hdr);
		cr_assert_str_eq(dump_header(hdr, "Content-Type"),
				 "application/ocsp-response");
		free(hdr);
		snprintf(args, sizeof(args), "-respin '%s/bad.der'", dir);
		openssl_ocsp(&out, args);
		assert_has(out, "Responder Error: malformedrequest (1)");
		free(out);
	}
	cr_assert_eq(curl_get("/%ZZ", "bad", NULL, &hdr), 404, "%s", hdr);
	free(hdr);
	memcpy(path, "/ocsp/", 6);
	memset(path + 6, 'A', 2000); /* 1500 bytes */
	path[2006] = '\0';
	cr_assert_eq(curl_get(path, "bad", NULL, &hdr), 413, "%s", hdr);
	free(hdr);

	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem'", p, p);
	enc = get_request(args, 1); /* no escapes of its own */
	/* A line break (%0A) after every 8 characters of the encoding. */
	k = (size_t)snprintf(path, sizeof(path), "/ocsp/");
	for (i = 0; enc[i] != '\0'; i++) {
		if (i > 0 && i % 8 == 0)
			k += (size_t)snprintf(path + k, sizeof(path) - k,
					      "%%0A");
		path[k++] = enc[i];
	}
	path[k] = '\0';
	cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
	free(hdr);
	expect_get_revoked();
	free(enc);
}

/* A CA whose clock runs ahead: its CRL's thisUpdate and the date of a
 * revocation it lists are both minutes away. The serial is revoked
 * now, and stays so in the cached answer; Last-Modified is not after
 * Date. */
Test(daemon, crl_dated_ahead_revokes_now)
{
	const char *p = test_pki();
	char crl[1024], args[2048], *out = NULL, *hdr = NULL, *enc, path[4096];
	long long now = (long long)time(NULL);
	int i;

	dthreads = 1;
	set_std(NULL);
	daemon_start();
	snprintf(crl, sizeof(crl), "%s/ahead.crl", dir);
	cr_assert_eq(gencrl("rsa", crl,
			    "--number 1 --this-update @%lld --next-update "
			    "@%lld --entry 1001,@%lld,keyCompromise",
			    now + 120, now + 86400, now + 100),
		     0);
	cr_assert_eq(sh(&out, "'%s' -c '%s' import-crl '%s'",
			env_path("OTZYV_BIN"), conf, crl),
		     0, "%s", out);
	free(out);
	for (i = 0; i < 2; i++) { /* the second from the cache */
		snprintf(args, sizeof(args),
			 "-issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem' "
			 "-CAfile '%s/rsa-ca.pem' -no_nonce -url '%s'",
			 p, p, p, url("/"));
		cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
		assert_has(out, "rsa-leaf.pem: revoked");
		free(out);
	}
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem'", p, p);
	enc = get_request(args, 0);
	snprintf(path, sizeof(path), "/ocsp/%s", enc);
	cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
	cr_assert_leq(http_time(dump_header(hdr, "Last-Modified")),
		      http_time(dump_header(hdr, "Date")), "%s", hdr);
	free(hdr);
	free(enc);
}

/* RFC 9110 6.6.1: an origin server with a clock sends Date in its 2xx,
 * 3xx and 4xx responses; HTTP caches in front (RFC 5019 6.2) need it
 * to judge Expires and max-age. */
/* $OTZYV_NOW (a test hook) pins the daemon's clock too: it says so in
 * its log, and its answers are as of that instant. */
Test(daemon, pinned_clock_is_logged)
{
	char *out = NULL;

	set_std(NULL);
	cr_assert_eq(setenv("OTZYV_NOW", "2030-01-01T00:00:00Z", 1), 0);
	daemon_start();
	unsetenv("OTZYV_NOW");
	cr_assert_eq(count_in_log("level=warn event=clock_pinned "
				  "now=\"2030-01-01T00:00:00Z\""),
		     1, "%s", daemon_log());
	cr_assert_eq(
	    run_capture(&out, "curl -s 'http://127.0.0.1:%d/v1/cas'", dport),
	    0);
	assert_has(out, "\"generated_at\":\"2030-01-01T00:00:00Z\"");
	free(out);
}

Test(daemon, responses_carry_date)
{
	static const char *const reqs[] = {
	    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /no/such/page.html HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	uint8_t *der;
	size_t len, i;
	struct resp r;
	struct conn *c;
	char *enc, get[4096];

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	der = ocsp_req("rsa", 0x3003, 0, 0, &len);
	enc = get_encode(der, len, 0);
	snprintf(get, sizeof(get), "GET /ocsp/%s HTTP/1.1\r\nHost: x\r\n\r\n",
		 enc);
	c = conn_open();
	for (i = 0; i < 4; i++) {
		const char *d;
		time_t t;

		if (i < 2)
			cr_assert(send_all(c->fd, reqs[i], strlen(reqs[i])));
		else if (i == 2)
			cr_assert(conn_post(c, "/", der, len));
		else
			cr_assert(send_all(c->fd, get, strlen(get)));
		cr_assert_eq(conn_read(c, &r, 3000), 1);
		d = resp_header(&r, "Date");
		cr_assert_not_null(d, "no Date header (RFC 9110 6.6.1):\n%s",
				   r.head);
		t = http_time(d);
		cr_assert(t >= time(NULL) - 5 && t <= time(NULL) + 1, "Date %s",
			  d);
		resp_free(&r);
	}
	conn_close(c);
	free(enc);
	OPENSSL_free(der);
}

/* ---- 1. IPv6 ------------------------------------------------------------- */

Test(daemon, ipv6_loopback)
{
	const char *p = test_pki();
	char args[2048], *out = NULL, *hdr = NULL, *enc, path[4096];
	int fd = bind_port(0, 1, 0);
	uint8_t *req;
	size_t len;

	if (fd < 0)
		cr_skip_test("no IPv6 loopback here");
	close(fd);
	dv6 = 1;
	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -cert '%s/rsa-leaf.pem' -serial "
		 "0x3003 -url '%s' -CAfile '%s/rsa-ca.pem'",
		 p, p, url("/ocsp"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "rsa-leaf.pem: revoked");
	assert_has(out, "0x3003: good");
	free(out);

	cr_assert_eq(sh(&out,
			"openssl ocsp -issuer '%s/rsa-ca.pem' -serial 0x3003 "
			"-no_nonce -reqout '%s/req.der'",
			p, dir),
		     0, "%s", out);
	free(out);
	req = read_file(path_in(dir, "req.der"), &len);
	cr_assert_not_null(req);
	enc = get_encode(req, len, 0);
	snprintf(path, sizeof(path), "/%s", enc);
	cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
	cr_assert_not_null(dump_header(hdr, "ETag"), "%s", hdr);
	free(hdr);
	snprintf(args, sizeof(args),
		 "-respin '%s/get.der' -issuer '%s/rsa-ca.pem' -serial 0x3003 "
		 "-CAfile '%s/rsa-ca.pem'",
		 dir, p, p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "0x3003: good");
	free(out);
	free(enc);
	free(req);
	/* Nothing listens on 127.0.0.1 at that port. */
	dv6 = 0;
	cr_assert_eq(http_get_code("/healthz", 500), -1);
	dv6 = 1;
	assert_alive("IPv6 requests", 100);
}

/* ---- 2. GOST ------------------------------------------------------------- */

Test(daemon, gost_streebog_certids_and_signatures)
{
	const char *p = test_pki();
	char args[4096], *out = NULL, gostcnf[1100];
	FILE *f;

	set_std(NULL);
	{
		char *std = dextra;

		dextra = NULL;
		set_extra("%s[ca gost256]\ncert = %s/gost256-ca.pem\n"
			  "responder_cert = %s/gost256-ocsp.pem\n"
			  "responder_key = %s/gost256-ocsp.key\n\n"
			  "[ca gost512]\ncert = %s/gost512-ca.pem\n"
			  "responder_cert = %s/gost512-ocsp.pem\n"
			  "responder_key = %s/gost512-ocsp.key\n",
			  std, p, p, p, p, p, p);
		free(std);
	}
	daemon_start();
	import_crl("gost256", 1, ENTRIES_1001_2002);
	import_crl("gost512", 1, ENTRIES_1001_2002);

	/* openssl ocsp has no -engine option: load the engine from a
	 * config file, so that -md_gost12_256 makes Streebog CertIDs. */
	snprintf(gostcnf, sizeof(gostcnf), "%s/gost.cnf", dir);
	f = fopen(gostcnf, "w");
	cr_assert_not_null(f);
	fputs("openssl_conf = openssl_def\n[openssl_def]\n"
	      "engines = engine_section\n[engine_section]\n"
	      "gost = gost_section\n[gost_section]\n"
	      "default_algorithms = ALL\n",
	      f);
	cr_assert_eq(fclose(f), 0);

	snprintf(args, sizeof(args),
		 "OPENSSL_CONF='%s' openssl ocsp -issuer '%s/gost256-ca.pem' "
		 "-md_gost12_256 -cert '%s/gost256-leaf.pem' -serial 0x3003 "
		 "-url '%s' -CAfile '%s/gost256-ca.pem' -resp_text",
		 gostcnf, p, p, url("/"), p);
	cr_assert_eq(sh(&out, "%s", args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "gost256-leaf.pem: revoked");
	assert_has(out, "0x3003: good");
	assert_has(out, "Hash Algorithm: GOST R 34.11-2012 with 256 bit hash");
	assert_lacks(out, "Hash Algorithm: sha1");
	assert_has(out, "Revocation Reason: keyCompromise (0x1)");
	assert_has(out, "Signature Algorithm: GOST R 34.10-2012 with GOST R "
			"34.11-2012 (256 bit)");
	assert_has(out, "OCSP responder of gost256");
	assert_has(out, "OCSP Nonce:");
	free(out);

	/* The same CA asked with SHA-1 and SHA-256 CertIDs. */
	snprintf(args, sizeof(args),
		 "OPENSSL_CONF='%s' openssl ocsp -issuer '%s/gost256-ca.pem' "
		 "-sha256 -serial 0x2002 -no_nonce -url '%s' -CAfile "
		 "'%s/gost256-ca.pem'",
		 gostcnf, p, url("/ocsp"), p);
	cr_assert_eq(sh(&out, "%s", args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "0x2002: revoked");
	assert_has(out, "Reason: certificateHold");
	free(out);

	/* GOST 2012-512 with Streebog-512 CertIDs. */
	snprintf(args, sizeof(args),
		 "OPENSSL_CONF='%s' openssl ocsp -issuer '%s/gost512-ca.pem' "
		 "-md_gost12_512 -cert '%s/gost512-leaf.pem' -serial 0x3003 "
		 "-url '%s' -CAfile '%s/gost512-ca.pem' -resp_text",
		 gostcnf, p, p, url("/"), p);
	cr_assert_eq(sh(&out, "%s", args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "gost512-leaf.pem: revoked");
	assert_has(out, "0x3003: good");
	assert_has(out, "Hash Algorithm: GOST R 34.11-2012 with 512 bit hash");
	assert_has(out, "Signature Algorithm: GOST R 34.10-2012 with GOST R "
			"34.11-2012 (512 bit)");
	free(out);

	/* A GOST answer checked against the other GOST CA fails. */
	snprintf(args, sizeof(args),
		 "OPENSSL_CONF='%s' openssl ocsp -issuer '%s/gost256-ca.pem' "
		 "-md_gost12_256 -serial 0x3003 -url '%s' -CAfile "
		 "'%s/gost512-ca.pem'",
		 gostcnf, p, url("/"), p);
	cr_assert_neq(sh(&out, "%s", args), 0, "%s", out);
	assert_has(out, "Response Verify Failure");
	free(out);
}

/* ---- 3. Delegated responders --------------------------------------------- */

Test(daemon, delegated_responder_per_ca)
{
	const char *p = test_pki();
	char args[4096], *out = NULL;

	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n"
	    "responder_cert = %s/ecdsa-ocsp.pem\n"
	    "responder_key = %s/ecdsa-ocsp.key\n\n"
	    "[ca ed25519]\ncert = %s/ed25519-ca.pem\n"
	    "responder_cert = %s/ed25519-ocsp.pem\n"
	    "responder_key = %s/ed25519-ocsp.key\n\n"
	    "[ca rsapss]\ncert = %s/rsapss-ca.pem\n",
	    p, p, p, p, p, p, p, p, p);
	daemon_start();
	import_crl("ecdsa", 1, ENTRIES_1001_2002);
	import_crl("ed25519", 1, ENTRIES_1001_2002);
	import_crl("rsapss", 1, ENTRIES_1001_2002);

	/* Only the CA is trusted: openssl accepts the answer because the
	 * included signer certificate is delegated by that CA. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' -serial "
		 "0x3003 -url '%s' -CAfile '%s/ecdsa-ca.pem'",
		 p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "ecdsa-leaf.pem: revoked");
	assert_has(out, "0x3003: good");
	assert_has(out, "OCSP responder of ecdsa");
	assert_has(out, "Signature Algorithm: ecdsa-with-SHA256");
	assert_lacks(out, "OCSP responder of rsa");
	free(out);

	snprintf(args, sizeof(args),
		 "-issuer '%s/ed25519-ca.pem' -cert '%s/ed25519-leaf.pem' "
		 "-url '%s' -CAfile '%s/ed25519-ca.pem'",
		 p, p, url("/ocsp"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "ed25519-leaf.pem: revoked");
	assert_has(out, "Signature Algorithm: ED25519");
	assert_has(out, "OCSP responder of ed25519");
	free(out);

	/* The same answer does not verify under another CA. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/ed25519-ca.pem' -cert '%s/ed25519-leaf.pem' "
		 "-url '%s' -CAfile '%s/ecdsa-ca.pem'",
		 p, p, url("/ocsp"), p);
	cr_assert_neq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response Verify Failure");
	free(out);

	/* rsapss has no delegated key: the default responder signs, which
	 * rsapss-ca alone does not vouch for. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsapss-ca.pem' -cert '%s/rsapss-leaf.pem' -url "
		 "'%s' -CAfile '%s/rsapss-ca.pem'",
		 p, p, url("/"), p);
	cr_assert_neq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response Verify Failure");
	assert_has(out, "OCSP responder of rsa");
	free(out);
}

/* Runs otzyvd on the current config, expecting it to refuse to start:
 * returns its exit status with its output in *out. */
static int
daemon_refuses(char **out)
{
	return sh(out, "timeout -s KILL 10 '%s' -c '%s'", otzyvd_bin, conf);
}

Test(daemon, delegated_responder_must_be_ocsp_signing_and_issued_by_ca)
{
	const char *p = test_pki();
	char *out = NULL;

	dport = free_port(0);
	/* Issued by the CA, but without extendedKeyUsage OCSPSigning. */
	set_std(NULL);
	{
		char *std = dextra;

		dextra = NULL;
		set_extra("%s[ca ed25519]\ncert = %s/ed25519-ca.pem\n"
			  "responder_cert = %s/ed25519-ocsp-noeku.pem\n"
			  "responder_key = %s/ed25519-ocsp.key\n",
			  std, p, p, p);
		free(std);
	}
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "[ca ed25519]");
	assert_has(out, "id-kp-OCSPSigning");
	free(out);

	/* An OCSP signing certificate of another CA. */
	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n"
	    "responder_cert = %s/ecdsa-ocsp.pem\n"
	    "responder_key = %s/ecdsa-ocsp.key\n",
	    p, p, p, p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "[ca rsa]");
	assert_has(out, "not issued by its CA");
	free(out);

	/* A certificate without its key. */
	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n"
	    "responder_cert = %s/rsa-ocsp.pem\n",
	    p, p, p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "responder_key");
	free(out);

	/* A delegated key that is not the certificate's. */
	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n"
	    "responder_cert = %s/ecdsa-ocsp.pem\n"
	    "responder_key = %s/ecdsa-leaf.key\n",
	    p, p, p, p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "ecdsa-leaf.key");
	free(out);
}

/* ---- 4. GnuTLS ocsptool and Python cryptography -------------------------- */

Test(daemon, gnutls_ocsptool)
{
	const char *p = test_pki();
	char *out = NULL;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);

	/* ocsptool asks (SHA-1 CertID, a nonce) and checks the signature
	 * against the responder certificate. */
	cr_assert_eq(sh(&out,
			"TZ=UTC LC_ALL=C ocsptool --ask='%s' --load-issuer "
			"'%s/rsa-ca.pem' "
			"--load-cert '%s/rsa-leaf.pem' --load-signer "
			"'%s/rsa-ocsp.pem' --nonce --outfile '%s/resp.der'",
			url("/"), p, p, p, dir),
		     0, "%s", out);
	assert_has(out, "Response Status: Successful");
	assert_has(out, "Serial Number: 1001");
	assert_has(out, "Certificate Status: revoked");
	assert_has(out, "Revocation time: Sat Jan 10 00:00:00 UTC 2026");
	assert_has(out, "Nonce: ");
	assert_has(out, "Verifying OCSP Response: Success");
	free(out);

	/* The saved response: parsed... */
	cr_assert_eq(
	    sh(&out, "TZ=UTC LC_ALL=C ocsptool -j --infile '%s/resp.der'", dir),
	    0, "%s", out);
	assert_has(out, "Response Type: Basic OCSP Response");
	assert_has(out, "Hash Algorithm: SHA1");
	assert_has(out, "Certificate Status: revoked");
	assert_has(out, "Signature Algorithm: RSA-SHA256");
	free(out);
	/* ...verified with the signer, and with the CA as trust anchor
	 * (GnuTLS checks the delegation)... */
	cr_assert_eq(sh(&out,
			"TZ=UTC LC_ALL=C ocsptool -e --load-signer "
			"'%s/rsa-ocsp.pem' --infile "
			"'%s/resp.der'",
			p, dir),
		     0, "%s", out);
	assert_has(out, "Verifying OCSP Response: Success");
	free(out);
	cr_assert_eq(sh(&out,
			"TZ=UTC LC_ALL=C ocsptool -e --load-trust "
			"'%s/rsa-ca.pem' --infile "
			"'%s/resp.der'",
			p, dir),
		     0, "%s", out);
	assert_has(out, "Verifying OCSP Response: Success");
	free(out);
	/* ...and refused under a signer that did not sign it. */
	cr_assert_neq(
	    sh(&out,
	       "TZ=UTC LC_ALL=C ocsptool -e --load-signer '%s/ecdsa-ocsp.pem' "
	       "--infile '%s/resp.der'",
	       p, dir),
	    0, "%s", out);
	assert_has(out, "Failure");
	free(out);

	/* A good certificate. */
	cr_assert_eq(sh(&out,
			"TZ=UTC LC_ALL=C ocsptool --ask='%s' --load-issuer "
			"'%s/rsa-ca.pem' "
			"--load-cert '%s/rsa-ocsp.pem' --load-trust "
			"'%s/rsa-ca.pem' --outfile '%s/resp2.der'",
			url("/ocsp"), p, p, p, dir),
		     0, "%s", out);
	assert_has(out, "Serial Number: 5001");
	assert_has(out, "Certificate Status: good");
	assert_has(out, "Verifying OCSP Response: Success");
	free(out);
}

/* Builds a request with SHA-256 CertIDs, POSTs it, and checks the answer
 * with cryptography's OCSP API: status, serial, CertID, ResponderID by
 * key hash, the included certificate, the signature. */
static const char PY_CHECK[] =
    "import sys, urllib.request, datetime\n"
    "from cryptography import x509\n"
    "from cryptography.x509 import ocsp\n"
    "from cryptography.exceptions import InvalidSignature\n"
    "from cryptography.hazmat.primitives import hashes, serialization\n"
    "from cryptography.hazmat.primitives.asymmetric import padding, ec, "
    "rsa, ed25519\n"
    "url, cert_p, issuer_p, signer_p, want, reason, revtime = sys.argv[1:8]\n"
    "def load(p):\n"
    "    return x509.load_pem_x509_certificate(open(p, 'rb').read())\n"
    "cert, issuer, signer = load(cert_p), load(issuer_p), load(signer_p)\n"
    "def check(ok, *what):\n"
    "    if not ok:\n"
    "        print('FAIL', *what)\n"
    "        sys.exit(1)\n"
    "req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, "
    "hashes.SHA256()).build()\n"
    "der = req.public_bytes(serialization.Encoding.DER)\n"
    "r = urllib.request.urlopen(urllib.request.Request(url, data=der, "
    "headers={'Content-Type': 'application/ocsp-request'}), timeout=5)\n"
    "check(r.status == 200, 'HTTP', r.status)\n"
    "check(r.headers['Content-Type'] == 'application/ocsp-response', "
    "r.headers['Content-Type'])\n"
    "resp = ocsp.load_der_ocsp_response(r.read())\n"
    "check(resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL, "
    "resp.response_status)\n"
    "check(resp.serial_number == cert.serial_number, resp.serial_number)\n"
    "check(isinstance(resp.hash_algorithm, hashes.SHA256), "
    "resp.hash_algorithm)\n"
    "check(resp.issuer_key_hash == req.issuer_key_hash, 'issuer key hash')\n"
    "check(resp.issuer_name_hash == req.issuer_name_hash, 'issuer name "
    "hash')\n"
    "check(resp.certificate_status.name.lower() == want, "
    "resp.certificate_status)\n"
    "def utc(name):\n"
    "    v = getattr(resp, name + '_utc', None)\n"
    "    if v is None:\n"
    "        v = getattr(resp, name).replace(tzinfo=datetime.timezone.utc)\n"
    "    return v\n"
    "if want == 'revoked':\n"
    "    check(resp.revocation_reason == getattr(x509.ReasonFlags, reason), "
    "resp.revocation_reason)\n"
    "    check(utc('revocation_time').strftime('%Y-%m-%dT%H:%M:%SZ') == "
    "revtime, utc('revocation_time'))\n"
    "now = datetime.datetime.now(datetime.timezone.utc)\n"
    "check(utc('this_update') <= now < utc('next_update'), 'validity')\n"
    "check(resp.responder_name is None, 'ResponderID byName')\n"
    "check(resp.responder_key_hash == x509.SubjectKeyIdentifier."
    "from_public_key(signer.public_key()).digest, 'ResponderID key hash')\n"
    "check(len(resp.certificates) == 1 and resp.certificates[0] == signer, "
    "'included certificate')\n"
    "pub = signer.public_key()\n"
    "def verify(tbs):\n"
    "    if isinstance(pub, rsa.RSAPublicKey):\n"
    "        pub.verify(resp.signature, tbs, padding.PKCS1v15(), "
    "resp.signature_hash_algorithm)\n"
    "    elif isinstance(pub, ec.EllipticCurvePublicKey):\n"
    "        pub.verify(resp.signature, tbs, "
    "ec.ECDSA(resp.signature_hash_algorithm))\n"
    "    elif isinstance(pub, ed25519.Ed25519PublicKey):\n"
    "        pub.verify(resp.signature, tbs)\n"
    "    else:\n"
    "        check(False, 'key type', pub)\n"
    "verify(resp.tbs_response_bytes)\n"
    "bad = bytearray(resp.tbs_response_bytes)\n"
    "bad[-1] ^= 1\n"
    "try:\n"
    "    verify(bytes(bad))\n"
    "    check(False, 'a tampered response verified')\n"
    "except InvalidSignature:\n"
    "    pass\n"
    "print('OK', want, hex(resp.serial_number))\n";

Test(daemon, python_cryptography)
{
	const char *p = test_pki();
	char *out = NULL, script[1100];

	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
	    "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n"
	    "responder_cert = %s/ecdsa-ocsp.pem\n"
	    "responder_key = %s/ecdsa-ocsp.key\n",
	    p, p, p, p, p, p);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	import_crl("ecdsa", 1, "--entry 7,2026-03-01T00:00:00Z,superseded");
	snprintf(script, sizeof(script), "%s/check.py", dir);
	cr_assert(write_file(script, PY_CHECK, sizeof(PY_CHECK) - 1));

	cr_assert_eq(sh(&out,
			"python3 '%s' '%s' '%s/rsa-leaf.pem' '%s/rsa-ca.pem' "
			"'%s/rsa-ocsp.pem' revoked key_compromise "
			"2026-01-10T00:00:00Z",
			script, url("/ocsp"), p, p, p),
		     0, "%s", out);
	assert_has(out, "OK revoked 0x1001");
	free(out);
	/* A good one, signed by the delegated ECDSA responder. */
	cr_assert_eq(sh(&out,
			"python3 '%s' '%s' '%s/ecdsa-leaf.pem' "
			"'%s/ecdsa-ca.pem' '%s/ecdsa-ocsp.pem' good - -",
			script, url("/"), p, p, p),
		     0, "%s", out);
	assert_has(out, "OK good 0x1001");
	free(out);
	/* The checks bite: the wrong expected signer fails. */
	cr_assert_neq(sh(&out,
			 "python3 '%s' '%s' '%s/ecdsa-leaf.pem' "
			 "'%s/ecdsa-ca.pem' '%s/rsa-ocsp.pem' good - -",
			 script, url("/"), p, p, p),
		      0, "%s", out);
	assert_has(out, "FAIL");
	free(out);
}

/* ---- 5. A CRL imported while the daemon runs ----------------------------- */

/* GET /metrics with curl: the text, malloc'd. */
static char *
metrics_text(void)
{
	char *out = NULL;

	cr_assert_eq(sh(&out, "curl -sS -g --max-time 5 '%s'", url("/metrics")),
		     0, "%s", out);
	return out;
}

static long
metric(const char *name)
{
	char *out = metrics_text(), needle[256];
	const char *s;
	long v = -1;

	snprintf(needle, sizeof(needle), "\n%s ", name);
	if ((s = strstr(out, needle)) != NULL)
		v = atol(s + strlen(needle));
	free(out);
	return v;
}

/* Per-CA metrics are for the CAs the daemon keeps current: a CA whose
 * section is removed stays in the store, but its CRL is meant to age
 * from then on, and an alert on it would page someone for nothing. */
Test(daemon, metrics_of_watched_cas_only)
{
	const char *p = test_pki();
	char *out;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	import_crl("ecdsa", 1, ENTRIES_1001_2002);
	out = metrics_text();
	assert_has(out, "otzyv_crl_entries{issuer=\"2\",name=\"ecdsa\"} 2");
	assert_has(out, "otzyv_ca_state{issuer=\"2\",name=\"ecdsa\","
			"state=\"fresh\"} 1");
	free(out);

	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\n"
		  "key = %s/rsa-ocsp.key\n\n[ca rsa]\ncert = %s/rsa-ca.pem\n",
		  p, p, p);
	daemon_reload("event=reload ");
	out = metrics_text();
	assert_has(out, "otzyv_crl_entries{issuer=\"1\",name=\"rsa\"} 2");
	assert_lacks(out, "name=\"ecdsa\"");
	free(out);
}

Test(daemon, live_import_changes_cached_answers)
{
	const char *p = test_pki();
	char args[4096], *out = NULL, *hdr = NULL, *enc, path[4096], etag[256];
	uint8_t *req;
	size_t len;
	int i;
	long hits;

	/* One worker, so that the repeated requests meet one cache. */
	dthreads = 1;
	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);

	cr_assert_eq(sh(&out,
			"openssl ocsp -issuer '%s/rsa-ca.pem' -serial 0x3003 "
			"-no_nonce -reqout '%s/req.der'",
			p, dir),
		     0, "%s", out);
	free(out);
	req = read_file(path_in(dir, "req.der"), &len);
	cr_assert_not_null(req);
	enc = get_encode(req, len, 0);
	snprintf(path, sizeof(path), "/ocsp/%s", enc);

	/* Asked several times by POST and GET: good, and cached. */
	for (i = 0; i < 4; i++) {
		snprintf(args, sizeof(args),
			 "-issuer '%s/rsa-ca.pem' -serial 0x3003 -no_nonce "
			 "-url '%s' -CAfile '%s/rsa-ca.pem'",
			 p, url("/"), p);
		cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
		assert_has(out, "0x3003: good");
		free(out);
		cr_assert_eq(curl_get(path, "get", NULL, &hdr), 200, "%s", hdr);
		snprintf(etag, sizeof(etag), "%s", dump_header(hdr, "ETag"));
		free(hdr);
	}
	hits = metric("otzyv_ocsp_cache_hits_total");
	cr_assert_geq(hits, 2, "cache hits %ld", hits);

	/* CRL 2 revokes 0x3003. */
	import_crl("rsa", 2,
		   ENTRIES_1001_2002
		   " --entry 3003,2026-11-01T10:00:00Z,affiliationChanged");

	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x3003 -no_nonce -url '%s' "
		 "-CAfile '%s/rsa-ca.pem'",
		 p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "0x3003: revoked");
	assert_has(out, "Revocation Reason: affiliationChanged (0x3)");
	free(out);

	snprintf(args, sizeof(args), "-H 'If-None-Match: %s'", etag);
	cr_assert_eq(curl_get(path, "get", args, &hdr), 200, "%s", hdr);
	cr_assert_str_neq(dump_header(hdr, "ETag"), etag);
	free(hdr);
	snprintf(args, sizeof(args),
		 "-respin '%s/get.der' -issuer '%s/rsa-ca.pem' -serial 0x3003 "
		 "-CAfile '%s/rsa-ca.pem'",
		 dir, p, p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "0x3003: revoked");
	assert_has(out, "Revocation Time: Nov  1 10:00:00 2026 GMT");
	free(out);
	free(enc);
	free(req);
}

/* ---- 6. Hostile input ---------------------------------------------------- */

/* A 100-deep nest of SEQUENCEs, as DER (malloc'd). */
static uint8_t *
nested_sequences(int depth, size_t *out_len)
{
	size_t cap = (size_t)depth * 6 + 2, len = 2;
	uint8_t *b = malloc(cap), *tmp = malloc(cap);
	int i;

	cr_assert(b != NULL && tmp != NULL);
	b[0] = 0x30;
	b[1] = 0x00;
	for (i = 1; i < depth; i++) {
		size_t h;

		tmp[0] = 0x30;
		if (len < 128) {
			tmp[1] = (uint8_t)len;
			h = 2;
		} else if (len < 256) {
			tmp[1] = 0x81;
			tmp[2] = (uint8_t)len;
			h = 3;
		} else {
			tmp[1] = 0x82;
			tmp[2] = (uint8_t)(len >> 8);
			tmp[3] = (uint8_t)len;
			h = 4;
		}
		memcpy(tmp + h, b, len);
		len += h;
		memcpy(b, tmp, len);
	}
	free(tmp);
	*out_len = len;
	return b;
}

/* POSTs body to / on a fresh connection; expects 200 malformedRequest. */
static void
assert_malformed(const char *what, const uint8_t *body, size_t len)
{
	size_t n;
	char *b = post_bytes("/", "application/ocsp-request", body, len, &n);
	struct resp r;
	int rc = exchange(b, n, &r, 3000);

	free(b);
	cr_assert_eq(rc, 1, "%s: no answer (%d)", what, rc);
	cr_assert_eq(r.code, 200, "%s: HTTP %d", what, r.code);
	cr_assert(r.len == sizeof(MALFORMED) &&
		      memcmp(r.body, MALFORMED, r.len) == 0,
		  "%s: not malformedRequest (%zu bytes)", what, r.len);
	resp_free(&r);
}

/* Sends raw bytes on a fresh connection and expects a reply whose code
 * is one of codes[] (0-terminated). */
static void
assert_status(const char *what, const char *raw, size_t len, const int *codes)
{
	struct resp r;
	int rc = exchange(raw, len, &r, 3000), i;

	cr_assert_eq(rc, 1, "%s: no complete reply (%d)", what, rc);
	for (i = 0; codes[i] != 0; i++)
		if (r.code == codes[i])
			break;
	cr_assert_neq(codes[i], 0, "%s: HTTP %d\n%s", what, r.code, r.head);
	resp_free(&r);
}

/* One pass of every kind of bad input, each followed by a normal
 * request answered within 100 ms. */
static void
hostile_round(int round)
{
	uint8_t *good, *nested, junk[300];
	size_t glen, nlen;
	char what[128];
	static const int c413[] = {413, 0};
	static const int c431[] = {431, 0};
	static const int c405[] = {405, 0};
	static const int c415[] = {415, 0};
	static const int c404[] = {404, 0};
	static const int c400[] = {400, 0};

	good = ocsp_req("rsa", 0x3003, 0x1001, 1, &glen);

	snprintf(what, sizeof(what), "round %d: truncated DER", round);
	assert_malformed(what, good, glen / 2);
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: garbage", round);
	cr_assert_eq(RAND_bytes(junk, sizeof(junk)), 1);
	junk[0] = 0x30; /* at least a SEQUENCE tag */
	assert_malformed(what, junk, sizeof(junk));
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: huge DER length", round);
	{
		static const uint8_t huge[] = {0x30, 0x84, 0x7f, 0xff,
					       0xff, 0xff, 0x30, 0x82,
					       0xff, 0xf0, 0x30, 0x00};
		static const uint8_t indef[] = {0x30, 0x80, 0x30, 0x80,
						0x00, 0x00, 0x00, 0x00};

		assert_malformed(what, huge, sizeof(huge));
		assert_malformed(what, indef, sizeof(indef));
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: 100 nested SEQUENCEs", round);
	nested = nested_sequences(100, &nlen);
	assert_malformed(what, nested, nlen);
	free(nested);
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: empty body", round);
	assert_malformed(what, (const uint8_t *)"", 0);
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: body over the limit", round);
	{
		/* The headers announce it: 413 before the body is read. */
		const char *big = "POST / HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/ocsp-request\r\n"
				  "Content-Length: 5000\r\n\r\n";

		assert_status(what, big, strlen(big), c413);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: headers over the limit", round);
	{
		size_t hl = 16384;
		char *h = malloc(hl + 128);
		int n =
		    sprintf(h, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");

		cr_assert_not_null(h);
		memset(h + n, 'a', hl);
		memcpy(h + n + hl, "\r\n\r\n", 4);
		assert_status(what, h, (size_t)n + hl + 4, c431);
		free(h);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: silent connection", round);
	{
		int fd = tcp_connect(dport);

		cr_assert_geq(fd, 0);
		close(fd);
		fd = tcp_connect(dport);
		cr_assert_geq(fd, 0);
		send_all(fd, "POST / HTTP/1.1\r\nCont", 21);
		close(fd);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: pipelined", round);
	{
		size_t l1, l2, n1, n2;
		uint8_t *r1 = ocsp_req("rsa", 0x1001, 0, 0, &l1);
		uint8_t *r2 = ocsp_req("rsa", 0x3003, 0, 1, &l2);
		char *b1 = post_bytes("/ocsp", "application/ocsp-request", r1,
				      l1, &n1);
		char *b2 =
		    post_bytes("/", "application/ocsp-request", r2, l2, &n2);
		char *both = malloc(n1 + n2);
		struct conn *c = conn_open();
		struct resp a, b;

		cr_assert_not_null(both);
		memcpy(both, b1, n1);
		memcpy(both + n1, b2, n2);
		cr_assert(send_all(c->fd, both, n1 + n2));
		cr_assert_eq(conn_read(c, &a, 3000), 1, "%s: first", what);
		assert_ocsp_http(&a, 0x1001, V_OCSP_CERTSTATUS_REVOKED, what);
		cr_assert_eq(conn_read(c, &b, 3000), 1, "%s: second", what);
		assert_ocsp_http(&b, 0x3003, V_OCSP_CERTSTATUS_GOOD, what);
		resp_free(&a);
		resp_free(&b);
		conn_close(c);
		free(both);
		free(b1);
		free(b2);
		OPENSSL_free(r1);
		OPENSSL_free(r2);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: PUT", round);
	{
		const char *put = "PUT / HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/ocsp-request\r\n"
				  "Content-Length: 2\r\n\r\n0\x00";

		assert_status(what, put, strlen(put) + 1, c405);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: wrong content type", round);
	{
		size_t n;
		char *b = post_bytes("/", "text/plain", good, glen, &n);

		assert_status(what, b, n, c415);
		free(b);
		b = post_bytes("/ocsp", "application/ocsp-requestx", good, glen,
			       &n);
		assert_status(what, b, n, c415);
		free(b);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: unknown path", round);
	{
		const char *g = "GET /no/such/page.html HTTP/1.1\r\nHost: x\r\n"
				"\r\n";
		size_t n;
		char *b = post_bytes("/v1/nothing", "application/ocsp-request",
				     good, glen, &n);

		assert_status(what, g, strlen(g), c404);
		assert_status(what, b, n, c404);
		free(b);
	}
	assert_alive(what, 100);

	snprintf(what, sizeof(what), "round %d: not HTTP", round);
	{
		const char *junkreq = "HELLO THERE\r\n\r\n";

		assert_status(what, junkreq, strlen(junkreq), c400);
	}
	assert_alive(what, 100);
	OPENSSL_free(good);
}

Test(daemon, hostile_input, .timeout = 60)
{
	long rss0, rss1;
	int round;
	double t0;

	set_std("[server]\nmax_ocsp_request = 4K\nmax_header = 8K\n");
	dno_quarantine = 1;
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	/* Warm up: caches, arenas, the first of each kind. */
	for (round = 0; round < 5; round++)
		hostile_round(round);
	rss0 = rss_kb(dpid);
	cr_assert_gt(rss0, 0);
	t0 = now_ms();
	for (; round < 45 && now_ms() - t0 < 15000; round++)
		hostile_round(round);
	cr_assert_geq(round, 15, "only %d rounds in 15 s", round);
	rss1 = rss_kb(dpid);
	cr_log_info("hostile_input: %d rounds, VmRSS %ld -> %ld kB", round,
		    rss0, rss1);
	cr_assert_lt(rss1 - rss0, 4096,
		     "VmRSS grew from %ld to %ld kB over %d rounds", rss0, rss1,
		     round - 5);
	cr_assert_eq(count_in_log("level=error"), 0, "%s", daemon_log());
}

/* DESIGN.md: a method a path does not take is 405 (evhttp, before the
 * HTTP rewrite, answered 501 to PUT). */
Test(daemon, wrong_method_is_405)
{
	static const char *const reqs[] = {
	    "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	    "DELETE /ocsp HTTP/1.1\r\nHost: x\r\n\r\n",
	    "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	};
	static const int c405[] = {405, 0};
	size_t i;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		assert_status(reqs[i], reqs[i], strlen(reqs[i]), c405);
		assert_alive(reqs[i], 100);
	}
}

/*
 * Slowloris: headers dribbled one byte a second. [server] read_timeout
 * bounds the whole header phase, so each connection must be closed (or
 * answered 408) within read_timeout plus slack, while others are
 * served. (evhttp, before the HTTP rewrite, restarted its timeout on
 * every byte and kept such connections forever.)
 */
Test(daemon, slowloris, .timeout = 30)
{
	enum { N = 20 };
	int fds[N], open_n = N, i, sec;
	const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	size_t sent = 0;

	set_std("[server]\nread_timeout = 2s\nidle_timeout = 60s\n");
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	for (i = 0; i < N; i++) {
		fds[i] = tcp_connect(dport);
		cr_assert_geq(fds[i], 0);
	}
	/* Up to 8 s of dribbling; read_timeout is 2 s. */
	for (sec = 0; sec < 8 && open_n > 0; sec++) {
		char ch = sent < strlen(head) ? head[sent] : 'a';

		for (i = 0; i < N; i++) {
			struct pollfd p = {fds[i], POLLIN, 0};
			char buf[512];

			if (fds[i] < 0)
				continue;
			/* Closed by the server (EOF, reset, or a 408). */
			if (poll(&p, 1, 0) > 0 &&
			    recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
				close(fds[i]);
				fds[i] = -1;
				open_n--;
				continue;
			}
			if (send(fds[i], &ch, 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				open_n--;
			}
		}
		sent++;
		assert_alive("slowloris bytes", 100);
		sleep_ms(1000);
	}
	for (i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cr_assert_eq(open_n, 0,
		     "%d of %d dribbling connections still open after %d s "
		     "(read_timeout 2 s)",
		     open_n, N, sec);
	cr_assert_leq(sec, 5, "the last one was closed after %d s", sec);
}

/* Opens n connections to the daemon without sending anything; the fds
 * in fds[]; returns how many connected within 10 s. */
static int
open_idle(int *fds, int n)
{
	int i, done = 0;
	double end = now_ms() + 10000;
	struct pollfd *p = calloc((size_t)n, sizeof(*p));

	cr_assert_not_null(p);
	for (i = 0; i < n; i++) {
		struct sockaddr_in a = {0};

		fds[i] = socket(AF_INET,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		cr_assert_geq(fds[i], 0, "socket %d: %s", i, strerror(errno));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)dport);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 &&
		    errno != EINPROGRESS) {
			close(fds[i]);
			fds[i] = -1;
		}
		p[i].fd = fds[i];
		p[i].events = POLLOUT;
	}
	/* Wait for the handshakes. */
	while (now_ms() < end) {
		int pending = 0;

		done = 0;
		for (i = 0; i < n; i++) {
			if (p[i].fd < 0)
				continue;
			if (p[i].revents & (POLLOUT | POLLERR | POLLHUP)) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err,
					   &el);
				p[i].fd = -1;
				if (err != 0) {
					close(fds[i]);
					fds[i] = -1;
				}
			}
		}
		for (i = 0; i < n; i++) {
			pending += p[i].fd >= 0;
			done += fds[i] >= 0 && p[i].fd < 0;
		}
		if (pending == 0)
			break;
		poll(p, (nfds_t)n, 200);
	}
	free(p);
	return done;
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < want) {
		if (rl.rlim_max < want)
			cr_skip_test("RLIMIT_NOFILE hard limit %lu < %lu",
				     (unsigned long)rl.rlim_max,
				     (unsigned long)want);
		rl.rlim_cur = want;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
}

/* 5 000 idle connections: the daemon keeps answering others quickly,
 * its memory stays bounded, and idle_timeout closes them all. */
Test(daemon, idle_connections_5000, .timeout = 40)
{
	enum { N = 5000 };
	int *fds = calloc(N, sizeof(int)), n, i, closed = 0;
	long rss0, rss1;
	double end;

	cr_assert_not_null(fds);
	raise_nofile(N + 1000);
	set_std("[server]\nidle_timeout = 3s\nread_timeout = 3s\n");
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	assert_alive("start", 100);
	rss0 = rss_kb(dpid);
	n = open_idle(fds, N);
	cr_assert_eq(n, N, "only %d of %d connections", n, N);
	sleep_ms(300);
	assert_alive("5000 idle connections", 100);
	rss1 = rss_kb(dpid);
	cr_log_info("idle_connections_5000: fds %d, VmRSS %ld -> %ld kB",
		    count_fds(dpid), rss0, rss1);
	/* A few KB per connection: 5 000 are far from this. */
	cr_assert_lt(rss1 - rss0, 65536, "VmRSS %ld -> %ld kB", rss0, rss1);

	/* idle_timeout (3 s): the daemon closes every one of them. */
	end = now_ms() + 8000;
	while (closed < N && now_ms() < end) {
		closed = 0;
		for (i = 0; i < N; i++) {
			char b;

			if (fds[i] < 0) {
				closed++;
				continue;
			}
			if (recv(fds[i], &b, 1, MSG_DONTWAIT) == 0 ||
			    (errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
		if (closed < N)
			sleep_ms(250);
	}
	for (i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	cr_assert_eq(closed, N, "%d of %d idle connections still open 8 s on",
		     N - closed, N);
	assert_alive("idle connections closed", 100);
}

/* [server] max_connections caps the connections the daemon holds.
 * (evhttp, before the HTTP rewrite, had no cap: it held all 5 000.)
 */
Test(daemon, max_connections_caps_open_connections, .timeout = 40)
{
	enum { N = 5000, CAP = 500 };
	int *fds = calloc(N, sizeof(int)), i, nfd;

	cr_assert_not_null(fds);
	raise_nofile(N + 1000);
	set_std("[server]\nmax_connections = 500\nidle_timeout = 60s\n"
		"read_timeout = 60s\n");
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	open_idle(fds, N);
	sleep_ms(500);
	nfd = count_fds(dpid);
	for (i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	cr_assert_leq(nfd, CAP + 64, "otzyvd holds %d descriptors (cap %d)",
		      nfd, CAP);
	sleep_ms(300);
	assert_alive("connections over the cap", 100);
}

/* The cap is one for all workers, however the kernel spreads the
 * connections among them: with 3 and two workers, three of twenty are
 * served (a share of 2 per worker would serve 4 of them). */
Test(daemon, max_connections_is_one_cap_for_all_workers)
{
	enum { N = 20, CAP = 3 };
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct conn *c[N];
	struct resp r;
	int i, served = 0;

	dthreads = 2;
	set_std("[server]\nmax_connections = 3\n");
	daemon_start();
	for (i = 0; i < N; i++)
		c[i] = conn_open();
	sleep_ms(300);
	for (i = 0; i < N; i++) {
		if (!send_all(c[i]->fd, get, strlen(get)))
			continue;
		if (conn_read(c[i], &r, 1000) == 1) {
			served += r.code == 200;
			resp_free(&r);
		}
	}
	for (i = 0; i < N; i++)
		conn_close(c[i]);
	cr_assert_eq(served, CAP);
}

/* max_keepalive_requests: the reply to the last carries Connection:
 * close, and the connection closes after it. */
Test(daemon, requests_per_connection_are_bounded)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct conn *c;
	struct resp r;
	int i;

	set_std("[server]\nmax_keepalive_requests = 3\n");
	daemon_start();
	c = conn_open();
	for (i = 0; i < 3; i++) {
		cr_assert(send_all(c->fd, get, strlen(get)));
		cr_assert_eq(conn_read(c, &r, 3000), 1);
		cr_assert_eq(r.code, 200);
		if (i < 2)
			assert_lacks(r.head, "Connection: close");
		else
			assert_has(r.head, "Connection: close");
		resp_free(&r);
	}
	send_all(c->fd, get, strlen(get));
	cr_assert_leq(conn_read(c, &r, 3000), 0, "a fourth answer");
	conn_close(c);
}

/* ---- 7. Signals ---------------------------------------------------------- */

Test(daemon, sighup_reload_keeps_keepalive_connection)
{
	const char *p = test_pki();
	struct conn *c;
	struct resp r;
	struct ocsp_answer a;
	uint8_t *rn, *re;
	size_t ln, le;
	char *base;

	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n\n",
	    p, p, p);
	base = strdup(dextra);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	rn = ocsp_req("rsa", 0x3003, 0, 1, &ln);
	re = ocsp_req("ecdsa", 0x3003, 0, 0, &le);

	c = conn_open();
	/* Before: nonces echoed, ecdsa not served. */
	cr_assert(conn_post(c, "/", rn, ln));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	assert_ocsp_http(&r, 0x3003, V_OCSP_CERTSTATUS_GOOD, "before");
	ocsp_parse(r.body, r.len, "rsa", &a);
	cr_assert(a.has_nonce, "nonce = echo: no nonce in the answer");
	resp_free(&r);
	cr_assert(conn_post(c, "/ocsp", re, le));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	ocsp_parse(r.body, r.len, NULL, &a);
	cr_assert_eq(a.status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	resp_free(&r);

	/* A broken config: refused, the old one stays. */
	set_extra("%s[responder]\nnonce = sometimes\n", base);
	daemon_reload("event=reload_failed");
	cr_assert(conn_post(c, "/", rn, ln));
	cr_assert_eq(conn_read(c, &r, 3000), 1,
		     "the connection died on a failed reload");
	ocsp_parse(r.body, r.len, "rsa", &a);
	cr_assert(a.verified && a.has_nonce);
	resp_free(&r);

	/* nonce = ignore and a new [ca ecdsa]. */
	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		  "nonce = ignore\n\n"
		  "[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
		  "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n",
		  p, p, p, p);
	daemon_reload("event=reload ");

	/* The same connection, still open, answers with the new config. */
	cr_assert(conn_post(c, "/", rn, ln), "the keep-alive connection died");
	cr_assert_eq(conn_read(c, &r, 3000), 1,
		     "no answer on the keep-alive connection after SIGHUP");
	assert_ocsp_http(&r, 0x3003, V_OCSP_CERTSTATUS_GOOD, "after");
	ocsp_parse(r.body, r.len, "rsa", &a);
	cr_assert(!a.has_nonce, "nonce = ignore: the nonce was echoed");
	resp_free(&r);
	cr_assert(conn_post(c, "/ocsp", re, le));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	ocsp_parse(r.body, r.len, NULL, &a);
	cr_assert_eq(a.status, OCSP_RESPONSE_STATUS_TRYLATER,
		     "new [ca ecdsa] without CRL: status %d", a.status);
	resp_free(&r);
	conn_close(c);
	OPENSSL_free(rn);
	OPENSSL_free(re);
	free(base);
	cr_assert_eq(count_in_log("event=reload "), 1, "%s", daemon_log());
}

Test(daemon, sigterm_exits_0)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct conn *c, *half;
	struct resp r;
	double t0;
	int st, rc;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	/* An idle keep-alive connection, and one with half a request:
	 * neither may hold the exit for long. */
	c = conn_open();
	cr_assert(send_all(c->fd, get, strlen(get)));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 200);
	resp_free(&r);
	half = conn_open();
	cr_assert(send_all(half->fd, get, 16));
	sleep_ms(100);
	t0 = now_ms();
	cr_assert_eq(kill(dpid, SIGTERM), 0);
	st = daemon_wait(5000);
	cr_log_info("sigterm_exits_0: exit %d after %.0f ms", st,
		    now_ms() - t0);
	cr_assert_eq(st, 0, "exit %d (-1: still running after 5 s)\n%s", st,
		     daemon_log());
	/* The connections were closed, and nobody listens any more. */
	cr_assert_eq(conn_read(c, &r, 1000), 0);
	conn_close(c);
	rc = conn_read(half, &r, 1000);
	cr_assert(rc == 0 || (rc == 1 && r.code >= 400),
		  "half a request: %d (HTTP %d)", rc, r.code);
	resp_free(&r);
	conn_close(half);
	cr_assert_eq(http_get_code("/healthz", 500), -1);
	assert_has(daemon_log(), "event=stop");
}

/* On SIGTERM idle keep-alive connections are closed at once on every
 * worker, also while another worker drains a request still arriving
 * (a worker that had nothing left used to keep their sockets open,
 * unread, until the drain ended: a client's next request there met a
 * reset seconds later instead of a close). */
Test(daemon, sigterm_closes_idle_connections_at_once)
{
	enum { N = 16 };
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char part[] = "POST /ocsp HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 100\r\n\r\n0123";
	struct conn *idle[N], *half;
	struct resp r;
	double t0;
	int i, rc;

	dthreads = 2;
	set_std(NULL);
	daemon_start();
	for (i = 0; i < N; i++) {
		idle[i] = conn_open();
		cr_assert(send_all(idle[i]->fd, get, strlen(get)));
		cr_assert_eq(conn_read(idle[i], &r, 3000), 1);
		resp_free(&r);
	}
	half = conn_open();
	cr_assert(send_all(half->fd, part, strlen(part)));
	sleep_ms(100);
	t0 = now_ms();
	cr_assert_eq(kill(dpid, SIGTERM), 0);
	for (i = 0; i < N; i++) {
		rc = conn_read(idle[i], &r, 1000);
		cr_assert_eq(rc, 0, "idle connection %d: %d after %.0f ms", i,
			     rc, now_ms() - t0);
		conn_close(idle[i]);
	}
	cr_assert_lt(now_ms() - t0, 500, "closed after %.0f ms", now_ms() - t0);
	conn_close(half);
	cr_assert_eq(daemon_wait(5000), 0, "%s", daemon_log());
}

/* Counts of the burst client, written to a pipe. */
struct burst {
	int ok, refused, closed_empty, incomplete, hung, bad;
	char why[256];
};

/* The child: POSTs (keep-alive, 5 per connection, every other with a
 * nonce) until the daemon refuses connections, at most 20 s or 20 000
 * requests. Every answer must be complete, 200, and a verified good. */
static uint8_t *rq[2];
static size_t lq[2];

static void
burst_child(int out)
{
	struct burst b = {0};
	double end = now_ms() + 20000;
	struct conn *c = NULL;
	int i, on_conn = 0, refused_in_a_row = 0;

	for (i = 0; i < 20000 && now_ms() < end; i++) {
		struct resp r;
		struct ocsp_answer a;
		int rc;

		if (c == NULL) {
			int fd = tcp_connect(dport);

			if (fd < 0) {
				b.refused++;
				if (++refused_in_a_row >= 3)
					break;
				sleep_ms(20);
				continue;
			}
			refused_in_a_row = 0;
			c = calloc(1, sizeof(*c));
			if (c == NULL)
				_exit(2);
			c->fd = fd;
			on_conn = 0;
		}
		if (!conn_post(c, "/", rq[i & 1], lq[i & 1])) {
			b.closed_empty++;
			close(c->fd);
			free(c);
			c = NULL;
			continue;
		}
		rc = conn_read(c, &r, 5000);
		if (rc == 1) {
			ocsp_parse(r.body, r.len, "rsa", &a);
			if (r.code != 200 || a.status != 0 || !a.verified ||
			    a.cert_status != V_OCSP_CERTSTATUS_GOOD ||
			    a.serial != 0x3003) {
				b.bad++;
				snprintf(
				    b.why, sizeof(b.why),
				    "HTTP %d status %d verified %d: %.150s",
				    r.code, a.status, a.verified, a.why);
			} else {
				b.ok++;
			}
			if (resp_header(&r, "Connection") != NULL &&
			    strcasecmp(resp_header(&r, "Connection"),
				       "close") == 0)
				on_conn = 1000;
			resp_free(&r);
		} else if (rc == 0) {
			b.closed_empty++;
			on_conn = 1000;
		} else if (rc == -2) {
			b.hung++;
			on_conn = 1000;
		} else {
			b.incomplete++;
			on_conn = 1000;
		}
		if (++on_conn >= 5) {
			close(c->fd);
			free(c);
			c = NULL;
		}
	}
	if (c != NULL)
		conn_close(c);
	if (write(out, &b, sizeof(b)) != (ssize_t)sizeof(b))
		_exit(3);
	_exit(0);
}

Test(daemon, sigterm_during_burst)
{
	int pfd[2], st, ws;
	pid_t child, parent = getpid();
	struct burst b;
	double end;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	assert_alive("start", 100);
	/* Made here: the child does not assert. */
	rq[0] = ocsp_req("rsa", 0x3003, 0, 0, &lq[0]);
	rq[1] = ocsp_req("rsa", 0x3003, 0, 1, &lq[1]);
	cr_assert_eq(pipe(pfd), 0);
	fflush(stdout);
	fflush(stderr);
	child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(4);
		close(pfd[0]);
		burst_child(pfd[1]);
	}
	close(pfd[1]);
	sleep_ms(400);
	cr_assert_eq(kill(dpid, SIGTERM), 0);
	st = daemon_wait(6000);
	/* The child stops once connections are refused. */
	end = now_ms() + 15000;
	while (waitpid(child, &ws, WNOHANG) == 0) {
		if (now_ms() > end) {
			kill(child, SIGKILL);
			waitpid(child, &ws, 0);
			break;
		}
		sleep_ms(20);
	}
	memset(&b, 0, sizeof(b));
	cr_assert_eq(read(pfd[0], &b, sizeof(b)), (ssize_t)sizeof(b),
		     "the burst client did not report");
	close(pfd[0]);
	cr_log_info("sigterm_during_burst: exit %d; ok %d, refused %d, "
		    "closed %d, incomplete %d, hung %d, bad %d",
		    st, b.ok, b.refused, b.closed_empty, b.incomplete, b.hung,
		    b.bad);
	cr_assert_eq(st, 0, "otzyvd exit %d\n%s", st, daemon_log());
	cr_assert_gt(b.ok, 20, "only %d answers before SIGTERM", b.ok);
	cr_assert_eq(b.bad, 0, "%d bad answers: %s", b.bad, b.why);
	cr_assert_eq(b.incomplete, 0, "%d truncated answers", b.incomplete);
	cr_assert_eq(b.hung, 0, "%d requests never answered nor closed",
		     b.hung);
	cr_assert_gt(b.refused, 0, "the client never saw the daemon go");
}

/* ---- 8. Refusing to start ------------------------------------------------ */

Test(daemon, bad_start)
{
	const char *p = test_pki();
	char *out = NULL, expect[1200];
	int fd;

	dport = free_port(0);

	/* An unknown key: file:line, in one logfmt field whose quotes
	 * read as \" (the field ends at the line's end, not at the first
	 * quote of the error). */
	set_std("[server]\nfrobnicate = 1\n");
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	{
		size_t len;
		char *text = (char *)read_file(conf, &len), *s;
		int line = 1;

		cr_assert_not_null(text);
		text[len] = '\0';
		for (s = text; strncmp(s, "frobnicate", 10) != 0; s++) {
			cr_assert_neq(*s, '\0');
			line += *s == '\n';
		}
		snprintf(expect, sizeof(expect),
			 "event=start_failed error=\"%s:%d: unknown key "
			 "\\\"frobnicate\\\" in [server]\"\n",
			 conf, line);
		free(text);
	}
	assert_has(out, expect);
	free(out);

	/* A bad value. */
	set_std("[server]\nmax_ocsp_request = lots\n");
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "max_ocsp_request: \\\"lots\\\" is not a size");
	snprintf(expect, sizeof(expect), "%s:", conf);
	assert_has(out, expect);
	free(out);

	/* The responder key is not the certificate's. */
	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ca.key\n\n"
		  "[ca rsa]\ncert = %s/rsa-ca.pem\n",
		  p, p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "rsa-ca.key");
	free(out);

	/* No [responder] cert. */
	set_extra("[responder]\nkey = %s/rsa-ocsp.key\n\n"
		  "[ca rsa]\ncert = %s/rsa-ca.pem\n",
		  p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "[responder] cert and key are required");
	free(out);

	/* A responder certificate that does not exist. */
	set_extra(
	    "[responder]\ncert = %s/nothing.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n",
	    dir, p, p);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 3, "%s", out);
	assert_has(out, "nothing.pem");
	free(out);

	/* The port is taken: exit 4, the log says "listen". */
	fd = bind_port(dport, 0, 1);
	cr_assert_geq(fd, 0, "port %d", dport);
	set_std(NULL);
	conf_write();
	cr_assert_eq(daemon_refuses(&out), 4, "%s", out);
	assert_has(out, "listen");
	free(out);
	close(fd);

	/* Another otzyvd holds it: the port is shared among one daemon's
	 * workers only. */
	daemon_start();
	cr_assert_eq(daemon_refuses(&out), 4, "%s", out);
	assert_has(out, "address already in use (another otzyvd?)");
	free(out);
	cr_assert_eq(http_get_code("/healthz", 1000), 200);
}

/* Started as root with [server] user, it binds, gives its state
 * directory to that user (as root left it: created by `otzyv`, with a
 * spool/ of root's), then runs as that user: it answers from the store
 * it opened, and its fetcher writes there. */
Test(daemon, drops_privileges_after_binding)
{
	char path[1100], *status = NULL, *out = NULL, args[2048], crl[1024];
	const char *p = test_pki();
	static const char *const given[] = {"store", "store/data.mdb",
					    "store/lock.mdb", "store/spool"};
	long long now = (long long)time(NULL);
	double end;
	struct stat st;
	size_t i;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	/* The user must reach the state directory and the CDP's file. */
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(crl, sizeof(crl), "%s/ecdsa-cdp.crl", dir);
	cr_assert_eq(gencrl("ecdsa", crl,
			    "--number 1 --this-update @%lld --next-update "
			    "@%lld " ENTRIES_1001_2002,
			    now - 3600, now + 2 * 86400),
		     0);
	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		  "\n[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
		  "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\ncrl = file://%s\n",
		  p, p, p, p, crl);
	dport = free_port(0);
	conf_write();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	snprintf(path, sizeof(path), "%s/store/spool", dir);
	cr_assert_eq(mkdir(path, 0750), 0);
	/* Links to files outside: followed by nobody, given to nobody. */
	cr_assert_eq(run("cd '%s' && echo x > outside && echo y > outside2 "
			 "&& ln -s ../outside store/soft && ln outside2 "
			 "store/spool/hard",
			 dir),
		     0);
	duser = "nobody";
	daemon_start();
	/* /proc files have no size: read through grep. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)dpid);
	cr_assert_eq(run_capture(&status, "grep '^Uid:' %s", path), 0);
	cr_assert_str_eq(status, "Uid:\t65534\t65534\t65534\t65534\n", "%s",
			 status);
	free(status);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 i ? "outside2" : "outside");
		cr_assert_eq(lstat(path, &st), 0, "%s", path);
		cr_expect_eq(st.st_uid, 0, "%s given away", path);
	}
	for (i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, given[i]);
		cr_assert_eq(lstat(path, &st), 0, "%s", path);
		cr_expect_eq(st.st_uid, 65534, "%s is uid %u", given[i],
			     (unsigned)st.st_uid);
	}
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x1001 -url '%s' -VAfile "
		 "'%s/rsa-ocsp.pem'",
		 p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "0x1001: revoked");
	free(out);
	/* The fetcher, as nobody, fetched and stored ecdsa's CRL. */
	end = now_ms() + 10000;
	while (count_in_log("event=crl_imported") == 0 && now_ms() < end)
		sleep_ms(50);
	cr_assert_eq(count_in_log("event=crl_imported"), 1, "%s", daemon_log());
	snprintf(path, sizeof(path), "%s/store/crl", dir);
	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	cr_expect_eq(st.st_uid, 65534);
}

/* A CRL past its nextUpdate: tryLater, never "good", and /readyz says
 * why; reloaded with stale = serve, the last known answer. */
Test(daemon, stale_crl_trylater_or_serve)
{
	const char *p = test_pki();
	char args[2048], entries[512], *out = NULL;
	long long now = (long long)time(NULL);

	set_std(NULL);
	daemon_start();
	/* gencrl takes the last of repeated options: these dates win. */
	snprintf(entries, sizeof(entries),
		 ENTRIES_1001_2002 " --this-update @%lld --next-update @%lld",
		 now - 2 * 86400, now - 86400);
	import_crl("rsa", 1, entries);
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x3003 -no_nonce -url '%s' "
		 "-CAfile '%s/rsa-ca.pem'",
		 p, url("/"), p);
	openssl_ocsp(&out, args);
	assert_has(out, "Responder Error: trylater (3)");
	free(out);
	cr_assert_eq(http_get_code("/readyz", 1000), 503);

	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		  "stale = serve\n\n[ca rsa]\ncert = %s/rsa-ca.pem\n",
		  p, p, p);
	daemon_reload("event=reload");
	/* openssl flags the past nextUpdate; the answer is what counts. */
	openssl_ocsp(&out, args);
	assert_has(out, "Cert Status: good");
	free(out);
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x1001 -no_nonce -url '%s' "
		 "-CAfile '%s/rsa-ca.pem'",
		 p, url("/"), p);
	openssl_ocsp(&out, args);
	assert_has(out, "Cert Status: revoked");
	free(out);
}

/* An RSA-PSS responder key signs with RSASSA-PSS; openssl verifies. */
Test(daemon, rsa_pss_responder_key)
{
	const char *p = test_pki();
	char args[2048], *out = NULL;

	cr_assert_eq(
	    run("cd '%s' && openssl genpkey -algorithm RSA-PSS -pkeyopt "
		"rsa_keygen_bits:2048 -out pss.key 2>/dev/null && "
		"openssl req -new -key pss.key -subj '/CN=PSS responder' "
		"-out pss.csr 2>/dev/null && openssl x509 -req -in pss.csr "
		"-CA '%s/rsa-ca.pem' -CAkey '%s/rsa-ca.key' -set_serial 0x6001 "
		"-days 30 -extfile '%s/ocsp.cnf' -extensions ocsp -out pss.pem "
		"2>/dev/null",
		dir, p, p, p),
	    0);
	set_extra("[responder]\ncert = %s/pss.pem\nkey = %s/pss.key\n\n"
		  "[ca rsa]\ncert = %s/rsa-ca.pem\n",
		  dir, dir, p);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	snprintf(args, sizeof(args),
		 "-issuer '%s/rsa-ca.pem' -serial 0x1001 -url '%s' -CAfile "
		 "'%s/rsa-ca.pem' -resp_text",
		 p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "Signature Algorithm: rsassaPss");
	assert_has(out, "0x1001: revoked");
	free(out);
}

/* A reload refused (here a delegated responder with another key)
 * changes nothing, in the store either (/v1/cas, the status page and
 * `otzyv check` read it); one that changes a setting that needs a
 * restart says so and keeps it as it runs: a new [store] path would
 * have sent the fetcher elsewhere than the open store. */
Test(daemon, reload_refused_or_needing_restart)
{
	const char *p = test_pki();
	char path[1100], *out = NULL;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	set_extra("[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n"
		  "\n[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
		  "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n"
		  "responder_cert = %s/ecdsa-ocsp.pem\n"
		  "responder_key = %s/rsa-ocsp.key\n\n"
		  "[ca twin]\ncert = %s/twin-ca.pem\n",
		  p, p, p, p, p, p, p);
	daemon_reload("event=reload_failed");
	cr_assert_eq(
	    run_capture(&out, "curl -s 'http://127.0.0.1:%d/v1/cas'", dport),
	    0);
	assert_has(out, "\"name\":\"ecdsa\"");
	assert_lacks(out, "twin");
	free(out);

	set_std(NULL);
	dstore = "store2";
	daemon_reload("event=reload ");
	cr_assert_eq(count_in_log("level=warn event=reload_needs_restart "
				  "setting=\"[store] path\""),
		     1, "%s", daemon_log());
	cr_assert_eq(count_in_log("fetch_failed_to_start"), 0, "%s",
		     daemon_log());
	snprintf(path, sizeof(path), "%s/store2", dir);
	cr_assert_neq(access(path, F_OK), 0, "%s was made", path);
	assert_alive("a reload with another [store] path", 1000);
}

/* A client that half-closes after its requests still gets every reply. */
Test(daemon, half_closed_client_gets_its_replies)
{
	static const char two[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct conn *c;
	struct resp r;

	set_std(NULL);
	daemon_start();
	c = conn_open();
	cr_assert(send_all(c->fd, two, strlen(two)));
	cr_assert_eq(shutdown(c->fd, SHUT_WR), 0);
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 200);
	resp_free(&r);
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 503); /* [ca rsa] and [ca ecdsa] have no CRL */
	resp_free(&r);
	conn_close(c);
}

/* The child of slow_reader_gets_every_reply: sends `len` octets on fd
 * (blocking until the daemon reads them all) and exits. */
static void
send_child(int fd, const char *buf, size_t len)
{
	struct timeval tv = {20, 0};

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	_exit(send_all(fd, buf, len) ? 0 : 1);
}

/* A client that pipelines many requests and then reads nothing for a
 * while: replies beyond what the sockets hold wait, the daemon stops
 * reading that client (a writer of its own sends the requests, as the
 * client would block otherwise), others are answered meanwhile, and
 * then every reply arrives whole and in order. */
Test(daemon, slow_reader_gets_every_reply)
{
	enum { N = 3000 };
	size_t l[2], n[2], len = 0;
	uint8_t *der[2];
	char *one[2], *all;
	struct conn *c;
	struct resp r;
	pid_t child;
	int i, rcv = 65536, ws;

	set_std(NULL);
	daemon_start();
	import_crl("rsa", 1, ENTRIES_1001_2002);
	der[0] = ocsp_req("rsa", 0x3003, 0, 0, &l[0]);
	der[1] = ocsp_req("rsa", 0x1001, 0, 0, &l[1]);
	for (i = 0; i < 2; i++)
		one[i] = post_bytes("/", "application/ocsp-request", der[i],
				    l[i], &n[i]);
	all = malloc((n[0] + n[1]) * N);
	cr_assert_not_null(all);
	for (i = 0; i < N; i++) {
		memcpy(all + len, one[i & 1], n[i & 1]);
		len += n[i & 1];
	}
	c = conn_open();
	/* A window far smaller than the replies (some MB). (Not tiny: a
	 * window under the loopback MSS makes the kernel's sender wait on
	 * its persist timer.) */
	cr_assert_eq(
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		send_child(c->fd, all, len);
	sleep_ms(500);
	assert_alive("a client that does not read", 1000);
	for (i = 0; i < N; i++) {
		char what[64];

		snprintf(what, sizeof(what), "reply %d of %d", i + 1, N);
		cr_assert_eq(conn_read(c, &r, 5000), 1, "%s", what);
		assert_ocsp_http(&r, (i & 1) ? 0x1001 : 0x3003,
				 (i & 1) ? V_OCSP_CERTSTATUS_REVOKED
					 : V_OCSP_CERTSTATUS_GOOD,
				 what);
		resp_free(&r);
	}
	cr_assert_eq(waitpid(child, &ws, 0), child);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
		  "the requests were not all read");
	conn_close(c);
	free(all);
	for (i = 0; i < 2; i++) {
		free(one[i]);
		OPENSSL_free(der[i]);
	}
}

/* Several CAs in one request: only the default responder may sign; a
 * CA's delegate speaks for that CA alone (RFC 6960 4.2.2.2). */
Test(daemon, mixed_request_signed_by_default_key)
{
	const char *p = test_pki();
	char args[2048], *out = NULL;

	set_extra(
	    "[responder]\ncert = %s/rsa-ocsp.pem\nkey = %s/rsa-ocsp.key\n\n"
	    "[ca rsa]\ncert = %s/rsa-ca.pem\n\n"
	    "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n"
	    "responder_cert = %s/ecdsa-ocsp.pem\n"
	    "responder_key = %s/ecdsa-ocsp.key\n",
	    p, p, p, p, p, p);
	daemon_start();
	import_crl("ecdsa", 1, ENTRIES_1001_2002);
	/* ecdsa's certificate alone: its delegate signs. */
	snprintf(
	    args, sizeof(args),
	    "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' -url '%s' "
	    "-CAfile '%s/ecdsa-ca.pem'",
	    p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	free(out);
	/* With a CertID of a CA not served: the default key signs. */
	snprintf(args, sizeof(args),
		 "-issuer '%s/ecdsa-ca.pem' -cert '%s/ecdsa-leaf.pem' "
		 "-issuer '%s/twin-ca.pem' -serial 0x77 -url '%s' "
		 "-VAfile '%s/rsa-ocsp.pem'",
		 p, p, p, url("/"), p);
	cr_assert_eq(openssl_ocsp(&out, args), 0, "%s", out);
	assert_has(out, "Response verify OK");
	assert_has(out, "ecdsa-leaf.pem: revoked");
	assert_has(out, "0x77: unknown");
	free(out);
}

/* Empty lines between requests are not the start of one: no 408. */
Test(daemon, stray_crlf_is_not_a_request)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
				  "\r\n";
	struct conn *c;
	struct resp r;

	set_std("[server]\nread_timeout = 1s\nidle_timeout = 10s\n");
	daemon_start();
	c = conn_open();
	cr_assert(send_all(c->fd, get, strlen(get)));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 200);
	resp_free(&r);
	/* Past read_timeout: nothing arrives, the connection stays. */
	cr_assert_eq(conn_read(c, &r, 2000), -2, "a reply or a close");
	cr_assert(send_all(c->fd, get, strlen(get) - 2));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 200);
	resp_free(&r);
	conn_close(c);
	/* A few empty lines are ignored; a stream of them is no request
	 * (it would hold the connection past every timeout). */
	c = conn_open();
	cr_assert(send_all(c->fd, "\r\n\r\n\r\n\r\n", 8));
	cr_assert(send_all(c->fd, get, strlen(get) - 2));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 200);
	resp_free(&r);
	cr_assert(send_all(c->fd, "\r\n\r\n\r\n\r\n\r\n\r\n", 12));
	cr_assert_eq(conn_read(c, &r, 3000), 1);
	cr_assert_eq(r.code, 400);
	resp_free(&r);
	conn_close(c);
}
