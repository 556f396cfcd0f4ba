/*
 * util: small helpers every module shares: hex, RFC 3339 times, the
 * clock, and read-only file mappings.
 */
#ifndef OTZYV_UTIL_H
#define OTZYV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 1 when p[0..len) is only spaces, tabs and line ends (or empty). */
int blank(const uint8_t *p, size_t len);

/* Lower-case hex of buf into out (2 * len + 1 bytes). Returns out. */
char *hex_encode(const uint8_t *buf, size_t len, char *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

/* Decodes hex (either case, optional ':' separators, optional "0x")
 * into out[cap]; returns the length, or -1 on bad input or overflow. */
long hex_decode(const char *s, uint8_t *out, size_t cap);

/* The length of s[0..len) less a UTF-8 sequence that a cut at len
 * split: what is left of a string cut to fit a buffer ends on a whole
 * character. */
size_t utf8_whole(const char *s, size_t len);

/* "2026-11-21T05:41:43Z" into out[32]; "@SECONDS" for an instant
 * outside the years 0000 to 9999. Returns out. Takes no lock. */
char *time_format(int64_t t, char *out);

/* RFC 9110 5.6.7 (IMF-fixdate), "Sun, 06 Nov 1994 08:49:37 GMT", into
 * out[32]; an instant before 1970 or after 9999 as the nearer bound.
 * Returns out. */
char *time_format_http(int64_t t, char *out);

/* RFC 3339 ("2026-11-21T05:41:43Z", with "+03:00" offsets, fractions
 * ignored, 't'/'z' accepted) or "@UNIX". Returns 1 or 0. */
int time_parse(const char *s, int64_t *out);

/* The monotonic clock in seconds (for durations). */
double clock_mono(void);

/* Seconds since the epoch. Honours $OTZYV_NOW (a time_parse() string)
 * so tests can pin the clock. */
int64_t clock_now(void);

/* A read-only mapping of a whole file. */
struct mapfile {
	const uint8_t *data;
	size_t len;
	int fd;
};

/* Gives the directory open at dfd, and what is in it down to `depth`
 * levels more, to uid:gid (src/util/owner.c): directories and regular
 * files with one link, never through a symbolic link. 1, or 0 with
 * errno, the name of the entry that failed in `where`. */
int dir_give(int dfd, int depth, uid_t uid, gid_t gid, char *where,
	     size_t wlen);

/* Maps `path`; returns 0 or an errno value. An empty file maps to
 * data == NULL, len == 0. */
int mapfile_open(const char *path, struct mapfile *out);
void mapfile_close(struct mapfile *m);

/*
 * The shape of a JSON text without parsing it: the items of its
 * top-level array and all its values (openers and separators), strings
 * skipped. Exact for well-formed JSON; what is not is refused by the
 * parser afterwards. What bounds a parse's memory before it is made.
 */
void json_shape(const uint8_t *p, size_t len, size_t *out_items,
		size_t *out_values);

#endif
