/*
 * When the next attempt is due. Pure arithmetic, so that it can be
 * reasoned about (and tested) apart from the event loop.
 */
#include "config.h"

#include "internal.h"

/* Every delay is shortened by up to this fraction at random: replicas
 * started together, and CAs whose CRLs share a nextUpdate, spread out. */
#define JITTER_DIVISOR 10

static int64_t
jitter(int64_t delay, uint32_t rnd)
{
	int64_t span = delay / JITTER_DIVISOR;

	if (span > 0)
		delay -= (int64_t)(rnd % (uint64_t)(span + 1));
	return delay > 1 ? delay : 1;
}

/* A nearing nextUpdate halves the wait each time, down to retry_min, so
 * that a CRL published just before its predecessor expires is picked
 * up in time without polling a CA that publishes early. */
static int64_t
before_next_update(const struct sched *p, int64_t now, int64_t next_update,
		   int64_t delay)
{
	int64_t half;

	if (next_update == 0)
		return delay;
	half = (next_update - now) / 2;
	if (half < p->retry_min)
		half = p->retry_min;
	return half < delay ? half : delay;
}

int64_t
sched_after_success(const struct sched *p, int64_t now, int64_t next_update,
		    uint32_t rnd)
{
	int64_t delay = before_next_update(p, now, next_update, p->interval);

	return now + jitter(delay, rnd);
}

int64_t
sched_after_failure(const struct sched *p, int64_t now, uint32_t failures,
		    int64_t next_update, uint32_t rnd)
{
	int64_t delay = p->retry_min, cap = p->retry_max;
	uint32_t i;

	/* Backing off past the normal interval would make a failing CA
	 * checked less often than a healthy one. */
	if (cap > p->interval)
		cap = p->interval;
	for (i = 1; i < failures && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	if (delay < 1)
		delay = 1;
	/* Once the CRL has expired, a dead server is backed off from like
	 * any other: hammering it would not bring the CRL back sooner. */
	if (next_update > now)
		delay = before_next_update(p, now, next_update, delay);
	return now + jitter(delay, rnd);
}
