/*
 * Status answers from the store's history and the freshness policy.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "otzyv/crl.h"
#include "otzyv/crypto.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

const char *
status_name(enum status_code c)
{
	switch (c) {
	case STATUS_GOOD:
		return "good";
	case STATUS_REVOKED:
		return "revoked";
	case STATUS_ON_HOLD:
		return "on_hold";
	case STATUS_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

int
status_crl_covers(const struct store_crl_meta *crl, int64_t at, int64_t now,
		  int64_t grace)
{
	if (!crl->present)
		return 0;
	if (at <= crl->this_update)
		return 1;
	if (crl->next_update == 0)
		return 0;
	return at <= crl->next_update + grace &&
	       now <= crl->next_update + grace;
}

static void
copy_issuer(const struct store_issuer *is, struct status_answer *a)
{
	const struct store_crl_meta *m = &is->crl;

	snprintf(a->issuer_name, sizeof(a->issuer_name), "%s",
		 is->name ? is->name : "");
	if (is->ski != NULL && is->ski_len <= sizeof(a->key_id)) {
		memcpy(a->key_id, is->ski, is->ski_len);
		a->key_id_len = is->ski_len;
	} else {
		memcpy(a->key_id, is->spki_sha1, 20);
		a->key_id_len = 20;
	}
	if (!m->present)
		return;
	a->has_source = 1;
	a->crl_number = m->number;
	a->this_update = m->this_update;
	a->next_update = m->next_update;
	a->fetched_at = m->fetched_at;
	a->scope = m->scope;
	a->history_since = is->history_since;
	snprintf(a->url, sizeof(a->url), "%s", m->url ? m->url : "");
}

int
status_serial_in_scope(unsigned scope, int listed)
{
	return scope != STORE_SCOPE_CAS || listed;
}

/* Whether a CRL of `scope` lists `cert`'s kind of certificate. A CA is
 * one whose basicConstraints says cA (RFC 5280 6.3.3 (b)(2)(iii)), not
 * one whose keyUsage merely allows keyCertSign. */
static int
in_scope(unsigned scope, X509 *cert)
{
	int ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;

	return scope == STORE_SCOPE_ALL ||
	       (scope == STORE_SCOPE_CAS ? ca : !ca);
}

static void
copy_history(struct store_history h, int64_t at, struct status_answer *a)
{
	struct store_episode ep;
	struct store_history walk = h;
	enum store_state st;

	while (store_history_next(&walk, &ep) == 1 &&
	       a->nhistory < STATUS_MAX_HISTORY) {
		struct status_period *p = &a->history[a->nhistory++];

		p->status = ep.reason == CRL_REASON_CERTIFICATE_HOLD
				? STATUS_ON_HOLD
				: STATUS_REVOKED;
		p->reason = ep.reason;
		p->from = ep.revoked_at;
		/* A revocation has no end, even once off the CRL. */
		p->to = ep.removed && p->status == STATUS_ON_HOLD
			    ? ep.removed_at
			    : 0;
	}
	st = store_history_state(h, at, &ep);
	if (st == STORE_STATE_NOT_LISTED)
		return;
	a->history_status =
	    st == STORE_STATE_ON_HOLD ? STATUS_ON_HOLD : STATUS_REVOKED;
	a->revoked_at = ep.revoked_at;
	a->reason = ep.reason;
	a->has_invalidity = ep.has_invalidity;
	a->invalidity = ep.invalidity;
}

static void
copy_validity(X509 *cert, struct status_answer *a)
{
	if (cert == NULL)
		return;
	a->not_before = crypto_time(X509_get0_notBefore(cert));
	a->not_after = crypto_time(X509_get0_notAfter(cert));
	a->has_validity = a->not_before != 0 && a->not_after != 0;
}

/* The trusted list's word for an accredited CA. */
#define ACCREDITED "Действует"

