/*
 * Tests for status_serial_parse() / status_serial_format() in
 * src/status/status.c: serials as people write them, to DER INTEGER
 * contents and back.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* head, then n copies of unit, then tail, in a static rotating buffer. */
static const char *
rep3(const char *head, const char *unit, size_t n, const char *tail)
{
	static char bufs[64][512];
	static int next;
	char *b = bufs[next++ % 64];
	size_t i;

	cr_assert_lt(strlen(head) + n * strlen(unit) + strlen(tail),
		     sizeof(bufs[0]));
	strcpy(b, head);
	for (i = 0; i < n; i++)
		strcat(b, unit);
	strcat(b, tail);
	return b;
}

static const char *
rep(const char *head, const char *unit, size_t n)
{
	return rep3(head, unit, n, "");
}

/* Checks that der[0..len) is a minimal INTEGER. */
static void
expect_minimal(const uint8_t *der, size_t len, const char *what)
{
	struct der_tlv t;

	memset(&t, 0, sizeof(t));
	t.tag = DER_INTEGER;
	t.val = der;
	t.len = len;
	cr_expect_eq(der_check_integer(&t), DER_OK, "%s: not minimal", what);
}

struct serial_row {
	const char *in;
	const char *der; /* hex of the INTEGER contents; NULL: rejected */
	const char *out; /* canonical: status_serial_format of der */
};

static void
check_rows(const struct serial_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct serial_row *r = &rows[i];
		uint8_t got[MAX_SERIAL_LEN + 8], want[MAX_SERIAL_LEN + 8];
		char text[2 * MAX_SERIAL_LEN + 2], again_text[sizeof(text)];
		uint8_t again[MAX_SERIAL_LEN];
		size_t len, wlen;

		memset(got, 0xA5, sizeof(got));
		len = status_serial_parse(r->in, got, MAX_SERIAL_LEN);
		if (r->der == NULL) {
			cr_expect_eq(len, 0,
				     "row %zu (\"%.40s\"): accepted, "
				     "%zu octets",
				     i, r->in, len);
			continue;
		}
		wlen = (size_t)hex_decode(r->der, want, sizeof(want));
		cr_expect_eq(len, wlen,
			     "row %zu (\"%.40s\"): %zu octets, "
			     "want %zu",
			     i, r->in, len, wlen);
		if (len != wlen)
			continue;
		cr_expect_eq(memcmp(got, want, len), 0,
			     "row %zu (\"%.40s\"): octets", i, r->in);
		expect_minimal(got, len, r->in);

		/* format(parse(x)) is the canonical x ... */
		cr_expect_eq(status_serial_format(got, len, text), text);
		cr_expect_str_eq(text, r->out, "row %zu (\"%.40s\")", i, r->in);
		/* ... and parsing the canonical form gives the same octets. */
		cr_expect_eq(status_serial_parse(text, again, sizeof(again)),
			     len, "row %zu: canonical form does not parse", i);
		cr_expect_eq(memcmp(again, got, len), 0, "row %zu", i);
		status_serial_format(again, len, again_text);
		cr_expect_str_eq(again_text, text, "row %zu", i);
	}
}

Test(serial, small)
{
	static const struct serial_row rows[] = {
	    {"0", "00", "00"},
	    {"00", "00", "00"},
	    {"0000", "00", "00"},
	    {"-0", "00", "00"},
	    {"-00", "00", "00"},
	    {"1", "01", "01"},
	    {"01", "01", "01"},
	    {"7f", "7f", "7f"},
	    {"7F", "7f", "7f"},
	    {"80", "0080", "80"},
	    {"ff", "00ff", "ff"},
	    {"FF", "00ff", "ff"},
	    {"00ff", "00ff", "ff"},
	    {"0000ff", "00ff", "ff"},
	    {"100", "0100", "0100"},
	    {"1001", "1001", "1001"},
	    {"0x1001", "1001", "1001"},
	    {"10:01", "1001", "1001"},
	    {"8000", "008000", "8000"},
	    {"-1", "ff", "-01"},
	    {"-01", "ff", "-01"},
	    {"-7f", "81", "-7f"},
	    {"-80", "80", "-80"},
	    {"-81", "ff7f", "-81"},
	    {"-ff", "ff01", "-ff"},
	    {"-100", "ff00", "-0100"},
	    {"-0100", "ff00", "-0100"},
	    {"-101", "feff", "-0101"},
	    {"-8000", "8000", "-8000"},
	    {"-8001", "ff7fff", "-8001"},
	    {"-ffff", "ff0001", "-ffff"},
	    {"-0x80", "80", "-80"},
	};

	check_rows(rows, NELEM(rows));
}

Test(serial, bad)
{
	static const struct serial_row rows[] = {
	    {"", NULL, NULL},	   {"-", NULL, NULL},	{"--1", NULL, NULL},
	    {"+1", NULL, NULL},	   {"0x", NULL, NULL},	{"xyz", NULL, NULL},
	    {"12 34", NULL, NULL}, {" 12", NULL, NULL}, {"1g", NULL, NULL},
	    {"-x1", NULL, NULL},   {"1-", NULL, NULL},	{":", NULL, NULL},
	};

	check_rows(rows, NELEM(rows));
}

