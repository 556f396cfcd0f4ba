/*
 * The store across processes, with the real importer (the otzyv CLI):
 *  - a reader in this process while another process imports CRL after
 *    CRL sees, in every read transaction, exactly one whole CRL;
 *  - an import killed with SIGKILL at random moments leaves exactly the
 *    old or exactly the new CRL, and the store stays writable.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "otzyv/crl.h"
#include "otzyv/crypto.h"
#include "otzyv/store.h"
#include "otzyv/util.h"

#define NCRLS 4

/* A CRL's serials, sorted in store key order, without duplicates. */
struct serials {
	uint8_t *buf; /* the CRL file, which the pointers below point into */
	size_t n;
	const uint8_t **p;
	size_t *len;
	unsigned number;
};

static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static struct serials *sort_base;

static int
idx_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;

	return key_cmp(sort_base->p[i], sort_base->len[i], sort_base->p[j],
		       sort_base->len[j]);
}

static void
load_serials(const char *file, struct serials *out)
{
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t len, cap = 1024, *idx, i, k;
	const uint8_t **p;
	size_t *l;

	memset(out, 0, sizeof(*out));
	out->buf = read_file(file, &len);
	cr_assert_not_null(out->buf);
	cr_assert(crl_parse(out->buf, len, &crl, &err), "%s", err.msg);
	out->number = crl.number.len ? crl.number.v[crl.number.len - 1] : 0;
	out->p = malloc(cap * sizeof(*out->p));
	out->len = malloc(cap * sizeof(*out->len));
	crl_iter_init(&crl, &it);
	while (crl_iter_next(&it, &e, &err) == 1) {
		if (out->n == cap) {
			cap *= 2;
			out->p = realloc(out->p, cap * sizeof(*out->p));
			out->len = realloc(out->len, cap * sizeof(*out->len));
		}
		out->p[out->n] = e.serial;
		out->len[out->n++] = e.serial_len;
	}
	idx = malloc(out->n * sizeof(*idx));
	for (i = 0; i < out->n; i++)
		idx[i] = i;
	sort_base = out;
	qsort(idx, out->n, sizeof(*idx), idx_cmp);
	p = malloc((out->n + 1) * sizeof(*p));
	l = malloc((out->n + 1) * sizeof(*l));
	for (i = k = 0; i < out->n; i++) {
		size_t j = idx[i];

		if (k > 0 && key_cmp(p[k - 1], l[k - 1], out->p[j],
				     out->len[j]) == 0)
			continue;
		p[k] = out->p[j];
		l[k++] = out->len[j];
	}
	free(idx);
	free(out->p);
	free(out->len);
	out->p = p;
	out->len = l;
	out->n = k;
}

static void
free_serials(struct serials *s)
{
	free(s->buf);
	free(s->p);
	free(s->len);
}

struct walk {
	const struct serials *want;
	size_t i;
	int ok;
};

/* Currently listed: the last episode is still open. */
static int
check_one(const uint8_t *serial, size_t len, struct store_history h,
	  void *arg)
{
	struct walk *w = arg;
	struct store_episode ep;
	int open = 0;

	while (store_history_next(&h, &ep) == 1)
		open = !ep.removed;
	if (!open)
		return 0;
	if (w->i >= w->want->n ||
	    key_cmp(serial, len, w->want->p[w->i], w->want->len[w->i]) != 0) {
		w->ok = 0;
		return 1;
	}
	w->i++;
	return 0;
}

/* In one read transaction: the issuer's CRL number names one of the
 * CRLs, and the listed serials are exactly that CRL's. Returns the
 * index of the CRL seen, or -1 for none imported yet. */
static int
check_consistent(struct store *s, uint32_t id, struct serials *crls,
		 size_t ncrls)
{
	struct store_txn *t;
	struct store_issuer is;
	struct walk w = {NULL, 0, 1};
	size_t k;
	int seen = -1;

	cr_assert_eq(store_read_begin(s, &t), STORE_OK);
	if (store_issuer_get(t, id, &is) == STORE_OK && is.crl.present) {
		for (k = 0; k < ncrls; k++)
			if (is.crl.number.len &&
			    is.crl.number.v[is.crl.number.len - 1] ==
				crls[k].number)
				seen = (int)k;
		cr_assert_geq(seen, 0, "stored CRL number is none of ours");
		w.want = &crls[seen];
		cr_assert_eq(store_revoked_foreach(t, id, check_one, &w),
			     STORE_OK);
		cr_assert(w.ok && w.i == w.want->n,
			  "CRL %d: store lists %zu of %zu serials, or others",
			  seen, w.i, w.want->n);
		cr_assert_eq(is.crl.entries, w.want->n);
	}
	store_txn_end(t);
	return seen;
}

static char *dir;
static char conf[1024];

static void
setup(void)
{
	char err[256];
	FILE *f;

	cr_assert(crypto_init(GOST_AUTO, err, sizeof(err)), "%s", err);
	dir = tmpdir_new("proc");
	snprintf(conf, sizeof(conf), "%s/otzyv.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "[store]\npath = %s/store\nmap_size = 1G\n\n"
		   "[ca test]\ncert = %s/ecdsa-ca.pem\n",
		dir, test_pki());
	fclose(f);
}

