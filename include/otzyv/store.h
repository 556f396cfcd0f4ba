/*
 * store: the LMDB environment and its schema (DESIGN.md, "Data model").
 *
 *   meta     "schema" -> u32; "next_issuer" -> u32; "event_seq" -> u64;
 *            "tsl" -> JSON of the last accepted trusted list
 *   issuers  u32 id (big-endian) -> issuer record (tagged fields)
 *   certid   u8 hash_alg || name hash || key hash -> u32 id
 *   revoked  u32 id || serial octets -> revocation history
 *   events   u64 unix microseconds || u32 sequence -> JSON text
 *
 * Invariants:
 *  - Only one writer at a time (LMDB's own lock); readers never block
 *    and see each write transaction whole or not at all. A CRL merge is
 *    one write transaction, so no reader sees half a CRL.
 *  - Revocation histories are only appended to or closed, never deleted:
 *    an entry that leaves the CRL gets a removal time and CRL number.
 *  - The issuer record's CRL metadata and the issuer's revoked entries
 *    always change in the same transaction.
 *
 * Pointers in records read from the store point into the LMDB map and
 * are valid only until the read transaction they came from ends.
 *
 * Store calls return enum store_err; library codes are translated here.
 */
#ifndef OTZYV_STORE_H
#define OTZYV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "otzyv/crl.h"

#define STORE_SCHEMA_VERSION 1

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,	   /* no such record */
	STORE_MAP_FULL,	   /* the map is full: raise [store] map_size */
	STORE_NO_SPACE,	   /* the file system is full (or the quota) */
	STORE_ROLLBACK,	   /* CRL older than the stored one */
	STORE_CONFLICT,	   /* same CRL number, different content */
	STORE_UNCHANGED,   /* the stored CRL, again */
	STORE_SCHEMA,	   /* store written by a newer otzyv */
	STORE_CORRUPT,	   /* a record that does not decode */
	STORE_BUSY,	   /* too many readers */
	STORE_IO,	   /* anything else from LMDB or the OS */
	STORE_INVALID,	   /* bad argument (entries unsorted, limits) */
	STORE_OTHER_SCOPE, /* another part of the CA's CRLs than stored */
	STORE_TXN_FULL,	   /* one write transaction too big for LMDB */
};

const char *store_strerror(enum store_err e);

struct store;
struct store_txn;

/* Where an issuer came from; a bit set. */
#define STORE_SRC_CONFIG 0x1u
#define STORE_SRC_TSL 0x2u
#define STORE_SRC_MANUAL 0x4u

/* The CRL an issuer's revoked entries currently reflect. */
struct store_crl_meta {
	int present;
	struct crl_number number; /* len 0: the CRL has none */
	int64_t this_update;
	int64_t next_update; /* 0: the CRL has none */
	uint64_t entries;    /* entries listed in this CRL */
	uint64_t size;	     /* octets of its DER */
	int64_t fetched_at;  /* when it was imported */
	uint8_t sha256[32];  /* of the CRL file as imported */
	const char *url;     /* where it came from, or NULL */
	const char *etag;
	const char *last_modified;
	unsigned scope;		/* STORE_SCOPE_*: whose certificates it lists */
	uint8_t idp_sha256[32]; /* of its issuingDistributionPoint's value;
				   zeros without one */
	int idp_known;		/* idp_sha256 is set (0: a record of an older
				   otzyv, whose scope is not known) */
	const uint8_t *idp_dp;	/* its distributionPoint (crl.h), or NULL:
				   it speaks for every certificate */
	size_t idp_dp_len;
};

/* RFC 5280 5.2.5: a CRL whose issuingDistributionPoint says it lists
 * only end-entity or only CA certificates tells nothing of the others. */
#define STORE_SCOPE_ALL 0
#define STORE_SCOPE_USERS 1
#define STORE_SCOPE_CAS 2

/* What the fetcher last did for an issuer (all 0: never tried). */
struct store_fetch {
	int64_t attempt_at;	 /* when the last attempt ended */
	int64_t success_at;	 /* last attempt that got a usable answer */
	int64_t next_at;	 /* when the next one is due */
	uint32_t failures;	 /* consecutive failed attempts */
	uint64_t failures_total; /* failed attempts, ever */
	uint64_t bytes_total;	 /* octets downloaded, ever */
	int64_t duration_ms;	 /* of the last attempt */
	const char *url;	 /* the mirror that answered last, or NULL */
};

