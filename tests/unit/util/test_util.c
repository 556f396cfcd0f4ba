/*
 * Tests for src/util/util.c: hex, RFC 3339 times, the clock, mappings.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "otzyv/log.h"
#include "otzyv/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-21T05:41:43Z, the instant in util.h's examples. */
#define T0 1795239703LL

/* ---- hex ---------------------------------------------------------------- */

Test(hex, encode)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *want;
	} rows[] = {
	    {"", 0, ""},
	    {"\x00", 1, "00"},
	    {"\x0f", 1, "0f"},
	    {"\xf0", 1, "f0"},
	    {"\xde\xad\xbe\xef", 4, "deadbeef"},
	    {"\x01\x23\x45\x67\x89\xab\xcd\xef", 8, "0123456789abcdef"},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		char out[64];

		memset(out, 'X', sizeof(out));
		cr_expect_eq(hex_encode((const uint8_t *)rows[i].bytes,
					rows[i].len, out),
			     out);
		cr_expect_str_eq(out, rows[i].want, "row %zu", i);
		cr_expect_eq(out[2 * rows[i].len + 1], 'X',
			     "row %zu: wrote past 2 * len + 1", i);
	}
}

Test(hex, decode)
{
	static const struct {
		const char *in;
		size_t cap;
		long want;
		const char *bytes;
	} rows[] = {
	    {"00", 8, 1, "\x00"},
	    {"7f", 8, 1, "\x7f"},
	    {"abCD", 8, 2, "\xab\xcd"},
	    {"ABCDEF", 8, 3, "\xab\xcd\xef"},
	    {"0123456789abcdef", 8, 8, "\x01\x23\x45\x67\x89\xab\xcd\xef"},
	    /* an odd count has a leading zero nibble */
	    {"1", 8, 1, "\x01"},
	    {"f", 8, 1, "\x0f"},
	    {"abc", 8, 2, "\x0a\xbc"},
	    {"1001", 8, 2, "\x10\x01"},
	    /* 0x prefix */
	    {"0x1ff", 8, 2, "\x01\xff"},
	    {"0XFF", 8, 1, "\xff"},
	    {"0x00", 8, 1, "\x00"},
	    /* colons, as openssl prints fingerprints and serials */
	    {"de:ad:be:ef", 8, 4, "\xde\xad\xbe\xef"},
	    {"DE:AD", 8, 2, "\xde\xad"},
	    {"0x10:01", 8, 2, "\x10\x01"},
	    /* exactly the capacity */
	    {"010203", 3, 3, "\x01\x02\x03"},
	    /* empty */
	    {"", 8, -1, NULL},
	    {"0x", 8, -1, NULL},
	    {":", 8, -1, NULL},
	    {"::", 8, -1, NULL},
	    /* bad characters */
	    {"zz", 8, -1, NULL},
	    {"0g", 8, -1, NULL},
	    {"12 34", 8, -1, NULL},
	    {" 12", 8, -1, NULL},
	    {"12\n", 8, -1, NULL},
	    {"-1", 8, -1, NULL},
	    {"+1", 8, -1, NULL},
	    {"0x0x12", 8, -1, NULL},
	    {"x12", 8, -1, NULL},
	    {"12h", 8, -1, NULL},
	    /* overflow */
	    {"010203", 2, -1, NULL},
	    {"00", 0, -1, NULL},
	    {"123", 1, -1, NULL},
	    {"0x0102030405060708090a", 8, -1, NULL},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint8_t out[16];
		long n;

		memset(out, 0xA5, sizeof(out));
		n = hex_decode(rows[i].in, out, rows[i].cap);
		cr_expect_eq(n, rows[i].want, "row %zu (\"%s\"): %ld", i,
			     rows[i].in, n);
		if (rows[i].want > 0)
			cr_expect_eq(
			    memcmp(out, rows[i].bytes, (size_t)rows[i].want), 0,
			    "row %zu: bytes", i);
		/* Never past the capacity, whatever the outcome. */
		cr_expect_eq(out[rows[i].cap], 0xA5, "row %zu: overflow", i);
	}
}

