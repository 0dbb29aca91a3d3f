/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_json.c: unit tests for the JSON exporter (user/out/out_json.c). Each
 * test compares the produced line with the exact expected text, and every line
 * is also fed to Python's strict json/UTF-8 decoders, which check the schema's
 * key order too. String escaping is cross-checked against Python's own UTF-8
 * decoder for every 1- and 2-byte string and many longer ones.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "report.h"
#include "report_fixture.h"
#include "service.h"
#include "svcmerge.h"

/*
 * The validator, run as python3 -c SCRIPT [roundtrip]. It must not contain a
 * single quote (the shell quotes it with those). Decoding is strict: invalid
 * UTF-8, NaN/Infinity (which json.loads accepts by default), a missing or extra
 * newline and any key missing, extra or out of schema order all fail (the
 * process's identity fields are optional, each a non-empty string).
 * "roundtrip" also requires, for every frame, that file equals the bytes hex-coded
 * in func decoded with errors="replace".
 */
static const char validator[] =
	"import json, re, sys\n"
	"def nonfinite(c):\n"
	"    raise ValueError(\"non-finite number \" + c)\n"
	"b = sys.stdin.buffer.read()\n"
	"assert b.endswith(b\"\\n\") and b.count(b\"\\n\") == 1, \"not exactly one line\"\n"
	"o = json.loads(b.decode(\"utf-8\"), parse_constant=nonfinite)\n"
	"def keys(d, *want):\n"
	"    assert list(d) == list(want), list(d)\n"
	"keys(o, \"type\", \"seq\", \"final\", \"elapsed_s\", \"process\", \"capture\",\n"
	"    \"outstanding_bytes\", \"outstanding_count\", \"sites_total\", \"warnings\",\n"
	"    \"sites\")\n"
	"assert o[\"type\"] == \"report\"\n"
	"ident = [\"cgroup\", \"container_id\", \"pod_uid\", \"namespace\", \"pod\",\n"
	"    \"container\", \"qos\", \"runtime\", \"unit\"]\n"
	"extra = [k for k in ident if k in o[\"process\"]]\n"
	"assert all(type(o[\"process\"][k]) is str and o[\"process\"][k] for k in extra)\n"
	"oom = [\"oom_killed\", \"oom\"] if \"oom\" in o[\"process\"] else []\n"
	"keys(o[\"process\"], \"pid\", \"comm\", \"python_version\", \"build\", \"rss_bytes\",\n"
	"    *extra, *oom)\n"
	"if oom:\n"
	"    assert o[\"process\"][\"oom_killed\"] is True\n"
	"    keys(o[\"process\"][\"oom\"], \"source\", \"exit_signal\", \"memory_max_bytes\",\n"
	"        \"memory_limited\", \"cgroup_oom_kills\", \"cgroup\")\n"
	"keys(o[\"capture\"], \"mode\", \"method\", \"alloc_hits\", \"free_hits\", \"dropped\",\n"
	"    \"no_tstate\", \"drops\", \"gc_collections\")\n"
	"keys(o[\"capture\"][\"drops\"], \"live_full\", \"sites_full\", \"inflight_full\",\n"
	"    \"stacks_full\", \"sw_full\", \"read_fault\", \"truncated\", \"no_tstate\",\n"
	"    \"hint_drops\")\n"
	"for s in o[\"sites\"]:\n"
	"    keys(s, \"id\", \"bytes\", \"count\", \"delta_bytes\", \"delta_count\", \"allocs\",\n"
	"        \"frees\", \"age_s\", \"native_caller\", \"evidence\", \"truncated\", \"frames\")\n"
	"    assert re.fullmatch(\"[0-9a-f]{16}\", s[\"id\"]), s[\"id\"]\n"
	"    for fr in s[\"frames\"]:\n"
	"        keys(fr, \"file\", \"func\", \"line\")\n"
	"if sys.argv[1:] == [\"roundtrip\"]:\n"
	"    n = 0\n"
	"    for s in o[\"sites\"]:\n"
	"        for fr in s[\"frames\"]:\n"
	"            raw = bytes.fromhex(fr[\"func\"])\n"
	"            want = raw.decode(\"utf-8\", \"replace\")\n"
	"            assert fr[\"file\"] == want, (raw, fr[\"file\"], want)\n"
	"            n += 1\n"
	"    assert n > 0\n";

