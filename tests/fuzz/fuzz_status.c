/*
 * libFuzzer driver for the /v1/status questions (src/status/question.c
 * and what it calls: status_batch_parse(), status_batch_question(),
 * status_cert_decode(), status_serial_parse(), status_issuer_parse(),
 * time_parse()), answered by status_ask() against a store (fuzz_store.h)
 * whose one CA, id 1, has a CRL from FUZZ_NOW - 1 day to FUZZ_NOW + 7
 * days listing 0x1001 revoked (keyCompromise) on FUZZ_NOW - 2 days and
 * 0x2002 on hold since then. Answers are asked at FUZZ_NOW.
 *
 * Input, by its first octet (mod 3), the rest being:
 *   0  a batch body (at most FUZZ_MAX items);
 *   1  a posted certificate (DER, PEM or base64);
 *   2  a query: issuer, serial and at, separated by '&'.
 *
 * Invariants:
 *  - a batch is refused with a message, or is an array of at most
 *    FUZZ_MAX items; when jansson alone reads an array within both
 *    limits (items, and values per item), it is never refused;
 *  - an item gives a question (a certificate, or an issuer and a
 *    serial) or a message; a question gives an answer or a message,
 *    never a store failure;
 *  - an answer's status is good, revoked, on_hold or unknown; only the
 *    CA with a CRL gives anything but unknown, and then freshly; its
 *    serial is the one asked (as status_serial_format() writes it);
 *    0x1001 and 0x2002 of that CA are never good at or after the
 *    instant they were listed.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/import.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

#include "fuzz_store.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_status: %s:%d: %s\n", __FILE__,  \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

/* 2031-01-01T00:00:00Z */
#define FUZZ_NOW ((int64_t)1924992000)
#define DAY 86400
#define REVOKED_AT (FUZZ_NOW - 2 * DAY)
#define FUZZ_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static uint32_t ca_id;

static void
add_revoked(X509_CRL *crl, long serial, int64_t when, int reason)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

	if (r == NULL || sn == NULL || t == NULL || e == NULL ||
	    !ASN1_INTEGER_set(sn, serial) ||
	    !X509_REVOKED_set_serialNumber(r, sn) ||
	    ASN1_TIME_set(t, (time_t)when) == NULL ||
	    !X509_REVOKED_set_revocationDate(r, t) ||
	    !ASN1_ENUMERATED_set(e, reason) ||
	    !X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) ||
	    !X509_CRL_add0_revoked(crl, r))
		FUZZ_DIE("cannot add a CRL entry");
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(e);
}

/* The CA's CRL (above), imported into the store. */
static void
import_crl(X509 *ca, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	struct import_opts opts = {0};
	struct import_result res;
	unsigned char *der = NULL;
	int len;

	if (crl == NULL || t == NULL || num == NULL ||
	    !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    ASN1_TIME_set(t, (time_t)(FUZZ_NOW - DAY)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, (time_t)(FUZZ_NOW + 7 * DAY)) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t) || !ASN1_INTEGER_set(num, 1) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0))
		FUZZ_DIE("cannot make a CRL");
	add_revoked(crl, 0x1001, REVOKED_AT, 1);
	add_revoked(crl, 0x2002, REVOKED_AT, 6);
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, key, EVP_sha256()) ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0)
		FUZZ_DIE("cannot sign the CRL");
	opts.issuer_id = ca_id;
	opts.now = FUZZ_NOW;
	if (import_crl_der(store, der, (size_t)len, "fuzz CRL", &opts, &res) !=
	    IMPORT_OK)
		FUZZ_DIE(res.msg);
	OPENSSL_free(der);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
}

static void
setup(void)
{
	X509 *ca;
	EVP_PKEY *key;

	store = fuzz_store_open(&ca_id, &ca, &key);
	import_crl(ca, key);
	ERR_clear_error();
}

/* Values of a parsed JSON text as status_batch_parse() counts them:
 * openers, separators between elements, and one per member's ':'. */
static size_t
values_of(json_t *v)
{
	size_t n = 0, i;
	const char *k;
	json_t *e;

	if (json_is_array(v)) {
		n = 1 + (json_array_size(v) ? json_array_size(v) - 1 : 0);
		json_array_foreach(v, i, e) n += values_of(e);
	} else if (json_is_object(v)) {
		n = 1 + 2 * json_object_size(v) - (json_object_size(v) ? 1 : 0);
		json_object_foreach(v, k, e) n += values_of(e);
	}
	return n;
}

