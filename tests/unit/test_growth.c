/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_growth.c: unit tests for the part of user/capture/growth.c that needs no
 * kernel: one process's first-touch hints picked out of a reading of the
 * map every watched process shares (node mode), so no process sees
 * another's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "growth.h"

static const struct pyleak_hint_kv all[] = {
	{ .id = 0x11, .h = { .faults = 3, .bytes = 12288, .tgid = 100 } },
	{ .id = 0x22, .h = { .faults = 1, .bytes = 4096, .tgid = 200 } },
	{ .id = 0x33, .h = { .faults = 5, .bytes = 2 << 20, .tgid = 100 } },
	{ .id = 0x44, .h = { .faults = 7, .bytes = 28672, .tgid = 300 } },
};

#define NALL (sizeof(all) / sizeof(all[0]))

static void test_hints_of_one_process(void **state)
{
	struct growth_hints gh = {};

	assert_int_equal(growth_hints_of(all, NALL, 100, &gh), 0);
	assert_int_equal(gh.nhints, 2);
	assert_int_equal(gh.hints[0].id, 0x11);
	assert_int_equal(gh.hints[0].v.bytes, 12288);
	assert_int_equal(gh.hints[0].v.count, 3);
	assert_int_equal(gh.hints[0].v.allocs, 3);
	assert_int_equal(gh.hints[1].id, 0x33);
	assert_int_equal(gh.hints[1].v.bytes, 2 << 20);

	/* another process: only its own, the previous list replaced */
	assert_int_equal(growth_hints_of(all, NALL, 300, &gh), 0);
	assert_int_equal(gh.nhints, 1);
	assert_int_equal(gh.hints[0].id, 0x44);

	/* a process with none (or an empty reading) */
	assert_int_equal(growth_hints_of(all, NALL, 999, &gh), 0);
	assert_int_equal(gh.nhints, 0);
	assert_int_equal(growth_hints_of(NULL, 0, 100, &gh), 0);
	assert_int_equal(gh.nhints, 0);
	growth_hints_free(&gh);
	assert_null(gh.hints);
	growth_hints_free(&gh); /* twice is fine */
	growth_hints_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hints_of_one_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
