/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * growth.h: always-on growth detection (bpf/growth.bpf.c). Loads the kernel
 * side once, watches processes by tgid (one attachment for any number), and
 * reads their counters (faults and the bytes they mapped, huge pages, mmap,
 * munmap, brk, mremap, madvise) and the first-touch hints: the stacks that
 * faulted new memory in. Hints are labelled as such wherever they are shown;
 * see growth.bpf.c for why they cannot rank leaks.
 */
#ifndef PYLEAK_GROWTH_H
#define PYLEAK_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyleak.h"
#include "sites.h"

struct growth_bpf;
struct bpf_link;

struct growth_watch {
	struct growth_bpf *skel;
	struct bpf_link *links[4];
	int nlinks;
	struct raw_site *hints; /* last growth_read_hints() */
	size_t nhints, caphints;
	struct raw_site *prev;	 /* hints at the previous growth_prune_hints(), by id */
	size_t nprev, capprev;
	struct raw_site *retired; /* hints deleted by the last growth_prune_hints() */
	size_t nretired, capretired;
};

/* growth_open() - load and attach (tp_btf page_fault_user, mm_page_alloc
 * and sys_exit). max_hints sizes the first-touch maps,
 * max_depth the unwinder; without hints no stack is walked. Returns 0 or
 * -errno. */
int growth_open(struct growth_watch *g, uint32_t max_hints, uint32_t max_depth, bool hints);

/* growth_watch_pid() - start counting for pid; proc are its unwinding
 * parameters (for hint stacks). Returns 0 or -errno. */
int growth_watch_pid(struct growth_watch *g, uint32_t pid, const struct pyleak_proc *proc);

/* growth_read() - pid's counters since growth_watch_pid(). 0 or -errno. */
int growth_read(struct growth_watch *g, uint32_t pid, struct pyleak_growth *out);

/* growth_read_hints() - every first-touch hint into g->hints as raw sites
 * (bytes = bytes faulted in, count = allocs = faults). 0 or -errno. */
int growth_read_hints(struct growth_watch *g);

/* growth_prune_hints() - delete from the hint maps every hint of the last
 * growth_read_hints() that retention_hint_over() lets go: unchanged since
 * the previous call and smaller than the keep_top largest. They go to
 * g->retired (for sites_retire()). Returns how many or -errno. */
long growth_prune_hints(struct growth_watch *g, int keep_top);

/* growth_hint_stack() - the frames of hint id. 0 or -ENOENT. */
int growth_hint_stack(struct growth_watch *g, uint64_t id, struct pyleak_stack *st);

struct tstates;

/* growth_tstates_apply() - the thread states that changed into the hint
 * unwinder's tstate cache (see collect_tstates_apply()). 0 or -errno. */
int growth_tstates_apply(struct growth_watch *g, const struct tstates *ts, bool all);

void growth_close(struct growth_watch *g); /* safe on a zeroed struct */

#endif /* PYLEAK_GROWTH_H */
