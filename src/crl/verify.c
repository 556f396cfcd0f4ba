/*
 * CRL issuer and signature checks. OpenSSL does the cryptography; we
 * decide which algorithm applies from the signatureAlgorithm we parsed,
 * because the bytes we verify are the tbsCertList as it stands in the
 * file, never a re-encoding.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"

#include "internal.h"

int
crl_check_issuer(const struct crl *crl, X509 *ca, struct crl_error *err)
{
	const unsigned char *p = crl->issuer;
	X509_NAME *name;
	const ASN1_OCTET_STRING *ski;
	int same;

	name = d2i_X509_NAME(NULL, &p, (long)crl->issuer_len);
	if (name == NULL)
		return crl_fail(err, "RFC 5280 5.1.2.3: issuer is not a Name");
	same = X509_NAME_cmp(name, X509_get_subject_name(ca)) == 0;
	X509_NAME_free(name);
	if (!same)
		return crl_fail(err,
				"RFC 5280 5.1.2.3: CRL issuer differs from "
				"the CA certificate's subject");
	ski = X509_get0_subject_key_id(ca);
	if (crl->aki != NULL && ski != NULL &&
	    ((size_t)ASN1_STRING_length(ski) != crl->aki_len ||
	     memcmp(ASN1_STRING_get0_data(ski), crl->aki, crl->aki_len) != 0))
		return crl_fail(err,
				"RFC 5280 5.2.1: CRL authorityKeyIdentifier "
				"differs from the CA's subjectKeyIdentifier");
	if ((X509_get_extension_flags(ca) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(ca) & KU_CRL_SIGN))
		return crl_fail(err,
				"RFC 5280 4.2.1.3: CA certificate keyUsage "
				"lacks cRLSign");
	return 1;
}

struct pss {
	const EVP_MD *md;
	const EVP_MD *mgf1;
	int salt;
};

/* RFC 4055 3.1: RSASSA-PSS-params, with their defaults (SHA-1, MGF1
 * with SHA-1, salt 20, trailer 1). */
static int
parse_pss(const X509_ALGOR *alg, struct pss *out, struct crl_error *err)
{
	RSA_PSS_PARAMS *pss = NULL;
	long salt = 20;
	int ok = 0;

	out->md = out->mgf1 = EVP_sha1();
	if (alg->parameter == NULL ||
	    (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
					     alg->parameter)) == NULL) {
		crl_fail(err, "RFC 4055 3.1: RSASSA-PSS parameters malformed");
		goto out;
	}
	if (pss->hashAlgorithm != NULL &&
	    (out->md = EVP_get_digestbyobj(pss->hashAlgorithm->algorithm)) ==
		NULL) {
		crl_fail(err, "RFC 4055 3.1: unsupported PSS hash");
		goto out;
	}
	if (pss->maskGenAlgorithm != NULL) {
		/* Unpacking leaves maskHash unset; RSA_PSS_PARAMS_free
		 * frees it. */
		pss->maskHash =
		    ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
					      pss->maskGenAlgorithm->parameter);
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
		    pss->maskHash == NULL ||
		    (out->mgf1 = EVP_get_digestbyobj(
			 pss->maskHash->algorithm)) == NULL) {
			crl_fail(err, "RFC 4055 3.1: unsupported PSS mask "
				      "generation");
			goto out;
		}
	}
	if (pss->saltLength != NULL &&
	    ((salt = ASN1_INTEGER_get(pss->saltLength)) < 0 || salt > 1024)) {
		crl_fail(err, "RFC 4055 3.1: PSS saltLength out of range");
		goto out;
	}
	if (pss->trailerField != NULL &&
	    ASN1_INTEGER_get(pss->trailerField) != 1) {
		crl_fail(err, "RFC 4055 3.1: PSS trailerField is not 1");
		goto out;
	}
	out->salt = (int)salt;
	ok = 1;
out:
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

/* The key's algorithm is the one the signature algorithm names. */
static int
key_matches(EVP_PKEY *key, int pk_nid)
{
	int id = EVP_PKEY_get_base_id(key);

	if (pk_nid == NID_rsaEncryption)
		return id == EVP_PKEY_RSA;
	return id == pk_nid;
}

int
crl_verify_signature(const struct crl *crl, EVP_PKEY *key,
		     struct crl_error *err)
{
	const unsigned char *p = crl->sigalg;
	X509_ALGOR *alg = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = NULL;
	struct pss pss = {NULL, NULL, 0};
	int nid, md_nid, pk_nid, ptype, ok = 0;
	char name[80];

	alg = d2i_X509_ALGOR(NULL, &p, (long)crl->sigalg_len);
	if (alg == NULL) {
		crl_fail(err, "RFC 5280 5.1.1.2: signatureAlgorithm malformed");
		goto out;
	}
	nid = OBJ_obj2nid(alg->algorithm);
	OBJ_obj2txt(name, sizeof(name), alg->algorithm, 0);
	if (nid == NID_rsassaPss) {
		pk_nid = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS
			     ? EVP_PKEY_RSA_PSS
			     : NID_rsaEncryption;
		md_nid = NID_undef;
	} else if (!OBJ_find_sigid_algs(nid, &md_nid, &pk_nid)) {
		crl_fail(err,
			 "RFC 5280 5.1.1.2: unsupported signature algorithm "
			 "%s",
			 name);
		goto out;
	} else {
		/* RFC 4055 5, RFC 5758 3.2, RFC 8410 3, RFC 9215: params
		 * absent, or NULL for RSA. XXX: NULL also tolerated for
		 * the others, as OpenSSL does. */
		X509_ALGOR_get0(NULL, &ptype, NULL, alg);
		if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
			crl_fail(err,
				 "RFC 5280 5.1.1.2: unexpected parameters "
				 "for %s",
				 name);
			goto out;
		}
	}
	if (!key_matches(key, pk_nid)) {
		crl_fail(err,
			 "RFC 5280 5.1.1.2: %s does not fit the CA's key "
			 "type",
			 name);
		goto out;
	}
	if (md_nid != NID_undef && (md = EVP_get_digestbynid(md_nid)) == NULL) {
		crl_fail(err,
			 "RFC 5280 5.1.1.2: digest of %s unavailable (GOST "
			 "needs the engine from libengine-gost-openssl)",
			 name);
		goto out;
	}
	if (nid == NID_rsassaPss) {
		if (!parse_pss(alg, &pss, err))
			goto out;
		md = pss.md;
	}
	if (md != NULL && crypto_md_broken(EVP_MD_get_type(md))) {
		crl_fail(err,
			 "RFC 6151: %s uses %s, whose collisions are known: "
			 "anyone could forge this CRL",
			 name, OBJ_nid2sn(EVP_MD_get_type(md)));
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) <= 0) {
		crl_fail(err,
			 "RFC 5280 5.1.1.3: cannot verify %s with the CA's "
			 "key",
			 name);
		goto out;
	}
	if (nid == NID_rsassaPss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pss.mgf1) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss.salt) <= 0)) {
		crl_fail(err,
			 "RFC 4055 3.1: PSS parameters rejected by the key");
		goto out;
	}
	if (EVP_DigestVerify(mctx, crl->sig, crl->sig_len, crl->tbs,
			     crl->tbs_len) != 1) {
		crl_fail(err, "RFC 5280 5.1.1.3: CRL signature does not verify "
			      "with the CA's key");
		goto out;
	}
	ok = 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	X509_ALGOR_free(alg);
	return ok;
}