/* python_accepts() - whether the validator exits 0 on line. args: shell words
 * after the script ("roundtrip", a redirection of its stderr, or ""). */
static bool python_accepts(const char *line, const char *args)
{
	char *cmd;
	FILE *p;
	int status;

	assert_true(asprintf(&cmd, "/usr/bin/python3 -c '%s' %s", validator, args) > 0);
	p = popen(cmd, "w");
	free(cmd);
	assert_non_null(p);
	fputs(line, p);
	status = pclose(p);
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* render() - out_json_write(r) into a fresh string; the caller frees it. Every
 * rendered line also has to pass the validator. */
static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_json_write(f, r), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(python_accepts(buf, ""));
	return buf;
}

static void assert_renders(const struct report *r, const char *want)
{
	char *got = render(r);

	assert_string_equal(got, want);
	free(got);
}

/* assert_contains() - for tests about one field of an otherwise known line. */
static void assert_contains(const struct report *r, const char *want)
{
	char *got = render(r);

	if (!strstr(got, want))
		fail_msg("%s not in %s", want, got);
	free(got);
}

static const struct report_frame leak_frames[] = {
	{ "/srv/app/leak.py", "grow", 12 },
	{ "/srv/app/main.py", "main", 40 },
};

static const struct report_frame cache_frames[] = {
	{ "pkg/__init__.py", "Cache.put", 7 },
};

static const struct report_site two_sites[] = {
	{
		.id = 0x0123456789abcdefULL,
		.bytes = 10695475,
		.count = 10000,
		.delta_bytes = 1153434,
		.delta_count = 1000,
		.allocs = 25000,
		.frees = 15000,
		.age_s = 29.5,
		.native_caller = "_PyObject_Malloc+0x12 (libpython3.11.so.1.0)",
		.nframes = 2,
		.frames = leak_frames,
	},
	{
		.id = 2,
		.bytes = 512,
		.count = 3,
		.delta_bytes = -512,
		.delta_count = -1,
		.allocs = 4,
		.frees = 1,
		.age_s = 2.0,
		.truncated = true,
		.nframes = 1,
		.frames = cache_frames,
	},
};

static const char *const one_warning[] = { "no free seen in 10s: the free probe may be blind" };

static struct report sample_report(void)
{
	struct report r = {
		.h = {
			.seq = 3,
			.final = true,
			.elapsed_s = 30.0,
			.pid = 1234,
			.comm = "python3",
			.python_version = "3.11.7",
			.build = "shared libpython, symbols",
			.mode = "alloc",
			.capture = "allocator table functions",
			.rss_bytes = 47395635,
			.outstanding_bytes = 12897485,
			.outstanding_count = 45123,
			.nsites = 812,
			.gc_collections = { 120, 10, 1 },
			.gc_collections_known = true,
			.alloc_hits = 1234567,
			.free_hits = 1200000,
			.drops = 0,
			.no_tstate = 12,
			.drop_counts = { .no_tstate = 12 },
			.nwarnings = 1,
			.warnings = one_warning,
		},
		.nsites = 2,
		.sites = two_sites,
	};
	return r;
}

