/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_tstates.c: unit tests for the userspace walk of the interpreter's
 * thread list (user/python/tstates.c) over a synthetic target memory: a list far
 * longer than BPF's own walk is read whole, a list that loops or breaks
 * mid-read ends bounded, and the changes between two walks are exactly the
 * threads that came, went or got a new state.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstates.h"

/* Synthetic memory: words at BASE + 8 * i. */
#define BASE 0x10000ULL
#define WORDS 8192
static uint64_t mem[WORDS];
static uint64_t fault_at; /* a read of this address fails (0: none) */

static int rd(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr == fault_at || addr < BASE || len != 8 || (addr - BASE) % 8 ||
	    (addr - BASE) / 8 >= WORDS)
		return -EFAULT;
	memcpy(buf, &mem[(addr - BASE) / 8], 8);
	return 0;
}

static uint64_t addr_of(size_t word)
{
	return BASE + 8 * word;
}

/* Layout: word 0 = &interp head -> interp at word 1, whose threads head is
 * word 2 (offset 8); thread state k at words 16 + 4k: next at +8 (word +1),
 * thread_id at +16 (word +2). */
static const struct pyleak_proc layout = {
	.interp_head_addr = BASE,
	.interp_threads_head = 8,
	.tstate_next = 8,
	.tstate_thread_id = 16,
};

static uint64_t ts_addr(int k)
{
	return addr_of(16 + 4 * (size_t)k);
}

/* make_list() - n thread states, newest (k = n-1) first, thread_id of k
 * = 0x7f0000 + k. */
static void make_list(int n)
{
	memset(mem, 0, sizeof(mem));
	fault_at = 0;
	mem[0] = addr_of(1);
	mem[2] = n ? ts_addr(n - 1) : 0;
	for (int k = 0; k < n; k++) {
		mem[16 + 4 * k + 1] = k ? ts_addr(k - 1) : 0;
		mem[16 + 4 * k + 2] = 0x7f0000 + (uint64_t)k;
	}
}

static void test_walks_past_64(void **state)
{
	struct tstate_entry out[1000];
	int n;

	(void)state;
	make_list(300);
	n = tstates_walk(&layout, rd, NULL, out, 1000);
	assert_int_equal(n, 300);
	/* newest first; the oldest (the main thread) is the last one */
	assert_int_equal(out[0].thread_id, 0x7f0000 + 299);
	assert_int_equal(out[299].thread_id, 0x7f0000);
	assert_int_equal(out[299].tstate, ts_addr(0));
}

static void test_bounded_and_broken_lists(void **state)
{
	struct tstate_entry out[1000];

	(void)state;
	make_list(300);
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 50), 50);
	/* a loop (the list changed while read) ends at max */
	mem[16 + 4 * 10 + 1] = ts_addr(20);
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 1000), 1000);
	/* a failed read mid-list: what was read so far */
	make_list(300);
	fault_at = ts_addr(100) + 8; /* next of state 100 */
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 1000), 200);
	/* a state not started yet (thread_id 0) is skipped */
	make_list(3);
	mem[16 + 4 * 1 + 2] = 0;
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 10), 2);
	/* no interpreter yet: nothing; the head unreadable: an error */
	make_list(3);
	mem[0] = 0;
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 10), 0);
	fault_at = BASE;
	assert_int_equal(tstates_walk(&layout, rd, NULL, out, 10), -EFAULT);
}

struct seen {
	uint64_t ids[16];
	bool gone[16];
	int n;
};

static int note(void *ctx, const struct tstate_entry *e, bool gone)
{
	struct seen *s = ctx;

	s->ids[s->n] = e->thread_id;
	s->gone[s->n++] = gone;
	return 0;
}

static void test_changes(void **state)
{
	struct tstates ts = { 0 };
	struct seen s = { 0 };

	(void)state;
	make_list(3);
	assert_int_equal(tstates_refresh(&ts, &layout, rd, NULL), 0);
	assert_int_equal(tstates_changes(&ts, false, note, &s), 0);
	assert_int_equal(s.n, 3); /* all new, in thread_id order */
	assert_int_equal(s.ids[0], 0x7f0000);
	assert_false(s.gone[0]);

	/* nothing changed: nothing to write */
	assert_int_equal(tstates_refresh(&ts, &layout, rd, NULL), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(tstates_changes(&ts, false, note, &s), 0);
	assert_int_equal(s.n, 0);

	/* thread 1 ended, thread 0 got a new state (5), a thread 9 came (6):
	 * the list is now 2 -> 5 -> 6 */
	mem[16 + 4 * 2 + 1] = ts_addr(5);
	mem[16 + 4 * 5 + 1] = ts_addr(6);
	mem[16 + 4 * 5 + 2] = 0x7f0000;
	mem[16 + 4 * 6 + 1] = 0;
	mem[16 + 4 * 6 + 2] = 0x7f0009;
	assert_int_equal(tstates_refresh(&ts, &layout, rd, NULL), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(tstates_changes(&ts, false, note, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 0x7f0000);
	assert_false(s.gone[0]);
	assert_int_equal(s.ids[1], 0x7f0001);
	assert_true(s.gone[1]);
	assert_int_equal(s.ids[2], 0x7f0009);
	assert_false(s.gone[2]);

	/* a map that has none yet gets every entry */
	memset(&s, 0, sizeof(s));
	assert_int_equal(tstates_changes(&ts, true, note, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[1], 0x7f0002);
	assert_false(s.gone[0] || s.gone[1] || s.gone[2]);

	/* a thread listed twice (read mid-change) is kept once */
	mem[16 + 4 * 6 + 2] = 0x7f0000;
	assert_int_equal(tstates_refresh(&ts, &layout, rd, NULL), 0);
	assert_int_equal(ts.ncur, 2);
	tstates_free(&ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walks_past_64),
		cmocka_unit_test(test_bounded_and_broken_lists),
		cmocka_unit_test(test_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
