/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * windows.h: when growth mode buys exact attribution. A window has two
 * phases: CAPTURE (allocator probes on; ends after --window-allocs probe
 * hits or --window-time seconds, whichever first) and FOLLOW (only the free
 * and realloc probes stay, so the window's survivors can be told apart; ends after
 * --follow seconds or --follow-frees free hits). Then it is SETTLED: what is
 * still live of its captures survived.
 *
 * A window opens on sustained growth (anonymous memory up by --growth-trigger
 * since the last window), on a schedule (--window-every), on demand
 * (SIGUSR1), and once soon after attach. The first --warmup windows (from
 * that first one; none when it is off) open back to back, each following its survivors for at most WINDOWS_WARMUP_FOLLOW_S
 * (their follow sets are small and young), so the first verdict, which
 * needs two settled windows, comes within seconds rather than after the
 * schedule's minutes; then the steady cadence takes over. Except on demand, it opens only if
 * its longest possible duration fits in what is left of --window-budget
 * (window seconds per sliding hour): the cost is bounded before it is paid.
 *
 * Pure logic on the caller's clock: no I/O, so tests drive it with any
 * timeline.
 */
#ifndef PYLEAK_WINDOWS_H
#define PYLEAK_WINDOWS_H

#include <stdbool.h>
#include <stdint.h>

struct window_opts {
	uint64_t allocs;	 /* --window-allocs: allocator hits per window */
	double max_s;		 /* --window-time: longest capture phase */
	double follow_s;	 /* --follow: longest follow phase */
	uint64_t follow_frees;	 /* --follow-frees: free hits while following */
	double budget_s;	 /* --window-budget: window seconds per hour */
	double every_s;		 /* --window-every: scheduled period, 0 = never */
	double first_s;		 /* first window this long after attach, <0 = none */
	uint64_t trigger_bytes;	 /* --growth-trigger: anon growth that opens one, 0 = off */
	uint32_t warmup;	 /* --warmup: this many first windows back to back, 0 = off */
};

/* The longest follow phase of a warm-up window. */
#define WINDOWS_WARMUP_FOLLOW_S 3.0
/* Settled windows the survivor verdict needs (sites.h). */
#define WINDOWS_FOR_VERDICT 2

enum window_phase { WIN_IDLE = 0, WIN_CAPTURE, WIN_FOLLOW };

enum window_action {
	WA_NONE = 0,
	WA_OPEN,   /* start capturing window ->id */
	WA_CLOSE,  /* capture over: keep only the free probes */
	WA_SETTLE, /* follow over: window ->id is settled */
};

#define WINDOWS_SPEND_HISTORY 256

struct window_sched {
	struct window_opts o;
	enum window_phase phase;
	uint32_t id;	       /* current (or last) window; 0 before the first */
	uint32_t settled;      /* newest settled window */
	double t0;	       /* attach */
	double phase_start;    /* start of the current phase */
	double open_at;	       /* when the current window opened */
	double last_sched;     /* last scheduled opening (or attach) */
	uint64_t anon_base;    /* anon memory when the last window settled (or attach) */
	const char *reason;    /* why the current/last window opened */
	struct {
		double end, dur;
	} spend[WINDOWS_SPEND_HISTORY]; /* finished windows, ring */
	unsigned nspend;
	double spent_total;    /* seconds of all finished windows */
	struct {
		uint32_t id;
		double s;
	} capture[WINDOWS_SPEND_HISTORY]; /* capture phase lengths, slot id % size */
};

/* windows_init() - a scheduler starting at now with anon bytes resident. */
void windows_init(struct window_sched *w, const struct window_opts *o, double now, uint64_t anon);

/*
 * windows_tick() - what to do now. anon: resident anonymous bytes now;
 * demand: the user asked for a window; alloc_full / frees_full: the BPF side
 * reported the capture's or the follow's budget spent. At most one action per
 * call; the caller performs it before the next call. The scheduler assumes
 * the action succeeded (windows_abort() undoes an open that failed).
 */
enum window_action windows_tick(struct window_sched *w, double now, uint64_t anon, bool demand,
				bool alloc_full, bool frees_full);

/* windows_would_open() - would windows_tick() open a window now (same
 * arguments)? Changes nothing: a node asks before it grants (winsched.h). */
bool windows_would_open(const struct window_sched *w, double now, uint64_t anon, bool demand);

/* windows_abort() - the open just returned failed: back to idle, no spend. */
void windows_abort(struct window_sched *w);

/* windows_spent() - window seconds within the hour before now, including
 * the running window. */
double windows_spent(const struct window_sched *w, double now);

/* windows_spent_total() - window seconds since attach, including the
 * running window: never decreases (a Prometheus counter). */
double windows_spent_total(const struct window_sched *w, double now);

/* windows_capture_s() - how long window id captured allocations, 0 if it
 * has not finished capturing or is too old to be remembered. */
double windows_capture_s(const struct window_sched *w, uint32_t id);

/* windows_follow_s() - the longest follow phase of window id. */
double windows_follow_s(const struct window_sched *w, uint32_t id);

/*
 * windows_verdict_eta() - while fewer than WINDOWS_FOR_VERDICT windows have
 * settled: the window whose settling brings the first verdict (*window) and
 * the longest it can take from now, assuming budget allows (*eta_s; the
 * windows before it included). Returns false once a verdict can exist, or
 * when no window will open by itself (no first window, no warm-up, no
 * schedule, no trigger).
 */
bool windows_verdict_eta(const struct window_sched *w, double now, uint32_t *window,
			 double *eta_s);

/* windows_phase_name() - "idle", "capturing", "following". */
const char *windows_phase_name(enum window_phase p);

#endif /* PYLEAK_WINDOWS_H */
