/*
 * libFuzzer driver for the trusted list reader (src/tsl/parse.c). On
 * every input tsl_parse_memory() must either fail with a message or
 * succeed with counts that agree with what the callback saw; each CA
 * handed over must have a name, keys and certificates within the
 * TSL_MAX_* limits, and every certificate decoded.
 *
 * A broken invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "otzyv/tsl.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_tsl: %s:%d: %s\n", __FILE__,     \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t cas, keys, certs;
};

static int
one_ca(const struct tsl_ca *ca, void *arg)
{
	struct seen *s = arg;
	size_t i, j;

	CHECK(ca->name != NULL && ca->name[0] != '\0');
	CHECK(ca->nkeys <= TSL_MAX_KEYS);
	CHECK(ca->nhistory <= TSL_MAX_HISTORY);
	for (i = 0; i < ca->nkeys; i++) {
		const struct tsl_key *k = &ca->keys[i];

		CHECK(k->nurls <= TSL_MAX_URLS && k->ncerts <= TSL_MAX_CERTS);
		for (j = 0; j < k->nurls; j++)
			CHECK(k->urls[j] != NULL && k->urls[j][0] != '\0');
		/* The thumbprint was checked against the listed octets,
		 * which d2i_X509 consumed exactly. */
		for (j = 0; j < k->ncerts; j++)
			CHECK(k->certs[j].x509 != NULL);
		s->certs += k->ncerts;
	}
	s->keys += ca->nkeys;
	s->cas++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsl_info info;
	struct seen seen = {0};
	char err[512];

	err[0] = '\0';
	if (!tsl_parse_memory(data, size, "fuzz", one_ca, &seen, &info, err,
			      sizeof(err))) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	CHECK(info.size == size);
	CHECK(info.cas == seen.cas && info.certs == seen.certs);
	CHECK(info.keys == seen.keys);
	CHECK(info.version >= -1);
	return 0;
}
