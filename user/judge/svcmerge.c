// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * svcmerge.c: see svcmerge.h. Sizes are bounded by the callers: members by
 * --max-targets, rows by --top, active alerts by each member's site store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "svcmerge.h"

static void row_free(struct svc_row *r)
{
	free((char *)r->top.file);
	free((char *)r->top.func);
	r->top.file = r->top.func = NULL;
}

static void rows_free(struct svc_row *v, int n)
{
	for (int i = 0; i < n; i++)
		row_free(&v[i]);
	free(v);
}

/* row_copy() - *d = *s with its own strings. Returns 0 or -ENOMEM (*d then
 * holds no strings). */
static int row_copy(struct svc_row *d, const struct svc_row *s)
{
	*d = *s;
	d->top.file = s->top.file ? strdup(s->top.file) : NULL;
	d->top.func = s->top.func ? strdup(s->top.func) : NULL;
	if ((s->top.file && !d->top.file) || (s->top.func && !d->top.func)) {
		row_free(d);
		return -ENOMEM;
	}
	return 0;
}

/* row_of() - the report's site or alert fields as a row (borrowed strings). */
static struct svc_row row_of(uint64_t id, int64_t bytes, int64_t count, double rate,
			     const struct report_frame *fr, int nfr)
{
	struct svc_row r = { .id = id, .bytes = bytes, .count = count, .rate_bps = rate,
			     .nmembers = 1 };

	if (nfr > 0)
		r.top = fr[0];
	else
		r.top.line = -1;
	return r;
}

static struct svc_member *member(struct svc_group *g, int pid)
{
	for (int i = 0; i < g->n; i++)
		if (g->m[i].pid == pid)
			return &g->m[i];
	return NULL;
}

static int find(const struct svc_row *v, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (v[i].id == id)
			return i;
	return -1;
}

