/*
 * config: the INI file (etc/otzyv.conf documents every key). Strict: an
 * unknown section or key, a repeated single-valued key, or a bad value
 * is an error "file:line: message".
 */
#ifndef OTZYV_CONFIG_H
#define OTZYV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "otzyv/crypto.h"

#define CONFIG_DEFAULT_PATH "/etc/otzyv/otzyv.conf"

struct config_ca {
	char *name;
	char *cert; /* path, resolved against the config file's folder */
	char **crl; /* URLs in order: mirrors */
	size_t ncrl;
	int line; /* of the [ca NAME] header, for messages */
};

struct config {
	char *path;
	/* [store] */
	char *store_path;
	uint64_t map_size;
	/* [crypto] */
	enum gost_mode gost;
	/* [responder] */
	int64_t stale_grace;
	/* [ca NAME] */
	struct config_ca *cas;
	size_t ncas;
};

/* Loads `path`. Returns the config (free with config_free), or NULL
 * with "file:line: message" in err. */
struct config *config_load(const char *path, char *err, size_t errlen);

void config_free(struct config *c);

/* "30s", "15m", "12h", "7d", or plain seconds. 1 or 0. */
int config_parse_duration(const char *s, int64_t *out);

/* "4096", "64K", "512M", "8G" (powers of 1024). 1 or 0. */
int config_parse_size(const char *s, uint64_t *out);

#endif
