/*
 * fetch: keeps the store current. Downloads every watched CA's CRL (its
 * [ca] crl = URLs, else the trusted list's) and the trusted list itself,
 * with libcurl's multi interface driven by a libevent loop of its own, so
 * that downloads and imports never delay the HTTP workers.
 *
 * Per CA: the next attempt is due after [fetch] interval, earlier as the
 * CRL's nextUpdate nears, and after a failure with exponential backoff
 * from retry_min to retry_max; every delay is shortened by up to a tenth
 * at random so that replicas and CAs do not synchronise. Requests are
 * conditional (If-None-Match / If-Modified-Since of the last good fetch
 * from the same URL). Mirrors are tried in order, starting with the one
 * that answered last. A download goes to a spool file in the state
 * directory, cut off at the size limit, and is imported with the
 * foundation's importer (verify, then one merge transaction); the last
 * good file of each CA is kept as STATE/crl/ID.crl for GET /crl/ID.crl.
 * Anything that fails leaves the stored CRL as it was, records the
 * reason on the CA and in the journal, and schedules the next attempt.
 *
 * The state of every attempt is written to the store (struct
 * store_fetch), so the daemon, `otzyv cas` and `otzyv check` all see it
 * and a restart resumes the schedule.
 */
#ifndef OTZYV_FETCH_H
#define OTZYV_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "otzyv/config.h"
#include "otzyv/store.h"

struct fetcher;

/*
 * A fetcher for `cfg` (copied; cfg may be freed after) over store `s`.
 * ca_ids[i] is the issuer id of cfg->cas[i] (registry_sync). Creates
 * STATE/spool and STATE/crl. NULL with the cause in err.
 */
struct fetcher *fetcher_new(const struct config *cfg, struct store *s,
			    const uint32_t *ca_ids, char *err, size_t errlen);

/* Runs the schedule on a thread of its own until fetcher_free(). 1/0. */
int fetcher_start(struct fetcher *f);

/*
 * Makes every watched CA (or only the one named `ca`: its config
 * section or stored display name, or its id) due now, and the trusted
 * list too when `ca` is NULL. Safe from any thread. Returns the number
 * of CAs made due.
 */
int fetcher_refresh(struct fetcher *f, const char *ca);

/*
 * One pass in the calling thread: the trusted list (when configured and
 * `ca` is NULL), then every watched CA or only `ca`, each once, whatever
 * its schedule. Returns the number of failed attempts (the list counts
 * as one), or -1 when `ca` matches nothing.
 */
int fetcher_run_once(struct fetcher *f, const char *ca);

/*
 * Stops the thread, as fetcher_free() would, and returns the ids of the
 * CAs f was asked to fetch now and had not yet fetched (a refresh not
 * begun, a transfer the stop abandons), *n of them (malloc'd; NULL when
 * out of memory): so that the fetcher replacing f fetches them
 * (fetcher_refresh() by id), whatever their schedule says.
 */
uint32_t *fetcher_stop(struct fetcher *f, size_t *n);

/* Stops the thread (transfers in flight are abandoned; their spool
 * files are never imported) and frees everything. */
void fetcher_free(struct fetcher *f);

/*
 * Downloads `url` to `path` with cfg's [fetch] limits and at most `max`
 * octets, blocking. 1, or 0 with the cause in err.
 */
int fetch_download(const struct config *cfg, const char *url, const char *path,
		   uint64_t max, char *err, size_t errlen);

/* The last good CRL file of issuer `id`: STATE/crl/ID.crl, into out. */
void fetch_crl_path(const char *state_dir, uint32_t id, char *out, size_t len);

#endif
