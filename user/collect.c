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
	size_t ndel, capdel;
};

static int prune_one(void *ctx, const struct pyleak_ptr *k, const struct pyleak_alloc *v)
{
	struct prune_ctx *p = ctx;
	struct pyleak_ptr *del;

	if (v->window >= p->keep_from)
		return 0;
	del = array_room(p->del, &p->capdel, p->ndel, sizeof(*del), 1024);
	if (!del)
		return -ENOMEM;
	p->del = del;
	p->del[p->ndel++] = *k;
	return 0;
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
	for (size_t i = 0; i < p.ndel; i++)
		deleted += !bpf_map_delete_elem(live_fd, &p.del[i]);
	/* then the per-window entries of those windows */
	for (struct pyleak_sw_key *cur = NULL; !bpf_map_get_next_key(sw_fd, cur, &next);) {
		if (next.window < keep_from && !bpf_map_delete_elem(sw_fd, &next))
			continue; /* the cursor (cur) still exists: go on after it */
		swk = next;
		cur = &swk;
	}
out:
	free(p.del);
	return err ? err : deleted;
}

int collect_read(struct capture *c, uint32_t pid, bool windows, struct collect_snapshot *snap)
{
	int sites_fd = bpf_map__fd(c->skel->maps.sites);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t key, next, *percpu;
	struct raw_site *p;
	bool first = true;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
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

	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < PYLEAK_STAT_MAX; i++) {
		snap->stats[i] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stats), &i, percpu)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			snap->stats[i] += percpu[cpu];
	}
	free(percpu);
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.gc), &pid, &snap->gc))
		memset(&snap->gc, 0, sizeof(snap->gc));
	if (!err && windows)
		err = read_sw(c, snap);
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

void collect_free(struct collect_snapshot *snap)
{
	free(snap->sites);
	snap->sites = NULL;
	snap->n = snap->cap = 0;
	free(snap->sw);
	snap->sw = NULL;
	snap->nsw = snap->capsw = 0;
}
