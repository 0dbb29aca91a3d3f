/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trend.h: is a memory time series growing, for real and for a while? Each
 * series (a process's anonymous memory, a type's object count, a site's live
 * bytes) keeps a bounded history ring of (time, value) samples; trend_fit()
 * summarises a stretch of it and trend_judge() turns the summary into
 * UNKNOWN / FLAT / GROWING / SHRINKING.
 *
 * Why these statistics. Memory series are not a line plus Gaussian noise:
 * they have spikes (a big request, a GC pause), sawtooths (a cache that fills
 * and is cleared, periodic batches), steps (a pool grows once) and plateaus
 * (warm-up, then flat). Least squares and "last minus first" are both fooled
 * by one spike at the right end. So:
 *
 *  - Theil-Sen slope: the median of all pairwise slopes. Up to ~29% of the
 *    points can be arbitrarily wrong without moving it much; it needs no
 *    even spacing and has no tuning knob. O(n^2) pairs, fine for n <= 128.
 *  - Mann-Kendall test: is v increasing with t more often than chance would
 *    give? It uses only the signs of pairwise differences, so it is immune to
 *    the size of spikes, and gives a p-value (normal approximation with tie
 *    correction and continuity correction, good from n ~ 10). The slope says
 *    how fast, the p-value says whether to believe it; a leak needs both.
 *  - Sustained growth: a warm-up that plateaued, or a single step (a pool
 *    grown once, a model loaded), makes the whole series "significantly
 *    increasing" but is over. So the level must have risen from the first
 *    third of the span into the middle third AND again into the last third,
 *    at a fair fraction of the overall rate (recent_slope below). Levels are
 *    low medians (always one actual sample), so a single step, wherever it
 *    sits, raises at most one of the two and the other stays ~0. A Theil-Sen
 *    slope over the newer half was tried and rejected: with noise, a step
 *    inside that half pushes the median into the upper tail of the noise
 *    slopes: a 50 MiB step under 0.5-8 MiB of noise was judged GROWING at
 *    10-50% of its positions in a window; with thirds, at 1% or fewer.
 *    The cost: a leak that starts mid-series is GROWING only once it has run
 *    for about 2/3 of the span; a staircase with treads longer than a third
 *    of the span looks like separate steps.
 *  - A minimum rate and a minimum total growth: with enough points a tiny
 *    trend is significant and irrelevant; these keep the verdict about bytes
 *    that matter.
 *
 * Pure arithmetic, no I/O, no allocation; the caller's clock and units.
 */
#ifndef PYLEAK_TREND_H
#define PYLEAK_TREND_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Samples per series. 128 x 16 bytes = 2 KiB per ring; a fit is 8128 pairs
 * (tens of microseconds). With min_spacing = window / TREND_WINDOW_SLOTS a
 * full ring covers at least 1.3 windows, so the window stays covered however
 * often samples arrive.
 */
#define TREND_RING_CAP 128
#define TREND_WINDOW_SLOTS 96
/* Most samples trend_fit() takes: pairwise work is sized for this. */
#define TREND_FIT_MAX TREND_RING_CAP

struct trend_ring {
	double t[TREND_RING_CAP], v[TREND_RING_CAP];
	uint32_t head;	    /* slot of the oldest sample */
	uint32_t n;	    /* samples held, <= TREND_RING_CAP */
	double min_spacing; /* seconds between kept samples, see trend_ring_push() */
};

struct trend_fit {
	int n;		     /* samples fitted */
	double span_s;	     /* t[n-1] - t[0] */
	double first, last;  /* v[0], v[n-1] as sampled */
	double slope;	     /* Theil-Sen, value per second */
	double intercept;    /* fitted value at t[0]: v ~ intercept + slope * (t - t[0]) */
	double growth;	     /* slope * span_s: fitted growth over the series */
	double level[3];     /* low median of the values in each third of the span */
	double recent_slope; /* sustained rate, the slower of the two rises between
				thirds: min(level[1] - level[0], level[2] - level[1])
				/ (span_s / 3), value per second */
	long s;		     /* Mann-Kendall S = sum over i<j of sign(v[j] - v[i]) */
	double var_s;	     /* Var(S) under no trend, tie-corrected */
	double z;	     /* (S -+ 1) / sqrt(var_s), 0 when S == 0 or var_s == 0 */
	double p_up;	     /* one-sided p-value for an increasing trend */
	double p_down;	     /* one-sided p-value for a decreasing trend (1 - p_up) */
	double tau;	     /* Kendall's tau-a = S / (n(n-1)/2), in [-1, 1] */
};

struct trend_rule {
	double min_rate;    /* value per second the Theil-Sen slope must reach */
	double min_growth;  /* value the fitted growth over the series must reach */
	double max_p;	    /* Mann-Kendall one-sided p-value must be below this (0.01) */
	int min_points;	    /* fewer samples: UNKNOWN (8; below 3 counts as 3) */
	double min_span_s;  /* shorter series: UNKNOWN (half the window) */
	double recent_frac; /* recent_slope >= recent_frac * max(slope, min_rate) (0.5) */
};

enum trend_verdict {
	TREND_UNKNOWN = 0, /* too few points or too short a span to say */
	TREND_FLAT,	   /* no sustained, significant, large enough trend */
	TREND_GROWING,
	TREND_SHRINKING,
};

