/*
 * A signature as clients send one: DER (BER from some producers: CMS
 * allows it, CryptoPro writes indefinite lengths), PEM ("CMS", "PKCS7",
 * "PKCS #7 SIGNED DATA"), or the base64 of the DER with line breaks.
 * Nothing may follow the CMS but white space. Every size is bounded
 * before OpenSSL sees it (limits.h).
 *
 * With a cache (cache.c), the certificates of a DER SignedData are not
 * decoded again when seen before: the CMS is decoded without them and
 * they are added back from the cache.
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

/* The identifier and length octets of a DER TLV with `len` octets of
 * contents, written at p (when not NULL); their number. */
static size_t
put_head(uint8_t *p, uint8_t tag, size_t len)
{
	size_t n = 0, i;

	if (len < 0x80) {
		if (p != NULL) {
			p[0] = tag;
			p[1] = (uint8_t)len;
		}
		return 2;
	}
	for (i = len; i > 0; i >>= 8)
		n++;
	if (p != NULL) {
		p[0] = tag;
		p[1] = (uint8_t)(0x80 | n);
		for (i = 0; i < n; i++)
			p[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	}
	return 2 + n;
}

/* Where a SignedData's certificates lie in its DER. */
struct split {
	struct der_tlv ci;    /* the ContentInfo */
	struct der_tlv type;  /* its contentType */
	struct der_tlv sd;    /* the SignedData SEQUENCE */
	struct der_tlv certs; /* its [0] certificates */
	struct der_tlv cert[MAX_VERIFY_CERTS];
	size_t ncert;
};

/*
 * Finds the certificates of the ContentInfo at the start of buf when it
 * is plain DER (definite lengths) with only X.509 certificates among
 * them: 1, or 0 when it is anything else (BER, another shape, too many
 * certificates: decoded whole, and refused there if it must be).
 */
static int
find_certs(const uint8_t *buf, size_t len, struct split *sp)
{
	struct der_cursor c, ci, ex, sd, cs;
	struct der_tlv t, ctx0;
	int have = 0;

	der_init(&c, buf, len);
	if (der_expect(&c, DER_SEQUENCE, &sp->ci) != DER_OK ||
	    der_enter(&c, &sp->ci, &ci) != DER_OK ||
	    der_expect(&ci, DER_OID, &sp->type) != DER_OK ||
	    der_expect(&ci, DER_CTX_CONS(0), &ctx0) != DER_OK ||
	    der_finish(&ci) != DER_OK || der_enter(&ci, &ctx0, &ex) != DER_OK ||
	    der_expect(&ex, DER_SEQUENCE, &sp->sd) != DER_OK ||
	    der_finish(&ex) != DER_OK || der_enter(&ex, &sp->sd, &sd) != DER_OK)
		return 0;
	while (!der_at_end(&sd)) {
		if (der_next(&sd, &t) != DER_OK)
			return 0;
		if (t.tag == DER_CTX_CONS(0)) {
			sp->certs = t;
			have = 1;
			break;
		}
	}
	if (!have || der_enter(&sd, &sp->certs, &cs) != DER_OK)
		return 0;
	for (sp->ncert = 0; !der_at_end(&cs); sp->ncert++) {
		if (sp->ncert == MAX_VERIFY_CERTS ||
		    der_expect(&cs, DER_SEQUENCE, &sp->cert[sp->ncert]) !=
			DER_OK)
			return 0;
	}
	return 1;
}

/* The ContentInfo of sp without its certificates (malloc'd), or NULL. */
static uint8_t *
without_certs(const struct split *sp, size_t *out_len)
{
	size_t sd_len = sp->sd.len - sp->certs.raw_len;
	size_t sd_all = put_head(NULL, DER_SEQUENCE, sd_len) + sd_len;
	size_t ex_all = put_head(NULL, DER_CTX_CONS(0), sd_all) + sd_all;
	size_t ci_len = sp->type.raw_len + ex_all;
	size_t total = put_head(NULL, DER_SEQUENCE, ci_len) + ci_len;
	size_t before = (size_t)(sp->certs.raw - sp->sd.val);
	uint8_t *out = malloc(total), *p = out;

	if (out == NULL)
		return NULL;
	p += put_head(p, DER_SEQUENCE, ci_len);
	memcpy(p, sp->type.raw, sp->type.raw_len);
	p += sp->type.raw_len;
	p += put_head(p, DER_CTX_CONS(0), sd_all);
	p += put_head(p, DER_SEQUENCE, sd_len);
	memcpy(p, sp->sd.val, before);
	p += before;
	memcpy(p, sp->certs.raw + sp->certs.raw_len,
	       sp->sd.len - before - sp->certs.raw_len);
	*out_len = total;
	return out;
}

/*
 * The ContentInfo of sp decoded without its certificates, which are
 * then added from the cache: the same CMS as d2i of the whole would
 * give (a repeated certificate once), without decoding certificates
 * seen before. NULL when any step fails.
 */
static CMS_ContentInfo *
decode_split(const struct split *sp, struct verify_cache *cache)
{
	CMS_ContentInfo *cms = NULL;
	const unsigned char *p;
	uint8_t *der;
	size_t len, i;
	X509 *x;

	if ((der = without_certs(sp, &len)) == NULL)
		return NULL;
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL || p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto fail;
	for (i = 0; i < sp->ncert; i++) {
		if ((x = cache_cert(cache, sp->cert[i].raw,
				    sp->cert[i].raw_len)) == NULL)
			goto fail;
		/* 0 for a certificate already there: kept once. */
		CMS_add1_cert(cms, x);
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
	  size_t *used)
{
	const unsigned char *p = buf;
	struct split *sp;
	CMS_ContentInfo *cms = NULL;

	if (cache != NULL && (sp = malloc(sizeof(*sp))) != NULL) {
		if (find_certs(buf, len, sp) &&
		    (cms = decode_split(sp, cache)) != NULL)
			*used = sp->ci.raw_len;
		free(sp);
		if (cms != NULL)
			return cms;
	}
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) != NULL)
		*used = (size_t)(p - buf);
	return cms;
}

/* Exactly one BER/DER ContentInfo in buf[0..len), white space after. */
static CMS_ContentInfo *
from_der(const uint8_t *buf, size_t len, struct verify_cache *cache, char *err,
	 size_t errlen)
{
	CMS_ContentInfo *cms;
	size_t used = 0;

	cms = input_der(buf, len, cache, &used);
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
	cms = from_der(data, (size_t)dlen, cache, err, errlen);
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
	     char *err, size_t errlen)
{
	CMS_ContentInfo *cms = NULL;
	uint8_t *dec = NULL;
	size_t dlen, skip = 0;

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
		cms = from_der(buf, len, cache, err, errlen);
	} else if (crypto_base64_decode(buf, len, &dec, &dlen) && dlen > 0) {
		cms = from_der(dec, dlen, cache, err, errlen);
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
	return cms;
}
