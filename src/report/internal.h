/*
 * Private to src/report: what the renderers share.
 */
#ifndef OTZYV_REPORT_INTERNAL_H
#define OTZYV_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "otzyv/report.h"

#define REPORT_NSTATES (REPORT_NEVER_FETCHED + 1)

/* A duration as people say it, two units at most: "45s", "12m 5s",
 * "3h 12m", "2d 4h"; negative ones (a clock off) keep their sign. */
void report_age(int64_t s, char *out, size_t len);

#endif
