/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_sites.c: unit tests for site_id_of() in user/judge/sites.c, the stable id of
 * a symbolised Python stack. The id is shown to users and compared across
 * intervals and runs, so it must depend only on each frame's file, function
 * and line, in order: not on where the strings live. Known ids are pinned
 * here (computed once), so any change to the hash is noticed; a change on
 * purpose means updating them, and telling users that ids changed.
 *
 * Also the store's survivor ranking (growth mode's leak verdict), on
 * synthetic window histories (what each settled window's captures held when
 * it settled, and what they hold at each later settlement) shaped like the
 * accuracy programs: a leak whose line also makes temporaries, churn whose
 * survivors die later, a bounded cache and a warm-up that plateau, a
 * periodic batch, and two raw stacks that symbolise to the same line.
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

/* swb() - one (site, window) entry: what the window captured there and
 * what of it lives now. sw(): the same with 64-byte allocations. */
static struct raw_sw swb(uint64_t site, uint32_t w, uint64_t allocs, uint64_t alloc_bytes,
			 int64_t live, int64_t live_bytes)
{
	struct raw_sw e = { .k = { .site = site, .window = w },
			    .v = { .allocs = allocs, .alloc_bytes = alloc_bytes,
				   .live_count = live, .live_bytes = live_bytes } };
	return e;
}

