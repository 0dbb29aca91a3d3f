// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyoffsets.c: see pyoffsets.h.
 *
 * Where the numbers come from: offsetof() compiled against CPython's own
 * headers of 3.8.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0
 * (Include/cpython/pystate.h, Include/internal/pycore_runtime.h,
 * pycore_interp.h, pycore_frame.h, pycore_code.h, pycore_gc.h,
 * Include/cpython/code.h, frameobject.h, unicodeobject.h), and Debian sid's
 * 3.14.10 headers (pycore_debug_offsets.h, pycore_runtime_structs.h,
 * pycore_interp_structs.h, pycore_interpframe_structs.h); every value was
 * checked on a running interpreter of that version. Offsets of the fields
 * used here are stable across patch releases of a minor version (CPython
 * appends fields; 3.13.0 and 3.13.18 publish identical debug offsets).
 */
#include <errno.h>
#include <string.h>
#include "log.h"
#include "procmem.h"
#include "pyident.h"
#include "pyoffsets.h"

#define NONE PYLEAK_OFF_NONE

/* Fields common to a group of versions are filled by these helpers so the
 * table below shows only what differs. */
static const struct py_layout layouts[] = {
	{ /* 3.8: Include/internal/pycore_pystate.h, cpython/pystate.h, frameobject.h */
		.version_hex = 0x03080000, .rt_interp_head = 32, .rt_tstate_current = 1368,
		.rt_gc = 344, .interp_threads_head = 8, .tstate_next = 8, .tstate_thread_id = 176,
		.tstate_native_tid = NONE, .tstate_frame = 24, .cframe_frame = NONE,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 104, .frame_owner = NONE,
		.lasti_scale = 1, .code_filename = 104, .code_name = 112, .code_qualname = NONE,
		.code_linetable = 120, .code_firstlineno = 40, .unicode_ascii_data = 48,
		.unicode_compact_data = 72,
	},
	{ /* 3.9: gc state moved into PyInterpreterState (pycore_interp.h) */
		.version_hex = 0x03090000, .rt_interp_head = 32, .rt_tstate_current = 568,
		.interp_threads_head = 8, .interp_gc = 616, .tstate_next = 8,
		.tstate_thread_id = 176, .tstate_native_tid = NONE, .tstate_frame = 24,
		.cframe_frame = NONE,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 104, .frame_owner = NONE,
		.lasti_scale = 1, .code_filename = 104, .code_name = 112, .code_qualname = NONE,
		.code_linetable = 120, .code_firstlineno = 40, .unicode_ascii_data = 48,
		.unicode_compact_data = 72,
	},
	{ /* 3.10: f_lasti counts code units (x2 for bytes), co_linetable replaces co_lnotab */
		.version_hex = 0x030a0000, .rt_interp_head = 32, .rt_tstate_current = 568,
		.interp_threads_head = 8, .interp_gc = 616, .tstate_next = 8,
		.tstate_thread_id = 176, .tstate_native_tid = NONE, .tstate_frame = 24,
		.cframe_frame = NONE,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 96, .frame_owner = NONE,
		.lasti_scale = 2, .code_filename = 104, .code_name = 112, .code_qualname = NONE,
		.code_linetable = 120, .code_firstlineno = 40, .unicode_ascii_data = 48,
		.unicode_compact_data = 72,
	},
	{ /* 3.11: _PyInterpreterFrame (pycore_frame.h) behind tstate->cframe;
	   * native_thread_id follows thread_id from here on (cpython/pystate.h) */
		.version_hex = 0x030b0000, .rt_interp_head = 40, .rt_tstate_current = 576,
		.interp_threads_head = 16, .interp_gc = 648, .tstate_next = 8,
		.tstate_thread_id = 152, .tstate_native_tid = 160, .tstate_frame = 56, .cframe_frame = 8,
		.frame_previous = 48, .frame_code = 32, .frame_instr = 56, .frame_owner = 69,
		.instr_is_ptr = 1, .code_filename = 112, .code_name = 120, .code_qualname = 128,
		.code_linetable = 136, .code_firstlineno = 72, .code_adaptive = 184,
		.unicode_ascii_data = 48, .unicode_compact_data = 72,
	},
	{ /* 3.12: shim frames (owner 3 = FRAME_OWNED_BY_CSTACK), allocators in _PyRuntime */
		.version_hex = 0x030c0000, .rt_interp_head = 40, .rt_alloc_tables = 0x60,
		.interp_threads_head = 72, .interp_gc = 112, .tstate_next = 8,
		.tstate_thread_id = 136, .tstate_native_tid = 144, .tstate_frame = 56, .cframe_frame = 0,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 70,
		.instr_is_ptr = 1, .owner_skip_min = 3, .code_filename = 112, .code_name = 120,
		.code_qualname = 128, .code_linetable = 136, .code_firstlineno = 68,
		.code_adaptive = 192, .unicode_ascii_data = 40, .unicode_compact_data = 56,
	},
	{ /* 3.13: tstate->current_frame; debug offsets override these */
		.version_hex = 0x030d0000, .rt_interp_head = 632, .rt_alloc_tables = 0x2c0,
		.interp_threads_head = 7344, .interp_gc = 7400, .tstate_next = 8,
		.tstate_thread_id = 152, .tstate_native_tid = 160, .tstate_frame = 72, .cframe_frame = NONE,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 70,
		.instr_is_ptr = 1, .owner_skip_min = 3, .code_filename = 112, .code_name = 120,
		.code_qualname = 128, .code_linetable = 136, .code_firstlineno = 68,
		.code_adaptive = 200, .unicode_ascii_data = 40, .unicode_compact_data = 56,
	},
	{ /* 3.14: f_executable is a tagged _PyStackRef; entry frames owner 3 (INTERPRETER) */
		.version_hex = 0x030e0000, .rt_interp_head = 808, .rt_alloc_tables = 0x370,
		.interp_threads_head = 7344, .interp_gc = 7408, .tstate_next = 8,
		.tstate_thread_id = 152, .tstate_native_tid = 160, .tstate_frame = 72, .cframe_frame = NONE,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 74,
		.instr_is_ptr = 1, .owner_skip_min = 3, .code_tag_bits = 3, .code_filename = 112,
		.code_name = 120, .code_qualname = 128, .code_linetable = 136,
		.code_firstlineno = 68, .code_adaptive = 208, .unicode_ascii_data = 40,
		.unicode_compact_data = 56,
	},
};

