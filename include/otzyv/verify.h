/*
 * verify: "is this signature valid?" for CMS SignedData (RFC 5652),
 * CAdES-BES and CAdES-T, under art. 11 of 63-FZ (DESIGN.md, "The
 * domain"): every SignerInfo's signature verifies, the signer's
 * certificate chains to a trust anchor and every certificate of that
 * chain was valid and not revoked at the moment of signing T, by the
 * same CRL history that answers OCSP.
 *
 * T is, in this order of precedence:
 *  1. opts->at, when the caller vouches for a moment ("given");
 *  2. the genTime of an RFC 3161 signature timestamp (unsigned attribute
 *     id-aa-signatureTimeStampToken) whose TSA signature, message
 *     imprint, TSA chain and TSA revocation status verify ("timestamp");
 *  3. the signer's own signingTime attribute, only when
 *     opts->trust_claimed_signing_time ("claimed");
 *  4. otherwise the time of the check, opts->now; a signingTime is then
 *     reported as "claimed" but not used.
 *
 * Revocation at T ("usable" CRL): when T is the time of the check, the
 * issuer's CRL must be fresh now (status_crl_covers). When T lies in
 * the past, the CRL must have been issued at or after T +
 * opts->cautionary (its thisUpdate), or the state at T cannot be known
 * yet: the CA may still list a revocation made before T. A revocation
 * (not a hold) at or before T is final, whatever the freshness.
 *
 * Verdicts: "invalid" when any fact proves the signature bad,
 * "indeterminate" when a fact it needs is unknown, "valid" only when
 * every fact is known and good. The answer's overall verdict is the
 * worst of its signers'.
 */
#ifndef OTZYV_VERIFY_H
#define OTZYV_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "otzyv/store.h"

/*
 * What many verifications against one set of trust anchors share:
 * those anchors, certificates decoded once and paths validated once
 * (cache.c says what is kept and why that is safe). Thread-safe,
 * reference-counted; the anchors are copied (up-referenced).
 */
struct verify_cache;
struct verify_cache *verify_cache_new(X509 *const *anchors, size_t n);
struct verify_cache *verify_cache_ref(struct verify_cache *c);
void verify_cache_unref(struct verify_cache *c); /* NULL-safe */

struct verify_opts {
	/* Trust anchors (self-signed CA certificates). Borrowed. */
	X509 *const *anchors;
	size_t nanchors;
	/* Or NULL; when set, its anchors are the trust anchors and
	 * anchors[] is not read. Borrowed. */
	struct verify_cache *cache;
	/* Further certificates for path building (intermediates), also
	 * searched for a signer certificate the CMS lacks. Borrowed. */
	X509 *const *intermediates;
	size_t nintermediates;
	int trust_claimed_signing_time;
	int64_t now;	     /* the time of the check */
	int64_t at;	     /* a moment of signing the caller vouches for;
				0: none */
	int64_t stale_grace; /* as [responder] stale grace (status.h) */
	int64_t cautionary;  /* seconds a CRL's thisUpdate must lie past a
				T in the past; 0 by default */
};

/*
 * The signature and what it signed: the CMS as DER (BER accepted), PEM
 * (CMS, PKCS7) or base64. For a detached signature, either the content
 * (in memory, as base64 text, or a file, mapped) or only its digest
 * under digest_alg (enum hash_alg), which must be the signer's digest
 * algorithm. An attached signature takes neither. Base64 content is
 * hashed as it is decoded (one pass for all the signers' digests), not
 * held decoded, unless a signer without signed attributes needs it
 * whole.
 */
struct verify_input {
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *content;
	size_t content_len;
	const char *content_b64;
	size_t content_b64_len;
	int content_b64_json; /* the inside of a JSON string, escapes kept */
	const char *content_path;
	int digest_alg;
	const uint8_t *digest;
	size_t digest_len;
};

