/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_trend.c: unit tests for the trend statistics (user/judge/trend.c) on
 * synthetic memory series: exact Mann-Kendall and Theil-Sen numbers on tiny
 * hand-checked series, then the shapes that must not look like a leak
 * (steps, sawtooths, noise, plateaus, spikes) and the ones that must (linear
 * growth, a slow leak under heavy noise), the alert hysteresis, and the
 * history ring. Noise comes from a fixed-seed LCG, so every run sees the
 * same numbers.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "trend.h"

#define MiB (1024.0 * 1024.0)
#define KiB 1024.0
#define N 121 /* 10 minutes sampled every 5 s */

/* The profiler's kind of rule for bytes over a 10 minute window. */
static const struct trend_rule rule = {
	.min_rate = 64 * KiB / 60, /* 64 KiB/min */
	.min_growth = 4 * MiB,
	.max_p = 0.01,
	.min_points = 8,
	.min_span_s = 300,
	.recent_frac = 0.5,
};

static uint32_t seed;

/* noise() - uniform in [-amp/2, amp/2), from a fixed-seed LCG. */
static double noise(double amp)
{
	seed = seed * 1664525u + 1013904223u;
	return ((seed >> 8) / (double)(1u << 24) - 0.5) * amp;
}

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.9g, want %.9g +- %.3g", got, want, tol);
}

/* fit_ok() - trend_fit() that must succeed. */
static void fit_ok(const double *t, const double *v, int n, struct trend_fit *f)
{
	assert_int_equal(trend_fit(t, v, n, f), 0);
	assert_int_equal(f->n, n);
}

/* lsq_slope() - ordinary least squares, to show what Theil-Sen is spared. */
static double lsq_slope(const double *t, const double *v, int n)
{
	double mt = 0, mv = 0, sxy = 0, sxx = 0;

	for (int i = 0; i < n; i++) {
		mt += t[i] / n;
		mv += v[i] / n;
	}
	for (int i = 0; i < n; i++) {
		sxy += (t[i] - mt) * (v[i] - mv);
		sxx += (t[i] - mt) * (t[i] - mt);
	}
	return sxy / sxx;
}

/* ---- exact numbers ---- */

/* 1 2 3 5 4: nine rising pairs, one falling. */
static void test_mann_kendall_exact(void **state)
{
	double t[] = { 0, 1, 2, 3, 4 }, v[] = { 1, 2, 3, 5, 4 };
	struct trend_fit f;

	fit_ok(t, v, 5, &f);
	assert_int_equal(f.s, 8);
	assert_close(f.var_s, 5 * 4 * 15 / 18.0, 1e-12); /* 16.667, no ties */
	assert_close(f.z, 7 / sqrt(300 / 18.0), 1e-12);	 /* continuity: S - 1 */
	assert_close(f.z, 1.7146428199, 1e-9);
	assert_close(f.p_up, 0.0432053665, 1e-9);
	assert_close(f.p_up + f.p_down, 1, 1e-12);
	assert_close(f.tau, 0.8, 1e-12);
	/* pairwise slopes -1 .5 .67 .75 1 1 1 1.33 1.5 2: median 1 */
	assert_close(f.slope, 1, 1e-12);
	assert_close(f.intercept, 1, 1e-12); /* median of 1 1 1 2 0 */
	assert_close(f.growth, 4, 1e-12);
	assert_close(f.span_s, 4, 0);
	assert_close(f.first, 1, 0);
	assert_close(f.last, 4, 0);
	/* thirds {1,2} {3} {5,4}: low medians 1 3 4; slower rise 1 per 4/3 s */
	assert_close(f.level[0], 1, 0);
	assert_close(f.level[1], 3, 0);
	assert_close(f.level[2], 4, 0);
	assert_close(f.recent_slope, 0.75, 1e-12);
}

