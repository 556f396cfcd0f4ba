/*
 * The HTML status page of GET / (report.h), rendered from the report
 * document alone. The page is for people with a browser on an operator's
 * network: one self-contained HTML5 file, inline CSS, no script and no
 * resource from anywhere (a Content-Security-Policy says so too, in case
 * an escaping bug ever let markup through). Sorting is done here, on the
 * server, so the column headers are plain links.
 *
 * Every string of the document is untrusted (CA names and errors come
 * from the trusted list and from remote servers) and is HTML-escaped,
 * in text and in attributes alike.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Last error messages longer than this (in characters) are cut in the
 * table; the full text stays in the cell's title attribute. */
#define ERROR_SHOWN_CHARS 200

/* What an absent value is shown as. */
#define ABSENT "\xe2\x80\x94" /* U+2014 EM DASH */

/* Kept large and dark on white, words spaced apart: people read it from
 * across a desk, and the headless-browser test reads it back by OCR
 * (tests/data/pageshot.sh), which runs "CA 1" together as "CA1" at the
 * font's own word spacing. */
static const char page_css[] =
    "body{font:16px/1.4 \"DejaVu Sans\",Arial,sans-serif;color:#111;"
    "background:#fff;margin:1em;word-spacing:.25em}"
    "h1{font-size:1.5em;margin:0 0 .3em}"
    "h2{font-size:1.2em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse}"
    "th,td{border:1px solid #bbb;padding:.3em .4em;text-align:left;"
    "vertical-align:top}"
    "th{background:#e8e8e8}th a{color:#0645ad}"
    "th.cur{background:#d0d8e8}"
    "tbody tr:nth-child(even) td{background:#f5f5f5}"
    ".num{text-align:right;white-space:nowrap}"
    ".hex{font-family:monospace;overflow-wrap:anywhere;min-width:6em}"
    ".name{min-width:10em}"
    "time span{white-space:nowrap}"
    ".sub{color:#444;font-size:.9em}"
    ".err{min-width:13em;overflow-wrap:anywhere}"
    ".b{display:inline-block;padding:.1em .5em;border-radius:.3em;"
    "font-weight:bold;white-space:nowrap}"
    ".st-fresh{background:#1a7f37;color:#fff}"
    ".st-failing{background:#f0b400;color:#000}"
    ".st-stale{background:#c62828;color:#fff}"
    ".st-never_fetched{background:#6e7781;color:#fff}"
    ".st-unknown{background:#000;color:#fff}"
    "summary{cursor:pointer;font-size:1.2em;margin:1.2em 0 .4em}";

/* No script, no fetch of any kind; the favicon is an empty data: URL so
 * that browsers do not ask the daemon for /favicon.ico (which would land
 * on the OCSP GET path). */
static const char page_csp[] = "default-src 'none'; style-src "
			       "'unsafe-inline'; img-src data:; "
			       "form-action 'none'; base-uri 'none'";

/* Worst first: the order of the "state" sort. */
static const char *const state_order[] = {
    "stale",
    "never_fetched",
    "failing",
    "fresh",
};
#define NSTATES (sizeof(state_order) / sizeof(state_order[0]))

/* ---- reading the document ------------------------------------------ */

/* The string at `key` of object `o`, or NULL when absent or no string. */
static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* 1 with the integer at `key` of `o` in *out, 0 when absent. */
static int
jint(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return 0;
	*out = json_integer_value(v);
	return 1;
}

/* The index of a CA's state in state_order, or -1 for a state this
 * renderer does not know (sorted first: it needs looking at). */
static int
state_rank(const json_t *ca)
{
	const char *st = jstr(ca, "state");
	size_t i;

	for (i = 0; st != NULL && i < NSTATES; i++)
		if (strcmp(st, state_order[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- writing -------------------------------------------------------- */

/* Writes s HTML-escaped; safe in text and in quoted attributes. C0
 * controls become spaces: they are not allowed in HTML text. */
static void
put_esc_n(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
		}
	}
}

static void
put_esc(FILE *f, const char *s)
{
	if (s != NULL)
		put_esc_n(f, s, strlen(s));
}

/* s escaped, or the absent mark when NULL or empty. */
static void
put_text(FILE *f, const char *s)
{
	if (s == NULL || *s == '\0')
		fputs(ABSENT, f);
	else
		put_esc(f, s);
}

/* The octet length of the first `chars` UTF-8 characters of s (jansson
 * strings are valid UTF-8, so continuation octets mark the middle of a
 * character). */
static size_t
utf8_prefix(const char *s, size_t chars)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == chars)
			break;
	return i;
}

