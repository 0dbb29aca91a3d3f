// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trend.c: see trend.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "trend.h"

#ifndef M_SQRT2
#define M_SQRT2 1.41421356237309504880
#endif

#define FIT_PAIRS (TREND_FIT_MAX * (TREND_FIT_MAX - 1) / 2)

/* ---- ring ---- */

void trend_ring_init(struct trend_ring *r, double min_spacing_s)
{
	memset(r, 0, sizeof(*r));
	r->min_spacing = min_spacing_s > 0 ? min_spacing_s : 0;
}

static inline uint32_t slot(const struct trend_ring *r, uint32_t i)
{
	return (r->head + i) % TREND_RING_CAP;
}

void trend_ring_push(struct trend_ring *r, double t, double v)
{
	uint32_t newest;

	if (!isfinite(t) || !isfinite(v))
		return;
	if (r->n == 0) {
		r->head = 0;
		r->t[0] = t;
		r->v[0] = v;
		r->n = 1;
		return;
	}
	newest = slot(r, r->n - 1);
	if (t < r->t[newest])
		return; /* out of order */
	if (t == r->t[newest]) {
		r->v[newest] = v; /* same instant, newer reading */
		return;
	}
	/* the newest slot is provisional until min_spacing past its predecessor */
	if (r->n >= 2 && r->t[newest] - r->t[slot(r, r->n - 2)] < r->min_spacing) {
		r->t[newest] = t;
		r->v[newest] = v;
		return;
	}
	if (r->n == TREND_RING_CAP) {
		r->head = (r->head + 1) % TREND_RING_CAP; /* oldest falls off */
		r->n--;
	}
	newest = slot(r, r->n);
	r->t[newest] = t;
	r->v[newest] = v;
	r->n++;
}

int trend_ring_get(const struct trend_ring *r, uint32_t i, double *t, double *v)
{
	if (i >= r->n)
		return -ENOENT;
	if (t)
		*t = r->t[slot(r, i)];
	if (v)
		*v = r->v[slot(r, i)];
	return 0;
}

int trend_ring_last(const struct trend_ring *r, double *t, double *v)
{
	if (!r->n)
		return -ENOENT;
	return trend_ring_get(r, r->n - 1, t, v);
}

int trend_ring_since(const struct trend_ring *r, double since, double *t, double *v, int max)
{
	uint32_t first = r->n, i;
	int k = 0;

	if (max <= 0)
		return 0;
	/* times increase, so the matches are a suffix; find where it starts */
	while (first > 0 && r->t[slot(r, first - 1)] >= since)
		first--;
	if (r->n - first > (uint32_t)max)
		first = r->n - (uint32_t)max;
	for (i = first; i < r->n; i++, k++) {
		t[k] = r->t[slot(r, i)];
		v[k] = r->v[slot(r, i)];
	}
	return k;
}

/* ---- robust statistics ---- */

static inline void swapd(double *a, int i, int j)
{
	double x = a[i];

	a[i] = a[j];
	a[j] = x;
}

/*
 * kth() - the k-th smallest of a[0..n) (Hoare's FIND with a median-of-three
 * pivot), reordering a so that a[0..k) <= a[k] <= a[k+1..n). Expected O(n);
 * runs of equal values (constant series) partition evenly.
 */
static double kth(double *a, int n, int k)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double x;

		if (a[mid] < a[lo])
			swapd(a, mid, lo);
		if (a[hi] < a[lo])
			swapd(a, hi, lo);
		if (a[hi] < a[mid])
			swapd(a, hi, mid);
		x = a[mid];
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j)
				swapd(a, i++, j--);
		} while (i <= j);
		if (j < k)
			lo = i;
		if (k < i)
			hi = j;
	}
	return a[k];
}

/* median() - of a[0..n), n >= 1; reorders a. Even n: mean of the middle two. */
static double median(double *a, int n)
{
	int k = n / 2;
	double hi = kth(a, n, k), lo;

	if (n & 1)
		return hi;
	lo = a[0]; /* after kth(), the lower middle is the largest of a[0..k) */
	for (int i = 1; i < k; i++)
		if (a[i] > lo)
			lo = a[i];
	return lo + (hi - lo) / 2;
}

/*
 * thirds() - lvl[k] = low median (the lower middle value for an even count,
 * so always one of the samples, never a mean across a step) of the values in
 * the k-th third of the time span. If a third holds no sample (very uneven
 * sampling), thirds by index instead; n >= 3 keeps each non-empty.
 */
