/*
 * A signature as clients send one: DER (BER from some producers: CMS
 * allows it, CryptoPro writes indefinite lengths), PEM ("CMS", "PKCS7",
 * "PKCS #7 SIGNED DATA"), or the base64 of the DER with line breaks.
 * Nothing may follow the CMS but white space. Every size is bounded
 * before OpenSSL sees it (limits.h).
 *
 * A DER SignedData is taken apart first (find_parts) and decoded
 * without what need not be copied or decoded again: with a cache
 * (cache.c), its certificates, added back from the cache; and, for the
 * caller who asks, its eContent, which is left where it stands in the
 * input (an attached document of 64 MiB is then held once).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "internal.h"
#include "otzyv/crypto.h"
#include "otzyv/der.h"
#include "otzyv/util.h"

/* Where the parts of a SignedData lie in its DER. */
struct split {
	struct der_tlv ci;     /* the ContentInfo */
	struct der_tlv type;   /* its contentType */
	struct der_tlv sd;     /* the SignedData SEQUENCE */
	struct der_tlv eci;    /* its encapContentInfo */
	struct der_tlv ectype; /* eContentType */
	struct der_tlv econt;  /* the eContent OCTET STRING (raw NULL: none) */
	struct der_tlv certs;  /* [0] certificates (raw NULL: none) */
	struct der_tlv cert[MAX_VERIFY_CERTS];
	size_t ncert;
};

/* Within sp->eci: eContentType and, when there is one, the eContent as
 * one primitive OCTET STRING (not BER pieces). 1 or 0. */
static int
find_content(const struct der_cursor *sd, struct split *sp)
{
	struct der_cursor e, x;
	struct der_tlv ctx0;
	int present;

	if (der_enter(sd, &sp->eci, &e) != DER_OK ||
	    der_expect(&e, DER_OID, &sp->ectype) != DER_OK ||
	    der_optional(&e, DER_CTX_CONS(0), &ctx0, &present) != DER_OK ||
	    der_finish(&e) != DER_OK)
		return 0;
	if (!present)
		return 1;
	return der_enter(&e, &ctx0, &x) == DER_OK &&
	       der_expect(&x, DER_OCTET_STRING, &sp->econt) == DER_OK &&
	       der_finish(&x) == DER_OK;
}

/*
 * Finds the parts of the ContentInfo at the start of buf when it is a
 * SignedData in plain DER (definite lengths, each certificate a
 * SEQUENCE: an X.509 certificate, not another CertificateChoices):
 * 1, or 0 when it is anything else (BER, another shape, too many
 * certificates: decoded whole, and refused there if it must be).
 */
static int
find_parts(const uint8_t *buf, size_t len, struct split *sp)
{
	struct der_cursor c, ci, ex, sd, cs;
	struct der_tlv ctx0, t;
	int present;

	memset(sp, 0, sizeof(*sp));
	der_init(&c, buf, len);
	if (der_expect(&c, DER_SEQUENCE, &sp->ci) != DER_OK ||
	    der_enter(&c, &sp->ci, &ci) != DER_OK ||
	    der_expect(&ci, DER_OID, &sp->type) != DER_OK ||
	    der_expect(&ci, DER_CTX_CONS(0), &ctx0) != DER_OK ||
	    der_finish(&ci) != DER_OK || der_enter(&ci, &ctx0, &ex) != DER_OK ||
	    der_expect(&ex, DER_SEQUENCE, &sp->sd) != DER_OK ||
	    der_finish(&ex) != DER_OK || der_enter(&ex, &sp->sd, &sd) != DER_OK)
		return 0;
	/* version, digestAlgorithms, encapContentInfo (RFC 5652 5.1) */
	if (der_expect(&sd, DER_INTEGER, &t) != DER_OK ||
	    der_expect(&sd, DER_SET, &t) != DER_OK ||
	    der_expect(&sd, DER_SEQUENCE, &sp->eci) != DER_OK ||
	    !find_content(&sd, sp) ||
	    der_optional(&sd, DER_CTX_CONS(0), &sp->certs, &present) != DER_OK)
		return 0;
	if (sp->certs.raw == NULL)
		return 1;
	if (der_enter(&sd, &sp->certs, &cs) != DER_OK)
		return 0;
	for (sp->ncert = 0; !der_at_end(&cs); sp->ncert++) {
		if (sp->ncert == MAX_VERIFY_CERTS ||
		    der_expect(&cs, DER_SEQUENCE, &sp->cert[sp->ncert]) !=
			DER_OK)
			return 0;
	}
	return 1;
}

/* Pieces of an encoding, copied in order. */
struct pieces {
	const uint8_t *p[4];
	size_t len[4];
	size_t n, total;
};

static void
piece(struct pieces *ps, const uint8_t *p, size_t len)
{
	ps->p[ps->n] = p;
	ps->len[ps->n++] = len;
	ps->total += len;
}

