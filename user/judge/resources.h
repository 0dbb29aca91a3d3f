/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * resources.h: leaks that are not bytes. A file opened and never closed, a
 * thread started and never ended, are leaks a memory profiler is asked about
 * too: the fd table and the thread list grow while RSS barely moves. The
 * target's open file descriptors (/proc/PID/fd) and threads
 * (/proc/PID/status) are sampled like RSS, each into a history ring judged
 * over the trend window with the same statistics (trend.h), and raise their
 * own alerts: fd_leak and thread_leak, resolved when the growth stops.
 *
 * The rule is the memory rule's with counts for bytes: the fitted growth
 * over the samples must reach min_growth (--alert-fds, --alert-threads), at
 * a rate that reaches it within one window, significant (Mann-Kendall
 * p < 0.01) and sustained; held with trend_alert()'s hysteresis.
 */
#ifndef PYLEAK_RESOURCES_H
#define PYLEAK_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "report.h"
#include "trend.h"

/* One counted resource: its history and alert. */
struct resource_trend {
	const char *name;	/* "fds", "threads": the alert's subject */
	const char *alert_name;	/* "fd_leak", "thread_leak": its state */
	struct trend_rule rule;
	struct trend_ring ring;
	uint64_t now;		/* last count */
	bool known;		/* a count was read */
	bool judged;		/* alerts on (a threshold was given) */
	bool alert;
	double alert_since;
};

struct resources {
	double window_s, t0;
	struct resource_trend fds, threads;
	uint64_t raised;	/* alerts raised since attach */
};

/* resources_init() - judge over window_s; an alert needs min_fds more open
 * fds (min_threads more threads) within the window, 0: never alert (the
 * trend is still shown); t0 is attach time on the caller's clock. */
void resources_init(struct resources *r, double window_s, double min_fds, double min_threads,
		    double t0);

/* resources_count_fds() - pid's open file descriptors (entries of
 * /proc/PID/fd; its threads come with its memory, target_memory()).
 * Returns 0 or -errno (the process is gone, or /proc is not readable). */
int resources_count_fds(pid_t pid, uint64_t *fds);

/* resources_sample() - one reading at now. */
void resources_sample(struct resources *r, double now, uint64_t fds, uint64_t threads);

/* resources_report() - fill rp's fd and thread figures, step both alerts,
 * and write the transitions into ev[0..1]. Returns how many (0 to 2). */
int resources_report(struct resources *r, double now, struct report_process *rp,
		     struct report_alert ev[2]);

#endif /* PYLEAK_RESOURCES_H */
