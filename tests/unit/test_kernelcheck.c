/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_kernelcheck.c: unit tests for the kernel floor (user/kernelcheck.c):
 * release parsing, and the decision from probed features and the release
 * (a probe's answer wins; the release decides only when probing failed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernelcheck.h"

static void test_release_parse(void **state)
{
	int major, minor;

	assert_int_equal(kernel_release_parse("5.10.0-23-amd64", &major, &minor), 0);
	assert_int_equal(major, 5);
	assert_int_equal(minor, 10);
	assert_int_equal(kernel_release_parse("6.18.44-fc-v782", &major, &minor), 0);
	assert_int_equal(major, 6);
	assert_int_equal(minor, 18);
	assert_int_equal(kernel_release_parse("4.18", &major, &minor), 0);
	assert_int_equal(kernel_release_parse("linux", &major, &minor), -EINVAL);
	assert_int_equal(kernel_release_parse("6", &major, &minor), -EINVAL);
	assert_int_equal(kernel_release_parse(NULL, &major, &minor), -EINVAL);
}

static struct kernel_features kernel(const char *release)
{
	struct kernel_features f = {};

	snprintf(f.release, sizeof(f.release), "%s", release);
	f.release_known = !kernel_release_parse(release, &f.major, &f.minor);
	return f;
}

static void test_probes_decide(void **state)
{
	struct kernel_features f = kernel("5.10.0-23-amd64");
	char msg[256] = "";

	/* backported to an old release: fine */
	f.loop_known = f.has_loop = f.cookie_known = f.has_cookie = true;
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), 0);

	/* a new release that lacks bpf_loop (configured out): refused */
	f = kernel("6.1.0");
	f.loop_known = true;
	f.cookie_known = f.has_cookie = true;
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "bpf_loop()"));
	assert_non_null(strstr(msg, "5.17"));
	assert_non_null(strstr(msg, "6.1.0"));

	f.has_loop = true;
	f.has_cookie = false;
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "cookies"));
	assert_non_null(strstr(msg, "5.15"));
}

static void test_release_decides_when_probes_fail(void **state)
{
	struct kernel_features f;
	char msg[256] = "";

	f = kernel("5.16.3");
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "5.17"));
	f = kernel("5.14.0");
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "bpf_loop()")); /* the higher floor is named first */
	f = kernel("5.17.0");
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), 0);
	f = kernel("6.0");
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), 0);
	/* nothing known at all: let the load say */
	f = kernel("unparsable");
	assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), 0);
}

static void test_this_kernel(void **state)
{
	struct kernel_features f;
	char msg[256] = "";

	/* whatever this machine is, the probe and the release must agree with
	 * the verdict: a kernel that runs the e2e suite passes */
	kernel_features_probe(&f);
	assert_true(f.release_known);
	if (f.major > 5 || (f.major == 5 && f.minor >= 17))
		assert_int_equal(kernel_floor_verdict(&f, msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_parse),
		cmocka_unit_test(test_probes_decide),
		cmocka_unit_test(test_release_decides_when_probes_fail),
		cmocka_unit_test(test_this_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
