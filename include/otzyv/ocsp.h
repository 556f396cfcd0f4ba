/*
 * ocsp: OCSP (RFC 6960, RFC 5019) requests and responses.
 *
 * ocsp_request_parse() reads an OCSPRequest with the strict DER reader;
 * nothing is allocated and every pointer points into the caller's
 * buffer. The request signature, when present, is not checked (RFC 6960
 * 4.1.2: optional; we serve public information).
 */
#ifndef OTZYV_OCSP_H
#define OTZYV_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "otzyv/crypto.h"
#include "otzyv/store.h"

/* Single requests in one OCSPRequest, at most ([server] max_requests
 * may lower it). */
#define OCSP_MAX_SINGLE 64
/* RFC 8954 2.1: a nonce of 1 to 32 octets. */
#define OCSP_MAX_NONCE 32

/* RFC 6960 4.2.1 OCSPResponseStatus. */
enum ocsp_status {
	OCSP_SUCCESSFUL = 0,
	OCSP_MALFORMED_REQUEST = 1,
	OCSP_INTERNAL_ERROR = 2,
	OCSP_TRY_LATER = 3,
	OCSP_SIG_REQUIRED = 5,
	OCSP_UNAUTHORIZED = 6,
};

struct ocsp_certid {
	const uint8_t *raw; /* the CertID TLV, echoed in the response */
	size_t raw_len;
	enum hash_alg alg; /* 0 when the hash algorithm is not one we index */
	const uint8_t *name_hash;
	const uint8_t *key_hash;
	size_t hash_len;       /* of each; equal lengths are required */
	const uint8_t *serial; /* INTEGER contents, as in the store */
	size_t serial_len;
};

struct ocsp_request {
	size_t n;
	struct ocsp_certid ids[OCSP_MAX_SINGLE];
	/* The id-pkix-ocsp-nonce extnValue contents (RFC 8954: an OCTET
	 * STRING TLV of 1..32 octets, echoed as is), or NULL. */
	const uint8_t *nonce;
	size_t nonce_len;
};

/*
 * Parses an OCSPRequest of exactly len bytes with at most max_single
 * single requests. Returns 1, or 0 with the reason in why[whylen] (the
 * request is then answered malformedRequest).
 */
int ocsp_request_parse(const uint8_t *buf, size_t len, size_t max_single,
		       struct ocsp_request *out, char *why, size_t whylen);

/* The DER of an unsuccessful OCSPResponse (just the status): static. */
const uint8_t *ocsp_error_response(enum ocsp_status st, size_t *out_len);

/* ---- signing ------------------------------------------------------ */

/* A responder key and its certificate. The signature follows the key:
 * RSA PKCS#1 v1.5 (SHA-256), RSA-PSS keys PSS (SHA-256), ECDSA with the
 * curve's hash (P-384: SHA-384), Ed25519, GOST R 34.10-2012 with the
 * matching Streebog. */
struct ocsp_signer;

/* Loads and checks that the key belongs to the certificate. NULL with
 * "file: cause" in err. Free with ocsp_signer_free(). */
struct ocsp_signer *ocsp_signer_load(const char *cert_path,
				     const char *key_path, char *err,
				     size_t errlen);
void ocsp_signer_free(struct ocsp_signer *s);

/* A number naming the responder certificate (for ETags). */
uint64_t ocsp_signer_tag(const struct ocsp_signer *s);

/* RFC 6960 4.2.2.2: a delegated responder certificate is issued by the
 * CA it answers for and carries id-kp-OCSPSigning. 1, or 0 with why. */
int ocsp_signer_check_delegated(const struct ocsp_signer *s, X509 *ca,
				char *err, size_t errlen);

/* RFC 6960 4.2.1 CertStatus. */
enum ocsp_cert_status {
	OCSP_CERT_GOOD = 0,
	OCSP_CERT_REVOKED = 1,
	OCSP_CERT_UNKNOWN = 2,
};

struct ocsp_single {
	const struct ocsp_certid *id;
	enum ocsp_cert_status status;
	int64_t revoked_at;
	int reason; /* CRL_REASON_ABSENT for none */
	int64_t this_update;
	int64_t next_update; /* 0: none */
};

/*
 * A signed successful OCSPResponse (BasicOCSPResponse, ResponderID by key
 * hash, the responder certificate included, producedAt now) answering
 * singles[0..n), echoing `nonce` (the extnValue of the request's nonce
 * extension) when given. Returns 1 with *out (free with OPENSSL_free),
 * or 0 on an internal failure.
 */
int ocsp_response_sign(const struct ocsp_signer *s,
		       const struct ocsp_single *singles, size_t n,
		       const uint8_t *nonce, size_t nonce_len, uint8_t **out,
		       size_t *out_len);

/* ---- answering ---------------------------------------------------- */

struct ocsp_responder_opts {
	size_t max_single;   /* single requests per request */
	int64_t stale_grace; /* see status.h */
	int stale_serve;     /* 1: answer from stale CRLs; 0: tryLater */
	int nonce_echo;	     /* 1: echo nonces, freshly signed; 0: ignore */
};

/*
 * What answers OCSP: the store, the default responder key, and
 * delegated keys per issuer id. Shared by all worker threads; read-only
 * once built.
 */
struct ocsp_responder;

/* Takes ownership of `dflt`. NULL on out of memory. */
struct ocsp_responder *ocsp_responder_new(struct store *s,
					  struct ocsp_signer *dflt,
					  const struct ocsp_responder_opts *o);
/* Takes ownership of `delegated`, the responder key of issuer `id`. */
int ocsp_responder_delegate(struct ocsp_responder *r, uint32_t id,
			    struct ocsp_signer *delegated);
void ocsp_responder_free(struct ocsp_responder *r);

/*
 * Signed responses to requests without a nonce, per worker thread
 * (no locking), bounded to `bytes`. A hit is served only while every
 * issuer behind it still has the CRL it was answered from and that CRL
 * is fresh, checked against the store on each hit: an import, by any
 * process, retires the answers it changes at once.
 */
struct ocsp_cache;
struct ocsp_cache *ocsp_cache_new(size_t bytes);
void ocsp_cache_free(struct ocsp_cache *c);
void ocsp_cache_stats(const struct ocsp_cache *c, uint64_t *hits,
		      uint64_t *misses, size_t *bytes);

struct ocsp_reply {
	enum ocsp_status status;
	/* The response DER. It points into the cache or into `owned`, and
	 * is valid until the next ocsp_respond() with the same cache or
	 * ocsp_reply_free(). */
	const uint8_t *der;
	size_t len;
	uint8_t *owned;
	/* For HTTP caching (RFC 5019 6.2): the earliest thisUpdate and
	 * nextUpdate of the answers; next_update 0 when not cacheable. */
	int64_t this_update;
	int64_t next_update;
	/* Names the CRLs the answers came from and the signing key (folded
	 * SHA-256 prefixes): another CRL or another key, another tag. */
	uint64_t tag;
	int cacheable; /* a response the cache may keep (no nonce echoed) */
	int from_cache;
	unsigned good, revoked, unknown;
	char why[192]; /* for malformed requests and internal errors */
};

/* Answers the DER OCSPRequest req[0..len) at `now`. Always sets *out. */
void ocsp_respond(struct ocsp_responder *r, struct ocsp_cache *c,
		  const uint8_t *req, size_t len, int64_t now,
		  struct ocsp_reply *out);
void ocsp_reply_free(struct ocsp_reply *out);

#endif
