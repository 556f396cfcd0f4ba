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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/rand.h>

#include "common.h"
#include "e2e.h"

/* ---- time ---------------------------------------------------------------- */

double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- processes ----------------------------------------------------------- */

void
close_fds_from(int lowfd)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

/* In the child of spawn(): default signals, the output appended to
 * `out`, stdin from /dev/null, nothing else open; then argv. */
static void
child_exec(pid_t parent, char *const argv[], const char *out)
{
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
	if ((fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		_exit(127);
	dup2(fd, 1);
	dup2(fd, 2);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0)
		dup2(fd, 0);
	close_fds_from(3);
	execvp(argv[0], argv);
	_exit(127);
}

pid_t
spawn(char *const argv[], const char *out)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		child_exec(parent, argv, out);
	return pid;
}

void
stop(pid_t *pid, int sig)
{
	if (*pid > 0) {
		double end = now_ms() + 3000;

		kill(*pid, sig);
		while (waitpid(*pid, NULL, WNOHANG) == 0) {
			if (now_ms() > end) {
				kill(*pid, SIGKILL);
				waitpid(*pid, NULL, 0);
				break;
			}
			sleep_ms(10);
		}
	}
	*pid = -1;
}

int
wait_ready(pid_t *pid, int (*ready)(void), int *code)
{
	double end = now_ms() + 10000.0 * SLOW;
	int ws;

	*code = -1;
	while (now_ms() < end) {
		if (waitpid(*pid, &ws, WNOHANG) == *pid) {
			*pid = -1;
			*code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -2;
			return 0;
		}
		if (ready())
			return 1;
		sleep_ms(20);
	}
	return 0;
}

int
term_wait(pid_t *pid)
{
	double end = now_ms() + 10000.0 * SLOW;
	int ws;

	cr_assert_eq(kill(*pid, SIGTERM), 0);
	while (waitpid(*pid, &ws, WNOHANG) == 0) {
		cr_assert(now_ms() < end, "otzyvd still runs 10 s after "
					  "SIGTERM");
		sleep_ms(20);
	}
	*pid = -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
}

pid_t
otzyvd_start(const char *conf, const char *logpath, void (*setup)(void),
	     int (*ready)(void))
{
	char *argv[] = {(char *)env_path("OTZYVD_BIN"), "-c", (char *)conf,
			NULL};
	pid_t pid;
	int attempt, code;

	for (attempt = 0; attempt < 8; attempt++) {
		setup();
		pid = spawn(argv, logpath);
		if (wait_ready(&pid, ready, &code))
			return pid;
		if (code == 4 &&
		    strstr(tail_of(logpath), "Address already in use"))
			continue;
		cr_assert_fail("otzyvd not up (exit %d):\n%s", code,
			       tail_of(logpath));
	}
	cr_assert_fail("otzyvd: no usable port after 8 tries");
	return -1;
}

void
otzyvd_stop_clean(pid_t *pid, const char *logpath)
{
	int code = term_wait(pid);
	size_t len;
	char *log = (char *)read_file(logpath, &len);

	cr_assert_not_null(log, "%s", logpath);
	cr_assert(strstr(log, "Sanitizer") == NULL &&
		      strstr(log, "runtime error:") == NULL,
		  "a sanitizer report in otzyvd's log:\n%s", tail_of(logpath));
	free(log);
	cr_assert_eq(code, 0, "otzyvd exit %d after SIGTERM:\n%s", code,
		     tail_of(logpath));
}

const char *
tail_of(const char *path)
{
	static char buf[4001];
	size_t len = 0, from;
	uint8_t *b = read_file(path, &len);

	buf[0] = '\0';
	if (b != NULL) {
		from = len > 4000 ? len - 4000 : 0;
		memcpy(buf, b + from, len - from);
		buf[len - from] = '\0';
		free(b);
	}
	return buf;
}

int
sh(char **out, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	rc = run_capture(out, "{ %s ; } 2>&1", cmd);
	free(cmd);
	return rc;
}

