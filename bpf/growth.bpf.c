// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * growth.bpf.c: always-on detection of memory growth (--mode growth).
 *
 * Nothing here is a uprobe, so nothing traps in the target: the programs run
 * in the kernel on events whose rate follows memory growth (page faults,
 * page allocations) or on syscall exits, and return at once for processes
 * that are not in the growth map. One attachment serves any number of
 * processes. All are tp_btf programs: BTF, no tracefs mount, no kprobes
 * (kernels built without kprobes or ftrace still have them).
 *
 *  - page_fault_user: a user fault of a watched process begins. The thread
 *    remembers it (task storage) for FAULT_SPAN_NS.
 *  - mm_page_alloc: a movable (user) page allocated by that thread during its
 *    fault is what the fault mapped: a 2 MiB transparent huge page counts
 *    2 MiB, a fault served by the zero page or the page cache counts nothing.
 *    The first allocation of a fault also records the Python stack running:
 *    the first-touch HINT. First touch is biased (whoever allocates in bursts
 *    when free blocks run out touches new pages, not whoever keeps them), so
 *    userspace shows it as a hint and never ranks leaks by it.
 *  - sys_exit: successful mmap, munmap, brk, mremap and madvise
 *    (MADV_DONTNEED/FREE/REMOVE) of a watched process, with their sizes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pystack.bpf.h"

#define E2BIG 7 /* include/uapi/asm-generic/errno-base.h */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* x86-64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#define NR_MADVISE 28
/* include/uapi/asm-generic/mman-common.h */
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
/* ___GFP_MOVABLE_BIT is 3 in every kernel since 2.6: user pages (anonymous,
 * page cache, huge pages) are movable; page tables and slab are not. */
#define GFP_MOVABLE 0x08u
#define HPAGE_ORDER 9
#define PAGE_SZ 4096ULL

/* --no-hints: count faults but walk no stacks. */
const volatile bool hints_on = true;

/* tgid -> counters; userspace adds the processes to watch. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pyleak_growth);
} growth SEC(".maps");

/* stack hash -> first-touch faults (sized from userspace before load). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pyleak_hint);
} hints SEC(".maps");

/* stack hash -> frames, for hints. Same size as hints. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pyleak_stack);
} hint_stacks SEC(".maps");

/* A page allocated by the faulting thread this soon after its fault began
 * belongs to the fault (an anonymous fault takes microseconds; a huge page
 * with compaction can take milliseconds). */
#define FAULT_SPAN_NS (20ULL * 1000 * 1000)

/* Per thread: the user fault being handled. A fault may sleep and move
 * between CPUs, so this is task storage, not per-CPU. */
struct fault_state {
	__u64 ts;   /* bpf_ktime when it began; 0 = none */
	__u64 ip;   /* faulting instruction */
	__u64 hint; /* hint it was recorded under, 0 = not yet */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fault_state);
} faulting SEC(".maps");

