/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_options.c: unit tests for the command line parser, options_parse() in
 * user/options.c. Covers the defaults, every option with valid and invalid
 * values (each invalid one must fail with -EINVAL and a message naming the
 * option and the bad value), the --pid / -- COMMAND rules, the command's own
 * options after "--", --help and --version (printed to the given stream), the
 * --duration/--interval clamp, the allocator option constraints, the help text
 * against the options the parser accepts, and repeated parsing in one process
 * (getopt's hidden state must be reset each time).
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define PROG "pyleak-bpf"

/* The outcome of one options_parse() call. */
struct parse {
	int rc;
	struct options o;
	char err[256];
	char *out; /* what was written to the FILE, "" if nothing */
	size_t outlen;
};

static struct parse P;

/* run() - parse argv (NULL-terminated, argv[0] included) into P. */
static int run(char **argv)
{
	FILE *f;
	int argc = 0;

	while (argv[argc])
		argc++;
	free(P.out);
	P.out = NULL;
	P.outlen = 0;
	memset(&P.o, 0xa5, sizeof(P.o)); /* the parser must set every field */
	memset(P.err, 'X', sizeof(P.err) - 1);
	P.err[sizeof(P.err) - 1] = 0;
	f = open_memstream(&P.out, &P.outlen);
	assert_non_null(f);
	P.rc = options_parse(argc, argv, &P.o, f, P.err, sizeof(P.err));
	assert_int_equal(fclose(f), 0);
	return P.rc;
}

/* PARSE("--pid", "1") parses { PROG, "--pid", "1", NULL }. The array lives
 * until the end of the calling block, so P.o.command stays valid there. */
#define ARGV(...) ((char *[]){ PROG, ##__VA_ARGS__, NULL })
#define PARSE(...) run(ARGV(__VA_ARGS__))

#define assert_contains(hay, needle)                                                        \
	do {                                                                                \
		const char *h_ = (hay), *n_ = (needle);                                     \
		if (!h_ || !strstr(h_, n_))                                                 \
			fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
	} while (0)

#define assert_double_eq(a, b)                                                          \
	do {                                                                            \
		double a_ = (a), b_ = (b);                                              \
		if (a_ != b_)                                                           \
			fail_msg("%s is %.17g, expected %.17g", #a, a_, b_);            \
	} while (0)

/* A successful parse: 0, empty error, nothing printed. */
#define assert_ok()                                                                     \
	do {                                                                            \
		if (P.rc != 0)                                                          \
			fail_msg("options_parse returned %d: %s", P.rc, P.err);         \
		assert_string_equal(P.err, "");                                         \
		assert_int_equal(P.outlen, 0);                                          \
	} while (0)

/* A rejected command line: -EINVAL, nothing printed, and a one-line message
 * that contains each of the given strings. Failures are reported at the
 * caller's line. */
static void expect_einval(const char *file, int line, const char *const *needles)
{
	const char *why = NULL;
	const char *const none[] = { NULL };

	if (P.rc != -EINVAL)
		why = "options_parse did not return -EINVAL";
	else if (P.outlen)
		why = "something was printed";
	else if (strlen(P.err) < 10 || strchr(P.err, '\n'))
		why = "the message is not one line of text";
	if (why)
		needles = none;
	for (; *needles; needles++) {
		if (!strstr(P.err, *needles)) {
			why = "the message lacks a string";
			break;
		}
	}
	if (why) {
		print_error("%s: rc %d, err \"%s\"%s%s%s\n", why, P.rc, P.err,
			    *needles ? ", wanted \"" : "", *needles ? *needles : "",
			    *needles ? "\"" : "");
		_fail(file, line);
	}
}

#define EXPECT_EINVAL(...)                                                              \
	expect_einval(__FILE__, __LINE__, (const char *const[]){ __VA_ARGS__, NULL })

static int teardown(void **state)
{
	free(P.out);
	P.out = NULL;
	P.outlen = 0;
	return 0;
}

/* The documented defaults (help text and options.h). */
static void assert_defaults_but_target(const struct options *o)
{
	assert_double_eq(o->interval_s, 10);
	assert_double_eq(o->duration_s, 0);
	assert_int_equal(o->top, 10);
	assert_int_equal(o->format, FORMAT_TEXT);
	assert_false(o->stacks);
	assert_null(o->output);
	assert_int_equal(o->mode, MODE_GROWTH);
	assert_int_equal(o->window_allocs, 20000);
	assert_double_eq(o->window_s, 5);
	assert_double_eq(o->follow_s, 10);
	assert_int_equal(o->follow_frees, 50000);
	assert_double_eq(o->window_budget_s, 120);
	assert_double_eq(o->window_every_s, 300);
	assert_double_eq(o->first_window_s, 2);
	assert_true(o->growth_trigger == 8u << 20);
	assert_false(o->no_hints);
	assert_int_equal(o->max_depth, 32);
	assert_int_equal(o->max_allocs, 1048576);
	assert_int_equal(o->max_sites, 65536);
	assert_false(o->switch_allocator);
	assert_false(o->restore_allocator);
	assert_false(o->keep_pymalloc);
	assert_int_equal(o->verbose, 0);
	assert_false(o->quiet);
}

static void test_defaults(void **state)
{
	PARSE("--pid", "1");
	assert_ok();
	assert_int_equal(P.o.pid, 1);
	assert_null(P.o.command);
	assert_defaults_but_target(&P.o);

	char **argv = ARGV("--", "true");

	run(argv);
	assert_ok();
	assert_int_equal(P.o.pid, 0);
	assert_ptr_equal(P.o.command, &argv[2]);
	assert_defaults_but_target(&P.o);
}

static void test_pid(void **state)
{
	PARSE("--pid", "1234");
	assert_ok();
	assert_int_equal(P.o.pid, 1234);
	PARSE("-p", "1");
	assert_ok();
	assert_int_equal(P.o.pid, 1);
	PARSE("-p42");
	assert_ok();
	assert_int_equal(P.o.pid, 42);
	PARSE("--pid=2147483647");
	assert_ok();
	assert_int_equal(P.o.pid, 2147483647);
	PARSE("--pid", "7", "--pid", "7"); /* the same process: one session */
	assert_ok();
	assert_int_equal(P.o.pid, 7);
	assert_false(P.o.node);
	PARSE("--pid", "7", "--pid", "8"); /* two: node mode watches both */
	assert_ok();
	assert_true(P.o.node);
	assert_false(P.o.all);
	assert_int_equal(P.o.npids, 2);
	assert_int_equal(P.o.pids[0], 7);
	assert_int_equal(P.o.pids[1], 8);

	static const char *const bad[] = {
		"0", "-1", "abc", "", "12x", "1.5", "0x10", "2147483648", "99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		PARSE("--pid", (char *)bad[i]);
		EXPECT_EINVAL("--pid", quoted);
		PARSE("-p", (char *)bad[i]);
		EXPECT_EINVAL("--pid", quoted);
	}
}

/* --interval and --duration share the seconds syntax. */
static void check_seconds_option(const char *lng, const char *shrt, double *field)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "0.5", 0.5 }, { "30", 30 }, { "1e1", 10 }, { "0.1", 0.1 },
		{ "31536000", 31536000 }, /* 365 days, the maximum */
	};
	static const char *const bad[] = {
		"0", "0.09", "-1", "-0.5", "", "abc", "5s", "1,5", "nan", "inf", "-inf", "1e400",
		"31536001",
	};
	char eq[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		/* "-i 0.1" first: no clamp of the interval by a short --duration,
		 * and for --interval the later value wins */
		PARSE("-p", "1", "-i", "0.1", (char *)lng, (char *)good[i].s);
		assert_ok();
		assert_double_eq(*field, good[i].v);
		PARSE("-p", "1", "-i", "0.1", (char *)shrt, (char *)good[i].s);
		assert_ok();
		assert_double_eq(*field, good[i].v);
		snprintf(eq, sizeof(eq), "%s=%s", lng, good[i].s);
		PARSE("-p", "1", "-i", "0.1", eq);
		assert_ok();
		assert_double_eq(*field, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		PARSE("-p", "1", (char *)lng, (char *)bad[i]);
		EXPECT_EINVAL(lng, quoted);
		PARSE("-p", "1", (char *)shrt, (char *)bad[i]);
		EXPECT_EINVAL(lng, quoted);
	}
}

