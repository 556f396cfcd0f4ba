/*
 * The job pool: threads that run slow requests (signature validation)
 * so that the OCSP workers never wait behind them.
 *
 * Concurrency: `mu` guards the queue, `n`, `stopping`; `cv` wakes the
 * threads. A finished job goes onto its worker's done list under that
 * worker's done_mu, and the worker's done_ev is made active (safe from
 * another thread: evthread_use_pthreads is on). The pool never touches
 * a job's connection.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct http_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_job *head, *tail; /* waiting, oldest first */
	unsigned n, max;
	int stopping;
	pthread_t *threads;
	unsigned nthreads;
};

/* In a pool thread: hand j back to its worker. */
static void
job_done(struct http_job *j)
{
	struct worker *w = j->w;

	pthread_mutex_lock(&w->done_mu);
	j->next = w->done;
	w->done = j;
	pthread_mutex_unlock(&w->done_mu);
	event_active(w->done_ev, EV_READ, 0);
}

static void *
pool_main(void *arg)
{
	struct http_pool *p = arg;
	struct http_job *j;

	/* Behind the workers: SCHED_IDLE, so that on a busy core a worker
	 * woken by an OCSP request preempts a verification at once (a
	 * mere nice value lets the verification finish its time slice,
	 * milliseconds). Idle cores still run verifications at full
	 * speed. */
	struct sched_param sp = {0};

	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);

	for (;;) {
		pthread_mutex_lock(&p->mu);
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
		job_done(j);
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
