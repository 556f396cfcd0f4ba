/*
 * OpenSSL and GOST engine set-up. OpenSSL 3 still ships GOST only as an
 * engine (libengine-gost-openssl); registering it as the default for all
 * methods makes d2i_X509, EVP_get_digestbynid and EVP_DigestVerify see
 * GOST keys and Streebog without any caller knowing about engines.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"

static int have_gost;

static int
load_gost(void)
{
	ENGINE *e;

	ENGINE_load_builtin_engines();
	e = ENGINE_by_id("gost");
	if (e == NULL)
		return 0;
	if (!ENGINE_init(e)) {
		ENGINE_free(e);
		return 0;
	}
	/* Only GOST's own algorithms: the engine is default just for the
	 * NIDs it implements, so RSA and ECDSA stay with the provider. */
	ENGINE_register_all_complete();
	ENGINE_set_default(e, ENGINE_METHOD_ALL & ~ENGINE_METHOD_RAND);
	ENGINE_finish(e);
	ENGINE_free(e);
	return 1;
}

int
crypto_init(enum gost_mode mode, char *err, size_t errlen)
{
	if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL)) {
		snprintf(err, errlen, "OpenSSL failed to initialise");
		return 0;
	}
	if (mode != GOST_NO && !have_gost)
		have_gost = load_gost();
	ERR_clear_error();
	if (mode == GOST_YES && !have_gost) {
		snprintf(err, errlen,
			 "[crypto] gost = yes but the GOST engine is not "
			 "available: install the Debian package "
			 "libengine-gost-openssl");
		return 0;
	}
	return 1;
}

int
crypto_have_gost(void)
{
	return have_gost;
}

const char *
crypto_hash_name(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1:
		return "sha1";
	case HASH_SHA256:
		return "sha256";
	case HASH_SHA384:
		return "sha384";
	case HASH_SHA512:
		return "sha512";
	case HASH_STREEBOG256:
		return "streebog256";
	case HASH_STREEBOG512:
		return "streebog512";
	case HASH_GOST94:
		return "gostr3411-94";
	}
	return "unknown";
}

static int
hash_nid(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1:
		return NID_sha1;
	case HASH_SHA256:
		return NID_sha256;
	case HASH_SHA384:
		return NID_sha384;
	case HASH_SHA512:
		return NID_sha512;
	case HASH_STREEBOG256:
		return NID_id_GostR3411_2012_256;
	case HASH_STREEBOG512:
		return NID_id_GostR3411_2012_512;
	case HASH_GOST94:
		return NID_id_GostR3411_94;
	}
	return NID_undef;
}

enum hash_alg
crypto_hash_from_nid(int nid)
{
	int a;

	for (a = HASH_FIRST; a <= HASH_LAST; a++)
		if (hash_nid((enum hash_alg)a) == nid)
			return (enum hash_alg)a;
	return 0;
}

int
crypto_md_broken(int nid)
{
	return nid == NID_md2 || nid == NID_md4 || nid == NID_md5;
}

const EVP_MD *
crypto_md(enum hash_alg alg)
{
	int nid = hash_nid(alg);

	if (nid == NID_undef)
		return NULL;
	if (alg >= HASH_STREEBOG256 && !have_gost)
		return NULL;
	return EVP_get_digestbynid(nid);
}

size_t
crypto_hash(enum hash_alg alg, const void *buf, size_t len, uint8_t *out)
{
	const EVP_MD *md = crypto_md(alg);
	unsigned int n = 0;

	if (md == NULL || EVP_MD_get_size(md) > HASH_MAX_LEN)
		return 0;
	if (!EVP_Digest(buf, len, out, &n, md, NULL)) {
		ERR_clear_error();
		return 0;
	}
	return n;
}

int
crypto_issued(const uint8_t *ca_der, size_t ca_len, void *cert)
{
	const unsigned char *p = ca_der;
	X509 *ca = d2i_X509(NULL, &p, (long)ca_len);
	int ok = ca != NULL && p == ca_der + ca_len &&
		 X509_check_issued(ca, cert) == X509_V_OK &&
		 X509_verify(cert, X509_get0_pubkey(ca)) == 1;

	X509_free(ca);
	ERR_clear_error();
	return ok;
}

int
crypto_spki_bits(X509 *cert, const uint8_t **out, size_t *out_len)
{
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);

	if (bits == NULL)
		return 0;
	*out = ASN1_STRING_get0_data(bits);
	*out_len = (size_t)ASN1_STRING_length(bits);
	return 1;
}