Test(hex, round_trip)
{
	uint8_t in[257], out[257];
	char s[2 * sizeof(in) + 1];
	unsigned x = 12345;
	size_t len, i;

	for (len = 1; len <= sizeof(in); len += 17) {
		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u; /* fixed LCG */
			in[i] = (uint8_t)(x >> 16);
		}
		hex_encode(in, len, s);
		cr_assert_eq(strlen(s), 2 * len);
		cr_assert_eq(hex_decode(s, out, sizeof(out)), (long)len);
		cr_assert_eq(memcmp(in, out, len), 0, "len %zu", len);
	}
}

/* ---- utf8_whole ------------------------------------------------------ */

/* Every cut of "aЖ€😀b" (1, 2, 3 and 4 octets a character) keeps the
 * whole characters before it and none of the one it splits. */
Test(utf8, whole)
{
	static const char s[] = "a\xd0\x96\xe2\x82\xac\xf0\x9f\x98\x80"
				"b";
	static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
	size_t cut;

	for (cut = 0; cut <= strlen(s); cut++)
		cr_expect_eq(utf8_whole(s, cut), want[cut], "cut %zu: %zu", cut,
			     utf8_whole(s, cut));
	/* Not UTF-8 to begin with: left for the caller to find out. */
	cr_expect_eq(utf8_whole("\x80\x80\x80\x80", 4), 4);
	cr_expect_eq(utf8_whole("a\x80", 2), 2);
}

/* ---- time_format / time_parse ----------------------------------------- */

Test(time, format)
{
	static const struct {
		int64_t t;
		const char *want;
	} rows[] = {
	    {0, "1970-01-01T00:00:00Z"},
	    {-1, "1969-12-31T23:59:59Z"},
	    {946684800, "2000-01-01T00:00:00Z"},
	    {951782400, "2000-02-29T00:00:00Z"},
	    {2147483648LL, "2038-01-19T03:14:08Z"},
	    {T0, "2026-11-21T05:41:43Z"},
	    {253402300799LL, "9999-12-31T23:59:59Z"},
	    {-62167219200LL, "0000-01-01T00:00:00Z"},
	    {-2208988800LL, "1900-01-01T00:00:00Z"},
	    {4107542400LL, "2100-03-01T00:00:00Z"},
	    /* beyond four-digit years: the '@' form */
	    {253402300800LL, "@253402300800"},
	    {-62167219201LL, "@-62167219201"},
	    {INT64_MAX, "@9223372036854775807"},
	    {INT64_MIN, "@-9223372036854775808"},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		char out[32];

		cr_expect_eq(time_format(rows[i].t, out), out);
		cr_expect_str_eq(out, rows[i].want, "row %zu", i);
	}
}

/* The calendar arithmetic against glibc's gmtime_r(), second by second
 * around every year's turn and at pseudo-random instants over the years
 * 1000 to 9999 (where strftime's %Y has four digits too). */
Test(time, format_agrees_with_gmtime)
{
	uint64_t x = 88172645463325252ULL;
	int64_t lo = -30610224000LL, hi = 253402300799LL, t;
	char mine[32], libc[40], http[32], libc_http[40];
	struct tm tm;
	time_t tt;
	int i, y;

	for (i = 0; i < 200000; i++) {
		if (i < 2 * 9000) {
			/* 31 December 23:59:59 and 1 January 00:00:00 */
			y = 1000 + i / 2;
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = y - 1900;
			tm.tm_mday = 1;
			t = (int64_t)timegm(&tm) - (i % 2);
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
		}
		if (t < lo || t > hi)
			continue;
		tt = (time_t)t;
		cr_assert_not_null(gmtime_r(&tt, &tm));
		strftime(libc, sizeof(libc), "%Y-%m-%dT%H:%M:%SZ", &tm);
		strftime(libc_http, sizeof(libc_http),
			 "%a, %d %b %Y %H:%M:%S GMT", &tm);
		cr_assert_str_eq(time_format(t, mine), libc, "t=%lld",
				 (long long)t);
		if (t >= 0)
			cr_assert_str_eq(time_format_http(t, http), libc_http,
					 "t=%lld", (long long)t);
	}
}

