/*
 * Logging to stderr, one line per event: "ts=... level=... msg...".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otzyv/log.h"
#include "otzyv/util.h"

static enum log_level max_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	max_level = level;
}

static void
vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char ts[32], line[2048 + 64];
	size_t n;

	if (level > max_level)
		return;
	n = (size_t)snprintf(line, sizeof(line), "ts=%s level=%s ",
			     time_format(time(NULL), ts), names[level]);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	n = strlen(line);
	line[n++] = '\n';
	/* One write(2), not stdio: no lock on stderr for an OCSP worker
	 * to wait on behind a verify pool thread (SCHED_IDLE, maybe not
	 * running) that logs an audit line, and lines never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

#define DEFINE_LOG(fn, level)                                                  \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(level, fmt, ap);                                          \
		va_end(ap);                                                    \
	}

DEFINE_LOG(log_error, LOG_ERROR)
DEFINE_LOG(log_warn, LOG_WARN)
DEFINE_LOG(log_info, LOG_INFO)
DEFINE_LOG(log_debug, LOG_DEBUG)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(3);
}

const char *
log_escape_str(const char *s, char *out, size_t size)
{
	log_escape(s ? s : "", s ? strlen(s) : 0, out, size);
	return out;
}

/*
 * The length of the well-formed UTF-8 sequence of a printable character
 * at s[0..n) (RFC 3629: no overlong form, no surrogate, at most
 * U+10FFFF; not a C1 control), or 0. CA names and trusted-list errors
 * are Russian: kept as they are, they read as they were written.
 */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (s[0] == 0xC2)
		lo = 0xA0; /* U+0080..U+009F: C1 controls */
	else if (s[0] == 0xE0)
		lo = 0xA0; /* overlong */
	else if (s[0] == 0xED)
		hi = 0x9F; /* surrogates */
	else if (s[0] == 0xF0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xF4)
		hi = 0x8F; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* Each octet of `in`, or UTF-8 character, takes one to four octets of
 * out; one that would not fit whole, with the NUL after it, ends the
 * copy there, so that a cut never leaves half an escape (a lone '\\'
 * would swallow the closing quote of the field) or half a character. */
void
log_escape(const char *in, size_t inlen, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, step;

	if (size == 0)
		return;
	for (i = 0; i < inlen; i += step) {
		unsigned char ch = (unsigned char)in[i];
		char esc[4];
		size_t n;

		step = 1;
		if (ch >= 0x80 &&
		    (n = utf8_char((const unsigned char *)in + i, inlen - i))) {
			memcpy(esc, in + i, n);
			step = n;
		} else if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			n = 2;
		} else if (ch >= 0x20 && ch < 0x7F) {
			esc[0] = (char)ch;
			n = 1;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
			n = 4;
		}
		if (n >= size - o)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
}