/* 1 2 2 3 3 3: tie groups of 2 and 3 shrink the variance. */
static void test_mann_kendall_ties(void **state)
{
	double t[] = { 0, 1, 2, 3, 4, 5 }, v[] = { 1, 2, 2, 3, 3, 3 };
	struct trend_fit f;

	fit_ok(t, v, 6, &f);
	assert_int_equal(f.s, 11);
	/* (6*5*17 - 2*1*9 - 3*2*11) / 18 = 426 / 18 */
	assert_close(f.var_s, 426 / 18.0, 1e-12);
	assert_close(f.z, 10 / sqrt(426 / 18.0), 1e-12);
	assert_close(f.p_up, 0.0199121777, 1e-9);
	assert_close(f.tau, 11 / 15.0, 1e-12);
}

/* 0 1 2 10: one wild point; slopes 1 1 1 3.33 4.5 8, median 13/6. */
static void test_theil_sen_exact(void **state)
{
	double t[] = { 1000, 1001, 1002, 1003 }, v[] = { 0, 1, 2, 10 };
	struct trend_fit f;

	fit_ok(t, v, 4, &f);
	assert_close(f.slope, 13 / 6.0, 1e-12);
	/* residuals at t - t[0]: 0 -7/6 -7/3 7/2: median -7/12, at t[0] */
	assert_close(f.intercept, -7 / 12.0, 1e-12);
	assert_close(f.growth, 13 / 2.0, 1e-12);
}

static void test_fit_rejects(void **state)
{
	double t[TREND_FIT_MAX + 1], v[TREND_FIT_MAX + 1];
	struct trend_fit f;

	for (int i = 0; i <= TREND_FIT_MAX; i++) {
		t[i] = i;
		v[i] = i;
	}
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(trend_fit(t, v, 2, &f), -EINVAL);
	assert_int_equal(f.n, 0x5a5a5a5a); /* untouched on error */
	assert_int_equal(trend_fit(t, v, TREND_FIT_MAX + 1, &f), -E2BIG);
	assert_int_equal(trend_fit(t, v, TREND_FIT_MAX, &f), 0);
	t[5] = t[4]; /* times must strictly increase */
	assert_int_equal(trend_fit(t, v, 10, &f), -EINVAL);
	t[5] = 3;
	assert_int_equal(trend_fit(t, v, 10, &f), -EINVAL);
	t[5] = 5;
	v[7] = NAN;
	assert_int_equal(trend_fit(t, v, 10, &f), -EINVAL);
	v[7] = 7;
	t[9] = INFINITY;
	assert_int_equal(trend_fit(t, v, 10, &f), -EINVAL);
}

/* A constant series: all ties, Var(S) = 0; nothing divides by it. */
static void test_constant_series(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 100 * MiB;
	}
	fit_ok(t, v, N, &f);
	assert_int_equal(f.s, 0);
	assert_close(f.var_s, 0, 0);
	assert_close(f.z, 0, 0);
	assert_close(f.p_up, 0.5, 0);
	assert_close(f.p_down, 0.5, 0);
	assert_close(f.tau, 0, 0);
	assert_close(f.slope, 0, 0);
	assert_close(f.recent_slope, 0, 0);
	assert_close(f.intercept, 100 * MiB, 0);
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	assert_false(trend_still_growing(&f, &rule));
}

/* ---- what must look like growth ---- */

/* 1 MiB/min for 10 minutes, sampled every 5 s, +-16 KiB of noise. */
static void test_linear_growth(void **state)
{
	double t[N], v[N], rate = MiB / 60;
	struct trend_fit f;

	seed = 1;
	for (int i = 0; i < N; i++) {
		t[i] = 5000 + i * 5.0; /* any clock origin */
		v[i] = 300 * MiB + rate * (t[i] - t[0]) + noise(32 * KiB);
	}
	fit_ok(t, v, N, &f);
	assert_close(f.slope, rate, 0.02 * rate);
	assert_close(f.growth, 10 * MiB, 0.02 * 10 * MiB);
	assert_close(f.intercept, 300 * MiB, 64 * KiB);
	assert_true(f.p_up < 1e-6);
	assert_true(f.tau > 0.9);
	assert_close(f.recent_slope, rate, 0.1 * rate);
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
	assert_true(trend_still_growing(&f, &rule));
	assert_true(trend_alert(false, &f, &rule));
}

