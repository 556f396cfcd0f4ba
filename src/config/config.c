/*
 * The config file, through inih. The handler sees one key at a time;
 * ini_parse() reports the line of the first syntax error or refused key,
 * and we keep the first refusal with its line. Our reader counts lines
 * and spots section headers, which inih does not pass to the handler,
 * so that a CA's messages name its header and an empty [ca NAME] is
 * noticed.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <ini.h>

#include "otzyv/config.h"
#include "otzyv/limits.h"

struct parse {
	struct config *c;
	char msg[256];
	int failed;
	int fail_line; /* of the first refusal */
	int lineno;    /* counted by our reader */
	int header;    /* line of the last [section] header, or 0 */
	int keys;      /* handler calls since that header */
	int tsl_line;  /* of the last [tsl] url or file */
	char header_name[128];
	uint64_t seen; /* single-valued keys given: bit = row of keys[] */
	char section[128];
	FILE *f;
};

static int refuse_at(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first refusal and its line; returns 0 for the handler. */
static int
refuse_at(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
		p->failed = 1;
		p->fail_line = line;
	}
	return 0;
}

#define refuse(p, ...) refuse_at((p), (p)->lineno, __VA_ARGS__)

int
config_parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mul = 1;

	errno = 0;
	if (*s < '0' || *s > '9')
		return 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return 0;
	}
	if (*end && end[1])
		return 0;
	if (v > INT64_MAX / mul / 1000)
		return 0;
	*out = v * mul;
	return 1;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	if (*s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mul = 1024;
		break;
	case 'M':
	case 'm':
		mul = 1024 * 1024;
		break;
	case 'G':
	case 'g':
		mul = 1024ull * 1024 * 1024;
		break;
	case 'T':
	case 't':
		mul = 1024ull * 1024 * 1024 * 1024;
		break;
	default:
		return 0;
	}
	if (*end && end[1])
		return 0;
	if (v > UINT64_MAX / mul)
		return 0;
	*out = v * mul;
	return 1;
}

/* A path from the config, relative ones against the config's folder. */
static char *
resolve(const struct config *c, const char *v)
{
	const char *slash = strrchr(c->path, '/');
	char *out;
	size_t dir;

	if (v[0] == '/' || slash == NULL)
		return strdup(v);
	dir = (size_t)(slash - c->path);
	if ((out = malloc(dir + 1 + strlen(v) + 1)) == NULL)
		return NULL;
	memcpy(out, c->path, dir);
	out[dir] = '/';
	strcpy(out + dir + 1, v);
	return out;
}

/* A new [ca NAME] section. */
static int
new_ca(struct parse *p, const char *name)
{
	struct config *c = p->c;
	struct config_ca *n;
	size_t i;

	if (*name == '\0')
		return refuse_at(p, p->header, "[ca] needs a name: [ca NAME]");
	for (i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i].name, name) == 0)
			return refuse_at(p, p->header, "[ca %s] defined twice",
					 name);
	if ((n = realloc(c->cas, (c->ncas + 1) * sizeof(*n))) == NULL)
		return refuse(p, "out of memory");
	c->cas = n;
	memset(&c->cas[c->ncas], 0, sizeof(c->cas[0]));
	if ((c->cas[c->ncas].name = strdup(name)) == NULL)
		return refuse(p, "out of memory");
	c->cas[c->ncas].line = p->header;
	c->ncas++;
	return 1;
}

static int
set_path(struct parse *p, char **dst, const char *v)
{
	free(*dst);
	if ((*dst = resolve(p->c, v)) == NULL)
		return refuse(p, "out of memory");
	return 1;
}

enum kind {
	K_PATH,	     /* char *, relative to the config's folder */
	K_STRING,    /* char * */
	K_SIZE,	     /* uint64_t, "64K" */
	K_DURATION,  /* int64_t seconds, "15m" */
	K_COUNT,     /* unsigned, decimal */
	K_CHOICE,    /* int: index in "a|b|c" */
	K_LISTEN,    /* repeatable address list */
	K_LIST,	     /* repeatable: struct config_list */
	K_PATH_LIST, /* repeatable: struct config_list of resolved paths */
	K_URL,	     /* char *, an http, https or file URL */
	K_ADDR,	     /* char *, HOST:PORT, or empty for none */
	K_HEX64,     /* char *, 64 hex digits (a SHA-256) */
};

