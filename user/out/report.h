/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report.h: one report, as the exporters see it. The main loop fills it from
 * the site store and the collector each interval; out_text.c and out_json.c
 * turn it into text or one JSON object per line. Exporters only read it.
 *
 * All strings are owned by whoever built the report and outlive the write
 * call; a NULL string means "unknown" and is printed as such.
 */
#ifndef PYLEAK_REPORT_H
#define PYLEAK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "identity.h"

/* One symbolised Python frame. */
struct report_frame {
	const char *file; /* co_filename */
	const char *func; /* co_qualname (3.11+) or co_name */
	int line;	  /* source line, or -1 if unknown */
	int first_line;	  /* co_firstlineno (where the function starts), 0 if unknown */
};

/* One allocation site: a Python stack (innermost frame first). */
struct report_site {
	uint64_t id;		   /* stable: hash of the symbolised frames */
	int64_t bytes;		   /* outstanding bytes now */
	int64_t count;		   /* outstanding allocations now */
	int64_t delta_bytes;	   /* change since the previous report */
	int64_t delta_count;
	uint64_t allocs;	   /* allocations recorded since attach */
	uint64_t frees;		   /* of which freed */
	double age_s;		   /* seconds since its first recorded allocation */
	const char *native_caller; /* "symbol+0xoff (module)" of the top native caller, or NULL */
	const char *evidence;	   /* how it was seen: "alloc" (every allocation), "survivors"
				    * (exact windows, what outlived them), "first-touch hint" */
	/* growth mode (evidence "survivors"): bytes/count above are what
	 * survives of the settled windows' captures */
	uint32_t windows_seen;	   /* settled windows in which the site allocated */
	uint32_t windows_survived; /* of which most of its allocations survive */
	bool persistent;	   /* survives in >= 2 windows, the latest among them:
				    * the leak verdict of growth mode */
	bool truncated;		   /* stack deeper than --max-depth */
	int nframes;
	const struct report_frame *frames;
	/* growth judgement (see sites.h): alloc mode fits the outstanding
	 * bytes sampled over --window; growth mode measures what survives per
	 * second of capture */
	double rate_bps;	   /* bytes per second (printed per minute); 0 unknown */
	double window_growth;	   /* alloc mode: fitted growth over the window's samples */
	double window_span_s;	   /* alloc mode: how long those samples span */
	double p_value;		   /* alloc mode: Mann-Kendall one-sided p of growth; <0 unknown */
	const char *trend;	   /* "growing", "flat", "shrinking", "unknown"; NULL: none */
	bool alert;		   /* a leak_suspect alert is active on it */
	double alert_since_s;	   /* when that alert was raised, seconds since attach */
	int ntypes;		   /* object types of sampled live allocations (alloc mode) */
	const struct report_type_share *types;
	uint32_t types_sampled;	   /* allocations read for that */
};

/* One alert transition, printed once, in the report of the interval where
 * it happened. */
struct report_alert {
	const char *state;	/* "leak_suspect", "fd_leak", "thread_leak", "resolved", or
				 * "oom_killed" (process; frames: the top site's) */
	const char *subject;	/* "site", "process" (anonymous memory), "fds", "threads" */
	uint64_t id;		/* the site's id; 0 for the process */
	const char *evidence;	/* "trend" (alloc mode, process) or "survivors" (growth mode) */
	double rate_bps;	/* growth rate, bytes per second */
	double growth_bytes;	/* trend: fitted growth over duration_s; survivors: rate x window */
	double duration_s;	/* trend: span of the samples judged; resolved: how long it lasted */
	double p_value;		/* trend: Mann-Kendall one-sided p; <0 for survivors */
	uint32_t windows_seen, windows_survived; /* survivors */
	int64_t bytes;		/* site: outstanding (or surviving) bytes; process: RssAnon;
				 * fds, threads: the count now (rate_bps and
				 * growth_bytes are counts per second and counts) */
	double since_s;		/* raised at, seconds since attach */
	const char *native_caller;
	int nframes;		/* site: its stack, innermost first; process: 0 */
	const struct report_frame *frames;
	uint64_t incident;	/* site: the incident it belongs to (incidents.h); 0 none */
	const char *hint;	/* what to look for (fixhints.h), or NULL */
};

