// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* liveness.c: see liveness.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "collect.h"
#include "liveness.h"
#include "log.h"
#include "pytypes.h"
#include "sites.h"

/* (site, window) tallies per ranking: open addressing, twice the most
 * that can be sampled */
#define TALLY_SLOTS (2 * LIVENESS_READS_MAX)

struct tally {
	uint64_t gid;
	uint32_t window;
	struct site_liveness l;
};

struct liveness {
	pid_t pid;
	struct pytype_reader r;
	struct tally *t;    /* TALLY_SLOTS */
	uint32_t ntally;
	uint32_t reads;	    /* this ranking */
	uint32_t settled;
	struct site_store *ss;
};

struct liveness *liveness_new(pid_t pid, uint32_t version_hex)
{
	struct liveness *lv = calloc(1, sizeof(*lv));
	int err;

	if (!lv)
		return NULL;
	lv->t = calloc(TALLY_SLOTS, sizeof(*lv->t));
	if (!lv->t) {
		free(lv);
		errno = ENOMEM;
		return NULL;
	}
	err = pytype_reader_init_pid(&lv->r, pid, version_hex);
	if (err) {
		free(lv->t);
		free(lv);
		errno = -err;
		return NULL;
	}
	lv->pid = pid;
	return lv;
}

void liveness_free(struct liveness *lv)
{
	if (!lv)
		return;
	pytype_reader_free(&lv->r);
	free(lv->t);
	free(lv);
}

/* tally_of() - the slot of (gid, window), claimed if new; NULL when the
 * table is as full as the read budget allows. */
static struct tally *tally_of(struct liveness *lv, uint64_t gid, uint32_t window)
{
	uint64_t h = (gid ^ ((uint64_t)window * 0x9E3779B97F4A7C15ULL)) * 0xff51afd7ed558ccdULL;
	uint32_t i = (uint32_t)(h >> 40) & (TALLY_SLOTS - 1);

	while (lv->t[i].window && (lv->t[i].gid != gid || lv->t[i].window != window))
		i = (i + 1) & (TALLY_SLOTS - 1);
	if (!lv->t[i].window) {
		if (lv->ntally >= LIVENESS_READS_MAX)
			return NULL;
		lv->ntally++;
		lv->t[i].gid = gid;
		lv->t[i].window = window;
	}
	return &lv->t[i];
}

/* sample_one() - collect_live_fn: read one survivor of a settled window,
 * unless its (site, window) has its sample already. */
static int sample_one(void *ctx, const struct pyleak_ptr *k, const struct pyleak_alloc *v)
{
	struct liveness *lv = ctx;
	enum pytype_liveness state;
	struct tally *t;
	uint64_t gid;
	int err;

	if (lv->reads >= LIVENESS_READS_MAX)
		return 1; /* budget spent: stop the walk */
	if (k->pid != (uint32_t)lv->pid || !v->window || v->window > lv->settled)
		return 0;
	gid = sites_group_of(lv->ss, v->site);
	if (!gid)
		return 0;
	t = tally_of(lv, gid, v->window);
	if (!t || t->l.sampled >= LIVENESS_PER_WINDOW)
		return 0;
	lv->reads++;
	err = pytype_alloc_liveness(&lv->r, k->ptr, v->size, &state);
	if (err)
		return err;
	t->l.sampled++;
	t->l.sampled_bytes += v->size;
	if (state == PYTYPE_DEAD) {
		t->l.dead++;
		t->l.dead_bytes += v->size;
	}
	return 0;
}

int liveness_sample(struct liveness *lv, struct capture *c, struct site_store *ss,
		    uint32_t settled)
{
	uint32_t dead = 0, sampled = 0;
	int err;

	if (!settled)
		return 0;
	memset(lv->t, 0, TALLY_SLOTS * sizeof(*lv->t));
	lv->ntally = 0;
	lv->reads = 0;
	lv->settled = settled;
	lv->ss = ss;
	/* classes made at run time may reuse a freed type's address */
	pytype_reader_revalidate(&lv->r);
	err = collect_live_each(c, LIVENESS_SCAN_MAX, sample_one, lv);
	for (uint32_t i = 0; i < TALLY_SLOTS; i++) {
		const struct tally *t = &lv->t[i];

		if (!t->window)
			continue;
		sites_liveness(ss, t->gid, t->window, &t->l);
		sampled += t->l.sampled;
		dead += t->l.dead;
		if (t->l.dead)
			log_debug("site %016" PRIx64 " window %" PRIu32 ": %" PRIu32 " of %" PRIu32
				  " survivors read are dead objects",
				  t->gid, t->window, t->l.dead, t->l.sampled);
	}
	log_debug("survivor liveness: %" PRIu32 " read, %" PRIu32 " dead, %" PRIu32
		  " (site, window) pairs", sampled, dead, lv->ntally);
	return err;
}
