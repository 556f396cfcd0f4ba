/*
 * The renderers of the CA report (src/report/html.c, table.c, check.c)
 * on documents built here: every state, watched and unwatched CAs,
 * Cyrillic names, names with markup, quotes and ampersands, malformed
 * documents; and the HTML page as Chromium draws it, read back by OCR
 * (tests/data/pageshot.sh).
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "common.h"
#include "otzyv/report.h"

/* Chromium and Tesseract may each take pageshot.sh's 60 s limit. */
TestSuite(report, .timeout = 180);

#define REFRESH 30
#define LINE_MAX_LEN 1024
#define HOUR 3600
#define DAY (24 * HOUR)

/* ---- documents ------------------------------------------------------ */

/* One CA object as report_ca() makes it; a never_fetched CA has no CRL.
 * `age` is the CRL's age in seconds. */
static json_t *
ca_new(json_int_t id, const char *name, const char *state, int watched,
       json_int_t age)
{
	json_t *crl = json_null(), *ca;

	if (strcmp(state, "never_fetched") != 0)
		crl = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, "
				"s:I, s:I}",
				"number", "1a2b3c", "this_update",
				"2026-05-01T10:00:00Z", "next_update",
				"2026-05-08T10:00:00Z", "entries", id * 10,
				"size", (json_int_t)4096, "fetched_at",
				"2026-05-01T10:05:00Z", "sha256", "00ff", "url",
				"http://cdp.example.ru/ca.crl", "age", age,
				"expires_in", (json_int_t)HOUR);
	ca = json_pack(
	    "{s:I, s:s, s:s, s:s, s:[s], s:b, s:s, s:s, s:n, "
	    "s:[s], s:o, s:{s:s, s:s, s:s, s:I, s:I, s:I, s:I, "
	    "s:n}, s:n}",
	    "id", id, "name", name, "key_id", "0a0b", "subject", "CN=test",
	    "source", "config", "watched", watched, "state", state, "not_after",
	    "2030-01-01T00:00:00Z", "accreditation", "urls",
	    "http://cdp.example.ru/ca.crl", "crl", crl, "fetch", "last_attempt",
	    "2026-05-01T10:05:00Z", "last_success", "2026-05-01T10:05:00Z",
	    "next", "2026-05-01T11:05:00Z", "failures", (json_int_t)0,
	    "failures_total", (json_int_t)0, "duration", (json_int_t)1,
	    "bytes_total", (json_int_t)4096, "url", "last_error");
	cr_assert_not_null(ca);
	return ca;
}

/* Marks `ca` as having failed its last `failures` fetches. */
static void
ca_fail(json_t *ca, const char *message, json_int_t failures)
{
	json_object_set_new(ca, "last_error",
			    json_pack("{s:s, s:s}", "message", message, "at",
				      "2026-05-01T10:05:00Z"));
	json_object_set_new(json_object_get(ca, "fetch"), "failures",
			    json_integer(failures));
}

/* The document around the CAs of `cas` (taken), counts over the watched
 * ones as report_build() counts them. */
static json_t *
doc_new(json_t *cas)
{
	static const char *const states[] = {"fresh", "failing", "stale",
					     "never_fetched"};
	json_t *counts = json_object();
	size_t i, j;

	for (j = 0; j < 4; j++) {
		json_int_t n = 0;

		for (i = 0; i < json_array_size(cas); i++) {
			json_t *ca = json_array_get(cas, i);

			if (json_is_true(json_object_get(ca, "watched")) &&
			    strcmp(
				json_string_value(json_object_get(ca, "state")),
				states[j]) == 0)
				n++;
		}
		json_object_set_new(counts, states[j], json_integer(n));
	}
	return json_pack("{s:s, s:{s:i, s:s, s:i, s:s, s:s}, s:o, s:o}",
			 "generated_at", "2026-05-01T12:00:00Z", "tsl",
			 "version", 42, "date", "2026-04-30T09:00:00Z", "size",
			 123, "sha256", "abcd", "imported_at",
			 "2026-04-30T10:00:00Z", "counts", counts, "cas", cas);
}

/* The six CAs of the sorting tests: every state, ids that sort
 * differently as numbers and as text, distinct ages. */
static json_t *
doc_six(void)
{
	json_t *cas = json_array();

	json_array_append_new(cas, ca_new(33, "Alpha", "failing", 1, 200));
	json_array_append_new(cas, ca_new(10, "Bravo", "stale", 1, 900000));
	json_array_append_new(cas, ca_new(2, "Charlie", "fresh", 1, 100));
	json_array_append_new(cas, ca_new(7, "Delta", "stale", 1, 800000));
	json_array_append_new(cas, ca_new(4, "Echo", "fresh", 1, 5000));
	json_array_append_new(cas, ca_new(5, "Foxtrot", "never_fetched", 1, 0));
	return doc_new(cas);
}

static char *
html_of(const json_t *doc, const char *sort, int refresh)
{
	size_t len = 0;
	char *html = report_html(doc, sort, refresh, &len);

	cr_assert_not_null(html);
	cr_assert_eq(len, strlen(html), "length %zu, text %zu", len,
		     strlen(html));
	return html;
}

