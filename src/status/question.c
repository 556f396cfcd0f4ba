/*
 * /v1/status questions as clients put them, decoded and answered: the
 * query string's issuer, serial and at, a posted certificate, or the
 * items of a batch body. What is malformed is said here, in words a
 * client can act on; the HTTP layer only picks 400 or 503.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

enum status_asked
status_ask(struct store *s, const struct status_question *qn, int64_t now,
	   int64_t stale_grace, struct status_keys **keys, json_t **out,
	   char *err, size_t errlen)
{
	struct status_query q = {0};
	struct status_answer a;
	uint8_t serial[MAX_SERIAL_LEN];
	enum store_err e;

	*out = NULL;
	q.now = now;
	q.at = now;
	q.stale_grace = stale_grace;
	if (qn->at != NULL && !time_parse(qn->at, &q.at)) {
		snprintf(err, errlen,
			 "at: \"%.64s\" is not an RFC 3339 time "
			 "(2026-11-21T10:00:00Z)",
			 qn->at);
		return STATUS_ASKED_BAD;
	}
	if (q.at > now + MAX_AT_AHEAD) {
		snprintf(err, errlen,
			 "at: %.64s lies in the future, which no CRL can tell",
			 qn->at);
		return STATUS_ASKED_BAD;
	}
	if (qn->cert != NULL) {
		q.cert = qn->cert;
		q.serial_len =
		    status_cert_serial(qn->cert, serial, sizeof(serial));
		if (q.serial_len == 0) {
			snprintf(err, errlen,
				 "certificate: serial number longer than %d "
				 "octets",
				 MAX_SERIAL_LEN);
			return STATUS_ASKED_BAD;
		}
		e = status_issuer_of(s, qn->cert, &q.issuer_id);
	} else {
		q.serial_len =
		    status_serial_parse(qn->serial, serial, sizeof(serial));
		if (q.serial_len == 0) {
			snprintf(err, errlen,
				 "serial: \"%.64s\" is not a hex serial "
				 "number",
				 qn->serial);
			return STATUS_ASKED_BAD;
		}
		e = status_issuer_parse(s, qn->issuer, keys, &q.issuer_id);
		if (e == STORE_INVALID) {
			snprintf(err, errlen,
				 "issuer: \"%.64s\" is neither an issuer id "
				 "nor the hex SHA-1 or SHA-256 of the issuer's "
				 "public key",
				 qn->issuer);
			return STATUS_ASKED_BAD;
		}
	}
	q.serial = serial;
	if (e == STORE_OK)
		e = status_lookup(s, &q, &a);
	if (e != STORE_OK) {
		snprintf(err, errlen, "store: %s", store_strerror(e));
		return STATUS_ASKED_STORE;
	}
	if ((*out = status_to_json(&a)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return STATUS_ASKED_STORE;
	}
	return STATUS_ASKED_OK;
}

json_t *
status_batch_parse(const uint8_t *body, size_t len, unsigned max, char *err,
		   size_t errlen)
{
	size_t items, values;
	json_error_t je;
	json_t *in;

	json_shape(body, len, &items, &values);
	if (items > max || values > STATUS_BATCH_VALUES(max)) {
		snprintf(err, errlen, "too many items: at most %u in one batch",
			 max);
		return NULL;
	}
	in = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (in == NULL) {
		snprintf(err, errlen,
			 "not a JSON array: %s (line %d, column %d)", je.text,
			 je.line, je.column);
		return NULL;
	}
	if (!json_is_array(in)) {
		json_decref(in);
		snprintf(err, errlen, "not a JSON array of questions");
		return NULL;
	}
	if (json_array_size(in) > max) {
		json_decref(in);
		snprintf(err, errlen, "too many items: at most %u in one batch",
			 max);
		return NULL;
	}
	return in;
}

/* A batch item's member `name`: NULL when absent or null, else it must
 * be a string (1; the parser refuses \u0000) or, when `id_ok`, a
 * non-negative integer, written as decimal into buf. -1 when it is
 * neither. */
static int
member(json_t *item, const char *name, int id_ok, char *buf, size_t cap,
       const char **out)
{
	json_t *v = json_object_get(item, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return 1;
	}
	if (id_ok && json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		*out = buf;
		return 1;
	}
	return -1;
}

const char *
status_batch_question(json_t *item, struct status_question *q,
		      char id[STATUS_ID_TEXT])
{
	const char *cert = NULL;

	memset(q, 0, sizeof(*q));
	if (!json_is_object(item))
		return "an item must be an object: {\"issuer\", \"serial\"} "
		       "or {\"certificate\"}";
	if (member(item, "certificate", 0, NULL, 0, &cert) < 0)
		return "certificate: must be a string (base64 DER or PEM)";
	if (member(item, "issuer", 1, id, STATUS_ID_TEXT, &q->issuer) < 0)
		return "issuer: must be a string (hex key hash or id) or an "
		       "integer id";
	if (member(item, "serial", 0, NULL, 0, &q->serial) < 0)
		return "serial: must be a hex string";
	if (member(item, "at", 0, NULL, 0, &q->at) < 0)
		return "at: must be an RFC 3339 time string";
	if (cert != NULL ? q->issuer != NULL || q->serial != NULL
			 : q->issuer == NULL || q->serial == NULL)
		return "give \"issuer\" and \"serial\", or \"certificate\"";
	if (cert != NULL && (q->cert = status_cert_decode(
				 (const uint8_t *)cert, strlen(cert))) == NULL)
		return "certificate: not a certificate (base64 DER or PEM)";
	return NULL;
}
