/*
 * Strict DER reader. Every function here trusts nothing about its input
 * beyond the cursor bounds; none allocates.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"

void
der_init(struct der_cursor *c, const uint8_t *buf, size_t len)
{
	c->p = buf;
	/* An empty range may come as NULL (no revokedCertificates, an
	 * empty mapped file); NULL + 0 is undefined in C. */
	c->end = len != 0 ? buf + len : buf;
	c->depth = 0;
}

int
der_at_end(const struct der_cursor *c)
{
	return c->p == c->end;
}

/*
 * Decodes identifier and length octets at c->p (X.690 8.1.2, 8.1.3,
 * 10.1). Tag numbers above 2^21 are refused: nothing in PKIX uses them.
 */
enum der_err
der_peek(const struct der_cursor *c, struct der_tlv *out)
{
	const uint8_t *p = c->p;
	size_t avail = (size_t)(c->end - p);
	size_t len;

	if (avail == 0)
		return DER_EEND;
	if (avail < 2)
		return DER_ETRUNC;
	out->raw = p;
	out->tag = *p++;
	out->number = out->tag & 0x1F;
	if ((out->tag & 0x1F) == 0x1F) {
		uint32_t n = 0;
		int i;

		/* X.690 8.1.2.4.2: the first subsequent octet is not 0x80. */
		if (*p == 0x80)
			return DER_ETAG;
		for (i = 0;; i++) {
			if (i == 3 || p >= c->end)
				return i == 3 ? DER_ETAG : DER_ETRUNC;
			n = (n << 7) | (*p & 0x7F);
			if (!(*p++ & 0x80))
				break;
		}
		/* High-tag form only for numbers >= 31 (X.690 8.1.2.4). */
		if (n < 31)
			return DER_ETAG;
		out->number = n;
		if (p >= c->end)
			return DER_ETRUNC;
	}

	if (*p < 0x80) {
		len = *p++;
	} else if (*p == 0x80) {
		return DER_EINDEF;
	} else {
		unsigned nbytes = *p++ & 0x7F;
		unsigned i;

		if (nbytes > sizeof(size_t) || nbytes == 0x7F)
			return DER_ELEN;
		if ((size_t)(c->end - p) < nbytes)
			return DER_ETRUNC;
		/* X.690 10.1: the fewest octets; no leading zero. */
		if (p[0] == 0)
			return DER_ELEN;
		len = 0;
		for (i = 0; i < nbytes; i++)
			len = (len << 8) | p[i];
		p += nbytes;
		if (len < 0x80)
			return DER_ELEN;
	}
	if ((size_t)(c->end - p) < len)
		return DER_ETRUNC;
	out->val = p;
	out->len = len;
	out->raw_len = (size_t)(p - out->raw) + len;
	return DER_OK;
}

enum der_err
der_next(struct der_cursor *c, struct der_tlv *out)
{
	enum der_err e = der_peek(c, out);

	if (e == DER_OK)
		c->p = out->val + out->len;
	return e;
}

enum der_err
der_expect(struct der_cursor *c, uint8_t tag, struct der_tlv *out)
{
	struct der_tlv t;
	enum der_err e = der_peek(c, &t);

	if (e != DER_OK)
		return e;
	if (t.tag != tag)
		return DER_EUNEXPECTED;
	c->p = t.val + t.len;
	*out = t;
	return DER_OK;
}

enum der_err
der_optional(struct der_cursor *c, uint8_t tag, struct der_tlv *out,
	     int *out_present)
{
	struct der_tlv t;
	enum der_err e;

	*out_present = 0;
	e = der_peek(c, &t);
	if (e == DER_EEND)
		return DER_OK;
	if (e != DER_OK)
		return e;
	if (t.tag != tag)
		return DER_OK;
	c->p = t.val + t.len;
	*out = t;
	*out_present = 1;
	return DER_OK;
}

enum der_err
der_enter(const struct der_cursor *parent, const struct der_tlv *t,
	  struct der_cursor *out)
{
	if (!(t->tag & 0x20))
		return DER_EUNEXPECTED;
	if (parent->depth + 1 > MAX_DER_DEPTH)
		return DER_EDEPTH;
	out->p = t->val;
	out->end = t->val + t->len;
	out->depth = parent->depth + 1;
	return DER_OK;
}

enum der_err
der_finish(const struct der_cursor *c)
{
	return c->p == c->end ? DER_OK : DER_ETRAILING;
}

size_t
der_put_head(uint8_t *p, uint8_t tag, size_t len)
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

enum der_err
der_check_integer(const struct der_tlv *t)
{
	if (t->len == 0)
		return DER_EINT;
	/* X.690 8.3.2: the first nine bits are not all 0 or all 1. */
	if (t->len > 1) {
		if (t->val[0] == 0x00 && !(t->val[1] & 0x80))
			return DER_EINT;
		if (t->val[0] == 0xFF && (t->val[1] & 0x80))
			return DER_EINT;
	}
	return DER_OK;
}

enum der_err
der_get_uint64(const struct der_tlv *t, uint64_t *out)
{
	uint64_t v = 0;
	size_t i, n = t->len;
	const uint8_t *p = t->val;
	enum der_err e = der_check_integer(t);

	if (e != DER_OK)
		return e;
	if (p[0] & 0x80)
		return DER_EINT;
	if (p[0] == 0x00 && n > 1) {
		p++;
		n--;
	}
	if (n > 8)
		return DER_EINT;
	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = v;
	return DER_OK;
}

