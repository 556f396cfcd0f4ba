/*
 * HTTP/1.1 request heads (RFC 9112 2-3, 5-6): the request line and the
 * header fields we act on. Bounded by max_head; no allocation.
 *
 * Strictness: lines end in CRLF (a bare LF is taken too, as RFC 9112
 * 2.2 allows); no whitespace before a field's colon (5.1); no obsolete
 * line folding (5.2); one Content-Length, digits only (6.3); a
 * Transfer-Encoding is refused (we take no chunked bodies).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "otzyv/util.h"
#include "parse.h"

/* The end of the head: the offset after the blank line, or 0. */
static size_t
head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The next line of [*p, end): sets its bounds without CR/LF. */
static int
next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return 0;
	*line = *p;
	*n = (size_t)(nl - *p);
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	*p = nl + 1;
	return 1;
}

static int
is_tchar(char c)
{
	/* (strchr finds the terminating NUL too) */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum http_parse
request_line(const char *l, size_t n, struct http_head *out)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *q, *v;
	size_t tlen;

	if (sp1 == NULL || sp1 == l)
		return HTTP_PARSE_BAD;
	if ((size_t)(sp1 - l) == 3 && memcmp(l, "GET", 3) == 0)
		out->method = HTTP_GET;
	else if ((size_t)(sp1 - l) == 4 && memcmp(l, "POST", 4) == 0)
		out->method = HTTP_POST;
	else if ((size_t)(sp1 - l) == 4 && memcmp(l, "HEAD", 4) == 0)
		out->method = HTTP_HEAD;
	else
		out->method = HTTP_OTHER;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return HTTP_PARSE_BAD;
	tlen = (size_t)(sp2 - sp1 - 1);
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7F)
			return HTTP_PARSE_BAD;
	out->path = sp1 + 1;
	/* RFC 9112 3.2.2: absolute-form must be accepted; we take its
	 * path (the authority is ours whatever it says). */
	if (tlen > 8 && (strncasecmp(out->path, "http://", 7) == 0 ||
			 strncasecmp(out->path, "https://", 8) == 0)) {
		const char *auth =
		    (const char *)memchr(out->path, '/', tlen) + 2;
		const char *slash = memchr(auth, '/', (size_t)(sp2 - auth));

		if (slash == NULL)
			return HTTP_PARSE_BAD;
		tlen = (size_t)(sp2 - slash);
		out->path = slash;
	} else if (out->path[0] != '/') {
		return HTTP_PARSE_BAD; /* origin-form (3.2.1) */
	}
	q = memchr(out->path, '?', tlen);
	out->path_len = q ? (size_t)(q - out->path) : tlen;
	if (q != NULL) {
		out->query = q + 1;
		out->query_len = tlen - out->path_len - 1;
	}
	v = sp2 + 1;
	if ((size_t)(l + n - v) != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return HTTP_PARSE_BAD;
	if (v[5] != '1')
		return HTTP_PARSE_VERSION;
	out->minor = v[7] - '0';
	out->keep_alive = out->minor >= 1;
	return HTTP_PARSE_DONE;
}

/* Whether the comma-separated field value contains `token`. */
static int
has_token(const char *v, size_t n, const char *token)
{
	size_t t = strlen(token), i = 0;

	while (i < n) {
		size_t j;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (j = i; j < n && v[j] != ','; j++)
			;
		{
			size_t e = j;

			while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
				e--;
			if (e - i == t && strncasecmp(v + i, token, t) == 0)
				return 1;
		}
		i = j;
	}
	return 0;
}

