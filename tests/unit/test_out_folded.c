/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_folded.c: unit tests for the folded-stacks exporter
 * (user/out/out_folded.c): exact lines (root first, native caller as the leaf,
 * bytes last), sites without bytes left out, and names that would split a
 * frame or a line.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_fixture.h"

static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_folded_write(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_lines(void **state)
{
	struct fixture fx;
	struct report_site *sites = fx.sites;
	const struct report *r = fixture_report(&fx);
	char *text;

	text = render(r);
	assert_string_equal(text,
		"main (/srv/app/main.py:40);grow (/srv/app/leak.py:12);"
		"list_repeat+0x1b0 (libpython3.11.so.1.0) 1048576\n"
		"main (/srv/app/main.py:40);Cache.put (/srv/app/cache.py:7) 4096\n");
	free(text);

	/* nothing survives at a site: no line (a weight of 0 draws nothing) */
	sites[1].bytes = 0;
	text = render(r);
	assert_null(strstr(text, "Cache.put"));
	free(text);
}

static void test_hostile_names(void **state)
{
	static const struct report_frame nasty[] = {
		{ "/x;y\n.py", "f;g\nh i\t\xff", -1, 0 },
		{ "/m.py", "<module>", 1, 0 },
	};
	struct fixture fx;
	struct report_site *sites = fx.sites;
	const struct report *r = fixture_report(&fx);
	char *text;

	sites[0].frames = nasty;
	sites[0].native_caller = "a;b\n";
	text = render(r);
	/* ';' cannot split a frame, nor a newline a line: still two lines
	 * with three and two frames */
	assert_string_equal(text,
		"<module> (/m.py:1);f,g\xef\xbf\xbdh i\xef\xbf\xbd\xef\xbf\xbd "
		"(/x,y\xef\xbf\xbd.py:?);a,b\xef\xbf\xbd 1048576\n"
		"main (/srv/app/main.py:40);Cache.put (/srv/app/cache.py:7) 4096\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_hostile_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
