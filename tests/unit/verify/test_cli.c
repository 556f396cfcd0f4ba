/*
 * `otzyv verify` end to end: the real binary against a store filled by
 * `otzyv import-crl`, exit codes (0 valid, 1 invalid, 2 indeterminate,
 * 3 bad input) and both outputs.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "otzyv/crypto.h"
#include "otzyv/util.h"

#include "common.h"
#include "helpers.h"

static char conf[1024];

static void
cli_setup(void)
{
	FILE *f;

	vt_setup();
	snprintf(conf, sizeof(conf), "%s", vt_path("otzyv.conf"));
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"[store]\npath = %s/cli-store\nmap_size = 64M\n\n"
		"[crypto]\ngost = yes\n",
		vt_dir);
	fclose(f);
}

TestSuite(verify_cli, .init = cli_setup, .fini = vt_teardown, .timeout = 120);

/* otzyv -c CONF ARGS...; stdout into *out when out is not NULL. */
static int
otzyv(char **out, const char *fmt, ...)
{
	va_list ap;
	char *args;
	int rc;

	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	if (out == NULL)
		rc = run("'%s' -c '%s' %s", env_path("OTZYV_BIN"), conf, args);
	else
		rc = run_capture(out, "'%s' -c '%s' %s", env_path("OTZYV_BIN"),
				 conf, args);
	free(args);
	return rc;
}

/* A current empty CRL of the PKI's CA NAME, imported by the CLI. */
static void
import(const char *ca)
{
	char crl[1024], *pki = strdup(test_pki());

	snprintf(crl, sizeof(crl), "%s/%s.crl", vt_dir, ca);
	cr_assert_eq(run("'%s' --ca-cert '%s/%s.pem' --ca-key '%s/%s.key' "
			 "--number 1 --this-update %s --out '%s'",
			 env_path("GENCRL"), pki, ca, pki, ca,
			 vt_t(vt_now - 60), crl),
		     0);
	cr_assert_eq(
	    otzyv(NULL, "import-crl --issuer '%s/%s.pem' '%s'", pki, ca, crl),
	    0);
	free(pki);
}

Test(verify_cli, exit_codes)
{
	char *out = NULL, *anchor = strdup(vt_pki("rsa-ca.pem"));
	char *doc = strdup(vt_doc()), *sig;

	import("rsa-ca");
	import("rsa-int");
	sig = strdup(vt_sign("rsa", "s.der", ""));

	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s' --anchor '%s'",
			   sig, doc, anchor),
		     0);
	cr_assert_not_null(strstr(out, "verdict: valid"), "%s", out);
	cr_assert_not_null(strstr(out, "signature: ok"), "%s", out);
	free(out);

	/* No anchor: the root is not trusted. */
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s'", sig, doc), 1);
	cr_assert_not_null(strstr(out, "untrusted_chain"), "%s", out);
	free(out);

	/* The ECDSA CA is not in the store. */
	vt_sign("ecdsa", "e.der", "");
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s' --anchor '%s'",
			   vt_path("e.der"), doc, vt_pki("ecdsa-ca.pem")),
		     2);
	cr_assert_not_null(strstr(out, "unknown_ca"), "%s", out);
	free(out);

	/* Bad input. */
	cr_assert_eq(otzyv(NULL, "verify '%s' --content '%s'", doc, doc), 3);
	cr_assert_eq(otzyv(NULL, "verify '%s'", sig), 3);
	cr_assert_eq(otzyv(NULL, "verify '%s' --digest md5:00", sig), 3);
	cr_assert_eq(otzyv(NULL, "verify '%s' --at yesterday", sig), 3);
	cr_assert_eq(otzyv(NULL, "verify /nonexistent --content '%s'", doc), 3);

	/* The content altered. */
	cr_assert_eq(run("echo more >> '%s'", doc), 0);
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s' --anchor '%s'",
			   sig, doc, anchor),
		     1);
	cr_assert_not_null(strstr(out, "content_mismatch"), "%s", out);
	free(out);
	free(sig);
	free(doc);
	free(anchor);
}

