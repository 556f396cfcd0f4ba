/*
 * Tests for src/http/parse.c beyond what the end-to-end tests send:
 * the characters a header may hold, Content-Length beyond 9 digits,
 * and 100-continue by HTTP version.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../../src/http/parse.h"

static enum http_parse
parse(const char *head, size_t len, struct http_head *h)
{
	memset(h, 0, sizeof(*h));
	return http_parse_head(head, len, 8192, h);
}

#define PARSE(lit, h) parse(lit, sizeof(lit) - 1, h)

/* RFC 9110 5.1, 5.5: a NUL is no token character, and a value holds
 * no control character but HTAB. */
Test(parse, control_characters)
{
	struct http_head h;

	cr_assert_eq(PARSE("GET / HTTP/1.1\r\nHost: x\r\nX\0A: a\r\n\r\n", &h),
		     HTTP_PARSE_BAD);
	cr_assert_eq(
	    PARSE("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", &h),
	    HTTP_PARSE_BAD);
	cr_assert_eq(
	    PARSE("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", &h),
	    HTTP_PARSE_BAD);
	cr_assert_eq(
	    PARSE("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n", &h),
	    HTTP_PARSE_BAD);
	cr_assert_eq(PARSE("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\xc3\xa9\r\n"
			   "\r\n",
			   &h),
		     HTTP_PARSE_DONE, "HTAB and obs-text are allowed");
}

/* Any number of digits: beyond every limit is a 413 (conn.c), not a
 * 400; a limit of a gigabyte and more is reachable. */
Test(parse, long_content_length)
{
	struct http_head h;

	cr_assert_eq(PARSE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
			   "1073741824\r\n\r\n",
			   &h),
		     HTTP_PARSE_DONE);
	cr_assert_eq(h.content_length, (size_t)1073741824);
	cr_assert_eq(PARSE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
			   "99999999999999999999999\r\n\r\n",
			   &h),
		     HTTP_PARSE_DONE);
	cr_assert_eq(h.content_length, SIZE_MAX);
	cr_assert_eq(PARSE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
			   "12a\r\n\r\n",
			   &h),
		     HTTP_PARSE_BAD);
}

/* RFC 9110 10.1.1: an HTTP/1.0 client's Expect is ignored. */
Test(parse, expect_continue_by_version)
{
	struct http_head h;

	cr_assert_eq(PARSE("POST / HTTP/1.1\r\nHost: x\r\nExpect: "
			   "100-continue\r\n\r\n",
			   &h),
		     HTTP_PARSE_DONE);
	cr_assert(h.expect_continue);
	cr_assert_eq(
	    PARSE("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &h),
	    HTTP_PARSE_DONE);
	cr_assert_not(h.expect_continue);
}
