/*
 * contrib/nginx/otzyv-cache.conf, as shipped (its "site:" lines adapted
 * to this test's ports and folders), in front of two otzyvd replicas,
 * each with its own store: GET answers are cached by nginx, POSTs pass
 * through, and the front keeps answering when one replica stops.
 * Skipped when nginx is not installed.
 */
#include "config.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"

static char *dir;
static pid_t replica[2], front;
static int port[3]; /* replicas, then nginx */

/* A port the kernel just gave us, closed again: free for a moment. */
static int
free_port(void)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 &&
		  bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		  getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

static pid_t
spawn(const char *log, char *const argv[])
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		FILE *f = freopen(log, "w", stderr);

		(void)f;
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
wait_ready(int p)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (run("curl -sf -o /dev/null http://127.0.0.1:%d/healthz",
			p) == 0)
			return;
		usleep(50000);
	}
	cr_assert_fail("nothing answers on port %d", p);
}

static void
start_replica(int i)
{
	char conf[1024], log[1024];
	FILE *f;
	char *argv[4];

	snprintf(conf, sizeof(conf), "%s/r%d.conf", dir, i);
	snprintf(log, sizeof(log), "%s/r%d.log", dir, i);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(
	    f,
	    "[store]\npath = %s/store%d\nmap_size = 64M\n"
	    "[server]\nlisten = 127.0.0.1:%d\nthreads = 1\nadmin_listen =\n"
	    "[responder]\ncert = %s/ecdsa-ocsp.pem\nkey = %s/ecdsa-ocsp.key\n"
	    "[ca ecdsa]\ncert = %s/ecdsa-ca.pem\n",
	    dir, i, port[i], test_pki(), test_pki(), test_pki());
	fclose(f);
	cr_assert_eq(run("'%s' -c '%s' import-crl '%s/ecdsa.crl' >/dev/null",
			 env_path("OTZYV_BIN"), conf, dir),
		     0);
	argv[0] = (char *)env_path("OTZYVD_BIN");
	argv[1] = "-c";
	argv[2] = conf;
	argv[3] = NULL;
	replica[i] = spawn(log, argv);
	wait_ready(port[i]);
}

/* Started from the test itself: Criterion does not run .fini after a
 * failing .init, and the daemons must not outlive the test. */
static int
start(void)
{
	char conf[1024];
	char *argv[6];

	if (run("command -v nginx >/dev/null 2>&1") != 0)
		return 0;
	dir = tmpdir_new("nginx");
	port[0] = free_port();
	port[1] = free_port();
	port[2] = free_port();
	cr_assert_eq(gencrl("ecdsa", path_in(dir, "ecdsa.crl"),
			    "--number 1 --entry "
			    "1001,2026-01-10T00:00:00Z,keyCompromise"),
		     0);
	start_replica(0);
	start_replica(1);
	/* The shipped file, with only its "site:" lines changed. */
	cr_assert_eq(
	    run("mkdir -p '%s/cache' && sed -e 's#/var/cache/nginx/otzyv#%s/"
		"cache#' -e 's#127.0.0.1:8080#127.0.0.1:%d#' "
		"-e 's#127.0.0.1:8090#127.0.0.1:%d#' "
		"-e 's#listen 127.0.0.1:8000#listen 127.0.0.1:%d#' "
		"'%s/../contrib/nginx/otzyv-cache.conf' > '%s/site.conf'",
		dir, dir, port[0], port[1], port[2], env_path("TESTS_SRCDIR"),
		dir),
	    0);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	{
		FILE *f = fopen(conf, "w");

		cr_assert_not_null(f);
		/* As root, nginx's workers would become nobody, who may
		 * not enter this test's private folder. */
		if (geteuid() == 0)
			fprintf(f, "user root;\n");
		fprintf(
		    f,
		    "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\n"
		    "error_log %s/nginx-error.log;\n"
		    "events { worker_connections 256; }\n"
		    "http {\n access_log off;\n"
		    " client_body_temp_path %s/t1;\n proxy_temp_path %s/t2;\n"
		    " fastcgi_temp_path %s/t3;\n uwsgi_temp_path %s/t4;\n"
		    " scgi_temp_path %s/t5;\n include %s/site.conf;\n}\n",
		    dir, dir, dir, dir, dir, dir, dir, dir);
		fclose(f);
	}
	argv[0] = "/usr/sbin/nginx";
	argv[1] = "-c";
	argv[2] = conf;
	argv[3] = "-p";
	argv[4] = dir;
	argv[5] = NULL;
	if (access(argv[0], X_OK) != 0)
		argv[0] = "/usr/bin/nginx";
	front = spawn(path_in(dir, "nginx.log"), argv);
	wait_ready(port[2]);
	return 1;
}

static void
stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

static void
teardown(void)
{
	stop(&front);
	stop(&replica[0]);
	stop(&replica[1]);
	tmpdir_remove(dir);
	dir = NULL;
}

TestSuite(nginx, .fini = teardown, .timeout = 60);

/* X-Cache-Status of a GET of the request in req.der through nginx, with
 * the body kept in resp.der. */
static char *
get_via_front(void)
{
	char *out = NULL;

	cr_assert_eq(
	    run_capture(&out,
			"curl -sf -o '%s/resp.der' -D - "
			"\"http://127.0.0.1:%d/ocsp/$(base64 -w0 '%s/req.der'"
			" | sed 's/+/%%2B/g; s#/#%%2F#g; s/=/%%3D/g')\" "
			"| tr -d '\\r' | sed -n 's/^X-Cache-Status: //p'",
			dir, port[2], dir),
	    0);
	return out;
}

Test(nginx, caches_get_and_passes_post)
{
	char *status;

	if (!start())
		cr_skip_test("nginx is not installed");
	cr_assert_eq(
	    run("openssl ocsp -issuer '%s/ecdsa-ca.pem' -serial 0x1001 "
		"-no_nonce -reqout '%s/req.der' >/dev/null 2>&1",
		test_pki(), dir),
	    0);
	status = get_via_front();
	cr_assert_str_eq(status, "MISS\n");
	free(status);
	status = get_via_front();
	cr_assert_str_eq(status, "HIT\n");
	free(status);
	cr_assert_eq(run("openssl ocsp -respin '%s/resp.der' -issuer "
			 "'%s/ecdsa-ca.pem' -CAfile '%s/ecdsa-ca.pem' 2>&1 | "
			 "grep -q 'Response verify OK'",
			 dir, test_pki(), test_pki()),
		     0);
	/* POST through the front, with a nonce: signed afresh upstream. */
	cr_assert_eq(
	    run("openssl ocsp -issuer '%s/ecdsa-ca.pem' -serial 0x1001 "
		"-url http://127.0.0.1:%d/ -CAfile '%s/ecdsa-ca.pem' "
		"2>&1 | grep -q '0x1001: revoked'",
		test_pki(), port[2], test_pki()),
	    0);

	/* One replica gone: the front still answers, cached or not. */
	stop(&replica[0]);
	status = get_via_front();
	cr_assert_str_eq(status, "HIT\n");
	free(status);
	cr_assert_eq(
	    run("openssl ocsp -issuer '%s/ecdsa-ca.pem' -serial 0x3003 "
		"-url http://127.0.0.1:%d/ -CAfile '%s/ecdsa-ca.pem' "
		"2>&1 | grep -q '0x3003: good'",
		test_pki(), port[2], test_pki()),
	    0);
	cr_assert_eq(
	    run("curl -sf -o /dev/null http://127.0.0.1:%d/readyz", port[2]),
	    0);
}