static void test_interval(void **state)
{
	check_seconds_option("--interval", "-i", &P.o.interval_s);
}

static void test_duration(void **state)
{
	check_seconds_option("--duration", "-d", &P.o.duration_s);
}

static void test_duration_clamps_interval(void **state)
{
	PARSE("-p", "1", "--duration", "5");
	assert_ok();
	assert_double_eq(P.o.duration_s, 5);
	assert_double_eq(P.o.interval_s, 5);

	/* whichever comes first */
	PARSE("-p", "1", "--duration", "2.5", "--interval", "30");
	assert_ok();
	assert_double_eq(P.o.duration_s, 2.5);
	assert_double_eq(P.o.interval_s, 2.5);
	PARSE("-p", "1", "--interval", "30", "--duration", "2.5");
	assert_ok();
	assert_double_eq(P.o.interval_s, 2.5);

	/* equal or longer: untouched */
	PARSE("-p", "1", "--duration", "10");
	assert_ok();
	assert_double_eq(P.o.interval_s, 10);
	PARSE("-p", "1", "-d", "60", "-i", "2");
	assert_ok();
	assert_double_eq(P.o.duration_s, 60);
	assert_double_eq(P.o.interval_s, 2);

	/* no --duration: no clamp */
	PARSE("-p", "1", "-i", "0.25");
	assert_ok();
	assert_double_eq(P.o.duration_s, 0);
	assert_double_eq(P.o.interval_s, 0.25);
}

/* A whole-number option with an inclusive range [lo, hi]; field is read back
 * through get() since the fields have different types. */
static void check_number_option(const char *lng, const char *shrt, long lo, long hi,
				long (*get)(void), const char *range_text)
{
	char buf[3][32], quoted[64], eq[64];
	long good[] = { lo, hi, lo + (hi - lo) / 2 };

	for (size_t i = 0; i < 3; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%ld", good[i]);
		PARSE("-p", "1", (char *)lng, buf[i]);
		assert_ok();
		assert_int_equal(get(), good[i]);
		if (shrt) {
			PARSE("-p", "1", (char *)shrt, buf[i]);
			assert_ok();
			assert_int_equal(get(), good[i]);
		}
		snprintf(eq, sizeof(eq), "%s=%s", lng, buf[i]);
		PARSE("-p", "1", eq);
		assert_ok();
		assert_int_equal(get(), good[i]);
	}

	snprintf(buf[0], sizeof(buf[0]), "%ld", lo - 1);
	snprintf(buf[1], sizeof(buf[1]), "%ld", hi + 1);
	const char *bad[] = {
		buf[0], buf[1], "-5", "abc", "", "12x", "1.0", "99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		PARSE("-p", "1", (char *)lng, (char *)bad[i]);
		EXPECT_EINVAL(lng, quoted, range_text);
		if (shrt) {
			PARSE("-p", "1", (char *)shrt, (char *)bad[i]);
			EXPECT_EINVAL(lng, quoted, range_text);
		}
	}
}

static long get_top(void)
{
	return P.o.top;
}

static long get_max_depth(void)
{
	return P.o.max_depth;
}

static long get_max_allocs(void)
{
	return P.o.max_allocs;
}

static long get_max_sites(void)
{
	return P.o.max_sites;
}

static void test_top(void **state)
{
	check_number_option("--top", "-n", 1, 100000, get_top, "100000");
}

static void test_max_depth(void **state)
{
	check_number_option("--max-depth", NULL, 1, 64, get_max_depth, "64");
}

static void test_max_allocs(void **state)
{
	check_number_option("--max-allocs", NULL, 1024, 1L << 26, get_max_allocs, "67108864");
}

static void test_max_sites(void **state)
{
	check_number_option("--max-sites", NULL, 64, 1L << 22, get_max_sites, "4194304");
}

static void test_format(void **state)
{
	PARSE("-p", "1", "--format", "json");
	assert_ok();
	assert_int_equal(P.o.format, FORMAT_JSON);
	PARSE("-p", "1", "-f", "json", "-f", "text");
	assert_ok();
	assert_int_equal(P.o.format, FORMAT_TEXT);
	PARSE("-p", "1", "-fjson");
	assert_ok();
	assert_int_equal(P.o.format, FORMAT_JSON);
	PARSE("-p", "1", "--format=text");
	assert_ok();
	assert_int_equal(P.o.format, FORMAT_TEXT);

	static const char *const bad[] = { "xml", "JSON", "Text", "", "jsonl", "json " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		PARSE("-p", "1", "--format", (char *)bad[i]);
		EXPECT_EINVAL("--format", quoted);
		PARSE("-p", "1", "-f", (char *)bad[i]);
		EXPECT_EINVAL("--format", quoted);
	}
}

