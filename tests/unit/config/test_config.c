/*
 * Tests for src/config/config.c: a full file, relative paths, defaults,
 * golden "file:line: message" diagnostics, and the value parsers.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "otzyv/config.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Writes `text` as DIR/NAME and returns the path (static buffer). */
static const char *
put(const char *dir, const char *name, const char *text)
{
	const char *path = path_in(dir, name);

	cr_assert(write_file(path, text, strlen(text)), "writing %s", path);
	return path;
}

/* Loads `text`; the config, or NULL with the message in err. */
static struct config *
load_text(const char *dir, const char *text, char *err, size_t errlen)
{
	return config_load(put(dir, "otzyv.conf", text), err, errlen);
}

/* ---- a full file -------------------------------------------------------- */

static const char full[] =
    "; otzyv test configuration\n"		       /* 1 */
    "# every key this version knows\n"		       /* 2 */
    "\n"					       /* 3 */
    "[store]\n"					       /* 4 */
    "path = /srv/otzyv/state\n"			       /* 5 */
    "map_size = 512M   ; inline comment\n"	       /* 6 */
    "\n"					       /* 7 */
    "[crypto]\n"				       /* 8 */
    "gost = yes\n"				       /* 9 */
    "\n"					       /* 10 */
    "[responder]\n"				       /* 11 */
    "stale_grace = 2h\n"			       /* 12 */
    "\n"					       /* 13 */
    "[ca alpha]\n"				       /* 14 */
    "cert = alpha.pem\n"			       /* 15 */
    "crl = http://cdp.example.ru/alpha.crl\n"	       /* 16 */
    "crl = https://cdp2.example.ru/alpha.crl\n"	       /* 17 */
    "crl = file:///srv/crl/alpha.crl\n"		       /* 18 */
    "\n"					       /* 19 */
    "[ca beta]\n"				       /* 20 */
    "; served from CRLs imported by hand\n"	       /* 21 */
    "cert = /etc/otzyv/ca/beta.pem\n"		       /* 22 */
    "\n"					       /* 23 */
    "[ca gamma]   ; indented would continue line 22\n" /* 24 */
    "crl=http://cdp.example.ru/gamma.crl\n"	       /* 25 */
    "cert=sub/dir/gamma.der\n";			       /* 26 */

Test(config_load, full_file)
{
	char *dir = tmpdir_new("config");
	char err[512] = "";
	struct config *c = load_text(dir, full, err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->path, path_in(dir, "otzyv.conf"));
	cr_expect_str_eq(c->store_path, "/srv/otzyv/state");
	cr_expect_eq(c->map_size, 512ull << 20);
	cr_expect_eq(c->gost, GOST_YES);
	cr_expect_eq(c->stale_grace, 7200);
	cr_assert_eq(c->ncas, 3);

	cr_expect_str_eq(c->cas[0].name, "alpha");
	cr_expect_str_eq(c->cas[0].cert, path_in(dir, "alpha.pem"));
	cr_assert_eq(c->cas[0].ncrl, 3);
	cr_expect_str_eq(c->cas[0].crl[0], "http://cdp.example.ru/alpha.crl");
	cr_expect_str_eq(c->cas[0].crl[1], "https://cdp2.example.ru/alpha.crl");
	cr_expect_str_eq(c->cas[0].crl[2], "file:///srv/crl/alpha.crl");
	cr_expect_eq(c->cas[0].line, 14);

	cr_expect_str_eq(c->cas[1].name, "beta");
	cr_expect_str_eq(c->cas[1].cert, "/etc/otzyv/ca/beta.pem");
	cr_expect_eq(c->cas[1].ncrl, 0);
	cr_expect_null(c->cas[1].crl);
	cr_expect_eq(c->cas[1].line, 20);

	cr_expect_str_eq(c->cas[2].name, "gamma");
	cr_expect_str_eq(c->cas[2].cert, path_in(dir, "sub/dir/gamma.der"));
	cr_assert_eq(c->cas[2].ncrl, 1);
	cr_expect_str_eq(c->cas[2].crl[0], "http://cdp.example.ru/gamma.crl");
	cr_expect_eq(c->cas[2].line, 24);

	config_free(c);
	tmpdir_remove(dir);
}

