/*
 * Reasons, verdicts and the pieces of the JSON answer of DESIGN.md
 * ("/v1/verify"). The reason names are API: clients branch on them.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "otzyv/util.h"

#include "internal.h"

static const struct {
	const char *name;
	enum verdict verdict;
} reasons[R_COUNT] = {
    [R_BAD_SIGNATURE] = {"bad_signature", V_INVALID},
    [R_CONTENT_MISMATCH] = {"content_mismatch", V_INVALID},
    [R_REVOKED] = {"revoked", V_INVALID},
    [R_ON_HOLD] = {"on_hold", V_INVALID},
    [R_EXPIRED] = {"expired", V_INVALID},
    [R_NOT_YET_VALID] = {"not_yet_valid", V_INVALID},
    [R_UNTRUSTED_CHAIN] = {"untrusted_chain", V_INVALID},
    [R_BAD_CHAIN] = {"bad_chain", V_INVALID},
    [R_BAD_KEY_USAGE] = {"bad_key_usage", V_INVALID},
    [R_SIGNING_CERTIFICATE_MISMATCH] = {"signing_certificate_mismatch",
					V_INVALID},
    [R_BAD_TIMESTAMP] = {"bad_timestamp", V_INVALID},
    [R_NO_SIGNER_CERTIFICATE] = {"no_signer_certificate", V_INDETERMINATE},
    [R_DIGEST_ALGORITHM_MISMATCH] = {"digest_algorithm_mismatch",
				     V_INDETERMINATE},
    [R_UNSUPPORTED_ALGORITHM] = {"unsupported_algorithm", V_INDETERMINATE},
    [R_CONTENT_REQUIRED] = {"content_required", V_INDETERMINATE},
    [R_UNKNOWN_CA] = {"unknown_ca", V_INDETERMINATE},
    [R_NO_REVOCATION_DATA] = {"no_revocation_data", V_INDETERMINATE},
    [R_REVOCATION_DATA_NOT_FRESH] = {"revocation_data_not_fresh",
				     V_INDETERMINATE},
};

const char *
reason_name(enum reason r)
{
	return r < R_COUNT ? reasons[r].name : NULL;
}

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case V_VALID:
		return "valid";
	case V_INDETERMINATE:
		return "indeterminate";
	case V_INVALID:
		return "invalid";
	}
	return "indeterminate";
}

/* r == R_COUNT adds a note: a detail without a reason. */
void
findings_add(struct findings *f, enum reason r, const char *fmt, ...)
{
	va_list ap;
	char *d;
	int n;

	if (r < R_COUNT)
		f->reasons |= UINT32_C(1) << r;
	if (fmt == NULL || f->ndetail == MAX_VERIFY_DETAILS)
		return;
	d = f->detail[f->ndetail++];
	va_start(ap, fmt);
	n = vsnprintf(d, sizeof(f->detail[0]), fmt, ap);
	va_end(ap);
	/* A line cut inside a name must stay UTF-8 (or JSON drops it). */
	if (n >= (int)sizeof(f->detail[0]))
		d[utf8_whole(d, sizeof(f->detail[0]) - 1)] = '\0';
}

int
findings_has(const struct findings *f, enum reason r)
{
	return (f->reasons >> r) & 1;
}

enum verdict
findings_verdict(const struct findings *f)
{
	enum verdict v = V_VALID;
	enum reason r;

	for (r = 0; r < R_COUNT; r++)
		if (findings_has(f, r) && reasons[r].verdict > v)
			v = reasons[r].verdict;
	return v;
}

json_t *
report_reasons(const struct findings *f)
{
	json_t *arr = json_array();
	enum reason r;

	for (r = 0; r < R_COUNT; r++)
		if (findings_has(f, r))
			json_array_append_new(arr,
					      json_string(reasons[r].name));
	return arr;
}

/* Text from certificates and CMS is untrusted: jansson refuses what is
 * not UTF-8, so such a string is replaced rather than dropped. */
static json_t *
jstring(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("(not UTF-8)");
}

