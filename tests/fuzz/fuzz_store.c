/*
 * The fuzz drivers' store (fuzz_store.h). The CA is made with the
 * OpenSSL API, not the CLI: the drivers run without a shell.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/crypto.h"

#include "fuzz_store.h"

static struct store *store;
static X509 *ca_cert;
static EVP_PKEY *ca_key;
static uint32_t ca_id_stored;
static char dir[64];

static void
cleanup(void)
{
	DIR *d;
	struct dirent *e;
	char path[sizeof(dir) + 300];

	store_close(store);
	store = NULL;
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static X509 *
make_ca(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	static const char *const exts[][2] = {
	    {"basicConstraints", "critical,CA:true"},
	    {"keyUsage", "critical,keyCertSign,cRLSign"},
	    {"subjectKeyIdentifier", "hash"},
	};
	size_t i;

	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){0}) ==
		NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0,
			     &(time_t){4102444800}) == NULL ||
	    (n = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(
		n, "C", MBSTRING_ASC, (const unsigned char *)"RU", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const unsigned char *)"otzyv corpus",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"Corpus CA ec",
					-1, -1, 0) ||
	    !X509_set_issuer_name(x, n) || !X509_set_pubkey(x, key))
		FUZZ_DIE("cannot make a CA certificate");
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if ((ext = X509V3_EXT_nconf(NULL, &v3, exts[i][0],
					    exts[i][1])) == NULL ||
		    !X509_add_ext(x, ext, -1))
			FUZZ_DIE("cannot add a CA extension");
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(x, key, EVP_sha256()))
		FUZZ_DIE("cannot sign the CA certificate");
	return x;
}

struct store *
fuzz_store_open(uint32_t *ca_id, X509 **ca, EVP_PKEY **key)
{
	const char *tmp = getenv("TMPDIR");
	char err[256];

	if (store == NULL) {
		if (!crypto_init(GOST_AUTO, err, sizeof(err)))
			FUZZ_DIE(err);
		if (tmp == NULL || tmp[0] == '\0' ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/otzyv-fuzz-XXXXXX",
				     tmp) >= sizeof(dir))
			snprintf(dir, sizeof(dir), "/tmp/otzyv-fuzz-XXXXXX");
		if (mkdtemp(dir) == NULL)
			FUZZ_DIE("cannot make a temporary directory");
		atexit(cleanup);
		if (store_open(dir, (size_t)64 << 20, 1, &store) != STORE_OK)
			FUZZ_DIE("cannot open the store");
		if ((ca_key = EVP_EC_gen("P-256")) == NULL)
			FUZZ_DIE("cannot make a key");
		ca_cert = make_ca(ca_key);
		if (store_issuer_register(store, ca_cert, "fuzz",
					  STORE_SRC_MANUAL,
					  &ca_id_stored) != STORE_OK)
			FUZZ_DIE("cannot register the CA");
		ERR_clear_error();
	}
	if (ca_id != NULL)
		*ca_id = ca_id_stored;
	if (ca != NULL)
		*ca = ca_cert;
	if (key != NULL)
		*key = ca_key;
	return store;
}
