// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sites.c: see sites.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sites.h"

#define BUCKETS 8192

struct group {
	struct group *next; /* hash chain by id */
	uint64_t id;
	int nframes;
	struct report_frame *frames;
	bool truncated;
	/* this interval */
	int64_t bytes, count;
	uint64_t allocs, frees, first_ns;
	const char *caller;
	int64_t caller_bytes;
	/* per window (slot = id % SITES_WINDOW_HISTORY), this interval */
	struct {
		uint32_t window;
		uint64_t allocs, alloc_bytes;
		int64_t live_count, live_bytes;
	} win[SITES_WINDOW_HISTORY];
	/* ranking by survivors, computed in sites_rank_survivors() */
	int64_t surv_bytes, surv_count;
	uint32_t seen, survived;
	bool persistent;
	/* at the previous ranking */
	int64_t prev_bytes, prev_count;
};

/* raw site id -> its group, resolved once */
struct raw_entry {
	struct raw_entry *next;
	uint64_t raw;
	struct group *g;
	const char *caller;
};

struct site_store {
	site_resolve_fn resolve;
	void *ctx;
	struct group *groups[BUCKETS];
	struct raw_entry *raws[BUCKETS];
	struct group **all; /* every group, for ranking */
	size_t nall, capall;
	struct report_site *rows;
	size_t caprows;
	uint64_t now_ns; /* bpf_ktime at the last update */
};

static unsigned bucket(uint64_t id)
{
	return (unsigned)((id * 0x9E3779B97F4A7C15ULL) >> 40) % BUCKETS;
}

struct site_store *sites_new(site_resolve_fn resolve, void *ctx)
{
	struct site_store *ss = calloc(1, sizeof(*ss));

	if (ss) {
		ss->resolve = resolve;
		ss->ctx = ctx;
	}
	return ss;
}

void sites_free(struct site_store *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->nall; i++) {
		free(ss->all[i]->frames);
		free(ss->all[i]);
	}
	for (int b = 0; b < BUCKETS; b++)
		for (struct raw_entry *r = ss->raws[b], *n; r; r = n) {
			n = r->next;
			free(r);
		}
	free(ss->all);
	free(ss->rows);
	free(ss);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

uint64_t site_id_of(const struct report_frame *frames, int n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < n; i++) {
		int32_t line = frames[i].line;

		h = fnv(h, frames[i].file, strlen(frames[i].file) + 1);
		h = fnv(h, frames[i].func, strlen(frames[i].func) + 1);
		h = fnv(h, &line, sizeof(line));
	}
	return h;
}

/* group_for() - find or create the group of symbolised frames fr[0..n). */
static struct group *group_for(struct site_store *ss, struct report_frame *fr, int n,
			       bool truncated)
{
	uint64_t id = site_id_of(fr, n);
	unsigned b = bucket(id);
	struct group *g;

	for (g = ss->groups[b]; g; g = g->next)
		if (g->id == id)
			return g;
	if (ss->nall == ss->capall) {
		size_t cap = ss->capall ? ss->capall * 2 : 256;
		struct group **p = realloc(ss->all, cap * sizeof(*p));

		if (!p)
			return NULL;
		ss->all = p;
		ss->capall = cap;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->frames = malloc((n ? n : 1) * sizeof(*fr));
	if (!g->frames) {
		free(g);
		return NULL;
	}
	memcpy(g->frames, fr, n * sizeof(*fr));
	g->nframes = n;
	g->id = id;
	g->truncated = truncated;
	g->next = ss->groups[b];
	ss->groups[b] = g;
	ss->all[ss->nall++] = g;
	return g;
}

/* resolve() - the raw site's entry, symbolising its stack the first time. */
static struct raw_entry *resolve(struct site_store *ss, uint64_t raw)
{
	struct report_frame fr[PYLEAK_MAX_FRAMES];
	unsigned b = bucket(raw);
	struct raw_entry *r;
	bool truncated = false;
	int n;

	for (r = ss->raws[b]; r; r = r->next)
		if (r->raw == raw)
			return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	n = ss->resolve(ss->ctx, raw, fr, &r->caller, &truncated);
	if (n < 1) {
		fr[0].file = "<unknown>";
		fr[0].func = "<stack not stored>";
		fr[0].line = -1;
		n = 1;
	}
	r->g = group_for(ss, fr, n, truncated);
	if (!r->g) {
		free(r);
		return NULL;
	}
	r->raw = raw;
	r->next = ss->raws[b];
	ss->raws[b] = r;
	return r;
}

int sites_update(struct site_store *ss, const struct raw_site *v, size_t n,
		 const struct raw_sw *sw, size_t nsw, uint64_t now_ns)
{
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		g->bytes = g->count = 0;
		g->allocs = g->frees = g->first_ns = 0;
		g->caller = NULL;
		g->caller_bytes = 0;
		memset(g->win, 0, sizeof(g->win));
	}
	for (size_t i = 0; i < n; i++) {
		const struct raw_site *rs = &v[i];
		struct raw_entry *r;
		struct group *g;

		if (!rs->v.allocs)
			continue;
		r = resolve(ss, rs->id);
		if (!r)
			return -ENOMEM;
		g = r->g;
		g->bytes += rs->v.bytes;
		g->count += rs->v.count;
		g->allocs += rs->v.allocs;
		g->frees += rs->v.frees;
		if (!g->first_ns || rs->v.first_ns < g->first_ns)
			g->first_ns = rs->v.first_ns;
		if (r->caller && (!g->caller || rs->v.bytes > g->caller_bytes)) {
			g->caller = r->caller;
			g->caller_bytes = rs->v.bytes;
		}
	}
	for (size_t i = 0; i < nsw; i++) {
		const struct raw_sw *e = &sw[i];
		unsigned slot = e->k.window % SITES_WINDOW_HISTORY;
		struct raw_entry *r;
		struct group *g;

		if (!e->k.window || !e->v.allocs)
			continue;
		r = resolve(ss, e->k.site);
		if (!r)
			return -ENOMEM;
		g = r->g;
		if (g->win[slot].window != e->k.window) {
			/* a newer window wins the slot: older ones are pruned anyway */
			if (g->win[slot].window > e->k.window)
				continue;
			memset(&g->win[slot], 0, sizeof(g->win[slot]));
			g->win[slot].window = e->k.window;
		}
		g->win[slot].allocs += e->v.allocs;
		g->win[slot].alloc_bytes += e->v.alloc_bytes;
		g->win[slot].live_count += e->v.live_count;
		g->win[slot].live_bytes += e->v.live_bytes;
	}
	ss->now_ns = now_ns;
	return 0;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	/* ties: a stable order, so equal sites do not swap between reports */
	return x->id < y->id ? -1 : x->id > y->id;
}

