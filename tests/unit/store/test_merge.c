/*
 * Store merges at the store_merge_crl level: add / change / remove,
 * holds placed and lifted, rollback protection, sort checks, full maps,
 * several issuers, a last error healed by a fetch without a new CRL,
 * and the freshness policy of status_lookup.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "common.h"
#include "otzyv/crypto.h"
#include "otzyv/status.h"
#include "otzyv/store.h"
#include "../../../src/store/internal.h"

struct fixture {
	char *dir;
	struct store *s;
	uint32_t ca, ca2;
};

static struct fixture fx;

/* An entry list for one synthetic CRL; serials must be given sorted. */
struct list {
	struct store_entry *e;
	size_t n, pos;
};

static int
list_next(void *arg, struct store_entry *out)
{
	struct list *l = arg;

	if (l->pos == l->n)
		return 0;
	*out = l->e[l->pos++];
	return 1;
}

static uint32_t
register_ca(const char *file)
{
	X509 *x = load_cert(file);
	uint32_t id = 0;

	cr_assert_eq(
	    store_issuer_register(fx.s, x, NULL, STORE_SRC_MANUAL, &id),
	    STORE_OK);
	X509_free(x);
	return id;
}

static void
setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_AUTO, err, sizeof(err)), "%s", err);
	fx.dir = tmpdir_new("merge");
	cr_assert_eq(store_open(fx.dir, 64 << 20, 1, &fx.s), STORE_OK);
	fx.ca = register_ca("ecdsa-ca.pem");
	fx.ca2 = register_ca("rsa-ca.pem");
}

static void
teardown(void)
{
	/* full_disk_is_an_error_named_so's disk, when it failed mounted. */
	umount2(path_in(fx.dir, "disk"), MNT_DETACH);
	store_close(fx.s);
	tmpdir_remove(fx.dir);
}

TestSuite(merge, .init = setup, .fini = teardown);

static struct store_crl_meta
meta(unsigned number, int64_t this_update, int64_t next_update,
     uint8_t hash_tag)
{
	struct store_crl_meta m;

	memset(&m, 0, sizeof(m));
	m.present = 1;
	if (number > 0) {
		m.number.len = 1;
		m.number.v[0] = (uint8_t)number;
	}
	m.this_update = this_update;
	m.next_update = next_update;
	m.fetched_at = this_update;
	memset(m.sha256, hash_tag, 32);
	return m;
}

static enum store_err
merge(uint32_t ca, struct store_crl_meta m, struct store_entry *e, size_t n,
      struct store_merge_stats *st)
{
	struct list l = {e, n, 0};
	struct store_merge_stats dummy;

	return store_merge_crl(fx.s, ca, &m, list_next, &l, NULL,
			       st ? st : &dummy);
}

static struct store_entry
ent(const char *serial, int64_t at, int reason)
{
	struct store_entry e = {0};

	e.serial = (const uint8_t *)serial;
	e.serial_len = strlen(serial);
	e.revoked_at = at;
	e.reason = reason;
	return e;
}

static enum store_state
state(uint32_t ca, const char *serial, int64_t at)
{
	enum store_state st;

	cr_assert_eq(store_state_at(fx.s, ca, (const uint8_t *)serial,
				    strlen(serial), at, &st, NULL),
		     STORE_OK);
	return st;
}

static size_t
episodes(uint32_t ca, const char *serial, struct store_episode *out, size_t cap)
{
	struct store_txn *t;
	struct store_history h;
	size_t n = 0;

	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	if (store_history_get(t, ca, (const uint8_t *)serial, strlen(serial),
			      &h) == STORE_OK)
		while (n < cap && store_history_next(&h, &out[n]) == 1)
			n++;
	store_txn_end(t);
	return n;
}

static struct store_crl_meta
stored_meta(uint32_t ca)
{
	struct store_txn *t;
	struct store_issuer is;
	struct store_crl_meta m;

	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_issuer_get(t, ca, &is), STORE_OK);
	m = is.crl;
	m.url = m.etag = m.last_modified = NULL;
	store_txn_end(t);
	return m;
}

