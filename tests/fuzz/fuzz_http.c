/*
 * libFuzzer target: the HTTP/1.1 request-head parser. Invariants: every
 * pointer it returns lies inside the input and inside the head; a DONE
 * head ends with a blank line; the result does not depend on bytes past
 * the head.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/http/parse.h"

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
