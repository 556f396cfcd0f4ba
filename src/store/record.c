/*
 * Record codecs.
 *
 * Issuer record: magic "OZI1", then fields (u8 tag, u32 LE length,
 * value); strings are stored with their NUL so that decoded pointers are
 * C strings. Unknown tags are skipped, so a later schema may add fields.
 *
 * Revocation history: u8 version (1), then episodes:
 *   u8 flags (EP_REASON | EP_INVALIDITY | EP_REMOVED), u8 reason,
 *   i64 revoked_at, [i64 invalidity], i64 listed_at, u8 n, n octets,
 *   [i64 removed_at, u8 n, n octets]
 * Integers little-endian. Episodes are in the order they began.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

enum {
	F_NAME = 1,
	F_SUBJECT,
	F_CERT,
	F_SPKI_SHA1,
	F_SPKI_SHA256,
	F_SKI,
	F_SOURCE,
	F_CRL_NUMBER,
	F_CRL_THIS,
	F_CRL_NEXT,
	F_CRL_ENTRIES,
	F_CRL_FETCHED,
	F_CRL_SHA256,
	F_CRL_URL,
	F_CRL_ETAG,
	F_CRL_LASTMOD,
	F_LAST_ERROR,
	F_LAST_ERROR_AT,
	/* Schema 1 additions: older records simply lack them. */
	F_SHORT_NAME,
	F_INN,
	F_OGRN,
	F_ACCREDITATION,
	F_CRL_URLS,
	F_NOT_AFTER,
	F_CRL_SIZE,
	F_FETCH_ATTEMPT,
	F_FETCH_SUCCESS,
	F_FETCH_NEXT,
	F_FETCH_FAILURES,
	F_FETCH_FAILURES_TOTAL,
	F_FETCH_BYTES,
	F_FETCH_DURATION,
	F_FETCH_URL,
	F_CONFIG_URLS,
	F_CRL_SCOPE,
	F_CRL_IDP,
	F_HISTORY_SINCE,
	F_CRL_IDP_DP,
};

#define ISSUER_MAGIC "OZI1"
#define HISTORY_VERSION 1

#define EP_REASON 0x01
#define EP_INVALIDITY 0x02
#define EP_REMOVED 0x04

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
field(struct buf *b, uint8_t tag, const void *val, size_t len)
{
	uint8_t h[5];

	h[0] = tag;
	h[1] = (uint8_t)len;
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)(len >> 16);
	h[4] = (uint8_t)(len >> 24);
	buf_add(b, h, sizeof(h));
	buf_add(b, val, len);
}

static void
field_str(struct buf *b, uint8_t tag, const char *s)
{
	if (s != NULL)
		field(b, tag, s, strlen(s) + 1);
}

static void
field_i64(struct buf *b, uint8_t tag, int64_t v)
{
	uint8_t p[8];

	put_u64(p, (uint64_t)v);
	field(b, tag, p, 8);
}

/* Fetch state: written only once the fetcher has tried the issuer. */
static void
fetch_encode(const struct store_fetch *f, struct buf *out)
{
	if (f->attempt_at == 0 && f->next_at == 0)
		return;
	field_i64(out, F_FETCH_ATTEMPT, f->attempt_at);
	field_i64(out, F_FETCH_SUCCESS, f->success_at);
	field_i64(out, F_FETCH_NEXT, f->next_at);
	field_i64(out, F_FETCH_FAILURES, f->failures);
	field_i64(out, F_FETCH_FAILURES_TOTAL, (int64_t)f->failures_total);
	field_i64(out, F_FETCH_BYTES, (int64_t)f->bytes_total);
	field_i64(out, F_FETCH_DURATION, f->duration_ms);
	field_str(out, F_FETCH_URL, f->url);
}

void
issuer_encode(const struct store_issuer *is, struct buf *out)
{
	const struct store_crl_meta *m = &is->crl;

	buf_add(out, ISSUER_MAGIC, 4);
	field_str(out, F_NAME, is->name);
	field(out, F_SUBJECT, is->subject, is->subject_len);
	field(out, F_CERT, is->cert, is->cert_len);
	field(out, F_SPKI_SHA1, is->spki_sha1, 20);
	field(out, F_SPKI_SHA256, is->spki_sha256, 32);
	if (is->ski != NULL)
		field(out, F_SKI, is->ski, is->ski_len);
	field_i64(out, F_SOURCE, is->source);
	if (m->present) {
		field(out, F_CRL_NUMBER, m->number.v, m->number.len);
		field_i64(out, F_CRL_THIS, m->this_update);
		field_i64(out, F_CRL_NEXT, m->next_update);
		field_i64(out, F_CRL_ENTRIES, (int64_t)m->entries);
		field_i64(out, F_CRL_FETCHED, m->fetched_at);
		field(out, F_CRL_SHA256, m->sha256, 32);
		field_str(out, F_CRL_URL, m->url);
		field_str(out, F_CRL_ETAG, m->etag);
		field_str(out, F_CRL_LASTMOD, m->last_modified);
		field_i64(out, F_CRL_SIZE, (int64_t)m->size);
		if (m->scope != STORE_SCOPE_ALL)
			field_i64(out, F_CRL_SCOPE, (int64_t)m->scope);
		if (m->idp_known)
			field(out, F_CRL_IDP, m->idp_sha256, 32);
		if (m->idp_dp != NULL)
			field(out, F_CRL_IDP_DP, m->idp_dp, m->idp_dp_len);
	}
	if (is->last_error != NULL) {
		field_str(out, F_LAST_ERROR, is->last_error);
		field_i64(out, F_LAST_ERROR_AT, is->last_error_at);
	}
	field_str(out, F_SHORT_NAME, is->short_name);
	field_str(out, F_INN, is->inn);
	field_str(out, F_OGRN, is->ogrn);
	field_str(out, F_ACCREDITATION, is->accreditation);
	field_str(out, F_CRL_URLS, is->crl_urls);
	field_str(out, F_CONFIG_URLS, is->config_urls);
	if (is->not_after != 0)
		field_i64(out, F_NOT_AFTER, is->not_after);
	if (is->history_since != 0)
		field_i64(out, F_HISTORY_SINCE, is->history_since);
	fetch_encode(&is->fetch, out);
}