/* One accreditation period as stored: {"status", FROM_KEY, "to"}. 1
 * when `o` is one (absent times are open: INT64_MIN / INT64_MAX), 0
 * when it does not decode. */
static int
period_of(json_t *o, const char *from_key, const char **out_status,
	  int64_t *out_from, int64_t *out_to)
{
	json_t *from = json_object_get(o, from_key), *to;

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "status")))
		return 0;
	to = json_object_get(o, "to");
	*out_status = json_string_value(json_object_get(o, "status"));
	*out_from = INT64_MIN;
	*out_to = INT64_MAX;
	if (from != NULL && !json_is_null(from) &&
	    (!json_is_string(from) ||
	     !time_parse(json_string_value(from), out_from)))
		return 0;
	if (to != NULL && !json_is_null(to) &&
	    (!json_is_string(to) || !time_parse(json_string_value(to), out_to)))
		return 0;
	return 1;
}

enum status_qualified
status_qualified(unsigned source, const char *accreditation, int64_t at)
{
	json_t *doc, *hist, *p;
	const char *st, *best_status = NULL;
	int64_t from, to, best_from = INT64_MIN;
	enum status_qualified q = QUALIFIED_NO;
	size_t i, n;
	int ok = 1;

	if (!(source & STORE_SRC_TSL))
		return QUALIFIED_NULL;
	if (accreditation == NULL ||
	    (doc = json_loads(accreditation, JSON_REJECT_DUPLICATES, NULL)) ==
		NULL)
		return QUALIFIED_NO;
	hist = json_object_get(doc, "history");
	if (hist != NULL && !json_is_array(hist))
		ok = 0;
	n = json_array_size(hist);
	/* i == n is the current status. */
	for (i = 0; ok && i <= n; i++) {
		p = i < n ? json_array_get(hist, i) : doc;
		if (!period_of(p, i < n ? "from" : "since", &st, &from, &to)) {
			ok = 0;
			break;
		}
		if (at < from || at >= to)
			continue;
		if (best_status == NULL || from > best_from ||
		    (from == best_from && strcmp(st, ACCREDITED) != 0)) {
			best_status = st;
			best_from = from;
		}
	}
	if (ok && best_status != NULL && strcmp(best_status, ACCREDITED) == 0)
		q = QUALIFIED_YES;
	json_decref(doc);
	return q;
}

enum store_err
status_lookup(struct store *s, const struct status_query *q,
	      struct status_answer *out)
{
	struct store_txn *t = NULL;
	struct store_issuer is;
	struct store_history h;
	enum store_err e;

	memset(out, 0, sizeof(*out));
	out->status = STATUS_UNKNOWN;
	out->history_status = STATUS_GOOD;
	out->reason = CRL_REASON_ABSENT;
	out->as_of = q->at;
	out->issuer_id = q->issuer_id;
	/* An empty serial is one that did not fit: never "good". */
	if (q->serial_len == 0 || q->serial_len > sizeof(out->serial))
		return STORE_INVALID;
	memcpy(out->serial, q->serial, q->serial_len);
	out->serial_len = q->serial_len;
	copy_validity(q->cert, out);
	/* Until the issuer is found: not from the list, as far as known. */
	out->qualified = q->cert != NULL ? QUALIFIED_NULL : QUALIFIED_ABSENT;
	if (q->issuer_id == 0) {
		out->why = WHY_UNKNOWN_ISSUER;
		return STORE_OK;
	}
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	e = store_issuer_get(t, q->issuer_id, &is);
	if (e == STORE_NOTFOUND) {
		out->why = WHY_UNKNOWN_ISSUER;
		e = STORE_OK;
		goto out;
	}
	if (e != STORE_OK)
		goto out;
	copy_issuer(&is, out);
	if (q->cert != NULL)
		out->qualified =
		    status_qualified(is.source, is.accreditation,
				     crypto_time(X509_get0_notBefore(q->cert)));
	e = store_history_get(t, q->issuer_id, q->serial, q->serial_len, &h);
	if (e == STORE_OK)
		copy_history(h, q->at, out);
	else if (e != STORE_NOTFOUND)
		goto out;
	e = STORE_OK;
	if (!is.crl.present) {
		out->why = WHY_NO_CRL;
	} else if (q->cert != NULL ? !in_scope(is.crl.scope, q->cert)
				   : !status_serial_in_scope(
					 is.crl.scope,
					 out->history_status != STATUS_GOOD)) {
		out->why = WHY_SCOPE;
	} else if (q->cert != NULL && is.crl.idp_dp != NULL &&
		   !crl_dp_covers(is.crl.idp_dp, is.crl.idp_dp_len, q->cert)) {
		out->why = WHY_DIST_POINT;
	} else if (out->has_validity && is.history_since != 0 &&
		   out->not_after < is.history_since) {
		out->why = WHY_BEFORE_HISTORY;
	} else if (!status_crl_covers(&is.crl, q->at, q->now, q->stale_grace)) {
		out->why = WHY_STALE;
	} else {
		out->fresh = 1;
		out->status = out->history_status;
	}
out:
	store_txn_end(t);
	return e;
}

