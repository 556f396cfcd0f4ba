/*
 * The signature timestamp of CAdES-T: an RFC 3161 TimeStampToken in
 * the unsigned attribute id-aa-signatureTimeStampToken
 * (1.2.840.113549.1.9.16.2.14, RFC 5126 6.1.1 / ETSI EN 319 122-1
 * 5.3). Its genTime becomes the moment of signing T only when
 *  - the token is a SignedData of one signer over a TSTInfo (RFC 3161
 *    2.4.2) with signed attributes, whose signature verifies;
 *  - its messageImprint is the hash of the SignerInfo's signature
 *    value (RFC 5126 6.1.1);
 *  - genTime is not in the future (VERIFY_CLOCK_SLACK);
 *  - the TSA certificate has the critical extendedKeyUsage
 *    timeStamping alone (RFC 3161 2.3), is named by the token's ESS
 *    signingCertificate(V2) (RFC 3161 2.4.1, RFC 5816), and has a path
 *    to an anchor valid at genTime;
 *  - no certificate of that path was revoked or on hold at genTime,
 *    and none was ever revoked for key compromise (revocation.c).
 * A signature may carry several tokens (CAdES allows it, one attribute
 * or several, up to MAX_VERIFY_TIMESTAMPS are checked): the earliest
 * genTime among those that pass is T; when none passes, the first
 * token's findings are the answer's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ts.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"

#include "internal.h"

void
tsp_result_clear(struct tsp_result *r)
{
	X509_free(r->tsa);
	json_decref(r->chain);
	memset(r, 0, sizeof(*r));
}

/* Moves the token's findings into out->f: what proves the token bad
 * becomes bad_timestamp, what is unknown stays as it is. */
static void
merge(struct tsp_result *out, const struct findings *sf)
{
	enum reason r;
	size_t i;

	for (r = 0; r < R_COUNT; r++) {
		if (!findings_has(sf, r))
			continue;
		if (r >= R_NO_SIGNER_CERTIFICATE)
			findings_add(&out->f, r, NULL);
		else
			findings_add(&out->f, R_BAD_TIMESTAMP, NULL);
	}
	for (i = 0; i < sf->ndetail; i++)
		findings_add(&out->f, R_COUNT, "timestamp: %s", sf->detail[i]);
}

/* Checks the TSTInfo DER der[0..len) against the signature value of
 * si; fills gen_time and policy. 1 or 0 with f. */
static int
check_tstinfo(const uint8_t *der, size_t len, CMS_SignerInfo *si,
	      const struct verify_opts *o, struct tsp_result *out,
	      struct findings *f)
{
	const unsigned char *p = der;
	TS_TST_INFO *tst = d2i_TS_TST_INFO(NULL, &p, (long)len);
	TS_MSG_IMPRINT *mi;
	const ASN1_OBJECT *obj;
	const ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	ASN1_OCTET_STRING *h;
	const EVP_MD *md;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	char ts[32];
	int ok = 0;

