/*
 * The JSON request of POST /v1/verify: untrusted bytes from the
 * network, decoded strictly (one rule per check, each failure saying
 * which member and what was expected).
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
b64_decode(const char *name, const char *s, size_t len, uint8_t **out,
	   size_t *out_len, char *err, size_t errlen)
{
	*out = NULL;
	*out_len = 0;
	if (!crypto_base64_decode(s, len, out, out_len)) {
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
	return b64_decode(name, json_string_value(v), json_string_length(v),
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
	free(r->content);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int
verify_request_parse(const uint8_t *buf, size_t len, struct verify_request *out,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc, *v, *digest = NULL;
	const char *key;
	int ok = 0;

	memset(out, 0, sizeof(*out));
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
			if (!member_b64(v, "content", &out->content,
					&out->content_len, err, errlen))
				goto out;
		} else if (strcmp(key, "content_digest") == 0) {
			digest = v;
		} else if (strcmp(key, "at") == 0) {
			if (!json_is_string(v) ||
			    !time_parse(json_string_value(v), &out->at)) {
				snprintf(err, errlen,
					 "at: expected an RFC 3339 time "
					 "(2026-11-21T10:00:00Z)");
				goto out;
			}
		} else {
			snprintf(err, errlen, "unknown member \"%.64s\"", key);
			goto out;
		}
	}
	if (out->sig == NULL) {
		snprintf(err, errlen, "signature: required");
		goto out;
	}
	if (digest != NULL && out->content != NULL) {
		snprintf(err, errlen,
			 "content and content_digest exclude each other");
		goto out;
	}
	if (digest != NULL && !parse_digest(digest, out, err, errlen))
		goto out;
	ok = 1;
out:
	json_decref(doc);
	if (!ok)
		verify_request_clear(out);
	return ok;
}
