// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect.c: see collect.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "array.h"
#include "alloc.skel.h"
#include "capture.h"
#include "collect.h"
#include "retention.h"
#include "tstates.h"

/* read_sw() - every (site, window) entry into snap->sw. */
static int read_sw(struct capture *c, struct collect_snapshot *snap)
{
	int fd = bpf_map__fd(c->skel->maps.site_windows);
	struct pyleak_sw_key key, next;
	struct raw_sw *p;
	bool first = true;

	snap->nsw = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		p = array_room(snap->sw, &snap->capsw, snap->nsw, sizeof(*p), 1024);
		if (!p)
			return -ENOMEM;
		snap->sw = p;
		if (bpf_map_lookup_elem(fd, &key, &snap->sw[snap->nsw].v))
			continue;
		snap->sw[snap->nsw++].k = key;
	}
	return 0;
}

int collect_live_each(struct capture *c, uint64_t max, collect_live_fn fn, void *ctx)
{
	enum { CHUNK = 4096 };
	int live_fd = bpf_map__fd(c->skel->maps.live);
	/* zeroed: entries are read only up to the count the kernel gives, but
	 * memcheck cannot see the kernel fill them (it does not model
	 * BPF_MAP_LOOKUP_BATCH) and make valgrind must stay free of reports */
	struct pyleak_ptr *keys = calloc(CHUNK, sizeof(*keys));
	struct pyleak_alloc *vals = calloc(CHUNK, sizeof(*vals));
	uint64_t token = 0, seen = 0; /* the hash map's batch cursor: a bucket index */
	bool first = true, done = false;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done && seen < max) {
		__u32 count = CHUNK;

		err = bpf_map_lookup_batch(live_fd, first ? NULL : &token, &token, keys, vals,
					   &count, NULL);
		if (err) {
			err = -errno;
			if (err != -ENOENT)
				goto out;
			err = 0;
			done = true; /* last chunk: count still valid */
		}
		first = false;
		for (__u32 i = 0; i < count && seen < max; i++, seen++) {
			err = fn(ctx, &keys[i], &vals[i]);
			if (err)
				goto out;
		}
	}
out:
	free(keys);
	free(vals);
	return err < 0 ? err : 0;
}

struct prune_ctx {
	uint32_t keep_from;
	struct pyleak_ptr *del;
	struct pyleak_alloc *val; /* what each deleted record held */
	size_t ndel, capdel, capval;
};

static int prune_one(void *ctx, const struct pyleak_ptr *k, const struct pyleak_alloc *v)
{
	struct prune_ctx *p = ctx;
	struct pyleak_ptr *del;
	struct pyleak_alloc *val;

	if (v->window >= p->keep_from)
		return 0;
	del = array_room(p->del, &p->capdel, p->ndel, sizeof(*del), 1024);
	if (del)
		p->del = del;
	val = array_room(p->val, &p->capval, p->ndel, sizeof(*val), 1024);
	if (val)
		p->val = val;
	if (!del || !val)
		return -ENOMEM;
	p->val[p->ndel] = *v;
	p->del[p->ndel++] = *k;
	return 0;
}

/* unsite() - take a deleted live record off its site's totals. */
static void unsite(int sites_fd, const struct pyleak_alloc *a)
{
	struct pyleak_site v;

	if (bpf_map_lookup_elem(sites_fd, &a->site, &v))
		return;
	v.bytes -= (int64_t)a->size;
	v.count -= 1;
	bpf_map_update_elem(sites_fd, &a->site, &v, BPF_EXIST);
}

long collect_prune(struct capture *c, uint32_t keep_from)
{
	int live_fd = bpf_map__fd(c->skel->maps.live);
	int sw_fd = bpf_map__fd(c->skel->maps.site_windows);
	struct prune_ctx p = { .keep_from = keep_from };
	struct pyleak_sw_key swk, next;
	long deleted = 0;
	/* Collect first, delete after: deleting while batching moves entries. */
	int err = collect_live_each(c, UINT64_MAX, prune_one, &p);

	if (err)
		goto out;
	c->rewalk = true; /* sites' totals and (site, window) entries change here */
	for (size_t i = 0; i < p.ndel; i++) {
		if (bpf_map_delete_elem(live_fd, &p.del[i]))
			continue;
		deleted++;
		unsite(bpf_map__fd(c->skel->maps.sites), &p.val[i]);
	}
	/* then the per-window entries of those windows */
	for (struct pyleak_sw_key *cur = NULL; !bpf_map_get_next_key(sw_fd, cur, &next);) {
		if (next.window < keep_from && !bpf_map_delete_elem(sw_fd, &next))
			continue; /* the cursor (cur) still exists: go on after it */
		swk = next;
		cur = &swk;
	}
out:
	free(p.del);
	free(p.val);
	return err ? err : deleted;
}