static struct raw_sw sw(uint64_t site, uint32_t w, uint64_t allocs, int64_t live)
{
	return swb(site, w, allocs, allocs * 64, live, live * 64);
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

/* history_fn - append at v[*n] the entries of window j (<= k) as the
 * maps hold them when window k settles. */
typedef void (*history_fn)(uint32_t k, uint32_t j, struct raw_sw *v, int *n);

/* settle_history() - window k settles after windows 1..k-1 did: what the
 * maps hold then (fn, for every window so far) goes into the store, which
 * notes k's survivors and ranks. Returns the number of rows. */
static int settle_history(struct site_store *ss, history_fn fn, uint32_t k,
			  const struct report_site **rows, struct site_totals *tot)
{
	struct window_view wv = { .settled = k, .min_survival = 0.5 };
	struct raw_sw v[32];
	int n = 0;

	for (uint32_t j = 1; j <= k; j++)
		fn(k, j, v, &n);
	assert_true(n <= N(v));
	assert_int_equal(sites_update(ss, NULL, 0, v, n, 0), 0);
	sites_settle(ss, k);
	n = sites_rank_survivors(ss, 20, &wv, rows, tot);
	assert_true(n >= 0);
	return n;
}

/* raised() - how many leak_suspect transitions the last ranking made on line. */
static int raised(struct site_store *ss, int line)
{
	const struct report_alert *a;
	uint32_t active;
	int n = sites_alerts(ss, &a, &active), k = 0;

	for (int i = 0; i < n; i++)
		k += !strcmp(a[i].state, "leak_suspect") && a[i].frames[0].line == line;
	return k;
}

/*
 * The defect of issue 10 (item 7): a line that formats a string and appends
 * it to a global list, beside churn. Each window captures 183 allocations
 * there, 146 of them temporaries freed at once: 20% of the allocations and
 * a quarter of the bytes survive, but every survivor stays, window after
 * window. That is a leak: persistent from the second settled window, with
 * one alert. A list growing at such a line also reallocates its item array
 * (the old one freed at the next growth): its bytes die, its items live.
 */
static void temporaries_history(uint32_t k, uint32_t j, struct raw_sw *v, int *n)
{
	/* line 101: 37 strings of 150 B kept, 146 temporaries */
	v[(*n)++] = swb(1, j, 183, 183 * 120, 37, 37 * 150);
	/* line 102: churn beside it, three stragglers at settlement that die
	 * in the next window */
	v[(*n)++] = sw(2, j, 5000, j == k ? 3 : 0);
	/* line 103: 50 kept items and the list's 8 KiB item array, freed when
	 * the list grows in the next window */
	v[(*n)++] = swb(3, j, 60, 60 * 100 + 8192, j == k ? 51 : 50,
			50 * 100 + (j == k ? 8192 : 0));
}

static void test_leak_with_temporaries(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	const struct report_site *rows, *r;
	struct site_totals tot;

	assert_non_null(ss);
	for (uint32_t k = 1; k <= 4; k++) {
		int n = settle_history(ss, temporaries_history, k, &rows, &tot);

		r = find_line(rows, n, 101);
		assert_non_null(r);
		assert_int_equal(r->windows_seen, k);
		assert_int_equal(r->windows_survived, k);
		assert_int_equal(r->bytes, 37 * 150 * k);
		assert_int_equal(r->persistent, k >= 2);
		/* raised once, when the second window settles; held after */
		assert_int_equal(raised(ss, 101), k == 2);
		assert_int_equal(r->alert, k >= 2);
		r = find_line(rows, n, 103);
		assert_non_null(r);
		assert_int_equal(r->windows_survived, k);
		assert_int_equal(r->persistent, k >= 2);
		r = find_line(rows, n, 102);
		assert_non_null(r); /* the newest window's stragglers */
		assert_false(r->persistent);
		assert_int_equal(r->windows_survived, 1);
	}
	/* persistent first */
	assert_true(rows[0].persistent && rows[1].persistent);
	assert_int_equal(tot.npersistent, 2);
	sites_free(ss);
}

/* Churn whose survivors outlive the follow phase but die later (a
 * request's objects held a few seconds): kept when it settles, lost by the
 * next settlement. And a lifetime of about a window and a half: kept at the
 * next settlement too, lost at the one after. */
static void churn_history(uint32_t k, uint32_t j, struct raw_sw *v, int *n)
{
	/* line 101: 300 of 500 alive at settlement, 2 stragglers later */
	v[(*n)++] = sw(1, j, 500, j == k ? 300 : 2);
	/* line 102: 100 alive at settlement, 60 at the next, none after */
	v[(*n)++] = sw(2, j, 200, j == k ? 100 : j + 1 == k ? 60 : 0);
}

/* The first is never persistent; the second looks like a leak while its
 * oldest window still holds its survivors (windows 2 and 3), and is not
 * once lost windows are as many as kept ones. */
static void test_churn_survivors_die_later(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	const struct report_site *rows, *r;
	struct site_totals tot;

	assert_non_null(ss);
	for (uint32_t k = 1; k <= 6; k++) {
		int n = settle_history(ss, churn_history, k, &rows, &tot);

		r = find_line(rows, n, 101);
		assert_non_null(r);
		assert_false(r->persistent);
		assert_int_equal(r->windows_survived, 1);
		r = find_line(rows, n, 102);
		assert_non_null(r);
		/* windows k and k - 1 kept, every older one lost */
		assert_int_equal(r->windows_survived, k >= 2 ? 2 : 1);
		assert_int_equal(r->persistent, k == 2 || k == 3);
		assert_int_equal(raised(ss, 101), 0);
	}
	assert_int_equal(tot.npersistent, 0);
	sites_free(ss);
}

/*
 * A warm bounded cache: each window's entries are evicted within the next
 * window or two (the cache plateaus; what goes in pushes older entries out).
 * A warm-up fills a table in windows 1 and 2, then only reads it: its
 * survivors stay, but it no longer accumulates: persistent while it grows,
 * then the verdict and the alert go.
 */
static void cache_history(uint32_t k, uint32_t j, struct raw_sw *v, int *n)
{
	/* line 101: 50 inserts; 20 left a window later, none after */
	v[(*n)++] = sw(1, j, 50, j == k ? 50 : j + 1 == k ? 20 : 0);
	if (j <= 2) /* line 102: the warm-up */
		v[(*n)++] = sw(2, j, 300, 300);
}

static void test_cache_plateau(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	const struct report_site *rows, *r;
	struct site_totals tot;
	const struct report_alert *a;
	uint32_t active;

	assert_non_null(ss);
	for (uint32_t k = 1; k <= 6; k++) {
		int n = settle_history(ss, cache_history, k, &rows, &tot);

		r = find_line(rows, n, 101);
		assert_non_null(r);
		assert_false(r->persistent);
		assert_int_equal(r->windows_survived, 1);
		r = find_line(rows, n, 102);
		assert_non_null(r);
		assert_int_equal(r->windows_survived, k == 1 ? 1 : 2);
		assert_int_equal(r->persistent, k == 2 || k == 3);
		if (k == 4) { /* one transition: the warm-up's alert resolved */
			assert_int_equal(sites_alerts(ss, &a, &active), 1);
			assert_string_equal(a[0].state, "resolved");
			assert_int_equal(active, 0);
		}
	}
	sites_free(ss);
}

/* More shapes in one store: a periodic batch, a window not yet settled,
 * two raw stacks of one line, and windows settled without sites_settle()
 * (judged from the first ranking that sees them). */
static void test_survivor_verdicts(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct window_view wv = { .settled = 4, .min_survival = 0.5 };
	const struct report_site *rows, *r;
	struct site_totals tot;
	struct raw_sw v[] = {
		/* 1: a leak: everything survives, every window */
		sw(1, 1, 100, 100), sw(1, 2, 100, 100), sw(1, 3, 100, 100), sw(1, 4, 100, 100),
		/* 2: churn: (almost) nothing outlives the follow phase */
		sw(2, 1, 5000, 0), sw(2, 2, 5000, 0), sw(2, 3, 5000, 0), sw(2, 4, 5000, 1),
		/* 5: periodic batch: freed within its windows, held in window 4 */
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
	assert_true(n >= 4);

	/* persistent first: the leak leads, with all its survivors */
	assert_int_equal(rows[0].frames[0].line, 101);
	assert_true(rows[0].persistent);
	assert_int_equal(rows[0].windows_seen, 4);
	assert_int_equal(rows[0].windows_survived, 4);
	assert_int_equal(rows[0].count, 400);
	assert_int_equal(rows[0].bytes, 400 * 64);
	assert_string_equal(rows[0].evidence, "survivors");

	r = find_line(rows, n, 102);
	assert_non_null(r);
	assert_false(r->persistent);
	assert_int_equal(r->windows_survived, 1);
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

	/* window 5 settles; the batch of window 4 has been freed since */
	v[9] = sw(5, 4, 1000, 0);
	assert_int_equal(sites_update(ss, NULL, 0, v, sizeof(v) / sizeof(v[0]), 0), 0);
	sites_settle(ss, 5);
	wv.settled = 5;
	n = sites_rank_survivors(ss, 20, &wv, &rows, &tot);
	r = find_line(rows, n, 106);
	assert_non_null(r);
	assert_true(r->persistent); /* windows 4 and 5 */
	assert_null(find_line(rows, n, 105)); /* nothing left */
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

/* Probes slow the target while capturing, so survivors per wall second of
 * capture understate a leak: the process's measured growth is shared out
 * by survivors, and a site gets the larger rate. */
static void test_rate_from_process_growth(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct window_view wv = { .settled = 2, .min_survival = 0.5,
				  .capture_id = { 0, 1, 2 }, .capture_s = { 0, 2, 2 } };
	const struct report_site *rows;
	struct site_totals tot;
	/* line 1 keeps 3x what line 2 keeps: 64 B x 30 and x 10 per window */
	struct raw_sw v[] = { sw(1, 1, 30, 30), sw(1, 2, 30, 30), sw(2, 1, 10, 10),
			      sw(2, 2, 10, 10) };
	const struct report_site *a, *b;
	int n;

	assert_int_equal(sites_update(ss, NULL, 0, v, 4, 0), 0);
	/* no process figure: survivors per second of capture, 1920 B / 2 s */
	n = sites_rank_survivors(ss, 5, &wv, &rows, &tot);
	a = find_line(rows, n, 101);
	assert_non_null(a);
	assert_true(a->rate_bps > 959 && a->rate_bps < 961);
	/* the process grows 40 KiB/s: 3/4 of it is line 1's */
	wv.process_rate_bps = 40960;
	n = sites_rank_survivors(ss, 5, &wv, &rows, &tot);
	a = find_line(rows, n, 101);
	b = find_line(rows, n, 102);
	assert_true(a->rate_bps > 30719 && a->rate_bps < 30721);
	assert_true(b->rate_bps > 10239 && b->rate_bps < 10241);
	/* a site that keeps a speck of its captures (phantoms of a churn: 1 of
	 * 100, alive ever after since no probe follows them) gets no share,
	 * and takes none from the others */
	struct raw_sw all[] = { sw(1, 1, 30, 30), sw(1, 2, 30, 30), sw(2, 1, 10, 10),
				sw(2, 2, 10, 10), sw(3, 1, 100, 1), sw(3, 2, 100, 1) };
	assert_int_equal(sites_update(ss, NULL, 0, all, 6, 0), 0);
	n = sites_rank_survivors(ss, 5, &wv, &rows, &tot);
	b = find_line(rows, n, 103);
	assert_non_null(b);
	assert_int_equal(b->windows_survived, 2);
	assert_true(b->rate_bps < 65); /* 128 B over 4 s of capture */
	a = find_line(rows, n, 101);
	assert_true(a->rate_bps > 30719 && a->rate_bps < 30721);
	/* a process growing slower than the capture shows: the capture's */
	wv.process_rate_bps = 100;
	n = sites_rank_survivors(ss, 5, &wv, &rows, &tot);
	a = find_line(rows, n, 101);
	assert_true(a->rate_bps > 959 && a->rate_bps < 961);
	sites_free(ss);
}

/* A raw site deleted from the maps (sites_retire()) keeps counting in its
 * group's allocations and frees; the raw id is forgotten, so the same id
 * seen again is resolved afresh (counted once, not twice). */
static int resolves;

static int counting_resolve(void *ctx, uint64_t id, struct report_frame *fr,
			    const char **caller, bool *truncated)
{
	resolves++;
	return fake_resolve(ctx, id, fr, caller, truncated);
}

static void test_retire(void **state)
{
	struct site_store *ss = sites_new(counting_resolve, NULL);
	const struct report_site *rows;
	struct site_totals tot;
	struct raw_site v[] = {
		{ .id = 1, .v = { .bytes = 640, .count = 10, .allocs = 30, .frees = 20 } },
		{ .id = 11, .v = { .allocs = 50, .frees = 50 } }, /* same line, over */
	};
	int n;

	(void)state;
	resolves = 0;
	assert_int_equal(sites_update(ss, v, 2, NULL, 0, 0), 0);
	assert_int_equal(resolves, 2);
	sites_retire(ss, &v[1], 1);
	/* the maps no longer hold raw site 11 */
	assert_int_equal(sites_update(ss, v, 1, NULL, 0, 0), 0);
	n = sites_rank(ss, 5, "alloc", &rows, &tot);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].allocs, 80);
	assert_int_equal(rows[0].frees, 70);
	assert_int_equal(rows[0].bytes, 640);
	assert_int_equal(sites_group_of(ss, 11), 0);
	/* it allocates again: a new raw site, resolved again */
	v[1].v.allocs = 5;
	v[1].v.frees = 0;
	assert_int_equal(sites_update(ss, v, 2, NULL, 0, 0), 0);
	assert_int_equal(resolves, 3);
	n = sites_rank(ss, 5, "alloc", &rows, &tot);
	assert_int_equal(rows[0].allocs, 85);
	sites_free(ss);
}

/* Alloc mode ranks by growth over the window. A site born two samples ago
 * (a leak that starts late in a short run) cannot be fitted yet, but all it
 * holds grew inside the window: it must rank above an older site that grew
 * less. Before the fix it ranked by a growth of 0, under an import site
 * (seen in CI: a 4 s run's leak was not the top site). */
static void test_young_site_ranks_by_growth(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct site_trend_opts o = { .group_by = GROUP_LINE, .history = true, .window_s = 30,
				     .rule = { .min_rate = 1, .min_growth = 1, .max_p = 0.01,
					       .min_points = 8, .min_span_s = 15,
					       .recent_frac = 0.5 } };
	const struct report_site *rows;
	struct site_totals tot;
	struct raw_site v[2] = { { .id = 1 }, { .id = 2 } };
	int n;

	(void)state;
	assert_non_null(ss);
	sites_configure(ss, &o);
	for (int t = 0; t < 6; t++) {
		/* site 1 (line 101): grows by 1000 a second from the start */
		v[0].v.bytes = 10000 + 1000 * t;
		v[0].v.count = v[0].v.allocs = 10 + t;
		/* site 2 (line 102): born at t = 4, already 50 KB */
		v[1].v.bytes = t >= 4 ? 50000 * (t - 3) : 0;
		v[1].v.count = v[1].v.allocs = t >= 4 ? t - 3 : 0;
		assert_int_equal(sites_update(ss, v, 2, NULL, 0, (uint64_t)t * 1000000000ULL), 0);
	}
	n = sites_rank(ss, 5, "alloc", &rows, &tot);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].frames[0].line, 102);
	assert_int_equal(rows[1].frames[0].line, 101);
	sites_free(ss);
}

