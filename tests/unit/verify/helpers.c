#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "otzyv/crypto.h"
#include "otzyv/der.h"
#include "otzyv/import.h"
#include "otzyv/util.h"

#include "common.h"
#include "helpers.h"

char *vt_dir;
struct store *vt_store;
int64_t vt_now;

static const char doc_text[] = "Договор поставки № 42\nthe document\n";

/* The verify PKI, generated once per test program into the test PKI's
 * folder by the first test to need it (tests run in parallel
 * processes: a lock file orders them). */
static void
vpki_ensure(void)
{
	const char *pki = test_pki();
	char lock[1024], done[1024];
	int fd;

	snprintf(lock, sizeof(lock), "%s/verify.lock", pki);
	snprintf(done, sizeof(done), "%s/verify.done", pki);
	fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	if (access(done, F_OK) != 0) {
		cr_assert_eq(run("sh '%s/data/mkverify.sh' '%s'",
				 env_path("TESTS_SRCDIR"), pki),
			     0, "tests/data/mkverify.sh failed");
		cr_assert(write_file(done, "", 0));
	}
	flock(fd, LOCK_UN);
	close(fd);
}

void
vt_setup(void)
{
	char err[256];

	cr_assert(crypto_init(GOST_YES, err, sizeof(err)), "%s", err);
	vpki_ensure();
	vt_dir = tmpdir_new("verify");
	cr_assert(write_file(vt_path("doc.txt"), doc_text, strlen(doc_text)));
	cr_assert_eq(store_open(vt_path("store"), 64u << 20, 1, &vt_store),
		     STORE_OK);
	vt_now = (int64_t)time(NULL);
}

void
vt_teardown(void)
{
	store_close(vt_store);
	vt_store = NULL;
	tmpdir_remove(vt_dir);
	vt_dir = NULL;
}

const char *
vt_pki(const char *name)
{
	return path_in(test_pki(), name);
}

const char *
vt_path(const char *name)
{
	return path_in(vt_dir, name);
}

const char *
vt_doc(void)
{
	static char doc[1024];

	snprintf(doc, sizeof(doc), "%s/doc.txt", vt_dir);
	return doc;
}

const char *
vt_t(int64_t t)
{
	static char bufs[4][32];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "@%lld", (long long)t);
	return b;
}

/* ALG's options of `openssl cms -sign`, after -signer and -inkey
 * (-keyopt applies to the signer before it). */
static const char *
sign_opts(const char *alg)
{
	if (strcmp(alg, "gost256") == 0)
		return "-engine gost";
	if (strcmp(alg, "gost512") == 0)
		return "-engine gost -md md_gost12_512";
	if (strcmp(alg, "rsapss") == 0)
		return "-keyopt rsa_padding_mode:pss -keyopt "
		       "rsa_pss_saltlen:32";
	return "";
}

const char *
vt_sign_as(const char *alg, const char *signer, const char *out,
	   const char *extra)
{
	char *pki = strdup(test_pki()), *dst = strdup(vt_path(out));

	cr_assert_eq(run("openssl cms -sign -binary -in '%s' "
			 "-signer '%s/%s.pem' -inkey '%s/%s.key' %s "
			 "-certfile '%s/%s-int.pem' -outform DER -out '%s' %s "
			 ">/dev/null 2>&1",
			 vt_doc(), pki, signer, pki, signer, sign_opts(alg),
			 pki, alg, dst, extra),
		     0, "openssl cms -sign %s (%s) %s", alg, signer, extra);
	free(pki);
	free(dst);
	return vt_path(out);
}

const char *
vt_sign(const char *alg, const char *out, const char *extra)
{
	char signer[64];

	snprintf(signer, sizeof(signer), "%s-signer", alg);
	return vt_sign_as(alg, signer, out, extra);
}

int
vt_have_gost(void)
{
	return run("openssl engine gost >/dev/null 2>&1") == 0;
}

static CMS_ContentInfo *
read_cms(const char *path)
{
	size_t len;
	uint8_t *buf = read_file(path, &len);
	const unsigned char *p = buf;
	CMS_ContentInfo *cms;

	cr_assert_not_null(buf, "%s", path);
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	cr_assert_not_null(cms, "%s", path);
	free(buf);
	return cms;
}

static void
write_cms(CMS_ContentInfo *cms, const char *path)
{
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);

	cr_assert(len > 0);
	cr_assert(write_file(path, der, (size_t)len));
	OPENSSL_free(der);
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	cr_assert_not_null(f, "%s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(k, "%s", path);
	return k;
}

/* The signed attributes of the first SignerInfo of the DER CMS buf, as
 * the signature covers them (RFC 5652 5.4: [0] IMPLICIT re-tagged as
 * SET), found with the strict DER reader: independent of the code
 * under test. */
