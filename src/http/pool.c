/*
 * The job pool: threads that run slow requests (signature validation)
 * so that the OCSP workers never wait behind them.
 *
 * Concurrency: `mu` guards the queue, `n`, `stopping`; `cv` wakes the
 * threads. Finished jobs go onto their workers' done lists under each
 * worker's done_mu, a few at a time (see POOL_BATCH), and then each
 * worker's done_ev is made active (safe from another thread:
 * evthread_use_pthreads is on); a worker only tries that lock, and
 * such an activation follows every push. The pool never touches a
 * job's connection.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "otzyv/util.h"

struct http_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_job *head, *tail; /* waiting, oldest first */
	unsigned n, max;
	int stopping;
	pthread_t *threads;
	unsigned nthreads;
};

/* Finished jobs are handed back together while more wait: each
 * hand-back wakes a worker, and a woken worker preempts this thread
 * (SCHED_IDLE), so one per job would cost two context switches each.
 * A batch goes back before the thread waits, before it takes a job
 * that may be long (a body of POOL_BATCH_COST or more), when it has
 * POOL_BATCH jobs, or when its first has waited POOL_BATCH_WAIT s. */
#define POOL_BATCH 8
#define POOL_BATCH_WAIT 0.002
#define POOL_BATCH_COST (64 * 1024)

/* In a pool thread: the jobs back onto their workers' done lists, then
 * one wake-up per worker. (A worker may free a job as soon as it is on
 * its list: the workers are noted first.) */
static void
hand_back(struct http_job **done, size_t n)
{
	struct worker *ws[POOL_BATCH];
	size_t i, k;

	for (i = 0; i < n; i++)
		ws[i] = done[i]->w;
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&ws[i]->done_mu);
		done[i]->next = ws[i]->done;
		ws[i]->done = done[i];
		pthread_mutex_unlock(&ws[i]->done_mu);
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && ws[k] != ws[i]; k++)
			;
		if (k == i)
			event_active(ws[i]->done_ev, EV_READ, 0);
	}
}

/* Under p->mu: whether the batch of n jobs, the first finished at
 * `first`, may wait for the next job. */
static int
keep_batch(const struct http_pool *p, size_t n, double first)
{
	return p->head != NULL && !p->stopping &&
	       p->head->cost < POOL_BATCH_COST && n < POOL_BATCH &&
	       clock_mono() - first < POOL_BATCH_WAIT;
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
		pthread_mutex_lock(&p->mu);
		if (ndone > 0 && !keep_batch(p, ndone, first)) {
			pthread_mutex_unlock(&p->mu);
			hand_back(done, ndone);
			ndone = 0;
			continue;
		}
		/* Here the batch is empty or the queue is not. */
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->n--;
		pthread_mutex_unlock(&p->mu);
		j->next = NULL;
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
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
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
	int ok = 0;

	pthread_mutex_lock(&p->mu);
	if (!p->stopping && p->n < p->max) {
		j->next = NULL;
		if (p->tail != NULL)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
		p->n++;
		ok = 1;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

void
http_pool_free(struct http_pool *p)
{
	struct http_job *j;
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	while ((j = p->head) != NULL) {
		p->head = j->next;
		j->free(j);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}

void
http_jobs_drop(struct worker *w)
{
	struct http_job *j, *next;

	if (!w->done_mu_init)
		return;
	pthread_mutex_lock(&w->done_mu);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_mu);
	for (; j != NULL; j = next) {
		next = j->next;
		j->free(j);
	}
}
