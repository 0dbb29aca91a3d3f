// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* objtypes.c: see objtypes.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "array.h"
#include "collect.h"
#include "log.h"
#include "objtypes.h"
#include "pytypes.h"
#include "sites.h"
#include "trend.h"

#define NOT_OBJECT "(not an object)"

/* One site's tally while sampling. */
struct site_tally {
	uint64_t gid;
	uint32_t sampled;
	int n;
	struct {
		const char *name;
		double bytes;
	} t[16];
	double total;
	struct report_type_share out[OBJTYPES_PER_SITE];
};

/* One type name's census history. */
struct tracked {
	char *name;
	uint64_t count, prev;
	uint32_t last_census; /* census number it was last seen in */
	struct trend_ring ring;
};

struct objtypes {
	struct pytype_reader r;
	double window_s;
	/* site types */
	struct site_tally *tally;
	int ntally;
	uint32_t per_site;
	const struct site_store *ss;
	bool names_full;
	/* census */
	struct tracked *tr;
	int ntr;
	uint32_t ncensus;
	struct report_census last;
	double last_at;
	struct report_type *rows;
};

struct objtypes *objtypes_new(pid_t pid, uint32_t version_hex, double window_s)
{
	struct objtypes *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	err = pytype_reader_init_pid(&o->r, pid, version_hex);
	if (err) {
		free(o);
		errno = -err;
		return NULL;
	}
	o->window_s = window_s;
	return o;
}

void objtypes_free(struct objtypes *o)
{
	if (!o)
		return;
	pytype_reader_free(&o->r);
	for (int i = 0; i < o->ntr; i++)
		free(o->tr[i].name);
	free(o->tr);
	free(o->tally);
	free(o->rows);
	free(o);
}

static struct site_tally *tally_of(struct objtypes *o, uint64_t gid)
{
	for (int i = 0; i < o->ntally; i++)
		if (o->tally[i].gid == gid)
			return &o->tally[i];
	return NULL;
}

/* sample_one() - collect_live_fn: type one live allocation of a top site. */
static int sample_one(void *ctx, const struct pyleak_ptr *k, const struct pyleak_alloc *v)
{
	struct objtypes *o = ctx;
	struct site_tally *st = tally_of(o, sites_group_of(o->ss, v->site));
	const char *name = NOT_OBJECT;
	uint32_t off;
	int err, i;

	if (!st || st->sampled >= o->per_site)
		return 0;
	err = pytype_of_alloc(&o->r, k->ptr, v->size, &name, &off);
	if (err == -ESRCH || err == -EPERM || err == -ENOMEM)
		return err;
	if (err == -ENOSPC)
		o->names_full = true; /* reset before the next batch, not under this one */
	if (err == -EFAULT || err == -ENOSPC)
		return 0; /* freed since, or no name now: skipped */
	if (err)
		name = NOT_OBJECT;
	st->sampled++;
	st->total += v->size;
	for (i = 0; i < st->n; i++)
		if (st->t[i].name == name || !strcmp(st->t[i].name, name))
			break;
	if (i == st->n) {
		if (st->n == (int)(sizeof(st->t) / sizeof(st->t[0])))
			return 0;
		st->t[st->n].name = name;
		st->t[st->n++].bytes = 0;
	}
	st->t[i].bytes += v->size;
	return 0;
}

static int share_desc(const void *a, const void *b)
{
	const struct report_type_share *x = a, *y = b;

	return x->share < y->share ? 1 : x->share > y->share ? -1 : strcmp(x->name, y->name);
}

int objtypes_sample_sites(struct objtypes *o, struct capture *c, const struct site_store *ss,
			  struct report_site *rows, int n, uint32_t per_site)
{
	struct site_tally *t;
	int err;

	if (n <= 0 || !per_site)
		return 0;
	t = realloc(o->tally, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	o->tally = t;
	o->ntally = n;
	memset(t, 0, n * sizeof(*t));
	for (int i = 0; i < n; i++)
		t[i].gid = rows[i].id;
	o->per_site = per_site;
	o->ss = ss;
	/* the previous report is written: its names may go now */
	if (o->names_full) {
		pytype_reader_reset(&o->r);
		o->names_full = false;
	}
	/* names may be stale after classes were made at run time */
	pytype_reader_revalidate(&o->r);
	err = collect_live_each(c, OBJTYPES_SCAN_MAX, sample_one, o);
	for (int i = 0; i < n; i++)
		log_debug("site %016" PRIx64 ": %u allocations typed", t[i].gid, t[i].sampled);
	/* the names above must outlive this report: no reset from here on */
	for (int i = 0; i < n; i++) {
		struct site_tally *st = &t[i];
		struct report_type_share all[16];
		int m = 0;

		for (int j = 0; j < st->n; j++) {
			all[m].name = st->t[j].name;
			all[m++].share = st->total > 0 ? st->t[j].bytes / st->total : 0;
		}
		array_sort(all, m, sizeof(all[0]), share_desc);
		if (m > OBJTYPES_PER_SITE)
			m = OBJTYPES_PER_SITE;
		memcpy(st->out, all, m * sizeof(all[0]));
		rows[i].types = st->out;
		rows[i].ntypes = m;
		rows[i].types_sampled = st->sampled;
	}
	return err;
}

static struct tracked *track(struct objtypes *o, const char *name, uint64_t count)
{
	struct tracked *t;
	int victim = -1;

