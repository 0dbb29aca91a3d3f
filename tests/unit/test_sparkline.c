/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* test_sparkline.c: unit tests for user/out/sparkline.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sparkline.h"

static struct report_point pts[32];

static void set(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		pts[i] = (struct report_point){ i, v[i] };
}

static void test_rising_series_uses_every_level(void **state)
{
	const double v[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	char buf[64];

	set(v, 8);
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 8, 12), 8);
	assert_string_equal(buf, "▁▂▃▄▅▆▇█");
}

static void test_newest_width_samples_scaled_among_themselves(void **state)
{
	/* an old spike outside the last 4 must not flatten them */
	const double v[] = { 1000, 10, 20, 10, 20 };
	char buf[64];

	set(v, 5);
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 5, 4), 4);
	assert_string_equal(buf, "▁█▁█");
}

static void test_flat_empty_and_bad_values(void **state)
{
	const double flat[] = { 5, 5, 5 };
	const double nan[] = { 0, NAN, 10 };
	char buf[64];

	set(flat, 3);
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 3, 12), 3);
	assert_string_equal(buf, "▁▁▁");
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 0, 12), 0);
	assert_string_equal(buf, "");
	set(nan, 3);
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 3, 12), 3);
	assert_string_equal(buf, "▁▁█");
}

static void test_small_buffer_draws_fewer_cells(void **state)
{
	const double v[] = { 0, 1, 2, 3 };
	char buf[2 * SPARKLINE_CELL_BYTES + 1];

	set(v, 4);
	assert_int_equal(sparkline(buf, sizeof(buf), pts, 4, 4), 2);
	assert_int_equal(strlen(buf), 2 * SPARKLINE_CELL_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rising_series_uses_every_level),
		cmocka_unit_test(test_newest_width_samples_scaled_among_themselves),
		cmocka_unit_test(test_flat_empty_and_bad_values),
		cmocka_unit_test(test_small_buffer_draws_fewer_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