static int sw_by_site(const void *a, const void *b)
{
	const struct raw_sw *x = a, *y = b;

	return x->k.site < y->k.site ? -1 : x->k.site > y->k.site;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int site_by_id(const void *a, const void *b)
{
	const struct raw_site *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* read_stats() - every counter of the per-CPU stats array, summed over the
 * ncpu CPUs, into out[PYLEAK_STAT_MAX]: one batched lookup (a node reads
 * this for every process every second), key by key where the kernel has no
 * batch operations for arrays (before 5.6). Returns 0 or -errno. */
static int read_stats(int fd, int ncpu, uint64_t *out)
{
	/* zeroed: the kernel fills keys, but valgrind does not model batched
	 * lookups and would see them as never written */
	uint32_t keys[PYLEAK_STAT_MAX] = { 0 }, out_batch = 0, count = PYLEAK_STAT_MAX;
	uint64_t *v = calloc((size_t)ncpu * PYLEAK_STAT_MAX, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, PYLEAK_STAT_MAX * sizeof(*out));
	if ((!bpf_map_lookup_batch(fd, NULL, &out_batch, keys, v, &count, NULL) ||
	     errno == ENOENT) && count == PYLEAK_STAT_MAX) {
		for (uint32_t i = 0; i < count; i++)
			for (int cpu = 0; cpu < ncpu && keys[i] < PYLEAK_STAT_MAX; cpu++)
				out[keys[i]] += v[(size_t)i * ncpu + cpu];
		goto out;
	}
	for (uint32_t i = 0; i < PYLEAK_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, v)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[i] += v[cpu];
	}
out:
	free(v);
	return err;
}

#define ORPHAN_SCAN_NS (60ULL * 1000 * 1000 * 1000)

/* prune_orphan_stacks() - see collect_prune_sites(). snap->sites is sorted
 * by id. */
static int prune_orphan_stacks(struct capture *c, struct collect_snapshot *snap, uint64_t now_ns)
{
	int stacks_fd = bpf_map__fd(c->skel->maps.stacks);
	uint64_t mark = snap->stats[PYLEAK_STAT_SITES_FULL] + snap->stats[PYLEAK_STAT_STACKS_FULL];
	uint64_t key, next, *found = NULL;
	size_t nfound = 0, capfound = 0;
	bool first = true;

	if (mark == snap->orphan_mark && now_ns - snap->orphan_scan_ns < ORPHAN_SCAN_NS)
		return 0;
	while (!bpf_map_get_next_key(stacks_fd, first ? NULL : &key, &next)) {
		struct raw_site probe = { .id = next };
		uint64_t *p;

		first = false;
		key = next;
		/* bsearch()'s base must not be NULL, even for 0 elements */
		if (snap->n && bsearch(&probe, snap->sites, snap->n, sizeof(probe), site_by_id))
			continue;
		p = array_room(found, &capfound, nfound, sizeof(*p), 256);
		if (!p) {
			free(found);
			return -ENOMEM;
		}
		found = p;
		found[nfound++] = next;
	}
	array_sort(found, nfound, sizeof(*found), by_u64);
	/* orphans twice: their call is long over (deleting moves the key
	 * order, so this happens after the walk) */
	for (size_t i = 0; i < nfound; i++)
		if (snap->norphans && bsearch(&found[i], snap->orphans, snap->norphans, sizeof(*found), by_u64))
			bpf_map_delete_elem(stacks_fd, &found[i]);
	free(snap->orphans);
	snap->orphans = found;
	snap->norphans = nfound;
	snap->caporphans = capfound;
	snap->orphan_scan_ns = now_ns;
	snap->orphan_mark = mark;
	return 0;
}

long collect_prune_sites(struct capture *c, struct collect_snapshot *snap, uint32_t settled,
			 uint64_t now_ns, uint64_t quiet_ns)
{
	int sites_fd = bpf_map__fd(c->skel->maps.sites);
	int stacks_fd = bpf_map__fd(c->skel->maps.stacks);
	int sw_fd = bpf_map__fd(c->skel->maps.site_windows);
	struct raw_sw key = {};
	struct raw_site *r;
	long deleted = 0;
	int err;

	snap->nretired = 0;
	array_sort(snap->sw, snap->nsw, sizeof(*snap->sw), sw_by_site);
	for (size_t i = 0; i < snap->n; i++) {
		const struct raw_site *s = &snap->sites[i];
		struct raw_sw *lo, *hi, *end = snap->sw + snap->nsw;
		uint32_t newest = 0;

		/* the site's per-window entries: a run of the sorted array */
		key.k.site = s->id;
		lo = snap->nsw ? bsearch(&key, snap->sw, snap->nsw, sizeof(key), sw_by_site) : NULL;
		while (lo && lo > snap->sw && lo[-1].k.site == s->id)
			lo--;
		for (hi = lo; hi && hi < end && hi->k.site == s->id; hi++)
			newest = hi->k.window > newest ? hi->k.window : newest;
		if (!retention_site_over(&s->v, newest, settled, now_ns, quiet_ns))
			continue;
		r = array_room(snap->retired, &snap->capretired, snap->nretired, sizeof(*r), 256);
		if (!r)
			return -ENOMEM;
		snap->retired = r;
		if (bpf_map_delete_elem(sites_fd, &s->id))
			continue;
		bpf_map_delete_elem(stacks_fd, &s->id);
		for (struct raw_sw *e = lo; e && e < hi; e++)
			bpf_map_delete_elem(sw_fd, &e->k);
		if (settled == UINT32_MAX) {
			/* alloc mode: its one window's entry, not read by then */
			struct pyleak_sw_key k1 = { .site = s->id, .window = 1 };

			bpf_map_delete_elem(sw_fd, &k1);
		}
		snap->retired[snap->nretired++] = *s;
		deleted++;
		c->rewalk = true; /* snap still holds what was just deleted */
	}
	/* the stacks of the sites just deleted are gone too: not orphans */
	array_sort(snap->sites, snap->n, sizeof(*snap->sites), site_by_id);
	err = prune_orphan_stacks(c, snap, now_ns);
	return err ? err : deleted;
}

int collect_read(struct capture *c, uint32_t pid, bool windows, struct collect_snapshot *snap)
{
	int sites_fd = bpf_map__fd(c->skel->maps.sites);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t key, next;
	struct raw_site *p;
	bool first = true;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	/* the counters first: BPF counts a change after making it, so a change
	 * the walk below misses moves the count this reading holds */
	err = read_stats(bpf_map__fd(c->skel->maps.stats), ncpu, snap->stats);
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.gc), &pid, &snap->gc))
		memset(&snap->gc, 0, sizeof(snap->gc));
	if (err)
		return err;
	if (c->walked && !c->rewalk && c->walked_sw == windows &&
	    snap->stats[PYLEAK_STAT_SITE_WRITES] == c->walked_writes)
		return 0; /* nothing changed: snap still holds the maps */
	c->walked = false;
	snap->n = 0;
	/* Iterating a hash map while BPF inserts may skip or repeat an entry
	 * that moved; a site missed now is seen at the next interval. */
	while (!bpf_map_get_next_key(sites_fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		p = array_room(snap->sites, &snap->cap, snap->n, sizeof(*p), 1024);
		if (!p)
			return -ENOMEM;
		snap->sites = p;
		if (bpf_map_lookup_elem(sites_fd, &key, &snap->sites[snap->n].v))
			continue; /* deleted meanwhile */
		snap->sites[snap->n++].id = key;
	}
	if (windows)
		err = read_sw(c, snap);
	if (!err) {
		c->walked = true;
		c->walked_sw = windows;
		c->walked_writes = snap->stats[PYLEAK_STAT_SITE_WRITES];
		c->rewalk = false;
	}
	return err;
}

