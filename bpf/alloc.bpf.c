// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * alloc.bpf.c: exact allocation tracking (--mode alloc).
 *
 * Entry and return uprobes on the allocator functions that really serve the
 * target's allocations (chosen by user/capture/capture.c: CPython's table functions on
 * non-LTO builds, libc's malloc family under PYTHONMALLOC=malloc or the
 * allocator switch), and an entry uprobe on the matching free. Each uprobe's
 * bpf_cookie says which kind of function it is and whether its first argument
 * is CPython's allocator context.
 *
 * Per allocation: the Python stack of the allocating thread plus the native
 * caller become a site (stacks map), the pointer is remembered (live map), and
 * the site's outstanding bytes and count are kept as running totals (sites
 * map), so userspace reads aggregates without walking every pointer.
 *
 * Calls made from inside another hooked call (pymalloc's realloc allocating
 * and freeing, its large-block fallback into the raw allocator) are counted
 * once, at the outermost call, through a per-thread depth counter.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "pystack.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* An in-flight entry older than this is taken to have lost its return probe. */
#define INFLIGHT_STALE_NS (1000ULL * 1000 * 1000)

/* pointer -> outstanding allocation. Sized from --max-allocs before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* overridden from userspace */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pyleak_ptr);
	__type(value, struct pyleak_alloc);
} live SEC(".maps");

/* site id -> running totals. Sized from --max-sites before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* overridden from userspace */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pyleak_site);
} sites SEC(".maps");

/* site id -> frames. Same size as sites. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* overridden from userspace */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pyleak_stack);
} stacks SEC(".maps");

/* pid_tgid -> state between entry and return of the outermost hooked call.
 * An entry lives only while its thread is inside a hooked call: the return
 * that brings depth back to 0 deletes it, and so does the thread's exit (a
 * thread that dies inside a call). So the map holds the threads inside an
 * allocator at one instant, not every thread ever seen: a server that starts
 * thousands of short-lived threads never fills it. When it is full anyway,
 * the call is not tracked and PYLEAK_STAT_INFLIGHT_FULL says so. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pyleak_inflight);
} inflight SEC(".maps");

/* tgid -> GC collections seen by the GC probes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pyleak_gc);
} gc SEC(".maps");

/* (site, window) -> what the window captured there and what still lives.
 * Sized from userspace; userspace deletes the entries of old windows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* overridden from userspace */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pyleak_sw_key);
	__type(value, struct pyleak_sw);
} site_windows SEC(".maps");

/* Budget notifications (struct pyleak_event): userspace closes the window
 * within a poll wake-up instead of at its next tick, so the traps paid
 * beyond the budget are few. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* enum pyleak_stat counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PYLEAK_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1; /* per-CPU slot: no other writer */
}

/*
 * capture_site() - site id for an allocation made now by thread tid of tgid,
 * whose parameters p the caller looked up (NULL: none registered).
 * Stores the stack under that id the first time it is seen.
 */
static __always_inline __u64 capture_site(struct pt_regs *ctx, const struct pyleak_proc *p,
					  __u32 tgid, __u32 tid)
{
	struct pyleak_stack *st;
	__u64 hash, caller = 0;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!st)
		return 0;
	/* At function entry the return address is the word at the stack pointer. */
	read_u64(PT_REGS_SP(ctx), &caller);
	hash = build_stack(p, tgid, tid, caller, st);
	if (!p)
		stat_inc(PYLEAK_STAT_NO_PROC);
	else if (st->flags & PYLEAK_STACK_NO_TSTATE)
		stat_inc(PYLEAK_STAT_NO_TSTATE);
	if (st->flags & PYLEAK_STACK_TRUNCATED)
		stat_inc(PYLEAK_STAT_TRUNCATED);
	if (st->flags & PYLEAK_STACK_FAULT)
		stat_inc(PYLEAK_STAT_READ_FAULT);
	if (!bpf_map_lookup_elem(&stacks, &hash) &&
	    bpf_map_update_elem(&stacks, &hash, st, BPF_NOEXIST) == -E2BIG)
		stat_inc(PYLEAK_STAT_STACKS_FULL);
	return hash;
}