Test(time, format_http)
{
	char out[32];

	cr_expect_str_eq(time_format_http(784111777, out),
			 "Sun, 06 Nov 1994 08:49:37 GMT");
	cr_expect_str_eq(time_format_http(0, out),
			 "Thu, 01 Jan 1970 00:00:00 GMT");
	/* clamped to what an HTTP-date writes */
	cr_expect_str_eq(time_format_http(-5, out),
			 "Thu, 01 Jan 1970 00:00:00 GMT");
	cr_expect_str_eq(time_format_http(INT64_MAX, out),
			 "Fri, 31 Dec 9999 23:59:59 GMT");
}

Test(time, parse)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} rows[] = {
	    {"1970-01-01T00:00:00Z", 1, 0},
	    {"2026-11-21T05:41:43Z", 1, T0},
	    {"2026-11-21t05:41:43z", 1, T0},
	    {"2026-11-21 05:41:43Z", 1, T0},
	    {"1969-12-31T23:59:59Z", 1, -1},
	    {"2024-02-29T00:00:00Z", 1, 1709164800},
	    {"2000-02-29T00:00:00Z", 1, 951782400},
	    {"2026-12-31T23:59:59Z", 1, 1798761599},
	    {"9999-12-31T23:59:59Z", 1, 253402300799LL},
	    /* offsets */
	    {"2026-11-21T08:41:43+03:00", 1, T0},
	    {"2026-11-21T00:11:43-05:30", 1, T0},
	    {"2026-11-21T05:41:43+00:00", 1, T0},
	    {"2026-11-21T05:41:43-00:00", 1, T0},
	    {"2026-11-22T05:40:43+23:59", 1, T0},
	    {"2026-11-21T01:41:43-04:00", 1, T0},
	    /* fractions are ignored */
	    {"2026-11-21T05:41:43.5Z", 1, T0},
	    {"2026-11-21T05:41:43.999999999Z", 1, T0},
	    {"2026-11-21T08:41:43.123+03:00", 1, T0},
	    /* seconds since the epoch */
	    {"@0", 1, 0},
	    {"@1795239703", 1, T0},
	    {"@-1", 1, -1},
	    {"@253402300799", 1, 253402300799LL},
	    /* garbage */
	    {"", 0, 0},
	    {"garbage", 0, 0},
	    {"2026-11-21", 0, 0},
	    {"2026-11-21T", 0, 0},
	    {"2026-11-21T05:41:43", 0, 0},
	    {"2026-11-21T05:41Z", 0, 0},
	    {"2026-11-21X05:41:43Z", 0, 0},
	    {"2026-11-21T05:41:43ZZ", 0, 0},
	    {"2026-11-21T05:41:43Z ", 0, 0},
	    {"2026-11-21T05:41:43.Z", 0, 0},
	    {"2026-11-21T05:41:43.xZ", 0, 0},
	    {"2026-11-21T05:41:43+0300", 0, 0},
	    {"2026-11-21T05:41:43+03", 0, 0},
	    {"2026-11-21T05:41:43+03:00Z", 0, 0},
	    {"2026-11-21T05:41:43+03:000", 0, 0},
	    {"2026-11-21T05:41:43+24:00", 0, 0},
	    {"2026-11-21T05:41:43+03:60", 0, 0},
	    {"2026-11-21T05:41:43+0a:00", 0, 0},
	    {"2026-11-21T05:41:43 03:00", 0, 0},
	    {"2026-11-21T05:41:43+-3:00", 0, 0},
	    {"2026-11-21T05:41:43+ 3:00", 0, 0},
	    {"2026-11-21T05:41:43+03:-5", 0, 0},
	    {"2026-13-01T00:00:00Z", 0, 0},
	    {"2026-00-01T00:00:00Z", 0, 0},
	    {"2026-11-00T00:00:00Z", 0, 0},
	    {"2026-11-31T00:00:00Z", 0, 0},
	    {"2026-02-29T00:00:00Z", 0, 0},
	    {"2026-02-30T00:00:00Z", 0, 0},
	    {"2026-04-31T12:00:00+03:00", 0, 0},
	    {"2026-11-21T25:00:00Z", 0, 0},
	    {"2026-11-21T05:61:00Z", 0, 0},
	    {"@", 0, 0},
	    {"@12x", 0, 0},
	    {"@1.5", 0, 0},
	    {"@99999999999999999999", 0, 0},
	    {"1795239703", 0, 0},
	    /* RFC 3339's widths: strptime alone takes these */
	    {"2026-1-2T3:4:5Z", 0, 0},
	    {"2026-11-21T5:41:43Z", 0, 0},
	    {" 2026-11-21T05:41:43Z", 0, 0},
	    {"+2026-11-21T05:41:43Z", 0, 0},
	    {"02026-11-21T05:41:43Z", 0, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		int64_t t = 424242;
		int ok = time_parse(rows[i].in, &t);

		cr_expect_eq(ok, rows[i].ok, "row %zu (\"%s\"): %d", i,
			     rows[i].in, ok);
		cr_expect_eq(t, ok ? rows[i].want : 424242,
			     "row %zu (\"%s\"): %lld", i, rows[i].in,
			     (long long)t);
	}
}

