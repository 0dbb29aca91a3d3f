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
 * live-allocation records and per-window entries. Returns the number of
 * records deleted or -errno. */
long collect_prune(struct capture *c, uint32_t keep_from);

/* collect_stack() - the stack stored for site id. Returns 0 or -ENOENT. */
int collect_stack(struct capture *c, uint64_t id, struct pyleak_stack *st);

struct tstates;

/* collect_tstates_apply() - write the thread states that changed since the
 * previous walk (tstates.h) into the unwinder's tstate cache: new and moved
 * ones updated, ended threads' deleted. collect_tstates_apply_fd() does it
 * for any tstate_cache map (growth.c's too). Returns 0 or -errno. */
int collect_tstates_apply(struct capture *c, const struct tstates *ts);
int collect_tstates_apply_fd(int map_fd, const struct tstates *ts);

void collect_free(struct collect_snapshot *snap);

#endif /* PYLEAK_COLLECT_H */
