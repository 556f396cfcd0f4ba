/*
 * Shared by the end-to-end tests (test_fetch, test_status, test_daemon):
 * clocks and waits, processes (otzyvd and helpers), a free loopback
 * port, an HTTP/1.1 client over a loopback socket, shell commands and
 * JSON paths. Every loop is bounded in count or time; traffic goes to
 * 127.0.0.1 only. A failing step fails the test (cr_assert).
 */
#ifndef OTZYV_TESTS_E2E_H
#define OTZYV_TESTS_E2E_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Waits and timeouts stretch under sanitizers. */
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

/* ---- time ---------------------------------------------------------------- */

/* The monotonic clock in milliseconds. */
double now_ms(void);

/* Sleeps ms milliseconds (EINTR resumed). */
void sleep_ms(int ms);

/* ---- processes ----------------------------------------------------------- */

/* Closes every descriptor from lowfd up (at most 65536). */
void close_fds_from(int lowfd);

/* Forks and execs argv (PATH searched), stdout and stderr appended to
 * `out`; the child gets SIGKILL when this process dies. */
pid_t spawn(char *const argv[], const char *out);

/* Sends sig to *pid (when > 0) and reaps it; SIGKILL when it still runs
 * after 3 s. *pid becomes -1. */
void stop(pid_t *pid, int sig);

/*
 * Polls ready() every 20 ms for 10 s (longer under sanitizers) while
 * otzyvd *pid runs. 1 once ready() says 1; 0 otherwise, with *code -1
 * when it still runs, or its exit status (-2: killed by a signal) when
 * it exited, and then *pid is -1.
 */
int wait_ready(pid_t *pid, int (*ready)(void), int *code);

/* SIGTERM to otzyvd *pid, waiting for its exit (the test fails after
 * 10 s, longer under sanitizers); *pid becomes -1. Its exit status, or
 * minus the signal that killed it. */
int term_wait(pid_t *pid);

/* Starts otzyvd -c conf, its output appended to logpath: setup() picks
 * the port(s) and writes conf, then ready() must say 1 within
 * wait_ready()'s time. Tried again (8 times at most) when otzyvd found
 * its port taken meanwhile (exit 4). Its pid; fails the test
 * otherwise. */
pid_t otzyvd_start(const char *conf, const char *logpath, void (*setup)(void),
		   int (*ready)(void));

/* SIGTERM to otzyvd *pid: it must exit 0, and its whole log at logpath
 * show no sanitizer report. *pid becomes -1. */
void otzyvd_stop_clean(pid_t *pid, const char *logpath);

/* The last 4000 bytes of the file at path, for failure messages (static
 * buffer; "" when unreadable). */
const char *tail_of(const char *path);

/* Runs a shell command, stderr merged into *out; the exit status. */
int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails the test unless the string `out` contains `needle`. */
#define assert_has(out, needle)                                                \
	cr_assert(strstr((out), (needle)) != NULL, "expected \"%s\" in:\n%s",  \
		  (needle), (out))

/* ---- HTTP/1.1 over loopback sockets -------------------------------------- */

/* A port in 20000-32767 (below Linux's ephemeral range) free now on
 * 127.0.0.1. */
int free_loopback_port(void);

/* 1 when all of buf went out. */
int send_all(int fd, const void *buf, size_t len);

/* A response: the head and the body. */
struct resp {
	int code;
	char head[8192]; /* status line and headers */
	uint8_t *body;	 /* NUL-terminated */
	size_t len;
};

/* Frees the body (r itself is the caller's). */
void resp_free(struct resp *r);

/* The value of header `name` (static buffer), or NULL. */
const char *resp_header(const struct resp *r, const char *name);

/* One request, on a connection of its own with "Connection: close". */
struct req {
	int port; /* on 127.0.0.1 */
	const char *method;
	const char *path;
	const char *hdrs; /* extra header lines ("Name: value\r\n"...) */
	const void *body; /* len octets, sent with Content-Length: len */
	size_t len;
	int head_only;	/* only the head, for answers before the body */
	int timeout_ms; /* for the whole exchange */
};

/* Sends q and reads to the end (at most q->timeout_ms). 1 with a
 * response in r (its body all that followed the head), 0 without; r is
 * for resp_free() either way. */
int http_ask(const struct req *q, struct resp *r);

/* ---- JSON ---------------------------------------------------------------- */

/* The member at a dotted path ("fetch.failures", "history.0.to": array
 * elements by index), or NULL. */
json_t *jget(json_t *o, const char *path);

/* The string at path, "" when it is none. */
const char *jstr(json_t *o, const char *path);

/* The integer at path, -1 when it is none. */
long long jint(json_t *o, const char *path);

/* o as indented JSON, for failure messages (static). */
const char *jdump(json_t *o);

#endif