Test(merge, add_change_remove)
{
	struct store_entry c1[] = {
	    ent("A", 100, CRL_REASON_KEY_COMPROMISE),
	    ent("B", 110, CRL_REASON_CERTIFICATE_HOLD),
	    ent("C", 120, CRL_REASON_ABSENT),
	    ent("E", 130, CRL_REASON_SUPERSEDED),
	};
	struct store_entry c2[] = {
	    ent("A", 100, CRL_REASON_KEY_COMPROMISE),	   /* kept */
	    ent("B", 110, CRL_REASON_KEY_COMPROMISE),	   /* hold -> revoked */
	    ent("D", 210, CRL_REASON_AFFILIATION_CHANGED), /* new */
	    ent("E", 130, CRL_REASON_CESSATION_OF_OPERATION), /* changed */
	};						      /* C removed */
	struct store_merge_stats st;
	struct store_episode ep[4];

	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), c1, 4, &st),
		     STORE_OK);
	cr_assert_eq(st.added, 4);
	cr_assert_eq(merge(fx.ca, meta(2, 2000, 3000, 2), c2, 4, &st),
		     STORE_OK);
	cr_assert_eq(st.added, 1, "added %llu", (unsigned long long)st.added);
	cr_assert_eq(st.changed, 2);
	cr_assert_eq(st.removed, 1);
	cr_assert_eq(st.kept, 1);
	cr_assert_eq(stored_meta(fx.ca).entries, 4);

	/* B: the hold is history, the revocation is its own episode. */
	cr_assert_eq(episodes(fx.ca, "B", ep, 4), 2);
	cr_assert_eq(ep[0].reason, CRL_REASON_CERTIFICATE_HOLD);
	cr_assert(ep[0].removed);
	cr_assert_eq(ep[0].removed_at, 2000);
	cr_assert_eq(ep[0].removed_in.v[0], 2);
	cr_assert_eq(ep[1].reason, CRL_REASON_KEY_COMPROMISE);
	cr_assert_not(ep[1].removed);
	cr_assert_eq(ep[1].listed_in.v[0], 2);
	cr_assert_eq(state(fx.ca, "B", 2500), STORE_STATE_REVOKED);

	/* C vanished: closed, not deleted; and, not being a hold, still
	 * revoked (RFC 5280 5.3.1: only a hold ends). */
	cr_assert_eq(episodes(fx.ca, "C", ep, 4), 1);
	cr_assert(ep[0].removed);
	cr_assert_eq(ep[0].removed_at, 2000);
	cr_assert_eq(state(fx.ca, "C", 100), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "C", 1500), STORE_STATE_REVOKED);
	cr_assert_eq(state(fx.ca, "C", 2500), STORE_STATE_REVOKED);

	/* E: changed in place, one episode, new reason. */
	cr_assert_eq(episodes(fx.ca, "E", ep, 4), 1);
	cr_assert_eq(ep[0].reason, CRL_REASON_CESSATION_OF_OPERATION);
	cr_assert_eq(ep[0].listed_in.v[0], 1);

	cr_assert_eq(state(fx.ca, "D", 2500), STORE_STATE_REVOKED);
	cr_assert_eq(state(fx.ca, "D", 200), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "Z", 2500), STORE_STATE_NOT_LISTED);
	/* The other CA's serials are untouched by this CA's CRLs. */
	cr_assert_eq(state(fx.ca2, "A", 2500), STORE_STATE_NOT_LISTED);
}

/* Ended read transactions are renewed by later readers: each must see
 * the store as of its own start, never a spare's old snapshot, and more
 * readers than there are spares must work. */
Test(merge, reused_read_transactions_see_later_writes)
{
	enum { N = 40 };
	struct store_txn *t[N], *before, *after;
	struct store_issuer is;
	struct store_entry c1[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE)};
	size_t i;

	for (i = 0; i < N; i++)
		cr_assert_eq(store_read_begin(fx.s, &t[i]), STORE_OK);
	for (i = 0; i < N; i++)
		store_txn_end(t[i]);
	/* Each spare is parked reset, so that renewing it can work (a
	 * failed renewal would quietly fall back to a new transaction). */
	for (i = 0; i < STORE_SPARE_TXNS; i++) {
		struct store_txn *s = atomic_exchange(&fx.s->spare[i], NULL);

		cr_assert_not_null(s, "spare %zu empty", i);
		cr_assert_eq(mdb_txn_renew(s->txn), 0, "spare %zu", i);
		store_txn_end(s);
	}
	cr_assert_eq(store_read_begin(fx.s, &before), STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), c1, 1, NULL),
		     STORE_OK);
	cr_assert_eq(store_read_begin(fx.s, &after), STORE_OK);
	cr_assert_eq(store_issuer_get(after, fx.ca, &is), STORE_OK);
	cr_expect(is.crl.present, "a renewed reader missed the merge");
	cr_expect_eq(is.crl.entries, 1);
	cr_assert_eq(store_issuer_get(before, fx.ca, &is), STORE_OK);
	cr_expect_not(is.crl.present, "a reader saw a later write");
	store_txn_end(before);
	store_txn_end(after);
	cr_expect_eq(state(fx.ca, "A", 1500), STORE_STATE_REVOKED);
}