/* time_parse reads back everything time_format writes. */
Test(time, round_trip)
{
	int64_t t;

	for (t = -2208988800LL; t < 4102444800LL; t += 86400 * 37 + 3671) {
		char s[32];
		int64_t back;

		time_format(t, s);
		cr_assert(time_parse(s, &back), "%s", s);
		cr_assert_eq(back, t, "%s", s);
	}
}

/* ---- clock -------------------------------------------------------------- */

Test(clock, pinned_rfc3339)
{
	cr_assert_eq(setenv("OTZYV_NOW", "2026-11-21T05:41:43Z", 1), 0);
	cr_expect_eq(clock_now(), T0);
	cr_assert_eq(setenv("OTZYV_NOW", "2026-11-21T08:41:43+03:00", 1), 0);
	cr_expect_eq(clock_now(), T0);
}

Test(clock, pinned_unix)
{
	cr_assert_eq(setenv("OTZYV_NOW", "@42", 1), 0);
	cr_expect_eq(clock_now(), 42);
	cr_assert_eq(setenv("OTZYV_NOW", "@0", 1), 0);
	cr_expect_eq(clock_now(), 0);
}

/* Unset or unparsable: the real clock. */
Test(clock, real)
{
	static const char *vals[] = {NULL, "", "garbage", "@"};
	size_t i;

	for (i = 0; i < NELEM(vals); i++) {
		int64_t before, now, after;

		if (vals[i] == NULL)
			unsetenv("OTZYV_NOW");
		else
			setenv("OTZYV_NOW", vals[i], 1);
		before = (int64_t)time(NULL);
		now = clock_now();
		after = (int64_t)time(NULL);
		cr_expect(now >= before && now <= after,
			  "OTZYV_NOW=%s: %lld not in [%lld, %lld]",
			  vals[i] ? vals[i] : "(unset)", (long long)now,
			  (long long)before, (long long)after);
	}
}

/* ---- mapfile --------------------------------------------------------------
 */