/* An RFC 3339 time as <time>: date and time of day each kept whole, so
 * that a narrow column wraps between them and nowhere else. */
static void
put_time(FILE *f, const char *t)
{
	const char *sep;

	if (t == NULL || *t == '\0') {
		fputs(ABSENT, f);
		return;
	}
	fputs("<time datetime=\"", f);
	put_esc(f, t);
	fputs("\">", f);
	if ((sep = strchr(t, 'T')) != NULL) {
		fputs("<span>", f);
		put_esc_n(f, t, (size_t)(sep - t));
		fputs("</span> <span>", f);
		put_esc(f, sep + 1);
		fputs("</span>", f);
	} else {
		put_esc(f, t);
	}
	fputs("</time>", f);
}

static void
put_int(FILE *f, const json_t *o, const char *key)
{
	int64_t v;

	if (jint(o, key, &v))
		fprintf(f, "%" PRId64, v);
	else
		fputs(ABSENT, f);
}

static void
put_age(FILE *f, int64_t s)
{
	char buf[32];

	report_age(s, buf, sizeof(buf));
	fputs(buf, f);
}

/* The state word in a coloured badge; the colour only repeats the word,
 * so the page reads the same without colour vision. */
static void
put_badge(FILE *f, const char *state, int known)
{
	fputs("<span class=\"b st-", f);
	fputs(known ? state : "unknown", f);
	fputs("\">", f);
	put_text(f, state);
	fputs("</span>", f);
}

/* The last error, cut at ERROR_SHOWN_CHARS with the whole of it in the
 * title attribute. */
static void
put_error(FILE *f, const json_t *err)
{
	const char *msg = jstr(err, "message");
	size_t cut;

	if (msg == NULL || *msg == '\0') {
		fputs("<td class=\"err\">" ABSENT "</td>", f);
		return;
	}
	fputs("<td class=\"err\" title=\"", f);
	put_esc(f, msg);
	fputs("\">", f);
	cut = utf8_prefix(msg, ERROR_SHOWN_CHARS);
	put_esc_n(f, msg, cut);
	if (msg[cut] != '\0')
		fputs("\xe2\x80\xa6", f); /* U+2026 HORIZONTAL ELLIPSIS */
	fputs("</td>", f);
}

static void
put_row(FILE *f, const json_t *ca)
{
	const json_t *crl = json_object_get(ca, "crl");
	const json_t *fetch = json_object_get(ca, "fetch");
	const char *short_name = jstr(ca, "short_name");
	int64_t age;

	fputs("<tr><td class=\"num\">", f);
	put_int(f, ca, "id");
	fputs("</td><td class=\"name\">", f);
	put_text(f, jstr(ca, "name"));
	if (short_name != NULL && *short_name != '\0') {
		fputs("<div class=\"sub\">", f);
		put_esc(f, short_name);
		fputs("</div>", f);
	}
	fputs("</td><td>", f);
	put_badge(f, jstr(ca, "state"), state_rank(ca) >= 0);
	fputs("</td><td>", f);
	put_text(f, jstr(json_object_get(ca, "accreditation"), "status"));
	fputs("</td><td class=\"hex\">", f);
	put_text(f, jstr(crl, "number"));
	fputs("</td><td>", f);
	put_time(f, jstr(crl, "this_update"));
	fputs("</td><td>", f);
	put_time(f, jstr(crl, "next_update"));
	fputs("</td><td class=\"num\">", f);
	put_int(f, crl, "entries");
	fputs("</td><td class=\"num\">", f);
	if (jint(crl, "age", &age))
		put_age(f, age);
	else
		fputs(ABSENT, f);
	fputs("</td><td>", f);
	put_time(f, jstr(fetch, "next"));
	fputs("</td><td class=\"num\">", f);
	put_int(f, fetch, "failures");
	fputs("</td>", f);
	put_error(f, json_object_get(ca, "last_error"));
	fputs("</tr>\n", f);
}