Test(merge, hold_placed_and_lifted)
{
	struct store_entry held[] = {
	    ent("X", 1500, CRL_REASON_CERTIFICATE_HOLD)};
	struct store_entry again[] = {
	    ent("X", 3500, CRL_REASON_CERTIFICATE_HOLD)};
	struct store_episode ep[4];

	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(2, 2000, 3000, 2), held, 1, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(3, 3000, 4000, 3), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(state(fx.ca, "X", 1200), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "X", 1500), STORE_STATE_ON_HOLD);
	cr_assert_eq(state(fx.ca, "X", 2500), STORE_STATE_ON_HOLD);
	cr_assert_eq(state(fx.ca, "X", 2999), STORE_STATE_ON_HOLD);
	cr_assert_eq(state(fx.ca, "X", 3000), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "X", 3100), STORE_STATE_NOT_LISTED);

	/* Held a second time: a second episode; the first stays. */
	cr_assert_eq(merge(fx.ca, meta(4, 4000, 5000, 4), again, 1, NULL),
		     STORE_OK);
	cr_assert_eq(episodes(fx.ca, "X", ep, 4), 2);
	cr_assert_eq(ep[0].removed_at, 3000);
	cr_assert_not(ep[1].removed);
	cr_assert_eq(state(fx.ca, "X", 2500), STORE_STATE_ON_HOLD);
	cr_assert_eq(state(fx.ca, "X", 3200), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "X", 3600), STORE_STATE_ON_HOLD);
}

/* RFC 5280 5.3.1: a revocation never ends. A CA that turns it into a
 * hold, then lifts the hold, has not made the certificate good. */
Test(merge, a_revocation_outranks_a_later_hold)
{
	struct store_entry kc[] = {ent("K", 1500, CRL_REASON_KEY_COMPROMISE)};
	struct store_entry hold[] = {
	    ent("K", 2500, CRL_REASON_CERTIFICATE_HOLD)};
	struct store_episode ep[4];

	cr_assert_eq(merge(fx.ca, meta(1, 2000, 3000, 1), kc, 1, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(2, 3000, 4000, 2), hold, 1, NULL),
		     STORE_OK);
	cr_assert_eq(episodes(fx.ca, "K", ep, 4), 2, "both facts are kept");
	cr_assert_eq(ep[0].reason, CRL_REASON_KEY_COMPROMISE);
	cr_assert_eq(ep[1].reason, CRL_REASON_CERTIFICATE_HOLD);
	cr_assert_eq(state(fx.ca, "K", 3500), STORE_STATE_REVOKED);
	cr_assert_eq(merge(fx.ca, meta(3, 4000, 5000, 3), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(state(fx.ca, "K", 4500), STORE_STATE_REVOKED);
	cr_assert_eq(state(fx.ca, "K", 1400), STORE_STATE_NOT_LISTED);
}

/* A serial the CRL lists with a revocationDate after its thisUpdate
 * (a CA's clock, or a revocation dated ahead) is revoked from that CRL
 * on: the list the CA published says so. */
Test(merge, a_listed_serial_dated_later_is_revoked_from_its_crl)
{
	struct store_entry e[] = {ent("F", 9000, CRL_REASON_KEY_COMPROMISE)};
	struct store_episode ep;
	enum store_state st;

	cr_assert_eq(merge(fx.ca, meta(1, 2000, 3000, 1), e, 1, NULL),
		     STORE_OK);
	cr_assert_eq(state(fx.ca, "F", 1999), STORE_STATE_NOT_LISTED);
	cr_assert_eq(store_state_at(fx.s, fx.ca, (const uint8_t *)"F", 1, 2000,
				    &st, &ep),
		     STORE_OK);
	cr_assert_eq(st, STORE_STATE_REVOKED);
	cr_assert_eq(ep.revoked_at, 9000, "the CA's date is reported");
}

Test(merge, rollback_conflict_unchanged)
{
	struct store_entry one[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE)};
	struct store_entry two[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE),
				    ent("B", 100, CRL_REASON_KEY_COMPROMISE)};
	struct store_crl_meta m;

	cr_assert_eq(merge(fx.ca, meta(5, 5000, 6000, 5), one, 1, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(4, 5500, 6500, 4), two, 2, NULL),
		     STORE_ROLLBACK);
	cr_assert_eq(merge(fx.ca, meta(5, 5000, 6000, 9), two, 2, NULL),
		     STORE_CONFLICT);
	cr_assert_eq(merge(fx.ca, meta(5, 5000, 6000, 5), one, 1, NULL),
		     STORE_UNCHANGED);
	/* A higher number with an older thisUpdate is refused too. */
	cr_assert_eq(merge(fx.ca, meta(6, 4000, 6000, 6), two, 2, NULL),
		     STORE_ROLLBACK);
	m = stored_meta(fx.ca);
	cr_assert_eq(m.number.v[0], 5);
	cr_assert_eq(m.entries, 1);
	cr_assert_eq(state(fx.ca, "B", 5500), STORE_STATE_NOT_LISTED);
}

