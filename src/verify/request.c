/*
 * The JSON request of POST /v1/verify: untrusted bytes from the
 * network, decoded strictly (one rule per check, each failure saying
 * which member and what was expected).
 *
 * Two readers. jansson reads any request and is the reference. Most
 * requests are {"signature": "...", "content": "..."} with plain base64
 * strings, up to max_body long: those are read first by a scan that
 * accepts only that (members signature, content and at, each once,
 * strings of printable ASCII without escapes) and leaves the content
 * where it stands, so a 64 MiB document is neither copied nor walked by
 * jansson's per-character lexer. Anything else the scan declines, and
 * jansson decides. The fuzzer checks that both agree.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"
#include "otzyv/verify.h"

/* Base64 (RFC 4648 4, whitespace ignored) of member `name` into a
 * malloc'd *out: 1, or 0 with a message. */
static int
b64_decode(const char *name, const char *s, size_t len, int json, uint8_t **out,
	   size_t *out_len, char *err, size_t errlen)
{
	*out = NULL;
	*out_len = 0;
	if (!crypto_base64_decode(s, len, json, out, out_len)) {
		snprintf(err, errlen, "%s: not base64", name);
		return 0;
	}
	if (*out_len == 0) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "%s: empty", name);
		return 0;
	}
	return 1;
}

/* A string member as base64, or 0 with a message. */
static int
member_b64(json_t *v, const char *name, uint8_t **out, size_t *out_len,
	   char *err, size_t errlen)
{
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: expected a base64 string", name);
		return 0;
	}
	return b64_decode(name, json_string_value(v), json_string_length(v), 0,
			  out, out_len, err, errlen);
}

static int
parse_digest(json_t *d, struct verify_request *r, char *err, size_t errlen)
{
	const char *key, *name = NULL;
	json_t *v, *value = NULL;
	const EVP_MD *md;
	enum hash_alg a;

	if (!json_is_object(d)) {
		snprintf(err, errlen,
			 "content_digest: expected an object {\"algorithm\", "
			 "\"value\"}");
		return 0;
	}
	json_object_foreach(d, key, v)
	{
		if (strcmp(key, "algorithm") == 0) {
			if (!json_is_string(v)) {
				snprintf(err, errlen,
					 "content_digest.algorithm: expected a "
					 "string (sha256, streebog256, ...)");
				return 0;
			}
			name = json_string_value(v);
		} else if (strcmp(key, "value") == 0) {
			value = v;
		} else {
			snprintf(err, errlen,
				 "content_digest: unknown member \"%.64s\"",
				 key);
			return 0;
		}
	}
	if (name == NULL || value == NULL) {
		snprintf(err, errlen,
			 "content_digest: needs \"algorithm\" and \"value\"");
		return 0;
	}
	for (a = HASH_FIRST; a <= HASH_LAST; a++) {
		const char *n = crypto_hash_name(a);

		if (n != NULL && strcasecmp(n, name) == 0)
			break;
	}
	if (a > HASH_LAST) {
		snprintf(err, errlen,
			 "content_digest.algorithm: \"%.64s\" is not one of "
			 "sha1, sha256, sha384, sha512, streebog256, "
			 "streebog512",
			 name);
		return 0;
	}
	if ((md = crypto_md(a)) == NULL) {
		snprintf(err, errlen,
			 "content_digest.algorithm: %s is not available here",
			 crypto_hash_name(a));
		return 0;
	}
	if (!member_b64(value, "content_digest.value", &r->digest,
			&r->digest_len, err, errlen))
		return 0;
	if (r->digest_len != (size_t)EVP_MD_get_size(md)) {
		snprintf(
		    err, errlen, "content_digest.value: %zu octets, %s has %d",
		    r->digest_len, crypto_hash_name(a), EVP_MD_get_size(md));
		return 0;
	}
	r->digest_alg = (int)a;
	return 1;
}

void
verify_request_clear(struct verify_request *r)
{
	free(r->sig);
	free(r->digest);
	json_decref(r->doc);
	memset(r, 0, sizeof(*r));
}

/* Only white space, written plainly or as JSON's escapes \n \r \t:
 * what jansson would hand blank() unescaped. */
static int
blank_json(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == 'n' || s[i + 1] == 'r' || s[i + 1] == 't'))
			i++;
		else if (!blank((const uint8_t *)s + i, 1))
			return 0;
	}
	return 1;
}

/* The content member: base64 text, left undecoded (`json`: with the
 * escapes plain_string() lets through); 0 with a message when there is
 * none to decode. */
static int
content_text(const char *s, size_t len, int json, struct verify_request *r,
	     char *err, size_t errlen)
{
	if (json ? blank_json(s, len) : blank((const uint8_t *)s, len)) {
		snprintf(err, errlen, "content: empty");
		return 0;
	}
	r->content_b64 = s;
	r->content_b64_len = len;
	r->content_b64_json = json;
	return 1;
}

/* "at": an RFC 3339 instant. */
static int
at_text(const char *s, size_t len, struct verify_request *r, char *err,
	size_t errlen)
{
	char buf[64];

	if (len < sizeof(buf) && memchr(s, '\0', len) == NULL) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (time_parse(buf, &r->at))
			return 1;
	}
	snprintf(err, errlen,
		 "at: expected an RFC 3339 time (2026-11-21T10:00:00Z)");
	return 0;
}

/* ---- the scan: plain requests only ---------------------------------- */

