/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * liveness.h: are a growth-mode site's survivors still alive? A window's
 * survivors are the captures no free was seen for. CPython parks objects of
 * some types (lists, dicts, tuples, floats, ...) on free lists when the
 * program drops them: no free reaches the allocator, so a line that only
 * churns such objects looks as if it kept them. Before each survivor
 * ranking a bounded sample of each site's survivors, per settled window, is
 * read from the target (pytype_alloc_liveness(): reads only, never a stop)
 * and the store is told what share of them is dead (sites_liveness()), so
 * the verdict discounts them.
 *
 * What it cannot see: a parked object that the free list hands out again
 * (to any line) is alive once more, and counts as a survivor of the line
 * that first allocated it.
 */
#ifndef PYLEAK_LIVENESS_H
#define PYLEAK_LIVENESS_H

#include <stdint.h>
#include <sys/types.h>

struct liveness;
struct capture;
struct site_store;

/* Survivors read per site and settled window at each ranking, and reads
 * per ranking over all sites. */
#define LIVENESS_PER_WINDOW 16
#define LIVENESS_READS_MAX 4096
/* Live-allocation records looked at per ranking to find the samples. */
#define LIVENESS_SCAN_MAX 262144

/* liveness_new() - a sampler of pid's memory, which runs version_hex. NULL
 * on error (errno: ENOTSUP, ENOMEM). */
struct liveness *liveness_new(pid_t pid, uint32_t version_hex);
void liveness_free(struct liveness *lv);

/* liveness_sample() - read up to LIVENESS_PER_WINDOW survivors of each
 * site (as the store groups them) in each window up to settled (capture's
 * live records, in map order: a sample without a bias of ours), within
 * LIVENESS_READS_MAX reads, and hand each (site, window)'s tally to the
 * store. Returns 0, or -errno (-ESRCH: the target is gone; what was
 * sampled before the error is handed over all the same). */
int liveness_sample(struct liveness *lv, struct capture *c, struct site_store *ss,
		    uint32_t settled);

#endif /* PYLEAK_LIVENESS_H */
