/*
 * lookup: the point-lookup microbenchmark (make bench).
 *
 *   lookup STORE_DIR ISSUER_ID CRL_FILE [N]
 *
 * Takes N keys (default 100000): half the serials of CRL_FILE, spread
 * evenly over the file, and half random 16-byte serials no CA listed,
 * in a shuffled order. It then times, in alternating rounds (ours, bare,
 * ours, bare, ...) so both see the same page-cache state:
 *
 *   ours  store_state_at(): read transaction, mdb_get, history decode,
 *         state decision, end of transaction;
 *   bare  mdb_txn_begin(MDB_RDONLY) + mdb_get + mdb_txn_abort on the
 *         same key in the same environment, with no otzyv code at all.
 *
 * LMDB forbids opening one environment twice in a process, so each round
 * opens its environment (store_open or mdb_env_open), runs every key once
 * untimed (warming the mapping and checking every answer), then once
 * timed in batches of BATCH lookups, and closes it again.
 *
 * Prints the median, 90th percentile and mean nanoseconds per lookup of
 * each, the ratio ours/bare against the bar (<= 2.0), and a last line
 * "RESULT ours_ns=... bare_ns=... ratio=... bar=PASS|FAIL" for
 * bench/crl-import. Exits 1 when any answer is wrong (a listed serial
 * not found as revoked or on hold, or a random one found), 2 on usage or
 * I/O errors; a missed bar is reported, not an error.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>

#include "otzyv/crl.h"
#include "otzyv/limits.h"
#include "otzyv/store.h"
#include "otzyv/util.h"

#define BATCH 1000
#define ROUNDS 5
#define BAR 2.0

struct key {
	uint8_t serial[MAX_SERIAL_LEN];
	uint8_t len;
	uint8_t listed; /* taken from the CRL */
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: deterministic, so every run uses the same keys. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double median, p90, mean;
};

static struct stats
summarize(double *v, size_t n)
{
	struct stats s = {0, 0, 0};
	size_t i;

	if (n == 0)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p90 = v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
	for (i = 0; i < n; i++)
		s.mean += v[i];
	s.mean /= (double)n;
	return s;
}

static size_t
make_key(uint32_t issuer, const struct key *k, uint8_t *out)
{
	out[0] = (uint8_t)(issuer >> 24);
	out[1] = (uint8_t)(issuer >> 16);
	out[2] = (uint8_t)(issuer >> 8);
	out[3] = (uint8_t)issuer;
	memcpy(out + 4, k->serial, k->len);
	return 4 + (size_t)k->len;
}

/* Half the keys from the CRL, evenly spread; the rest random. */
static int
pick_keys(const char *path, struct key *keys, size_t n, int64_t *this_update)
{
	struct mapfile m;
	struct crl crl;
	struct crl_iter it;
	struct crl_entry e;
	struct crl_error err;
	size_t total = 0, want = n / 2, got = 0, i;
	int rc, e2;

	if ((e2 = mapfile_open(path, &m)) != 0) {
		fprintf(stderr, "lookup: %s: %s\n", path, strerror(e2));
		return -1;
	}
	if (!crl_parse(m.data, m.len, &crl, &err)) {
		fprintf(stderr, "lookup: %s: %s (DER CRL expected)\n", path,
			err.msg);
		mapfile_close(&m);
		return -1;
	}
	*this_update = crl.this_update;
	crl_iter_init(&crl, &it);
	while ((rc = crl_iter_next(&it, &e, &err)) == 1)
		total++;
	if (rc < 0 || total == 0) {
		fprintf(stderr, "lookup: %s: %s\n", path,
			rc < 0 ? err.msg : "the CRL lists no serial");
		mapfile_close(&m);
		return -1;
	}
	/* Entry i*total/want for i < want: spread over the whole file
	 * (a CRL smaller than want gives each entry more than once). */
	crl_iter_init(&crl, &it);
	for (i = 0; got < want && crl_iter_next(&it, &e, &err) == 1; i++) {
		while (got < want && (got * total) / want == i) {
			if (e.serial_len > MAX_SERIAL_LEN)
				break;
			memcpy(keys[got].serial, e.serial, e.serial_len);
			keys[got].len = (uint8_t)e.serial_len;
			keys[got].listed = 1;
			got++;
		}
	}
	mapfile_close(&m);
	/* Random positive 16-byte serials, encoded like a CA's: minimal
	 * two's complement (a leading 0x00 when the top bit is set). */
	for (; got < n; got++) {
		uint8_t r[16];
		size_t j, off;

		for (j = 0; j < 16; j += 8) {
			uint64_t x = rng();

			memcpy(r + j, &x, 8);
		}
		if (r[0] == 0)
			r[0] = 1;
		off = (r[0] & 0x80) ? 1 : 0;
		keys[got].serial[0] = 0;
		memcpy(keys[got].serial + off, r, 16);
		keys[got].len = (uint8_t)(16 + off);
		keys[got].listed = 0;
	}
	/* Fisher-Yates: listed and absent keys interleaved at random. */
	for (i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rng() % (i + 1));
		struct key t = keys[i];

		keys[i] = keys[j];
		keys[j] = t;
	}
	return (int)total;
}

