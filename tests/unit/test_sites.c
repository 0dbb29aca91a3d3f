/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_sites.c: unit tests for site_id_of() in user/sites.c, the stable id of
 * a symbolised Python stack. The id is shown to users and compared across
 * intervals and runs, so it must depend only on each frame's file, function
 * and line, in order: not on where the strings live. Known ids are pinned
 * here (computed once), so any change to the hash is noticed; a change on
 * purpose means updating them, and telling users that ids changed.
 *
 * Also the store's survivor ranking (growth mode's leak verdict), on
 * synthetic per-window counts shaped like each accuracy program: a leak, churn,
 * a bounded cache, a warm-up that plateaus, a periodic batch, and two raw
 * stacks that symbolise to the same line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "sites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define assert_id(got, want)                                                            \
	do {                                                                            \
		uint64_t g_ = (got), w_ = (want);                                       \
		if (g_ != w_)                                                           \
			fail_msg("%s = 0x%016llx, expected 0x%016llx", #got,            \
				 (unsigned long long)g_, (unsigned long long)w_);       \
	} while (0)

#define assert_ids_differ(a, b)                                                         \
	do {                                                                            \
		uint64_t a_ = (a), b_ = (b);                                            \
		if (a_ == b_)                                                           \
			fail_msg("%s and %s are both 0x%016llx", #a, #b,                \
				 (unsigned long long)a_);                               \
	} while (0)

/* A three-frame stack, innermost first, as the symboliser produces it. */
static const struct report_frame stack3[] = {
	{ "/srv/app/cache.py", "Cache.put", 42 },
	{ "/srv/app/handlers.py", "handle_request", 118 },
	{ "/srv/app/main.py", "<module>", 7 },
};

/* Pinned: computed once from the implementation (64-bit FNV-1a over file,
 * NUL, function, NUL and the line as 4 little-endian bytes, per frame). */
#define ID_EMPTY 0xcbf29ce484222325ULL /* the FNV-1a offset basis */
#define ID_STACK3 0xc611c60a3a9afcb3ULL
#define ID_FRAME0 0x1a20b0bcdbe2dc3cULL
#define ID_NO_FRAME 0x90d772d8c47de879ULL

/* An independent FNV-1a, to check the documented definition. */
static uint64_t ref_id(const struct report_frame *f, int n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < n; i++) {
		const char *s[2] = { f[i].file, f[i].func };
		uint32_t line = (uint32_t)f[i].line;

		for (int k = 0; k < 2; k++) {
			size_t len = strlen(s[k]) + 1;

			for (size_t j = 0; j < len; j++)
				h = (h ^ (unsigned char)s[k][j]) * 0x100000001b3ULL;
		}
		for (int j = 0; j < 4; j++)
			h = (h ^ ((line >> (8 * j)) & 0xff)) * 0x100000001b3ULL;
	}
	return h;
}

static void test_pinned(void **state)
{
	/* what resolve() in sites.c uses for a stack without Python frames */
	const struct report_frame none = { "<interpreter>", "<no Python frame>", -1 };

	assert_id(site_id_of(stack3, 3), ID_STACK3);
	assert_id(site_id_of(stack3, 1), ID_FRAME0);
	assert_id(site_id_of(&none, 1), ID_NO_FRAME);
	assert_id(site_id_of(stack3, 3), ref_id(stack3, 3));
	assert_id(site_id_of(stack3, 1), ref_id(stack3, 1));
	assert_id(site_id_of(&none, 1), ref_id(&none, 1));
}

static void test_zero_frames(void **state)
{
	assert_id(site_id_of(NULL, 0), ID_EMPTY);
	assert_id(site_id_of(stack3, 0), ID_EMPTY);
	assert_ids_differ(site_id_of(NULL, 0), site_id_of(stack3, 1));
}

