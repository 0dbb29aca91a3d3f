// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* gcstats.c: see gcstats.h. */
#include <errno.h>
#include <string.h>
#include "gcstats.h"
#include "procmem.h"
#include "pyoffsets.h"

#define GEN_SIZE 24	/* struct gc_generation {PyGC_Head head; int threshold, count;} */
#define STATS_SIZE 24	/* struct gc_generation_stats {collections, collected, uncollectable} */

static bool plausible(const int32_t thr[3])
{
	for (int i = 0; i < 3; i++)
		if (thr[i] < 0 || thr[i] > 100000000)
			return false;
	return thr[0] > 0;
}

static int read_thresholds(pid_t pid, uint64_t gen0, int32_t thr[3], int32_t cnt[3])
{
	int32_t v[2];
	int err;

	for (int i = 0; i < 3; i++) {
		err = pm_read(pid, gen0 + i * GEN_SIZE + 16, v, sizeof(v));
		if (err)
			return err;
		thr[i] = v[0];
		cnt[i] = v[1];
	}
	return 0;
}

int gc_reader_init(struct gc_reader *r, pid_t pid, uint64_t runtime_addr, const struct py_layout *L)
{
	/* Upstream layout first, then Debian/Ubuntu 3.13's gchead-alignment.diff,
	 * which 4-aligns PyGC_Head and so pulls generations[] 4 bytes up. */
	static const uint16_t candidates[] = { 0x18, 0x14 };
	uint64_t interp = 0;
	int32_t thr[3], cnt[3];
	int err;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	if (L->rt_gc) {
		r->gc_addr = runtime_addr + L->rt_gc;
	} else {
		err = pm_read_u64(pid, runtime_addr + L->rt_interp_head, &interp);
		if (err)
			return err;
		if (!interp)
			return -ENOENT;
		r->gc_addr = interp + L->interp_gc;
	}
	r->stats = L->gc_stats;
	r->enabled = L->gc_enabled;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		err = read_thresholds(pid, r->gc_addr + candidates[i], thr, cnt);
		if (err)
			return err;
		/* The defaults (700 or 2000, 10, 10) identify the layout for
		 * sure; a process that changed them is taken at the first
		 * plausible candidate. */
		if ((thr[0] == 700 || thr[0] == 2000) && thr[1] == 10 &&
		    (thr[2] == 10 || thr[2] == 0)) {
			r->generations = candidates[i];
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (!read_thresholds(pid, r->gc_addr + candidates[i], thr, cnt) && plausible(thr)) {
			r->generations = candidates[i];
			return 0;
		}
	}
	return -EPROTO;
}

int gc_read(const struct gc_reader *r, struct gc_snapshot *out)
{
	uint64_t stats[9];
	int32_t enabled;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = read_thresholds(r->pid, r->gc_addr + r->generations, out->threshold,
				   out->count)) ||
	    (err = pm_read(r->pid, r->gc_addr + r->stats, stats, sizeof(stats))) ||
	    (err = pm_read(r->pid, r->gc_addr + r->enabled, &enabled, sizeof(enabled))))
		return err;
	for (int i = 0; i < 3; i++) {
		out->collections[i] = stats[3 * i];
		out->collected[i] = stats[3 * i + 1];
		out->uncollectable[i] = stats[3 * i + 2];
	}
	out->enabled = enabled != 0;
	return 0;
}

int gc_list_heads(const struct gc_reader *r, uint64_t heads[4], int *n)
{
	uint64_t links[2];
	int err;

	*n = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t head = r->gc_addr + r->generations + i * GEN_SIZE;

		err = pm_read(r->pid, head, links, sizeof(links));
		if (err)
			return err;
		/* a list head links to itself when empty, else to objects,
		 * which the allocator 8-aligns; the low 2 bits of a link may
		 * be flags */
		for (int j = 0; j < 2; j++) {
			uint64_t to = links[j] & ~3ull;

			if (to != head && (!to || (to & 7)))
				return -EPROTO;
		}
		heads[i] = head;
	}
	*n = 3;
	return 0;
}
