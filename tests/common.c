#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "otzyv/crypto.h"

#include "common.h"

char *
tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&dir, "%s/otzyv-%s-XXXXXX", base, tag) < 0)
		abort();
	if (mkdtemp(dir) == NULL)
		abort();
	return dir;
}

void
tmpdir_remove(char *dir)
{
	if (dir == NULL)
		return;
	if (getenv("OTZYV_KEEP_TMP") == NULL)
		run("rm -rf '%s'", dir);
	free(dir);
}

static int
vrun(char **out, const char *fmt, va_list ap)
{
	char *cmd;
	FILE *p;
	int st;

	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	fflush(stdout);
	fflush(stderr);
	if (out == NULL) {
		st = system(cmd);
	} else {
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		size_t n;

		if ((p = popen(cmd, "r")) == NULL || buf == NULL)
			abort();
		while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
			len += n;
			if (cap - len < 2 &&
			    (buf = realloc(buf, cap *= 2)) == NULL)
				abort();
		}
		buf[len] = '\0';
		*out = buf;
		st = pclose(p);
	}
	free(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
run(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int
run_capture(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(out, fmt, ap);
	va_end(ap);
	return rc;
}

uint8_t *
read_file(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*out_len = (size_t)n;
	return buf;
}

int
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return 0;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

const char *
env_path(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr,
			"test environment lacks $%s (run via make "
			"check)\n",
			name);
		abort();
	}
	return v;
}

/* One PKI per test program, made in the runner before Criterion forks
 * its workers (they inherit $OTZYV_TEST_PKI) and removed after all. */
static char *pki_dir;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	const char *mkpki = env_path("MKPKI");

	(void)set;
	pki_dir = tmpdir_new("pki");
	if (run("sh '%s' '%s'", mkpki, pki_dir) != 0) {
		fprintf(stderr, "tests/data/mkpki.sh failed\n");
		abort();
	}
	setenv("OTZYV_TEST_PKI", pki_dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	tmpdir_remove(pki_dir);
	pki_dir = NULL;
}

const char *
test_pki(void)
{
	return env_path("OTZYV_TEST_PKI");
}

X509 *
load_cert(const char *name)
{
	char err[512];
	X509 *x = crypto_load_cert(path_in(test_pki(), name), err, sizeof(err));

	cr_assert_not_null(x, "%s", err);
	return x;
}

X509 *
load_ca(const char *alg)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-ca.pem", alg);
	return load_cert(name);
}

int
gencrl_v(const char *alg, const char *out, const char *fmt, va_list ap)
{
	char *args, *pki;
	int rc;

	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	pki = strdup(test_pki());
	rc = run("'%s' --ca-cert '%s/%s-ca.pem' --ca-key '%s/%s-ca.key' "
		 "--out '%s' %s",
		 env_path("GENCRL"), pki, alg, pki, alg, out, args);
	free(pki);
	free(args);
	return rc;
}

int
gencrl(const char *alg, const char *out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gencrl_v(alg, out, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
path_in(const char *dir, const char *name)
{
	static char bufs[64][1024];
	static unsigned next;
	char *b = bufs[next++ % 64];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}
