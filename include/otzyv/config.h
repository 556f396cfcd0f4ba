/*
 * config: the INI file (etc/otzyv.conf documents every key). Strict: an
 * unknown section or key, a repeated single-valued key, or a bad value
 * is an error "file:line: message".
 */
#ifndef OTZYV_CONFIG_H
#define OTZYV_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "otzyv/crypto.h"

/* SYSCONFDIR/otzyv/otzyv.conf, from the build (Makefile.am). */
#ifndef CONFIG_DEFAULT_PATH
#define CONFIG_DEFAULT_PATH "/etc/otzyv/otzyv.conf"
#endif

struct config_ca {
	char *name;
	char *cert; /* path, resolved against the config file's folder */
	char **crl; /* URLs in order: mirrors */
	size_t ncrl;
	char *responder_cert; /* delegated responder, or NULL */
	char *responder_key;
	uint64_t max_crl_size; /* 0: [fetch] max_crl_size */
	int line;	       /* of the [ca NAME] header, for messages */
};

/* A repeatable key's values, in file order. */
struct config_list {
	char **v;
	size_t n;
};

struct config {
	char *path;
	/* [store] */
	char *store_path;
	uint64_t map_size;
	/* [crypto] */
	enum gost_mode gost;
	/* [server] */
	char **listen; /* "127.0.0.1:8080", "[::1]:8080" */
	size_t nlisten;
	unsigned threads; /* 0: one per CPU */
	uint64_t max_header;
	uint64_t max_ocsp_request;
	unsigned max_requests;
	int64_t idle_timeout;
	int64_t read_timeout;
	unsigned max_connections;
	unsigned max_keepalive_requests;
	char *user;
	int access_log;
	char *admin_listen; /* "" when disabled */
	/* [fetch] */
	int64_t fetch_interval;
	int64_t fetch_timeout;
	int64_t fetch_connect_timeout;
	uint64_t fetch_low_speed_limit; /* octets per second */
	int64_t fetch_low_speed_time;
	unsigned fetch_max_redirects;
	uint64_t fetch_max_crl_size;
	unsigned fetch_concurrency;
	char *fetch_user_agent;
	int64_t fetch_retry_min, fetch_retry_max;
	char *fetch_ca_bundle; /* NULL: the system's trust store */
	/* [tsl] */
	char *tsl_url;
	char *tsl_file;
	int64_t tsl_refresh;
	char *tsl_sha256; /* 64 hex digits pinning one list, or NULL */
	struct config_list tsl_exclude;
	uint64_t tsl_max_size;
	/* [responder] */
	char *responder_cert;
	char *responder_key;
	int nonce_ignore;
	int stale_serve;
	int64_t stale_grace;
	uint64_t cache_size;
	int64_t max_age;
	/* [verify] */
	uint64_t verify_max_body;	   /* POST bodies of /v1/ paths */
	unsigned verify_max_batch;	   /* items of POST /v1/status/batch */
	struct config_list verify_anchors; /* certificate files */
	struct config_list verify_intermediates; /* certificate files */
	int verify_tsl_anchors;	   /* the list's self-signed CAs are anchors */
	int verify_trust_claimed;  /* trust_claimed_signing_time */
	int64_t verify_cautionary; /* cautionary_period */
	unsigned verify_threads;   /* verify pool threads; 0: one per CPU */
	unsigned verify_queue;	   /* verifications waiting, at most */
	int verify_audit_log;	   /* a line per decision */
	char *verify_audit_file;   /* NULL: to the log */
	/* [ca NAME] */
	struct config_ca *cas;
	size_t ncas;
};

/* Loads `path`. Returns the config (free with config_free), or NULL
 * with "file:line: message" in err. */
struct config *config_load(const char *path, char *err, size_t errlen);

/* The same from an open stream (read to its end, not closed); `path`
 * names it in messages and anchors relative paths. */
struct config *config_read(FILE *f, const char *path, char *err, size_t errlen);

void config_free(struct config *c);

/* "30s", "15m", "12h", "7d", or plain seconds. 1 or 0. */
int config_parse_duration(const char *s, int64_t *out);

/* "4096", "64K", "512M", "8G" (powers of 1024). 1 or 0. */
int config_parse_size(const char *s, uint64_t *out);

#endif