static void test_mode(void **state)
{
	PARSE("-p", "1", "--mode", "alloc");
	assert_ok();
	assert_int_equal(P.o.mode, MODE_ALLOC);
	PARSE("-p", "1", "-m", "alloc");
	assert_ok();
	assert_int_equal(P.o.mode, MODE_ALLOC);

	static const char *const bad[] = { "sample", "ALLOC", "", "allocs" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		PARSE("-p", "1", "--mode", (char *)bad[i]);
		EXPECT_EINVAL("--mode", quoted);
		PARSE("-p", "1", "-m", (char *)bad[i]);
		EXPECT_EINVAL("--mode", quoted);
	}
}

static void test_output(void **state)
{
	char **argv = ARGV("-p", "1", "--output", "reports.log");

	run(argv);
	assert_ok();
	assert_ptr_equal(P.o.output, argv[4]); /* not a copy: argv outlives the options */
	PARSE("-p", "1", "-o", "/tmp/a file");
	assert_ok();
	assert_string_equal(P.o.output, "/tmp/a file");
	PARSE("-p", "1", "--output=x.json");
	assert_ok();
	assert_string_equal(P.o.output, "x.json");
	PARSE("-o", "out.txt", "--", "python3", "app.py");
	assert_ok();
	assert_string_equal(P.o.output, "out.txt");
	assert_string_equal(P.o.command[0], "python3");
}

static void test_flags(void **state)
{
	PARSE("-p", "1", "--stacks");
	assert_ok();
	assert_true(P.o.stacks);
	PARSE("-p", "1", "-s");
	assert_ok();
	assert_true(P.o.stacks);

	PARSE("-p", "1", "-v");
	assert_ok();
	assert_int_equal(P.o.verbose, 1);
	PARSE("-p", "1", "-v", "--verbose", "-vv");
	assert_ok();
	assert_int_equal(P.o.verbose, 4);
	assert_false(P.o.quiet);

	PARSE("-p", "1", "--quiet");
	assert_ok();
	assert_true(P.o.quiet);
	assert_int_equal(P.o.verbose, 0);
	PARSE("-qsp", "3");
	assert_ok();
	assert_true(P.o.quiet);
	assert_true(P.o.stacks);
	assert_int_equal(P.o.pid, 3);
}

/* Every option that takes a value, at the end of the line without one. */
static void test_missing_value(void **state)
{
	static const char *const opts[][2] = {
		{ "--pid", "-p" },	  { "--interval", "-i" }, { "--duration", "-d" },
		{ "--top", "-n" },	  { "--format", "-f" },	  { "--output", "-o" },
		{ "--mode", "-m" },	  { "--max-depth", NULL }, { "--max-allocs", NULL },
		{ "--max-sites", NULL },
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", opts[i][0]);
		PARSE("-s", (char *)opts[i][0]);
		EXPECT_EINVAL(quoted, "needs a value");
		if (opts[i][1]) {
			snprintf(quoted, sizeof(quoted), "'%s'", opts[i][1]);
			PARSE("-s", (char *)opts[i][1]);
			EXPECT_EINVAL(quoted, "needs a value");
		}
	}
}

static void test_unknown_option(void **state)
{
	PARSE("-p", "1", "--bogus");
	EXPECT_EINVAL("unknown option", "'--bogus'");
	PARSE("-p", "1", "--bogus=3");
	EXPECT_EINVAL("unknown option", "--bogus");
	PARSE("-x", "-p", "1");
	EXPECT_EINVAL("unknown option", "'-x'");
	PARSE("-p", "1", "-sx");
	EXPECT_EINVAL("unknown option", "'-x'");
	/* a value given to a flag */
	PARSE("-p", "1", "--stacks=yes");
	EXPECT_EINVAL("--stacks");
	/* an ambiguous abbreviation (--max-depth, --max-allocs, --max-sites) */
	PARSE("-p", "1", "--max", "5");
	EXPECT_EINVAL("--max");
	/* an unambiguous one is getopt_long's documented behaviour */
	PARSE("-p", "1", "--int", "5");
	assert_ok();
	assert_double_eq(P.o.interval_s, 5);
}

/*
 * An unknown short option followed by more letters in the same word: getopt
 * has not advanced optind past that word yet, so the message must not name
 * argv[optind - 1] (the word before it).
 */
static void test_unknown_short_option_in_cluster(void **state)
{
	PARSE("-p", "5", "-xs");
	EXPECT_EINVAL("unknown option", "-x");
	PARSE("-xv", "-p", "5");
	EXPECT_EINVAL("unknown option", "-x");
}

static void test_pid_and_command_exclusive(void **state)
{
	PARSE("--pid", "5", "--", "python3", "app.py");
	EXPECT_EINVAL("--pid", "'--'", "not both");
	PARSE("-p5", "--", "true");
	EXPECT_EINVAL("--pid", "not both");
}

static void test_missing_target(void **state)
{
	PARSE();
	EXPECT_EINVAL("nothing to profile", "--pid", "--");
	PARSE("-s", "-v", "--interval", "3", "--format", "json");
	EXPECT_EINVAL("nothing to profile", "--pid", "--");
}

static void test_dashdash_without_command(void **state)
{
	PARSE("--");
	EXPECT_EINVAL("no command after '--'");
	PARSE("-s", "--");
	EXPECT_EINVAL("no command after '--'");
	PARSE("-p", "5", "--");
	EXPECT_EINVAL("no command after '--'");
}