int collect_stack(struct capture *c, uint64_t id, struct pyleak_stack *st)
{
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &id, st))
		return -ENOENT;
	if (st->depth > PYLEAK_MAX_FRAMES)
		st->depth = PYLEAK_MAX_FRAMES;
	return 0;
}

struct tstate_map {
	int fd;
	pid_t pid;
};

static int tstate_apply(void *ctx, const struct tstate_entry *e, bool gone)
{
	const struct tstate_map *m = ctx;
	struct pyleak_tstate_key key = { .tgid = (uint32_t)m->pid, .fsbase = e->thread_id };

	if (gone) {
		bpf_map_delete_elem(m->fd, &key); /* evicted or exited already: fine */
		return 0;
	}
	return bpf_map_update_elem(m->fd, &key, &e->tstate, BPF_ANY) ? -errno : 0;
}

int collect_tstates_apply_fd(int map_fd, pid_t pid, const struct tstates *ts, bool all)
{
	struct tstate_map m = { .fd = map_fd, .pid = pid };

	return tstates_changes(ts, all, tstate_apply, &m);
}

static int tstate_forget(void *ctx, const struct tstate_entry *e, bool gone)
{
	(void)gone;
	return tstate_apply(ctx, e, true);
}

void collect_tstates_forget_fd(int map_fd, pid_t pid, const struct tstates *ts)
{
	struct tstate_map m = { .fd = map_fd, .pid = pid };

	tstates_changes(ts, true, tstate_forget, &m);
}

int collect_tstates_apply(struct capture *c, pid_t pid, const struct tstates *ts, bool all)
{
	return collect_tstates_apply_fd(bpf_map__fd(c->skel->maps.tstate_cache), pid, ts, all);
}

void collect_free(struct collect_snapshot *snap)
{
	ARRAY_FREE(snap->sites, snap->n, snap->cap);
	ARRAY_FREE(snap->sw, snap->nsw, snap->capsw);
	ARRAY_FREE(snap->retired, snap->nretired, snap->capretired);
	ARRAY_FREE(snap->orphans, snap->norphans, snap->caporphans);
	snap->orphan_scan_ns = snap->orphan_mark = 0;
}
