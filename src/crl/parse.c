/*
 * Streaming CRL reader (RFC 5280 section 5).
 *
 * crl_parse() walks CertificateList and TBSCertList, skipping over
 * revokedCertificates by its length, and checks every CRL extension;
 * entries are decoded on demand by crl_iter_next() / crl_entry_at().
 * So parsing a CRL costs the same for ten entries or ten million, and
 * an import walks the mapped file exactly once for entries.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Extension OIDs, contents octets only. */
static const uint8_t OID_AKI[] = {0x55, 0x1D, 0x23};
static const uint8_t OID_ISSUER_ALT_NAME[] = {0x55, 0x1D, 0x12};
static const uint8_t OID_CRL_NUMBER[] = {0x55, 0x1D, 0x14};
static const uint8_t OID_DELTA_CRL[] = {0x55, 0x1D, 0x1B};
static const uint8_t OID_IDP[] = {0x55, 0x1D, 0x1C};
static const uint8_t OID_FRESHEST_CRL[] = {0x55, 0x1D, 0x2E};
static const uint8_t OID_EXPIRED_ON_CRL[] = {0x55, 0x1D, 0x3C};
static const uint8_t OID_AIA[] = {0x2B, 0x06, 0x01, 0x05,
				  0x05, 0x07, 0x01, 0x01};
static const uint8_t OID_REASON[] = {0x55, 0x1D, 0x15};
static const uint8_t OID_HOLD_INSTRUCTION[] = {0x55, 0x1D, 0x17};
static const uint8_t OID_INVALIDITY[] = {0x55, 0x1D, 0x18};
static const uint8_t OID_CERT_ISSUER[] = {0x55, 0x1D, 0x1D};

int
crl_fail(struct crl_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return 0;
}

const char *
crl_reason_name(int reason)
{
	static const char *const names[] = {
	    "unspecified",     "keyCompromise",
	    "cACompromise",    "affiliationChanged",
	    "superseded",      "cessationOfOperation",
	    "certificateHold", NULL,
	    "removeFromCRL",   "privilegeWithdrawn",
	    "aACompromise",
	};

	if (reason < 0 || reason > CRL_REASON_AA_COMPROMISE)
		return NULL;
	return names[reason];
}

int
crl_number_cmp(const struct crl_number *a, const struct crl_number *b)
{
	int c;

	/* Minimal non-negative encodings: longer is larger. */
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	c = memcmp(a->v, b->v, a->len);
	return c < 0 ? -1 : c > 0;
}

/* RFC 5280 5.2.3: CRLNumber ::= INTEGER (0..MAX), at most 20 octets. */
static int
get_number(const struct der_tlv *t, struct crl_number *out)
{
	const uint8_t *p = t->val;
	size_t n = t->len;

	if (t->tag != DER_INTEGER || der_check_integer(t) != DER_OK ||
	    (p[0] & 0x80))
		return 0;
	if (n > MAX_CRL_NUMBER_LEN + 1 ||
	    (n == MAX_CRL_NUMBER_LEN + 1 && p[0] != 0))
		return 0;
	memcpy(out->v, p, n);
	out->len = (uint8_t)n;
	return 1;
}

/* AlgorithmIdentifier ::= SEQUENCE { OID, parameters ANY OPTIONAL } */
static int
check_algid(const struct der_cursor *parent, const struct der_tlv *t)
{
	struct der_cursor c;
	struct der_tlv oid, params;

	if (t->tag != DER_SEQUENCE || der_enter(parent, t, &c) != DER_OK)
		return 0;
	if (der_expect(&c, DER_OID, &oid) != DER_OK ||
	    der_check_oid(&oid) != DER_OK)
		return 0;
	if (!der_at_end(&c) && der_next(&c, &params) != DER_OK)
		return 0;
	return der_finish(&c) == DER_OK;
}

