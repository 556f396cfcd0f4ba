/*
 * `otzyv check` (report.h): the report document as a Nagios/Icinga
 * plugin result, after the Monitoring Plugins guidelines
 * (https://nagios-plugins.org/doc/guidelines.html): one line
 * "OTZYV STATE - text | perfdata", exit code 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN.
 *
 * Only watched CAs count: the trusted list names hundreds of CAs nobody
 * asked this responder to keep current, and their state must not page
 * anyone. The list itself counts when its fetch fails, as a CA's does:
 * the list is how CAs are added, withdrawn and re-keyed. The text names
 * the list first, then the CAs at the worst level (the ones to look at
 * first); the perfdata carries the counts and the oldest CRL age for
 * graphs. When the caller's line is short, the text is cut and the
 * perfdata kept whole: graphs must not get a truncated value.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "otzyv/util.h"

#include "internal.h"

enum plugin_rc {
	RC_OK = 0,
	RC_WARNING = 1,
	RC_CRITICAL = 2,
	RC_UNKNOWN = 3,
};

static const char *const rc_word[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* CAs named in the text; the others are "and N more". */
#define MAX_NAMED 5

/* Characters of one CA name in the text: trusted-list names run to a
 * hundred characters and more. */
#define NAME_SHOWN_CHARS 64

/* The text and the perfdata are built here before they are fitted into
 * the caller's line: MAX_NAMED names of NAME_SHOWN_CHARS (up to 4 octets
 * each) with their reasons fit. */
#define TEXT_MAX 2048
#define PERF_MAX 256
#define WHY_MAX 64

/* Characters of the trusted list's error in the text ("URL: reason"). */
#define TSL_ERROR_CHARS 160

/* ---- bounded text --------------------------------------------------- */

struct sbuf {
	char *p;
	size_t cap; /* > 0 */
	size_t len; /* < cap; p[len] == '\0' */
	int full;   /* something was dropped: append nothing more */
};

/* Appends; what does not fit is cut on a character boundary, and
 * nothing is appended after that (so no later, shorter piece fills the
 * gap out of order). */
static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	b->full = 1;
	if (n >= 0)
		b->len = utf8_whole(b->p, b->cap - 1);
	b->p[b->len] = '\0';
}

/* Appends untrusted text: at most `chars` characters, '|' (which would
 * start the perfdata) as '/', control characters (a second line would
 * be read as long output) as spaces. */
static void
sb_put_clean(struct sbuf *b, const char *s, size_t chars)
{
	size_t n = 0;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c & 0xc0) != 0x80 && n++ == chars) {
			sb_printf(b, "\xe2\x80\xa6"); /* U+2026 ELLIPSIS */
			return;
		}
		if (c == '|')
			c = '/';
		else if (c < 0x20 || c == 0x7f)
			c = ' ';
		sb_printf(b, "%c", c);
	}
}

/* ---- reading the document ------------------------------------------ */

/* 1 with the state of word s in *out; 0 for anything else. */
static int
state_parse(const char *s, enum report_state *out)
{
	size_t i;

	for (i = 0; s != NULL && i < REPORT_NSTATES; i++)
		if (strcmp(s, report_state_name((enum report_state)i)) == 0) {
			*out = (enum report_state)i;
			return 1;
		}
	return 0;
}

/* 1 with the CRL age of `ca` in *out; 0 when it has no CRL. */
static int
ca_age(const json_t *ca, int64_t *out)
{
	const json_t *v = json_object_get(json_object_get(ca, "crl"), "age");

	if (!json_is_integer(v))
		return 0;
	*out = json_integer_value(v);
	return 1;
}

/*
 * The plugin result for one watched CA in state st, with the reason in
 * why: stale or never fetched is critical (answers are tryLater), so is
 * a CRL older than crit; failing (the CRL still covers now) or a CRL
 * older than warn is a warning. A threshold of 0 is not checked.
 */
static enum plugin_rc
ca_verdict(const json_t *ca, enum report_state st, int64_t warn, int64_t crit,
	   char *why, size_t whylen)
{
	char age_s[32]; /* "106751991167300d 15h" at most */
	int64_t age = 0;
	int has_age = ca_age(ca, &age);

	report_age(age, age_s, sizeof(age_s));
	snprintf(why, whylen, "CRL %s old", age_s);
	if (st == REPORT_STALE || st == REPORT_NEVER_FETCHED) {
		snprintf(why, whylen, "%s", report_state_name(st));
		return RC_CRITICAL;
	}
	if (crit > 0 && has_age && age > crit)
		return RC_CRITICAL;
	if (st == REPORT_FAILING) {
		snprintf(why, whylen, "%s", report_state_name(st));
		return RC_WARNING;
	}
	if (warn > 0 && has_age && age > warn)
		return RC_WARNING;
	return RC_OK;
}

