// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sites.c: see sites.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "sites.h"

#define BUCKETS 8192
/* shares_growth(): the least part of its captures a site must keep */
#define SHARE_MIN_KEPT 0.05

struct group {
	struct group *next; /* hash chain by id */
	uint64_t id;
	int nframes;
	struct report_frame *frames;
	bool truncated;
	/* this interval */
	int64_t bytes, count;
	uint64_t allocs, frees, first_ns;
	uint64_t retired_allocs, retired_frees; /* of raw sites deleted from the maps */
	const char *caller;
	int64_t caller_bytes;
	/* per window (slot = id % SITES_WINDOW_HISTORY), this interval */
	struct {
		uint32_t window;
		uint64_t allocs, alloc_bytes;
		int64_t live_count, live_bytes;
	} win[SITES_WINDOW_HISTORY];
	/* what each window's captures here still held when it settled (slot as
	 * win[]); kept across updates: the survivors later windows are judged
	 * against */
	struct {
		uint32_t window;
		int64_t live_count, live_bytes;
		/* what it captured: kept here because a raw site whose
		 * captures all died is deleted from the maps after its
		 * window (retention.h), and with it that count */
		uint64_t allocs, alloc_bytes;
	} settle[SITES_WINDOW_HISTORY];
	/* ranking by survivors, computed in sites_rank_survivors() */
	int64_t surv_bytes, surv_count;
	uint64_t cap_bytes, cap_count; /* what the counted windows captured here */
	uint32_t seen, survived, lost;
	bool persistent;
	/* at the previous ranking */
	int64_t prev_bytes, prev_count;
	/* growth judgement */
	struct trend_ring *ring;  /* alloc mode: outstanding bytes, or NULL */
	struct trend_fit fit;
	bool fit_ok;
	enum trend_verdict verdict;
	double rate_bps;
	bool alert;		  /* leak_suspect now */
	double alert_since;	  /* raised at, update clock seconds */
	bool rising;		  /* alloc mode: the raise condition holds ... */
	double rising_since;	  /* ... since then (update clock seconds) */
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
	struct site_trend_opts o;
	size_t nrings;
	struct report_alert alerts[SITES_MAX_ALERTS];
	int nalerts;
	uint32_t active;
	struct site_alert *active_v; /* sites_active_alerts()'s view */
	size_t capactive;
	bool evict_failed; /* this update: no ring could be freed, stop trying */
	bool frozen;	    /* sites_freeze(): totals only, no samples, no judgement */
	uint32_t pending;   /* last ranking: raise conditions still in their hold */
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
		free(ss->all[i]->ring);
		free(ss->all[i]);
	}
	for (int b = 0; b < BUCKETS; b++)
		for (struct raw_entry *r = ss->raws[b], *n; r; r = n) {
			n = r->next;
			free(r);
		}
	free(ss->all);
	free(ss->rows);
	free(ss->active_v);
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

void sites_configure(struct site_store *ss, const struct site_trend_opts *o)
{
	ss->o = *o;
}

const char *sites_group_by_name(enum site_group_by g)
{
	static const char *const names[] = { "stack", "line", "function", "file", "head" };

	return g <= GROUP_HEAD ? names[g] : "?";
}

/* group_for() - find or create the group of symbolised frames fr[0..n),
 * after cutting them to the grouping's key (the innermost frame, without
 * its line for GROUP_FUNCTION, without function and line for GROUP_FILE;
 * the head frame for GROUP_HEAD, so its id is the incident id). */
static struct group *group_for(struct site_store *ss, struct report_frame *fr, int n,
			       bool truncated)
{
	struct group **all;
	uint64_t id;

	if (ss->o.group_by == GROUP_HEAD && n > 1 && ss->o.head) {
		int h = ss->o.head(ss->o.head_ctx, fr, n);

		if (h > 0 && h < n)
			fr[0] = fr[h];
	}
	if (ss->o.group_by != GROUP_STACK) {
		n = 1;
		truncated = false;
		if (ss->o.group_by == GROUP_FUNCTION || ss->o.group_by == GROUP_FILE)
			fr[0].line = -1;
		if (ss->o.group_by == GROUP_FILE)
			fr[0].func = "";
	}
	id = site_id_of(fr, n);
	unsigned b = bucket(id);
	struct group *g;

	for (g = ss->groups[b]; g; g = g->next)
		if (g->id == id)
			return g;
	all = array_room(ss->all, &ss->capall, ss->nall, sizeof(*all), 256);
	if (!all)
		return NULL;
	ss->all = all;
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
		fr[0].first_line = 0;
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

void sites_retire(struct site_store *ss, const struct raw_site *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct raw_entry **pp = &ss->raws[bucket(v[i].id)], *r;

		while ((r = *pp) && r->raw != v[i].id)
			pp = &r->next;
		if (!r)
			continue;
		r->g->retired_allocs += v[i].v.allocs;
		r->g->retired_frees += v[i].v.frees;
		*pp = r->next;
		free(r);
	}
}

