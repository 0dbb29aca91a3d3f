/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pystack.bpf.h: the Python unwinder, shared by every BPF program that needs
 * "which Python stack is running on this thread right now".
 *
 * It is version-agnostic: all CPython layout knowledge arrives per process in
 * a struct pyleak_proc (include/pyleak.h) chosen by user/python/pyoffsets.c. The
 * walk is bounded (PYLEAK_MAX_FRAMES, and the rodata knob max_depth), every
 * read of target memory is a bpf_probe_read_user that may fail, and a failed
 * read ends the walk with PYLEAK_STACK_FAULT rather than guessing.
 *
 * BPF-only: never included by userspace.
 */
#ifndef PYSTACK_BPF_H
#define PYSTACK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "pyleak.h"
#include "pyident.h"

/* Frames to keep per stack (set from --max-depth before load). */
const volatile __u32 max_depth = PYLEAK_DEFAULT_FRAMES;

/* Per-process unwinding parameters, keyed by tgid. Written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pyleak_proc);
} procs SEC(".maps");

/* (tgid, thread's FS base == PyThreadState.thread_id) -> its
 * PyThreadState*, found by an earlier lookup here or written by userspace,
 * which walks the whole thread list (user/python/tstates.h). Re-validated on
 * every use, and forgotten when the thread exits (forget_tstate()): glibc
 * gives a new thread the stack, and so the FS base, of one that ended, and
 * the ended thread's freed state still says that FS base. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PYLEAK_MAX_TSTATES);
	__type(key, struct pyleak_tstate_key);
	__type(value, __u64);
} tstate_cache SEC(".maps");

/* Scratch space for building a stack: too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pyleak_stack);
} stack_scratch SEC(".maps");

static __always_inline int read_u64(__u64 addr, __u64 *out)
{
	return bpf_probe_read_user(out, sizeof(*out), (const void *)addr);
}

/* The thread's FS base: equals pthread_self() and so PyThreadState.thread_id
 * on x86-64 glibc and musl. This is how a thread state is matched to the
 * thread that is running, in every CPython version. */
static __always_inline __u64 current_fsbase(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, thread.fsbase);
}

/* The running thread's id in its own pid namespace: what gettid() returned
 * to it, and so what CPython stored as native_thread_id (a container's
 * threads count from 1 there, not as the host sees them). */
