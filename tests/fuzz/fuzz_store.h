/*
 * The fuzz drivers' store: a fresh one in a temporary directory
 * (removed at exit) holding one CA, made at the first call.
 */
#ifndef OTZYV_FUZZ_STORE_H
#define OTZYV_FUZZ_STORE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "otzyv/store.h"

#define FUZZ_DIE(msg)                                                          \
	do {                                                                   \
		fprintf(stderr, "fuzz: %s\n", msg);                            \
		abort();                                                       \
	} while (0)

/*
 * Initialises the crypto (GOST_AUTO) and opens the store, holding a
 * self-signed P-256 CA named like the corpus's EC CA (C=RU, O=otzyv
 * corpus, CN=Corpus CA ec) but with a key of its own, valid from 1970
 * to 2100, registered by hand as "fuzz". Its id, certificate and key go
 * to the pointers that are not NULL (borrowed: they live to the exit).
 * Aborts when any step fails.
 */
struct store *fuzz_store_open(uint32_t *ca_id, X509 **ca, EVP_PKEY **key);

#endif
