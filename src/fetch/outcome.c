/*
 * What a download comes to: a CRL imported (or found unchanged) and kept
 * as the CA's last good file, or a failure recorded; either way the
 * attempt's state goes to the store and the log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "internal.h"
#include "otzyv/fetch.h"
#include "otzyv/import.h"
#include "otzyv/log.h"
#include "otzyv/util.h"

/* Names come from the trusted list, URLs and errors from the network:
 * quoted for a key=value line (log.h). A buffer of each size per call:
 * NAME_LOG for a name, TEXT_LOG for a URL or a message. */
#define NAME_LOG 512
#define TEXT_LOG 2048

int64_t
fetch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
random_u32(void)
{
	uint32_t r = 0;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	return r;
}

char *
fetch_spool_path(const struct fetcher *f, const struct target *t, char *out,
		 size_t len)
{
	if (t->id == 0)
		snprintf(out, len, "%s/spool/tsl.part", f->state_dir);
	else
		snprintf(out, len, "%s/spool/%u.part", f->state_dir, t->id);
	return out;
}

/* What an attempt ending now makes of the CA's attempt record `st`;
 * `next_update` is that of the CA's stored CRL (0: none). */
static void
attempt_apply(struct fetcher *f, const struct target *t, struct store_fetch *st,
	      int ok, const char *url, int64_t next_update)
{
	int64_t now = clock_now();

	st->attempt_at = now;
	st->duration_ms = fetch_now_ms() - t->started_ms;
	st->bytes_total += t->bytes;
	if (ok) {
		st->success_at = now;
		st->failures = 0;
		st->url = url;
		st->next_at = sched_after_success(&f->sched, now, next_update,
						  random_u32());
	} else {
		st->failures++;
		st->failures_total++;
		st->next_at = sched_after_failure(&f->sched, now, st->failures,
						  next_update, random_u32());
	}
}

/* The stored attempt record of t, its url copied to url_copy (the
 * record's strings die with the transaction); *next_update is that of
 * the stored CRL. Zeroes when there is none. */
static void
attempt_stored(struct fetcher *f, const struct target *t,
	       struct store_fetch *st, int64_t *next_update, char *url_copy,
	       size_t len)
{
	struct store_txn *txn;
	struct store_issuer is;

	memset(st, 0, sizeof(*st));
	*next_update = 0;
	if (store_read_begin(f->store, &txn) != STORE_OK)
		return;
	if (store_issuer_get(txn, t->id, &is) == STORE_OK) {
		*st = is.fetch;
		*next_update = is.crl.present ? is.crl.next_update : 0;
		snprintf(url_copy, len, "%s", st->url ? st->url : "");
		st->url = url_copy[0] ? url_copy : NULL;
	}
	store_txn_end(txn);
}

void
fetch_record(struct fetcher *f, struct target *t, int ok, const char *url,
	     const char *error)
{
	struct store_fetch st;
	int64_t next_update;
	json_t *ev = NULL;
	enum store_err e = STORE_OK;
	char url_copy[MAX_URL_LEN], nb[NAME_LOG], tb[TEXT_LOG];

	if (ok && t->imported.attempt_at != 0) {
		/* Written with the CRL, in the import's transaction. */
		st = t->imported;
	} else {
		attempt_stored(f, t, &st, &next_update, url_copy,
			       sizeof(url_copy));
		attempt_apply(f, t, &st, ok, url, next_update);
		if (!ok) {
			ev = json_pack("{s:s, s:I, s:s, s:I}", "type",
				       "fetch_failed", "issuer",
				       (json_int_t)t->id, "reason", error,
				       "failures", (json_int_t)st.failures);
			f->failures++;
		}
		e = store_issuer_fetched(f->store, t->id, &st,
					 ok ? NULL : error, ev);
		json_decref(ev);
	}
	memset(&t->imported, 0, sizeof(t->imported));
	t->next_at = st.next_at;
	if (e != STORE_OK)
		log_error("event=fetch_record_failed ca=\"%s\" error=\"%s\"",
			  log_escape_str(t->name, nb, sizeof(nb)),
			  store_strerror(e));
	if (ok)
		log_info("event=fetch_ok ca=\"%s\" id=%u result=%s url=\"%s\" "
			 "bytes=%llu ms=%lld next_in=%lld",
			 log_escape_str(t->name, nb, sizeof(nb)), t->id,
			 t->result, log_escape_str(url, tb, sizeof(tb)),
			 (unsigned long long)t->bytes,
			 (long long)st.duration_ms,
			 (long long)(st.next_at - st.attempt_at));
	else
		log_warn("event=fetch_failed ca=\"%s\" id=%u failures=%u "
			 "next_in=%lld error=\"%s\"",
			 log_escape_str(t->name, nb, sizeof(nb)), t->id,
			 st.failures, (long long)(st.next_at - st.attempt_at),
			 log_escape_str(error, tb, sizeof(tb)));
}

