/*
 * Tests for src/http/pool.c: the queue bound, the order jobs run in,
 * the hand-back to the workers, and the stop. Jobs here have no
 * connection, so a worker's delivery only frees them.
 */
#include "config.h"

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../../src/http/internal.h"

/* Every wait of these tests is bounded by this. */
#define WAIT_S 10

struct tjob {
	struct http_job job; /* first: the pool sees this */
	unsigned producer, seq;
	sem_t *started, *gate; /* run() posts started, then waits for gate */
	unsigned wait_freed;   /* run() waits until this many were freed */
	int *saw_freed;	       /* ... and says here whether they were */
};

#define MAX_RUNS 8192

static atomic_uint nrun, nfreed;
static struct {
	unsigned producer, seq;
} order[MAX_RUNS]; /* the jobs, in the order they ran */

static void
tjob_run(struct http_job *j)
{
	struct tjob *t = (struct tjob *)j;

	unsigned i = atomic_fetch_add(&nrun, 1);

	cr_assert_lt(i, MAX_RUNS);
	order[i].producer = t->producer;
	order[i].seq = t->seq;
	if (t->started != NULL)
		sem_post(t->started);
	if (t->gate != NULL)
		sem_wait(t->gate);
	if (t->saw_freed != NULL) {
		time_t end = time(NULL) + 3;
		struct timespec ms = {0, 1000 * 1000};

		while (atomic_load(&nfreed) < t->wait_freed && time(NULL) < end)
			nanosleep(&ms, NULL);
		*t->saw_freed = atomic_load(&nfreed) >= t->wait_freed;
	}
}

static void
tjob_free(struct http_job *j)
{
	atomic_fetch_add(&nfreed, 1);
	free(j);
}

static struct tjob *
tjob_new(struct worker *w, unsigned producer, unsigned seq)
{
	struct tjob *t = calloc(1, sizeof(*t));

	cr_assert_not_null(t);
	t->job.w = w;
	t->job.run = tjob_run;
	t->job.free = tjob_free;
	t->producer = producer;
	t->seq = seq;
	return t;
}

/* A worker without a loop: the test calls its delivery itself. */
static void
worker_init(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(w->wake_fd, 0);
	atomic_store(&nrun, 0);
	atomic_store(&nfreed, 0);
}

/* Delivers (frees) finished jobs until `want` were freed in all. */
static void
deliver_until(struct worker *w, unsigned want)
{
	struct pollfd pfd = {.fd = w->wake_fd, .events = POLLIN};
	time_t end = time(NULL) + WAIT_S;

	while (atomic_load(&nfreed) < want) {
		cr_assert_lt(time(NULL), end, "%u of %u jobs came back",
			     atomic_load(&nfreed), want);
		if (poll(&pfd, 1, 1000) == 1)
			http_jobs_deliver(w->wake_fd, EV_READ, w);
	}
}

static void
sem_wait_bounded(sem_t *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_S;
	cr_assert_eq(sem_timedwait(s, &ts), 0, "timed out");
}

Test(pool, full_queue_refuses_then_runs_in_order)
{
	struct worker w;
	struct http_pool *p;
	struct tjob *t[4];
	sem_t started, gate;
	unsigned i;

	worker_init(&w);
	sem_init(&started, 0, 0);
	sem_init(&gate, 0, 0);
	cr_assert_not_null(p = http_pool_new(1, 2));
	for (i = 0; i < 4; i++)
		t[i] = tjob_new(&w, 0, i);
	t[0]->started = &started;
	t[0]->gate = &gate;
	cr_assert(http_pool_submit(p, &t[0]->job));
	sem_wait_bounded(&started);
	/* t0 runs, so the queue of 2 holds t1 and t2, and t3 is refused
	 * (it stays the caller's). */
	cr_assert(http_pool_submit(p, &t[1]->job));
	cr_assert(http_pool_submit(p, &t[2]->job));
	cr_assert_not(http_pool_submit(p, &t[3]->job), "queue of 2 took 3");
	sem_post(&gate);
	deliver_until(&w, 3);
	for (i = 0; i < 3; i++)
		cr_expect_eq(order[i].seq, i, "run %u was job %u", i,
			     order[i].seq);
	/* Room again. */
	cr_assert(http_pool_submit(p, &t[3]->job));
	deliver_until(&w, 4);
	cr_expect_eq(atomic_load(&nrun), 4);
	http_pool_free(p);
	close(w.wake_fd);
	sem_destroy(&started);
	sem_destroy(&gate);
}

struct deliverer {
	struct worker *w;
	unsigned want;
};

static void *
deliver_main(void *arg)
{
	struct deliverer *d = arg;

	deliver_until(d->w, d->want);
	return NULL;
}

/* Finished small jobs are not held back while the thread runs a long
 * one (a big body): the batch goes back first. */
