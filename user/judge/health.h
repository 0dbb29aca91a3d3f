/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * health.h: the process as a whole. Its anonymous and resident memory (from
 * /proc) each keep a history ring and are judged over the trend window like
 * a site (trend.h); the garbage collector's own statistics (gcstats.h) are
 * turned into per-generation figures since attach and two warnings: the
 * collector is disabled (cycles are never freed), or it finds uncollectable
 * objects (gc.garbage grows).
 *
 * The process alert covers growth that no site explains: it is raised when
 * anonymous memory has grown by the alert rule for half a window more while
 * no site alert is active (memory in native code, in a build whose
 * allocations cannot be probed, or windows that never catch the leak), and
 * held with the rule's hysteresis. The half window gives the sites, whose
 * histories start later, the chance to name the line first.
 * When a site alert is active, the process growth is still shown as a trend,
 * but the site alert is the one that names the line.
 */
#ifndef PYLEAK_HEALTH_H
#define PYLEAK_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include "gcstats.h"
#include "report.h"
#include "trend.h"

struct proc_mem;

struct health {
	double window_s, t0;
	struct trend_rule rule;
	struct trend_ring anon, rss;
	bool alert;		/* process leak_suspect now */
	double growing_since;	/* judged growing without a site alert since, 0: not */
	double alert_since;
	uint64_t raised;	/* process alerts raised since attach */
	uint64_t uncollectable_warned; /* uncollectable total already warned about */
	/* the caller's, before each health_report(): site alerts whose
	 * condition holds but which wait out their hold (sites_pending()).
	 * Growth they are about to explain does not raise the process alert
	 * meanwhile (seen: both raised in one report, one leak paging twice). */
	uint32_t sites_pending;
};

/* health_init() - judge over window_s with rule, attach at t0 (seconds on
 * the caller's clock). */
void health_init(struct health *h, double window_s, const struct trend_rule *rule, double t0);

/* health_sample() - one memory reading at now. */
void health_sample(struct health *h, double now, const struct proc_mem *m);

/* health_anon_rate() - how fast anonymous memory grows now, bytes per
 * second: the Theil-Sen slope of the window's samples when there are three
 * or more, else the average since attach (anon0 at t0); never negative. */
double health_anon_rate(const struct health *h, double now, uint64_t anon_now, uint64_t anon0);

/* Warnings health_report() may ask for (bits). */
enum {
	HEALTH_WARN_GC_DISABLED = 1,	   /* gc.isenabled() is false */
	HEALTH_WARN_UNCOLLECTABLE = 2,	   /* new uncollectable objects since the last warning */
};

/*
 * health_report() - fill rp (memory trends; the collector now from gc and
 * since attach against gc0, either NULL if unreadable), step the process
 * alert given how many site alerts are active, and return the transition in
 * *ev if there was one (return value 1, else 0). *warn gets HEALTH_WARN_*
 * bits for the caller to show. rp->alerts_raised is the caller's to fill.
 */
int health_report(struct health *h, double now, uint32_t site_alerts, const struct gc_snapshot *gc,
		  const struct gc_snapshot *gc0, uint64_t anon_now, struct report_process *rp, struct report_alert *ev,
		  unsigned *warn);

#endif /* PYLEAK_HEALTH_H */
