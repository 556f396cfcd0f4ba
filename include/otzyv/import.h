/*
 * import: one CRL file into the store. The whole file is parsed and its
 * signature verified before the store is touched; then it is merged in
 * one write transaction (store_merge_crl). A CRL that fails any check is
 * never imported: the stored one stays, and the issuer's last error and
 * the journal say why. A CRL imported, or the stored one verified again
 * (IMPORT_UNCHANGED), clears the issuer's last error.
 */
#ifndef OTZYV_IMPORT_H
#define OTZYV_IMPORT_H

#include <stdint.h>

#include <openssl/x509.h>

#include "otzyv/store.h"
#include "otzyv/util.h"

/* How far in the future a thisUpdate may lie (clock skew). */
#define IMPORT_CLOCK_SLACK (5 * 60)

enum import_status {
	IMPORT_OK,	  /* merged */
	IMPORT_UNCHANGED, /* the stored CRL, again */
	IMPORT_REJECTED,  /* the CRL failed a check; store unchanged */
	IMPORT_ERROR,	  /* I/O or store failure; store unchanged */
};

struct import_opts {
	/* The issuing CA: registered in the store (as `source`, under
	 * `name` when given). NULL: found among the stored CAs by the
	 * CRL's issuer name and authority key identifier. */
	X509 *issuer;
	/* Or the stored issuer of this id (not registered again). */
	uint32_t issuer_id;
	const char *name;
	unsigned source;
	const char *url; /* recorded as the CRL's source, may be NULL */
	const char *etag;
	const char *last_modified;
	int64_t now;
	/* Applied to the issuer's record in the import's transaction (see
	 * store_merge_crl), or NULL. */
	const struct store_issuer_edit *edit;
};

struct import_result {
	enum import_status status;
	uint32_t issuer_id; /* 0 when no issuer was identified */
	struct crl_number number;
	int64_t this_update, next_update;
	uint64_t entries;
	uint64_t duplicates; /* serials listed more than once */
	struct store_merge_stats stats;
	char msg[512]; /* why, for REJECTED and ERROR */
};

/* Imports the CRL (DER or PEM) at `path`. Returns out->status. */
enum import_status import_crl_file(struct store *s, const char *path,
				   const struct import_opts *opts,
				   struct import_result *out);

/* The same for a CRL already in memory (DER). `label` names it in
 * messages. */
enum import_status import_crl_der(struct store *s, const uint8_t *der,
				  size_t len, const char *label,
				  const struct import_opts *opts,
				  struct import_result *out);

/* A PEM "X509 CRL" file's DER (free with OPENSSL_free), or NULL when
 * `m` is not one. */
unsigned char *import_crl_pem(const struct mapfile *m, long *out_len);

#endif
