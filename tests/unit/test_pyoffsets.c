/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_pyoffsets.c: unit tests for the CPython layout tables
 * (user/python/pyoffsets.c): every supported version is found, the fields
 * BPF uses to tell the running thread's state reach the procs entry, and a
 * _Py_DebugOffsets block (3.13/3.14) is read from the right places, here
 * from this process's own memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pyoffsets.h"

static void test_every_version_has_a_layout(void **state)
{
	struct py_layout L;

	(void)state;
	for (uint32_t minor = 8; minor <= 14; minor++)
		assert_int_equal(pyoffsets_lookup(0x03000000u | minor << 16 | 0x01f0, &L), 0);
	assert_int_equal(pyoffsets_lookup(0x03070000, &L), -ENOTSUP);
	assert_int_equal(pyoffsets_lookup(0x030f0000, &L), -ENOTSUP);
}

/* native_thread_id (3.11+) tells a live thread state from a freed one that
 * still holds a reused FS base; before 3.11 there is none to read. Offsets
 * as measured on this machine's interpreters (ctypes over
 * PyThreadState_Get(): the words equal to get_ident() and get_native_id()). */
static void test_thread_ids_reach_bpf(void **state)
{
	static const struct {
		uint32_t hex;
		uint16_t id, native;
	} want[] = {
		{ 0x030812f0, 176, PYLEAK_OFF_NONE }, { 0x030912f0, 176, PYLEAK_OFF_NONE },
		{ 0x030a0df0, 176, PYLEAK_OFF_NONE }, { 0x030b07f0, 152, 160 },
		{ 0x030c01f0, 136, 144 },	      { 0x030d00f0, 152, 160 },
		{ 0x030e0af0, 152, 160 },
	};
	struct py_layout L;
	struct pyleak_proc p;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(pyoffsets_lookup(want[i].hex, &L), 0);
		pyoffsets_proc(&L, 0x1000, &p);
		assert_int_equal(p.tstate_thread_id, want[i].id);
		assert_int_equal(p.tstate_native_tid, want[i].native);
		assert_int_equal(p.version_hex, want[i].hex);
		/* the GIL holder's address exists up to 3.11 only */
		assert_true((p.tstate_current_addr != 0) == (want[i].hex < 0x030c0000));
	}
}

/* A debug-offsets block as 3.13 and 3.14 lay it out, with thread-state
 * offsets unlike the tables', read through pm_read() from ourselves. */
static void test_debug_offsets_block(void **state)
{
	static const struct {
		uint32_t hex;
		size_t thread_id, native, next;
	} cases[] = {
		{ 0x030d05f0, 192, 200, 168 },
		{ 0x030e0af0, 216, 224, 192 },
	};
	uint64_t block[96];
	struct py_layout L;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(pyoffsets_lookup(cases[i].hex & 0xffff0000u, &L), 0);
		memset(block, 0, sizeof(block));
		memcpy(block, "xdebugpy", 8);
		block[1] = cases[i].hex;
		block[cases[i].thread_id / 8] = 1000;
		block[cases[i].native / 8] = 1008;
		block[cases[i].next / 8] = 24;
		assert_int_equal(pyoffsets_apply_debug_offsets(getpid(), (uint64_t)(uintptr_t)block,
							       &L), 0);
		assert_int_equal(L.tstate_thread_id, 1000);
		assert_int_equal(L.tstate_native_tid, 1008);
		assert_int_equal(L.tstate_next, 24);
		assert_int_equal(L.version_hex, cases[i].hex);
	}
	/* a free-threaded build's block is refused, not misread */
	block[2] = 1;
	assert_int_equal(pyoffsets_apply_debug_offsets(getpid(), (uint64_t)(uintptr_t)block, &L),
			 -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_version_has_a_layout),
		cmocka_unit_test(test_thread_ids_reach_bpf),
		cmocka_unit_test(test_debug_offsets_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
