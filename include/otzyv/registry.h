/*
 * registry: the configured CAs ([ca NAME] sections) in the store, as the
 * CLI and the daemon both need them at start-up.
 */
#ifndef OTZYV_REGISTRY_H
#define OTZYV_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "otzyv/config.h"
#include "otzyv/store.h"

/*
 * Registers every [ca NAME] certificate (no write when it is stored
 * already) and, when out_ids is not NULL, fills out_ids[i] with the
 * issuer id of cfg->cas[i]. 1, or 0 with "file:line: cause" in err.
 */
int registry_sync(const struct config *cfg, struct store *s, uint32_t *out_ids,
		  char *err, size_t errlen);

/*
 * The stored CAs configured before whose [ca] section cfg no longer
 * has (ids: what registry_sync gave for cfg) are configured no more
 * (store_issuer_unconfigure): not watched, not fetched. Only for the
 * config that runs (the daemon's, once its site is built; otzyv
 * fetch), never for one a command was merely given. 1, or 0 with err.
 */
int registry_forget_gone(const struct config *cfg, struct store *s,
			 const uint32_t *ids, char *err, size_t errlen);

#endif