/*
 * The ContentInfo of sp again (malloc'd), without its eContent when
 * `cut_content` (the encapContentInfo keeps its eContentType: the
 * signature reads as detached) and without its certificates when
 * `cut_certs`; NULL when out of memory.
 */
static uint8_t *
rebuild(const struct split *sp, int cut_content, int cut_certs, size_t *out_len)
{
	const uint8_t *p = sp->sd.val, *end = sp->sd.val + sp->sd.len;
	uint8_t eci[16], *out, *q;
	struct pieces ps = {0};
	size_t eci_head = 0, sd_all, ex_all, ci_len, total, i;

	if (cut_content) {
		piece(&ps, p, (size_t)(sp->eci.raw - p));
		eci_head = der_put_head(eci, DER_SEQUENCE, sp->ectype.raw_len);
		piece(&ps, sp->ectype.raw, sp->ectype.raw_len);
		p = sp->eci.raw + sp->eci.raw_len;
	}
	if (cut_certs) {
		piece(&ps, p, (size_t)(sp->certs.raw - p));
		p = sp->certs.raw + sp->certs.raw_len;
	}
	piece(&ps, p, (size_t)(end - p));
	sd_all = der_put_head(NULL, DER_SEQUENCE, ps.total + eci_head) +
		 ps.total + eci_head;
	ex_all = der_put_head(NULL, DER_CTX_CONS(0), sd_all) + sd_all;
	ci_len = sp->type.raw_len + ex_all;
	total = der_put_head(NULL, DER_SEQUENCE, ci_len) + ci_len;
	if ((out = q = malloc(total)) == NULL)
		return NULL;
	q += der_put_head(q, DER_SEQUENCE, ci_len);
	memcpy(q, sp->type.raw, sp->type.raw_len);
	q += sp->type.raw_len;
	q += der_put_head(q, DER_CTX_CONS(0), sd_all);
	q += der_put_head(q, DER_SEQUENCE, ps.total + eci_head);
	for (i = 0; i < ps.n; i++) {
		/* The new encapContentInfo's head goes before its type. */
		if (cut_content && i == 1) {
			memcpy(q, eci, eci_head);
			q += eci_head;
		}
		memcpy(q, ps.p[i], ps.len[i]);
		q += ps.len[i];
	}
	*out_len = total;
	return out;
}

/*
 * The ContentInfo of sp decoded without the parts cut (see rebuild()),
 * the certificates then added from the cache: the same CMS as d2i of
 * the whole would give (a repeated certificate once), but for the
 * eContent, without decoding certificates seen before or copying the
 * content. NULL when any step fails.
 */
static CMS_ContentInfo *
decode_split(const struct split *sp, struct verify_cache *cache,
	     int cut_content)
{
	CMS_ContentInfo *cms = NULL;
	const unsigned char *p;
	uint8_t *der;
	size_t len, i;
	int cut_certs = cache != NULL && sp->certs.raw != NULL;
	X509 *x;

	if ((der = rebuild(sp, cut_content, cut_certs, &len)) == NULL)
		return NULL;
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL || p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto fail;
	for (i = 0; cut_certs && i < sp->ncert; i++) {
		if ((x = cache_cert(cache, sp->cert[i].raw,
				    sp->cert[i].raw_len)) == NULL)
			goto fail;
		/* A certificate already there is kept once; any other
		 * failure (memory) decodes the whole instead. */
		if (!CMS_add1_cert(cms, x) &&
		    ERR_GET_REASON(ERR_peek_last_error()) !=
			CMS_R_CERTIFICATE_ALREADY_PRESENT) {
			X509_free(x);
			goto fail;
		}
		ERR_clear_error();
		X509_free(x);
	}
	free(der);
	ERR_clear_error();
	return cms;
fail:
	free(der);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return NULL;
}

CMS_ContentInfo *
input_der(const uint8_t *buf, size_t len, struct verify_cache *cache,
	  struct der_tlv *content, size_t *used)
{
	const unsigned char *p = buf;
	struct split sp;
	CMS_ContentInfo *cms = NULL;
	int cut_content;

	if (content != NULL)
		memset(content, 0, sizeof(*content));
	if ((cache != NULL || content != NULL) && find_parts(buf, len, &sp)) {
		cut_content = content != NULL && sp.econt.raw != NULL;
		if ((cut_content || (cache != NULL && sp.certs.raw)) &&
		    (cms = decode_split(&sp, cache, cut_content)) != NULL) {
			*used = sp.ci.raw_len;
			if (cut_content)
				*content = sp.econt;
			return cms;
		}
	}
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) != NULL)
		*used = (size_t)(p - buf);
	return cms;
}

