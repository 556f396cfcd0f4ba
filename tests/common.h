/*
 * Shared by the Criterion tests: temporary folders, running commands,
 * and the generated PKI. Tests never write into the source tree.
 */
#ifndef OTZYV_TESTS_COMMON_H
#define OTZYV_TESTS_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* A fresh folder under $TMPDIR (or /tmp); removed by tmpdir_remove(). */
char *tmpdir_new(const char *tag);
void tmpdir_remove(char *dir);

/* Runs `sh -c cmd` (printf-style); returns the exit status, or -1 when
 * killed by a signal. Output goes to the test log. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like run() but captures stdout into a malloc'd string *out. */
int run_capture(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads a whole file; NULL on failure. */
uint8_t *read_file(const char *path, size_t *out_len);
int write_file(const char *path, const void *buf, size_t len);

/* $NAME from the test environment (set by make check), or abort. */
const char *env_path(const char *name);

/*
 * The PKI of tests/data/mkpki.sh, generated once per test program before
 * any test runs. Returns its folder: ALG-ca.pem, ALG-ca.key,
 * ALG-leaf.pem ... (see the script).
 */
const char *test_pki(void);

/* "DIR/NAME" in a static rotating buffer (8 slots). */
const char *path_in(const char *dir, const char *name);

#endif
