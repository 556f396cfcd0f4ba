/*
 * Logging to stderr, one line per event: "ts=... level=... msg...".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
	char ts[32], line[2048];

	if (level > max_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "ts=%s level=%s %s\n", time_format(time(NULL), ts),
		names[level], line);
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

void
log_escape(const char *in, size_t inlen, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (size == 0)
		return;
	for (i = 0; i < inlen && o + 5 < size; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch >= 0x20 && ch < 0x7F && ch != '"' && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}
