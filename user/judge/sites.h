/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sites.h: the site store. The BPF side keys sites by raw stack (code object
 * addresses, instruction offsets and native caller); users think in
 * symbolised Python stacks. The store maps each raw site once to a group
 * keyed by its symbolised frames (file, function, line), sums the raw
 * totals into the groups each interval, remembers what each group held at
 * the previous report (for deltas), and ranks.
 *
 * Two rankings:
 *  - by outstanding bytes (alloc mode; first-touch hints);
 *  - by survivors (growth mode): per capture window, what each group
 *    allocated and how much of it is still live. A window is "settled" once
 *    its survivors have been followed; only settled windows count. What a
 *    window's captures still hold when it settles are its survivors
 *    (sites_settle()); a window is kept while most of them stay alive, lost
 *    once most have died. A group is persistent (the leak verdict) when at
 *    least two settled windows are kept, one of them among the latest two,
 *    and kept windows outnumber lost ones: its survivors stay and keep
 *    accumulating, however many temporaries the same line also makes.
 *    Churn dies at once, a bounded cache's entries die as they are evicted
 *    (in later windows), a warm-up stops allocating: none stays persistent.
 *
 * Growth judgement and alerts. In alloc mode each group keeps a history ring
 * of its outstanding bytes (trend.h; at most SITES_MAX_HISTORIES rings, the
 * smallest groups' evicted first) and is judged over the trend window: a
 * group is growing when the Theil-Sen rate, the fitted growth and the
 * Mann-Kendall significance all pass the rule and the growth is sustained.
 * In growth mode the rate is what survives per second of capture (windows
 * last seconds, so there is no time series per site), and a group alerts
 * when it is persistent and that rate, and that rate over the window, pass
 * the thresholds. Alert transitions (leak_suspect, resolved) are collected
 * at each ranking and handed out once.
 *
 * Grouping: by whole stack (default), or by the innermost frame's line,
 * function or file, as tracemalloc's key types; the grouping applies from
 * the first update, so histories and verdicts are per reported row.
 *
 * A group's id is a hash of its symbolised frames, so the same stack gets
 * the same id in every interval and every run. The store knows nothing of
 * BPF: raw stacks are symbolised through a callback, so tests drive it with
 * synthetic data.
 */
#ifndef PYLEAK_SITES_H
#define PYLEAK_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyleak.h"
#include "report.h"
#include "trend.h"

/* Windows remembered per group; older windows are pruned by the caller. */
#define SITES_WINDOW_HISTORY 16

struct site_store;

/* Raw input, as read from the maps. */
struct raw_site {
	uint64_t id;
	struct pyleak_site v;
};

struct raw_sw {
	struct pyleak_sw_key k;
	struct pyleak_sw v;
};

/* site_resolve_fn - symbolise raw site id: frames into fr[PYLEAK_MAX_FRAMES]
 * (innermost first), the native caller's name into *caller (may be NULL),
 * whether the stack was cut at --max-depth into *truncated. Returns the
 * number of frames (>= 1) or -errno. */
typedef int (*site_resolve_fn)(void *ctx, uint64_t id, struct report_frame *fr,
			       const char **caller, bool *truncated);

struct site_totals {
	uint64_t nsites;	 /* groups with outstanding memory */
	int64_t bytes, count;	 /* over all groups */
	uint64_t npersistent;	 /* survivor ranking: persistent groups */
};

/* Which windows the survivor ranking may use. */
struct window_view {
	uint32_t settled;	 /* newest settled window id (0: none yet) */
	double min_survival;	 /* share of a window's survivors at settlement (bytes or
				  * count) that must still live for it to count as kept (0.5) */
	/* capture length of window id, at [id % SITES_WINDOW_HISTORY] when
	 * capture_id[] holds id: survivors per second of capture are the
	 * growth-mode rate */
	uint32_t capture_id[SITES_WINDOW_HISTORY];
	double capture_s[SITES_WINDOW_HISTORY];
	/* the process's anonymous memory growth, bytes per second (0 unknown).
	 * Probes slow the target while a window captures (a trap costs 15-20
	 * us in a VM), so survivors per wall second of capture understate a
	 * leak; a persistent site that keeps at least 5% of what it captured
	 * also gets this growth times its share of such sites' survivors, and
	 * the larger of the two is its rate */
	double process_rate_bps;
};

/* What a row is: the whole stack; the innermost frame's line, function or
 * file; or the stack's head frame (its innermost application frame, as
 * incidents.h defines it: a leak below a library call is keyed by the
 * application line that made the call). */
enum site_group_by { GROUP_STACK = 0, GROUP_LINE, GROUP_FUNCTION, GROUP_FILE, GROUP_HEAD };

/* site_head_fn - index of the head frame of fr[0..n), n >= 1 (GROUP_HEAD). */
typedef int (*site_head_fn)(void *ctx, const struct report_frame *fr, int n);

/* Histories kept at most (2 KiB each). */
#define SITES_MAX_HISTORIES 2048
/* Alloc mode: a site's raise condition must hold for this fraction of
 * --window before it becomes leak_suspect (the process alert waits half). */
#define SITES_ALERT_HOLD 0.25
/* Alert transitions kept between two rankings. */
#define SITES_MAX_ALERTS 64

struct site_trend_opts {
	enum site_group_by group_by;
	bool history;		 /* keep rings of outstanding bytes (alloc mode) */
	double window_s;	 /* --window */
	double t0_s;		 /* attach, on the update clock (now_ns / 1e9) */
	struct trend_rule rule;	 /* growing = leak_suspect (alloc mode), trend.h */
	double alert_rate_bps;	 /* growth mode: survivors per second of capture */
	double alert_min_bytes;	 /* growth mode: that rate x window must reach this */
	site_head_fn head;	 /* GROUP_HEAD: finds the head frame (NULL: innermost) */
	void *head_ctx;
};

/* sites_configure() - grouping, history and alert rules; call before the
 * first update (grouping cannot change afterwards). */
void sites_configure(struct site_store *ss, const struct site_trend_opts *o);

/* sites_group_by_name() - "stack", "line", "function", "file". */
const char *sites_group_by_name(enum site_group_by g);

/* sites_group_of() - the id of the group raw site id was resolved into, or
 * 0 if it has not been seen (never symbolises). */
uint64_t sites_group_of(const struct site_store *ss, uint64_t raw);

/* sites_alerts() - the alert transitions of the last ranking (raised and
 * resolved, in that order), owned by the store until the next ranking;
 * *active gets the alerts active now. Returns how many. */
int sites_alerts(struct site_store *ss, const struct report_alert **v, uint32_t *active);

/* An active alert, as sites_active_alerts() lists it. */
struct site_alert {
	uint64_t site_id;
	int nframes;			   /* innermost first */
	const struct report_frame *frames; /* owned by the store, live as long as it */
	double rate_bps;
	int64_t bytes;			   /* outstanding (alloc mode) or surviving bytes */
	double since_s;			   /* raised at, seconds since attach */
	const char *native_caller;	   /* or NULL */
};

/* sites_active_alerts() - every group whose leak_suspect alert is active
 * after the last ranking, in *v (owned by the store until the next call).
 * Returns how many, or -ENOMEM. */
int sites_active_alerts(struct site_store *ss, const struct site_alert **v);

/* sites_new() - an empty store; NULL on ENOMEM. */
struct site_store *sites_new(site_resolve_fn resolve, void *ctx);
void sites_free(struct site_store *ss);

/* site_id_of() - the stable id of a symbolised stack (FNV-1a over every
 * frame's file, function and line). Exposed for tests. */
uint64_t site_id_of(const struct report_frame *frames, int n);

/* sites_update() - replace the groups' totals with a fresh snapshot: raw
 * sites v[n] and, for growth mode, per-window entries sw[nsw]. Raw sites
 * seen for the first time are symbolised. now_ns is the bpf_ktime clock
 * now, for ages. Returns 0 or -ENOMEM. */
int sites_update(struct site_store *ss, const struct raw_site *v, size_t n,
		 const struct raw_sw *sw, size_t nsw, uint64_t now_ns);

/* sites_pending() - alloc mode: groups whose raise condition held at the
 * last ranking but not yet for SITES_ALERT_HOLD of the window. */
uint32_t sites_pending(const struct site_store *ss);

/* sites_freeze() - the target has exited: later updates take its last
 * totals but record no history and rankings judge nothing, so alerts stay as
 * they were while it ran. Without this the final report's fit would slide
 * over the exit (no growth after it, or the interpreter's teardown freeing
 * everything) and "resolve" a leak that was never fixed. */
void sites_freeze(struct site_store *ss);

/* sites_retire() - raw sites v[n] were deleted from the maps with these
 * last totals (nothing outstanding, see retention.h): their groups keep
 * counting their allocations and frees, and the raw ids are forgotten (a
 * stack that allocates again is a new raw site, resolved afresh). */
void sites_retire(struct site_store *ss, const struct raw_site *v, size_t n);

/* sites_rank() - the top groups by outstanding bytes, with deltas against the
 * previous call, in *rows (owned by the store, valid until the next update
 * or rank), labelled with evidence. Totals go to *tot. Returns the number of
 * rows (<= top) or -ENOMEM. */
int sites_rank(struct site_store *ss, int top, const char *evidence,
	       const struct report_site **rows, struct site_totals *tot);

/* sites_settle() - window has just settled: remember what each group holds
 * of its captures in the latest update as the window's survivors, which
 * later rankings compare with what still lives. Call right after the update
 * that read the maps at settlement; a window settled without this call is
 * judged from the first ranking that sees it settled. */
void sites_settle(struct site_store *ss, uint32_t window);

/* sites_rank_survivors() - the top groups by what survives of the settled
 * windows, persistent ones first, then by surviving bytes. Rows carry the
 * window counts and the verdict. Returns the number of rows or -ENOMEM. */
int sites_rank_survivors(struct site_store *ss, int top, const struct window_view *wv,
			 const struct report_site **rows, struct site_totals *tot);

/* sites_history() - group id's history (outstanding bytes in alloc mode,
 * surviving bytes per ranking in growth mode), newest max samples, oldest
 * first, with times relative to t0 (update clock seconds), into out.
 * Returns how many (0: unknown group or no history). */
int sites_history(const struct site_store *ss, uint64_t id, double t0, struct report_point *out,
		  int max);

#endif /* PYLEAK_SITES_H */
