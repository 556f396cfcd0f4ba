/*
 * The report document from the store (include/otzyv/report.h), and the
 * CA states every front end shares.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "internal.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

static const char *const state_names[] = {
    [REPORT_FRESH] = "fresh",
    [REPORT_FAILING] = "failing",
    [REPORT_STALE] = "stale",
    [REPORT_NEVER_FETCHED] = "never_fetched",
};

const char *
report_state_name(enum report_state st)
{
	return state_names[st];
}

#define SECS_PER_MIN 60
#define SECS_PER_HOUR (60 * SECS_PER_MIN)
#define SECS_PER_DAY (24 * SECS_PER_HOUR)

void
report_age(int64_t s, char *out, size_t len)
{
	uint64_t a = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
	const char *sign = s < 0 ? "-" : "";

	if (a >= SECS_PER_DAY)
		snprintf(out, len, "%s%" PRIu64 "d %" PRIu64 "h", sign,
			 a / SECS_PER_DAY, a % SECS_PER_DAY / SECS_PER_HOUR);
	else if (a >= SECS_PER_HOUR)
		snprintf(out, len, "%s%" PRIu64 "h %" PRIu64 "m", sign,
			 a / SECS_PER_HOUR, a % SECS_PER_HOUR / SECS_PER_MIN);
	else if (a >= SECS_PER_MIN)
		snprintf(out, len, "%s%" PRIu64 "m %" PRIu64 "s", sign,
			 a / SECS_PER_MIN, a % SECS_PER_MIN);
	else
		snprintf(out, len, "%s%" PRIu64 "s", sign, a);
}

enum report_state
report_state_of(const struct store_issuer *is, int64_t now, int64_t stale_grace)
{
	if (!is->crl.present)
		return REPORT_NEVER_FETCHED;
	if (!status_crl_covers(&is->crl, now, now, stale_grace))
		return REPORT_STALE;
	return is->fetch.failures > 0 ? REPORT_FAILING : REPORT_FRESH;
}

/* The CA certificate's notAfter, from the record or the certificate. */
static int64_t
not_after(const struct store_issuer *is)
{
	const unsigned char *p = is->cert;
	X509 *x;
	int64_t t;

	if (is->not_after != 0)
		return is->not_after;
	if ((x = d2i_X509(NULL, &p, (long)is->cert_len)) == NULL)
		return 0;
	t = crypto_time(X509_get0_notAfter(x));
	X509_free(x);
	return t;
}

int
report_watched(const struct store_issuer *is, int64_t now)
{
	if (is->source & STORE_SRC_CONFIG)
		return 1;
	return ((is->crl_urls != NULL && *is->crl_urls != '\0') ||
		is->config_urls != NULL) &&
	       not_after(is) > now;
}

struct count {
	int64_t now;
	size_t n;
};

static int
count_one(const struct store_issuer *is, void *arg)
{
	struct count *c = arg;

	c->n += (size_t)report_watched(is, c->now);
	return 0;
}

enum store_err
report_count_watched(struct store *s, int64_t now, size_t *out_n)
{
	struct count c = {now, 0};
	struct store_txn *t;
	enum store_err e;

	*out_n = 0;
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	e = store_issuer_foreach(t, count_one, &c);
	store_txn_end(t);
	if (e == STORE_OK)
		*out_n = c.n;
	return e;
}

static json_t *
time_or_null(int64_t t)
{
	char ts[32];

	return t != 0 ? json_string(time_format(t, ts)) : json_null();
}

static json_t *
hex(const uint8_t *p, size_t len)
{
	char buf[2 * 64 + 1];

	if (len > 64)
		len = 64;
	return json_string(hex_encode(p, len, buf));
}

static json_t *
sources(unsigned src)
{
	json_t *a = json_array();

	if (src & STORE_SRC_CONFIG)
		json_array_append_new(a, json_string("config"));
	if (src & STORE_SRC_TSL)
		json_array_append_new(a, json_string("tsl"));
	if (src & STORE_SRC_MANUAL)
		json_array_append_new(a, json_string("manual"));
	return a;
}

/* The newline-separated URL list as an array. */
static json_t *
urls(const char *list)
{
	json_t *a = json_array();
	const char *p = list, *nl;

	for (; p != NULL && *p != '\0'; p = *nl ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (nl > p)
			json_array_append_new(
			    a, json_stringn(p, (size_t)(nl - p)));
	}
	return a;
}

static json_t *
crl_json(const struct store_crl_meta *m, int64_t now)
{
	char num[2 * MAX_CRL_NUMBER_LEN + 4];
	json_t *o;

	if (!m->present)
		return json_null();
	o = json_object();
	json_object_set_new(o, "number",
			    m->number.len
				? json_string(status_serial_format(
				      m->number.v, m->number.len, num))
				: json_null());
	json_object_set_new(o, "this_update", time_or_null(m->this_update));
	json_object_set_new(o, "next_update", time_or_null(m->next_update));
	json_object_set_new(o, "entries", json_integer((json_int_t)m->entries));
	json_object_set_new(o, "size", json_integer((json_int_t)m->size));
	json_object_set_new(o, "fetched_at", time_or_null(m->fetched_at));
	json_object_set_new(o, "sha256", hex(m->sha256, 32));
	json_object_set_new(o, "url",
			    m->url ? json_string(m->url) : json_null());
	json_object_set_new(o, "age", json_integer(now - m->this_update));
	json_object_set_new(o, "expires_in",
			    m->next_update ? json_integer(m->next_update - now)
					   : json_null());
	return o;
}