static char *
table_of(const json_t *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	report_table(doc, f);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* Case-insensitive strstr for ASCII needles. */
static const char *
find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The names appear in this order, each once at least. */
static void
assert_order(const char *text, const char *const *names, size_t n)
{
	const char *prev = text, *p;
	size_t i;

	for (i = 0; i < n; i++) {
		p = strstr(text, names[i]);
		cr_assert_not_null(p, "%s missing", names[i]);
		cr_assert(p >= prev, "%s out of order", names[i]);
		prev = p;
	}
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* ---- HTML ----------------------------------------------------------- */

Test(report, html_page_frame)
{
	json_t *doc = doc_six();
	char *html = html_of(doc, NULL, REFRESH), *none;

	cr_assert(starts_with(html, "<!DOCTYPE html>\n"));
	cr_assert_not_null(strstr(html, "<meta charset=\"utf-8\">"));
	cr_assert_not_null(
	    strstr(html, "<meta http-equiv=\"refresh\" content=\"30\">"));
	cr_assert_not_null(strstr(html, "2026-05-01</span> <span>12:00:00Z"),
			   "generated_at");
	cr_assert_not_null(strstr(html, "version 42"), "TSL version");
	cr_assert_not_null(strstr(html, "2026-04-30</span> <span>09:00:00Z"),
			   "TSL date");
	/* counts: 2 fresh, 1 failing, 2 stale, 1 never_fetched */
	cr_assert_not_null(strstr(html, ">fresh</span> 2"));
	cr_assert_not_null(strstr(html, ">failing</span> 1"));
	cr_assert_not_null(strstr(html, ">stale</span> 2"));
	cr_assert_not_null(strstr(html, ">never_fetched</span> 1"));
	cr_assert(strstr(html, "</html>\n") + 8 == html + strlen(html));

	none = html_of(doc, NULL, 0);
	cr_assert_null(strstr(none, "http-equiv=\"refresh\""));
	free(none);
	free(html);
	json_decref(doc);
}

Test(report, html_no_trusted_list)
{
	json_t *doc = doc_six();
	char *html;

	json_object_set_new(doc, "tsl", json_null());
	html = html_of(doc, NULL, REFRESH);
	cr_assert_not_null(strstr(html, "No trusted list"));
	free(html);
	json_decref(doc);
}

/* Markup, quotes and ampersands in every string the page shows. */
static json_t *
doc_hostile(void)
{
	json_t *cas = json_array(), *ca;

	ca = ca_new(1, "<script>alert('x')</script>", "failing", 1, 60);
	ca_fail(ca,
		"fetch from http://cdp.example.ru/a.crl: <b>404</b> & \"x\"",
		3);
	json_object_set_new(ca, "short_name", json_string("O'Brien & Co"));
	json_array_append_new(cas, ca);
	ca = ca_new(2, "Tom & Jerry \"CA\"", "fresh", 1, 60);
	json_object_set_new(ca, "accreditation",
			    json_pack("{s:s}", "status", "<i>ok</i>"));
	json_object_set_new(json_object_get(ca, "crl"), "number",
			    json_string("\"><img src=x>"));
	json_array_append_new(cas, ca);
	ca = ca_new(3, "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
		    "stale", 0, 60);
	json_array_append_new(cas, ca);
	return doc_new(cas);
}

Test(report, html_escapes_document_strings)
{
	json_t *doc = doc_hostile();
	char *html = html_of(doc, "name", REFRESH);

	cr_assert_null(find_ci(html, "<script"));
	cr_assert_null(find_ci(html, "<img"));
	cr_assert_null(strstr(html, "<b>404"));
	cr_assert_null(strstr(html, "<i>ok"));
	cr_assert_not_null(
	    strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
	cr_assert_not_null(strstr(html, "Tom &amp; Jerry &quot;CA&quot;"));
	cr_assert_not_null(strstr(html, "O&#39;Brien &amp; Co"));
	cr_assert_not_null(strstr(html, "&quot;&gt;&lt;img src=x&gt;"));
	cr_assert_not_null(strstr(html, "&lt;i&gt;ok&lt;/i&gt;"));
	/* the error in the title attribute, escaped there too */
	cr_assert_not_null(strstr(html, "title=\"fetch from "
					"http://cdp.example.ru/a.crl: "
					"&lt;b&gt;404&lt;/b&gt; &amp; "
					"&quot;x&quot;\""));
	cr_assert_not_null(strstr(
	    html, "&lt;SCRIPT SRC=https://evil.example/x.js&gt;&lt;/SCRIPT"));
	free(html);
	json_decref(doc);
}

/* 1 when position p of html is in text, or in the value of a title
 * attribute: where a URL is data, not a reference. */
static int
url_is_data(const char *html, const char *p)
{
	const char *lt = p, *eq;

	while (lt > html && *lt != '<' && *lt != '>')
		lt--;
	if (*lt != '<')
		return 1; /* text */
	for (eq = p; eq > lt && *eq != '='; eq--)
		;
	return eq - lt >= 6 && strncmp(eq - 5, "title", 5) == 0 &&
	       eq[1] == '"' &&
	       memchr(eq + 2, '"', (size_t)(p - eq - 2)) == NULL;
}

Test(report, html_loads_nothing)
{
	json_t *doc = doc_hostile();
	char *html = html_of(doc, NULL, REFRESH);
	static const char *const refs[] = {
	    "src=\"", "src='", "url(",	"@import", "<iframe", "<object",
	    "<embed", "<base", "<form", "<audio",  "<video",  "<svg"};
	const char *p;
	size_t i, urls = 0;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		cr_assert_null(find_ci(html, refs[i]), "%s", refs[i]);
	for (p = html; (p = strstr(p, "href=\"")) != NULL; p++)
		cr_assert(strncmp(p + 6, "?sort=", 6) == 0 ||
			      strncmp(p + 6, "data:,\"", 7) == 0,
			  "link: %.40s", p);
	for (p = html; (p = strstr(p, "://")) != NULL; p++, urls++)
		cr_assert(url_is_data(html, p), "reference: %.60s", p - 10);
	cr_assert_geq(urls, 2);
	cr_assert_not_null(strstr(html, "default-src 'none'"), "CSP");
	free(html);
	json_decref(doc);
}

Test(report, html_cyrillic_names)
{
	json_t *cas = json_array(), *doc, *ca;
	char *html;

	ca = ca_new(1, "ООО «Удостоверяющий центр Тест»", "fresh", 1, 60);
	json_object_set_new(ca, "short_name", json_string("УЦ Тест"));
	json_object_set_new(ca, "accreditation",
			    json_pack("{s:s, s:s, s:[]}", "status", "Действует",
				      "since", "2020-01-01T00:00:00Z",
				      "history"));
	json_array_append_new(cas, ca);
	ca = ca_new(2, "АО «Ёлка»", "failing", 1, 60);
	ca_fail(ca, "сервер не ответил", 2);
	json_array_append_new(cas, ca);
	doc = doc_new(cas);
	html = html_of(doc, NULL, REFRESH);
	cr_assert_not_null(strstr(html, "ООО «Удостоверяющий центр Тест»"));
	cr_assert_not_null(strstr(html, "УЦ Тест"));
	cr_assert_not_null(strstr(html, "Действует"));
	cr_assert_not_null(strstr(html, "АО «Ёлка»"));
	cr_assert_not_null(strstr(html, ">сервер не ответил</td>"));
	free(html);
	json_decref(doc);
}

Test(report, html_every_row)
{
	json_t *doc = doc_six();
	char *html = html_of(doc, NULL, REFRESH);
	static const char *const names[] = {"Alpha", "Bravo", "Charlie",
					    "Delta", "Echo",  "Foxtrot"};
	size_t i;

	for (i = 0; i < 6; i++)
		cr_assert_not_null(strstr(html, names[i]), "%s", names[i]);
	cr_assert_eq(count_of(html, "<tr><td"), 6);
	cr_assert_not_null(strstr(html, "<span class=\"b st-stale\">stale"));
	cr_assert_not_null(
	    strstr(html, "<span class=\"b st-never_fetched\">never_fetched"));
	cr_assert_not_null(
	    strstr(html, "<span class=\"b st-failing\">failing"));
	cr_assert_not_null(strstr(html, "<span class=\"b st-fresh\">fresh"));
	cr_assert_not_null(strstr(html, "<td class=\"hex\">1a2b3c</td>"));
	cr_assert_not_null(strstr(html, "<td class=\"num\">330</td>"),
			   "entries");
	cr_assert_not_null(strstr(html, "2026-05-08</span> <span>10:00:00Z"),
			   "next");
	cr_assert_not_null(strstr(html, "2026-05-01</span> <span>11:05:00Z"),
			   "fetch");
	free(html);
	json_decref(doc);
}

Test(report, html_sorts)
{
	static const char *const by_state[] = {"Bravo", "Delta",   "Foxtrot",
					       "Alpha", "Charlie", "Echo"};
	static const char *const by_name[] = {"Alpha", "Bravo", "Charlie",
					      "Delta", "Echo",	"Foxtrot"};
	static const char *const by_id[] = {"Charlie", "Echo",	"Foxtrot",
					    "Delta",   "Bravo", "Alpha"};
	static const char *const by_age[] = {"Foxtrot", "Bravo", "Delta",
					     "Echo",	"Alpha", "Charlie"};
	static const struct {
		const char *sort;
		const char *const *order;
	} cases[] = {
	    {"state", by_state}, {"name", by_name},	  {"id", by_id},
	    {"age", by_age},	 {NULL, by_state},	  {"", by_state},
	    {"bogus", by_state}, {"name;drop", by_state}, {"STATE", by_state},
	};
	json_t *doc = doc_six();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *html = html_of(doc, cases[i].sort, REFRESH);

		cr_log_info("sort=%s", cases[i].sort ? cases[i].sort : "NULL");
		assert_order(html, cases[i].order, 6);
		cr_assert_not_null(strstr(html, "href=\"?sort=state\""));
		cr_assert_not_null(strstr(html, "href=\"?sort=name\""));
		cr_assert_not_null(strstr(html, "href=\"?sort=id\""));
		cr_assert_not_null(strstr(html, "href=\"?sort=age\""));
		free(html);
	}
	json_decref(doc);
}

Test(report, html_unwatched_folded)
{
	json_t *cas = json_array(), *doc;
	char *html, *details;
	int i;

	json_array_append_new(cas, ca_new(1, "Watched One", "fresh", 1, 60));
	for (i = 0; i < 300; i++) {
		char name[64];

		snprintf(name, sizeof(name), "TSL CA %03d", i);
		json_array_append_new(
		    cas, ca_new(100 + i, name, "never_fetched", 0, 0));
	}
	json_array_append_new(cas, ca_new(2, "Watched Two", "stale", 1, 60));
	doc = doc_new(cas);
	html = html_of(doc, NULL, REFRESH);
	details = strstr(html, "<details>");
	cr_assert_not_null(details);
	cr_assert_null(strstr(html, "<details open"));
	cr_assert(strstr(html, "Watched One") < details);
	cr_assert(strstr(html, "Watched Two") < details);
	cr_assert(strstr(html, "TSL CA 000") > details);
	cr_assert(strstr(html, "TSL CA 299") > details);
	cr_assert_not_null(strstr(html, "Watched CAs (2)"));
	cr_assert_not_null(strstr(html, "Unwatched CAs (300)"));
	/* the counts cover watched CAs only */
	cr_assert_not_null(strstr(html, ">never_fetched</span> 0"));
	free(html);
	json_decref(doc);

	doc = doc_six();
	html = html_of(doc, NULL, REFRESH);
	cr_assert_null(strstr(html, "<details"), "nothing to fold");
	free(html);
	json_decref(doc);

	cas = json_array();
	json_array_append_new(cas, ca_new(9, "Lonely", "fresh", 0, 60));
	doc = doc_new(cas);
	html = html_of(doc, NULL, REFRESH);
	cr_assert_not_null(strstr(html, "No watched CA"));
	cr_assert(strstr(html, "Lonely") > strstr(html, "<details>"));
	free(html);
	json_decref(doc);
}

Test(report, html_long_error_cut)
{
	json_t *cas = json_array(), *doc, *ca;
	char msg[1024] = "", shown[1024] = ">", *html;
	int i;

	/* 200 two-octet characters, then more */
	for (i = 0; i < 200; i++)
		strcat(msg, "ж");
	strcat(shown, msg);
	strcat(shown, "\xe2\x80\xa6</td>");
	strcat(msg, "TAIL of the message");
	ca = ca_new(1, "Verbose", "failing", 1, 60);
	ca_fail(ca, msg, 9);
	json_array_append_new(cas, ca);
	ca = ca_new(2, "Terse", "failing", 1, 60);
	ca_fail(ca, "timeout", 1);
	json_array_append_new(cas, ca);
	doc = doc_new(cas);
	html = html_of(doc, NULL, REFRESH);
	cr_assert_not_null(strstr(html, shown));
	cr_assert_eq(count_of(html, "TAIL of the message"), 1, "title only");
	cr_assert_not_null(strstr(html, "title=\"ж"));
	cr_assert_not_null(
	    strstr(html, "<td class=\"err\" title=\"timeout\">timeout</td>"));
	cr_assert_not_null(strstr(html, "<td class=\"num\">9</td>"));
	free(html);
	json_decref(doc);
}

Test(report, html_ages_for_people)
{
	static const struct {
		json_int_t age;
		const char *shown;
	} cases[] = {
	    {45, ">45s<"},	{725, ">12m 5s<"}, {11520, ">3h 12m<"},
	    {90061, ">1d 1h<"}, {0, ">0s<"},	   {-90, ">-1m 30s<"},
	};
	json_t *cas = json_array(), *doc;
	char *html;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "CA %zu", i);
		json_array_append_new(
		    cas, ca_new((json_int_t)i, name, "fresh", 1, cases[i].age));
	}
	doc = doc_new(cas);
	html = html_of(doc, NULL, REFRESH);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_not_null(strstr(html, cases[i].shown), "%s",
				   cases[i].shown);
	free(html);
	json_decref(doc);
}