int pyoffsets_lookup(uint32_t version_hex, struct py_layout *out)
{
	uint32_t mm = version_hex & 0xffff0000u;

	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (layouts[i].version_hex != mm)
			continue;
		*out = layouts[i];
		out->version_hex = version_hex;
		/* Identical in every supported version (Include/object.h,
		 * cpython/unicodeobject.h, cpython/bytesobject.h, pycore_gc.h). */
		out->unicode_state = 32;
		out->unicode_length = 16;
		out->bytes_size = 16;
		out->bytes_data = 32;
		out->type_name = 24;
		out->gc_enabled = 12;
		out->gc_generations = 0x18;
		/* generation_stats follows generations[3], generation0 and the
		 * permanent generation; 3.14 dropped the generation0 pointer */
		out->gc_stats = mm == 0x030e0000 ? 0x78 : 0x80;
		return 0;
	}
	return -ENOTSUP;
}

/* _Py_DebugOffsets (3.13: Include/internal/pycore_runtime.h, 3.14:
 * pycore_debug_offsets.h): where each field we use sits inside the block. */
struct dbg_field {
	size_t off313, off314;
	size_t layout_off; /* offsetof(struct py_layout, field) */
};

#define F(a, b, field) { a, b, __builtin_offsetof(struct py_layout, field) }
static const struct dbg_field dbg_fields[] = {
	F(40, 40, rt_interp_head),
	F(72, 72, interp_threads_head),
	F(80, 88, interp_gc),
	F(168, 192, tstate_next),
	F(184, 208, tstate_frame),
	F(192, 216, tstate_thread_id),
	F(200, 224, tstate_native_tid),
	F(232, 256, frame_previous),
	F(240, 264, frame_code),
	F(248, 272, frame_instr),
	F(264, 288, frame_owner),
	F(280, 320, code_filename),
	F(288, 328, code_name),
	F(296, 336, code_qualname),
	F(304, 344, code_linetable),
	F(312, 352, code_firstlineno),
	F(344, 384, code_adaptive),
	F(544, 624, unicode_state),
	F(552, 632, unicode_length),
	F(560, 640, unicode_ascii_data),
};
#undef F

