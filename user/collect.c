// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* collect.c: see collect.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "alloc.skel.h"
#include "capture.h"
#include "collect.h"

int collect_read(struct capture *c, uint32_t pid, struct collect_snapshot *snap)
{
	int sites_fd = bpf_map__fd(c->skel->maps.sites);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t key, next, *percpu;
	bool first = true;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	snap->n = 0;
	/* Iterating a hash map while BPF inserts may skip or repeat an entry
	 * that moved; a site missed now is seen at the next interval. */
	while (!bpf_map_get_next_key(sites_fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (snap->n == snap->cap) {
			size_t cap = snap->cap ? snap->cap * 2 : 1024;
			struct raw_site *p = realloc(snap->sites, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			snap->sites = p;
			snap->cap = cap;
		}
		if (bpf_map_lookup_elem(sites_fd, &key, &snap->sites[snap->n].v))
			continue; /* deleted meanwhile */
		snap->sites[snap->n++].id = key;
	}

	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < PYLEAK_STAT_MAX; i++) {
		snap->stats[i] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stats), &i, percpu)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			snap->stats[i] += percpu[cpu];
	}
	free(percpu);
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.gc), &pid, &snap->gc))
		memset(&snap->gc, 0, sizeof(snap->gc));
	return err;
}

int collect_stack(struct capture *c, uint64_t id, struct pyleak_stack *st)
{
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &id, st))
		return -ENOENT;
	if (st->depth > PYLEAK_MAX_FRAMES)
		st->depth = PYLEAK_MAX_FRAMES;
	return 0;
}

void collect_free(struct collect_snapshot *snap)
{
	free(snap->sites);
	snap->sites = NULL;
	snap->n = snap->cap = 0;
}
