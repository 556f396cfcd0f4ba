/*
 * Tests for status_qualified() in src/status/status.c: whether a CA was
 * accredited at a certificate's notBefore, from the trusted list's
 * status history as the store keeps it (src/tsl/import.c writes it).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "otzyv/status.h"
#include "otzyv/store.h"
#include "otzyv/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* As mktsl.sh and test_tsl.c write them (import.c's JSON). */
#define ACTIVE                                                                   \
	"{\"status\":\"Действует\",\"since\":\"2019-08-12T21:00:00Z\"," \
	"\"history\":[{\"status\":\"Действует\","                       \
	"\"from\":\"2019-08-12T21:00:00Z\"}]}"
#define ENDED                                                                      \
	"{\"status\":\"Прекращена\",\"since\":\"2024-02-29T21:00:00Z\"," \
	"\"history\":[{\"status\":\"Действует\","                         \
	"\"from\":\"2019-08-12T21:00:00Z\",\"to\":\"2024-02-29T21:00:00Z\"},"      \
	"{\"status\":\"Прекращена\",\"from\":\"2024-02-29T21:00:00Z\"}]}"
/* Active since 2019, suspended for a month inside that period. */
#define SUSPENDED                                                                \
	"{\"status\":\"Действует\",\"since\":\"2019-08-12T21:00:00Z\"," \
	"\"history\":[{\"status\":\"Приостановлена\","             \
	"\"from\":\"2021-03-01T00:00:00Z\",\"to\":\"2021-04-01T00:00:00Z\"}]}"
/* Resumed: the current status began after the suspension. */
#define RESUMED                                                                           \
	"{\"status\":\"Действует\",\"since\":\"2022-01-01T00:00:00Z\","          \
	"\"history\":[{\"status\":\"Действует\","                                \
	"\"from\":\"2019-01-01T00:00:00Z\",\"to\":\"2021-01-01T00:00:00Z\"},"             \
	"{\"status\":\"Приостановлена\",\"from\":\"2021-01-01T00:00:00Z\"," \
	"\"to\":\"2022-01-01T00:00:00Z\"}]}"
/* Same start, two words: the one that is not "Действует" wins. */
#define TIE                                                                      \
	"{\"status\":\"Действует\",\"since\":\"2020-01-01T00:00:00Z\"," \
	"\"history\":[{\"status\":\"Приостановлена\","             \
	"\"from\":\"2020-01-01T00:00:00Z\"}]}"

struct row {
	unsigned source;
	const char *acc;
	const char *at;
	enum status_qualified want;
};

static const struct row rows[] = {
    /* not from the list: null, whatever the text says */
    {STORE_SRC_CONFIG, NULL, "2026-01-01T00:00:00Z", QUALIFIED_NULL},
    {STORE_SRC_MANUAL, ACTIVE, "2026-01-01T00:00:00Z", QUALIFIED_NULL},
    {0, ACTIVE, "2026-01-01T00:00:00Z", QUALIFIED_NULL},
    /* active since 2019 */
    {STORE_SRC_TSL, ACTIVE, "2026-01-01T00:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL | STORE_SRC_CONFIG, ACTIVE, "2026-01-01T00:00:00Z",
     QUALIFIED_YES},
    {STORE_SRC_TSL, ACTIVE, "2019-08-12T21:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL, ACTIVE, "2019-08-12T20:59:59Z", QUALIFIED_NO},
    /* accreditation ended 2024-03-01 MSK */
    {STORE_SRC_TSL, ENDED, "2020-06-01T00:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL, ENDED, "2024-02-29T20:59:59Z", QUALIFIED_YES},
    {STORE_SRC_TSL, ENDED, "2024-02-29T21:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, ENDED, "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, ENDED, "2018-01-01T00:00:00Z", QUALIFIED_NO},
    /* a suspension inside an active period */
    {STORE_SRC_TSL, SUSPENDED, "2021-02-28T23:59:59Z", QUALIFIED_YES},
    {STORE_SRC_TSL, SUSPENDED, "2021-03-15T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, SUSPENDED, "2021-04-01T00:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL, RESUMED, "2020-01-01T00:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL, RESUMED, "2021-06-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, RESUMED, "2023-01-01T00:00:00Z", QUALIFIED_YES},
    {STORE_SRC_TSL, TIE, "2021-01-01T00:00:00Z", QUALIFIED_NO},
    /* open periods: no dates at all */
    {STORE_SRC_TSL, "{\"status\":\"Действует\"}", "2026-01-01T00:00:00Z",
     QUALIFIED_YES},
    {STORE_SRC_TSL, "{\"status\":\"Прекращена\"}", "2026-01-01T00:00:00Z",
     QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"history\":[]}",
     "2026-01-01T00:00:00Z", QUALIFIED_YES},
    /* other spellings are not the accredited status */
    {STORE_SRC_TSL, "{\"status\":\"действует\"}", "2026-01-01T00:00:00Z",
     QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует \"}", "2026-01-01T00:00:00Z",
     QUALIFIED_NO},
    /* from the list, but nothing readable: never qualified */
    {STORE_SRC_TSL, NULL, "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "", "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "not json", "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "[]", "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{}", "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":1}", "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"since\":\"soon\"}",
     "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"since\":5}",
     "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"history\":{}}",
     "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"history\":[1]}",
     "2026-01-01T00:00:00Z", QUALIFIED_NO},
    {STORE_SRC_TSL, "{\"status\":\"Действует\",\"status\":\"Прекращена\"}",
     "2026-01-01T00:00:00Z", QUALIFIED_NO},
};

Test(status_qualified, table)
{
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		int64_t at;

		cr_assert(time_parse(rows[i].at, &at), "row %zu", i);
		cr_expect_eq(status_qualified(rows[i].source, rows[i].acc, at),
			     rows[i].want, "row %zu (%s at %s)", i,
			     rows[i].acc ? rows[i].acc : "NULL", rows[i].at);
	}
}

/* The JSON answer: "qualified" only when a certificate was asked about. */
Test(status_qualified, json)
{
	static const struct {
		enum status_qualified q;
		const char *want; /* NULL: absent */
	} cases[] = {
	    {QUALIFIED_ABSENT, NULL},
	    {QUALIFIED_NULL, "null"},
	    {QUALIFIED_NO, "false"},
	    {QUALIFIED_YES, "true"},
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		struct status_answer a = {0};
		json_t *o, *v;
		char *s;

		a.status = STATUS_GOOD;
		a.serial[0] = 1;
		a.serial_len = 1;
		a.qualified = cases[i].q;
		o = status_to_json(&a);
		v = json_object_get(o, "qualified");
		if (cases[i].want == NULL) {
			cr_expect_null(v, "case %zu", i);
		} else {
			cr_assert_not_null(v, "case %zu", i);
			s = json_dumps(v, JSON_ENCODE_ANY);
			cr_expect_str_eq(s, cases[i].want, "case %zu", i);
			free(s);
		}
		json_decref(o);
	}
}
