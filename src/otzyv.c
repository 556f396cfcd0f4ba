/*
 * otzyv: the command-line front end. Every command opens the same store
 * the daemon uses (LMDB is multi-process safe), through the library.
 *
 * Exit codes: status: 0 good, 1 revoked or on hold, 2 unknown;
 * verify: 0 valid, 1 invalid, 2 indeterminate;
 * import-crl, import-tsl: 0 imported or unchanged, 1 rejected; any
 * command: 3 and
 * up on errors (3 usage or config, 4 store or I/O).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "otzyv/config.h"
#include "otzyv/crypto.h"
#include "otzyv/fetch.h"
#include "otzyv/import.h"
#include "otzyv/log.h"
#include "otzyv/registry.h"
#include "otzyv/report.h"
#include "otzyv/status.h"
#include "otzyv/store.h"
#include "otzyv/tsl.h"
#include "otzyv/util.h"
#include "otzyv/verify.h"

#define EXIT_USAGE 3
#define EXIT_STORE 4

struct ctx {
	struct config *cfg;
	struct store *store;
	int64_t now;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: otzyv [-c CONFIG] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  import-crl FILE... [--issuer CERT] [--url URL]\n"
	    "  import-tsl FILE|URL [--exclude NAME|KEYID]...\n"
	    "  status CERT [--at TIME] [--json]\n"
	    "  status --issuer CERT --serial HEX [--at TIME] [--json]\n"
	    "  verify SIG [--content FILE | --digest ALG:HEX] [--at TIME]\n"
	    "         [--anchor CERT]... [--intermediate CERT]... [--json]\n"
	    "  cas [--json]\n"
	    "  fetch [--ca NAME]\n"
	    "  check [--warn AGE] [--crit AGE]\n"
	    "  dump [--ca NAME|ID]\n"
	    "  events [--since TIME]\n"
	    "\n"
	    "CONFIG defaults to $OTZYV_CONF, else %s.\n",
	    CONFIG_DEFAULT_PATH);
}

static int die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("otzyv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int
open_ctx(struct ctx *c, const char *conf)
{
	char err[512];
	enum store_err e;

	if ((c->cfg = config_load(conf, err, sizeof(err))) == NULL)
		return die(EXIT_USAGE, "%s", err);
	if (!crypto_init(c->cfg->gost, err, sizeof(err)))
		return die(EXIT_USAGE, "%s: %s", conf, err);
	e = store_open(c->cfg->store_path, (size_t)c->cfg->map_size, 1,
		       &c->store);
	if (e != STORE_OK)
		return die(EXIT_STORE, "%s: cannot open the store: %s",
			   c->cfg->store_path, store_strerror(e));
	c->now = clock_now();
	if (!registry_sync(c->cfg, c->store, NULL, err, sizeof(err)))
		return die(EXIT_USAGE, "%s", err);
	return 0;
}

/* ---- import-crl --------------------------------------------------- */

static int
cmd_import(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"issuer", required_argument, NULL, 'i'},
	    {"url", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	struct import_opts io = {0};
	struct import_result r;
	X509 *issuer = NULL;
	char err[512], num[2 * (MAX_CRL_NUMBER_LEN + 1) + 2];
	int ch, i, worst = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			X509_free(issuer);
			if ((issuer = crypto_load_cert(optarg, err,
						       sizeof(err))) == NULL)
				return die(EXIT_USAGE, "%s", err);
			break;
		case 'u':
			io.url = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		X509_free(issuer);
		return die(EXIT_USAGE, "import-crl: no CRL file given");
	}
	io.issuer = issuer;
	io.now = c->now;
	for (i = optind; i < argc; i++) {
		enum import_status st =
		    import_crl_file(c->store, argv[i], &io, &r);

		switch (st) {
		case IMPORT_OK:
			printf("imported %s: issuer %u, CRL number %s, %llu "
			       "entries (%llu added, %llu changed, %llu "
			       "removed)\n",
			       argv[i], r.issuer_id,
			       r.number.len ? status_serial_format(
						  r.number.v, r.number.len, num)
					    : "none",
			       (unsigned long long)r.entries,
			       (unsigned long long)r.stats.added,
			       (unsigned long long)r.stats.changed,
			       (unsigned long long)r.stats.removed);
			if (r.duplicates)
				printf("note: %s lists %llu serials more than "
				       "once; kept the earliest revocation\n",
				       argv[i],
				       (unsigned long long)r.duplicates);
			if (r.next_update && r.next_update < c->now)
				printf("note: %s is past its nextUpdate; "
				       "answers from it are \"unknown\" until "
				       "a newer CRL is imported\n",
				       argv[i]);
			break;
		case IMPORT_UNCHANGED:
			printf("unchanged %s: already imported\n", argv[i]);
			break;
		case IMPORT_REJECTED:
			fprintf(stderr, "otzyv: rejected %s\n", r.msg);
			worst = worst > 1 ? worst : 1;
			break;
		case IMPORT_ERROR:
			fprintf(stderr, "otzyv: error: %s\n", r.msg);
			worst = EXIT_STORE;
			break;
		}
	}
	X509_free(issuer);
	return worst;
}

