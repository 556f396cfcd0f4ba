/*
 * The job pool: threads that run slow requests (signature validation)
 * so that the OCSP workers never wait behind them.
 *
 * The workers and the pool share no lock of ours: a pool thread runs
 * as SCHED_IDLE and may be preempted anywhere, so a worker that waited
 * on a lock it holds could wait for as long as the core is busy. (The
 * store's reads mostly take none either, see store/internal.h; malloc's
 * arenas and OpenSSL's read-mostly locks remain shared.)
 *
 * Concurrency, worker to pool: a worker claims a place (`n`, compared
 * and swapped against `max`), pushes the job onto `inbox` (a stack,
 * compare and swap) and posts `ready`, one token per job. A pool thread
 * that takes a token is owed one job: when the FIFO (`head`, under
 * `mu`, which only pool threads take) is empty it takes the whole inbox
 * at once (an exchange, so no ABA) and makes it the FIFO, oldest first.
 * Pool to worker: finished jobs are pushed onto the worker's `done`
 * stack, a few at a time (see POOL_BATCH), and the worker's `wake_fd`
 * (an eventfd its loop watches) is written.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/util.h"

struct http_pool {
	/* Workers' side */
	_Atomic(struct http_job *) inbox; /* newest first */
	atomic_uint n;			  /* jobs queued, not yet taken */
	unsigned max;
	atomic_int stopping;
	sem_t ready;
	/* Pool threads' side */
	pthread_mutex_t mu;
	struct http_job *head; /* taken from the inbox, oldest first */
	pthread_t *threads;
	unsigned nthreads;
};

/* Finished jobs are handed back together while more wait: each
 * hand-back wakes a worker, and a woken worker preempts this thread
 * (SCHED_IDLE), so one per job would cost two context switches each.
 * A batch goes back before the thread waits, before it runs a job
 * that may be long (a body of POOL_BATCH_COST or more), when it has
 * POOL_BATCH jobs, or when its first has waited POOL_BATCH_WAIT s. */
#define POOL_BATCH 8
#define POOL_BATCH_WAIT 0.002
#define POOL_BATCH_COST (64 * 1024)

/* Wakes worker w (its done_ev). */
static void
wake(struct worker *w)
{
	const uint64_t one = 1;
	/* Fails only with EAGAIN, the counter at its maximum: then the
	 * worker is woken anyway. (The fd outlives the pool: the server
	 * frees the pool first.) */
	ssize_t r = write(w->wake_fd, &one, sizeof(one));

	(void)r;
}

/* Pushes j onto the stack at *top (any thread; lock-free). */
static void
push(_Atomic(struct http_job *) *top, struct http_job *j)
{
	j->next = atomic_load(top);
	while (!atomic_compare_exchange_weak(top, &j->next, j))
		;
}

/* In a pool thread: the jobs onto their workers' done stacks, then one
 * wake-up per worker. (A worker may free a job as soon as it is on its
 * stack: the workers are noted first.) */
static void
hand_back(struct http_job **done, size_t n)
{
	struct worker *ws[POOL_BATCH];
	size_t i, k;

	for (i = 0; i < n; i++)
		ws[i] = done[i]->w;
	for (i = 0; i < n; i++)
		push(&ws[i]->done, done[i]);
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && ws[k] != ws[i]; k++)
			;
		if (k == i)
			wake(ws[i]);
	}
}

void
http_job_done(struct http_job *j)
{
	hand_back(&j, 1);
}

/* A stack taken whole (newest first), as a list oldest first. */
static struct http_job *
oldest_first(struct http_job *j)
{
	struct http_job *next, *older = NULL;

	for (; j != NULL; j = next) {
		next = j->next;
		j->next = older;
		older = j;
	}
	return older;
}

/* Under p->mu (or alone): the next job to take, moving the inbox into
 * the FIFO when the FIFO is empty; NULL when none is queued. */