json_t *
report_details(const struct findings *f)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < f->ndetail; i++)
		json_array_append_new(arr, jstring(f->detail[i]));
	return arr;
}

void
report_short_name(X509 *x, char *out, size_t len)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *utf = NULL;
	size_t k;

	out[0] = '\0';
	if (i >= 0 &&
	    ASN1_STRING_to_UTF8(&utf, X509_NAME_ENTRY_get_data(
					  X509_NAME_get_entry(n, i))) >= 0 &&
	    utf != NULL) {
		if ((k = strlen((char *)utf)) >= len)
			k = utf8_whole((char *)utf, len - 1);
		memcpy(out, utf, k);
		out[k] = '\0';
		OPENSSL_free(utf);
	} else {
		X509_NAME_oneline(n, out, (int)len);
	}
	ERR_clear_error();
}

/* The RFC 2253 text of n into buf (UTF-8 as is, cut at a whole
 * character), "(not UTF-8)" when it is not UTF-8. */
static void
name_text(const X509_NAME *n, char buf[MAX_NAME_LEN])
{
	BIO *b = BIO_new(BIO_s_mem());
	int len = 0;
	json_t *j;

	if (b != NULL &&
	    X509_NAME_print_ex(b, n, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		len = BIO_read(b, buf, MAX_NAME_LEN - 1);
	BIO_free(b);
	ERR_clear_error();
	if (len < 0)
		len = 0;
	if (len == MAX_NAME_LEN - 1)
		len = (int)utf8_whole(buf, (size_t)len);
	buf[len] = '\0';
	if ((j = json_string(buf)) == NULL)
		snprintf(buf, MAX_NAME_LEN, "(not UTF-8)");
	json_decref(j);
}

/*
 * Names are rendered once: the same few (a signer's, its CAs') come in
 * every answer, and printing one through a BIO costs several times
 * what the rest of a chain entry does. Keyed by the name's DER,
 * compared whole; direct-mapped, a new name replaces the one in its
 * slot; a name of more than NAME_MEMO_DER octets is not kept.
 */
#define NAME_MEMO 64
#define NAME_MEMO_DER 256

static struct {
	size_t len; /* of der; 0: empty */
	uint8_t der[NAME_MEMO_DER];
	char text[MAX_NAME_LEN];
} memo[NAME_MEMO];
static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t
memo_slot(const uint8_t *der, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ der[i]) * 16777619u;
	return h % NAME_MEMO;
}

json_t *
report_name(const X509_NAME *n)
{
	const unsigned char *der = NULL;
	size_t len = 0, k = 0;
	char buf[MAX_NAME_LEN];
	int memoable, hit = 0;

	memoable = X509_NAME_get0_der(n, &der, &len) == 1 && len > 0 &&
		   len <= NAME_MEMO_DER;
	ERR_clear_error();
	if (memoable) {
		k = memo_slot(der, len);
		pthread_mutex_lock(&memo_mu);
		hit = memo[k].len == len && memcmp(memo[k].der, der, len) == 0;
		if (hit)
			memcpy(buf, memo[k].text, strlen(memo[k].text) + 1);
		pthread_mutex_unlock(&memo_mu);
	}
	if (!hit) {
		name_text(n, buf);
		if (memoable) {
			pthread_mutex_lock(&memo_mu);
			memo[k].len = len;
			memcpy(memo[k].der, der, len);
			memcpy(memo[k].text, buf, strlen(buf) + 1);
			pthread_mutex_unlock(&memo_mu);
		}
	}
	return json_string_nocheck(buf);
}

json_t *
report_serial(X509 *x)
{
	uint8_t der[MAX_SERIAL_LEN];
	char hex[2 * MAX_SERIAL_LEN + 2];
	size_t len = status_cert_serial(x, der, sizeof(der));

	if (len == 0)
		return json_null();
	return json_string(status_serial_format(der, len, hex));
}

json_t *
report_time(int64_t t)
{
	char buf[32];

	return json_string(time_format(t, buf));
}

const char *
verify_verdict(const json_t *answer)
{
	return json_string_value(json_object_get(answer, "verdict"));
}
