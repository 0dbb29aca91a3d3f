// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* allocators.c: see allocators.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "allocators.h"
#include "elfsym.h"
#include "log.h"
#include "procmem.h"
#include "pyoffsets.h"
#include "target.h"

#define TABLE_SIZE 40	  /* sizeof(PyMemAllocatorEx) */
#define WRAPPER_BYTES 64 /* how much of an exported wrapper we decode */

/* The exported wrapper of each table: it loads the table's ctx and malloc
 * slot with RIP-relative moves, which locate the table in stripped builds. */
static const char *const wrapper_of[AT_NTABLES] = { "PyMem_RawMalloc", "PyMem_Malloc",
						    "PyObject_Malloc" };
/* Symbols of the static tables in unstripped 3.8-3.11 builds. */
static const char *const symbol_of[AT_NTABLES] = { "_PyMem_Raw", "_PyMem", "_PyObject" };

const char *alloc_state_name(enum alloc_state s)
{
	switch (s) {
	case ALLOC_PYMALLOC:
		return "pymalloc";
	case ALLOC_MALLOC:
		return "malloc (PYTHONMALLOC=malloc)";
	case ALLOC_SWITCHED:
		return "switched to malloc by pyleak-bpf";
	case ALLOC_HOOKED:
		return "hooked (debug hooks, tracemalloc or a third party)";
	}
	return "unknown";
}

static int32_t rd32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * rip_targets() - addresses of RIP-relative memory operands of the
 * instructions we expect in the first bytes of an allocator wrapper:
 *   REX.W 8b /r with mod=00 rm=101  (mov disp32(%rip), %reg)  7 bytes
 *   ff 25                           (jmp *disp32(%rip))       6 bytes
 * Returns how many were stored (at most max). A byte scan, not a decoder: a
 * false hit is filtered out by the caller's validation of the table.
 */
static int rip_targets(const uint8_t *code, size_t len, uint64_t vaddr, uint64_t *out, int max)
{
	int n = 0;

	for (size_t i = 0; i + 7 <= len && n < max; i++) {
		if ((code[i] & 0xf8) == 0x48 && code[i + 1] == 0x8b && (code[i + 2] & 0xc7) == 0x05)
			out[n++] = vaddr + i + 7 + (int64_t)rd32(code + i + 3);
		else if (code[i] == 0xff && code[i + 1] == 0x25)
			out[n++] = vaddr + i + 6 + (int64_t)rd32(code + i + 2);
	}
	return n;
}

/* table_like() - do the file's initial bytes at vaddr look like a release
 * build's static table: NULL ctx and four distinct non-NULL functions? */
static bool table_like(const struct elf_file *ef, uint64_t vaddr)
{
	uint64_t init[5];

	if (elf_read_vaddr(ef, vaddr, init, sizeof(init)) || init[0])
		return false;
	for (int i = 1; i < 5; i++)
		for (int j = 0; j < i; j++)
			if (!init[i] || init[i] == init[j])
				return false;
	return true;
}

/*
 * locate_by_wrapper() - link-time address of a table from its wrapper. The
 * wrapper loads the malloc slot (+8) first in LTO builds, to compare it with
 * the default function, and often the ctx (+0) only on its slow path;
 * non-LTO builds load ctx then jump through the slot. So a table is either
 * the lower of two loads 8 bytes apart or 8 below a lone slot load, and it
 * must hold a table's initial contents.
 */
static int locate_by_wrapper(const struct elf_file *ef, const char *wrapper, uint64_t *table)
{
	struct elf_sym sym;
	uint8_t code[WRAPPER_BYTES];
	uint64_t tg[8];
	int n;

	if (elf_find_symbol(ef, wrapper, &sym) || !sym.is_func ||
	    elf_read_vaddr(ef, sym.addr, code, sizeof(code)))
		return -ENOENT;
	n = rip_targets(code, sizeof(code), sym.addr, tg, 8);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (tg[j] == tg[i] + 8 && table_like(ef, tg[i])) {
				*table = tg[i];
				return 0;
			}
	for (int i = 0; i < n; i++)
		if (table_like(ef, tg[i] - 8)) {
			*table = tg[i] - 8;
			return 0;
		}
	return -ENOENT;
}