static void test_command_options_left_alone(void **state)
{
	char **argv = ARGV("--", "python3", "-m", "pytest", "-x");
	char *copy[7];

	memcpy(copy, argv, sizeof(copy));
	run(argv);
	assert_ok();
	assert_int_equal(P.o.pid, 0);
	assert_ptr_equal(P.o.command, &argv[2]);
	assert_string_equal(P.o.command[0], "python3");
	assert_string_equal(P.o.command[1], "-m");
	assert_string_equal(P.o.command[2], "pytest");
	assert_string_equal(P.o.command[3], "-x");
	assert_null(P.o.command[4]);
	assert_memory_equal(copy, argv, sizeof(copy)); /* not permuted */
	assert_false(P.o.stacks); /* -x, -m are the command's */

	/* options before "--" are ours, after it (even ours) the command's */
	argv = ARGV("-s", "-i", "2", "--", "python3", "--pid", "9", "-v", "--help", "--");
	run(argv);
	assert_ok();
	assert_true(P.o.stacks);
	assert_double_eq(P.o.interval_s, 2);
	assert_int_equal(P.o.pid, 0);
	assert_int_equal(P.o.verbose, 0);
	assert_ptr_equal(P.o.command, &argv[5]);
	assert_string_equal(P.o.command[0], "python3");
	assert_string_equal(P.o.command[1], "--pid");
	assert_string_equal(P.o.command[2], "9");
	assert_string_equal(P.o.command[3], "-v");
	assert_string_equal(P.o.command[4], "--help");
	assert_string_equal(P.o.command[5], "--");
	assert_null(P.o.command[6]);

	/* a command that is itself an option-looking word */
	argv = ARGV("--", "-weird", "arg");
	run(argv);
	assert_ok();
	assert_ptr_equal(P.o.command, &argv[2]);
	assert_string_equal(P.o.command[0], "-weird");
}

static void test_argument_without_dashdash(void **state)
{
	PARSE("python3", "app.py");
	EXPECT_EINVAL("unexpected argument", "'python3'", "'--'");
	PARSE("-p", "5", "extra");
	EXPECT_EINVAL("unexpected argument", "'extra'");
	PARSE("-s", "python3", "-x"); /* "+": no permutation past the word */
	EXPECT_EINVAL("unexpected argument", "'python3'");
}

/*
 * "--" as the value of an option is that value, not the end of the options:
 * "-o -- python3 app.py" has no command separator, and "-p 5 -o --" asks for
 * reports in a file named "--".
 */
static void test_dashdash_as_option_value(void **state)
{
	PARSE("-o", "--", "python3", "app.py");
	EXPECT_EINVAL("unexpected argument", "'python3'");
	PARSE("-p", "5", "--output", "--");
	assert_ok();
	assert_string_equal(P.o.output, "--");
	assert_null(P.o.command);
}

static void test_help(void **state)
{
	const char *const *cases[] = {
		(const char *const[]){ PROG, "--help", NULL },
		(const char *const[]){ PROG, "-h", NULL },
		(const char *const[]){ PROG, "-p", "5", "--help", NULL },
		(const char *const[]){ PROG, "-s", "-h", "--bogus", NULL }, /* stops at -h */
	};
	char *first = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run((char **)cases[i]), 1);
		assert_string_equal(P.err, "");
		assert_int_equal(strlen(P.out), P.outlen);
		assert_true(P.outlen > 500);
		assert_int_equal(strncmp(P.out, "Usage: pyleak-bpf --pid PID", 27), 0);
		assert_int_equal(P.out[P.outlen - 1], '\n');
		if (!first)
			first = strdup(P.out);
		else
			assert_string_equal(P.out, first);
	}
	/* the defaults it states are the parser's */
	assert_contains(first, "--interval SECONDS   time between reports (default 10;");
	assert_contains(first, "sites per report (default 10)");
	assert_contains(first, "(default text)");
	assert_contains(first, "(default 32, at most 64)");
	assert_contains(first, "live allocations tracked (default 1048576; in node mode");
	assert_contains(first, "per process, default 65536)");
	assert_contains(first, "distinct stacks tracked (default 65536; in node mode per");
	assert_contains(first, "process, default 16384)");
	free(first);

	/* an invalid option before --help still fails */
	PARSE("--top", "0", "--help");
	EXPECT_EINVAL("--top");
}

static void test_version(void **state)
{
	const char *const *cases[] = {
		(const char *const[]){ PROG, "--version", NULL },
		(const char *const[]){ PROG, "-V", NULL },
		(const char *const[]){ PROG, "-p", "5", "-V", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned a, b, c;
		int n = 0;

		assert_int_equal(run((char **)cases[i]), 1);
		assert_string_equal(P.err, "");
		/* exactly "pyleak-bpf X.Y.Z\n" (a suffix such as "-rc1" allowed) */
		assert_int_equal(sscanf(P.out, "pyleak-bpf %u.%u.%u%n", &a, &b, &c, &n), 3);
		assert_true(n > 0);
		assert_non_null(strchr(P.out, '\n'));
		assert_int_equal(strchr(P.out, '\n') - P.out, P.outlen - 1);
		assert_null(strchr(P.out + n, ' '));
	}
}

/*
 * Every long option: its short form (if any), and a value that makes it
 * parse. The parser's table is private, so this list is the reference: each
 * must be accepted, be in the help text, and every "--name" in the help text
 * must be in this list (so an option added to the help but not here, or to
 * the parser and the help but not here, is noticed).
 */
static const struct known_opt {
	const char *name;
	char shrt;
	const char *value; /* NULL: a flag */
} known[] = {
	{ "pid", 'p', "1" },
	{ "interval", 'i', "1" },
	{ "duration", 'd', "1" },
	{ "top", 'n', "3" },
	{ "format", 'f', "json" },
	{ "stacks", 's', NULL },
	{ "output", 'o', "out.txt" },
	{ "mode", 'm', "alloc" },
	{ "switch-allocator", 0, NULL },
	{ "restore-allocator", 0, NULL },
	{ "keep-pymalloc", 0, NULL },
	{ "max-depth", 0, "8" },
	{ "max-allocs", 0, "2048" },
	{ "max-sites", 0, "128" },
	{ "window-allocs", 0, "1000" },
	{ "window-time", 0, "2" },
	{ "follow", 0, "3" },
	{ "follow-frees", 0, "5000" },
	{ "window-budget", 0, "60" },
	{ "window-every", 0, "0" },
	{ "growth-trigger", 0, "4M" },
	{ "first-window", 0, "-1" },
	{ "warmup", 0, "0" },
	{ "no-hints", 0, NULL },
	{ "window", 'w', "5m" },
	{ "alert-rate", 0, "1M" },
	{ "alert-min-bytes", 0, "4M" },
	{ "alert-fds", 0, "16" },
	{ "alert-threads", 0, "8" },
	{ "fail-on-leak", 0, NULL },
	{ "group-by", 'g', "line" },
	{ "type-samples", 0, "16" },
	{ "census-every", 0, "30" },
	{ "census-max", 0, "5000" },
	{ "prom-file", 0, "x.prom" },
	{ "prom-top", 0, "3" },
	{ "pprof", 0, "x.pb.gz" },
	{ "folded", 0, "x.folded" },
	{ "html", 0, "/tmp/report.html" },
	{ "listen", 0, "127.0.0.1:9435" },
	{ "pods-dir", 0, "/tmp" },
	{ "node-name", 0, "node-1" },
	{ "all", 0, NULL },
	{ "match", 0, "gunicorn" },
	{ "exclude", 0, "celery" },
	{ "cgroup", 0, "/system.slice" },
	{ "max-targets", 0, "8" },
	{ "rescan", 0, "5" },
	{ "max-concurrent-windows", 0, "2" },
	{ "group-by-service", 0, NULL },
	{ "verbose", 'v', NULL },
	{ "quiet", 'q', NULL },
	{ "help", 'h', NULL },
	{ "version", 'V', NULL },
};

#define NKNOWN (sizeof(known) / sizeof(known[0]))

static const struct known_opt *find_known(const char *name, size_t len)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strlen(known[i].name) == len && !strncmp(known[i].name, name, len))
			return &known[i];
	return NULL;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* contains_option() - "--name" in text, not followed by more of a name. */