/* Every key of the fixed sections; [ca NAME] keys are in on_ca(). */
static const struct key {
	const char *section, *name;
	enum kind kind;
	size_t off;
	uint64_t min, max;
	const char *choices;
} keys[] = {
#define F(f) offsetof(struct config, f)
    {"store", "path", K_PATH, F(store_path), 0, 0, NULL},
    {"store", "map_size", K_SIZE, F(map_size), 1 << 20, UINT64_MAX, NULL},
    {"crypto", "gost", K_CHOICE, F(gost), 0, 0, "auto|yes|no"},
    {"server", "listen", K_LISTEN, F(listen), 0, 0, NULL},
    {"server", "threads", K_COUNT, F(threads), 0, 256, NULL},
    {"server", "max_header", K_SIZE, F(max_header), 1024, 1 << 20, NULL},
    {"server", "max_ocsp_request", K_SIZE, F(max_ocsp_request), 256, 1 << 20,
     NULL},
    {"server", "max_requests", K_COUNT, F(max_requests), 1, 64, NULL},
    {"server", "idle_timeout", K_DURATION, F(idle_timeout), 1, 86400, NULL},
    {"server", "read_timeout", K_DURATION, F(read_timeout), 1, 3600, NULL},
    {"server", "max_connections", K_COUNT, F(max_connections), 1, 1000000,
     NULL},
    {"server", "max_keepalive_requests", K_COUNT, F(max_keepalive_requests), 1,
     100000000, NULL},
    {"server", "user", K_STRING, F(user), 0, 0, NULL},
    {"server", "access_log", K_CHOICE, F(access_log), 0, 0, "no|yes"},
    {"server", "admin_listen", K_ADDR, F(admin_listen), 0, 0, NULL},
    {"fetch", "interval", K_DURATION, F(fetch_interval), 1, 7 * 86400, NULL},
    {"fetch", "timeout", K_DURATION, F(fetch_timeout), 1, 86400, NULL},
    {"fetch", "connect_timeout", K_DURATION, F(fetch_connect_timeout), 1, 600,
     NULL},
    {"fetch", "low_speed_limit", K_SIZE, F(fetch_low_speed_limit), 0, 1 << 30,
     NULL},
    {"fetch", "low_speed_time", K_DURATION, F(fetch_low_speed_time), 1, 3600,
     NULL},
    {"fetch", "max_redirects", K_COUNT, F(fetch_max_redirects), 0, 20, NULL},
    {"fetch", "max_crl_size", K_SIZE, F(fetch_max_crl_size), 1024,
     MAX_CRL_FILE_SIZE, NULL},
    {"fetch", "concurrency", K_COUNT, F(fetch_concurrency), 1, 64, NULL},
    {"fetch", "user_agent", K_STRING, F(fetch_user_agent), 0, 0, NULL},
    {"fetch", "retry_min", K_DURATION, F(fetch_retry_min), 1, 86400, NULL},
    {"fetch", "retry_max", K_DURATION, F(fetch_retry_max), 1, 7 * 86400, NULL},
    {"fetch", "ca_bundle", K_PATH, F(fetch_ca_bundle), 0, 0, NULL},
    {"tsl", "url", K_URL, F(tsl_url), 0, 0, NULL},
    {"tsl", "file", K_PATH, F(tsl_file), 0, 0, NULL},
    {"tsl", "refresh", K_DURATION, F(tsl_refresh), 60, 30 * 86400, NULL},
    {"tsl", "sha256", K_HEX64, F(tsl_sha256), 0, 0, NULL},
    {"tsl", "exclude", K_LIST, F(tsl_exclude), 0, 0, NULL},
    {"tsl", "max_size", K_SIZE, F(tsl_max_size), 4096, 1ull << 32, NULL},
    {"responder", "cert", K_PATH, F(responder_cert), 0, 0, NULL},
    {"responder", "key", K_PATH, F(responder_key), 0, 0, NULL},
    {"responder", "nonce", K_CHOICE, F(nonce_ignore), 0, 0, "echo|ignore"},
    {"responder", "stale", K_CHOICE, F(stale_serve), 0, 0, "trylater|serve"},
    {"responder", "stale_grace", K_DURATION, F(stale_grace), 0, 30 * 86400,
     NULL},
    {"responder", "cache_size", K_SIZE, F(cache_size), 0, (uint64_t)1 << 40,
     NULL},
    {"responder", "max_age", K_DURATION, F(max_age), 0, 7 * 86400, NULL},
    {"verify", "max_body", K_SIZE, F(verify_max_body), 1024, 1ull << 30, NULL},
    {"verify", "max_batch", K_COUNT, F(verify_max_batch), 1, 100000, NULL},
    {"verify", "anchors", K_PATH_LIST, F(verify_anchors), 0, 0, NULL},
    {"verify", "intermediates", K_PATH_LIST, F(verify_intermediates), 0, 0,
     NULL},
    {"verify", "tsl_anchors", K_CHOICE, F(verify_tsl_anchors), 0, 0, "no|yes"},
    {"verify", "trust_claimed_signing_time", K_CHOICE, F(verify_trust_claimed),
     0, 0, "no|yes"},
    {"verify", "cautionary_period", K_DURATION, F(verify_cautionary), 0,
     7 * 86400, NULL},
    {"verify", "threads", K_COUNT, F(verify_threads), 0, 256, NULL},
    {"verify", "queue", K_COUNT, F(verify_queue), 1, 100000, NULL},
    {"verify", "audit_log", K_CHOICE, F(verify_audit_log), 0, 0, "no|yes"},
    {"verify", "audit_file", K_PATH, F(verify_audit_file), 0, 0, NULL},
#undef F
};