/* Records the attempt that brought a CRL, as the fetcher does; checks
 * that it sees the new CRL's metadata. */
static void
record_fetch(struct store_issuer *is, void *arg)
{
	unsigned *calls = arg;

	cr_assert_eq(is->crl.number.v[0], 7, "the edit sees the new CRL");
	is->fetch.attempt_at = is->crl.this_update;
	is->fetch.success_at = is->crl.this_update;
	is->fetch.failures = 0;
	(*calls)++;
}

Test(merge, edit_is_written_with_the_crl)
{
	struct store_entry one[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE)};
	struct store_crl_meta m1 = meta(7, 7000, 8000, 7),
			      m0 = meta(6, 6000, 8000, 6);
	unsigned calls = 0;
	struct store_issuer_edit edit = {record_fetch, &calls};
	struct store_merge_stats st;
	struct list l = {one, 1, 0};
	struct store_txn *t;
	struct store_issuer is;

	cr_assert_eq(store_issuer_fetched(fx.s, fx.ca,
					  &(struct store_fetch){
					      .attempt_at = 100, .failures = 3},
					  "down", NULL),
		     STORE_OK);
	cr_assert_eq(
	    store_merge_crl(fx.s, fx.ca, &m1, list_next, &l, &edit, &st),
	    STORE_OK);
	cr_assert_eq(calls, 1);
	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_issuer_get(t, fx.ca, &is), STORE_OK);
	cr_assert_eq(is.crl.number.v[0], 7);
	cr_assert_eq(is.fetch.success_at, 7000);
	cr_assert_eq(is.fetch.failures, 0);
	cr_assert_null(is.last_error);
	store_txn_end(t);
	/* A refused CRL writes nothing, the edit included. */
	l.pos = 0;
	cr_assert_eq(
	    store_merge_crl(fx.s, fx.ca, &m0, list_next, &l, &edit, &st),
	    STORE_ROLLBACK);
	cr_assert_eq(calls, 1);
}

/* The issuer's last error and its fetch counters, as stored. */
static void
last_error_of(uint32_t ca, char *out, size_t len, struct store_fetch *out_f)
{
	struct store_txn *t;
	struct store_issuer is;

	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_issuer_get(t, ca, &is), STORE_OK);
	snprintf(out, len, "%s", is.last_error ? is.last_error : "");
	if (is.last_error == NULL)
		cr_assert_eq(is.last_error_at, 0);
	*out_f = is.fetch;
	out_f->url = NULL;
	store_txn_end(t);
}

/* A fetch that fails, then one that brings nothing new (a 304, or the
 * stored CRL again: no merge): the CA has healed, its last error goes;
 * the failure counters stay. */
Test(merge, success_without_a_new_crl_clears_the_last_error)
{
	struct store_entry one[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE)};
	struct store_fetch failed = {.attempt_at = 7100,
				     .success_at = 7000,
				     .failures = 1,
				     .failures_total = 1},
			   ok = {.attempt_at = 7200,
				 .success_at = 7200,
				 .failures_total = 1},
			   got;
	char err[256];

	cr_assert_eq(merge(fx.ca, meta(7, 7000, 8000, 7), one, 1, NULL),
		     STORE_OK);
	cr_assert_eq(store_issuer_fetched(fx.s, fx.ca, &failed,
					  "http://cdp/ca.crl: HTTP 500", NULL),
		     STORE_OK);
	last_error_of(fx.ca, err, sizeof(err), &got);
	cr_assert_str_eq(err, "http://cdp/ca.crl: HTTP 500");
	cr_assert_eq(merge(fx.ca, meta(7, 7000, 8000, 7), one, 1, NULL),
		     STORE_UNCHANGED);
	cr_assert_eq(store_issuer_fetched(fx.s, fx.ca, &ok, NULL, NULL),
		     STORE_OK);
	last_error_of(fx.ca, err, sizeof(err), &got);
	cr_assert_str_eq(err, "", "the last error outlived a success");
	cr_assert_eq(got.failures, 0);
	cr_assert_eq(got.failures_total, 1, "the failure count is kept");
	cr_assert_eq(got.success_at, 7200);
}

