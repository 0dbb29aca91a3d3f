/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sites.h: the site store. The BPF side keys sites by raw stack (code object
 * addresses, instruction offsets and native caller); users think in
 * symbolised Python stacks. The store maps each raw site once to a group
 * keyed by its symbolised frames (file, function, line), sums the raw
 * totals into the groups each interval, remembers what each group held at
 * the previous report (for deltas), and ranks.
 *
 * A group's id is a hash of its symbolised frames, so the same stack gets
 * the same id in every interval and every run.
 */
#ifndef PYLEAK_SITES_H
#define PYLEAK_SITES_H

#include <stdint.h>
#include "report.h"

struct capture;
struct collect_snapshot;
struct symbolizer;

struct site_store;

struct site_totals {
	uint64_t nsites;	 /* groups with outstanding memory */
	int64_t bytes, count;	 /* over all groups */
};

/* sites_new() - an empty store; NULL on ENOMEM. */
struct site_store *sites_new(struct symbolizer *sym);
void sites_free(struct site_store *ss);

/* site_id_of() - the stable id of a symbolised stack (FNV-1a over every
 * frame's file, function and line). Exposed for tests. */
uint64_t site_id_of(const struct report_frame *frames, int n);

/* sites_update() - fold a fresh snapshot into the groups, symbolising raw
 * sites seen for the first time (their stacks come from c). now_ns is the
 * bpf_ktime clock now, for ages. Returns 0 or -ENOMEM. */
int sites_update(struct site_store *ss, struct capture *c, const struct collect_snapshot *snap,
		 uint64_t now_ns);

/* sites_rank() - the top groups by outstanding bytes, with deltas against the
 * previous call, in *rows (owned by the store, valid until the next update
 * or rank). Totals go to *tot. Returns the number of rows (<= top). */
int sites_rank(struct site_store *ss, int top, const struct report_site **rows,
	       struct site_totals *tot);

#endif /* PYLEAK_SITES_H */
