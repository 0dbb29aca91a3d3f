/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * options.h: the command line, parsed into one struct with the defaults in
 * one place. Parsing is pure (no I/O but the help text) so it is unit-tested.
 */
#ifndef PYLEAK_OPTIONS_H
#define PYLEAK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_format { FORMAT_TEXT = 0, FORMAT_JSON };
enum run_mode { MODE_GROWTH = 0, MODE_ALLOC };

/* --pid may be given this many times (node mode). */
#define OPTIONS_PIDS_MAX 256
/* Node mode's per-process map sizes when --max-allocs / --max-sites are not
 * given. A hash map's bucket array is allocated at its full size when it is
 * created, and charged to the agent's memory cgroup: the single-process
 * defaults (1048576 and 65536) cost about 27 MiB of kernel memory per
 * process, these about 3.5 MiB. A window captures at most --window-allocs
 * (20000) allocations, so 65536 live records hold the survivors of three
 * windows that kept everything they captured. */
#define OPTIONS_NODE_MAX_ALLOCS 65536
#define OPTIONS_NODE_MAX_SITES 16384

struct options {
	int pid;		/* --pid, 0 in run mode */
	char **command;		/* after "--": argv of the command to run, NULL-terminated */
	double interval_s;	/* --interval */
	double duration_s;	/* --duration, 0 = until Ctrl-C or the target ends */
	int top;		/* --top */
	enum out_format format; /* --format */
	bool stacks;		/* --stacks */
	const char *output;	/* --output FILE (append), NULL = stdout */
	enum run_mode mode;	/* --mode */
	uint32_t max_depth;	/* --max-depth */
	uint32_t max_allocs;	/* --max-allocs (node mode: per process, a smaller default) */
	uint32_t max_sites;	/* --max-sites (likewise) */
	bool switch_allocator;	/* --switch-allocator */
	bool restore_allocator; /* --restore-allocator */
	bool keep_pymalloc;	/* --keep-pymalloc (run mode) */
	/* growth mode's windows (see windows.h) */
	uint32_t window_allocs;	/* --window-allocs */
	double window_s;	/* --window-time */
	double follow_s;	/* --follow */
	uint32_t follow_frees;	/* --follow-frees */
	double window_budget_s; /* --window-budget, seconds per hour */
	double window_every_s;	/* --window-every, 0 = off */
	double first_window_s;	/* --first-window, <0 = off */
	uint32_t warmup;	/* --warmup: first windows back to back, 0 = off */
	uint64_t growth_trigger; /* --growth-trigger bytes, 0 = off */
	bool no_hints;		/* --no-hints: no first-touch stacks */
	/* judgement and alerts (see sites.h, trend.h) */
	double trend_window_s;	/* --window: growth is judged over this long */
	uint64_t alert_rate;	/* --alert-rate, bytes per minute */
	uint64_t alert_min_bytes; /* --alert-min-bytes over the window */
	uint32_t alert_fds;	/* --alert-fds: fd_leak at this many more open fds over the window */
	uint32_t alert_threads;	/* --alert-threads: thread_leak likewise, 0 = off for both */
	bool fail_on_leak;	/* --fail-on-leak: exit 3 if any alert was raised */
	int group_by;		/* --group-by: enum site_group_by */
	/* object types */
	uint32_t type_samples;	/* --type-samples per top site (alloc mode), 0 = off */
	double census_every_s;	/* --census-every, 0 = off */
	uint32_t census_max;	/* --census-max objects per census */
	/* file exports, rewritten atomically after every report (exports.h) */
	const char *prom_file;	/* --prom-file PATH, NULL = off */
	int prom_top;		/* --prom-top: sites in it */
	const char *pprof_file;	/* --pprof PATH */
	const char *folded_file; /* --folded PATH */
	/* exports */
	const char *html;	/* --html PATH, NULL = none */
	bool format_given;	/* --format was given: no live terminal view */
	const char *listen;	/* --listen ADDR:PORT (http_metrics.h), NULL = off */
	const char *pods_dir;	/* --pods-dir DIR (identity.h), NULL = none */
	const char *node_name;	/* --node-name, or $NODE_NAME; NULL = none */
	/* node mode (node.c): every CPython process found (--all, filtered by
	 * --match/--exclude/--cgroup), or the ones named by several --pid */
	bool node;		/* any of those: node mode */
	bool all;		/* --all (implied by --match, --exclude, --cgroup) */
	const char *match;	/* --match REGEX on the command line, NULL = any */
	const char *exclude;	/* --exclude REGEX, NULL = none */
	const char *cgroup;	/* --cgroup PATH, NULL = any */
	int pids[OPTIONS_PIDS_MAX]; /* every --pid, in order (pid is pids[0]) */
	int npids;
	uint32_t max_targets;	/* --max-targets: processes watched at most */
	double rescan_s;	/* --rescan: seconds between discovery scans */
	uint32_t max_concurrent_windows; /* --max-concurrent-windows over the node */
	bool group_by_service;	/* --group-by-service (service.h, svcmerge.h) */
	int verbose;		/* -v count */
	bool quiet;		/* -q */
};

/* Exit statuses, distinct per failure class (README "Exit status"). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* anything else: see the message */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_LEAK = 3,		/* --fail-on-leak: a leak_suspect alert was raised */
	EXIT_PERMISSION = 4,	/* not root / missing capabilities */
	EXIT_NO_PROCESS = 5,	/* no such PID */
	EXIT_NOT_PYTHON = 6,	/* no CPython interpreter in the target */
	EXIT_UNSUPPORTED = 7,	/* a CPython version or build we cannot read */
	EXIT_NO_KERNEL_SUPPORT = 8, /* no BTF, BPF or uprobes */
	EXIT_TARGET_EXITED = 9, /* the target ended before we were done */
	EXIT_BLIND = 10,	/* the probes saw (almost) none of the allocations */
	EXIT_RESTORE_FAILED = 11, /* the allocator switch could not be undone: the
				   * message says how (--restore-allocator) */
};

/* pyleak-bpf's version ("0.1.0"), as --version prints it. */
extern const char pyleak_version[];

/* options_parse() - parse argv into o (defaults first). Returns 0 to run,
 * 1 when --help or --version was printed to out (exit 0), or -EINVAL with a
 * one-line reason in err (exit EXIT_USAGE). */
int options_parse(int argc, char **argv, struct options *o, FILE *out, char *err, size_t errlen);

#endif /* PYLEAK_OPTIONS_H */