_Static_assert(sizeof(enum gost_mode) == sizeof(int), "K_CHOICE stores int");
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= 64, "seen is 64 bits");

static int
choice(const char *choices, const char *v, int *out)
{
	size_t n = strlen(v);
	const char *c = choices;
	int i;

	for (i = 0; c != NULL; i++) {
		if (strncmp(c, v, n) == 0 && (c[n] == '|' || c[n] == '\0')) {
			*out = i;
			return 1;
		}
		c = strchr(c, '|');
		c = c ? c + 1 : NULL;
	}
	return 0;
}

/*
 * 1 when v is ADDRESS:PORT as otzyvd binds it (evutil_parse_sockaddr_port):
 * a numeric IPv4 address, or an IPv6 one in brackets, and a port from 1
 * to 65535. Host names are not looked up, so "localhost:8080" is refused
 * here, with the line it is on, rather than when otzyvd binds.
 */
static int
is_address(const char *v)
{
	char host[64], *pct;
	const char *colon, *h = v;
	size_t hlen;
	unsigned char buf[16];
	char *end;
	unsigned long port;
	int v6 = *v == '[';

	if (v6) {
		if ((colon = strchr(v, ']')) == NULL || colon[1] != ':')
			return 0;
		h = v + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strchr(v, ':')) == NULL || strchr(colon + 1, ':'))
			return 0;
		hlen = (size_t)(colon - v);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return 0;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	/* A link-local address may name its interface (fe80::1%eth0). */
	if (v6 && (pct = strchr(host, '%')) != NULL && pct[1] != '\0')
		*pct = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		return 0;
	if (!isdigit((unsigned char)colon[1]))
		return 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && port >= 1 && port <= 65535;
}

static int
add_listen(struct parse *p, const char *v)
{
	struct config *c = p->c;
	char **n;

	if (!is_address(v))
		return refuse(p,
			      "listen: \"%s\" is not ADDRESS:PORT, the address "
			      "numeric (127.0.0.1:8080, [::1]:8080)",
			      v);
	if ((n = realloc(c->listen, (c->nlisten + 1) * sizeof(*n))) == NULL ||
	    (n[c->nlisten] = strdup(v)) == NULL)
		return refuse(p, "out of memory");
	c->listen = n;
	c->nlisten++;
	return 1;
}

static int
add_list(struct parse *p, struct config_list *l, const char *v)
{
	char **n;

	if ((n = realloc(l->v, (l->n + 1) * sizeof(*n))) == NULL ||
	    (n[l->n] = strdup(v)) == NULL)
		return refuse(p, "out of memory");
	l->v = n;
	l->n++;
	return 1;
}

static int
is_hex64(const char *v)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)v[i]))
			return 0;
	return v[64] == '\0';
}