static const char sample_json[] =
	"{\"type\":\"report\",\"seq\":3,\"final\":true,\"elapsed_s\":30.000,"
	"\"process\":{\"pid\":1234,\"comm\":\"python3\",\"python_version\":\"3.11.7\","
	"\"build\":\"shared libpython, symbols\",\"rss_bytes\":47395635},"
	"\"capture\":{\"mode\":\"alloc\",\"method\":\"allocator table functions\","
	"\"alloc_hits\":1234567,\"free_hits\":1200000,\"dropped\":0,\"no_tstate\":12,"
	"\"drops\":{\"live_full\":0,\"sites_full\":0,\"inflight_full\":0,\"stacks_full\":0,"
	"\"sw_full\":0,\"read_fault\":0,\"truncated\":0,\"no_tstate\":12,\"hint_drops\":0},"
	"\"gc_collections\":[120,10,1]},"
	"\"outstanding_bytes\":12897485,\"outstanding_count\":45123,\"sites_total\":812,"
	"\"warnings\":[\"no free seen in 10s: the free probe may be blind\"],"
	"\"sites\":["
	"{\"id\":\"0123456789abcdef\",\"bytes\":10695475,\"count\":10000,"
	"\"delta_bytes\":1153434,\"delta_count\":1000,\"allocs\":25000,\"frees\":15000,"
	"\"age_s\":29.500,\"native_caller\":\"_PyObject_Malloc+0x12 (libpython3.11.so.1.0)\","
	"\"evidence\":null,\"truncated\":false,\"frames\":["
	"{\"file\":\"/srv/app/leak.py\",\"func\":\"grow\",\"line\":12},"
	"{\"file\":\"/srv/app/main.py\",\"func\":\"main\",\"line\":40}]},"
	"{\"id\":\"0000000000000002\",\"bytes\":512,\"count\":3,"
	"\"delta_bytes\":-512,\"delta_count\":-1,\"allocs\":4,\"frees\":1,"
	"\"age_s\":2.000,\"native_caller\":null,"
	"\"evidence\":null,\"truncated\":true,\"frames\":["
	"{\"file\":\"pkg/__init__.py\",\"func\":\"Cache.put\",\"line\":7}]}]}\n";

static void test_sample(void **state)
{
	struct report r = sample_report();

	(void)state;
	assert_renders(&r, sample_json);
}

/* --stacks is for the text table; JSON always carries every frame. */
static void test_show_stacks_same_output(void **state)
{
	struct report r = sample_report();

	(void)state;
	r.show_stacks = true;
	assert_renders(&r, sample_json);
}

static void test_empty(void **state)
{
	struct report r = {
		.h = {
			.seq = 1,
			.pid = 42,
			.comm = "python3",
			.python_version = "3.12.0",
			.build = "static",
			.mode = "alloc",
			.capture = "libc malloc",
			.gc_collections_known = true,
		},
	};

	(void)state;
	assert_renders(&r,
		"{\"type\":\"report\",\"seq\":1,\"final\":false,\"elapsed_s\":0.000,"
		"\"process\":{\"pid\":42,\"comm\":\"python3\",\"python_version\":\"3.12.0\","
		"\"build\":\"static\",\"rss_bytes\":0},"
		"\"capture\":{\"mode\":\"alloc\",\"method\":\"libc malloc\","
		"\"alloc_hits\":0,\"free_hits\":0,\"dropped\":0,\"no_tstate\":0,"
		"\"drops\":{\"live_full\":0,\"sites_full\":0,\"inflight_full\":0,\"stacks_full\":0,"
		"\"sw_full\":0,\"read_fault\":0,\"truncated\":0,\"no_tstate\":0,\"hint_drops\":0},"
		"\"gc_collections\":[0,0,0]},"
		"\"outstanding_bytes\":0,\"outstanding_count\":0,\"sites_total\":0,"
		"\"warnings\":[],\"sites\":[]}\n");
}

