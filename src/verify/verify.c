/*
 * verify_run(): the order of the checks for each SignerInfo.
 *
 *   1. signature and content (cms.c);
 *   2. the signature timestamp, if any (tsp.c), which may give T;
 *   3. T (verify.h: given > timestamp > trusted claim > now);
 *   4. the signer's path at T (chain.c), its keyUsage, and the ESS
 *      signing-certificate attributes against that path;
 *   5. revocation at T of every certificate of the path (revocation.c).
 *
 * Every check runs whatever the earlier ones found, so that the answer
 * lists every reason; the verdict is the worst of them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"

#include "internal.h"

struct run {
	const struct verify_opts *o;
	CMS_ContentInfo *cms;
	struct content c;
	uint8_t *decoded;     /* base64 content decoded, when held */
	struct der_tlv econt; /* an attached eContent left in the input */
	struct chain_ctx cx;
};

/* RFC 5280 4.2.1.3: a key that signs documents has digitalSignature or
 * nonRepudiation (contentCommitment) when keyUsage is present. */
/* Whether every purpose of `eku` binds the key to another protocol
 * than signing documents: time-stamping, OCSP signing. */
static int
other_protocols_only(EXTENDED_KEY_USAGE *eku)
{
	int i, nid;

	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		if (nid != NID_time_stamp && nid != NID_OCSP_sign)
			return 0;
	}
	return i > 0;
}

static void
check_key_usage(X509 *x, struct findings *f)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = 0;

	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(x) &
	      (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		findings_add(f, R_BAD_KEY_USAGE,
			     "the signer certificate's keyUsage allows neither "
			     "digitalSignature nor nonRepudiation (RFC 5280 "
			     "4.2.1.3)");
	/* A critical extendedKeyUsage binds the key to its purposes (RFC
	 * 5280 4.2.1.12); a TSA's (RFC 3161 2.3) or an OCSP responder's
	 * signs tokens and responses, not documents. OpenSSL's cached
	 * purposes settle most certificates without decoding the
	 * extension; only its own OIDs need a look. */
	if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) ||
	    (X509_get_extended_key_usage(x) & ~(XKU_TIMESTAMP | XKU_OCSP_SIGN)))
		return;
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (crit == 1 && eku != NULL && other_protocols_only(eku))
		findings_add(f, R_BAD_KEY_USAGE,
			     "the signer certificate's critical "
			     "extendedKeyUsage is for time-stamping or OCSP "
			     "signing only (RFC 5280 4.2.1.12)");
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
}

/* What the SignerInfo says of its signer when no certificate matched. */
static void
sid_json(CMS_SignerInfo *si, json_t *o)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	unsigned char *der = NULL;
	uint8_t buf[MAX_SERIAL_LEN];
	char hex[2 * MAX_SERIAL_LEN + 2];
	int n;

	if (!CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno))
		return;
	if (issuer != NULL)
		json_object_set_new(o, "issuer", report_name(issuer));
	if (sno != NULL && (n = i2d_ASN1_INTEGER(sno, &der)) > 2 &&
	    (size_t)n - 2 <= sizeof(buf) && der[1] < 0x80) {
		memcpy(buf, der + 2, (size_t)n - 2);
		json_object_set_new(
		    o, "serial",
		    json_string(status_serial_format(buf, (size_t)n - 2, hex)));
	}
	OPENSSL_free(der);
	ERR_clear_error();
}

static json_t *
timestamp_json(const struct tsp_result *ts)
{
	json_t *o = json_object();

	json_object_set_new(o, "verified", json_boolean(ts->ok));
	json_object_set_new(
	    o, "time", ts->gen_time ? report_time(ts->gen_time) : json_null());
	if (ts->tsa != NULL)
		json_object_set_new(
		    o, "tsa", report_name(X509_get_subject_name(ts->tsa)));
	if (ts->policy[0] != '\0')
		json_object_set_new(o, "policy", json_string(ts->policy));
	json_object_set_new(o, "chain", json_incref(ts->chain));
	return o;
}

