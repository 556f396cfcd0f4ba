/*
 * The fetch schedule's arithmetic (src/fetch/schedule.c): the interval,
 * the approach to nextUpdate, backoff with its cap, and jitter that only
 * ever shortens a wait.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "../src/fetch/internal.h"

static const struct sched p = {1800, 60, 900}; /* 30m, 1m .. 15m */
static const int64_t now = 1800000000;

Test(schedule, interval_without_next_update)
{
	uint32_t r;

	for (r = 0; r < 1000; r += 37) {
		int64_t t = sched_after_success(&p, now, 0, r);

		cr_assert(t <= now + 1800 && t >= now + 1800 - 180,
			  "delay %lld", (long long)(t - now));
	}
	cr_assert_eq(sched_after_success(&p, now, 0, 0), now + 1800);
}

Test(schedule, nearing_next_update_halves_the_wait)
{
	/* nextUpdate in 20 minutes: look again in 10. */
	cr_assert_eq(sched_after_success(&p, now, now + 1200, 0), now + 600);
	/* Far away: the interval rules. */
	cr_assert_eq(sched_after_success(&p, now, now + 86400, 0), now + 1800);
	/* Imminent or past: every retry_min. */
	cr_assert_eq(sched_after_success(&p, now, now + 30, 0), now + 60);
	cr_assert_eq(sched_after_success(&p, now, now - 3600, 0), now + 60);
}

Test(schedule, backoff_doubles_up_to_the_cap)
{
	static const int64_t want[] = {60, 120, 240, 480, 900, 900, 900};
	uint32_t n;

	for (n = 1; n <= 7; n++)
		cr_assert_eq(sched_after_failure(&p, now, n, 0, 0),
			     now + want[n - 1], "after %u failures", n);
	/* A huge count must not overflow. */
	cr_assert_eq(sched_after_failure(&p, now, 4000000000u, 0, 0),
		     now + 900);
}

Test(schedule, backoff_never_exceeds_the_interval)
{
	struct sched q = {300, 60, 3600};

	cr_assert_eq(sched_after_failure(&q, now, 10, 0, 0), now + 300);
}

Test(schedule, backoff_respects_a_valid_crl_expiring)
{
	/* Still valid for 4 minutes: retry within 2, not after 15. */
	cr_assert_eq(sched_after_failure(&p, now, 6, now + 240, 0), now + 120);
	/* Already expired: a dead server is backed off from as usual. */
	cr_assert_eq(sched_after_failure(&p, now, 6, now - 240, 0), now + 900);
}

Test(schedule, jitter_only_shortens_and_stays_positive)
{
	struct sched tiny = {1, 1, 1};
	uint32_t r;

	for (r = 0; r < 100000; r += 997) {
		int64_t t = sched_after_failure(&p, now, 5, 0, r);

		cr_assert(t <= now + 900 && t >= now + 900 - 90);
		cr_assert_eq(sched_after_success(&tiny, now, 0, r), now + 1);
	}
}