/* ---- import-tsl --------------------------------------------------- */

/* Downloads the list at `url` into a file of the store's spool. */
static int
download_tsl(struct ctx *c, const char *url, char *path, size_t len)
{
	char err[1024];
	int fd;

	snprintf(path, len, "%s/spool/tsl-cli.XXXXXX", c->cfg->store_path);
	snprintf(err, sizeof(err), "%s/spool", c->cfg->store_path);
	mkdir(err, 0750);
	if ((fd = mkstemp(path)) < 0) {
		fprintf(stderr, "otzyv: %s: %s\n", path, strerror(errno));
		return 0;
	}
	close(fd);
	if (!fetch_download(c->cfg, url, path, c->cfg->tsl_max_size, err,
			    sizeof(err))) {
		fprintf(stderr, "otzyv: %s: %s\n", url, err);
		unlink(path);
		return 0;
	}
	return 1;
}

static int
cmd_import_tsl(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"exclude", required_argument, NULL, 'x'},
	    {NULL, 0, NULL, 0},
	};
	const char *exclude[TSL_MAX_EXCLUDE];
	struct tsl_import_opts io = {0};
	struct tsl_import_result r;
	enum tsl_import_status st;
	char hex[65], ts[32], path[1024];
	const char *file;
	int ch;

	/* The configured exclusions hold for a list imported by hand too. */
	for (; io.nexclude < c->cfg->tsl_exclude.n &&
	       io.nexclude < TSL_MAX_EXCLUDE;
	     io.nexclude++)
		exclude[io.nexclude] = c->cfg->tsl_exclude.v[io.nexclude];
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'x':
			if (io.nexclude == TSL_MAX_EXCLUDE)
				return die(EXIT_USAGE,
					   "import-tsl: more than %d --exclude",
					   TSL_MAX_EXCLUDE);
			exclude[io.nexclude++] = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return die(EXIT_USAGE, "usage: otzyv import-tsl FILE|URL "
				       "[--exclude NAME|KEYID]...");
	io.exclude = exclude;
	io.source = argv[optind];
	file = argv[optind];
	/* URLs as [tsl] url takes them; file:// too, as the daemon reads
	 * it (size limit included). */
	if (strncmp(argv[optind], "http://", 7) == 0 ||
	    strncmp(argv[optind], "https://", 8) == 0 ||
	    strncmp(argv[optind], "file://", 7) == 0) {
		if (!download_tsl(c, argv[optind], path, sizeof(path)))
			return EXIT_STORE;
		file = path;
	}
	st = tsl_import_file(c->store, file, &io, &r);
	if (file == path)
		unlink(path);
	switch (st) {
	case TSL_IMPORT_OK:
		printf("imported %s: Версия %lld, Дата %s, %llu CAs, %llu "
		       "keys, %llu certificates (%llu issuers, %llu new, "
		       "%llu keys excluded, %llu certificates skipped, %llu "
		       "CAs no longer listed), sha256 %s\n",
		       argv[optind], (long long)r.info.version,
		       r.info.date ? time_format(r.info.date, ts) : "-",
		       (unsigned long long)r.info.cas,
		       (unsigned long long)r.info.keys,
		       (unsigned long long)r.info.certs,
		       (unsigned long long)r.issuers,
		       (unsigned long long)r.added,
		       (unsigned long long)r.excluded,
		       (unsigned long long)r.info.skipped,
		       (unsigned long long)r.unlisted,
		       hex_encode(r.info.sha256, 32, hex));
		return 0;
	case TSL_IMPORT_UNCHANGED:
		printf("unchanged %s: Версия %lld already imported\n",
		       argv[optind], (long long)r.info.version);
		return 0;
	case TSL_IMPORT_REJECTED:
		fprintf(stderr, "otzyv: rejected %s\n", r.msg);
		return 1;
	case TSL_IMPORT_ERROR:
	default:
		fprintf(stderr, "otzyv: error: %s\n", r.msg);
		return EXIT_STORE;
	}
}

