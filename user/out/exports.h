/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exports.h: the file exports (--prom-file, --pprof, --folded, --html), each
 * rewritten atomically (atomic_file.h) from the report model after every
 * report, the final one included. A failing export is logged once per
 * error and never stops profiling. --listen serves the --prom-file
 * exposition over HTTP (http_metrics.h): rendered here, after each report,
 * into the server's memory.
 *
 * Several processes (node mode) share one struct exports: it keeps the
 * latest Prometheus rendering of each (by pid; a report's pointers die with
 * its session's next update, so renderings are kept, not reports), and the
 * Prometheus file and /metrics hold every process's series, each family
 * once. Node mode's per-process files (--pprof, --folded, --html) carry the
 * pid in their name (exports_proc_path()); single-process mode writes the
 * exact paths given.
 */
#ifndef PYLEAK_EXPORTS_H
#define PYLEAK_EXPORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "atomic_file.h"
#include "options.h"
#include "out_prom.h"
#include "report.h"

struct http_metrics;

/* One process's share of the exports (exports.c). */
struct export_proc {
	int pid;
	char *prom;		/* its Prometheus samples, family after family */
	size_t *fam_end;	/* [prom_nfamilies()]: end of family k's samples in prom */
	/* node mode: its own files, paths with its pid (malloc'd) */
	char *pprof_path, *folded_path, *html_path;
	struct atomic_file pprof, folded, html;
};

/* One service's share (--group-by-service): its rendering, by family. */
struct export_service {
	uint64_t id;
	char *prom;
	size_t fam_end[PROM_SERVICE_FAMILIES];
};

struct exports {
	struct atomic_file prom, pprof, folded, html;
	struct http_metrics *http; /* --listen, NULL = off */
	bool prom_on, pprof_on, folded_on, html_on;
	int prom_top;
	bool node;		   /* node mode: per-process file names */
	int max_procs;		   /* 1, or node mode's --max-targets */
	int nprocs;
	struct export_proc *procs; /* [max_procs], allocated at the first write */
	bool full_said;		   /* "too many processes" logged */
	struct node_stats stats;   /* exports_node_stats(), when stats_on */
	bool stats_on;
	struct export_service *svcs; /* [max_procs]: a service has a process */
	int nsvcs;
};

/* exports_init() - the exports o asks for (o must outlive x), for one
 * process at the exact paths o gives. */
void exports_init(struct exports *x, const struct options *o);

/* exports_node_mode() - call once after exports_init(), before the first
 * write: up to max_procs processes (node mode's --max-targets), each with
 * its own --pprof/--folded/--html file named by exports_proc_path().
 * Returns 0, or -EINVAL (max_procs < 1, or a write already happened). */
int exports_node_mode(struct exports *x, int max_procs);

/* exports_proc_path() - node mode's file name of process pid for path:
 * ".<pid>" inserted before the first '.' of the last component (leading
 * dots aside), or appended when it has none: "out/leak.pb.gz" ->
 * "out/leak.1234.pb.gz", "report.html" -> "report.1234.html", "stacks" ->
 * "stacks.1234". Returns a malloc'd string, or NULL (out of memory). */
char *exports_proc_path(const char *path, int pid);

/* exports_write() - r becomes its process's latest state: the Prometheus
 * file and /metrics are rewritten with every process's series, and r's
 * --pprof/--folded/--html files from r. A process beyond max_procs is not
 * exported (logged once). Returns how many exports failed. */
int exports_write(struct exports *x, const struct report *r);

/* exports_forget() - process pid is gone: its series leave the Prometheus
 * file and /metrics, rewritten at once (its own files stay, with its final
 * report). Unknown pids are ignored. Returns how many exports failed. */
int exports_forget(struct exports *x, int pid);

/* exports_node_stats() - node mode's own figures (reason strings static):
 * written once per Prometheus file and /metrics, after the processes'
 * series; rewritten at once when they changed. Returns how many failed. */
int exports_node_stats(struct exports *x, const struct node_stats *ns);

/* exports_service() - r becomes its service's latest state in the
 * Prometheus file and /metrics (after the node's families); rewritten at
 * once. Returns how many exports failed (-ENOMEM counts as one). */
int exports_service(struct exports *x, const struct svc_report *r);

/* exports_forget_service() - service id has no process left: its series
 * leave, rewritten at once. Unknown ids are ignored. */
int exports_forget_service(struct exports *x, uint64_t id);

/*
 * exports_listen() - start --listen's server if o asks for it (/healthz goes
 * stale after a few report intervals without exports_beat()). Returns 0, or
 * -errno after logging an error naming the address.
 */
int exports_listen(struct exports *x, const struct options *o);

/* exports_beat() - the main loop ran (each tick): /healthz stays 200. */
void exports_beat(struct exports *x);

/* exports_close() - stop the server and free the kept renderings (the
 * files need nothing). */
void exports_close(struct exports *x);

#endif /* PYLEAK_EXPORTS_H */
