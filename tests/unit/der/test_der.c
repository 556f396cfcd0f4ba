/*
 * Tests for src/der/der.c: tables of good and bad encodings, each row
 * asserting the exact der_err.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Hex with optional spaces into out[cap]; aborts the test on bad hex. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			cr_assert_fail("bad hex in test table: %s", s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap, "test table row too long");
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_eq(hi, -1, "odd hex in test table");
	return n;
}

/* A primitive TLV with `contents` (hex) under `tag`, for the value
 * getters, which look only at tag, val and len. */
static struct der_tlv
tlv_of(uint8_t tag, const char *contents, uint8_t *buf, size_t cap)
{
	struct der_tlv t;

	memset(&t, 0, sizeof(t));
	t.tag = tag;
	t.number = tag & 0x1F;
	t.len = unhex(contents, buf, cap);
	t.val = buf;
	t.raw = buf;
	t.raw_len = t.len;
	return t;
}

/* ---- lengths and tags: one TLV at the start of the input ------------- */

struct header_row {
	const char *hex; /* identifier and length octets, then contents */
	size_t pad;	 /* contents octets appended after `hex` */
	enum der_err want;
	uint8_t tag; /* when DER_OK */
	uint32_t number;
	size_t hdr; /* identifier + length octets */
	size_t len; /* contents octets */
};

static const struct header_row lengths[] = {
    /* short form */
    {"05 00", 0, DER_OK, 0x05, 5, 2, 0},
    {"04 03 01 02 03", 0, DER_OK, 0x04, 4, 2, 3},
    {"04 7F", 127, DER_OK, 0x04, 4, 2, 127},
    {"30 00", 0, DER_OK, 0x30, 16, 2, 0},
    /* long form, minimal */
    {"04 81 80", 128, DER_OK, 0x04, 4, 3, 128},
    {"04 81 FF", 255, DER_OK, 0x04, 4, 3, 255},
    {"04 82 01 00", 256, DER_OK, 0x04, 4, 4, 256},
    {"04 82 FF FF", 65535, DER_OK, 0x04, 4, 4, 65535},
    {"04 83 01 00 00", 65536, DER_OK, 0x04, 4, 5, 65536},
    /* long form where the short form would do */
    {"04 81 05", 5, DER_ELEN, 0, 0, 0, 0},
    {"04 81 00", 0, DER_ELEN, 0, 0, 0, 0},
    {"04 81 7F", 127, DER_ELEN, 0, 0, 0, 0},
    /* leading zero length octets */
    {"04 82 00 80", 128, DER_ELEN, 0, 0, 0, 0},
    {"04 82 00 05", 5, DER_ELEN, 0, 0, 0, 0},
    {"04 83 00 01 00", 256, DER_ELEN, 0, 0, 0, 0},
    {"04 88 00 00 00 00 00 00 00 05", 5, DER_ELEN, 0, 0, 0, 0},
    /* indefinite length is BER only */
    {"30 80 00 00", 0, DER_EINDEF, 0, 0, 0, 0},
    {"24 80 04 01 AA 00 00", 0, DER_EINDEF, 0, 0, 0, 0},
    /* too many length octets for a size_t, and the reserved 0xFF */
    {"04 89 01 00 00 00 00 00 00 00 00", 0, DER_ELEN, 0, 0, 0, 0},
    {"04 FF 01", 0, DER_ELEN, 0, 0, 0, 0},
    /* nine octets would wrap a 64-bit length to 0x80 */
    {"04 89 01 00 00 00 00 00 00 00 80", 128, DER_ELEN, 0, 0, 0, 0},
    /* eight octets is allowed, but such a length runs past the end */
    {"04 88 01 00 00 00 00 00 00 00", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"04 88 FF FF FF FF FF FF FF FF", 0, DER_ETRUNC, 0, 0, 0, 0},
    /* length past the end */
    {"04 05 01 02 03 04", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"04 01", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"04 81 80", 127, DER_ETRUNC, 0, 0, 0, 0},
    {"04 82 01 00", 255, DER_ETRUNC, 0, 0, 0, 0},
    /* length octets themselves missing */
    {"04 81", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"04 82 01", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"04", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"", 0, DER_EEND, 0, 0, 0, 0},
};

