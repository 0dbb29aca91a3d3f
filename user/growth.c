// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* growth.c: see growth.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "array.h"
#include "collect.h"
#include "growth.h"
#include "growth.skel.h"
#include "log.h"

int growth_open(struct growth_watch *g, uint32_t max_hints, uint32_t max_depth, bool hints)
{
	struct bpf_program *progs[4];
	int err;

	memset(g, 0, sizeof(*g));
	g->skel = growth_bpf__open();
	if (!g->skel)
		return -errno;
	g->skel->rodata->max_depth = max_depth;
	g->skel->rodata->hints_on = hints;
	if ((err = bpf_map__set_max_entries(g->skel->maps.hints, max_hints)) ||
	    (err = bpf_map__set_max_entries(g->skel->maps.hint_stacks, max_hints)))
		goto fail;
	err = growth_bpf__load(g->skel);
	if (err)
		goto fail;
	progs[0] = g->skel->progs.fault_user;
	progs[1] = g->skel->progs.page_alloc;
	progs[2] = g->skel->progs.sys_exit;
	progs[3] = g->skel->progs.process_exec;
	for (int i = 0; i < 4; i++) {
		g->links[i] = bpf_program__attach(progs[i]);
		if (!g->links[i]) {
			err = -errno;
			log_err("cannot attach %s: %s", bpf_program__name(progs[i]), strerror(-err));
			goto fail;
		}
		g->nlinks++;
	}
	return 0;
fail:
	growth_close(g);
	return err;
}

int growth_watch_pid(struct growth_watch *g, uint32_t pid, const struct pyleak_proc *proc)
{
	struct pyleak_growth zero = {};

	if (bpf_map__update_elem(g->skel->maps.procs, &pid, sizeof(pid), proc, sizeof(*proc),
				 BPF_ANY) ||
	    bpf_map__update_elem(g->skel->maps.growth, &pid, sizeof(pid), &zero, sizeof(zero),
				 BPF_ANY))
		return -errno;
	return 0;
}

int growth_read(struct growth_watch *g, uint32_t pid, struct pyleak_growth *out)
{
	if (bpf_map__lookup_elem(g->skel->maps.growth, &pid, sizeof(pid), out, sizeof(*out), 0))
		return -errno;
	return 0;
}

int growth_read_hints(struct growth_watch *g)
{
	int fd = bpf_map__fd(g->skel->maps.hints);
	uint64_t key, next;
	struct pyleak_hint h;
	struct raw_site *p;
	bool first = true;

	g->nhints = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &h))
			continue;
		p = array_room(g->hints, &g->caphints, g->nhints, sizeof(*p), 256);
		if (!p)
			return -ENOMEM;
		g->hints = p;
		memset(&g->hints[g->nhints], 0, sizeof(g->hints[0]));
		g->hints[g->nhints].id = key;
		g->hints[g->nhints].v.bytes = (int64_t)h.bytes;
		g->hints[g->nhints].v.count = (int64_t)h.faults;
		g->hints[g->nhints].v.allocs = h.faults;
		g->nhints++;
	}
	return 0;
}

int growth_hint_stack(struct growth_watch *g, uint64_t id, struct pyleak_stack *st)
{
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.hint_stacks), &id, st))
		return -ENOENT;
	return 0;
}

int growth_tstates_apply(struct growth_watch *g, const struct tstates *ts)
{
	return collect_tstates_apply_fd(bpf_map__fd(g->skel->maps.tstate_cache), ts);
}

void growth_close(struct growth_watch *g)
{
	for (int i = 0; i < g->nlinks; i++)
		bpf_link__destroy(g->links[i]);
	g->nlinks = 0;
	growth_bpf__destroy(g->skel);
	g->skel = NULL;
	free(g->hints);
	g->hints = NULL;
	g->nhints = g->caphints = 0;
}
