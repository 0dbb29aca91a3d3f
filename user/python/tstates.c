// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tstates.c: see tstates.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "array.h"
#include "procmem.h"
#include "tstates.h"

int tstates_pm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pm_read(*(const pid_t *)ctx, addr, buf, len);
}

static int rd_u64(tstates_read_fn rd, void *ctx, uint64_t addr, uint64_t *v)
{
	return rd(ctx, addr, v, sizeof(*v));
}

int tstates_walk(const struct pyleak_proc *p, tstates_read_fn rd, void *ctx,
		 struct tstate_entry *out, size_t max)
{
	uint64_t interp = 0, ts = 0, id;
	size_t n = 0;
	int err;

	if ((err = rd_u64(rd, ctx, p->interp_head_addr, &interp)))
		return err;
	if (!interp)
		return 0; /* not initialised yet, or finalised */
	if ((err = rd_u64(rd, ctx, interp + p->interp_threads_head, &ts)))
		return err;
	/* bounded by max: a list that loops (read while it changed) ends there */
	while (ts && n < max) {
		if (rd_u64(rd, ctx, ts + p->tstate_thread_id, &id))
			break;
		if (id) {
			out[n].thread_id = id;
			out[n].tstate = ts;
			n++;
		}
		if (rd_u64(rd, ctx, ts + p->tstate_next, &ts))
			break;
	}
	return (int)n;
}

static int by_thread_id(const void *a, const void *b)
{
	const struct tstate_entry *x = a, *y = b;

	return x->thread_id < y->thread_id ? -1 : x->thread_id > y->thread_id;
}

int tstates_refresh(struct tstates *ts, const struct pyleak_proc *p, tstates_read_fn rd,
		    void *ctx)
{
	struct tstate_entry *v = malloc(PYLEAK_MAX_TSTATES * sizeof(*v));
	size_t m = 0;
	int n;

	if (!v)
		return -ENOMEM;
	n = tstates_walk(p, rd, ctx, v, PYLEAK_MAX_TSTATES);
	if (n < 0) {
		free(v);
		return n;
	}
	array_sort(v, (size_t)n, sizeof(*v), by_thread_id);
	/* one state per thread: two for one thread_id mean the list was read
	 * mid-change; either will do, BPF re-validates the one kept */
	for (int i = 0; i < n; i++)
		if (!m || v[m - 1].thread_id != v[i].thread_id)
			v[m++] = v[i];
	/* keep what the process has, not the bound: node mode holds two of
	 * these per watched process (256 KiB each at the bound) */
	struct tstate_entry *fit = realloc(v, (m ? m : 1) * sizeof(*v));

	if (fit)
		v = fit;
	free(ts->prev);
	ts->prev = ts->cur;
	ts->nprev = ts->ncur;
	ts->cur = v;
	ts->ncur = m;
	return 0;
}

int tstates_changes(const struct tstates *ts, bool all, tstates_change_fn fn, void *ctx)
{
	size_t i = 0, j = 0;
	int err;

	for (; all && i < ts->ncur; i++)
		if ((err = fn(ctx, &ts->cur[i], false)))
			return err;
	if (all)
		return 0;

	/* merge of two sorted lists */
	while (i < ts->ncur || j < ts->nprev) {
		const struct tstate_entry *c = i < ts->ncur ? &ts->cur[i] : NULL;
		const struct tstate_entry *o = j < ts->nprev ? &ts->prev[j] : NULL;

		if (c && (!o || c->thread_id < o->thread_id)) {
			err = fn(ctx, c, false);
			i++;
		} else if (!c || o->thread_id < c->thread_id) {
			err = fn(ctx, o, true);
			j++;
		} else {
			err = c->tstate != o->tstate ? fn(ctx, c, false) : 0;
			i++;
			j++;
		}
		if (err)
			return err;
	}
	return 0;
}

void tstates_free(struct tstates *ts)
{
	free(ts->cur);
	free(ts->prev);
	memset(ts, 0, sizeof(*ts));
}
