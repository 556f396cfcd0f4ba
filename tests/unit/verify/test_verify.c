/*
 * verify_run(): signatures made with the OpenSSL CLI (and, where it
 * cannot, with the OpenSSL API), CRLs made with gencrl, every verdict
 * and reason of issue 5, and hostile input.
 *
 * Covered: every algorithm (RSA PKCS #1, RSA-PSS, ECDSA, Ed25519,
 * GOST 2012-256 and -512) attached and detached, with and without
 * signed attributes, and the content altered by one byte; digest-only
 * input (content_mismatch, digest_algorithm_mismatch, content_required
 * for Ed25519 and for PSS without signed attributes, Streebog-512);
 * PEM, base64, CAdES; the ESS signingCertificateV2 against a re-issued
 * certificate with the same issuer, serial and key
 * (signing_certificate_mismatch); a signer certificate with a 200 KiB
 * extension; two signers; the path, revocation, the signature
 * timestamp and T; qualified; hostile input. Every verification is
 * also run through a cache, cold and warm, and must answer alike.
 * Names as the answer renders them, again and again (they are kept
 * once rendered).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "otzyv/crypto.h"
#include "otzyv/limits.h"
#include "otzyv/status.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"

#include "../src/verify/internal.h"
#include "common.h"
#include "helpers.h"

TestSuite(verify, .init = vt_setup, .fini = vt_teardown, .timeout = 120);

#define DAY INT64_C(86400)

static json_t *
signer(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "signers"), i);
}

static void
assert_verdict(json_t *doc, const char *verdict, const char *reason)
{
	cr_assert_str_eq(verify_verdict(doc), verdict);
	if (reason != NULL)
		cr_assert(
		    vt_has_reason(doc, 0, reason), "reason %s missing: %s",
		    reason,
		    json_dumps(json_object_get(signer(doc, 0), "reasons"), 0));
	else
		cr_assert_eq(
		    json_array_size(json_object_get(signer(doc, 0), "reasons")),
		    0, "reasons: %s",
		    json_dumps(signer(doc, 0), JSON_INDENT(1)));
}

/* ---- every algorithm, every shape -------------------------------- */

static const char *const algs[] = {"rsa",     "rsapss",	 "ecdsa",
				   "ed25519", "gost256", "gost512"};

