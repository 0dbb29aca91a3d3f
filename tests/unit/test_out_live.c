/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_live.c: unit tests for the live terminal view (user/out/out_live.c):
 * one screen drawn from the cursor home, lines cut to the width, the report
 * cut to the height with a note, the RECENT sparkline column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

static const struct report_frame frames[] = { { "/srv/app/leak.py", "grow", 12 } };
static const struct report_point pts[] = { { 0, 1 }, { 1, 2 }, { 2, 4 }, { 3, 8 } };
static const struct report_series hist[] = { { 4, pts }, { 4, pts } };
static const struct report_site sites[] = {
	{ .id = 1, .bytes = 8192, .count = 8, .nframes = 1, .frames = frames },
	{ .id = 2, .bytes = 4096, .count = 4, .nframes = 1, .frames = frames },
};

static char *draw(const struct report *r, int rows, int cols)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_live_write(f, r, rows, cols), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_one_screen_with_sparklines(void **state)
{
	struct report r = { .h = { .seq = 3, .pid = 1, .comm = "python3" }, .nsites = 2,
			    .sites = sites, .site_history = hist };
	char *out = draw(&r, 40, 200);

	assert_memory_equal(out, "\033[H", 3);
	assert_non_null(strstr(out, "RECENT"));
	assert_non_null(strstr(out, "▁▂▄█"));
	/* ends by clearing what an older, longer frame left below */
	assert_string_equal(out + strlen(out) - 3, "\033[J");
	assert_true(lines(out) < 39);
	free(out);
}

static void test_cut_to_the_terminal(void **state)
{
	struct report r = { .h = { .seq = 3, .pid = 1, .comm = "python3" }, .nsites = 2,
			    .sites = sites, .site_history = hist, .show_stacks = true };
	char *out = draw(&r, 6, 30);
	char *line = out + 3;

	/* rows - 1 lines, the last one saying what was cut */
	assert_int_equal(lines(out), 5);
	assert_non_null(strstr(out, "more lines"));
	/* every line at most cols - 1 characters before its erase */
	for (char *nl; (nl = strstr(line, "\033[K\n")); line = nl + 4) {
		int chars = 0;

		for (char *p = line; p < nl; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		assert_true(chars <= 29);
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_screen_with_sparklines),
		cmocka_unit_test(test_cut_to_the_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