/* evict_ring() - give up the ring of the smallest group without an alert,
 * if it is smaller than need_bytes. Returns true if one was freed. */
static bool evict_ring(struct site_store *ss, int64_t need_bytes)
{
	struct group *victim = NULL;

	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		if (g->ring && !g->alert && (!victim || g->bytes < victim->bytes))
			victim = g;
	}
	if (!victim || victim->bytes >= need_bytes)
		return false;
	free(victim->ring);
	victim->ring = NULL;
	victim->fit_ok = false;
	ss->nrings--;
	return true;
}

/* record() - add g's bytes (outstanding, or surviving in growth mode) at
 * now to its history; a group gets a ring once it holds memory, within
 * SITES_MAX_HISTORIES. */
static void record(struct site_store *ss, struct group *g, double now, int64_t bytes)
{
	if (!g->ring) {
		if (bytes <= 0)
			return;
		if (ss->nrings >= SITES_MAX_HISTORIES) {
			if (ss->evict_failed)
				return;
			if (!evict_ring(ss, bytes)) {
				ss->evict_failed = true;
				return;
			}
		}
		g->ring = malloc(sizeof(*g->ring));
		if (!g->ring)
			return;
		trend_ring_init(g->ring, trend_spacing_for(ss->o.window_s));
		ss->nrings++;
	}
	trend_ring_push(g->ring, now, (double)bytes);
}

int sites_update(struct site_store *ss, const struct raw_site *v, size_t n,
		 const struct raw_sw *sw, size_t nsw, uint64_t now_ns)
{
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		g->bytes = g->count = 0;
		g->allocs = g->retired_allocs;
		g->frees = g->retired_frees;
		g->first_ns = 0;
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
	if (ss->frozen)
		return 0;
	ss->now_ns = now_ns;
	ss->evict_failed = false;
	if (ss->o.history)
		for (size_t i = 0; i < ss->nall; i++)
			record(ss, ss->all[i], now_ns / 1e9, ss->all[i]->bytes);
	return 0;
}

/* alert_step() - g's alert condition now is cond: record a transition. */
static void alert_step(struct site_store *ss, struct group *g, bool cond, double now)
{
	struct report_alert *a;

	if (cond == g->alert)
		return;
	g->alert = cond;
	if (cond)
		g->alert_since = now;
	if (ss->nalerts >= SITES_MAX_ALERTS)
		return; /* counted in active/raised; the rows still show it */
	a = &ss->alerts[ss->nalerts++];
	memset(a, 0, sizeof(*a));
	a->state = cond ? "leak_suspect" : "resolved";
	a->subject = "site";
	a->id = g->id;
	a->rate_bps = g->rate_bps;
	/* alloc mode judges trends; growth mode's ring is for display only */
	a->bytes = ss->o.history ? g->bytes : g->surv_bytes;
	a->since_s = g->alert_since - ss->o.t0_s;
	a->native_caller = g->caller;
	a->nframes = g->nframes;
	a->frames = g->frames;
	if (ss->o.history) {
		a->evidence = "trend";
		a->growth_bytes = g->fit_ok ? g->fit.growth : 0;
		a->duration_s = cond ? (g->fit_ok ? g->fit.span_s : 0) : now - g->alert_since;
		a->p_value = g->fit_ok ? g->fit.p_up : -1;
	} else {
		a->evidence = "survivors";
		a->growth_bytes = g->rate_bps * ss->o.window_s;
		a->duration_s = cond ? 0 : now - g->alert_since;
		a->p_value = -1;
		a->windows_seen = g->seen;
		a->windows_survived = g->survived;
	}
}

/* trend_judge_group() - alloc mode: fit g's history over the window, and
 * raise or resolve its alert (with trend_alert()'s hysteresis; a raise once
 * the condition has held for SITES_ALERT_HOLD of the window). */