int pyoffsets_apply_debug_offsets(pid_t pid, uint64_t runtime_addr, struct py_layout *L)
{
	uint64_t block[96]; /* 768 bytes: the 3.14 block is 760 */
	uint64_t version, ft;
	bool is314 = (L->version_hex & 0xffff0000u) >= 0x030e0000;
	int err;

	err = pm_read(pid, runtime_addr, block, is314 ? 760 : 584);
	if (err)
		return err;
	if (memcmp(block, "xdebugpy", 8))
		return -EPROTO;
	version = block[1];
	ft = block[2];
	if ((version & 0xffff0000u) != (L->version_hex & 0xffff0000u))
		return -EPROTO;
	if (ft)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(dbg_fields) / sizeof(dbg_fields[0]); i++) {
		uint64_t v = block[(is314 ? dbg_fields[i].off314 : dbg_fields[i].off313) / 8];

		if (v >= 0xffff) /* every offset we use fits 16 bits; larger is not this layout */
			return -EPROTO;
		*(uint16_t *)((char *)L + dbg_fields[i].layout_off) = (uint16_t)v;
	}
	/* The compact non-ASCII data starts after PyCompactUnicodeObject: the
	 * ASCII header plus utf8_length and utf8 (two words). */
	L->unicode_compact_data = L->unicode_ascii_data + 16;
	L->version_hex = (uint32_t)version;
	L->from_debug_offsets = true;
	return 0;
}

void pyoffsets_proc(const struct py_layout *L, uint64_t runtime_addr, struct pyleak_proc *out)
{
	memset(out, 0, sizeof(*out));
	out->tstate_current_addr = L->rt_tstate_current ? runtime_addr + L->rt_tstate_current : 0;
	out->interp_head_addr = runtime_addr + L->rt_interp_head;
	out->version_hex = L->version_hex;
	out->interp_threads_head = L->interp_threads_head;
	out->tstate_next = L->tstate_next;
	out->tstate_thread_id = L->tstate_thread_id;
	out->tstate_native_tid = L->tstate_native_tid;
	out->tstate_frame = L->tstate_frame;
	out->cframe_frame = L->cframe_frame;
	out->frame_previous = L->frame_previous;
	out->frame_code = L->frame_code;
	out->frame_instr = L->frame_instr;
	out->frame_owner = L->frame_owner;
	out->code_firstlineno = L->code_firstlineno;
	out->code_adaptive = L->code_adaptive;
	out->instr_is_ptr = L->instr_is_ptr;
	out->lasti_scale = L->lasti_scale;
	out->owner_skip_min = L->owner_skip_min;
	out->code_tag_bits = L->code_tag_bits;
	out->code_filename = L->code_filename;
	out->ident_name_word = pyoffsets_ident_name_word(L);
	out->ident_data_word = (L->unicode_ascii_data - PYIDENT_STR_OFF) / 8;
}

unsigned pyoffsets_ident_name_word(const struct py_layout *L)
{
	uint16_t name = L->code_qualname != PYLEAK_OFF_NONE ? L->code_qualname : L->code_name;

	return (name - L->code_filename) / 8;
}