/* untrack() - forget a live allocation and take it off its site's totals. */
static __always_inline int untrack(__u32 tgid, __u64 ptr)
{
	struct pyleak_ptr key = { .pid = tgid, .ptr = ptr };
	struct pyleak_alloc *a;
	struct pyleak_site *s;

	struct pyleak_sw_key swk = {};
	struct pyleak_sw *sw;

	a = bpf_map_lookup_elem(&live, &key);
	if (!a)
		return 0;
	s = bpf_map_lookup_elem(&sites, &a->site);
	if (s) {
		__sync_fetch_and_add(&s->bytes, -(__s64)a->size);
		__sync_fetch_and_add(&s->count, -1);
		__sync_fetch_and_add(&s->frees, 1);
	}
	swk.site = a->site;
	swk.window = a->window;
	sw = bpf_map_lookup_elem(&site_windows, &swk);
	if (sw) {
		__sync_fetch_and_add(&sw->live_bytes, -(__s64)a->size);
		__sync_fetch_and_add(&sw->live_count, -1);
	}
	bpf_map_delete_elem(&live, &key);
	stat_inc(PYLEAK_STAT_SITE_WRITES); /* after the writes: see collect_read() */
	return 1;
}

/* sw_add() - count a captured allocation in its (site, window) entry. */
static __always_inline void sw_add(__u64 site, __u32 window, __u64 size)
{
	struct pyleak_sw_key k = { .site = site, .window = window };
	struct pyleak_sw *sw, init = {};

	sw = bpf_map_lookup_elem(&site_windows, &k);
	if (!sw) {
		if (bpf_map_update_elem(&site_windows, &k, &init, BPF_NOEXIST) == -E2BIG)
			stat_inc(PYLEAK_STAT_SW_FULL);
		sw = bpf_map_lookup_elem(&site_windows, &k);
		if (!sw)
			return;
	}
	__sync_fetch_and_add(&sw->allocs, 1);
	__sync_fetch_and_add(&sw->alloc_bytes, size);
	__sync_fetch_and_add(&sw->live_count, 1);
	__sync_fetch_and_add(&sw->live_bytes, size);
}

/* spend() - take one hit from a budget that applies; returns false when
 * the budget is spent (the hit must not be acted on). Tells userspace
 * once, on the hit that empties it. */
static __always_inline bool spend(struct pyleak_proc *p, __s64 *budget, __u32 kind, __u32 tgid)
{
	struct pyleak_event ev = { .kind = kind, .pid = tgid, .window = p->window };
	__s64 left = __sync_fetch_and_add(budget, -1);

	if (left == 1)
		bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
	return left > 0;
}

/* track() - remember a new live allocation and add it to its site. */
static __always_inline void track(__u32 tgid, __u64 ptr, __u64 site, __u64 size, __u32 window)
{
	struct pyleak_ptr key = { .pid = tgid, .ptr = ptr };
	struct pyleak_alloc a = { .site = site, .size = size, .window = window };
	struct pyleak_site *s, init = {};
	__u64 now = bpf_ktime_get_ns();

	/* A pointer handed out again while still tracked was freed by a path we
	 * do not see; take the stale record off its site first. */
	untrack(tgid, ptr);

	s = bpf_map_lookup_elem(&sites, &site);
	if (!s) {
		init.first_ns = now;
		if (bpf_map_update_elem(&sites, &site, &init, BPF_NOEXIST) == -E2BIG) {
			stat_inc(PYLEAK_STAT_SITES_FULL);
			return;
		}
		s = bpf_map_lookup_elem(&sites, &site);
		if (!s)
			goto written; /* inserted, then deleted by userspace */
	}
	a.ts_ns = now;
	if (bpf_map_update_elem(&live, &key, &a, BPF_ANY)) {
		stat_inc(PYLEAK_STAT_LIVE_FULL);
		goto written; /* the site may be new */
	}
	__sync_fetch_and_add(&s->bytes, (__s64)size);
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->allocs, 1);
	s->last_ns = now;
	sw_add(site, window, size);
written:
	stat_inc(PYLEAK_STAT_SITE_WRITES); /* after the writes: see collect_read() */
}

/* inflight_get() - this thread's in-flight record, created if missing and
 * reset if its last return probe was evidently lost. */
static __always_inline struct pyleak_inflight *inflight_get(__u64 id, __u64 now)
{
	struct pyleak_inflight *f, init = {};

	f = bpf_map_lookup_elem(&inflight, &id);
	if (!f) {
		bpf_map_update_elem(&inflight, &id, &init, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&inflight, &id);
		if (!f) {
			stat_inc(PYLEAK_STAT_INFLIGHT_FULL);
			return NULL;
		}
	}
	if (f->depth && now - f->ts_ns > INFLIGHT_STALE_NS)
		f->depth = 0;
	return f;
}