static bool contains_option(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; (p = strstr(p, "--")); p += 2)
		if (!strncmp(p + 2, name, len) && !is_name_char(p[2 + len]))
			return true;
	return false;
}

/* parse_with() - a command line that uses option k (long or short form). */
static int parse_with(const struct known_opt *k, bool use_short)
{
	char opt[64], *argv[8];
	int n = 0;

	if (use_short)
		snprintf(opt, sizeof(opt), "-%c", k->shrt);
	else
		snprintf(opt, sizeof(opt), "--%s", k->name);
	argv[n++] = PROG;
	argv[n++] = opt;
	if (k->value)
		argv[n++] = (char *)k->value;
	if (!strcmp(k->name, "keep-pymalloc")) {
		argv[n++] = "-m";
		argv[n++] = "alloc";
		argv[n++] = "--";
		argv[n++] = "true";
	} else if (!strcmp(k->name, "max-targets") || !strcmp(k->name, "rescan") ||
		   !strcmp(k->name, "max-concurrent-windows") ||
		   !strcmp(k->name, "group-by-service")) {
		argv[n++] = "--all"; /* node mode's own */
	} else if (strcmp(k->name, "pid") && strcmp(k->name, "all") && strcmp(k->name, "match") &&
		   strcmp(k->name, "exclude") && strcmp(k->name, "cgroup")) {
		argv[n++] = "-p";
		argv[n++] = "1";
	}
	argv[n] = NULL;
	return run(argv);
}

/* assert_options_same() - equal values; output compared as a string, command
 * only as present or not (its argv may be gone by now). */
static void assert_options_same(const struct options *a, const struct options *b)
{
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(!a->command, !b->command);
	assert_double_eq(a->interval_s, b->interval_s);
	assert_double_eq(a->duration_s, b->duration_s);
	assert_int_equal(a->top, b->top);
	assert_int_equal(a->format, b->format);
	assert_int_equal(a->stacks, b->stacks);
	assert_int_equal(!a->output, !b->output);
	if (a->output)
		assert_string_equal(a->output, b->output);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->max_depth, b->max_depth);
	assert_int_equal(a->max_allocs, b->max_allocs);
	assert_int_equal(a->max_sites, b->max_sites);
	assert_int_equal(a->switch_allocator, b->switch_allocator);
	assert_int_equal(a->restore_allocator, b->restore_allocator);
	assert_int_equal(a->keep_pymalloc, b->keep_pymalloc);
	assert_int_equal(a->verbose, b->verbose);
	assert_int_equal(a->quiet, b->quiet);
	assert_double_eq(a->trend_window_s, b->trend_window_s);
	assert_int_equal(a->group_by, b->group_by);
}

static void test_help_lists_every_option(void **state)
{
	struct options by_long;
	char *help, line[80];

	assert_int_equal(PARSE("--help"), 1);
	help = strdup(P.out);
	assert_non_null(help);

	for (size_t i = 0; i < NKNOWN; i++) {
		const struct known_opt *k = &known[i];
		int want = !strcmp(k->name, "help") || !strcmp(k->name, "version");

		if (!contains_option(help, k->name))
			fail_msg("the help text does not mention --%s", k->name);
		if (parse_with(k, false) != want)
			fail_msg("--%s: options_parse returned %d (%s)", k->name, P.rc, P.err);
		assert_string_equal(P.err, "");
		by_long = P.o;
		if (!k->shrt)
			continue;
		/* "  -X, --name" in the help, and -X does the same as --name */
		snprintf(line, sizeof(line), "  -%c, --%s", k->shrt, k->name);
		assert_contains(help, line);
		if (parse_with(k, true) != want)
			fail_msg("-%c: options_parse returned %d (%s)", k->shrt, P.rc, P.err);
		if (!want)
			assert_options_same(&P.o, &by_long);
	}

	/* every --name the help text mentions is one of the above */
	for (const char *p = help; (p = strstr(p, "--")); p += 2) {
		size_t len = 0;

		while (is_name_char(p[2 + len]))
			len++;
		if (!len)
			continue; /* "-- COMMAND", "'--'" */
		if (!find_known(p + 2, len))
			fail_msg("the help text mentions --%.*s, unknown to this test", (int)len,
				 p + 2);
	}
	free(help);
}

/* Node mode: its options, its defaults, what it refuses, and single --pid
 * left as it was. */