static const char *const malformed_docs[] = {
    "null",
    "[]",
    "{}",
    "{\"cas\": 5, \"counts\": [], \"tsl\": 7}",
    "{\"cas\": [1, \"x\", null, {}, []]}",
    "{\"cas\": [{\"id\": \"x\", \"name\": 5, \"state\": 7, \"crl\": [],"
    " \"fetch\": \"x\", \"last_error\": 3, \"watched\": true}]}",
    "{\"cas\": [{\"state\": \"weird\", \"watched\": true,"
    " \"crl\": {\"age\": 1.5}}], \"generated_at\": 1}",
    "{\"cas\": [{\"state\": \"fresh\", \"watched\": true, \"id\": 1,"
    " \"crl\": {\"age\": -9223372036854775808}}]}",
};

Test(report, html_malformed_documents)
{
	size_t i;
	char *html;

	for (i = 0; i < sizeof(malformed_docs) / sizeof(malformed_docs[0]);
	     i++) {
		json_t *doc =
		    json_loads(malformed_docs[i], JSON_DECODE_ANY, NULL);

		cr_assert_not_null(doc, "%s", malformed_docs[i]);
		html = html_of(doc, "age", REFRESH);
		cr_assert_not_null(strstr(html, "</html>"));
		free(html);
		json_decref(doc);
	}
	html = html_of(NULL, NULL, REFRESH);
	cr_assert_not_null(strstr(html, "No watched CA"));
	free(html);
}

