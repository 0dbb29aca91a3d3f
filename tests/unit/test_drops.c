/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_drops.c: unit tests for the drop counters (user/capture/drops.c): every BPF
 * counter lands in its named field, the untracked total counts exactly the
 * causes that lose an allocation, and the warning names what grew since
 * the previous report and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drops.h"

static void test_from_stats(void **state)
{
	uint64_t st[PYLEAK_STAT_MAX];
	struct report_drops d;

	(void)state;
	for (int i = 0; i < PYLEAK_STAT_MAX; i++)
		st[i] = 1000 + i;
	drops_from_stats(st, 77, &d);
	assert_int_equal(d.live_full, 1000 + PYLEAK_STAT_LIVE_FULL);
	assert_int_equal(d.sites_full, 1000 + PYLEAK_STAT_SITES_FULL);
	assert_int_equal(d.inflight_full, 1000 + PYLEAK_STAT_INFLIGHT_FULL);
	assert_int_equal(d.stacks_full, 1000 + PYLEAK_STAT_STACKS_FULL);
	assert_int_equal(d.sw_full, 1000 + PYLEAK_STAT_SW_FULL);
	assert_int_equal(d.read_fault, 1000 + PYLEAK_STAT_READ_FAULT);
	assert_int_equal(d.truncated, 1000 + PYLEAK_STAT_TRUNCATED);
	assert_int_equal(d.no_tstate, 1000 + PYLEAK_STAT_NO_TSTATE);
	assert_int_equal(d.hint_drops, 77);
	/* untracked: the three full maps that lose the allocation itself */
	assert_int_equal(drops_untracked(&d), 3000 + PYLEAK_STAT_LIVE_FULL +
						      PYLEAK_STAT_SITES_FULL +
						      PYLEAK_STAT_INFLIGHT_FULL);
}

static void test_print_names_every_counter(void **state)
{
	struct report_drops d = { .live_full = 1, .sites_full = 2, .inflight_full = 3,
				  .stacks_full = 4, .sw_full = 5, .read_fault = 6,
				  .truncated = 7, .no_tstate = 8, .hint_drops = 9 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	drops_print(f, &d, true);
	fputc('|', f);
	drops_print(f, &d, false);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "\"live_full\":1,\"sites_full\":2,\"inflight_full\":3,"
				 "\"stacks_full\":4,\"sw_full\":5,\"read_fault\":6,"
				 "\"truncated\":7,\"no_tstate\":8,\"hint_drops\":9|"
				 "live_full 1, sites_full 2, inflight_full 3, stacks_full 4, "
				 "sw_full 5, read_fault 6, truncated 7, no_tstate 8, hint_drops 9");
	free(buf);
}

static void test_grew(void **state)
{
	struct report_drops a = { .sites_full = 2, .truncated = 5 }, b = a;
	char buf[200];

	(void)state;
	assert_int_equal(drops_grew(&a, &b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	b.sites_full = 5;
	b.hint_drops = 1;
	b.truncated = 4; /* a new capture counts from 0: not growth */
	assert_int_equal(drops_grew(&a, &b, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "drops since the last report: sites_full +3, hint_drops +1");
	/* a short buffer is cut, still terminated, and the count is right */
	assert_int_equal(drops_grew(&a, &b, buf, 10), 2);
	assert_string_equal(buf, "drops sin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_stats),
		cmocka_unit_test(test_print_names_every_counter),
		cmocka_unit_test(test_grew),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