static int
is_url(const char *v)
{
	return strncmp(v, "http://", 7) == 0 ||
	       strncmp(v, "https://", 8) == 0 || strncmp(v, "file://", 7) == 0;
}

/* One key = value of a fixed section, as keys[k] says. */
static int
set_key(struct parse *p, size_t k, const char *v)
{
	const struct key *key = &keys[k];
	void *dst = (char *)p->c + key->off;
	uint64_t u;
	int64_t d;
	char *end;
	unsigned long n;

	if (key->kind == K_LISTEN)
		return add_listen(p, v);
	if (key->kind == K_LIST)
		return add_list(p, dst, v);
	if (key->kind == K_PATH_LIST) {
		char *path = resolve(p->c, v);
		int ok;

		if (path == NULL)
			return refuse(p, "out of memory");
		ok = add_list(p, dst, path);
		free(path);
		return ok;
	}
	if (p->seen & ((uint64_t)1 << k))
		return refuse(p, "%s: given twice", key->name);
	p->seen |= (uint64_t)1 << k;
	switch (key->kind) {
	case K_PATH:
		return set_path(p, dst, v);
	case K_URL:
		if (!is_url(v))
			return refuse(
			    p,
			    "%s: \"%s\" is not an http, https or file "
			    "URL",
			    key->name, v);
		goto string;
	case K_ADDR:
		if (*v != '\0' && !is_address(v))
			return refuse(p,
				      "%s: \"%s\" is not ADDRESS:PORT, the "
				      "address numeric (127.0.0.1:8081), or "
				      "empty for none",
				      key->name, v);
		goto string;
	case K_HEX64:
		if (!is_hex64(v))
			return refuse(p, "%s: \"%s\" is not 64 hex digits",
				      key->name, v);
		goto string;
	case K_STRING:
	string:
		free(*(char **)dst);
		if ((*(char **)dst = strdup(v)) == NULL)
			return refuse(p, "out of memory");
		return 1;
	case K_SIZE:
		if (!config_parse_size(v, &u) || u < key->min || u > key->max)
			return refuse(p,
				      "%s: \"%s\" is not a size from %llu to "
				      "%llu bytes (64K, 512M, 8G)",
				      key->name, v,
				      (unsigned long long)key->min,
				      (unsigned long long)key->max);
		*(uint64_t *)dst = u;
		return 1;
	case K_DURATION:
		if (!config_parse_duration(v, &d) || d < (int64_t)key->min ||
		    d > (int64_t)key->max)
			return refuse(p,
				      "%s: \"%s\" is not a duration from %llus "
				      "to %llus (30s, 15m, 12h, 7d)",
				      key->name, v,
				      (unsigned long long)key->min,
				      (unsigned long long)key->max);
		*(int64_t *)dst = d;
		return 1;
	case K_COUNT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || errno || n < key->min ||
		    n > key->max)
			return refuse(p,
				      "%s: \"%s\" is not a number from %llu to "
				      "%llu",
				      key->name, v,
				      (unsigned long long)key->min,
				      (unsigned long long)key->max);
		*(unsigned *)dst = (unsigned)n;
		return 1;
	case K_CHOICE:
		if (!choice(key->choices, v, dst))
			return refuse(p, "%s: \"%s\" is not one of %s",
				      key->name, v, key->choices);
		return 1;
	case K_LISTEN:
	case K_LIST:
	case K_PATH_LIST:
		break;
	}
	return 0;
}

static int
on_ca(struct parse *p, const char *name, const char *value)
{
	struct config_ca *ca = &p->c->cas[p->c->ncas - 1];
	char **dst = NULL;

	if (strcmp(name, "crl") == 0) {
		char **n = realloc(ca->crl, (ca->ncrl + 1) * sizeof(*n));

		if (n == NULL)
			return refuse(p, "out of memory");
		ca->crl = n;
		if (!is_url(value))
			return refuse(p,
				      "crl: \"%s\" is not an http, https or "
				      "file URL",
				      value);
		if ((ca->crl[ca->ncrl] = strdup(value)) == NULL)
			return refuse(p, "out of memory");
		ca->ncrl++;
		return 1;
	}
	if (strcmp(name, "max_crl_size") == 0) {
		if (ca->max_crl_size != 0)
			return refuse(p, "%s: given twice in [ca %s]", name,
				      ca->name);
		if (!config_parse_size(value, &ca->max_crl_size) ||
		    ca->max_crl_size < 1024 ||
		    ca->max_crl_size > MAX_CRL_FILE_SIZE)
			return refuse(p,
				      "max_crl_size: \"%s\" is not a size from "
				      "1024 to 4294967295 bytes (64K, 512M)",
				      value);
		return 1;
	}
	if (strcmp(name, "cert") == 0)
		dst = &ca->cert;
	else if (strcmp(name, "responder_cert") == 0)
		dst = &ca->responder_cert;
	else if (strcmp(name, "responder_key") == 0)
		dst = &ca->responder_key;
	else
		return refuse(p, "unknown key \"%s\" in [ca %s]", name,
			      ca->name);
	if (*dst != NULL)
		return refuse(p, "%s: given twice in [ca %s]", name, ca->name);
	return set_path(p, dst, value);
}