/* ---- the terminal table --------------------------------------------- */

Test(report, table_lines)
{
	json_t *doc = doc_six(), *cas = json_object_get(doc, "cas"), *ca;
	char *out, *line, *save = NULL;
	size_t lines = 0;

	ca = ca_new(40, "ООО\t«Табуляция»\nи строка", "failing", 0, 60);
	ca_fail(ca, "connect: refused\r\n\x1b[31mred", 4);
	json_array_append_new(cas, ca);
	out = table_of(doc);
	cr_assert(starts_with(out,
			      "ID\tSTATE\tNAME\tCRL_NUMBER\tNEXT_UPDATE\t"
			      "ENTRIES\tNEXT_FETCH\tFAILURES\tLAST_ERROR\n"));
	cr_assert_null(strchr(out, '\x1b'), "no escape reaches a terminal");
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), lines++)
		cr_assert_eq(count_of(line, "\t"), 8, "%s", line);
	cr_assert_eq(lines, 8);
	free(out);

	out = table_of(doc);
	cr_assert_not_null(strstr(out, "5\tnever_fetched\tFoxtrot\t-\t-\t-\t"
				       "2026-05-01T11:05:00Z\t0\t-\n"));
	cr_assert_not_null(strstr(out, "2\tfresh\tCharlie\t1a2b3c\t"
				       "2026-05-08T10:00:00Z\t20\t"
				       "2026-05-01T11:05:00Z\t0\t-\n"));
	cr_assert_not_null(strstr(out, "40\tfailing\tООО «Табуляция» и "
				       "строка\t"));
	cr_assert_not_null(strstr(out, "\t4\tconnect: refused   [31mred\n"));
	/* in the order of the document */
	assert_order(out,
		     (const char *const[]){"Alpha", "Bravo", "Charlie", "Delta",
					   "Echo", "Foxtrot"},
		     6);
	free(out);
	json_decref(doc);
}