	for (int i = 0; i < o->ntr; i++)
		if (!strcmp(o->tr[i].name, name))
			return &o->tr[i];
	if (o->ntr == OBJTYPES_TRACKED) {
		/* evict the smallest type, if it is smaller than this one */
		for (int i = 0; i < o->ntr; i++)
			if (victim < 0 || o->tr[i].count < o->tr[victim].count)
				victim = i;
		if (o->tr[victim].count >= count)
			return NULL;
		free(o->tr[victim].name);
		t = &o->tr[victim];
	} else {
		t = realloc(o->tr, (o->ntr + 1) * sizeof(*t));
		if (!t)
			return NULL;
		o->tr = t;
		t = &o->tr[o->ntr++];
	}
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	if (!t->name) {
		*t = o->tr[--o->ntr];
		return NULL;
	}
	trend_ring_init(&t->ring, trend_spacing_for(o->window_s));
	return t;
}

int objtypes_census(struct objtypes *o, const uint64_t *heads, int nheads, uint64_t max_nodes,
		    double now)
{
	struct pytype_census c;
	int err = pytype_census(&o->r, heads, nheads, max_nodes, OBJTYPES_CENSUS_SECONDS, &c);

	if (err)
		return err;
	/* a list that changed under the walk (the young generation, a running
	 * collection) usually completes a moment later: try once more */
	if (!c.budget_hit && c.complete_lists < c.lists) {
		struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };

		pytype_census_free(&c);
		nanosleep(&pause, NULL);
		err = pytype_census(&o->r, heads, nheads, max_nodes, OBJTYPES_CENSUS_SECONDS, &c);
		if (err)
			return err;
	}
	for (int i = 0; i < c.lists; i++)
		log_debug("census list %d: %" PRIu64 " objects, %s", i, c.list[i].nodes,
			  pytype_stop_name(c.list[i].stop));
	o->ncensus++;
	for (int i = 0; i < c.n; i++) {
		struct tracked *t = track(o, c.v[i].name, c.v[i].count);

		if (!t)
			continue;
		t->prev = t->last_census + 1 == o->ncensus ? t->count : 0;
		t->count = c.v[i].count;
		t->last_census = o->ncensus;
		/* a census that did not see every list is not a sample of the
		 * total: it would read as a drop, then a jump */
		if (!c.budget_hit && c.complete_lists == c.lists)
			trend_ring_push(&t->ring, now, (double)t->count);
	}
	/* types that vanished count 0 now */
	for (int i = 0; i < o->ntr; i++)
		if (o->tr[i].last_census != o->ncensus) {
			o->tr[i].prev = o->tr[i].last_census + 1 == o->ncensus ? o->tr[i].count : 0;
			o->tr[i].count = 0;
			o->tr[i].last_census = o->ncensus;
			if (!c.budget_hit && c.complete_lists == c.lists)
				trend_ring_push(&o->tr[i].ring, now, 0);
		}
	o->last = (struct report_census){
		.objects = c.nodes,
		.lists = (uint32_t)c.lists,
		.complete_lists = (uint32_t)c.complete_lists,
		.budget_hit = c.budget_hit,
		.seconds = c.seconds,
		.ncensus = o->ncensus,
		.walks = o->last.walks + 1,
	};
	o->last_at = now;
	pytype_census_free(&c);
	return 0;
}

int objtypes_census_carry(struct objtypes *o, double now)
{
	if (!o->ncensus || o->last.budget_hit || o->last.complete_lists < o->last.lists)
		return -EAGAIN;
	o->ncensus++;
	/* every type was (re)set by the last census, vanished ones to 0 */
	for (int i = 0; i < o->ntr; i++) {
		o->tr[i].prev = o->tr[i].count;
		o->tr[i].last_census = o->ncensus;
		trend_ring_push(&o->tr[i].ring, now, (double)o->tr[i].count);
	}
	o->last.ncensus = o->ncensus;
	o->last_at = now;
	return 0;
}

static int by_rate_desc(const void *a, const void *b)
{
	const struct report_type *x = a, *y = b;

	if (x->rate_per_min != y->rate_per_min)
		return x->rate_per_min < y->rate_per_min ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

int objtypes_rank(struct objtypes *o, int top, double now, const struct report_type **v,
		  const struct report_census **c)
{
	struct trend_rule rule = { .max_p = 0.01, .min_points = 4, .min_span_s = 0,
				   .recent_frac = 0.5 };
	struct report_type *rows;
	int n = 0;

	*v = NULL;
	*c = NULL;
	if (!o->ncensus)
		return 0;
	rows = realloc(o->rows, (o->ntr ? o->ntr : 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	o->rows = rows;
	for (int i = 0; i < o->ntr; i++) {
		struct tracked *t = &o->tr[i];
		struct trend_fit f;
		enum trend_verdict verdict;

		if (!t->count && !t->prev)
			continue;
		verdict = trend_ring_assess(&t->ring, now - o->window_s, &rule, &f);
		rows[n] = (struct report_type){
			.name = t->name,
			.count = t->count,
			.delta = (int64_t)t->count - (int64_t)t->prev,
			.rate_per_min = f.n >= 3 && f.span_s > 0 ? f.slope * 60 : 0,
			.trend = trend_verdict_name(verdict),
			.p_value = f.n >= 3 && f.span_s > 0 ? f.p_up : -1,
		};
		n++;
	}
	array_sort(rows, n, sizeof(*rows), by_rate_desc);
	o->last.age_s = now - o->last_at;
	*v = rows;
	*c = &o->last;
	return n < top ? n : top;
}