/* Every "unknown" is null: strings, line -1, GC counts, non-finite doubles. */
static void test_nulls(void **state)
{
	static const struct report_frame frames[] = {
		{ NULL, NULL, -1 },
		{ "a.py", NULL, 0 },
	};
	static const struct report_site sites[] = {
		{ .id = UINT64_MAX, .age_s = NAN, .nframes = 2, .frames = frames },
		{ .id = 0, .age_s = -INFINITY },
	};
	static const char *const warnings[] = { NULL, "" };
	struct report r = {
		.h = {
			.seq = 5,
			.elapsed_s = INFINITY,
			.pid = -1,
			.nsites = 2,
			.nwarnings = 2,
			.warnings = warnings,
		},
		.nsites = 2,
		.sites = sites,
	};

	(void)state;
	assert_renders(&r,
		"{\"type\":\"report\",\"seq\":5,\"final\":false,\"elapsed_s\":null,"
		"\"process\":{\"pid\":-1,\"comm\":null,\"python_version\":null,"
		"\"build\":null,\"rss_bytes\":0},"
		"\"capture\":{\"mode\":null,\"method\":null,"
		"\"alloc_hits\":0,\"free_hits\":0,\"dropped\":0,\"no_tstate\":0,"
		"\"drops\":{\"live_full\":0,\"sites_full\":0,\"inflight_full\":0,\"stacks_full\":0,"
		"\"sw_full\":0,\"read_fault\":0,\"truncated\":0,\"no_tstate\":0,\"hint_drops\":0},"
		"\"gc_collections\":null},"
		"\"outstanding_bytes\":0,\"outstanding_count\":0,\"sites_total\":2,"
		"\"warnings\":[null,\"\"],\"sites\":["
		"{\"id\":\"ffffffffffffffff\",\"bytes\":0,\"count\":0,"
		"\"delta_bytes\":0,\"delta_count\":0,\"allocs\":0,\"frees\":0,"
		"\"age_s\":null,\"native_caller\":null,\"evidence\":null,\"truncated\":false,\"frames\":["
		"{\"file\":null,\"func\":null,\"line\":null},"
		"{\"file\":\"a.py\",\"func\":null,\"line\":0}]},"
		"{\"id\":\"0000000000000000\",\"bytes\":0,\"count\":0,"
		"\"delta_bytes\":0,\"delta_count\":0,\"allocs\":0,\"frees\":0,"
		"\"age_s\":null,\"native_caller\":null,\"evidence\":null,\"truncated\":false,\"frames\":[]}]}\n");
}

/* The extremes of every integer type survive unclipped. */
static void test_integer_limits(void **state)
{
	static const struct report_site sites[] = {
		{ .id = 0x8000000000000000ULL, .bytes = INT64_MIN, .count = INT64_MAX,
		  .delta_bytes = INT64_MIN, .delta_count = INT64_MAX, .allocs = UINT64_MAX,
		  .frees = UINT64_MAX, .age_s = 0.0 },
	};
	struct report r = sample_report();

	(void)state;
	r.h.seq = UINT64_MAX;
	r.h.rss_bytes = UINT64_MAX;
	r.h.outstanding_bytes = INT64_MIN;
	r.sites = sites;
	r.nsites = 1;
	assert_contains(&r, "\"seq\":18446744073709551615,");
	assert_contains(&r, "\"rss_bytes\":18446744073709551615}");
	assert_contains(&r, "\"outstanding_bytes\":-9223372036854775808,");
	assert_contains(&r,
		"{\"id\":\"8000000000000000\",\"bytes\":-9223372036854775808,"
		"\"count\":9223372036854775807,\"delta_bytes\":-9223372036854775808,"
		"\"delta_count\":9223372036854775807,\"allocs\":18446744073709551615,"
		"\"frees\":18446744073709551615,\"age_s\":0.000,");
}

static void check_double(double v, const char *want)
{
	struct report r = sample_report();
	char *needle;

	r.h.elapsed_s = v;
	assert_true(asprintf(&needle, "\"elapsed_s\":%s,", want) > 0);
	assert_contains(&r, needle);
	free(needle);
}

static void test_doubles(void **state)
{
	(void)state;
	check_double(0.0, "0.000");
	check_double(1.5, "1.500");
	check_double(-2.25, "-2.250");
	check_double(12.3456, "12.346");
	check_double(0.9996, "1.000");
	check_double(-0.0001, "0.000");
	check_double(123456789.125, "123456789.125");
	check_double(1e20, "100000000000000000000");
	check_double(-1e15, "-1000000000000000");
	check_double(NAN, "null");
	check_double(INFINITY, "null");
	check_double(-INFINITY, "null");
}

static void check_string(const char *in, const char *want)
{
	static const char *warnings[1];
	struct report r = sample_report();
	char *needle;

	warnings[0] = in;
	r.h.warnings = warnings;
	assert_true(asprintf(&needle, "\"warnings\":[%s],", want) > 0);
	assert_contains(&r, needle);
	free(needle);
}

