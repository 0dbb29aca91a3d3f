// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* options.c: see options.h. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "pyleak.h"

#ifndef PYLEAK_VERSION
#define PYLEAK_VERSION "0.1.0"
#endif

static const char usage_text[] =
"Usage: pyleak-bpf --pid PID [OPTIONS]\n"
"       pyleak-bpf [OPTIONS] -- COMMAND [ARGS...]\n"
"\n"
"Find which Python line keeps memory alive and growing in a running CPython\n"
"process, without restarting or changing it. Every --interval seconds it\n"
"prints the allocation sites (Python stack + native caller) that hold the\n"
"most outstanding memory, and how much that changed since the last report.\n"
"\n"
"Target:\n"
"  -p, --pid PID            profile this running process (host PID; containers work)\n"
"  -- COMMAND [ARGS...]     start COMMAND, profile it, report when it exits and\n"
"                           exit with its status\n"
"\n"
"Reporting:\n"
"  -i, --interval SECONDS   time between reports (default 10; fractions allowed)\n"
"  -d, --duration SECONDS   stop after this long (default: until Ctrl-C or exit)\n"
"  -n, --top N              sites per report (default 10)\n"
"  -f, --format text|json   text for people, json for one object per line (default text)\n"
"  -s, --stacks             print every Python frame of each site, not just the top one\n"
"  -o, --output FILE        append reports to FILE instead of stdout (with -- COMMAND,\n"
"                           keeps them apart from the command's own output)\n"
"\n"
"Capture:\n"
"  -m, --mode alloc         exact: a probe on every allocation and free (default)\n"
"      --switch-allocator   for builds that inline pymalloc (LTO, e.g. Debian's python3):\n"
"                           point the OBJ and MEM allocator tables' malloc and calloc\n"
"                           slots at CPython's raw (libc) allocator while profiling, so\n"
"                           probes see every allocation. This WRITES 4 pointers into the\n"
"                           target (all its threads are stopped meanwhile) and puts them\n"
"                           back on exit, Ctrl-C, SIGTERM and errors. realloc and free\n"
"                           are never switched: pymalloc's accept libc blocks, so memory\n"
"                           allocated meanwhile is freed correctly afterwards. If\n"
"                           pyleak-bpf is killed outright the target stays correct, only\n"
"                           a little slower; the next run notices and can restore it.\n"
"      --restore-allocator  only restore a switch left behind by a killed run, then exit\n"
"      --keep-pymalloc      with -- COMMAND: do not set PYTHONMALLOC=malloc for it (set by\n"
"                           default so every build's allocations are visible)\n"
"      --max-depth N        Python frames kept per stack (default 32, at most 64)\n"
"      --max-allocs N       live allocations tracked (default 1048576)\n"
"      --max-sites N        distinct stacks tracked (default 65536)\n"
"\n"
"General:\n"
"  -v, --verbose            more detail, including libbpf's messages (repeatable)\n"
"  -q, --quiet              only errors on stderr\n"
"  -h, --help               this text\n"
"  -V, --version            version\n"
"\n"
"Cost: --mode alloc takes a trap per allocation and per free; on a busy\n"
"allocation loop that is a large slowdown (see README \"Cost\"). Use it for\n"
"bounded investigations.\n"
"\n"
"Needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE) and a kernel with BTF\n"
"and uprobes. Exit status: 0 ok, 2 usage, 4 permission, 5 no such process,\n"
"6 not a Python process, 7 unsupported Python, 8 missing kernel support,\n"
"9 target exited early, 10 probes blind, 1 other errors; with -- COMMAND,\n"
"the command's own status.\n"
"\n"
"Examples:\n"
"  sudo pyleak-bpf --pid 1234\n"
"  sudo pyleak-bpf --pid 1234 --switch-allocator --interval 30 --stacks\n"
"  sudo pyleak-bpf --format json --duration 60 -- python3 app.py\n";

enum {
	OPT_SWITCH = 0x100,
	OPT_RESTORE,
	OPT_KEEP_PYMALLOC,
	OPT_MAX_DEPTH,
	OPT_MAX_ALLOCS,
	OPT_MAX_SITES,
};

#define SHORT_OPTS "p:i:d:n:f:so:m:vqhV"

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

int options_parse(int argc, char **argv, struct options *o, FILE *out, char *err, size_t errlen)
{
	int c, last_optind = 1;
	bool dashdash;
	long v;

	*o = (struct options){
		.interval_s = 10,
		.top = 10,
		.format = FORMAT_TEXT,
		.mode = MODE_ALLOC,
		.max_depth = PYLEAK_DEFAULT_FRAMES,
		.max_allocs = 1u << 20,
		.max_sites = 1u << 16,
	};
	err[0] = 0;
	optind = 0; /* full reset: parse may run more than once (tests) */
	opterr = 0;
	/* "+": stop at the first non-option, so COMMAND's own options are its own */
	while ((c = getopt_long(argc, argv, "+:" SHORT_OPTS, long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, 0x7fffffff, &v))
				return fail(err, errlen, "--pid needs a process ID, got '%s'", optarg);
			o->pid = (int)v;
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
			break;
		case 's':
			o->stacks = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "alloc"))
				return fail(err, errlen, "--mode must be alloc, got '%s'", optarg);
			o->mode = MODE_ALLOC;
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
			break;
		case OPT_MAX_SITES:
			if (parse_long(optarg, 64, 1L << 22, &v))
				return fail(err, errlen, "--max-sites needs a number from 64 to %ld, got '%s'", 1L << 22, optarg);
			o->max_sites = (uint32_t)v;
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
	if (o->pid && o->command)
		return fail(err, errlen, "give either --pid or a command after '--', not both");
	if (!o->pid && !o->command)
		return fail(err, errlen, "nothing to profile: give --pid PID or -- COMMAND (see --help)");
	if (o->duration_s && o->duration_s < o->interval_s)
		o->interval_s = o->duration_s; /* one report at the end, not none */
	if (o->restore_allocator && o->command)
		return fail(err, errlen, "--restore-allocator needs --pid");
	if (o->switch_allocator && o->restore_allocator)
		return fail(err, errlen, "--switch-allocator and --restore-allocator exclude each other");
	if (o->keep_pymalloc && !o->command)
		return fail(err, errlen, "--keep-pymalloc only applies to -- COMMAND");
	return 0;
}
