// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* windows.c: see windows.h. */
#include <string.h>
#include "windows.h"

#define HOUR_S 3600.0

void windows_init(struct window_sched *w, const struct window_opts *o, double now, uint64_t anon)
{
	memset(w, 0, sizeof(*w));
	w->o = *o;
	w->t0 = now;
	w->last_sched = now;
	w->anon_base = anon;
}

double windows_spent(const struct window_sched *w, double now)
{
	unsigned n = w->nspend < WINDOWS_SPEND_HISTORY ? w->nspend : WINDOWS_SPEND_HISTORY;
	double sum = 0;

	for (unsigned i = 0; i < n; i++) {
		double end = w->spend[i].end, dur = w->spend[i].dur;
		double start = end - dur, from = now - HOUR_S;

		if (end <= from)
			continue;
		sum += start >= from ? dur : end - from;
	}
	if (w->phase != WIN_IDLE)
		sum += now - w->open_at;
	return sum;
}

double windows_spent_total(const struct window_sched *w, double now)
{
	return w->spent_total + (w->phase != WIN_IDLE ? now - w->open_at : 0);
}

double windows_capture_s(const struct window_sched *w, uint32_t id)
{
	unsigned slot = id % WINDOWS_SPEND_HISTORY;

	return id && w->capture[slot].id == id ? w->capture[slot].s : 0;
}

double windows_follow_s(const struct window_sched *w, uint32_t id)
{
	return id <= w->o.warmup && w->o.first_s >= 0 && w->o.follow_s > WINDOWS_WARMUP_FOLLOW_S
		       ? WINDOWS_WARMUP_FOLLOW_S
		       : w->o.follow_s;
}

bool windows_verdict_eta(const struct window_sched *w, double now, uint32_t *window,
			 double *eta_s)
{
	double t = 0;
	uint32_t id = w->id;

	if (w->settled >= WINDOWS_FOR_VERDICT)
		return false;
	/* what is left of the running window */
	if (w->phase == WIN_CAPTURE)
		t = w->o.max_s - (now - w->phase_start) + windows_follow_s(w, id);
	else if (w->phase == WIN_FOLLOW)
		t = windows_follow_s(w, id) - (now - w->phase_start);
	if (t < 0)
		t = 0;
	/* then the windows still to open, each as long as it may be */
	while (id < WINDOWS_FOR_VERDICT) {
		double wait;

		id++;
		if (id == 1 && w->o.first_s >= 0)
			wait = w->o.first_s - (now - w->t0);
		else if (id <= w->o.warmup && w->o.first_s >= 0)
			wait = 0;
		else if (w->o.every_s > 0)
			wait = w->o.every_s - (now + t - w->last_sched);
		else
			return false; /* only growth or a demand would open it */
		t += (wait > 0 ? wait : 0) + w->o.max_s + windows_follow_s(w, id);
	}
	*window = WINDOWS_FOR_VERDICT;
	*eta_s = t;
	return true;
}

const char *windows_phase_name(enum window_phase p)
{
	return p == WIN_CAPTURE ? "capturing" : p == WIN_FOLLOW ? "following" : "idle";
}

/* open_reason() - why a window should open now, or NULL. */
static const char *open_reason(const struct window_sched *w, double now, uint64_t anon, bool demand)
{
	if (demand)
		return "on demand";
	if (w->o.first_s >= 0 && w->id == 0 && now - w->t0 >= w->o.first_s)
		return "first";
	/* the warm-up follows the automatic first window: windows a user
	 * opens by hand (first window off) are not followed by more */
	if (w->o.first_s >= 0 && w->id > 0 && w->id < w->o.warmup)
		return "warm-up";
	if (w->o.trigger_bytes && anon >= w->anon_base + w->o.trigger_bytes)
		return "growth";
	if (w->o.every_s > 0 && now - w->last_sched >= w->o.every_s)
		return "schedule";
	return NULL;
}

/* fits_budget() - the whole window must fit in the hour's budget before it
 * starts; one on demand opens whatever the budget. */
static bool fits_budget(const struct window_sched *w, double now, bool demand)
{
	return demand ||
	       windows_spent(w, now) + w->o.max_s + windows_follow_s(w, w->id + 1) <= w->o.budget_s;
}

bool windows_would_open(const struct window_sched *w, double now, uint64_t anon, bool demand)
{
	return w->phase == WIN_IDLE && open_reason(w, now, anon, demand) && fits_budget(w, now, demand);
}

enum window_action windows_tick(struct window_sched *w, double now, uint64_t anon, bool demand,
				bool alloc_full, bool frees_full)
{
	const char *why;

	switch (w->phase) {
	case WIN_CAPTURE:
		if (alloc_full || now - w->phase_start >= w->o.max_s) {
			w->capture[w->id % WINDOWS_SPEND_HISTORY].id = w->id;
			w->capture[w->id % WINDOWS_SPEND_HISTORY].s = now - w->phase_start;
			w->phase = WIN_FOLLOW;
			w->phase_start = now;
			return WA_CLOSE;
		}
		return WA_NONE;
	case WIN_FOLLOW:
		if (frees_full || now - w->phase_start >= windows_follow_s(w, w->id)) {
			unsigned slot = w->nspend++ % WINDOWS_SPEND_HISTORY;

			w->spend[slot].end = now;
			w->spend[slot].dur = now - w->open_at;
			w->spent_total += now - w->open_at;
			w->phase = WIN_IDLE;
			w->settled = w->id;
			w->anon_base = anon;
			return WA_SETTLE;
		}
		return WA_NONE;
	case WIN_IDLE:
		break;
	}
	why = open_reason(w, now, anon, demand);
	if (!why || !fits_budget(w, now, demand))
		return WA_NONE;
	if (!strcmp(why, "schedule") || !strcmp(why, "growth"))
		w->last_sched = now; /* a growth window also resets the schedule */
	w->reason = why;
	w->id++;
	w->phase = WIN_CAPTURE;
	w->phase_start = w->open_at = now;
	return WA_OPEN;
}

void windows_abort(struct window_sched *w)
{
	if (w->phase == WIN_IDLE)
		return;
	w->phase = WIN_IDLE;
	/* keep the id: a failed window's id is never reused */
	w->last_sched = w->phase_start;
}
