/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyleak.h: the contract between the BPF programs (bpf/NAME.bpf.c) and the
 * userspace loader (user/NAME.c). One definition of every map key, map value and
 * per-process parameter block, in fixed-width types only (no pointers, no
 * long, no bool) so both compilers lay them out identically. Every struct has
 * a _Static_assert on its size: a layout change fails to compile instead of
 * silently corrupting what the other side reads.
 */
#ifndef PYLEAK_H
#define PYLEAK_H

#ifdef __BPF__
/* vmlinux.h already provides __u8.. __u64 / __s32 / __s64. */
#else
#include <linux/types.h>
#endif

/* Hard upper bound on unwound Python frames (the verifier's loop bound). The
 * depth actually walked is the rodata knob max_depth (--max-depth). */
#define PYLEAK_MAX_FRAMES 64
#define PYLEAK_DEFAULT_FRAMES 32
/* Upper bound on thread states scanned when the fast tstate lookup fails. */
#define PYLEAK_MAX_THREADS 64
/* Thread states userspace finds and caches for BPF (user/python/tstates.h): the
 * size of each tstate_cache map and the bound of userspace's walk. */
#define PYLEAK_MAX_TSTATES 16384

/* Key of the tstate_cache map: a thread is (process, FS base). FS bases are
 * per address space, so two processes (node mode shares one growth object)
 * may hold the same one. */
struct pyleak_tstate_key {
	__u32 tgid;
	__u32 pad;
	__u64 fsbase;
};

/*
 * Allocator entry kinds, carried in the uprobe's bpf_cookie together with
 * whether the function takes the allocator context as its first argument
 * (CPython's table functions are fn(void *ctx, ...); libc's are not).
 *   cookie = kind | (PYLEAK_COOKIE_CTX if the first argument is ctx)
 */
enum pyleak_alloc_kind {
	PYLEAK_KIND_MALLOC = 1,	 /* fn([ctx,] size) -> ptr */
	PYLEAK_KIND_CALLOC = 2,	 /* fn([ctx,] nelem, elsize) -> ptr */
	PYLEAK_KIND_REALLOC = 3, /* fn([ctx,] ptr, size) -> ptr */
	PYLEAK_KIND_FREE = 4,	 /* fn([ctx,] ptr) */
};
#define PYLEAK_COOKIE_KIND_MASK 0xffULL
#define PYLEAK_COOKIE_CTX 0x100ULL

/*
 * Counters kept by the BPF side, one per-CPU array slot each; userspace sums
 * them. Every drop or failure the BPF side can see has a slot here, so
 * nothing is lost silently.
 */
enum pyleak_stat {
	PYLEAK_STAT_ALLOC_HITS = 0,   /* allocator entry probes (malloc/calloc/realloc) */
	PYLEAK_STAT_RET_HITS,	      /* allocator return probes */
	PYLEAK_STAT_FREE_HITS,	      /* free entry probes */
	PYLEAK_STAT_NESTED,	      /* calls inside another hooked call: not counted twice */
	PYLEAK_STAT_FREE_TRACKED,     /* frees that matched a live tracked allocation */
	PYLEAK_STAT_LIVE_FULL,	      /* live-allocation map full: allocation not tracked */
	PYLEAK_STAT_SITES_FULL,	      /* site map full: allocation not tracked */
	PYLEAK_STAT_STACKS_FULL,      /* stack map full: site stored without its frames */
	PYLEAK_STAT_INFLIGHT_FULL,    /* per-thread in-flight map full */
	PYLEAK_STAT_NO_TSTATE,	      /* no Python thread state for the allocating thread */
	PYLEAK_STAT_TRUNCATED,	      /* stack deeper than max_depth */
	PYLEAK_STAT_READ_FAULT,	      /* a read of target memory failed during an unwind */
	PYLEAK_STAT_NO_PROC,	      /* probe fired for a process without parameters */
	PYLEAK_STAT_GC_START,	      /* GC start events */
	PYLEAK_STAT_SW_FULL,	      /* site_windows map full: window survival not counted */
	PYLEAK_STAT_SITE_WRITES,      /* changes to sites/site_windows, counted after each one:
				       * userspace walks those maps again only when it moved */
	PYLEAK_STAT_MAX,
};