static __always_inline __u32 current_ns_tid(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	if (level > 32) /* MAX_PID_NS_LEVEL */
		return 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

/* tstate_is_current() - ts is the state of the running thread (fs its FS
 * base, tid its namespace tid, 0 if not yet read: *tid is filled on first
 * need). The FS base alone is not enough: an ended thread's freed state
 * keeps its thread_id, and glibc hands that FS base to the next thread it
 * starts. From 3.11 the state also names its thread's tid, which an ended
 * thread's freed state cannot match; before 3.11 find_tstate() trusts the
 * GIL holder first and thread exits clear the cache. */
static __always_inline int tstate_is_current(const struct pyleak_proc *p, __u64 ts, __u64 fs,
					     __u32 *tid)
{
	__u64 id = 0, native = 0;

	if (!ts || read_u64(ts + p->tstate_thread_id, &id) || id != fs)
		return 0;
	if (p->tstate_native_tid == PYLEAK_OFF_NONE)
		return 1;
	if (!*tid)
		*tid = current_ns_tid();
	/* native_thread_id is an unsigned long holding a pid_t */
	return !read_u64(ts + p->tstate_native_tid, &native) && (__u32)native == *tid;
}

/*
 * find_tstate() - the PyThreadState of the current thread of tgid, or 0.
 * Order: the GIL holder (<=3.11: right whenever the GIL is held, which it is
 * inside the object allocator, and a live state, never a freed one), then
 * the cached answer for this thread (userspace keeps every listed thread
 * there), then a bounded walk of the newest PYLEAK_MAX_THREADS states of the
 * main interpreter's thread list (threads too new for userspace to have seen
 * them). Each candidate must pass tstate_is_current(), so a stale cache
 * entry or another thread's state is never used.
 */
static __always_inline __u64 find_tstate(const struct pyleak_proc *p, __u32 tgid)
{
	struct pyleak_tstate_key key = { .tgid = tgid, .fsbase = current_fsbase() };
	__u64 fs = key.fsbase;
	__u64 ts = 0, interp = 0;
	__u64 *cached;
	__u32 tid = 0;
	int i;

	if (p->tstate_current_addr && !read_u64(p->tstate_current_addr, &ts) &&
	    tstate_is_current(p, ts, fs, &tid))
		return ts;

	cached = bpf_map_lookup_elem(&tstate_cache, &key);
	if (cached && tstate_is_current(p, *cached, fs, &tid))
		return *cached;

	if (read_u64(p->interp_head_addr, &interp) || !interp)
		return 0;
	if (read_u64(interp + p->interp_threads_head, &ts))
		return 0;
	for (i = 0; i < PYLEAK_MAX_THREADS; i++) {
		if (!ts)
			return 0;
		if (tstate_is_current(p, ts, fs, &tid))
			goto found;
		if (read_u64(ts + p->tstate_next, &ts))
			return 0;
	}
	return 0;
found:
	bpf_map_update_elem(&tstate_cache, &key, &ts, BPF_ANY);
	return ts;
}

/* forget_tstate() - the running thread is exiting: drop its cache entry, so
 * the next thread given its FS base is looked up afresh. A delete of a
 * missing key is one hash lookup. */
static __always_inline void forget_tstate(void)
{
	struct pyleak_tstate_key key = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.fsbase = current_fsbase(),
	};

	bpf_map_delete_elem(&tstate_cache, &key);
}

