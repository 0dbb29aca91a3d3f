/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_resources.c: unit tests for user/judge/resources.c, open fds and threads
 * as leaks: counting them in /proc (on this test process, whose fds and
 * threads the test changes), and the fd_leak / thread_leak alerts on
 * synthetic series: steady growth raises, a plateau and noise do not, a
 * growth that stops resolves, and a 0 threshold never alerts.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"
#include "resources.h"
#include "target.h"

static void *park(void *arg)
{
	int *fd = arg;
	char c;

	return (void *)(intptr_t)read(*fd, &c, 1); /* until the pipe closes */
}

/* count() - fds by resources_count_fds(), threads by target_memory(), as
 * the session samples them */
static int count(pid_t pid, uint64_t *fds, uint64_t *threads)
{
	struct proc_mem m;
	int err = resources_count_fds(pid, fds);

	if (!err)
		err = target_memory(pid, &m);
	*threads = err ? 0 : m.threads;
	return err;
}

static void test_count_self(void **state)
{
	uint64_t fds, threads, fds2, threads2;
	int p[2];
	pthread_t th;

	assert_int_equal(count(getpid(), &fds, &threads), 0);
	assert_true(fds >= 3);
	assert_true(threads >= 1);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&th, NULL, park, &p[0]), 0);
	assert_int_equal(count(getpid(), &fds2, &threads2), 0);
	assert_int_equal(fds2, fds + 2);
	assert_int_equal(threads2, threads + 1);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	/* a process that does not exist */
	assert_true(resources_count_fds(0x3fffffff, &fds) < 0);
	assert_true(target_memory(0x3fffffff, &(struct proc_mem){ 0 }) < 0);
}

/* feed() - samples once a second from t0 to t1 of fds(t), threads fixed. */
static void feed(struct resources *r, double t0, double t1, double fd0, double per_s)
{
	for (double t = t0; t <= t1; t += 1)
		resources_sample(r, t, (uint64_t)(fd0 + per_s * (t - t0)), 4);
}

static int report(struct resources *r, double now, struct report_process *rp,
		  struct report_alert ev[2])
{
	memset(rp, 0, sizeof(*rp));
	return resources_report(r, now, rp, ev);
}

static void test_fd_leak_raised_and_resolved(void **state)
{
	struct resources r;
	struct report_process rp;
	struct report_alert ev[2];

	resources_init(&r, 20, 16, 8, 0);
	/* nothing read yet */
	assert_int_equal(report(&r, 0, &rp, ev), 0);
	assert_false(rp.resources_known);
	/* 2 fds a second for 30 s: 60 more over the 20 s window */
	feed(&r, 0, 30, 10, 2);
	assert_int_equal(report(&r, 30, &rp, ev), 1);
	assert_string_equal(ev[0].state, "fd_leak");
	assert_string_equal(ev[0].subject, "fds");
	assert_int_equal(ev[0].bytes, 70);
	assert_true(ev[0].rate_bps > 1.5 && ev[0].rate_bps < 2.5);
	assert_true(ev[0].p_value < 0.01);
	assert_true(rp.resources_known);
	assert_int_equal(rp.fds, 70);
	assert_string_equal(rp.fds_trend, "growing");
	assert_string_equal(rp.threads_trend, "flat");
	assert_int_equal(rp.active_alerts, 1);
	assert_int_equal(r.raised, 1);
	/* printed once */
	assert_int_equal(report(&r, 30, &rp, ev), 0);
	/* a gap in the samples (too few in the window) resolves nothing */
	assert_int_equal(report(&r, 47, &rp, ev), 0);
	assert_string_equal(rp.fds_trend, "unknown");
	assert_int_equal(rp.active_alerts, 1);
	/* it stops: resolved once the window no longer shows growth */
	feed(&r, 31, 70, 70, 0);
	assert_int_equal(report(&r, 70, &rp, ev), 1);
	assert_string_equal(ev[0].state, "resolved");
	assert_string_equal(ev[0].subject, "fds");
	assert_true(ev[0].duration_s == 40);
	assert_int_equal(r.raised, 1);
}

static void test_no_alert(void **state)
{
	struct resources r;
	struct report_process rp;
	struct report_alert ev[2];

	/* too little growth for the threshold: 10 over the window, 16 needed */
	resources_init(&r, 20, 16, 8, 0);
	feed(&r, 0, 30, 10, 0.5);
	assert_int_equal(report(&r, 30, &rp, ev), 0);
	/* noise around a level: a connection pool opening and closing */
	resources_init(&r, 20, 16, 8, 0);
	for (int t = 0; t <= 60; t++)
		resources_sample(&r, t, 50 + (t * 7919) % 13, 4);
	assert_int_equal(report(&r, 60, &rp, ev), 0);
	/* threshold 0: off, whatever the growth; the trend still shows */
	resources_init(&r, 20, 0, 0, 0);
	feed(&r, 0, 30, 10, 5);
	assert_int_equal(report(&r, 30, &rp, ev), 0);
	assert_string_equal(rp.fds_trend, "growing");
}

static void test_thread_leak(void **state)
{
	struct resources r;
	struct report_process rp;
	struct report_alert ev[2];

	resources_init(&r, 20, 16, 8, 0);
	for (int t = 0; t <= 30; t++)
		resources_sample(&r, t, 20, 2 + t);
	assert_int_equal(report(&r, 30, &rp, ev), 1);
	assert_string_equal(ev[0].state, "thread_leak");
	assert_string_equal(ev[0].subject, "threads");
	assert_int_equal(rp.threads, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_self),
		cmocka_unit_test(test_fd_leak_raised_and_resolved),
		cmocka_unit_test(test_no_alert),
		cmocka_unit_test(test_thread_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
