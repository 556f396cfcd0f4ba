/*
 * One SignerInfo (RFC 5652 5.3, 5.4, 5.6): the digest of the content
 * against the messageDigest attribute, the signature over the signed
 * attributes (or over the content when there are none), contentType,
 * and the ESS signing-certificate attributes of CAdES.
 *
 * OpenSSL does the signature arithmetic, except for EdDSA, which
 * OpenSSL 3.0's CMS cannot verify: RFC 8419 signs the DER of the signed
 * attributes (or the content) with "pure" Ed25519, done here with
 * EVP_DigestVerify over the attributes re-encoded in the order received,
 * as OpenSSL does for the other algorithms (CMS_Attributes_Verify).
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>

#include "otzyv/crypto.h"
#include "otzyv/der.h"

#include "internal.h"

/* Chunks written into a digest BIO: BIO_write takes an int. */
#define MD_CHUNK (1u << 30)

/* "sha256", "streebog256": the names otzyv prints everywhere. */
static const char *
md_name(const EVP_MD *md)
{
	enum hash_alg a = crypto_hash_from_nid(EVP_MD_get_type(md));

	return a ? crypto_hash_name(a) : OBJ_nid2sn(EVP_MD_get_type(md));
}

static int
is_eddsa(EVP_PKEY *pkey)
{
	int id = EVP_PKEY_get_id(pkey);

	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
}

/* Keys whose signature over a digest EVP_PKEY_verify can check when
 * only the digest is known (PKCS #1 v1.5, ECDSA, GOST R 34.10). */
static int
verifies_digest(EVP_PKEY *pkey, const X509_ALGOR *sigalg)
{
	const ASN1_OBJECT *obj;
	int id = EVP_PKEY_get_base_id(pkey);

	X509_ALGOR_get0(&obj, NULL, NULL, sigalg);
	if (OBJ_obj2nid(obj) == NID_rsassaPss)
		return 0;
	return id == EVP_PKEY_RSA || id == EVP_PKEY_EC ||
	       id == NID_id_GostR3410_2012_256 ||
	       id == NID_id_GostR3410_2012_512 || id == NID_id_GostR3410_2001;
}

/*
 * The signed attributes as the SET OF the signature covers (RFC 5652
 * 5.4: the DER with an explicit SET tag), each attribute encoded in the
 * order received. Returns a malloc'd buffer or NULL.
 */
static uint8_t *
signed_attrs_der(CMS_SignerInfo *si, size_t *out_len)
{
	int i, n = CMS_signed_get_attr_count(si), l;
	size_t total = 0, hdr;
	uint8_t *buf, *p;

	for (i = 0; i < n; i++) {
		if ((l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i),
					    NULL)) <= 0)
			return NULL;
		total += (size_t)l;
	}
	if (total > INT_MAX)
		return NULL;
	hdr = der_put_head(NULL, DER_SET, total);
	if ((buf = malloc(hdr + total)) == NULL)
		return NULL;
	p = buf + der_put_head(buf, DER_SET, total);
	for (i = 0; i < n; i++)
		i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &p);
	*out_len = hdr + total;
	return buf;
}

