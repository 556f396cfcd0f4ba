/*
 * libFuzzer driver for src/der/der.c. Walks the input as a tree of TLVs
 * with der_next / der_enter (der_enter bounds the depth) and checks what
 * the reader promises, not merely that it does not crash:
 *
 *  - every TLV lies inside its container and so inside the input, and
 *    raw_len is the header plus the contents;
 *  - the header is exactly the DER encoding of (tag, number, len), so a
 *    strict reader accepts only canonical headers;
 *  - peek, next, expect and optional agree; a failed read moves nothing;
 *  - a value a getter accepts re-encodes to the same contents octets
 *    (INTEGER, BOOLEAN, UTCTime, GeneralizedTime);
 *  - der_enter refuses exactly primitives and depth MAX_DER_DEPTH + 1.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_der: %s:%d: %s\n", __FILE__,     \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in_start, *in_end;

static int
inside(const uint8_t *p, size_t len, const uint8_t *lo, const uint8_t *hi)
{
	return p >= lo && p <= hi && len <= (size_t)(hi - p);
}

/* The DER identifier and length octets of t, into out (>= 16 bytes). */
static size_t
encode_header(const struct der_tlv *t, uint8_t *out)
{
	size_t n = 0, len = t->len;
	int i, k;

	out[n++] = t->tag;
	if ((t->tag & 0x1F) == 0x1F) {
		uint32_t v = t->number;

		for (k = 0; k < 4 && (v >> (7 * (k + 1))) != 0; k++)
			;
		for (i = k; i >= 0; i--)
			out[n++] = (uint8_t)(((v >> (7 * i)) & 0x7F) |
					     (i > 0 ? 0x80 : 0));
	}
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
	} else {
		for (k = 1; k < 8 && (len >> (8 * k)) != 0; k++)
			;
		out[n++] = (uint8_t)(0x80 | k);
		for (i = k - 1; i >= 0; i--)
			out[n++] = (uint8_t)(len >> (8 * i));
	}
	return n;
}

