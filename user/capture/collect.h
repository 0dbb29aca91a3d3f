/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * collect.h: the only reader of the BPF maps. Each interval it copies the
 * per-site totals, the summed counters and the GC counts out of the kernel;
 * stacks are fetched by site id on demand (they never change once stored).
 */
#ifndef PYLEAK_COLLECT_H
#define PYLEAK_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyleak.h"
#include "sites.h"

struct capture;

struct collect_snapshot {
	struct raw_site *sites;
	size_t n, cap;
	struct raw_sw *sw;		 /* per (site, window); only when asked */
	size_t nsw, capsw;
	uint64_t stats[PYLEAK_STAT_MAX]; /* summed over CPUs */
	struct pyleak_gc gc;		 /* from the GC probes, zero if none fired */
	struct raw_site *retired;	 /* sites deleted by the last collect_prune_sites() */
	size_t nretired, capretired;
	/* stacks stored without a site (its insert failed, or its call
	 * outlived its window): found by a scan, deleted if still orphans at
	 * the next scan (a stack stored just now gets its site within the call) */
	uint64_t *orphans;		 /* sorted ids seen orphaned at the last scan */
	size_t norphans, caporphans;
	uint64_t orphan_scan_ns;	 /* when that scan was */
	uint64_t orphan_mark;		 /* SITES_FULL + STACKS_FULL then */
};

/* collect_read() - refresh snap from the maps (reusing its buffers), the
 * per-window entries too when windows. Returns 0 or -errno. */
int collect_read(struct capture *c, uint32_t pid, bool windows, struct collect_snapshot *snap);

/* collect_live_fn - called for one live allocation; non-zero stops the walk
 * (a negative errno is returned by collect_live_each()). */
typedef int (*collect_live_fn)(void *ctx, const struct pyleak_ptr *k, const struct pyleak_alloc *v);

/* collect_live_each() - call fn for up to max live allocations (batched
 * reads of the map, in its hash order). Returns 0 or -errno. */
int collect_live_each(struct capture *c, uint64_t max, collect_live_fn fn, void *ctx);

/* collect_prune() - forget what windows older than keep_from captured: their
 * live-allocation records (taken off their sites' totals, as a free would)
 * and per-window entries. Call with no probe attached (a settled window):
 * the totals are rewritten from userspace. Returns the number of records
 * deleted or -errno. */
long collect_prune(struct capture *c, uint32_t keep_from);

/* collect_prune_sites() - delete from the sites and stacks maps (and their
 * per-window entries) every site of snap (just read by collect_read()) that
 * retention_site_over() lets go, settled being the newest settled window
 * (UINT32_MAX in alloc mode). Their last totals go to snap->retired, for
 * the site store (sites_retire()). Sorts snap->sw. Also deletes the
 * stacks stored without a site, scanning for them when a map ran full
 * since the last scan, or a minute after it. Returns the number of sites
 * deleted or -errno. */
long collect_prune_sites(struct capture *c, struct collect_snapshot *snap, uint32_t settled,
			 uint64_t now_ns, uint64_t quiet_ns);

/* collect_stack() - the stack stored for site id. Returns 0 or -ENOENT. */
int collect_stack(struct capture *c, uint64_t id, struct pyleak_stack *st);

struct tstates;

/* collect_tstates_apply() - write the thread states that changed since the
 * previous walk (tstates.h) into the unwinder's tstate cache: new and moved
 * ones updated, ended threads' deleted; with all, every state of the last
 * walk (the map's first). Entries are keyed by (pid, thread_id): pid is
 * the process ts was walked in. collect_tstates_apply_fd() does it for any
 * tstate_cache map (growth.c's too). Returns 0 or -errno. */
int collect_tstates_apply(struct capture *c, pid_t pid, const struct tstates *ts, bool all);
int collect_tstates_apply_fd(int map_fd, pid_t pid, const struct tstates *ts, bool all);

/* collect_tstates_forget_fd() - delete every state of ts's last walk of pid
 * from a tstate_cache map (a shared map outlives the process). */
void collect_tstates_forget_fd(int map_fd, pid_t pid, const struct tstates *ts);

void collect_free(struct collect_snapshot *snap);

#endif /* PYLEAK_COLLECT_H */