/* trend_spacing_for() - the min_spacing that keeps a window of window_s
 * seconds covered by a full ring (and then some, see TREND_RING_CAP). */
static inline double trend_spacing_for(double window_s)
{
	return window_s > 0 ? window_s / TREND_WINDOW_SLOTS : 0;
}

/* trend_ring_init() - an empty ring keeping samples min_spacing_s seconds
 * apart (0: keep every sample until full). */
void trend_ring_init(struct trend_ring *r, double min_spacing_s);

/*
 * trend_ring_push() - add the sample (t, v). The newest slot always holds the
 * newest sample; it is provisional while it is less than min_spacing after
 * the sample before it, and a provisional slot is overwritten (time and
 * value) by the next push instead of appending. So every kept sample but the
 * newest is at least min_spacing after its predecessor (in practice between
 * min_spacing and min_spacing plus one sampling period), the newest value is
 * always current, and memory stays bounded whatever the sampling rate. When
 * full the oldest sample falls off. A sample at the newest time replaces its
 * value; one before it (out of order), or with a non-finite t or v, is
 * ignored.
 */
void trend_ring_push(struct trend_ring *r, double t, double v);

/* trend_ring_count() - samples held. */
static inline uint32_t trend_ring_count(const struct trend_ring *r)
{
	return r->n;
}

/* trend_ring_get() - the i-th sample, 0 = oldest, into *t and *v (either may
 * be NULL). Returns 0, or -ENOENT if i >= the count. */
int trend_ring_get(const struct trend_ring *r, uint32_t i, double *t, double *v);

/* trend_ring_last() - the newest sample into *t and *v (either may be NULL).
 * Returns 0, or -ENOENT if the ring is empty. */
int trend_ring_last(const struct trend_ring *r, double *t, double *v);

/* trend_ring_since() - copy the samples with time >= since, oldest first, into
 * t[] and v[] (max entries each); if more match, the newest max are copied.
 * Returns how many were copied (0 if max <= 0 or none match). */
int trend_ring_since(const struct trend_ring *r, double since, double *t, double *v, int max);

/*
 * trend_fit() - fit the n samples (t[i], v[i]), t strictly increasing, into
 * *out (see struct trend_fit). Returns 0, -EINVAL if n < 3, a time does not
 * increase, or a t or v is not finite, -E2BIG if n > TREND_FIT_MAX. *out is
 * only written on success.
 *
 * Cost: O(n^2), n(n-1)/2 pairwise slopes plus a quickselect: 40-70 us at
 * n = 128, 20-30 us at n = 96 (x86-64, -O2). Scratch is a 64 KiB array on the stack (TREND_FIT_MAX^2/2
 * doubles), so it is reentrant and thread-safe; threads running it need that
 * much stack (glibc's default is 8 MiB).
 */
int trend_fit(const double *t, const double *v, int n, struct trend_fit *out);

/*
 * trend_judge() - the verdict on fit f under rule r.
 * UNKNOWN: f->n < min_points or f->span_s < min_span_s.
 * GROWING: all of p_up < max_p, slope >= min_rate and > 0, growth >=
 *   min_growth and > 0, recent_slope >= recent_frac * slope (so also
 *   >= recent_frac * min_rate): growth kept up across the whole span at a
 *   fair fraction of its overall rate. Relative to the slope, not only to
 *   min_rate, because min_rate is usually far below the noise and would let
 *   noise stand in for "still growing".
 * SHRINKING: p_down < max_p, slope <= -min_rate and < 0, growth <=
 *   -min_growth (no recent condition: useful to show a leak as resolved).
 * FLAT: otherwise.
 */
enum trend_verdict trend_judge(const struct trend_fit *f, const struct trend_rule *r);

/*
 * trend_still_growing() - hysteresis for an alert already raised on GROWING:
 * true while the series keeps growing at half the strength. The point and
 * span minimums are unchanged (they are about having data, not about its
 * strength); min_rate, min_growth and recent_frac are halved (recent_slope >=
 * recent_frac / 2 * max(slope, min_rate / 2)), and
 * the p-value bound is loosened from max_p to sqrt(max_p) (half the threshold
 * on a log scale: 0.01 -> 0.1). So a series hovering at the GROWING boundary
 * does not flap; it has to lose about half its evidence to clear.
 */
bool trend_still_growing(const struct trend_fit *f, const struct trend_rule *r);

/* trend_alert() - the next alert state: if alerting, trend_still_growing();
 * otherwise whether trend_judge() says GROWING. */
bool trend_alert(bool alerting, const struct trend_fit *f, const struct trend_rule *r);

/*
 * trend_ring_assess() - fit the ring's samples with time >= since into *f
 * and judge them under r. A stretch that cannot be fitted (fewer than 3
 * samples) is UNKNOWN, with *f zeroed but for f->n. Uses ~2 KiB of stack on
 * top of trend_fit()'s.
 */
enum trend_verdict trend_ring_assess(const struct trend_ring *ring, double since,
				     const struct trend_rule *r, struct trend_fit *f);

/* trend_verdict_name() - "unknown", "flat", "growing", "shrinking". */
const char *trend_verdict_name(enum trend_verdict v);

#endif /* PYLEAK_TREND_H */