/* ---- status ------------------------------------------------------- */

/* The stored id of CA certificate `ca` itself, or 0. */
static uint32_t
id_of_ca(struct ctx *c, X509 *ca)
{
	struct store_txn *t;
	uint32_t id = 0;

	if (store_read_begin(c->store, &t) == STORE_OK) {
		if (store_issuer_id_of(t, ca, &id) != STORE_OK)
			id = 0;
		store_txn_end(t);
	}
	return id;
}

static void
print_status(const struct status_answer *a)
{
	char ts[32], ser[2 * MAX_SERIAL_LEN + 2], num[64];
	const char *reason = crl_reason_name(a->reason);
	size_t i;

	printf("status: %s\n", status_name(a->status));
	printf("serial: %s\n",
	       status_serial_format(a->serial, a->serial_len, ser));
	if (a->why == WHY_UNKNOWN_ISSUER) {
		printf("issuer: not a CA in the store\n");
		return;
	}
	printf("issuer: %u %s\n", a->issuer_id, a->issuer_name);
	printf("as of: %s\n", time_format(a->as_of, ts));
	if (a->history_status != STATUS_GOOD) {
		printf("%s: %s%s%s%s\n",
		       a->status == STATUS_UNKNOWN ? "last known" : "since",
		       time_format(a->revoked_at, ts), reason ? " (" : "",
		       reason ? reason : "", reason ? ")" : "");
		if (a->has_invalidity)
			printf("invalidity date: %s\n",
			       time_format(a->invalidity, ts));
	}
	for (i = 0; i < a->nhistory; i++) {
		const struct status_period *p = &a->history[i];

		printf("history: %s from %s", status_name(p->status),
		       time_format(p->from, ts));
		if (p->to)
			printf(" to %s", time_format(p->to, ts));
		putchar('\n');
	}
	if (a->has_validity)
		printf("validity: %s to %s\n", time_format(a->not_before, ts),
		       time_format(a->not_after, ser));
	if (a->qualified != QUALIFIED_ABSENT)
		printf("qualified: %s\n",
		       a->qualified == QUALIFIED_YES ? "yes"
		       : a->qualified == QUALIFIED_NO
			   ? "no (the CA was not accredited at notBefore)"
			   : "not known (the CA is not from the trusted list)");
	if (!a->has_source) {
		printf("crl: none imported for this CA\n");
		return;
	}
	printf("crl: number %s, thisUpdate %s",
	       a->crl_number.len ? status_serial_format(a->crl_number.v,
							a->crl_number.len, num)
				 : "none",
	       time_format(a->this_update, ts));
	if (a->next_update)
		printf(", nextUpdate %s", time_format(a->next_update, ts));
	if (a->scope != STORE_SCOPE_ALL)
		printf(", of %s certificates only",
		       a->scope == STORE_SCOPE_USERS ? "end-entity" : "CA");
	printf(", %s\n",
	       a->why == WHY_SCOPE && !a->has_validity
		   ? "not of end-entity certificates, which a serial alone "
		     "is taken to be: status unknown"
	       : a->why == WHY_SCOPE ? "NOT OF THIS ONE: status unknown"
	       : a->why == WHY_BEFORE_HISTORY
		   ? "the certificate expired before the store's first CRL: "
		     "status unknown"
	       : a->why == WHY_DIST_POINT
		   ? "of other distribution points than the certificate's: "
		     "status unknown"
	       : a->fresh ? "fresh"
			  : "NOT FRESH: status unknown");
}