struct member {
	const char *p; /* NULL: absent */
	size_t len;
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A string of printable ASCII at p, whose only escapes are those base64
 * in JSON has (\n \r \t \/, crypto_base64_decode()): its contents,
 * escapes as they stand, into *out, and what follows it; NULL for
 * anything else. */
static const char *
plain_string(const char *p, const char *end, struct member *out)
{
	const char *q;

	if (p == end || *p != '"')
		return NULL;
	for (q = ++p; q < end && *q != '"'; q++) {
		if (*q < 0x20 || *q > 0x7e)
			return NULL;
		if (*q == '\\' && (++q == end || (*q != 'n' && *q != 'r' &&
						  *q != 't' && *q != '/')))
			return NULL;
	}
	if (q == end)
		return NULL;
	out->p = p;
	out->len = (size_t)(q - p);
	return q + 1;
}

/* 1 when the whole of buf is a plain request (signature required),
 * its members in sig, content, at; 0: for jansson to read. */
static int
scan(const char *p, size_t len, struct member *sig, struct member *content,
     struct member *at)
{
	const char *end = p + len;
	struct member key, *m;

	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return 0;
	for (;;) {
		p = skip_ws(p, end);
		if ((p = plain_string(p, end, &key)) == NULL)
			return 0;
		if (key.len == 9 && memcmp(key.p, "signature", 9) == 0)
			m = sig;
		else if (key.len == 7 && memcmp(key.p, "content", 7) == 0)
			m = content;
		else if (key.len == 2 && memcmp(key.p, "at", 2) == 0)
			m = at;
		else
			return 0;
		if (m->p != NULL)
			return 0;
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return 0;
		p = skip_ws(p, end);
		if ((p = plain_string(p, end, m)) == NULL)
			return 0;
		p = skip_ws(p, end);
		if (p == end)
			return 0;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return 0;
	}
	return skip_ws(p + 1, end) == end && sig->p != NULL;
}

int
verify_request_parse(const uint8_t *buf, size_t len, struct verify_request *out,
		     char *err, size_t errlen)
{
	struct member sig = {0}, content = {0}, at = {0};

	if (!scan((const char *)buf, len, &sig, &content, &at))
		return verify_request_parse_json(buf, len, out, err, errlen);
	memset(out, 0, sizeof(*out));
	if (b64_decode("signature", sig.p, sig.len, 1, &out->sig, &out->sig_len,
		       err, errlen) &&
	    (content.p == NULL ||
	     content_text(content.p, content.len, 1, out, err, errlen)) &&
	    (at.p == NULL || at_text(at.p, at.len, out, err, errlen)))
		return 1;
	verify_request_clear(out);
	return 0;
}

/* ---- jansson: any request --------------------------------------------- */

/* Values (json_shape()) in the largest request: its object, four
 * members, content_digest's object and two members, with room. */
#define VERIFY_REQUEST_VALUES 16

int
verify_request_parse_json(const uint8_t *buf, size_t len,
			  struct verify_request *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc, *v, *digest = NULL;
	const char *key;
	size_t items, values;
	int ok = 0;

	memset(out, 0, sizeof(*out));
	/* jansson builds every value before the members are looked at: a
	 * body of millions of them would take gigabytes. A request has a
	 * dozen at most. */
	json_shape(buf, len, &items, &values);
	if (values > VERIFY_REQUEST_VALUES) {
		snprintf(err, errlen,
			 "not a request: more than %d JSON values (members "
			 "are signature, content, content_digest, at)",
			 VERIFY_REQUEST_VALUES);
		return 0;
	}
	doc = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		snprintf(err, errlen, "not JSON: %s (line %d)", je.text,
			 je.line);
		return 0;
	}
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "expected a JSON object");
		goto out;
	}
	json_object_foreach(doc, key, v)
	{
		if (strcmp(key, "signature") == 0) {
			if (!member_b64(v, "signature", &out->sig,
					&out->sig_len, err, errlen))
				goto out;
		} else if (strcmp(key, "content") == 0) {
			if (!json_is_string(v)) {
				snprintf(err, errlen,
					 "content: expected a base64 string");
				goto out;
			}
			if (!content_text(json_string_value(v),
					  json_string_length(v), 0, out, err,
					  errlen))
				goto out;
		} else if (strcmp(key, "content_digest") == 0) {
			digest = v;
		} else if (strcmp(key, "at") == 0) {
			if (!json_is_string(v)) {
				snprintf(err, errlen,
					 "at: expected an RFC 3339 time "
					 "(2026-11-21T10:00:00Z)");
				goto out;
			}
			if (!at_text(json_string_value(v),
				     json_string_length(v), out, err, errlen))
				goto out;
		} else {
			snprintf(err, errlen, "unknown member \"%.64s\"", key);
			goto out;
		}
	}
	if (out->sig == NULL) {
		snprintf(err, errlen, "signature: required");
		goto out;
	}
	if (digest != NULL && out->content_b64 != NULL) {
		snprintf(err, errlen,
			 "content and content_digest exclude each other");
		goto out;
	}
	if (digest != NULL && !parse_digest(digest, out, err, errlen))
		goto out;
	ok = 1;
	/* The content stays in the document. */
	if (out->content_b64 != NULL) {
		out->doc = doc;
		doc = NULL;
	}
out:
	json_decref(doc);
	if (!ok)
		verify_request_clear(out);
	return ok;
}