/* Flags on a captured stack. */
#define PYLEAK_STACK_TRUNCATED 0x1 /* more frames than max_depth */
#define PYLEAK_STACK_NO_TSTATE 0x2 /* thread had no Python thread state */
#define PYLEAK_STACK_FAULT 0x4	   /* a read failed mid-walk; frames are partial */

/*
 * Per-process unwinding parameters, written by userspace (user/python/pyoffsets.c)
 * into the procs map keyed by tgid before any probe of that process is
 * attached. Offsets are byte offsets into CPython structures for the
 * target's exact version; see user/python/pyoffsets.c for where each came from.
 * An offset of PYLEAK_OFF_NONE means "this version has no such field".
 */
#define PYLEAK_OFF_NONE 0xffff

struct pyleak_proc {
	__u64 tstate_current_addr; /* &_PyRuntime.gilstate.tstate_current (<=3.11), else 0 */
	__u64 interp_head_addr;	   /* &_PyRuntime.interpreters.head */
	__u32 version_hex;	   /* PY_VERSION_HEX of the target */
	__u16 interp_threads_head; /* PyInterpreterState: first PyThreadState* */
	__u16 tstate_next;	   /* PyThreadState.next */
	__u16 tstate_thread_id;	   /* PyThreadState.thread_id (== pthread_self == fsbase) */
	__u16 tstate_frame;	   /* PyThreadState: frame (<=3.10), cframe (3.11/3.12), current_frame */
	__u16 cframe_frame;	   /* _PyCFrame.current_frame (3.11/3.12), else NONE */
	__u16 frame_previous;	   /* f_back / previous */
	__u16 frame_code;	   /* f_code / f_executable */
	__u16 frame_instr;	   /* f_lasti (int) or prev_instr / instr_ptr (pointer) */
	__u16 frame_owner;	   /* owner byte (3.11+), else NONE */
	__u16 code_firstlineno;	   /* PyCodeObject.co_firstlineno */
	__u16 code_adaptive;	   /* offsetof(PyCodeObject, co_code_adaptive) (3.11+) */
	__u8 instr_is_ptr;	   /* 1: frame_instr is a pointer into co_code_adaptive */
	__u8 lasti_scale;	   /* int f_lasti: bytes per unit (1 for <=3.9, 2 for 3.10) */
	__u8 owner_skip_min;	   /* skip frames whose owner >= this (3.12+: 3), 0 = never */
	__u8 code_tag_bits;	   /* low bits to clear from the code pointer (3.14: 3) */
	__u8 finalizing;	   /* set by BPF when Py_FinalizeEx starts: from then on
				    * allocations and frees are ignored, so the final
				    * report shows what was live before shutdown freed it */
	__u8 pad;
	/* Capture windows (alloc.bpf.c). Written by userspace when a window
	 * opens or closes; the budgets are counted down by BPF. */
	__u32 window;		   /* id of the open window: new allocations are tracked
				    * under it; 0 = closed (frees are still followed) */
	__u32 limits;		   /* PYLEAK_LIMIT_*: which budgets below apply */
	__s64 alloc_budget;	   /* allocator entry hits left in this window; when it
				    * reaches 0 the window is full: nothing more is
				    * tracked and userspace is told (events ringbuf) */
	__s64 free_budget;	   /* free hits left while following; same rules */
	/* Code object identity (include/pyident.h) */
	__u16 code_filename;	   /* PyCodeObject.co_filename: 3 words read from here */
	__u8 ident_name_word;	   /* which of them is the name: 2 (co_qualname), 1 (co_name) */
	__u8 ident_data_word;	   /* str: first ASCII data word counted from offset 16 */
	__u16 tstate_native_tid;   /* PyThreadState.native_thread_id (3.11+: gettid() in
				    * the thread's pid namespace), else NONE. Tells a
				    * live state from a freed one whose memory still
				    * holds a reused FS base (bpf/pystack.bpf.h). */
	__u16 pad2;
};
#define PYLEAK_LIMIT_ALLOCS 0x1 /* alloc_budget applies (windows; not alloc mode) */
#define PYLEAK_LIMIT_FREES 0x2	/* free_budget applies */
_Static_assert(sizeof(struct pyleak_proc) == 80, "pyleak_proc layout");