	if (tst == NULL || p != der + len) {
		findings_add(f, R_BAD_TIMESTAMP,
			     "the token's content is not a TSTInfo (RFC 3161 "
			     "2.4.2)");
		goto out;
	}
	if (TS_TST_INFO_get_version(tst) != 1) {
		findings_add(f, R_BAD_TIMESTAMP,
			     "TSTInfo version is not 1 (RFC 3161 2.4.2)");
		goto out;
	}
	if (TS_TST_INFO_get_policy_id(tst) != NULL)
		OBJ_obj2txt(out->policy, sizeof(out->policy),
			    TS_TST_INFO_get_policy_id(tst), 1);
	out->gen_time = crypto_time(TS_TST_INFO_get_time(tst));
	if (out->gen_time == 0) {
		findings_add(f, R_BAD_TIMESTAMP, "genTime does not decode");
		goto out;
	}
	if (out->gen_time > o->now + VERIFY_CLOCK_SLACK) {
		findings_add(f, R_BAD_TIMESTAMP, "genTime %s is in the future",
			     time_format(out->gen_time, ts));
		goto out;
	}
	mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	h = TS_MSG_IMPRINT_get_msg(mi);
	if ((md = EVP_get_digestbyobj(obj)) == NULL) {
		findings_add(f, R_UNSUPPORTED_ALGORITHM,
			     "the token's imprint algorithm is not available");
		goto out;
	}
	if (crypto_md_broken(EVP_MD_get_type(md))) {
		findings_add(f, R_BAD_TIMESTAMP,
			     "the token's imprint is an MD2/MD4/MD5 digest "
			     "(RFC 6151): it proves nothing");
		goto out;
	}
	if (!EVP_Digest(ASN1_STRING_get0_data(sig),
			(size_t)ASN1_STRING_length(sig), d, &dlen, md, NULL) ||
	    (unsigned int)ASN1_STRING_length(h) != dlen ||
	    memcmp(ASN1_STRING_get0_data(h), d, dlen) != 0) {
		findings_add(f, R_BAD_TIMESTAMP,
			     "its messageImprint is not the %s of this "
			     "signature value (RFC 5126 6.1.1)",
			     OBJ_nid2sn(EVP_MD_get_type(md)));
		goto out;
	}
	ok = 1;
out:
	TS_TST_INFO_free(tst);
	ERR_clear_error();
	return ok;
}

/* The pool of the token: the caller's, plus the token's own. NULL on
 * OOM. */
static STACK_OF(X509) * token_pool(STACK_OF(X509) * base, CMS_ContentInfo *tok)
{
	STACK_OF(X509) *pool = sk_X509_new_null(), *own = CMS_get1_certs(tok);
	int i;

	if (pool == NULL)
		goto fail;
	for (i = 0; i < sk_X509_num(base); i++)
		if (!X509_add_cert(pool, sk_X509_value(base, i),
				   X509_ADD_FLAG_UP_REF))
			goto fail;
	for (i = 0; i < sk_X509_num(own); i++)
		if (!X509_add_cert(pool, sk_X509_value(own, i),
				   X509_ADD_FLAG_UP_REF))
			goto fail;
	sk_X509_pop_free(own, X509_free);
	return pool;
fail:
	sk_X509_pop_free(own, X509_free);
	sk_X509_pop_free(pool, X509_free);
	return NULL;
}

/* One token, the value v of a timestamp attribute (NULL: none), into
 * *out. */