static const struct header_row tags[] = {
    /* low tag numbers in every class */
    {"1E 00", 0, DER_OK, 0x1E, 30, 2, 0},
    {"A0 00", 0, DER_OK, 0xA0, 0, 2, 0},
    {"80 01 FF", 0, DER_OK, 0x80, 0, 2, 1},
    {"5E 00", 0, DER_OK, 0x5E, 30, 2, 0},
    {"DE 00", 0, DER_OK, 0xDE, 30, 2, 0},
    /* high tag numbers, minimal */
    {"1F 1F 00", 0, DER_OK, 0x1F, 31, 3, 0},
    {"9F 1F 01 AA", 0, DER_OK, 0x9F, 31, 3, 1},
    {"BF 7F 00", 0, DER_OK, 0xBF, 127, 3, 0},
    {"5F 81 00 00", 0, DER_OK, 0x5F, 128, 4, 0},
    {"DF FF 7F 00", 0, DER_OK, 0xDF, 16383, 4, 0},
    {"1F 81 80 00 00", 0, DER_OK, 0x1F, 16384, 5, 0},
    {"1F FF FF 7F 00", 0, DER_OK, 0x1F, 2097151, 5, 0},
    {"1F 1F 81 80", 128, DER_OK, 0x1F, 31, 4, 128},
    /* a leading 0x80 octet in the tag number is not minimal */
    {"1F 80 1F 00", 0, DER_ETAG, 0, 0, 0, 0},
    {"1F 80 81 00 00", 0, DER_ETAG, 0, 0, 0, 0},
    /* numbers below 31 must use the low form */
    {"1F 1E 00", 0, DER_ETAG, 0, 0, 0, 0},
    {"1F 00 00", 0, DER_ETAG, 0, 0, 0, 0},
    {"BF 10 00", 0, DER_ETAG, 0, 0, 0, 0},
    /* above 2^21 - 1: four tag number octets */
    {"1F 81 80 80 00 00", 0, DER_ETAG, 0, 0, 0, 0},
    {"1F FF FF FF 7F 00", 0, DER_ETAG, 0, 0, 0, 0},
    /* truncated inside the tag number, or right after it */
    {"1F 81", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"1F FF FF", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"1F 1F", 0, DER_ETRUNC, 0, 0, 0, 0},
    {"1F", 0, DER_ETRUNC, 0, 0, 0, 0},
    /* a bad length after a good high tag */
    {"1F 1F 80", 0, DER_EINDEF, 0, 0, 0, 0},
    {"1F 1F 81 05", 5, DER_ELEN, 0, 0, 0, 0},
    {"1F 1F 05 00", 0, DER_ETRUNC, 0, 0, 0, 0},
};

static void
check_header_rows(const struct header_row *rows, size_t n)
{
	static uint8_t buf[70000];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct header_row *r = &rows[i];
		size_t len = unhex(r->hex, buf, sizeof(buf));
		struct der_cursor c;
		struct der_tlv t, pt;
		enum der_err e;

		cr_assert_leq(len + r->pad, sizeof(buf));
		memset(buf + len, 0xAA, r->pad);
		len += r->pad;

		der_init(&c, buf, len);
		e = der_peek(&c, &pt);
		cr_expect_eq(e, r->want, "row %zu (%s +%zu): peek %s, want %s",
			     i, r->hex, r->pad, der_strerror(e),
			     der_strerror(r->want));
		cr_expect_eq(c.p, buf, "row %zu: peek moved the cursor", i);
		e = der_next(&c, &t);
		cr_expect_eq(e, r->want, "row %zu (%s +%zu): next %s, want %s",
			     i, r->hex, r->pad, der_strerror(e),
			     der_strerror(r->want));
		if (r->want != DER_OK) {
			cr_expect_eq(c.p, buf,
				     "row %zu: a failed next moved the cursor",
				     i);
			continue;
		}
		cr_expect_eq(t.tag, r->tag, "row %zu: tag %02x", i, t.tag);
		cr_expect_eq(t.number, r->number, "row %zu: number %u", i,
			     (unsigned)t.number);
		cr_expect_eq(t.raw, buf, "row %zu: raw", i);
		cr_expect_eq(t.val, buf + r->hdr, "row %zu: val at %td", i,
			     t.val - buf);
		cr_expect_eq(t.len, r->len, "row %zu: len %zu", i, t.len);
		cr_expect_eq(t.raw_len, r->hdr + r->len, "row %zu: raw_len", i);
		cr_expect_eq(c.p, buf + t.raw_len, "row %zu: cursor", i);
		cr_expect(t.tag == pt.tag && t.number == pt.number &&
			      t.raw == pt.raw && t.raw_len == pt.raw_len &&
			      t.val == pt.val && t.len == pt.len,
			  "row %zu: peek and next differ", i);
		cr_expect(der_at_end(&c), "row %zu: one TLV is the input", i);
		cr_expect_eq(der_finish(&c), DER_OK, "row %zu", i);
	}
}

Test(der_length, table)
{
	check_header_rows(lengths, NELEM(lengths));
}

Test(der_tag, table)
{
	check_header_rows(tags, NELEM(tags));
}

