// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* options.c: see options.h. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "http_metrics.h"
#include "discovery.h"
#include "options.h"
#include "pyleak.h"

#ifndef PYLEAK_VERSION
#define PYLEAK_VERSION "0.1.0"
#endif

const char pyleak_version[] = PYLEAK_VERSION;

static const char usage_text[] =
"Usage: pyleak-bpf --pid PID [OPTIONS]\n"
"       pyleak-bpf [OPTIONS] -- COMMAND [ARGS...]\n"
"       pyleak-bpf --all [--match REGEX] [OPTIONS]   every Python process (node mode)\n"
"       pyleak-bpf compare BEFORE.jsonl AFTER.jsonl   verify a fix: which sites that\n"
"                           grew in BEFORE (--format json) still grow in AFTER, and\n"
"                           what grows anew (exit 3); see pyleak-bpf compare --help\n"
"\n"
"Find which Python line keeps memory alive and growing in a running CPython\n"
"process, without restarting or changing it. Every --interval seconds it\n"
"prints how the process's memory grows and the allocation sites (Python\n"
"stack + native caller) whose memory stays alive: in growth mode (default)\n"
"what survives its exact capture windows, in alloc mode all outstanding\n"
"memory, with the change since the last report.\n"
"\n"
"Target:\n"
"  -p, --pid PID            profile this running process (host PID; containers work)\n"
"  -- COMMAND [ARGS...]     start COMMAND, profile it, report when it exits and\n"
"                           exit with its status\n"
"\n"
"Node mode (one agent for a host: every report names its PID):\n"
"      --all                watch every CPython process on the host, found by the\n"
"                           interpreter it maps (not its name), in any container or\n"
"                           PID namespace; new ones are attached within --rescan,\n"
"                           gone ones reported a last time and forgotten, an exec\n"
"                           followed. Runs until Ctrl-C/SIGTERM or --duration\n"
"      --match REGEX        only processes whose command line (arguments joined by\n"
"                           spaces) matches this POSIX extended regex; implies --all\n"
"      --exclude REGEX      not those whose command line matches; implies --all\n"
"      --cgroup PATH        only processes in this cgroup or below (as in\n"
"                           /proc/PID/cgroup, e.g. /system.slice/app.service);\n"
"                           implies --all\n"
"  -p PID -p PID ...        --pid given more than once: watch exactly these\n"
"                           processes (node mode); ends when all have exited\n"
"      --max-targets N      watch at most N processes (default 64); the others are\n"
"                           logged once each and counted in the reports\n"
"      --rescan SECONDS     look for new processes this often (default 2)\n"
"      --max-concurrent-windows N\n"
"                           growth-mode windows open at once over the node\n"
"                           (default 1): each process keeps its own --window-budget;\n"
"                           when several want one, the process whose anonymous\n"
"                           memory grew most since its last window goes first\n"
"      --group-by-service   judge processes with the same executable, command line\n"
"                           shape (numbers and hex ids aside: `celery -n w1@h` and\n"
"                           `celery -n w2@h` are one) and container as one service:\n"
"                           a service report merges their sites (JSON type\n"
"                           \"service\"), and a site's alert is raised once for the\n"
"                           service, not once per process\n"
"  Not with node mode: -- COMMAND, --restore-allocator, --fail-on-leak. The live\n"
"  terminal view is off; SIGUSR1 asks every process for a window.\n"
"\n"
"Reporting:\n"
"  -i, --interval SECONDS   time between reports (default 10; fractions allowed)\n"
"  -d, --duration SECONDS   stop after this long (default: until Ctrl-C or exit)\n"
"  -n, --top N              sites per report (default 10)\n"
"  -f, --format text|json   text for people, json for one object per line (default text)\n"
"  -s, --stacks             print every Python frame of each site, not just the top one\n"
"  -o, --output FILE        append reports to FILE instead of stdout (with -- COMMAND,\n"
"                           keeps them apart from the command's own output)\n"
"  On a terminal, with neither --format nor --output, each report is redrawn in\n"
"  place (like top) with a sparkline of each site's recent bytes; otherwise\n"
"  reports are appended.\n"
"\n"
"Modes:\n"
"  -m, --mode growth|alloc  growth (default): cheap enough to leave running. Always\n"
"                           on: resident/anonymous memory, page faults and the bytes\n"
"                           they map (huge pages too), mmap/munmap/brk/madvise, GC;\n"
"                           no probe in the target. Exact attribution is bought in\n"
"                           short windows: the next --window-allocs allocations are\n"
"                           captured with their stacks, then their frees followed,\n"
"                           and sites whose allocations survive window after window\n"
"                           are reported as leaks (LEAK in the WINDOWS column).\n"
"                           alloc: exact, a probe on every allocation and free for\n"
"                           the whole run; costly, for bounded investigations.\n"
"\n"
"Growth-mode windows:\n"
"      --window-allocs N    allocations captured per window (default 20000)\n"
"      --window-time SEC    longest capture phase (default 5)\n"
"      --follow SEC         how long the window's frees are followed (default 10)\n"
"      --follow-frees N     most free-probe hits while following (default 50000)\n"
"      --window-budget SEC  window seconds allowed per hour (default 120). A window\n"
"                           opens only if its longest duration fits what is left\n"
"      --window-every SEC   scheduled window period (default 300; 0 = none)\n"
"      --growth-trigger B   open a window when anonymous memory grew by B bytes\n"
"                           since the last one (default 8M; K, M, G suffixes; 0 = off)\n"
"      --first-window SEC   first window this long after attach (default 2; -1 = none)\n"
"      --warmup N           the first N windows open back to back, following their\n"
"                           survivors for at most 3s, so the first verdict (two\n"
"                           settled windows) comes within about half a minute;\n"
"                           then the schedule (default 3; 0 = off). The budget\n"
"                           still applies\n"
"      --no-hints           do not record first-touch stacks of page faults\n"
"      SIGUSR1              open a window now, whatever the budget\n"
"\n"
"Capture:\n"
"      --switch-allocator   for builds that inline pymalloc (LTO, e.g. Debian's python3):\n"
"                           point the OBJ and MEM allocator tables' malloc and calloc\n"
"                           slots at CPython's raw (libc) allocator while capturing\n"
"                           (alloc mode: the whole run; growth mode: each window), so\n"
"                           probes see every allocation. This WRITES 4 pointers into the\n"
"                           target (all its threads are stopped meanwhile) and puts them\n"
"                           back on exit, Ctrl-C, SIGTERM and errors. realloc and free\n"
"                           are never switched: pymalloc's accept libc blocks, so memory\n"
"                           allocated meanwhile is freed correctly afterwards. If\n"
"                           pyleak-bpf is killed outright the target stays correct, only\n"
"                           a little slower; the next run notices and can restore it.\n"
"                           With -- COMMAND in growth mode it is implied.\n"
"      --restore-allocator  only restore a switch left behind by a killed run, then exit\n"
"      --keep-pymalloc      alloc mode with -- COMMAND: do not set PYTHONMALLOC=malloc\n"
"                           for it (set by default so every build's allocations are\n"
"                           visible)\n"
"      --max-depth N        Python frames kept per stack (default 32, at most 64)\n"
"      --max-allocs N       live allocations tracked (default 1048576; in node mode\n"
"                           per process, default 65536). Each costs kernel memory\n"
"                           at its full size from the start: about 16 bytes per\n"
"                           entry, rounded up to a power of two, before any use\n"
"      --max-sites N        distinct stacks tracked (default 65536; in node mode per\n"
"                           process, default 16384): about 96 bytes per entry\n"
"\n"
"Judgement and alerts:\n"
"  -w, --window DURATION    growth is judged over this much history (default 10m;\n"
"                           s, m, h suffixes). alloc mode: every site's outstanding\n"
"                           bytes are sampled each second and ranked by their\n"
"                           growth over the window (Theil-Sen rate, Mann-Kendall\n"
"                           significance); growth mode: persistent sites by what\n"
"                           survives per second of capture\n"
"      --alert-rate B       a site (or the process) becomes leak_suspect when it\n"
"                           grows at least B bytes per minute (default 256K) ...\n"
"      --alert-min-bytes B  ... and by at least B over the window (default 2M), the\n"
"                           growth significant (p < 0.01) and sustained (still\n"
"                           rising in the last third of the window, and so for a\n"
"                           quarter of the window in alloc mode). It is resolved\n"
"                           when that stops (half the thresholds, so it does not\n"
"                           flap). Each transition is printed once\n"
"      --alert-fds N        fd_leak when the open file descriptors grow by N or\n"
"                           more over the window, by the same statistics (default\n"
"                           64; 0: off)\n"
"      --alert-threads N    thread_leak likewise for threads (default 32; 0: off)\n"
"      --fail-on-leak       exit with status 3 if any leak was raised: an incident\n"
"                           (site alerts grouped by the application line they\n"
"                           share), a process, fd or thread alert (CI gates, with\n"
"                           -- COMMAND)\n"
"  -g, --group-by stack|line|function|file|head\n"
"                           what a row is: the whole stack (default), the\n"
"                           innermost Python frame's line, function or file, or\n"
"                           the head: the innermost application frame (not the\n"
"                           standard library or site-packages), the line to fix\n"
"                           and the incident an alert joins\n"
"\n"
"Object types:\n"
"      --type-samples N     alloc mode: read the type of up to N live allocations\n"
"                           of each top site from the target's memory (default 64;\n"
"                           0 = off): \"dict 61%, str 30%\"\n"
"      --census-every SEC   count the objects on the garbage collector's lists by\n"
"                           type this often, ranked by growth like objgraph's\n"
"                           show_growth() (default 60; 0 = off)\n"
"      --census-max N       most objects one census reads (default 1000000); it\n"
"                           also stops after 0.5 s and says how much it saw\n"
"\n"
"File exports (each rewritten atomically after every report; a write error\n"
"is logged once and profiling goes on):\n"
"      --prom-file PATH     Prometheus text format for node_exporter's textfile\n"
"                           collector (PATH should end in .prom): memory, GC,\n"
"                           capture and alert metrics, and the top sites\n"
"      --prom-top K         sites in --prom-file (default 10; 0 = none)\n"
"      --pprof PATH         gzip'ed pprof profile of the top sites' live memory\n"
"                           (go tool pprof, Pyroscope, speedscope...)\n"
"      --folded PATH        folded stacks of the top sites, weighted by bytes\n"
"                           (flamegraph.pl, inferno, speedscope)\n"
"      --html PATH          one self-contained HTML page: alerts, sites, a flame\n"
"                           graph, memory charts, GC; opens offline in any browser\n"
"      --listen ADDR:PORT   serve the --prom-file metrics over HTTP on /metrics\n"
"                           (Prometheus scrapes it) and /healthz (503 when the\n"
"                           profiler's loop is stuck); 127.0.0.1:9435, [::1]:9435\n"
"\n"
"Identity (labels in every output: text, JSON, Prometheus, pprof, HTML):\n"
"      --pods-dir DIR       the kubelet's pod log directory (/var/log/pods; in a\n"
"                           DaemonSet, mount it read-only): adds namespace, pod\n"
"                           and container names to the container id, runtime,\n"
"                           pod uid and QoS class read from /proc/PID/cgroup\n"
"                           (default: none, no API access needed)\n"
"      --node-name NAME     a node=\"NAME\" label on every Prometheus series and\n"
"                           \"node\" in JSON (default: $NODE_NAME when set, as a\n"
"                           DaemonSet sets it from the downward API)\n"
"\n"
"General:\n"
"  -v, --verbose            more detail, including libbpf's messages (repeatable)\n"
"  -q, --quiet              only errors on stderr\n"
"  -h, --help               this text\n"
"  -V, --version            version\n"
"\n"
"Cost: growth mode outside windows costs the target nothing measurable; a\n"
"window costs at most --window-allocs allocation traps plus the frees of its\n"
"phases, and all windows together at most --window-budget seconds an hour.\n"
"--mode alloc takes a trap per allocation and per free for the whole run (see\n"
"README \"Cost\").\n"
"\n"
"Needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE) and a kernel with BTF\n"
"and uprobes. Exit status: 0 ok, 2 usage, 3 leak (--fail-on-leak),\n"
"4 permission, 5 no such process,\n"
"6 not a Python process, 7 unsupported Python, 8 missing kernel support,\n"
"9 target exited early, 10 probes blind, 1 other errors; with -- COMMAND,\n"
"the command's own status.\n"
"\n"
"Examples:\n"
"  sudo pyleak-bpf --pid 1234                      # growth mode, leave it running\n"
"  sudo pyleak-bpf --pid 1234 --switch-allocator    # Debian/LTO python3: full windows\n"
"  sudo kill -USR1 $(pidof pyleak-bpf)              # a window now\n"
"  sudo pyleak-bpf --mode alloc --duration 60 --stacks --pid 1234\n"
"  sudo pyleak-bpf --format json --duration 60 -- python3 app.py\n";