static int
get_str(const uint8_t *v, size_t len, const char **out)
{
	if (len == 0 || v[len - 1] != '\0' ||
	    memchr(v, '\0', len) != v + len - 1)
		return 0;
	*out = (const char *)v;
	return 1;
}

static int
get_u64v(const uint8_t *v, size_t len, uint64_t *out)
{
	if (len != 8)
		return 0;
	*out = get_u64(v);
	return 1;
}

static int
get_i64(const uint8_t *v, size_t len, int64_t *out)
{
	uint64_t u = 0;

	if (!get_u64v(v, len, &u))
		return 0;
	*out = (int64_t)u;
	return 1;
}

enum store_err
issuer_decode(uint32_t id, const uint8_t *p, size_t len,
	      struct store_issuer *out)
{
	const uint8_t *end = p + len;
	struct store_crl_meta *m = &out->crl;
	uint64_t u = 0;

	memset(out, 0, sizeof(*out));
	out->id = id;
	if (len < 4 || memcmp(p, ISSUER_MAGIC, 4) != 0)
		return STORE_CORRUPT;
	p += 4;
	while (p < end) {
		uint8_t tag;
		size_t n;
		const uint8_t *v;
		int ok = 1;

		if (end - p < 5)
			return STORE_CORRUPT;
		tag = p[0];
		n = (size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 |
		    (size_t)p[4] << 24;
		v = p + 5;
		if ((size_t)(end - v) < n)
			return STORE_CORRUPT;
		p = v + n;
		switch (tag) {
		case F_NAME:
			ok = get_str(v, n, &out->name);
			break;
		case F_SUBJECT:
			out->subject = v;
			out->subject_len = n;
			break;
		case F_CERT:
			out->cert = v;
			out->cert_len = n;
			break;
		case F_SPKI_SHA1:
			if ((ok = n == 20))
				memcpy(out->spki_sha1, v, 20);
			break;
		case F_SPKI_SHA256:
			if ((ok = n == 32))
				memcpy(out->spki_sha256, v, 32);
			break;
		case F_SKI:
			out->ski = v;
			out->ski_len = n;
			break;
		case F_SOURCE:
			if ((ok = n == 8))
				out->source = (unsigned)get_u64(v);
			break;
		case F_CRL_NUMBER:
			if ((ok = n <= MAX_CRL_NUMBER_LEN + 1)) {
				memcpy(m->number.v, v, n);
				m->number.len = (uint8_t)n;
			}
			break;
		case F_CRL_THIS:
			if ((ok = n == 8)) {
				m->this_update = (int64_t)get_u64(v);
				m->present = 1;
			}
			break;
		case F_CRL_NEXT:
			if ((ok = n == 8))
				m->next_update = (int64_t)get_u64(v);
			break;
		case F_CRL_ENTRIES:
			if ((ok = n == 8))
				m->entries = get_u64(v);
			break;
		case F_CRL_FETCHED:
			if ((ok = n == 8))
				m->fetched_at = (int64_t)get_u64(v);
			break;
		case F_CRL_SHA256:
			if ((ok = n == 32))
				memcpy(m->sha256, v, 32);
			break;
		case F_CRL_URL:
			ok = get_str(v, n, &m->url);
			break;
		case F_CRL_ETAG:
			ok = get_str(v, n, &m->etag);
			break;
		case F_CRL_LASTMOD:
			ok = get_str(v, n, &m->last_modified);
			break;
		case F_LAST_ERROR:
			ok = get_str(v, n, &out->last_error);
			break;
		case F_LAST_ERROR_AT:
			if ((ok = n == 8))
				out->last_error_at = (int64_t)get_u64(v);
			break;
		case F_SHORT_NAME:
			ok = get_str(v, n, &out->short_name);
			break;
		case F_INN:
			ok = get_str(v, n, &out->inn);
			break;
		case F_OGRN:
			ok = get_str(v, n, &out->ogrn);
			break;
		case F_ACCREDITATION:
			ok = get_str(v, n, &out->accreditation);
			break;
		case F_CRL_URLS:
			ok = get_str(v, n, &out->crl_urls);
			break;
		case F_CONFIG_URLS:
			ok = get_str(v, n, &out->config_urls);
			break;
		case F_HISTORY_SINCE:
			ok = get_i64(v, n, &out->history_since);
			break;
		case F_NOT_AFTER:
			ok = get_i64(v, n, &out->not_after);
			break;
		case F_CRL_SIZE:
			ok = get_u64v(v, n, &m->size);
			break;
		case F_CRL_IDP:
			ok = m->idp_known = n == 32;
			if (ok)
				memcpy(m->idp_sha256, v, 32);
			break;
		case F_CRL_IDP_DP:
			m->idp_dp = v;
			m->idp_dp_len = n;
			break;
		case F_CRL_SCOPE:
			ok = get_u64v(v, n, &u) && u <= STORE_SCOPE_CAS;
			m->scope = (unsigned)u;
			break;
		case F_FETCH_ATTEMPT:
			ok = get_i64(v, n, &out->fetch.attempt_at);
			break;
		case F_FETCH_SUCCESS:
			ok = get_i64(v, n, &out->fetch.success_at);
			break;
		case F_FETCH_NEXT:
			ok = get_i64(v, n, &out->fetch.next_at);
			break;
		case F_FETCH_FAILURES:
			ok = get_u64v(v, n, &u) && u <= UINT32_MAX;
			out->fetch.failures = (uint32_t)u;
			break;
		case F_FETCH_FAILURES_TOTAL:
			ok = get_u64v(v, n, &out->fetch.failures_total);
			break;
		case F_FETCH_BYTES:
			ok = get_u64v(v, n, &out->fetch.bytes_total);
			break;
		case F_FETCH_DURATION:
			ok = get_i64(v, n, &out->fetch.duration_ms);
			break;
		case F_FETCH_URL:
			ok = get_str(v, n, &out->fetch.url);
			break;
		default:
			break; /* a later schema's field */
		}
		if (!ok)
			return STORE_CORRUPT;
	}
	if (out->subject == NULL || out->cert == NULL)
		return STORE_CORRUPT;
	return STORE_OK;
}

void
history_start(struct buf *out)
{
	uint8_t v = HISTORY_VERSION;

	buf_add(out, &v, 1);
}

static void
add_i64(struct buf *b, int64_t v)
{
	uint8_t p[8];

	put_u64(p, (uint64_t)v);
	buf_add(b, p, 8);
}

static void
add_number(struct buf *b, const struct crl_number *n)
{
	buf_add(b, &n->len, 1);
	buf_add(b, n->v, n->len);
}

void
episode_encode(const struct store_episode *ep, struct buf *out)
{
	uint8_t h[2];

	h[0] = (uint8_t)((ep->reason != CRL_REASON_ABSENT ? EP_REASON : 0) |
			 (ep->has_invalidity ? EP_INVALIDITY : 0) |
			 (ep->removed ? EP_REMOVED : 0));
	h[1] = ep->reason != CRL_REASON_ABSENT ? (uint8_t)ep->reason : 0;
	buf_add(out, h, 2);
	add_i64(out, ep->revoked_at);
	if (ep->has_invalidity)
		add_i64(out, ep->invalidity);
	add_i64(out, ep->listed_at);
	add_number(out, &ep->listed_in);
	if (ep->removed) {
		add_i64(out, ep->removed_at);
		add_number(out, &ep->removed_in);
	}
}

static int
take(struct store_history *h, size_t n, const uint8_t **out)
{
	if (h->len < n)
		return 0;
	*out = h->p;
	h->p += n;
	h->len -= n;
	return 1;
}

static int
take_i64(struct store_history *h, int64_t *out)
{
	const uint8_t *p;

	if (!take(h, 8, &p))
		return 0;
	*out = (int64_t)get_u64(p);
	return 1;
}

static int
take_number(struct store_history *h, struct crl_number *out)
{
	const uint8_t *p;

	if (!take(h, 1, &p) || *p > MAX_CRL_NUMBER_LEN + 1)
		return 0;
	out->len = *p;
	if (!take(h, out->len, &p))
		return 0;
	memcpy(out->v, p, out->len);
	return 1;
}

int
store_history_next(struct store_history *h, struct store_episode *out)
{
	const uint8_t *p;
	uint8_t flags;

	if (h->len == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	if (!take(h, 2, &p))
		return -1;
	flags = p[0];
	out->reason = flags & EP_REASON ? p[1] : CRL_REASON_ABSENT;
	if (!take_i64(h, &out->revoked_at))
		return -1;
	if (flags & EP_INVALIDITY) {
		out->has_invalidity = 1;
		if (!take_i64(h, &out->invalidity))
			return -1;
	}
	if (!take_i64(h, &out->listed_at) || !take_number(h, &out->listed_in))
		return -1;
	if (flags & EP_REMOVED) {
		out->removed = 1;
		if (!take_i64(h, &out->removed_at) ||
		    !take_number(h, &out->removed_in))
			return -1;
	}
	return 1;
}