/* A bad TLV after a good one: the error of the second read. */
Test(der_length, error_in_second_value)
{
	uint8_t buf[16];
	size_t n = unhex("02 01 05 04 81 05 01 02 03 04 05", buf, sizeof(buf));
	struct der_cursor c;
	struct der_tlv t;

	der_init(&c, buf, n);
	cr_assert_eq(der_next(&c, &t), DER_OK);
	cr_assert_eq(der_next(&c, &t), DER_ELEN);
	cr_assert_eq(c.p, buf + 3);
	cr_assert_eq(der_finish(&c), DER_ETRAILING);
}

/* A value must fit in its container, not merely in the buffer. */
Test(der_length, bounded_by_container)
{
	uint8_t buf[16];
	/* SEQUENCE of length 3 holding an OCTET STRING claiming 4 octets;
	 * the buffer has them, the SEQUENCE does not. */
	size_t n = unhex("30 03 04 04 01 02 03 04", buf, sizeof(buf));
	struct der_cursor c, in;
	struct der_tlv seq, t;

	der_init(&c, buf, n);
	cr_assert_eq(der_next(&c, &seq), DER_OK);
	cr_assert_eq(seq.len, 3);
	cr_assert_eq(der_finish(&c), DER_ETRAILING);
	cr_assert_eq(der_enter(&c, &seq, &in), DER_OK);
	cr_assert_eq(der_next(&in, &t), DER_ETRUNC);
}

/* ---- depth ------------------------------------------------------------ */

/* `n` SEQUENCEs nested in one another around a NULL. */
static size_t
nested(uint8_t *buf, size_t cap, unsigned n)
{
	size_t len = 2 * n + 2, i;

	cr_assert_leq(len, cap);
	cr_assert_lt(len, 0x80, "short-form lengths only");
	for (i = 0; i < n; i++) {
		buf[2 * i] = DER_SEQUENCE;
		buf[2 * i + 1] = (uint8_t)(len - 2 * i - 2);
	}
	buf[2 * n] = DER_NULL;
	buf[2 * n + 1] = 0;
	return len;
}

/* Enters every level it can; returns the error of the last step. */
static enum der_err
descend(const uint8_t *buf, size_t len, unsigned *out_levels)
{
	struct der_cursor c, in;
	struct der_tlv t;
	enum der_err e;

	der_init(&c, buf, len);
	*out_levels = 0;
	for (;;) {
		if ((e = der_next(&c, &t)) != DER_OK)
			return e;
		if (t.tag == DER_NULL)
			return DER_OK;
		if ((e = der_enter(&c, &t, &in)) != DER_OK)
			return e;
		cr_assert_eq(in.depth, c.depth + 1);
		cr_assert_eq(in.p, t.val);
		cr_assert_eq(in.end, t.val + t.len);
		c = in;
		(*out_levels)++;
	}
}

Test(der_depth, limit)
{
	uint8_t buf[128];
	unsigned levels;
	size_t n;

	cr_assert_lt(2 * (MAX_DER_DEPTH + 1) + 2, sizeof(buf));

	n = nested(buf, sizeof(buf), MAX_DER_DEPTH);
	cr_expect_eq(descend(buf, n, &levels), DER_OK);
	cr_expect_eq(levels, MAX_DER_DEPTH);

	n = nested(buf, sizeof(buf), MAX_DER_DEPTH + 1);
	cr_expect_eq(descend(buf, n, &levels), DER_EDEPTH);
	cr_expect_eq(levels, MAX_DER_DEPTH);

	n = nested(buf, sizeof(buf), 1);
	cr_expect_eq(descend(buf, n, &levels), DER_OK);
	cr_expect_eq(levels, 1);
}

/* The depth counts from the parent cursor, which may start deep. */
Test(der_depth, from_parent)
{
	uint8_t buf[4];
	size_t n = unhex("30 00", buf, sizeof(buf));
	struct der_cursor c, in;
	struct der_tlv t;

	der_init(&c, buf, n);
	cr_assert_eq(der_peek(&c, &t), DER_OK);
	c.depth = MAX_DER_DEPTH - 1;
	cr_expect_eq(der_enter(&c, &t, &in), DER_OK);
	cr_expect_eq(in.depth, MAX_DER_DEPTH);
	cr_expect(der_at_end(&in), "empty SEQUENCE");
	c.depth = MAX_DER_DEPTH;
	cr_expect_eq(der_enter(&c, &t, &in), DER_EDEPTH);
}