static json_t *
fetch_json(const struct store_fetch *f, int watched)
{
	/* A CA nobody fetches any more keeps its last attempt's record, but
	 * has no next one. */
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:f, s:I, s:o}",
			 "last_attempt", time_or_null(f->attempt_at),
			 "last_success", time_or_null(f->success_at), "next",
			 time_or_null(watched ? f->next_at : 0), "failures",
			 (json_int_t)f->failures, "failures_total",
			 (json_int_t)f->failures_total, "duration",
			 (double)f->duration_ms / 1000.0, "bytes_total",
			 (json_int_t)f->bytes_total, "url",
			 f->url ? json_string(f->url) : json_null());
}

static json_t *
subject(const struct store_issuer *is)
{
	const unsigned char *p = is->subject;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)is->subject_len);
	char buf[MAX_NAME_LEN];
	BIO *b;
	int len;

	if (n == NULL)
		return json_null();
	buf[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(b, n, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_read(b, buf, sizeof(buf) - 1)) > 0)
		buf[len] = '\0';
	BIO_free(b);
	X509_NAME_free(n);
	return json_string(buf);
}

json_t *
report_ca(const struct store_issuer *is, int64_t now, int64_t stale_grace)
{
	json_t *o = json_object(), *acc;
	int watched = report_watched(is, now);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(is->id));
	json_object_set_new(o, "name", json_string(is->name ? is->name : ""));
	json_object_set_new(o, "key_id",
			    is->ski ? hex(is->ski, is->ski_len)
				    : hex(is->spki_sha1, 20));
	json_object_set_new(o, "subject", subject(is));
	json_object_set_new(o, "source", sources(is->source));
	json_object_set_new(o, "watched", json_boolean(watched));
	json_object_set_new(o, "state",
			    json_string(report_state_name(
				report_state_of(is, now, stale_grace))));
	json_object_set_new(o, "not_after", time_or_null(not_after(is)));
	if (is->short_name)
		json_object_set_new(o, "short_name",
				    json_string(is->short_name));
	if (is->inn)
		json_object_set_new(o, "inn", json_string(is->inn));
	if (is->ogrn)
		json_object_set_new(o, "ogrn", json_string(is->ogrn));
	acc = is->accreditation ? json_loads(is->accreditation, 0, NULL) : NULL;
	json_object_set_new(o, "accreditation", acc ? acc : json_null());
	/* What the fetcher uses: the configured URLs, else the list's. */
	json_object_set_new(
	    o, "urls", urls(is->config_urls ? is->config_urls : is->crl_urls));
	json_object_set_new(o, "crl", crl_json(&is->crl, now));
	json_object_set_new(o, "fetch", fetch_json(&is->fetch, watched));
	json_object_set_new(
	    o, "last_error",
	    is->last_error ? json_pack("{s:s, s:o}", "message", is->last_error,
				       "at", time_or_null(is->last_error_at))
			   : json_null());
	return o;
}

struct build {
	json_t *cas, *counts;
	int64_t now, grace;
};

static int
add_ca(const struct store_issuer *is, void *arg)
{
	struct build *b = arg;
	json_t *ca = report_ca(is, b->now, b->grace);
	const char *st;

	if (ca == NULL)
		return 1;
	if (json_is_true(json_object_get(ca, "watched"))) {
		st = json_string_value(json_object_get(ca, "state"));
		json_object_set_new(
		    b->counts, st,
		    json_integer(
			json_integer_value(json_object_get(b->counts, st)) +
			1));
	}
	return json_array_append_new(b->cas, ca) != 0;
}

/* The stored list, and the fetcher's last attempts at it (so that a
 * list refused for weeks shows): null when neither is known. */
static json_t *
tsl_json(struct store_txn *t)
{
	struct store_tsl_meta m;
	struct store_tsl_fetch f;
	json_t *o;

	if (store_tsl_get(t, &m) != STORE_OK)
		m.present = 0;
	if (store_tsl_fetch_get(t, &f) != STORE_OK)
		f.attempt_at = 0;
	if (!m.present && f.attempt_at == 0)
		return json_null();
	o = m.present
		? json_pack("{s:I, s:o, s:I, s:o, s:o}", "version",
			    (json_int_t)m.version, "date", time_or_null(m.date),
			    "size", (json_int_t)m.size, "sha256",
			    hex(m.sha256, 32), "imported_at",
			    time_or_null(m.imported_at))
		: json_pack("{s:n}", "version");
	if (f.attempt_at != 0)
		json_object_set_new(
		    o, "fetch",
		    json_pack("{s:o, s:o, s:I, s:o}", "last_attempt",
			      time_or_null(f.attempt_at), "last_success",
			      time_or_null(f.success_at), "failures",
			      (json_int_t)f.failures, "last_error",
			      f.error[0] ? json_string(f.error) : json_null()));
	return o;
}

json_t *
report_build(struct store *s, int64_t now, int64_t stale_grace, char *err,
	     size_t errlen)
{
	struct build b = {json_array(), NULL, now, stale_grace};
	struct store_txn *t;
	enum store_err e;
	json_t *doc;
	size_t i;

	b.counts = json_object();
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		json_object_set_new(b.counts, state_names[i], json_integer(0));
	doc =
	    json_pack("{s:o, s:o, s:o, s:o}", "generated_at", time_or_null(now),
		      "tsl", json_null(), "counts", b.counts, "cas", b.cas);
	if (doc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((e = store_read_begin(s, &t)) != STORE_OK) {
		snprintf(err, errlen, "%s", store_strerror(e));
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "tsl", tsl_json(t));
	e = store_issuer_foreach(t, add_ca, &b);
	store_txn_end(t);
	if (e != STORE_OK) {
		snprintf(err, errlen, "%s", store_strerror(e));
		json_decref(doc);
		return NULL;
	}
	return doc;
}