static void test_node_options(void **state)
{
	PARSE("--all");
	assert_ok();
	assert_true(P.o.node);
	assert_true(P.o.all);
	assert_int_equal(P.o.pid, 0);
	assert_int_equal(P.o.max_targets, 64);
	assert_true(P.o.rescan_s == 2);
	assert_int_equal(P.o.max_concurrent_windows, 1);
	assert_false(P.o.group_by_service);
	/* per-process maps: node mode's smaller defaults, unless given */
	assert_int_equal(P.o.max_allocs, OPTIONS_NODE_MAX_ALLOCS);
	assert_int_equal(P.o.max_sites, OPTIONS_NODE_MAX_SITES);
	PARSE("--pid", "5", "--pid", "6", "--max-allocs", "2048");
	assert_ok();
	assert_int_equal(P.o.max_allocs, 2048);
	assert_int_equal(P.o.max_sites, OPTIONS_NODE_MAX_SITES);
	PARSE("--all", "--max-sites", "65536");
	assert_ok();
	assert_int_equal(P.o.max_allocs, OPTIONS_NODE_MAX_ALLOCS);
	assert_int_equal(P.o.max_sites, 65536);
	PARSE("--pid", "5");
	assert_ok();
	assert_int_equal(P.o.max_allocs, 1u << 20);
	assert_int_equal(P.o.max_sites, 1u << 16);
	PARSE("--all", "--group-by-service");
	assert_ok();
	assert_true(P.o.group_by_service);
	PARSE("--pid", "5", "--group-by-service");
	EXPECT_EINVAL("--group-by-service", "node mode");
	PARSE("--match", "gunicorn: worker", "--exclude", "celery", "--cgroup", "/kubepods.slice",
	      "--max-targets", "10", "--rescan", "0.5", "--max-concurrent-windows", "3");
	assert_ok();
	assert_true(P.o.all); /* the filters imply --all */
	assert_string_equal(P.o.match, "gunicorn: worker");
	assert_string_equal(P.o.exclude, "celery");
	assert_string_equal(P.o.cgroup, "/kubepods.slice");
	assert_int_equal(P.o.max_targets, 10);
	assert_true(P.o.rescan_s == 0.5);
	assert_int_equal(P.o.max_concurrent_windows, 3);
	PARSE("--pid", "5");
	assert_ok();
	assert_false(P.o.node);
	assert_int_equal(P.o.npids, 1);

	PARSE("--all", "--", "python3", "app.py");
	EXPECT_EINVAL("node mode", "'--'");
	PARSE("--pid", "5", "--pid", "6", "--", "true");
	EXPECT_EINVAL("node mode", "'--'");
	PARSE("--all", "--pid", "5");
	EXPECT_EINVAL("--all", "--pid");
	PARSE("--pid", "5", "--match", "x");
	EXPECT_EINVAL("--all", "--pid");
	PARSE("--pid", "5", "--pid", "6", "--restore-allocator");
	EXPECT_EINVAL("--restore-allocator", "single --pid");
	PARSE("--all", "--fail-on-leak");
	EXPECT_EINVAL("--fail-on-leak", "node mode");
	PARSE("--pid", "5", "--max-targets", "3");
	EXPECT_EINVAL("--max-targets", "node mode", "--all");
	PARSE("--pid", "5", "--rescan", "3");
	EXPECT_EINVAL("--rescan", "node mode");
	PARSE("--match", "(");
	EXPECT_EINVAL("--match", "'('");
	PARSE("--exclude", "[a");
	EXPECT_EINVAL("--exclude");
	PARSE("--cgroup", "kubepods");
	EXPECT_EINVAL("--cgroup");
	PARSE("--all", "--max-targets", "0");
	EXPECT_EINVAL("--max-targets", "'0'");
	PARSE("--all", "--rescan", "0.01");
	EXPECT_EINVAL("--rescan", "'0.01'");
	PARSE("--all", "--max-concurrent-windows", "x");
	EXPECT_EINVAL("--max-concurrent-windows", "'x'");
	PARSE();
	EXPECT_EINVAL("nothing to profile", "--all");
}

static void test_allocator_options(void **state)
{
	PARSE("--pid", "5", "--restore-allocator");
	assert_ok();
	assert_true(P.o.restore_allocator);
	assert_false(P.o.switch_allocator);
	PARSE("--restore-allocator", "--", "python3");
	EXPECT_EINVAL("--restore-allocator", "--pid");
	PARSE("--pid", "5", "--switch-allocator", "--restore-allocator");
	EXPECT_EINVAL("--switch-allocator", "--restore-allocator");
	PARSE("--restore-allocator", "--switch-allocator", "-p", "5");
	EXPECT_EINVAL("--switch-allocator", "--restore-allocator");

	PARSE("--pid", "5", "--switch-allocator");
	assert_ok();
	assert_true(P.o.switch_allocator);
	assert_false(P.o.restore_allocator);
	PARSE("--switch-allocator", "--", "python3");
	assert_ok();
	assert_true(P.o.switch_allocator);

	PARSE("--mode", "alloc", "--keep-pymalloc", "--", "python3", "app.py");
	assert_ok();
	assert_true(P.o.keep_pymalloc);
	assert_string_equal(P.o.command[1], "app.py");
	PARSE("--pid", "5", "-m", "alloc", "--keep-pymalloc");
	EXPECT_EINVAL("--keep-pymalloc", "COMMAND");
	/* growth mode does not set PYTHONMALLOC: nothing to keep */
	PARSE("--keep-pymalloc", "--", "python3");
	EXPECT_EINVAL("--keep-pymalloc", "--mode alloc");
}

/* Judgement, alerts and object types: defaults, units, limits. */
static void test_export_options(void **state)
{
	PARSE("-p", "5");
	assert_ok();
	assert_null(P.o.prom_file);
	assert_null(P.o.pprof_file);
	assert_null(P.o.folded_file);
	assert_int_equal(P.o.prom_top, 10);

	PARSE("-p", "5", "--prom-file", "/t/a.prom", "--prom-top", "0", "--pprof", "p.gz",
	      "--folded", "f.txt");
	assert_ok();
	assert_string_equal(P.o.prom_file, "/t/a.prom");
	assert_int_equal(P.o.prom_top, 0);
	assert_string_equal(P.o.pprof_file, "p.gz");
	assert_string_equal(P.o.folded_file, "f.txt");

	PARSE("-p", "5", "--prom-file", "");
	EXPECT_EINVAL("--prom-file", "file path");
	PARSE("-p", "5", "--prom-top", "1001");
	EXPECT_EINVAL("--prom-top", "0 to 1000");
	PARSE("-p", "5", "--prom-top", "-1");
	EXPECT_EINVAL("--prom-top", "-1");
	/* the file holds sites of the report: no more than --top */
	PARSE("-p", "5", "--prom-file", "a.prom", "--prom-top", "20");
	EXPECT_EINVAL("--prom-top 20", "--top 10");
	PARSE("-p", "5", "--prom-file", "a.prom", "--prom-top", "20", "--top", "20");
	assert_ok();
	/* --listen: off by default, a numeric address checked at parse time
	 * (http_metrics.h), and the same --prom-top bound as the file */
	PARSE("-p", "5");
	assert_null(P.o.listen);
	PARSE("-p", "5", "--listen", "[::1]:9435");
	assert_ok();
	assert_string_equal(P.o.listen, "[::1]:9435");
	PARSE("-p", "5", "--listen", "localhost:9435");
	EXPECT_EINVAL("--listen", "not a numeric IPv4 address");
	PARSE("-p", "5", "--listen", "127.0.0.1:99999");
	EXPECT_EINVAL("--listen", "0 to 65535");
	PARSE("-p", "5", "--listen", "127.0.0.1:9435", "--prom-top", "20");
	EXPECT_EINVAL("--prom-top 20", "--top 10");
}