size_t
status_serial_parse(const char *hex, uint8_t *out, size_t cap)
{
	uint8_t mag[MAX_SERIAL_LEN + 1], tmp[MAX_SERIAL_LEN + 1];
	long n;
	size_t i = 0, len;
	int neg = 0, carry;

	if (*hex == '-') {
		neg = 1;
		hex++;
	}
	if ((n = hex_decode(hex, mag, sizeof(mag))) <= 0)
		return 0;
	while (i + 1 < (size_t)n && mag[i] == 0)
		i++;
	len = (size_t)n - i;
	if (neg && len == 1 && mag[i] == 0)
		neg = 0; /* -0 is 0 */
	/* Positive: prepend 0x00 when the top bit is set. Negative: two's
	 * complement of the magnitude, then trim redundant 0xFF. */
	if (!neg) {
		int pad = mag[i] & 0x80 ? 1 : 0;

		if (len + pad > cap || len + pad > MAX_SERIAL_LEN)
			return 0;
		out[0] = 0;
		memcpy(out + pad, mag + i, len);
		return len + pad;
	}
	/* In tmp, one octet wider than the magnitude: the result may
	 * trim back to fit cap ("-80" is the single octet 80). */
	if (len > MAX_SERIAL_LEN)
		return 0;
	tmp[0] = 0xFF;
	carry = 1;
	for (size_t k = len; k > 0; k--) {
		unsigned v = (uint8_t)~mag[i + k - 1] + (unsigned)carry;

		tmp[k] = (uint8_t)v;
		carry = v > 0xFF;
	}
	len++;
	i = 0;
	while (i + 1 < len && tmp[i] == 0xFF && (tmp[i + 1] & 0x80))
		i++;
	len -= i;
	if (len > cap || len > MAX_SERIAL_LEN)
		return 0;
	memcpy(out, tmp + i, len);
	return len;
}

char *
status_serial_format(const uint8_t *der, size_t len, char *out)
{
	uint8_t mag[MAX_SERIAL_LEN + 1];
	size_t i;
	int carry = 1;

	if (len == 0 || len > MAX_SERIAL_LEN) {
		out[0] = '\0';
		return out;
	}
	if (!(der[0] & 0x80)) {
		i = len > 1 && der[0] == 0 ? 1 : 0;
		return hex_encode(der + i, len - i, out);
	}
	for (i = len; i > 0; i--) {
		unsigned v = (uint8_t)~der[i - 1] + (unsigned)carry;

		mag[i - 1] = (uint8_t)v;
		carry = v > 0xFF;
	}
	for (i = 0; i + 1 < len && mag[i] == 0; i++)
		;
	out[0] = '-';
	hex_encode(mag + i, len - i, out + 1);
	return out;
}