X509 *
crypto_load_cert(const char *path, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x = NULL;
	char head[11];
	int n;

	if (bio == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		ERR_clear_error();
		return NULL;
	}
	n = BIO_read(bio, head, sizeof(head) - 1);
	BIO_reset(bio);
	if (n > 0 && memchr(head, '-', (size_t)n) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	else
		x = d2i_X509_bio(bio, NULL);
	BIO_free(bio);
	if (x == NULL) {
		unsigned long e = ERR_peek_last_error();

		snprintf(err, errlen, "%s: not a certificate (PEM or DER)%s%s",
			 path, e ? ": " : "",
			 e ? ERR_reason_error_string(e) : "");
	}
	ERR_clear_error();
	return x;
}

int64_t
crypto_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

int
crypto_load_bundle(const char *path, int (*add)(void *, X509 *), void *arg,
		   char *err, size_t errlen)
{
	BIO *bio;
	X509 *x;
	int n = 0;

	/* One DER certificate, or any number of PEM ones. */
	if ((x = crypto_load_cert(path, err, errlen)) == NULL)
		return 0;
	X509_free(x);
	if ((bio = BIO_new_file(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		ERR_clear_error();
		return 0;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!add(arg, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: out of memory", path);
			n = -1;
			break;
		}
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0) { /* DER */
		if ((x = crypto_load_cert(path, err, errlen)) == NULL)
			return 0;
		if (!add(arg, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: out of memory", path);
			return 0;
		}
		n = 1;
	}
	return n > 0;
}

/* What each octet is in RFC 4648 4 text: not base64, of the alphabet,
 * white space (SP, HT, CR, LF, skipped anywhere), or the pad '='. */
enum { B64_BAD, B64_DIGIT, B64_SPACE, B64_PAD };
static const uint8_t b64_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The significant characters gathered, a whole number of quads, into
 * octets for the sink; `pad` of the last quad's 3 octets are not data.
 * 1, or 0 when OpenSSL refused them or the sink stopped. */
static int
b64_flush(const uint8_t *quads, size_t n, int pad, uint8_t *out,
	  int (*sink)(void *arg, const uint8_t *piece, size_t n), void *arg)
{
	int k = EVP_DecodeBlock(out, quads, (int)n);

	if (k < pad)
		return 0;
	return k == pad || sink(arg, out, (size_t)(k - pad));
}

/*
 * Strict by a table of its own: '=' only as the last one or two
 * significant characters, a whole number of quads. (OpenSSL's
 * EVP_DecodeUpdate alone would take "-" as the end of the data and the
 * rest of its input as nothing, and count padding per call; it is also
 * several times slower than EVP_DecodeBlock, which is given only
 * whole quads of the alphabet here.)
 */
int
crypto_base64_stream(const void *in, size_t len, int json,
		     int (*sink)(void *arg, const uint8_t *piece, size_t n),
		     void *arg)
{
	enum { QUADS = 16 * 1024 }; /* characters per piece, 4 | QUADS */
	const uint8_t *p = in;
	uint8_t q[QUADS + 4], out[(QUADS + 4) / 4 * 3], c;
	size_t i, k = 0;
	int pad = 0;

	for (i = 0; i < len; i++) {
		/* Most text is long runs of the alphabet alone: those
		 * whole quads go to OpenSSL from where they are. */
		if (k == 0 && pad == 0) {
			size_t run = 0, max = len - i < QUADS ? len - i : QUADS;

			while (run < max && b64_class[p[i + run]] == B64_DIGIT)
				run++;
			run -= run % 4;
			if (run > 0) {
				if (!b64_flush(p + i, run, 0, out, sink, arg))
					return 0;
				i += run - 1;
				continue;
			}
		}
		c = p[i];
		if (c == '\\' && json) {
			/* JSON text: base64 broken into lines, or with its
			 * solidus escaped, as some encoders write it. */
			c = ++i < len ? p[i] : 0;
			if (c == 'n' || c == 'r' || c == 't')
				continue;
			if (c != '/')
				return 0;
		}
		switch (b64_class[c]) {
		case B64_SPACE:
			continue;
		case B64_DIGIT:
			if (pad != 0)
				return 0;
			break;
		case B64_PAD:
			if (++pad > 2)
				return 0;
			break;
		default:
			return 0;
		}
		q[k++] = c;
		/* A piece ends on a quad with no '=': one with padding
		 * can only be the last. */
		if (k == QUADS && pad == 0) {
			if (!b64_flush(q, k, 0, out, sink, arg))
				return 0;
			k = 0;
		}
	}
	return k % 4 == 0 && b64_flush(q, k, pad, out, sink, arg);
}

/* A buffer that base64 pieces are appended to. */
struct b64_buf {
	uint8_t *p;
	size_t len, cap;
};

static int
b64_append(void *arg, const uint8_t *piece, size_t n)
{
	struct b64_buf *b = arg;

	if (n > b->cap - b->len)
		return 0;
	memcpy(b->p + b->len, piece, n);
	b->len += n;
	return 1;
}

int
crypto_base64_decode(const void *in, size_t len, int json, uint8_t **out,
		     size_t *out_len)
{
	struct b64_buf b = {NULL, 0, len / 4 * 3 + 4};

	*out = NULL;
	*out_len = 0;
	if ((b.p = malloc(b.cap)) == NULL ||
	    !crypto_base64_stream(in, len, json, b64_append, &b)) {
		free(b.p);
		return 0;
	}
	*out = b.p;
	*out_len = b.len;
	return 1;
}