static json_t *
qualified_json(enum status_qualified q)
{
	switch (q) {
	case QUALIFIED_YES:
		return json_true();
	case QUALIFIED_NO:
		return json_false();
	default:
		return json_null();
	}
}

/* One signer's answer into *out (NULL with an error). */
static enum verify_err
check_signer(struct run *r, struct store *s, CMS_SignerInfo *si, json_t **out,
	     enum verdict *out_v, char *err, size_t errlen)
{
	const struct verify_opts *o = r->o;
	struct findings f = {0};
	struct tsp_result ts = {0};
	struct revocation_ctx rc = {0};
	STACK_OF(X509) *chain = NULL;
	enum status_qualified q = QUALIFIED_NULL;
	enum store_err e;
	enum verify_err ve = VERIFY_OK;
	X509 *signer = NULL;
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *dobj;
	json_t *js = NULL, *chainj = json_array();
	const char *src;
	int64_t claimed = 0, t;
	int sig, has_claimed, trust_claim, t_is_now = 0;
	size_t i;

	*out = NULL;
	/* RFC 5652 5.3: content of another type than id-data is signed
	 * through signed attributes only (they bind its type). */
	sig = cms_check_signature(
	    r->cms, si, &r->c,
	    OBJ_obj2nid(CMS_get0_eContentType(r->cms)) != NID_pkcs7_data, &f);
	CMS_SignerInfo_get0_algs(si, NULL, &signer, &dig, NULL);
	has_claimed = cms_signing_time(si, &claimed);
	trust_claim = has_claimed && o->trust_claimed_signing_time;
	if (trust_claim && claimed > o->now + VERIFY_CLOCK_SLACK) {
		findings_add(&f, R_COUNT,
			     "the claimed signingTime lies in the future: "
			     "not trusted");
		trust_claim = 0;
	}
	if ((e = tsp_check(si, &r->cx, o, &ts)) != STORE_OK)
		goto store_fail;
	if (ts.present) {
		f.reasons |= ts.f.reasons;
		for (i = 0; i < ts.f.ndetail; i++)
			findings_add(&f, R_COUNT, "%s", ts.f.detail[i]);
	}

	if (o->at != 0) {
		t = o->at;
		src = "given";
	} else if (ts.present && ts.ok) {
		t = ts.gen_time;
		src = "timestamp";
	} else if (trust_claim) {
		t = claimed;
		src = "claimed";
	} else {
		t = o->now;
		t_is_now = 1;
		src = has_claimed ? "claimed" : "none";
	}

	/* A moment not in the past is asked about as "now": the current
	 * CRL answers it, as it does OCSP. */
	if (t >= o->now)
		t_is_now = 1;

	if (signer != NULL) {
		chain = chain_validate(&r->cx, signer, t, 0, &f, &e);
		if (e != STORE_OK)
			goto store_fail;
		check_key_usage(signer, &f);
	}
	/* Never "valid" without a validated path, whatever failed on the
	 * way (memory, a library failure) without a reason of its own. */
	if (chain == NULL && findings_verdict(&f) == V_VALID)
		findings_add(&f, R_UNTRUSTED_CHAIN,
			     "no validated path (out of memory or a library "
			     "failure)");
	if (chain != NULL) {
		cms_check_ess(si, chain, 0, &f);
		rc.store = s;
		rc.t = t;
		rc.t_is_now = t_is_now;
		rc.now = o->now;
		rc.stale_grace = o->stale_grace;
		rc.cautionary = o->cautionary;
		if ((e = revocation_check(&rc, chain, chainj, &f, &q)) !=
		    STORE_OK)
			goto store_fail;
	}

