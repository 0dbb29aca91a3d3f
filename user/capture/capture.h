/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture.h: loading the BPF programs and attaching them to a target.
 *
 * Two ways to see allocations (enum capture_method), chosen by main.c from
 * what allocators.c found:
 *  - table: entry/return uprobes on the functions the live OBJ and MEM
 *    tables point to (pymalloc's on non-LTO builds, debug or third-party
 *    hooks); one trap per allocation, one per free.
 *  - libc: the C library's malloc, calloc, realloc and free. Sees Python's
 *    allocations under PYTHONMALLOC=malloc or the allocator switch, and
 *    native allocations too.
 * Every uprobe is attached for the target's PID only, so other processes
 * that map the same library never take a trap.
 *
 * GC collections are counted by the python:gc__start/gc__done USDT probes
 * where the build has them, otherwise by a uprobe on the collector function.
 */
#ifndef PYLEAK_CAPTURE_H
#define PYLEAK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include "pyleak.h"

struct alloc_bpf;
struct bpf_link;
struct ring_buffer;
struct target;
struct py_layout;
struct alloc_info;

enum capture_method {
	CAPTURE_TABLE = 1,  /* the OBJ and MEM tables' functions */
	CAPTURE_LIBC,	    /* the C library's malloc family */
	CAPTURE_TABLE_LIBC, /* both (windows on builds with visible pymalloc: Python
			     * objects and native allocations such as ctypes') */
};

enum gc_source { GC_SOURCE_NONE = 0, GC_SOURCE_USDT, GC_SOURCE_UPROBE };

struct capture_opts {
	uint32_t max_depth; /* Python frames per stack */
	uint32_t max_allocs; /* live-allocation map entries */
	uint32_t max_sites;  /* site and stack map entries */
	uint32_t max_site_windows; /* (site, window) entries */
	/* 0: the object's own size. A node sets them for one process each
	 * (its maps are per process; the defaults are sized for a host's
	 * worth of threads and processes, and preallocated) */
	uint32_t max_inflight; /* threads inside an allocator at once */
	uint32_t max_tstates;  /* thread states cached */
	uint32_t max_procs;    /* processes registered (procs, gc) */
};

struct link_set {
	struct bpf_link **v;
	int n, cap;
};

struct capture {
	struct alloc_bpf *skel;
	struct link_set fixed;	/* GC and shutdown probes: for the whole session */
	struct link_set allocs;	/* allocator entry/return probes */
	struct link_set frees;	/* free and realloc probes (kept while following survivors) */
	struct ring_buffer *rb; /* budget events */
	uint32_t events;	/* PYLEAK_EV_* bits seen, see capture_events() */
	uint32_t pid;
	enum capture_method method;
	enum gc_source gc_source;
	int nprobes; /* allocator functions probed */
	/* collect_read()'s shortcut: the site and (site, window) maps are
	 * walked again only when BPF changed them (PYLEAK_STAT_SITE_WRITES
	 * moved) or userspace deleted from them (rewalk). A node reads every
	 * process every second, and a walk costs a scan of every bucket. */
	uint64_t walked_writes; /* SITE_WRITES read before the last walk */
	bool walked, walked_sw, rewalk;
};

/* capture_open() - open the BPF object, size its maps and load it.
 * Returns 0 or -errno (the verifier's log goes through libbpf's print). */
int capture_open(struct capture *c, const struct capture_opts *o);

/* capture_register() - register t's unwinding parameters with window 1 open
 * and unlimited (alloc mode) or all windows closed (!open), and attach the
 * interpreter-shutdown probe, the exec tracepoint (PYLEAK_EV_EXEC; optional)
 * and, with gc_probes, the GC probes. Returns 0 or -errno. */
int capture_register(struct capture *c, struct target *t, const struct py_layout *L, bool open,
		     bool gc_probes);

/* capture_probes_attach() - attach the allocator probes of method m (entry
 * and return on allocating functions, entry on frees). Returns 0 or -errno;
 * on error what was attached stays in c (capture_probes_detach removes it). */
int capture_probes_attach(struct capture *c, struct target *t, const struct alloc_info *ai,
			  enum capture_method m);

/* capture_deallocs_attach() - growth windows: an entry probe on
 * PyObject_GC_UnTrack, through which CPython's deallocators untrack a GC
 * object: the block of an object deallocated while the window captures is
 * taken off as freed then, even if the object is parked on a free list and
 * its free is never seen (see alloc.bpf.c); the same while its survivors
 * are followed. Kept and dropped with the free probes
 * (capture_probes_detach()). Returns 0, -ENOENT if the interpreter has no
 * such function, or -errno. */
int capture_deallocs_attach(struct capture *c, struct target *t);

/* capture_probes_detach() - remove the allocating functions' probes, and
 * the free and realloc probes too unless keep_frees (survivors are being
 * followed: a realloc frees its old block). */
void capture_probes_detach(struct capture *c, bool keep_frees);

/* capture_attach() - capture_register(open) + capture_probes_attach(): alloc
 * mode's exact, unlimited capture. */
int capture_attach(struct capture *c, struct target *t, const struct py_layout *L,
		   const struct alloc_info *ai, enum capture_method m);

/* capture_window_set() - open window id (0: close) for the target, with
 * budgets (limits: PYLEAK_LIMIT_* that apply). Keeps the flags BPF owns.
 * Returns 0 or -errno. */
int capture_window_set(struct capture *c, uint32_t window, uint32_t limits, int64_t alloc_budget,
		       int64_t free_budget);

/* capture_events_fd() - a descriptor that polls readable when a budget or
 * exec event is waiting; capture_events() consumes them and returns the
 * PYLEAK_EV_* bits seen since the last call (1 << kind). */
int capture_events_fd(const struct capture *c);
uint32_t capture_events(struct capture *c);

/* capture_detach() - remove every probe (allocator and GC); the maps
 * stay readable for a final report. */
void capture_detach(struct capture *c);

void capture_close(struct capture *c); /* NULL-safe parts; detaches too */

/* capture_method_name() - e.g. "allocator table functions". */
const char *capture_method_name(enum capture_method m);

#endif /* PYLEAK_CAPTURE_H */
