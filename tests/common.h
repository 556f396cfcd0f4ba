/*
 * Shared by the Criterion tests: temporary folders, running commands,
 * and the generated PKI. Tests never write into the source tree.
 */
#ifndef OTZYV_TESTS_COMMON_H
#define OTZYV_TESTS_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* A fresh folder under $TMPDIR (or /tmp); removed by tmpdir_remove(). */
char *tmpdir_new(const char *tag);
void tmpdir_remove(char *dir);

/* Runs `sh -c cmd` (printf-style); returns the exit status, or -1 when
 * killed by a signal. Output goes to the test log. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like run() but captures stdout into a malloc'd string *out. */
int run_capture(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads a whole file, a NUL after it (text may be read as a string);
 * NULL on failure. */
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

/* The certificate NAME of the test PKI ("rsa-leaf.pem"), or
 * ALG-ca.pem for load_ca(ALG); the test fails when it is unreadable. */
X509 *load_cert(const char *name);
X509 *load_ca(const char *alg);

/* Runs tests/data/gencrl with the test PKI's ALG-ca certificate and key,
 * writing OUT, with further options from fmt; returns its exit status. */
int gencrl(const char *alg, const char *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int gencrl_v(const char *alg, const char *out, const char *fmt, va_list ap);

/* "DIR/NAME" in a static rotating buffer (64 slots: a test's worth
 * of arguments). */
const char *path_in(const char *dir, const char *name);

#endif