	*out_v = findings_verdict(&f);
	js = json_object();
	json_object_set_new(js, "verdict", json_string(verdict_name(*out_v)));
	json_object_set_new(js, "reasons", report_reasons(&f));
	json_object_set_new(js, "details", report_details(&f));
	if (signer != NULL) {
		json_object_set_new(js, "subject",
				    report_name(X509_get_subject_name(signer)));
		json_object_set_new(js, "issuer",
				    report_name(X509_get_issuer_name(signer)));
		json_object_set_new(js, "serial", report_serial(signer));
	} else {
		json_object_set_new(js, "subject", json_null());
		sid_json(si, js);
	}
	if (strcmp(src, "none") == 0)
		json_object_set_new(js, "signing_time", json_null());
	else if (strcmp(src, "claimed") == 0)
		json_object_set_new(js, "signing_time", report_time(claimed));
	else
		json_object_set_new(js, "signing_time", report_time(t));
	json_object_set_new(js, "signing_time_source", json_string(src));
	if (has_claimed && strcmp(src, "claimed") != 0)
		json_object_set_new(js, "claimed_signing_time",
				    report_time(claimed));
	json_object_set_new(js, "validation_time", report_time(t));
	json_object_set_new(js, "signature",
			    sig == 1   ? json_string("ok")
			    : sig == 0 ? json_string("bad")
				       : json_null());
	if (dig != NULL) {
		X509_ALGOR_get0(&dobj, NULL, NULL, dig);
		int nid = OBJ_obj2nid(dobj);
		enum hash_alg ha = crypto_hash_from_nid(nid);

		json_object_set_new(
		    js, "digest_algorithm",
		    json_string(ha ? crypto_hash_name(ha) : OBJ_nid2ln(nid)));
	}
	json_object_set_new(js, "qualified", qualified_json(q));
	json_object_set_new(js, "chain", chainj);
	chainj = NULL;
	if (ts.present)
		json_object_set_new(js, "timestamp", timestamp_json(&ts));
	*out = js;
	goto out;
store_fail:
	snprintf(err, errlen, "store: %s", store_strerror(e));
	ve = VERIFY_STORE;
out:
	json_decref(chainj);
	sk_X509_pop_free(chain, X509_free);
	tsp_result_clear(&ts);
	ERR_clear_error();
	return ve;
}

/* Hashes one decoded piece of base64 content under every digest. */
struct hashing {
	EVP_MD_CTX *ctx[MAX_VERIFY_SIGNERS];
	size_t n;
	size_t total;
};

static int
hash_piece(void *arg, const uint8_t *piece, size_t n)
{
	struct hashing *h = arg;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!EVP_DigestUpdate(h->ctx[i], piece, n))
			return 0;
	h->total += n;
	return 1;
}

/*
 * Base64 content: its digest under each signer's digest algorithm, in
 * one pass while it is decoded; or, when a signer has no signed
 * attributes (its signature is over the content itself), the content
 * decoded whole. VERIFY_OK or BAD_INPUT / INTERNAL with err.
 */