/*
 * Walks an Extensions SEQUENCE, calling `one` for each extension with its
 * OID, criticality and extnValue contents. Rejects duplicates
 * (RFC 5280 4.2) by comparing each OID with those before it; extension
 * lists are short.
 */
typedef int (*ext_fn)(void *arg, const struct der_tlv *oid, int critical,
		      const struct der_cursor *vc, struct crl_error *err);

static int
walk_extensions(const struct der_cursor *parent, const struct der_tlv *exts,
		const char *where, ext_fn one, void *arg, struct crl_error *err)
{
	struct der_cursor c, seen;
	struct der_tlv ext, oid, val, prev;
	struct der_extension x;
	char why[160];
	int critical;

	if (exts->tag != DER_SEQUENCE || der_enter(parent, exts, &c) != DER_OK)
		return crl_fail(err,
				"RFC 5280 4.1: %s: Extensions is not a "
				"SEQUENCE",
				where);
	if (der_at_end(&c))
		return crl_fail(err,
				"RFC 5280 4.1: %s: Extensions is empty "
				"(SIZE (1..MAX))",
				where);
	while (!der_at_end(&c)) {
		if (der_next_extension(&c, &x, why, sizeof(why)) != DER_OK)
			return crl_fail(err, "RFC 5280 4.1: %s: %s", where,
					why);
		ext = x.raw;
		oid = x.oid;
		critical = x.critical;
		val = x.value;
		/* Duplicates: compare with every earlier extension. */
		der_init(&seen, exts->val, (size_t)(ext.raw - exts->val));
		while (!der_at_end(&seen)) {
			struct der_cursor sc;
			struct der_tlv s;

			der_next(&seen, &s);
			der_enter(&c, &s, &sc);
			der_next(&sc, &prev);
			if (prev.len == oid.len &&
			    memcmp(prev.val, oid.val, oid.len) == 0)
				return crl_fail(err,
						"RFC 5280 4.2: %s: extension "
						"appears twice",
						where);
		}
		{
			struct der_cursor vc;

			der_init(&vc, val.val, val.len);
			vc.depth = c.depth +
				   2; /* inside Extension, inside its value */
			if (!one(arg, &oid, critical, &vc, err))
				return 0;
		}
	}
	return 1;
}

static void
oid_text(const struct der_tlv *oid, char *buf, size_t size)
{
	ASN1_OBJECT *obj;
	const unsigned char *p = oid->raw;

	buf[0] = '\0';
	obj = d2i_ASN1_OBJECT(NULL, &p, (long)oid->raw_len);
	if (obj != NULL)
		OBJ_obj2txt(buf, (int)size, obj, 1);
	ASN1_OBJECT_free(obj);
	if (buf[0] == '\0')
		snprintf(buf, size, "(unprintable)");
}

/* RFC 5280 5.2.1: AuthorityKeyIdentifier; we keep keyIdentifier. */
static int
ext_aki(struct crl *crl, const struct der_cursor *vc, struct crl_error *err)
{
	struct der_cursor c = *vc, sc;
	struct der_tlv seq, kid;
	int present;

	if (der_expect(&c, DER_SEQUENCE, &seq) != DER_OK ||
	    der_finish(&c) != DER_OK || der_enter(&c, &seq, &sc) != DER_OK ||
	    der_optional(&sc, DER_CTX_PRIM(0), &kid, &present) != DER_OK)
		return crl_fail(err, "RFC 5280 5.2.1: authorityKeyIdentifier "
				     "malformed");
	if (present) {
		if (kid.len == 0 || kid.len > MAX_KEYID_LEN)
			return crl_fail(err, "RFC 5280 5.2.1: keyIdentifier "
					     "length out of range");
		crl->aki = kid.val;
		crl->aki_len = kid.len;
	}
	return 1;
}

/* RFC 5280 5.2.5: the IDP's flags and distribution point; scope is
 * reported, not applied. */