/* Same frames, in other memory: the same id, every time. */
static void test_stable(void **state)
{
	struct report_frame copy[3];
	char files[3][64], funcs[3][64];
	uint64_t id = site_id_of(stack3, 3);

	for (int i = 0; i < 3; i++) {
		snprintf(files[i], sizeof(files[i]), "%s", stack3[i].file);
		snprintf(funcs[i], sizeof(funcs[i]), "%s", stack3[i].func);
		copy[i] = (struct report_frame){ files[i], funcs[i], stack3[i].line };
	}
	for (int rep = 0; rep < 3; rep++) {
		assert_id(site_id_of(stack3, 3), id);
		assert_id(site_id_of(copy, 3), id);
	}
	/* the strings are read, not written */
	for (int i = 0; i < 3; i++) {
		assert_string_equal(files[i], stack3[i].file);
		assert_string_equal(funcs[i], stack3[i].func);
	}
}

static void test_line_matters(void **state)
{
	/* off by one, and changes only in the line's higher bytes */
	static const int deltas[] = { 1, -1, 256, -256, 65536, 1 << 24, -(1 << 24) };
	struct report_frame f[3];
	uint64_t id = site_id_of(stack3, 3);

	for (int frame = 0; frame < 3; frame++) {
		for (int i = 0; i < N(deltas); i++) {
			memcpy(f, stack3, sizeof(f));
			f[frame].line += deltas[i];
			assert_ids_differ(site_id_of(f, 3), id);
		}
		memcpy(f, stack3, sizeof(f));
		f[frame].line = -1;
		assert_ids_differ(site_id_of(f, 3), id);
	}
	/* unknown line vs line 0 */
	memcpy(f, stack3, sizeof(f));
	f[0].line = -1;
	id = site_id_of(f, 1);
	f[0].line = 0;
	assert_ids_differ(site_id_of(f, 1), id);
}

static void test_file_and_func_matter(void **state)
{
	struct report_frame f[3];
	uint64_t id = site_id_of(stack3, 3);
	const struct report_frame *base = stack3;

	for (int frame = 0; frame < 3; frame++) {
		memcpy(f, base, sizeof(f));
		f[frame].file = "/srv/app/other.py";
		assert_ids_differ(site_id_of(f, 3), id);
		memcpy(f, base, sizeof(f));
		f[frame].func = "other";
		assert_ids_differ(site_id_of(f, 3), id);
		/* file and function swapped */
		memcpy(f, base, sizeof(f));
		f[frame].file = base[frame].func;
		f[frame].func = base[frame].file;
		assert_ids_differ(site_id_of(f, 3), id);
	}

	/* where file ends and function begins matters */
	const struct report_frame a = { "ab", "c", 1 }, b = { "a", "bc", 1 };
	const struct report_frame c = { "abc", "", 1 }, d = { "", "abc", 1 };

	assert_ids_differ(site_id_of(&a, 1), site_id_of(&b, 1));
	assert_ids_differ(site_id_of(&a, 1), site_id_of(&c, 1));
	assert_ids_differ(site_id_of(&c, 1), site_id_of(&d, 1));
	assert_ids_differ(site_id_of(&b, 1), site_id_of(&d, 1));

	/* case and a trailing character */
	const struct report_frame e = { "/srv/app/Cache.py", "Cache.put", 42 };
	const struct report_frame g = { "/srv/app/cache.py ", "Cache.put", 42 };

	assert_ids_differ(site_id_of(&e, 1), site_id_of(stack3, 1));
	assert_ids_differ(site_id_of(&g, 1), site_id_of(stack3, 1));
}

