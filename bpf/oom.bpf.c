// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * oom.bpf.c: evidence at OOM (README "Evidence at OOM"). Both modes load it
 * (user/capture/oomwatch.c): one attachment serves every watched process, and it
 * traps nothing in the target.
 *
 *  - mark_victim: the kernel's OOM killer (global or a memory cgroup's)
 *    chose a watched process. The tgid is the watched key; the victim's
 *    memory cgroup limit is noted while the task is surely alive.
 *  - sched_process_exit: a thread of a watched process exits; the group's
 *    exit code (SIGKILL for an OOM kill) corroborates the choice, and is
 *    all there is when mark_victim could not be attached.
 *
 * tp_btf only: BTF, no tracefs mount, no kprobes (this project's kernels
 * may lack them).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pyleak.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* tgid -> how it ended; userspace adds the processes to watch. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct pyleak_oom);
} oom SEC(".maps");

/* memcg_max_pages() - the limit of task's memory cgroup in pages, 0 when
 * the kernel has no memory controller (CO-RE: the enum value is checked). */
static __always_inline __u64 memcg_max_pages(struct task_struct *task)
{
	struct cgroup_subsys_state *css;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= 12)
		return 0;
	css = BPF_CORE_READ(task, cgroups, subsys[id]);
	if (!css)
		return 0;
	/* css is the first member of struct mem_cgroup */
	return BPF_CORE_READ((struct mem_cgroup *)css, memory.max);
}

/* Until Linux 6.7 the tracepoint's only argument was the victim's pid (a
 * thread id: the leader's for a single-threaded victim, the usual Python);
 * since, (task, uid), and its event gained the uid field that tells them
 * apart here (CO-RE: the other branch is dropped at load). */
SEC("tp_btf/mark_victim")
int mark_victim(__u64 *ctx)
{
	struct task_struct *task = NULL;
	struct pyleak_oom *o;
	__u32 tgid, uid = 0;

	if (bpf_core_field_exists(struct trace_event_raw_mark_victim, uid)) {
		task = (struct task_struct *)ctx[0];
		tgid = BPF_CORE_READ(task, tgid);
		uid = (__u32)ctx[1];
	} else {
		tgid = (__u32)ctx[0];
	}
	o = bpf_map_lookup_elem(&oom, &tgid);
	if (!o)
		return 0;
	o->victim_ns = bpf_ktime_get_ns();
	o->victim_uid = uid;
	o->memcg_max_pages = task ? memcg_max_pages(task) : 0;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct pyleak_oom *o = bpf_map_lookup_elem(&oom, &tgid);
	int code;

	if (!o)
		return 0;
	/* a group exit (exit_group(), a fatal signal) sets group_exit_code
	 * before any thread exits; a lone thread's exit has only its own */
	code = BPF_CORE_READ(task, signal, group_exit_code);
	if (!code)
		code = BPF_CORE_READ(task, exit_code);
	o->exit_code = code;
	o->exit_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&o->exits, 1);
	return 0;
}