static void test_judgement_options(void **state)
{
	PARSE("-p", "5");
	assert_ok();
	assert_double_eq(P.o.trend_window_s, 600);
	assert_true(P.o.alert_rate == 256u << 10);
	assert_true(P.o.alert_min_bytes == 2u << 20);
	assert_false(P.o.fail_on_leak);
	assert_int_equal(P.o.alert_fds, 64);
	assert_int_equal(P.o.alert_threads, 32);
	assert_int_equal(P.o.group_by, 0);
	assert_int_equal(P.o.type_samples, 64);
	assert_double_eq(P.o.census_every_s, 60);

	PARSE("-p", "5", "-w", "90s", "--alert-rate", "1M", "--alert-min-bytes", "512K",
	      "--fail-on-leak", "-g", "function", "--type-samples", "0", "--census-every", "0",
	      "--census-max", "2000");
	assert_ok();
	assert_double_eq(P.o.trend_window_s, 90);
	assert_true(P.o.alert_rate == 1u << 20);
	assert_true(P.o.alert_min_bytes == 512u << 10);
	assert_true(P.o.fail_on_leak);
	assert_int_equal(P.o.group_by, 2);
	assert_int_equal(P.o.type_samples, 0);
	assert_double_eq(P.o.census_every_s, 0);
	assert_int_equal(P.o.census_max, 2000);
	PARSE("-p", "5", "--window", "2h");
	assert_ok();
	assert_double_eq(P.o.trend_window_s, 7200);
	PARSE("-p", "5", "--window", "10m");
	assert_ok();
	assert_double_eq(P.o.trend_window_s, 600);
	PARSE("-p", "5", "-g", "file");
	assert_ok();
	assert_int_equal(P.o.group_by, 3);
	PARSE("-p", "5", "--group-by", "head");
	assert_ok();
	assert_int_equal(P.o.group_by, 4);
	PARSE("-p", "5", "--group-by", "heads");
	EXPECT_EINVAL("--group-by", "head");

	PARSE("-p", "5", "--window", "0.5");
	EXPECT_EINVAL("--window", "1s");
	PARSE("-p", "5", "--window", "8d");
	EXPECT_EINVAL("--window", "10m");
	PARSE("-p", "5", "--window", "30d");
	EXPECT_EINVAL("--window", "7 days");
	PARSE("-p", "5", "--group-by", "module");
	EXPECT_EINVAL("--group-by", "stack, line, function, file or head");
	PARSE("-p", "5", "--alert-rate", "fast");
	EXPECT_EINVAL("--alert-rate", "per minute");
	PARSE("-p", "5", "--alert-fds", "0", "--alert-threads", "5");
	assert_ok();
	assert_int_equal(P.o.alert_fds, 0);
	assert_int_equal(P.o.alert_threads, 5);
	PARSE("-p", "5", "--alert-fds", "-1");
	EXPECT_EINVAL("--alert-fds", "0 (off)");
	PARSE("-p", "5", "--alert-threads", "many");
	EXPECT_EINVAL("--alert-threads", "count");
	PARSE("-p", "5", "--type-samples", "5000");
	EXPECT_EINVAL("--type-samples", "4096");
	PARSE("-p", "5", "--census-every", "0.5");
	EXPECT_EINVAL("--census-every", "0: never");
	PARSE("-p", "5", "--census-max", "10");
	EXPECT_EINVAL("--census-max", "1000");
}

/* --html, and whether --format was given (no live view then) */
static void test_html_and_live_options(void **state)
{
	PARSE("-p", "5");
	assert_ok();
	assert_null(P.o.html);
	assert_false(P.o.format_given);
	PARSE("-p", "5", "--html", "/tmp/r.html", "--format", "text");
	assert_ok();
	assert_string_equal(P.o.html, "/tmp/r.html");
	assert_true(P.o.format_given);
	assert_int_equal(P.o.format, FORMAT_TEXT);
	PARSE("-p", "5", "--html", "");
	EXPECT_EINVAL("--html", "file path");
}

/* --pods-dir: none by default; a directory that is not there (or not a
 * directory) is refused at start-up, naming it. */
static void test_pods_dir(void **state)
{
	PARSE("-p", "5");
	assert_ok();
	assert_null(P.o.pods_dir);
	PARSE("-p", "5", "--pods-dir", "/tmp");
	assert_ok();
	assert_string_equal(P.o.pods_dir, "/tmp");
	PARSE("-p", "5", "--pods-dir", "/nonexistent/var/log/pods");
	EXPECT_EINVAL("--pods-dir /nonexistent/var/log/pods", "No such file or directory");
	PARSE("-p", "5", "--pods-dir", "/dev/null");
	EXPECT_EINVAL("--pods-dir /dev/null", "not a directory");
}

/* --node-name, and its default from $NODE_NAME (a DaemonSet's downward
 * API); a value that is no host name is refused, from either source. */
static void test_node_name(void **state)
{
	unsetenv("NODE_NAME");
	PARSE("-p", "5");
	assert_ok();
	assert_null(P.o.node_name);
	setenv("NODE_NAME", "worker-3.example", 1);
	PARSE("-p", "5");
	assert_ok();
	assert_string_equal(P.o.node_name, "worker-3.example");
	PARSE("-p", "5", "--node-name", "ip-10-0-1-7");
	assert_ok();
	assert_string_equal(P.o.node_name, "ip-10-0-1-7");
	setenv("NODE_NAME", "bad name\n", 1);
	PARSE("-p", "5");
	assert_ok();
	assert_null(P.o.node_name); /* ignored, not half-used */
	unsetenv("NODE_NAME");
	PARSE("-p", "5", "--node-name", "a\"b");
	EXPECT_EINVAL("--node-name", "host name");
	PARSE("-p", "5", "--node-name", "");
	EXPECT_EINVAL("--node-name", "host name");
}

