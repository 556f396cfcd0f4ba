/*
 * OCSP responder keys and signed responses. OpenSSL's OCSP API builds
 * the BasicOCSPResponse; the CertIDs are decoded from the request's own
 * bytes so that the response echoes them exactly (RFC 6960 4.2.1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "otzyv/crl.h"
#include "otzyv/ocsp.h"

struct ocsp_signer {
	X509 *cert;
	EVP_PKEY *key;
	const EVP_MD *md; /* NULL for Ed25519 */
	int pss;
	/* Initialised once for this key; each signature works on a copy
	 * (copying is a read of the template, so threads may share it). */
	EVP_MD_CTX *tmpl;
	uint64_t tag; /* SHA-256 prefix of the certificate */
};

void
ocsp_signer_free(struct ocsp_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	EVP_MD_CTX_free(s->tmpl);
	free(s);
}

static EVP_PKEY *
load_key(const char *path, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "rb");
	EVP_PKEY *k = NULL;

	if (bio == NULL) {
		snprintf(err, errlen, "%s: cannot open the key", path);
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (k == NULL) {
		BIO_reset(bio);
		k = d2i_PrivateKey_bio(bio, NULL);
	}
	BIO_free(bio);
	if (k == NULL)
		snprintf(err, errlen,
			 "%s: not a private key (PEM or DER; a GOST key needs "
			 "libengine-gost-openssl)",
			 path);
	ERR_clear_error();
	return k;
}

/* The digest a key signs with. */
static int
pick_md(struct ocsp_signer *s)
{
	int id = EVP_PKEY_get_base_id(s->key);

	switch (id) {
	case EVP_PKEY_RSA:
		s->md = EVP_sha256();
		return 1;
	case EVP_PKEY_RSA_PSS:
		s->md = EVP_sha256();
		s->pss = 1;
		return 1;
	case EVP_PKEY_EC:
		s->md = EVP_PKEY_get_bits(s->key) > 256 ? EVP_sha384()
							: EVP_sha256();
		return 1;
	case EVP_PKEY_ED25519:
		s->md = NULL;
		return 1;
	case NID_id_GostR3410_2012_256:
		s->md = crypto_md(HASH_STREEBOG256);
		return s->md != NULL;
	case NID_id_GostR3410_2012_512:
		s->md = crypto_md(HASH_STREEBOG512);
		return s->md != NULL;
	}
	return 0;
}

/* A digest-sign context for the key, PSS parameters set. 1 or 0. */
static int
sign_init(const struct ocsp_signer *s, EVP_MD_CTX *mctx)
{
	EVP_PKEY_CTX *pctx = NULL;

	if (EVP_DigestSignInit(mctx, &pctx, s->md, NULL, s->key) <= 0)
		return 0;
	if (s->pss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <=
		 0))
		return 0;
	return 1;
}

struct ocsp_signer *
ocsp_signer_load(const char *cert_path, const char *key_path, char *err,
		 size_t errlen)
{
	struct ocsp_signer *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->cert = crypto_load_cert(cert_path, err, errlen)) == NULL ||
	    (s->key = load_key(key_path, err, errlen)) == NULL)
		goto fail;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		snprintf(err, errlen, "%s: the key does not match %s", key_path,
			 cert_path);
		goto fail;
	}
	if (!pick_md(s) || (s->tmpl = EVP_MD_CTX_new()) == NULL ||
	    !sign_init(s, s->tmpl)) {
		snprintf(err, errlen, "%s: unsupported key type for signing",
			 key_path);
		goto fail;
	}
	{
		uint8_t md[32];
		unsigned char *der = NULL;
		int len = i2d_X509(s->cert, &der);

		if (len > 0 && crypto_hash(HASH_SHA256, der, (size_t)len, md))
			memcpy(&s->tag, md, sizeof(s->tag));
		OPENSSL_free(der);
	}
	ERR_clear_error();
	return s;
fail:
	ERR_clear_error();
	ocsp_signer_free(s);
	return NULL;
}