static int
known_section(const char *section)
{
	size_t k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strcmp(keys[k].section, section) == 0)
			return 1;
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t k;

	p->keys++;
	if (p->failed)
		return 0;
	if (strcmp(section, p->section) != 0) {
		snprintf(p->section, sizeof(p->section), "%s", section);
		if (strncmp(section, "ca ", 3) == 0 ||
		    strcmp(section, "ca") == 0) {
			const char *n = section + 2;

			while (*n == ' ')
				n++;
			if (!new_ca(p, n))
				return 0;
		}
	}
	if (strncmp(section, "ca ", 3) == 0)
		return on_ca(p, name, value);
	if (!known_section(section))
		return refuse(p, "unknown section [%s]", section);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strcmp(keys[k].section, section) == 0 &&
		    strcmp(keys[k].name, name) == 0) {
			if (strcmp(section, "tsl") == 0 &&
			    (strcmp(name, "url") == 0 ||
			     strcmp(name, "file") == 0))
				p->tsl_line = p->lineno;
			return set_key(p, k, value);
		}
	return refuse(p, "unknown key \"%s\" in [%s]", name, section);
}

/*
 * Whether inih will read `line` as a [section] header, and its name:
 * not an indented continuation of a value (INI_ALLOW_MULTILINE), and a
 * ']' before any inline comment, as ini.c decides.
 */