Test(der_enter, constructed_only)
{
	static const struct {
		const char *hex;
		enum der_err want;
	} rows[] = {
	    {"30 00", DER_OK},		{"31 00", DER_OK},
	    {"A0 00", DER_OK},		{"A3 02 05 00", DER_OK},
	    {"24 00", DER_OK},		{"3F 1F 00", DER_OK},
	    {"04 00", DER_EUNEXPECTED}, {"02 01 00", DER_EUNEXPECTED},
	    {"80 00", DER_EUNEXPECTED}, {"1F 1F 00", DER_EUNEXPECTED},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[8];
		size_t n = unhex(rows[i].hex, buf, sizeof(buf));
		struct der_cursor c, in;
		struct der_tlv t;

		der_init(&c, buf, n);
		cr_assert_eq(der_next(&c, &t), DER_OK, "row %zu", i);
		cr_expect_eq(der_enter(&c, &t, &in), rows[i].want,
			     "row %zu (%s)", i, rows[i].hex);
	}
}

/* ---- cursor helpers --------------------------------------------------- */

Test(der_cursor, walk_sequence)
{
	uint8_t buf[16];
	size_t n = unhex("30 06 02 01 01 02 01 02", buf, sizeof(buf));
	struct der_cursor c, in;
	struct der_tlv seq, a, b, z;

	der_init(&c, buf, n);
	cr_assert_eq(c.depth, 0);
	cr_assert(!der_at_end(&c));
	cr_assert_eq(der_finish(&c), DER_ETRAILING);
	cr_assert_eq(der_expect(&c, DER_SEQUENCE, &seq), DER_OK);
	cr_assert(der_at_end(&c));
	cr_assert_eq(der_finish(&c), DER_OK);
	cr_assert_eq(der_next(&c, &z), DER_EEND);
	cr_assert_eq(der_peek(&c, &z), DER_EEND);

	cr_assert_eq(der_enter(&c, &seq, &in), DER_OK);
	cr_assert_eq(der_expect(&in, DER_INTEGER, &a), DER_OK);
	cr_assert_eq(a.val, buf + 4);
	cr_assert_eq(a.val[0], 1);
	cr_assert_eq(der_finish(&in), DER_ETRAILING);
	cr_assert_eq(der_expect(&in, DER_INTEGER, &b), DER_OK);
	cr_assert_eq(b.val[0], 2);
	cr_assert_eq(der_finish(&in), DER_OK);
	cr_assert_eq(der_expect(&in, DER_INTEGER, &z), DER_EEND);
}

Test(der_cursor, expect)
{
	uint8_t buf[16];
	size_t n = unhex("02 01 05 04 00", buf, sizeof(buf));
	struct der_cursor c;
	struct der_tlv t;

	der_init(&c, buf, n);
	memset(&t, 0x5A, sizeof(t));
	/* The wrong tag leaves both the cursor and *out alone. */
	cr_expect_eq(der_expect(&c, DER_OCTET_STRING, &t), DER_EUNEXPECTED);
	cr_expect_eq(c.p, buf);
	cr_expect_eq(t.tag, 0x5A);
	/* A class or constructed bit differing is a different tag. */
	cr_expect_eq(der_expect(&c, DER_INTEGER | 0x20, &t), DER_EUNEXPECTED);
	cr_expect_eq(der_expect(&c, DER_CTX_PRIM(2), &t), DER_EUNEXPECTED);
	cr_expect_eq(der_expect(&c, DER_INTEGER, &t), DER_OK);
	cr_expect_eq(t.tag, DER_INTEGER);
	cr_expect_eq(t.len, 1);
	cr_expect_eq(c.p, buf + 3);
	cr_expect_eq(der_expect(&c, DER_OCTET_STRING, &t), DER_OK);
	cr_expect_eq(t.len, 0);
	cr_expect_eq(der_expect(&c, DER_OCTET_STRING, &t), DER_EEND);

	/* A malformed value is reported as such, not as a wrong tag. */
	n = unhex("04 81 01 AA", buf, sizeof(buf));
	der_init(&c, buf, n);
	cr_expect_eq(der_expect(&c, DER_OCTET_STRING, &t), DER_ELEN);
	cr_expect_eq(der_expect(&c, DER_INTEGER, &t), DER_ELEN);
	cr_expect_eq(c.p, buf);
}