/* What the watched CAs add up to. */
struct tally {
	size_t watched;
	size_t per_state[REPORT_NSTATES];
	size_t per_rc[RC_UNKNOWN]; /* OK, WARNING, CRITICAL */
	int has_age;
	int64_t oldest; /* when has_age */
};

/* 1 when `ca` is watched, with its state in *out_st; 0 when it is not
 * watched; -1 with the cause in why when it is malformed. */
static int
ca_watched_state(const json_t *ca, enum report_state *out_st, char *why,
		 size_t whylen)
{
	if (!json_is_object(ca)) {
		snprintf(why, whylen, "a CA is not an object");
		return -1;
	}
	if (!json_is_true(json_object_get(ca, "watched")))
		return 0;
	if (!state_parse(json_string_value(json_object_get(ca, "state")),
			 out_st)) {
		snprintf(why, whylen, "a watched CA has no known state");
		return -1;
	}
	return 1;
}

/* Counts the watched CAs of doc into t; 0 with the cause in why when
 * the document is malformed. */
static int
tally_cas(const json_t *doc, int64_t warn, int64_t crit, struct tally *t,
	  char *why, size_t whylen)
{
	const json_t *cas = json_object_get(doc, "cas");
	char reason[WHY_MAX];
	enum report_state st;
	int64_t age;
	size_t i;
	int w;

	memset(t, 0, sizeof(*t));
	if (!json_is_array(cas)) {
		snprintf(why, whylen, "no \"cas\" array");
		return 0;
	}
	for (i = 0; i < json_array_size(cas); i++) {
		const json_t *ca = json_array_get(cas, i);

		if ((w = ca_watched_state(ca, &st, why, whylen)) < 0)
			return 0;
		if (w == 0)
			continue;
		t->watched++;
		t->per_state[st]++;
		t->per_rc[ca_verdict(ca, st, warn, crit, reason,
				     sizeof(reason))]++;
		if (ca_age(ca, &age) && (!t->has_age || age > t->oldest)) {
			t->has_age = 1;
			t->oldest = age;
		}
	}
	return 1;
}

/*
 * The trusted list's verdict from doc.tsl, with what to say and its
 * error: a failed last fetch is a warning while a stored list still
 * serves, critical while none was ever stored (its CAs are unknown).
 * OK when it did not fail, or when the document has no list (the caller
 * leaves out one the configuration no longer names).
 */
static enum plugin_rc
tsl_verdict(const json_t *doc, const char **out_what, const char **out_error)
{
	const json_t *tsl = json_object_get(doc, "tsl");
	const json_t *fetch = json_object_get(tsl, "fetch");
	const json_t *failures = json_object_get(fetch, "failures");

	if (!json_is_integer(failures) || json_integer_value(failures) <= 0)
		return RC_OK;
	*out_error = json_string_value(json_object_get(fetch, "last_error"));
	if (json_is_integer(json_object_get(tsl, "version"))) {
		*out_what = "trusted list failing";
		return RC_WARNING;
	}
	*out_what = "trusted list never imported";
	return RC_CRITICAL;
}

/* ---- the line ------------------------------------------------------- */

/* "trusted list failing (error); " */
static void
put_tsl(struct sbuf *b, const char *what, const char *error)
{
	sb_printf(b, "%s", what);
	if (error != NULL && *error != '\0') {
		sb_printf(b, " (");
		sb_put_clean(b, error, TSL_ERROR_CHARS);
		sb_printf(b, ")");
	}
	sb_printf(b, "; ");
}

/* "NAME (why), NAME (why) and N more" for the watched CAs whose verdict
 * is `worst`, in the document's order. The short name when the trusted
 * list gives one: it is what fits a status line. */
static void
put_names(struct sbuf *b, const json_t *doc, enum plugin_rc worst, int64_t warn,
	  int64_t crit, size_t count)
{
	const json_t *cas = json_object_get(doc, "cas");
	char why[WHY_MAX];
	enum report_state st;
	size_t i, named = 0;

	for (i = 0; i < json_array_size(cas) && named < MAX_NAMED; i++) {
		const json_t *ca = json_array_get(cas, i);
		const char *name =
		    json_string_value(json_object_get(ca, "short_name"));

		if (ca_watched_state(ca, &st, why, sizeof(why)) != 1 ||
		    ca_verdict(ca, st, warn, crit, why, sizeof(why)) != worst)
			continue;
		if (name == NULL || *name == '\0')
			name = json_string_value(json_object_get(ca, "name"));
		sb_printf(b, "%s", named > 0 ? ", " : "");
		if (name != NULL && *name != '\0')
			sb_put_clean(b, name, NAME_SHOWN_CHARS);
		else
			sb_printf(b, "CA %" PRId64,
				  (int64_t)json_integer_value(
				      json_object_get(ca, "id")));
		sb_printf(b, " (%s)", why);
		named++;
	}
	if (count > named)
		sb_printf(b, " and %zu more", count - named);
}

