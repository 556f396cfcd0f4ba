/*
 * status: the answer to "what is the status of this serial of this
 * issuer at instant T?", from the store and the freshness policy, and
 * its JSON form (DESIGN.md, "JSON status answer"). One place, so the
 * CLI, OCSP and /v1/status can never disagree.
 *
 * Freshness: the issuer's current CRL covers T when T is at or before
 * its thisUpdate (the history is definitive up to there), or when both T
 * and now are at or before nextUpdate + stale_grace. A CRL without
 * nextUpdate covers nothing after its thisUpdate. Outside that, the
 * answer is "unknown" with fresh = false, and the history's word is
 * kept as last_known: stale data is never "good".
 */
#ifndef OTZYV_STATUS_H
#define OTZYV_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "otzyv/limits.h"
#include "otzyv/store.h"

enum status_code {
	STATUS_GOOD,
	STATUS_REVOKED,
	STATUS_ON_HOLD,
	STATUS_UNKNOWN,
};

/* Why an answer is "unknown". */
enum status_why {
	WHY_NONE,
	WHY_UNKNOWN_ISSUER, /* no stored CA issued it */
	WHY_NO_CRL,	    /* the CA has no CRL in the store yet */
	WHY_STALE,	    /* the CRL does not cover the instant asked */
	WHY_SCOPE,	    /* the CRL lists only end-entity or only CA
			       certificates, and this is of the other kind */
	WHY_BEFORE_HISTORY, /* the certificate expired before the first CRL
			       the store has of its CA: a revocation may
			       have left the CRL before it was seen */
	WHY_DIST_POINT,	    /* the CRL is the part of a partitioned CRL
			       of other distribution points than the
			       certificate's */
};

#define STATUS_MAX_HISTORY 32

/*
 * "qualified" (art. 11 of 63-FZ): whether the certificate's CA was
 * accredited when the certificate was issued (its notBefore), by the
 * trusted list's status history. Said only of a certificate, never of
 * a bare serial.
 */
enum status_qualified {
	QUALIFIED_ABSENT, /* no certificate in the question: not said */
	QUALIFIED_NULL,	  /* the CA is not from the trusted list (null) */
	QUALIFIED_NO,
	QUALIFIED_YES,
};

struct status_period {
	enum status_code status; /* REVOKED or ON_HOLD */
	int reason;
	int64_t from;
	int64_t to; /* 0 while it lasts */
};

struct status_query {
	uint32_t issuer_id;    /* 0: unknown issuer */
	const uint8_t *serial; /* DER INTEGER contents */
	size_t serial_len;
	int64_t at;  /* the instant asked about */
	int64_t now; /* the instant of asking */
	int64_t stale_grace;
	X509 *cert; /* the certificate itself, when known, or NULL */
};

struct status_answer {
	enum status_code status;
	enum status_why why;
	int fresh;
	int64_t as_of;
	uint8_t serial[MAX_SERIAL_LEN];
	size_t serial_len;

	uint32_t issuer_id;
	char issuer_name[MAX_NAME_LEN];
	uint8_t key_id[MAX_KEYID_LEN];
	size_t key_id_len;

	/* What the history says at `as_of` (also when stale). */
	enum status_code history_status; /* GOOD, REVOKED or ON_HOLD */
	int64_t revoked_at;
	int reason;
	int has_invalidity;
	int64_t invalidity;

	struct status_period history[STATUS_MAX_HISTORY];
	size_t nhistory;

	int has_validity;
	int64_t not_before, not_after;
	enum status_qualified qualified;

	int has_source;
	unsigned scope;	       /* STORE_SCOPE_* of the CRL */
	int64_t history_since; /* store_issuer.history_since */
	struct crl_number crl_number;
	int64_t this_update, next_update, fetched_at;
	char url[MAX_URL_LEN];
};

/* 1 when a CRL of `scope` (STORE_SCOPE_*) answers for a serial asked
 * alone, its kind of certificate unknown, which it lists (`listed`) or
 * not: one it lists is revoked whatever its kind; one it does not is
 * taken for an end-entity certificate's, as the questions by serial
 * nearly all are, of which a CRL of CA certificates only (an ARL) says
 * nothing. OCSP and GET /v1/status share this rule. */
int status_serial_in_scope(unsigned scope, int listed);

/* 1 when the CRL `crl` covers instant `at` asked at `now` (above). */
int status_crl_covers(const struct store_crl_meta *crl, int64_t at, int64_t now,
		      int64_t grace);

/* Answers q into out. Store errors are returned, and STORE_INVALID for
 * a serial of 0 or more than MAX_SERIAL_LEN octets; an unknown issuer or
 * a missing CRL is an answer (STATUS_UNKNOWN), not an error. With
 * q->cert, the answer has the validity period and "qualified" (below). */
enum store_err status_lookup(struct store *s, const struct status_query *q,
			     struct status_answer *out);

