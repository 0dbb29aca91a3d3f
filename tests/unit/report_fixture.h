/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report_fixture.h: one made-up report shared by the file exporters' unit
 * tests (test_out_prom.c, test_out_pprof.c, test_out_folded.c): two sites
 * that share their outer frames, a native caller on the first, growth mode
 * with every figure known. fixture_report() fills fx from static data.
 */
#ifndef PYLEAK_REPORT_FIXTURE_H
#define PYLEAK_REPORT_FIXTURE_H

#include <string.h>

#include "report.h"

static const struct report_frame fx_leak_frames[] = {
	{ "/srv/app/leak.py", "grow", 12, 0, },
	{ "/srv/app/main.py", "main", 40, 0, },
};
static const struct report_frame fx_churn_frames[] = {
	{ "/srv/app/cache.py", "Cache.put", 7, 0, },
	{ "/srv/app/main.py", "main", 40, 0, },
};

struct fixture {
	struct report r;
	struct report_site sites[2];
	struct report_incident incidents[3];
	uint64_t members[2];
	struct report_growth g;
	struct report_process p;
};

static inline struct report *fixture_report(struct fixture *fx)
{
	struct report *r = &fx->r;
	struct report_site *sites = fx->sites;
	struct report_growth *g = &fx->g;
	struct report_process *p = &fx->p;

	memset(r, 0, sizeof(*r));
	*g = (struct report_growth){ .anon_bytes = 50 << 20, .windows = 5, .settled = 4,
				     .window_spent_s = 12.5, .window_budget_s = 120,
				     .window_total_s = 12.5 };
	*p = (struct report_process){ .anon_bytes = 50 << 20, .anon_rate_bps = 1234.5,
				      .anon_span_s = 60, .gc_known = true, .gc_enabled = true,
				      .gc_collected = { 10, 2, 1 }, .active_alerts = 1,
				      .alerts_raised = 2 };
	sites[0] = (struct report_site){ .id = 0x0123456789abcdefULL, .bytes = 1048576,
					 .count = 1000, .rate_bps = 2048.25,
					 .native_caller = "list_repeat+0x1b0 (libpython3.11.so.1.0)",
					 .evidence = "survivors", .windows_seen = 4,
					 .windows_survived = 3, .alert = true, .nframes = 2,
					 .frames = fx_leak_frames };
	sites[1] = (struct report_site){ .id = 0xfedcba9876543210ULL, .bytes = 4096, .count = 8,
					 .rate_bps = 0, .evidence = "survivors",
					 .windows_seen = 4, .windows_survived = 0, .nframes = 2,
					 .frames = fx_churn_frames };
	r->h = (struct report_header){ .seq = 3, .elapsed_s = 30, .pid = 1234, .comm = "python3",
				       .python_version = "3.11.7", .build = "shared libpython, symbols",
				       .mode = "growth", .capture = "kernel growth events + windows",
				       .rss_bytes = 80 << 20, .outstanding_bytes = 1048576 + 4096,
				       .outstanding_count = 1008, .nsites = 2,
				       .gc_collections = { 120, 10, 1 }, .gc_collections_known = true,
				       .alloc_hits = 20000, .free_hits = 19000, .drops = 7,
				       .no_tstate = 3, .growth = g, .process = p,
				       .group_by = "stack", .unix_time = 1795999540.25,
				       .version = "0.1.0" };
	r->nsites = 2;
	r->sites = sites;
	r->h.drop_counts = (struct report_drops){ .live_full = 7, .no_tstate = 3 };
	p->resources_known = true;
	p->fds = 12;
	p->threads = 3;
	p->incidents_raised = 3;
	/* two active incidents and one resolved (never exported) */
	fx->members[0] = sites[0].id;
	fx->members[1] = sites[1].id;
	fx->incidents[0] = (struct report_incident){ .id = 0x1111222233334444ULL,
						     .state = "leak_suspect",
						     .head = fx_leak_frames[1], .nmembers = 1,
						     .members = &fx->members[0], .rate_bps = 2048.25,
						     .bytes = 1048576 };
	fx->incidents[1] = (struct report_incident){ .id = 0x5555666677778888ULL,
						     .state = "leak_suspect",
						     .head = fx_churn_frames[0], .nmembers = 1,
						     .members = &fx->members[1], .rate_bps = 100 };
	fx->incidents[2] = (struct report_incident){ .id = 0x9999aaaabbbbccccULL,
						     .state = "resolved",
						     .head = fx_churn_frames[1] };
	r->nincidents = 3;
	r->incidents = fx->incidents;
	return r;
}

/* A containerd container of a burstable Kubernetes pod, its names found in
 * the kubelet's pods directory: every label known. */
#define FX_CID "4f0a3d2c1b9e8f7a6d5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a39281706"
#define FX_POD_UID "0b7e6b1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define FX_LABELS "container_id=\"" FX_CID "\",pod_uid=\"" FX_POD_UID "\"," \
		  "namespace=\"shop\",pod=\"web-7d9f\",container=\"app\",qos=\"burstable\"," \
		  "runtime=\"containerd\""

static inline const struct proc_identity *fixture_identity(struct proc_identity *id)
{
	memset(id, 0, sizeof(*id));
	strcpy(id->cgroup, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			   "0b7e6b1a_3c2d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" FX_CID ".scope");
	strcpy(id->container_id, FX_CID);
	strcpy(id->runtime, "containerd");
	strcpy(id->pod_uid, FX_POD_UID);
	strcpy(id->qos, "burstable");
	strcpy(id->pod_namespace, "shop");
	strcpy(id->pod_name, "web-7d9f");
	strcpy(id->container_name, "app");
	return id;
}

#endif /* PYLEAK_REPORT_FIXTURE_H */