static int
cmd_status(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"issuer", required_argument, NULL, 'i'},
	    {"serial", required_argument, NULL, 's'},
	    {"at", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct status_query q = {0};
	struct status_answer a;
	uint8_t serial[MAX_SERIAL_LEN];
	const char *issuer_path = NULL, *serial_hex = NULL;
	char err[512];
	X509 *cert = NULL, *ca = NULL;
	int ch, json = 0, rc = EXIT_USAGE;
	enum store_err e;

	q.now = c->now;
	q.at = c->now;
	q.stale_grace = c->cfg->stale_grace;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			issuer_path = optarg;
			break;
		case 's':
			serial_hex = optarg;
			break;
		case 'a':
			if (!time_parse(optarg, &q.at))
				return die(EXIT_USAGE,
					   "--at: \"%s\" is not an RFC 3339 "
					   "time (2026-11-21T10:00:00Z)",
					   optarg);
			if (q.at > c->now + MAX_AT_AHEAD)
				return die(EXIT_USAGE,
					   "--at: %s lies in the future, which "
					   "no CRL can tell",
					   optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (optind + 1 != argc || issuer_path || serial_hex)
			return die(EXIT_USAGE, "status: give a certificate, "
					       "or --issuer and --serial");
		if ((cert = crypto_load_cert(argv[optind], err, sizeof(err))) ==
		    NULL)
			return die(EXIT_USAGE, "%s", err);
		q.serial_len = status_cert_serial(cert, serial, sizeof(serial));
		if (q.serial_len == 0) {
			rc = die(EXIT_USAGE,
				 "%s: serial number longer than %d octets",
				 argv[optind], MAX_SERIAL_LEN);
			goto out;
		}
		q.cert = cert;
		if ((e = status_issuer_of(c->store, cert, &q.issuer_id)) !=
		    STORE_OK) {
			rc = die(EXIT_STORE, "%s: %s", c->cfg->store_path,
				 store_strerror(e));
			goto out;
		}
	} else {
		if (!issuer_path || !serial_hex)
			return die(EXIT_USAGE, "status: give a certificate, "
					       "or --issuer and --serial");
		if ((ca = crypto_load_cert(issuer_path, err, sizeof(err))) ==
		    NULL)
			return die(EXIT_USAGE, "%s", err);
		q.serial_len =
		    status_serial_parse(serial_hex, serial, sizeof(serial));
		if (q.serial_len == 0) {
			X509_free(ca);
			return die(EXIT_USAGE,
				   "--serial: \"%s\" is not a hex serial",
				   serial_hex);
		}
		q.issuer_id = id_of_ca(c, ca);
	}
	q.serial = serial;
	e = status_lookup(c->store, &q, &a);
	if (e != STORE_OK) {
		rc = die(EXIT_STORE, "%s: %s", c->cfg->store_path,
			 store_strerror(e));
		goto out;
	}
	if (json) {
		json_t *o = status_to_json(&a);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		print_status(&a);
	}
	rc = a.status == STATUS_GOOD ? 0 : a.status == STATUS_UNKNOWN ? 2 : 1;
out:
	X509_free(cert);
	X509_free(ca);
	return rc;
}

/* ---- verify ------------------------------------------------------- */

/* Certificates given on the command line, and the store's anchors. */
struct certlist {
	X509 **v;
	size_t n, cap;
};

static int
certlist_add(struct certlist *l, X509 *x)
{
	X509 **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return 0;
		l->v = nv;
	}
	l->v[l->n++] = x;
	return 1;
}

static int
certlist_take(void *arg, X509 *x)
{
	return certlist_add(arg, x);
}

/* The certificates of the config's files (anchors, intermediates). */
static int
certlist_load(struct certlist *l, const struct config_list *files)
{
	char err[512];
	size_t i;

	for (i = 0; i < files->n; i++)
		if (!crypto_load_bundle(files->v[i], certlist_take, l, err,
					sizeof(err))) {
			fprintf(stderr, "otzyv: %s\n", err);
			return 0;
		}
	return 1;
}

/* [verify] audit_log: the decision (or the error) as one line. */
static void
audit(const struct config *cfg, const json_t *doc, const char *err)
{
	struct verify_audit *a;
	char id[VERIFY_AUDIT_ID_LEN], e[256];

	if (!cfg->verify_audit_log)
		return;
	if ((a = verify_audit_open(cfg->verify_audit_file, e, sizeof(e))) ==
	    NULL) {
		fprintf(stderr, "otzyv: audit: %s\n", e);
		return;
	}
	verify_audit_id(id);
	verify_audit_write(a, id, doc, err);
	verify_audit_close(a);
}