/*
 * The "qualified" decision for a certificate issued at `at` (its
 * notBefore) by a CA whose issuer record has `source` (STORE_SRC_*) and
 * `accreditation`, the trusted list's JSON text {"status", "since",
 * "to", "history": [{"status", "from", "to"}]} (times RFC 3339).
 *
 *  - not from the trusted list (no STORE_SRC_TSL): QUALIFIED_NULL;
 *  - the periods are the current status [since, to) and each history
 *    entry [from, to); an absent start or end is open. Of the periods
 *    covering `at`, the one that began last decides (a suspension
 *    inside a longer "Действует" period wins), and a tie goes to the
 *    status that is not "Действует": QUALIFIED_YES when it is
 *    "Действует", else QUALIFIED_NO;
 *  - no period covers `at`, or the text is missing or does not decode:
 *    QUALIFIED_NO (never "qualified" without the list saying so).
 *
 * A pure function: no store, no clock.
 */
enum status_qualified status_qualified(unsigned source,
				       const char *accreditation, int64_t at);

/* The certificate's issuer among stored CAs, by its issuer Name and
 * authorityKeyIdentifier (newest on a tie); *out_id is 0 when no stored
 * CA issued it, which is an answer, not an error. */
enum store_err status_issuer_of(struct store *s, X509 *cert, uint32_t *out_id);

/* The serial of `cert` as DER INTEGER contents into out[cap]; returns
 * the length, 0 when it does not fit. */
size_t status_cert_serial(X509 *cert, uint8_t *out, size_t cap);

/*
 * A certificate as clients send one: DER, PEM ("-----BEGIN
 * CERTIFICATE-----"), or the base64 of the DER (line breaks and spaces
 * allowed). Nothing may follow the certificate but white space, and
 * its extensions must decode. NULL when buf is none of these; the
 * caller frees the X509. Clears this thread's OpenSSL error queue.
 */
X509 *status_cert_decode(const uint8_t *buf, size_t len);

/*
 * The issuer a /v1/status question names: a decimal issuer id (1 to
 * 4294967295), or the hex SHA-1 (40 digits) or SHA-256 (64 digits) of
 * the issuer's subjectPublicKey BIT STRING contents, OCSP's
 * issuerKeyHash (RFC 6960 4.1.1). STORE_INVALID when `text` is none of
 * these; STORE_OK with *out_id, 0 when no stored CA has that key (an
 * answer: "unknown"). A key shared by several stored certificates
 * resolves to the newest (highest id).
 *
 * `keys` caches the stored keys across the calls of one request (a
 * batch): pass the address of a NULL pointer the first time and free
 * it with status_keys_free() at the end. The cache is a snapshot of
 * one read transaction.
 */
struct status_keys;
enum store_err status_issuer_parse(struct store *s, const char *text,
				   struct status_keys **keys, uint32_t *out_id);
void status_keys_free(struct status_keys *k);

/*
 * A /v1/status question as a client puts it: a certificate, or an
 * issuer (status_issuer_parse()'s text) and a hex serial; `at` an RFC
 * 3339 time, or NULL for now. The strings and the X509 are the
 * caller's.
 */
struct status_question {
	X509 *cert;
	const char *issuer;
	const char *serial;
	const char *at;
};

enum status_asked {
	STATUS_ASKED_OK,
	STATUS_ASKED_BAD,   /* the question is malformed */
	STATUS_ASKED_STORE, /* the store failed */
};

/*
 * Answers qn, asked at `now`, into *out (a new status object), or says
 * in err why not: what in the question is malformed, or the store's
 * failure. `keys` as for status_issuer_parse().
 */
enum status_asked status_ask(struct store *s, const struct status_question *qn,
			     int64_t now, int64_t stale_grace,
			     struct status_keys **keys, json_t **out, char *err,
			     size_t errlen);

/*
 * A POST /v1/status/batch body: a JSON array of at most `max` items
 * (free with json_decref), or NULL with the reason in err. The body's
 * shape is counted before it is parsed, so that the memory it takes
 * follows `max`, not the body's size.
 */
json_t *status_batch_parse(const uint8_t *body, size_t len, unsigned max,
			   char *err, size_t errlen);

/* The most JSON values (openers, ',' and ':') a batch of `max` items
 * may hold: items are objects of a few members, 16 values each, and a
 * few more. */
#define STATUS_BATCH_VALUES(max) ((size_t)(max)*16 + 64)

/* Room for an integer issuer id written as text. */
#define STATUS_ID_TEXT 24

/*
 * One item of a batch as a question: NULL, with q's strings in `item`
 * or `id` and q->cert a new X509 (free it) or NULL; or, when the item
 * is malformed, the reason (a static text) and q->cert NULL.
 */
const char *status_batch_question(json_t *item, struct status_question *q,
				  char id[STATUS_ID_TEXT]);

/* "good", "revoked", "on_hold", "unknown". */
const char *status_name(enum status_code c);

/* The JSON status object; the caller owns the reference. "qualified"
 * is present (true, false or null) only when a certificate was asked
 * about. */
json_t *status_to_json(const struct status_answer *a);

/*
 * Serials as people write them: hex of the magnitude, optionally with a
 * leading '-' for a negative serial, as `openssl x509 -serial` prints.
 * status_serial_parse() gives the DER INTEGER contents (minimal two's
 * complement) and returns the length, or 0 on bad input.
 */
size_t status_serial_parse(const char *hex, uint8_t *out, size_t cap);

/* The inverse: out needs 2 * len + 2 bytes. Returns out. */
char *status_serial_format(const uint8_t *der, size_t len, char *out);

#endif