struct store_issuer {
	uint32_t id;
	const char *name;	/* display name: config section or subject */
	const uint8_t *subject; /* Name DER */
	size_t subject_len;
	const uint8_t *cert; /* certificate DER */
	size_t cert_len;
	uint8_t spki_sha1[20];
	uint8_t spki_sha256[32];
	const uint8_t *ski; /* subjectKeyIdentifier octets, or NULL */
	size_t ski_len;
	unsigned source; /* STORE_SRC_* */
	struct store_crl_meta crl;
	const char *last_error; /* last rejected import or fetch, or NULL */
	int64_t last_error_at;
	/* From the trusted list (NULL for CAs it never listed). */
	const char *short_name; /* КраткоеНазвание */
	const char *inn, *ogrn;
	const char *accreditation; /* JSON: {"status", "since", "history":
				      [{"status", "from", "to"}]} */
	const char *crl_urls;	   /* newline-separated, in list order */
	/* The [ca NAME] crl = URLs (newline-separated), or NULL. */
	const char *config_urls;
	int64_t not_after; /* of the certificate; 0 in records that predate
			      it (read the certificate) */
	/* thisUpdate of the first CRL the store merged for it: the start
	 * of its history here (0: not known, a record of an older otzyv).
	 * A certificate that expired before then may have left the CRL
	 * already, revoked or not. */
	int64_t history_since;
	struct store_fetch fetch;
};

/* One period during which a serial was listed on its issuer's CRL. */
struct store_episode {
	int64_t revoked_at;
	int reason; /* CRL_REASON_ABSENT when the entry had none */
	int has_invalidity;
	int64_t invalidity;
	int64_t listed_at; /* thisUpdate of the CRL that first listed it
			      (its import, when that was earlier) */
	struct crl_number listed_in;
	int removed;	    /* it left the CRL */
	int64_t removed_at; /* thisUpdate of the CRL it was missing from */
	struct crl_number removed_in;
};

/* The raw history of one serial; walk it with store_history_next(). */
struct store_history {
	const uint8_t *p;
	size_t len;
};

/* What the CRL history says of one serial at one instant. */
enum store_state {
	STORE_STATE_NOT_LISTED, /* good, as far as the CRLs go */
	STORE_STATE_REVOKED,
	STORE_STATE_ON_HOLD,
};

/*
 * Opens (creating when `create`) the environment in directory `dir`.
 * map_size 0 means DEFAULT_MAP_SIZE. STORE_SCHEMA when the store was
 * written by a newer schema. The handle may be shared by threads; open
 * it after any fork().
 */
enum store_err store_open(const char *dir, size_t map_size, int create,
			  struct store **out);
void store_close(struct store *s);

/* A read transaction. Keep it short; end it with store_txn_end(). */
enum store_err store_read_begin(struct store *s, struct store_txn **out);
void store_txn_end(struct store_txn *t);

/* The issuer record `id`. STORE_NOTFOUND when absent. */
enum store_err store_issuer_get(struct store_txn *t, uint32_t id,
				struct store_issuer *out);

/* Calls fn for each issuer in id order until it returns non-zero. */
enum store_err
store_issuer_foreach(struct store_txn *t,
		     int (*fn)(const struct store_issuer *, void *), void *arg);

/*
 * Replaces issuer `id`'s fetch state with `f` and, when `error` is not
 * NULL, records it as the last error; NULL (the attempt succeeded)
 * clears the last error. `event` (may be NULL) goes to the journal. One
 * write transaction.
 */
enum store_err store_issuer_fetched(struct store *s, uint32_t id,
				    const struct store_fetch *f,
				    const char *error, json_t *event);

/* The stored CRL of issuer `id`, of SHA-256 `sha256`, came again from
 * `url` with these validators (NULL: none): they replace the stored
 * ones, so that the next request is conditional on what the server
 * says now. Nothing is written when another CRL is stored meanwhile. */
enum store_err store_crl_set_source(struct store *s, uint32_t id,
				    const uint8_t sha256[32], const char *url,
				    const char *etag,
				    const char *last_modified);

/* The issuers whose source has every bit of `source` and whose id is
 * not among keep[0..nkeep): *out (malloc'd, *out_n of them; the caller
 * frees it). What a list or a config no longer names. */
enum store_err store_issuers_besides(struct store *s, unsigned source,
				     const uint32_t *keep, size_t nkeep,
				     uint32_t **out, size_t *out_n);

/* Issuer `id` is no longer configured (its [ca] section is gone): its
 * STORE_SRC_CONFIG and configured URLs are cleared. */
enum store_err store_issuer_unconfigure(struct store *s, uint32_t id);

/* Sets issuer `id`'s configured CRL URLs (newline-separated; NULL or
 * "" for none), writing only when they differ. */
