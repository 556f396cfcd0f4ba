/*
 * The question of a status answer as clients put it: a certificate
 * (DER, PEM or base64) whose issuer and serial are found, or an issuer
 * named by id or key hash and a serial. Shared by `otzyv status` and
 * /v1/status so that both find the same issuer for the same input.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "otzyv/der.h"
#include "otzyv/crypto.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

enum store_err
status_issuer_of(struct store *s, X509 *cert, uint32_t *out_id)
{
	struct store_txn *t = NULL;
	unsigned char *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
	enum store_err e;

	*out_id = 0;
	if (name_len <= 0) {
		/* A certificate without an issuer Name has no stored CA. */
		ERR_clear_error();
		return STORE_OK;
	}
	if ((e = store_read_begin(s, &t)) != STORE_OK)
		goto out;
	e = store_issuer_find(t, name, (size_t)name_len,
			      aki ? ASN1_STRING_get0_data(aki) : NULL,
			      aki ? (size_t)ASN1_STRING_length(aki) : 0,
			      crypto_issued, cert, out_id);
	if (e == STORE_NOTFOUND) {
		*out_id = 0;
		e = STORE_OK;
	}
out:
	store_txn_end(t);
	OPENSSL_free(name);
	return e;
}

size_t
status_cert_serial(X509 *cert, uint8_t *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = i2d_ASN1_INTEGER(X509_get_serialNumber(cert), &der);
	struct der_cursor cur;
	struct der_tlv t;
	size_t len = 0;

	if (n > 0) {
		der_init(&cur, der, (size_t)n);
		if (der_next(&cur, &t) == DER_OK && t.len <= cap) {
			memcpy(out, t.val, t.len);
			len = t.len;
		}
	}
	OPENSSL_free(der);
	return len;
}

/* Exactly one DER certificate at buf[0..len). */
static X509 *
from_der(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x;

	if (len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != buf + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* One PEM certificate, text before its BEGIN line allowed (as openssl
 * writes it), only white space after its END line. */
static X509 *
from_pem(const uint8_t *buf, size_t len)
{
	BIO *b = len <= INT_MAX ? BIO_new_mem_buf(buf, (int)len) : NULL;
	X509 *x = NULL;
	char *rest = NULL;
	long left;

	if (b == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	left = BIO_get_mem_data(b, &rest);
	if (x != NULL && left > 0 && !blank((uint8_t *)rest, (size_t)left)) {
		X509_free(x);
		x = NULL;
	}
	BIO_free(b);
	return x;
}

X509 *
status_cert_decode(const uint8_t *buf, size_t len)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	X509 *x = NULL;

	if (len == 0)
		return NULL;
	if (buf[0] == 0x30)
		x = from_der(buf, len);
	else if (memmem(buf, len, "-----BEGIN", 10) != NULL)
		x = from_pem(buf, len);
	else if (crypto_base64_decode(buf, len, 0, &der, &der_len) &&
		 der_len > 0)
		x = from_der(der, der_len);
	/* Extensions that do not decode (OpenSSL decodes them on first
	 * use, leaving an error behind): not a certificate to answer
	 * for, its authority key identifier unknown. */
	if (x != NULL && (X509_get_extension_flags(x) & EXFLAG_INVALID)) {
		X509_free(x);
		x = NULL;
	}
	free(der);
	ERR_clear_error();
	return x;
}

/* ---- issuers by key hash ---------------------------------------------- */

struct status_key {
	uint32_t id;
	uint8_t sha1[20];
	uint8_t sha256[32];
};

struct status_keys {
	struct status_key *v;
	size_t n, cap;
	int failed; /* out of memory while collecting */
};

static int
collect(const struct store_issuer *is, void *arg)
{
	struct status_keys *k = arg;

	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct status_key *v = realloc(k->v, cap * sizeof(*v));

		if (v == NULL) {
			k->failed = 1;
			return 1;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n].id = is->id;
	memcpy(k->v[k->n].sha1, is->spki_sha1, 20);
	memcpy(k->v[k->n].sha256, is->spki_sha256, 32);
	k->n++;
	return 0;
}

static enum store_err
keys_load(struct store *s, struct status_keys **out)
{
	struct status_keys *k = calloc(1, sizeof(*k));
	struct store_txn *t = NULL;
	enum store_err e;

	if (k == NULL)
		return STORE_IO;
	if ((e = store_read_begin(s, &t)) == STORE_OK)
		e = store_issuer_foreach(t, collect, k);
	store_txn_end(t);
	if (e == STORE_OK && k->failed)
		e = STORE_IO;
	if (e != STORE_OK) {
		status_keys_free(k);
		return e;
	}
	*out = k;
	return STORE_OK;
}

void
status_keys_free(struct status_keys *k)
{
	if (k == NULL)
		return;
	free(k->v);
	free(k);
}

/* A decimal issuer id: 1 with *out set when `text` is one. */
static int
decimal_id(const char *text, uint32_t *out)
{
	uint64_t v = 0;
	size_t i, n = strlen(text);

	if (n == 0 || n > 10)
		return 0;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

enum store_err
status_issuer_parse(struct store *s, const char *text,
		    struct status_keys **keys, uint32_t *out_id)
{
	uint8_t h[33];
	long n;
	size_t i;
	enum store_err e;

	*out_id = 0;
	if (strlen(text) <= 10)
		return decimal_id(text, out_id) ? STORE_OK : STORE_INVALID;
	n = hex_decode(text, h, sizeof(h));
	if (n != 20 && n != 32)
		return STORE_INVALID;
	if (*keys == NULL && (e = keys_load(s, keys)) != STORE_OK)
		return e;
	/* Id order: the last match is the newest. */
	for (i = 0; i < (*keys)->n; i++) {
		const struct status_key *k = &(*keys)->v[i];

		if (n == 20 ? memcmp(k->sha1, h, 20) == 0
			    : memcmp(k->sha256, h, 32) == 0)
			*out_id = k->id;
	}
	return STORE_OK;
}