static uint8_t *
attrs_to_sign(const uint8_t *buf, size_t len, size_t *out_len)
{
	struct der_cursor c, ci, x0, sd, sis, si;
	struct der_tlv t, u;
	uint8_t *out;

	der_init(&c, buf, len);
	cr_assert_eq(der_expect(&c, DER_SEQUENCE, &t), DER_OK);
	cr_assert_eq(der_enter(&c, &t, &ci), DER_OK);
	cr_assert_eq(der_expect(&ci, DER_OID, &u), DER_OK);
	cr_assert_eq(der_expect(&ci, DER_CTX_CONS(0), &t), DER_OK);
	cr_assert_eq(der_enter(&ci, &t, &x0), DER_OK);
	cr_assert_eq(der_expect(&x0, DER_SEQUENCE, &t), DER_OK);
	cr_assert_eq(der_enter(&x0, &t, &sd), DER_OK);
	cr_assert_eq(der_next(&sd, &u), DER_OK); /* version */
	cr_assert_eq(der_next(&sd, &u), DER_OK); /* digestAlgorithms */
	cr_assert_eq(der_next(&sd, &u), DER_OK); /* encapContentInfo */
	for (;;) {
		cr_assert_eq(der_next(&sd, &t), DER_OK);
		if (t.tag == DER_SET)
			break; /* certificates [0] and crls [1] skipped */
	}
	cr_assert_eq(der_enter(&sd, &t, &sis), DER_OK);
	cr_assert_eq(der_expect(&sis, DER_SEQUENCE, &t), DER_OK);
	cr_assert_eq(der_enter(&sis, &t, &si), DER_OK);
	cr_assert_eq(der_next(&si, &u), DER_OK); /* version */
	cr_assert_eq(der_next(&si, &u), DER_OK); /* sid */
	cr_assert_eq(der_next(&si, &u), DER_OK); /* digestAlgorithm */
	cr_assert_eq(der_expect(&si, DER_CTX_CONS(0), &t), DER_OK);
	out = malloc(t.raw_len);
	memcpy(out, t.raw, t.raw_len);
	out[0] = DER_SET;
	*out_len = t.raw_len;
	return out;
}

static void
eddsa_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig,
	   size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	cr_assert(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1);
	cr_assert(EVP_DigestSign(ctx, sig, siglen, msg, len) == 1);
	EVP_MD_CTX_free(ctx);
}

const char *
vt_sign_eddsa(const char *out, int attached, int noattr)
{
	X509 *cert = load_cert("ed25519-signer.pem");
	X509 *ca = load_cert("ed25519-int.pem");
	EVP_PKEY *key = read_key(vt_pki("ed25519-signer.key"));
	STACK_OF(X509) *certs = sk_X509_new_null();
	CMS_ContentInfo *cms, *cms2;
	CMS_SignerInfo *si;
	X509_ALGOR *sigalg;
	ASN1_OCTET_STRING **pos;
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	uint8_t md[64], sig[64], *der = NULL, *attrs;
	unsigned char *p;
	size_t siglen = sizeof(sig), alen;
	int len;

	sk_X509_push(certs, ca);
	cms =
	    CMS_sign(NULL, NULL, certs, NULL,
		     CMS_PARTIAL | CMS_BINARY | (attached ? 0 : CMS_DETACHED));
	cr_assert_not_null(cms);
	si = CMS_add1_signer(cms, cert, key, EVP_sha512(),
			     CMS_PARTIAL | CMS_BINARY |
				 (noattr ? CMS_NOATTR : CMS_NOSMIMECAP));
	cr_assert_not_null(si);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sigalg);
	X509_ALGOR_set0(sigalg, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, NULL);
	if (attached) {
		pos = CMS_get0_content(cms);
		cr_assert_not_null(pos);
		ASN1_OCTET_STRING_free(*pos);
		*pos = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(*pos, (const unsigned char *)doc_text,
				      (int)strlen(doc_text));
	}
	if (noattr) {
		eddsa_sign(key, (const uint8_t *)doc_text, strlen(doc_text),
			   sig, &siglen);
		ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig,
				(int)siglen);
		write_cms(cms, vt_path(out));
		goto done;
	}
	SHA512((const unsigned char *)doc_text, strlen(doc_text), md);
	cr_assert(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
					      V_ASN1_OBJECT,
					      OBJ_nid2obj(NID_pkcs7_data), -1));
	cr_assert(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
					      now->type, now, -1));
	cr_assert(CMS_signed_add1_attr_by_NID(
	    si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md, sizeof(md)));
	/* Encoded once, the attributes are in DER order; sign those. */
	cr_assert((len = i2d_CMS_ContentInfo(cms, &der)) > 0);
	attrs = attrs_to_sign(der, (size_t)len, &alen);
	eddsa_sign(key, attrs, alen, sig, &siglen);
	p = der;
	cms2 = d2i_CMS_ContentInfo(NULL, (const unsigned char **)&p, len);
	cr_assert_not_null(cms2);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms2), 0);
	ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen);
	write_cms(cms2, vt_path(out));
	CMS_ContentInfo_free(cms2);
	OPENSSL_free(der);
	free(attrs);