ParameterizedTestParameters(verify, every_algorithm)
{
	static int idx[] = {0, 1, 2, 3, 4, 5};

	return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

static const char *
sign_shape(const char *alg, const char *out, int attached, int noattr)
{
	char extra[64];

	if (strcmp(alg, "ed25519") == 0)
		return vt_sign_eddsa(out, attached, noattr);
	snprintf(extra, sizeof(extra), "%s %s", attached ? "-nodetach" : "",
		 noattr ? "-noattr" : "-nosmimecap");
	return vt_sign(alg, out, extra);
}

ParameterizedTest(int *i, verify, every_algorithm)
{
	const char *alg = algs[*i];
	struct vt_opts o = {.content = vt_doc()};
	struct vt_opts att = {0};
	json_t *doc;
	json_t *chain;

	if (strncmp(alg, "gost", 4) == 0 && !vt_have_gost())
		cr_skip_test("no gost engine");
	vt_fresh(alg, vt_now - 60, vt_now);

	/* Detached, with signed attributes. */
	doc = vt_verify(alg, sign_shape(alg, "d.der", 0, 0), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signature"), "ok");
	cr_assert_str_eq(vt_signer_str(doc, 0, "serial"), "2001");
	/* signingTime is reported, not trusted. */
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"),
			 "claimed");
	chain = json_object_get(signer(doc, 0), "chain");
	cr_assert_eq(json_array_size(chain), 3);
	cr_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(chain, 0), "status")),
			 "good");
	cr_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(chain, 2), "status")),
			 "trust_anchor");
	json_decref(doc);

	/* Detached, without signed attributes: over the content. */
	doc = vt_verify(alg, sign_shape(alg, "n.der", 0, 1), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"), "none");
	json_decref(doc);

	/* Attached. */
	doc = vt_verify(alg, sign_shape(alg, "a.der", 1, 0), &att, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
	doc = vt_verify(alg, sign_shape(alg, "an.der", 1, 1), &att, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	/* The content altered by one byte. */
	cr_assert_eq(run("printf 'X' | dd of='%s' bs=1 seek=3 conv=notrunc "
			 "2>/dev/null",
			 vt_doc()),
		     0);
	doc = vt_verify(alg, vt_path("d.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "content_mismatch");
	cr_assert_str_eq(vt_signer_str(doc, 0, "signature"), "bad");
	json_decref(doc);
	doc = vt_verify(alg, vt_path("n.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_signature");
	json_decref(doc);
}

/* ---- digest-only input -------------------------------------------- */

Test(verify, digest_only)
{
	struct vt_opts o = {.digest_alg = HASH_SHA256};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_fresh("gost256", vt_now - 60, vt_now);
	vt_fresh("ed25519", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "");

	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	o.wrong_digest = 1;
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "content_mismatch");
	json_decref(doc);

	/* The signer digests with SHA-256: a Streebog digest tells
	 * nothing. */
	o.wrong_digest = 0;
	o.digest_alg = HASH_STREEBOG256;
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "digest_algorithm_mismatch");
	json_decref(doc);

	/* GOST with Streebog, with and without signed attributes. */
	vt_sign("gost256", "g.der", "");
	doc = vt_verify("gost256", vt_path("g.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
	vt_sign("gost256", "gn.der", "-noattr");
	doc = vt_verify("gost256", vt_path("gn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	/* RSA PKCS #1 without signed attributes: the digest suffices. */
	o.digest_alg = HASH_SHA256;
	vt_sign("rsa", "rn.der", "-noattr");
	doc = vt_verify("rsa", vt_path("rn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
	o.wrong_digest = 1;
	doc = vt_verify("rsa", vt_path("rn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_signature");
	json_decref(doc);

	/* Pure Ed25519 over the content cannot be checked from a digest. */
	o.wrong_digest = 0;
	o.digest_alg = HASH_SHA512;
	doc =
	    vt_verify("ed25519", vt_sign_eddsa("en.der", 0, 1), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "content_required");
	json_decref(doc);
	doc =
	    vt_verify("ed25519", vt_sign_eddsa("ea.der", 0, 0), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

/* RSA-PSS: a digest verifies the signed attributes; without them the
 * PSS signature is over the content, which a digest cannot stand in
 * for here. */
Test(verify, digest_only_pss)
{
	struct vt_opts o = {.digest_alg = HASH_SHA256};
	json_t *doc;

	vt_fresh("rsapss", vt_now - 60, vt_now);
	vt_sign("rsapss", "s.der", "");
	doc = vt_verify("rsapss", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signature"), "ok");
	json_decref(doc);
	o.wrong_digest = 1;
	doc = vt_verify("rsapss", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "content_mismatch");
	json_decref(doc);

	o.wrong_digest = 0;
	vt_sign("rsapss", "n.der", "-noattr");
	doc = vt_verify("rsapss", vt_path("n.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "content_required");
	cr_assert(json_is_null(json_object_get(signer(doc, 0), "signature")));
	json_decref(doc);
	/* ... which the content settles. */
	o.digest_alg = 0;
	o.content = vt_doc();
	doc = vt_verify("rsapss", vt_path("n.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

/* GOST 2012-512 signs with Streebog-512: that digest verifies, with and
 * without signed attributes; another algorithm's digest tells nothing. */
Test(verify, digest_only_gost512)
{
	struct vt_opts o = {.digest_alg = HASH_STREEBOG512};
	json_t *doc;

	if (!vt_have_gost())
		cr_skip_test("no gost engine");
	vt_fresh("gost512", vt_now - 60, vt_now);
	vt_sign("gost512", "g.der", "");
	doc = vt_verify("gost512", vt_path("g.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "digest_algorithm"),
			 "streebog512");
	json_decref(doc);
	o.wrong_digest = 1;
	doc = vt_verify("gost512", vt_path("g.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "content_mismatch");
	json_decref(doc);

	vt_sign("gost512", "gn.der", "-noattr");
	doc = vt_verify("gost512", vt_path("gn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_signature");
	json_decref(doc);
	o.wrong_digest = 0;
	doc = vt_verify("gost512", vt_path("gn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signature"), "ok");
	json_decref(doc);

	o.digest_alg = HASH_STREEBOG256;
	doc = vt_verify("gost512", vt_path("g.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "digest_algorithm_mismatch");
	json_decref(doc);
	o.digest_alg = HASH_SHA512; /* the same length, another algorithm */
	doc = vt_verify("gost512", vt_path("gn.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "digest_algorithm_mismatch");
	json_decref(doc);
}

/* ---- encodings and signature shapes --------------------------------- */

Test(verify, pem_base64_cades)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.pem", "-outform PEM");
	doc = vt_verify("ecdsa", vt_path("s.pem"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	vt_sign("ecdsa", "s.der", "-cades");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
	cr_assert_eq(run("openssl base64 -in '%s' -out '%s'", vt_path("s.der"),
			 vt_path("s.b64")),
		     0);
	doc = vt_verify("ecdsa", vt_path("s.b64"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

Test(verify, two_signers_one_bad)
{
	struct vt_opts o = {.content = vt_doc(),
			    .anchors = {"rsa-ca.pem", "ecdsa-ca.pem"}};
	char extra[1024];
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_fresh("ecdsa", vt_now - 60, vt_now);
	/* The second signer's intermediate is not in the CMS: the path
	 * goes through the store's copy. */
	snprintf(extra, sizeof(extra), "-signer '%s' -inkey '%s' -nosmimecap",
		 vt_pki("ecdsa-signer.pem"), vt_pki("ecdsa-signer.key"));
	vt_sign("rsa", "two.der", extra);
	doc = vt_verify("rsa", vt_path("two.der"), &o, VERIFY_OK);
	cr_assert_str_eq(verify_verdict(doc), "valid");
	cr_assert_eq(json_array_size(json_object_get(doc, "signers")), 2);
	json_decref(doc);

	vt_corrupt_signature(vt_path("two.der"), vt_path("bad.der"), 1);
	doc = vt_verify("rsa", vt_path("bad.der"), &o, VERIFY_OK);
	cr_assert_str_eq(verify_verdict(doc), "invalid");
	cr_assert_str_eq(vt_signer_str(doc, 0, "verdict"), "valid");
	cr_assert_str_eq(vt_signer_str(doc, 1, "verdict"), "invalid");
	cr_assert(vt_has_reason(doc, 1, "bad_signature"));
	cr_assert_str_eq(vt_signer_str(doc, 1, "signature"), "bad");
	json_decref(doc);
}

Test(verify, signer_certificate_missing)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "-nocerts");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "no_signer_certificate");
	cr_assert_str_eq(vt_signer_str(doc, 0, "serial"), "2001");
	cr_assert(json_is_null(json_object_get(signer(doc, 0), "signature")));
	json_decref(doc);

	/* Supplied by the caller. */
	o.intermediates[0] = "rsa-signer.pem";
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

/* CAdES: signingCertificateV2 names the signer's certificate by its
 * hash. rsa-signer-again has rsa-signer's issuer, serial and key (the
 * SignerInfo's sid matches it and the signature verifies) but another
 * validity: it is not the certificate signed for. */
Test(verify, ess_signing_certificate_v2)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "c.der", "-cades");
	doc = vt_verify("rsa", vt_path("c.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	vt_sign("rsa", "n.der", "-cades -nocerts");
	o.intermediates[0] = "rsa-signer-again.pem";
	doc = vt_verify("rsa", vt_path("n.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "signing_certificate_mismatch");
	cr_assert_eq(
	    json_array_size(json_object_get(signer(doc, 0), "reasons")), 1,
	    "%s", json_dumps(signer(doc, 0), JSON_INDENT(1)));
	cr_assert_str_eq(vt_signer_str(doc, 0, "signature"), "ok");
	cr_assert_str_eq(vt_signer_str(doc, 0, "serial"), "2001");
	json_decref(doc);

	o.intermediates[0] = "rsa-signer.pem";
	doc = vt_verify("rsa", vt_path("n.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

/* A signer certificate of ~270 KiB (a 200 KiB non-critical private
 * extension): an ordinary answer. */
Test(verify, huge_extension)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign_as("rsa", "rsa-bigext", "b.der", "");
	doc = vt_verify("rsa", vt_path("b.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "serial"), "2002");
	json_decref(doc);

	vt_sign_as("rsa", "rsa-bigext", "ba.der", "-nodetach -cades");
	doc = vt_verify("rsa", vt_path("ba.der"), NULL, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

/* ---- the path ------------------------------------------------------ */

Test(verify, untrusted_root)
{
	struct vt_opts o = {.content = vt_doc(), .anchors = {"ecdsa-ca.pem"}};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "untrusted_chain");
	json_decref(doc);

	/* The root inside the CMS is no anchor either. */
	cr_assert_eq(run("cat '%s' '%s' > '%s'", vt_pki("rsa-int.pem"),
			 vt_pki("rsa-ca.pem"), vt_path("both.pem")),
		     0);
	{
		char extra[1100];

		snprintf(extra, sizeof(extra), "-certfile '%s'",
			 vt_path("both.pem"));
		vt_sign("rsa", "r.der", extra);
	}
	doc = vt_verify("rsa", vt_path("r.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "untrusted_chain");
	json_decref(doc);
}

Test(verify, expired_at_t)
{
	int64_t later = vt_now + 400 * DAY; /* the signer lives 365 days */
	struct vt_opts o = {.content = vt_doc(), .now = later};
	json_t *doc;

	vt_fresh("ecdsa", later - 60, later);
	vt_sign("ecdsa", "s.der", "");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "expired");
	/* The whole path is still shown. */
	cr_assert_eq(json_array_size(json_object_get(signer(doc, 0), "chain")),
		     3);
	json_decref(doc);
}

/* Signed while the signer was valid (T given), checked long after it
 * expired by a store whose first CRLs came after that: a revocation
 * before T may have left the CRL with the expiry, unseen. */
Test(verify, expired_before_the_store_s_history)
{
	int64_t later = vt_now + 400 * DAY; /* the signer lives 365 days */
	struct vt_opts o = {.content = vt_doc(), .now = later, .at = vt_now};
	json_t *doc;

	vt_fresh("ecdsa", later - 60, later);
	vt_sign("ecdsa", "s.der", "");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "no_revocation_data");
	json_decref(doc);
}

/* The same signer still valid: the CRLs after T speak for it, and the
 * answer says that the store's history of its CA begins after T. */
Test(verify, valid_before_the_store_s_history)
{
	int64_t later = vt_now + 2 * DAY;
	struct vt_opts o = {.content = vt_doc(), .now = later, .at = vt_now};
	json_t *doc, *details;
	const char *line;

	vt_fresh("ecdsa", later - 60, later);
	vt_sign("ecdsa", "s.der", "");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	details = json_object_get(signer(doc, 0), "details");
	cr_assert_geq(json_array_size(details), 1);
	line = json_string_value(json_array_get(details, 0));
	cr_assert(line != NULL &&
		      strstr(line, "CRLs in the store begin ") != NULL &&
		      strstr(line, "suspension lifted before then") != NULL,
		  "%s", line ? line : "(none)");
	json_decref(doc);

	/* With history from before T, no such line. */
	vt_fresh("rsa", vt_now - DAY, vt_now - DAY);
	vt_fresh("rsa", later - 60, later);
	vt_sign("rsa", "r.der", "");
	doc = vt_verify("rsa", vt_path("r.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_eq(
	    json_array_size(json_object_get(signer(doc, 0), "details")), 0);
	json_decref(doc);
}

/* A cache (verify.h) shared by verifications at two instants: the
 * path validated at the first is not taken for the second, when the
 * signer has expired. (Every vt_verify() also compares its answer
 * with and without a cache.) */
Test(verify, cache_respects_validity)
{
	int64_t later = vt_now + 400 * DAY, end;
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;
	X509 *x;

	o.cache = vt_cache("ecdsa");
	vt_fresh("ecdsa", vt_now - 60, vt_now);
	vt_sign("ecdsa", "s.der", "");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);

	/* At the signer's notAfter exactly it has expired (RFC 5280
	 * 4.1.2.5 validity is inclusive, OpenSSL's check is not: the
	 * cache must side with OpenSSL, as the answer without it). */
	x = load_cert("ecdsa-signer.pem");
	end = crypto_time(X509_get0_notAfter(x));
	X509_free(x);
	vt_fresh("ecdsa", end - 60, end);
	o.now = end;
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "expired");
	json_decref(doc);

	vt_fresh("ecdsa", later - 60, later);
	o.now = later;
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "expired");
	json_decref(doc);
	verify_cache_unref(o.cache);
}

/* A path cached from a signature that carried its intermediate is not
 * taken for one that does not (and the store has no such CA): the
 * second is judged on what it brings, as without a cache. */
Test(verify, cache_needs_the_intermediates)
{
	char args[128];
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	snprintf(args, sizeof(args), "--this-update %s", vt_t(vt_now - 60));
	vt_crl("ecdsa-ca", vt_now, args); /* not ecdsa-int: not stored */
	o.cache = vt_cache("ecdsa");
	vt_sign("ecdsa", "with.der", "");
	doc = vt_verify("ecdsa", vt_path("with.der"), &o, VERIFY_OK);
	cr_assert(!vt_has_reason(doc, 0, "untrusted_chain"));
	json_decref(doc);

	/* Neither the intermediate nor the signer in the CMS; the signer
	 * given by the caller. */
	cr_assert_eq(run("openssl cms -sign -binary -nocerts -in '%s' "
			 "-signer '%s' -inkey '%s' -outform DER -out '%s'",
			 vt_doc(), vt_pki("ecdsa-signer.pem"),
			 vt_pki("ecdsa-signer.key"), vt_path("bare.der")),
		     0);
	o.intermediates[0] = "ecdsa-signer.pem";
	doc = vt_verify("ecdsa", vt_path("bare.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "untrusted_chain");
	json_decref(doc);
	verify_cache_unref(o.cache);
}

Test(verify, not_yet_valid_at_given_time)
{
	struct vt_opts o = {.content = vt_doc(), .at = vt_now - 2 * DAY};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "not_yet_valid");
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"), "given");
	json_decref(doc);
}

/* ---- revocation ------------------------------------------------------ */

Test(verify, intermediate_revoked)
{
	struct vt_opts o = {.content = vt_doc()};
	char args[256];
	json_t *doc;

	snprintf(args, sizeof(args),
		 "--this-update %s --entry 0x20,%s,cACompromise",
		 vt_t(vt_now - 60), vt_t(vt_now - 3600));
	vt_crl("rsa-ca", vt_now, args);
	snprintf(args, sizeof(args), "--this-update %s", vt_t(vt_now - 60));
	vt_crl("rsa-int", vt_now, args);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "revoked");
	cr_assert_str_eq(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(signer(doc, 0), "chain"), 1),
		"status")),
	    "revoked");
	json_decref(doc);
}

/* The root's CRL, made with gencrl's ROOT_ARGS, does not speak for the
 * intermediate: the intermediate's state is not known, and the detail
 * says why (holds `why`). */
static void
root_crl_silent_on_intermediate(const char *root_args, const char *why)
{
	struct vt_opts o = {.content = vt_doc()};
	char args[256], *text;
	json_t *doc;

	snprintf(args, sizeof(args), "--this-update %s %s", vt_t(vt_now - 60),
		 root_args);
	vt_crl("rsa-ca", vt_now, args);
	snprintf(args, sizeof(args), "--this-update %s", vt_t(vt_now - 60));
	vt_crl("rsa-int", vt_now, args);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "no_revocation_data");
	text = json_dumps(doc, 0);
	cr_expect(strstr(text, why) != NULL, "%s", text);
	free(text);
	json_decref(doc);
}

/* The root's CRL lists end-entity certificates only. */
Test(verify, crl_of_end_entities_only)
{
	root_crl_silent_on_intermediate("--idp-scope user",
					"lists only end-entity certificates");
}

/* The root's CRL is one part of a partitioned CRL (its issuing
 * distribution point is named) and the intermediate's certificate names
 * no distribution point. */
Test(verify, crl_of_another_distribution_point)
{
	root_crl_silent_on_intermediate("--idp-scope all",
					"other distribution points");
}

Test(verify, signer_revoked_now)
{
	struct vt_opts o = {.content = vt_doc()};
	char args[256];
	json_t *doc;

	snprintf(args, sizeof(args), "--this-update %s", vt_t(vt_now - 60));
	vt_crl("gost256-ca", vt_now, args);
	snprintf(args, sizeof(args),
		 "--this-update %s --entry 0x2001,%s,keyCompromise",
		 vt_t(vt_now - 60), vt_t(vt_now - 120));
	vt_crl("gost256-int", vt_now, args);
	vt_sign("gost256", "s.der", "");
	doc = vt_verify("gost256", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "revoked");
	json_decref(doc);
}

Test(verify, ca_not_in_store)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "unknown_ca");
	json_decref(doc);
}

Test(verify, ca_without_crl)
{
	struct vt_opts o = {.content = vt_doc()};
	X509 *ca = load_cert("rsa-ca.pem"), *in = load_cert("rsa-int.pem");
	uint32_t id;
	json_t *doc;

	cr_assert_eq(
	    store_issuer_register(vt_store, ca, NULL, STORE_SRC_MANUAL, &id),
	    STORE_OK);
	cr_assert_eq(
	    store_issuer_register(vt_store, in, NULL, STORE_SRC_MANUAL, &id),
	    STORE_OK);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "no_revocation_data");
	json_decref(doc);
	X509_free(ca);
	X509_free(in);
}

Test(verify, stale_crl_now)
{
	struct vt_opts o = {.content = vt_doc()};
	char args[256];
	json_t *doc;

	snprintf(args, sizeof(args), "--this-update %s --next-update %s",
		 vt_t(vt_now - 3 * DAY), vt_t(vt_now - 2 * DAY));
	vt_crl("ecdsa-ca", vt_now, args);
	vt_crl("ecdsa-int", vt_now, args);
	vt_sign("ecdsa", "s.der", "");
	doc = vt_verify("ecdsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "revocation_data_not_fresh");
	json_decref(doc);
}

/* ---- the signature timestamp and T ------------------------------------ */

/* A timestamped RSA signature: *t0 <= genTime <= *t1. */
static const char *
stamped(const char *alg, int64_t *t0, int64_t *t1)
{
	vt_sign(alg, "s.der", "");
	vt_timestamp(vt_path("s.der"), vt_path("t.der"), 0, 0, t0, t1);
	return vt_path("t.der");
}

/* CRLs at thisUpdate tu of ALG-ca, ALG-int (with `entry`, may be ""),
 * and of the TSA's rsa-ca and rsa-int. */
static void
all_crls(const char *alg, int64_t tu, int64_t now, const char *entry)
{
	char args[512], ca[32];

	snprintf(args, sizeof(args), "--this-update %s --next-update %s",
		 vt_t(tu), vt_t(tu + DAY));
	snprintf(ca, sizeof(ca), "%s-ca", alg);
	vt_crl(ca, now, args);
	snprintf(args, sizeof(args), "--this-update %s --next-update %s %s",
		 vt_t(tu), vt_t(tu + DAY), entry);
	snprintf(ca, sizeof(ca), "%s-int", alg);
	vt_crl(ca, now, args);
	if (strcmp(alg, "rsa") != 0)
		vt_fresh("rsa", tu, now);
}

Test(verify, timestamp_gives_t)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc(),
			    .anchors = {"gost256-ca.pem", "rsa-ca.pem"}};
	const char *sig = stamped("gost256", &t0, &t1);
	json_t *doc, *ts;
	int64_t gen;

	o.now = t1 + 7200;
	all_crls("gost256", t1 + 3600, o.now, "");
	doc = vt_verify("gost256", sig, &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"),
			 "timestamp");
	cr_assert(time_parse(vt_signer_str(doc, 0, "signing_time"), &gen));
	cr_assert(gen >= t0 - 1 && gen <= t1 + 1);
	cr_assert_str_eq(vt_signer_str(doc, 0, "validation_time"),
			 vt_signer_str(doc, 0, "signing_time"));
	ts = json_object_get(signer(doc, 0), "timestamp");
	cr_assert(json_is_true(json_object_get(ts, "verified")));
	cr_assert_eq(json_array_size(json_object_get(ts, "chain")), 3);
	json_decref(doc);
}

Test(verify, revoked_before_timestamp)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig = stamped("rsa", &t0, &t1);
	char entry[128];
	json_t *doc;

	o.now = t1 + 7200;
	snprintf(entry, sizeof(entry), "--entry 0x2001,%s,keyCompromise",
		 vt_t(t0 - 3600));
	all_crls("rsa", t1 + 3600, o.now, entry);
	doc = vt_verify("rsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "revoked");
	json_decref(doc);
}

Test(verify, revoked_after_timestamp)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig = stamped("rsa", &t0, &t1);
	char entry[128];
	json_t *doc, *c0;

	o.now = t1 + 7200;
	snprintf(entry, sizeof(entry), "--entry 0x2001,%s,keyCompromise",
		 vt_t(t1 + 1800));
	all_crls("rsa", t1 + 3600, o.now, entry);
	doc = vt_verify("rsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	/* ... and reported. */
	c0 = json_array_get(json_object_get(signer(doc, 0), "chain"), 0);
	cr_assert_eq(json_array_size(json_object_get(c0, "history")), 1);
	cr_assert_gt(
	    json_array_size(json_object_get(signer(doc, 0), "details")), 0);
	json_decref(doc);

	/* Without the timestamp, T is now: revoked. */
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "revoked");
	json_decref(doc);
}

Test(verify, crl_before_t)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig = stamped("rsa", &t0, &t1);
	json_t *doc;

	/* Within its nextUpdate, but issued before the signing time. */
	o.now = t1 + 60;
	all_crls("rsa", t0 - 600, o.now, "");
	doc = vt_verify("rsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "revocation_data_not_fresh");
	/* The timestamp itself holds: its TSA's CRL is fresh now. */
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"),
			 "timestamp");
	json_decref(doc);

	/* A later CRL settles it. */
	o.now = t1 + 7200;
	all_crls("rsa", t1 + 3600, o.now, "");
	doc = vt_verify("rsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

Test(verify, on_hold_during_signing)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig = stamped("ecdsa", &t0, &t1);
	char entry[128];
	json_t *doc;

	o.anchors[0] = "ecdsa-ca.pem";
	o.anchors[1] = "rsa-ca.pem";
	o.now = t1 + 7200;
	/* On hold from before the signing, lifted after it. */
	snprintf(entry, sizeof(entry), "--entry 0x2001,%s,certificateHold",
		 vt_t(t0 - 3600));
	all_crls("ecdsa", t0 - 1800, o.now, entry);
	all_crls("ecdsa", t1 + 3600, o.now, "");
	doc = vt_verify("ecdsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "on_hold");
	json_decref(doc);
}

Test(verify, signed_after_hold_lifted)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig;
	char entry[128];
	json_t *doc;

	o.anchors[0] = "ecdsa-ca.pem";
	o.anchors[1] = "rsa-ca.pem";
	/* On hold, then lifted, all before the signing. */
	snprintf(entry, sizeof(entry), "--entry 0x2001,%s,certificateHold",
		 vt_t(vt_now - 3 * 3600));
	all_crls("ecdsa", vt_now - 2 * 3600, vt_now, entry);
	all_crls("ecdsa", vt_now - 3600, vt_now, "");
	sig = stamped("ecdsa", &t0, &t1);
	o.now = t1 + 7200;
	all_crls("ecdsa", t1 + 3600, o.now, "");
	doc = vt_verify("ecdsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	json_decref(doc);
}

Test(verify, bad_timestamp)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_sign("rsa", "s.der", "");
	vt_timestamp(vt_path("s.der"), vt_path("t.der"), 0, 1, &t0, &t1);
	vt_fresh("rsa", vt_now - 60, vt_now);
	doc = vt_verify("rsa", vt_path("t.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_timestamp");
	cr_assert_str_neq(vt_signer_str(doc, 0, "signing_time_source"),
			  "timestamp");
	json_decref(doc);
}

/* Two signature timestamps, one stamping another value: the good one
 * gives T, whichever comes first; two bad ones, bad_timestamp. */
Test(verify, two_timestamps)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;
	int order;

	vt_sign("rsa", "s.der", "");
	vt_fresh("rsa", vt_now - 60, vt_now);
	for (order = 0; order < 2; order++) {
		vt_timestamp(vt_path("s.der"), vt_path("t1.der"), 0, order == 0,
			     NULL, NULL);
		vt_timestamp(vt_path("t1.der"), vt_path("t2.der"), 0,
			     order == 1, &t0, &t1);
		o.now = t1 + 60;
		vt_fresh("rsa", t1 + 30, o.now);
		doc = vt_verify("rsa", vt_path("t2.der"), &o, VERIFY_OK);
		assert_verdict(doc, "valid", NULL);
		cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"),
				 "timestamp");
		json_decref(doc);
	}
	vt_timestamp(vt_path("s.der"), vt_path("t1.der"), 0, 1, NULL, NULL);
	vt_timestamp(vt_path("t1.der"), vt_path("t2.der"), 0, 1, NULL, NULL);
	doc = vt_verify("rsa", vt_path("t2.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_timestamp");
	json_decref(doc);
}

/* The TSA (0x3001) listed with `reason` after genTime, by a CRL issued
 * since: its token proves nothing, and T is not its genTime. */
static void
tsa_listed_after_gen_time(const char *reason)
{
	int64_t t0, t1;
	struct vt_opts o = {.content = vt_doc()};
	const char *sig;
	char args[256];
	json_t *doc;

	sig = stamped("ecdsa", &t0, &t1);
	o.anchors[0] = "ecdsa-ca.pem";
	o.anchors[1] = "rsa-ca.pem";
	o.now = t1 + 7200;
	all_crls("ecdsa", t1 + 3600, o.now, "");
	snprintf(args, sizeof(args), "--this-update %s --entry 0x3001,%s,%s",
		 vt_t(t1 + 3601), vt_t(t1 + 1800), reason);
	vt_crl("rsa-int", o.now, args);
	doc = vt_verify("ecdsa", sig, &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_timestamp");
	cr_assert_str_neq(vt_signer_str(doc, 0, "signing_time_source"),
			  "timestamp");
	json_decref(doc);
}

/* The TSA's key was compromised after genTime: whoever has it can
 * backdate tokens. */
Test(verify, timestamp_tsa_revoked)
{
	tsa_listed_after_gen_time("keyCompromise");
}

/* The TSA is on hold now: a hold is how a CA answers a suspected
 * compromise, so its tokens prove nothing while it lasts. */
Test(verify, timestamp_tsa_on_hold_now)
{
	tsa_listed_after_gen_time("certificateHold");
}

Test(verify, claimed_time_trusted_only_when_asked)
{
	struct vt_opts o = {.content = vt_doc(), .now = vt_now + 120};
	char ts[32];
	json_t *doc;

	/* A current CRL, issued before the signature was made. */
	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "");

	/* signingTime is the signer's claim: T is now, the CRL is fresh. */
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	cr_assert_str_eq(vt_signer_str(doc, 0, "signing_time_source"),
			 "claimed");
	cr_assert_str_neq(vt_signer_str(doc, 0, "validation_time"),
			  vt_signer_str(doc, 0, "signing_time"));
	json_decref(doc);

	/* Trusted: T is the claim, which no CRL issued since covers. */
	o.trust_claimed = 1;
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "revocation_data_not_fresh");
	cr_assert_str_eq(vt_signer_str(doc, 0, "validation_time"),
			 vt_signer_str(doc, 0, "signing_time"));
	json_decref(doc);

	/* Even trusted, a claim ahead of the clock is no moment of signing:
	 * T is the time of the check. */
	o.now = vt_now - 3600;
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	cr_assert_str_eq(vt_signer_str(doc, 0, "validation_time"),
			 time_format(o.now, ts));
	cr_assert_str_neq(vt_signer_str(doc, 0, "signing_time"), ts);
	json_decref(doc);
}

/* ---- what the signer's certificate and algorithms allow ----------------- */

/* A TSA's certificate (critical extendedKeyUsage timeStamping) signs
 * tokens, not documents (RFC 5280 4.2.1.12). */
Test(verify, time_stamping_certificate_signs_no_document)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign_as("rsa", "tsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_key_usage");
	json_decref(doc);
}

/* A 512-bit RSA key is factored in hours: a certificate of one is no
 * path (OpenSSL's security level 1, 80 bits). */
Test(verify, rsa_512_signer)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	cr_assert_eq(
	    run("cd '%s' && printf '[ext]\\nkeyUsage = digitalSignature\\n"
		"authorityKeyIdentifier = keyid\\n' > weak.cnf && "
		"openssl req -new -newkey rsa:512 -nodes -keyout weak.key "
		"-subj /CN=weak 2>/dev/null | openssl x509 -req -CA '%s' "
		"-CAkey '%s' -set_serial 0x2101 -days 30 -extfile weak.cnf "
		"-extensions ext -out weak.pem 2>/dev/null && openssl cms "
		"-sign -binary -in '%s' -signer weak.pem -inkey weak.key "
		"-certfile '%s' -outform DER -out s.der",
		vt_dir, vt_pki("rsa-int.pem"), vt_pki("rsa-int.key"), vt_doc(),
		vt_pki("rsa-int.pem")),
	    0);
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_chain");
	json_decref(doc);
}

/* MD5 proves nothing (RFC 6151): not valid, however well it verifies. */
Test(verify, md5_digest)
{
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "-md md5");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "indeterminate", "unsupported_algorithm");
	json_decref(doc);
}

/* Content of another type than id-data, signed without signed
 * attributes, which alone would bind its type (RFC 5652 5.3). */
Test(verify, other_content_type_needs_signed_attributes)
{
	struct vt_opts o = {0};
	json_t *doc;

	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der",
		"-nodetach -noattr -econtent_type 1.2.840.113549.1.9.16.1.4");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "invalid", "bad_signature");
	json_decref(doc);
}

/* ---- qualified ---------------------------------------------------------- */

static json_t *
with_accreditation(const char *acc)
{
	struct vt_opts o = {.content = vt_doc()};
	struct store_tsl_info info = {.accreditation = acc};
	X509 *in = load_cert("rsa-int.pem");
	uint32_t id;
	json_t *doc;

	cr_assert_eq(
	    store_issuer_register(vt_store, in, NULL, STORE_SRC_TSL, &id),
	    STORE_OK);
	cr_assert_eq(store_issuer_set_tsl(vt_store, id, &info), STORE_OK);
	X509_free(in);
	vt_fresh("rsa", vt_now - 60, vt_now);
	vt_sign("rsa", "s.der", "");
	doc = vt_verify("rsa", vt_path("s.der"), &o, VERIFY_OK);
	assert_verdict(doc, "valid", NULL);
	return doc;
}

Test(verify, qualified)
{
	json_t *doc;

	doc = with_accreditation(
	    "{\"status\": \"Действует\", \"since\": \"2020-01-01T00:00:00Z\"}");
	cr_assert(json_is_true(json_object_get(signer(doc, 0), "qualified")));
	json_decref(doc);
}

Test(verify, accreditation_ended_before_issue)
{
	json_t *doc;

	doc = with_accreditation(
	    "{\"status\": \"Прекращена\", \"since\": \"2021-01-01T00:00:00Z\","
	    " \"history\": [{\"status\": \"Действует\", \"from\": "
	    "\"2019-01-01T00:00:00Z\", \"to\": \"2021-01-01T00:00:00Z\"}]}");
	cr_assert(json_is_false(json_object_get(signer(doc, 0), "qualified")));
	json_decref(doc);
}

Test(verify, anchors_from_store)
{
	X509 *ca = load_cert("rsa-ca.pem"), *in = load_cert("rsa-int.pem");
	X509 **v;
	size_t n;
	uint32_t id;

	cr_assert_eq(
	    store_issuer_register(vt_store, ca, NULL, STORE_SRC_TSL, &id),
	    STORE_OK);
	/* From the list but not self-signed: no anchor. */
	cr_assert_eq(
	    store_issuer_register(vt_store, in, NULL, STORE_SRC_TSL, &id),
	    STORE_OK);
	cr_assert_eq(verify_anchors_from_store(vt_store, &v, &n), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(X509_cmp(v[0], ca), 0);
	verify_certs_free(v, n);
	/* Once the list no longer names it, still an anchor: what it
	 * signed while accredited verifies; `qualified` tells the rest. */
	cr_assert_eq(
	    store_issuer_register(vt_store, ca, NULL, STORE_SRC_TSL, &id),
	    STORE_OK);
	cr_assert_eq(store_issuer_set_accreditation(
			 vt_store, id,
			 "{\"status\": \"" TSL_UNLISTED "\", \"since\": "
			 "\"2026-01-01T00:00:00Z\", \"history\": []}",
			 NULL),
		     STORE_OK);
	cr_assert_eq(verify_anchors_from_store(vt_store, &v, &n), STORE_OK);
	cr_assert_eq(n, 1);
	verify_certs_free(v, n);
	X509_free(ca);
	X509_free(in);
}

/* Base64 with JSON's escapes is read where it stands (no jansson copy);
 * the fast scan and jansson decide alike, empty content included. */
Test(verify, request_escapes)
{
	static const char ok[] = "{\"signature\": \"QU\\nJD\", \"content\": "
				 "\"QU\\/D\\nQUJD\\n\"}";
	static const char empty[] = "{\"signature\": \"AAAA\", \"content\": "
				    "\"\\n\\t \"}";
	struct verify_request rq;
	char err[256];
	uint8_t *dec = NULL;
	size_t len = 0;

	cr_assert(verify_request_parse((const uint8_t *)ok, sizeof(ok) - 1, &rq,
				       err, sizeof(err)),
		  "%s", err);
	cr_assert_null(rq.doc, "read by jansson");
	cr_assert(rq.content_b64_json);
	cr_assert_eq(rq.sig_len, 3);
	cr_assert(crypto_base64_decode(rq.content_b64, rq.content_b64_len, 1,
				       &dec, &len));
	cr_assert_eq(len, 6);
	free(dec);
	verify_request_clear(&rq);
	cr_assert_not(verify_request_parse(
	    (const uint8_t *)empty, sizeof(empty) - 1, &rq, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "content: empty"), "%s", err);
	cr_assert_not(verify_request_parse_json(
	    (const uint8_t *)empty, sizeof(empty) - 1, &rq, err, sizeof(err)));
}

/* ---- bad input -------------------------------------------------------- */

static void
bad_input(const void *buf, size_t len, const char *want)
{
	struct verify_opts vo = {0};
	struct verify_input in = {.sig = buf, .sig_len = len};
	json_t *doc = NULL;
	char err[512] = "";
	enum verify_err rc;

	vo.now = vt_now;
	in.content_path = vt_doc();
	rc = verify_run(vt_store, &vo, &in, &doc, err, sizeof(err));
	cr_assert_eq(rc, VERIFY_BAD_INPUT, "rc %d: %s", rc, err);
	cr_assert_null(doc);
	cr_assert_not_null(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
	cr_assert_eq(ERR_peek_error(), 0);
}

Test(verify, hostile_input)
{
	static const char junk[] = "MIIB@@@@!!!!not base64 at all";
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
				  "-----END CERTIFICATE-----\n";
	uint8_t garbage[256], nested[2 * 50 + 2];
	uint8_t *big;
	size_t i, len;
	uint8_t *der;

	bad_input("", 0, "empty");
	bad_input(" \n\t", 3, "empty");
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 37 + 11);
	garbage[0] = 0x30;
	bad_input(garbage, sizeof(garbage), "not a CMS");
	bad_input(junk, strlen(junk), "neither DER, PEM nor base64");
	bad_input(pem, strlen(pem), "is not CMS");

	/* 50 nested SEQUENCEs. */
	for (i = 0; i < 50; i++) {
		nested[2 * i] = 0x30;
		nested[2 * i + 1] = (uint8_t)(2 * (49 - i));
	}
	bad_input(nested, 100, "not a CMS");

	/* Over the size limit: refused before parsing. */
	big = calloc(1, MAX_VERIFY_INPUT + 1);
	big[0] = 0x30;
	bad_input(big, MAX_VERIFY_INPUT + 1, "more than");
	free(big);

	/* A good signature with trailing bytes. */
	vt_sign("rsa", "s.der", "");
	cr_assert_eq(run("printf 'xyz' >> '%s'", vt_path("s.der")), 0);
	der = read_file(vt_path("s.der"), &len);
	bad_input(der, len, "bytes after");
	free(der);

	/* CMS, but not SignedData. */
	cr_assert_eq(run("openssl cms -data_create -in '%s' -outform DER "
			 "-out '%s'",
			 vt_doc(), vt_path("data.der")),
		     0);
	der = read_file(vt_path("data.der"), &len);
	bad_input(der, len, "SignedData");
	free(der);
}

Test(verify, many_signer_infos)
{
	X509 *cert = load_cert("ecdsa-signer.pem");
	FILE *f = fopen(vt_pki("ecdsa-signer.key"), "r");
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int i, len;

	fclose(f);
	cms = CMS_sign(NULL, NULL, NULL, NULL,
		       CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
	cr_assert_not_null(cms);
	for (i = 0; i < 10000; i++)
		cr_assert_not_null(
		    CMS_add1_signer(cms, cert, key, EVP_sha256(),
				    CMS_PARTIAL | CMS_NOATTR | CMS_NOCERTS));
	len = i2d_CMS_ContentInfo(cms, &der);
	cr_assert_gt(len, 0);
	bad_input(der, (size_t)len, "10000 SignerInfos");
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(key);
	X509_free(cert);
}

Test(verify, content_rules)
{
	struct vt_opts none = {0};
	struct vt_opts o = {.content = vt_doc()};
	json_t *doc;

	vt_sign("rsa", "d.der", "");
	vt_sign("rsa", "a.der", "-nodetach");
	/* Detached without content or digest. */
	doc = vt_verify("rsa", vt_path("d.der"), &none, VERIFY_BAD_INPUT);
	/* Attached with content as well. */
	doc = vt_verify("rsa", vt_path("a.der"), &o, VERIFY_BAD_INPUT);
	/* A moment of signing in the future. */
	o.at = vt_now + 3600;
	doc = vt_verify("rsa", vt_path("d.der"), &o, VERIFY_BAD_INPUT);
	(void)doc;
}

Test(verify, many_certificates)
{
	uint8_t *der;
	size_t len;
	char extra[1100];

	/* MAX_VERIFY_CERTS + 1 distinct certificates. */
	cr_assert_eq(run("cd '%s' && for i in $(seq %d); do openssl req "
			 "-x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
			 "-nodes -keyout /dev/null -subj /CN=c$i -days 1 "
			 "2>/dev/null; done > many.pem",
			 vt_dir, MAX_VERIFY_CERTS),
		     0);
	snprintf(extra, sizeof(extra), "-certfile '%s'", vt_path("many.pem"));
	vt_sign("rsa", "s.der", extra);
	der = read_file(vt_path("s.der"), &len);
	bad_input(der, len, "certificates, more than");
	free(der);
}

/* The text of a name, from report_name(). */
static char *
name_of(X509_NAME *n)
{
	json_t *j = report_name(n);
	char *s;

	cr_assert(json_is_string(j));
	s = strdup(json_string_value(j));
	json_decref(j);
	return s;
}

static X509_NAME *
name_new(int type, const char *cn, int len)
{
	X509_NAME *n = X509_NAME_new();

	cr_assert(n != NULL);
	cr_assert(X509_NAME_add_entry_by_txt(
	    n, "C", MBSTRING_ASC, (const unsigned char *)"RU", -1, -1, 0));
	cr_assert(X509_NAME_add_entry_by_txt(
	    n, "CN", type, (const unsigned char *)cn, len, -1, 0));
	return n;
}

/* Rendered names are kept by their DER in a few slots: 300 names, each
 * asked twice in two rounds, must all come back as themselves (slots
 * are shared and replaced); so must a name too long to keep, and one
 * that is not UTF-8. */
Test(verify, names)
{
	char cn[64], want[96], *got, longcn[400];
	X509_NAME *n;
	int round, i;

	for (round = 0; round < 2; round++)
		for (i = 0; i < 300; i++) {
			snprintf(cn, sizeof(cn),
				 "\xd0\x98\xd0\xb2\xd0\xb0\xd0"
				 "\xbd %d",
				 i);
			snprintf(want, sizeof(want), "CN=%s,C=RU", cn);
			n = name_new(MBSTRING_UTF8, cn, -1);
			got = name_of(n);
			cr_assert_str_eq(got, want);
			free(got);
			got = name_of(n);
			cr_assert_str_eq(got, want);
			free(got);
			X509_NAME_free(n);
		}
	memset(longcn, 'x', sizeof(longcn) - 1);
	longcn[sizeof(longcn) - 1] = '\0';
	n = name_new(V_ASN1_UTF8STRING, longcn, -1);
	for (i = 0; i < 2; i++) {
		got = name_of(n);
		cr_assert(strlen(got) == strlen(longcn) + 8, "%s", got);
		free(got);
	}
	X509_NAME_free(n);
	/* A UTF8String that is not UTF-8, set as is. */
	n = name_new(V_ASN1_UTF8STRING, "\xff\xfe", 2);
	for (i = 0; i < 2; i++) {
		got = name_of(n);
		cr_assert_str_eq(got, "(not UTF-8)");
		free(got);
	}
	X509_NAME_free(n);
}

/* A detail or a name cut to fit its buffer ends on a whole character:
 * Cyrillic names are two octets a letter, and a line that is not UTF-8
 * would reach the answer as "(not UTF-8)". */
Test(verify, cut_details_stay_utf8)
{
	char cn[301], name[96];
	struct findings f = {0};
	X509 *x = X509_new();
	X509_NAME *n;
	json_t *j;
	size_t i;

	for (i = 0; i + 2 < sizeof(cn); i += 2)
		memcpy(cn + i, "\xd0\x96", 2);
	cn[i] = '\0';
	findings_add(&f, R_COUNT, "x\"%s\"", cn); /* odd: cuts a letter */
	cr_assert_lt(strlen(f.detail[0]), sizeof(f.detail[0]) - 1);
	cr_assert_not_null(j = json_string(f.detail[0]), "%s", f.detail[0]);
	json_decref(j);

	cr_assert_not_null(x);
	n = name_new(V_ASN1_UTF8STRING, cn, -1); /* over ub-common-name */
	cr_assert(X509_set_subject_name(x, n));
	report_short_name(x, name, 16); /* 7 letters, then half of one */
	cr_assert_str_eq(name, "\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96"
			       "\xd0\x96\xd0\x96");
	report_short_name(x, name, sizeof(name));
	cr_assert_eq(strlen(name), 94);
	cr_assert_not_null(j = json_string(name));
	json_decref(j);
	X509_NAME_free(n);
	X509_free(x);
}
