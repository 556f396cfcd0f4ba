/*
 * The JSON status object of DESIGN.md. Absent facts are omitted, never
 * invented: no "revocation" for a good certificate, no "source" before a
 * CRL was imported.
 */
#include "config.h"

#include "otzyv/crl.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

static json_t *
jtime(int64_t t)
{
	char buf[32];

	return json_string(time_format(t, buf));
}

static json_t *
revocation(const struct status_answer *a)
{
	json_t *r = json_object();
	const char *reason = crl_reason_name(a->reason);

	json_object_set_new(r, "time", jtime(a->revoked_at));
	if (reason != NULL)
		json_object_set_new(r, "reason", json_string(reason));
	if (a->has_invalidity)
		json_object_set_new(r, "invalidity_date", jtime(a->invalidity));
	return r;
}

static json_t *
history(const struct status_answer *a)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < a->nhistory; i++) {
		const struct status_period *p = &a->history[i];
		json_t *o = json_object();
		const char *reason = crl_reason_name(p->reason);

		json_object_set_new(o, "status",
				    json_string(status_name(p->status)));
		if (reason != NULL)
			json_object_set_new(o, "reason", json_string(reason));
		json_object_set_new(o, "from", jtime(p->from));
		if (p->to != 0)
			json_object_set_new(o, "to", jtime(p->to));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
source(const struct status_answer *a)
{
	char num[2 * (MAX_CRL_NUMBER_LEN + 1) + 2];
	json_t *o = json_object();

	if (a->crl_number.len > 0)
		json_object_set_new(
		    o, "crl_number",
		    json_string(status_serial_format(a->crl_number.v,
						     a->crl_number.len, num)));
	json_object_set_new(o, "this_update", jtime(a->this_update));
	if (a->next_update != 0)
		json_object_set_new(o, "next_update", jtime(a->next_update));
	json_object_set_new(o, "fetched_at", jtime(a->fetched_at));
	if (a->url[0] != '\0')
		json_object_set_new(o, "url", json_string(a->url));
	if (a->scope != STORE_SCOPE_ALL)
		json_object_set_new(o, "only",
				    json_string(a->scope == STORE_SCOPE_USERS
						    ? "end_entity_certificates"
						    : "ca_certificates"));
	return o;
}

static const char *
why_name(enum status_why w)
{
	switch (w) {
	case WHY_UNKNOWN_ISSUER:
		return "unknown_issuer";
	case WHY_NO_CRL:
		return "no_crl";
	case WHY_STALE:
		return "crl_not_fresh";
	case WHY_SCOPE:
		return "crl_scope";
	case WHY_BEFORE_HISTORY:
		return "expired_before_history";
	case WHY_DIST_POINT:
		return "crl_distribution_point";
	case WHY_NONE:
		break;
	}
	return NULL;
}

json_t *
status_to_json(const struct status_answer *a)
{
	char serial[2 * MAX_SERIAL_LEN + 2], kid[2 * MAX_KEYID_LEN + 1];
	json_t *o = json_object(), *issuer;

	json_object_set_new(o, "status", json_string(status_name(a->status)));
	json_object_set_new(o, "serial",
			    json_string(status_serial_format(
				a->serial, a->serial_len, serial)));
	issuer = json_object();
	if (a->issuer_id != 0 && a->why != WHY_UNKNOWN_ISSUER) {
		json_object_set_new(issuer, "id", json_integer(a->issuer_id));
		json_object_set_new(issuer, "name",
				    json_string(a->issuer_name));
		json_object_set_new(
		    issuer, "key_id",
		    json_string(hex_encode(a->key_id, a->key_id_len, kid)));
	}
	json_object_set_new(o, "issuer", issuer);
	if (a->status == STATUS_REVOKED || a->status == STATUS_ON_HOLD)
		json_object_set_new(o, "revocation", revocation(a));
	json_object_set_new(o, "history", history(a));
	if (a->has_validity) {
		json_object_set_new(o, "validity",
				    json_pack("{s:o, s:o, s:b}", "not_before",
					      jtime(a->not_before), "not_after",
					      jtime(a->not_after), "expired",
					      a->as_of > a->not_after));
	}
	if (a->qualified != QUALIFIED_ABSENT)
		json_object_set_new(
		    o, "qualified",
		    a->qualified == QUALIFIED_NULL
			? json_null()
			: json_boolean(a->qualified == QUALIFIED_YES));
	json_object_set_new(o, "as_of", jtime(a->as_of));
	if (a->has_source)
		json_object_set_new(o, "source", source(a));
	json_object_set_new(o, "fresh", json_boolean(a->fresh));
	if (a->why != WHY_NONE)
		json_object_set_new(o, "unknown_reason",
				    json_string(why_name(a->why)));
	if (a->why == WHY_STALE) {
		json_t *lk = json_object();

		json_object_set_new(
		    lk, "status", json_string(status_name(a->history_status)));
		if (a->history_status != STATUS_GOOD)
			json_object_set_new(lk, "revocation", revocation(a));
		json_object_set_new(o, "last_known", lk);
	}
	return o;
}