static enum http_parse
field(const char *l, size_t n, struct http_head *out)
{
	const char *colon = memchr(l, ':', n), *v, *e, *q;
	size_t name_len, vn;

	if (l[0] == ' ' || l[0] == '\t')
		return HTTP_PARSE_BAD; /* obsolete folding (5.2) */
	if (colon == NULL || colon == l)
		return HTTP_PARSE_BAD;
	name_len = (size_t)(colon - l);
	for (v = l; v < colon; v++)
		if (!is_tchar(*v))
			return HTTP_PARSE_BAD; /* incl. space before ':' */
	v = colon + 1;
	e = l + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	vn = (size_t)(e - v);
	/* RFC 9110 5.5: no control characters but HTAB in a value (a CR
	 * or NUL there is how requests are smuggled past a proxy). */
	for (q = v; q < e; q++) {
		unsigned char c = (unsigned char)*q;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return HTTP_PARSE_BAD;
	}
#define IS(name)                                                               \
	(name_len == sizeof(name) - 1 && strncasecmp(l, name, name_len) == 0)
	if (IS("Content-Length")) {
		size_t len = 0, i;

		if (out->has_length || vn == 0)
			return HTTP_PARSE_BAD;
		for (i = 0; i < vn; i++) {
			size_t d = (size_t)(v[i] - '0');

			if (v[i] < '0' || v[i] > '9')
				return HTTP_PARSE_BAD;
			/* Beyond size_t: more than any limit (413). */
			len =
			    len > (SIZE_MAX - d) / 10 ? SIZE_MAX : len * 10 + d;
		}
		out->has_length = 1;
		out->content_length = len;
	} else if (IS("Transfer-Encoding")) {
		return HTTP_PARSE_CHUNKED;
	} else if (IS("Connection")) {
		if (has_token(v, vn, "close"))
			out->keep_alive = 0;
		else if (has_token(v, vn, "keep-alive"))
			out->keep_alive = 1;
	} else if (IS("Content-Type")) {
		out->content_type = v;
		out->content_type_len = vn;
	} else if (IS("If-None-Match")) {
		out->if_none_match = v;
		out->if_none_match_len = vn;
	} else if (IS("Host")) {
		if (out->has_host)
			return HTTP_PARSE_BAD; /* RFC 9112 3.2 */
		out->has_host = 1;
	} else if (IS("Expect")) {
		/* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
		if (vn == 12 && strncasecmp(v, "100-continue", 12) == 0 &&
		    out->minor >= 1)
			out->expect_continue = 1;
	}
#undef IS
	return HTTP_PARSE_DONE;
}

enum http_parse
http_parse_head(const char *buf, size_t len, size_t max_head,
		struct http_head *out)
{
	size_t end = head_end(buf, len < max_head ? len : max_head);
	const char *p = buf, *stop, *l;
	size_t n;
	enum http_parse r;

	memset(out, 0, sizeof(*out));
	if (end == 0)
		return len >= max_head ? HTTP_PARSE_TOO_BIG : HTTP_PARSE_MORE;
	stop = buf + end;
	/* RFC 9112 2.2: ignore at least one empty line before a request. */
	while (p < stop && (*p == '\r' || *p == '\n'))
		p++;
	if (!next_line(&p, stop, &l, &n) || n == 0)
		return HTTP_PARSE_BAD;
	if ((r = request_line(l, n, out)) != HTTP_PARSE_DONE)
		return r;
	while (next_line(&p, stop, &l, &n) && n > 0)
		if ((r = field(l, n, out)) != HTTP_PARSE_DONE)
			return r;
	/* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400. */
	if (out->minor >= 1 && !out->has_host)
		return HTTP_PARSE_BAD;
	out->head_len = end;
	return HTTP_PARSE_DONE;
}

int
http_query_param(const struct http_head *h, const char *name, char *out,
		 size_t cap)
{
	const char *q = h->query,
		   *end = h->query ? h->query + h->query_len : NULL;
	size_t n = strlen(name), k = 0;
	const char *amp, *stop = NULL;
	int hi, lo;

	for (; q != NULL && q < end; q = amp ? amp + 1 : NULL) {
		amp = memchr(q, '&', (size_t)(end - q));
		stop = amp ? amp : end;
		if ((size_t)(stop - q) > n && memcmp(q, name, n) == 0 &&
		    q[n] == '=')
			break;
	}
	if (q == NULL || q >= end)
		return 0;
	if (cap == 0)
		return -1;
	for (q += n + 1; q < stop; q++) {
		char c = *q == '+' ? ' ' : *q;

		if (*q == '%' && stop - q > 2 && (hi = hex_digit(q[1])) >= 0 &&
		    (lo = hex_digit(q[2])) >= 0) {
			c = (char)(hi << 4 | lo);
			q += 2;
			if (c == '\0')
				return -1;
		}
		if (k + 1 >= cap)
			return -1;
		out[k++] = c;
	}
	out[k] = '\0';
	return 1;
}
