/*
 * log: one key=value line per event on stderr. Untrusted text goes
 * through log_escape() first.
 */
#ifndef OTZYV_LOG_H
#define OTZYV_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs and exits 3: only at start-up and in impossible branches. */
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Copies `in` into out[size], NUL-terminated, for the inside of a
 * key="value" field: printable ASCII and well-formed UTF-8 characters
 * (not C1 controls) kept, '"' as \" and '\\' as \\, every other octet
 * (control, DEL, malformed UTF-8) as \xHH. Cut at the last character
 * whose whole escape fits, never within an escape or a character. */
void log_escape(const char *in, size_t inlen, char *out, size_t size);

/* log_escape() of the string s (NULL: ""), returning out, so that it
 * can stand as an argument of a log call. */
const char *log_escape_str(const char *s, char *out, size_t size);

#endif
