/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_retention.c: unit tests for what may be deleted from the BPF maps
 * (user/capture/retention.c): a site goes only when nothing it allocated is
 * outstanding, no unsettled window holds it and it has been quiet; a hint
 * goes only when it stopped growing and is not among the largest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retention.h"

#define S 1000000000ULL

static void test_site(void **state)
{
	struct pyleak_site over = { .allocs = 40, .frees = 40, .last_ns = 10 * S };
	struct pyleak_site v;

	(void)state;
	/* nothing outstanding, windows settled, quiet: over */
	assert_true(retention_site_over(&over, 3, 3, 12 * S, 1 * S));
	assert_true(retention_site_over(&over, 0, UINT32_MAX, 20 * S, 10 * S)); /* alloc mode */
	/* an allocation still outstanding: kept, however old */
	v = over;
	v.count = 1;
	v.bytes = 64;
	assert_false(retention_site_over(&v, 0, 3, 1000 * S, 1 * S));
	/* negative totals (a free seen for a pruned record) are not "nothing" */
	v = over;
	v.bytes = -64;
	assert_false(retention_site_over(&v, 0, 3, 1000 * S, 1 * S));
	/* a window newer than the last settled one holds it: kept */
	assert_false(retention_site_over(&over, 4, 3, 1000 * S, 1 * S));
	/* allocated too recently: kept (an allocation may be racing) */
	assert_false(retention_site_over(&over, 3, 3, 10 * S + S / 2, 1 * S));
	/* BPF's clock ahead of ours (read raced an allocation): kept */
	assert_false(retention_site_over(&over, 3, 3, 9 * S, 1 * S));
}

static void test_hint(void **state)
{
	(void)state;
	/* unchanged since the previous pass and small: over */
	assert_true(retention_hint_over(5, 5, 4096, 8192));
	/* grew: kept */
	assert_false(retention_hint_over(6, 5, 4096, 8192));
	/* new since the previous pass: kept for one pass */
	assert_false(retention_hint_over(5, 0, 4096, 8192));
	/* among the largest shown: kept */
	assert_false(retention_hint_over(5, 5, 8192, 8192));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