/* One Python frame as captured: enough to symbolise later from userspace. */
struct pyleak_frame {
	__u64 code;	    /* PyCodeObject address in the target */
	__s32 lasti;	    /* byte offset of the current instruction, -1 if unknown */
	__u32 ident;	    /* pyident_code() when captured: tells a code object from
			     * a later one at the same address (include/pyident.h) */
};
_Static_assert(sizeof(struct pyleak_frame) == 16, "pyleak_frame layout");

/* Value of the stacks map: the frames of one allocation site. */
struct pyleak_stack {
	__u64 native_caller; /* return address of the hooked allocator call */
	__u32 pid;	     /* tgid the stack belongs to (code addresses are per process) */
	__u16 depth;	     /* valid entries in frames[], innermost first */
	__u16 flags;	     /* PYLEAK_STACK_* */
	struct pyleak_frame frames[PYLEAK_MAX_FRAMES];
};
_Static_assert(sizeof(struct pyleak_stack) == 16 + 16 * PYLEAK_MAX_FRAMES, "pyleak_stack layout");

/* Value of the sites map (key: __u64 site id = hash of pid, caller, frames). */
struct pyleak_site {
	__s64 bytes;	    /* outstanding bytes */
	__s64 count;	    /* outstanding allocations */
	__u64 allocs;	    /* allocations ever recorded */
	__u64 frees;	    /* frees ever matched */
	__u64 first_ns;	    /* bpf_ktime of the first allocation */
	__u64 last_ns;	    /* bpf_ktime of the latest allocation */
};
_Static_assert(sizeof(struct pyleak_site) == 48, "pyleak_site layout");

/* Key of the live-allocation map. */
struct pyleak_ptr {
	__u32 pid;
	__u32 pad;
	__u64 ptr;
};
_Static_assert(sizeof(struct pyleak_ptr) == 16, "pyleak_ptr layout");

/* Value of the live-allocation map: one outstanding allocation. */
struct pyleak_alloc {
	__u64 site;
	__u64 size;
	__u64 ts_ns;
	__u32 window; /* window it was captured in (1 in alloc mode) */
	__u32 pad;
};
_Static_assert(sizeof(struct pyleak_alloc) == 32, "pyleak_alloc layout");

/* Key of the site_windows map: one site's allocations in one window. */
struct pyleak_sw_key {
	__u64 site;
	__u32 window;
	__u32 pad;
};
_Static_assert(sizeof(struct pyleak_sw_key) == 16, "pyleak_sw_key layout");

/* Value of the site_windows map. What is still live is what survived. */
struct pyleak_sw {
	__u64 allocs;	   /* allocations captured in the window */
	__u64 alloc_bytes; /* their bytes */
	__s64 live_count;  /* of which not yet seen freed (or reused) */
	__s64 live_bytes;
};
_Static_assert(sizeof(struct pyleak_sw) == 32, "pyleak_sw layout");

/* Ring-buffer event from alloc.bpf.c: a window budget ran out, or the
 * process called exec. */
enum pyleak_event_kind {
	PYLEAK_EV_ALLOC_BUDGET = 1, /* window's allocation budget spent: close it */
	PYLEAK_EV_FREE_BUDGET = 2,  /* follow phase's free budget spent: stop following */
	PYLEAK_EV_EXEC = 3,	    /* exec: the process's entry in procs is gone */
};
struct pyleak_event {
	__u32 kind;
	__u32 pid;
	__u32 window;
	__u32 pad;
};
_Static_assert(sizeof(struct pyleak_event) == 16, "pyleak_event layout");

