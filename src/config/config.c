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
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "otzyv/config.h"

struct parse {
	struct config *c;
	char msg[256];
	int failed;
	int fail_line; /* of the first refusal */
	int lineno;    /* counted by our reader */
	int header;    /* line of the last [section] header, or 0 */
	int keys;      /* handler calls since that header */
	char header_name[128];
	unsigned seen; /* single-valued keys given, per section kind */
	char section[128];
	FILE *f;
};

enum {
	SEEN_STORE_PATH = 1u << 0,
	SEEN_MAP_SIZE = 1u << 1,
	SEEN_GOST = 1u << 2,
	SEEN_STALE_GRACE = 1u << 3,
};

static int
refuse_at(struct parse *p, int line, const char *fmt, const char *a,
	  const char *b)
{
	if (!p->failed) {
		snprintf(p->msg, sizeof(p->msg), fmt, a, b);
		p->failed = 1;
		p->fail_line = line;
	}
	return 0;
}

static int
refuse(struct parse *p, const char *fmt, const char *a, const char *b)
{
	return refuse_at(p, p->lineno, fmt, a, b);
}

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

static int
once(struct parse *p, unsigned bit, const char *name)
{
	if (p->seen & bit)
		return refuse(p, "%s: given twice%s", name, "");
	p->seen |= bit;
	return 1;
}

static int
set_string(struct parse *p, char **dst, const char *v)
{
	free(*dst);
	if ((*dst = resolve(p->c, v)) == NULL)
		return refuse(p, "out of memory%s%s", "", "");
	return 1;
}

static int
on_ca(struct parse *p, const char *name, const char *value)
{
	struct config_ca *ca = &p->c->cas[p->c->ncas - 1];

	if (strcmp(name, "cert") == 0) {
		if (ca->cert != NULL)
			return refuse(p, "cert: given twice in [ca %s]%s",
				      ca->name, "");
		return set_string(p, &ca->cert, value);
	}
	if (strcmp(name, "crl") == 0) {
		char **n = realloc(ca->crl, (ca->ncrl + 1) * sizeof(*n));

		if (n == NULL)
			return refuse(p, "out of memory%s%s", "", "");
		ca->crl = n;
		if (strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0 &&
		    strncmp(value, "file://", 7) != 0)
			return refuse(p,
				      "crl: \"%s\" is not an http, https or "
				      "file URL%s",
				      value, "");
		if ((ca->crl[ca->ncrl] = strdup(value)) == NULL)
			return refuse(p, "out of memory%s%s", "", "");
		ca->ncrl++;
		return 1;
	}
	return refuse(p, "unknown key \"%s\" in [ca %s]", name, ca->name);
}

/* A new [ca NAME] section. */
static int
new_ca(struct parse *p, const char *name)
{
	struct config *c = p->c;
	struct config_ca *n;
	size_t i;

	if (*name == '\0')
		return refuse_at(p, p->header,
				 "[ca] needs a name: [ca NAME]%s%s", "", "");
	for (i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i].name, name) == 0)
			return refuse_at(p, p->header,
					 "[ca %s] defined twice%s", name, "");
	if ((n = realloc(c->cas, (c->ncas + 1) * sizeof(*n))) == NULL)
		return refuse(p, "out of memory%s%s", "", "");
	c->cas = n;
	memset(&c->cas[c->ncas], 0, sizeof(c->cas[0]));
	if ((c->cas[c->ncas].name = strdup(name)) == NULL)
		return refuse(p, "out of memory%s%s", "", "");
	c->cas[c->ncas].line = p->header;
	c->ncas++;
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct config *c = p->c;

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
	if (strcmp(section, "store") == 0) {
		if (strcmp(name, "path") == 0)
			return once(p, SEEN_STORE_PATH, name) &&
			       set_string(p, &c->store_path, value);
		if (strcmp(name, "map_size") == 0) {
			if (!once(p, SEEN_MAP_SIZE, name))
				return 0;
			if (!config_parse_size(value, &c->map_size) ||
			    c->map_size < (1u << 20))
				return refuse(p,
					      "map_size: \"%s\" is not a "
					      "size of at least 1M (64K, "
					      "512M, 8G)%s",
					      value, "");
			return 1;
		}
	} else if (strcmp(section, "crypto") == 0) {
		if (strcmp(name, "gost") == 0) {
			if (!once(p, SEEN_GOST, name))
				return 0;
			if (strcmp(value, "auto") == 0)
				c->gost = GOST_AUTO;
			else if (strcmp(value, "yes") == 0)
				c->gost = GOST_YES;
			else if (strcmp(value, "no") == 0)
				c->gost = GOST_NO;
			else
				return refuse(p,
					      "gost: \"%s\" is not auto, yes "
					      "or no%s",
					      value, "");
			return 1;
		}
	} else if (strcmp(section, "responder") == 0) {
		if (strcmp(name, "stale_grace") == 0) {
			if (!once(p, SEEN_STALE_GRACE, name))
				return 0;
			if (!config_parse_duration(value, &c->stale_grace))
				return refuse(p,
					      "stale_grace: \"%s\" is not a "
					      "duration (30s, 15m, 12h, "
					      "7d)%s",
					      value, "");
			return 1;
		}
	} else if (strncmp(section, "ca ", 3) == 0) {
		return on_ca(p, name, value);
	} else {
		return refuse(p, "unknown section [%s]%s", section, "");
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
	if (strcmp(n, "store") == 0 || strcmp(n, "crypto") == 0 ||
	    strcmp(n, "responder") == 0)
		return;
	if (strncmp(n, "ca", 2) != 0 || (n[2] != ' ' && n[2] != '\0')) {
		refuse_at(p, p->header, "unknown section [%s]%s", n, "");
		return;
	}
	for (n += 2; *n == ' '; n++)
		;
	if (*n == '\0')
		refuse_at(p, p->header, "[ca] needs a name: [ca NAME]%s%s", "",
			  "");
	else
		refuse_at(p, p->header, "[ca %s] has no cert =%s", n, "");
}

/* ini_reader that counts lines and notes section headers. */
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

	for (i = 0; i < p->c->ncas; i++) {
		if (p->c->cas[i].cert == NULL)
			return refuse_at(p, p->c->cas[i].line,
					 "[ca %s] has no cert =%s",
					 p->c->cas[i].name, "");
	}
	return 1;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
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
	p.c = c;
	if ((p.f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		config_free(c);
		return NULL;
	}
	line = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
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

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncas; i++) {
		free(c->cas[i].name);
		free(c->cas[i].cert);
		for (j = 0; j < c->cas[i].ncrl; j++)
			free(c->cas[i].crl[j]);
		free(c->cas[i].crl);
	}
	free(c->cas);
	free(c->store_path);
	free(c->path);
	free(c);
}
