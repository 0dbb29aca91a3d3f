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

/* fault_user, page_alloc, sys_exit, process_exec, thread_exit */
#define GROWTH_NPROGS 5

/* The kernel side: one for any number of watched processes (a node's). */
struct growth_watch {
	struct growth_bpf *skel;
	struct bpf_link *links[GROWTH_NPROGS];
	int nlinks;
	struct pyleak_hint_kv *all; /* every process's hints, read at most once a */
	size_t nall, capall;	    /* GROWTH_HINTS_READ_S: rescanning the shared map */
	double all_read_at;	    /* per process would cost a scan each */
};

/* How often the shared hint map is read at most (seconds): every watched
 * process's refresh in that span filters the same reading. */
#define GROWTH_HINTS_READ_S 0.5

struct pyleak_hint_kv {
	uint64_t id;
	struct pyleak_hint h;
};

/* One process's view of the hints: what its session reads and prunes. */
struct growth_hints {
	struct raw_site *hints; /* last growth_read_hints() */
	size_t nhints, caphints;
	struct raw_site *prev;	 /* hints at the previous growth_prune_hints(), by id */
	size_t nprev, capprev;
	struct raw_site *retired; /* hints deleted by the last growth_prune_hints() */
	size_t nretired, capretired;
};

/* Processes a growth object of a single session serves (the target; an
 * exec registers it again). */
#define GROWTH_PROCS_ALONE 16

/* growth_open() - load and attach (tp_btf page_fault_user, mm_page_alloc,
 * sys_exit, exec and exit). max_procs sizes the per-process maps (a node's
 * --max-targets), max_hints the first-touch maps, max_depth the unwinder;
 * without hints no stack is walked. Returns 0 or -errno. */
int growth_open(struct growth_watch *g, uint32_t max_procs, uint32_t max_hints, uint32_t max_depth,
		bool hints);

/* growth_watch_pid() - start counting for pid; proc are its unwinding
 * parameters (for hint stacks). Returns 0 or -errno. */
int growth_watch_pid(struct growth_watch *g, uint32_t pid, const struct pyleak_proc *proc);

/* growth_read() - pid's counters since growth_watch_pid(). 0 or -errno. */
int growth_read(struct growth_watch *g, uint32_t pid, struct pyleak_growth *out);

/* growth_unwatch_pid() - stop counting for pid and delete its counters,
 * unwinding parameters and hints from the maps (the process is gone or no
 * longer watched: a shared object must not fill up with it). gh (may be
 * NULL) is freed. */
void growth_unwatch_pid(struct growth_watch *g, uint32_t pid, struct growth_hints *gh);

/* growth_read_hints() - pid's first-touch hints into gh->hints as raw sites
 * (bytes = bytes faulted in, count = allocs = faults), from a reading of
 * the shared map at most GROWTH_HINTS_READ_S old (now: CLOCK_MONOTONIC
 * seconds). 0 or -errno. */
int growth_read_hints(struct growth_watch *g, uint32_t pid, double now, struct growth_hints *gh);

/* growth_hints_of() - the hints of process pid among all[0..n) (a reading
 * of the shared map) into gh->hints, as growth_read_hints() gives them.
 * 0 or -ENOMEM. */
int growth_hints_of(const struct pyleak_hint_kv *all, size_t n, uint32_t pid,
		    struct growth_hints *gh);

/* growth_prune_hints() - delete from the hint maps every hint of gh's last
 * growth_read_hints() that retention_hint_over() lets go: unchanged since
 * the previous call and smaller than the keep_top largest. They go to
 * gh->retired (for sites_retire()). Returns how many or -errno. */
long growth_prune_hints(struct growth_watch *g, struct growth_hints *gh, int keep_top);

/* growth_hints_free() - free gh's arrays (safe on a zeroed struct). */
void growth_hints_free(struct growth_hints *gh);

/* growth_hint_stack() - the frames of hint id. 0 or -ENOENT. */
int growth_hint_stack(struct growth_watch *g, uint64_t id, struct pyleak_stack *st);

struct tstates;

/* growth_tstates_apply() - the thread states that changed into the hint
 * unwinder's tstate cache (see collect_tstates_apply()). 0 or -errno. */
int growth_tstates_apply(struct growth_watch *g, pid_t pid, const struct tstates *ts, bool all);

/* growth_tstates_forget() - delete ts's current thread states from the
 * hint unwinder's cache (a shared object outlives the process). */
void growth_tstates_forget(struct growth_watch *g, pid_t pid, const struct tstates *ts);

void growth_close(struct growth_watch *g); /* safe on a zeroed struct */

#endif /* PYLEAK_GROWTH_H */
