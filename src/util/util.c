/*
 * hex, RFC 3339 time, the clock and file mappings.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otzyv/util.h"

int
blank(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

char *
hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0, digits = 0;
	const char *p;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (p = s; *p; p++)
		if (*p != ':')
			digits++;
	if (digits == 0)
		return -1;
	/* An odd count is a leading zero nibble ("1ABC" is 01 AB C). */
	if (digits % 2)
		hi = 0;
	for (p = s; *p; p++) {
		int v;

		if (*p == ':')
			continue;
		if ((v = hex_digit(*p)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return (long)n;
}

size_t
utf8_whole(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = len, cont = 0, need;

	while (i > 0 && cont < 3 && (p[i - 1] & 0xC0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0 || p[i - 1] < 0xC0)
		return len; /* ends on ASCII, or is not UTF-8 anyway */
	need = p[i - 1] >= 0xF0 ? 3 : p[i - 1] >= 0xE0 ? 2 : 1;
	return cont >= need ? len : i - 1;
}

/* The first and last second of years 0000 to 9999: the years RFC 3339
 * and X.509's GeneralizedTime write, in four digits. */
#define FIRST_SECOND INT64_C(-62167219200)
#define LAST_SECOND INT64_C(253402300799)

/* A UTC instant taken apart. */
struct civil {
	int year;
	unsigned mon, mday, wday; /* 1..12, 1..31, 0 (Sunday)..6 */
	unsigned hour, min, sec;
};

/*
 * t (within FIRST_SECOND..LAST_SECOND) as a date of the proleptic
 * Gregorian calendar: the inverse of days-from-civil, in 400-year eras
 * counted from March. Not gmtime_r(): glibc's takes the process-wide
 * tzset lock, which every OCSP worker and verify thread would take for
 * each time it writes.
 */
static void
civil_of(int64_t t, struct civil *c)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	c->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	c->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(yoe + era * 400 + (c->mon <= 2));
	c->wday = (unsigned)(((days + 4) % 7 + 7) % 7); /* 1970-01-01: Thu */
	c->hour = (unsigned)(secs / 3600);
	c->min = (unsigned)(secs / 60 % 60);
	c->sec = (unsigned)(secs % 60);
}

/* n in `width` digits at p; returns the end. */
static char *
digits(char *p, unsigned n, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--, n /= 10)
		p[i] = (char)('0' + n % 10);
	return p + width;
}

/* "HH:MM:SS" of c at p; returns the end. */
static char *
time_of_day(char *p, const struct civil *c)
{
	p = digits(p, c->hour, 2);
	*p++ = ':';
	p = digits(p, c->min, 2);
	*p++ = ':';
	return digits(p, c->sec, 2);
}

char *
time_format(int64_t t, char *out)
{
	struct civil c;
	char *p = out;

	if (t < FIRST_SECOND || t > LAST_SECOND) {
		snprintf(out, 32, "@%lld", (long long)t);
		return out;
	}
	civil_of(t, &c);
	p = digits(p, (unsigned)c.year, 4);
	*p++ = '-';
	p = digits(p, c.mon, 2);
	*p++ = '-';
	p = digits(p, c.mday, 2);
	*p++ = 'T';
	p = time_of_day(p, &c);
	*p++ = 'Z';
	*p = '\0';
	return out;
}

char *
time_format_http(int64_t t, char *out)
{
	static const char wdays[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct civil c;
	char *p = out;

	civil_of(t < 0 ? 0 : t > LAST_SECOND ? LAST_SECOND : t, &c);
	memcpy(p, wdays + 3 * c.wday, 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = digits(p, c.mday, 2);
	*p++ = ' ';
	memcpy(p, months + 3 * (c.mon - 1), 3);
	p += 3;
	*p++ = ' ';
	p = digits(p, (unsigned)c.year, 4);
	*p++ = ' ';
	p = time_of_day(p, &c);
	memcpy(p, " GMT", 5);
	return out;
}

int
time_parse(const char *s, int64_t *out)
{
	struct tm tm, day;
	const char *p;
	char *end;
	int64_t t;
	int oh, om, sign;

	if (s[0] == '@') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || *end || end == s + 1)
			return 0;
		*out = v;
		return 1;
	}
	/* RFC 3339's fixed widths, which strptime does not hold to. */
	for (p = s; p < s + 19; p++) {
		static const char shape[] = "dddd-dd-ddTdd:dd:dd";
		char want = shape[p - s], c = *p;

		if (want == 'd'	  ? !isdigit((unsigned char)c)
		    : want == 'T' ? c != 'T' && c != 't' && c != ' '
				  : c != want)
			return 0;
	}
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p == NULL || (*p != 'T' && *p != 't' && *p != ' '))
		return 0;
	p = strptime(p + 1, "%H:%M:%S", &tm);
	if (p == NULL)
		return 0;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	/* strptime takes "02-30"; timegm would quietly make it March 2. */
	day = tm;
	day.tm_hour = day.tm_min = day.tm_sec = 0;
	(void)timegm(&day);
	if (day.tm_mday != tm.tm_mday || day.tm_mon != tm.tm_mon)
		return 0;
	t = (int64_t)timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*out = t;
		return 1;
	}
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':' ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
		return 0;
	sign = *p == '-' ? -1 : 1;
	if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
		return 0;
	*out = t - sign * (oh * 3600 + om * 60);
	return 1;
}

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
clock_now(void)
{
	const char *pinned = getenv("OTZYV_NOW");
	int64_t t;

	if (pinned != NULL && time_parse(pinned, &t))
		return t;
	return (int64_t)time(NULL);
}

int
mapfile_open(const char *path, struct mapfile *out)
{
	struct stat st;
	void *p;
	int fd, e;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return EINVAL;
	}
	out->fd = fd;
	if (st.st_size == 0)
		return 0;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		e = errno;
		close(fd);
		out->fd = -1;
		return e;
	}
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	out->data = p;
	out->len = (size_t)st.st_size;
	return 0;
}

void
mapfile_close(struct mapfile *m)
{
	if (m->data != NULL)
		munmap((void *)m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/*
 * The shape of a JSON text without parsing it: the items of its
 * top-level array (separators at depth 1, plus one) and all its values
 * (openers and separators), strings skipped. Exact for well-formed
 * JSON; what is not is refused by the parser afterwards.
 */
void
json_shape(const uint8_t *p, size_t len, size_t *out_items, size_t *out_values)
{
	size_t i, depth = 0, items = 0, values = 0;
	int in_str = 0, esc = 0, any = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			continue;
		case '"':
			in_str = 1;
			break;
		case '[':
		case '{':
			if (depth == 1)
				any = 1;
			depth++;
			values++;
			continue;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			continue;
		case ',':
			if (depth == 1)
				items++;
			values++;
			continue;
		case ':':
			values++;
			continue;
		default:
			break;
		}
		if (depth == 1)
			any = 1;
	}
	*out_items = items + (size_t)any;
	*out_values = values;
}