/* One round of ours: warm-up pass with checks, then a timed pass. */
static int
round_ours(const char *dir, uint32_t issuer, const struct key *keys, size_t n,
	   int64_t at, int verbose, double *out, size_t *nout)
{
	struct store *s;
	enum store_err e;
	enum store_state st;
	size_t i, j, bad = 0;
	int64_t t0;

	if ((e = store_open(dir, 0, 0, &s)) != STORE_OK) {
		fprintf(stderr, "lookup: store_open %s: %s\n", dir,
			store_strerror(e));
		return -2;
	}
	for (i = 0; i < n; i++) {
		e = store_state_at(s, issuer, keys[i].serial, keys[i].len, at,
				   &st, NULL);
		if (e != STORE_OK) {
			fprintf(stderr, "lookup: store_state_at: %s\n",
				store_strerror(e));
			store_close(s);
			return -2;
		}
		if (keys[i].listed ? st == STORE_STATE_NOT_LISTED
				   : st != STORE_STATE_NOT_LISTED) {
			if (++bad <= 5 && verbose)
				fprintf(stderr,
					"lookup: ours: key %zu (%s) answered "
					"%d\n",
					i, keys[i].listed ? "listed" : "absent",
					(int)st);
		}
	}
	for (i = 0; i + BATCH <= n; i += BATCH) {
		t0 = now_ns();
		for (j = i; j < i + BATCH; j++)
			store_state_at(s, issuer, keys[j].serial, keys[j].len,
				       at, &st, NULL);
		out[(*nout)++] = (double)(now_ns() - t0) / BATCH;
	}
	store_close(s);
	return bad > INT_MAX ? INT_MAX : (int)bad;
}