/* One incident: the active site alerts that share a head frame, the line to
 * fix (incidents.h). Listed in every report while active, and once more in
 * the report that resolves it. */
struct report_incident {
	uint64_t id;		  /* site_id_of() the head frame alone: stable */
	const char *state;	  /* "leak_suspect" (active) or "resolved" (by this report) */
	bool raised_now;	  /* raised by this report */
	struct report_frame head; /* innermost application frame */
	bool head_in_library;	  /* no application frame: headed by the library call */
	int nmembers;
	const uint64_t *members;  /* site ids (resolved: the last members) */
	uint32_t joined;	  /* members that joined in this report */
	double rate_bps;	  /* summed over the members */
	int64_t bytes;		  /* summed over the members */
	double since_s;		  /* raised at, seconds since attach */
	double duration_s;	  /* active for */
	const char *hint;	  /* what to look for at the head (fixhints.h), or NULL */
};

/* An object type's share of a site's sampled live allocations. */
struct report_type_share {
	const char *name;	/* "dict"; "(not an object)" for raw blocks */
	double share;		/* of the sampled bytes, 0..1 */
};

/* A type in the GC census: objects on the collector's lists by type name. */
struct report_type {
	const char *name;
	uint64_t count;		/* objects now */
	int64_t delta;		/* since the previous census */
	double rate_per_min;	/* Theil-Sen slope over --window */
	const char *trend;	/* "growing", "flat", ... */
	double p_value;
};

/* How much the last census saw. */
struct report_census {
	uint64_t objects;	/* nodes walked */
	uint32_t lists, complete_lists;
	bool budget_hit;	/* stopped by --census-max or the time budget */
	double seconds;		/* the walk took */
	double age_s;		/* since it was taken */
	uint32_t ncensus;	/* taken since attach */
	uint32_t walks;		/* of those, walked; the others were carried (the
				 * collector's counts had not moved) */
};

/* Growth mode's process-level figures and window state. */
struct report_growth {
	uint64_t anon_bytes;	      /* RssAnon now */
	int64_t anon_growth_bytes;    /* RssAnon change since attach */
	bool kernel_known;	      /* the kernel counters below were read */
	uint64_t faults;	      /* user page faults since attach */
	uint64_t fault_bytes;	      /* bytes those faults mapped in */
	uint64_t thp_faults;	      /* of which transparent huge pages */
	uint64_t thp_bytes;
	uint64_t mmap_bytes, munmap_bytes, madv_free_bytes;
	int64_t brk_bytes;	      /* net program-break growth */
	const char *window_capture;   /* how windows see allocations; NULL: no windows */
	const char *window_state;     /* "idle", "capturing", "following" */
	const char *window_reason;    /* why the last window opened */
	uint32_t windows;	      /* opened since attach */
	uint32_t settled;	      /* of which settled (survivors judged) */
	double window_spent_s;	      /* window time in the last hour */
	double window_budget_s;	      /* allowed per hour */
	uint64_t npersistent;	      /* sites judged persistent */
	uint32_t verdict_window;      /* before the first verdict: the window it waits for */
	double verdict_eta_s;	      /* ... and at most how long from now; <0: a verdict exists
				       * (or no window opens by itself) */
	double window_total_s;	      /* window time since attach (file exports) */
};

/* Process-level memory trend and GC health, every mode. */
struct report_process {
	uint64_t anon_bytes;	      /* RssAnon now */
	double window_s;	      /* --window */
	double anon_rate_bps;	      /* Theil-Sen slope of RssAnon over the window's samples */
	double anon_growth;	      /* fitted growth over those samples */
	double anon_span_s;	      /* how long they span */
	double anon_p;		      /* Mann-Kendall one-sided p; <0 unknown */
	const char *anon_trend;	      /* "growing", "flat", "shrinking", "unknown" */
	double rss_rate_bps;	      /* the same slope for VmRSS */
	const char *rss_trend;
	bool gc_known;		      /* GC figures below were read from the interpreter */
	bool gc_enabled;	      /* gc.isenabled() */
	uint64_t gc_collections[3];   /* since attach, per generation */
	uint64_t gc_collected[3];     /* objects collected since attach */
	uint64_t gc_uncollectable[3]; /* uncollectable objects found since attach */
	uint32_t gc_threshold[3];
	uint32_t gc_count[3];	      /* gen 0: allocations minus deallocations since its last collection */
	uint32_t active_alerts;	      /* leak_suspect alerts now active (sites and process) */
	uint64_t alerts_raised;	      /* since attach */
	bool resources_known;	      /* the fd and thread figures below were read */
	uint64_t fds, threads;	      /* open file descriptors and threads now */
	double fds_rate_per_s;	      /* Theil-Sen slopes over the window (resources.h) */
	double threads_rate_per_s;
	const char *fds_trend, *threads_trend; /* "growing", "flat", ... */
	uint32_t incidents_active;    /* site alerts grouped by head frame (incidents.h) */
	uint64_t incidents_raised;    /* since attach, exec included */
};