static char *
scratch_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	cr_assert_geq(asprintf(&dir, "%s/otzyv-util-XXXXXX", base), 0);
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static char *
path_join(const char *dir, const char *name)
{
	char *p;

	cr_assert_geq(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void
put(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(mapfile, regular)
{
	char *dir = scratch_dir(), *path = path_join(dir, "data");
	static const char content[] = "0\x82\x01\x00 hello";
	struct mapfile m;

	put(path, content, sizeof(content));
	cr_assert_eq(mapfile_open(path, &m), 0);
	cr_expect_eq(m.len, sizeof(content));
	cr_assert_not_null(m.data);
	cr_expect_eq(memcmp(m.data, content, sizeof(content)), 0);
	cr_expect_geq(m.fd, 0);
	mapfile_close(&m);
	cr_expect_null(m.data);
	cr_expect_eq(m.len, 0);
	cr_expect_eq(m.fd, -1);
	/* Closing twice is harmless. */
	mapfile_close(&m);
	cr_expect_eq(m.fd, -1);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(mapfile, empty_file)
{
	char *dir = scratch_dir(), *path = path_join(dir, "empty");
	struct mapfile m;

	put(path, "", 0);
	memset(&m, 0x5A, sizeof(m));
	cr_assert_eq(mapfile_open(path, &m), 0);
	cr_expect_null(m.data);
	cr_expect_eq(m.len, 0);
	cr_expect_geq(m.fd, 0);
	mapfile_close(&m);
	cr_expect_eq(m.fd, -1);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(mapfile, missing_file)
{
	char *dir = scratch_dir(), *path = path_join(dir, "nonexistent");
	struct mapfile m;

	memset(&m, 0x5A, sizeof(m));
	cr_expect_eq(mapfile_open(path, &m), ENOENT);
	cr_expect_null(m.data);
	cr_expect_eq(m.len, 0);
	cr_expect_eq(m.fd, -1);
	mapfile_close(&m);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(mapfile, directory)
{
	char *dir = scratch_dir();
	struct mapfile m;

	memset(&m, 0x5A, sizeof(m));
	cr_expect_eq(mapfile_open(dir, &m), EINVAL);
	cr_expect_null(m.data);
	cr_expect_eq(m.len, 0);
	cr_expect_eq(m.fd, -1);
	mapfile_close(&m);
	rmdir(dir);
	free(dir);
}

/* Untrusted text in a key="value" field: printable ASCII and UTF-8
 * characters kept, '"' as \" and '\\' as \\ (readable, and the field
 * still ends at the first unescaped quote), every other octet as \xHH;
 * cut whole to the buffer. */
Test(log, escape_str)
{
	static const struct {
		const char *in;
		size_t size; /* of out; 0: 64 */
		const char *want;
	} rows[] = {
	    {"Test CA 1", 0, "Test CA 1"},
	    {"a\"b\\c\n", 0, "a\\\"b\\\\c\\x0a"},
	    {"unknown key \"frobnicate\"", 0, "unknown key \\\"frobnicate\\\""},
	    {"\xd0\x9e\x7f", 0, "\xd0\x9e\\x7f"},
	    {"Тестовый УЦ 1 ✓ 𝔸", 0, "Тестовый УЦ 1 ✓ 𝔸"},
	    /* malformed UTF-8, octet by octet: a lone lead, a cut
	     * sequence, overlong forms, a surrogate, past U+10FFFF, a
	     * stray continuation; and C1 controls (U+0085 NEL) */
	    {"\xd0", 0, "\\xd0"},
	    {"\xe2\x9c", 0, "\\xe2\\x9c"},
	    {"\xc0\xa2\xe0\x80\xa2", 0, "\\xc0\\xa2\\xe0\\x80\\xa2"},
	    {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},
	    {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"},
	    {"\x9e", 0, "\\x9e"},
	    {"\xc2\x85", 0, "\\xc2\\x85"},
	    {NULL, 0, ""},
	    /* out[9]: 8 characters and the NUL */
	    {"abcdefgh", 9, "abcdefgh"},
	    {"abcdefghi", 9, "abcdefgh"},
	    {"ab\"\"\\", 9, "ab\\\"\\\"\\\\"},
	    /* an escape that would not fit whole is left out, and what
	     * follows it too: no half escape, no gap */
	    {"abcdefg\"h", 9, "abcdefg"},
	    {"abcdefg\\", 9, "abcdefg"},
	    {"abcde\nf", 9, "abcde"},
	    {"abcd\n", 9, "abcd\\x0a"},
	    {"\"", 2, ""},
	    {"\"", 3, "\\\""},
	    {"x", 1, ""},
	    /* a character is cut whole too */
	    {"abcdefgУ", 9, "abcdefg"},
	    {"abcdefУ", 9, "abcdefУ"},
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_str_eq(
		    log_escape_str(rows[i].in, out,
				   rows[i].size ? rows[i].size : sizeof(out)),
		    rows[i].want, "row %zu", i);
}