static enum verify_err
content_from_b64(struct run *r, const char *b64, size_t len, int json,
		 char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(r->cms);
	struct hashing h = {0};
	struct content *c = &r->c;
	CMS_SignerInfo *si;
	X509_ALGOR *dig;
	const ASN1_OBJECT *obj;
	const EVP_MD *md;
	enum verify_err ve = VERIFY_INTERNAL;
	size_t i;
	int k, whole = 0, ok;

	for (k = 0; k < sk_CMS_SignerInfo_num(sis); k++) {
		si = sk_CMS_SignerInfo_value(sis, k);
		whole |= CMS_signed_get_attr_count(si) <= 0;
		CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		/* One not available is reported by cms_check_signature. */
		if ((md = EVP_get_digestbyobj(obj)) == NULL)
			continue;
		for (i = 0; i < c->npre; i++)
			if (EVP_MD_get_type(c->pre[i].md) ==
			    EVP_MD_get_type(md))
				break;
		if (i == c->npre && c->npre < MAX_VERIFY_SIGNERS)
			c->pre[c->npre++].md = md;
	}
	if (whole) {
		c->npre = 0;
		if (!crypto_base64_decode(b64, len, json, &r->decoded,
					  &c->len)) {
			snprintf(err, errlen, "content: not base64");
			return VERIFY_BAD_INPUT;
		}
		c->data = r->decoded;
		ok = c->len > 0;
	} else {
		for (h.n = 0; h.n < c->npre; h.n++)
			if ((h.ctx[h.n] = EVP_MD_CTX_new()) == NULL ||
			    !EVP_DigestInit_ex(h.ctx[h.n], c->pre[h.n].md,
					       NULL))
				goto oom;
		if (!crypto_base64_stream(b64, len, json, hash_piece, &h)) {
			snprintf(err, errlen, "content: not base64");
			ve = VERIFY_BAD_INPUT;
			goto out;
		}
		for (i = 0; i < h.n; i++)
			if (!EVP_DigestFinal_ex(h.ctx[i], c->pre[i].d,
						&c->pre[i].len))
				goto oom;
		c->hashed = 1;
		ok = h.total > 0;
	}
	ve = VERIFY_OK;
	if (!ok) {
		snprintf(err, errlen, "content: empty");
		ve = VERIFY_BAD_INPUT;
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	/* h.ctx starts all NULL: a context not made is freed as NULL. */
	for (i = 0; i < MAX_VERIFY_SIGNERS; i++)
		EVP_MD_CTX_free(h.ctx[i]);
	return ve;
}

/* The content to check against; VERIFY_OK or BAD_INPUT with err. */
static enum verify_err
setup_content(struct run *r, const struct verify_input *in, struct mapfile *map,
	      char *err, size_t errlen)
{
	ASN1_OCTET_STRING **pos = CMS_get0_content(r->cms);
	int attached = (pos != NULL && *pos != NULL) || r->econt.raw != NULL;
	int given = (in->content != NULL || in->content_len != 0) +
		    (in->content_b64 != NULL) + (in->content_path != NULL) +
		    (in->digest != NULL);
	int rc;

	if (given > 1) {
		snprintf(err, errlen,
			 "give the content, a content file or a digest, "
			 "not several");
		return VERIFY_BAD_INPUT;
	}
	if (attached) {
		if (given) {
			snprintf(err, errlen,
				 "the signature has its content attached: "
				 "give no other content or digest");
			return VERIFY_BAD_INPUT;
		}
		if (r->econt.raw != NULL) {
			r->c.data = r->econt.val;
			r->c.len = r->econt.len;
		} else {
			r->c.data = ASN1_STRING_get0_data(*pos);
			r->c.len = (size_t)ASN1_STRING_length(*pos);
		}
		return VERIFY_OK;
	}
	if (!given) {
		snprintf(err, errlen,
			 "a detached signature: give the content or its "
			 "digest");
		return VERIFY_BAD_INPUT;
	}
	if (in->content_b64 != NULL) {
		return content_from_b64(r, in->content_b64, in->content_b64_len,
					in->content_b64_json, err, errlen);
	} else if (in->content_path != NULL) {
		if ((rc = mapfile_open(in->content_path, map)) != 0) {
			snprintf(err, errlen, "%s: %s", in->content_path,
				 strerror(rc));
			return VERIFY_BAD_INPUT;
		}
		r->c.data = map->data;
		r->c.len = map->len;
	} else if (in->digest != NULL) {
		if ((r->c.dmd = crypto_md((enum hash_alg)in->digest_alg)) ==
		    NULL) {
			snprintf(err, errlen,
				 "digest algorithm %d is not available",
				 in->digest_alg);
			return VERIFY_BAD_INPUT;
		}
		if (in->digest_len != (size_t)EVP_MD_get_size(r->c.dmd)) {
			snprintf(
			    err, errlen, "a %s digest has %d octets, not %zu",
			    crypto_hash_name((enum hash_alg)in->digest_alg),
			    EVP_MD_get_size(r->c.dmd), in->digest_len);
			return VERIFY_BAD_INPUT;
		}
		r->c.digest = in->digest;
		r->c.digest_len = in->digest_len;
	} else {
		r->c.data = in->content;
		r->c.len = in->content_len;
	}
	return VERIFY_OK;
}

/* The pool of untrusted certificates: the CMS's and the caller's. */
static STACK_OF(X509) *
    make_pool(CMS_ContentInfo *cms, const struct verify_opts *o)
{
	STACK_OF(X509) *pool = CMS_get1_certs(cms);
	size_t i;

	if (pool == NULL)
		pool = sk_X509_new_null();
	for (i = 0; pool != NULL && i < o->nintermediates; i++)
		if (!X509_add_cert(pool, o->intermediates[i],
				   X509_ADD_FLAG_UP_REF)) {
			sk_X509_pop_free(pool, X509_free);
			return NULL;
		}
	return pool;
}

enum verify_err
verify_run(struct store *s, const struct verify_opts *o,
	   const struct verify_input *in, json_t **out, char *err,
	   size_t errlen)
{
	struct run r;
	struct mapfile map = {NULL, 0, -1};
	STACK_OF(X509) *extra = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	enum verdict v, overall = V_VALID;
	enum verify_err ve;
	json_t *doc = NULL, *signers = NULL, *one;
	size_t i;
	int k;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.o = o;
	if (o->at != 0 && o->at > o->now + MAX_AT_AHEAD) {
		snprintf(err, errlen,
			 "the moment of signing given lies in "
			 "the future");
		return VERIFY_BAD_INPUT;
	}
	if ((r.cms = input_decode(in->sig, in->sig_len, o->cache, &r.econt, err,
				  errlen)) == NULL)
		return VERIFY_BAD_INPUT;
	if ((ve = setup_content(&r, in, &map, err, errlen)) != VERIFY_OK)
		goto out;
	ve = VERIFY_INTERNAL;
	snprintf(err, errlen, "out of memory");
	if ((r.cx.pool = make_pool(r.cms, o)) == NULL ||
	    (r.cx.anchors = chain_anchor_store(o)) == NULL ||
	    (extra = sk_X509_new_null()) == NULL ||
	    (doc = json_object()) == NULL || (signers = json_array()) == NULL)
		goto out;
	r.cx.store = s;
	r.cx.cache = o->cache;
	for (i = 0; i < o->nintermediates; i++)
		if (!X509_add_cert(extra, o->intermediates[i],
				   X509_ADD_FLAG_UP_REF))
			goto out;
	/* Matches each SignerInfo's sid to a certificate of the CMS or
	 * of `extra`; one not found is "no_signer_certificate". */
	CMS_set1_signers_certs(r.cms, extra, 0);
	ERR_clear_error();

	sis = CMS_get0_SignerInfos(r.cms);
	for (k = 0; k < sk_CMS_SignerInfo_num(sis); k++) {
		ve = check_signer(&r, s, sk_CMS_SignerInfo_value(sis, k), &one,
				  &v, err, errlen);
		if (ve != VERIFY_OK)
			goto out;
		json_array_append_new(signers, one);
		if (v > overall)
			overall = v;
	}
	json_object_set_new(doc, "verdict", json_string(verdict_name(overall)));
	json_object_set_new(doc, "checked_at", report_time(o->now));
	json_object_set_new(doc, "signers", signers);
	signers = NULL;
	*out = doc;
	doc = NULL;
	ve = VERIFY_OK;
	err[0] = '\0';
out:
	json_decref(signers);
	json_decref(doc);
	sk_X509_pop_free(extra, X509_free);
	sk_X509_pop_free(r.cx.pool, X509_free);
	X509_STORE_free(r.cx.anchors);
	CMS_ContentInfo_free(r.cms);
	free(r.decoded);
	if (map.fd >= 0)
		mapfile_close(&map);
	ERR_clear_error();
	return ve;
}