done:
	ASN1_TIME_free(now);
	CMS_ContentInfo_free(cms);
	sk_X509_free(certs);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	return vt_path(out);
}

void
vt_timestamp(const char *in, const char *out, int idx, int bad_imprint,
	     int64_t *t0, int64_t *t1)
{
	CMS_ContentInfo *cms = read_cms(in);
	CMS_SignerInfo *si =
	    sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), idx);
	const ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	uint8_t d[32], *tok;
	char hex[65], *pki = strdup(test_pki()), *q = strdup(vt_path("q.tsq"));
	char *tokp = strdup(vt_path("tok.der"));
	size_t toklen;

	cr_assert_not_null(si);
	SHA256(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), d);
	if (bad_imprint)
		d[0] ^= 0xff;
	hex_encode(d, sizeof(d), hex);
	cr_assert_eq(run("openssl ts -query -digest %s -sha256 -cert "
			 "-out '%s' 2>/dev/null",
			 hex, q),
		     0);
	/* The TSA's serial file is this test's own: tests run in parallel
	 * and `openssl ts` rewrites it. */
	cr_assert_eq(run("[ -f '%s/tsa.cnf' ] || { echo 01 > '%s/tsa-serial' "
			 "&& sed 's|^serial = .*|serial = %s/tsa-serial|' "
			 "'%s/tsa.cnf' > '%s/tsa.cnf'; }",
			 vt_dir, vt_dir, vt_dir, pki, vt_dir),
		     0);
	if (t0 != NULL)
		*t0 = (int64_t)time(NULL);
	cr_assert_eq(run("openssl ts -reply -config '%s/tsa.cnf' "
			 "-queryfile '%s' -token_out -out '%s' >/dev/null "
			 "2>&1",
			 vt_dir, q, tokp),
		     0, "openssl ts -reply");
	if (t1 != NULL)
		*t1 = (int64_t)time(NULL);
	tok = read_file(tokp, &toklen);
	cr_assert_not_null(tok);
	cr_assert(
	    CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
					  V_ASN1_SEQUENCE, tok, (int)toklen));
	write_cms(cms, out);
	free(tok);
	free(pki);
	free(q);
	free(tokp);
	CMS_ContentInfo_free(cms);
}

void
vt_corrupt_signature(const char *in, const char *out, int idx)
{
	CMS_ContentInfo *cms = read_cms(in);
	CMS_SignerInfo *si =
	    sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), idx);
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	size_t len = (size_t)ASN1_STRING_length(sig);
	uint8_t *buf = malloc(len);

	memcpy(buf, ASN1_STRING_get0_data(sig), len);
	buf[len / 2] ^= 0x01;
	ASN1_STRING_set(sig, buf, (int)len);
	write_cms(cms, out);
	free(buf);
	CMS_ContentInfo_free(cms);
}

void
vt_crl(const char *ca, int64_t now, const char *args)
{
	static unsigned number;
	struct import_opts io = {0};
	struct import_result res;
	char crl[1024], *pki = strdup(test_pki()), name[64];

	snprintf(crl, sizeof(crl), "%s/%s-%u.crl", vt_dir, ca, ++number);
	cr_assert_eq(run("'%s' --ca-cert '%s/%s.pem' --ca-key '%s/%s.key' "
			 "--number %u --out '%s' %s",
			 env_path("GENCRL"), pki, ca, pki, ca, number, crl,
			 args),
		     0, "gencrl %s %s", ca, args);
	snprintf(name, sizeof(name), "%s.pem", ca);
	io.issuer = load_cert(name);
	io.source = STORE_SRC_MANUAL;
	io.now = now;
	cr_assert_eq(import_crl_file(vt_store, crl, &io, &res), IMPORT_OK,
		     "import %s: %s", crl, res.msg);
	X509_free(io.issuer);
	free(pki);
}

void
vt_fresh(const char *alg, int64_t tu, int64_t now)
{
	char ca[64], args[128];

	snprintf(args, sizeof(args), "--this-update %s --next-update %s",
		 vt_t(tu), vt_t(tu + 86400));
	snprintf(ca, sizeof(ca), "%s-ca", alg);
	vt_crl(ca, now, args);
	snprintf(ca, sizeof(ca), "%s-int", alg);
	vt_crl(ca, now, args);
}