/* Alloc mode: a steadily growing site is raised only once its trend has
 * held for SITES_ALERT_HOLD of the window, not at the first ranking whose
 * fit says growing (a warm-up that just levelled off fits so for a moment). */
static void test_alert_holds_before_raising(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct site_trend_opts o = { .group_by = GROUP_LINE, .history = true, .window_s = 8,
				     .rule = { .min_rate = 1, .min_growth = 1, .max_p = 0.01,
					       .min_points = 8, .min_span_s = 4,
					       .recent_frac = 0.5 } };
	const struct report_site *rows;
	struct site_totals tot;
	struct raw_site v = { .id = 1 };
	double first_growing = -1, raised = -1;

	(void)state;
	assert_non_null(ss);
	sites_configure(ss, &o);
	for (int i = 1; i <= 100; i++) {
		double t = i * 0.1;

		v.v.bytes = 1000 * i;
		v.v.count = v.v.allocs = i;
		assert_int_equal(sites_update(ss, &v, 1, NULL, 0, (uint64_t)(t * 1e9)), 0);
		assert_int_equal(sites_rank(ss, 5, "alloc", &rows, &tot), 1);
		if (first_growing < 0 && rows[0].trend && !strcmp(rows[0].trend, "growing"))
			first_growing = t;
		if (raised < 0 && rows[0].alert)
			raised = t;
		/* while it waits, it is pending: the process alert holds off */
		if (first_growing > 0 && raised < 0)
			assert_int_equal(sites_pending(ss), 1);
		else
			assert_int_equal(sites_pending(ss), 0);
	}
	assert_true(first_growing > 0);
	assert_true(raised > 0);
	assert_true(raised - first_growing >= SITES_ALERT_HOLD * o.window_s - 0.05);
	assert_true(raised - first_growing <= SITES_ALERT_HOLD * o.window_s + 0.25);
	sites_free(ss);
}

