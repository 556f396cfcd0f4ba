/*
 * Private to src/http: the HTTP/1.1 request-head parser (RFC 9112) and
 * the query string's parameters. Pure functions over bytes, so that
 * they can be fuzzed alone.
 */
#ifndef OTZYV_HTTP_PARSE_H
#define OTZYV_HTTP_PARSE_H

#include <stddef.h>

enum http_method { HTTP_GET, HTTP_POST, HTTP_HEAD, HTTP_OTHER };

enum http_parse {
	HTTP_PARSE_MORE,    /* the head is not complete yet */
	HTTP_PARSE_DONE,    /* *out is set */
	HTTP_PARSE_BAD,	    /* 400: malformed */
	HTTP_PARSE_TOO_BIG, /* 431: head over the limit */
	HTTP_PARSE_VERSION, /* 505: not HTTP/1.x */
	HTTP_PARSE_CHUNKED, /* 501: chunked request bodies are not taken */
};

/* A parsed request head. Pointers point into the parsed buffer. */
struct http_head {
	enum http_method method;
	const char *path; /* the target without "?query", percent-encoded */
	size_t path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	int minor; /* HTTP/1.minor */
	int keep_alive;
	int has_length;
	size_t content_length;
	const char *content_type; /* NULL when absent */
	size_t content_type_len;
	const char *if_none_match;
	size_t if_none_match_len;
	int has_host;
	int expect_continue; /* Expect: 100-continue */
	size_t head_len;     /* bytes up to and including the blank line */
};

/* Parses the head at buf[0..len) if it is complete within max_head
 * bytes. */
enum http_parse http_parse_head(const char *buf, size_t len, size_t max_head,
				struct http_head *out);

/*
 * The value of `name` in h's query string (the first "name=" among its
 * '&'-separated parts), percent-decoded, '+' read as a space, into
 * out[cap] as a C string: 1; 0 when absent; -1 when present but not
 * usable (out then holds nothing to use): longer than cap - 1 octets,
 * or holding an encoded NUL (%00). A '%' not followed by two hex digits
 * stands for itself.
 */
int http_query_param(const struct http_head *h, const char *name, char *out,
		     size_t cap);

#endif
