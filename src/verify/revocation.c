/*
 * Revocation at the moment of signing T for every certificate of a
 * validated path but its anchor (a trust anchor is trusted as such),
 * from the store's CRL history through status_lookup(): the same answer
 * OCSP and /v1/status give, asked about T.
 *
 * Which CRL is usable for T (status.h, "Freshness", made stricter):
 *  - T is the time of the check: the issuer's CRL must be fresh now;
 *  - T lies in the past (a timestamp, a time given): the CRL must have
 *    been issued at or after T + cautionary. A CRL issued before T says
 *    nothing of revocations between its thisUpdate and T, even while
 *    it is within its nextUpdate; and a CA has up to 12 hours to list a
 *    revocation, which `cautionary` can wait for.
 * A revocation (not a hold) dated at or before T is final: it stays
 * "revoked" whatever the freshness. A hold at T is "on_hold": the
 * certificate was suspended when it signed, even if the hold was lifted
 * later (art. 14 of 63-FZ: suspended certificates are not valid).
 *
 * For a TSA's path (rc->tsa), a revocation for key compromise (or
 * without a reason) at any time, or a hold that lasts now, makes its
 * tokens worthless: whoever has the key can backdate them. So its CRL
 * must be fresh now, not issued after genTime (usable() below).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "otzyv/crl.h"
#include "otzyv/crypto.h"
#include "otzyv/util.h"

#include "internal.h"

static uint32_t
issuer_id(struct store *s, X509 *issuer, enum store_err *e)
{
	struct store_txn *t = NULL;
	uint32_t id = 0;

	if ((*e = store_read_begin(s, &t)) != STORE_OK)
		return 0;
	*e = store_issuer_id_of(t, issuer, &id);
	if (*e == STORE_NOTFOUND) {
		*e = STORE_OK;
		id = 0;
	}
	store_txn_end(t);
	return id;
}

static int
compromise(int reason)
{
	return reason == CRL_REASON_ABSENT ||
	       reason == CRL_REASON_UNSPECIFIED ||
	       reason == CRL_REASON_KEY_COMPROMISE ||
	       reason == CRL_REASON_CA_COMPROMISE ||
	       reason == CRL_REASON_AA_COMPROMISE;
}

/* Why a TSA's key cannot be trusted for any of its tokens, or NULL: a
 * revocation for compromise at any time, or a hold that lasts now (how
 * a CA answers a suspected compromise). Whoever has the key can
 * backdate a token. */
static const char *
key_in_doubt(const struct status_period *p)
{
	if (p->status == STATUS_REVOKED && compromise(p->reason))
		return "was revoked for key compromise";
	if (p->status == STATUS_ON_HOLD && p->to == 0)
		return "is on hold (suspended)";
	return NULL;
}

/*
 * Whether the issuer's CRL behind `a` can tell the state at rc->t. For a
 * TSA the question is rather "is its key still good now?": the CRL must
 * be fresh now, and its history then says whether the TSA was revoked
 * by genTime or ever for key compromise.
 */
static int
usable(const struct revocation_ctx *rc, const struct status_answer *a)
{
	if (rc->tsa)
		return a->this_update >= rc->now ||
		       (a->next_update != 0 &&
			rc->now <= a->next_update + rc->stale_grace);
	if (rc->t_is_now)
		return a->fresh;
	/* After T, as issue of the CRL goes: one of the same second may
	 * have been cut before a revocation at T was entered. */
	return a->this_update > rc->t + rc->cautionary;
}