Test(merge, rollback_by_this_update_without_numbers)
{
	struct store_entry one[] = {ent("A", 100, CRL_REASON_CERTIFICATE_HOLD)};

	cr_assert_eq(merge(fx.ca, meta(0, 5000, 6000, 1), one, 1, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(0, 4999, 6000, 2), NULL, 0, NULL),
		     STORE_ROLLBACK);
	cr_assert_eq(merge(fx.ca, meta(0, 5000, 6000, 2), NULL, 0, NULL),
		     STORE_CONFLICT);
	cr_assert_eq(merge(fx.ca, meta(0, 5001, 6000, 3), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(state(fx.ca, "A", 5500), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "A", 4000), STORE_STATE_ON_HOLD);
}

Test(merge, unsorted_input_writes_nothing)
{
	struct store_entry bad[] = {ent("B", 100, CRL_REASON_ABSENT),
				    ent("A", 100, CRL_REASON_ABSENT)};
	struct store_entry dup[] = {ent("A", 100, CRL_REASON_ABSENT),
				    ent("A", 100, CRL_REASON_ABSENT)};

	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), bad, 2, NULL),
		     STORE_INVALID);
	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), dup, 2, NULL),
		     STORE_INVALID);
	cr_assert_not(stored_meta(fx.ca).present);
	cr_assert_eq(state(fx.ca, "B", 1500), STORE_STATE_NOT_LISTED);
}

/* Key order is memcmp then length: "A" < "AA" < "B". */
Test(merge, serial_order_with_prefixes)
{
	/* Holds: a serial the second CRL drops is no longer listed. */
	struct store_entry e[] = {ent("A", 100, CRL_REASON_CERTIFICATE_HOLD),
				  ent("AA", 100, CRL_REASON_CERTIFICATE_HOLD),
				  ent("AB", 100, CRL_REASON_CERTIFICATE_HOLD),
				  ent("B", 100, CRL_REASON_CERTIFICATE_HOLD)};

	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), e, 4, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(2, 1100, 2000, 2), e + 1, 2, NULL),
		     STORE_OK);
	cr_assert_eq(state(fx.ca, "A", 1200), STORE_STATE_NOT_LISTED);
	cr_assert_eq(state(fx.ca, "AA", 1200), STORE_STATE_ON_HOLD);
	cr_assert_eq(state(fx.ca, "B", 1200), STORE_STATE_NOT_LISTED);
}

/* Entries generated in key order: 3-byte big-endian counters. */
struct counter {
	uint32_t i, n, step;
	uint8_t buf[3];
};

static int
counter_next(void *arg, struct store_entry *out)
{
	struct counter *c = arg;
	uint32_t v;

	if (c->i == c->n)
		return 0;
	v = c->i++ * c->step + 1;
	c->buf[0] = (uint8_t)(v >> 16);
	c->buf[1] = (uint8_t)(v >> 8);
	c->buf[2] = (uint8_t)v;
	memset(out, 0, sizeof(*out));
	out->serial = c->buf;
	out->serial_len = 3;
	out->revoked_at = 100;
	/* Holds, so that a serial a later CRL drops is no longer listed. */
	out->reason = CRL_REASON_CERTIFICATE_HOLD;
	return 1;
}

static int
count_listed(const uint8_t *serial, size_t len, struct store_history h,
	     void *arg)
{
	(void)serial;
	(void)len;
	(*(size_t *)arg) +=
	    store_history_state(h, 1 << 30, NULL) != STORE_STATE_NOT_LISTED;
	return 0;
}

static size_t
listed(uint32_t ca)
{
	struct store_txn *t;
	size_t n = 0;

	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_revoked_foreach(t, ca, count_listed, &n), STORE_OK);
	store_txn_end(t);
	return n;
}

/* The first issuer's merge is not an append once the second issuer has
 * keys after it; both paths must give the same store. */
Test(merge, two_issuers_append_and_insert)
{
	struct counter a = {0, 20000, 3, {0}}, b = {0, 5000, 7, {0}};
	struct store_crl_meta m1 = meta(1, 1000, 1 << 30, 1);
	struct store_crl_meta m2 = meta(2, 2000, 1 << 30, 2);
	struct store_merge_stats st;

	cr_assert_eq(
	    store_merge_crl(fx.s, fx.ca2, &m1, counter_next, &b, NULL, &st),
	    STORE_OK);
	cr_assert_eq(
	    store_merge_crl(fx.s, fx.ca, &m1, counter_next, &a, NULL, &st),
	    STORE_OK);
	cr_assert_eq(st.added, 20000);
	a.i = 0;
	a.n = 10000;
	a.step = 6; /* every other one of before stays */
	cr_assert_eq(
	    store_merge_crl(fx.s, fx.ca, &m2, counter_next, &a, NULL, &st),
	    STORE_OK);
	cr_assert_eq(st.kept, 10000);
	cr_assert_eq(st.removed, 10000);
	cr_assert_eq(st.added, 0);
	cr_assert_eq(listed(fx.ca), 10000);
	cr_assert_eq(listed(fx.ca2), 5000);
}

