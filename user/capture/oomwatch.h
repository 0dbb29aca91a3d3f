/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * oomwatch.h: evidence at OOM (README "Evidence at OOM"). Tells whether the
 * kernel's OOM killer ended a watched process, so that its final report is
 * marked oom_killed before its state is dropped.
 *
 * The kernel side (bpf/oom.bpf.c) is loaded once and serves any number of
 * processes: tp_btf oom/mark_victim records the kernel's choice of victim,
 * tp_btf sched_process_exit the signal it died of. When mark_victim cannot
 * be attached, the process's memory cgroup (memcg.h) is the fallback: its
 * oom_kill count read at start and at exit. This is the only reader of the
 * oom map (the collector layer, like growth.c for its own maps).
 */
#ifndef PYLEAK_OOMWATCH_H
#define PYLEAK_OOMWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memcg.h"
#include "pyleak.h"
#include "report.h"

struct oom_bpf;
struct bpf_link;

struct oomwatch {
	struct oom_bpf *skel;		/* NULL: no kernel side (memory cgroup only) */
	struct bpf_link *victim_link;	/* mark_victim; NULL: not attached */
	struct bpf_link *exit_link;	/* sched_process_exit; NULL: not attached */
};

/* One watched process: what oom_target_end() judges from. */
struct oom_target {
	pid_t pid;
	bool watched;		/* in the oom map */
	struct memcg cg;
	bool cg_ok;		/* cg was found */
	uint64_t kills0;	/* its oom_kill count at start */
	bool kills0_ok;
	struct report_oom rep;	/* oom_target_end()'s verdict */
};

/* What oom_judge() decides from (filled by oom_target_end()). */
struct oom_evidence {
	bool victim_attached;	/* mark_victim was attached for the whole watch */
	bool kernel_known;	/* k was read from the oom map */
	struct pyleak_oom k;
	int wait_status;	/* the process's wait status when we are its parent; -1 unknown */
	bool kills_known;	/* the cgroup's oom_kill count at start and at exit */
	uint64_t kills0, kills1;
	bool limit_known;	/* the cgroup's limit read at exit (MEMCG_UNLIMITED: none) */
	uint64_t limit;
	uint64_t page_size;
};

/* oomwatch_open() - load and attach the kernel side. Never fails: what
 * cannot be loaded or attached is said once at -v, and the verdicts fall
 * back to the memory cgroup's count. */
void oomwatch_open(struct oomwatch *w);

/* oom_target_start() - watch pid (alive): its entry in the oom map, its
 * memory cgroup and that cgroup's oom_kill count now. Returns 0, or -errno
 * when none of that could be had (then oom_target_end() says "not killed"). */
int oom_target_start(struct oomwatch *w, struct oom_target *t, pid_t pid);

/* oom_target_end() - after t's process exited: was it OOM-killed? Reads and
 * forgets its oom map entry; wait_status as in oom_evidence. Returns &t->rep
 * (strings point into t) when it was, NULL when not or unknown. Call once. */
const struct report_oom *oom_target_end(struct oomwatch *w, struct oom_target *t,
					int wait_status);

/* oom_judge() - the verdict from e: killed when the kernel chose it as an
 * OOM victim (mark_victim), or, only without that tracepoint, when its
 * cgroup's oom_kill count rose while it was watched and it died of SIGKILL
 * (or of an unknown signal). Fills out's source, exit_signal, memory_max
 * and oom_kills. Returns true when killed. */
bool oom_judge(const struct oom_evidence *e, struct report_oom *out);

void oomwatch_close(struct oomwatch *w); /* safe on a zeroed struct */

#endif /* PYLEAK_OOMWATCH_H */
