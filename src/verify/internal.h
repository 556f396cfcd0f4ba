/*
 * verify's parts and what they share. One file per concern:
 *
 *   input.c       bytes (DER, PEM, base64) -> CMS_ContentInfo, limits
 *   cache.c       anchors, decoded certificates, validated paths
 *   cms.c         one SignerInfo: content digest, signature, attributes
 *   tsp.c         its RFC 3161 signature timestamp
 *   chain.c       path building and RFC 5280 validation at T; anchors
 *   revocation.c  every certificate of a path at T, from the store
 *   report.c      reasons, verdicts and the JSON answer
 *   verify.c      verify_run(): the order of the checks
 *
 * A check never stops at the first problem: it records each one as a
 * reason in a `findings` (with a line of detail for people) so that the
 * answer names them all, and the verdict follows from the reasons.
 */
#ifndef OTZYV_VERIFY_INTERNAL_H
#define OTZYV_VERIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/store.h"
#include "otzyv/verify.h"

/* Reasons, each with its verdict (report.c has the table). The
 * numbering is internal; the names are the API. */
enum reason {
	/* invalid */
	R_BAD_SIGNATURE,
	R_CONTENT_MISMATCH,
	R_REVOKED,
	R_ON_HOLD,
	R_EXPIRED,
	R_NOT_YET_VALID,
	R_UNTRUSTED_CHAIN,
	R_BAD_CHAIN,
	R_BAD_KEY_USAGE,
	R_SIGNING_CERTIFICATE_MISMATCH,
	R_BAD_TIMESTAMP,
	/* indeterminate */
	R_NO_SIGNER_CERTIFICATE,
	R_DIGEST_ALGORITHM_MISMATCH,
	R_UNSUPPORTED_ALGORITHM,
	R_CONTENT_REQUIRED,
	R_UNKNOWN_CA,
	R_NO_REVOCATION_DATA,
	R_REVOCATION_DATA_NOT_FRESH,
	R_COUNT
};

enum verdict {
	V_VALID,
	V_INDETERMINATE,
	V_INVALID,
};

struct findings {
	uint32_t reasons; /* bit (1 << enum reason) */
	char detail[MAX_VERIFY_DETAILS][200];
	size_t ndetail;
};