enum store_err store_issuer_set_config_urls(struct store *s, uint32_t id,
					    const char *urls);

/* The issuer whose certid under `alg` is name_hash || key_hash. */
enum store_err store_issuer_by_certid(struct store_txn *t, int alg,
				      const uint8_t *name_hash,
				      const uint8_t *key_hash, size_t hash_len,
				      uint32_t *out_id);

/* The issuer whose subject is the Name DER `name`, when `keyid` is
 * given whose SKI or SPKI SHA-1 equals it, and when `fits` is given
 * for whose certificate DER fits(der, len, arg) is 1 (CAs that share a
 * name, without a key identifier to tell them apart: the one whose key
 * signed, crypto_issued). Ties: the newest (highest id) wins.
 * STORE_NOTFOUND when none. */
enum store_err store_issuer_find(struct store_txn *t, const uint8_t *name,
				 size_t name_len, const uint8_t *keyid,
				 size_t keyid_len,
				 int (*fits)(const uint8_t *, size_t, void *),
				 void *arg, uint32_t *out_id);

/* The id of the CA certificate `cert` (same subject and key), without
 * registering it. STORE_NOTFOUND when it is not stored. */
enum store_err store_issuer_id_of(struct store_txn *t, X509 *cert,
				  uint32_t *out_id);

/*
 * Adds the CA certificate `cert` or, when an issuer with the same subject
 * and key exists, refreshes its certificate and ORs in `source`. `name`
 * (may be NULL) replaces the display name when given. Indexes certids
 * for every hash algorithm this process has. One write transaction.
 */
enum store_err store_issuer_register(struct store *s, X509 *cert,
				     const char *name, unsigned source,
				     uint32_t *out_id);

/* Records a failed import or fetch on the issuer and in the journal:
 * `event` is the journal record (the store adds "time"). */
enum store_err store_issuer_fail(struct store *s, uint32_t id, const char *why,
				 json_t *event);

/* Clears issuer `id`'s last error, as an import (store_merge_crl) or a
 * successful fetch (store_issuer_fetched) does: for the stored CRL given
 * again. A read transaction, and a write one only when there is an
 * error to clear. */
enum store_err store_issuer_clear_error(struct store *s, uint32_t id);

/* The history of (issuer, serial). STORE_NOTFOUND: never listed. */
enum store_err store_history_get(struct store_txn *t, uint32_t issuer,
				 const uint8_t *serial, size_t serial_len,
				 struct store_history *out);

/* 1 with *out set, 0 at the end, -1 when the record is corrupt. */
int store_history_next(struct store_history *h, struct store_episode *out);

/*
 * The state of (issuer, serial) at instant `at`, in its own read
 * transaction. When listed, *out_ep (may be NULL) is the episode that
 * decides. The newest episode covering `at` wins, a revocation over a
 * hold: a hold later turned into a revocation answers "revoked". An
 * episode covers from its revocationDate (or from the thisUpdate of
 * the CRL that listed it, when earlier); a hold until the CRL that no
 * longer lists it, a revocation for ever (RFC 5280 5.3.1).
 */
enum store_err store_state_at(struct store *s, uint32_t issuer,
			      const uint8_t *serial, size_t serial_len,
			      int64_t at, enum store_state *out,
			      struct store_episode *out_ep);

/* The same decision over a history already read. */
enum store_state store_history_state(struct store_history h, int64_t at,
				     struct store_episode *out_ep);

/* One entry of a CRL being merged, from the caller's iterator. */
struct store_entry {
	const uint8_t *serial;
	size_t serial_len;
	int64_t revoked_at;
	int reason;
	int has_invalidity;
	int64_t invalidity;
};

/* Yields the CRL's entries in store key order (serials compared as
 * memcmp, then shorter first), each serial once: 1, 0 at end, -1 on
 * error (the merge aborts with STORE_INVALID). */
typedef int (*store_entry_fn)(void *arg, struct store_entry *out);

struct store_merge_stats {
	uint64_t added;	  /* newly listed (or listed again) */
	uint64_t changed; /* listed before, with other details */
	uint64_t removed; /* no longer listed */
	uint64_t kept;	  /* unchanged */
};