/* The target exits while its alert is active: the final report's update
 * sees its teardown free everything, and without sites_freeze() the fit
 * "resolves" a leak nobody fixed (seen: a resolved transition in the final
 * report of a leaking program's run). Frozen, the alert stays, nothing is
 * sampled, totals still update. */
static void test_freeze_keeps_alerts_at_exit(void **state)
{
	struct site_store *ss = sites_new(fake_resolve, NULL);
	struct site_trend_opts o = { .group_by = GROUP_LINE, .history = true, .window_s = 4,
				     .rule = { .min_rate = 1, .min_growth = 1, .max_p = 0.01,
					       .min_points = 8, .min_span_s = 2,
					       .recent_frac = 0.5 } };
	const struct report_site *rows;
	const struct report_alert *al;
	struct site_totals tot;
	struct raw_site v = { .id = 1 };
	uint32_t active;
	int i;

	(void)state;
	assert_non_null(ss);
	sites_configure(ss, &o);
	for (i = 1; i <= 60; i++) {
		v.v.bytes = 1000 * i;
		v.v.count = v.v.allocs = i;
		assert_int_equal(sites_update(ss, &v, 1, NULL, 0, (uint64_t)i * 100000000ULL), 0);
		assert_int_equal(sites_rank(ss, 5, "alloc", &rows, &tot), 1);
	}
	assert_true(rows[0].alert);
	sites_freeze(ss);
	for (int k = 1; k <= 40; k++, i++) {
		v.v.bytes = 0; /* the teardown freed it all */
		v.v.count = 0;
		v.v.frees = v.v.allocs;
		assert_int_equal(sites_update(ss, &v, 1, NULL, 0, (uint64_t)i * 100000000ULL), 0);
		sites_rank(ss, 5, "alloc", &rows, &tot);
		assert_int_equal(sites_alerts(ss, &al, &active), 0);
		assert_int_equal(active, 1);
	}
	assert_int_equal(tot.bytes, 0); /* totals follow */
	sites_free(ss);
}