Test(verify_cli, json_and_digest)
{
	char *out = NULL, hex[2 * HASH_MAX_LEN + 1];
	uint8_t d[HASH_MAX_LEN];
	size_t len, dlen;
	uint8_t *buf = read_file(vt_doc(), &len);
	char *sig, *anchor = strdup(vt_pki("gost256-ca.pem"));
	json_error_t jerr;
	json_t *doc;

	cr_assert_not_null(buf);
	dlen = crypto_hash(HASH_STREEBOG256, buf, len, d);
	cr_assert_gt(dlen, 0);
	hex_encode(d, dlen, hex);
	free(buf);
	import("gost256-ca");
	import("gost256-int");
	sig = strdup(vt_sign("gost256", "g.der", ""));

	cr_assert_eq(otzyv(&out,
			   "verify '%s' --digest streebog256:%s --anchor '%s' "
			   "--json",
			   sig, hex, anchor),
		     0);
	doc = json_loads(out, 0, &jerr);
	cr_assert_not_null(doc, "%s: %s", jerr.text, out);
	cr_assert_str_eq(verify_verdict(doc), "valid");
	cr_assert_str_eq(vt_signer_str(doc, 0, "digest_algorithm"),
			 "streebog256");
	json_decref(doc);
	free(out);

	/* A SHA-256 digest of a Streebog signer: not known. */
	cr_assert_eq(otzyv(&out,
			   "verify '%s' --digest sha256:%.64s --anchor '%s'",
			   sig, hex, anchor),
		     2);
	cr_assert_not_null(strstr(out, "digest_algorithm_mismatch"), "%s", out);
	free(out);
	free(sig);
	free(anchor);
}

/* [verify] audit_log with an audit_file: a line per decision, valid,
 * invalid or refused, naming the signer; never the content. */
Test(verify_cli, audit_file)
{
	char *out = NULL, *doc = strdup(vt_doc()), *sig, *log, *bad;
	size_t len;
	FILE *f;

	import("rsa-ca");
	import("rsa-int");
	sig = strdup(vt_sign("rsa", "s.der", ""));
	vt_corrupt_signature(sig, vt_path("bad.der"), 0);
	bad = strdup(vt_path("bad.der"));
	f = fopen(conf, "a");
	cr_assert_not_null(f);
	fprintf(f,
		"[verify]\nanchors = %s\ntsl_anchors = no\naudit_log = yes\n"
		"audit_file = %s\n",
		vt_pki("rsa-ca.pem"), vt_path("audit.log"));
	fclose(f);
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s'", sig, doc), 0,
		     "%s", out);
	free(out);
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s'", bad, doc), 1,
		     "%s", out);
	free(out);
	cr_assert_eq(otzyv(&out, "verify '%s' 2>&1", doc), 3, "%s", out);
	free(out);

	log = (char *)read_file(vt_path("audit.log"), &len);
	cr_assert_not_null(log);
	cr_assert_not_null(strstr(log, "verdict=valid signers=1 "
				       "s0_serial=2001 s0_issuer="),
			   "%s", log);
	cr_assert_not_null(strstr(log, "verdict=invalid signers=1 "), "%s",
			   log);
	cr_assert_not_null(strstr(log, "s0_reasons=bad_signature"), "%s", log);
	cr_assert_not_null(strstr(log, "verdict=error error="), "%s", log);
	cr_assert_eq(run("test $(grep -c 'event=verify_audit request_id=' "
			 "'%s') -eq 3",
			 vt_path("audit.log")),
		     0, "%s", log);
	/* The document's text is nowhere. */
	cr_assert_null(strstr(log, "the document"), "%s", log);
	free(log);
	free(bad);
	free(sig);
	free(doc);
}

/* [verify] anchors (a PEM bundle) and intermediates stand for --anchor;
 * an unreadable anchors file is a configuration error. */
Test(verify_cli, config_anchors)
{
	char *out = NULL, *doc = strdup(vt_doc()), *sig;
	FILE *f;

	import("rsa-ca");
	import("rsa-int");
	sig = strdup(vt_sign("rsa", "s.der", ""));
	cr_assert_eq(run("cat '%s' '%s' > '%s'", vt_pki("ecdsa-ca.pem"),
			 vt_pki("rsa-ca.pem"), vt_path("bundle.pem")),
		     0);
	f = fopen(conf, "a");
	cr_assert_not_null(f);
	fprintf(f, "[verify]\nanchors = %s\ntsl_anchors = no\n",
		vt_path("bundle.pem"));
	fclose(f);
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s'", sig, doc), 0,
		     "%s", out);
	cr_assert_not_null(strstr(out, "verdict: valid"), "%s", out);
	free(out);

	f = fopen(conf, "a");
	cr_assert_not_null(f);
	fprintf(f, "anchors = %s\n", vt_path("missing.pem"));
	fclose(f);
	cr_assert_eq(otzyv(&out, "verify '%s' --content '%s' 2>&1", sig, doc),
		     3);
	cr_assert_not_null(strstr(out, "missing.pem"), "%s", out);
	free(out);
	free(sig);
	free(doc);
}