/* "ALG:HEX" of --digest into *alg and buf; the length, or 0. */
static size_t
parse_digest(const char *arg, int *alg, uint8_t *buf, size_t cap)
{
	const char *colon = strchr(arg, ':');
	enum hash_alg a;
	long n;

	if (colon == NULL)
		return 0;
	for (a = HASH_FIRST; a <= HASH_LAST; a++) {
		const char *name = crypto_hash_name(a);

		if (name != NULL && strlen(name) == (size_t)(colon - arg) &&
		    strncasecmp(arg, name, (size_t)(colon - arg)) == 0)
			break;
	}
	if (a > HASH_LAST || (n = hex_decode(colon + 1, buf, cap)) <= 0)
		return 0;
	*alg = (int)a;
	return (size_t)n;
}

static void
print_verify(const json_t *doc)
{
	const json_t *signers = json_object_get(doc, "signers"), *si, *x;
	size_t i, j;

	printf("verdict: %s\n", verify_verdict(doc));
	json_array_foreach(signers, i, si)
	{
		const json_t *reasons = json_object_get(si, "reasons");
		const char *sig =
		    json_string_value(json_object_get(si, "signature"));

		printf("signer %zu: %s\n", i + 1,
		       json_string_value(json_object_get(si, "subject"))
			   ? json_string_value(json_object_get(si, "subject"))
			   : "(no certificate)");
		printf("  verdict: %s",
		       json_string_value(json_object_get(si, "verdict")));
		json_array_foreach(reasons, j, x)
		    printf("%s%s", j ? ", " : " (", json_string_value(x));
		printf("%s\n", json_array_size(reasons) ? ")" : "");
		printf("  signature: %s\n", sig ? sig : "not checked");
		printf(
		    "  signing time: %s (%s)\n",
		    json_string_value(json_object_get(si, "signing_time"))
			? json_string_value(json_object_get(si, "signing_time"))
			: "not known",
		    json_string_value(
			json_object_get(si, "signing_time_source")));
		printf(
		    "  validated as of: %s\n",
		    json_string_value(json_object_get(si, "validation_time")));
		json_array_foreach(json_object_get(si, "chain"), j, x)
		    printf("  %s %s [%s]\n", j ? "<-" : "chain:",
			   json_string_value(json_object_get(x, "subject")),
			   json_string_value(json_object_get(x, "status")));
		x = json_object_get(si, "qualified");
		printf("  qualified: %s\n", json_is_true(x)    ? "yes"
					    : json_is_false(x) ? "no"
							       : "not known");
		json_array_foreach(json_object_get(si, "details"), j, x)
		    printf("  - %s\n", json_string_value(x));
	}
}

