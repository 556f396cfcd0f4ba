/*
 * The fetcher's targets: every watched CA with the URLs to fetch it
 * from (its [ca] crl = URLs, else the trusted list's), read from the
 * store, where each attempt's state is kept.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "otzyv/log.h"
#include "otzyv/report.h"
#include "otzyv/util.h"

void
fetch_target_free(struct target *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nurls; i++)
		free(t->urls[i]);
	free(t->urls);
	free(t->name);
	if (t->id != 0)
		free(t);
}

/* Splits the store's newline-separated URL list into t->urls. */
int
fetch_target_add_url(struct target *t, const char *url, size_t len)
{
	char **n;

	if (t->nurls >= MAX_MIRRORS)
		return 1; /* enough mirrors */
	if ((n = realloc(t->urls, (t->nurls + 1) * sizeof(*n))) == NULL ||
	    (n[t->nurls] = strndup(url, len)) == NULL)
		return 0;
	t->urls = n;
	t->nurls++;
	return 1;
}

struct plan {
	struct fetcher *f;
	struct target **list;
	size_t n;
	int64_t now;
	int oom;
};

/* The configured CA whose issuer id is `id`, or -1. */
static long
config_index(const struct fetcher *f, uint32_t id)
{
	size_t i;

	for (i = 0; i < f->ncas; i++)
		if (f->ca_ids[i] == id)
			return (long)i;
	return -1;
}

static int
plan_one(const struct store_issuer *is, void *arg)
{
	struct plan *p = arg;
	struct fetcher *f = p->f;
	long ci = config_index(f, is->id);
	struct target *t, **n;
	const char *u, *nl;
	size_t i;

	if (ci < 0 && !report_watched(is, p->now))
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto oom;
	t->id = is->id;
	t->max_size = f->max_crl_size;
	if (ci >= 0 && f->ca_max[ci] != 0)
		t->max_size = f->ca_max[ci];
	if ((t->name = strdup(ci >= 0	 ? f->ca_names[ci]
			      : is->name ? is->name
					 : "?")) == NULL)
		goto oom;
	if (ci >= 0 && f->ca_nurls[ci] > 0) {
		for (i = 0; i < f->ca_nurls[ci]; i++)
			if (!fetch_target_add_url(t, f->ca_urls[ci][i],
						  strlen(f->ca_urls[ci][i])))
				goto oom;
	} else {
		for (u = is->crl_urls; u != NULL && *u; u = *nl ? nl + 1 : nl) {
			if ((nl = strchr(u, '\n')) == NULL)
				nl = u + strlen(u);
			if (nl > u &&
			    !fetch_target_add_url(t, u, (size_t)(nl - u)))
				goto oom;
		}
	}
	if (t->nurls == 0) {
		fetch_target_free(t); /* imported by hand only */
		return 0;
	}
	t->next_at = is->fetch.next_at;
	if ((n = realloc(p->list, (p->n + 1) * sizeof(*n))) == NULL)
		goto oom;
	p->list = n;
	p->list[p->n++] = t;
	return 0;
oom:
	fetch_target_free(t);
	p->oom = 1;
	return 1;
}

int
fetch_plan(struct fetcher *f)
{
	struct plan p = {f, NULL, 0, clock_now(), 0};
	struct store_txn *txn;
	enum store_err e;
	size_t i, j;

	if ((e = store_read_begin(f->store, &txn)) != STORE_OK) {
		log_error("event=fetch_plan_failed error=\"%s\"",
			  store_strerror(e));
		return 0;
	}
	e = store_issuer_foreach(txn, plan_one, &p);
	store_txn_end(txn);
	if (e != STORE_OK || p.oom) {
		log_error("event=fetch_plan_failed error=\"%s\"",
			  p.oom ? "out of memory" : store_strerror(e));
		for (i = 0; i < p.n; i++)
			fetch_target_free(p.list[i]);
		free(p.list);
		return 0;
	}
	/* Requests already made still stand; a pass over everything takes
	 * in the CAs the list just brought. */
	for (i = 0; i < p.n; i++)
		p.list[i]->due = f->once_all;
	for (i = 0; i < p.n; i++)
		for (j = 0; j < f->ntargets; j++)
			if (f->targets[j]->id == p.list[i]->id) {
				p.list[i]->due = f->targets[j]->due;
				p.list[i]->done = f->targets[j]->done;
			}
	/* fetcher_refresh() reads the names from other threads. */
	pthread_mutex_lock(&f->mu);
	for (j = 0; j < f->ntargets; j++)
		fetch_target_free(f->targets[j]);
	free(f->targets);
	f->targets = p.list;
	f->ntargets = p.n;
	pthread_mutex_unlock(&f->mu);
	f->planned_at = p.now;
	return 1;
}

/* Matches [ca NAME], display name, short name or id. */
int
fetch_target_matches(const struct target *t, const char *ca)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", t->id);
	return strcmp(t->name, ca) == 0 || strcmp(id, ca) == 0;
}
