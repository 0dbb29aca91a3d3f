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
struct target;
struct py_layout;
struct alloc_info;

enum capture_method { CAPTURE_TABLE = 1, CAPTURE_LIBC };

enum gc_source { GC_SOURCE_NONE = 0, GC_SOURCE_USDT, GC_SOURCE_UPROBE };

struct capture_opts {
	uint32_t max_depth; /* Python frames per stack */
	uint32_t max_allocs; /* live-allocation map entries */
	uint32_t max_sites;  /* site and stack map entries */
};

struct capture {
	struct alloc_bpf *skel;
	struct bpf_link **links;
	int nlinks, cap_links;
	enum capture_method method;
	enum gc_source gc_source;
	int nprobes; /* allocator functions probed */
};

/* capture_open() - open the BPF object, size its maps and load it.
 * Returns 0 or -errno (the verifier's log goes through libbpf's print). */
int capture_open(struct capture *c, const struct capture_opts *o);

/* capture_attach() - register t's unwinding parameters and attach the
 * allocator probes of method m and the GC probes. Returns 0 or -errno; on
 * error, the probes attached so far stay registered in c (capture_close()
 * removes them). */
int capture_attach(struct capture *c, struct target *t, const struct py_layout *L,
		   const struct alloc_info *ai, enum capture_method m);

/* capture_detach() - remove every probe (allocator and GC); the maps
 * stay readable for a final report. */
void capture_detach(struct capture *c);

void capture_close(struct capture *c); /* NULL-safe parts; detaches too */

/* capture_method_name() - e.g. "allocator table functions". */
const char *capture_method_name(enum capture_method m);

#endif /* PYLEAK_CAPTURE_H */