static void thirds(const double *t, const double *v, int n, double span, double *lvl, double *buf)
{
	int b[4] = { 0, 0, 0, n };

	for (int k = 1, i = 0; k < 3; k++) {
		while (i < n && t[i] < t[0] + k * span / 3)
			i++;
		b[k] = i;
	}
	if (b[1] == b[0] || b[2] == b[1] || b[3] == b[2]) {
		b[1] = n / 3;
		b[2] = 2 * n / 3;
	}
	for (int k = 0; k < 3; k++) {
		int m = b[k + 1] - b[k];

		memcpy(buf, v + b[k], m * sizeof(*v));
		lvl[k] = kth(buf, m, (m - 1) / 2);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* mk_var() - Var(S) under no trend: (n(n-1)(2n+5) - sum over groups of tied
 * values of g(g-1)(2g+5)) / 18. */
static double mk_var(const double *v, int n, double *buf)
{
	double var = (double)n * (n - 1) * (2 * n + 5);

	memcpy(buf, v, n * sizeof(*v));
	array_sort(buf, n, sizeof(*buf), cmp_double);
	for (int i = 0; i < n;) {
		int g = 1;

		while (i + g < n && buf[i + g] == buf[i])
			g++;
		if (g > 1)
			var -= (double)g * (g - 1) * (2 * g + 5);
		i += g;
	}
	return var > 0 ? var / 18 : 0;
}

int trend_fit(const double *t, const double *v, int n, struct trend_fit *out)
{
	double buf[FIT_PAIRS]; /* 64 KiB: see trend.h */
	struct trend_fit f = { .n = n };
	int m = 0;
	long s = 0;

	if (n < 3)
		return -EINVAL;
	if (n > TREND_FIT_MAX)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		if (!isfinite(t[i]) || !isfinite(v[i]) || (i && !(t[i] > t[i - 1])))
			return -EINVAL;

	/* one pass over the pairs: slopes for Theil-Sen, signs for Mann-Kendall */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			double d = v[j] - v[i];

			buf[m++] = d / (t[j] - t[i]);
			s += (d > 0) - (d < 0);
		}
	f.slope = median(buf, m);

	f.span_s = t[n - 1] - t[0];
	f.first = v[0];
	f.last = v[n - 1];
	f.growth = f.slope * f.span_s;
	for (int i = 0; i < n; i++)
		buf[i] = v[i] - f.slope * (t[i] - t[0]);
	f.intercept = median(buf, n);

	/* sustained: the level rose into the middle third and again into the last */
	thirds(t, v, n, f.span_s, f.level, buf);
	f.recent_slope = fmin(f.level[1] - f.level[0], f.level[2] - f.level[1]) / (f.span_s / 3);

	f.s = s;
	f.var_s = mk_var(v, n, buf);
	if (s && f.var_s > 0)
		f.z = (s > 0 ? s - 1 : s + 1) / sqrt(f.var_s);
	f.p_up = 0.5 * erfc(f.z / M_SQRT2);
	f.p_down = 0.5 * erfc(-f.z / M_SQRT2);
	f.tau = s / (n * (n - 1) / 2.0);
	*out = f;
	return 0;
}

/* ---- verdicts ---- */

static bool enough(const struct trend_fit *f, const struct trend_rule *r)
{
	return f->n >= 3 && f->n >= r->min_points && f->span_s >= r->min_span_s;
}

/* growing_at() - the GROWING conditions with thresholds scaled by k (1 or 1/2)
 * and p-value bound max_p. */
static bool growing_at(const struct trend_fit *f, const struct trend_rule *r, double k,
		       double max_p)
{
	return f->p_up < max_p && f->slope > 0 && f->slope >= k * r->min_rate && f->growth > 0 &&
	       f->growth >= k * r->min_growth &&
	       f->recent_slope >= k * r->recent_frac * fmax(f->slope, k * r->min_rate);
}

enum trend_verdict trend_judge(const struct trend_fit *f, const struct trend_rule *r)
{
	if (!enough(f, r))
		return TREND_UNKNOWN;
	if (growing_at(f, r, 1, r->max_p))
		return TREND_GROWING;
	if (f->p_down < r->max_p && f->slope < 0 && f->slope <= -r->min_rate &&
	    f->growth <= -r->min_growth)
		return TREND_SHRINKING;
	return TREND_FLAT;
}

bool trend_still_growing(const struct trend_fit *f, const struct trend_rule *r)
{
	double p = r->max_p > 0 ? fmax(r->max_p, sqrt(r->max_p)) : 0;

	return enough(f, r) && growing_at(f, r, 0.5, p);
}

bool trend_alert(bool alerting, const struct trend_fit *f, const struct trend_rule *r)
{
	return alerting ? trend_still_growing(f, r) : trend_judge(f, r) == TREND_GROWING;
}

enum trend_verdict trend_ring_assess(const struct trend_ring *ring, double since,
				     const struct trend_rule *r, struct trend_fit *f)
{
	double t[TREND_RING_CAP], v[TREND_RING_CAP];
	int n = trend_ring_since(ring, since, t, v, TREND_RING_CAP);

	if (trend_fit(t, v, n, f) < 0) {
		memset(f, 0, sizeof(*f));
		f->n = n;
		return TREND_UNKNOWN;
	}
	return trend_judge(f, r);
}

const char *trend_verdict_name(enum trend_verdict v)
{
	switch (v) {
	case TREND_FLAT:
		return "flat";
	case TREND_GROWING:
		return "growing";
	case TREND_SHRINKING:
		return "shrinking";
	case TREND_UNKNOWN:
		break;
	}
	return "unknown";
}
