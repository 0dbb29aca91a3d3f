/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_textsafe.c: unit tests for user/out/textsafe.c: the UTF-8 scanner's
 * maximal subparts, cleaning with replacement and cuts on character
 * boundaries within both limits, and the locale-proof number format.
 * (test_out_json.c cross-checks the scanner against Python's decoder on
 * every 1- and 2-byte string.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "textsafe.h"

#define R UTF8_REPLACEMENT
#define ELL "\xe2\x80\xa6"

static void test_seq(void **state)
{
	assert_int_equal(utf8_seq("a"), 1);
	assert_int_equal(utf8_seq("\xc3\xa9"), 2);
	assert_int_equal(utf8_seq("\xe2\x82\xac"), 3);
	assert_int_equal(utf8_seq("\xf0\x9f\x98\x80"), 4);
	assert_int_equal(utf8_seq("\xff"), -1);
	assert_int_equal(utf8_seq("\x80"), -1);
	assert_int_equal(utf8_seq("\xc0\xaf"), -1);	/* overlong */
	assert_int_equal(utf8_seq("\xed\xa0\x80"), -1);	/* surrogate */
	assert_int_equal(utf8_seq("\xe2\x82"), -2);	/* cut short by the end */
	assert_int_equal(utf8_seq("\xe2\x82x"), -2);
	assert_int_equal(utf8_seq("\xf4\x90\x80\x80"), -1); /* above U+10FFFF */
}

static void assert_clean(const char *src, size_t cap, size_t max, const char *want)
{
	char buf[256];

	assert_true(cap <= sizeof(buf));
	assert_int_equal(utf8_clean(buf, cap, src, max), strlen(want));
	assert_string_equal(buf, want);
}

static void test_clean(void **state)
{
	assert_clean(NULL, 8, 0, "");
	assert_clean("abc", 8, 0, "abc");
	assert_clean("a\xff" "b\n\x7f", 64, 0, "a" R "b" R R);
	assert_clean("\xe2\x82x", 64, 0, R "x");
	/* the character limit: exactly fits, then one too many */
	assert_clean("abcde", 64, 5, "abcde");
	assert_clean("abcdef", 64, 5, "abcd" ELL);
	assert_clean("\xc3\xa9\xc3\xa9\xc3\xa9", 64, 2, "\xc3\xa9" ELL);
	/* the byte limit (with its NUL): the cut never splits a character */
	assert_clean("abcdefgh", 8, 0, "abcd" ELL);
	assert_clean("abcdefg", 8, 0, "abcdefg");
	assert_clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 0, "\xc3\xa9\xc3\xa9" ELL);
	assert_clean("abc", 3, 0, "");	 /* no room even for "…" */
	assert_clean("abc", 1, 0, "");
}

static void assert_milli(double v, const char *want)
{
	char buf[48];

	fmt_milli(buf, sizeof(buf), v);
	assert_string_equal(buf, want);
}

static void test_milli(void **state)
{
	assert_milli(0, "0.000");
	assert_milli(12.5, "12.500");
	assert_milli(-12.3456, "-12.346");
	assert_milli(-0.0004, "0.000");
	assert_milli(1795999540.25, "1795999540.250");
	assert_milli(1e16, "10000000000000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_milli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