Test(pool, batch_goes_back_before_a_long_job)
{
	struct worker w;
	struct http_pool *p;
	struct tjob *s1, *s2, *big;
	struct deliverer d = {&w, 3};
	pthread_t th;
	sem_t started, gate;
	int saw = -1;

	worker_init(&w);
	sem_init(&started, 0, 0);
	sem_init(&gate, 0, 0);
	cr_assert_not_null(p = http_pool_new(1, 4));
	s1 = tjob_new(&w, 0, 0);
	s2 = tjob_new(&w, 0, 1);
	big = tjob_new(&w, 0, 2);
	s1->started = &started;
	s1->gate = &gate;
	big->job.cost = 1 << 20;
	big->wait_freed = 2;
	big->saw_freed = &saw;
	cr_assert(http_pool_submit(p, &s1->job));
	sem_wait_bounded(&started);
	/* Queued behind s1: s2 joins s1's batch, big must not. */
	cr_assert(http_pool_submit(p, &s2->job));
	cr_assert(http_pool_submit(p, &big->job));
	cr_assert_eq(pthread_create(&th, NULL, deliver_main, &d), 0);
	sem_post(&gate);
	pthread_join(th, NULL);
	cr_expect_eq(saw, 1, "the long job ran with finished jobs held back");
	http_pool_free(p);
	close(w.wake_fd);
	sem_destroy(&started);
	sem_destroy(&gate);
}

struct producer {
	struct http_pool *p;
	struct worker *w;
	unsigned id, n, refused;
};

static void *
produce(void *arg)
{
	struct producer *pr = arg;
	struct tjob *t;
	unsigned i;

	for (i = 0; i < pr->n; i++) {
		t = tjob_new(pr->w, pr->id, i);
		while (!http_pool_submit(pr->p, &t->job)) {
			pr->refused++;
			sched_yield();
		}
	}
	return NULL;
}

/* Four threads submit at once to one pool thread: every job runs once,
 * each thread's jobs in the order it submitted them, and every job is
 * handed back and freed once. */
Test(pool, concurrent_submitters)
{
	enum { NPROD = 4, PER = 2000 };
	struct worker w;
	struct http_pool *p;
	struct producer pr[NPROD];
	pthread_t th[NPROD];
	unsigned i, next[NPROD] = {0}, refused = 0;

	worker_init(&w);
	cr_assert_not_null(p = http_pool_new(1, 16));
	for (i = 0; i < NPROD; i++) {
		pr[i] = (struct producer){.p = p, .w = &w, .id = i, .n = PER};
		cr_assert_eq(pthread_create(&th[i], NULL, produce, &pr[i]), 0);
	}
	deliver_until(&w, NPROD * PER);
	for (i = 0; i < NPROD; i++) {
		pthread_join(th[i], NULL);
		refused += pr[i].refused;
	}
	cr_assert_eq(atomic_load(&nrun), NPROD * PER);
	for (i = 0; i < NPROD * PER; i++) {
		unsigned k = order[i].producer;

		cr_assert_eq(order[i].seq, next[k],
			     "producer %u: job %u ran "
			     "where %u was due",
			     k, order[i].seq, next[k]);
		next[k]++;
	}
	cr_log_info("%u submissions refused (queue full) and retried", refused);
	http_pool_free(p);
	cr_expect_eq(atomic_load(&nfreed), NPROD * PER);
	close(w.wake_fd);
}

static void *
open_gate_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	sem_post(arg);
	return NULL;
}

/* Stopping while a job runs and others wait: the running one completes
 * onto its worker's stack, the waiting ones are freed or run; each job
 * is freed exactly once, none is lost. */
Test(pool, stop_frees_every_job)
{
	enum { N = 5 };
	struct worker w;
	struct http_pool *p;
	struct tjob *t;
	sem_t started, gate;
	pthread_t opener;
	unsigned i;

	worker_init(&w);
	sem_init(&started, 0, 0);
	sem_init(&gate, 0, 0);
	cr_assert_not_null(p = http_pool_new(1, 8));
	for (i = 0; i < N; i++) {
		t = tjob_new(&w, 0, i);
		if (i == 0) {
			t->started = &started;
			t->gate = &gate;
		}
		cr_assert(http_pool_submit(p, &t->job));
		if (i == 0)
			sem_wait_bounded(&started);
	}
	cr_assert_eq(pthread_create(&opener, NULL, open_gate_later, &gate), 0);
	http_pool_free(p);
	pthread_join(opener, NULL);
	http_jobs_drop(&w);
	cr_expect_geq(atomic_load(&nrun), 1);
	cr_expect_eq(atomic_load(&nfreed), N, "%u of %u jobs freed",
		     atomic_load(&nfreed), N);
	close(w.wake_fd);
	sem_destroy(&started);
	sem_destroy(&gate);
}
