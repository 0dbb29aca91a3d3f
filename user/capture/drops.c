// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* drops.c: see drops.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "drops.h"

/* One table of names and fields: the JSON keys, the text labels and the
 * warning all come from here, so they cannot disagree. */
static const struct {
	const char *name;
	size_t off;
} fields[] = {
#define F(x) { #x, offsetof(struct report_drops, x) }
	F(live_full), F(sites_full), F(inflight_full), F(stacks_full), F(sw_full),
	F(read_fault), F(truncated), F(no_tstate), F(hint_drops),
#undef F
};

static uint64_t field(const struct report_drops *d, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)d + fields[i].off, sizeof(v));
	return v;
}

void drops_from_stats(const uint64_t stats[PYLEAK_STAT_MAX], uint64_t hint_drops,
		      struct report_drops *d)
{
	d->live_full = stats[PYLEAK_STAT_LIVE_FULL];
	d->sites_full = stats[PYLEAK_STAT_SITES_FULL];
	d->inflight_full = stats[PYLEAK_STAT_INFLIGHT_FULL];
	d->stacks_full = stats[PYLEAK_STAT_STACKS_FULL];
	d->sw_full = stats[PYLEAK_STAT_SW_FULL];
	d->read_fault = stats[PYLEAK_STAT_READ_FAULT];
	d->truncated = stats[PYLEAK_STAT_TRUNCATED];
	d->no_tstate = stats[PYLEAK_STAT_NO_TSTATE];
	d->hint_drops = hint_drops;
}

uint64_t drops_untracked(const struct report_drops *d)
{
	return d->live_full + d->sites_full + d->inflight_full;
}

int drops_grew(const struct report_drops *prev, const struct report_drops *cur, char *buf,
	       size_t len)
{
	size_t used = 0;
	int n = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t a = field(prev, i), b = field(cur, i);
		int w;

		if (b <= a)
			continue;
		w = snprintf(buf + used, used < len ? len - used : 0, "%s%s +%" PRIu64,
			     n ? ", " : "drops since the last report: ", fields[i].name, b - a);
		if (w > 0)
			used += (size_t)w;
		n++;
	}
	return n;
}

void drops_print(FILE *f, const struct report_drops *d, bool json)
{
	const char *sep = json ? "," : ", ";

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fprintf(f, json ? "%s\"%s\":%" PRIu64 : "%s%s %" PRIu64, i ? sep : "",
			fields[i].name, field(d, i));
}