enum {
	OPT_SWITCH = 0x100,
	OPT_RESTORE,
	OPT_KEEP_PYMALLOC,
	OPT_MAX_DEPTH,
	OPT_MAX_ALLOCS,
	OPT_MAX_SITES,
	OPT_WINDOW_ALLOCS,
	OPT_WINDOW_TIME,
	OPT_FOLLOW,
	OPT_FOLLOW_FREES,
	OPT_WINDOW_BUDGET,
	OPT_WINDOW_EVERY,
	OPT_GROWTH_TRIGGER,
	OPT_FIRST_WINDOW,
	OPT_WARMUP,
	OPT_NO_HINTS,
	OPT_ALERT_RATE,
	OPT_ALERT_MIN,
	OPT_FAIL_ON_LEAK,
	OPT_ALERT_FDS,
	OPT_ALERT_THREADS,
	OPT_TYPE_SAMPLES,
	OPT_CENSUS_EVERY,
	OPT_CENSUS_MAX,
	OPT_PROM_FILE,
	OPT_PROM_TOP,
	OPT_PPROF,
	OPT_FOLDED,
	/* exports (issue 11): HTML report */
	OPT_HTML,
	OPT_LISTEN,
	/* node mode (issue 12): identity */
	OPT_PODS_DIR,
	OPT_NODE_NAME,
	/* node mode (issue 12) */
	OPT_ALL,
	OPT_MATCH,
	OPT_EXCLUDE,
	OPT_CGROUP,
	OPT_MAX_TARGETS,
	OPT_RESCAN,
	OPT_MAX_CONCURRENT_WINDOWS,
	OPT_GROUP_BY_SERVICE,
};