/*
 * 16 MiB over the window under +-8 MiB of noise: the leak is no bigger than
 * the noise band, yet 121 points make it significant and Theil-Sen finds it.
 */
static void test_slow_leak_big_noise(void **state)
{
	double t[N], v[N], rate = 16 * MiB / 600;
	struct trend_fit f;

	seed = 7;
	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 200 * MiB + rate * t[i] + noise(16 * MiB);
	}
	fit_ok(t, v, N, &f);
	assert_close(f.slope, rate, 0.25 * rate);
	assert_true(f.p_up < 1e-4);
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
}

/*
 * Four +512 MiB spikes (a big request in flight) near the end of a 1 MiB/min
 * leak: least squares more than doubles the slope, Theil-Sen moves < 2%.
 */
static void test_spikes(void **state)
{
	double t[N], v[N], rate = MiB / 60;
	struct trend_fit f;

	seed = 3;
	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 100 * MiB + rate * t[i] + noise(32 * KiB);
	}
	for (int i = 95; i <= 110; i += 5)
		v[i] += 512 * MiB;
	fit_ok(t, v, N, &f);
	assert_close(f.slope, rate, 0.02 * rate);
	assert_true(lsq_slope(t, v, N) > 2 * rate);
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);

	/* the same spikes on a flat series do not make it grow */
	for (int i = 0; i < N; i++)
		v[i] = 100 * MiB + noise(32 * KiB) + (i >= 95 && i <= 110 && i % 5 == 0) * 512 * MiB;
	fit_ok(t, v, N, &f);
	assert_true(lsq_slope(t, v, N) > rate);
	assert_true(fabs(f.slope) < rule.min_rate);
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
}

static void test_shrinking(void **state)
{
	double t[N], v[N], rate = MiB / 60;
	struct trend_fit f;

	seed = 5;
	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 300 * MiB - rate * t[i] + noise(64 * KiB);
	}
	fit_ok(t, v, N, &f);
	assert_close(f.slope, -rate, 0.02 * rate);
	assert_true(f.p_down < 1e-6);
	assert_true(f.p_up > 0.99);
	assert_true(f.tau < -0.9);
	assert_int_equal(trend_judge(&f, &rule), TREND_SHRINKING);
	assert_false(trend_alert(true, &f, &rule)); /* an alert clears */
}

/* ---- what must not ---- */

/*
 * Flat, +50 MiB at the middle, flat: FLAT. The whole series passes every
 * test but one (significant, fast, 50 MiB of fitted growth), but the level
 * did not rise again after the step: recent_slope ~ 0 < recent_frac * slope.
 * Then a step at every position in the window, under noise: never GROWING.
 */
static void test_single_step(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	seed = 11;
	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 100 * MiB + (i >= N / 2) * 50 * MiB + noise(512 * KiB);
	}
	fit_ok(t, v, N, &f);
	assert_true(f.p_up < 1e-6);
	assert_true(f.slope >= rule.min_rate && f.growth >= rule.min_growth);
	assert_close(f.level[0], 100 * MiB, 512 * KiB);
	assert_close(f.level[2], 150 * MiB, 512 * KiB);
	assert_true(f.recent_slope < rule.recent_frac * f.slope);
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	assert_false(trend_still_growing(&f, &rule));

	for (int s = 1; s <= 5; s++)
		for (int at = 3; at < N - 3; at++) {
			seed = s;
			for (int i = 0; i < N; i++)
				v[i] = 100 * MiB + (i >= at) * 50 * MiB + noise(MiB);
			fit_ok(t, v, N, &f);
			if (trend_judge(&f, &rule) == TREND_GROWING)
				fail_msg("step at %d (seed %d) judged growing", at, s);
		}
}

/* A cache that fills 0 -> 20 MiB over 60 s and is cleared, at any phase and
 * with sampling in or out of step with it. */
static void test_sawtooth(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	for (int dt = 5; dt <= 7; dt += 2)
		for (int off = 0; off < 60; off += 5) {
			int n = 0;

			for (double x = 0; x <= 600 && n < N; x += dt, n++) {
				t[n] = x;
				v[n] = 100 * MiB + 20 * MiB * fmod(x + off, 60) / 60;
			}
			fit_ok(t, v, n, &f);
			if (trend_judge(&f, &rule) != TREND_FLAT)
				fail_msg("sawtooth dt %d offset %d: %s", dt, off,
					 trend_verdict_name(trend_judge(&f, &rule)));
		}
}

