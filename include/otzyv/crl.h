/*
 * crl: a streaming X.509 CRL reader (RFC 5280 section 5) over a byte
 * range, usually a memory-mapped file, and the CRL signature check.
 *
 * crl_parse() checks the whole outer structure and every CRL-level field
 * and extension but does not walk the entries; crl_iter_next() yields the
 * entries one at a time, checking each. Nothing is allocated per entry;
 * every pointer in struct crl and struct crl_entry points into the
 * caller's buffer and lives as long as it does.
 *
 * Functions return 1 on success and 0 on rejection, with the reason in
 * err->msg naming the rule and its RFC section, unless noted otherwise.
 */
#ifndef OTZYV_CRL_H
#define OTZYV_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "otzyv/der.h"
#include "otzyv/limits.h"

struct crl_error {
	char msg[256];
};

/* RFC 5280 5.3.1 reason codes; CRL_REASON_ABSENT when the entry has none. */
#define CRL_REASON_ABSENT (-1)
#define CRL_REASON_UNSPECIFIED 0
#define CRL_REASON_KEY_COMPROMISE 1
#define CRL_REASON_CA_COMPROMISE 2
#define CRL_REASON_AFFILIATION_CHANGED 3
#define CRL_REASON_SUPERSEDED 4
#define CRL_REASON_CESSATION_OF_OPERATION 5
#define CRL_REASON_CERTIFICATE_HOLD 6
/* 7 is not used */
#define CRL_REASON_REMOVE_FROM_CRL 8
#define CRL_REASON_PRIVILEGE_WITHDRAWN 9
#define CRL_REASON_AA_COMPROMISE 10

/* The RFC 5280 name of a reason code ("keyCompromise"), or NULL. */
const char *crl_reason_name(int reason);

/* A CRL number or delta base: a non-negative INTEGER's minimal octets. */
struct crl_number {
	uint8_t len; /* 0 when absent */
	uint8_t v[MAX_CRL_NUMBER_LEN + 1];
};

/* -1, 0, 1 as a < b, a == b, a > b. Both must be present. */
int crl_number_cmp(const struct crl_number *a, const struct crl_number *b);

struct crl {
	const uint8_t *buf;
	size_t len;

	/* tbsCertList TLV: the exact bytes the signature covers. */
	const uint8_t *tbs;
	size_t tbs_len;
	/* signatureAlgorithm TLV (outer; equals the inner one). */
	const uint8_t *sigalg;
	size_t sigalg_len;
	/* signatureValue octets (the BIT STRING without its count). */
	const uint8_t *sig;
	size_t sig_len;

	int version;	       /* 1 or 2 */
	const uint8_t *issuer; /* Name TLV */
	size_t issuer_len;
	int64_t this_update;
	int64_t next_update; /* 0 when absent */
	int has_next_update;

	struct crl_number number;
	const uint8_t *aki; /* keyIdentifier octets, or NULL */
	size_t aki_len;
	int is_delta;
	struct crl_number delta_base;
	/* issuingDistributionPoint contents (RFC 5280 5.2.5), or NULL. */
	const uint8_t *idp;
	size_t idp_len;
	/* Its distributionPoint (a DistributionPointName), NULL when it
	 * names none: the part of a partitioned CRL it is. */
	const uint8_t *idp_dp;
	size_t idp_dp_len;
	int idp_only_user, idp_only_ca, idp_only_attr, idp_indirect;
	int idp_some_reasons;

	/* Contents of revokedCertificates (empty when absent). */
	const uint8_t *entries;
	size_t entries_len;
};

struct crl_entry {
	/* Serial INTEGER contents as encoded: minimal, two's complement,
	 * so negative serials keep their sign. */
	const uint8_t *serial;
	size_t serial_len;
	int64_t revoked_at;
	int reason; /* CRL_REASON_ABSENT when absent */
	int has_invalidity;
	int64_t invalidity;
	/* certificateIssuer GeneralNames TLV (RFC 5280 5.3.3), or NULL. */
	const uint8_t *cert_issuer;
	size_t cert_issuer_len;
	/* Offset of the entry in crl->buf, for crl_entry_at(). */
	size_t offset;
};

struct crl_iter {
	const struct crl *crl;
	struct der_cursor c;
	size_t index;
};

/* Parses and checks everything outside revokedCertificates; sets `out`. */
int crl_parse(const uint8_t *buf, size_t len, struct crl *out,
	      struct crl_error *err);

void crl_iter_init(const struct crl *crl, struct crl_iter *it);

/* 1 with *out set, 0 at the end, -1 on a rejected entry (err set). */
int crl_iter_next(struct crl_iter *it, struct crl_entry *out,
		  struct crl_error *err);

/* Decodes the entry at `offset` (from a previous crl_iter_next()). */
int crl_entry_at(const struct crl *crl, size_t offset, struct crl_entry *out,
		 struct crl_error *err);

/* The CRL's issuer is the CA `ca`: names match (RFC 5280 7.1), the AKI
 * equals the CA's SKI when both are present (5.2.1), and a CA with a
 * keyUsage extension asserts cRLSign (4.2.1.3). */
int crl_check_issuer(const struct crl *crl, X509 *ca, struct crl_error *err);

/* The signature over tbsCertList verifies with `key` (RFC 5280 5.1.1.3):
 * RSA PKCS#1 v1.5, RSA-PSS, ECDSA, Ed25519, GOST R 34.10-2012. */
int crl_verify_signature(const struct crl *crl, EVP_PKEY *key,
			 struct crl_error *err);

/* A CRL's issuingDistributionPoint distributionPoint (struct crl's
 * idp_dp) decodes as a DistributionPointName. */
int crl_dp_valid(const uint8_t *dp, size_t len);

/* The CRL whose distributionPoint is dp speaks for `cert`: it names one
 * of the distribution points of the certificate's cRLDistributionPoints
 * (RFC 5280 6.3.3 (b)(2)(i)). */
int crl_dp_covers(const uint8_t *dp, size_t len, X509 *cert);

#endif