uint64_t
ocsp_signer_tag(const struct ocsp_signer *s)
{
	return s->tag;
}

int
ocsp_signer_check_delegated(const struct ocsp_signer *s, X509 *ca, char *err,
			    size_t errlen)
{
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	int ok = 0;

	if (X509_check_issued(ca, s->cert) != X509_V_OK || ca_key == NULL ||
	    X509_verify(s->cert, ca_key) != 1)
		snprintf(err, errlen,
			 "RFC 6960 4.2.2.2: the responder certificate is not "
			 "issued by its CA");
	else if (!(X509_get_extension_flags(s->cert) & EXFLAG_XKUSAGE) ||
		 !(X509_get_extended_key_usage(s->cert) & XKU_OCSP_SIGN))
		snprintf(err, errlen,
			 "RFC 6960 4.2.2.2: the responder certificate lacks "
			 "id-kp-OCSPSigning");
	else
		ok = 1;
	ERR_clear_error();
	return ok;
}

static int
add_single(OCSP_BASICRESP *bs, const struct ocsp_single *one)
{
	const unsigned char *p = one->id->raw;
	OCSP_CERTID *cid = d2i_OCSP_CERTID(NULL, &p, (long)one->id->raw_len);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int status = one->status == OCSP_CERT_GOOD ? V_OCSP_CERTSTATUS_GOOD
		     : one->status == OCSP_CERT_REVOKED
			 ? V_OCSP_CERTSTATUS_REVOKED
			 : V_OCSP_CERTSTATUS_UNKNOWN;
	int ok = 0;

	if (cid == NULL)
		goto out;
	thisupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)one->this_update);
	if (one->next_update != 0)
		nextupd =
		    ASN1_GENERALIZEDTIME_set(NULL, (time_t)one->next_update);
	if (one->status == OCSP_CERT_REVOKED)
		rev = ASN1_GENERALIZEDTIME_set(NULL, (time_t)one->revoked_at);
	if (thisupd == NULL || (one->next_update && nextupd == NULL) ||
	    (one->status == OCSP_CERT_REVOKED && rev == NULL))
		goto out;
	ok = OCSP_basic_add1_status(bs, cid, status,
				    one->reason == CRL_REASON_ABSENT
					? OCSP_REVOKED_STATUS_NOSTATUS
					: one->reason,
				    rev, thisupd, nextupd) != NULL;
out:
	OCSP_CERTID_free(cid);
	ASN1_GENERALIZEDTIME_free(rev);
	ASN1_GENERALIZEDTIME_free(thisupd);
	ASN1_GENERALIZEDTIME_free(nextupd);
	return ok;
}

/* RFC 8954: the response carries the request's nonce extension value. */
static int
add_nonce(OCSP_BASICRESP *bs, const uint8_t *nonce, size_t len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (os != NULL && ASN1_OCTET_STRING_set(os, nonce, (int)len) &&
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0,
						os)) != NULL)
		ok = OCSP_BASICRESP_add_ext(bs, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

int
ocsp_response_sign(const struct ocsp_signer *s,
		   const struct ocsp_single *singles, size_t n,
		   const uint8_t *nonce, size_t nonce_len, uint8_t **out,
		   size_t *out_len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t i;
	int len, ok = 0;

	if (bs == NULL || mctx == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (!add_single(bs, &singles[i]))
			goto out;
	if (nonce != NULL && !add_nonce(bs, nonce, nonce_len))
		goto out;
	if (!EVP_MD_CTX_copy_ex(mctx, s->tmpl) && !sign_init(s, mctx))
		goto out;
	/* RFC 6960 4.2.2.3: ResponderID byKey; the certificate included so
	 * that clients can check a delegated responder. */
	if (!OCSP_basic_sign_ctx(bs, s->cert, mctx, NULL, OCSP_RESPID_KEY))
		goto out;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
					 bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0)
		goto out;
	*out = der;
	*out_len = (size_t)len;
	der = NULL;
	ok = 1;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	EVP_MD_CTX_free(mctx);
	OCSP_BASICRESP_free(bs);
	return ok;
}
