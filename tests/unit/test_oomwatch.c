/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_oomwatch.c: unit tests for user/capture/oomwatch.c's verdict (oom_judge()):
 * the kernel's choice of victim decides; the memory cgroup's count is only
 * the fallback without the tracepoint, and is contradicted by a death of
 * another signal; the limit comes from the kernel's pages or the cgroup's
 * file, "no limit" kept apart from "unknown".
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oomwatch.h"

#define PAGE 4096ULL

/* what the kernel side writes for a victim of a 48 MiB cgroup */
static struct oom_evidence victim(void)
{
	return (struct oom_evidence){
		.victim_attached = true, .kernel_known = true, .wait_status = -1,
		.k = { .victim_ns = 123, .memcg_max_pages = (48 << 20) / PAGE, .exit_ns = 456,
		       .exit_code = SIGKILL, .exits = 3 },
		.kills_known = true, .kills0 = 0, .kills1 = 1,
		.limit_known = true, .limit = 48 << 20, .page_size = PAGE,
	};
}

static void test_mark_victim(void **state)
{
	struct oom_evidence e = victim();
	struct report_oom o = {};

	assert_true(oom_judge(&e, &o));
	assert_string_equal(o.source, "oom/mark_victim");
	assert_int_equal(o.exit_signal, SIGKILL);
	assert_true(o.memory_max == 48 << 20);
	assert_true(o.oom_kills_known);
	assert_true(o.oom_kills == 1);
	/* a global OOM kill of a process without a limit */
	e.k.memcg_max_pages = 1ULL << 51;
	e.limit_known = false;
	e.kills_known = false;
	assert_true(oom_judge(&e, &o));
	assert_true(o.memory_max == MEMCG_UNLIMITED);
	assert_false(o.oom_kills_known);
	/* the kernel gave no limit: the cgroup file's */
	e.k.memcg_max_pages = 0;
	e.limit_known = true;
	e.limit = 1 << 30;
	assert_true(oom_judge(&e, &o));
	assert_true(o.memory_max == 1 << 30);
	/* neither: unknown */
	e.limit_known = false;
	assert_true(oom_judge(&e, &o));
	assert_true(o.memory_max == 0);
}

static void test_not_a_victim(void **state)
{
	struct oom_evidence e = victim();
	struct report_oom o = {};

	/* an ordinary exit, or a kill -9 by someone: the tracepoint saw no choice */
	e.k.victim_ns = 0;
	e.k.exit_code = 0;
	assert_false(oom_judge(&e, &o));
	e.k.exit_code = SIGKILL;
	assert_false(oom_judge(&e, &o));
	/* with the tracepoint attached, the cgroup's count rising (another
	 * process of the cgroup was the victim) is not evidence */
	e.kills1 = 5;
	assert_false(oom_judge(&e, &o));
	/* nothing known at all */
	memset(&e, 0, sizeof(e));
	e.wait_status = -1;
	assert_false(oom_judge(&e, &o));
}

static void test_fallback_memory_events(void **state)
{
	struct oom_evidence e = victim();
	struct report_oom o = {};

	/* mark_victim could not be attached: the count rose, died of SIGKILL */
	e.victim_attached = false;
	e.k.victim_ns = 0;
	assert_true(oom_judge(&e, &o));
	assert_string_equal(o.source, "memory.events oom_kill");
	assert_int_equal(o.exit_signal, SIGKILL);
	assert_true(o.memory_max == 48 << 20);
	/* the count did not rise */
	e.kills1 = 0;
	assert_false(oom_judge(&e, &o));
	e.kills1 = 1;
	/* it died of another signal: some other process was the victim */
	e.k.exit_code = SIGTERM;
	assert_false(oom_judge(&e, &o));
	/* exit status of our child (run mode), no kernel side at all */
	e.kernel_known = false;
	e.wait_status = SIGKILL; /* WIFSIGNALED, WTERMSIG 9 */
	assert_true(oom_judge(&e, &o));
	assert_int_equal(o.exit_signal, SIGKILL);
	e.wait_status = 1 << 8; /* exited with status 1 */
	assert_false(oom_judge(&e, &o));
	/* the signal unknown: the count alone */
	e.wait_status = -1;
	assert_true(oom_judge(&e, &o));
	assert_int_equal(o.exit_signal, 0);
	/* the count unknown: no verdict */
	e.kills_known = false;
	assert_false(oom_judge(&e, &o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_victim),
		cmocka_unit_test(test_not_a_victim),
		cmocka_unit_test(test_fallback_memory_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