Test(der_cursor, optional)
{
	uint8_t buf[16];
	size_t n = unhex("A0 03 02 01 02 02 01 07", buf, sizeof(buf));
	struct der_cursor c;
	struct der_tlv t;
	int present;

	der_init(&c, buf, n);
	/* Absent: another tag follows; the cursor stays. */
	present = -1;
	cr_expect_eq(der_optional(&c, DER_CTX_CONS(1), &t, &present), DER_OK);
	cr_expect_eq(present, 0);
	cr_expect_eq(c.p, buf);
	/* Present. */
	cr_expect_eq(der_optional(&c, DER_CTX_CONS(0), &t, &present), DER_OK);
	cr_expect_eq(present, 1);
	cr_expect_eq(t.tag, DER_CTX_CONS(0));
	cr_expect_eq(t.len, 3);
	cr_expect_eq(c.p, buf + 5);
	cr_expect_eq(der_optional(&c, DER_INTEGER, &t, &present), DER_OK);
	cr_expect_eq(present, 1);
	cr_expect_eq(t.val[0], 7);
	/* Absent: at the end. */
	present = -1;
	cr_expect_eq(der_optional(&c, DER_INTEGER, &t, &present), DER_OK);
	cr_expect_eq(present, 0);
	cr_expect_eq(der_finish(&c), DER_OK);

	/* Malformed: the error, and not present. */
	n = unhex("30 80 00 00", buf, sizeof(buf));
	der_init(&c, buf, n);
	present = -1;
	cr_expect_eq(der_optional(&c, DER_SEQUENCE, &t, &present), DER_EINDEF);
	cr_expect_eq(present, 0);
	cr_expect_eq(c.p, buf);
	n = unhex("02", buf, sizeof(buf));
	der_init(&c, buf, n);
	cr_expect_eq(der_optional(&c, DER_SEQUENCE, &t, &present), DER_ETRUNC);
	cr_expect_eq(present, 0);
}

Test(der_cursor, empty_buffer)
{
	static const uint8_t one[1] = {0};
	struct der_cursor c;
	struct der_tlv t;
	int present = -1;

	der_init(&c, one, 0);
	cr_expect(der_at_end(&c));
	cr_expect_eq(der_finish(&c), DER_OK);
	cr_expect_eq(der_next(&c, &t), DER_EEND);
	cr_expect_eq(der_expect(&c, DER_SEQUENCE, &t), DER_EEND);
	cr_expect_eq(der_optional(&c, DER_SEQUENCE, &t, &present), DER_OK);
	cr_expect_eq(present, 0);
}

/* An empty range may be NULL: no revokedCertificates, an empty file. */
Test(der_cursor, null_empty_range)
{
	struct der_cursor c;
	struct der_tlv t;

	der_init(&c, NULL, 0);
	cr_expect(der_at_end(&c));
	cr_expect_null(c.end);
	cr_expect_eq(der_finish(&c), DER_OK);
	cr_expect_eq(der_next(&c, &t), DER_EEND);
}

/* ---- INTEGER ------------------------------------------------------------ */

Test(der_integer, minimality)
{
	static const struct {
		const char *hex;
		enum der_err want;
	} rows[] = {
	    {"", DER_EINT},
	    {"00", DER_OK},
	    {"01", DER_OK},
	    {"7F", DER_OK},
	    {"80", DER_OK},
	    {"FF", DER_OK},
	    {"00 7F", DER_EINT},
	    {"00 80", DER_OK},
	    {"00 FF", DER_OK},
	    {"FF 80", DER_EINT},
	    {"FF 7F", DER_OK},
	    {"FF 00", DER_OK},
	    {"00 00", DER_EINT},
	    {"FF FF", DER_EINT},
	    {"00 01", DER_EINT},
	    {"01 00", DER_OK},
	    {"80 00", DER_OK},
	    {"00 00 80", DER_EINT},
	    {"FF FF 7F", DER_EINT},
	    {"00 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
	     DER_OK},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[32];
		struct der_tlv t =
		    tlv_of(DER_INTEGER, rows[i].hex, buf, sizeof(buf));

		cr_expect_eq(der_check_integer(&t), rows[i].want,
			     "row %zu (%s): %s", i, rows[i].hex,
			     der_strerror(der_check_integer(&t)));
	}
}