/* Exactly one BER/DER ContentInfo in buf[0..len), white space after. */
static CMS_ContentInfo *
from_der(const uint8_t *buf, size_t len, struct verify_cache *cache,
	 struct der_tlv *content, char *err, size_t errlen)
{
	CMS_ContentInfo *cms;
	size_t used = 0;

	cms = input_der(buf, len, cache, content, &used);
	if (cms == NULL) {
		unsigned long e = ERR_peek_last_error();

		snprintf(err, errlen,
			 "signature: not a CMS ContentInfo (RFC 5652 3): %s",
			 e ? ERR_reason_error_string(e) : "does not decode");
		return NULL;
	}
	if (!blank(buf + used, len - used)) {
		snprintf(err, errlen,
			 "signature: %zu bytes after the CMS ContentInfo",
			 len - used);
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/* One PEM block of a CMS label, only white space after its END line. */
static CMS_ContentInfo *
from_pem(const uint8_t *buf, size_t len, struct verify_cache *cache, char *err,
	 size_t errlen)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	char *name = NULL, *header = NULL, *rest = NULL;
	unsigned char *data = NULL;
	long dlen = 0, left;
	CMS_ContentInfo *cms = NULL;

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!PEM_read_bio(b, &name, &header, &data, &dlen)) {
		snprintf(err, errlen, "signature: malformed PEM (RFC 7468)");
		goto out;
	}
	if (strcmp(name, "CMS") != 0 && strcmp(name, "PKCS7") != 0 &&
	    strcmp(name, "PKCS #7 SIGNED DATA") != 0) {
		snprintf(err, errlen,
			 "signature: PEM label \"%.64s\" is not CMS or PKCS7 "
			 "(RFC 7468 9)",
			 name);
		goto out;
	}
	left = BIO_get_mem_data(b, &rest);
	if (left > 0 && !blank((uint8_t *)rest, (size_t)left)) {
		snprintf(err, errlen, "signature: text after the PEM block");
		goto out;
	}
	cms = from_der(data, (size_t)dlen, cache, NULL, err, errlen);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return cms;
}

int
input_check_signed(CMS_ContentInfo *cms, const char *what, char *err,
		   size_t errlen)
{
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509) * certs;
	int n;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		snprintf(err, errlen,
			 "%s: a CMS of another type than SignedData "
			 "(RFC 5652 5)",
			 what);
		return 0;
	}
	sis = CMS_get0_SignerInfos(cms);
	n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
	if (n <= 0) {
		snprintf(err, errlen, "%s: SignedData without a SignerInfo",
			 what);
		return 0;
	}
	if (n > MAX_VERIFY_SIGNERS) {
		snprintf(err, errlen,
			 "%s: %d SignerInfos, more than the %d allowed", what,
			 n, MAX_VERIFY_SIGNERS);
		return 0;
	}
	certs = CMS_get1_certs(cms);
	n = certs ? sk_X509_num(certs) : 0;
	sk_X509_pop_free(certs, X509_free);
	if (n > MAX_VERIFY_CERTS) {
		snprintf(err, errlen,
			 "%s: %d certificates, more than the %d allowed", what,
			 n, MAX_VERIFY_CERTS);
		return 0;
	}
	return 1;
}

CMS_ContentInfo *
input_decode(const uint8_t *buf, size_t len, struct verify_cache *cache,
	     struct der_tlv *content, char *err, size_t errlen)
{
	CMS_ContentInfo *cms = NULL;
	uint8_t *dec = NULL;
	size_t dlen, skip = 0;

	if (content != NULL)
		memset(content, 0, sizeof(*content));

	while (skip < len && blank(buf + skip, 1))
		skip++;
	buf += skip;
	len -= skip;
	if (len == 0) {
		snprintf(err, errlen, "signature: empty");
		return NULL;
	}
	if (len > MAX_VERIFY_INPUT) {
		snprintf(err, errlen,
			 "signature: %zu bytes, more than the %zu allowed", len,
			 MAX_VERIFY_INPUT);
		return NULL;
	}
	if (len >= 11 && memcmp(buf, "-----BEGIN ", 11) == 0) {
		cms = from_pem(buf, len, cache, err, errlen);
	} else if (buf[0] == 0x30) {
		cms = from_der(buf, len, cache, content, err, errlen);
	} else if (crypto_base64_decode(buf, len, 0, &dec, &dlen) && dlen > 0) {
		cms = from_der(dec, dlen, cache, NULL, err, errlen);
		free(dec);
	} else {
		free(dec);
		snprintf(err, errlen,
			 "signature: neither DER, PEM nor base64 (it starts "
			 "with 0x%02x)",
			 buf[0]);
	}
	ERR_clear_error();
	if (cms != NULL && !input_check_signed(cms, "signature", err, errlen)) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	if (cms == NULL && content != NULL)
		memset(content, 0, sizeof(*content));
	return cms;
}
