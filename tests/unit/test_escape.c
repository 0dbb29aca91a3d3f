/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_escape.c: unit tests for esc_put() in user/out/escape.c, the one rule by
 * which target-controlled text reaches a terminal (the text report and
 * every stderr line): C0, DEL, UTF-8-encoded C1, stray 0x80..0x9f bytes are
 * escaped; printable ASCII, well-formed UTF-8 and other invalid bytes pass.
 * Then the logging funnel (log.c) is checked to use it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "escape.h"
#include "log.h"

/* escaped() - esc_put(s, keep) as a string (static buffer). */
static const char *escaped(const char *s, const char *keep)
{
	static char out[4096];
	FILE *f;

	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	esc_put(f, s, keep);
	assert_int_equal(fclose(f), 0);
	return out;
}

static void test_plain_and_utf8_pass(void **state)
{
	assert_string_equal(escaped("accuracy.py:12 leak_dict", NULL), "accuracy.py:12 leak_dict");
	/* é, €, U+00A0 (first code point after C1), an emoji */
	assert_string_equal(escaped("caf\xc3\xa9 \xe2\x82\xac \xc2\xa0 \xf0\x9f\x90\x8d", NULL),
			    "caf\xc3\xa9 \xe2\x82\xac \xc2\xa0 \xf0\x9f\x90\x8d");
	assert_string_equal(escaped(NULL, NULL), "?");
	assert_string_equal(escaped("", NULL), "");
}

static void test_c0_and_del(void **state)
{
	assert_string_equal(escaped("a\x1b[2Jb", NULL), "a\\x1b[2Jb");
	assert_string_equal(escaped("\x1b]0;pwned\x07", NULL), "\\x1b]0;pwned\\x07");
	assert_string_equal(escaped("f\n\tg\r\x7f\x01", NULL), "f\\x0a\\x09g\\x0d\\x7f\\x01");
	/* keep passes only what it lists */
	assert_string_equal(escaped("l1\nl2\t\x1b", "\n\t"), "l1\nl2\t\\x1b");
}

static void test_c1(void **state)
{
	/* U+0080, U+009B (CSI), U+009F in UTF-8: every byte escaped */
	assert_string_equal(escaped("\xc2\x80|\xc2\x9b" "2J|\xc2\x9f", NULL),
			    "\\xc2\\x80|\\xc2\\x9b2J|\\xc2\\x9f");
	/* a stray C1 byte (CSI to an 8-bit terminal) */
	assert_string_equal(escaped("x\x9b" "2Jy", NULL), "x\\x9b2Jy");
	assert_string_equal(escaped("\x80\x9f", NULL), "\\x80\\x9f");
}

static void test_invalid_utf8(void **state)
{
	/* invalid bytes above 0x9f pass, as the target spelt them */
	assert_string_equal(escaped("a\xff" "b\xfe", NULL), "a\xff" "b\xfe");
	/* an overlong encoding of ESC (c0 9b) is not UTF-8: its second byte
	 * is a stray C1 byte */
	assert_string_equal(escaped("\xc0\x9b", NULL), "\xc0\\x9b");
	/* a truncated sequence before a control: the lead passes, the
	 * control is escaped */
	assert_string_equal(escaped("\xe2\x82\x1b", NULL), "\xe2\\x82\\x1b");
	/* a surrogate (ed a0 80) is not UTF-8 either */
	assert_string_equal(escaped("\xed\xa0\x80", NULL), "\xed\xa0\\x80");
	/* a lead byte at the very end */
	assert_string_equal(escaped("z\xc2", NULL), "z\xc2");
}

/* log_msg() goes through the escaper: a command name or path with an
 * escape sequence reaches stderr as text. */
static void test_log_escapes(void **state)
{
	char buf[512] = "";
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	assert_true(dup2(fileno(f), 2) >= 0);
	log_msg(LOG_ERROR, "PID %d (%s) at %s", 7, "py\x1b]0;x\x07", "/tmp/\xc2\x9b" "2J\nfake");
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_string_equal(buf, "pyleak-bpf: error: PID 7 (py\\x1b]0;x\\x07) at "
				 "/tmp/\\xc2\\x9b2J\\x0afake\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_utf8_pass),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_log_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