enum verify_err {
	VERIFY_OK = 0,
	VERIFY_BAD_INPUT, /* the input is not a usable signature: err says */
	VERIFY_STORE,	  /* the store failed */
	VERIFY_INTERNAL,  /* out of memory, OpenSSL failure */
};

/*
 * Checks `in` against the store and opts; on VERIFY_OK *out is the
 * answer of DESIGN.md ("/v1/verify"), owned by the caller (json_decref).
 * Otherwise *out is NULL and err says why, naming the rule broken.
 * Reads the store only (short read transactions); safe to call from
 * several threads at once. Clears this thread's OpenSSL error queue.
 */
enum verify_err verify_run(struct store *s, const struct verify_opts *opts,
			   const struct verify_input *in, json_t **out,
			   char *err, size_t errlen);

/* "valid", "invalid", "indeterminate" of an answer; NULL when `answer`
 * has no verdict. */
const char *verify_verdict(const json_t *answer);

/*
 * The stored CA certificates that are anchors by default: those from
 * the trusted list (STORE_SRC_TSL) that are self-signed. *out is a
 * malloc'd array of *out_n certificates; free it with
 * verify_certs_free(). At most MAX_VERIFY_ANCHORS are returned.
 */
enum store_err verify_anchors_from_store(struct store *s, X509 ***out,
					 size_t *out_n);
void verify_certs_free(X509 **certs, size_t n);

/*
 * The audit trail ([verify] audit_log): one line per decision with the
 * request id, each signer's serial and issuer, the verdicts and
 * reasons (audit.c), to the log, or appended to `file` when not NULL.
 * verify_audit_write() takes the answer of verify_run(), or NULL and
 * the error that stopped it; it is safe from several threads and does
 * nothing with a NULL audit.
 */
#define VERIFY_AUDIT_ID_LEN 17
struct verify_audit;
struct verify_audit *verify_audit_open(const char *file, char *err,
				       size_t errlen);
void verify_audit_close(struct verify_audit *a); /* NULL-safe */
void verify_audit_write(struct verify_audit *a, const char *id,
			const json_t *answer, const char *error);

/* A new request id: 16 hex digits, unique within the process and most
 * likely across processes. */
void verify_audit_id(char out[VERIFY_AUDIT_ID_LEN]);

/*
 * The JSON request of POST /v1/verify (DESIGN.md): {"signature": b64,
 * "content": b64?, "content_digest": {"algorithm": "sha256|...",
 * "value": b64}?, "at": RFC 3339?}. Strict: the signature is required,
 * content and content_digest exclude each other, an unknown member or a
 * wrong type is refused. Base64 may hold whitespace. The signature and
 * digest are decoded into buffers the request owns; the content is
 * left as base64 text (for verify_input.content_b64) where it stands:
 * in the caller's buffer, or in `doc`, the request's JSON, when it was
 * written with escapes. verify_request_clear() frees it all.
 */
struct verify_request {
	uint8_t *sig;
	size_t sig_len;
	const char *content_b64; /* NULL: no content */
	size_t content_b64_len;
	int content_b64_json; /* it holds JSON's escapes (base64_decode) */
	int digest_alg;	      /* enum hash_alg; 0 without content_digest */
	uint8_t *digest;
	size_t digest_len;
	int64_t at;  /* 0: not given */
	json_t *doc; /* NULL, or what content_b64 points into */
};

/*
 * Decodes buf[0..len) into *out: 1, or 0 with a message in err (and
 * *out cleared). While *out lives, buf must too (unless out->doc is
 * set). The common request, plain strings only, is read in one pass
 * without a copy; any other goes to verify_request_parse_json().
 */
int verify_request_parse(const uint8_t *buf, size_t len,
			 struct verify_request *out, char *err, size_t errlen);

/* The same by jansson alone: what verify_request_parse() must agree
 * with (the fuzzer compares them). */
int verify_request_parse_json(const uint8_t *buf, size_t len,
			      struct verify_request *out, char *err,
			      size_t errlen);
void verify_request_clear(struct verify_request *r);

#endif