Test(serial, long)
{
	const struct serial_row rows[] = {
	    /* 20 octets (RFC 5280 4.1.2.2), top bit clear and set */
	    {rep("7f", "ff", 19), rep("7f", "ff", 19), rep("7f", "ff", 19)},
	    {rep("", "ff", 20), rep("00", "ff", 20), rep("", "ff", 20)},
	    {rep("0x", "AB", 20), rep("00", "ab", 20), rep("", "ab", 20)},
	    /* -(2^160 - 1) and -2^159 */
	    {rep("-", "ff", 20), rep3("ff", "00", 19, "01"),
	     rep("-", "ff", 20)},
	    {rep("-80", "00", 19), rep("80", "00", 19), rep("-80", "00", 19)},
	    /* the 64-octet limit (MAX_SERIAL_LEN) */
	    {rep("7f", "ff", 63), rep("7f", "ff", 63), rep("7f", "ff", 63)},
	    {rep("0x7f", "ff", 63), rep("7f", "ff", 63), rep("7f", "ff", 63)},
	    {rep("00", "11", 64), rep("", "11", 64), rep("", "11", 64)},
	    /* -(2^511 - 1), and -2^511: the most negative 64-octet one */
	    {rep("-7f", "ff", 63), rep3("80", "00", 62, "01"),
	     rep("-7f", "ff", 63)},
	    {rep("-80", "00", 63), rep("80", "00", 63), rep("-80", "00", 63)},
	};

	check_rows(rows, NELEM(rows));
}

Test(serial, too_long)
{
	const struct serial_row rows[] = {
	    /* 65 octets of INTEGER */
	    {rep("80", "00", 63), NULL, NULL},
	    {rep("", "ff", 64), NULL, NULL},
	    {rep("01", "00", 64), NULL, NULL},
	    {rep("-81", "00", 63), NULL, NULL},
	    {rep("-", "ff", 64), NULL, NULL},
	    {rep("-01", "00", 64), NULL, NULL},
	    {rep("", "12", 200), NULL, NULL},
	};

	check_rows(rows, NELEM(rows));
}

/* The result must fit the caller's buffer, and only the result. */
Test(serial, capacity)
{
	static const struct {
		const char *in;
		size_t cap;
		size_t want;
	} rows[] = {
	    {"7f", 1, 1},   {"80", 1, 0},   {"80", 2, 2},  {"1234", 1, 0},
	    {"1234", 2, 2}, {"-1", 1, 1},   {"-80", 1, 1}, {"-81", 1, 0},
	    {"-81", 2, 2},  {"-100", 2, 2}, {"0", 1, 1},   {"0", 0, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t out[8];

		memset(out, 0xA5, sizeof(out));
		cr_expect_eq(status_serial_parse(rows[i].in, out, rows[i].cap),
			     rows[i].want, "row %zu (%s, cap %zu)", i,
			     rows[i].in, rows[i].cap);
		cr_expect_eq(out[rows[i].cap], 0xA5,
			     "row %zu: wrote past the capacity", i);
	}
}

/* Every minimal INTEGER of one and two octets formats to a string that
 * parses back to it. */
Test(serial, exhaustive_two_octets)
{
	unsigned v;

	for (v = 0; v < 0x10000 + 0x100; v++) {
		uint8_t der[2], back[MAX_SERIAL_LEN];
		size_t len = v < 0x100 ? 1 : 2;
		char text[8];
		struct der_tlv t;

		if (len == 1) {
			der[0] = (uint8_t)v;
		} else {
			der[0] = (uint8_t)((v - 0x100) >> 8);
			der[1] = (uint8_t)(v - 0x100);
		}
		memset(&t, 0, sizeof(t));
		t.tag = DER_INTEGER;
		t.val = der;
		t.len = len;
		if (der_check_integer(&t) != DER_OK)
			continue;
		status_serial_format(der, len, text);
		cr_assert_eq(status_serial_parse(text, back, sizeof(back)), len,
			     "%02x%02x -> %s", der[0], len > 1 ? der[1] : 0,
			     text);
		cr_assert_eq(memcmp(back, der, len), 0, "%s", text);
	}
}

Test(serial, format_edges)
{
	uint8_t big[MAX_SERIAL_LEN + 1];
	char out[2 * sizeof(big) + 2];

	memset(big, 0x11, sizeof(big));
	strcpy(out, "junk");
	cr_expect_str_eq(status_serial_format(big, 0, out), "");
	strcpy(out, "junk");
	cr_expect_str_eq(status_serial_format(big, sizeof(big), out), "");
	cr_expect_str_eq(status_serial_format(big, MAX_SERIAL_LEN, out),
			 rep("", "11", MAX_SERIAL_LEN));
}
