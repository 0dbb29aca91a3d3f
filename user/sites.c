// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sites.c: see sites.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "collect.h"
#include "sites.h"
#include "symbolize.h"

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
	struct symbolizer *sym;
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

struct site_store *sites_new(struct symbolizer *sym)
{
	struct site_store *ss = calloc(1, sizeof(*ss));

	if (ss)
		ss->sym = sym;
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
static struct raw_entry *resolve(struct site_store *ss, struct capture *c, uint64_t raw)
{
	static struct pyleak_stack st; /* 1 KiB: keep it off the C stack */
	struct report_frame fr[PYLEAK_MAX_FRAMES];
	unsigned b = bucket(raw);
	struct raw_entry *r;
	int n = 0;

	for (r = ss->raws[b]; r; r = r->next)
		if (r->raw == raw)
			return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memset(&st, 0, sizeof(st));
	if (!collect_stack(c, raw, &st)) {
		for (n = 0; n < st.depth; n++)
			sym_frame(ss->sym, &st.frames[n], &fr[n]);
		r->caller = sym_native(ss->sym, st.native_caller);
	}
	if (!n) {
		/* a thread without a Python thread state, or the interpreter
		 * allocating outside any Python frame (start-up, shutdown) */
		fr[0].file = (st.flags & PYLEAK_STACK_NO_TSTATE) ? "<native thread>" : "<interpreter>";
		fr[0].func = "<no Python frame>";
		fr[0].line = -1;
		n = 1;
	}
	r->g = group_for(ss, fr, n, st.flags & PYLEAK_STACK_TRUNCATED);
	if (!r->g) {
		free(r);
		return NULL;
	}
	r->raw = raw;
	r->next = ss->raws[b];
	ss->raws[b] = r;
	return r;
}

int sites_update(struct site_store *ss, struct capture *c, const struct collect_snapshot *snap,
		 uint64_t now_ns)
{
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		g->bytes = g->count = 0;
		g->allocs = g->frees = g->first_ns = 0;
		g->caller = NULL;
		g->caller_bytes = 0;
	}
	for (size_t i = 0; i < snap->n; i++) {
		const struct raw_site *rs = &snap->sites[i];
		struct raw_entry *r;
		struct group *g;

		if (!rs->v.allocs)
			continue;
		r = resolve(ss, c, rs->id);
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

int sites_rank(struct site_store *ss, int top, const struct report_site **rows,
	       struct site_totals *tot)
{
	size_t n = 0;

	memset(tot, 0, sizeof(*tot));
	if (ss->caprows < ss->nall) {
		struct report_site *p = realloc(ss->rows, ss->nall * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ss->rows = p;
		ss->caprows = ss->nall;
	}
	/* ss->all doubles as the sort buffer: order does not matter elsewhere */
	qsort(ss->all, ss->nall, sizeof(*ss->all), by_bytes_desc);
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];
		struct report_site *row;

		if (g->bytes > 0 || g->count > 0) {
			tot->nsites++;
			tot->bytes += g->bytes;
			tot->count += g->count;
		}
		if ((int)n < top && g->bytes > 0) {
			row = &ss->rows[n++];
			memset(row, 0, sizeof(*row));
			row->id = g->id;
			row->bytes = g->bytes;
			row->count = g->count;
			row->delta_bytes = g->bytes - g->prev_bytes;
			row->delta_count = g->count - g->prev_count;
			row->allocs = g->allocs;
			row->frees = g->frees;
			row->age_s = g->first_ns && ss->now_ns > g->first_ns
					     ? (ss->now_ns - g->first_ns) / 1e9
					     : 0;
			row->native_caller = g->caller;
			row->truncated = g->truncated;
			row->nframes = g->nframes;
			row->frames = g->frames;
		}
		g->prev_bytes = g->bytes;
		g->prev_count = g->count;
	}
	*rows = ss->rows;
	return (int)n;
}
