/*
 * crypto: process-wide OpenSSL set-up, the GOST engine, and the hash
 * algorithms OCSP CertIDs and the store's indexes use.
 */
#ifndef OTZYV_CRYPTO_H
#define OTZYV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum gost_mode {
	GOST_AUTO, /* load the engine when installed */
	GOST_YES,  /* the engine is required */
	GOST_NO,   /* never load it */
};

/* Hash algorithms of OCSP CertIDs. The values are persisted in the
 * store's certid keys: never renumber. */
enum hash_alg {
	HASH_SHA1 = 1,
	HASH_SHA256 = 2,
	HASH_SHA384 = 3,
	HASH_SHA512 = 4,
	HASH_STREEBOG256 = 5,
	HASH_STREEBOG512 = 6,
	HASH_GOST94 = 7,
};
#define HASH_FIRST HASH_SHA1
#define HASH_LAST HASH_GOST94
#define HASH_MAX_LEN 64

/*
 * Initialises OpenSSL and, as `mode` says, the GOST engine, so that GOST
 * keys, signatures and Streebog digests work everywhere in the process.
 * Call once, before any thread starts. Returns 1, or 0 with a message
 * naming the missing package in err.
 */
int crypto_init(enum gost_mode mode, char *err, size_t errlen);

/* 1 when the GOST engine is loaded. */
int crypto_have_gost(void);

/* The digest for `alg`, or NULL when this process cannot compute it. */
const EVP_MD *crypto_md(enum hash_alg alg);

/* "sha1", "sha256", ..., "streebog256": stable names for output. */
const char *crypto_hash_name(enum hash_alg alg);

/* The hash_alg of an EVP_MD / digest NID, or 0. */
enum hash_alg crypto_hash_from_nid(int nid);

/* 1 for MD2, MD4 and MD5 (digest NIDs): collisions are made at will
 * (RFC 6151, RFC 6150), so a signature over one proves nothing. SHA-1
 * is weak too, but CAs still sign with it, and a chosen-prefix
 * collision on a CA's own CRL or a signer's attributes is out of an
 * attacker's reach. */
int crypto_md_broken(int nid);

/* Hashes buf into out (HASH_MAX_LEN bytes); returns the length, 0 when
 * the algorithm is unavailable. */
size_t crypto_hash(enum hash_alg alg, const void *buf, size_t len,
		   uint8_t *out);

/* The subjectPublicKey BIT STRING octets of `cert`, which OCSP's
 * issuerKeyHash (RFC 6960 4.1.1) hashes. Pointer into the certificate. */
int crypto_spki_bits(X509 *cert, const uint8_t **out, size_t *out_len);

/* 1 when the CA certificate ca_der[0..ca_len) issued `cert` (names
 * chain, its key verifies the signature), else 0. Its signature fits
 * store_issuer_find's `fits`, with `cert` (an X509 *) as arg. */
int crypto_issued(const uint8_t *ca_der, size_t ca_len, void *cert);

/* Every certificate of a file: one DER certificate or a PEM bundle;
 * add(arg, cert) takes each over (0: out of memory). 1, or 0 with a
 * message. */
int crypto_load_bundle(const char *path, int (*add)(void *, X509 *), void *arg,
		       char *err, size_t errlen);

/* Base64 text (RFC 4648 4; white space skipped, "=" only at the end)
 * into a malloc'd *out (caller frees), possibly of length 0. With
 * `json`, the text is the inside of a JSON string, whose escapes \n,
 * \r, \t (white space) and \/ are read as what they stand for. 1, or 0
 * when it is not base64. */
int crypto_base64_decode(const void *in, size_t len, int json, uint8_t **out,
			 size_t *out_len);

/* The same decoding in pieces of some tens of KiB, each handed to
 * sink(arg, piece, n) (0 from it stops): for text too big to hold
 * decoded. 1, or 0 when it is not base64 or the sink stopped. */
int crypto_base64_stream(const void *in, size_t len, int json,
			 int (*sink)(void *arg, const uint8_t *piece, size_t n),
			 void *arg);

/* An ASN1_TIME as Unix seconds; 0 when it does not convert. */
int64_t crypto_time(const ASN1_TIME *t);

/* Reads a certificate, PEM or DER. NULL with a message on failure. */
X509 *crypto_load_cert(const char *path, char *err, size_t errlen);

#endif