/* ---- sorting -------------------------------------------------------- */

static int
cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* By name (octet order: locale-free, so every replica sorts alike), then
 * by id so that the order is total. */
static int
cmp_name_id(const json_t *a, const json_t *b)
{
	const char *na = jstr(a, "name"), *nb = jstr(b, "name");
	int64_t ia = 0, ib = 0;
	int c = strcmp(na != NULL ? na : "", nb != NULL ? nb : "");

	if (c != 0)
		return c;
	jint(a, "id", &ia);
	jint(b, "id", &ib);
	return cmp_i64(ia, ib);
}

static int
by_name(const void *pa, const void *pb)
{
	return cmp_name_id(*(const json_t *const *)pa,
			   *(const json_t *const *)pb);
}

static int
by_state(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa;
	const json_t *b = *(const json_t *const *)pb;
	int c = state_rank(a) - state_rank(b);

	return c != 0 ? c : cmp_name_id(a, b);
}

static int
by_id(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa;
	const json_t *b = *(const json_t *const *)pb;
	int64_t ia = 0, ib = 0;

	jint(a, "id", &ia);
	jint(b, "id", &ib);
	return ia != ib ? cmp_i64(ia, ib) : cmp_name_id(a, b);
}

/* Oldest CRL first; a CA without a CRL is older than any. */
static int
by_age(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa;
	const json_t *b = *(const json_t *const *)pb;
	int64_t aa = INT64_MAX, ab = INT64_MAX;

	jint(json_object_get(a, "crl"), "age", &aa);
	jint(json_object_get(b, "crl"), "age", &ab);
	return aa != ab ? cmp_i64(ab, aa) : cmp_name_id(a, b);
}

static const struct sort_key {
	const char *name;
	int (*cmp)(const void *, const void *);
} sort_keys[] = {
    /* The first is the default. */
    {"state", by_state},
    {"name", by_name},
    {"id", by_id},
    {"age", by_age},
};
#define NSORT_KEYS (sizeof(sort_keys) / sizeof(sort_keys[0]))

static const struct sort_key *
sort_key_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NSORT_KEYS; i++)
		if (strcmp(name, sort_keys[i].name) == 0)
			return &sort_keys[i];
	return &sort_keys[0];
}

/* ---- the page ------------------------------------------------------- */

static void
put_head(FILE *f, int refresh)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n",
	      f);
	if (refresh > 0)
		fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
			refresh);
	fprintf(f,
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"%s\">\n"
		"<meta name=\"viewport\" "
		"content=\"width=device-width, initial-scale=1\">\n"
		"<link rel=\"icon\" href=\"data:,\">\n"
		"<title>otzyv: CA status</title>\n"
		"<style>%s</style>\n</head>\n<body>\n",
		page_csp, page_css);
}

/* generated_at, the trusted list and the counts (of watched CAs). */
static void
put_summary(FILE *f, const json_t *doc)
{
	const json_t *tsl = json_object_get(doc, "tsl");
	const json_t *counts = json_object_get(doc, "counts");
	size_t i;

	fputs("<h1>otzyv: CA status</h1>\n<p>Generated ", f);
	put_time(f, jstr(doc, "generated_at"));
	if (json_is_object(tsl)) {
		fputs(". Trusted list version ", f);
		put_int(f, tsl, "version");
		fputs(" of ", f);
		put_time(f, jstr(tsl, "date"));
	} else {
		fputs(". No trusted list imported", f);
	}
	fputs(".</p>\n<p>Watched CAs:", f);
	for (i = 0; i < NSTATES; i++) {
		fputc(' ', f);
		put_badge(f, state_order[i], 1);
		fputc(' ', f);
		put_int(f, counts, state_order[i]);
	}
	fputs("</p>\n", f);
}