Test(report, table_malformed_documents)
{
	size_t i;
	char *out;

	for (i = 0; i < sizeof(malformed_docs) / sizeof(malformed_docs[0]);
	     i++) {
		json_t *doc =
		    json_loads(malformed_docs[i], JSON_DECODE_ANY, NULL);

		out = table_of(doc);
		cr_assert(starts_with(out, "ID\t"));
		free(out);
		json_decref(doc);
	}
	out = table_of(NULL);
	cr_assert(starts_with(out, "ID\t"));
	free(out);
}

/* ---- the Nagios/Icinga check ---------------------------------------- */

/* A perfdata item: label=value[UOM];[warn];[crit];[min];[max] after the
 * Monitoring Plugins guidelines; "U" for an unknown value. */
static const char perf_item_re[] =
    "^[A-Za-z_][A-Za-z0-9_]*=(-?[0-9]+(\\.[0-9]+)?(s|ms|us|%|B|KB|MB|"
    "GB|TB|c)?|U)(;-?[0-9]*(\\.[0-9]+)?){0,4}$";

/* Checks `line` has the plugin shape ("OTZYV WORD - text | perf") with
 * the exit code's word, every perfdata item well formed, and returns
 * the perfdata part. */
static const char *
assert_plugin_line(const char *line, int rc)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL",
					    "UNKNOWN"};
	char prefix[32], *perf, *item, *save = NULL;
	const char *bar;
	regex_t re;

	cr_assert(rc >= 0 && rc <= 3, "rc %d", rc);
	snprintf(prefix, sizeof(prefix), "OTZYV %s - ", words[rc]);
	cr_assert(strncmp(line, prefix, strlen(prefix)) == 0, "%s", line);
	cr_assert_null(strchr(line, '\n'), "one line");
	bar = strchr(line, '|');
	cr_assert_not_null(bar, "perfdata in %s", line);
	cr_assert_null(strchr(bar + 1, '|'), "one '|' in %s", line);
	cr_assert(bar[-1] == ' ' && bar[1] == ' ');
	cr_assert_eq(regcomp(&re, perf_item_re, REG_EXTENDED | REG_NOSUB), 0);
	perf = strdup(bar + 2);
	for (item = strtok_r(perf, " ", &save); item != NULL;
	     item = strtok_r(NULL, " ", &save))
		cr_assert_eq(regexec(&re, item, 0, NULL, 0), 0,
			     "perfdata item %s", item);
	free(perf);
	regfree(&re);
	return bar + 2;
}

static int
check_of(const json_t *doc, int64_t warn, int64_t crit, char *line)
{
	int rc = report_check(doc, warn, crit, line, LINE_MAX_LEN);

	cr_log_info("%d: %s", rc, line);
	cr_assert_lt(strlen(line), LINE_MAX_LEN);
	return rc;
}

/* doc_new() over CAs given as (name, state, watched, age) rows. */
struct ca_row {
	const char *name, *state;
	int watched;
	json_int_t age;
};

static json_t *
doc_rows(const struct ca_row *rows, size_t n)
{
	json_t *cas = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(
		    cas, ca_new((json_int_t)i + 1, rows[i].name, rows[i].state,
				rows[i].watched, rows[i].age));
	return doc_new(cas);
}

Test(report, check_ok)
{
	static const struct ca_row rows[] = {
	    {"Fresh One", "fresh", 1, 2 * HOUR},
	    {"Fresh Two", "fresh", 1, 11520},
	};
	json_t *doc = doc_rows(rows, 2);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, 4 * HOUR, DAY, line), 0);
	cr_assert_str_eq(line, "OTZYV OK - 2 watched CAs fresh, oldest CRL "
			       "3h 12m old | fresh=2 failing=0 stale=0 "
			       "never_fetched=0 "
			       "oldest_crl_age=11520s;14400;86400;0;");
	assert_plugin_line(line, 0);
	/* no thresholds: none in the perfdata */
	cr_assert_eq(check_of(doc, 0, 0, line), 0);
	cr_assert_str_eq(assert_plugin_line(line, 0),
			 "fresh=2 failing=0 stale=0 never_fetched=0 "
			 "oldest_crl_age=11520s;;;0;");
	cr_assert_eq(check_of(doc, HOUR, 0, line), 1);
	cr_assert_not_null(strstr(line, "oldest_crl_age=11520s;3600;;0;"));
	cr_assert_eq(check_of(doc, 0, -5, line), 0, "negative: unchecked");
	json_decref(doc);
}

