/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_winsched.c: unit tests for the node's window scheduling
 * (user/winsched.c): the concurrency limit holds, the largest grower goes
 * first, and a settled window hands the turn to the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "winsched.h"

#define MiB (1024 * 1024LL)

static void test_largest_grower_first(void **state)
{
	struct winsched_cand c[4] = {
		{ .wants = true, .growth = 1 * MiB },
		{ .wants = true, .growth = 9 * MiB },
		{ .wants = false, .growth = 50 * MiB }, /* grew most, wants none */
		{ .wants = true, .growth = 4 * MiB },
	};

	assert_int_equal(winsched_grant(c, 4, 1), 1);
	assert_false(c[0].granted);
	assert_true(c[1].granted);
	assert_false(c[2].granted);
	assert_false(c[3].granted);

	/* two at once: the next largest too */
	assert_int_equal(winsched_grant(c, 4, 2), 2);
	assert_true(c[1].granted);
	assert_true(c[3].granted);
	assert_false(c[0].granted);
}

static void test_open_windows_count_against_the_limit(void **state)
{
	struct winsched_cand c[3] = {
		{ .open = true, .growth = 0 },
		{ .wants = true, .growth = 5 * MiB },
		{ .wants = true, .growth = 6 * MiB },
	};

	/* the limit is taken by the running window: nobody else */
	assert_int_equal(winsched_grant(c, 3, 1), 0);
	for (int i = 0; i < 3; i++)
		assert_false(c[i].granted);
	/* room for one more */
	assert_int_equal(winsched_grant(c, 3, 2), 1);
	assert_true(c[2].granted);
	assert_false(c[1].granted);
	/* more open than the limit (it was lowered): none, and no underflow */
	c[1].open = c[2].open = true;
	c[1].wants = c[2].wants = false;
	assert_int_equal(winsched_grant(c, 3, 1), 0);
}

static void test_grants_are_fresh_each_round(void **state)
{
	struct winsched_cand c[2] = {
		{ .wants = true, .growth = 8 * MiB },
		{ .wants = true, .growth = 2 * MiB },
	};

	assert_int_equal(winsched_grant(c, 2, 1), 1);
	assert_true(c[0].granted);
	/* process 0 opened its window: process 1 waits */
	c[0].open = true;
	c[0].wants = false;
	assert_int_equal(winsched_grant(c, 2, 1), 0);
	assert_false(c[0].granted);
	assert_false(c[1].granted);
	/* settled: its growth starts again from zero, so 1 goes first */
	c[0].open = false;
	c[0].wants = true;
	c[0].growth = 0;
	assert_int_equal(winsched_grant(c, 2, 1), 1);
	assert_true(c[1].granted);
	assert_false(c[0].granted);
}

static void test_ties_and_empty(void **state)
{
	struct winsched_cand c[3] = {
		{ .wants = true, .growth = 3 },
		{ .wants = true, .growth = 3 },
		{ .wants = true, .growth = -7 }, /* shrank: still may have a window */
	};

	assert_int_equal(winsched_grant(c, 3, 1), 1);
	assert_true(c[0].granted);
	assert_int_equal(winsched_grant(c, 3, 3), 3);
	assert_int_equal(winsched_grant(NULL, 0, 1), 0);
	assert_int_equal(winsched_grant(c, 3, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_largest_grower_first),
		cmocka_unit_test(test_open_windows_count_against_the_limit),
		cmocka_unit_test(test_grants_are_fresh_each_round),
		cmocka_unit_test(test_ties_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