static int
ext_idp(struct crl *crl, const struct der_cursor *vc, struct crl_error *err)
{
	struct der_cursor c = *vc, sc;
	struct der_tlv seq, t;
	int b, last = -1;

	if (der_expect(&c, DER_SEQUENCE, &seq) != DER_OK ||
	    der_finish(&c) != DER_OK || der_enter(&c, &seq, &sc) != DER_OK)
		return crl_fail(err, "RFC 5280 5.2.5: issuingDistributionPoint "
				     "malformed");
	while (!der_at_end(&sc)) {
		int num;

		if (der_next(&sc, &t) != DER_OK ||
		    (t.tag & DER_CLASS_PRIVATE) != DER_CLASS_CONTEXT)
			return crl_fail(err, "RFC 5280 5.2.5: issuing"
					     "DistributionPoint malformed");
		num = (int)t.number;
		if (num <= last || num > 5)
			return crl_fail(err, "RFC 5280 5.2.5: issuing"
					     "DistributionPoint fields out of "
					     "order");
		last = num;
		if (num == 0) {
			if (t.tag != DER_CTX_CONS(0))
				return crl_fail(err, "RFC 5280 5.2.5: issuing"
						     "DistributionPoint's "
						     "distributionPoint is "
						     "not constructed");
			crl->idp_dp = t.val;
			crl->idp_dp_len = t.len;
			continue;
		}
		if (num == 3) {
			crl->idp_some_reasons = 1;
			continue;
		}
		if (t.tag != DER_CTX_PRIM(num) || !der_get_bool_ber(&t, &b))
			return crl_fail(err, "RFC 5280 5.2.5: issuing"
					     "DistributionPoint flag is not a "
					     "BOOLEAN");
		if (num == 1)
			crl->idp_only_user = b;
		else if (num == 2)
			crl->idp_only_ca = b;
		else if (num == 4)
			crl->idp_indirect = b;
		else
			crl->idp_only_attr = b;
	}
	crl->idp = seq.val;
	crl->idp_len = seq.len;
	return 1;
}

static int
crl_ext(void *arg, const struct der_tlv *oid, int critical,
	const struct der_cursor *vc, struct crl_error *err)
{
	struct crl *crl = arg;
	struct der_cursor c = *vc;
	struct der_tlv t;

	if (der_oid_eq(oid, OID_AKI, sizeof(OID_AKI)))
		return ext_aki(crl, vc, err);
	if (der_oid_eq(oid, OID_CRL_NUMBER, sizeof(OID_CRL_NUMBER))) {
		if (der_next(&c, &t) != DER_OK || der_finish(&c) != DER_OK ||
		    !get_number(&t, &crl->number))
			return crl_fail(err,
					"RFC 5280 5.2.3: cRLNumber is not an "
					"INTEGER in 0..2^159");
		return 1;
	}
	if (der_oid_eq(oid, OID_DELTA_CRL, sizeof(OID_DELTA_CRL))) {
		if (der_next(&c, &t) != DER_OK || der_finish(&c) != DER_OK ||
		    !get_number(&t, &crl->delta_base))
			return crl_fail(err, "RFC 5280 5.2.4: BaseCRLNumber is "
					     "not an INTEGER in 0..2^159");
		if (!critical)
			return crl_fail(err,
					"RFC 5280 5.2.4: deltaCRLIndicator "
					"must be critical");
		crl->is_delta = 1;
		return 1;
	}
	if (der_oid_eq(oid, OID_IDP, sizeof(OID_IDP)))
		return ext_idp(crl, vc, err);
	/* Known, informational, safe to ignore even when critical. */
	if (der_oid_eq(oid, OID_ISSUER_ALT_NAME, sizeof(OID_ISSUER_ALT_NAME)) ||
	    der_oid_eq(oid, OID_FRESHEST_CRL, sizeof(OID_FRESHEST_CRL)) ||
	    der_oid_eq(oid, OID_EXPIRED_ON_CRL, sizeof(OID_EXPIRED_ON_CRL)) ||
	    der_oid_eq(oid, OID_AIA, sizeof(OID_AIA)))
		return 1;
	if (critical) {
		char name[80];

		oid_text(oid, name, sizeof(name));
		return crl_fail(err,
				"RFC 5280 5.2: unrecognised critical CRL "
				"extension %s",
				name);
	}
	return 1;
}