static int
cmd_verify(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"content", required_argument, NULL, 'C'},
	    {"digest", required_argument, NULL, 'd'},
	    {"at", required_argument, NULL, 'a'},
	    {"anchor", required_argument, NULL, 'A'},
	    {"intermediate", required_argument, NULL, 'I'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct verify_opts vo = {0};
	struct verify_input in = {0};
	struct certlist anchors = {0}, ints = {0};
	struct mapfile sig = {NULL, 0, -1};
	uint8_t digest[HASH_MAX_LEN];
	X509 **stored = NULL;
	size_t nstored = 0, i;
	char err[512];
	json_t *doc = NULL;
	X509 *x;
	int ch, json = 0, rc = EXIT_USAGE, e;
	enum verify_err ve;
	enum store_err se;
	const char *v;

	vo.now = c->now;
	vo.stale_grace = c->cfg->stale_grace;
	vo.trust_claimed_signing_time = c->cfg->verify_trust_claimed;
	vo.cautionary = c->cfg->verify_cautionary;
	if (!certlist_load(&anchors, &c->cfg->verify_anchors) ||
	    !certlist_load(&ints, &c->cfg->verify_intermediates))
		goto out;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			in.content_path = optarg;
			break;
		case 'd':
			in.digest_len = parse_digest(optarg, &in.digest_alg,
						     digest, sizeof(digest));
			if (in.digest_len == 0) {
				rc = die(EXIT_USAGE,
					 "--digest: \"%s\" is not ALG:HEX "
					 "(sha256:9f86d0...)",
					 optarg);
				goto out;
			}
			in.digest = digest;
			break;
		case 'a':
			if (!time_parse(optarg, &vo.at)) {
				rc = die(EXIT_USAGE,
					 "--at: \"%s\" is not an RFC 3339 "
					 "time (2026-11-21T10:00:00Z)",
					 optarg);
				goto out;
			}
			break;
		case 'A':
		case 'I':
			if ((x = crypto_load_cert(optarg, err, sizeof(err))) ==
			    NULL) {
				rc = die(EXIT_USAGE, "%s", err);
				goto out;
			}
			if (!certlist_add(ch == 'A' ? &anchors : &ints, x)) {
				X509_free(x);
				rc = die(EXIT_STORE, "out of memory");
				goto out;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = die(EXIT_USAGE, "verify: give one signature file");
		goto out;
	}
	if ((e = mapfile_open(argv[optind], &sig)) != 0) {
		rc = die(EXIT_USAGE, "%s: %s", argv[optind], strerror(e));
		goto out;
	}
	/* Anchors: [verify] anchors, --anchor, and (tsl_anchors) the
	 * self-signed CAs of the trusted list. */
	if (c->cfg->verify_tsl_anchors &&
	    (se = verify_anchors_from_store(c->store, &stored, &nstored)) !=
		STORE_OK) {
		rc = die(EXIT_STORE, "%s: %s", c->cfg->store_path,
			 store_strerror(se));
		goto out;
	}
	for (i = 0; i < nstored; i++) {
		if (!certlist_add(&anchors, stored[i])) {
			rc = die(EXIT_STORE, "out of memory");
			goto out;
		}
		stored[i] = NULL;
	}
	vo.anchors = anchors.v;
	vo.nanchors = anchors.n;
	vo.intermediates = ints.v;
	vo.nintermediates = ints.n;
	in.sig = sig.data;
	in.sig_len = sig.len;
	ve = verify_run(c->store, &vo, &in, &doc, err, sizeof(err));
	audit(c->cfg, doc, err);
	if (ve != VERIFY_OK) {
		rc = die(ve == VERIFY_BAD_INPUT ? EXIT_USAGE : EXIT_STORE,
			 "%s: %s", argv[optind], err);
		goto out;
	}
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_verify(doc);
	}
	v = verify_verdict(doc);
	rc = strcmp(v, "valid") == 0 ? 0 : strcmp(v, "invalid") == 0 ? 1 : 2;
out:
	json_decref(doc);
	mapfile_close(&sig);
	verify_certs_free(stored, nstored);
	verify_certs_free(anchors.v, anchors.n);
	verify_certs_free(ints.v, ints.n);
	return rc;
}

/* ---- cas ---------------------------------------------------------- */

static int
cmd_cas(struct ctx *c, int argc, char **argv)
{
	char err[256];
	json_t *doc;
	int as_json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !as_json)
		return die(EXIT_USAGE, "usage: otzyv cas [--json]");
	if ((doc = report_build(c->store, c->now, c->cfg->stale_grace, err,
				sizeof(err))) == NULL)
		return die(EXIT_STORE, "%s", err);
	if (as_json) {
		json_dumpf(doc, stdout,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			       JSON_REAL_PRECISION(6));
		putchar('\n');
	} else {
		report_table(doc, stdout);
	}
	json_decref(doc);
	return 0;
}

/* ---- fetch, check --------------------------------------------------- */