/* +-50 MiB of noise around 200 MiB, no trend, twenty seeds. */
static void test_noise_only(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	for (int s = 1; s <= 20; s++) {
		seed = s;
		for (int i = 0; i < N; i++) {
			t[i] = i * 5.0;
			v[i] = 200 * MiB + noise(100 * MiB);
		}
		fit_ok(t, v, N, &f);
		if (trend_judge(&f, &rule) != TREND_FLAT)
			fail_msg("noise seed %d: %s", s, trend_verdict_name(trend_judge(&f, &rule)));
		assert_true(f.p_up > 0.01 && f.p_down > 0.01);
	}
}

/* Warm-up: +100 MiB over the first 20% of the window, then flat. */
static void test_plateau(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	seed = 13;
	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = 100 * MiB + fmin(t[i] / 120, 1) * 100 * MiB + noise(2 * MiB);
	}
	fit_ok(t, v, N, &f);
	assert_true(f.p_up < 1e-6); /* the whole series does rise */
	/* but not from the middle third to the last */
	assert_close(f.level[2], f.level[1], 2 * MiB);
	assert_true(f.recent_slope < rule.recent_frac * f.slope);
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
}

/* ---- the rule itself ---- */

static void test_unknown(void **state)
{
	double t[N], v[N];
	struct trend_fit f;

	for (int i = 0; i < N; i++) {
		t[i] = i * 5.0;
		v[i] = i * MiB;
	}
	fit_ok(t, v, 7, &f); /* fewer than min_points */
	assert_int_equal(trend_judge(&f, &rule), TREND_UNKNOWN);
	assert_false(trend_still_growing(&f, &rule));
	for (int i = 0; i < N; i++)
		t[i] = i * 0.8; /* 96 s < min_span_s */
	fit_ok(t, v, N, &f);
	assert_int_equal(trend_judge(&f, &rule), TREND_UNKNOWN);
	for (int i = 0; i < N; i++)
		t[i] = i * 2.5; /* 300 s: just enough */
	fit_ok(t, v, N, &f);
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
}

/* A clean linear fit with every GROWING condition at 2x its threshold. */
static struct trend_fit strong(void)
{
	struct trend_fit f = {
		.n = 100,
		.span_s = 600,
		.slope = 2 * rule.min_rate,
		.growth = 2 * rule.min_growth,
		.recent_slope = 2 * rule.min_rate,
		.p_up = rule.max_p / 10,
		.p_down = 1 - rule.max_p / 10,
	};
	return f;
}

/* Each GROWING condition alone can veto, at its exact boundary. */
static void test_judge_boundaries(void **state)
{
	struct trend_fit f = strong();

	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
	f.p_up = rule.max_p;
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	f = strong();
	f.slope = rule.min_rate;
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
	f.slope = 0.999 * rule.min_rate;
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	f = strong();
	f.growth = 0.999 * rule.min_growth;
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	/* sustained: half the overall slope, here 2 * min_rate */
	f = strong();
	f.recent_slope = rule.min_rate;
	assert_int_equal(trend_judge(&f, &rule), TREND_GROWING);
	f.recent_slope = 0.999 * rule.min_rate;
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	f = strong();
	f.n = rule.min_points - 1;
	assert_int_equal(trend_judge(&f, &rule), TREND_UNKNOWN);
	f = strong();
	f.span_s = rule.min_span_s - 1;
	assert_int_equal(trend_judge(&f, &rule), TREND_UNKNOWN);
	/* mirror image */
	f = strong();
	f.slope = -f.slope;
	f.growth = -f.growth;
	f.recent_slope = -f.recent_slope;
	f.p_down = f.p_up;
	f.p_up = 1 - f.p_down;
	assert_int_equal(trend_judge(&f, &rule), TREND_SHRINKING);
	f.growth = -0.999 * rule.min_growth;
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
}

