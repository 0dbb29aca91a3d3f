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

/* One symbolised Python frame. */
struct report_frame {
	const char *file; /* co_filename */
	const char *func; /* co_qualname (3.11+) or co_name */
	int line;	  /* source line, or -1 if unknown */
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
	int nwarnings;
	const char *const *warnings; /* one line each, e.g. the blind-probe verdict */
	const struct report_growth *growth; /* growth mode only, else NULL */
};

struct report {
	struct report_header h;
	bool show_stacks; /* --stacks: print every frame, not just the innermost */
	int nsites;	  /* rows below, already ranked and cut to --top */
	const struct report_site *sites;
	int nhints;	  /* growth mode: first-touch hints, by bytes faulted in */
	const struct report_site *hints;
};

/* out_text_write() - human-readable report: a header block, then one row per
 * site (bytes, count, delta, file:line function), with the whole stack under
 * each row when show_stacks. Returns 0 or -errno from the stream. */
int out_text_write(FILE *f, const struct report *r);

/* out_json_write() - the same report as exactly one JSON object on one line
 * (schema in README "JSON output"). Returns 0 or -errno from the stream. */
int out_json_write(FILE *f, const struct report *r);

#endif /* PYLEAK_REPORT_H */
