/*
 * The configured CAs, registered in the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otzyv/crypto.h"
#include "otzyv/registry.h"

/* The CA's crl = URLs as the store keeps them: newline-separated. */
static char *
joined(const struct config_ca *ca)
{
	size_t i, len = 1;
	char *out;

	for (i = 0; i < ca->ncrl; i++)
		len += strlen(ca->crl[i]) + 1;
	if ((out = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < ca->ncrl; i++) {
		if (i > 0)
			strcat(out, "\n");
		strcat(out, ca->crl[i]);
	}
	return out;
}

/* CAs whose [ca] section was removed stop being configured: no longer
 * watched (monitoring, readiness) nor fetched from their old URLs. */
static enum store_err
unconfigure_gone(struct store *s, const uint32_t *ids, size_t nids)
{
	uint32_t *gone;
	size_t n, i;
	enum store_err e =
	    store_issuers_besides(s, STORE_SRC_CONFIG, ids, nids, &gone, &n);

	for (i = 0; e == STORE_OK && i < n; i++)
		e = store_issuer_unconfigure(s, gone[i]);
	free(gone);
	return e;
}

/* Registers every [ca] section's certificate and URLs; ids[i] the
 * stored id of section i. */
static int
register_all(const struct config *cfg, struct store *s, uint32_t *ids,
	     char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->ncas; i++) {
		const struct config_ca *ca = &cfg->cas[i];
		char why[512];
		X509 *x = crypto_load_cert(ca->cert, why, sizeof(why));
		uint32_t id = 0;
		enum store_err e;

		if (x == NULL) {
			snprintf(err, errlen, "%s:%d: [ca %s] cert: %s",
				 cfg->path, ca->line, ca->name, why);
			return 0;
		}
		e = store_issuer_register(s, x, ca->name, STORE_SRC_CONFIG,
					  &id);
		X509_free(x);
		if (e == STORE_OK) {
			char *urls = joined(ca);

			e = urls == NULL
				? STORE_IO
				: store_issuer_set_config_urls(s, id, urls);
			free(urls);
		}
		if (e != STORE_OK) {
			snprintf(err, errlen, "%s: [ca %s]: %s",
				 cfg->store_path, ca->name, store_strerror(e));
			return 0;
		}
		ids[i] = id;
	}
	return 1;
}

int
registry_sync(const struct config *cfg, struct store *s, uint32_t *out_ids,
	      char *err, size_t errlen)
{
	uint32_t *ids = out_ids;
	int ok;

	if (ids == NULL &&
	    (ids = calloc(cfg->ncas + 1, sizeof(*ids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	ok = register_all(cfg, s, ids, err, errlen);
	if (ids != out_ids)
		free(ids);
	return ok;
}

int
registry_forget_gone(const struct config *cfg, struct store *s,
		     const uint32_t *ids, char *err, size_t errlen)
{
	enum store_err e = unconfigure_gone(s, ids, cfg->ncas);

	if (e != STORE_OK) {
		snprintf(err, errlen, "%s: %s", cfg->store_path,
			 store_strerror(e));
		return 0;
	}
	return 1;
}