Test(config_load, other_values)
{
	static const struct {
		const char *text;
		uint64_t map_size;
		enum gost_mode gost;
		int64_t grace;
	} rows[] = {
	    {"[store]\nmap_size = 1M\n", 1u << 20, GOST_AUTO, 0},
	    {"[store]\nmap_size = 1048576\n", 1u << 20, GOST_AUTO, 0},
	    {"[store]\nmap_size = 8G\n", 8ull << 30, GOST_AUTO, 0},
	    {"[store]\nmap_size = 2T\n", 2ull << 40, GOST_AUTO, 0},
	    {"[crypto]\ngost = no\n", 0, GOST_NO, 0},
	    {"[crypto]\ngost = auto\n", 0, GOST_AUTO, 0},
	    {"[responder]\nstale_grace = 0\n", 0, GOST_AUTO, 0},
	    {"[responder]\nstale_grace = 30s\n", 0, GOST_AUTO, 30},
	    {"[responder]\nstale_grace = 15m\n", 0, GOST_AUTO, 900},
	    {"[responder]\nstale_grace = 7d\n", 0, GOST_AUTO, 604800},
	    {"[responder]\nstale_grace = 45\n", 0, GOST_AUTO, 45},
	};
	char *dir = tmpdir_new("config");
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		char err[512] = "";
		struct config *c =
		    load_text(dir, rows[i].text, err, sizeof(err));

		cr_assert_not_null(c, "row %zu: %s", i, err);
		cr_expect_eq(c->map_size, rows[i].map_size, "row %zu", i);
		cr_expect_eq(c->gost, rows[i].gost, "row %zu", i);
		cr_expect_eq(c->stale_grace, rows[i].grace, "row %zu", i);
		config_free(c);
	}
	tmpdir_remove(dir);
}

/* The addresses otzyvd binds: numeric IPv4, bracketed IPv6, ports 1 to
 * 65535; repeatable. */
Test(config_load, listen_addresses)
{
	char *dir = tmpdir_new("config");
	char err[512] = "";
	struct config *c =
	    load_text(dir,
		      "[server]\nlisten = 127.0.0.1:1\nlisten = [::1]:65535\n"
		      "listen = [fe80::1%lo]:8080\nlisten = 0.0.0.0:8080\n"
		      "admin_listen = [::]:8081\n",
		      err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->nlisten, 4);
	cr_expect_str_eq(c->listen[1], "[::1]:65535");
	cr_expect_str_eq(c->admin_listen, "[::]:8081");
	config_free(c);
	tmpdir_remove(dir);
}

/* [server] user: a name, or empty for none (as admin_listen), not a user
 * named "" that otzyvd would fail to find. */
