/*
 * libFuzzer target: the HTTP/1.1 request-head parser and the query
 * string's parameters. Invariants: every pointer the parser returns
 * lies inside the input and inside the head; a DONE head ends with a
 * blank line; the result does not depend on bytes past the head. For
 * the parameters the API reads, and the query's first name, at two
 * sizes of output: http_query_param() finds the part a plain reading
 * of the query finds and decodes it the same, to a C string that fits,
 * or refuses it exactly when it does not fit or holds %00.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/http/parse.h"
#include "otzyv/util.h"

#define MAX_HEAD 8192

static void
inside(const uint8_t *in, size_t head, const char *p, size_t n)
{
	if (p == NULL)
		return;
	if ((const uint8_t *)p < in || (const uint8_t *)p + n > in + head)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The value of `name` in the query, decoded into a new buffer of its
 * own length (*len; NULs kept), or NULL when absent: part by part, as
 * RFC 3986 and the form encoding read it. */
static char *
plain_param(const struct http_head *h, const char *name, size_t *len)
{
	const char *part = h->query, *end = h->query + h->query_len, *next;
	size_t n = strlen(name), i, k;
	char *out;

	for (; part <= end; part = next + 1) {
		for (next = part; next < end && *next != '&'; next++)
			;
		if ((size_t)(next - part) <= n || strncmp(part, name, n) != 0 ||
		    part[n] != '=') {
			if (next == end)
				return NULL;
			continue;
		}
		if ((out = malloc((size_t)(next - part) + 1)) == NULL)
			__builtin_trap();
		for (i = n + 1, k = 0; part + i < next; i++, k++) {
			out[k] = part[i] == '+' ? ' ' : part[i];
			if (part[i] == '%' && part + i + 2 < next &&
			    hex_digit(part[i + 1]) >= 0 &&
			    hex_digit(part[i + 2]) >= 0) {
				out[k] = (char)(hex_digit(part[i + 1]) << 4 |
						hex_digit(part[i + 2]));
				i += 2;
			}
		}
		*len = k;
		return out;
	}
	return NULL;
}

static void
check_param(const struct http_head *h, const char *name)
{
	static const size_t caps[] = {16, 256};
	char out[256];
	size_t len = 0, i;
	char *want = h->query != NULL ? plain_param(h, name, &len) : NULL;
	int r;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		r = http_query_param(h, name, out, caps[i]);
		if (want == NULL) {
			if (r != 0)
				__builtin_trap();
		} else if (len >= caps[i] || memchr(want, '\0', len) != NULL) {
			if (r != -1)
				__builtin_trap();
		} else if (r != 1 || strlen(out) != len ||
			   memcmp(out, want, len) != 0) {
			__builtin_trap();
		}
	}
	free(want);
}

static void
check_params(const struct http_head *h)
{
	static const char *const names[] = {"issuer", "serial", "at", "ca",
					    "sort"};
	char first[33];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_param(h, names[i]);
	if (h->query == NULL)
		return;
	for (i = 0;
	     i < h->query_len && i + 1 < sizeof(first) && h->query[i] != '=' &&
	     h->query[i] != '&' && h->query[i] != '\0';
	     i++)
		first[i] = h->query[i];
	first[i] = '\0';
	check_param(h, first);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h, again;
	enum http_parse r;
	char *copy;

	r = http_parse_head((const char *)data, size, MAX_HEAD, &h);
	if (r != HTTP_PARSE_DONE) {
		if (r == HTTP_PARSE_TOO_BIG && size < MAX_HEAD)
			__builtin_trap();
		return 0;
	}
	if (h.head_len == 0 || h.head_len > size || h.head_len > MAX_HEAD ||
	    data[h.head_len - 1] != '\n')
		__builtin_trap();
	inside(data, h.head_len, h.path, h.path_len);
	inside(data, h.head_len, h.content_type, h.content_type_len);
	inside(data, h.head_len, h.if_none_match, h.if_none_match_len);
	if (h.path == NULL || h.path_len == 0 || h.path[0] != '/')
		__builtin_trap();
	inside(data, h.head_len, h.query, h.query_len);
	check_params(&h);
	/* The head alone parses the same. */
	if ((copy = malloc(h.head_len)) == NULL)
		return 0;
	memcpy(copy, data, h.head_len);
	if (http_parse_head(copy, h.head_len, MAX_HEAD, &again) !=
		HTTP_PARSE_DONE ||
	    again.head_len != h.head_len || again.method != h.method ||
	    again.content_length != h.content_length ||
	    again.keep_alive != h.keep_alive)
		__builtin_trap();
	free(copy);
	return 0;
}