Test(report, check_warning_by_failing)
{
	static const struct ca_row rows[] = {
	    {"Fresh One", "fresh", 1, 60},
	    {"Flaky CA", "failing", 1, 120},
	};
	json_t *doc = doc_rows(rows, 2);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, 0, 0, line), 1);
	assert_plugin_line(line, 1);
	cr_assert(starts_with(line,
			      "OTZYV WARNING - 1 of 2 watched CAs degraded: "
			      "Flaky CA (failing) | "),
		  "%s", line);
	cr_assert_not_null(strstr(line, "fresh=1 failing=1 stale=0 "));
	cr_assert_null(strstr(line, "Fresh One"));
	json_decref(doc);
}

Test(report, check_warning_by_age)
{
	static const struct ca_row rows[] = {
	    {"Young CA", "fresh", 1, 60},
	    {"Old CA", "fresh", 1, 2 * HOUR},
	};
	json_t *doc = doc_rows(rows, 2);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, HOUR, DAY, line), 1);
	assert_plugin_line(line, 1);
	cr_assert_not_null(strstr(line, "Old CA (CRL 2h 0m old)"));
	cr_assert_null(strstr(line, "Young CA"));
	cr_assert_not_null(strstr(line, "oldest_crl_age=7200s;3600;86400;0;"));
	/* exactly at the threshold is not over it */
	cr_assert_eq(check_of(doc, 2 * HOUR, DAY, line), 0);
	json_decref(doc);
}

Test(report, check_critical_by_state)
{
	static const struct ca_row rows[] = {
	    {"Fresh One", "fresh", 1, 60},
	    {"Flaky CA", "failing", 1, 60},
	    {"Dead CA", "stale", 1, 9 * DAY},
	    {"New CA", "never_fetched", 1, 0},
	};
	json_t *doc = doc_rows(rows, 4);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, 0, 0, line), 2);
	assert_plugin_line(line, 2);
	cr_assert(starts_with(line,
			      "OTZYV CRITICAL - 2 of 4 watched CAs critical: "
			      "Dead CA (stale), New CA (never_fetched); 1 more "
			      "CA degraded | "),
		  "%s", line);
	cr_assert_not_null(strstr(line, "fresh=1 failing=1 stale=1 "
					"never_fetched=1 oldest_crl_age="
					"777600s;;;0;"));
	json_decref(doc);

	/* never fetched alone: no CRL, no age */
	doc = doc_rows(rows + 3, 1);
	cr_assert_eq(check_of(doc, HOUR, DAY, line), 2);
	cr_assert_str_eq(assert_plugin_line(line, 2),
			 "fresh=0 failing=0 stale=0 never_fetched=1 "
			 "oldest_crl_age=U;3600;86400;0;");
	json_decref(doc);
}

Test(report, check_critical_by_age)
{
	static const struct ca_row rows[] = {
	    {"Flaky CA", "failing", 1, 60},
	    {"Ancient CA", "fresh", 1, 2 * DAY + 5 * HOUR},
	    {"Old CA", "fresh", 1, 2 * HOUR},
	};
	json_t *doc = doc_rows(rows, 3);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, HOUR, DAY, line), 2);
	assert_plugin_line(line, 2);
	cr_assert_not_null(strstr(line, "1 of 3 watched CAs critical: "
					"Ancient CA (CRL 2d 5h old); 2 more "
					"CAs degraded |"));
	json_decref(doc);
}

/* The trusted list's fetcher failed `failures` times running; `stored`
 * 0: no list was ever imported (version null). */
static void
tsl_fail(json_t *doc, int stored, const char *error, json_int_t failures)
{
	json_t *tsl = json_object_get(doc, "tsl");

	if (!stored)
		json_object_set_new(tsl, "version", json_null());
	json_object_set_new(tsl, "fetch",
			    json_pack("{s:s, s:s, s:I, s:s}", "last_attempt",
				      "2026-05-01T11:00:00Z", "last_success",
				      "2026-04-30T10:00:00Z", "failures",
				      failures, "last_error", error));
}

/* A failing trusted list is a warning, as a failing CA is; critical
 * while no list was ever stored. The CAs' text and the perfdata stay. */
