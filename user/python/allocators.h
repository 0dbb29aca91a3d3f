/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * allocators.h: CPython's allocator tables in a live process.
 *
 * PyObject_Malloc and friends dispatch through three PyMemAllocatorEx tables
 * (RAW, MEM, OBJ): {void *ctx; malloc; calloc; realloc; free}. This module
 * finds the tables (symbols when present, the exported wrappers' code when
 * stripped, _PyRuntime for 3.12+), reads their live contents and their
 * static initial contents from the file (= the build's defaults), and says
 * what is installed: pymalloc, PYTHONMALLOC=malloc, an allocator switched by
 * pyleak-bpf, or hooks (debug, tracemalloc, third party). It also tells from
 * the wrapper's code whether the build inlines pymalloc's fast path into its
 * callers (LTO speculative devirtualisation), which blinds probes on the
 * table functions.
 */
#ifndef PYLEAK_ALLOCATORS_H
#define PYLEAK_ALLOCATORS_H

#include <stdbool.h>
#include <stdint.h>

struct target;
struct py_layout;

enum { AT_RAW = 0, AT_MEM, AT_OBJ, AT_NTABLES };
enum { AF_MALLOC = 0, AF_CALLOC, AF_REALLOC, AF_FREE, AF_NFUNCS };

/* What the OBJ and MEM tables hold right now. */
enum alloc_state {
	ALLOC_PYMALLOC = 1, /* the build's defaults */
	ALLOC_MALLOC,	    /* PYTHONMALLOC=malloc: everything in the raw functions */
	ALLOC_SWITCHED,	    /* malloc/calloc switched to raw, realloc/free pymalloc's */
	ALLOC_HOOKED,	    /* anything else: debug hooks, tracemalloc, a third party */
};

struct alloc_table {
	uint64_t addr;		       /* address of the table in the target */
	uint64_t ctx;		       /* live ctx */
	uint64_t fn[AF_NFUNCS];	       /* live functions */
	uint64_t dflt[AF_NFUNCS];      /* the build's initial functions (load-biased), 0 if unknown */
};

struct alloc_info {
	struct alloc_table t[AT_NTABLES];
	enum alloc_state state;
	bool inlined_fast_path; /* PyObject_Malloc compares the slot against the default */
};

/* alloc_info_read() - locate the tables of t and read them. Returns 0,
 * -ENOENT when the tables cannot be located, or -errno from reading. */
int alloc_info_read(struct target *t, const struct py_layout *L, struct alloc_info *ai);

/* alloc_state_name() - short human name of a state. */
const char *alloc_state_name(enum alloc_state s);

#endif /* PYLEAK_ALLOCATORS_H */