static int
is_header(const struct parse *p, const char *line, char *out, size_t size)
{
	const char *s = line, *e;

	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[' || (s > line && p->keys > 0))
		return 0;
	for (e = s + 1; *e != '\0' && *e != ']'; e++)
		if (*e == ';' && isspace((unsigned char)e[-1]))
			return 0;
	if (*e != ']')
		return 0;
	snprintf(out, size, "%.*s", (int)(e - s - 1), s + 1);
	return 1;
}

/* A section without keys never reaches the handler: check it here. */
static void
check_empty_section(struct parse *p)
{
	const char *n = p->header_name;

	if (p->header == 0 || p->keys > 0)
		return;
	if (known_section(n))
		return;
	if (strncmp(n, "ca", 2) != 0 || (n[2] != ' ' && n[2] != '\0')) {
		refuse_at(p, p->header, "unknown section [%s]", n);
		return;
	}
	for (n += 2; *n == ' '; n++)
		;
	if (*n == '\0')
		refuse_at(p, p->header, "[ca] needs a name: [ca NAME]");
	else
		refuse_at(p, p->header, "[ca %s] has no cert =", n);
}

/* ini_reader that counts lines and notes section headers. */
/* Whether a line that filled the buffer ends here: at the end of f, or
 * at a newline, which is taken (else inih would count it as a line of
 * its own, and every later line number would be one too high). */
static int
at_line_end(FILE *f)
{
	int ch = getc(f);

	if (ch == EOF || ch == '\n')
		return 1;
	ungetc(ch, f);
	return 0;
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(str, num, p->f);
	char name[sizeof(p->header_name)];

	if (r == NULL) {
		check_empty_section(p);
		return NULL;
	}
	p->lineno++;
	/* A longer line would come in pieces, inih counting its rest as
	 * the next line: refused here, at its own number. */
	if (strchr(r, '\n') == NULL && !at_line_end(p->f))
		refuse(p, "line longer than %d characters", num - 1);
	if (is_header(p, str, name, sizeof(name))) {
		check_empty_section(p);
		p->header = p->lineno;
		p->keys = 0;
		memcpy(p->header_name, name, sizeof(name));
		/* So that a [ca NAME] given twice in a row is noticed. */
		p->section[0] = '\0';
	}
	return r;
}

static int
validate(struct parse *p)
{
	size_t i;

	if (p->c->tsl_url != NULL && p->c->tsl_file != NULL)
		return refuse_at(p, p->tsl_line,
				 "[tsl] takes url or file, not both");
	for (i = 0; i < p->c->ncas; i++) {
		if (p->c->cas[i].cert == NULL)
			return refuse_at(
			    p, p->c->cas[i].line,
			    "[ca %s] has no cert =", p->c->cas[i].name);
	}
	/* "user =" unsets it, as "admin_listen =" does: no user named "". */
	if (p->c->user != NULL && p->c->user[0] == '\0') {
		free(p->c->user);
		p->c->user = NULL;
	}
	return 1;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	c = config_read(f, path, err, errlen);
	fclose(f);
	return c;
}

struct config *
config_read(FILE *f, const char *path, char *err, size_t errlen)
{
	struct parse p;
	struct config *c = calloc(1, sizeof(*c));
	int line;

	memset(&p, 0, sizeof(p));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(c);
		return NULL;
	}
	c->gost = GOST_AUTO;
	c->store_path = strdup("/var/lib/otzyv");
	c->max_header = 8192;
	c->max_ocsp_request = 16384;
	c->max_requests = 16;
	c->idle_timeout = 60;
	c->read_timeout = 10;
	c->max_connections = 10000;
	c->max_keepalive_requests = 10000;
	c->cache_size = 64ull << 20;
	c->max_age = 3600;
	c->admin_listen = strdup("127.0.0.1:8081");
	c->fetch_interval = 30 * 60;
	c->fetch_timeout = 10 * 60;
	c->fetch_connect_timeout = 30;
	c->fetch_low_speed_limit = 1024;
	c->fetch_low_speed_time = 60;
	c->fetch_max_redirects = 5;
	c->fetch_max_crl_size = 512ull << 20;
	c->fetch_concurrency = 4;
	c->fetch_user_agent = strdup("otzyv/" PACKAGE_VERSION);
	c->fetch_retry_min = 60;
	c->fetch_retry_max = 30 * 60;
	c->tsl_refresh = 6 * 3600;
	c->tsl_max_size = 256ull << 20;
	c->verify_max_body = 64ull << 20;
	c->verify_max_batch = 1000;
	c->verify_threads = 1;
	c->verify_queue = 64;
	c->verify_tsl_anchors = 1;
	p.c = c;
	p.f = f;
	line = ini_parse_stream(reader, &p, handler, &p);
	if (line == 0 && !p.failed)
		validate(&p);
	/* The first error wins: inih's line is its own syntax error or
	 * the first key we refused; the reader and validate() refuse on
	 * header lines inih does not know about. */
	if (line != 0 && (!p.failed || line < p.fail_line)) {
		snprintf(p.msg, sizeof(p.msg),
			 "syntax error (expected [section] or key = value; "
			 "lines up to %d characters)",
			 INI_MAX_LINE - 1);
		p.fail_line = line;
	}
	if (line != 0 || p.failed) {
		snprintf(err, errlen, "%s:%d: %s", path, p.fail_line, p.msg);
		config_free(c);
		return NULL;
	}
	return c;
}

static void
list_free(struct config_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncas; i++) {
		free(c->cas[i].name);
		free(c->cas[i].cert);
		free(c->cas[i].responder_cert);
		free(c->cas[i].responder_key);
		for (j = 0; j < c->cas[i].ncrl; j++)
			free(c->cas[i].crl[j]);
		free(c->cas[i].crl);
	}
	free(c->cas);
	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->listen);
	free(c->user);
	free(c->admin_listen);
	free(c->fetch_user_agent);
	free(c->fetch_ca_bundle);
	free(c->tsl_url);
	free(c->tsl_file);
	free(c->tsl_sha256);
	list_free(&c->tsl_exclude);
	list_free(&c->verify_anchors);
	list_free(&c->verify_intermediates);
	free(c->verify_audit_file);
	free(c->responder_cert);
	free(c->responder_key);
	free(c->store_path);
	free(c->path);
	free(c);
}