Test(der_integer, uint64)
{
	static const struct {
		const char *hex;
		enum der_err want;
		uint64_t v;
	} rows[] = {
	    {"00", DER_OK, 0},
	    {"01", DER_OK, 1},
	    {"7F", DER_OK, 127},
	    {"00 80", DER_OK, 128},
	    {"01 00", DER_OK, 256},
	    {"7F FF FF FF FF FF FF FF", DER_OK, INT64_MAX},
	    {"00 80 00 00 00 00 00 00 00", DER_OK, (uint64_t)INT64_MAX + 1},
	    {"00 FF FF FF FF FF FF FF FF", DER_OK, UINT64_MAX},
	    /* max + 1 */
	    {"01 00 00 00 00 00 00 00 00", DER_EINT, 0},
	    {"00 01 00 00 00 00 00 00 00 00", DER_EINT, 0},
	    {"7F FF FF FF FF FF FF FF FF", DER_EINT, 0},
	    /* negative */
	    {"FF", DER_EINT, 0},
	    {"80", DER_EINT, 0},
	    {"FF 7F", DER_EINT, 0},
	    {"80 00 00 00 00 00 00 00", DER_EINT, 0},
	    /* not minimal, empty */
	    {"00 7F", DER_EINT, 0},
	    {"00 00", DER_EINT, 0},
	    {"", DER_EINT, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[16];
		struct der_tlv t =
		    tlv_of(DER_INTEGER, rows[i].hex, buf, sizeof(buf));
		uint64_t v = 0xDEADBEEF;
		enum der_err e = der_get_uint64(&t, &v);

		cr_expect_eq(e, rows[i].want, "row %zu (%s): %s", i,
			     rows[i].hex, der_strerror(e));
		if (rows[i].want == DER_OK)
			cr_expect_eq(v, rows[i].v, "row %zu: %llu", i,
				     (unsigned long long)v);
		else
			cr_expect_eq(v, 0xDEADBEEF, "row %zu: out written", i);
	}
}

/* ---- BOOLEAN, BIT STRING, OID -------------------------------------------- */

Test(der_bool, table)
{
	static const struct {
		const char *hex;
		enum der_err want;
		int v;
	} rows[] = {
	    {"00", DER_OK, 0},	     {"FF", DER_OK, 1},
	    {"01", DER_EBOOL, 0},    {"FE", DER_EBOOL, 0},
	    {"80", DER_EBOOL, 0},    {"00 00", DER_EBOOL, 0},
	    {"FF FF", DER_EBOOL, 0}, {"FF 00", DER_EBOOL, 0},
	    {"", DER_EBOOL, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[4];
		struct der_tlv t =
		    tlv_of(DER_BOOLEAN, rows[i].hex, buf, sizeof(buf));
		int v = -7;
		enum der_err e = der_get_bool(&t, &v);

		cr_expect_eq(e, rows[i].want, "row %zu (%s): %s", i,
			     rows[i].hex, der_strerror(e));
		cr_expect_eq(v, rows[i].want == DER_OK ? rows[i].v : -7,
			     "row %zu: value %d", i, v);
	}
}

Test(der_bits, table)
{
	static const struct {
		const char *hex;
		enum der_err want;
		size_t len;
	} rows[] = {
	    {"00", DER_OK, 0},
	    {"00 AB", DER_OK, 1},
	    {"00 AB CD EF", DER_OK, 3},
	    {"00 00", DER_OK, 1},
	    /* unused bits: keys and signatures are whole octets */
	    {"01 AB", DER_EBITS, 0},
	    {"07 80", DER_EBITS, 0},
	    {"01", DER_EBITS, 0},
	    {"08 00", DER_EBITS, 0},
	    {"FF 00", DER_EBITS, 0},
	    {"", DER_EBITS, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[8];
		struct der_tlv t =
		    tlv_of(DER_BIT_STRING, rows[i].hex, buf, sizeof(buf));
		const uint8_t *p = NULL;
		size_t len = 999;
		enum der_err e = der_get_bits(&t, &p, &len);

		cr_expect_eq(e, rows[i].want, "row %zu (%s): %s", i,
			     rows[i].hex, der_strerror(e));
		if (rows[i].want != DER_OK)
			continue;
		cr_expect_eq(p, buf + 1, "row %zu", i);
		cr_expect_eq(len, rows[i].len, "row %zu: %zu", i, len);
	}
}

Test(der_oid, check)
{
	static const struct {
		const char *hex;
		enum der_err want;
	} rows[] = {
	    {"55 1D 14", DER_OK},		    /* 2.5.29.20 */
	    {"2A 86 48 86 F7 0D 01 01 0B", DER_OK}, /* sha256WithRSA */
	    {"2A 85 03 07 01 01 03 02", DER_OK},    /* GOST 2012-256 */
	    {"00", DER_OK},			    /* 0.0 */
	    {"2A 86 80 01", DER_OK},		    /* inner 0x80 */
	    {"7F", DER_OK},
	    {"81 00", DER_OK},
	    {"", DER_EOID},
	    {"80 01", DER_EOID}, /* leading 0x80 */
	    {"2A 80 01", DER_EOID},
	    {"2A 86 48 80 86 F7 0D", DER_EOID},
	    {"2A 86", DER_EOID}, /* unterminated */
	    {"86", DER_EOID},
	    {"2A 86 48 86 F7 0D 01 01 8B", DER_EOID},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t buf[16];
		struct der_tlv t =
		    tlv_of(DER_OID, rows[i].hex, buf, sizeof(buf));
		enum der_err e = der_check_oid(&t);

		cr_expect_eq(e, rows[i].want, "row %zu (%s): %s", i,
			     rows[i].hex, der_strerror(e));
	}
}

Test(der_oid, eq)
{
	static const uint8_t crl_number[] = {0x55, 0x1D, 0x14};
	static const uint8_t delta[] = {0x55, 0x1D, 0x1B};
	uint8_t buf[8];
	struct der_tlv t = tlv_of(DER_OID, "55 1D 14", buf, sizeof(buf));

	cr_expect_eq(der_oid_eq(&t, crl_number, sizeof(crl_number)), 1);
	cr_expect_eq(der_oid_eq(&t, delta, sizeof(delta)), 0);
	cr_expect_eq(der_oid_eq(&t, crl_number, 2), 0);
	t.len = 2;
	cr_expect_eq(der_oid_eq(&t, crl_number, sizeof(crl_number)), 0);
	t.len = 3;
	t.tag = DER_OCTET_STRING;
	cr_expect_eq(der_oid_eq(&t, crl_number, sizeof(crl_number)), 0);
}

/* ---- times ------------------------------------------------------------ */

struct time_row {
	uint8_t tag;
	const char *s;
	enum der_err want;
	int y, mo, d, h, mi, sec; /* when DER_OK */
};

#define U DER_UTC_TIME
#define G DER_GENERALIZED_TIME

static const struct time_row times[] = {
    /* UTCTime */
    {U, "700101000000Z", DER_OK, 1970, 1, 1, 0, 0, 0},
    {U, "260305123456Z", DER_OK, 2026, 3, 5, 12, 34, 56},
    {U, "000101000000Z", DER_OK, 2000, 1, 1, 0, 0, 0},
    {U, "491231235959Z", DER_OK, 2049, 12, 31, 23, 59, 59},
    {U, "490101000000Z", DER_OK, 2049, 1, 1, 0, 0, 0},
    {U, "500101000000Z", DER_OK, 1950, 1, 1, 0, 0, 0},
    {U, "991231235959Z", DER_OK, 1999, 12, 31, 23, 59, 59},
    {U, "691231235959Z", DER_OK, 1969, 12, 31, 23, 59, 59},
    /* leap years: 2000 (divisible by 400), 2024; not 2023 */
    {U, "000229120000Z", DER_OK, 2000, 2, 29, 12, 0, 0},
    {U, "240229000000Z", DER_OK, 2024, 2, 29, 0, 0, 0},
    {U, "230229000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "230228235959Z", DER_OK, 2023, 2, 28, 23, 59, 59},
    {U, "240230000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    /* field ranges */
    {U, "701301000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700001000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700100000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700132000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700431000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700430000000Z", DER_OK, 1970, 4, 30, 0, 0, 0},
    {U, "700101240000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101236000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101235960Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    /* shape */
    {U, "700101000000", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "7001010000000", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101000000z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "7001010000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101000000.5Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101000000+0300", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "700101000000-0000", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "19700101000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "7a0101000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, " 70101000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "70010100000 Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "7001010000-1Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {U, "", DER_ETIME, 0, 0, 0, 0, 0, 0},
    /* GeneralizedTime */
    {G, "19700101000000Z", DER_OK, 1970, 1, 1, 0, 0, 0},
    {G, "20260305123456Z", DER_OK, 2026, 3, 5, 12, 34, 56},
    {G, "20500101000000Z", DER_OK, 2050, 1, 1, 0, 0, 0},
    {G, "19491231235959Z", DER_OK, 1949, 12, 31, 23, 59, 59},
    {G, "99991231235959Z", DER_OK, 9999, 12, 31, 23, 59, 59},
    {G, "00010101000000Z", DER_OK, 1, 1, 1, 0, 0, 0},
    {G, "20000229000000Z", DER_OK, 2000, 2, 29, 0, 0, 0},
    {G, "19000229000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "21000229000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20241301000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101240000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101000000", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101000000.5Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101000000.000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101000000+0300", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "20240101000000-0530", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "202401010000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "240101000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "2024010100000Z0", DER_ETIME, 0, 0, 0, 0, 0, 0},
    {G, "2O240101000000Z", DER_ETIME, 0, 0, 0, 0, 0, 0},
    /* a time under any other tag */
    {DER_OCTET_STRING, "700101000000Z", DER_EUNEXPECTED, 0, 0, 0, 0, 0, 0},
    {DER_PRINTABLE_STRING, "19700101000000Z", DER_EUNEXPECTED, 0, 0, 0, 0, 0,
     0},
    {DER_UTC_TIME | 0x20, "700101000000Z", DER_EUNEXPECTED, 0, 0, 0, 0, 0, 0},
};

#undef U
#undef G

Test(der_time, table)
{
	size_t i;

	for (i = 0; i < NELEM(times); i++) {
		const struct time_row *r = &times[i];
		struct der_tlv t;
		struct tm tm;
		int64_t v = 12345;
		enum der_err e;

		memset(&t, 0, sizeof(t));
		t.tag = r->tag;
		t.val = (const uint8_t *)r->s;
		t.len = strlen(r->s);
		e = der_get_time(&t, &v);
		cr_expect_eq(e, r->want, "row %zu (%s): %s", i, r->s,
			     der_strerror(e));
		if (r->want != DER_OK) {
			cr_expect_eq(v, 12345, "row %zu: out written", i);
			continue;
		}
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = r->y - 1900;
		tm.tm_mon = r->mo - 1;
		tm.tm_mday = r->d;
		tm.tm_hour = r->h;
		tm.tm_min = r->mi;
		tm.tm_sec = r->sec;
		cr_expect_eq(v, (int64_t)timegm(&tm),
			     "row %zu (%s): %lld, timegm says %lld", i, r->s,
			     (long long)v, (long long)timegm(&tm));
	}
}

/* A few instants written out, independent of timegm. */
Test(der_time, known_instants)
{
	static const struct {
		uint8_t tag;
		const char *s;
		int64_t v;
	} rows[] = {
	    {DER_UTC_TIME, "700101000000Z", 0},
	    {DER_UTC_TIME, "691231235959Z", -1},
	    {DER_UTC_TIME, "000101000000Z", 946684800},
	    {DER_UTC_TIME, "380119031408Z", 2147483648LL},
	    {DER_UTC_TIME, "491231235959Z", 2524607999LL},
	    {DER_UTC_TIME, "500101000000Z", -631152000LL},
	    {DER_GENERALIZED_TIME, "99991231235959Z", 253402300799LL},
	    {DER_GENERALIZED_TIME, "00010101000000Z", -62135596800LL},
	    {DER_GENERALIZED_TIME, "20261121054143Z", 1795239703LL},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		struct der_tlv t;
		int64_t v = 0;

		memset(&t, 0, sizeof(t));
		t.tag = rows[i].tag;
		t.val = (const uint8_t *)rows[i].s;
		t.len = strlen(rows[i].s);
		cr_expect_eq(der_get_time(&t, &v), DER_OK, "row %zu", i);
		cr_expect_eq(v, rows[i].v, "row %zu (%s): %lld", i, rows[i].s,
			     (long long)v);
	}
}

/* Every day of 1950..2049 through UTCTime agrees with timegm. */
Test(der_time, every_day_of_utctime)
{
	int64_t day;

	for (day = -7305; day < 29220; day++) {
		time_t tt = (time_t)(day * 86400 + 86399);
		struct tm tm;
		char s[64];
		struct der_tlv t;
		int64_t v;

		cr_assert_not_null(gmtime_r(&tt, &tm));
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
			 tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		memset(&t, 0, sizeof(t));
		t.tag = DER_UTC_TIME;
		t.val = (const uint8_t *)s;
		t.len = strlen(s);
		cr_assert_eq(der_get_time(&t, &v), DER_OK, "%s", s);
		cr_assert_eq(v, (int64_t)tt, "%s: %lld", s, (long long)v);
	}
}

/* ---- messages ----------------------------------------------------------- */

Test(der_strerror, every_code)
{
	enum der_err e;
	const char *seen[DER_ENULL + 1];

	for (e = DER_OK; e <= DER_ENULL; e++) {
		const char *m = der_strerror(e);
		enum der_err k;

		cr_assert_not_null(m);
		cr_expect_neq(strlen(m), 0);
		cr_expect_str_neq(m, "unknown DER error", "code %d", e);
		for (k = DER_OK; k < e; k++)
			cr_expect_str_neq(m, seen[k], "codes %d and %d", k, e);
		seen[e] = m;
	}
	cr_expect_str_eq(der_strerror((enum der_err)99), "unknown DER error");
	cr_expect_not_null(strstr(der_strerror(DER_ELEN), "X.690"));
}

/* der_put_head() writes what the reader takes back, minimally. */
Test(der_put_head, reads_back)
{
	static const size_t lens[] = {0,     1,	     0x7f,    0x80,    0xff,
				      0x100, 0xffff, 0x10000, 0x123456};
	static uint8_t buf[8 + 0x123456];
	struct der_cursor c;
	struct der_tlv t;
	size_t i, n, want;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		want = lens[i] < 0x80	   ? 2
		       : lens[i] < 0x100   ? 3
		       : lens[i] < 0x10000 ? 4
					   : 5;
		cr_assert_eq(der_put_head(NULL, DER_SET, lens[i]), want);
		n = der_put_head(buf, DER_SET, lens[i]);
		cr_assert_eq(n, want, "length %zu", lens[i]);
		der_init(&c, buf, n + lens[i]);
		cr_assert_eq(der_next(&c, &t), DER_OK, "length %zu", lens[i]);
		cr_expect_eq(t.tag, DER_SET);
		cr_expect_eq(t.len, lens[i]);
		cr_expect_eq(t.raw_len, n + lens[i]);
	}
}
