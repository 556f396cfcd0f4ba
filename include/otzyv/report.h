/*
 * report: what people and dashboards are told about the CAs: the JSON
 * of GET /v1/cas and `otzyv cas --json`, and what is rendered from it
 * (the HTML page of GET /, the terminal table of `otzyv cas`, the
 * Nagios/Icinga line of `otzyv check`). Everything is rendered from the
 * one JSON document, so no two of them can disagree.
 *
 * The document (times RFC 3339 UTC, sizes in octets, hex lower case):
 *
 *   {"generated_at": "…",
 *    "tsl": null | {"version": 42 | null, "date": "…", "size": 123,
 *                   "sha256": "hex", "imported_at": "…",
 *                   "fetch": {"last_attempt", "last_success",
 *                             "failures": n (consecutive),
 *                             "last_error": "…" | null}
 *                            (absent before the fetcher's first try;
 *                             version null while no list was stored)},
 *    "counts": {"fresh": n, "failing": n, "stale": n, "never_fetched": n},
 *    "cas": [CA, …]}                          (by id)
 *
 *   CA = {"id": 3, "name": "…", "key_id": "hex", "subject": "CN=…",
 *         "source": ["config", "tsl", "manual"],
 *         "watched": true,   (the daemon keeps it current: readiness,
 *                            `otzyv check` and the counts cover it)
 *         "state": "fresh" | "failing" | "stale" | "never_fetched",
 *         "not_after": "…",  (of the CA certificate)
 *         "short_name", "inn", "ogrn": "…" (absent unless the TSL says),
 *         "accreditation": null | {"status": "Действует", "since": "…",
 *                   "history": [{"status", "from", "to"}]},
 *         "urls": ["http://…", …],           (CRL URLs, mirrors in order)
 *         "crl": null | {"number": "hex" | null, "this_update": "…",
 *                   "next_update": "…" | null, "entries": n, "size": n,
 *                   "fetched_at": "…", "sha256": "hex", "url": "…" | null,
 *                   "age": seconds since this_update,
 *                   "expires_in": seconds to next_update (negative
 *                                  once past) | null},
 *         "fetch": {"last_attempt": "…" | null, "last_success": "…" | null,
 *                   "next": "…" | null, "failures": n (consecutive),
 *                   "failures_total": n, "duration": seconds (last
 *                   transfer), "bytes_total": n, "url": "…" | null
 *                   (the mirror that answered last)},
 *         "last_error": null | {"message": "…", "at": "…"}}
 *
 * States: never_fetched (no CRL stored yet), stale (the stored CRL is
 * past nextUpdate + stale_grace: answers are tryLater), failing (the
 * CRL still covers now but the last fetch failed), fresh.
 */
#ifndef OTZYV_REPORT_H
#define OTZYV_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "otzyv/store.h"

enum report_state {
	REPORT_FRESH,
	REPORT_FAILING,
	REPORT_STALE,
	REPORT_NEVER_FETCHED,
};

/* "fresh", "failing", "stale", "never_fetched". */
const char *report_state_name(enum report_state st);

/* The state of issuer `is` at `now`. */
enum report_state report_state_of(const struct store_issuer *is, int64_t now,
				  int64_t stale_grace);

/* 1 when the daemon keeps `is` current: a configured CA, or one with CRL
 * URLs whose certificate is still valid at `now` (a CA whose
 * accreditation ended stays watched while certificates it issued can be
 * valid). */
int report_watched(const struct store_issuer *is, int64_t now);

/* How many CAs of store s are watched at `now` (report_watched: the
 * "watched" CAs of /v1/cas and /metrics), into *out_n. One read
 * transaction. STORE_OK, or the store's error with *out_n 0. */
enum store_err report_count_watched(struct store *s, int64_t now,
				    size_t *out_n);

/* One CA object (above); NULL on out of memory. */
json_t *report_ca(const struct store_issuer *is, int64_t now,
		  int64_t stale_grace);

/* The whole document from the store; NULL with the cause in err. */
json_t *report_build(struct store *s, int64_t now, int64_t stale_grace,
		     char *err, size_t errlen);

/* The HTML status page (GET /): every CA with its state colour, sorted
 * by `sort` ("state", "name", "id", "age"; NULL or unknown: "state"),
 * refreshing itself every `refresh` seconds, no script, no external
 * resource. malloc'd, length in *out_len; NULL on out of memory. */
char *report_html(const json_t *doc, const char *sort, int refresh,
		  size_t *out_len);

/* The terminal table of `otzyv cas`, one line per CA. */
void report_table(const json_t *doc, FILE *out);

/* `otzyv check`: a Nagios/Icinga plugin status line with perfdata into
 * `line`, over the watched CAs and the trusted list of doc.tsl (null
 * when none is watched); returns the plugin exit code: 0 OK,
 * 1 WARNING (a CA failing, or a CRL older than warn seconds, or the
 * list's last fetch failed), 2 CRITICAL (a CA stale or never fetched, or
 * a CRL older than crit seconds, or the list failing with none stored),
 * 3 UNKNOWN (no watched CA, and the list not failing). warn/crit 0: not
 * checked. */
int report_check(const json_t *doc, int64_t warn, int64_t crit, char *line,
		 size_t linelen);

#endif
