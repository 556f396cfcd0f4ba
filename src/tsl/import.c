/*
 * Importing a trusted list into the store.
 *
 * Two passes over one open file: the first parses the whole list and
 * checks the Версия rule without touching the store, so a malformed,
 * truncated or rolled-back list changes nothing; the second registers
 * the issuers. The file must hash the same both times. A store failure
 * in the second pass leaves the issuers registered so far (each one is
 * whole: a register and its fields are written one after the other) but
 * no "tsl" record, so the same list is imported again next time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "otzyv/limits.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

struct import_ctx {
	struct store *s;
	const struct tsl_import_opts *opts;
	struct tsl_import_result *out;
	int failed;
	char msg[512];	  /* why the second pass stopped */
	uint32_t *listed; /* issuers this list names */
	size_t nlisted, cap;
};

/* Notes that the list names issuer id: 1, or 0 when out of memory. */
static int
note_listed(struct import_ctx *c, uint32_t id)
{
	uint32_t *v;

	if (c->nlisted == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;

		if ((v = realloc(c->listed, cap * sizeof(*v))) == NULL)
			return 0;
		c->listed = v;
		c->cap = cap;
	}
	c->listed[c->nlisted++] = id;
	return 1;
}

/* 1 when the operator excluded this CA (by name) or key (by key id). */
static int
excluded(const struct tsl_import_opts *o, const struct tsl_ca *ca,
	 const struct tsl_key *k)
{
	uint8_t a[MAX_KEYID_LEN], b[MAX_KEYID_LEN];
	long al, bl;
	size_t i;

	if (o == NULL)
		return 0;
	al = k->key_id ? hex_decode(k->key_id, a, sizeof(a)) : -1;
	for (i = 0; i < o->nexclude; i++) {
		const char *x = o->exclude[i];

		if (strcmp(x, ca->name) == 0 ||
		    (ca->short_name && strcmp(x, ca->short_name) == 0))
			return 1;
		if (k->key_id == NULL)
			continue;
		if (strcasecmp(x, k->key_id) == 0)
			return 1;
		bl = hex_decode(x, b, sizeof(b));
		if (al > 0 && al == bl && memcmp(a, b, (size_t)al) == 0)
			return 1;
	}
	return 0;
}

static json_t *
status_json(const struct tsl_status *st, const char *from_key)
{
	char ts[32];
	json_t *o = json_object();

	json_object_set_new(o, "status",
			    json_string(st->status ? st->status : ""));
	if (st->from)
		json_object_set_new(o, from_key,
				    json_string(time_format(st->from, ts)));
	if (st->to)
		json_object_set_new(o, "to",
				    json_string(time_format(st->to, ts)));
	return o;
}

/* {"status", "since", "history": [{"status", "from", "to"}]}, as text
 * the caller frees. */
