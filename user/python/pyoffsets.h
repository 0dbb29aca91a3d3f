/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyoffsets.h: CPython structure layouts per version (x86-64, release, GIL
 * builds), and the per-process parameter block the BPF unwinder is fed.
 *
 * For 3.8 to 3.12 the numbers come from a reviewed table (pyoffsets.c says
 * which header each came from). For 3.13+ the interpreter publishes its own
 * layout in _PyRuntime.debug_offsets; those values are read from the target
 * and override the table after their cookie and version are validated.
 */
#ifndef PYLEAK_PYOFFSETS_H
#define PYLEAK_PYOFFSETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pyleak.h"

#define PY_MIN_SUPPORTED 0x03080000u /* 3.8 */
#define PY_MAX_SUPPORTED 0x030e0000u /* 3.14 (any micro) */

struct py_layout {
	uint32_t version_hex;
	/* _PyRuntime */
	uint16_t rt_interp_head;     /* interpreters.head */
	uint16_t rt_tstate_current;  /* gilstate.tstate_current (<=3.11), else 0 */
	uint16_t rt_gc;		     /* 3.8 only: _PyRuntime.gc, else 0 */
	uint32_t rt_alloc_tables;    /* 3.12+: allocators.standard (raw, mem, obj), else 0 */
	/* PyInterpreterState */
	uint16_t interp_threads_head;
	uint16_t interp_gc;	     /* 3.9+: offset of struct _gc_runtime_state */
	/* PyThreadState */
	uint16_t tstate_next, tstate_thread_id, tstate_native_tid, tstate_frame;
	uint16_t cframe_frame;	     /* PYLEAK_OFF_NONE unless 3.11/3.12 */
	/* frames */
	uint16_t frame_previous, frame_code, frame_instr, frame_owner;
	uint8_t instr_is_ptr, lasti_scale, owner_skip_min, code_tag_bits;
	/* PyCodeObject */
	uint16_t code_filename, code_name, code_qualname; /* qualname NONE <=3.10 */
	uint16_t code_linetable, code_firstlineno, code_adaptive;
	/* str / bytes / type */
	uint16_t unicode_state, unicode_length, unicode_ascii_data, unicode_compact_data;
	uint16_t bytes_size, bytes_data;
	uint16_t type_name;	     /* PyTypeObject.tp_name */
	/* struct _gc_runtime_state (relative to the gc state) */
	uint16_t gc_generations;     /* generations[0]; {PyGC_Head, threshold, count} x3 */
	uint16_t gc_stats;	     /* generation_stats[0]; {collections, collected, uncollectable} x3 */
	uint16_t gc_enabled;	     /* int enabled */
	bool from_debug_offsets;     /* 3.13+: validated against the target's own table */
};

/* pyoffsets_lookup() - the table layout for version_hex's major.minor.
 * Returns 0, or -ENOTSUP outside 3.8 to 3.14. */
int pyoffsets_lookup(uint32_t version_hex, struct py_layout *out);

/* pyoffsets_apply_debug_offsets() - 3.13+: read _PyRuntime.debug_offsets in
 * pid at runtime_addr, check its cookie "xdebugpy", that its version has the
 * same major.minor as L and that it is not a free-threaded build, then
 * overwrite L's fields with the published ones. Returns 0, -EPROTO if the
 * block is missing or does not match (the caller must not trust L then),
 * -ENOTSUP for a free-threaded build, or -errno from the read. */
int pyoffsets_apply_debug_offsets(pid_t pid, uint64_t runtime_addr, struct py_layout *L);

/* pyoffsets_ident_name_word() - which of the three words at co_filename is
 * the name a code object's identity hashes (include/pyident.h): co_qualname
 * where there is one, else co_name. */
unsigned pyoffsets_ident_name_word(const struct py_layout *L);

/* pyoffsets_proc() - the BPF unwinder's parameter block for a process. */
void pyoffsets_proc(const struct py_layout *L, uint64_t runtime_addr, struct pyleak_proc *out);

#endif /* PYLEAK_PYOFFSETS_H */
