/*
 * What the verify tests share: the signature PKI of
 * tests/data/mkverify.sh on top of the test PKI, a store in a temporary
 * folder, signatures made with `openssl cms` and `openssl ts`, and the
 * few CMS shapes the OpenSSL CLI cannot make (Ed25519, unsigned
 * attributes), made here with the OpenSSL API.
 */
#ifndef OTZYV_TESTS_VERIFY_HELPERS_H
#define OTZYV_TESTS_VERIFY_HELPERS_H

#include <stdint.h>

#include <jansson.h>

#include "otzyv/store.h"
#include "otzyv/verify.h"

extern char *vt_dir;	       /* this test's folder */
extern struct store *vt_store; /* its store */
extern int64_t vt_now;	       /* the real clock at set-up */

void vt_setup(void);
void vt_teardown(void);

/* DIR/NAME of the test PKI (with the verify PKI generated), or of
 * this test's folder. */
const char *vt_pki(const char *name);
const char *vt_path(const char *name);

/* The document every test signs: vt_path("doc.txt"). */
const char *vt_doc(void);

/* `openssl cms -sign` of the document by ALG-signer (with ALG-int in
 * the certificates) into vt_path(out), DER; `extra` adds options
 * (-nodetach, -noattr, -nosmimecap, -cades, -nocerts ...). Ed25519 is
 * made with vt_sign_eddsa() (OpenSSL 3.0's CMS cannot). */
const char *vt_sign(const char *alg, const char *out, const char *extra);

/* The same, signed by the PKI's certificate and key SIGNER.pem and
 * SIGNER.key ("rsa-bigext") with ALG's signing options: rsapss pads with
 * PSS, gost512 digests with Streebog-512. */
const char *vt_sign_as(const char *alg, const char *signer, const char *out,
		       const char *extra);

/* 1 when the OpenSSL CLI has the gost engine. */
int vt_have_gost(void);

/* An Ed25519 SignedData (RFC 8419) of the document: attached or not,
 * with signed attributes or without. */
const char *vt_sign_eddsa(const char *out, int attached, int noattr);

/* Adds an RFC 3161 signature timestamp from the test TSA to SignerInfo
 * `idx` of the CMS in file `in`, written to `out`. With `bad_imprint`
 * the token stamps another value. Sets *t0 / *t1 (may be NULL) to the
 * clock around the TSA's reply: genTime lies between them. */
void vt_timestamp(const char *in, const char *out, int idx, int bad_imprint,
		  int64_t *t0, int64_t *t1);

/* Flips a byte of the signature value of SignerInfo `idx`. */
void vt_corrupt_signature(const char *in, const char *out, int idx);

/* A CRL by the CA NAME of the PKI ("rsa-ca", "rsa-int") with gencrl
 * options `args`, imported into the store as of `now`. */
void vt_crl(const char *ca, int64_t now, const char *args);

/* Fresh, empty CRLs (thisUpdate tu, nextUpdate tu + 1 day) of ALG-ca
 * and ALG-int, imported as of `now`. */
void vt_fresh(const char *alg, int64_t tu, int64_t now);

struct vt_opts {
	const char *anchors[4]; /* PKI names, default {ALG-ca} */
	const char *intermediates[4];
	const char *content; /* a file, or NULL: */
	int digest_alg;	     /* ... a digest of the document */
	int wrong_digest;
	int64_t now; /* 0: vt_now */
	int64_t at;
	int trust_claimed;
	/* Every verification runs without a cache, then twice through
	 * this one (NULL: a new one), and must answer alike. */
	struct verify_cache *cache;
};

/* A cache of ALG-ca as the anchor. */
struct verify_cache *vt_cache(const char *alg);

/* verify_run() of the signature file `sig`, which must return `want`;
 * the answer (NULL unless VERIFY_OK), which the caller frees. */
json_t *vt_verify(const char *alg, const char *sig, const struct vt_opts *o,
		  enum verify_err want);

/* Field of signer i, and "a reason r is listed". */
const char *vt_signer_str(json_t *doc, size_t i, const char *key);
int vt_has_reason(json_t *doc, size_t i, const char *reason);

/* "@UNIX" for gencrl and the CLI. */
const char *vt_t(int64_t t);

#endif
