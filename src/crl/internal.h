/*
 * Private to src/crl.
 */
#ifndef OTZYV_CRL_INTERNAL_H
#define OTZYV_CRL_INTERNAL_H

#include "otzyv/crl.h"

/* Formats the rejection into err->msg; returns 0, so that checks can
 * end with "return crl_fail(err, ...)". */
int crl_fail(struct crl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
