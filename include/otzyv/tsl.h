/*
 * tsl: the Ministry's trusted list of accredited CAs (DESIGN.md, "The
 * domain"): root АккредитованныеУдостоверяющиеЦентры with Версия, Дата
 * and one УдостоверяющийЦентр per CA.
 *
 * The parser is libxml2's streaming reader: memory is bounded by the
 * largest single CA (itself bounded by the TSL_MAX_* limits below), not
 * by the document, which is several megabytes in production. Each CA is
 * handed to a callback as its element closes and freed right after.
 *
 * Hostile input: a DOCTYPE or an entity reference anywhere fails the
 * parse at once (no DTD is loaded, no entity is ever substituted, no
 * network access), as rpki-client refuses DTDs in RRDP.
 *
 * Parse and import calls return 1 on success and 0 with a message in
 * the caller's buffer; the message names the element and line.
 */
#ifndef OTZYV_TSL_H
#define OTZYV_TSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "otzyv/limits.h"
#include "otzyv/store.h"

/* One accreditation status and the period it covered (0: open). */
struct tsl_status {
	char *status; /* "Действует", "Прекращена", "Приостановлена", ... */
	int64_t from, to;
};

/* A certificate of a key whose DER matched its Отпечаток. */
struct tsl_cert {
	X509 *x509;
	uint8_t sha1[20]; /* the thumbprint, checked */
	char *issued_by; /* КемВыдан, КомуВыдан, СерийныйНомер as listed */
	char *issued_to;
	char *serial;
	int64_t not_before, not_after; /* ПериодДействияС / До; 0: absent */
};

struct tsl_key {
	char *key_id; /* ИдентификаторКлюча as listed (hex), or NULL */
	char *urls[TSL_MAX_URLS];
	size_t nurls;
	struct tsl_cert certs[TSL_MAX_CERTS];
	size_t ncerts;
	size_t skipped; /* certificates dropped: bad base64, DER, thumbprint */
};

/* One УдостоверяющийЦентр. Owned by the parser; valid during the
 * callback only. */
struct tsl_ca {
	unsigned long line; /* where its element opened */
	char *name, *short_name, *inn, *ogrn;
	struct tsl_status status; /* СтатусАккредитации */
	struct tsl_status *history;
	size_t nhistory;
	struct tsl_key *keys;
	size_t nkeys;
};

/* The list as a whole, filled as the parse goes. */
struct tsl_info {
	int64_t version; /* Версия; -1 when absent */
	int64_t date;	 /* Дата; 0 when absent */
	uint8_t sha256[32];
	uint64_t size;
	uint64_t cas, keys, certs, skipped;
};

/* Called for each CA; non-zero stops the parse (it then fails with
 * "stopped"). */
typedef int (*tsl_ca_fn)(const struct tsl_ca *ca, void *arg);

/* Parses the list in memory. `label` names it in messages; fn may be
 * NULL (validation only). */
int tsl_parse_memory(const uint8_t *buf, size_t len, const char *label,
		     tsl_ca_fn fn, void *arg, struct tsl_info *out, char *err,
		     size_t errlen);

/* Parses the open file `fd` from its current offset, reading it in
 * chunks (never mapping or buffering it whole). */
int tsl_parse_fd(int fd, const char *label, tsl_ca_fn fn, void *arg,
		 struct tsl_info *out, char *err, size_t errlen);

enum tsl_import_status {
	TSL_IMPORT_OK,	      /* imported */
	TSL_IMPORT_UNCHANGED, /* the stored list, again */
	TSL_IMPORT_REJECTED,  /* bad list, or rollback; store unchanged */
	TSL_IMPORT_ERROR,     /* I/O or store failure */
};

struct tsl_import_opts {
	/* CAs to leave out: matched against Название, КраткоеНазвание
	 * (exactly) and ИдентификаторКлюча (hex, case-insensitive). */
	const char *const *exclude;
	size_t nexclude;
	const char *source; /* recorded in the event: path or URL */
	/* Another import under way: 1 fails this one at once (the
	 * daemon's fetcher, whose loop must not stop); 0 waits for it. */
	int no_wait;
};

/* The accreditation status (struct store_issuer's JSON) of a CA the
 * list no longer names, or that the operator excluded: not accredited
 * from then on. */
#define TSL_UNLISTED "Нет в перечне"

struct tsl_import_result {
	enum tsl_import_status status;
	struct tsl_info info;
	uint64_t issuers;  /* issuers registered or refreshed */
	uint64_t added;	   /* of which new to the store */
	uint64_t excluded; /* keys left out by the operator */
	uint64_t unlisted; /* list CAs no longer named (or now excluded):
			      no longer accredited */
	char msg[512];	   /* why, for REJECTED and ERROR */
};

/*
 * Imports the list at `path`: one validating pass (parse, Версия rule
 * against the stored list), then a second pass over the same open file
 * that registers every certificate as an issuer (STORE_SRC_TSL) and
 * records names, INN, OGRN, accreditation and CRL URLs; finally the
 * "tsl" meta record and a "tsl_imported" event. The file must hash the
 * same in both passes. Returns out->status.
 */
enum tsl_import_status tsl_import_file(struct store *s, const char *path,
				       const struct tsl_import_opts *opts,
				       struct tsl_import_result *out);

#endif