/* Records reason r with a line of detail (printf-style, may be NULL). */
void findings_add(struct findings *f, enum reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int findings_has(const struct findings *f, enum reason r);
enum verdict findings_verdict(const struct findings *f);

/* The digest of content that is not held (base64 text, verify.c). */
struct content_digest {
	const EVP_MD *md;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int len;
};

/* What a signer's content is checked against. */
struct content {
	const uint8_t *data; /* the content, or NULL: */
	size_t len;
	const EVP_MD *dmd; /* only its digest under dmd (given), or */
	const uint8_t *digest;
	size_t digest_len;
	int hashed; /* not held, only its digests: */
	struct content_digest pre[MAX_VERIFY_SIGNERS];
	size_t npre;
};

/* input.c. The CMS in buf as a SignedData within the limits of
 * limits.h, or NULL with err set. Its certificates come from `cache`
 * when one is given (may be NULL). An attached eContent of DER input
 * may be left in buf: then *content is its OCTET STRING there (raw
 * NULL otherwise) and the CMS has none. The caller frees the CMS. */
CMS_ContentInfo *input_decode(const uint8_t *buf, size_t len,
			      struct verify_cache *cache,
			      struct der_tlv *content, char *err,
			      size_t errlen);

/* input.c. One BER/DER ContentInfo at the start of buf; *used is its
 * length. Certificates from `cache` (may be NULL); the eContent left
 * in buf as input_decode() says when `content` is not NULL. NULL when
 * it does not decode (the OpenSSL error queue says why). */
CMS_ContentInfo *input_der(const uint8_t *buf, size_t len,
			   struct verify_cache *cache, struct der_tlv *content,
			   size_t *used);

/* cache.c. The cache's anchors (a new reference), or NULL. */
X509_STORE *cache_anchor_store(struct verify_cache *c);

/* cache.c. The certificate encoded as der[0..len): the one kept (of a
 * validated path) or decoded now. A new reference, or NULL when those
 * bytes are not exactly one certificate. */
X509 *cache_cert(struct verify_cache *c, const uint8_t *der, size_t len);

/* cache.c. The path of `leaf` for `purpose` validated before, when
 * every certificate of it is valid at `at` and each between leaf and
 * anchor is in `pool` or came from the store: a new stack of new
 * references; else NULL. */
STACK_OF(X509) * cache_path_get(struct verify_cache *c, X509 *leaf, int purpose,
				int64_t at, STACK_OF(X509) * pool);

/* cache.c. Keeps `path` (leaf first), validated with nothing to report
 * from `pool` and the store, and its certificates. */
void cache_path_put(struct verify_cache *c, X509 *leaf, int purpose,
		    STACK_OF(X509) * path, STACK_OF(X509) * pool);

/* input.c. Checks that `cms` holds a SignedData of at most
 * MAX_VERIFY_SIGNERS signers and MAX_VERIFY_CERTS certificates; 1 or
 * 0 with err set. `what` names it in messages. */
int input_check_signed(CMS_ContentInfo *cms, const char *what, char *err,
		       size_t errlen);

/* cms.c. The signature of `si` (whose signer certificate is set, see
 * CMS_set1_signers_certs) over its signed attributes, or over the
 * content when it has none, and its messageDigest and contentType
 * attributes against `c` and the eContentType of `cms`. Returns 1 when
 * the signature verifies, 0 when it does not, -1 when it could not be
 * checked; the reasons go to f. `require_attrs`: signed attributes
 * are mandatory (RFC 5652 5.3, eContentType other than id-data). */
int cms_check_signature(CMS_ContentInfo *cms, CMS_SignerInfo *si,
			const struct content *c, int require_attrs,
			struct findings *f);

/* cms.c. The ESS signingCertificate / signingCertificateV2 attributes
 * of `si` (RFC 2634 5.4, RFC 5035) against `chain` (signer first).
 * Absent attributes pass unless `require`. Returns 1 or 0 (f says). */
int cms_check_ess(CMS_SignerInfo *si, STACK_OF(X509) * chain, int require,
		  struct findings *f);

/* cms.c. The signingTime attribute of `si`: 1 with *out, 0 when absent
 * or malformed. */
int cms_signing_time(CMS_SignerInfo *si, int64_t *out);

/* What a path check needs: anchors and a pool of untrusted
 * certificates, owned by the caller. */
struct chain_ctx {
	struct store *store;
	X509_STORE *anchors;
	STACK_OF(X509) * pool;
	struct verify_cache *cache; /* or NULL */
};

/* chain.c. An X509_STORE of opts' anchors; NULL on OOM. */
X509_STORE *chain_anchor_store(const struct verify_opts *o);

/*
 * chain.c. Builds and validates the path of `leaf` at instant `at`
 * (RFC 5280 6.1, by OpenSSL, its revocation checks off, partial chains
 * off), from cx's pool, extended with the store's CA certificates
 * found by issuer name and key identifier. `purpose` is an
 * X509_PURPOSE_* or 0 for none. Returns the path, leaf first, anchor
 * last (free with sk_X509_pop_free), or NULL when none reaches
 * an anchor; the problems go to f. *out_store_err is set on a store
 * failure.
 */
STACK_OF(X509) * chain_validate(struct chain_ctx *cx, X509 *leaf, int64_t at,
				int purpose, struct findings *f,
				enum store_err *out_store_err);

/* How revocation_check() weighs an answer. */
struct revocation_ctx {
	struct store *store;
	int64_t t;    /* the instant asked about */
	int t_is_now; /* T is the time of the check */
	int64_t now;
	int64_t stale_grace;
	int64_t cautionary;
	int tsa; /* the path of a TSA: revocations weigh more */
};

/*
 * revocation.c. The status at rc->t of every certificate of `chain`
 * but its anchor, from the store: appends one status object per
 * certificate (and a short one for the anchor) to `arr`; the reasons go
 * to f. *out_q is the first certificate's "qualified". Returns
 * STORE_OK or the store's error.
 */
enum store_err revocation_check(const struct revocation_ctx *rc,
				STACK_OF(X509) * chain, json_t *arr,
				struct findings *f,
				enum status_qualified *out_q);

/* The result of a signature timestamp (tsp.c). */
struct tsp_result {
	int present;
	int ok;		  /* every check passed: gen_time may be T */
	int64_t gen_time; /* 0 when the token did not decode */
	X509 *tsa;	  /* a reference, or NULL */
	json_t *chain;	  /* status objects of the TSA's path */
	char policy[128];
	struct findings f;
};

/* tsp.c. Checks the signature timestamp of `si`, if it has one, with
 * the anchors and pool of cx (the token's certificates are added to
 * a pool of its own). Returns STORE_OK or the store's error. */
enum store_err tsp_check(CMS_SignerInfo *si, struct chain_ctx *cx,
			 const struct verify_opts *o, struct tsp_result *out);
void tsp_result_clear(struct tsp_result *r);

/* report.c. Names and JSON. */
const char *reason_name(enum reason r);
const char *verdict_name(enum verdict v);
json_t *report_name(const X509_NAME *n);

/* report.c. A one-line name of x for details: its subject's CN (cut
 * at a whole UTF-8 character to fit out[len]), else the whole subject
 * escaped by OpenSSL. */
void report_short_name(X509 *x, char *out, size_t len);
json_t *report_serial(X509 *x);
json_t *report_time(int64_t t);
json_t *report_reasons(const struct findings *f);
json_t *report_details(const struct findings *f);

#endif
