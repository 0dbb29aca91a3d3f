/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_privileges.c: unit tests for the capability check (user/privileges.c):
 * with every capability it says nothing; with one taken out of the
 * effective set (in a child, by capset) it names that one and what needs
 * it, and CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON. Needs a
 * process that has them to begin with (root): skipped otherwise.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privileges.h"

#define CAP_PERFMON_ 38
#define CAP_BPF_ 39

static bool have_all(void)
{
	return privileges_have(CAP_SYS_ADMIN) && privileges_have(CAP_SYS_PTRACE) &&
	       privileges_have(CAP_BPF_) && privileges_have(CAP_PERFMON_);
}

/* drop_effective() - take the caps (a -1 ended list) out of our effective
 * set (lowering needs no privilege). */
static int drop_effective(const int *caps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	for (; *caps >= 0; caps++)
		data[*caps / 32].effective &= ~(1u << (*caps % 32));
	return (int)syscall(SYS_capset, &hdr, data);
}

/* missing_without() - in a child without caps: does privileges_missing()'s
 * message hold want (or is it empty, want NULL)? */
static bool missing_without(const int *caps, const char *want)
{
	pid_t p = fork();
	int status;

	if (!p) {
		char msg[512];
		int n;

		if (drop_effective(caps))
			_exit(2);
		n = privileges_missing(msg, sizeof(msg));
		_exit(want ? !(n > 0 && strstr(msg, want)) : n != 0);
	}
	return p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static void test_all_there(void **state)
{
	char msg[512];

	(void)state;
	if (!have_all())
		skip();
	assert_int_equal(privileges_missing(msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_true(privileges_uprobes_allowed());
}

static void test_each_named(void **state)
{
	(void)state;
	if (!have_all())
		skip();
	assert_true(missing_without((int[]){ CAP_SYS_PTRACE, -1 },
				    "CAP_SYS_PTRACE missing (to read the target's memory"));
	/* CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON */
	assert_true(missing_without((int[]){ CAP_BPF_, CAP_PERFMON_, -1 }, NULL));
	assert_true(missing_without((int[]){ CAP_BPF_, CAP_SYS_ADMIN, -1 },
				    "CAP_BPF missing (to load the BPF programs"));
	assert_true(missing_without((int[]){ CAP_PERFMON_, CAP_SYS_ADMIN, -1 },
				    "CAP_PERFMON missing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_there),
		cmocka_unit_test(test_each_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