static enum store_err
check_token(CMS_SignerInfo *si, const ASN1_TYPE *v, struct chain_ctx *cx,
	    const struct verify_opts *o, struct tsp_result *out)
{
	struct findings sf = {0};
	CMS_ContentInfo *tok = NULL;
	STACK_OF(X509) *pool = NULL, *chain = NULL;
	struct chain_ctx tcx;
	struct revocation_ctx rc;
	struct content c = {0};
	ASN1_OCTET_STRING **pos;
	CMS_SignerInfo *tsi;
	X509 *tsa = NULL;
	size_t used = 0;
	enum status_qualified q;
	enum store_err e = STORE_OK;
	char msg[256];

	memset(out, 0, sizeof(*out));
	out->present = 1;
	if ((out->chain = json_array()) == NULL)
		return STORE_IO;
	if (v == NULL || v->type != V_ASN1_SEQUENCE) {
		findings_add(&sf, R_BAD_TIMESTAMP,
			     "the timestamp attribute holds no ContentInfo");
		goto out;
	}
	tok = input_der(ASN1_STRING_get0_data(v->value.sequence),
			(size_t)ASN1_STRING_length(v->value.sequence),
			cx->cache, NULL, &used);
	if (tok == NULL ||
	    used != (size_t)ASN1_STRING_length(v->value.sequence)) {
		findings_add(&sf, R_BAD_TIMESTAMP,
			     "the timestamp token does not decode (RFC 3161 "
			     "2.4.2)");
		goto out;
	}
	if (!input_check_signed(tok, "timestamp token", msg, sizeof(msg))) {
		findings_add(&sf, R_BAD_TIMESTAMP, "%s", msg);
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(tok)) !=
		NID_id_smime_ct_TSTInfo ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(tok)) != 1 ||
	    (pos = CMS_get0_content(tok)) == NULL || *pos == NULL) {
		findings_add(&sf, R_BAD_TIMESTAMP,
			     "the token is not one TSA's signature over an "
			     "attached TSTInfo (RFC 3161 2.4.2)");
		goto out;
	}
	c.data = ASN1_STRING_get0_data(*pos);
	c.len = (size_t)ASN1_STRING_length(*pos);
	if (!check_tstinfo(c.data, c.len, si, o, out, &sf))
		goto out;

	if ((pool = token_pool(cx->pool, tok)) == NULL) {
		e = STORE_IO;
		goto out;
	}
	CMS_set1_signers_certs(tok, pool, 0);
	ERR_clear_error();
	tsi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(tok), 0);
	if (cms_check_signature(tok, tsi, &c, 1, &sf) != 1)
		goto out;
	CMS_SignerInfo_get0_algs(tsi, NULL, &tsa, NULL, NULL);
	if (tsa == NULL || !X509_up_ref(tsa))
		goto out;
	out->tsa = tsa;
	tcx = *cx;
	tcx.pool = pool;
	chain = chain_validate(&tcx, tsa, out->gen_time,
			       X509_PURPOSE_TIMESTAMP_SIGN, &sf, &e);
	if (e != STORE_OK || chain == NULL)
		goto out;
	if (!cms_check_ess(tsi, chain, 1, &sf))
		goto out;
	rc.store = cx->store;
	rc.t = out->gen_time;
	rc.t_is_now = 0;
	rc.now = o->now;
	rc.stale_grace = o->stale_grace;
	rc.cautionary = o->cautionary;
	rc.tsa = 1;
	e = revocation_check(&rc, chain, out->chain, &sf, &q);
out:
	merge(out, &sf);
	/* Only a token whose TSA path was validated and checked proves a
	 * time. */
	out->ok = e == STORE_OK && chain != NULL && sf.reasons == 0 &&
		  out->gen_time != 0;
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(pool, X509_free);
	CMS_ContentInfo_free(tok);
	ERR_clear_error();
	return e;
}

/* Whether token a proves the signing time better than b. */
static int
better(const struct tsp_result *a, const struct tsp_result *b)
{
	if (!b->present || a->ok != b->ok)
		return !b->present || a->ok;
	return a->ok && a->gen_time < b->gen_time;
}

enum store_err
tsp_check(CMS_SignerInfo *si, struct chain_ctx *cx, const struct verify_opts *o,
	  struct tsp_result *out)
{
	struct tsp_result one;
	X509_ATTRIBUTE *attr;
	enum store_err e;
	int idx = -1, k, count, n = 0, more = 0;

	memset(out, 0, sizeof(*out));
	while ((idx = CMS_unsigned_get_attr_by_NID(
		    si, NID_id_smime_aa_timeStampToken, idx)) >= 0) {
		attr = CMS_unsigned_get_attr(si, idx);
		count = X509_ATTRIBUTE_count(attr);
		/* An attribute without a value is one bad token. */
		for (k = 0; k < (count > 0 ? count : 1); k++) {
			if (n == MAX_VERIFY_TIMESTAMPS) {
				more = 1;
				goto done;
			}
			n++;
			e = check_token(si,
					count > 0
					    ? X509_ATTRIBUTE_get0_type(attr, k)
					    : NULL,
					cx, o, &one);
			if (e != STORE_OK) {
				tsp_result_clear(&one);
				tsp_result_clear(out);
				return e;
			}
			if (better(&one, out)) {
				tsp_result_clear(out);
				*out = one;
			} else {
				tsp_result_clear(&one);
			}
		}
	}
done:
	if (n > 1)
		findings_add(&out->f, R_COUNT, "timestamp: %s%d tokens; %s",
			     more ? "more than " : "", n,
			     out->ok ? "the earliest that verifies counts"
				     : "none verifies, the first is shown");
	ERR_clear_error();
	return STORE_OK;
}