static char *
accreditation_text(const struct tsl_ca *ca)
{
	json_t *o = status_json(&ca->status, "since"), *h = json_array();
	char *text;
	size_t i;

	for (i = 0; i < ca->nhistory; i++)
		json_array_append_new(h, status_json(&ca->history[i], "from"));
	json_object_set_new(o, "history", h);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* The key's CRL URLs, newline-separated, or NULL; caller frees. */
static char *
urls_text(const struct tsl_key *k)
{
	size_t i, n = 0;
	char *t;

	if (k->nurls == 0)
		return NULL;
	for (i = 0; i < k->nurls; i++)
		n += strlen(k->urls[i]) + 1;
	if ((t = malloc(n)) == NULL)
		return NULL;
	t[0] = '\0';
	for (i = 0; i < k->nurls; i++) {
		if (i > 0)
			strcat(t, "\n");
		strcat(t, k->urls[i]);
	}
	return t;
}

/* The accreditation status in a stored accreditation text, into out
 * ("" when there is none). */
static void
status_of(const char *accreditation, char *out, size_t len)
{
	json_t *doc = accreditation ? json_loads(accreditation, 0, NULL) : NULL;
	const char *st = json_string_value(json_object_get(doc, "status"));

	snprintf(out, len, "%s", st ? st : "");
	json_decref(doc);
}

/* The issuer already stored for this certificate: 1 with its source
 * and its accreditation status as the list last said it. */
static int
known(struct store *s, X509 *x, unsigned *out_source, char *status, size_t len)
{
	struct store_txn *t;
	struct store_issuer is;
	uint32_t id;
	int found = 0;

	status[0] = '\0';
	if (store_read_begin(s, &t) != STORE_OK)
		return 0;
	if (store_issuer_id_of(t, x, &id) == STORE_OK &&
	    store_issuer_get(t, id, &is) == STORE_OK) {
		found = 1;
		*out_source = is.source;
		status_of(is.accreditation, status, len);
	}
	store_txn_end(t);
	return found;
}

/* DESIGN's journal entry of an accreditation change (since 0: not
 * known). NULL when out of memory. */
static json_t *
accreditation_event(uint32_t id, const char *was, const char *status,
		    int64_t since)
{
	char ts[32];

	return json_pack(
	    "{s:s, s:I, s:s, s:s, s:o}", "type", "accreditation_changed",
	    "issuer", (json_int_t)id, "was", was, "status", status, "since",
	    since ? json_string(time_format(since, ts)) : json_null());
}

/* A CA the list names anew with another status than before. */
static void
journal_status(struct store *s, uint32_t id, const char *was,
	       const struct tsl_status *now)
{
	json_t *ev;

	if (was[0] == '\0' || now->status == NULL ||
	    strcmp(was, now->status) == 0)
		return;
	ev = accreditation_event(id, was, now->status, now->from);
	if (ev != NULL)
		store_event_log(s, ev);
	json_decref(ev);
}

static int
import_key(struct import_ctx *c, const struct tsl_ca *ca,
	   const struct tsl_key *k, const char *accreditation)
{
	struct store_tsl_info info = {0};
	char *urls = urls_text(k);
	const char *name =
	    ca->short_name && *ca->short_name ? ca->short_name : ca->name;
	enum store_err e = STORE_OK;
	size_t i;

	info.short_name = ca->short_name;
	info.inn = ca->inn;
	info.ogrn = ca->ogrn;
	info.accreditation = accreditation;
	info.crl_urls = urls;
	for (i = 0; i < k->ncerts; i++) {
		unsigned source = 0;
		char status[128];
		int was = known(c->s, k->certs[i].x509, &source, status,
				sizeof(status));
		uint32_t id;

		/* A [ca NAME] section keeps its name; the list adds the
		 * rest. */
		e = store_issuer_register(c->s, k->certs[i].x509,
					  source & STORE_SRC_CONFIG ? NULL
								    : name,
					  STORE_SRC_TSL, &id);
		if (e == STORE_OK)
			e = store_issuer_set_tsl(c->s, id, &info);
		if (e == STORE_OK && !note_listed(c, id))
			e = STORE_IO;
		if (e == STORE_OK)
			journal_status(c->s, id, status, &ca->status);
		if (e != STORE_OK) {
			snprintf(c->msg, sizeof(c->msg),
				 "CA at line %lu: store: %s", ca->line,
				 store_strerror(e));
			break;
		}
		c->out->issuers++;
		c->out->added += !was;
	}
	free(urls);
	return e == STORE_OK;
}

static int
import_ca(const struct tsl_ca *ca, void *arg)
{
	struct import_ctx *c = arg;
	char *accreditation = accreditation_text(ca);
	size_t i;
	int ok = 1;

	for (i = 0; ok && i < ca->nkeys; i++) {
		if (excluded(c->opts, ca, &ca->keys[i])) {
			c->out->excluded++;
			continue;
		}
		ok = import_key(c, ca, &ca->keys[i], accreditation);
	}
	free(accreditation);
	if (!ok)
		c->failed = 1;
	return !ok;
}

/* The accreditation text of a CA the list stopped naming: its current
 * period closed at `at`, TSL_UNLISTED from then on (status_qualified()
 * keeps what it issued before accredited); the status it had into
 * was[wlen]. NULL when it is TSL_UNLISTED already, or the text does
 * not decode. */
static char *
unlisted_text(const char *accreditation, int64_t at, char *was, size_t wlen)
{
	json_t *doc = accreditation ? json_loads(accreditation, 0, NULL) : NULL;
	json_t *hist, *since, *status;
	char ts[32], *text = NULL;

	if (doc == NULL || !json_is_object(doc))
		goto out;
	status = json_object_get(doc, "status");
	since = json_object_get(doc, "since");
	if (!json_is_string(status) ||
	    strcmp(json_string_value(status), TSL_UNLISTED) == 0)
		goto out;
	snprintf(was, wlen, "%s", json_string_value(status));
	if ((hist = json_object_get(doc, "history")) == NULL) {
		hist = json_array();
		json_object_set_new(doc, "history", hist);
	}
	if (!json_is_array(hist))
		goto out;
	json_array_append_new(hist,
			      json_pack("{s:O, s:O, s:s}", "status", status,
					"from", since ? since : json_null(),
					"to", time_format(at, ts)));
	json_object_set_new(doc, "status", json_string(TSL_UNLISTED));
	json_object_set_new(doc, "since", json_string(time_format(at, ts)));
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(doc);
	return text;
}

/* One issuer the list no longer names: TSL_UNLISTED since `at` (counted
 * in *count when it was not already). */
static enum store_err
unlist(struct store *s, uint32_t id, int64_t at, uint64_t *count)
{
	struct store_txn *t;
	struct store_issuer is;
	char *text = NULL, was[128] = "";
	json_t *ev;
	enum store_err e;

	if ((e = store_read_begin(s, &t)) != STORE_OK)
		return e;
	if ((e = store_issuer_get(t, id, &is)) == STORE_OK)
		text = unlisted_text(is.accreditation, at, was, sizeof(was));
	store_txn_end(t);
	if (e != STORE_OK || text == NULL)
		return e;
	ev = accreditation_event(id, was, TSL_UNLISTED, at);
	e = store_issuer_set_accreditation(s, id, text, ev);
	json_decref(ev);
	free(text);
	*count += e == STORE_OK;
	return e;
}

/*
 * The list's CAs that this list no longer names, or that are now
 * excluded, stop being accredited at `at`, the previous list's date
 * (the last time one was seen named): a certificate they issue later
 * is not qualified.
 */
static enum store_err
unlist_the_rest(struct import_ctx *c, int64_t at)
{
	uint32_t *ids;
	size_t n, i;
	enum store_err e = store_issuers_besides(c->s, STORE_SRC_TSL, c->listed,
						 c->nlisted, &ids, &n);

	for (i = 0; e == STORE_OK && i < n; i++)
		e = unlist(c->s, ids[i], at, &c->out->unlisted);
	free(ids);
	return e;
}

static enum tsl_import_status
reject(struct tsl_import_result *out, enum tsl_import_status st)
{
	out->status = st;
	return st;
}

enum tsl_import_status
tsl_import_file(struct store *s, const char *path,
		const struct tsl_import_opts *opts,
		struct tsl_import_result *out)
{
	struct import_ctx c = {s, opts, out, 0, {0}, NULL, 0, 0};
	struct store_tsl_meta m = {0}, prev = {0};
	struct store_txn *t = NULL;
	struct tsl_info again;
	char hex[65];
	json_t *ev = NULL;
	enum tsl_import_status st = TSL_IMPORT_ERROR;
	enum store_err e;
	int fd = -1, lock = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(out->msg, sizeof(out->msg), "%s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!tsl_parse_fd(fd, path, NULL, NULL, &out->info, out->msg,
			  sizeof(out->msg))) {
		st = TSL_IMPORT_REJECTED;
		goto out;
	}
	if (out->info.version < 0) {
		snprintf(out->msg, sizeof(out->msg), "%s: no root Версия",
			 path);
		st = TSL_IMPORT_REJECTED;
		goto out;
	}
	m.present = 1;
	m.version = out->info.version;
	m.date = out->info.date;
	memcpy(m.sha256, out->info.sha256, 32);
	m.size = out->info.size;
	m.imported_at = clock_now();

	/* From the version check to the meta record, alone: another
	 * importer's second pass must not interleave with this one. */
	if ((lock = store_tsl_lock(s, !(opts && opts->no_wait))) < 0) {
		int err = errno;

		if (err == EWOULDBLOCK)
			snprintf(out->msg, sizeof(out->msg),
				 "another import of the list is under way");
		else
			snprintf(out->msg, sizeof(out->msg),
				 "store: cannot take the trusted-list lock: %s",
				 strerror(err));
		goto out;
	}
	if ((e = store_read_begin(s, &t)) == STORE_OK) {
		e = store_tsl_check(t, &m);
		if (e == STORE_OK)
			e = store_tsl_get(t, &prev);
		store_txn_end(t);
	}
	switch (e) {
	case STORE_OK:
		break;
	case STORE_UNCHANGED:
		st = TSL_IMPORT_UNCHANGED;
		goto out;
	case STORE_ROLLBACK:
		snprintf(out->msg, sizeof(out->msg),
			 "%s: Версия %lld is lower than the stored list's "
			 "(rollback)",
			 path, (long long)m.version);
		st = TSL_IMPORT_REJECTED;
		goto out;
	case STORE_CONFLICT:
		snprintf(out->msg, sizeof(out->msg),
			 "%s: Версия %lld was already imported with other "
			 "content",
			 path, (long long)m.version);
		st = TSL_IMPORT_REJECTED;
		goto out;
	default:
		snprintf(out->msg, sizeof(out->msg), "store: %s",
			 store_strerror(e));
		goto out;
	}

	if (lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(out->msg, sizeof(out->msg), "%s: cannot rewind: %s",
			 path, strerror(errno));
		goto out;
	}
	if (!tsl_parse_fd(fd, path, import_ca, &c, &again, out->msg,
			  sizeof(out->msg))) {
		/* import_ca's own message, when it stopped the parse. */
		if (c.failed)
			snprintf(out->msg, sizeof(out->msg), "%s: %s", path,
				 c.msg);
		goto out;
	}
	if (memcmp(again.sha256, m.sha256, 32) != 0) {
		snprintf(out->msg, sizeof(out->msg),
			 "%s: the file changed while it was imported", path);
		goto out;
	}
	e = unlist_the_rest(&c, prev.date      ? prev.date
				: prev.present ? prev.imported_at
					       : m.imported_at);
	if (e != STORE_OK) {
		snprintf(out->msg, sizeof(out->msg), "store: %s",
			 store_strerror(e));
		goto out;
	}
	ev = json_pack(
	    "{s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I}",
	    "type", "tsl_imported", "source",
	    opts && opts->source ? opts->source : path, "version",
	    (json_int_t)m.version, "date", (json_int_t)m.date, "sha256",
	    hex_encode(m.sha256, 32, hex), "size", (json_int_t)m.size, "cas",
	    (json_int_t)again.cas, "keys", (json_int_t)again.keys,
	    "certificates", (json_int_t)again.certs, "skipped",
	    (json_int_t)again.skipped, "issuers", (json_int_t)out->issuers,
	    "added", (json_int_t)out->added, "excluded",
	    (json_int_t)out->excluded, "unlisted", (json_int_t)out->unlisted);
	switch ((e = store_tsl_set(s, &m, ev))) {
	case STORE_OK:
		st = TSL_IMPORT_OK;
		break;
	case STORE_UNCHANGED:
		st = TSL_IMPORT_UNCHANGED;
		break;
	case STORE_ROLLBACK:
	case STORE_CONFLICT:
		/* Under the lock, only an importer that does not take it
		 * (an older otzyv) can have stored a list meanwhile. */
		snprintf(out->msg, sizeof(out->msg),
			 "%s: Версия %lld: a newer or other list was stored "
			 "meanwhile",
			 path, (long long)m.version);
		st = TSL_IMPORT_REJECTED;
		break;
	default:
		snprintf(out->msg, sizeof(out->msg), "store: %s",
			 store_strerror(e));
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	if (lock >= 0)
		close(lock);
	free(c.listed);
	json_decref(ev);
	return reject(out, st);
}
