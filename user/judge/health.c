// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* health.c: see health.h. */
#include <string.h>
#include "health.h"
#include "target.h"

void health_init(struct health *h, double window_s, const struct trend_rule *rule, double t0)
{
	memset(h, 0, sizeof(*h));
	h->window_s = window_s;
	h->rule = *rule;
	h->t0 = t0;
	trend_ring_init(&h->anon, trend_spacing_for(window_s));
	trend_ring_init(&h->rss, trend_spacing_for(window_s));
}

void health_sample(struct health *h, double now, const struct proc_mem *m)
{
	trend_ring_push(&h->anon, now, (double)m->anon);
	trend_ring_push(&h->rss, now, (double)m->rss);
}

double health_anon_rate(const struct health *h, double now, uint64_t anon_now, uint64_t anon0)
{
	struct trend_fit f;
	double r = 0;

	trend_ring_assess(&h->anon, now - h->window_s, &h->rule, &f);
	if (f.n >= 3 && f.span_s > 0)
		r = f.slope;
	else if (now > h->t0)
		r = ((double)anon_now - (double)anon0) / (now - h->t0);
	return r > 0 ? r : 0;
}

static uint64_t sum3(const uint64_t v[3])
{
	return v[0] + v[1] + v[2];
}

int health_report(struct health *h, double now, uint32_t site_alerts, const struct gc_snapshot *gc,
		  const struct gc_snapshot *gc0, uint64_t anon_now, struct report_process *rp, struct report_alert *ev,
		  unsigned *warn)
{
	struct trend_fit fa, fr;
	enum trend_verdict va, vr;
	bool cond;

	*warn = 0;
	memset(rp, 0, sizeof(*rp));
	rp->anon_bytes = anon_now;
	rp->window_s = h->window_s;
	rp->anon_p = -1;
	va = trend_ring_assess(&h->anon, now - h->window_s, &h->rule, &fa);
	vr = trend_ring_assess(&h->rss, now - h->window_s, &h->rule, &fr);
	rp->anon_trend = trend_verdict_name(va);
	rp->rss_trend = trend_verdict_name(vr);
	if (fa.n >= 3 && fa.span_s > 0) {
		rp->anon_rate_bps = fa.slope;
		rp->anon_growth = fa.growth;
		rp->anon_span_s = fa.span_s;
		rp->anon_p = fa.p_up;
	}
	if (fr.n >= 3 && fr.span_s > 0)
		rp->rss_rate_bps = fr.slope;

	if (gc) {
		rp->gc_known = true;
		rp->gc_enabled = gc->enabled;
		for (int i = 0; i < 3; i++) {
			rp->gc_threshold[i] = gc->threshold[i];
			rp->gc_count[i] = gc->count[i];
			if (gc0) {
				rp->gc_collections[i] = gc->collections[i] - gc0->collections[i];
				rp->gc_collected[i] = gc->collected[i] - gc0->collected[i];
				rp->gc_uncollectable[i] = gc->uncollectable[i] - gc0->uncollectable[i];
			}
		}
		if (!gc->enabled)
			*warn |= HEALTH_WARN_GC_DISABLED;
		if (gc0 && sum3(rp->gc_uncollectable) > h->uncollectable_warned) {
			h->uncollectable_warned = sum3(rp->gc_uncollectable);
			*warn |= HEALTH_WARN_UNCOLLECTABLE;
		}
	}

	/* raise only for growth no site alert explains, sustained for half a
	 * window more; hold with hysteresis */
	cond = fa.n >= 3 && fa.span_s > 0 && trend_alert(h->alert, &fa, &h->rule);
	if (!h->alert) {
		if (!cond || site_alerts || h->sites_pending)
			h->growing_since = 0;
		else if (!h->growing_since)
			h->growing_since = now;
		cond = h->growing_since && now - h->growing_since >= h->window_s / 2;
	}
	rp->active_alerts = site_alerts + cond;
	if (cond == h->alert)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->state = cond ? "leak_suspect" : "resolved";
	ev->subject = "process";
	ev->evidence = "trend";
	ev->rate_bps = fa.slope;
	ev->growth_bytes = fa.growth;
	ev->p_value = fa.p_up;
	ev->bytes = (int64_t)anon_now;
	if (cond) {
		h->alert_since = now;
		h->raised++;
		ev->duration_s = fa.span_s;
	} else {
		ev->duration_s = now - h->alert_since;
		h->growing_since = 0;
	}
	ev->since_s = h->alert_since - h->t0;
	h->alert = cond;
	return 1;
}