Test(report, check_trusted_list_failing)
{
	static const struct ca_row rows[] = {
	    {"Fresh One", "fresh", 1, 2 * HOUR},
	};
	json_t *doc = doc_rows(rows, 1);
	char line[LINE_MAX_LEN];

	tsl_fail(doc, 1, "https://e-trust.example/tsl.xml: HTTP 503", 2);
	cr_assert_eq(check_of(doc, 0, 0, line), 1);
	cr_assert_str_eq(line, "OTZYV WARNING - trusted list failing "
			       "(https://e-trust.example/tsl.xml: HTTP 503); "
			       "1 watched CA fresh, oldest CRL 2h 0m old | "
			       "fresh=1 failing=0 stale=0 never_fetched=0 "
			       "oldest_crl_age=7200s;;;0;");
	assert_plugin_line(line, 1);
	/* a CA critical stays critical, the list named too */
	cr_assert_eq(check_of(doc, 0, HOUR, line), 2);
	cr_assert(starts_with(line, "OTZYV CRITICAL - trusted list failing "
				    "(https://e-trust.example/tsl.xml: HTTP "
				    "503); 1 of 1 watched CAs critical: "
				    "Fresh One (CRL 2h 0m old) | "),
		  "%s", line);
	json_decref(doc);

	/* never imported: critical */
	doc = doc_rows(rows, 1);
	tsl_fail(doc, 0, "file:///etc/otzyv/tsl.xml: rollback", 1);
	cr_assert_eq(check_of(doc, 0, 0, line), 2);
	cr_assert(starts_with(line, "OTZYV CRITICAL - trusted list never "
				    "imported (file:///etc/otzyv/tsl.xml: "
				    "rollback); 1 watched CA fresh"),
		  "%s", line);
	assert_plugin_line(line, 2);
	json_decref(doc);

	/* no failure since the last success: not named */
	doc = doc_rows(rows, 1);
	tsl_fail(doc, 1, "", 0);
	json_object_set_new(
	    json_object_get(json_object_get(doc, "tsl"), "fetch"), "last_error",
	    json_null());
	cr_assert_eq(check_of(doc, 0, 0, line), 0);
	cr_assert_null(strstr(line, "trusted list"), "%s", line);
	json_decref(doc);
}

/* With no watched CA (the list is where they come from), a failing list
 * is what is wrong, not "no watched CA"; its error text is cleaned and
 * cut like a name. */
Test(report, check_trusted_list_failing_without_watched_ca)
{
	json_t *doc = doc_rows(NULL, 0);
	char line[LINE_MAX_LEN], error[400];

	memset(error, 'q', sizeof(error) - 1);
	error[sizeof(error) - 1] = '\0';
	memcpy(error, "a | b\nc", 7);
	tsl_fail(doc, 1, error, 3);
	cr_assert_eq(check_of(doc, 0, 0, line), 1);
	assert_plugin_line(line, 1);
	cr_assert(starts_with(line, "OTZYV WARNING - trusted list failing "
				    "(a / b cqqq"),
		  "%s", line);
	cr_assert_not_null(strstr(line, "q\xe2\x80\xa6); no watched CA | "),
			   "cut at 160 characters: %s", line);
	json_decref(doc);
}

Test(report, check_unknown_without_watched_ca)
{
	static const struct ca_row rows[] = {
	    {"TSL Only", "never_fetched", 0, 0},
	    {"TSL Stale", "stale", 0, 9 * DAY},
	};
	json_t *doc = doc_rows(NULL, 0);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, 0, 0, line), 3);
	cr_assert_str_eq(line, "OTZYV UNKNOWN - no watched CA | fresh=0 "
			       "failing=0 stale=0 never_fetched=0 "
			       "oldest_crl_age=U;;;0;");
	assert_plugin_line(line, 3);
	json_decref(doc);

	doc = doc_rows(rows, 2);
	cr_assert_eq(check_of(doc, 0, 0, line), 3, "unwatched do not count");
	json_decref(doc);
}

Test(report, check_ignores_unwatched)
{
	static const struct ca_row rows[] = {
	    {"TSL Only", "never_fetched", 0, 0},
	    {"Mine", "fresh", 1, 60},
	    {"TSL Stale", "stale", 0, 90 * DAY},
	    {"TSL Flaky", "failing", 0, 60},
	};
	json_t *doc = doc_rows(rows, 4);
	char line[LINE_MAX_LEN];

	cr_assert_eq(check_of(doc, HOUR, DAY, line), 0);
	cr_assert_str_eq(assert_plugin_line(line, 0),
			 "fresh=1 failing=0 stale=0 never_fetched=0 "
			 "oldest_crl_age=60s;3600;86400;0;");
	cr_assert_null(strstr(line, "TSL"));
	json_decref(doc);
}

Test(report, check_unknown_on_malformed)
{
	static const char *const docs[] = {
	    "null",
	    "[]",
	    "{}",
	    "{\"cas\": 5}",
	    "{\"cas\": [1]}",
	    "{\"cas\": [{\"watched\": true}]}",
	    "{\"cas\": [{\"watched\": true, \"state\": \"weird\"}]}",
	    "{\"cas\": [{\"watched\": true, \"state\": 2}]}",
	};
	char line[LINE_MAX_LEN];
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *doc = json_loads(docs[i], JSON_DECODE_ANY, NULL);

		cr_assert_eq(check_of(doc, 0, 0, line), 3, "%s", docs[i]);
		cr_assert(starts_with(line, "OTZYV UNKNOWN - malformed"));
		json_decref(doc);
	}
	cr_assert_eq(check_of(NULL, 0, 0, line), 3);
	/* no line at all: only the code */
	cr_assert_eq(report_check(NULL, 0, 0, NULL, 0), 3);
}