static void test_window_options(void **state)
{
	PARSE("-p", "5", "--mode", "growth", "--window-allocs", "500", "--window-time", "0.5",
	      "--follow", "1.5", "--follow-frees", "1000", "--window-budget", "0",
	      "--window-every", "0", "--first-window", "-1", "--growth-trigger", "512K",
	      "--no-hints");
	assert_ok();
	assert_int_equal(P.o.mode, MODE_GROWTH);
	assert_int_equal(P.o.window_allocs, 500);
	assert_double_eq(P.o.window_s, 0.5);
	assert_double_eq(P.o.follow_s, 1.5);
	assert_int_equal(P.o.follow_frees, 1000);
	assert_double_eq(P.o.window_budget_s, 0);
	assert_double_eq(P.o.window_every_s, 0);
	assert_double_eq(P.o.first_window_s, -1);
	assert_true(P.o.growth_trigger == 512u << 10);
	assert_true(P.o.no_hints);

	PARSE("-p", "5", "--growth-trigger", "1GiB");
	assert_ok();
	assert_true(P.o.growth_trigger == 1ull << 30);
	PARSE("-p", "5", "--growth-trigger", "0");
	assert_ok();
	assert_true(P.o.growth_trigger == 0);

	PARSE("-p", "5", "--mode", "sample");
	EXPECT_EINVAL("--mode", "growth or alloc");
	PARSE("-p", "5", "--window-allocs", "10");
	EXPECT_EINVAL("--window-allocs", "100");
	PARSE("-p", "5", "--window-budget", "4000");
	EXPECT_EINVAL("--window-budget", "3600");
	PARSE("-p", "5", "--window-budget", "-1");
	EXPECT_EINVAL("--window-budget", "3600");
	PARSE("-p", "5", "--first-window", "-2");
	EXPECT_EINVAL("--first-window", "-1");
	PARSE("-p", "5", "--window-every", "0.01");
	EXPECT_EINVAL("--window-every", "0");
	PARSE("-p", "5", "--growth-trigger", "-5M");
	EXPECT_EINVAL("--growth-trigger", "8M");
	PARSE("-p", "5", "--growth-trigger", "5X");
	EXPECT_EINVAL("--growth-trigger", "8M");
	PARSE("-p", "5", "--follow", "0");
	EXPECT_EINVAL("--follow", "0.1");
}

/* The error message is cut to the buffer and always terminated. */
static void test_short_error_buffer(void **state)
{
	char err[16 + 8];
	struct options o;
	char *argv[] = { PROG, "--top", "0", NULL };

	memset(err, '#', sizeof(err));
	assert_int_equal(options_parse(3, argv, &o, stdout, err, 16), -EINVAL);
	assert_int_equal(strlen(err), 15);
	assert_int_equal(strncmp(err, "--top needs a n", 15), 0);
	for (size_t i = 16; i < sizeof(err); i++)
		assert_int_equal(err[i], '#');
}

static void test_parse_twice(void **state)
{
	char **argv = ARGV("-vs", "-i", "2", "--top", "7", "-f", "json", "--max-depth", "16", "--",
			   "python3", "-c", "pass");
	struct options first;

	run(argv);
	assert_ok();
	first = P.o;
	assert_int_equal(first.verbose, 1);
	assert_true(first.stacks);
	assert_int_equal(first.top, 7);
	assert_int_equal(first.max_depth, 16);
	assert_ptr_equal(first.command, &argv[11]);
	run(argv);
	assert_ok();
	assert_options_same(&P.o, &first);
	assert_ptr_equal(P.o.command, first.command);
	assert_ptr_equal(P.o.output, first.output);

	/* a parse that stopped in the middle of "-vxq" must not leak its
	 * position (getopt's nextchar) into the next parse */
	PARSE("-vxq", "-p", "1");
	EXPECT_EINVAL("unknown option");
	PARSE("--pid", "7");
	assert_ok();
	assert_int_equal(P.o.pid, 7);
	assert_int_equal(P.o.verbose, 0);
	assert_false(P.o.quiet);

	/* nor one that stopped at a missing value, nor after "--" */
	PARSE("-p");
	EXPECT_EINVAL("needs a value");
	PARSE("-p", "2", "-s");
	assert_ok();
	assert_int_equal(P.o.pid, 2);
	assert_true(P.o.stacks);
	PARSE("--", "a", "b", "c");
	assert_ok();
	PARSE("-q", "-p", "3");
	assert_ok();
	assert_int_equal(P.o.pid, 3);
	assert_true(P.o.quiet);
	assert_null(P.o.command);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_pid, teardown),
		cmocka_unit_test_teardown(test_interval, teardown),
		cmocka_unit_test_teardown(test_duration, teardown),
		cmocka_unit_test_teardown(test_duration_clamps_interval, teardown),
		cmocka_unit_test_teardown(test_top, teardown),
		cmocka_unit_test_teardown(test_max_depth, teardown),
		cmocka_unit_test_teardown(test_max_allocs, teardown),
		cmocka_unit_test_teardown(test_max_sites, teardown),
		cmocka_unit_test_teardown(test_format, teardown),
		cmocka_unit_test_teardown(test_mode, teardown),
		cmocka_unit_test_teardown(test_output, teardown),
		cmocka_unit_test_teardown(test_flags, teardown),
		cmocka_unit_test_teardown(test_missing_value, teardown),
		cmocka_unit_test_teardown(test_unknown_option, teardown),
		cmocka_unit_test_teardown(test_unknown_short_option_in_cluster, teardown),
		cmocka_unit_test_teardown(test_pid_and_command_exclusive, teardown),
		cmocka_unit_test_teardown(test_missing_target, teardown),
		cmocka_unit_test_teardown(test_dashdash_without_command, teardown),
		cmocka_unit_test_teardown(test_command_options_left_alone, teardown),
		cmocka_unit_test_teardown(test_argument_without_dashdash, teardown),
		cmocka_unit_test_teardown(test_dashdash_as_option_value, teardown),
		cmocka_unit_test_teardown(test_help, teardown),
		cmocka_unit_test_teardown(test_version, teardown),
		cmocka_unit_test_teardown(test_help_lists_every_option, teardown),
		cmocka_unit_test_teardown(test_allocator_options, teardown),
		cmocka_unit_test_teardown(test_node_options, teardown),
		cmocka_unit_test_teardown(test_html_and_live_options, teardown),
		cmocka_unit_test_teardown(test_pods_dir, teardown),
		cmocka_unit_test_teardown(test_node_name, teardown),
		cmocka_unit_test_teardown(test_window_options, teardown),
		cmocka_unit_test_teardown(test_judgement_options, teardown),
		cmocka_unit_test_teardown(test_export_options, teardown),
		cmocka_unit_test_teardown(test_short_error_buffer, teardown),
		cmocka_unit_test_teardown(test_parse_twice, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