enum der_err
der_get_bool(const struct der_tlv *t, int *out)
{
	if (t->len != 1 || (t->val[0] != 0x00 && t->val[0] != 0xFF))
		return DER_EBOOL;
	*out = t->val[0] == 0xFF;
	return DER_OK;
}

enum der_err
der_get_bits(const struct der_tlv *t, const uint8_t **out, size_t *out_len)
{
	/* Signatures and keys are whole octets; X.690 8.6.2.3: an empty
	 * BIT STRING has the single octet 0. */
	if (t->len == 0 || t->val[0] != 0)
		return DER_EBITS;
	*out = t->val + 1;
	*out_len = t->len - 1;
	return DER_OK;
}

enum der_err
der_check_oid(const struct der_tlv *t)
{
	size_t i;

	if (t->len == 0)
		return DER_EOID;
	/* X.690 8.19.2: each subidentifier minimal (no leading 0x80),
	 * and the last octet ends a subidentifier. */
	for (i = 0; i < t->len; i++) {
		if (t->val[i] == 0x80 && (i == 0 || !(t->val[i - 1] & 0x80)))
			return DER_EOID;
	}
	if (t->val[t->len - 1] & 0x80)
		return DER_EOID;
	return DER_OK;
}

int
der_oid_eq(const struct der_tlv *t, const uint8_t *oid, size_t len)
{
	return t->tag == DER_OID && t->len == len &&
	       memcmp(t->val, oid, len) == 0;
}

int
der_get_bool_ber(const struct der_tlv *t, int *out)
{
	if (t->len != 1)
		return 0;
	*out = t->val[0] != 0;
	return 1;
}

enum der_err
der_next_extension(struct der_cursor *c, struct der_extension *out, char *why,
		   size_t whylen)
{
	struct der_cursor ec;
	struct der_tlv crit;
	enum der_err e;
	int present;

	out->critical = 0;
	if ((e = der_expect(c, DER_SEQUENCE, &out->raw)) != DER_OK ||
	    (e = der_enter(c, &out->raw, &ec)) != DER_OK ||
	    (e = der_expect(&ec, DER_OID, &out->oid)) != DER_OK ||
	    (e = der_check_oid(&out->oid)) != DER_OK) {
		snprintf(why, whylen, "malformed Extension: %s",
			 der_strerror(e));
		return e;
	}
	if ((e = der_optional(&ec, DER_BOOLEAN, &crit, &present)) != DER_OK) {
		snprintf(why, whylen, "%s", der_strerror(e));
		return e;
	}
	if (present && !der_get_bool_ber(&crit, &out->critical)) {
		snprintf(why, whylen, "critical is not a BOOLEAN");
		return DER_EBOOL;
	}
	if ((e = der_expect(&ec, DER_OCTET_STRING, &out->value)) != DER_OK ||
	    (e = der_finish(&ec)) != DER_OK) {
		snprintf(why, whylen, "extnValue: %s", der_strerror(e));
		return e;
	}
	return DER_OK;
}

static int
digits(const uint8_t *p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30,
				 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

enum der_err
der_get_time(const struct der_tlv *t, int64_t *out)
{
	const uint8_t *p = t->val;
	int y, mo, d, h, mi, s;

	if (t->tag == DER_UTC_TIME) {
		/* RFC 5280 4.1.2.5.1: YYMMDDHHMMSSZ; YY >= 50 is 19YY. */
		if (t->len != 13 || p[12] != 'Z' || !digits(p, 2, &y))
			return DER_ETIME;
		y += y >= 50 ? 1900 : 2000;
		p += 2;
	} else if (t->tag == DER_GENERALIZED_TIME) {
		/* RFC 5280 4.1.2.5.2: YYYYMMDDHHMMSSZ, no fraction. */
		if (t->len != 15 || p[14] != 'Z' || !digits(p, 4, &y))
			return DER_ETIME;
		p += 4;
	} else {
		return DER_EUNEXPECTED;
	}
	if (!digits(p, 2, &mo) || !digits(p + 2, 2, &d) ||
	    !digits(p + 4, 2, &h) || !digits(p + 6, 2, &mi) ||
	    !digits(p + 8, 2, &s))
		return DER_ETIME;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || s > 59)
		return DER_ETIME;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + s;
	return DER_OK;
}

const char *
der_strerror(enum der_err e)
{
	switch (e) {
	case DER_OK:
		return "no error";
	case DER_ETRUNC:
		return "X.690 8.1.1: value runs past the end of its container";
	case DER_EINDEF:
		return "X.690 10.1: indefinite length is not DER";
	case DER_ELEN:
		return "X.690 10.1: length not in the minimal number of octets";
	case DER_ETAG:
		return "X.690 8.1.2.4: tag number not minimally encoded";
	case DER_EDEPTH:
		return "nesting deeper than the limit";
	case DER_EUNEXPECTED:
		return "unexpected tag";
	case DER_EEND:
		return "value missing";
	case DER_ETRAILING:
		return "trailing bytes after the last value";
	case DER_EINT:
		return "X.690 8.3.2: INTEGER empty, not minimal, or out of "
		       "range";
	case DER_EBOOL:
		return "X.690 11.1: BOOLEAN not 0x00 or 0xFF";
	case DER_EBITS:
		return "X.690 8.6.2: BIT STRING malformed or with unused bits";
	case DER_EOID:
		return "X.690 8.19: OBJECT IDENTIFIER malformed";
	case DER_ETIME:
		return "RFC 5280 4.1.2.5: time not in the DER profile";
	case DER_ENULL:
		return "X.690 8.8: NULL with contents";
	}
	return "unknown DER error";
}
