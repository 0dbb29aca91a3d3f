// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* oomwatch.c: see oomwatch.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "oom.skel.h"
#include "oomwatch.h"

/* The kernel's "no limit" is PAGE_COUNTER_MAX (LONG_MAX / PAGE_SIZE) pages;
 * no real limit comes near this. */
#define PAGES_UNLIMITED_FROM (1ULL << 50)

static const char src_victim[] = "oom/mark_victim";
static const char src_events[] = "memory.events oom_kill";

void oomwatch_open(struct oomwatch *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->skel = oom_bpf__open_and_load();
	if (!w->skel) {
		log_debug("OOM kills: the kernel side (tp_btf oom/mark_victim) cannot be loaded "
			  "(%s); told from the memory cgroup's oom_kill count instead",
			  strerror(errno));
		return;
	}
	w->victim_link = bpf_program__attach(w->skel->progs.mark_victim);
	if (!w->victim_link) {
		err = -errno;
		log_debug("OOM kills: tp_btf oom/mark_victim cannot be attached (%s); told from "
			  "the memory cgroup's oom_kill count instead", strerror(-err));
	}
	w->exit_link = bpf_program__attach(w->skel->progs.process_exit);
	if (!w->exit_link)
		log_debug("OOM kills: tp_btf sched_process_exit cannot be attached (%s): the "
			  "signal a process died of is unknown", strerror(errno));
}

int oom_target_start(struct oomwatch *w, struct oom_target *t, pid_t pid)
{
	struct pyleak_oom zero = {};
	uint32_t key = pid;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (w->skel && !bpf_map__update_elem(w->skel->maps.oom, &key, sizeof(key), &zero,
					     sizeof(zero), BPF_ANY))
		t->watched = true;
	err = memcg_open(pid, &t->cg);
	t->cg_ok = !err;
	if (t->cg_ok)
		t->kills0_ok = !memcg_read(&t->cg, NULL, &t->kills0);
	else
		log_debug("memory cgroup of PID %d not found: %s", (int)pid, strerror(-err));
	return t->watched || t->cg_ok ? 0 : err;
}

const struct report_oom *oom_target_end(struct oomwatch *w, struct oom_target *t,
					int wait_status)
{
	struct oom_evidence e = { .victim_attached = w->victim_link != NULL,
				  .wait_status = wait_status,
				  .page_size = (uint64_t)sysconf(_SC_PAGESIZE) };
	uint32_t key = t->pid;

	if (t->watched) {
		e.kernel_known = !bpf_map__lookup_elem(w->skel->maps.oom, &key, sizeof(key), &e.k,
						       sizeof(e.k), 0);
		bpf_map__delete_elem(w->skel->maps.oom, &key, sizeof(key), 0);
		t->watched = false;
	}
	if (t->cg_ok) {
		e.limit = MEMCG_UNLIMITED;
		e.kills_known = t->kills0_ok;
		e.kills0 = t->kills0;
		/* each file on its own: a failed read leaves its figure unknown */
		if (memcg_read(&t->cg, &e.limit, NULL))
			e.limit = 0;
		e.limit_known = e.limit != 0;
		if (e.kills_known && memcg_read(&t->cg, NULL, &e.kills1))
			e.kills_known = false;
		t->rep.cgroup = t->cg.path;
	}
	if (!oom_judge(&e, &t->rep))
		return NULL;
	return &t->rep;
}

bool oom_judge(const struct oom_evidence *e, struct report_oom *out)
{
	bool sig_known = true; /* 0: it exited, not killed */
	int sig = 0;

	if (e->kernel_known && e->k.exits)
		sig = e->k.exit_code & 0x7f;
	else if (e->wait_status >= 0)
		sig = WIFSIGNALED(e->wait_status) ? WTERMSIG(e->wait_status) : 0;
	else
		sig_known = false;
	if (e->kernel_known && e->k.victim_ns)
		out->source = src_victim;
	else if (!e->victim_attached && e->kills_known && e->kills1 > e->kills0 &&
		 (!sig_known || sig == SIGKILL))
		out->source = src_events;
	else
		return false;
	out->exit_signal = sig;
	out->memory_max = 0;
	if (e->kernel_known && e->k.memcg_max_pages)
		out->memory_max = e->k.memcg_max_pages >= PAGES_UNLIMITED_FROM
					  ? MEMCG_UNLIMITED
					  : e->k.memcg_max_pages * e->page_size;
	else if (e->limit_known)
		out->memory_max = e->limit;
	out->oom_kills_known = e->kills_known;
	out->oom_kills = e->kills_known ? e->kills1 : 0;
	return true;
}

void oomwatch_close(struct oomwatch *w)
{
	bpf_link__destroy(w->victim_link);
	bpf_link__destroy(w->exit_link);
	oom_bpf__destroy(w->skel);
	memset(w, 0, sizeof(*w));
}