static void test_string_escaping(void **state)
{
	(void)state;
	check_string("plain", "\"plain\"");
	check_string("", "\"\"");
	check_string("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_string("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	check_string("a\nb\tc", "\"a\\nb\\tc\"");
	check_string("\x01\x1b[1m\r\x1f\x7f/", "\"\\u0001\\u001b[1m\\u000d\\u001f\\u007f/\"");
	/* Valid multibyte UTF-8 is copied: 2, 3 and 4 bytes, and the extremes
	 * U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
	check_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d\"");
	check_string("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
		     "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		     "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
		     "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	/* Invalid UTF-8: one \ufffd per maximal subpart. */
	check_string("a\xff" "b", "\"a\\ufffdb\"");
	check_string("\x80\xbf", "\"\\ufffd\\ufffd\"");	       /* lone continuations */
	check_string("\xc0\xaf", "\"\\ufffd\\ufffd\"");	       /* overlong '/' */
	check_string("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong, 3 bytes */
	check_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate U+D800 */
	check_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	check_string("\xf5\x80", "\"\\ufffd\\ufffd\"");
	check_string("\xe2\x82", "\"\\ufffd\"");		       /* truncated at the end */
	check_string("\xe2\x82x", "\"\\ufffdx\"");	       /* truncated before ASCII */
	check_string("\xf0\x9f\x90\xc3\xa9", "\"\\ufffd\xc3\xa9\""); /* cut by a valid lead */
	check_string("\xe2\"", "\"\\ufffd\\\"\"");	       /* the quote is not swallowed */
}

/*
 * add_case() - one frame whose file is the raw bytes s[0..n) and whose func is
 * their hex, for the roundtrip check.
 */
static void add_case(struct report_frame *fr, char **arena, const unsigned char *s, size_t n)
{
	size_t i;

	fr->file = *arena;
	memcpy(*arena, s, n);
	(*arena)[n] = '\0';
	*arena += n + 1;
	fr->func = *arena;
	for (i = 0; i < n; i++)
		sprintf(*arena + 2 * i, "%02x", s[i]);
	*arena += 2 * n + 1;
	fr->line = 1;
}

/*
 * Any bytes in, valid JSON and the same text as Python's decoder out: every
 * string of one and two bytes (NUL ends a C string, so 1..255), every 3- and
 * 4-byte string over the bytes where UTF-8 validity changes, and random strings.
 */
static void test_escaping_matches_python(void **state)
{
	static const unsigned char edge[] = {
		0x01, '"', '\\', 'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
		0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff,
	};
	static const unsigned char edge4[] = {
		'a', 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5,
	};
	const size_t ne = sizeof(edge), ne4 = sizeof(edge4), nrand = 20000;
	const size_t ncases = 255 + 255 * 255 + ne * ne * ne + ne4 * ne4 * ne4 * ne4 + nrand;
	struct report_frame *frames = calloc(ncases, sizeof(*frames));
	char *arena_base = malloc(ncases * (3 * 16 + 2)), *arena = arena_base;
	struct report_site site = { .id = 1 };
	struct report r = sample_report();
	unsigned char s[16];
	uint32_t seed = 12345;
	size_t n = 0, a, b, c, d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(frames);
	assert_non_null(arena_base);
	for (a = 1; a < 256; a++) {
		s[0] = a;
		add_case(&frames[n++], &arena, s, 1);
		for (b = 1; b < 256; b++) {
			s[1] = b;
			add_case(&frames[n++], &arena, s, 2);
		}
	}
	for (a = 0; a < ne; a++)
		for (b = 0; b < ne; b++)
			for (c = 0; c < ne; c++) {
				s[0] = edge[a], s[1] = edge[b], s[2] = edge[c];
				add_case(&frames[n++], &arena, s, 3);
			}
	for (a = 0; a < ne4; a++)
		for (b = 0; b < ne4; b++)
			for (c = 0; c < ne4; c++)
				for (d = 0; d < ne4; d++) {
					s[0] = edge4[a], s[1] = edge4[b];
					s[2] = edge4[c], s[3] = edge4[d];
					add_case(&frames[n++], &arena, s, 4);
				}
	while (n < ncases) {
		size_t k, l;

		seed = seed * 1103515245 + 12345;
		l = 1 + (seed >> 16) % 15;
		for (k = 0; k < l; k++) {
			seed = seed * 1103515245 + 12345;
			s[k] = 1 + (seed >> 16) % 255;
		}
		add_case(&frames[n++], &arena, s, l);
	}
	site.nframes = n;
	site.frames = frames;
	r.sites = &site;
	r.nsites = 1;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(out_json_write(f, &r), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(python_accepts(buf, "roundtrip"));
	free(buf);
	free(arena_base);
	free(frames);
}

/* replace() - line with the first "from" replaced by "to"; the caller frees it. */
static char *replace(const char *line, const char *from, const char *to)
{
	const char *at = strstr(line, from);
	char *out;

	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from)) > 0);
	return out;
}