/* Hysteresis: an alert raised at full strength survives at half of it. */
static void test_hysteresis(void **state)
{
	struct trend_fit f = strong();

	f.slope = 0.6 * rule.min_rate; /* below the raise threshold */
	f.recent_slope = 0.5 * f.slope;
	f.growth = 0.6 * rule.min_growth;
	f.p_up = 0.05; /* between max_p and sqrt(max_p) */
	assert_int_equal(trend_judge(&f, &rule), TREND_FLAT);
	assert_false(trend_alert(false, &f, &rule)); /* would not raise */
	assert_true(trend_still_growing(&f, &rule));
	assert_true(trend_alert(true, &f, &rule)); /* but keeps a raised alert */

	f.p_up = 0.11; /* above sqrt(0.01) */
	assert_false(trend_alert(true, &f, &rule));
	f.p_up = 0.05;
	f.slope = 0.49 * rule.min_rate;
	assert_false(trend_still_growing(&f, &rule));
	f.slope = 0.6 * rule.min_rate;
	f.growth = 0.49 * rule.min_growth;
	assert_false(trend_still_growing(&f, &rule));
	f.growth = 0.6 * rule.min_growth;
	f.recent_slope = 0.24 * f.slope; /* below recent_frac / 2 of the slope */
	assert_false(trend_still_growing(&f, &rule));
	f.recent_slope = 0.5 * f.slope;
	f.n = rule.min_points - 1; /* data minimums are not relaxed */
	assert_false(trend_still_growing(&f, &rule));
}

static void test_verdict_names(void **state)
{
	assert_string_equal(trend_verdict_name(TREND_UNKNOWN), "unknown");
	assert_string_equal(trend_verdict_name(TREND_FLAT), "flat");
	assert_string_equal(trend_verdict_name(TREND_GROWING), "growing");
	assert_string_equal(trend_verdict_name(TREND_SHRINKING), "shrinking");
	assert_string_equal(trend_verdict_name((enum trend_verdict)42), "unknown");
}

/* ---- the ring ---- */

static void ring_times(const struct trend_ring *r, double *t)
{
	for (uint32_t i = 0; i < trend_ring_count(r); i++)
		assert_int_equal(trend_ring_get(r, i, &t[i], NULL), 0);
}

/* Samples every second, min_spacing 6 s: the newest slot is provisional. */
static void test_ring_spacing(void **state)
{
	struct trend_ring r;
	double t[8], v;

	trend_ring_init(&r, 6);
	assert_int_equal(trend_ring_last(&r, NULL, NULL), -ENOENT);
	for (int s = 0; s <= 20; s++)
		trend_ring_push(&r, s, s * 10);
	assert_int_equal(trend_ring_count(&r), 5);
	ring_times(&r, t);
	assert_close(t[0], 0, 0);
	assert_close(t[1], 6, 0);
	assert_close(t[2], 12, 0);
	assert_close(t[3], 18, 0);
	assert_close(t[4], 20, 0); /* provisional, holds the newest sample */
	assert_int_equal(trend_ring_last(&r, &t[0], &v), 0);
	assert_close(t[0], 20, 0);
	assert_close(v, 200, 0);
	assert_int_equal(trend_ring_get(&r, 5, NULL, NULL), -ENOENT);
}

static void test_ring_order_and_bad_samples(void **state)
{
	struct trend_ring r;
	double t, v;

	trend_ring_init(&r, 0);
	trend_ring_push(&r, 10, 1);
	trend_ring_push(&r, 20, 2);
	trend_ring_push(&r, 15, 99); /* out of order: ignored */
	trend_ring_push(&r, NAN, 99);
	trend_ring_push(&r, 30, INFINITY);
	assert_int_equal(trend_ring_count(&r), 2);
	trend_ring_push(&r, 20, 3); /* same instant: newer reading */
	assert_int_equal(trend_ring_count(&r), 2);
	assert_int_equal(trend_ring_last(&r, &t, &v), 0);
	assert_close(t, 20, 0);
	assert_close(v, 3, 0);
	assert_int_equal(trend_ring_get(&r, 0, &t, &v), 0);
	assert_close(t, 10, 0);
	assert_close(v, 1, 0);
}