/* exec of a profiled process: its offsets describe a program that is gone.
 * Forget it at once, so nothing the new program allocates before userspace
 * attaches again is attributed with the old layout, and wake userspace. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pyleak_event ev = { .kind = PYLEAK_EV_EXEC, .pid = tgid };

	if (!bpf_map_lookup_elem(&procs, &tgid))
		return 0;
	bpf_map_delete_elem(&procs, &tgid);
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
	return 0;
}

/* A thread ends: forget its in-flight record, if a call it was in never
 * returned (see inflight), and its cached thread state (see tstate_cache).
 * Runs for every exiting task on the machine; a delete of a missing key is a
 * hash lookup. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&inflight, &id);
	forget_tstate();
	return 0;
}

/* Py_FinalizeEx entry: freeze this process's totals (see pyleak_proc). */
SEC("uprobe")
int BPF_KPROBE(finalize_enter)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pyleak_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	if (p)
		p->finalizing = 1;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 kind = cookie & PYLEAK_COOKIE_KIND_MASK;
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns();
	__u32 tgid = id >> 32;
	__u64 a0, a1, p1, p2, p3;
	struct pyleak_inflight *f;
	struct pyleak_proc *p;
	bool follow;

	stat_inc(PYLEAK_STAT_ALLOC_HITS);
	/* one lookup serves the shutdown check, the window and the unwinder */
	p = bpf_map_lookup_elem(&procs, &tgid);
	/* Window closed but following its survivors: a realloc frees its old
	 * block, maybe a survivor, as surely as free does; alloc_return takes
	 * it off (the new block is not tracked). Spends the free budget. */
	follow = p && !p->window && kind == PYLEAK_KIND_REALLOC &&
		 (p->limits & PYLEAK_LIMIT_FREES);
	if (p && (p->finalizing || (!p->window && !follow)))
		return 0;
	if (follow && !spend(p, &p->free_budget, PYLEAK_EV_FREE_BUDGET, tgid))
		return 0;
	if (p && (p->limits & PYLEAK_LIMIT_ALLOCS) &&
	    !spend(p, &p->alloc_budget, PYLEAK_EV_ALLOC_BUDGET, tgid))
		return 0;
	f = inflight_get(id, now);
	if (!f)
		return 0;
	if (f->depth++) {
		stat_inc(PYLEAK_STAT_NESTED);
		return 0;
	}
	/* Read all three argument registers first: selecting a pt_regs field
	 * by the cookie makes clang compute a ctx offset, which the verifier
	 * rejects. */
	p1 = PT_REGS_PARM1(ctx);
	p2 = PT_REGS_PARM2(ctx);
	p3 = PT_REGS_PARM3(ctx);
	barrier_var(p1);
	barrier_var(p2);
	barrier_var(p3);
	a0 = (cookie & PYLEAK_COOKIE_CTX) ? p2 : p1;
	a1 = (cookie & PYLEAK_COOKIE_CTX) ? p3 : p2;
	f->kind = kind;
	f->ts_ns = now;
	f->old_ptr = 0;
	switch (kind) {
	case PYLEAK_KIND_CALLOC:
		f->size = a0 * a1;
		break;
	case PYLEAK_KIND_REALLOC:
		f->old_ptr = a0;
		f->size = a1;
		break;
	default:
		f->size = a0;
		break;
	}
	f->site = follow ? 0 : capture_site(ctx, p, tgid, (__u32)id);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return)
{
	__u64 id = bpf_get_current_pid_tgid(), ret = PT_REGS_RC(ctx);
	__u32 tgid = id >> 32;
	struct pyleak_inflight *f;
	struct pyleak_proc *p;

	__u64 site, size, old_ptr;
	__u32 kind;

	f = bpf_map_lookup_elem(&inflight, &id);
	if (!f || !f->depth)
		return 0;
	if (--f->depth)
		return 0;
	stat_inc(PYLEAK_STAT_RET_HITS);
	/* the outermost call is over: free the thread's slot (see inflight) */
	site = f->site;
	size = f->size;
	old_ptr = f->old_ptr;
	kind = f->kind;
	bpf_map_delete_elem(&inflight, &id);
	if (kind == PYLEAK_KIND_REALLOC && old_ptr && (ret || !size))
		untrack(tgid, old_ptr); /* moved, resized in place, or freed by size 0 */
	p = bpf_map_lookup_elem(&procs, &tgid);
	/* a call that outlived its window is not tracked: its window is closed */
	if (ret && p && p->window)
		track(tgid, ret, site, size, p->window);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u64 p1 = PT_REGS_PARM1(ctx), p2 = PT_REGS_PARM2(ctx), ptr;
	__u32 tgid = id >> 32;
	struct pyleak_inflight *f;
	struct pyleak_proc *p;

	barrier_var(p1); /* see alloc_enter */
	barrier_var(p2);
	ptr = (cookie & PYLEAK_COOKIE_CTX) ? p2 : p1;
	if (!ptr)
		return 0;
	stat_inc(PYLEAK_STAT_FREE_HITS);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && p->finalizing)
		return 0;
	if (p && (p->limits & PYLEAK_LIMIT_FREES) &&
	    !spend(p, &p->free_budget, PYLEAK_EV_FREE_BUDGET, tgid))
		return 0;
	f = bpf_map_lookup_elem(&inflight, &id);
	if (f && f->depth && bpf_ktime_get_ns() - f->ts_ns <= INFLIGHT_STALE_NS) {
		/* Inside a hooked realloc: its return probe settles the pointers. */
		stat_inc(PYLEAK_STAT_NESTED);
		return 0;
	}
	if (untrack(tgid, ptr))
		stat_inc(PYLEAK_STAT_FREE_TRACKED);
	return 0;
}