/* Pure EdDSA over msg (RFC 8032 as RFC 8419 uses it): 1 or 0. */
static int
eddsa_verify(EVP_PKEY *pkey, const ASN1_OCTET_STRING *sig, const uint8_t *msg,
	     size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL &&
	     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, ASN1_STRING_get0_data(sig),
			      (size_t)ASN1_STRING_length(sig), msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* No signed attributes, content known: the signature is over the
 * content itself (RFC 5652 5.4). 1 or 0. */
static int
verify_over_content(CMS_SignerInfo *si, EVP_PKEY *pkey, const EVP_MD *md,
		    const struct content *c)
{
	BIO *mdb = NULL, *sink = NULL;
	size_t off, n;
	int ok = 0;

	if (is_eddsa(pkey))
		return eddsa_verify(pkey, CMS_SignerInfo_get0_signature(si),
				    c->data, c->len);
	/* CMS_SignerInfo_verify_content() takes the digest from an md BIO
	 * of the signer's algorithm and knows the parameters of each
	 * signature algorithm (RSA-PSS). */
	if ((mdb = BIO_new(BIO_f_md())) == NULL ||
	    (sink = BIO_new(BIO_s_null())) == NULL || !BIO_set_md(mdb, md))
		goto out;
	BIO_push(mdb, sink);
	sink = NULL;
	for (off = 0; off < c->len; off += n) {
		n = c->len - off < MD_CHUNK ? c->len - off : MD_CHUNK;
		if (BIO_write(mdb, c->data + off, (int)n) != (int)n)
			goto out;
	}
	ok = CMS_SignerInfo_verify_content(si, mdb) == 1;
out:
	BIO_free_all(mdb);
	BIO_free(sink);
	return ok;
}

/* No signed attributes, only the digest known: 1, 0, or -1 when the
 * algorithm needs the content itself. */
static int
verify_over_digest(CMS_SignerInfo *si, EVP_PKEY *pkey, const X509_ALGOR *sigalg,
		   const EVP_MD *md, const uint8_t *digest, size_t dlen)
{
	EVP_PKEY_CTX *pc;
	const ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	int ok;

	if (!verifies_digest(pkey, sigalg))
		return -1;
	if ((pc = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
		return -1;
	ok =
	    EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
	    EVP_PKEY_verify(pc, ASN1_STRING_get0_data(sig),
			    (size_t)ASN1_STRING_length(sig), digest, dlen) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* The signature over the signed attributes: 1 or 0. */
static int
verify_attrs(CMS_SignerInfo *si, EVP_PKEY *pkey, const X509_ALGOR *sigalg)
{
	const ASN1_OBJECT *obj;
	uint8_t *der;
	size_t len;
	int ok;

	if (!is_eddsa(pkey))
		return CMS_SignerInfo_verify(si) == 1;
	X509_ALGOR_get0(&obj, NULL, NULL, sigalg);
	if (OBJ_obj2nid(obj) != EVP_PKEY_get_id(pkey))
		return 0;
	if ((der = signed_attrs_der(si, &len)) == NULL)
		return 0;
	ok = eddsa_verify(pkey, CMS_SignerInfo_get0_signature(si), der, len);
	free(der);
	return ok;
}

/* The digest under md of content known (held, or hashed before). */
static int
content_digest(const struct content *c, const EVP_MD *md, uint8_t *d,
	       unsigned int *dlen)
{
	size_t i;

	for (i = 0; c->hashed && i < c->npre; i++)
		if (EVP_MD_get_type(c->pre[i].md) == EVP_MD_get_type(md)) {
			memcpy(d, c->pre[i].d, c->pre[i].len);
			*dlen = c->pre[i].len;
			return 1;
		}
	if (c->hashed)
		return 0;
	return EVP_Digest(c->data ? c->data : (const uint8_t *)"", c->len, d,
			  dlen, md, NULL);
}

int
cms_check_signature(CMS_ContentInfo *cms, CMS_SignerInfo *si,
		    const struct content *c, int require_attrs,
		    struct findings *f)
{
	EVP_PKEY *pkey = NULL;
	X509 *signer = NULL;
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	const ASN1_OBJECT *dobj;
	const EVP_MD *md;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int have_digest = 0, content_ok = 1, sig_ok, nattrs;
	ASN1_OCTET_STRING *mdattr;
	ASN1_OBJECT *ctype;
	char name[80];

	CMS_SignerInfo_get0_algs(si, &pkey, &signer, &dig, &sigalg);
	if (signer == NULL || pkey == NULL) {
		findings_add(f, R_NO_SIGNER_CERTIFICATE,
			     "the signer's certificate is neither in the "
			     "signature nor among the given certificates");
		return -1;
	}
	X509_ALGOR_get0(&dobj, NULL, NULL, dig);
	if ((md = EVP_get_digestbyobj(dobj)) == NULL) {
		OBJ_obj2txt(name, sizeof(name), dobj, 0);
		findings_add(f, R_UNSUPPORTED_ALGORITHM,
			     "digest algorithm %s is not available", name);
		return -1;
	}
	if (crypto_md_broken(EVP_MD_get_type(md))) {
		findings_add(f, R_UNSUPPORTED_ALGORITHM,
			     "digest algorithm %s is broken (RFC 6151): it "
			     "proves nothing",
			     md_name(md));
		return -1;
	}
	if (c->data != NULL || c->dmd == NULL) {
		if (!content_digest(c, md, d, &dlen)) {
			findings_add(f, R_UNSUPPORTED_ALGORITHM,
				     "digest %s failed", md_name(md));
			return -1;
		}
		have_digest = 1;
	} else if (EVP_MD_get_type(md) != EVP_MD_get_type(c->dmd)) {
		findings_add(f, R_DIGEST_ALGORITHM_MISMATCH,
			     "the signer digests with %s, the digest given "
			     "is %s",
			     md_name(md), md_name(c->dmd));
	} else if (c->digest_len != (size_t)EVP_MD_get_size(md)) {
		findings_add(f, R_DIGEST_ALGORITHM_MISMATCH,
			     "a %s digest has %d octets, %zu given",
			     md_name(md), EVP_MD_get_size(md), c->digest_len);
	} else {
		memcpy(d, c->digest, c->digest_len);
		dlen = (unsigned int)c->digest_len;
		have_digest = 1;
	}

	nattrs = CMS_signed_get_attr_count(si);
	if (nattrs <= 0) {
		if (require_attrs) {
			findings_add(f, R_BAD_SIGNATURE,
				     "no signed attributes (RFC 5652 5.3: "
				     "required for this content type)");
			return 0;
		}
		if (c->data != NULL || (c->dmd == NULL && !c->hashed))
			sig_ok = verify_over_content(si, pkey, md, c);
		else if (!have_digest)
			return -1;
		else if ((sig_ok = verify_over_digest(si, pkey, sigalg, md, d,
						      dlen)) < 0) {
			X509_ALGOR_get0(&dobj, NULL, NULL, sigalg);
			OBJ_obj2txt(name, sizeof(name), dobj, 0);
			findings_add(f, R_CONTENT_REQUIRED,
				     "without signed attributes a %s "
				     "signature can only be checked over the "
				     "content itself",
				     name);
			ERR_clear_error();
			return -1;
		}
		ERR_clear_error();
		if (!sig_ok)
			findings_add(f, R_BAD_SIGNATURE,
				     "the signature over the content does "
				     "not verify with the signer's key");
		return sig_ok;
	}

	/* RFC 5652 5.3: exactly one messageDigest and one contentType,
	 * each with one value. */
	mdattr = CMS_signed_get0_data_by_OBJ(
	    si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	ctype = CMS_signed_get0_data_by_OBJ(
	    si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	if (mdattr == NULL) {
		findings_add(f, R_BAD_SIGNATURE,
			     "the signed attributes lack a single "
			     "messageDigest (RFC 5652 5.3, 11.2)");
		content_ok = 0;
	} else if (have_digest &&
		   ((size_t)ASN1_STRING_length(mdattr) != dlen ||
		    memcmp(ASN1_STRING_get0_data(mdattr), d, dlen) != 0)) {
		findings_add(f, R_CONTENT_MISMATCH,
			     "the %s digest of the content differs from the "
			     "signed messageDigest",
			     md_name(md));
		content_ok = 0;
	}
	if (ctype == NULL || OBJ_cmp(ctype, CMS_get0_eContentType(cms)) != 0) {
		findings_add(f, R_BAD_SIGNATURE,
			     "the contentType attribute %s the "
			     "eContentType (RFC 5652 11.1)",
			     ctype ? "differs from" : "is missing for");
		content_ok = 0;
	}
	sig_ok = verify_attrs(si, pkey, sigalg);
	ERR_clear_error();
	if (!sig_ok)
		findings_add(f, R_BAD_SIGNATURE,
			     "the signature over the signed attributes does "
			     "not verify with the signer's key");
	if (!sig_ok || !content_ok)
		return 0;
	return have_digest ? 1 : -1;
}

/* The single SEQUENCE value of signed attribute `nid`: 1 with *out
 * (NULL when absent), 0 when repeated or of another shape. */
static int
ess_attr(CMS_SignerInfo *si, int nid, const ASN1_STRING **out)
{
	*out = NULL;
	if (CMS_signed_get_attr_by_NID(si, nid, -1) < 0)
		return 1;
	*out = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3,
					   V_ASN1_SEQUENCE);
	return *out != NULL;
}

int
cms_check_ess(CMS_SignerInfo *si, STACK_OF(X509) * chain, int require,
	      struct findings *f)
{
	ESS_SIGNING_CERT *v1 = NULL;
	ESS_SIGNING_CERT_V2 *v2 = NULL;
	const ASN1_STRING *s1, *s2;
	const unsigned char *p;
	int ok;

	ok = ess_attr(si, NID_id_smime_aa_signingCertificate, &s1) &&
	     ess_attr(si, NID_id_smime_aa_signingCertificateV2, &s2);
	if (ok && s1 != NULL) {
		p = ASN1_STRING_get0_data(s1);
		v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(s1));
		ok = v1 != NULL &&
		     p == ASN1_STRING_get0_data(s1) + ASN1_STRING_length(s1);
	}
	if (ok && s2 != NULL) {
		p = ASN1_STRING_get0_data(s2);
		v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(s2));
		ok = v2 != NULL &&
		     p == ASN1_STRING_get0_data(s2) + ASN1_STRING_length(s2);
	}
	if (!ok) {
		findings_add(f, R_SIGNING_CERTIFICATE_MISMATCH,
			     "malformed or repeated signingCertificate "
			     "attribute (RFC 5035 5.4)");
	} else if (v1 == NULL && v2 == NULL) {
		if (require) {
			findings_add(f, R_SIGNING_CERTIFICATE_MISMATCH,
				     "no signingCertificate(V2) attribute "
				     "(RFC 3161 2.4.1, RFC 5816)");
			ok = 0;
		}
	} else if (OSSL_ESS_check_signing_certs(v1, v2, chain, require) <= 0) {
		findings_add(f, R_SIGNING_CERTIFICATE_MISMATCH,
			     "the signingCertificate%s attribute names "
			     "another certificate (RFC 5035 5.4)",
			     v2 ? "V2" : "");
		ok = 0;
	}
	ESS_SIGNING_CERT_free(v1);
	ESS_SIGNING_CERT_V2_free(v2);
	ERR_clear_error();
	return ok;
}

int
cms_signing_time(CMS_SignerInfo *si, int64_t *out)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	if (idx < 0 ||
	    CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, idx) >= 0)
		return 0;
	a = CMS_signed_get_attr(si, idx);
	if (X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL)
		return 0;
	if (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)
		return 0;
	*out = crypto_time((const ASN1_TIME *)t->value.utctime);
	return *out != 0;
}