static __always_inline __u64 mix64(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/* State of one unwind, shared with the bpf_loop() callback. */
struct unwind_ctx {
	const struct pyleak_proc *p;
	struct pyleak_stack *st;
	__u64 frame;
	__u64 hash;
	__u32 n;
};

/* code_ident() - pyident_code() of the code object at code (its first line
 * already read). A name that cannot be read leaves only the pointers. */
static __always_inline __u32 code_ident(const struct pyleak_proc *p, __u64 code, __u32 firstlineno,
					 int *fault)
{
	__u64 ptrs[3], str[PYIDENT_STR_WORDS], name;

	if (bpf_probe_read_user(ptrs, sizeof(ptrs), (const void *)(code + p->code_filename))) {
		*fault = 1;
		return 0;
	}
	/* a branch, not an index: the verifier wants stack offsets it can bound */
	name = p->ident_name_word == 1 ? ptrs[1] : ptrs[2];
	if (bpf_probe_read_user(str, sizeof(str), (const void *)(name + PYIDENT_STR_OFF)))
		return pyident_code(firstlineno, ptrs, 0, p->ident_data_word);
	return pyident_code(firstlineno, ptrs, str, p->ident_data_word);
}

/*
 * unwind_step() - bpf_loop() callback: look at one frame, keep it unless it
 * is a shim/entry frame (owner >= owner_skip_min, 3.12+), move to the
 * previous one. Returns 1 to stop the loop. The loop runs in bpf_loop()
 * because a plain bounded loop over this body makes the verifier explore
 * every iteration's branches and exceed its instruction budget.
 */
static long unwind_step(__u32 i, void *arg)
{
	struct unwind_ctx *u = arg;
	const struct pyleak_proc *p = u->p;
	struct pyleak_stack *st = u->st;
	__u64 frame = u->frame, code, instr;
	__u32 firstlineno, ident, n = u->n;
	int fault = 0;
	__s32 lasti;
	__u8 owner;

	if (!frame)
		return 1;
	if (n >= max_depth || n >= PYLEAK_MAX_FRAMES) {
		st->flags |= PYLEAK_STACK_TRUNCATED;
		return 1;
	}
	if (p->frame_owner != PYLEAK_OFF_NONE && p->owner_skip_min) {
		if (bpf_probe_read_user(&owner, 1, (const void *)(frame + p->frame_owner)))
			goto fault;
		if (owner >= p->owner_skip_min)
			goto next;
	}
	if (read_u64(frame + p->frame_code, &code))
		goto fault;
	code &= ~(__u64)p->code_tag_bits;
	if (!code)
		goto next;
	if (bpf_probe_read_user(&firstlineno, 4, (const void *)(code + p->code_firstlineno)))
		goto fault;
	ident = code_ident(p, code, firstlineno, &fault);
	if (fault)
		goto fault;
	if (p->instr_is_ptr) {
		if (read_u64(frame + p->frame_instr, &instr))
			goto fault;
		/* byte offset into co_code_adaptive; before the first
		 * instruction (3.11/3.12 prev_instr) it is negative: unknown */
		if (instr >= code + p->code_adaptive && instr - code - p->code_adaptive < 0x7fffffff)
			lasti = (__s32)(instr - code - p->code_adaptive);
		else
			lasti = -1;
	} else {
		if (bpf_probe_read_user(&lasti, 4, (const void *)(frame + p->frame_instr)))
			goto fault;
		lasti = lasti < 0 ? -1 : lasti * (__s32)p->lasti_scale;
	}
	st->frames[n & (PYLEAK_MAX_FRAMES - 1)].code = code;
	st->frames[n & (PYLEAK_MAX_FRAMES - 1)].lasti = lasti;
	st->frames[n & (PYLEAK_MAX_FRAMES - 1)].ident = ident;
	u->hash = mix64(mix64(u->hash, code), ((__u64)ident << 32) | (__u32)lasti);
	u->n = n + 1;
next:
	if (read_u64(frame + p->frame_previous, &u->frame))
		goto fault;
	return 0;
fault:
	st->flags |= PYLEAK_STACK_FAULT;
	return 1;
}

/*
 * unwind() - fill st->frames from thread state ts, innermost first, and fold
 * every kept frame into *hash. Returns the number of frames kept.
 */
static __always_inline __u16 unwind(const struct pyleak_proc *p, __u64 ts, struct pyleak_stack *st,
				    __u64 *hash)
{
	struct unwind_ctx u = { .p = p, .st = st, .hash = *hash };

	if (read_u64(ts + p->tstate_frame, &u.frame))
		goto fault;
	if (p->cframe_frame != PYLEAK_OFF_NONE && u.frame &&
	    read_u64(u.frame + p->cframe_frame, &u.frame))
		goto fault;
	/* skipped shim frames consume iterations too, hence the factor 2 */
	bpf_loop(2 * PYLEAK_MAX_FRAMES, unwind_step, &u, 0);
	*hash = u.hash;
	return u.n;
fault:
	st->flags |= PYLEAK_STACK_FAULT;
	return 0;
}

/*
 * build_stack() - fill st with the Python stack of the running thread (tid
 * of tgid; p its parameters, NULL if none are registered) and the native
 * address that identifies where it was taken (an allocator's caller, a
 * faulting instruction). Returns the stack's hash: never 0, which means "no
 * site". A stack without a thread state is flagged PYLEAK_STACK_NO_TSTATE.
 */
static __always_inline __u64 build_stack(const struct pyleak_proc *p, __u32 tgid, __u32 tid,
					 __u64 native, struct pyleak_stack *st)
{
	__u64 hash = 0xcbf29ce484222325ULL, ts;

	st->native_caller = native;
	st->pid = tgid;
	st->depth = 0;
	st->flags = 0;
	hash = mix64(mix64(hash, tgid), native);
	ts = p ? find_tstate(p, tgid) : 0;
	if (ts)
		st->depth = unwind(p, ts, st, &hash);
	else
		st->flags |= PYLEAK_STACK_NO_TSTATE;
	hash = mix64(hash, st->flags);
	return hash ?: 1;
}

#endif /* PYSTACK_BPF_H */