static void assert_python_rejects(const char *line, const char *from, const char *to)
{
	char *bad = replace(line, from, to);

	/* Silenced: these tracebacks are expected. */
	assert_false(python_accepts(bad, "2>/dev/null"));
	free(bad);
}

/* The validator must be able to fail: each of these is sample_json with one flaw. */
static void test_validator_rejects(void **state)
{
	(void)state;
	assert_true(python_accepts(sample_json, ""));
	assert_python_rejects(sample_json, "]}]}\n", "]}]}");		  /* no newline */
	assert_python_rejects(sample_json, "]}]}\n", "]}]}\n{}\n");	  /* two lines */
	assert_python_rejects(sample_json, "python3", "py\xff" "t");	  /* bad UTF-8 */
	assert_python_rejects(sample_json, "30.000", "NaN");		  /* non-finite */
	assert_python_rejects(sample_json, "\"final\":true,", "");	  /* missing key */
	assert_python_rejects(sample_json, "\"line\":12", "\"line\":12,\"x\":1"); /* extra key */
	assert_python_rejects(sample_json, "\"id\":\"0123456789abcdef\"",
			      "\"id\":81985529216486895"); /* id not a string */
}

/* Evidence at OOM: only the report of an OOM-killed process has the keys,
 * unknown figures are null, and "no limit" is told from "unknown". */
static void test_oom_killed(void **state)
{
	struct report_oom o = { .source = "oom/mark_victim", .exit_signal = 9,
				.memory_max = 41943040, .oom_kills_known = true, .oom_kills = 2,
				.cgroup = "/pyleak-test" };
	struct report r = sample_report();
	char *got;

	(void)state;
	got = render(&r);
	assert_null(strstr(got, "oom"));
	free(got);
	r.h.oom = &o;
	assert_contains(&r, "\"rss_bytes\":47395635,\"oom_killed\":true,\"oom\":{\"source\":"
			    "\"oom/mark_victim\",\"exit_signal\":9,\"memory_max_bytes\":41943040,"
			    "\"memory_limited\":true,\"cgroup_oom_kills\":2,\"cgroup\":\"/pyleak-test\"}}");
	o = (struct report_oom){ .source = "memory.events oom_kill", .memory_max = UINT64_MAX };
	assert_contains(&r, "\"oom\":{\"source\":\"memory.events oom_kill\",\"exit_signal\":null,"
			    "\"memory_max_bytes\":null,\"memory_limited\":false,"
			    "\"cgroup_oom_kills\":null,\"cgroup\":null}}");
	o.memory_max = 0;
	assert_contains(&r, "\"memory_max_bytes\":null,\"memory_limited\":null,");
}

/* Write errors come back as -errno, including those only fflush() sees. */
/* The container labels join the "process" object under their Prometheus
 * names, with the cgroup path; a field not known is left out, not null. */