static struct http_job *
peek(struct http_pool *p)
{
	if (p->head == NULL)
		p->head = oldest_first(atomic_exchange(&p->inbox, NULL));
	return p->head;
}

/* Takes a job, holding a token of p->ready (so there is one). */
static struct http_job *
take(struct http_pool *p)
{
	struct http_job *j;

	pthread_mutex_lock(&p->mu);
	j = peek(p);
	p->head = j->next;
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_sub(&p->n, 1);
	j->next = NULL;
	return j;
}

/* Whether the batch of n jobs, the first finished at `first`, may wait
 * for a next job that is queued already; if so, its token is taken. */
static int
keep_batch(struct http_pool *p, size_t n, double first)
{
	return n < POOL_BATCH && !atomic_load(&p->stopping) &&
	       clock_mono() - first < POOL_BATCH_WAIT &&
	       sem_trywait(&p->ready) == 0;
}

static void
wait_ready(struct http_pool *p)
{
	while (sem_wait(&p->ready) != 0 && errno == EINTR)
		;
}

static void *
pool_main(void *arg)
{
	struct http_pool *p = arg;
	struct http_job *j, *done[POOL_BATCH];
	size_t ndone = 0;
	double first = 0;

	/* Behind the workers: SCHED_IDLE, so that on a busy core a worker
	 * woken by an OCSP request preempts a verification at once (nice
	 * 19 still lets a verification run on for milliseconds). Idle
	 * cores still run verifications at full speed. */
	struct sched_param sp = {0};

	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);

	for (;;) {
		if (ndone > 0 && !keep_batch(p, ndone, first)) {
			hand_back(done, ndone);
			ndone = 0;
		}
		if (ndone == 0)
			wait_ready(p);
		/* Here a token is held: a job is queued, or the pool is
		 * stopping (http_pool_free() posts one per thread). */
		if (atomic_load(&p->stopping)) {
			hand_back(done, ndone);
			return NULL;
		}
		j = take(p);
		/* Known only once taken: another thread may have taken the
		 * job that was first when the batch was kept. */
		if (ndone > 0 && j->cost >= POOL_BATCH_COST) {
			hand_back(done, ndone);
			ndone = 0;
		}
		j->run(j);
		if (ndone == 0)
			first = clock_mono();
		done[ndone++] = j;
	}
}

struct http_pool *
http_pool_new(unsigned threads, unsigned queue)
{
	struct http_pool *p;
	long ncpu;

	if (threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->threads = calloc(threads, sizeof(*p->threads))) == NULL) {
		free(p);
		return NULL;
	}
	if (sem_init(&p->ready, 0, 0) != 0) {
		free(p->threads);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	p->max = queue;
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, pool_main,
				   p) != 0) {
			http_pool_free(p);
			return NULL;
		}
	return p;
}

int
http_pool_submit(struct http_pool *p, struct http_job *j)
{
	unsigned n = atomic_load(&p->n);

	do {
		if (n >= p->max || atomic_load(&p->stopping))
			return 0;
	} while (!atomic_compare_exchange_weak(&p->n, &n, n + 1));
	push(&p->inbox, j);
	sem_post(&p->ready);
	return 1;
}

void
http_pool_free(struct http_pool *p)
{
	struct http_job *j;
	unsigned i;

	if (p == NULL)
		return;
	atomic_store(&p->stopping, 1);
	for (i = 0; i < p->nthreads; i++)
		sem_post(&p->ready);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	while ((j = peek(p)) != NULL) {
		p->head = j->next;
		j->free(j);
	}
	pthread_mutex_destroy(&p->mu);
	sem_destroy(&p->ready);
	free(p->threads);
	free(p);
}

struct http_job *
http_jobs_take(struct worker *w)
{
	return oldest_first(atomic_exchange(&w->done, NULL));
}

void
http_jobs_drop(struct worker *w)
{
	struct http_job *j, *next;

	for (j = http_jobs_take(w); j != NULL; j = next) {
		next = j->next;
		j->free(j);
	}
}