Test(config_load, user)
{
	char *dir = tmpdir_new("config");
	char err[512] = "";
	struct config *c =
	    load_text(dir, "[server]\nuser = otzyv\n", err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->user, "otzyv");
	config_free(c);
	c = load_text(dir, "[server]\nuser =\n", err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_null(c->user);
	config_free(c);
	tmpdir_remove(dir);
}

/* Keys absent: the documented defaults. */
Test(config_load, defaults)
{
	static const char *texts[] = {
	    "",
	    "; nothing but comments\n\n# here\n",
	    "[store]\n",
	    "[store]\n[crypto]\n[responder]\n",
	};
	char *dir = tmpdir_new("config");
	size_t i;

	for (i = 0; i < NELEM(texts); i++) {
		char err[512] = "";
		struct config *c = load_text(dir, texts[i], err, sizeof(err));

		cr_assert_not_null(c, "text %zu: %s", i, err);
		cr_expect_str_eq(c->store_path, "/var/lib/otzyv", "text %zu",
				 i);
		/* 0: store_open() uses DEFAULT_MAP_SIZE. */
		cr_expect_eq(c->map_size, 0, "text %zu", i);
		cr_expect_eq(c->gost, GOST_AUTO, "text %zu", i);
		cr_expect_eq(c->stale_grace, 0, "text %zu", i);
		cr_expect_str_eq(c->admin_listen, "127.0.0.1:8081");
		cr_expect_eq(c->fetch_interval, 1800);
		cr_expect_eq(c->fetch_retry_min, 60);
		cr_expect_eq(c->fetch_retry_max, 1800);
		cr_expect_eq(c->fetch_max_crl_size, 512ull << 20);
		cr_expect_eq(c->fetch_concurrency, 4);
		cr_expect_null(c->tsl_url);
		cr_expect_null(c->tsl_file);
		cr_expect_eq(c->tsl_refresh, 6 * 3600);
		cr_expect_eq(c->verify_max_body, 64ull << 20);
		cr_expect_eq(c->verify_max_batch, 1000);
		cr_expect_eq(c->verify_threads, 1);
		cr_expect_eq(c->verify_queue, 64);
		config_free(c);
	}
	tmpdir_remove(dir);
}

/* Relative paths are against the config's folder, also for [store]. */
Test(config_load, relative_paths)
{
	char *dir = tmpdir_new("config");
	char *sub;
	char err[512] = "";
	struct config *c;

	cr_assert_geq(asprintf(&sub, "%s/etc/otzyv", dir), 0);
	cr_assert_eq(run("mkdir -p '%s'", sub), 0);
	c = config_load(put(sub, "otzyv.conf",
			    "[store]\npath = state\n"
			    "[ca a]\ncert = ca/a.pem\n"
			    "[ca b]\ncert = ../b.pem\n"
			    "[ca c]\ncert = ./c.pem\n"),
			err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->store_path, path_in(sub, "state"));
	cr_expect_str_eq(c->cas[0].cert, path_in(sub, "ca/a.pem"));
	cr_expect_str_eq(c->cas[1].cert, path_in(sub, "../b.pem"));
	cr_expect_str_eq(c->cas[2].cert, path_in(sub, "./c.pem"));
	config_free(c);
	free(sub);
	tmpdir_remove(dir);
}

/* A config named without a folder: paths stay relative to the cwd,
 * which is that folder. */
Test(config_load, path_without_folder)
{
	char *dir = tmpdir_new("config");
	char err[512] = "";
	struct config *c;

	put(dir, "otzyv.conf", "[ca a]\ncert = a.pem\n");
	cr_assert_eq(chdir(dir), 0);
	c = config_load("otzyv.conf", err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->cas[0].cert, "a.pem");
	config_free(c);
	tmpdir_remove(dir);
}

/* ---- golden diagnostics ------------------------------------------------- */

struct bad_row {
	const char *text;
	int line;
	const char *msg;
};

static const struct bad_row bad[] = {
    /* sections */
    {"[store]\npath = /x\n\n[bogus]\nkey = 1\n", 5, "unknown section [bogus]"},
    {"[store]\npath = /x\n\n[respnder]\n", 4, "unknown section [respnder]"},
    {"[Store]\npath = /x\n", 2, "unknown section [Store]"},
    {"[sever]\nlisten = 127.0.0.1:8080\n", 2, "unknown section [sever]"},
    /* a key outside any section */
    {"path = /x\n", 1, "unknown section []"},
    /* keys */
    {"[store]\nsize = 1G\n", 2, "unknown key \"size\" in [store]"},
    {"[crypto]\nengine = gost\n", 2, "unknown key \"engine\" in [crypto]"},
    {"[responder]\nstail = serve\n", 2, "unknown key \"stail\" in [responder]"},
    {"[ca a]\ncert = a.pem\nurl = http://x/a.crl\n", 3,
     "unknown key \"url\" in [ca a]"},
    /* repeated single-valued keys */
    {"[store]\npath = /a\npath = /b\n", 3, "path: given twice"},
    {"[store]\nmap_size = 1G\n; again\nmap_size = 2G\n", 4,
     "map_size: given twice"},
    {"[crypto]\ngost = yes\ngost = no\n", 3, "gost: given twice"},
    {"[responder]\nstale_grace = 1h\nstale_grace = 2h\n", 3,
     "stale_grace: given twice"},
    {"[store]\npath = /a\n[crypto]\ngost = no\n[store]\npath = /b\n", 6,
     "path: given twice"},
    {"[ca a]\ncert = a.pem\ncert = b.pem\n", 3, "cert: given twice in [ca a]"},
    /* values */
    {"[responder]\nstale_grace = 10x\n", 2,
     "stale_grace: \"10x\" is not a duration from 0s to 2592000s (30s, "
     "15m, 12h, 7d)"},
    {"[responder]\nstale_grace = -1\n", 2,
     "stale_grace: \"-1\" is not a duration from 0s to 2592000s (30s, "
     "15m, 12h, 7d)"},
    {"[responder]\nstale_grace =\n", 2,
     "stale_grace: \"\" is not a duration from 0s to 2592000s (30s, 15m, "
     "12h, 7d)"},
    {"[store]\nmap_size = 1.5G\n", 2,
     "map_size: \"1.5G\" is not a size from 1048576 to "
     "18446744073709551615 bytes (64K, 512M, 8G)"},
    {"[store]\nmap_size = lots\n", 2,
     "map_size: \"lots\" is not a size from 1048576 to "
     "18446744073709551615 bytes (64K, 512M, 8G)"},
    {"[store]\nmap_size = 512K\n", 2,
     "map_size: \"512K\" is not a size from 1048576 to "
     "18446744073709551615 bytes (64K, 512M, 8G)"},
    {"[store]\nmap_size = 1048575\n", 2,
     "map_size: \"1048575\" is not a size from 1048576 to "
     "18446744073709551615 bytes (64K, 512M, 8G)"},
    {"[store]\nmap_size = 0\n", 2,
     "map_size: \"0\" is not a size from 1048576 to "
     "18446744073709551615 bytes (64K, 512M, 8G)"},
    {"[crypto]\ngost = maybe\n", 2,
     "gost: \"maybe\" is not one of auto|yes|no"},
    {"[crypto]\ngost = YES\n", 2, "gost: \"YES\" is not one of auto|yes|no"},
    {"[ca a]\ncert = a.pem\ncrl = ftp://cdp.example.ru/a.crl\n", 3,
     "crl: \"ftp://cdp.example.ru/a.crl\" is not an http, https or file "
     "URL"},
    {"[ca a]\ncert = a.pem\ncrl = cdp.example.ru/a.crl\n", 3,
     "crl: \"cdp.example.ru/a.crl\" is not an http, https or file URL"},
    {"[ca a]\ncert = a.pem\ncrl = HTTP://cdp.example.ru/a.crl\n", 3,
     "crl: \"HTTP://cdp.example.ru/a.crl\" is not an http, https or file "
     "URL"},
    /* [ca] sections */
    {"[ca]\ncert = a.pem\n", 1, "[ca] needs a name: [ca NAME]"},
    {"[ca ]\ncert = a.pem\n", 1, "[ca] needs a name: [ca NAME]"},
    {"[ca x]\ncert = x.pem\n\n[ca y]\ncert = y.pem\n[ca x]\ncert = z.pem\n", 6,
     "[ca x] defined twice"},
    {"[ca x]\ncrl = http://cdp.example.ru/x.crl\n", 1, "[ca x] has no cert ="},
    {"[store]\npath = /x\n\n; the CA\n[ca x]\n; no cert\n"
     "crl = http://cdp.example.ru/x.crl\n",
     5, "[ca x] has no cert ="},
    {"[ca x]\ncert = x.pem\n[ca y]\ncrl = file:///y.crl\n[ca z]\ncert = z\n", 3,
     "[ca y] has no cert ="},
    {"[ca x]\ncert = a.pem\n[ca x]\ncert = b.pem\n", 3, "[ca x] defined twice"},
    {"[ca x]\ncert = a.pem\n; comment\n\n[ca  x]\ncert = b.pem\n", 5,
     "[ca x] defined twice"},
    /* sections without keys still count */
    {"[ca]\n", 1, "[ca] needs a name: [ca NAME]"},
    {"[store]\npath = /x\n[ca lonely]\n", 3, "[ca lonely] has no cert ="},
    {"[ca x]\n[store]\npath = /y\n", 1, "[ca x] has no cert ="},
    {"[ca x]\n\n; nothing\n[ca y]\ncert = y.pem\n", 1, "[ca x] has no cert ="},
    {"\xEF\xBB\xBF[ca x]\n", 1, "[ca x] has no cert ="},
    /* an indented line after a key continues its value (inih) */
    {"[ca x]\ncert = a.pem\n  [ca y]\n", 3, "cert: given twice in [ca x]"},
    /* syntax */
    {"[ca x ; comment]\ncert = a.pem\n", 1,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    {"[store]\nbad line\n[ca x]\n", 2,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    {"[store]\npath /var/lib/otzyv\n", 2,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    {"[store\npath = /x\n", 1,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    {"[store]\npath = /x\n\n\ngarbage\n", 5,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    /* the first error wins, whichever kind it is */
    {"[store]\nnot a pair\n[bogus]\nk = v\n", 2,
     "syntax error (expected [section] or key = value; lines up to 199 "
     "characters)"},
    {"[bogus]\nk = v\n[store]\nnot a pair\n", 2, "unknown section [bogus]"},
    {"[crypto]\ngost = maybe\ngost = no\n[store]\nsize = 1\n", 2,
     "gost: \"maybe\" is not one of auto|yes|no"},
    /* [fetch], [tsl], admin_listen */
    {"[fetch]\ninterval = 0\n", 2,
     "interval: \"0\" is not a duration from 1s to 604800s (30s, 15m, "
     "12h, 7d)"},
    {"[fetch]\nmax_crl_size = 5G\n", 2,
     "max_crl_size: \"5G\" is not a size from 1024 to 4294967295 bytes "
     "(64K, 512M, 8G)"},
    {"[fetch]\nconcurrency = 0\n", 2,
     "concurrency: \"0\" is not a number from 1 to 64"},
    {"[fetch]\nmirrors = 2\n", 2, "unknown key \"mirrors\" in [fetch]"},
    {"[server]\nadmin_listen = 8081\n", 2,
     "admin_listen: \"8081\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8081), or empty for none"},
    /* otzyvd binds numeric addresses only: a name is refused here, with
     * its line, not when otzyvd binds */
    {"[server]\nlisten = localhost:8080\n", 2,
     "listen: \"localhost:8080\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8080, [::1]:8080)"},
    {"[server]\nlisten = 127.0.0.1:0\n", 2,
     "listen: \"127.0.0.1:0\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8080, [::1]:8080)"},
    {"[server]\nlisten = 127.0.0.1:65536\n", 2,
     "listen: \"127.0.0.1:65536\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8080, [::1]:8080)"},
    {"[server]\nlisten = ::1:8080\n", 2,
     "listen: \"::1:8080\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8080, [::1]:8080)"},
    {"[server]\nlisten = [::1]:80x\n", 2,
     "listen: \"[::1]:80x\" is not ADDRESS:PORT, the address numeric "
     "(127.0.0.1:8080, [::1]:8080)"},
    {"[server]\nadmin_listen = [127.0.0.1]:8081\n", 2,
     "admin_listen: \"[127.0.0.1]:8081\" is not ADDRESS:PORT, the address "
     "numeric (127.0.0.1:8081), or empty for none"},
    {"[tsl]\nurl = ftp://example.ru/tsl.xml\n", 2,
     "url: \"ftp://example.ru/tsl.xml\" is not an http, https or file URL"},
    {"[tsl]\nsha256 = abc\n", 2, "sha256: \"abc\" is not 64 hex digits"},
    {"[tsl]\nurl = https://example.ru/tsl.xml\nfile = /x.xml\n", 3,
     "[tsl] takes url or file, not both"},
    {"[tsl]\nrefresh = 10s\n", 2,
     "refresh: \"10s\" is not a duration from 60s to 2592000s (30s, 15m, "
     "12h, 7d)"},
    {"[verify]\ntsl_anchors = maybe\n", 2,
     "tsl_anchors: \"maybe\" is not one of no|yes"},
    {"[verify]\ncautionary_period = 8d\n", 2,
     "cautionary_period: \"8d\" is not a duration from 0s to 604800s (30s, "
     "15m, 12h, 7d)"},
    {"[ca a]\ncert = a.pem\nmax_crl_size = 1\n", 3,
     "max_crl_size: \"1\" is not a size from 1024 to 4294967295 bytes (64K, "
     "512M)"},
    {"[ca a]\ncert = a.pem\nmax_crl_size = 1M\nmax_crl_size = 2M\n", 4,
     "max_crl_size: given twice in [ca a]"},
    /* [verify] */
    {"[verify]\nmax_body = 1023\n", 2,
     "max_body: \"1023\" is not a size from 1024 to 1073741824 bytes "
     "(64K, 512M, 8G)"},
    {"[verify]\nmax_body = 2G\n", 2,
     "max_body: \"2G\" is not a size from 1024 to 1073741824 bytes "
     "(64K, 512M, 8G)"},
    {"[verify]\nmax_body = lots\n", 2,
     "max_body: \"lots\" is not a size from 1024 to 1073741824 bytes "
     "(64K, 512M, 8G)"},
    {"[verify]\nmax_body = 1M\nmax_body = 2M\n", 3, "max_body: given twice"},
    {"[verify]\nmax_batch = 0\n", 2,
     "max_batch: \"0\" is not a number from 1 to 100000"},
    {"[verify]\nmax_batch = 100001\n", 2,
     "max_batch: \"100001\" is not a number from 1 to 100000"},
    {"[verify]\nmax_batch = -1\n", 2,
     "max_batch: \"-1\" is not a number from 1 to 100000"},
    {"[verify]\nmax_batch = 10k\n", 2,
     "max_batch: \"10k\" is not a number from 1 to 100000"},
    {"[verify]\nthreads = 257\n", 2,
     "threads: \"257\" is not a number from 0 to 256"},
    {"[verify]\nqueue = 0\n", 2,
     "queue: \"0\" is not a number from 1 to 100000"},
    {"[verify]\nmax_items = 10\n", 2, "unknown key \"max_items\" in [verify]"},
};

/* [verify] as given, at the edges of its ranges. */
Test(config_load, verify)
{
	static const struct {
		const char *text;
		uint64_t max_body;
		unsigned max_batch;
	} rows[] = {
	    {"[verify]\n", 64ull << 20, 1000},
	    {"[verify]\nmax_body = 1K\nmax_batch = 1\n", 1024, 1},
	    {"[verify]\nmax_body = 1G\nmax_batch = 100000\n", 1ull << 30,
	     100000},
	    {"[verify]\nmax_body = 4096\n", 4096, 1000},
	    {"[verify]\nmax_batch = 50\n", 64ull << 20, 50},
	};
	char *dir = tmpdir_new("config");
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		char err[512] = "";
		struct config *c =
		    load_text(dir, rows[i].text, err, sizeof(err));

		cr_assert_not_null(c, "row %zu: %s", i, err);
		cr_expect_eq(c->verify_max_body, rows[i].max_body, "row %zu",
			     i);
		cr_expect_eq(c->verify_max_batch, rows[i].max_batch, "row %zu",
			     i);
		config_free(c);
	}
	tmpdir_remove(dir);
}

/* [fetch] and [tsl] as given, with repeatable excludes. */
Test(config_load, fetch_and_tsl)
{
	char *dir = tmpdir_new("config");
	char err[512] = "";
	struct config *c = load_text(
	    dir,
	    "[server]\nadmin_listen =\n"
	    "[fetch]\ninterval = 5m\ntimeout = 2m\nconnect_timeout = 5s\n"
	    "low_speed_limit = 10K\nlow_speed_time = 20s\nmax_redirects = 0\n"
	    "max_crl_size = 64M\nconcurrency = 8\nuser_agent = probe/1\n"
	    "retry_min = 10s\nretry_max = 2m\nca_bundle = tls.pem\n"
	    "[tsl]\nurl = https://e-trust.gosuslugi.ru/tsl\nrefresh = 1h\n"
	    "sha256 = "
	    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
	    "exclude = Test CA\nexclude = 0A1B\nmax_size = 32M\n"
	    "[ca a]\ncert = a.pem\nmax_crl_size = 2G\n",
	    err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->admin_listen, "");
	cr_expect_eq(c->fetch_interval, 300);
	cr_expect_eq(c->fetch_timeout, 120);
	cr_expect_eq(c->fetch_connect_timeout, 5);
	cr_expect_eq(c->fetch_low_speed_limit, 10240);
	cr_expect_eq(c->fetch_low_speed_time, 20);
	cr_expect_eq(c->fetch_max_redirects, 0);
	cr_expect_eq(c->fetch_max_crl_size, 64ull << 20);
	cr_expect_eq(c->fetch_concurrency, 8);
	cr_expect_str_eq(c->fetch_user_agent, "probe/1");
	cr_expect_eq(c->fetch_retry_min, 10);
	cr_expect_eq(c->fetch_retry_max, 120);
	cr_expect_str_eq(c->fetch_ca_bundle, path_in(dir, "tls.pem"));
	cr_expect_str_eq(c->tsl_url, "https://e-trust.gosuslugi.ru/tsl");
	cr_expect_eq(c->tsl_refresh, 3600);
	cr_expect_eq(c->tsl_exclude.n, 2);
	cr_expect_str_eq(c->tsl_exclude.v[1], "0A1B");
	cr_expect_eq(c->tsl_max_size, 32ull << 20);
	cr_expect_eq(c->cas[0].max_crl_size, 2ull << 30);
	config_free(c);
	c = load_text(dir,
		      "[verify]\nanchors = a.pem\nanchors = /etc/b.pem\n"
		      "intermediates = i.pem\ntsl_anchors = no\n"
		      "trust_claimed_signing_time = yes\n"
		      "cautionary_period = 12h\n",
		      err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_eq(c->verify_anchors.n, 2);
	cr_expect_str_eq(c->verify_anchors.v[0], path_in(dir, "a.pem"));
	cr_expect_str_eq(c->verify_anchors.v[1], "/etc/b.pem");
	cr_expect_str_eq(c->verify_intermediates.v[0], path_in(dir, "i.pem"));
	cr_expect_eq(c->verify_tsl_anchors, 0);
	cr_expect_eq(c->verify_trust_claimed, 1);
	cr_expect_eq(c->verify_cautionary, 12 * 3600);
	config_free(c);
	tmpdir_remove(dir);
}

Test(config_load, errors)
{
	char *dir = tmpdir_new("config");
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		char err[512] = "", want[512];
		const char *path = put(dir, "bad.conf", bad[i].text);
		struct config *c = config_load(path, err, sizeof(err));

		snprintf(want, sizeof(want), "%s:%d: %s", path, bad[i].line,
			 bad[i].msg);
		cr_expect_null(c, "row %zu: accepted", i);
		config_free(c);
		cr_expect_str_eq(err, want, "row %zu:\n  got  %s\n  want %s", i,
				 err, want);
	}
	tmpdir_remove(dir);
}

Test(config_load, missing_file)
{
	char *dir = tmpdir_new("config");
	char err[512] = "", want[512];
	const char *path = path_in(dir, "absent.conf");

	cr_expect_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s: cannot open: No such file or "
		 "directory",
		 path);
	cr_expect_str_eq(err, want);
	tmpdir_remove(dir);
}

/* Lines of up to 199 characters are read whole and counted once; a
 * longer one is refused at its own line. */
Test(config_load, long_lines)
{
	char *dir = tmpdir_new("config");
	char text[1024], err[512], want[512], value[256];
	const char *path;
	struct config *c;

	memset(value, 'x', sizeof(value));
	/* "path = /" is 8 characters: a line of 199, then one of 200. */
	snprintf(text, sizeof(text), "[store]\npath = /%.*s\nmap_size = 1X\n",
		 191, value);
	path = put(dir, "otzyv.conf", text);
	cr_expect_null(c = config_load(path, err, sizeof(err)));
	config_free(c);
	snprintf(want, sizeof(want), "%s:3: map_size: \"1X\" is not a size",
		 path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "%s", err);
	snprintf(text, sizeof(text), "[store]\npath = /%.*s\n", 191, value);
	cr_assert_not_null(c = load_text(dir, text, err, sizeof(err)), "%s",
			   err);
	cr_expect_eq(strlen(c->store_path), 192);
	config_free(c);
	snprintf(text, sizeof(text), "[store]\npath = /%.*s\n\n", 192, value);
	path = put(dir, "otzyv.conf", text);
	cr_expect_null(c = config_load(path, err, sizeof(err)));
	config_free(c);
	snprintf(want, sizeof(want), "%s:2: line longer than 199 characters",
		 path);
	cr_expect_str_eq(err, want);
	tmpdir_remove(dir);
}

/* A message longer than the caller's buffer is cut, not overrun. */
Test(config_load, small_error_buffer)
{
	char *dir = tmpdir_new("config");
	char err[24];

	memset(err, 'X', sizeof(err));
	cr_expect_null(load_text(dir, "[bogus]\nk = v\n", err, 16));
	cr_expect_eq(strlen(err), 15);
	cr_expect_eq(err[16], 'X');
	tmpdir_remove(dir);
}

/* An empty [ca NAME] section is a CA without a cert like any other. */
Test(config_load, empty_ca_section)
{
	char *dir = tmpdir_new("config");
	char err[512] = "", want[512];
	struct config *c = load_text(dir, "[store]\npath = /x\n[ca lonely]\n",
				     err, sizeof(err));

	cr_expect_null(c, "an empty [ca lonely] was accepted");
	config_free(c);
	snprintf(want, sizeof(want),
		 "%s:3: [ca lonely] has no cert =", path_in(dir, "otzyv.conf"));
	cr_expect_str_eq(err, want);
	tmpdir_remove(dir);
}

/* ---- value parsers --------------------------------------------------------
 */

Test(config_parse, duration)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} rows[] = {
	    {"0", 1, 0},
	    {"0s", 1, 0},
	    {"1", 1, 1},
	    {"30s", 1, 30},
	    {"15m", 1, 900},
	    {"12h", 1, 43200},
	    {"7d", 1, 604800},
	    {"007d", 1, 604800},
	    /* the largest value, in seconds, whose milliseconds fit */
	    {"9223372036854775", 1, 9223372036854775LL},
	    {"106751991167d", 1, 106751991167LL * 86400},
	    {"2562047788015h", 1, 2562047788015LL * 3600},
	    {"153722867280912m", 1, 153722867280912LL * 60},
	    /* bad */
	    {"", 0, 0},
	    {"s", 0, 0},
	    {"1x", 0, 0},
	    {"1S", 0, 0},
	    {"1w", 0, 0},
	    {"10ss", 0, 0},
	    {"1h30m", 0, 0},
	    {"10 s", 0, 0},
	    {" 10", 0, 0},
	    {"-1", 0, 0},
	    {"+5", 0, 0},
	    {"1.5h", 0, 0},
	    {"0x10", 0, 0},
	    /* overflow */
	    {"9223372036854776", 0, 0},
	    {"106751991168d", 0, 0},
	    {"2562047788016h", 0, 0},
	    {"153722867280913m", 0, 0},
	    {"9223372036854775807", 0, 0},
	    {"99999999999999999999", 0, 0},
	    {"99999999999999999999d", 0, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		int64_t v = -42;
		int ok = config_parse_duration(rows[i].in, &v);

		cr_expect_eq(ok, rows[i].ok, "row %zu (\"%s\")", i, rows[i].in);
		cr_expect_eq(v, ok ? rows[i].want : -42,
			     "row %zu (\"%s\"): %lld", i, rows[i].in,
			     (long long)v);
	}
}

Test(config_parse, size)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} rows[] = {
	    {"0", 1, 0},
	    {"4096", 1, 4096},
	    {"64K", 1, 64u << 10},
	    {"64k", 1, 64u << 10},
	    {"512M", 1, 512u << 20},
	    {"8G", 1, 8ull << 30},
	    {"1T", 1, 1ull << 40},
	    {"18446744073709551615", 1, UINT64_MAX},
	    {"16777215T", 1, 16777215ull << 40},
	    {"17179869183G", 1, 17179869183ull << 30},
	    {"512m", 1, 512ull << 20},
	    {"8g", 1, 8ull << 30},
	    {"1t", 1, 1ull << 40},
	    /* bad */
	    {"", 0, 0},
	    {"K", 0, 0},
	    {"1.5G", 0, 0},
	    {"1x", 0, 0},
	    {"8GB", 0, 0},
	    {"8 G", 0, 0},
	    {" 8G", 0, 0},
	    {"-1", 0, 0},
	    {"+1", 0, 0},
	    {"1P", 0, 0},
	    /* overflow */
	    {"18446744073709551616", 0, 0},
	    {"16777216T", 0, 0},
	    {"17179869184G", 0, 0},
	    {"99999999999999999999K", 0, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		uint64_t v = 4242;
		int ok = config_parse_size(rows[i].in, &v);

		cr_expect_eq(ok, rows[i].ok, "row %zu (\"%s\")", i, rows[i].in);
		cr_expect_eq(v, ok ? rows[i].want : 4242,
			     "row %zu (\"%s\"): %llu", i, rows[i].in,
			     (unsigned long long)v);
	}
}

/* The documented example file is a valid configuration with the
 * documented defaults. */
Test(config_load, shipped_example_loads)
{
	char path[1024], err[512];
	struct config *c;

	snprintf(path, sizeof(path), "%s/../etc/otzyv.conf",
		 env_path("TESTS_SRCDIR"));
	c = config_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->store_path, "/var/lib/otzyv");
	cr_assert_eq(c->map_size, 8ull << 30);
	cr_assert_eq(c->gost, GOST_AUTO);
	cr_assert_eq(c->stale_grace, 0);
	cr_assert_eq(c->verify_max_body, 64ull << 20);
	cr_assert_eq(c->verify_max_batch, 1000);
	cr_assert_eq(c->ncas, 0);
	config_free(c);
}

/* Every key of the parser's table is in the shipped example and in
 * otzyv.conf(5). */
Test(config_load, every_key_documented)
{
	const char *src = env_path("TESTS_SRCDIR");
	char *out = NULL;

	cr_assert_eq(
	    run_capture(
		&out,
		"cd '%s/..' && sed -n 's/^ *{\"\\([a-z]*\\)\", "
		"\"\\([a-z_]*\\)\".*/\\2/p' src/config/config.c | "
		"while read -r k; do "
		"grep -Eq \"^;? ?$k =\" etc/otzyv.conf || "
		"echo \"$k: not in etc/otzyv.conf\"; "
		"grep -Eq \"^\\.B[IR] \\\"?$k\\\"? \" man/otzyv.conf.5 || "
		"echo \"$k: not in man/otzyv.conf.5\"; done",
		src),
	    0);
	cr_assert_str_eq(out, "", "%s", out);
	free(out);
}