/* ---- HTTP/1.1 over loopback sockets -------------------------------------- */

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in a = {0};

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int
free_loopback_port(void)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		struct sockaddr_in a;
		uint16_t r;
		int fd, ok;

		cr_assert_eq(RAND_bytes((unsigned char *)&r, sizeof(r)), 1);
		a = loopback(20000 + r % 12768);
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

int
send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

void
resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

const char *
resp_header(const struct resp *r, const char *name)
{
	static char val[1024];
	size_t n = strlen(name);
	const char *line = strstr(r->head, "\r\n");

	while (line != NULL && line[2] != '\r' && line[2] != '\0') {
		const char *s = line + 2, *e = strstr(s, "\r\n");

		if (e == NULL)
			break;
		if ((size_t)(e - s) > n && strncasecmp(s, name, n) == 0 &&
		    s[n] == ':') {
			s += n + 1;
			while (*s == ' ')
				s++;
			snprintf(val, sizeof(val), "%.*s", (int)(e - s), s);
			return val;
		}
		line = e;
	}
	return NULL;
}

/* Connects fd to q->port and sends q (the body unless head_only); 1
 * when all went out. */
static int
send_req(int fd, const struct req *q)
{
	struct sockaddr_in a = loopback(q->port);
	char *head;
	int n, ok;

	n = asprintf(&head,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Connection: close\r\n%sContent-Length: %zu\r\n\r\n",
		     q->method, q->path, q->port, q->hdrs ? q->hdrs : "",
		     q->len);
	cr_assert_geq(n, 0);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	     send_all(fd, head, (size_t)n) &&
	     (q->head_only || q->len == 0 || send_all(fd, q->body, q->len));
	free(head);
	return ok;
}

/* Everything fd sends until it closes, NUL-terminated (malloc'd; its
 * length in *len); NULL on an error or when `end` passes first. */
static char *
recv_all(int fd, double end, size_t *len)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap);

	cr_assert_not_null(buf);
	*len = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t got;

		if (now_ms() > end)
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		if (*len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		got = recv(fd, buf + *len, cap - *len - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (got == 0) {
			buf[*len] = '\0';
			return buf;
		}
		*len += (size_t)got;
	}
	free(buf);
	return NULL;
}

/* The response in buf (len bytes) into r; 1 when it has a whole head. */
static int
resp_parse(const char *buf, size_t len, struct resp *r)
{
	const char *e = memmem(buf, len, "\r\n\r\n", 4);
	size_t hlen;

	if (e == NULL)
		return 0;
	hlen = (size_t)(e - buf) + 4;
	if (hlen >= sizeof(r->head) ||
	    sscanf(buf, "HTTP/1.%*d %d", &r->code) != 1)
		return 0;
	memcpy(r->head, buf, hlen);
	r->head[hlen] = '\0';
	r->len = len - hlen;
	r->body = malloc(r->len + 1);
	cr_assert_not_null(r->body);
	memcpy(r->body, buf + hlen, r->len);
	r->body[r->len] = '\0';
	return 1;
}

int
http_ask(const struct req *q, struct resp *r)
{
	double end = now_ms() + q->timeout_ms;
	char *buf = NULL;
	size_t len;
	int fd, ok;

	memset(r, 0, sizeof(*r));
	r->code = -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	ok = send_req(fd, q) && (buf = recv_all(fd, end, &len)) != NULL &&
	     resp_parse(buf, len, r);
	close(fd);
	free(buf);
	return ok;
}

/* ---- JSON ---------------------------------------------------------------- */

json_t *
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

const char *
jstr(json_t *o, const char *path)
{
	const char *s = json_string_value(jget(o, path));

	return s ? s : "";
}

long long
jint(json_t *o, const char *path)
{
	json_t *v = jget(o, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

const char *
jdump(json_t *o)
{
	static char buf[8192];
	char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}