static void test_identity(void **state)
{
	struct report r = sample_report();
	struct proc_identity id;
	char *got;

	(void)state;
	r.h.identity = fixture_identity(&id);
	assert_contains(&r, ",\"rss_bytes\":47395635,\"cgroup\":\"/kubepods.slice/"
			    "kubepods-burstable.slice/kubepods-burstable-pod0b7e6b1a_3c2d_4e5f_8a9b_"
			    "0c1d2e3f4a5b.slice/cri-containerd-" FX_CID ".scope\",\"container_id\":\""
			    FX_CID "\",\"pod_uid\":\"" FX_POD_UID "\",\"namespace\":\"shop\","
			    "\"pod\":\"web-7d9f\",\"container\":\"app\",\"qos\":\"burstable\","
			    "\"runtime\":\"containerd\"},\"capture\":");
	memset(&id, 0, sizeof(id));
	strcpy(id.cgroup, "/system.slice/a\"b.service");
	strcpy(id.unit, "a\"b.service");
	got = render(&r);
	if (!strstr(got, ",\"cgroup\":\"/system.slice/a\\\"b.service\",\"unit\":\"a\\\"b.service\"},"))
		fail_msg("no unit in %s", got);
	assert_null(strstr(got, "container_id"));
	assert_null(strstr(got, "\"pod\""));
	free(got);
}

static void test_stream_errors(void **state)
{
	struct report r = sample_report();
	FILE *f;

	(void)state;
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	assert_int_equal(out_json_write(f, &r), -ENOSPC);
	fclose(f);

	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(out_json_write(f, &r), -EBADF);
	fclose(f);
}

/* test_service_line() - --group-by-service's line: one JSON object of type
 * "service" that strict readers accept (a hostile shape included), with the
 * merged row, the one alert and the members. */
static void test_service_line(void **state)
{
	static const char check[] =
		"import json, sys\n"
		"o = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n"
		"assert list(o) == [\"type\", \"seq\", \"final\", \"unix_time\", \"service\","
		" \"sites\", \"alerts\"], list(o)\n"
		"assert o[\"type\"] == \"service\" and o[\"seq\"] == 3 and not o[\"final\"]\n"
		"v = o[\"service\"]\n"
		"assert v[\"id\"] == \"00000000000000ab\" and v[\"pids\"] == [5, 6], v\n"
		"assert v[\"shape\"] == \"w<n> \\\"q\\\"\\n\\ufffd\" and v[\"container_id\"] is None, v\n"
		"assert v[\"node\"] == \"n1\" and v[\"alerts_active\"] == 1, v\n"
		"(s,) = o[\"sites\"]\n"
		"assert s[\"bytes\"] == 8192 and s[\"members\"] == 2 and s[\"alert\"], s\n"
		"assert s[\"frames\"] == [{\"file\": \"app.py\", \"func\": \"leak\", \"line\": 21}], s\n"
		"(a,) = o[\"alerts\"]\n"
		"assert a[\"state\"] == \"leak_suspect\" and a[\"subject\"] == \"site\", a\n"
		"assert a[\"members\"] == 1 and a[\"id\"] == s[\"id\"], a\n";
	static const struct report_frame leak = { "app.py", "leak", 21, 19 };
	struct report_site site = { .id = 0x99, .bytes = 4096, .nframes = 1, .frames = &leak,
				    .alert = true };
	struct report_alert up = { .state = "leak_suspect", .subject = "site", .id = 0x99,
				   .nframes = 1, .frames = &leak };
	struct report r = { .h.pid = 5, .nsites = 1, .sites = &site, .nalerts = 1, .alerts = &up };
	struct service_key k = { .shape = "w<n> \"q\"\n\xff", .id = 0xab };
	struct svc_group g = {};
	struct svc_report sr = { .key = &k, .g = &g, .seq = 3, .node_name = "n1" };
	char *buf = NULL, *cmd;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len), *p;

	(void)state;
	assert_int_equal(svc_take(&g, &r), 0);
	r.h.pid = 6;
	r.nalerts = 0;
	assert_int_equal(svc_take(&g, &r), 0);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_non_null(f);
	assert_int_equal(out_json_service_write(f, &sr), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(asprintf(&cmd, "/usr/bin/python3 -c '%s'", check) > 0);
	p = popen(cmd, "w");
	free(cmd);
	assert_non_null(p);
	fputs(buf, p);
	assert_int_equal(pclose(p), 0);
	free(buf);
	svc_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_show_stacks_same_output),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_integer_limits),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_escaping_matches_python),
		cmocka_unit_test(test_validator_rejects),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_oom_killed),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_service_line),
	};

	/* A validator that dies early must fail its test, not kill the binary. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