Test(merge, full_map_is_an_error_not_a_crash)
{
	struct store *small;
	char *dir = tmpdir_new("mapfull");
	X509 *x;
	uint32_t id;
	struct counter c = {0, 200000, 1, {0}};
	struct store_crl_meta m = meta(1, 1000, 2000, 1);
	struct store_merge_stats st;
	enum store_state s;

	cr_assert_eq(store_open(dir, 1 << 20, 1, &small), STORE_OK);
	x = load_ca("ecdsa");
	cr_assert_eq(
	    store_issuer_register(small, x, "small", STORE_SRC_MANUAL, &id),
	    STORE_OK);
	X509_free(x);
	cr_assert_eq(
	    store_merge_crl(small, id, &m, counter_next, &c, NULL, &st),
	    STORE_MAP_FULL);
	/* Still usable, and nothing of the failed merge is visible. */
	cr_assert_eq(store_state_at(small, id, (const uint8_t *)"\0\0\1", 3,
				    1500, &s, NULL),
		     STORE_OK);
	cr_assert_eq(s, STORE_STATE_NOT_LISTED);
	c.i = 0;
	c.n = 100;
	cr_assert_eq(
	    store_merge_crl(small, id, &m, counter_next, &c, NULL, &st),
	    STORE_OK);
	store_close(small);
	tmpdir_remove(dir);
}

static void
assert_says(int rc, const char *cause)
{
	const char *msg = store_strerror(store_err_from_mdb(rc));

	cr_assert_not_null(strstr(msg, cause), "%d: \"%s\" does not say \"%s\"",
			   rc, msg, cause);
}

/* A full disk (or quota) is named as such, not as "store I/O error";
 * a full map says which setting to raise. */
Test(merge, full_disk_named_by_its_cause)
{
	assert_says(ENOSPC, "no space left on device");
	assert_says(EDQUOT, "no space left on device");
	assert_says(MDB_MAP_FULL, "raise [store] map_size");
	assert_says(EIO, "store I/O error");
}

/* MDB_TXN_FULL is one transaction with too many dirty pages, not a
 * full map: a larger map_size would not help, so the message must not
 * send the operator there. */
Test(merge, txn_full_named_by_its_cause)
{
	const char *msg = store_strerror(store_err_from_mdb(MDB_TXN_FULL));

	assert_says(MDB_TXN_FULL, "transaction too large");
	assert_says(MDB_TXN_FULL, "too many dirty pages");
	assert_says(MDB_TXN_FULL, "nothing was written");
	cr_assert_null(strstr(msg, "map_size"), "%s", msg);
	cr_assert_null(strstr(msg, "map is full"), "%s", msg);
}

/* A tmpfs of `size` on `dir`, seen by this process alone (a mount
 * namespace of its own). 0 when not allowed: it takes CAP_SYS_ADMIN
 * (CI runs as root), and a user namespace cannot be entered from
 * Criterion's threaded worker. */