/* The serial asked about, which the answer must name. */
static size_t
check_serial(const struct status_question *q, const json_t *o, uint8_t *der)
{
	char want[2 * MAX_SERIAL_LEN + 2];
	const char *got = json_string_value(json_object_get(o, "serial"));
	size_t len = q->cert != NULL
			 ? status_cert_serial(q->cert, der, MAX_SERIAL_LEN)
			 : status_serial_parse(q->serial, der, MAX_SERIAL_LEN);

	CHECK(len > 0 && got != NULL);
	status_serial_format(der, len, want);
	CHECK(strcmp(got, want) == 0);
	return len;
}

/* 0x1001 or 0x2002, the CRL's entries. */
static int
listed(const uint8_t *der, size_t len)
{
	return len == 2 && ((der[0] == 0x10 && der[1] == 0x01) ||
			    (der[0] == 0x20 && der[1] == 0x02));
}

static void
check_answer(const struct status_question *q, const json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "status"));
	json_t *issuer = json_object_get(o, "issuer");
	uint8_t der[MAX_SERIAL_LEN];
	size_t len;
	int64_t as_of;
	int known;

	CHECK(json_is_object(o) && st != NULL);
	CHECK(strcmp(st, "good") == 0 || strcmp(st, "revoked") == 0 ||
	      strcmp(st, "on_hold") == 0 || strcmp(st, "unknown") == 0);
	CHECK(json_is_boolean(json_object_get(o, "fresh")));
	len = check_serial(q, o, der);
	known = json_is_object(issuer) &&
		json_integer_value(json_object_get(issuer, "id")) == ca_id;
	if (strcmp(st, "unknown") != 0)
		CHECK(known && json_is_true(json_object_get(o, "fresh")));
	if (known && listed(der, len) &&
	    time_parse(json_string_value(json_object_get(o, "as_of")),
		       &as_of) &&
	    as_of >= REVOKED_AT)
		CHECK(strcmp(st, "good") != 0);
}

static void
ask(const struct status_question *q, struct status_keys **keys)
{
	char err[256];
	json_t *o = (json_t *)1;
	enum status_asked why;

	err[0] = '\0';
	why = status_ask(store, q, FUZZ_NOW, 0, keys, &o, err, sizeof(err));
	CHECK(why == STATUS_ASKED_OK || why == STATUS_ASKED_BAD);
	if (why == STATUS_ASKED_OK)
		check_answer(q, o);
	else
		CHECK(o == NULL && err[0] != '\0');
	json_decref(o);
}

static void
batch(const uint8_t *p, size_t len)
{
	struct status_keys *keys = NULL;
	struct status_question q;
	char err[256], id[STATUS_ID_TEXT];
	const char *bad;
	json_t *in, *plain, *item;
	size_t i;

	err[0] = '\0';
	in = status_batch_parse(p, len, FUZZ_MAX, err, sizeof(err));
	plain = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, NULL);
	if (plain != NULL && json_is_array(plain) &&
	    json_array_size(plain) <= FUZZ_MAX &&
	    values_of(plain) <= STATUS_BATCH_VALUES(FUZZ_MAX))
		CHECK(in != NULL);
	json_decref(plain);
	if (in == NULL) {
		CHECK(err[0] != '\0');
		return;
	}
	CHECK(json_is_array(in) && json_array_size(in) <= FUZZ_MAX);
	json_array_foreach(in, i, item)
	{
		bad = status_batch_question(item, &q, id);
		if (bad != NULL) {
			CHECK(bad[0] != '\0' && q.cert == NULL);
			continue;
		}
		CHECK(q.cert != NULL ? q.issuer == NULL && q.serial == NULL
				     : q.issuer != NULL && q.serial != NULL);
		ask(&q, &keys);
		X509_free(q.cert);
	}
	status_keys_free(keys);
	json_decref(in);
}

static void
posted(const uint8_t *p, size_t len)
{
	struct status_question q = {0};

	if ((q.cert = status_cert_decode(p, len)) == NULL)
		return;
	ask(&q, NULL);
	X509_free(q.cert);
}

/* issuer&serial[&at], as NUL-terminated copies. */
static void
query(const uint8_t *p, size_t len)
{
	char *text = malloc(len + 1), *amp;
	struct status_question q = {0};
	struct status_keys *keys = NULL;

	CHECK(text != NULL);
	memcpy(text, p, len);
	text[len] = '\0';
	q.issuer = text;
	if ((amp = strchr(text, '&')) != NULL) {
		*amp = '\0';
		q.serial = amp + 1;
		if ((amp = strchr(amp + 1, '&')) != NULL) {
			*amp = '\0';
			q.at = amp + 1;
		}
		ask(&q, &keys);
	}
	status_keys_free(keys);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (store == NULL)
		setup();
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		batch(data + 1, size - 1);
		break;
	case 1:
		posted(data + 1, size - 1);
		break;
	default:
		query(data + 1, size - 1);
		break;
	}
	CHECK(ERR_peek_error() == 0);
	return 0;
}