/* Writes der to path through a temporary file and a rename. */
static void
write_atomic(const char *path, const unsigned char *der, size_t len)
{
	char tmp[1100];
	FILE *out;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((out = fopen(tmp, "wb")) == NULL)
		return;
	ok = fwrite(der, 1, len, out) == len && fflush(out) == 0 &&
	     fsync(fileno(out)) == 0;
	if (fclose(out) == 0 && ok && rename(tmp, path) == 0)
		return;
	unlink(tmp);
}

/* Keeps the spool file as the CA's last good CRL, always as DER: GET
 * /crl/ID.crl serves application/pkix-crl. */
void
fetch_keep_last_good(struct fetcher *f, const struct target *t,
		     const char *spool)
{
	char path[1024];
	unsigned char *der;
	struct mapfile m;
	long len = 0;

	fetch_crl_path(f->state_dir, t->id, path, sizeof(path));
	if (mapfile_open(spool, &m) != 0)
		return;
	/* The importer's own PEM reader: a file it took is a file we keep. */
	if ((der = import_crl_pem(&m, &len)) == NULL) {
		mapfile_close(&m);
		rename(spool, path);
		return;
	}
	write_atomic(path, der, (size_t)len);
	OPENSSL_free(der);
	mapfile_close(&m);
	unlink(spool);
}

void
fetch_stored_get(struct fetcher *f, uint32_t id, struct stored *out)
{
	struct store_txn *txn;
	struct store_issuer is;

	memset(out, 0, sizeof(*out));
	if (store_read_begin(f->store, &txn) != STORE_OK)
		return;
	if (store_issuer_get(txn, id, &is) == STORE_OK) {
		out->present = is.crl.present;
		memcpy(out->sha256, is.crl.sha256, 32);
		snprintf(out->url, sizeof(out->url), "%s",
			 is.crl.url ? is.crl.url : "");
		snprintf(out->etag, sizeof(out->etag), "%s",
			 is.crl.etag ? is.crl.etag : "");
		snprintf(out->last_modified, sizeof(out->last_modified), "%s",
			 is.crl.last_modified ? is.crl.last_modified : "");
		snprintf(out->last_url, sizeof(out->last_url), "%s",
			 is.fetch.url ? is.fetch.url : "");
	}
	store_txn_end(txn);
}

/* The importers' messages start with the file's path: the operator
 * knows the URL, which the caller puts in front instead. */
const char *
fetch_without_spool(const char *msg, const char *spool)
{
	size_t n = strlen(spool);

	if (strncmp(msg, spool, n) != 0)
		return msg;
	msg += n;
	return strncmp(msg, ": ", 2) == 0 ? msg + 2 : msg;
}

/* The attempt that brings a CRL, recorded in the import's own
 * transaction (store_merge_crl). Runs on the import thread. */
struct import_attempt {
	struct fetcher *f;
	const struct target *t;
	const char *url;
	struct store_fetch st; /* as written */
};

static void
record_attempt(struct store_issuer *is, void *arg)
{
	struct import_attempt *a = arg;

	attempt_apply(a->f, a->t, &is->fetch, 1, a->url, is->crl.next_update);
	a->st = is->fetch;
}

/* The stored CRL came again: from this URL, with these validators,
 * kept so that the next request is conditional on them (a mirror's
 * answer or a changed ETag would otherwise cost full downloads for
 * ever). */