static int
cmd_fetch(struct ctx *c, int argc, char **argv)
{
	const char *only = NULL;
	uint32_t *ids;
	struct fetcher *f;
	char err[1024];
	int failed;

	if (argc == 3 && strcmp(argv[1], "--ca") == 0)
		only = argv[2];
	else if (argc != 1)
		return die(EXIT_USAGE, "usage: otzyv fetch [--ca NAME]");
	if ((ids = calloc(c->cfg->ncas + 1, sizeof(*ids))) == NULL)
		return die(EXIT_STORE, "out of memory");
	if (!registry_sync(c->cfg, c->store, ids, err, sizeof(err))) {
		free(ids);
		return die(EXIT_USAGE, "%s", err);
	}
	/* The spool's lock first: while a daemon fetches into this store,
	 * its CAs are not this configuration's to un-watch. */
	f = fetcher_new(c->cfg, c->store, ids, err, sizeof(err));
	if (f == NULL) {
		free(ids);
		return die(EXIT_STORE, "%s", err);
	}
	if (!registry_forget_gone(c->cfg, c->store, ids, err, sizeof(err))) {
		free(ids);
		fetcher_free(f);
		return die(EXIT_USAGE, "%s", err);
	}
	free(ids);
	failed = fetcher_run_once(f, only);
	fetcher_free(f);
	if (failed < 0)
		return die(EXIT_USAGE, "fetch: no fetched CA is named \"%s\"",
			   only);
	return failed > 0 ? 1 : 0;
}

/* Nagios/Icinga plugin exit codes. */
#define PLUGIN_UNKNOWN 3

static int
cmd_check(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"warn", required_argument, NULL, 'w'},
	    {"crit", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	int64_t warn = 0, crit = 0;
	char err[256], line[2048];
	json_t *doc;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "w:c:", opts, NULL)) != -1) {
		int64_t *dst = ch == 'w' ? &warn : &crit;

		if ((ch != 'w' && ch != 'c') ||
		    !config_parse_duration(optarg, dst)) {
			printf("OTZYV UNKNOWN - usage: otzyv check [--warn "
			       "AGE] [--crit AGE] (AGE: 30m, 12h, 2d)\n");
			return PLUGIN_UNKNOWN;
		}
	}
	if (optind != argc) {
		printf("OTZYV UNKNOWN - usage: otzyv check [--warn AGE] "
		       "[--crit AGE]\n");
		return PLUGIN_UNKNOWN;
	}
	if ((doc = report_build(c->store, c->now, c->cfg->stale_grace, err,
				sizeof(err))) == NULL) {
		printf("OTZYV UNKNOWN - store: %s\n", err);
		return PLUGIN_UNKNOWN;
	}
	/* A list the configuration no longer names is watched no more: its
	 * last failed attempts are history, not a fault to page for. */
	if (c->cfg->tsl_url == NULL && c->cfg->tsl_file == NULL)
		json_object_set_new(doc, "tsl", json_null());
	rc = report_check(doc, warn, crit, line, sizeof(line));
	json_decref(doc);
	printf("%s\n", line);
	return rc;
}

/* ---- dump --------------------------------------------------------- */

struct dump_ctx {
	uint32_t only; /* 0: every issuer */
	const char *only_name;
	size_t wanted; /* issuers --ca names */
	struct store_txn *t;
	enum store_err e;
};

static int
dump_serial(const uint8_t *serial, size_t len, struct store_history h,
	    void *arg)
{
	struct store_episode ep;
	char ser[2 * MAX_SERIAL_LEN + 2], ts[32];
	uint32_t *issuer = arg;
	int rc;

	printf("%u %s", *issuer, status_serial_format(serial, len, ser));
	while ((rc = store_history_next(&h, &ep)) == 1) {
		const char *reason = crl_reason_name(ep.reason);

		printf(" %s", time_format(ep.revoked_at, ts));
		printf("/%s", reason ? reason : "-");
		if (ep.removed)
			printf("..%s", time_format(ep.removed_at, ts));
	}
	putchar('\n');
	return rc < 0;
}

/* 1 when --ca (if given) names `is`. */
static int
dump_wanted(const struct dump_ctx *d, const struct store_issuer *is)
{
	if (d->only && d->only != is->id)
		return 0;
	return d->only_name == NULL ||
	       (is->name != NULL && strcmp(d->only_name, is->name) == 0);
}

static int
dump_count(const struct store_issuer *is, void *arg)
{
	struct dump_ctx *d = arg;

	d->wanted += dump_wanted(d, is);
	return 0;
}

static int
dump_issuer(const struct store_issuer *is, void *arg)
{
	struct dump_ctx *d = arg;
	uint32_t id = is->id;

	if (!dump_wanted(d, is))
		return 0;
	d->e = store_revoked_foreach(d->t, is->id, dump_serial, &id);
	return d->e != STORE_OK;
}

