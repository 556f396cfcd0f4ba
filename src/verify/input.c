/*
 * A signature as clients send one: DER (BER from some producers: CMS
 * allows it, CryptoPro writes indefinite lengths), PEM ("CMS", "PKCS7",
 * "PKCS #7 SIGNED DATA"), or the base64 of the DER with line breaks.
 * Nothing may follow the CMS but white space. Every size is bounded
 * before OpenSSL sees it (limits.h).
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
#include "otzyv/util.h"

/* Exactly one BER/DER ContentInfo in buf[0..len), white space after. */
static CMS_ContentInfo *
from_der(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	CMS_ContentInfo *cms;

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL) {
		unsigned long e = ERR_peek_last_error();

		snprintf(err, errlen,
			 "signature: not a CMS ContentInfo (RFC 5652 3): %s",
			 e ? ERR_reason_error_string(e) : "does not decode");
		return NULL;
	}
	if (!blank(p, len - (size_t)(p - buf))) {
		snprintf(err, errlen,
			 "signature: %zu bytes after the CMS ContentInfo",
			 len - (size_t)(p - buf));
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/* One PEM block of a CMS label, only white space after its END line. */
static CMS_ContentInfo *
from_pem(const uint8_t *buf, size_t len, char *err, size_t errlen)
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
	cms = from_der(data, (size_t)dlen, err, errlen);
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
input_decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
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
		cms = from_pem(buf, len, err, errlen);
	} else if (buf[0] == 0x30) {
		cms = from_der(buf, len, err, errlen);
	} else if (crypto_base64_decode(buf, len, &dec, &dlen) && dlen > 0) {
		cms = from_der(dec, dlen, err, errlen);
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
