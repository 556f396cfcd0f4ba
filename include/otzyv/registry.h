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
 * issuer id of cfg->cas[i]. A CA configured before whose section is
 * gone is configured no more (store_issuer_unconfigure). 1, or 0 with
 * "file:line: cause" in err.
 */
int registry_sync(const struct config *cfg, struct store *s, uint32_t *out_ids,
		  char *err, size_t errlen);

#endif