static void trend_judge_group(struct site_store *ss, struct group *g, double now)
{
	bool cond;

	g->fit_ok = false;
	g->verdict = TREND_UNKNOWN;
	g->rate_bps = 0;
	if (g->ring) {
		g->verdict = trend_ring_assess(g->ring, now - ss->o.window_s, &ss->o.rule, &g->fit);
		g->fit_ok = g->fit.n >= 3 && g->fit.span_s > 0;
		if (g->fit_ok)
			g->rate_bps = g->fit.slope;
	}
	cond = g->fit_ok && trend_alert(g->alert, &g->fit, &ss->o.rule);
	if (!g->alert) {
		/* raise only once the condition has held for SITES_ALERT_HOLD of
		 * the window: just after a warm-up levels off its series still
		 * fits as growing into the last third for a moment (seen in CI:
		 * raised, then resolved a second later) */
		if (!cond)
			g->rising = false;
		else if (!g->rising) {
			g->rising = true;
			g->rising_since = now;
		}
		cond = cond && now - g->rising_since >= SITES_ALERT_HOLD * ss->o.window_s;
		ss->pending += g->rising && !cond;
	}
	alert_step(ss, g, cond, now);
}

/* fill_trend() - the row's judgement figures from g. */
static void fill_trend(const struct group *g, struct report_site *row)
{
	row->rate_bps = g->rate_bps;
	row->p_value = -1;
	if (g->fit_ok) {
		row->window_growth = g->fit.growth;
		row->window_span_s = g->fit.span_s;
		row->p_value = g->fit.p_up;
		row->trend = trend_verdict_name(g->verdict);
	}
	row->alert = g->alert;
}

void sites_freeze(struct site_store *ss)
{
	ss->frozen = true;
}

uint64_t sites_group_of(const struct site_store *ss, uint64_t raw)
{
	for (const struct raw_entry *r = ss->raws[bucket(raw)]; r; r = r->next)
		if (r->raw == raw)
			return r->g->id;
	return 0;
}

int sites_alerts(struct site_store *ss, const struct report_alert **v, uint32_t *active)
{
	*v = ss->alerts;
	*active = ss->active;
	return ss->nalerts;
}

int sites_active_alerts(struct site_store *ss, const struct site_alert **v)
{
	size_t n = 0;

	for (size_t i = 0; i < ss->nall; i++) {
		const struct group *g = ss->all[i];
		struct site_alert *a;

		if (!g->alert)
			continue;
		a = array_room(ss->active_v, &ss->capactive, n, sizeof(*a), 16);
		if (!a)
			return -ENOMEM;
		ss->active_v = a;
		a[n++] = (struct site_alert){ .site_id = g->id, .nframes = g->nframes,
					      .frames = g->frames, .rate_bps = g->rate_bps,
					      .bytes = ss->o.history ? g->bytes : g->surv_bytes,
					      .since_s = g->alert_since - ss->o.t0_s,
					      .native_caller = g->caller };
	}
	*v = ss->active_v;
	return (int)n;
}

/* begin_alerts()/end_alerts() - around a ranking: collect its transitions,
 * raised first, and count the active alerts. */
static void begin_alerts(struct site_store *ss)
{
	ss->nalerts = 0;
	ss->active = 0;
	ss->pending = 0;
}

uint32_t sites_pending(const struct site_store *ss)
{
	return ss->pending;
}

static int raised_first(const void *a, const void *b)
{
	const struct report_alert *x = a, *y = b;

	return (x->state[0] == 'r') - (y->state[0] == 'r');
}

static void end_alerts(struct site_store *ss)
{
	for (size_t i = 0; i < ss->nall; i++)
		ss->active += ss->all[i]->alert;
	array_sort(ss->alerts, ss->nalerts, sizeof(ss->alerts[0]), raised_first);
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	/* ties: a stable order, so equal sites do not swap between reports */
	return x->id < y->id ? -1 : x->id > y->id;
}

/* rank_growth() - the growth alloc mode ranks g by: the fitted growth over
 * the window once its history can be fitted; before that (fewer than three
 * samples: the group was born within the last few samples, so inside the
 * window) all it holds, since it held nothing at the window's start. A site
 * that starts leaking late in a short run must not rank below one that grew
 * once early just because only the older one has enough samples (seen in
 * CI: a 4 s run's leak under an import site). A group without a history
 * (none kept, see SITES_MAX_HISTORIES) ranks by bytes alone. */