/* One certificate's answer weighed; reasons to f. */
static void
weigh(const struct revocation_ctx *rc, const struct status_answer *a,
      const char *name, struct findings *f)
{
	char ts[32], ts2[32];
	const char *reason = crl_reason_name(a->reason);
	const char *who = rc->tsa ? "TSA path: " : "", *doubt;
	size_t i;

	if (a->why == WHY_UNKNOWN_ISSUER) {
		findings_add(f, R_UNKNOWN_CA,
			     "%sthe CA that issued \"%s\" is not in the store",
			     who, name);
		return;
	}
	if (a->history_status == STATUS_REVOKED) {
		findings_add(f, rc->tsa ? R_BAD_TIMESTAMP : R_REVOKED,
			     "%s\"%s\" was revoked %s%s%s%s, at or before %s",
			     who, name, time_format(a->revoked_at, ts),
			     reason ? " (" : "", reason ? reason : "",
			     reason ? ")" : "", time_format(rc->t, ts2));
		return;
	}
	for (i = 0; rc->tsa && i < a->nhistory; i++)
		if ((doubt = key_in_doubt(&a->history[i])) != NULL) {
			findings_add(f, R_BAD_TIMESTAMP,
				     "%s\"%s\" %s from %s: its tokens prove "
				     "nothing",
				     who, name, doubt,
				     time_format(a->history[i].from, ts));
			return;
		}
	if (!a->has_source) {
		findings_add(f, R_NO_REVOCATION_DATA,
			     "%sno CRL of the CA of \"%s\" in the store", who,
			     name);
		return;
	}
	if (a->why == WHY_BEFORE_HISTORY) {
		findings_add(f, R_NO_REVOCATION_DATA,
			     "%s\"%s\" expired before the first CRL of its CA "
			     "in the store (%s): it may have left the CRL, "
			     "revoked, before that",
			     who, name, time_format(a->history_since, ts));
		return;
	}
	if (a->why == WHY_SCOPE) {
		findings_add(f, R_NO_REVOCATION_DATA,
			     "%sthe CRL of the CA of \"%s\" lists only %s "
			     "certificates",
			     who, name,
			     a->scope == STORE_SCOPE_USERS ? "end-entity"
							   : "CA");
		return;
	}
	if (a->why == WHY_DIST_POINT) {
		findings_add(f, R_NO_REVOCATION_DATA,
			     "%sthe CRL of the CA of \"%s\" is the part of "
			     "other distribution points than the "
			     "certificate's",
			     who, name);
		return;
	}
	if (!usable(rc, a)) {
		if (rc->t_is_now || rc->tsa)
			findings_add(f, R_REVOCATION_DATA_NOT_FRESH,
				     "%sthe CRL for \"%s\" is past its "
				     "nextUpdate",
				     who, name);
		else
			findings_add(f, R_REVOCATION_DATA_NOT_FRESH,
				     "%sthe CRL for \"%s\" was issued %s, "
				     "not after %s: the state at that moment "
				     "is not known yet",
				     who, name, time_format(a->this_update, ts),
				     time_format(rc->t + rc->cautionary, ts2));
		return;
	}
	if (a->history_status == STATUS_ON_HOLD) {
		findings_add(f, rc->tsa ? R_BAD_TIMESTAMP : R_ON_HOLD,
			     "%s\"%s\" was on hold (suspended) at %s, since %s",
			     who, name, time_format(rc->t, ts),
			     time_format(a->revoked_at, ts2));
		return;
	}
	/* A hold is seen only on a CRL the store took in: one lifted
	 * before the store's first CRL of the CA left no trace here. The
	 * answer stands on the CRLs after T (as any CRL-based check
	 * does), and says so. */
	if (!rc->t_is_now && a->history_since > rc->t)
		findings_add(f, R_COUNT,
			     "%s\"%s\": its CA's CRLs in the store begin %s, "
			     "after T; a suspension lifted before then "
			     "would not show",
			     who, name, time_format(a->history_since, ts));
	for (i = 0; i < a->nhistory; i++)
		if (a->history[i].from > rc->t)
			findings_add(f, R_COUNT,
				     "%s\"%s\" was %s %s, after %s: that does "
				     "not touch this signature",
				     who, name,
				     a->history[i].status == STATUS_ON_HOLD
					 ? "put on hold"
					 : "revoked",
				     time_format(a->history[i].from, ts),
				     time_format(rc->t, ts2));
}

static json_t *
anchor_json(X509 *x)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string("trust_anchor"));
	json_object_set_new(o, "serial", report_serial(x));
	json_object_set_new(o, "subject",
			    report_name(X509_get_subject_name(x)));
	json_object_set_new(
	    o, "validity",
	    json_pack("{s:o, s:o}", "not_before",
		      report_time(crypto_time(X509_get0_notBefore(x))),
		      "not_after",
		      report_time(crypto_time(X509_get0_notAfter(x)))));
	return o;
}

enum store_err
revocation_check(const struct revocation_ctx *rc, STACK_OF(X509) * chain,
		 json_t *arr, struct findings *f, enum status_qualified *out_q)
{
	struct status_query q;
	struct status_answer *a = NULL;
	uint8_t serial[MAX_SERIAL_LEN];
	char name[96];
	enum store_err e = STORE_OK;
	int i, n = sk_X509_num(chain);
	json_t *o;

	*out_q = QUALIFIED_NULL;
	/* struct status_answer is large: keep it off the stack of a
	 * worker thread. */
	if ((a = OPENSSL_malloc(sizeof(*a))) == NULL)
		return STORE_IO;
	for (i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		report_short_name(x, name, sizeof(name));
		memset(&q, 0, sizeof(q));
		q.issuer_id =
		    issuer_id(rc->store, sk_X509_value(chain, i + 1), &e);
		if (e != STORE_OK)
			goto out;
		q.serial_len = status_cert_serial(x, serial, sizeof(serial));
		q.serial = serial;
		q.at = rc->t;
		q.now = rc->now;
		q.stale_grace = rc->stale_grace;
		q.cert = x;
		if (q.serial_len == 0) {
			findings_add(f, R_BAD_CHAIN,
				     "\"%s\": serial number longer than %d "
				     "octets",
				     name, MAX_SERIAL_LEN);
			continue;
		}
		if ((e = status_lookup(rc->store, &q, a)) != STORE_OK)
			goto out;
		if (i == 0)
			*out_q = a->qualified;
		weigh(rc, a, name, f);
		o = status_to_json(a);
		json_object_set_new(o, "subject",
				    report_name(X509_get_subject_name(x)));
		json_array_append_new(arr, o);
	}
	if (n > 0)
		json_array_append_new(arr,
				      anchor_json(sk_X509_value(chain, n - 1)));
out:
	OPENSSL_free(a);
	ERR_clear_error();
	return e;
}