static void
teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(process, .init = setup, .fini = teardown, .timeout = 240);

/* crl-K.der: K = 1..NCRLS, each a 1 %-changed successor of the base. */
static void
make_crls(unsigned entries, struct serials *out)
{
	unsigned k;

	for (k = 0; k < NCRLS; k++) {
		cr_assert_eq(run("'%s' --ca-cert '%s/ecdsa-ca.pem' --ca-key "
				 "'%s/ecdsa-ca.key' --random %u --seed 7 "
				 "--change %u --number %u --out '%s/crl-%u.der'",
				 env_path("GENCRL"), test_pki(), test_pki(),
				 entries, k * 3, k + 1, dir, k + 1),
			     0);
		load_serials(path_in(dir, k == 0 ? "crl-1.der"
					  : k == 1 ? "crl-2.der"
					  : k == 2 ? "crl-3.der"
						   : "crl-4.der"),
			     &out[k]);
		cr_assert_eq(out[k].number, k + 1);
	}
}

static pid_t
spawn_import(const char *crl)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", 1);

		dup2(null, 1);
		execl(env_path("OTZYV_BIN"), "otzyv", "-c", conf,
		      "import-crl", crl, (char *)NULL);
		_exit(127);
	}
	return pid;
}

Test(process, reader_sees_whole_crls_while_another_process_imports)
{
	struct serials crls[NCRLS];
	struct store *s;
	uint32_t id = 1;
	pid_t pid;
	int st, k, reads = 0, seen[NCRLS] = {0};

	make_crls(100000, crls);
	/* Creates the store and registers [ca test] as issuer 1. */
	cr_assert_eq(run("'%s' -c '%s' cas >/dev/null", env_path("OTZYV_BIN"),
			 conf),
		     0);
	cr_assert_eq(store_open(path_in(dir, "store"), 1 << 30, 0, &s),
		     STORE_OK);
	for (k = 0; k < NCRLS; k++) {
		char file[64];

		snprintf(file, sizeof(file), "crl-%d.der", k + 1);
		pid = spawn_import(path_in(dir, file));
		/* Read as fast as we can while the import runs. */
		while (waitpid(pid, &st, WNOHANG) == 0) {
			int got = check_consistent(s, id, crls, NCRLS);

			if (got >= 0)
				seen[got]++;
			reads++;
		}
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "import of %s failed", file);
		cr_assert_eq(check_consistent(s, id, crls, NCRLS), k);
	}
	cr_log_info("%d consistent reads during %d imports", reads, NCRLS);
	cr_assert_gt(reads, NCRLS);
	store_close(s);
	for (k = 0; k < NCRLS; k++)
		free_serials(&crls[k]);
}

static uint64_t
rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(process, sigkill_during_import_leaves_old_or_new, .timeout = 300)
{
	struct serials crls[NCRLS];
	struct store *s;
	uint64_t seed = 20261121;
	double t0, full;
	int round, st, outcome[2] = {0, 0};
	const int rounds = 24;

	make_crls(200000, crls);
	cr_assert_eq(run("'%s' -c '%s' import-crl '%s/crl-1.der' >/dev/null",
			 env_path("OTZYV_BIN"), conf, dir),
		     0);
	cr_assert_eq(run("cp -r '%s/store' '%s/base'", dir, dir), 0);
	/* How long a whole import of the next CRL takes, spawned exactly
	 * as in the rounds, so the kill delays span all of it. */
	t0 = now_s();
	waitpid(spawn_import(path_in(dir, "crl-2.der")), &st, 0);
	full = now_s() - t0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	for (round = 0; round < rounds; round++) {
		useconds_t delay =
		    (useconds_t)((double)(rng(&seed) % 1000) / 1000.0 * full *
				 1.2e6);
		pid_t pid;
		int got;

		cr_assert_eq(run("rm -rf '%s/store' && cp -r '%s/base' "
				 "'%s/store'",
				 dir, dir, dir),
			     0);
		pid = spawn_import(path_in(dir, "crl-2.der"));
		usleep(delay);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);

		cr_assert_eq(store_open(path_in(dir, "store"), 1 << 30, 0, &s),
			     STORE_OK);
		got = check_consistent(s, 1, crls, NCRLS);
		cr_assert(got == 0 || got == 1, "round %d: CRL %d", round,
			  got);
		outcome[got]++;
		store_close(s);
		/* The writer lock of the killed process is not held. */
		cr_assert_eq(run("'%s' -c '%s' import-crl '%s/crl-3.der' "
				 ">/dev/null",
				 env_path("OTZYV_BIN"), conf, dir),
			     0, "round %d: store not writable after kill",
			     round);
		cr_assert_eq(store_open(path_in(dir, "store"), 1 << 30, 0, &s),
			     STORE_OK);
		cr_assert_eq(check_consistent(s, 1, crls, NCRLS), 2);
		store_close(s);
	}
	cr_log_info("import %.2fs; after kill: old %d, new %d", full,
		    outcome[0], outcome[1]);
	/* The delays span the whole import: both outcomes must occur. */
	cr_assert_gt(outcome[0], 0);
	cr_assert_gt(outcome[1], 0);
	for (round = 0; round < NCRLS; round++)
		free_serials(&crls[round]);
}