static double rank_growth(const struct group *g)
{
	if (g->fit_ok)
		return g->fit.growth > 0 ? g->fit.growth : 0;
	if (g->ring && g->bytes > 0)
		return (double)g->bytes;
	return 0;
}

/* by_growth_desc() - alloc mode with history: alerts first, then by
 * rank_growth() (a big stable site ranks below a smaller growing one), then
 * by bytes. */
static int by_growth_desc(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;
	double gx = rank_growth(x);
	double gy = rank_growth(y);

	if (x->alert != y->alert)
		return x->alert ? -1 : 1;
	if (gx != gy)
		return gx < gy ? 1 : -1;
	return by_bytes_desc(a, b);
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
	row->alert_since_s = g->alert ? g->alert_since - ss->o.t0_s : 0;
}

int sites_rank(struct site_store *ss, int top, const char *evidence,
	       const struct report_site **rows, struct site_totals *tot)
{
	double now = ss->now_ns / 1e9;
	size_t n = 0;

	memset(tot, 0, sizeof(*tot));
	if (ensure_rows(ss))
		return -ENOMEM;
	begin_alerts(ss);
	if (ss->o.history && !ss->frozen)
		for (size_t i = 0; i < ss->nall; i++)
			trend_judge_group(ss, ss->all[i], now);
	end_alerts(ss);
	/* ss->all doubles as the sort buffer: order does not matter elsewhere */
	array_sort(ss->all, ss->nall, sizeof(*ss->all), ss->o.history ? by_growth_desc : by_bytes_desc);
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];

		if (g->bytes > 0 || g->count > 0) {
			tot->nsites++;
			tot->bytes += g->bytes;
			tot->count += g->count;
		}
		if ((int)n < top && g->bytes > 0) {
			fill_row(ss, g, &ss->rows[n], evidence);
			fill_trend(g, &ss->rows[n++]);
		}
		g->prev_bytes = g->bytes;
		g->prev_count = g->count;
	}
	*rows = ss->rows;
	return (int)n;
}

/* settle_window() - remember what g holds now of window w's captures as
 * the survivors of w's follow phase. */
static void settle_window(struct group *g, uint32_t w)
{
	unsigned slot = w % SITES_WINDOW_HISTORY;

	if (g->win[slot].window != w)
		return;
	g->settle[slot].window = w;
	g->settle[slot].live_count = g->win[slot].live_count;
	g->settle[slot].live_bytes = g->win[slot].live_bytes;
	g->settle[slot].allocs = g->win[slot].allocs;
	g->settle[slot].alloc_bytes = g->win[slot].alloc_bytes;
}

void sites_settle(struct site_store *ss, uint32_t window)
{
	for (size_t i = 0; i < ss->nall && window; i++)
		settle_window(ss->all[i], window);
}

/* judge() - the survivor figures, rate and verdict of g over the settled
 * windows. What leaks is what outlives a window's follow phase and then
 * stays alive while later windows come and go; the share of a site's
 * allocations that survive says nothing (a leaking line may make many
 * temporaries beside the block it keeps). So each settled window is judged
 * on its own survivors, as sites_settle() recorded them (or, for a window
 * settled without that call, as first seen here): it is kept when at least
 * min_survival of those survivors' bytes OR count live on now, and lost
 * when they had survivors and most have died since. By bytes OR count: a
 * list growing at the leaking line reallocates (frees) its big item array
 * while every item it appended lives on. A window whose captures here all
 * died within its follow phase is neither. The site is persistent when at
 * least two windows are kept, one of them among the latest two settled
 * (it still accumulates), and kept windows outnumber lost ones: a cache
 * or pool's survivors die as later windows come, a leak's never do. */