static __always_inline struct pyleak_growth *watched(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return bpf_map_lookup_elem(&growth, &tgid);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct pyleak_growth *g = watched();
	struct fault_state *fs;

	if (!g)
		return 0;
	__sync_fetch_and_add(&g->faults, 1);
	fs = bpf_task_storage_get(&faulting, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (fs) {
		fs->ts = bpf_ktime_get_ns();
		fs->ip = BPF_CORE_READ(regs, ip);
		fs->hint = 0;
	}
	return 0;
}

/* record_hint() - the hint of the stack running now (faulting at ip),
 * created with its frames the first time; 0 if it cannot be stored. */
static __always_inline __u64 record_hint(struct pyleak_growth *g, __u64 ip)
{
	__u64 id = bpf_get_current_pid_tgid(), hash;
	__u32 tgid = id >> 32, zero = 0;
	struct pyleak_hint init = { .tgid = tgid };
	struct pyleak_stack *st;
	struct pyleak_proc *p;

	p = bpf_map_lookup_elem(&procs, &tgid);
	st = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!p || !st)
		return 0;
	/* The faulting instruction names the native code that touched the page;
	 * it is part of the hint's identity like an allocator's caller. */
	hash = build_stack(p, tgid, (__u32)id, ip, st);
	if (!bpf_map_lookup_elem(&hints, &hash)) {
		if (bpf_map_update_elem(&hints, &hash, &init, BPF_NOEXIST) == -E2BIG) {
			__sync_fetch_and_add(&g->hint_drops, 1);
			return 0;
		}
		bpf_map_update_elem(&hint_stacks, &hash, st, BPF_NOEXIST);
	}
	return hash;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(page_alloc, struct page *page, unsigned int order, gfp_t gfp, int migratetype)
{
	struct pyleak_growth *g;
	struct fault_state *fs;
	struct pyleak_hint *h;
	__u64 bytes, now;

	if (!(gfp & GFP_MOVABLE))
		return 0;
	g = watched();
	if (!g)
		return 0;
	fs = bpf_task_storage_get(&faulting, bpf_get_current_task_btf(), 0, 0);
	if (!fs || !fs->ts)
		return 0;
	now = bpf_ktime_get_ns();
	if (now - fs->ts > FAULT_SPAN_NS) {
		fs->ts = 0; /* not the fault's: a syscall's page cache, say */
		return 0;
	}
	bytes = PAGE_SZ << (order & 31);
	__sync_fetch_and_add(&g->fault_bytes, bytes);
	if (order >= HPAGE_ORDER) {
		__sync_fetch_and_add(&g->thp_faults, 1);
		__sync_fetch_and_add(&g->thp_bytes, bytes);
	}
	if (!hints_on)
		return 0;
	if (!fs->hint) {
		fs->hint = record_hint(g, fs->ip);
		if (!fs->hint)
			return 0;
		h = bpf_map_lookup_elem(&hints, &fs->hint);
		if (h)
			__sync_fetch_and_add(&h->faults, 1);
	} else {
		h = bpf_map_lookup_elem(&hints, &fs->hint);
	}
	if (h)
		__sync_fetch_and_add(&h->bytes, bytes);
	return 0;
}

/* exec: the new program's break starts elsewhere; measuring it against the
 * old one's would book the distance between them as growth. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pyleak_growth *g = watched();

	if (g)
		g->last_brk = 0;
	return 0;
}

/* A thread of a watched process ends: forget its cached thread state (see
 * tstate_cache in pystack.bpf.h). Other exits cost the watched() lookup. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	if (watched())
		forget_tstate();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct pyleak_growth *g;
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u64 a2, a3;

	if (nr != NR_MMAP && nr != NR_MUNMAP && nr != NR_BRK && nr != NR_MREMAP &&
	    nr != NR_MADVISE)
		return 0;
	if (ret < 0 && ret > -4096)
		return 0; /* failed: nothing changed */
	g = watched();
	if (!g)
		return 0;
	a2 = BPF_CORE_READ(regs, si);
	a3 = BPF_CORE_READ(regs, dx);
	switch (nr) {
	case NR_MMAP:
		__sync_fetch_and_add(&g->mmap_calls, 1);
		__sync_fetch_and_add(&g->mmap_bytes, a2);
		break;
	case NR_MUNMAP:
		__sync_fetch_and_add(&g->munmap_calls, 1);
		__sync_fetch_and_add(&g->munmap_bytes, a2);
		break;
	case NR_BRK:
		/* brk(0) queries; brk(addr) moves the break and returns the new one */
		__sync_fetch_and_add(&g->brk_calls, 1);
		if (g->last_brk && (__u64)ret != g->last_brk)
			__sync_fetch_and_add(&g->brk_bytes, (__s64)((__u64)ret - g->last_brk));
		g->last_brk = ret;
		break;
	case NR_MREMAP:
		__sync_fetch_and_add(&g->mremap_calls, 1);
		__sync_fetch_and_add(&g->mremap_bytes, (__s64)(a3 - a2));
		break;
	case NR_MADVISE:
		if (a3 == MADV_DONTNEED || a3 == MADV_FREE || a3 == MADV_REMOVE) {
			__sync_fetch_and_add(&g->madv_free_calls, 1);
			__sync_fetch_and_add(&g->madv_free_bytes, a2);
		}
		break;
	}
	return 0;
}
