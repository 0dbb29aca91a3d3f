// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* resources.c: see resources.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "resources.h"

/* An fd table this big is counted no further: the trend is plain by then. */
#define MAX_COUNTED_FDS (1u << 22)

static void trend_init(struct resource_trend *x, const char *name, const char *alert_name,
		       double window_s, double min_growth)
{
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->judged = min_growth > 0;
	x->alert_name = alert_name;
	x->rule = (struct trend_rule){
		.min_rate = window_s > 0 ? min_growth / window_s : 0,
		.min_growth = min_growth,
		.max_p = 0.01,
		.min_points = 8,
		.min_span_s = window_s / 2,
		.recent_frac = 0.5,
	};
	trend_ring_init(&x->ring, trend_spacing_for(window_s));
}

void resources_init(struct resources *r, double window_s, double min_fds, double min_threads,
		    double t0)
{
	memset(r, 0, sizeof(*r));
	r->window_s = window_s;
	r->t0 = t0;
	trend_init(&r->fds, "fds", "fd_leak", window_s, min_fds);
	trend_init(&r->threads, "threads", "thread_leak", window_s, min_threads);
}

int resources_count_fds(pid_t pid, uint64_t *fds)
{
	char path[64];
	struct dirent *d;
	uint64_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < MAX_COUNTED_FDS)
		n += d->d_name[0] != '.';
	closedir(dir);
	*fds = n;
	return 0;
}

void resources_sample(struct resources *r, double now, uint64_t fds, uint64_t threads)
{
	r->fds.now = fds;
	r->threads.now = threads;
	r->fds.known = r->threads.known = true;
	trend_ring_push(&r->fds.ring, now, (double)fds);
	trend_ring_push(&r->threads.ring, now, (double)threads);
}

/* judge() - x's trend now into *rate, *trend; its transition into *ev
 * (returns 1) or none (0). */
static int judge(struct resources *r, struct resource_trend *x, double now, double *rate,
		 const char **trend, struct report_alert *ev)
{
	struct trend_fit f;
	enum trend_verdict v = trend_ring_assess(&x->ring, now - r->window_s, &x->rule, &f);
	bool fit = f.n >= 3 && f.span_s > 0;
	/* too few samples in the window says nothing: hold the state */
	bool cond = v == TREND_UNKNOWN ? x->alert
				       : x->judged && fit && trend_alert(x->alert, &f, &x->rule);

	*rate = fit ? f.slope : 0;
	*trend = trend_verdict_name(v);
	if (cond == x->alert)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->state = cond ? x->alert_name : "resolved";
	ev->subject = x->name;
	ev->evidence = "trend";
	ev->rate_bps = f.slope;
	ev->growth_bytes = f.growth; /* a count here: the subject says of what */
	ev->p_value = f.p_up;
	ev->bytes = (int64_t)x->now;
	if (cond) {
		x->alert_since = now;
		r->raised++;
		ev->duration_s = f.span_s;
	} else {
		ev->duration_s = now - x->alert_since;
	}
	ev->since_s = x->alert_since - r->t0;
	x->alert = cond;
	return 1;
}

int resources_report(struct resources *r, double now, struct report_process *rp,
		     struct report_alert ev[2])
{
	int n = 0;

	rp->resources_known = r->fds.known;
	rp->fds = r->fds.now;
	rp->threads = r->threads.now;
	if (!r->fds.known)
		return 0;
	n += judge(r, &r->fds, now, &rp->fds_rate_per_s, &rp->fds_trend, &ev[n]);
	n += judge(r, &r->threads, now, &rp->threads_rate_per_s, &rp->threads_trend, &ev[n]);
	rp->active_alerts += r->fds.alert + r->threads.alert;
	return n;
}
