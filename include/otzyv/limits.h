/*
 * Every ceiling otzyv applies to untrusted input, in one place.
 * A limit that an operator may need to change is a config key instead;
 * these are the ones no legitimate input comes near.
 */
#ifndef OTZYV_LIMITS_H
#define OTZYV_LIMITS_H

/* Nesting depth of DER constructed values. A CRL nests about 8 deep
 * (CertificateList / tbs / revoked / entry / extensions / extension /
 * GeneralNames / name); OCSP requests about 10. */
#define MAX_DER_DEPTH 32

/* Serial number octets. RFC 5280 4.1.2.2 allows 20; we accept more
 * because CAs in the wild exceed it, but bound what a key can hold. */
#define MAX_SERIAL_LEN 64

/* CRL number octets: RFC 5280 5.2.3 says at most 20. */
#define MAX_CRL_NUMBER_LEN 20

/* Octets of a CRL's issuingDistributionPoint distributionPoint, kept
 * with the CRL to tell which certificates it speaks for. */
#define MAX_CRL_IDP_DP 4096

/* Key identifiers (AKI / SKI) octets. */
#define MAX_KEYID_LEN 64

/* A CRL is indexed by 32-bit offsets into the mapped file. */
#define MAX_CRL_FILE_SIZE ((size_t)0xFFFFFFFFu)

/* Entries in one CRL: the merge keeps a 16-byte index record per entry. */
#define MAX_CRL_ENTRIES (64u * 1024 * 1024)

/* Extensions in one OCSP request's list: duplicates are found by
 * comparing every pair, so the list is kept short. */
#define MAX_OCSP_EXTENSIONS 32

/* The Ministry's trusted list (TSL), per CA as it is streamed: far above
 * anything the real list comes near (its largest CA has a few dozen
 * certificates). */
#define TSL_MAX_FIELD (64 * 1024) /* octets of one text field */
#define TSL_MAX_DEPTH 32	  /* element nesting (the list nests ~10) */
#define TSL_MAX_KEYS 256	  /* keys (Ключ) per CA */
#define TSL_MAX_CERTS 64	  /* certificates per key */
#define TSL_MAX_URLS 16		  /* CRL addresses per key */
#define TSL_MAX_HISTORY 1024	  /* accreditation history entries per CA */
#define TSL_MAX_EXCLUDE 256	  /* operator exclusions per import */

/* An issuer's display name and URLs as stored. */
#define MAX_NAME_LEN 1024
#define MAX_URL_LEN 2048

/* Default LMDB map size: revoked entries cost about 80 bytes each. */
#define DEFAULT_MAP_SIZE ((size_t)8 << 30)

/* Signature validation (verify): a CMS SignedData as posted. Real
 * CAdES signatures have one or a few signers, a handful of
 * certificates, chains of three or four. */
#define MAX_VERIFY_INPUT ((size_t)128 << 20) /* octets of the CMS itself */
#define MAX_VERIFY_SIGNERS 16		     /* SignerInfos per CMS */
#define MAX_VERIFY_CERTS 64	/* certificates per CMS (and per token) */
#define MAX_VERIFY_TIMESTAMPS 8 /* signature timestamps checked per signer */
#define VERIFY_CACHE_CERTS 1024 /* certificates a verify cache keeps */
#define VERIFY_CACHE_PATHS 1024 /* validated paths it keeps */
#define MAX_VERIFY_CACHED_CERT 8192 /* octets of a certificate it keeps */
#define MAX_VERIFY_CHAIN_DEPTH 8 /* certificates in a path, anchor included */
#define MAX_VERIFY_ANCHORS 4096	 /* anchors taken from the store */
#define MAX_VERIFY_DETAILS 16	 /* diagnostics kept per signer */
/* How far a timestamp's genTime may lie ahead of our clock. */
#define VERIFY_CLOCK_SLACK (5 * 60)
/* POST /v1/status: one certificate (PEM, DER or base64), read on the
 * worker that answers OCSP: 413 beyond. */
#define MAX_STATUS_BODY (256 * 1024)
/* How far ahead of our clock a question's instant (`at`, --at) may lie:
 * clock skew, not a forecast; no CRL knows what is yet to happen. */
#define MAX_AT_AHEAD (5 * 60)

#endif
