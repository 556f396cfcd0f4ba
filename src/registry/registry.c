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

int
registry_sync(const struct config *cfg, struct store *s, uint32_t *out_ids,
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
		if (out_ids != NULL)
			out_ids[i] = id;
	}
	return 1;
}

/* CAs whose [ca] section was removed stop being configured: no longer
 * watched (monitoring, readiness) nor fetched from their old URLs. */
int
registry_forget_gone(const struct config *cfg, struct store *s,
		     const uint32_t *ids, char *err, size_t errlen)
{
	uint32_t *gone = NULL;
	size_t n = 0, i;
	enum store_err e = store_issuers_besides(s, STORE_SRC_CONFIG, ids,
						 cfg->ncas, &gone, &n);

	for (i = 0; e == STORE_OK && i < n; i++)
		e = store_issuer_unconfigure(s, gone[i]);
	free(gone);
	if (e != STORE_OK) {
		snprintf(err, errlen, "%s: %s", cfg->store_path,
			 store_strerror(e));
		return 0;
	}
	return 1;
}