/* What the capture lost, by cause, each counted since attach (the BPF
 * stats of include/pyleak.h and the growth map's hint drops; names and
 * order in user/capture/drops.c, which the exporters use). */
struct report_drops {
	uint64_t live_full;	/* allocations not tracked: live map full (--max-allocs) */
	uint64_t sites_full;	/* not tracked: site map full (--max-sites) */
	uint64_t inflight_full;	/* not tracked: per-thread in-flight map full */
	uint64_t stacks_full;	/* tracked, but the site's frames not stored */
	uint64_t sw_full;	/* growth mode: survival in a window not counted */
	uint64_t read_fault;	/* stacks cut short by a failed read of target memory */
	uint64_t truncated;	/* stacks cut at --max-depth */
	uint64_t no_tstate;	/* allocations whose thread's Python state was not
				 * found: recorded without Python frames */
	uint64_t hint_drops;	/* growth mode: first-touch hints not stored (map full) */
};

/* Node mode (node.c): the agent's own figures, the same in each watched
 * process's report. */
struct report_node {
	uint32_t watched;	      /* processes watched now */
	uint32_t max_targets;	      /* --max-targets */
	uint64_t skipped_max_targets; /* processes not watched because of --max-targets, ever */
};

/* Evidence at OOM (oomwatch.h): the kernel's OOM killer ended the process.
 * Only in the final report of a process it killed. */
struct report_oom {
	const char *source;	/* how it is known: "oom/mark_victim" (the kernel's choice),
				 * or "memory.events oom_kill" (its cgroup's count rose, the
				 * fallback when the tracepoint cannot be attached) */
	int exit_signal;	/* the signal it died of (9), 0 unknown */
	uint64_t memory_max;	/* its memory cgroup's limit in bytes; 0 unknown,
				 * UINT64_MAX none */
	bool oom_kills_known;
	uint64_t oom_kills;	/* OOM kills in that cgroup, as counted at exit */
	const char *cgroup;	/* its memory cgroup's path, NULL unknown */
};

/* Counters and facts about the profiled process and the capture. */
struct report_header {
	uint64_t seq;		    /* 1, 2, ... per report */
	bool final;		    /* last report (exit, Ctrl-C, --duration, target gone) */
	double elapsed_s;	    /* since attach */
	int pid;
	const char *comm;	    /* /proc/PID/comm */
	const char *python_version; /* "3.11.7" */
	const char *build;	    /* e.g. "static, stripped, LTO" */
	const char *mode;	    /* "alloc" or "growth" */
	const char *capture;	    /* how allocations are seen, e.g. "allocator table functions" */
	uint64_t rss_bytes;	    /* VmRSS */
	int64_t outstanding_bytes;  /* sum over all sites */
	int64_t outstanding_count;
	uint64_t nsites;	    /* sites with outstanding memory (before --top) */
	uint64_t gc_collections[3]; /* per generation, since attach */
	bool gc_collections_known;  /* false: no GC probe could be attached */
	uint64_t alloc_hits;	    /* allocator entry probe hits since attach */
	uint64_t free_hits;	    /* free probe hits since attach */
	uint64_t drops;		    /* allocations not tracked (maps full) */
	uint64_t no_tstate;	    /* allocations without a Python thread state */
	struct report_drops drop_counts; /* every drop counter, by cause */
	int nwarnings;
	const char *const *warnings; /* one line each, e.g. the blind-probe verdict */
	const struct report_growth *growth; /* growth mode only, else NULL */
	const struct report_process *process; /* trend and GC, NULL if not computed */
	const struct report_node *node; /* node mode only, else NULL */
	const char *group_by;	    /* "stack", "line", "function", "file" */
	/* file exports (out_prom.c, out_pprof.c) */
	double unix_time;	    /* wall-clock time of the report, Unix seconds */
	const char *version;	    /* pyleak-bpf's own version */
	/* container identity (identity.h): read at attach and after an exec;
	 * NULL when /proc/PID/cgroup could not be read. Every sink shows its
	 * non-empty fields only (README "Identity labels"). */
	const struct proc_identity *identity;
	const char *node_name;	    /* --node-name / $NODE_NAME, or NULL */
	const struct report_oom *oom; /* the process was OOM-killed (final report); NULL: not */
};