static void
refresh_source(struct fetcher *f, const struct target *t,
	       const struct stored *st, const char *url)
{
	enum store_err e;
	char nb[NAME_LOG];

	if (strcmp(st->url, url) == 0 && strcmp(st->etag, t->etag) == 0 &&
	    strcmp(st->last_modified, t->last_modified) == 0)
		return;
	e = store_crl_set_source(f->store, t->id, st->sha256, url,
				 t->etag[0] ? t->etag : NULL,
				 t->last_modified[0] ? t->last_modified : NULL);
	if (e != STORE_OK)
		log_warn("event=crl_source_failed ca=\"%s\" error=\"%s\"",
			 log_escape_str(t->name, nb, sizeof(nb)),
			 store_strerror(e));
}

int
fetch_import_body(struct fetcher *f, struct target *t, const char *spool,
		  const char *url, char *why, size_t whylen)
{
	struct import_opts o = {0};
	struct import_result r;
	struct stored st;
	struct import_attempt a = {f, t, url, {0}};
	struct store_issuer_edit edit = {record_attempt, &a};
	char nb[NAME_LOG];

	fetch_stored_get(f, t->id, &st);
	if (st.present && memcmp(st.sha256, t->sha256, 32) == 0) {
		/* The stored file again: nothing to verify. */
		fetch_keep_last_good(f, t, spool);
		refresh_source(f, t, &st, url);
		t->result = "unchanged";
		return 1;
	}
	o.issuer_id = t->id;
	o.url = url;
	o.etag = t->etag[0] ? t->etag : NULL;
	o.last_modified = t->last_modified[0] ? t->last_modified : NULL;
	o.now = clock_now();
	o.edit = &edit;
	memset(&t->imported, 0, sizeof(t->imported));
	switch (import_crl_file(f->store, spool, &o, &r)) {
	case IMPORT_OK:
		t->imported = a.st;
		log_info("event=crl_imported ca=\"%s\" id=%u entries=%llu "
			 "added=%llu removed=%llu changed=%llu",
			 log_escape_str(t->name, nb, sizeof(nb)), t->id,
			 (unsigned long long)r.entries,
			 (unsigned long long)r.stats.added,
			 (unsigned long long)r.stats.removed,
			 (unsigned long long)r.stats.changed);
		fetch_keep_last_good(f, t, spool);
		t->result = "imported";
		return 1;
	case IMPORT_UNCHANGED:
		fetch_keep_last_good(f, t, spool);
		refresh_source(f, t, &st, url);
		t->result = "unchanged";
		return 1;
	case IMPORT_REJECTED:
	case IMPORT_ERROR:
		break;
	}
	snprintf(why, whylen, "%s", fetch_without_spool(r.msg, spool));
	return 0;
}

/*
 * A spool file left by a crash between an import's commit and the
 * file's rename is the stored CRL: keep it as the last good file. Any
 * other is a download that never finished: removed.
 */
void
fetch_recover_spool(struct fetcher *f, struct target *t)
{
	char spool[1024], nb[NAME_LOG];
	struct stored st;
	struct mapfile m;
	uint8_t md[32];
	unsigned char *der;
	long len = 0;
	int same;

	fetch_spool_path(f, t, spool, sizeof(spool));
	if (mapfile_open(spool, &m) != 0)
		return;
	fetch_stored_get(f, t->id, &st);
	/* The store has the hash of the DER, which a PEM file holds
	 * encoded (import_crl_file reads it so). */
	if ((der = import_crl_pem(&m, &len)) != NULL) {
		SHA256(der, (size_t)len, md);
		OPENSSL_free(der);
	} else {
		SHA256(m.data ? m.data : (const uint8_t *)"", m.len, md);
	}
	same = st.present && memcmp(md, st.sha256, 32) == 0;
	mapfile_close(&m);
	if (same) {
		log_info("event=fetch_recovered ca=\"%s\" id=%u",
			 log_escape_str(t->name, nb, sizeof(nb)), t->id);
		fetch_keep_last_good(f, t, spool);
	} else {
		unlink(spool);
	}
}
