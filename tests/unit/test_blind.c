/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_blind.c: unit tests for user/judge/blind.c, the blind-probe verdict. The
 * case of issue 10 (item 6) first: Debian bullseye's LTO 3.9 attached
 * without the switch, a thread leaking bytes objects: 0 probe hits, no GC
 * collection (bytes are never tracked by the collector), anonymous memory
 * up 23 MiB in a minute. Then what must not convict: too little evidence,
 * probes that do see the allocations, a few huge blocks that were seen,
 * native growth where the probes see small blocks, resident growth no page
 * fault mapped, unknown figures. Also the GC and
 * allocated-block rules, the /proc/PID/stat parser and the message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "blind.h"
#include "gcstats.h"

#define MIB (1ll << 20)

/* The bytes leak of the issue, after a minute. */
static struct blind_evidence bytes_leak(void)
{
	return (struct blind_evidence){
		.elapsed_s = 60,
		.alloc_hits = 0,
		.small_unseen = true,
		.gc_known = true,
		.gc_objects = 0,
		.anon_known = true,
		.anon_growth = 23 * MIB,
		.faults_known = true,
		.fault_bytes = 24 * MIB,
	};
}

static void test_bytes_leak_is_blind(void **state)
{
	struct blind_evidence e = bytes_leak();
	struct blind_verdict v;

	assert_true(blind_judge(&e, &v));
	assert_int_equal(v.reason, BLIND_MEMORY);
	assert_int_equal(v.evidence, 23 * MIB);
	/* a handful of hits (large blocks through a probed path) changes nothing */
	e.alloc_hits = 40;
	assert_true(blind_judge(&e, &v));
	/* without fault figures, resident growth alone is the evidence */
	e.faults_known = false;
	assert_true(blind_judge(&e, &v));
	assert_int_equal(v.evidence, 23 * MIB);
}

static void test_memory_that_does_not_convict(void **state)
{
	struct blind_evidence e = bytes_leak();
	struct blind_verdict v;

	/* too little growth yet */
	e.anon_growth = 7 * MIB;
	assert_false(blind_judge(&e, &v));
	assert_int_equal(v.reason, BLIND_NO);
	/* probes that see one allocation per 64 KiB of growth or more */
	e = bytes_leak();
	e.alloc_hits = 23 * 16;
	assert_false(blind_judge(&e, &v));
	/* few hits, but they hold the growth: a few huge blocks, seen */
	e = bytes_leak();
	e.alloc_hits = 3;
	e.tracked_bytes = 22 * MIB;
	assert_false(blind_judge(&e, &v));
	/* resident growth that no page fault mapped (pages collapsed or
	 * swapped back in): the smaller figure is the evidence */
	e = bytes_leak();
	e.fault_bytes = 2 * MIB;
	assert_false(blind_judge(&e, &v));
	/* a build whose small blocks reach the probes: native buffers (an
	 * array library's, 8 MiB each) beside the few Python objects seen */
	e = bytes_leak();
	e.small_unseen = false;
	e.alloc_hits = 5 * 3;
	assert_false(blind_judge(&e, &v));
	e.alloc_hits = 1; /* but next to nothing seen convicts there too */
	assert_true(blind_judge(&e, &v));
	assert_int_equal(v.reason, BLIND_MEMORY);
	/* shrinking, or not known */
	e = bytes_leak();
	e.anon_growth = -100 * MIB;
	assert_false(blind_judge(&e, &v));
	e = bytes_leak();
	e.anon_known = false;
	assert_false(blind_judge(&e, &v));
}

static void test_gc_and_blocks(void **state)
{
	struct blind_evidence e = { .elapsed_s = 2, .gc_known = true, .gc_objects = 14000 };
	struct blind_verdict v;

	assert_true(blind_judge(&e, &v)); /* 20 collections of 700, no hit */
	assert_int_equal(v.reason, BLIND_GC);
	assert_int_equal(v.evidence, 14000);
	e.alloc_hits = 700; /* one in 20 seen: not blind */
	assert_false(blind_judge(&e, &v));
	e.alloc_hits = 0;
	e.gc_objects = 1999; /* too little evidence */
	assert_false(blind_judge(&e, &v));
	e.gc_known = false;
	e.gc_objects = 1 << 20; /* unknown: convicts nothing */
	assert_false(blind_judge(&e, &v));

	/* the interpreter's block count, GC or not */
	e = (struct blind_evidence){ .elapsed_s = 2, .blocks_known = true, .blocks = 50000,
				     .alloc_hits = 100 };
	assert_true(blind_judge(&e, &v));
	assert_int_equal(v.reason, BLIND_BLOCKS);
	assert_int_equal(v.evidence, 50000);
	e.blocks = -50000; /* freeing more than allocating says nothing */
	assert_false(blind_judge(&e, &v));
	e.blocks = 50000;
	e.alloc_hits = 2500;
	assert_false(blind_judge(&e, &v));
}

static void test_gc_objects(void **state)
{
	struct gc_snapshot a = { .threshold = { 700, 10, 10 }, .count = { 100 } };
	struct gc_snapshot b = a;

	b.count[0] = 650;
	assert_int_equal(blind_gc_objects(&a, &b), 550); /* no collection: count growth */
	b.collections[0] = 3;
	b.count[0] = 5;
	assert_int_equal(blind_gc_objects(&a, &b), 2100); /* 3 collections of 700 */
}

static void test_parse_minflt(void **state)
{
	uint64_t v = 0;

	assert_int_equal(blind_parse_minflt("1705 (python3) S 1699 1705 1705 0 -1 4194560 "
					    "9136 0 0 0 50 9 0 0 20 0 2 0",
					    &v), 0);
	assert_int_equal(v, 9136);
	/* a comm with spaces and parentheses: fields count from the last ')' */
	assert_int_equal(blind_parse_minflt("7 (a) b (c)) R 1 7 7 0 -1 0 42 0", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(blind_parse_minflt("7 (cut", &v), -EINVAL);
	assert_int_equal(blind_parse_minflt("7 (x) R 1", &v), -EINVAL);
}

static void test_message(void **state)
{
	struct blind_evidence e = bytes_leak();
	struct blind_verdict v;
	char buf[512];

	assert_true(blind_judge(&e, &v));
	blind_message(&v, &e, "allocator table functions", true, buf, sizeof(buf));
	assert_non_null(strstr(buf, "probes are blind: 0 allocator hits for anonymous memory "
				    "grown by 23.0 MiB in 60.0s (allocator table functions)"));
	assert_non_null(strstr(buf, "--switch-allocator"));
	assert_non_null(strstr(buf, "LTO"));
	e = (struct blind_evidence){ .elapsed_s = 1, .gc_known = true, .gc_objects = 7000 };
	assert_true(blind_judge(&e, &v));
	blind_message(&v, &e, "x", false, buf, 40); /* truncated, terminated */
	assert_int_equal(strlen(buf), 39);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_leak_is_blind),
		cmocka_unit_test(test_memory_that_does_not_convict),
		cmocka_unit_test(test_gc_and_blocks),
		cmocka_unit_test(test_gc_objects),
		cmocka_unit_test(test_parse_minflt),
		cmocka_unit_test(test_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