Test(report, check_names_at_most_five)
{
	json_t *cas = json_array(), *doc;
	char line[LINE_MAX_LEN], name[32];
	int i;

	for (i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "Dead %d", i);
		json_array_append_new(cas, ca_new(i, name, "stale", 1, DAY));
	}
	json_array_append_new(cas, ca_new(9, "Flaky", "failing", 1, 60));
	doc = doc_new(cas);
	cr_assert_eq(check_of(doc, 0, 0, line), 2);
	assert_plugin_line(line, 2);
	cr_assert_not_null(strstr(line, "8 of 9 watched CAs critical: Dead 1 "
					"(stale), Dead 2 (stale), Dead 3 "
					"(stale), Dead 4 (stale), Dead 5 "
					"(stale) and 3 more; 1 more CA "
					"degraded |"));
	cr_assert_null(strstr(line, "Dead 6"));
	cr_assert_null(strstr(line, "Flaky"));
	json_decref(doc);
}

Test(report, check_names_cleaned)
{
	json_t *cas = json_array(), *doc, *ca;
	char line[LINE_MAX_LEN];

	ca = ca_new(1, "Pipe | CA\nsecond line", "stale", 1, DAY);
	json_array_append_new(cas, ca);
	ca = ca_new(2,
		    "Акционерное общество «Очень длинное название "
		    "удостоверяющего центра»",
		    "stale", 1, DAY);
	json_array_append_new(cas, ca);
	ca = ca_new(3, "Общество с ограниченной ответственностью «Тест»",
		    "stale", 1, DAY);
	json_object_set_new(ca, "short_name", json_string("ООО «Тест»"));
	json_array_append_new(cas, ca);
	doc = doc_new(cas);
	cr_assert_eq(check_of(doc, 0, 0, line), 2);
	assert_plugin_line(line, 2);
	cr_assert_not_null(strstr(line, "Pipe / CA second line (stale)"));
	cr_assert_not_null(strstr(line, "ООО «Тест» (stale)"), "short name");
	cr_assert_null(strstr(line, "ограниченной"));
	/* the long name cut at 64 characters */
	cr_assert_not_null(strstr(line,
				  "Акционерное общество «Очень длинное "
				  "название удостоверяющего цен\xe2\x80\xa6 "
				  "(stale)"));
	json_decref(doc);
}

/* 1 when s is well-formed UTF-8 (no character cut in two). */
static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int more;

	while (*p != '\0') {
		more = *p < 0x80    ? 0
		       : *p >= 0xf0 ? 3
		       : *p >= 0xe0 ? 2
		       : *p >= 0xc0 ? 1
				    : -1;
		if (more < 0)
			return 0;
		for (p++; more > 0; more--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

Test(report, check_short_line_keeps_perfdata)
{
	json_t *cas = json_array(), *doc;
	char full[LINE_MAX_LEN], line[LINE_MAX_LEN];
	const char *perf;
	size_t len;
	int i;

	for (i = 1; i <= 5; i++)
		json_array_append_new(
		    cas, ca_new(i, "Удостоверяющий центр", "stale", 1, DAY));
	doc = doc_new(cas);
	cr_assert_eq(check_of(doc, 0, 0, full), 2);
	perf = strstr(full, " | ");
	for (len = strlen(perf) + 20; len < strlen(full) + 2; len++) {
		memset(line, 'X', sizeof(line));
		cr_assert_eq(report_check(doc, 0, 0, line, len), 2);
		cr_assert_lt(strlen(line), len);
		cr_assert(utf8_valid(line), "%s", line);
		cr_assert_str_eq(line + strlen(line) - strlen(perf), perf,
				 "%zu: %s", len, line);
		assert_plugin_line(line, 2);
	}
	/* too short for the perfdata: cut, still terminated */
	cr_assert_eq(report_check(doc, 0, 0, line, 10), 2);
	cr_assert_str_eq(line, "OTZYV CRI");
	json_decref(doc);
}

/* ---- what a browser shows ------------------------------------------- */

Test(report, html_in_a_browser)
{
	static const char *const states[] = {"fresh", "failing", "stale",
					     "never_fetched"};
	json_t *cas = json_array(), *doc, *ca;
	char *dir = tmpdir_new("report"), *html, *page, *shot;
	char name[32];
	size_t len;
	int i, rc;

	for (i = 1; i <= 6; i++) {
		snprintf(name, sizeof(name), "Test CA %d", i);
		ca = ca_new(i, name, states[i % 4], 1, i * 5000);
		if (i % 4 == 1)
			ca_fail(ca, "connect to cdp.example.ru: timed out", 2);
		json_array_append_new(cas, ca);
	}
	doc = doc_new(cas);
	html = report_html(doc, "name", REFRESH, &len);
	cr_assert_not_null(html);
	page = strdup(path_in(dir, "page.html"));
	shot = strdup(path_in(dir, "page.png"));
	cr_assert(write_file(page, html, len));
	rc = run("sh '%s/data/pageshot.sh' 'file://%s' '%s' 'Test CA 1' "
		 "'Test CA 2' 'Test CA 3' 'Test CA 4' 'Test CA 5' "
		 "'Test CA 6'",
		 env_path("TESTS_SRCDIR"), page, shot);
	if (rc == 77)
		cr_skip_test("chromium or tesseract is not installed");
	cr_assert_eq(rc, 0, "pageshot.sh exit %d (OTZYV_KEEP_TMP=1 keeps %s)",
		     rc, shot);
	free(page);
	free(shot);
	free(html);
	json_decref(doc);
	tmpdir_remove(dir);
}