static int
cmd_dump(struct ctx *c, int argc, char **argv)
{
	struct dump_ctx d = {0};
	enum store_err e;

	if (argc == 3 && strcmp(argv[1], "--ca") == 0) {
		char *end;
		unsigned long v = strtoul(argv[2], &end, 10);

		if (*end == '\0' && v > 0 && v <= UINT32_MAX)
			d.only = (uint32_t)v;
		else
			d.only_name = argv[2];
	} else if (argc != 1) {
		return die(EXIT_USAGE, "usage: otzyv dump [--ca NAME|ID]");
	}
	if ((e = store_read_begin(c->store, &d.t)) != STORE_OK)
		return die(EXIT_STORE, "%s", store_strerror(e));
	/* A --ca that names no CA is a mistake, not an empty dump (as
	 * fetch --ca): a script must not take it for "nothing revoked". */
	if (d.only || d.only_name) {
		e = store_issuer_foreach(d.t, dump_count, &d);
		if (e != STORE_OK || d.wanted == 0) {
			store_txn_end(d.t);
			if (e != STORE_OK)
				return die(EXIT_STORE, "%s", store_strerror(e));
			if (d.only)
				return die(EXIT_USAGE,
					   "dump: no stored CA has id %u",
					   (unsigned)d.only);
			return die(EXIT_USAGE,
				   "dump: no stored CA is named \"%s\"",
				   d.only_name);
		}
	}
	printf("# issuer serial revoked/reason[..removed] ...\n");
	e = store_issuer_foreach(d.t, dump_issuer, &d);
	store_txn_end(d.t);
	if (e == STORE_OK)
		e = d.e;
	return e == STORE_OK ? 0 : die(EXIT_STORE, "%s", store_strerror(e));
}

/* ---- events ------------------------------------------------------- */

static int
print_event(int64_t us, uint64_t seq, const char *json, size_t len, void *arg)
{
	(void)us;
	(void)seq;
	(void)arg;
	printf("%.*s\n", (int)len, json);
	return 0;
}

static int
cmd_events(struct ctx *c, int argc, char **argv)
{
	struct store_txn *t;
	int64_t since = 0;
	enum store_err e;

	if (argc == 3 && strcmp(argv[1], "--since") == 0) {
		if (!time_parse(argv[2], &since))
			return die(EXIT_USAGE,
				   "--since: \"%s\" is not an RFC "
				   "3339 time",
				   argv[2]);
	} else if (argc != 1) {
		return die(EXIT_USAGE, "usage: otzyv events [--since TIME]");
	}
	if ((e = store_read_begin(c->store, &t)) != STORE_OK)
		return die(EXIT_STORE, "%s", store_strerror(e));
	e = store_event_foreach(t, since * 1000000, print_event, NULL);
	store_txn_end(t);
	return e == STORE_OK ? 0 : die(EXIT_STORE, "%s", store_strerror(e));
}

/* ---- main --------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(struct ctx *, int, char **);
} commands[] = {
    {"import-crl", cmd_import}, {"import-tsl", cmd_import_tsl},
    {"status", cmd_status},	{"cas", cmd_cas},
    {"verify", cmd_verify},	{"dump", cmd_dump},
    {"events", cmd_events},	{"fetch", cmd_fetch},
    {"check", cmd_check},
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf = getenv("OTZYV_CONF");
	struct ctx c = {0};
	size_t i;
	int ch, rc;

	if (conf == NULL || *conf == '\0')
		conf = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("otzyv %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return die(EXIT_USAGE, "unknown command \"%s\" (try --help)",
			   argv[optind]);
	if ((rc = open_ctx(&c, conf)) != 0 && commands[i].fn == cmd_check) {
		/* A monitoring plugin says UNKNOWN, whatever went wrong. */
		printf("OTZYV UNKNOWN - cannot read the configuration or the "
		       "store (see above)\n");
		rc = PLUGIN_UNKNOWN;
	} else if (rc == 0) {
		argv += optind;
		argc -= optind;
		optind = 0; /* glibc: re-initialise, forgetting the "+" above */
		rc = commands[i].fn(&c, argc, argv);
	}
	store_close(c.store);
	config_free(c.cfg);
	return rc;
}