static void
put_text(struct sbuf *b, const json_t *doc, const struct tally *t,
	 enum plugin_rc rc, int64_t warn, int64_t crit)
{
	char age_s[32]; /* "106751991167300d 15h" at most */

	switch (rc) {
	case RC_OK:
		sb_printf(b, "%zu watched CA%s fresh", t->watched,
			  t->watched == 1 ? "" : "s");
		if (t->has_age) {
			report_age(t->oldest, age_s, sizeof(age_s));
			sb_printf(b, ", oldest CRL %s old", age_s);
		}
		break;
	case RC_WARNING:
	case RC_CRITICAL:
		sb_printf(b, "%zu of %zu watched CAs %s: ", t->per_rc[rc],
			  t->watched,
			  rc == RC_CRITICAL ? "critical" : "degraded");
		put_names(b, doc, rc, warn, crit, t->per_rc[rc]);
		if (rc == RC_CRITICAL && t->per_rc[RC_WARNING] > 0)
			sb_printf(b, "; %zu more CA%s degraded",
				  t->per_rc[RC_WARNING],
				  t->per_rc[RC_WARNING] == 1 ? "" : "s");
		break;
	case RC_UNKNOWN:
		sb_printf(b, "no watched CA");
		break;
	}
}

/* label=value[UOM];warn;crit;min;max, thresholds empty when 0; "U" for
 * an age nobody can know yet (no watched CA has a CRL). */
static void
put_perf(struct sbuf *b, const struct tally *t, int64_t warn, int64_t crit)
{
	size_t i;

	for (i = 0; i < REPORT_NSTATES; i++)
		sb_printf(b, "%s=%zu ", report_state_name((enum report_state)i),
			  t->per_state[i]);
	if (t->has_age)
		sb_printf(b, "oldest_crl_age=%" PRId64 "s;", t->oldest);
	else
		sb_printf(b, "oldest_crl_age=U;");
	if (warn > 0)
		sb_printf(b, "%" PRId64, warn);
	sb_printf(b, ";");
	if (crit > 0)
		sb_printf(b, "%" PRId64, crit);
	sb_printf(b, ";0;");
}

/* "OTZYV WORD - text[ | perf]" into line[linelen]: the text is cut (on a
 * character boundary) to keep the perfdata whole when both do not fit. */
static void
fit_line(char *line, size_t linelen, enum plugin_rc rc, const char *text,
	 const char *perf)
{
	static const char sep[] = " | ";
	size_t fixed, room;
	int n;

	if (linelen == 0)
		return;
	n = snprintf(line, linelen, "OTZYV %s - ", rc_word[rc]);
	if (n < 0 || (size_t)n >= linelen)
		return;
	fixed = (size_t)n + (perf != NULL ? strlen(sep) + strlen(perf) : 0);
	room = fixed < linelen - 1 ? linelen - 1 - fixed : 0;
	room = strlen(text) > room ? utf8_whole(text, room) : strlen(text);
	snprintf(line + n, linelen - (size_t)n, "%.*s%s%s", (int)room, text,
		 perf != NULL ? sep : "", perf != NULL ? perf : "");
}

int
report_check(const json_t *doc, int64_t warn, int64_t crit, char *line,
	     size_t linelen)
{
	char text_buf[TEXT_MAX] = "", perf_buf[PERF_MAX] = "";
	struct sbuf text = {.p = text_buf, .cap = sizeof(text_buf)};
	struct sbuf perf = {.p = perf_buf, .cap = sizeof(perf_buf)};
	char why[WHY_MAX];
	const char *tsl_what = NULL, *tsl_error = NULL;
	struct tally t;
	enum plugin_rc rc = RC_OK, tsl_rc;

	warn = warn > 0 ? warn : 0;
	crit = crit > 0 ? crit : 0;
	if (!tally_cas(doc, warn, crit, &t, why, sizeof(why))) {
		sb_printf(&text, "malformed report document: %s", why);
		fit_line(line, linelen, RC_UNKNOWN, text.p, NULL);
		return RC_UNKNOWN;
	}
	if (t.watched == 0)
		rc = RC_UNKNOWN;
	else if (t.per_rc[RC_CRITICAL] > 0)
		rc = RC_CRITICAL;
	else if (t.per_rc[RC_WARNING] > 0)
		rc = RC_WARNING;
	if ((tsl_rc = tsl_verdict(doc, &tsl_what, &tsl_error)) != RC_OK)
		put_tsl(&text, tsl_what, tsl_error);
	put_text(&text, doc, &t, rc, warn, crit);
	put_perf(&perf, &t, warn, crit);
	/* A failing list is a known fault: it outranks "no watched CA"
	 * (which it may well be the cause of). */
	if (tsl_rc != RC_OK && (rc == RC_UNKNOWN || tsl_rc > rc))
		rc = tsl_rc;
	fit_line(line, linelen, rc, text.p, perf.p);
	return rc;
}