/* The minimal two's complement of v as a non-negative INTEGER. */
static size_t
encode_uint64(uint64_t v, uint8_t *out)
{
	uint8_t tmp[9];
	size_t n = 0, i;

	do {
		tmp[n++] = (uint8_t)v;
		v >>= 8;
	} while (v != 0);
	if (tmp[n - 1] & 0x80)
		tmp[n++] = 0;
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* der_get_time on t's contents under `tag`; on success the value must
 * format back to the same characters (through gmtime, not der.c). */
static void
check_time(const struct der_tlv *t, uint8_t tag)
{
	struct der_tlv u = *t;
	int64_t v;
	time_t tt;
	struct tm tm;
	char s[64];
	enum der_err e;

	u.tag = tag;
	e = der_get_time(&u, &v);
	if (e != DER_OK) {
		CHECK(e == DER_ETIME);
		return;
	}
	tt = (time_t)v;
	CHECK(gmtime_r(&tt, &tm) != NULL);
	if (tag == DER_UTC_TIME) {
		CHECK(tm.tm_year + 1900 >= 1950 && tm.tm_year + 1900 <= 2049);
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
			 (tm.tm_year + 1900) % 100, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	} else {
		CHECK(tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999);
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	CHECK(strlen(s) == t->len && memcmp(s, t->val, t->len) == 0);
}

static void
check_values(const struct der_tlv *t)
{
	uint8_t enc[16];
	uint64_t u;
	int b;
	const uint8_t *bits;
	size_t bits_len, n;
	enum der_err ei, eu, e;

	/* INTEGER: any contents; uint64 only when minimal and in range. */
	ei = der_check_integer(t);
	CHECK(ei == DER_OK || ei == DER_EINT);
	CHECK(ei == DER_EINT ||
	      (t->len > 0 &&
	       (t->len == 1 || !((t->val[0] == 0x00 && !(t->val[1] & 0x80)) ||
				 (t->val[0] == 0xFF && (t->val[1] & 0x80))))));
	eu = der_get_uint64(t, &u);
	CHECK(eu == DER_OK || eu == DER_EINT);
	if (eu == DER_OK) {
		CHECK(ei == DER_OK);
		n = encode_uint64(u, enc);
		CHECK(n == t->len && memcmp(enc, t->val, n) == 0);
	} else if (ei == DER_OK) {
		/* Refused only when negative or wider than 64 bits. */
		CHECK((t->val[0] & 0x80) || t->len > 9 ||
		      (t->len == 9 && t->val[0] != 0));
	}

	e = der_get_bool(t, &b);
	CHECK(e == (t->len == 1 && (t->val[0] == 0 || t->val[0] == 0xFF)
			? DER_OK
			: DER_EBOOL));
	if (e == DER_OK)
		CHECK(b == (t->val[0] == 0xFF));

	e = der_get_bits(t, &bits, &bits_len);
	CHECK(e == (t->len > 0 && t->val[0] == 0 ? DER_OK : DER_EBITS));
	if (e == DER_OK)
		CHECK(bits == t->val + 1 && bits_len == t->len - 1);

	e = der_check_oid(t);
	CHECK(e == DER_OK || e == DER_EOID);
	if (e == DER_OK) {
		CHECK(t->len > 0 && !(t->val[t->len - 1] & 0x80));
		CHECK(t->val[0] != 0x80);
	}
	CHECK(der_oid_eq(t, t->val, t->len) == (t->tag == DER_OID));

	check_time(t, DER_UTC_TIME);
	check_time(t, DER_GENERALIZED_TIME);
	if (t->tag != DER_UTC_TIME && t->tag != DER_GENERALIZED_TIME) {
		int64_t v;

		CHECK(der_get_time(t, &v) == DER_EUNEXPECTED);
	}
	CHECK(der_strerror(e) != NULL);
}

static void
walk(struct der_cursor *c)
{
	const uint8_t *lo = c->p, *hi = c->end;

	CHECK(inside(lo, (size_t)(hi - lo), in_start, in_end));
	while (!der_at_end(c)) {
		struct der_cursor save = *c, probe, in;
		struct der_tlv t, pt, xt, ot;
		uint8_t hdr[16];
		size_t hlen;
		enum der_err e, pe, xe, oe;
		int present = -1;

		CHECK(der_finish(c) == DER_ETRAILING);
		pe = der_peek(c, &pt);
		CHECK(c->p == save.p);
		e = der_next(c, &t);
		CHECK(e == pe);
		CHECK(e != DER_EEND);
		if (e != DER_OK) {
			CHECK(e == DER_ETRUNC || e == DER_EINDEF ||
			      e == DER_ELEN || e == DER_ETAG);
			CHECK(c->p == save.p && c->end == save.end);
			probe = save;
			CHECK(der_expect(&probe, 0x30, &xt) == e);
			CHECK(der_optional(&probe, 0x30, &ot, &present) == e);
			CHECK(present == 0 && probe.p == save.p);
			return;
		}
		/* Inside the container, header + contents, cursor past it. */
		CHECK(t.raw == save.p);
		CHECK(t.val >= t.raw + 2 && t.val <= t.raw + 2 + 3 + 8);
		CHECK(t.raw_len == (size_t)(t.val - t.raw) + t.len);
		CHECK(inside(t.raw, t.raw_len, lo, hi));
		CHECK(inside(t.val, t.len, in_start, in_end));
		CHECK(c->p == t.raw + t.raw_len && c->end == hi);
		CHECK(pt.raw == t.raw && pt.val == t.val && pt.len == t.len &&
		      pt.tag == t.tag && pt.number == t.number &&
		      pt.raw_len == t.raw_len);
		CHECK(t.tag == t.raw[0]);
		if ((t.tag & 0x1F) == 0x1F)
			CHECK(t.number >= 31 && t.number < (1u << 21));
		else
			CHECK(t.number == (t.tag & 0x1Fu));
		/* Strict DER: the header is the canonical encoding. */
		hlen = encode_header(&t, hdr);
		CHECK(hlen == (size_t)(t.val - t.raw));
		CHECK(memcmp(hdr, t.raw, hlen) == 0);

		/* expect / optional agree with next. */
		probe = save;
		xe = der_expect(&probe, t.tag, &xt);
		CHECK(xe == DER_OK && xt.raw == t.raw && probe.p == c->p);
		probe = save;
		xe = der_expect(&probe, (uint8_t)(t.tag ^ 0x01), &xt);
		CHECK(xe == DER_EUNEXPECTED && probe.p == save.p);
		probe = save;
		oe = der_optional(&probe, t.tag, &ot, &present);
		CHECK(oe == DER_OK && present == 1 && ot.len == t.len &&
		      probe.p == c->p);
		probe = save;
		oe = der_optional(&probe, (uint8_t)(t.tag ^ 0x20), &ot,
				  &present);
		CHECK(oe == DER_OK && present == 0 && probe.p == save.p);

		check_values(&t);

		e = der_enter(c, &t, &in);
		if (!(t.tag & 0x20)) {
			CHECK(e == DER_EUNEXPECTED);
			continue;
		}
		if (c->depth + 1 > MAX_DER_DEPTH) {
			CHECK(e == DER_EDEPTH);
			continue;
		}
		CHECK(e == DER_OK);
		CHECK(in.p == t.val && in.end == t.val + t.len &&
		      in.depth == c->depth + 1);
		walk(&in);
	}
	CHECK(der_finish(c) == DER_OK);
	CHECK(c->p == hi);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	struct der_cursor c;

	if (size == 0)
		data = empty;
	in_start = data;
	in_end = data + size;
	der_init(&c, data, size);
	CHECK(c.depth == 0 && der_at_end(&c) == (size == 0));
	walk(&c);
	return 0;
}