static void test_order_and_depth_matter(void **state)
{
	struct report_frame f[3];
	uint64_t id = site_id_of(stack3, 3);

	/* every other order of the three frames */
	static const int perms[][3] = {
		{ 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};

	for (int p = 0; p < N(perms); p++) {
		for (int i = 0; i < 3; i++)
			f[i] = stack3[perms[p][i]];
		assert_ids_differ(site_id_of(f, 3), id);
	}

	/* a prefix of the stack is another site */
	assert_ids_differ(site_id_of(stack3, 1), site_id_of(stack3, 2));
	assert_ids_differ(site_id_of(stack3, 2), id);
	/* and so is a frame repeated (recursion one level deeper) */
	f[0] = stack3[0];
	f[1] = stack3[0];
	assert_ids_differ(site_id_of(f, 2), site_id_of(stack3, 1));
	/* the last frame's line moved into the next frame's place */
	const struct report_frame x[2] = { { "a.py", "f", 1 }, { "a.py", "f", 2 } };
	const struct report_frame y[2] = { { "a.py", "f", 2 }, { "a.py", "f", 1 } };

	assert_ids_differ(site_id_of(x, 2), site_id_of(y, 2));
}

/* Many distinct one-frame sites (one file, lines 1..N): no two ids equal. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_no_collisions_nearby(void **state)
{
	enum { NLINES = 20000 };
	uint64_t *ids = calloc(NLINES * 2, sizeof(*ids));

	assert_non_null(ids);
	for (int i = 0; i < NLINES; i++) {
		struct report_frame f = { "/srv/app/cache.py", "Cache.put", i + 1 };
		struct report_frame g = { "/srv/app/cache.py", "Cache.get", i + 1 };

		ids[2 * i] = site_id_of(&f, 1);
		ids[2 * i + 1] = site_id_of(&g, 1);
	}
	qsort(ids, NLINES * 2, sizeof(*ids), cmp_u64);
	for (int i = 1; i < NLINES * 2; i++)
		if (ids[i] == ids[i - 1])
			fail_msg("two sites share id 0x%016llx", (unsigned long long)ids[i]);
	free(ids);
}

/* Synthetic raw sites: raw id r symbolises to line 100 + r % 10 of app.py,
 * so raw ids 1 and 11 share a group. */
static int fake_resolve(void *ctx, uint64_t id, struct report_frame *fr, const char **caller,
			bool *truncated)
{
	(void)ctx;
	fr[0].file = "app.py";
	fr[0].func = "f";
	fr[0].line = 100 + (int)(id % 10);
	*caller = NULL;
	*truncated = false;
	return 1;
}

static struct raw_sw sw(uint64_t site, uint32_t w, uint64_t allocs, int64_t live)
{
	struct raw_sw e = { .k = { .site = site, .window = w },
			    .v = { .allocs = allocs, .alloc_bytes = allocs * 64,
				   .live_count = live, .live_bytes = live * 64 } };
	return e;
}

/* find_line() - the row of line, or NULL. */
static const struct report_site *find_line(const struct report_site *rows, int n, int line)
{
	for (int i = 0; i < n; i++)
		if (rows[i].frames[0].line == line)
			return &rows[i];
	return NULL;
}

/* A store that never saw a site (a window before any allocation, the
 * target just exec'd): no rows, and no qsort() of its NULL array, which
 * is undefined behaviour (make asan's UBSan found it in a real run). */
static void test_rank_empty_store(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct window_view wv = { .settled = 1, .min_survival = 0.5 };
	const struct report_site *rows;
	struct site_totals tot;

	assert_non_null(ss);
	assert_int_equal(sites_rank_survivors(ss, 20, &wv, &rows, &tot), 0);
	assert_int_equal(sites_update(ss, NULL, 0, NULL, 0, 0), 0);
	assert_int_equal(sites_rank_survivors(ss, 20, &wv, &rows, &tot), 0);
	sites_free(ss);
}

static void test_survivor_verdicts(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct window_view wv = { .settled = 4, .min_survival = 0.5 };
	const struct report_site *rows, *r;
	struct site_totals tot;
	struct raw_sw v[] = {
		/* 1: a leak: everything survives, every window */
		sw(1, 1, 100, 100), sw(1, 2, 100, 100), sw(1, 3, 100, 100), sw(1, 4, 100, 100),
		/* 2: churn: nothing survives */
		sw(2, 1, 5000, 0), sw(2, 2, 5000, 3), sw(2, 3, 5000, 0), sw(2, 4, 5000, 1),
		/* 3: bounded cache: the newest window's entries live, older evicted */
		sw(3, 1, 50, 0), sw(3, 2, 50, 0), sw(3, 3, 50, 2), sw(3, 4, 50, 50),
		/* 4: warm-up: survived in windows 1 and 2, then stopped allocating */
		sw(4, 1, 300, 300), sw(4, 2, 200, 200),
		/* 5: periodic batch: held in window 2, freed later */
		sw(5, 2, 1000, 0), sw(5, 4, 1000, 1000),
		/* 6: the newest window is not settled yet: not counted */
		sw(6, 5, 100, 100), sw(6, 4, 100, 100),
		/* 7 and 17: one line, two raw stacks; together they persist */
		sw(7, 3, 10, 10), sw(17, 4, 10, 10),
	};
	int n;

	assert_non_null(ss);
	assert_int_equal(sites_update(ss, NULL, 0, v, sizeof(v) / sizeof(v[0]), 0), 0);
	n = sites_rank_survivors(ss, 20, &wv, &rows, &tot);
	assert_true(n >= 5);

	/* persistent first: the leak leads, with all its survivors */
	assert_int_equal(rows[0].frames[0].line, 101);
	assert_true(rows[0].persistent);
	assert_int_equal(rows[0].windows_seen, 4);
	assert_int_equal(rows[0].windows_survived, 4);
	assert_int_equal(rows[0].count, 400);
	assert_int_equal(rows[0].bytes, 400 * 64);
	assert_string_equal(rows[0].evidence, "survivors");

	r = find_line(rows, n, 102); /* churn: 4 stragglers, never a verdict */
	assert_non_null(r);
	assert_false(r->persistent);
	assert_int_equal(r->windows_survived, 0);
	r = find_line(rows, n, 103); /* bounded cache */
	assert_non_null(r);
	assert_false(r->persistent);
	assert_int_equal(r->windows_survived, 1);
	r = find_line(rows, n, 104); /* warm-up: survived twice, but not lately */
	assert_non_null(r);
	assert_false(r->persistent);
	assert_int_equal(r->windows_survived, 2);
	r = find_line(rows, n, 105); /* batch */
	assert_non_null(r);
	assert_false(r->persistent);
	r = find_line(rows, n, 106); /* only window 4 is settled */
	assert_non_null(r);
	assert_int_equal(r->windows_seen, 1);
	assert_false(r->persistent);
	r = find_line(rows, n, 107); /* grouped by line */
	assert_non_null(r);
	assert_true(r->persistent);
	assert_int_equal(r->count, 20);
	assert_int_equal(tot.npersistent, 2);

	/* the next window settles: the warm-up stays quiet, the leak goes on */
	wv.settled = 5;
	n = sites_rank_survivors(ss, 20, &wv, &rows, &tot);
	r = find_line(rows, n, 106);
	assert_non_null(r);
	assert_true(r->persistent); /* windows 4 and 5 */
	assert_false(find_line(rows, n, 104)->persistent);
	sites_free(ss);
}

/* Window ids live in slots of SITES_WINDOW_HISTORY; a newer window must
 * never be mixed with an older one that had the same slot. */
static void test_survivor_slots(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct window_view wv = { .settled = 1 + SITES_WINDOW_HISTORY, .min_survival = 0.5 };
	const struct report_site *rows;
	struct site_totals tot;
	struct raw_sw v[] = { sw(1, 1, 10, 10), sw(1, 1 + SITES_WINDOW_HISTORY, 10, 0) };

	assert_int_equal(sites_update(ss, NULL, 0, v, 2, 0), 0);
	assert_int_equal(sites_rank_survivors(ss, 5, &wv, &rows, &tot), 0);
	assert_int_equal(tot.nsites, 0);
	sites_free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_survivor_verdicts),
		cmocka_unit_test(test_survivor_slots),
		cmocka_unit_test(test_zero_frames),
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_line_matters),
		cmocka_unit_test(test_file_and_func_matter),
		cmocka_unit_test(test_order_and_depth_matter),
		cmocka_unit_test(test_no_collisions_nearby),
		cmocka_unit_test(test_rank_empty_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