#define SHORT_OPTS "p:i:d:n:f:so:m:w:g:vqhV"

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "top", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ "stacks", no_argument, NULL, 's' },
	{ "output", required_argument, NULL, 'o' },
	{ "mode", required_argument, NULL, 'm' },
	{ "switch-allocator", no_argument, NULL, OPT_SWITCH },
	{ "restore-allocator", no_argument, NULL, OPT_RESTORE },
	{ "keep-pymalloc", no_argument, NULL, OPT_KEEP_PYMALLOC },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-sites", required_argument, NULL, OPT_MAX_SITES },
	{ "window-allocs", required_argument, NULL, OPT_WINDOW_ALLOCS },
	{ "window-time", required_argument, NULL, OPT_WINDOW_TIME },
	{ "follow", required_argument, NULL, OPT_FOLLOW },
	{ "follow-frees", required_argument, NULL, OPT_FOLLOW_FREES },
	{ "window-budget", required_argument, NULL, OPT_WINDOW_BUDGET },
	{ "window-every", required_argument, NULL, OPT_WINDOW_EVERY },
	{ "growth-trigger", required_argument, NULL, OPT_GROWTH_TRIGGER },
	{ "first-window", required_argument, NULL, OPT_FIRST_WINDOW },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "no-hints", no_argument, NULL, OPT_NO_HINTS },
	{ "window", required_argument, NULL, 'w' },
	{ "alert-rate", required_argument, NULL, OPT_ALERT_RATE },
	{ "alert-min-bytes", required_argument, NULL, OPT_ALERT_MIN },
	{ "alert-fds", required_argument, NULL, OPT_ALERT_FDS },
	{ "alert-threads", required_argument, NULL, OPT_ALERT_THREADS },
	{ "fail-on-leak", no_argument, NULL, OPT_FAIL_ON_LEAK },
	{ "group-by", required_argument, NULL, 'g' },
	{ "type-samples", required_argument, NULL, OPT_TYPE_SAMPLES },
	{ "census-every", required_argument, NULL, OPT_CENSUS_EVERY },
	{ "census-max", required_argument, NULL, OPT_CENSUS_MAX },
	{ "prom-file", required_argument, NULL, OPT_PROM_FILE },
	{ "prom-top", required_argument, NULL, OPT_PROM_TOP },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "pods-dir", required_argument, NULL, OPT_PODS_DIR },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "max-targets", required_argument, NULL, OPT_MAX_TARGETS },
	{ "rescan", required_argument, NULL, OPT_RESCAN },
	{ "max-concurrent-windows", required_argument, NULL, OPT_MAX_CONCURRENT_WINDOWS },
	{ "group-by-service", no_argument, NULL, OPT_GROUP_BY_SERVICE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* parse_long() - a whole number in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* parse_seconds() - a finite number of seconds (fractions ok), at least
 * 0.1: shorter intervals would only measure the profiler itself. */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 365.0 * 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

/* parse_seconds_or() - seconds in [lo, a year], or exactly off (e.g. 0 or
 * -1, meaning "never"). */
static int parse_seconds_or(const char *s, double lo, double off, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	if (v == off) {
		*out = v;
		return 0;
	}
	if (v < lo || v > 365.0 * 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

/* parse_duration() - seconds with an optional s, m or h suffix, from 1 s
 * to a week. */
static int parse_duration(const char *s, double *out)
{
	char *end;
	double v, unit = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	switch (*end) {
	case 's': end++; break;
	case 'm': unit = 60; end++; break;
	case 'h': unit = 3600; end++; break;
	}
	v *= unit;
	if (*end || v < 1 || v > 7 * 86400.0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* parse_bytes() - a byte count with an optional K, M or G (binary) suffix. */
static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || v > (~0ULL >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* add_pid() - one more --pid (a repeated one counts once). 0, or -E2BIG. */
static int add_pid(struct options *o, int pid)
{
	for (int i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return 0;
	if (o->npids >= OPTIONS_PIDS_MAX)
		return -E2BIG;
	o->pids[o->npids++] = pid;
	return 0;
}

/* check_node() - what node mode refuses: a command to run, and the options
 * whose meaning is one process's (its exit status, its allocator switch
 * undone). Returns 0 or -EINVAL with the reason in err. */
static int check_node(const struct options *o, char *err, size_t errlen)
{
	if (o->all && o->npids)
		return fail(err, errlen, "give either --all (with --match, --exclude, --cgroup) or --pid, not both: --pid names the processes already");
	if (o->command)
		return fail(err, errlen, "node mode (--all, or --pid given several times) watches running processes: it cannot run a command after '--'; profile a command on its own");
	if (o->restore_allocator)
		return fail(err, errlen, "--restore-allocator undoes one process's switch: give a single --pid");
	if (o->fail_on_leak)
		return fail(err, errlen, "--fail-on-leak sets the exit status of one profiled process: not in node mode (alerts are in the reports and metrics)");
	return 0;
}

/* node_name_ok() - a plausible host or Kubernetes node name: 1-253 of
 * [A-Za-z0-9._-] (DNS subdomain, plus '_' some hosts use). */
static bool node_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

int options_parse(int argc, char **argv, struct options *o, FILE *out, char *err, size_t errlen)
{
	int c, last_optind = 1;
	bool dashdash;
	long v;

	*o = (struct options){
		.interval_s = 10,
		.top = 10,
		.format = FORMAT_TEXT,
		.mode = MODE_GROWTH,
		.window_allocs = 20000,
		.window_s = 5,
		.follow_s = 10,
		.follow_frees = 50000,
		.window_budget_s = 120,
		.window_every_s = 300,
		.first_window_s = 2,
		.warmup = 3,
		.growth_trigger = 8u << 20,
		.max_depth = PYLEAK_DEFAULT_FRAMES,
		.max_allocs = 1u << 20,
		.max_sites = 1u << 16,
		.trend_window_s = 600,
		.alert_rate = 256u << 10,
		.alert_min_bytes = 2u << 20,
		.alert_fds = 64,
		.alert_threads = 32,
		.type_samples = 64,
		.census_every_s = 60,
		.census_max = 1000000,
		.prom_top = 10,
		.max_targets = 64,
		.rescan_s = 2,
		.max_concurrent_windows = 1,
	};
	/* a DaemonSet passes the node's name from the downward API */
	const char *env_node = getenv("NODE_NAME");

	if (env_node && node_name_ok(env_node))
		o->node_name = env_node;
	bool node_tuned = false; /* a node-mode-only option was given */
	bool allocs_given = false, sites_given = false; /* else node mode's defaults */
	err[0] = 0;
	optind = 0; /* full reset: parse may run more than once (tests) */
	opterr = 0;
	/* "+": stop at the first non-option, so COMMAND's own options are its own */
	while ((c = getopt_long(argc, argv, "+:" SHORT_OPTS, long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, 0x7fffffff, &v))
				return fail(err, errlen, "--pid needs a process ID, got '%s'", optarg);
			if (!o->pid)
				o->pid = (int)v;
			if (add_pid(o, (int)v))
				return fail(err, errlen, "--pid given more than %d times", OPTIONS_PIDS_MAX);
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_MATCH:
		case OPT_EXCLUDE:
		case OPT_CGROUP: {
			struct discovery_filter f;
			char why[200];
			int bad;

			/* compiled here only to say at once what is wrong */
			bad = discovery_filter_init(&f, c == OPT_MATCH ? optarg : NULL,
						    c == OPT_EXCLUDE ? optarg : NULL,
						    c == OPT_CGROUP ? optarg : NULL, why, sizeof(why));
			if (bad)
				return fail(err, errlen, "%s", why);
			discovery_filter_free(&f);
			*(c == OPT_MATCH ? &o->match : c == OPT_EXCLUDE ? &o->exclude : &o->cgroup) = optarg;
			o->all = true;
			break;
		}
		case OPT_MAX_TARGETS:
			if (parse_long(optarg, 1, 4096, &v))
				return fail(err, errlen, "--max-targets needs a number from 1 to 4096, got '%s'", optarg);
			o->max_targets = (uint32_t)v;
			node_tuned = true;
			break;
		case OPT_RESCAN:
			if (parse_seconds(optarg, &o->rescan_s) || o->rescan_s > 3600)
				return fail(err, errlen, "--rescan needs seconds from 0.1 to 3600, got '%s'", optarg);
			node_tuned = true;
			break;
		case OPT_MAX_CONCURRENT_WINDOWS:
			if (parse_long(optarg, 1, 4096, &v))
				return fail(err, errlen, "--max-concurrent-windows needs a number from 1 to 4096, got '%s'", optarg);
			o->max_concurrent_windows = (uint32_t)v;
			node_tuned = true;
			break;
		case OPT_GROUP_BY_SERVICE:
			o->group_by_service = true;
			node_tuned = true;
			break;
		case 'i':
			if (parse_seconds(optarg, &o->interval_s))
				return fail(err, errlen, "--interval needs a number of seconds from 0.1 up, got '%s'", optarg);
			break;
		case 'd':
			if (parse_seconds(optarg, &o->duration_s))
				return fail(err, errlen, "--duration needs a number of seconds from 0.1 up, got '%s'", optarg);
			break;
		case 'n':
			if (parse_long(optarg, 1, 100000, &v))
				return fail(err, errlen, "--top needs a number from 1 to 100000, got '%s'", optarg);
			o->top = (int)v;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				o->format = FORMAT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = FORMAT_JSON;
			else
				return fail(err, errlen, "--format must be text or json, got '%s'", optarg);
			o->format_given = true;
			break;
		case 's':
			o->stacks = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "alloc"))
				o->mode = MODE_ALLOC;
			else if (!strcmp(optarg, "growth"))
				o->mode = MODE_GROWTH;
			else
				return fail(err, errlen, "--mode must be growth or alloc, got '%s'", optarg);
			break;
		case OPT_WINDOW_ALLOCS:
			if (parse_long(optarg, 100, 10000000, &v))
				return fail(err, errlen, "--window-allocs needs a number from 100 to 10000000, got '%s'", optarg);
			o->window_allocs = (uint32_t)v;
			break;
		case OPT_WINDOW_TIME:
			if (parse_seconds(optarg, &o->window_s))
				return fail(err, errlen, "--window-time needs a number of seconds from 0.1 up, got '%s'", optarg);
			break;
		case OPT_FOLLOW:
			if (parse_seconds(optarg, &o->follow_s))
				return fail(err, errlen, "--follow needs a number of seconds from 0.1 up, got '%s'", optarg);
			break;
		case OPT_FOLLOW_FREES:
			if (parse_long(optarg, 100, 100000000, &v))
				return fail(err, errlen, "--follow-frees needs a number from 100 to 100000000, got '%s'", optarg);
			o->follow_frees = (uint32_t)v;
			break;
		case OPT_WINDOW_BUDGET:
			if (parse_seconds_or(optarg, 0.1, 0, &o->window_budget_s) ||
			    o->window_budget_s > 3600)
				return fail(err, errlen, "--window-budget needs seconds per hour from 0 to 3600, got '%s'", optarg);
			break;
		case OPT_WINDOW_EVERY:
			if (parse_seconds_or(optarg, 0.1, 0, &o->window_every_s))
				return fail(err, errlen, "--window-every needs a number of seconds (0: never), got '%s'", optarg);
			break;
		case OPT_FIRST_WINDOW:
			if (parse_seconds_or(optarg, 0, -1, &o->first_window_s))
				return fail(err, errlen, "--first-window needs a number of seconds (-1: none), got '%s'", optarg);
			break;
		case OPT_WARMUP:
			if (parse_long(optarg, 0, 100, &v))
				return fail(err, errlen, "--warmup needs a number of windows from 0 (off) to 100, got '%s'", optarg);
			o->warmup = (uint32_t)v;
			break;
		case OPT_GROWTH_TRIGGER:
			if (parse_bytes(optarg, &o->growth_trigger))
				return fail(err, errlen, "--growth-trigger needs a byte count such as 8M (0: off), got '%s'", optarg);
			break;
		case OPT_NO_HINTS:
			o->no_hints = true;
			break;
		case 'w':
			if (parse_duration(optarg, &o->trend_window_s))
				return fail(err, errlen, "--window needs a duration from 1s to 7 days such as 600, 90s, 10m or 1h, got '%s'", optarg);
			break;
		case OPT_ALERT_RATE:
			if (parse_bytes(optarg, &o->alert_rate))
				return fail(err, errlen, "--alert-rate needs bytes per minute such as 256K, got '%s'", optarg);
			break;
		case OPT_ALERT_MIN:
			if (parse_bytes(optarg, &o->alert_min_bytes))
				return fail(err, errlen, "--alert-min-bytes needs a byte count such as 2M, got '%s'", optarg);
			break;
		case OPT_ALERT_FDS:
			if (parse_long(optarg, 0, 1000000, &v))
				return fail(err, errlen, "--alert-fds needs a count from 0 (off) to 1000000, got '%s'", optarg);
			o->alert_fds = (uint32_t)v;
			break;
		case OPT_ALERT_THREADS:
			if (parse_long(optarg, 0, 1000000, &v))
				return fail(err, errlen, "--alert-threads needs a count from 0 (off) to 1000000, got '%s'", optarg);
			o->alert_threads = (uint32_t)v;
			break;
		case OPT_FAIL_ON_LEAK:
			o->fail_on_leak = true;
			break;
		case 'g':
			if (!strcmp(optarg, "stack"))
				o->group_by = 0;
			else if (!strcmp(optarg, "line"))
				o->group_by = 1;
			else if (!strcmp(optarg, "function"))
				o->group_by = 2;
			else if (!strcmp(optarg, "file"))
				o->group_by = 3;
			else if (!strcmp(optarg, "head"))
				o->group_by = 4;
			else
				return fail(err, errlen, "--group-by needs stack, line, function, file or head, got '%s'", optarg);
			break;
		case OPT_TYPE_SAMPLES:
			if (parse_long(optarg, 0, 4096, &v))
				return fail(err, errlen, "--type-samples needs a number from 0 to 4096, got '%s'", optarg);
			o->type_samples = (uint32_t)v;
			break;
		case OPT_CENSUS_EVERY:
			if (parse_seconds_or(optarg, 1, 0, &o->census_every_s))
				return fail(err, errlen, "--census-every needs a number of seconds from 1 up (0: never), got '%s'", optarg);
			break;
		case OPT_CENSUS_MAX:
			if (parse_long(optarg, 1000, 100000000, &v))
				return fail(err, errlen, "--census-max needs a number from 1000 to 100000000, got '%s'", optarg);
			o->census_max = (uint32_t)v;
			break;
		case OPT_HTML:
			if (!*optarg)
				return fail(err, errlen, "--html needs a file path");
			o->html = optarg;
			break;
		case OPT_PROM_FILE:
		case OPT_PPROF:
		case OPT_FOLDED:
			if (!*optarg)
				return fail(err, errlen, "--%s needs a file path",
					    c == OPT_PROM_FILE ? "prom-file" : c == OPT_PPROF ? "pprof" : "folded");
			*(c == OPT_PROM_FILE ? &o->prom_file : c == OPT_PPROF ? &o->pprof_file
									 : &o->folded_file) = optarg;
			break;
		case OPT_LISTEN: {
			struct sockaddr_storage ss;
			socklen_t sl;
			char why[256];

			if (http_parse_listen(optarg, &ss, &sl, why, sizeof(why)))
				return fail(err, errlen, "--listen %s", why);
			o->listen = optarg;
			break;
		}
		case OPT_NODE_NAME:
			if (!node_name_ok(optarg))
				return fail(err, errlen, "--node-name needs a host name (1-253 "
					    "characters: letters, digits, '-', '.', '_'), got '%s'", optarg);
			o->node_name = optarg;
			break;
		case OPT_PODS_DIR: {
			struct stat st;

			/* at start-up, not at the first container: a typo in a
			 * DaemonSet's mount would otherwise only show as labels
			 * that never come */
			if (stat(optarg, &st))
				return fail(err, errlen, "--pods-dir %s: %s (the kubelet's pod log "
					    "directory, usually /var/log/pods)", optarg, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return fail(err, errlen, "--pods-dir %s: not a directory", optarg);
			o->pods_dir = optarg;
			break;
		}
		case OPT_PROM_TOP:
			if (parse_long(optarg, 0, 1000, &v))
				return fail(err, errlen, "--prom-top needs a number from 0 to 1000, got '%s'", optarg);
			o->prom_top = (int)v;
			break;
		case OPT_SWITCH:
			o->switch_allocator = true;
			break;
		case OPT_RESTORE:
			o->restore_allocator = true;
			break;
		case OPT_KEEP_PYMALLOC:
			o->keep_pymalloc = true;
			break;
		case OPT_MAX_DEPTH:
			if (parse_long(optarg, 1, PYLEAK_MAX_FRAMES, &v))
				return fail(err, errlen, "--max-depth needs a number from 1 to %d, got '%s'", PYLEAK_MAX_FRAMES, optarg);
			o->max_depth = (uint32_t)v;
			break;
		case OPT_MAX_ALLOCS:
			if (parse_long(optarg, 1024, 1L << 26, &v))
				return fail(err, errlen, "--max-allocs needs a number from 1024 to %ld, got '%s'", 1L << 26, optarg);
			o->max_allocs = (uint32_t)v;
			allocs_given = true;
			break;
		case OPT_MAX_SITES:
			if (parse_long(optarg, 64, 1L << 22, &v))
				return fail(err, errlen, "--max-sites needs a number from 64 to %ld, got '%s'", 1L << 22, optarg);
			o->max_sites = (uint32_t)v;
			sites_given = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(usage_text, out);
			return 1;
		case 'V':
			fprintf(out, "pyleak-bpf %s\n", PYLEAK_VERSION);
			return 1;
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) && optopt && optopt < 0x100)
				return fail(err, errlen, "option '-%c' needs a value", optopt);
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			/* an unknown letter, maybe inside a cluster (-xv) where getopt
			 * has not moved past the word yet: name the letter itself. A
			 * known letter here means a long option given a value it does
			 * not take (--stacks=yes): name the word. */
			if (optopt && optopt < 0x100 && !strchr(SHORT_OPTS, optopt))
				return fail(err, errlen, "unknown option '-%c' (see --help)", optopt);
			/* also an ambiguous abbreviation, or --flag=value for a flag */
			return fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
		last_optind = optind;
	}
	/* getopt consumed a real "--" separator only if it is the word right
	 * after the last option (and its value): "-o --" is a file named "--" */
	dashdash = optind == last_optind + 1 && !strcmp(argv[last_optind], "--");
	if (optind < argc) {
		if (!dashdash)
			return fail(err, errlen, "unexpected argument '%s'; put the command after '--'", argv[optind]);
		o->command = &argv[optind];
	} else if (dashdash) {
		return fail(err, errlen, "no command after '--'");
	}
	o->node = o->all || o->npids > 1;
	if (o->node) {
		int rc = check_node(o, err, errlen);

		if (rc)
			return rc;
		if (!allocs_given)
			o->max_allocs = OPTIONS_NODE_MAX_ALLOCS;
		if (!sites_given)
			o->max_sites = OPTIONS_NODE_MAX_SITES;
	} else if (node_tuned) {
		return fail(err, errlen, "--max-targets, --rescan, --max-concurrent-windows and --group-by-service apply to node mode: add --all (or give --pid several times)");
	}
	if (o->pid && o->command)
		return fail(err, errlen, "give either --pid or a command after '--', not both");
	if (!o->pid && !o->command && !o->node)
		return fail(err, errlen, "nothing to profile: give --pid PID, -- COMMAND or --all (see --help)");
	if (o->duration_s && o->duration_s < o->interval_s)
		o->interval_s = o->duration_s; /* one report at the end, not none */
	if (o->restore_allocator && o->command)
		return fail(err, errlen, "--restore-allocator needs --pid");
	if (o->switch_allocator && o->restore_allocator)
		return fail(err, errlen, "--switch-allocator and --restore-allocator exclude each other");
	if ((o->prom_file || o->listen) && o->prom_top > o->top)
		return fail(err, errlen, "--prom-top %d exceeds --top %d: the file holds sites of the report; raise --top too", o->prom_top, o->top);
	if (o->keep_pymalloc && (!o->command || o->mode != MODE_ALLOC))
		return fail(err, errlen, "--keep-pymalloc only applies to --mode alloc with -- COMMAND");
	return 0;
}