/* set_add() - a copy of r into the set (*v, *n, *cap) unless its id is in. */
static int set_add(struct svc_row **v, int *n, size_t *cap, const struct svc_row *r)
{
	struct svc_row *p;

	if (find(*v, *n, r->id) >= 0)
		return 0;
	p = array_room(*v, cap, (size_t)*n, sizeof(*p), 8);
	if (!p)
		return -ENOMEM;
	*v = p;
	if (row_copy(&p[*n], r))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void set_del(struct svc_row *v, int *n, uint64_t id)
{
	int i = find(v, *n, id);

	if (i < 0)
		return;
	row_free(&v[i]);
	v[i] = v[--*n];
}

int svc_take(struct svc_group *g, const struct report *r)
{
	struct svc_member *m = member(g, r->h.pid);
	struct svc_row *rows;
	int err = 0;

	if (!m) {
		struct svc_member *p = array_room(g->m, &g->cap, (size_t)g->n, sizeof(*p), 4);

		if (!p)
			return -ENOMEM;
		g->m = p;
		m = &g->m[g->n++];
		*m = (struct svc_member){ .pid = r->h.pid };
	}
	rows = calloc(r->nsites ? (size_t)r->nsites : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (int i = 0; i < r->nsites && !err; i++) {
		const struct report_site *s = &r->sites[i];
		struct svc_row b = row_of(s->id, s->bytes, s->count, s->rate_bps, s->frames,
					  s->nframes);

		err = row_copy(&rows[i], &b);
	}
	if (err) {
		rows_free(rows, r->nsites);
		return err;
	}
	rows_free(m->rows, m->nrows);
	m->rows = rows;
	m->nrows = r->nsites;
	g->nfresh += !m->fresh;
	m->fresh = true;
	for (int i = 0; i < r->nalerts && !err; i++) {
		const struct report_alert *a = &r->alerts[i];
		struct svc_row b;

		if (strcmp(a->subject, "site"))
			continue;
		if (!strcmp(a->state, "resolved")) {
			set_del(m->active, &m->nactive, a->id);
			continue;
		}
		b = row_of(a->id, a->bytes, 0, a->rate_bps, a->frames, a->nframes);
		err = set_add(&m->active, &m->nactive, &m->capactive, &b);
	}
	/* a row says its alert is off: a resolution the transitions did not
	 * carry (the process exec'd: a new site store) */
	for (int i = 0; i < r->nsites; i++)
		if (!r->sites[i].alert)
			set_del(m->active, &m->nactive, r->sites[i].id);
	return err;
}

void svc_leave(struct svc_group *g, int pid)
{
	struct svc_member *m = member(g, pid);

	if (!m)
		return;
	g->nfresh -= m->fresh;
	rows_free(m->rows, m->nrows);
	rows_free(m->active, m->nactive);
	*m = g->m[--g->n];
}

static int by_bytes(const void *a, const void *b)
{
	const struct svc_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->rate_bps != y->rate_bps)
		return x->rate_bps > y->rate_bps ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* merge_rows() - g->merged: every member's rows summed by id, ranked, cut. */
static int merge_rows(struct svc_group *g, int top)
{
	struct svc_row *v = NULL;
	size_t cap = 0;
	int n = 0;

	for (int i = 0; i < g->n; i++)
		for (int j = 0; j < g->m[i].nrows; j++) {
			const struct svc_row *r = &g->m[i].rows[j];
			int k = find(v, n, r->id);

			if (k < 0) {
				if (set_add(&v, &n, &cap, r)) {
					rows_free(v, n);
					return -ENOMEM;
				}
				continue;
			}
			v[k].bytes += r->bytes;
			v[k].count += r->count;
			v[k].rate_bps += r->rate_bps;
			v[k].nmembers++;
		}
	for (int k = 0; k < n; k++)
		v[k].alert = find(g->active, g->nactive, v[k].id) >= 0;
	if (n)
		qsort(v, (size_t)n, sizeof(*v), by_bytes);
	for (int k = top; k < n; k++)
		row_free(&v[k]);
	rows_free(g->merged, g->nmerged);
	g->merged = v;
	g->nmerged = n < top ? n : top;
	return 0;
}

/* holders() - members with site id's alert active (and one such row). */
static int holders(const struct svc_group *g, uint64_t id, const struct svc_row **first)
{
	int n = 0;

	*first = NULL;
	for (int i = 0; i < g->n; i++) {
		int k = find(g->m[i].active, g->m[i].nactive, id);

		if (k < 0)
			continue;
		if (!n++)
			*first = &g->m[i].active[k];
	}
	return n;
}

/* add_trans() - one transition (its row copied). */
static int add_trans(struct svc_group *g, size_t *cap, const char *state,
		     const struct svc_row *r, int nmembers)
{
	struct svc_alert *p = array_room(g->trans, cap, (size_t)g->ntrans, sizeof(*p), 4);

	if (!p)
		return -ENOMEM;
	g->trans = p;
	p = &g->trans[g->ntrans];
	if (row_copy(&p->site, r))
		return -ENOMEM;
	p->state = state;
	p->nmembers = nmembers;
	g->ntrans++;
	return 0;
}

static void trans_free(struct svc_group *g)
{
	for (int i = 0; i < g->ntrans; i++)
		row_free(&g->trans[i].site);
	free(g->trans);
	g->trans = NULL;
	g->ntrans = 0;
}

int svc_judge(struct svc_group *g, int top)
{
	const struct svc_row *first;
	size_t tcap = 0;
	int err = 0;

	trans_free(g);
	for (int i = 0; i < g->n; i++)
		g->m[i].fresh = false;
	g->nfresh = 0;
	/* resolved: active at the service, held by no member now */
	for (int i = 0; i < g->nactive && !err; i++) {
		if (holders(g, g->active[i].id, &first))
			continue;
		err = add_trans(g, &tcap, "resolved", &g->active[i], 0);
		if (!err)
			set_del(g->active, &g->nactive, g->active[i--].id);
	}
	/* raised: held by a member, not yet active at the service */
	for (int i = 0; i < g->n && !err; i++)
		for (int j = 0; j < g->m[i].nactive && !err; j++) {
			const struct svc_row *r = &g->m[i].active[j];

			if (find(g->active, g->nactive, r->id) >= 0)
				continue;
			err = set_add(&g->active, &g->nactive, &g->capactive, r);
			if (!err)
				err = add_trans(g, &tcap, "leak_suspect", r,
						holders(g, r->id, &first));
		}
	g->nalerting = g->nactive;
	return err ? err : merge_rows(g, top);
}

void svc_free(struct svc_group *g)
{
	for (int i = 0; i < g->n; i++) {
		rows_free(g->m[i].rows, g->m[i].nrows);
		rows_free(g->m[i].active, g->m[i].nactive);
	}
	free(g->m);
	rows_free(g->active, g->nactive);
	rows_free(g->merged, g->nmerged);
	trans_free(g);
	memset(g, 0, sizeof(*g));
}