/*
 * Merges a parsed and verified CRL of issuer `id` in one write
 * transaction: entries added, changed ones updated (a hold turned into a
 * revocation closes the hold and opens a new episode), vanished ones
 * marked removed; the issuer's CRL metadata replaced by `meta`; a
 * "crl_imported" event written. Rollback protection against the stored
 * CRL: a lower CRL number, or without numbers an older thisUpdate, is
 * STORE_ROLLBACK; the same number with another file hash is
 * STORE_CONFLICT; the same file is STORE_UNCHANGED. Nothing is written
 * unless STORE_OK is returned. `edit` (may be NULL) is applied to the
 * issuer's record last, in the same transaction: the fetcher records
 * there the attempt that brought the CRL, so that no reader sees the
 * new CRL with the old attempt.
 */
struct store_issuer_edit {
	void (*fn)(struct store_issuer *is, void *arg);
	void *arg;
};
enum store_err store_merge_crl(struct store *s, uint32_t id,
			       const struct store_crl_meta *meta,
			       store_entry_fn next, void *arg,
			       const struct store_issuer_edit *edit,
			       struct store_merge_stats *out_stats);

/* What the trusted list says of one issuer; NULL fields are cleared. */
struct store_tsl_info {
	const char *short_name, *inn, *ogrn;
	const char *accreditation; /* JSON text, see struct store_issuer */
	const char *crl_urls;	   /* newline-separated */
};

/* Replaces issuer `id`'s trusted-list fields in one write transaction.
 * STORE_NOTFOUND when there is no such issuer. */
enum store_err store_issuer_set_tsl(struct store *s, uint32_t id,
				    const struct store_tsl_info *info);

/* Replaces issuer `id`'s accreditation (JSON text, see struct
 * store_issuer) alone, and journals `event` (may be NULL), in one
 * write transaction. */
enum store_err store_issuer_set_accreditation(struct store *s, uint32_t id,
					      const char *accreditation,
					      json_t *event);

/* What the daemon's fetcher last did for the trusted list (meta record
 * "tsl_fetch"; all 0 when it never tried). */
struct store_tsl_fetch {
	int64_t attempt_at, success_at;
	uint32_t failures; /* consecutive */
	char error[512];   /* of the last failure, "" after a success */
};

enum store_err store_tsl_fetch_get(struct store_txn *t,
				   struct store_tsl_fetch *out);

/* Records an attempt ending at `now` (ok, or failed for `error`) and
 * `event` (may be NULL), in one write transaction. */
enum store_err store_tsl_fetched(struct store *s, int ok, const char *error,
				 int64_t now, json_t *event);

/* Holds the store's trusted-list lock (a file beside the environment):
 * one list import at a time, across processes, so that the stored
 * version and every issuer's list fields come from one list. `wait`:
 * until it is free; else -1 with errno EWOULDBLOCK when another holds
 * it. The lock's descriptor (close it to let go), or -1. */
int store_tsl_lock(struct store *s, int wait);

/* The last accepted trusted list: meta record "tsl" (JSON). */
struct store_tsl_meta {
	int present;
	int64_t version; /* Версия */
	int64_t date;	 /* Дата; 0 when the list had none */
	uint8_t sha256[32];
	uint64_t size;
	int64_t imported_at;
};

/* The stored list's record; present 0 when none was ever accepted. */
enum store_err store_tsl_get(struct store_txn *t, struct store_tsl_meta *out);

/*
 * The Версия rule, against the stored list: STORE_OK when `m` may be
 * imported (no list yet, or a higher version); STORE_UNCHANGED for the
 * same version and SHA-256; STORE_CONFLICT for the same version with
 * other content; STORE_ROLLBACK for a lower version.
 */
enum store_err store_tsl_check(struct store_txn *t,
			       const struct store_tsl_meta *m);

/* Checks the rule again and, when STORE_OK, writes `m` as the stored
 * list and `event` (may be NULL) to the journal, in one write
 * transaction. */
enum store_err store_tsl_set(struct store *s, const struct store_tsl_meta *m,
			     json_t *event);

/* Appends an event in its own write transaction (adds "time"). */
enum store_err store_event_log(struct store *s, json_t *event);

/* Calls fn(time_us, seq, json) for events at or after since_us, oldest
 * first, until fn returns non-zero. */
enum store_err store_event_foreach(struct store_txn *t, int64_t since_us,
				   int (*fn)(int64_t, uint64_t, const char *,
					     size_t, void *),
				   void *arg);

/* Calls fn for each serial of `issuer` with its history, in key order. */
enum store_err
store_revoked_foreach(struct store_txn *t, uint32_t issuer,
		      int (*fn)(const uint8_t *serial, size_t len,
				struct store_history h, void *arg),
		      void *arg);

/* Size of the map in use and of the data file, for reports. */
enum store_err store_usage(struct store *s, uint64_t *out_map_size,
			   uint64_t *out_used);

#endif