/*
 * PyObject_GC_UnTrack(op) entry, while a growth window captures or follows
 * its survivors (then it spends the free budget, as free_enter): a GC object
 * is being deallocated (CPython's deallocators untrack through this API; a
 * live object is untracked through the internal macro). Its block is taken
 * off as freed now. Deallocators of lists, dicts, tuples and more park the
 * object on a free list rather than free it, and the line that pops it next
 * reuses the block without any allocator call: its free would never be seen,
 * so the block would pass for a survivor of the line that first made it
 * (the memory of whichever line reuses it). The block starts before op by
 * the PyGC_Head (16 bytes), or by a pre-header as well (32: 3.11's managed
 * dict, 3.12+'s managed dict and weakref); neither address can start another
 * live block (it lies inside this one's allocation, or in its malloc chunk
 * header, or in a pool of blocks at least 32 bytes apart). An object an
 * extension untracks alive through the API, or one its finalizer
 * resurrects, is taken off too: a survivor missed, never one invented.
 */
SEC("uprobe")
int BPF_KPROBE(gc_untrack_enter)
{
	__u64 op = PT_REGS_PARM1(ctx);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pyleak_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	if (!p || p->finalizing || op < 32)
		return 0;
	if (!p->window && (!(p->limits & PYLEAK_LIMIT_FREES) ||
			   !spend(p, &p->free_budget, PYLEAK_EV_FREE_BUDGET, tgid)))
		return 0;
	if (untrack(tgid, op - 16) || untrack(tgid, op - 32))
		stat_inc(PYLEAK_STAT_FREE_TRACKED);
	return 0;
}

static __always_inline struct pyleak_gc *gc_get(__u32 tgid)
{
	struct pyleak_gc init = {}, *g;

	g = bpf_map_lookup_elem(&gc, &tgid);
	if (g)
		return g;
	bpf_map_update_elem(&gc, &tgid, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&gc, &tgid);
}

static __always_inline void gc_started(long gen)
{
	struct pyleak_gc *g = gc_get(bpf_get_current_pid_tgid() >> 32);

	__u32 i = (__u32)gen;

	stat_inc(PYLEAK_STAT_GC_START);
	barrier_var(i); /* keep the bounds check on the value that indexes */
	if (g && i < 3)
		__sync_fetch_and_add(&g->collections[i], 1);
}

/* USDT python:gc__start(int generation), on builds configured --with-dtrace. */
SEC("usdt")
int BPF_USDT(gc_start_usdt, int gen)
{
	gc_started(gen);
	return 0;
}

/* USDT python:gc__done(long collected_plus_uncollectable). */
SEC("usdt")
int BPF_USDT(gc_done_usdt, long n)
{
	struct pyleak_gc *g = gc_get(bpf_get_current_pid_tgid() >> 32);

	if (g && n > 0)
		__sync_fetch_and_add(&g->collected, n);
	return 0;
}

/* Builds without USDT: uprobe on the collector function; the cookie is the
 * 1-based index of its generation argument (see user/capture/capture.c). */
SEC("uprobe")
int BPF_KPROBE(gc_collect_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	long p1 = (int)PT_REGS_PARM1(ctx), p2 = (int)PT_REGS_PARM2(ctx), gen;

	barrier_var(p1); /* see alloc_enter */
	barrier_var(p2);
	gen = cookie == 2 ? p2 : p1;

	gc_started(gen);
	return 0;
}
