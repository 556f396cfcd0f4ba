/*
 * libFuzzer driver for the config reader (src/config/config.c, through
 * config_read() on the input as a stream named /fuzz/otzyv.conf).
 *
 * On every input the reader must either refuse it with
 * "/fuzz/otzyv.conf:LINE: message", LINE from 1 to the number of lines
 * the input can have, or give a config that keeps the promises of
 * config.h and etc/otzyv.conf:
 *
 *  - every [ca NAME] has a non-empty name of its own and a cert path;
 *    its CRL addresses are http, https or file URLs;
 *  - [tsl] has a url or a file, not both; sha256 is 64 hex digits;
 *  - every path is absolute (relative ones resolved against /fuzz);
 *  - listen and admin_listen are ADDRESS:PORT (admin_listen may be empty);
 *  - the counts, sizes and durations the daemon sizes things by are
 *    within the documented ranges.
 *
 * Reading the same input twice gives the same answer. A broken
 * invariant calls __builtin_trap(), which libFuzzer reports.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otzyv/config.h"
#include "otzyv/limits.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "fuzz_config: %s:%d: %s\n", __FILE__,  \
				__LINE__, #x);                                 \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

#define NAME "/fuzz/otzyv.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *
read_input(const uint8_t *data, size_t size, char *err, size_t errlen)
{
	struct config *c;
	FILE *f;

	/* fmemopen() of 0 bytes fails: an empty file is an empty stream. */
	f = size > 0 ? fmemopen((void *)data, size, "r")
		     : fopen("/dev/null", "r");
	CHECK(f != NULL);
	err[0] = '\0';
	c = config_read(f, NAME, err, errlen);
	fclose(f);
	return c;
}

static int
is_url(const char *v)
{
	return strncmp(v, "http://", 7) == 0 ||
	       strncmp(v, "https://", 8) == 0 || strncmp(v, "file://", 7) == 0;
}

static int
is_addr(const char *v)
{
	return v != NULL && strlen(v) <= 128 && strchr(v, ':') != NULL;
}

static int
absolute(const char *path)
{
	return path == NULL || path[0] == '/';
}

static void
check_refusal(const char *err, size_t size)
{
	size_t prefix = strlen(NAME ":");
	char *end;
	long line;

	CHECK(strncmp(err, NAME ":", prefix) == 0);
	CHECK(isdigit((unsigned char)err[prefix]));
	line = strtol(err + prefix, &end, 10);
	/* Each line is at least one octet (a long one may be read in
	 * pieces, each counted). */
	CHECK(line >= 1 && (size_t)line <= size);
	CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
}

static void
check_cas(const struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->ncas; i++) {
		const struct config_ca *ca = &c->cas[i];

		CHECK(ca->name != NULL && ca->name[0] != '\0');
		CHECK(ca->cert != NULL && absolute(ca->cert));
		CHECK(absolute(ca->responder_cert));
		CHECK(absolute(ca->responder_key));
		CHECK(ca->line >= 1);
		CHECK(ca->max_crl_size == 0 ||
		      (ca->max_crl_size >= 1024 &&
		       ca->max_crl_size <= MAX_CRL_FILE_SIZE));
		for (j = 0; j < ca->ncrl; j++)
			CHECK(is_url(ca->crl[j]));
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->cas[j].name, ca->name) != 0);
	}
}

static void
check_config(const struct config *c)
{
	size_t i;

	CHECK(strcmp(c->path, NAME) == 0);
	check_cas(c);
	CHECK(c->tsl_url == NULL || c->tsl_file == NULL);
	CHECK(c->tsl_url == NULL || is_url(c->tsl_url));
	if (c->tsl_sha256 != NULL) {
		CHECK(strlen(c->tsl_sha256) == 64);
		for (i = 0; i < 64; i++)
			CHECK(isxdigit((unsigned char)c->tsl_sha256[i]));
	}
	CHECK(absolute(c->store_path) && c->store_path != NULL);
	CHECK(absolute(c->tsl_file) && absolute(c->fetch_ca_bundle));
	CHECK(absolute(c->responder_cert) && absolute(c->responder_key));
	CHECK(absolute(c->verify_audit_file));
	for (i = 0; i < c->verify_anchors.n; i++)
		CHECK(absolute(c->verify_anchors.v[i]));
	for (i = 0; i < c->verify_intermediates.n; i++)
		CHECK(absolute(c->verify_intermediates.v[i]));
	for (i = 0; i < c->nlisten; i++)
		CHECK(is_addr(c->listen[i]));
	CHECK(c->admin_listen != NULL &&
	      (c->admin_listen[0] == '\0' || is_addr(c->admin_listen)));
	CHECK(c->fetch_user_agent != NULL);
	CHECK(c->gost == GOST_AUTO || c->gost == GOST_YES ||
	      c->gost == GOST_NO);

	CHECK(c->map_size == 0 || c->map_size >= (1 << 20));
	CHECK(c->threads <= 256 && c->verify_threads <= 256);
	CHECK(c->max_header >= 1024 && c->max_header <= (1 << 20));
	CHECK(c->max_ocsp_request >= 256 && c->max_ocsp_request <= (1 << 20));
	CHECK(c->max_requests >= 1 && c->max_requests <= 64);
	CHECK(c->max_connections >= 1 && c->max_connections <= 1000000);
	CHECK(c->idle_timeout >= 1 && c->read_timeout >= 1);
	CHECK(c->fetch_interval >= 1 && c->fetch_timeout >= 1);
	CHECK(c->fetch_concurrency >= 1 && c->fetch_concurrency <= 64);
	CHECK(c->fetch_max_redirects <= 20);
	CHECK(c->fetch_max_crl_size >= 1024 &&
	      c->fetch_max_crl_size <= MAX_CRL_FILE_SIZE);
	CHECK(c->fetch_retry_min >= 1 && c->fetch_retry_max >= 1);
	CHECK(c->tsl_refresh >= 60 && c->tsl_max_size >= 4096);
	CHECK(c->stale_grace >= 0 && c->max_age >= 0);
	CHECK(c->verify_max_body >= 1024 && c->verify_max_body <= (1ull << 30));
	CHECK(c->verify_max_batch >= 1 && c->verify_max_batch <= 100000);
	CHECK(c->verify_queue >= 1 && c->verify_queue <= 100000);
	CHECK(c->verify_cautionary >= 0 && c->verify_cautionary <= 7 * 86400);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], again_err[512];
	struct config *c, *again;

	c = read_input(data, size, err, sizeof(err));
	again = read_input(data, size, again_err, sizeof(again_err));
	CHECK((c == NULL) == (again == NULL));
	if (c == NULL) {
		check_refusal(err, size);
		CHECK(strcmp(err, again_err) == 0);
	} else {
		check_config(c);
		CHECK(c->ncas == again->ncas && c->nlisten == again->nlisten);
	}
	config_free(c);
	config_free(again);
	return 0;
}