static int
private_tmpfs(const char *dir, const char *size)
{
	char opts[64];

	if (unshare(CLONE_NEWNS) != 0)
		return 0;
	/* Else the mount would propagate to the namespace we came from. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 0;
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	return mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

/* The same for real: an import that fills the disk says so, leaves
 * the store as it was, and a smaller one still fits. */
Test(merge, full_disk_is_an_error_named_so)
{
	char dir[1024];
	struct store *s;
	X509 *x;
	uint32_t id;
	struct counter c = {0, 200000, 1, {0}};
	struct store_crl_meta m = meta(1, 1000, 2000, 1);
	struct store_merge_stats st;
	enum store_state state;
	enum store_err e;

	snprintf(dir, sizeof(dir), "%s", path_in(fx.dir, "disk"));
	cr_assert_eq(mkdir(dir, 0700), 0);
	if (!private_tmpfs(dir, "512k"))
		cr_skip_test("no private tmpfs here: %s", strerror(errno));
	/* The map is far larger than the disk: the disk fills first. */
	cr_assert_eq(store_open(dir, 64 << 20, 1, &s), STORE_OK);
	x = load_ca("ecdsa");
	cr_assert_eq(store_issuer_register(s, x, "disk", STORE_SRC_MANUAL, &id),
		     STORE_OK);
	X509_free(x);
	e = store_merge_crl(s, id, &m, counter_next, &c, NULL, &st);
	cr_assert_not_null(strstr(store_strerror(e), "no space left on device"),
			   "%s", store_strerror(e));
	cr_assert_eq(store_state_at(s, id, (const uint8_t *)"\0\0\1", 3, 1500,
				    &state, NULL),
		     STORE_OK);
	cr_assert_eq(state, STORE_STATE_NOT_LISTED);
	c.i = 0;
	c.n = 100;
	cr_assert_eq(store_merge_crl(s, id, &m, counter_next, &c, NULL, &st),
		     STORE_OK);
	store_close(s);
	cr_assert_eq(umount2(dir, MNT_DETACH), 0, "%s", strerror(errno));
}

static int
collect(int64_t us, uint64_t seq, const char *json, size_t len, void *arg)
{
	json_t **arr = arg;
	json_t *o = json_loadb(json, len, 0, NULL);

	(void)us;
	(void)seq;
	cr_assert_not_null(o, "event is not JSON: %.*s", (int)len, json);
	json_array_append_new(*arr, o);
	return 0;
}

Test(merge, events_are_journaled)
{
	struct store_entry one[] = {ent("A", 100, CRL_REASON_KEY_COMPROMISE)};
	struct store_txn *t;
	json_t *arr = json_array(), *last;

	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), one, 1, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(2, 1100, 2000, 2), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(1, 1200, 2000, 3), NULL, 0, NULL),
		     STORE_ROLLBACK);
	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_event_foreach(t, 0, collect, &arr), STORE_OK);
	store_txn_end(t);
	/* A refused merge writes nothing, not even its event. */
	cr_assert_eq(json_array_size(arr), 2);
	last = json_array_get(arr, 1);
	cr_assert_str_eq(json_string_value(json_object_get(last, "type")),
			 "crl_imported");
	cr_assert_eq(json_integer_value(json_object_get(last, "removed")), 1);
	cr_assert_eq(json_integer_value(json_object_get(last, "issuer")),
		     fx.ca);
	json_decref(arr);
}

static struct status_answer
lookup(const char *serial, int64_t at, int64_t now, int64_t grace)
{
	struct status_query q = {0};
	struct status_answer a;

	q.issuer_id = fx.ca;
	q.serial = (const uint8_t *)serial;
	q.serial_len = strlen(serial);
	q.at = at;
	q.now = now;
	q.stale_grace = grace;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	return a;
}

/* A CRL of end-entity certificates only says nothing of a CA
 * certificate, and the other way round; asked by serial alone (OCSP),
 * its word is taken. The scope survives the store. */
Test(merge, crl_scope)
{
	struct store_crl_meta m = meta(1, 1000, 2000, 1);
	X509 *ca = load_cert("rsa-ca.pem"), *leaf = load_cert("rsa-leaf.pem");
	struct status_query q = {0};
	struct status_answer a;

	m.scope = STORE_SCOPE_USERS;
	cr_assert_eq(merge(fx.ca, m, NULL, 0, NULL), STORE_OK);
	cr_assert_eq(stored_meta(fx.ca).scope, STORE_SCOPE_USERS);
	q.issuer_id = fx.ca;
	q.serial = (const uint8_t *)"G";
	q.serial_len = 1;
	q.at = q.now = 1500;
	q.cert = leaf;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_GOOD);
	q.cert = ca;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_UNKNOWN);
	cr_assert_eq(a.why, WHY_SCOPE);
	q.cert = NULL;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_GOOD);

	m = meta(2, 1100, 2000, 2);
	m.scope = STORE_SCOPE_CAS;
	cr_assert_eq(merge(fx.ca, m, NULL, 0, NULL), STORE_OK);
	q.cert = leaf;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.why, WHY_SCOPE);
	q.cert = ca;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_GOOD);
	X509_free(ca);
	X509_free(leaf);
}

/* The store's history of a CA starts at the first CRL it merged: a
 * certificate that expired before then may have left the CRL revoked,
 * so its state is not known. */