/* Per-thread state between an allocator's entry and return probes. */
struct pyleak_inflight {
	__u64 site;	/* site of the outermost call */
	__u64 size;	/* requested size */
	__u64 old_ptr;	/* realloc: pointer being resized */
	__u64 ts_ns;	/* entry time of the outermost call: a stale entry (its return
			 * probe never ran) is recognised and reset, so one lost return
			 * cannot blind the thread for good */
	__u32 depth;	/* hooked calls currently active on this thread */
	__u32 kind;	/* enum pyleak_alloc_kind of the outermost call */
};
_Static_assert(sizeof(struct pyleak_inflight) == 40, "pyleak_inflight layout");

/* Value of the gc map (key: tgid): collections seen by GC probes. */
struct pyleak_gc {
	__u64 collections[3]; /* per generation */
	__u64 collected;      /* sum of gc__done's argument (collected + uncollectable) */
};
_Static_assert(sizeof(struct pyleak_gc) == 32, "pyleak_gc layout");

/*
 * growth.bpf.c: per-process memory-growth counters (value of the growth map,
 * key tgid; userspace inserts a zeroed entry to start watching a process).
 * Bytes are what the kernel really handed out: a fault that maps a 2 MiB
 * transparent huge page counts 2 MiB, one that maps the shared zero page 0.
 */
struct pyleak_growth {
	__u64 faults;		  /* user page faults handled */
	__u64 fault_bytes;	  /* pages allocated while handling them */
	__u64 thp_faults;	  /* faults that allocated a huge page (order >= 9) */
	__u64 thp_bytes;
	__u64 mmap_calls, mmap_bytes;	/* successful mmap; length asked */
	__u64 munmap_calls, munmap_bytes;
	__u64 brk_calls;
	__s64 brk_bytes;	  /* net growth of the program break since watched */
	__u64 madv_free_calls, madv_free_bytes; /* MADV_DONTNEED/FREE/REMOVE ranges */
	__u64 mremap_calls;
	__s64 mremap_bytes;	  /* new_len - old_len */
	__u64 last_brk;		  /* program break after the last brk (0: unknown) */
	__u64 hint_drops;	  /* first-touch stacks not stored (map full) */
};
_Static_assert(sizeof(struct pyleak_growth) == 128, "pyleak_growth layout");

/* Value of the hints map (key: stack hash): first-touch faults by stack. */
struct pyleak_hint {
	__u64 faults; /* faults that mapped new memory under this stack */
	__u64 bytes;  /* bytes they mapped */
	__u32 tgid;   /* the process it belongs to: one map serves a node's processes */
	__u32 pad;
};
_Static_assert(sizeof(struct pyleak_hint) == 24, "pyleak_hint layout");

/* Value of the oom map (bpf/oom.bpf.c; key: tgid, added by userspace): how a
 * watched process ended. Written by the kernel only. */
struct pyleak_oom {
	__u64 victim_ns;	/* bpf_ktime when the OOM killer chose it (oom/mark_victim);
				 * 0: never chosen */
	__u64 memcg_max_pages;	/* its memory cgroup's limit (memory.max) then, in pages;
				 * 0: unknown */
	__u64 exit_ns;		/* bpf_ktime when its last thread exited; 0: not seen */
	__u32 victim_uid;	/* the victim's uid, as the tracepoint gives it (0 before 6.7) */
	__u32 exit_code;	/* wait status of the exit: signal->group_exit_code,
				 * else task->exit_code (SIGKILL: 9) */
	__u32 exits;		/* threads seen exiting */
	__u32 pad;
};
_Static_assert(sizeof(struct pyleak_oom) == 40, "pyleak_oom layout");

#endif /* PYLEAK_H */
