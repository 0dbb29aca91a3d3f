/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_windows.c: unit tests for the window scheduler (user/capture/windows.c) on
 * made-up timelines: when windows open and why, how capture and follow end,
 * and that the hourly budget is never overrun except on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "windows.h"

#define MiB (1024 * 1024ULL)

static const struct window_opts opts = {
	.allocs = 1000,
	.max_s = 5,
	.follow_s = 10,
	.follow_frees = 10000,
	.budget_s = 60,
	.every_s = 300,
	.first_s = 2,
	.trigger_bytes = 8 * MiB,
};

static void test_first_window_and_phases(void **state)
{
	struct window_sched w;

	windows_init(&w, &opts, 100.0, 50 * MiB);
	assert_int_equal(windows_tick(&w, 101.0, 50 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 102.0, 50 * MiB, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "first");
	assert_int_equal(w.id, 1);
	assert_int_equal(w.phase, WIN_CAPTURE);
	assert_int_equal(windows_tick(&w, 102.5, 50 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 102.6, 50 * MiB, false, true, false), WA_CLOSE);
	assert_int_equal(w.phase, WIN_FOLLOW);
	/* the capture lasted 0.6 s: what growth rates are measured over */
	assert_true(windows_capture_s(&w, 1) > 0.59 && windows_capture_s(&w, 1) < 0.61);
	assert_true(windows_capture_s(&w, 2) == 0);
	/* following ends on time */
	assert_int_equal(windows_tick(&w, 112.0, 50 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 112.6, 50 * MiB, false, false, false), WA_SETTLE);
	assert_int_equal(w.settled, 1);
	assert_int_equal(w.phase, WIN_IDLE);
	assert_true(windows_spent(&w, 113.0) > 10.5 && windows_spent(&w, 113.0) < 10.7);
	/* nothing else to do until growth or the schedule */
	assert_int_equal(windows_tick(&w, 200.0, 50 * MiB, false, false, false), WA_NONE);
}

static void test_capture_time_and_free_budget(void **state)
{
	struct window_sched w;

	windows_init(&w, &opts, 0, 0);
	assert_int_equal(windows_tick(&w, 2, 0, false, false, false), WA_OPEN);
	assert_int_equal(windows_tick(&w, 7, 0, false, false, false), WA_CLOSE); /* 5 s */
	/* the follow phase's free budget ends it early */
	assert_int_equal(windows_tick(&w, 8, 0, false, false, true), WA_SETTLE);
	/* a stale capture event while idle opens nothing */
	assert_int_equal(windows_tick(&w, 9, 0, false, true, false), WA_NONE);
}

static void test_growth_trigger(void **state)
{
	struct window_sched w;
	struct window_opts o = opts;

	o.first_s = -1;
	windows_init(&w, &o, 0, 100 * MiB);
	assert_int_equal(windows_tick(&w, 10, 107 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 11, 108 * MiB, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "growth");
	assert_int_equal(windows_tick(&w, 16, 110 * MiB, false, false, false), WA_CLOSE);
	assert_int_equal(windows_tick(&w, 26, 112 * MiB, false, false, false), WA_SETTLE);
	/* the base moved to 112 MiB when it settled */
	assert_int_equal(windows_tick(&w, 27, 119 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 28, 120 * MiB, false, false, false), WA_OPEN);
}

static void test_schedule(void **state)
{
	struct window_sched w;
	struct window_opts o = opts;

	o.first_s = -1;
	o.trigger_bytes = 0;
	windows_init(&w, &o, 0, 0);
	assert_int_equal(windows_tick(&w, 299, 0, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 300, 0, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "schedule");
	o.every_s = 0; /* never */
	windows_init(&w, &o, 0, 0);
	assert_int_equal(windows_tick(&w, 1e6, 0, false, false, false), WA_NONE);
}

/* Growth that never stops must not buy more than the budget per hour. */
static void test_budget_bounds_an_hour(void **state)
{
	struct window_sched w;
	double t, spent_max = 0;
	int opened = 0;
	uint64_t anon = 0;

	windows_init(&w, &opts, 0, 0);
	for (t = 0; t < 7200; t += 0.5) {
		enum window_action a;

		anon += 16 * MiB; /* always "growing" */
		a = windows_tick(&w, t, anon, false, false, false);
		opened += a == WA_OPEN;
		if (windows_spent(&w, t) > spent_max)
			spent_max = windows_spent(&w, t);
	}
	/* 15 s windows in a 60 s/h budget: 4 per hour, 8 in two hours */
	assert_in_range(opened, 7, 9);
	assert_true(spent_max <= opts.budget_s + 0.5);
}

/* The since-attach total (pyleak_window_seconds_total) never decreases and,
 * over two hours of endless growth, adds up every window's length. */
static void test_spent_total_is_a_counter(void **state)
{
	struct window_sched w;
	double t, last = 0, open_at = 0, sum = 0;
	uint64_t anon = 0;

	windows_init(&w, &opts, 0, 0);
	for (t = 0; t < 7200; t += 0.5) {
		enum window_action a;

		anon += 16 * MiB;
		a = windows_tick(&w, t, anon, false, false, false);
		if (a == WA_OPEN)
			open_at = t;
		if (a == WA_SETTLE)
			sum += t - open_at;
		assert_true(windows_spent_total(&w, t) >= last);
		last = windows_spent_total(&w, t);
	}
	assert_true(sum > 0);
	assert_true(windows_spent_total(&w, t) >= sum - 1e-9);
	assert_true(windows_spent_total(&w, t) <= sum + opts.max_s + opts.follow_s);
}

static void test_demand_overrides_budget(void **state)
{
	struct window_sched w;
	struct window_opts o = opts;

	o.budget_s = 0;
	windows_init(&w, &o, 0, 0);
	assert_int_equal(windows_tick(&w, 5, 100 * MiB, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 6, 100 * MiB, true, false, false), WA_OPEN);
	assert_string_equal(w.reason, "on demand");
	/* an aborted open spends nothing and keeps its id used */
	windows_abort(&w);
	assert_int_equal(w.phase, WIN_IDLE);
	assert_true(windows_spent(&w, 7) == 0);
	assert_int_equal(windows_tick(&w, 8, 100 * MiB, true, false, false), WA_OPEN);
	assert_int_equal(w.id, 2);
}

/* The warm-up: the first windows back to back with short follows, so the
 * first verdict comes in seconds; then the schedule; the budget holds. */
static void test_warmup(void **state)
{
	struct window_sched w;
	struct window_opts o = opts;
	uint32_t win;
	double eta;

	o.warmup = 3;
	windows_init(&w, &o, 0, 0);
	/* before anything: verdict when window 2 settles, at most
	 * first 2 + (5 + 3) + (5 + 3) s away */
	assert_true(windows_verdict_eta(&w, 0, &win, &eta));
	assert_int_equal(win, 2);
	assert_true(eta == 18);
	assert_int_equal(windows_tick(&w, 2, 0, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "first");
	assert_int_equal(windows_tick(&w, 3, 0, false, true, false), WA_CLOSE);
	/* following: 3 s at most in warm-up, not --follow's 10 */
	assert_true(windows_verdict_eta(&w, 4, &win, &eta));
	assert_true(eta == 2 + 8);
	assert_int_equal(windows_tick(&w, 5.9, 0, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 6.0, 0, false, false, false), WA_SETTLE);
	/* window 2 at once, not at the schedule's 300 s */
	assert_int_equal(windows_tick(&w, 6.1, 0, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "warm-up");
	assert_int_equal(windows_tick(&w, 7, 0, false, true, false), WA_CLOSE);
	assert_true(windows_verdict_eta(&w, 8, &win, &eta) && eta == 2);
	assert_int_equal(windows_tick(&w, 10.0, 0, false, false, false), WA_SETTLE);
	/* a verdict can exist: no more waiting */
	assert_false(windows_verdict_eta(&w, 10.0, &win, &eta));
	assert_int_equal(windows_tick(&w, 10.1, 0, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "warm-up");
	assert_true(windows_follow_s(&w, 3) == 3);
	assert_true(windows_follow_s(&w, 4) == 10);
	assert_int_equal(windows_tick(&w, 11, 0, false, true, false), WA_CLOSE);
	assert_int_equal(windows_tick(&w, 14, 0, false, false, false), WA_SETTLE);
	/* warm-up over: the fourth waits for the schedule */
	assert_int_equal(windows_tick(&w, 20, 0, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 299, 0, false, false, false), WA_NONE);
	assert_int_equal(windows_tick(&w, 300, 0, false, false, false), WA_OPEN);
	assert_string_equal(w.reason, "schedule");
	assert_true(windows_follow_s(&w, w.id) == 10);

	/* a budget that fits one short window: the warm-up waits for it */
	o.budget_s = 9;
	windows_init(&w, &o, 0, 0);
	assert_int_equal(windows_tick(&w, 2, 0, false, false, false), WA_OPEN);
	assert_int_equal(windows_tick(&w, 7, 0, false, false, false), WA_CLOSE);
	assert_int_equal(windows_tick(&w, 10, 0, false, false, false), WA_SETTLE);
	assert_int_equal(windows_tick(&w, 11, 0, false, false, false), WA_NONE);
	assert_true(windows_spent(&w, 11) <= 9);

	/* a window opened by hand with the first window off: no warm-up after */
	o = opts;
	o.warmup = 3;
	o.first_s = -1;
	windows_init(&w, &o, 0, 0);
	assert_int_equal(windows_tick(&w, 1, 0, true, false, false), WA_OPEN);
	assert_int_equal(windows_tick(&w, 2, 0, false, true, false), WA_CLOSE);
	assert_int_equal(windows_tick(&w, 5, 0, false, false, false), WA_NONE); /* its full follow */
	assert_int_equal(windows_tick(&w, 12, 0, false, false, false), WA_SETTLE);
	assert_int_equal(windows_tick(&w, 13, 0, false, false, false), WA_NONE);

	/* no first window, warm-up, schedule: nothing says when */
	o = opts;
	o.first_s = -1;
	o.every_s = 0;
	windows_init(&w, &o, 0, 0);
	assert_false(windows_verdict_eta(&w, 0, &win, &eta));
}

/* windows_would_open() answers as windows_tick() acts, and changes nothing. */
static void test_would_open_asks_only(void **state)
{
	struct window_sched w, before;
	struct window_opts o = opts;

	o.budget_s = 20; /* one window of 5 + 10 s fits, a second does not */
	windows_init(&w, &o, 0, 0);
	assert_false(windows_would_open(&w, 1, 0, false));	   /* first window at 2 s */
	assert_true(windows_would_open(&w, 2, 0, false));
	before = w;
	assert_true(windows_would_open(&w, 2, 0, false));
	assert_memory_equal(&w, &before, sizeof(w));
	assert_int_equal(windows_tick(&w, 2, 0, false, false, false), WA_OPEN);
	assert_false(windows_would_open(&w, 3, 0, true)); /* one is open already */
	assert_int_equal(windows_tick(&w, 7, 0, false, false, false), WA_CLOSE);
	assert_int_equal(windows_tick(&w, 17, 0, false, false, false), WA_SETTLE);
	/* growth asks, but the hour's budget is spent: only a demand opens */
	assert_false(windows_would_open(&w, 18, 9 * MiB, false));
	assert_int_equal(windows_tick(&w, 18, 9 * MiB, false, false, false), WA_NONE);
	assert_true(windows_would_open(&w, 18, 9 * MiB, true));
	assert_int_equal(windows_tick(&w, 18, 9 * MiB, true, false, false), WA_OPEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_window_and_phases),
		cmocka_unit_test(test_capture_time_and_free_budget),
		cmocka_unit_test(test_growth_trigger),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_budget_bounds_an_hour),
		cmocka_unit_test(test_demand_overrides_budget),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_spent_total_is_a_counter),
		cmocka_unit_test(test_would_open_asks_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