/* Node mode's own figures (the supervisor's, not a process's): written
 * once per Prometheus file / --listen body beside every process's series
 * (exports_node_stats()). */
#define NODE_SKIP_REASONS 4
struct node_stats {
	const char *node_name;	    /* a `node` label, or NULL */
	uint32_t watched;	    /* processes with a session now */
	int nreasons;		    /* entries of skipped[] in use */
	struct {
		const char *reason; /* "max_targets", ...: a label value */
		uint64_t count;	    /* processes not watched for it, since start */
	} skipped[NODE_SKIP_REASONS];
};

/* One sample of a time series: t seconds since attach, value v. */
struct report_point {
	double t, v;
};

/* A history kept by the trend statistics (trend.h rings): the process's
 * anonymous memory, or one site's outstanding (alloc mode) or surviving
 * (growth mode) bytes, oldest first, spaced by the ring's spacing (about
 * --window / 96). */
struct report_series {
	int n;
	const struct report_point *pts;
};

struct report {
	struct report_header h;
	bool show_stacks; /* --stacks: print every frame, not just the innermost */
	int nsites;	  /* rows below, already ranked and cut to --top */
	const struct report_site *sites;
	int nhints;	  /* growth mode: first-touch hints, by bytes faulted in */
	const struct report_site *hints;
	int nalerts;	  /* alert transitions of this interval */
	const struct report_alert *alerts;
	int nincidents;	  /* active incidents, then those resolved by this report */
	const struct report_incident *incidents;
	int ntypes;	  /* object types: census or sampled (see report_type) */
	const struct report_type *types;
	const struct report_census *census;
	/* histories for charts and sparklines (out_html.c, out_live.c) */
	const struct report_series *anon_history; /* RssAnon; NULL: none */
	const struct report_series *site_history; /* [nsites], one per row; NULL: none */
	bool sparklines;  /* text: a RECENT column with each site's history */
};

/* out_text_write() - human-readable report: a header block, then one row per
 * site (bytes, count, delta, file:line function), with the whole stack under
 * each row when show_stacks. Returns 0 or -errno from the stream. */
int out_text_write(FILE *f, const struct report *r);

/* out_json_write() - the same report as exactly one JSON object on one line
 * (schema in README "JSON output"). Returns 0 or -errno from the stream. */
int out_json_write(FILE *f, const struct report *r);

/* out_folded_write() - the report's sites as folded stacks, one line each:
 * frames root first separated by ';', a space, the site's bytes (README
 * "Folded stacks"). Returns 0 or -errno from the stream. */
int out_folded_write(FILE *f, const struct report *r);

/* out_pprof_write() - the report's sites as a gzip-compressed pprof
 * profile.proto (README "pprof"). Returns 0 or -errno. */
int out_pprof_write(FILE *f, const struct report *r);

/* out_html_write() - the report as one self-contained HTML page (no
 * network, no external script or font): header, alerts, sites, a flame graph
 * of the sites' bytes by stack and a chart of the histories, both SVG drawn
 * here, GC and census. Every string from the target is escaped. Returns 0 or
 * -errno from the stream. */
int out_html_write(FILE *f, const struct report *r);

/* out_live_write() - the text report redrawn in place on a terminal of rows
 * x cols (cursor home, each line cut to cols and cleared to its end, the
 * rest of the screen cleared), with sparklines. Returns 0 or -errno. */
int out_live_write(FILE *f, const struct report *r, int rows, int cols);

/* out_live_size() - the terminal on fd as *rows x *cols (24 x 80 when the
 * size is unknown). Returns 0 or -errno (not a terminal). */
int out_live_size(int fd, int *rows, int *cols);

#endif /* PYLEAK_REPORT_H */
