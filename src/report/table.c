/*
 * The terminal table of `otzyv cas` (report.h): a header line, then one
 * line per CA in the order of the document (by id), fields separated by
 * tabs so that cut(1), awk(1) and grep(1) work on it. The columns and
 * their order are an interface: add new ones at the end only.
 *
 * Names and error messages are untrusted text (the trusted list, remote
 * servers): control characters, tabs and newlines among them, become
 * spaces, so a CA is always one line of the same nine fields and no
 * escape sequence reaches the terminal.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "otzyv/report.h"

/* What an absent value is printed as. */
#define ABSENT "-"

static const char table_header[] =
    "ID\tSTATE\tNAME\tCRL_NUMBER\tNEXT_UPDATE\tENTRIES\tNEXT_FETCH\t"
    "FAILURES\tLAST_ERROR\n";

/* s with control characters as spaces, or ABSENT when NULL or empty. */
static void
put_field(FILE *out, const char *s)
{
	if (s == NULL || *s == '\0') {
		fputs(ABSENT, out);
		return;
	}
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
	}
}

static void
put_str(FILE *out, const json_t *o, const char *key)
{
	put_field(out, json_string_value(json_object_get(o, key)));
}

static void
put_int(FILE *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		fprintf(out, "%" PRId64, (int64_t)json_integer_value(v));
	else
		fputs(ABSENT, out);
}

static void
put_line(FILE *out, const json_t *ca)
{
	const json_t *crl = json_object_get(ca, "crl");
	const json_t *fetch = json_object_get(ca, "fetch");

	put_int(out, ca, "id");
	fputc('\t', out);
	put_str(out, ca, "state");
	fputc('\t', out);
	put_str(out, ca, "name");
	fputc('\t', out);
	put_str(out, crl, "number");
	fputc('\t', out);
	put_str(out, crl, "next_update");
	fputc('\t', out);
	put_int(out, crl, "entries");
	fputc('\t', out);
	put_str(out, fetch, "next");
	fputc('\t', out);
	put_int(out, fetch, "failures");
	fputc('\t', out);
	put_str(out, json_object_get(ca, "last_error"), "message");
	fputc('\n', out);
}

void
report_table(const json_t *doc, FILE *out)
{
	const json_t *cas = json_object_get(doc, "cas");
	size_t i;

	fputs(table_header, out);
	for (i = 0; i < json_array_size(cas); i++)
		put_line(out, json_array_get(cas, i));
}
