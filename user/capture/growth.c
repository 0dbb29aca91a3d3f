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
#include "retention.h"
#include "tstates.h"

int growth_open(struct growth_watch *g, uint32_t max_procs, uint32_t max_hints, uint32_t max_depth,
		bool hints)
{
	struct bpf_program *progs[GROWTH_NPROGS];
	int err;

	memset(g, 0, sizeof(*g));
	g->skel = growth_bpf__open();
	if (!g->skel)
		return -errno;
	g->skel->rodata->max_depth = max_depth;
	g->skel->rodata->hints_on = hints;
	if ((err = bpf_map__set_max_entries(g->skel->maps.hints, max_hints)) ||
	    (err = bpf_map__set_max_entries(g->skel->maps.hint_stacks, max_hints)) ||
	    (err = bpf_map__set_max_entries(g->skel->maps.procs, max_procs)) ||
	    (err = bpf_map__set_max_entries(g->skel->maps.growth, max_procs)))
		goto fail;
	err = growth_bpf__load(g->skel);
	if (err)
		goto fail;
	progs[0] = g->skel->progs.fault_user;
	progs[1] = g->skel->progs.page_alloc;
	progs[2] = g->skel->progs.sys_exit;
	progs[3] = g->skel->progs.process_exec;
	progs[4] = g->skel->progs.thread_exit;
	for (int i = 0; i < GROWTH_NPROGS; i++) {
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

void growth_unwatch_pid(struct growth_watch *g, uint32_t pid, struct growth_hints *gh)
{
	int hints_fd, stacks_fd;

	if (!g->skel)
		return;
	bpf_map__delete_elem(g->skel->maps.procs, &pid, sizeof(pid), 0);
	bpf_map__delete_elem(g->skel->maps.growth, &pid, sizeof(pid), 0);
	hints_fd = bpf_map__fd(g->skel->maps.hints);
	stacks_fd = bpf_map__fd(g->skel->maps.hint_stacks);
	/* a fresh reading: hints recorded since the last one go too */
	g->all_read_at = 0;
	if (!growth_read_hints(g, pid, 0, NULL))
		for (size_t i = 0; i < g->nall; i++)
			if (g->all[i].h.tgid == pid) {
				bpf_map_delete_elem(hints_fd, &g->all[i].id);
				bpf_map_delete_elem(stacks_fd, &g->all[i].id);
			}
	g->all_read_at = 0; /* the reading holds deleted hints */
	growth_hints_free(gh);
}

/* read_all() - the whole hint map into g->all. */
static int read_all(struct growth_watch *g)
{
	int fd = bpf_map__fd(g->skel->maps.hints);
	uint64_t key, next;
	struct pyleak_hint_kv *p;
	bool first = true;

	g->nall = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		p = array_room(g->all, &g->capall, g->nall, sizeof(*p), 256);
		if (!p)
			return -ENOMEM;
		g->all = p;
		g->all[g->nall].id = key;
		if (bpf_map_lookup_elem(fd, &key, &g->all[g->nall].h))
			continue;
		g->nall++;
	}
	return 0;
}

int growth_read_hints(struct growth_watch *g, uint32_t pid, double now, struct growth_hints *gh)
{
	int err;

	if (!g->all_read_at || now - g->all_read_at >= GROWTH_HINTS_READ_S || now < g->all_read_at) {
		err = read_all(g);
		if (err)
			return err;
		g->all_read_at = now;
	}
	return gh ? growth_hints_of(g->all, g->nall, pid, gh) : 0;
}

int growth_hints_of(const struct pyleak_hint_kv *all, size_t n, uint32_t pid,
		    struct growth_hints *gh)
{
	struct raw_site *p;

	gh->nhints = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pyleak_hint *h = &all[i].h;

		if (h->tgid != pid)
			continue;
		p = array_room(gh->hints, &gh->caphints, gh->nhints, sizeof(*p), 256);
		if (!p)
			return -ENOMEM;
		gh->hints = p;
		memset(&gh->hints[gh->nhints], 0, sizeof(gh->hints[0]));
		gh->hints[gh->nhints].id = all[i].id;
		gh->hints[gh->nhints].v.bytes = (int64_t)h->bytes;
		gh->hints[gh->nhints].v.count = (int64_t)h->faults;
		gh->hints[gh->nhints].v.allocs = h->faults;
		gh->nhints++;
	}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct raw_site *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_bytes_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

long growth_prune_hints(struct growth_watch *g, struct growth_hints *gh, int keep_top)
{
	int hints_fd = bpf_map__fd(g->skel->maps.hints);
	int stacks_fd = bpf_map__fd(g->skel->maps.hint_stacks);
	int64_t *bytes = malloc((gh->nhints ? gh->nhints : 1) * sizeof(*bytes));
	uint64_t kept_bytes = 0;
	struct raw_site *p, *next = NULL; /* becomes gh->prev */
	size_t keep = 0, capnext = 0;
	long deleted = 0;

	if (!bytes)
		return -ENOMEM;
	/* the keep_top largest stay, whatever their age */
	for (size_t i = 0; i < gh->nhints; i++)
		bytes[i] = gh->hints[i].v.bytes;
	array_sort(bytes, gh->nhints, sizeof(*bytes), by_bytes_desc);
	if (keep_top > 0 && gh->nhints > (size_t)keep_top)
		kept_bytes = (uint64_t)bytes[keep_top - 1];
	free(bytes);
	gh->nretired = 0;
	for (size_t i = 0; i < gh->nhints; i++) {
		const struct raw_site *h = &gh->hints[i];
		const struct raw_site *b = gh->nprev ? bsearch(h, gh->prev, gh->nprev, sizeof(*h), by_id)
						    : NULL;

		if (kept_bytes &&
		    retention_hint_over(h->v.allocs, b ? b->v.allocs : 0, (uint64_t)h->v.bytes,
					kept_bytes) &&
		    !bpf_map_delete_elem(hints_fd, &h->id)) {
			bpf_map_delete_elem(stacks_fd, &h->id);
			p = array_room(gh->retired, &gh->capretired, gh->nretired, sizeof(*p), 256);
			if (!p) {
				free(next);
				return -ENOMEM;
			}
			gh->retired = p;
			gh->retired[gh->nretired++] = *h;
			deleted++;
			continue;
		}
		/* kept: remembered for the next pass */
		p = array_room(next, &capnext, keep, sizeof(*p), 256);
		if (!p) {
			free(next);
			return -ENOMEM;
		}
		next = p;
		next[keep++] = *h;
	}
	array_sort(next, keep, sizeof(*next), by_id);
	if (deleted)
		g->all_read_at = 0; /* the shared reading holds them: read again */
	free(gh->prev);
	gh->prev = next;
	gh->nprev = keep;
	gh->capprev = capnext;
	return deleted;
}

int growth_hint_stack(struct growth_watch *g, uint64_t id, struct pyleak_stack *st)
{
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.hint_stacks), &id, st))
		return -ENOENT;
	return 0;
}

int growth_tstates_apply(struct growth_watch *g, pid_t pid, const struct tstates *ts, bool all)
{
	return collect_tstates_apply_fd(bpf_map__fd(g->skel->maps.tstate_cache), pid, ts, all);
}

void growth_tstates_forget(struct growth_watch *g, pid_t pid, const struct tstates *ts)
{
	if (g->skel)
		collect_tstates_forget_fd(bpf_map__fd(g->skel->maps.tstate_cache), pid, ts);
}

void growth_close(struct growth_watch *g)
{
	for (int i = 0; i < g->nlinks; i++)
		bpf_link__destroy(g->links[i]);
	g->nlinks = 0;
	growth_bpf__destroy(g->skel);
	g->skel = NULL;
	ARRAY_FREE(g->all, g->nall, g->capall);
	g->all_read_at = 0;
}

void growth_hints_free(struct growth_hints *gh)
{
	if (!gh)
		return;
	ARRAY_FREE(gh->hints, gh->nhints, gh->caphints);
	ARRAY_FREE(gh->prev, gh->nprev, gh->capprev);
	ARRAY_FREE(gh->retired, gh->nretired, gh->capretired);
}
