/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* test_utf8.c: unit tests for user/utf8.c (maximal subparts, as Unicode 3.9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "utf8.h"

#define SEQ(s) utf8_seq((const unsigned char *)(s))

static void test_well_formed(void **state)
{
	assert_int_equal(SEQ("a"), 1);
	assert_int_equal(SEQ("\xc3\xa9"), 2);		/* é */
	assert_int_equal(SEQ("\xe2\x96\x81"), 3);	/* ▁ */
	assert_int_equal(SEQ("\xf0\x9f\x90\x8d"), 4);	/* U+1F40D */
	assert_int_equal(SEQ("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
	assert_int_equal(SEQ("\xed\x9f\xbf"), 3);	/* U+D7FF, just below the surrogates */
}

static void test_ill_formed_maximal_subparts(void **state)
{
	assert_int_equal(SEQ("\x80"), -1);		/* lone continuation */
	assert_int_equal(SEQ("\xc0\xaf"), -1);		/* overlong lead */
	assert_int_equal(SEQ("\xff"), -1);
	assert_int_equal(SEQ("\xe0\x80\x80"), -1);	/* overlong 3-byte: 80 not allowed after e0 */
	assert_int_equal(SEQ("\xed\xa0\x80"), -1);	/* surrogate */
	assert_int_equal(SEQ("\xf4\x90\x80\x80"), -1);	/* above U+10FFFF */
	assert_int_equal(SEQ("\xe2\x96"), -2);		/* cut short by the NUL */
	assert_int_equal(SEQ("\xe2\x96x"), -2);		/* ... or by another character */
	assert_int_equal(SEQ("\xf0\x9f\x90"), -3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_ill_formed_maximal_subparts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
