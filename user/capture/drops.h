/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * drops.h: what the capture lost, by cause, as the report shows it. The BPF
 * programs count every drop in their stats map (enum pyleak_stat) and the
 * growth map (hint_drops); the collector reads those, and this module names
 * them (struct report_drops), totals the allocations that went untracked,
 * and says which counters grew since the previous report, so a profiler that
 * is losing data warns instead of looking complete.
 */
#ifndef PYLEAK_DROPS_H
#define PYLEAK_DROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pyleak.h"
#include "report.h"

/* drops_from_stats() - name the summed BPF counters stats[] and the growth
 * program's hint drops into *d. */
void drops_from_stats(const uint64_t stats[PYLEAK_STAT_MAX], uint64_t hint_drops,
		      struct report_drops *d);

/* drops_untracked() - allocations that were not tracked at all (a map was
 * full): the report's "dropped" total. */
uint64_t drops_untracked(const struct report_drops *d);

/* drops_grew() - which counters of cur are above prev: writes a warning line
 * naming each with its growth ("drops since the last report: sites_full +3,
 * ...") into buf (always NUL-terminated, cut to len). Returns how many grew
 * (0: buf holds ""). */
int drops_grew(const struct report_drops *prev, const struct report_drops *cur, char *buf,
	       size_t len);

/* drops_print() - every counter of d, by name in a fixed order, to f: as
 * JSON members ("live_full":0,...) or as text (live_full 0, ...). */
void drops_print(FILE *f, const struct report_drops *d, bool json);

#endif /* PYLEAK_DROPS_H */