Test(merge, expired_before_history)
{
	X509 *leaf = load_cert("rsa-leaf.pem");
	int64_t after = (int64_t)4102444800LL; /* 2100: after its notAfter */
	struct status_query q = {0};
	struct status_answer a;
	struct store_txn *t;
	struct store_issuer is;

	cr_assert_eq(
	    merge(fx.ca, meta(1, after, after + 86400, 1), NULL, 0, NULL),
	    STORE_OK);
	cr_assert_eq(
	    merge(fx.ca, meta(2, after + 10, after + 86400, 2), NULL, 0, NULL),
	    STORE_OK);
	cr_assert_eq(store_read_begin(fx.s, &t), STORE_OK);
	cr_assert_eq(store_issuer_get(t, fx.ca, &is), STORE_OK);
	cr_assert_eq(is.history_since, after, "the first CRL's thisUpdate");
	store_txn_end(t);
	q.issuer_id = fx.ca;
	q.serial = (const uint8_t *)"G";
	q.serial_len = 1;
	q.at = q.now = after + 20;
	q.cert = leaf;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_UNKNOWN);
	cr_assert_eq(a.why, WHY_BEFORE_HISTORY);
	/* A CA whose history began while it was valid: known. */
	cr_assert_eq(
	    merge(fx.ca2, meta(1, 1000, after + 86400, 1), NULL, 0, NULL),
	    STORE_OK);
	q.issuer_id = fx.ca2;
	q.at = q.now = 2000;
	cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
	cr_assert_eq(a.status, STATUS_GOOD);
	X509_free(leaf);
}

Test(merge, status_freshness_policy)
{
	struct store_entry e[] = {ent("R", 500, CRL_REASON_KEY_COMPROMISE)};
	struct status_answer a;

	a = lookup("R", 1500, 1500, 0);
	cr_assert_eq(a.status, STATUS_UNKNOWN);
	cr_assert_eq(a.why, WHY_NO_CRL);
	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), e, 1, NULL),
		     STORE_OK);

	a = lookup("R", 1500, 1500, 0);
	cr_assert_eq(a.status, STATUS_REVOKED);
	cr_assert(a.fresh);
	a = lookup("G", 1500, 1500, 0);
	cr_assert_eq(a.status, STATUS_GOOD);
	cr_assert(a.has_source);
	cr_assert_eq(a.this_update, 1000);

	/* Past nextUpdate: never "good", and the last known word kept. */
	a = lookup("G", 2001, 2001, 0);
	cr_assert_eq(a.status, STATUS_UNKNOWN);
	cr_assert_eq(a.why, WHY_STALE);
	cr_assert_not(a.fresh);
	a = lookup("R", 2001, 2001, 0);
	cr_assert_eq(a.status, STATUS_UNKNOWN);
	cr_assert_eq(a.history_status, STATUS_REVOKED);
	/* Grace extends it. */
	a = lookup("G", 2001, 2001, 60);
	cr_assert_eq(a.status, STATUS_GOOD);
	/* An instant the CRL already covers stays answerable when the CRL
	 * is stale now; an instant after it does not. */
	a = lookup("R", 900, 5000, 0);
	cr_assert_eq(a.status, STATUS_REVOKED);
	a = lookup("R", 400, 5000, 0);
	cr_assert_eq(a.status, STATUS_GOOD);
	a = lookup("R", 1500, 5000, 0);
	cr_assert_eq(a.status, STATUS_UNKNOWN);

	/* Unknown issuer. */
	{
		struct status_query q = {0};

		q.issuer_id = 9999;
		q.serial = (const uint8_t *)"R";
		q.serial_len = 1;
		q.at = q.now = 1500;
		cr_assert_eq(status_lookup(fx.s, &q, &a), STORE_OK);
		cr_assert_eq(a.status, STATUS_UNKNOWN);
		cr_assert_eq(a.why, WHY_UNKNOWN_ISSUER);
	}
}

Test(merge, status_json_shape)
{
	struct store_entry e[] = {ent("H", 1500, CRL_REASON_CERTIFICATE_HOLD)};
	struct status_answer a;
	json_t *o;

	e[0].has_invalidity = 1;
	e[0].invalidity = 1400;
	cr_assert_eq(merge(fx.ca, meta(1, 1000, 2000, 1), NULL, 0, NULL),
		     STORE_OK);
	cr_assert_eq(merge(fx.ca, meta(2, 1600, 2600, 2), e, 1, NULL),
		     STORE_OK);
	a = lookup("H", 1700, 1700, 0);
	o = status_to_json(&a);
	cr_assert_str_eq(json_string_value(json_object_get(o, "status")),
			 "on_hold");
	cr_assert_str_eq(json_string_value(json_object_get(o, "serial")), "48");
	cr_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(o, "revocation"), "reason")),
			 "certificateHold");
	cr_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(o, "revocation"),
					      "invalidity_date")),
	    "1970-01-01T00:23:20Z");
	cr_assert_eq(json_array_size(json_object_get(o, "history")), 1);
	cr_assert(json_is_true(json_object_get(o, "fresh")));
	cr_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(o, "source"), "crl_number")),
			 "02");
	cr_assert_eq(json_integer_value(
			 json_object_get(json_object_get(o, "issuer"), "id")),
		     fx.ca);
	cr_assert_null(json_object_get(o, "last_known"));
	json_decref(o);
}