/* Parses what sits between tbsCertList's start and revokedCertificates. */
static int
parse_tbs(struct crl *crl, const struct der_cursor *parent,
	  const struct der_tlv *tbs, struct crl_error *err)
{
	struct der_cursor c;
	struct der_tlv t, sigalg;
	enum der_err e;
	int present;
	uint64_t v;

	if ((e = der_enter(parent, tbs, &c)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2: tbsCertList: %s",
				der_strerror(e));
	crl->version = 1;
	if ((e = der_optional(&c, DER_INTEGER, &t, &present)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.1: version: %s",
				der_strerror(e));
	if (present) {
		if (der_get_uint64(&t, &v) != DER_OK || v != 1)
			return crl_fail(err,
					"RFC 5280 5.1.2.1: version present "
					"but not v2");
		crl->version = 2;
	}
	if ((e = der_next(&c, &sigalg)) != DER_OK || !check_algid(&c, &sigalg))
		return crl_fail(err, "RFC 5280 5.1.2.2: signature "
				     "AlgorithmIdentifier malformed");
	if (sigalg.raw_len != crl->sigalg_len ||
	    memcmp(sigalg.raw, crl->sigalg, sigalg.raw_len) != 0)
		return crl_fail(err, "RFC 5280 5.1.1.2: signatureAlgorithm and "
				     "tbsCertList signature differ");
	if ((e = der_expect(&c, DER_SEQUENCE, &t)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.3: issuer Name: %s",
				der_strerror(e));
	if (t.len == 0)
		return crl_fail(err, "RFC 5280 5.1.2.3: issuer Name is empty");
	crl->issuer = t.raw;
	crl->issuer_len = t.raw_len;
	if ((e = der_next(&c, &t)) != DER_OK ||
	    (e = der_get_time(&t, &crl->this_update)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.4: thisUpdate: %s",
				der_strerror(e));
	if ((e = der_peek(&c, &t)) == DER_OK &&
	    (t.tag == DER_UTC_TIME || t.tag == DER_GENERALIZED_TIME)) {
		der_next(&c, &t);
		if ((e = der_get_time(&t, &crl->next_update)) != DER_OK)
			return crl_fail(err, "RFC 5280 5.1.2.5: nextUpdate: %s",
					der_strerror(e));
		crl->has_next_update = 1;
		if (crl->next_update < crl->this_update)
			return crl_fail(err, "RFC 5280 5.1.2.5: nextUpdate is "
					     "before thisUpdate");
	}
	if ((e = der_optional(&c, DER_SEQUENCE, &t, &present)) != DER_OK)
		return crl_fail(err,
				"RFC 5280 5.1.2.6: revokedCertificates: %s",
				der_strerror(e));
	if (present) {
		/* XXX: an empty list should be absent (5.1.2.6), but some
		 * CAs emit it empty; it means the same thing. */
		crl->entries = t.val;
		crl->entries_len = t.len;
	}
	if ((e = der_optional(&c, DER_CTX_CONS(0), &t, &present)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.7: crlExtensions: %s",
				der_strerror(e));
	if (present) {
		struct der_cursor xc;
		struct der_tlv exts;

		if (crl->version != 2)
			return crl_fail(err,
					"RFC 5280 5.1.2.1: extensions in a "
					"v1 CRL");
		if ((e = der_enter(&c, &t, &xc)) != DER_OK ||
		    (e = der_next(&xc, &exts)) != DER_OK ||
		    (e = der_finish(&xc)) != DER_OK)
			return crl_fail(err,
					"RFC 5280 5.1.2.7: crlExtensions: %s",
					der_strerror(e));
		if (!walk_extensions(&xc, &exts, "crlExtensions", crl_ext, crl,
				     err))
			return 0;
	}
	if ((e = der_finish(&c)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2: tbsCertList: %s",
				der_strerror(e));
	return 1;
}

int
crl_parse(const uint8_t *buf, size_t len, struct crl *out,
	  struct crl_error *err)
{
	struct der_cursor top, c;
	struct der_tlv list, tbs, sigalg, sig;
	enum der_err e;

	memset(out, 0, sizeof(*out));
	out->buf = buf;
	out->len = len;
	der_init(&top, buf, len);
	if ((e = der_expect(&top, DER_SEQUENCE, &list)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1: CertificateList: %s",
				der_strerror(e));
	if ((e = der_finish(&top)) != DER_OK)
		return crl_fail(err,
				"RFC 5280 5.1: %zu bytes after the "
				"CertificateList",
				(size_t)(top.end - top.p));
	if ((e = der_enter(&top, &list, &c)) != DER_OK ||
	    (e = der_expect(&c, DER_SEQUENCE, &tbs)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.1.1: tbsCertList: %s",
				der_strerror(e));
	if ((e = der_next(&c, &sigalg)) != DER_OK || !check_algid(&c, &sigalg))
		return crl_fail(err, "RFC 5280 5.1.1.2: signatureAlgorithm "
				     "malformed");
	if ((e = der_expect(&c, DER_BIT_STRING, &sig)) != DER_OK ||
	    (e = der_get_bits(&sig, &out->sig, &out->sig_len)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.1.3: signatureValue: %s",
				der_strerror(e));
	if ((e = der_finish(&c)) != DER_OK)
		return crl_fail(err,
				"RFC 5280 5.1: CertificateList has more than "
				"three fields");
	out->tbs = tbs.raw;
	out->tbs_len = tbs.raw_len;
	out->sigalg = sigalg.raw;
	out->sigalg_len = sigalg.raw_len;
	return parse_tbs(out, &c, &tbs, err);
}

struct entry_ctx {
	struct crl_entry *e;
};

static int
entry_ext(void *arg, const struct der_tlv *oid, int critical,
	  const struct der_cursor *vc, struct crl_error *err)
{
	struct entry_ctx *ctx = arg;
	struct der_cursor c = *vc;
	struct der_tlv t;
	uint64_t v;

	if (der_oid_eq(oid, OID_REASON, sizeof(OID_REASON))) {
		/* CRLReason ::= ENUMERATED; 7 is unused (5.3.1). */
		if (der_expect(&c, DER_ENUMERATED, &t) != DER_OK ||
		    der_finish(&c) != DER_OK ||
		    der_get_uint64(&t, &v) != DER_OK || v > 10 || v == 7)
			return crl_fail(err,
					"RFC 5280 5.3.1: reasonCode is not "
					"a defined CRLReason");
		ctx->e->reason = (int)v;
		return 1;
	}
	if (der_oid_eq(oid, OID_INVALIDITY, sizeof(OID_INVALIDITY))) {
		if (der_expect(&c, DER_GENERALIZED_TIME, &t) != DER_OK ||
		    der_finish(&c) != DER_OK ||
		    der_get_time(&t, &ctx->e->invalidity) != DER_OK)
			return crl_fail(err,
					"RFC 5280 5.3.2: invalidityDate is "
					"not a GeneralizedTime");
		ctx->e->has_invalidity = 1;
		return 1;
	}
	if (der_oid_eq(oid, OID_CERT_ISSUER, sizeof(OID_CERT_ISSUER))) {
		if (der_expect(&c, DER_SEQUENCE, &t) != DER_OK ||
		    der_finish(&c) != DER_OK || t.len == 0)
			return crl_fail(err,
					"RFC 5280 5.3.3: certificateIssuer "
					"is not GeneralNames");
		ctx->e->cert_issuer = t.raw;
		ctx->e->cert_issuer_len = t.raw_len;
		return 1;
	}
	if (der_oid_eq(oid, OID_HOLD_INSTRUCTION, sizeof(OID_HOLD_INSTRUCTION)))
		return 1;
	if (critical) {
		char name[80];

		oid_text(oid, name, sizeof(name));
		return crl_fail(err,
				"RFC 5280 5.3: unrecognised critical CRL "
				"entry extension %s",
				name);
	}
	return 1;
}

/* revokedCertificates entry at c: SEQUENCE { serial, date, exts OPT } */
static int
parse_entry(const struct crl *crl, struct der_cursor *c, struct crl_entry *out,
	    struct crl_error *err)
{
	struct der_cursor ec;
	struct der_tlv seq, t;
	struct entry_ctx ctx;
	enum der_err e;
	int present;

	memset(out, 0, sizeof(*out));
	out->reason = CRL_REASON_ABSENT;
	out->offset = (size_t)(c->p - crl->buf);
	if ((e = der_expect(c, DER_SEQUENCE, &seq)) != DER_OK ||
	    (e = der_enter(c, &seq, &ec)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.6: entry: %s",
				der_strerror(e));
	if ((e = der_expect(&ec, DER_INTEGER, &t)) != DER_OK ||
	    (e = der_check_integer(&t)) != DER_OK)
		return crl_fail(err,
				"RFC 5280 4.1.2.2: userCertificate serial: "
				"%s",
				der_strerror(e));
	if (t.len > MAX_SERIAL_LEN)
		return crl_fail(err,
				"RFC 5280 4.1.2.2: serial of %zu octets "
				"exceeds the limit of %d",
				t.len, MAX_SERIAL_LEN);
	out->serial = t.val;
	out->serial_len = t.len;
	if ((e = der_next(&ec, &t)) != DER_OK ||
	    (e = der_get_time(&t, &out->revoked_at)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.6: revocationDate: %s",
				der_strerror(e));
	if ((e = der_optional(&ec, DER_SEQUENCE, &t, &present)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.6: crlEntryExtensions: %s",
				der_strerror(e));
	if (present) {
		if (crl->version != 2)
			return crl_fail(err,
					"RFC 5280 5.1.2.1: entry extensions "
					"in a v1 CRL");
		ctx.e = out;
		if (!walk_extensions(&ec, &t, "crlEntryExtensions", entry_ext,
				     &ctx, err))
			return 0;
	}
	if ((e = der_finish(&ec)) != DER_OK)
		return crl_fail(err, "RFC 5280 5.1.2.6: entry: %s",
				der_strerror(e));
	return 1;
}

void
crl_iter_init(const struct crl *crl, struct crl_iter *it)
{
	it->crl = crl;
	der_init(&it->c, crl->entries, crl->entries_len);
	it->c.depth = 3;
	it->index = 0;
}

int
crl_iter_next(struct crl_iter *it, struct crl_entry *out, struct crl_error *err)
{
	struct crl_error sub;

	if (der_at_end(&it->c))
		return 0;
	if (!parse_entry(it->crl, &it->c, out, &sub)) {
		crl_fail(err, "entry %zu at offset %zu: %s", it->index,
			 (size_t)(it->c.p - it->crl->buf), sub.msg);
		return -1;
	}
	it->index++;
	return 1;
}

int
crl_entry_at(const struct crl *crl, size_t offset, struct crl_entry *out,
	     struct crl_error *err)
{
	struct der_cursor c;
	size_t start;

	if (crl->entries == NULL)
		return crl_fail(err, "entry offset %zu: the CRL has no entries",
				offset);
	start = (size_t)(crl->entries - crl->buf);
	if (offset < start || offset >= start + crl->entries_len)
		return crl_fail(err, "entry offset %zu outside the list",
				offset);
	der_init(&c, crl->buf + offset, start + crl->entries_len - offset);
	c.depth = 3;
	return parse_entry(crl, &c, out, err);
}