/* One round of bare LMDB on the same environment and keys. */
static int
round_bare(const char *dir, uint32_t issuer, const struct key *keys, size_t n,
	   int verbose, double *out, size_t *nout)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	uint8_t kb[4 + MAX_SERIAL_LEN];
	size_t i, j, bad = 0;
	int64_t t0;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_RDONLY, 0640)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "revoked", 0, &dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	/* Commit, not abort: an aborted transaction closes the handles it
	 * opened. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	k.mv_data = kb;
	for (i = 0; i < n; i++) {
		k.mv_size = make_key(issuer, &keys[i], kb);
		if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
			goto fail;
		rc = mdb_get(txn, dbi, &k, &v);
		mdb_txn_abort(txn);
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
		if ((rc == 0) != keys[i].listed) {
			if (++bad <= 5 && verbose)
				fprintf(stderr,
					"lookup: bare: key %zu (%s) %s\n", i,
					keys[i].listed ? "listed" : "absent",
					rc == 0 ? "found" : "not found");
		}
	}
	for (i = 0; i + BATCH <= n; i += BATCH) {
		t0 = now_ns();
		for (j = i; j < i + BATCH; j++) {
			k.mv_size = make_key(issuer, &keys[j], kb);
			mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
			mdb_get(txn, dbi, &k, &v);
			mdb_txn_abort(txn);
		}
		out[(*nout)++] = (double)(now_ns() - t0) / BATCH;
	}
	mdb_env_close(env);
	return bad > INT_MAX ? INT_MAX : (int)bad;
fail:
	fprintf(stderr, "lookup: bare LMDB on %s: %s\n", dir, mdb_strerror(rc));
	mdb_env_close(env);
	return -2;
}

int
main(int argc, char **argv)
{
	const char *dir, *crl_path;
	char *end;
	unsigned long issuer_ul, n_ul = 100000;
	uint32_t issuer;
	struct key *keys;
	double *ours, *bare;
	size_t n, nb, n_ours = 0, n_bare = 0;
	int64_t this_update, at;
	struct stats so, sb;
	double ratio;
	int total, r, rc;
	int wrong_ours = 0, wrong_bare = 0, wrong;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
			"usage: lookup STORE_DIR ISSUER_ID CRL_FILE [N]\n");
		return 2;
	}
	dir = argv[1];
	crl_path = argv[3];
	errno = 0;
	issuer_ul = strtoul(argv[2], &end, 10);
	if (errno || *end || issuer_ul == 0 || issuer_ul > UINT32_MAX) {
		fprintf(stderr, "lookup: bad issuer id %s\n", argv[2]);
		return 2;
	}
	issuer = (uint32_t)issuer_ul;
	if (argc == 5) {
		n_ul = strtoul(argv[4], &end, 10);
		if (*end || n_ul < 2 * BATCH || n_ul > 100000000) {
			fprintf(stderr, "lookup: N must be %d..100000000\n",
				2 * BATCH);
			return 2;
		}
	}
	n = (size_t)n_ul;
	nb = ROUNDS * (n / BATCH);
	keys = calloc(n, sizeof(*keys));
	ours = calloc(nb, sizeof(*ours));
	bare = calloc(nb, sizeof(*bare));
	if (keys == NULL || ours == NULL || bare == NULL) {
		fprintf(stderr, "lookup: out of memory\n");
		return 2;
	}
	if ((total = pick_keys(crl_path, keys, n, &this_update)) < 0)
		return 2;
	/* "Now", but never before the CRL was issued: every listed serial
	 * must answer revoked or on hold. */
	at = clock_now();
	if (at < this_update)
		at = this_update;

	for (r = 0; r < ROUNDS; r++) {
		rc =
		    round_ours(dir, issuer, keys, n, at, r == 0, ours, &n_ours);
		if (rc < 0)
			return 2;
		wrong_ours = rc > wrong_ours ? rc : wrong_ours;
		rc = round_bare(dir, issuer, keys, n, r == 0, bare, &n_bare);
		if (rc < 0)
			return 2;
		wrong_bare = rc > wrong_bare ? rc : wrong_bare;
	}
	wrong = wrong_ours || wrong_bare;
	so = summarize(ours, n_ours);
	sb = summarize(bare, n_bare);
	ratio = sb.median > 0 ? so.median / sb.median : 0;

	printf("lookup: %zu keys (%zu listed of %d in the CRL, %zu absent), "
	       "%d rounds ours/bare alternating, batches of %d\n",
	       n, n / 2, total, n - n / 2, ROUNDS, BATCH);
	printf("  ours (store_state_at)       median %7.0f ns  p90 %7.0f ns  "
	       "mean %7.0f ns\n",
	       so.median, so.p90, so.mean);
	printf("  bare (txn_begin+get+abort)  median %7.0f ns  p90 %7.0f ns  "
	       "mean %7.0f ns\n",
	       sb.median, sb.p90, sb.mean);
	printf("  ratio ours/bare %.2f (bar <= %.1f: %s)\n", ratio, BAR,
	       ratio <= BAR ? "PASS" : "FAIL");
	if (wrong)
		printf("  answers: WRONG: %d of %zu by ours, %d by bare "
		       "(first ones on stderr)\n",
		       wrong_ours, n, wrong_bare);
	else
		printf("  answers: all %zu correct by both\n", n);
	printf("RESULT ours_ns=%.0f bare_ns=%.0f ratio=%.2f bar=%s "
	       "correct=%s\n",
	       so.median, sb.median, ratio, ratio <= BAR ? "PASS" : "FAIL",
	       wrong ? "no" : "yes");
	free(keys);
	free(ours);
	free(bare);
	return wrong ? 1 : 0;
}