static size_t
load_list(const char *const *names, X509 **out)
{
	size_t n = 0;

	while (n < 4 && names[n] != NULL) {
		out[n] = load_cert(names[n]);
		n++;
	}
	return n;
}

/*
 * Every verification again through a cache (the caller's, or a new one
 * of vo's anchors), cold and then warm: the answer must be the same as
 * without one, to the byte.
 */
static void
same_with_cache(struct verify_opts *vo, const struct verify_input *in,
		struct verify_cache *given, enum verify_err want, json_t *doc)
{
	struct verify_cache *c =
	    given ? verify_cache_ref(given)
		  : verify_cache_new(vo->anchors, vo->nanchors);
	char err[512] = "", *a = NULL, *b;
	json_t *again;
	enum verify_err rc;
	int k;

	cr_assert_not_null(c);
	if (doc != NULL)
		a = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1));
	vo->cache = c;
	for (k = 0; k < 2; k++) {
		again = NULL;
		rc = verify_run(vt_store, vo, in, &again, err, sizeof(err));
		cr_assert_eq(rc, want, "with a %s cache: %d, want %d: %s",
			     k ? "warm" : "cold", rc, want, err);
		if (a != NULL) {
			b = json_dumps(again, JSON_SORT_KEYS | JSON_INDENT(1));
			cr_assert_str_eq(b, a, "with a %s cache",
					 k ? "warm" : "cold");
			free(b);
		}
		json_decref(again);
	}
	vo->cache = NULL;
	free(a);
	verify_cache_unref(c);
}

struct verify_cache *
vt_cache(const char *alg)
{
	char name[64];
	X509 *ca;
	struct verify_cache *c;

	snprintf(name, sizeof(name), "%s-ca.pem", alg);
	ca = load_cert(name);
	c = verify_cache_new(&ca, 1);
	cr_assert_not_null(c);
	X509_free(ca);
	return c;
}

json_t *
vt_verify(const char *alg, const char *sig, const struct vt_opts *o,
	  enum verify_err want)
{
	static const struct vt_opts none;
	struct verify_opts vo = {0};
	struct verify_input in = {0};
	X509 *anchors[4], *ints[4];
	char err[512] = "", def[64];
	const char *defs[2] = {def, NULL};
	uint8_t digest[HASH_MAX_LEN], *buf;
	size_t len, i;
	json_t *doc = NULL;
	enum verify_err rc;

	if (o == NULL)
		o = &none;
	snprintf(def, sizeof(def), "%s-ca.pem", alg);
	vo.nanchors = load_list(o->anchors[0] ? o->anchors : defs, anchors);
	vo.anchors = anchors;
	vo.nintermediates = load_list(o->intermediates, ints);
	vo.intermediates = ints;
	vo.now = o->now ? o->now : vt_now;
	vo.at = o->at;
	vo.trust_claimed_signing_time = o->trust_claimed;
	buf = read_file(sig, &len);
	cr_assert_not_null(buf, "%s", sig);
	in.sig = buf;
	in.sig_len = len;
	in.content_path = o->content;
	if (o->digest_alg) {
		in.digest_alg = o->digest_alg;
		in.digest_len = crypto_hash(o->digest_alg, doc_text,
					    strlen(doc_text), digest);
		cr_assert(in.digest_len > 0);
		if (o->wrong_digest)
			digest[0] ^= 1;
		in.digest = digest;
	}
	rc = verify_run(vt_store, &vo, &in, &doc, err, sizeof(err));
	if (doc != NULL && getenv("OTZYV_TEST_VERBOSE") != NULL)
		json_dumpf(doc, stderr, JSON_INDENT(2));
	cr_assert_eq(rc, want, "verify_run: %d, want %d: %s", rc, want, err);
	if (want == VERIFY_OK)
		cr_assert_not_null(doc);
	else
		cr_assert_null(doc);
	same_with_cache(&vo, &in, o->cache, rc, doc);
	for (i = 0; i < vo.nanchors; i++)
		X509_free(anchors[i]);
	for (i = 0; i < vo.nintermediates; i++)
		X509_free(ints[i]);
	free(buf);
	return doc;
}

const char *
vt_signer_str(json_t *doc, size_t i, const char *key)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "signers"), i), key));
}

int
vt_has_reason(json_t *doc, size_t i, const char *reason)
{
	json_t *arr = json_object_get(
	    json_array_get(json_object_get(doc, "signers"), i), "reasons");
	json_t *v;
	size_t k;

	json_array_foreach(
	    arr, k, v) if (strcmp(json_string_value(v), reason) == 0) return 1;
	return 0;
}