/* A column header: a link that sorts by it, when it is a sort key. */
static void
put_th(FILE *f, const char *label, const char *key, const struct sort_key *cur)
{
	if (key == NULL) {
		fprintf(f, "<th>%s</th>", label);
		return;
	}
	if (strcmp(key, cur->name) == 0)
		fprintf(f,
			"<th class=\"cur\">"
			"<a href=\"?sort=%s\">%s</a> \xe2\x96\xbe</th>",
			key, label);
	else
		fprintf(f, "<th><a href=\"?sort=%s\">%s</a></th>", key, label);
}

static void
put_table(FILE *f, const json_t *const *cas, size_t n,
	  const struct sort_key *sort)
{
	size_t i;

	fputs("<table>\n<thead><tr>", f);
	put_th(f, "ID", "id", sort);
	put_th(f, "Name", "name", sort);
	put_th(f, "State", "state", sort);
	put_th(f, "Accred&shy;itation", NULL, sort);
	put_th(f, "CRL number", NULL, sort);
	put_th(f, "This update", NULL, sort);
	put_th(f, "Next update", NULL, sort);
	put_th(f, "Entries", NULL, sort);
	put_th(f, "Age", "age", sort);
	put_th(f, "Next fetch", NULL, sort);
	put_th(f, "Failures", NULL, sort);
	put_th(f, "Last error", NULL, sort);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++)
		put_row(f, cas[i]);
	fputs("</tbody>\n</table>\n", f);
}

/*
 * Splits the CAs of the document into watched (first *out_nwatched of
 * the returned array) and unwatched (the rest), each sorted. Returns a
 * malloc'd array of borrowed pointers into doc, NULL on out of memory;
 * *out_n is the total.
 */
static const json_t **
cas_sorted(const json_t *doc, const struct sort_key *sort, size_t *out_n,
	   size_t *out_nwatched)
{
	const json_t *cas = json_object_get(doc, "cas");
	size_t n = json_array_size(cas), i, w = 0, u;
	const json_t **v;

	/* One spare slot: calloc(0) may legitimately return NULL. */
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_is_true(
			json_object_get(json_array_get(cas, i), "watched")))
			v[w++] = json_array_get(cas, i);
	u = w;
	for (i = 0; i < n; i++)
		if (!json_is_true(
			json_object_get(json_array_get(cas, i), "watched")))
			v[u++] = json_array_get(cas, i);
	qsort(v, w, sizeof(*v), sort->cmp);
	qsort(v + w, n - w, sizeof(*v), sort->cmp);
	*out_n = n;
	*out_nwatched = w;
	return v;
}

/* Unwatched CAs (hundreds from the trusted list) are folded away so
 * that the ones the daemon keeps current stay on one screen. */
static void
put_body(FILE *f, const json_t *const *cas, size_t n, size_t nwatched,
	 const struct sort_key *sort)
{
	fprintf(f, "<h2>Watched CAs (%zu)</h2>\n", nwatched);
	if (nwatched > 0)
		put_table(f, cas, nwatched, sort);
	else
		fputs("<p>No watched CA.</p>\n", f);
	if (n > nwatched) {
		fprintf(f,
			"<details>\n<summary>Unwatched CAs (%zu): not kept "
			"current by this responder</summary>\n",
			n - nwatched);
		put_table(f, cas + nwatched, n - nwatched, sort);
		fputs("</details>\n", f);
	}
}

char *
report_html(const json_t *doc, const char *sort, int refresh, size_t *out_len)
{
	const struct sort_key *key = sort_key_find(sort);
	const json_t **cas = NULL;
	size_t n, nwatched, len = 0;
	char *buf = NULL;
	FILE *f = NULL;
	int failed;

	if ((cas = cas_sorted(doc, key, &n, &nwatched)) == NULL)
		goto out;
	if ((f = open_memstream(&buf, &len)) == NULL)
		goto out;
	put_head(f, refresh);
	put_summary(f, doc);
	put_body(f, cas, n, nwatched, key);
	fputs("</body>\n</html>\n", f);
	failed = ferror(f);
	/* fclose() publishes buf and len, and fails when memory ran out. */
	if (fclose(f) != 0 || failed) {
		free(buf);
		buf = NULL;
	}
	f = NULL;
out:
	free(cas);
	if (buf != NULL)
		*out_len = len;
	return buf;
}