static void judge(struct group *g, const struct window_view *wv)
{
	bool recent = false;
	double live = 0, secs = 0;

	g->surv_bytes = g->surv_count = 0;
	g->cap_bytes = g->cap_count = 0;
	g->seen = g->survived = g->lost = 0;
	for (int i = 0; i < SITES_WINDOW_HISTORY; i++) {
		uint32_t w = g->win[i].window;
		unsigned slot = w % SITES_WINDOW_HISTORY;
		int64_t lb = g->win[i].live_bytes, lc = g->win[i].live_count;
		int64_t sb, sc;

		if (!w || w > wv->settled || !g->win[i].allocs)
			continue;
		g->seen++;
		g->surv_bytes += lb > 0 ? lb : 0;
		g->surv_count += lc > 0 ? lc : 0;
		if (wv->capture_id[slot] == w && wv->capture_s[slot] > 0) {
			live += lb > 0 ? lb : 0;
			secs += wv->capture_s[slot];
		}
		if (g->settle[slot].window != w)
			settle_window(g, w);
		sb = g->settle[slot].live_bytes;
		sc = g->settle[slot].live_count;
		/* the larger of what it captured then and now (a pruned raw
		 * site's captures are gone from win[], a late update adds) */
		g->cap_bytes += g->settle[slot].alloc_bytes > g->win[i].alloc_bytes
					? g->settle[slot].alloc_bytes : g->win[i].alloc_bytes;
		g->cap_count += g->settle[slot].allocs > g->win[i].allocs ? g->settle[slot].allocs
									  : g->win[i].allocs;
		if (sb <= 0 && sc <= 0)
			continue; /* all died while followed: no evidence either way */
		if (lb > 0 && ((double)lb >= wv->min_survival * sb ||
			       (double)lc >= wv->min_survival * sc)) {
			g->survived++;
			if (w + 1 >= wv->settled)
				recent = true;
		} else {
			g->lost++;
		}
	}
	g->persistent = g->survived >= 2 && recent && g->survived > g->lost;
	g->rate_bps = secs > 0 ? live / secs : 0;
}

/* shares_growth() - may the process's growth be shared out to g? Only a
 * persistent site that keeps a fair part of what it captured, by bytes or
 * count: a churning line's phantom survivors (objects parked in a free
 * list, whose reuse no probe sees after the window) look persistent but are
 * a speck of its captures, and must not be handed a share of a growth that
 * is someone else's. */
static bool shares_growth(const struct group *g)
{
	return g->persistent &&
	       ((double)g->surv_bytes >= SHARE_MIN_KEPT * (double)g->cap_bytes ||
		(double)g->surv_count >= SHARE_MIN_KEPT * (double)g->cap_count);
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
	double now = ss->now_ns / 1e9, all_surv = 0;
	size_t n = 0;

	memset(tot, 0, sizeof(*tot));
	if (ensure_rows(ss))
		return -ENOMEM;

	for (size_t i = 0; i < ss->nall; i++) {
		judge(ss->all[i], wv);
		if (shares_growth(ss->all[i]))
			all_surv += (double)ss->all[i]->surv_bytes;
	}
	begin_alerts(ss);
	for (size_t i = 0; i < ss->nall; i++) {
		struct group *g = ss->all[i];
		double attributed = all_surv > 0 && wv->process_rate_bps > 0 && shares_growth(g)
					    ? wv->process_rate_bps * (double)g->surv_bytes / all_surv
					    : 0;

		if (attributed > g->rate_bps)
			g->rate_bps = attributed;
		/* for display only (charts, sparklines): growth mode judges
		 * windows, not this series */
		record(ss, g, now, g->surv_bytes);
		/* raised on a persistent site whose rate, and rate over the
		 * window, pass the thresholds; held while it stays persistent */
		alert_step(ss, g,
			   g->persistent && (g->alert || (g->rate_bps >= ss->o.alert_rate_bps &&
							  g->rate_bps * ss->o.window_s >=
								  ss->o.alert_min_bytes)),
			   now);
	}
	end_alerts(ss);
	array_sort(ss->all, ss->nall, sizeof(*ss->all), by_survivors_desc);
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
			row->rate_bps = g->rate_bps;
			row->p_value = -1;
			row->alert = g->alert;
		}
		g->prev_bytes = g->surv_bytes;
		g->prev_count = g->surv_count;
	}
	*rows = ss->rows;
	return (int)n;
}

int sites_history(const struct site_store *ss, uint64_t id, double t0, struct report_point *out,
		  int max)
{
	double t[TREND_RING_CAP], v[TREND_RING_CAP];
	const struct group *g;
	int n;

	for (g = ss->groups[bucket(id)]; g && g->id != id; g = g->next)
		;
	if (!g || !g->ring || max <= 0)
		return 0;
	n = trend_ring_since(g->ring, -INFINITY, t, v, max < TREND_RING_CAP ? max : TREND_RING_CAP);
	for (int i = 0; i < n; i++)
		out[i] = (struct report_point){ t[i] - t0, v[i] };
	return n;
}