/* Two-frame stacks for --group-by head: raw id k allocates at lib.py line
 * 10 + k (a library's innermost frame), called from app.py line 50 + k / 10. */
static int lib_resolve(void *ctx, uint64_t id, struct report_frame *fr, const char **caller,
		       bool *truncated)
{
	(void)ctx;
	fr[0] = (struct report_frame){ "/usr/lib/python3.11/lib.py", "inner", 10 + (int)id };
	fr[1] = (struct report_frame){ "/srv/app.py", "handle", 50 + (int)(id / 10) };
	*caller = NULL;
	*truncated = false;
	return 2;
}

/* the head is the outer frame whenever the inner one is library code */
static int outer_head(void *ctx, const struct report_frame *fr, int n)
{
	(void)ctx;
	return n > 1 && !strncmp(fr[0].file, "/usr/lib/", 9) ? 1 : 0;
}

/* --group-by head: stacks that differ below one application line are one
 * row, keyed and labelled by that line, with the id the incident gets
 * (site_id_of() of the head frame alone). */
static void test_group_by_head(void **state)
{
	struct site_store *ss = sites_new(lib_resolve, NULL);
	struct site_trend_opts o = { .group_by = GROUP_HEAD, .head = outer_head };
	const struct report_site *rows;
	struct site_totals tot;
	struct raw_site v[] = {
		{ .id = 1, .v = { .bytes = 100, .count = 1, .allocs = 1 } },
		{ .id = 2, .v = { .bytes = 200, .count = 2, .allocs = 2 } },
		{ .id = 11, .v = { .bytes = 50, .count = 1, .allocs = 1 } },
	};
	struct report_frame head = { "/srv/app.py", "handle", 50 };
	int n;

	(void)state;
	assert_non_null(ss);
	sites_configure(ss, &o);
	assert_string_equal(sites_group_by_name(GROUP_HEAD), "head");
	assert_int_equal(sites_update(ss, v, 3, NULL, 0, 0), 0);
	n = sites_rank(ss, 5, "alloc", &rows, &tot);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].bytes, 300);
	assert_int_equal(rows[0].nframes, 1);
	assert_string_equal(rows[0].frames[0].file, "/srv/app.py");
	assert_int_equal(rows[0].frames[0].line, 50);
	assert_id(rows[0].id, site_id_of(&head, 1));
	assert_int_equal(rows[1].frames[0].line, 51);
	sites_free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retire),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_leak_with_temporaries),
		cmocka_unit_test(test_churn_survivors_die_later),
		cmocka_unit_test(test_cache_plateau),
		cmocka_unit_test(test_survivor_verdicts),
		cmocka_unit_test(test_survivor_slots),
		cmocka_unit_test(test_rate_from_process_growth),
		cmocka_unit_test(test_zero_frames),
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_line_matters),
		cmocka_unit_test(test_file_and_func_matter),
		cmocka_unit_test(test_order_and_depth_matter),
		cmocka_unit_test(test_no_collisions_nearby),
		cmocka_unit_test(test_rank_empty_store),
		cmocka_unit_test(test_young_site_ranks_by_growth),
		cmocka_unit_test(test_alert_holds_before_raising),
		cmocka_unit_test(test_freeze_keeps_alerts_at_exit),
		cmocka_unit_test(test_group_by_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
