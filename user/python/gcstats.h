/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gcstats.h: the garbage collector's own statistics, read from the target's
 * memory (struct _gc_runtime_state): per-generation thresholds, counts,
 * collections, collected and uncollectable objects, and whether automatic
 * collection is enabled. No probe, no cost in the target: what
 * gc.get_stats(), gc.get_count() and gc.isenabled() would say.
 */
#ifndef PYLEAK_GCSTATS_H
#define PYLEAK_GCSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct py_layout;

struct gc_snapshot {
	int32_t threshold[3];
	int32_t count[3];	   /* objects allocated since the last collection (gen 0) ... */
	uint64_t collections[3];
	uint64_t collected[3];
	uint64_t uncollectable[3];
	bool enabled;
};

struct gc_reader {
	pid_t pid;
	uint64_t gc_addr;     /* &struct _gc_runtime_state in the target */
	uint16_t generations; /* offset of generations[0] (Debian's 3.13 patch moves it) */
	uint16_t stats, enabled;
};

/* gc_reader_init() - locate the GC state of pid's main interpreter and work
 * out its generation layout from the thresholds it holds. Returns 0,
 * -ENOENT if the interpreter is not initialised yet, -EPROTO if nothing
 * there looks like GC state, or -errno. */
int gc_reader_init(struct gc_reader *r, pid_t pid, uint64_t runtime_addr, const struct py_layout *L);

/* gc_read() - one snapshot. Returns 0 or -errno (-ESRCH: process gone). */
int gc_read(const struct gc_reader *r, struct gc_snapshot *out);

/*
 * gc_list_heads() - the addresses of the PyGC_Head list heads of the
 * collector's generations 0, 1 and 2, for walking the objects it tracks
 * (pytype_census()). 3.14 names them young, old[0] and old[1] (incremental
 * collector, 3.14.0 to 3.14.4) or generations[0..2] again (3.14.5+): the same
 * three 24-byte slots either way. The permanent generation (gc.freeze()) is
 * left out. Each head is read once: both links, flag bits masked, must
 * point at the head itself (empty) or at an 8-aligned object; the heads
 * themselves are only 4-aligned in Debian's 3.13. Returns 0 with *n = 3,
 * -EPROTO if a head does not look like one, or -errno.
 */
int gc_list_heads(const struct gc_reader *r, uint64_t heads[4], int *n);

#endif /* PYLEAK_GCSTATS_H */
