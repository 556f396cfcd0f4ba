/*
 * The trusted list as one more target of the fetcher: downloaded like a
 * CRL, checked against the [tsl] sha256 pin, imported by the tsl module
 * once no CRL transfer is in flight.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/log.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

void
fetch_tsl_done(struct fetcher *f, int ok, const char *error)
{
	struct target *t = &f->tsl;
	int64_t now = clock_now();
	char esc[1024];
	json_t *ev;

	if (ok) {
		t->next_at = now + f->tsl_refresh;
		if (store_tsl_fetched(f->store, 1, NULL, now, NULL) != STORE_OK)
			log_warn("event=tsl_record_failed");
		return;
	}
	f->failures++;
	t->next_at = now + f->sched.retry_min;
	ev = json_pack("{s:s, s:s}", "type", "tsl_failed", "reason", error);
	if (store_tsl_fetched(f->store, 0, error, now, ev) != STORE_OK)
		log_warn("event=tsl_record_failed");
	json_decref(ev);
	/* Logged once recorded: what the log says, /v1/cas shows. */
	log_warn("event=tsl_failed error=\"%s\"",
		 log_escape_str(error, esc, sizeof(esc)));
}

/* The list is in the spool and nothing else is in flight: import it,
 * then plan the targets anew (the list brings CAs and URLs). */
void
fetch_tsl_import(struct fetcher *f)
{
	struct tsl_import_opts o = {0};
	struct tsl_import_result r;
	char spool[1024], keep[1024], why[ERRLEN];
	const char *url = f->tsl.urls[0];

	f->tsl_pending = 0;
	fetch_spool_path(f, &f->tsl, spool, sizeof(spool));
	/* The download's hash, before any parse: a pinned list that is not
	 * the pinned one is refused before a byte of it is read. */
	if (f->tsl_pinned && memcmp(f->tsl.sha256, f->tsl_pin, 32) != 0) {
		snprintf(why, sizeof(why),
			 "%s: SHA-256 differs from [tsl] sha256", url);
		fetch_tsl_done(f, 0, why);
		return;
	}
	o.exclude = (const char *const *)f->exclude;
	o.nexclude = f->nexclude;
	o.source = url;
	o.no_wait = 1;
	switch (tsl_import_file(f->store, spool, &o, &r)) {
	case TSL_IMPORT_OK:
		log_info(
		    "event=tsl_imported version=%lld cas=%llu "
		    "issuers=%llu added=%llu unlisted=%llu",
		    (long long)r.info.version, (unsigned long long)r.info.cas,
		    (unsigned long long)r.issuers, (unsigned long long)r.added,
		    (unsigned long long)r.unlisted);
		snprintf(keep, sizeof(keep), "%s/tsl.xml", f->state_dir);
		rename(spool, keep);
		fetch_plan(f);
		fetch_tsl_done(f, 1, NULL);
		return;
	case TSL_IMPORT_UNCHANGED:
		fetch_tsl_done(f, 1, NULL);
		return;
	case TSL_IMPORT_REJECTED:
	case TSL_IMPORT_ERROR:
		snprintf(why, sizeof(why), "%s: %s", url,
			 fetch_without_spool(r.msg, spool));
		fetch_tsl_done(f, 0, why);
		return;
	}
}

int
fetch_tsl_setup(struct fetcher *f, const struct config *cfg)
{
	char url[1100];

	if (cfg->tsl_url == NULL && cfg->tsl_file == NULL)
		return 1;
	if (cfg->tsl_url != NULL)
		snprintf(url, sizeof(url), "%s", cfg->tsl_url);
	else
		snprintf(url, sizeof(url), "file://%s", cfg->tsl_file);
	f->tsl_enabled = 1;
	f->tsl_refresh = cfg->tsl_refresh;
	f->tsl.max_size = cfg->tsl_max_size;
	if ((f->tsl.name = strdup("trusted list")) == NULL ||
	    !fetch_target_add_url(&f->tsl, url, strlen(url)))
		return 0;
	if (cfg->tsl_sha256 != NULL) {
		f->tsl_pinned = 1;
		hex_decode(cfg->tsl_sha256, f->tsl_pin, sizeof(f->tsl_pin));
	}
	return 1;
}