/* ensure_rows() - room for a row per group. */
static int ensure_rows(struct site_store *ss)
{
	if (ss->caprows < ss->nall) {
		struct report_site *p = realloc(ss->rows, ss->nall * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ss->rows = p;
		ss->caprows = ss->nall;
	}
	return 0;
}

/* fill_row() - the common part of a row for group g. */
static void fill_row(const struct site_store *ss, const struct group *g, struct report_site *row,
		     const char *evidence)
{
	memset(row, 0, sizeof(*row));
	row->id = g->id;
	row->bytes = g->bytes;
	row->count = g->count;
	row->delta_bytes = g->bytes - g->prev_bytes;
	row->delta_count = g->count - g->prev_count;
	row->allocs = g->allocs;
	row->frees = g->frees;
	row->age_s = g->first_ns && ss->now_ns > g->first_ns ? (ss->now_ns - g->first_ns) / 1e9 : 0;
	row->native_caller = g->caller;
	row->evidence = evidence;
	row->truncated = g->truncated;
	row->nframes = g->nframes;
	row->frames = g->frames;
}

int sites_rank(struct site_store *ss, int top, const char *evidence,
	       const struct report_site **rows, struct site_totals *tot)
{
	size_t n = 0;

	memset(tot, 0, sizeof(*tot));
	if (ensure_rows(ss))
		return -ENOMEM;
	/* ss->all doubles as the sort buffer: order does not matter elsewhere */
	qsort(ss->all, ss->nall, sizeof(*ss->all), by_bytes_desc);
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		if (g->bytes > 0 || g->count > 0) {
			tot->nsites++;
			tot->bytes += g->bytes;
			tot->count += g->count;
		}
		if ((int)n < top && g->bytes > 0)
			fill_row(ss, g, &ss->rows[n++], evidence);
		g->prev_bytes = g->bytes;
		g->prev_count = g->count;
	}
	*rows = ss->rows;
	return (int)n;
}

/* judge() - the survivor figures and verdict of g over the settled windows. */
static void judge(struct group *g, const struct window_view *wv)
{
	bool recent = false;

	g->surv_bytes = g->surv_count = 0;
	g->seen = g->survived = 0;
	for (int i = 0; i < SITES_WINDOW_HISTORY; i++) {
		uint32_t w = g->win[i].window;

		if (!w || w > wv->settled || !g->win[i].allocs)
			continue;
		g->seen++;
		g->surv_bytes += g->win[i].live_bytes > 0 ? g->win[i].live_bytes : 0;
		g->surv_count += g->win[i].live_count > 0 ? g->win[i].live_count : 0;
		/* by bytes: a leaking line's short-lived temporaries (argument
		 * conversions, iterators) must not hide the block it keeps */
		if ((double)g->win[i].live_bytes >= wv->min_survival * (double)g->win[i].alloc_bytes &&
		    g->win[i].live_bytes > 0) {
			g->survived++;
			if (w + 1 >= wv->settled)
				recent = true;
		}
	}
	g->persistent = g->survived >= 2 && recent;
}

static int by_survivors_desc(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;

	if (x->persistent != y->persistent)
		return x->persistent ? -1 : 1;
	if (x->surv_bytes != y->surv_bytes)
		return x->surv_bytes < y->surv_bytes ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int sites_rank_survivors(struct site_store *ss, int top, const struct window_view *wv,
			 const struct report_site **rows, struct site_totals *tot)
{
	size_t n = 0;

	memset(tot, 0, sizeof(*tot));
	if (ensure_rows(ss))
		return -ENOMEM;
	for (size_t i = 0; i < ss->nall; i++)
		judge(ss->all[i], wv);
	qsort(ss->all, ss->nall, sizeof(*ss->all), by_survivors_desc);
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];
		struct report_site *row;

		if (g->surv_bytes > 0) {
			tot->nsites++;
			tot->bytes += g->surv_bytes;
			tot->count += g->surv_count;
			tot->npersistent += g->persistent;
		}
		if ((int)n < top && g->surv_bytes > 0) {
			row = &ss->rows[n++];
			fill_row(ss, g, row, "survivors");
			row->bytes = g->surv_bytes;
			row->count = g->surv_count;
			row->delta_bytes = g->surv_bytes - g->prev_bytes;
			row->delta_count = g->surv_count - g->prev_count;
			row->windows_seen = g->seen;
			row->windows_survived = g->survived;
			row->persistent = g->persistent;
		}
		g->prev_bytes = g->surv_bytes;
		g->prev_count = g->surv_count;
	}
	*rows = ss->rows;
	return (int)n;
}
