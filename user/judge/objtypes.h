/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * objtypes.h: object types in the reports, read from the target's memory
 * through pytypes.h.
 *
 *  - Site types (alloc mode): for the top sites of a report, up to N of
 *    their live allocations are read and typed; each site gets its mix by
 *    sampled bytes ("dict 61%, str 30%, (not an object) 9%"). Blocks that
 *    are no object (keys tables, item arrays, buffers) or cannot be read any
 *    more are counted under "(not an object)" or skipped.
 *  - Census (any mode): every --census-every seconds the GC lists are walked
 *    within a node and time budget; each type name's count keeps a history
 *    ring and types are ranked by growth (Theil-Sen rate over the window),
 *    like objgraph.show_growth() but from outside and over time.
 */
#ifndef PYLEAK_OBJTYPES_H
#define PYLEAK_OBJTYPES_H

#include <stdint.h>
#include <sys/types.h>
#include "report.h"

struct objtypes;
struct capture;
struct site_store;

/* Types shown per site, and census types tracked (smallest evicted). */
#define OBJTYPES_PER_SITE 6
#define OBJTYPES_TRACKED 512
#define OBJTYPES_CENSUS_SECONDS 0.5
/* Live allocations looked at per report to find the top sites' samples. */
#define OBJTYPES_SCAN_MAX 262144

/* objtypes_new() - for pid running version_hex, judging over window_s.
 * NULL on error (errno: ENOTSUP, ENOMEM). */
struct objtypes *objtypes_new(pid_t pid, uint32_t version_hex, double window_s);
void objtypes_free(struct objtypes *o);

/* objtypes_sample_sites() - type the live allocations of rows[0..n) (the
 * report's top sites; their types/ntypes/types_sampled are set, pointing
 * into o until the next call), at most per_site each. Returns 0 or -errno. */
int objtypes_sample_sites(struct objtypes *o, struct capture *c, const struct site_store *ss,
			  struct report_site *rows, int n, uint32_t per_site);

/* objtypes_census() - take a census of the lists at heads at now. Returns 0
 * or -errno (nothing recorded). */
int objtypes_census(struct objtypes *o, const uint64_t *heads, int nheads, uint64_t max_nodes,
		    double now);

/* objtypes_census_carry() - record the last census again at now, without
 * walking: for a caller that knows the tracked objects did not change (the
 * collector's own counts did not move). Returns 0, or -EAGAIN when there is
 * no complete census to carry (then take one). */
int objtypes_census_carry(struct objtypes *o, double now);

/* objtypes_rank() - the top types by growth (then count) of the census
 * history at now, and what the last census saw; 0 rows before the first.
 * Returns the number of rows; *v and *c valid until the next call. */
int objtypes_rank(struct objtypes *o, int top, double now, const struct report_type **v,
		  const struct report_census **c);

#endif /* PYLEAK_OBJTYPES_H */
