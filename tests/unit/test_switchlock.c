/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_switchlock.c: unit tests for the allocator switch lock
 * (user/capture/switchlock.c): one holder at a time, the second told who holds it,
 * released by closing (as by the holder's death), and keyed per process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "switchlock.h"

static void test_one_holder(void **state)
{
	pid_t me = getpid(), holder = -1;
	int fd, again;

	(void)state;
	assert_int_equal(switchlock_holder(me), 0);
	fd = switchlock_take(me, &holder);
	assert_true(fd >= 0);
	assert_int_equal(holder, 0);
	assert_int_equal(switchlock_holder(me), me);
	again = switchlock_take(me, &holder);
	assert_int_equal(again, -EBUSY);
	assert_int_equal(holder, me);
	close(fd);
	assert_int_equal(switchlock_holder(me), 0);
	fd = switchlock_take(me, &holder);
	assert_true(fd >= 0);
	close(fd);
}

static void test_holder_death_releases(void **state)
{
	pid_t me = getpid(), child, holder;
	int p[2], fd, status;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		pid_t h;

		close(p[0]);
		if (switchlock_take(me, &h) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(switchlock_take(me, &holder), -EBUSY);
	assert_int_equal(holder, child);
	/* another target's lock is another lock */
	fd = switchlock_take(child, &holder);
	assert_true(fd >= 0);
	close(fd);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(p[0]);
	fd = switchlock_take(me, &holder);
	assert_true(fd >= 0);
	close(fd);
}

static void test_no_such_pid(void **state)
{
	pid_t holder;

	(void)state;
	assert_int_equal(switchlock_take(0x3fffffff, &holder), -ESRCH);
	assert_int_equal(switchlock_holder(0x3fffffff), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_holder),
		cmocka_unit_test(test_holder_death_releases),
		cmocka_unit_test(test_no_such_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