/* inlines_fast_path() - does PyObject_Malloc compare its slot against the
 * default function before calling it (cmp $imm32,%rax or a RIP-relative lea
 * of it)? Then the build has copies of pymalloc inlined at the call sites
 * too, and probes on the table functions see almost nothing. */
static bool inlines_fast_path(const struct elf_file *ef, uint64_t dflt_malloc_link)
{
	struct elf_sym sym;
	uint8_t c[WRAPPER_BYTES];

	if (!dflt_malloc_link || elf_find_symbol(ef, "PyObject_Malloc", &sym) ||
	    elf_read_vaddr(ef, sym.addr, c, sizeof(c)))
		return false;
	for (size_t i = 0; i + 7 <= sizeof(c); i++) {
		if (c[i] == 0x48 && c[i + 1] == 0x3d &&
		    (uint64_t)(int64_t)rd32(c + i + 2) == dflt_malloc_link)
			return true;
		if ((c[i] & 0xf8) == 0x48 && c[i + 1] == 0x8d && (c[i + 2] & 0xc7) == 0x05 &&
		    sym.addr + i + 7 + (int64_t)rd32(c + i + 3) == dflt_malloc_link)
			return true;
	}
	return false;
}

static bool same_funcs(const uint64_t *a, const uint64_t *b)
{
	return !memcmp(a, b, AF_NFUNCS * sizeof(*a));
}

static enum alloc_state classify(const struct alloc_info *ai)
{
	const struct alloc_table *raw = &ai->t[AT_RAW], *obj = &ai->t[AT_OBJ];

	if (obj->dflt[AF_MALLOC] && same_funcs(obj->fn, obj->dflt))
		return ALLOC_PYMALLOC;
	if (raw->dflt[AF_MALLOC] && obj->fn[AF_MALLOC] == raw->dflt[AF_MALLOC] &&
	    obj->fn[AF_CALLOC] == raw->dflt[AF_CALLOC]) {
		if (obj->fn[AF_FREE] == raw->dflt[AF_FREE])
			return ALLOC_MALLOC;
		if (obj->fn[AF_FREE] == obj->dflt[AF_FREE] &&
		    obj->fn[AF_REALLOC] == obj->dflt[AF_REALLOC])
			return ALLOC_SWITCHED;
	}
	return ALLOC_HOOKED;
}

int alloc_info_read(struct target *t, const struct py_layout *L, struct alloc_info *ai)
{
	struct target_module *pm = &t->mods[t->py_mod];
	uint64_t link[AT_NTABLES], bias = pm->bias, buf[5];
	struct elf_sym sym;
	int i, err;

	memset(ai, 0, sizeof(*ai));
	for (i = 0; i < AT_NTABLES; i++) {
		if (L->rt_alloc_tables)
			/* 3.12+: _PyRuntime.allocators.standard.{raw,mem,obj} */
			link[i] = t->runtime_addr - bias + L->rt_alloc_tables + i * TABLE_SIZE;
		else if (!elf_find_symbol(t->py_elf, symbol_of[i], &sym) && !sym.is_func)
			link[i] = sym.addr;
		else if (locate_by_wrapper(t->py_elf, wrapper_of[i], &link[i]))
			return -ENOENT;
	}
	for (i = 0; i < AT_NTABLES; i++) {
		struct alloc_table *tb = &ai->t[i];

		tb->addr = link[i] + bias;
		err = pm_read(t->pid, tb->addr, buf, sizeof(buf));
		if (err)
			return err;
		tb->ctx = buf[0];
		memcpy(tb->fn, buf + 1, sizeof(tb->fn));
		if (!elf_read_vaddr(t->py_elf, link[i], buf, sizeof(buf)) && buf[1])
			for (int f = 0; f < AF_NFUNCS; f++)
				tb->dflt[f] = buf[1 + f] + bias;
		log_debug("allocator table %d at 0x%" PRIx64 ": ctx 0x%" PRIx64 " malloc 0x%" PRIx64
			  " (default 0x%" PRIx64 ") free 0x%" PRIx64, i, tb->addr, tb->ctx,
			  tb->fn[AF_MALLOC], tb->dflt[AF_MALLOC], tb->fn[AF_FREE]);
	}
	ai->state = classify(ai);
	ai->inlined_fast_path = inlines_fast_path(t->py_elf, ai->t[AT_OBJ].dflt[AF_MALLOC] - bias);
	return 0;
}