/* Wrap-around keeps the newest TREND_RING_CAP samples, oldest first. */
static void test_ring_wrap_and_since(void **state)
{
	struct trend_ring r;
	double t[TREND_RING_CAP], v[TREND_RING_CAP];
	int n;

	trend_ring_init(&r, 0);
	for (int i = 0; i < 1000; i++)
		trend_ring_push(&r, i, 2.0 * i);
	assert_int_equal(trend_ring_count(&r), TREND_RING_CAP);
	n = trend_ring_since(&r, -1, t, v, TREND_RING_CAP);
	assert_int_equal(n, TREND_RING_CAP);
	for (int i = 0; i < n; i++) {
		assert_close(t[i], 1000 - TREND_RING_CAP + i, 0);
		assert_close(v[i], 2 * t[i], 0);
	}
	n = trend_ring_since(&r, 990, t, v, TREND_RING_CAP);
	assert_int_equal(n, 10);
	assert_close(t[0], 990, 0);
	assert_close(t[9], 999, 0);
	n = trend_ring_since(&r, 989.5, t, v, 4); /* more match: the newest 4 */
	assert_int_equal(n, 4);
	assert_close(t[0], 996, 0);
	assert_close(t[3], 999, 0);
	assert_int_equal(trend_ring_since(&r, 1000, t, v, TREND_RING_CAP), 0);
	assert_int_equal(trend_ring_since(&r, 0, t, v, 0), 0);
}

/*
 * An hour of 1 Hz samples with the spacing for a 600 s window: the ring never
 * holds more than its capacity yet the window stays covered, and the leak in
 * it is found.
 */
static void test_ring_covers_window(void **state)
{
	struct trend_ring r;
	struct trend_fit f;
	double t[TREND_RING_CAP], v[TREND_RING_CAP], sp = trend_spacing_for(600);
	int n;

	trend_ring_init(&r, sp);
	seed = 17;
	for (int s = 0; s < 3600; s++)
		trend_ring_push(&r, 1e6 + s, 50 * MiB + s * (MiB / 60) + noise(64 * KiB));
	assert_true(trend_ring_count(&r) <= TREND_RING_CAP);
	n = trend_ring_since(&r, -INFINITY, t, v, TREND_RING_CAP);
	assert_true(t[n - 1] - t[0] >= 1.3 * 600);
	assert_close(t[n - 1], 1e6 + 3599, 0);
	for (int i = 1; i < n - 1; i++)
		assert_true(t[i] - t[i - 1] >= sp);
	assert_int_equal(trend_ring_assess(&r, t[n - 1] - 600, &rule, &f), TREND_GROWING);
	/* kept gaps are 7 s here: min_spacing rounded up to the sampling period */
	assert_in_range(f.n, 600 / 7, 600 / 7 + 2);
	assert_close(f.slope, MiB / 60, 0.02 * MiB / 60);

	/* too little of it: UNKNOWN, with the count */
	assert_int_equal(trend_ring_assess(&r, t[n - 2], &rule, &f), TREND_UNKNOWN);
	assert_int_equal(f.n, 2);
	assert_close(f.slope, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mann_kendall_exact),
		cmocka_unit_test(test_mann_kendall_ties),
		cmocka_unit_test(test_theil_sen_exact),
		cmocka_unit_test(test_fit_rejects),
		cmocka_unit_test(test_constant_series),
		cmocka_unit_test(test_linear_growth),
		cmocka_unit_test(test_slow_leak_big_noise),
		cmocka_unit_test(test_spikes),
		cmocka_unit_test(test_shrinking),
		cmocka_unit_test(test_single_step),
		cmocka_unit_test(test_sawtooth),
		cmocka_unit_test(test_noise_only),
		cmocka_unit_test(test_plateau),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_judge_boundaries),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_ring_spacing),
		cmocka_unit_test(test_ring_order_and_bad_samples),
		cmocka_unit_test(test_ring_wrap_and_since),
		cmocka_unit_test(test_ring_covers_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
