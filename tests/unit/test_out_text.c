/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_text.c: unit tests for the text exporter (user/out/out_text.c). Each
 * test renders a report into a memory stream and compares the whole output
 * with the exact expected text, so any change to the layout shows up here.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "report_fixture.h"
#include "service.h"
#include "svcmerge.h"

/* render() - out_text_write(r) into a fresh string; the caller frees it. */
static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_text_write(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_renders(const struct report *r, const char *want)
{
	char *got = render(r);

	assert_string_equal(got, want);
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
		.bytes = 10695475, /* 10.2 MiB */
		.count = 10000,
		.delta_bytes = 1153434, /* 1.1 MiB */
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
		.nframes = 1,
		.frames = cache_frames,
	},
};

static const char *const one_warning[] = { "no free seen in 10s: the free probe may be blind" };

/* A typical report: final, two of 812 sites shown, one warning. */
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
			.rss_bytes = 47395635, /* 45.2 MiB */
			.outstanding_bytes = 12897485, /* 12.3 MiB */
			.outstanding_count = 45123,
			.nsites = 812,
			.gc_collections = { 120, 10, 1 },
			.gc_collections_known = true,
			.alloc_hits = 1234567,
			.free_hits = 1200000,
			.drops = 0,
			.no_tstate = 12,
			.nwarnings = 1,
			.warnings = one_warning,
		},
		.nsites = 2,
		.sites = two_sites,
	};
	return r;
}

static void test_sample(void **state)
{
	struct report r = sample_report();

	(void)state;
	assert_renders(&r,
		"pyleak-bpf report #3 (final) pid 1234 (python3) Python 3.11.7 "
		"[shared libpython, symbols] 30.0s\n"
		"  mode alloc, capture: allocator table functions\n"
		"  RSS 45.2 MiB  outstanding 12.3 MiB in 45123 allocations at 812 sites\n"
		"  GC collections gen0 120 gen1 10 gen2 1"
		"    probe hits: 1234567 alloc, 1200000 free    dropped 0, no-tstate 12\n"
		"  WARNING: no free seen in 10s: the free probe may be blind\n"
		"\n"
		"     BYTES    COUNT      DELTA  SITE\n"
		"  10.2 MiB    10000   +1.1 MiB  /srv/app/leak.py:12 grow"
		"  [caller: _PyObject_Malloc+0x12 (libpython3.11.so.1.0)]\n"
		"     512 B        3     -512 B  pkg/__init__.py:7 Cache.put\n"
		"  ... 810 more sites not shown\n"
		"\n");
}

static void test_show_stacks(void **state)
{
	static const struct report_frame frames[] = {
		{ "/srv/app/leak.py", "grow", 12 },
		{ NULL, "<module>", -1 },
		{ "/srv/app/main.py", NULL, 40 },
	};
	static const struct report_site sites[] = {
		{ .bytes = 2048, .count = 2, .delta_bytes = 0, .truncated = true, .nframes = 3,
		  .frames = frames },
		{ .bytes = 100, .count = 1, .delta_bytes = 100, .nframes = 1,
		  .frames = cache_frames },
	};
	struct report r = sample_report();

	(void)state;
	r.h.final = false;
	r.h.seq = 1;
	r.h.nsites = 2;
	r.h.nwarnings = 0;
	r.h.gc_collections_known = false;
	r.show_stacks = true;
	r.sites = sites;
	assert_renders(&r,
		"pyleak-bpf report #1 pid 1234 (python3) Python 3.11.7 "
		"[shared libpython, symbols] 30.0s\n"
		"  mode alloc, capture: allocator table functions\n"
		"  RSS 45.2 MiB  outstanding 12.3 MiB in 45123 allocations at 2 sites\n"
		"  GC collections unknown    probe hits: 1234567 alloc, 1200000 free"
		"    dropped 0, no-tstate 12\n"
		"\n"
		"     BYTES    COUNT      DELTA  SITE\n"
		"   2.0 KiB        2        0 B  /srv/app/leak.py:12 grow\n"
		"                                  /srv/app/leak.py:12 grow\n"
		"                                  ?:? <module>\n"
		"                                  /srv/app/main.py:40 ?\n"
		"                                  ... (deeper frames cut at --max-depth)\n"
		"     100 B        1     +100 B  pkg/__init__.py:7 Cache.put\n"
		"                                  pkg/__init__.py:7 Cache.put\n"
		"\n");
}

/* No sites, and every header string unknown. */
static void test_empty_and_unknown(void **state)
{
	struct report r = {
		.h = {
			.seq = 1,
			.elapsed_s = NAN,
			.pid = 99,
			.outstanding_count = 1,
			.nsites = 1, /* singular forms; rows empty regardless */
		},
	};

	(void)state;
	assert_renders(&r,
		"pyleak-bpf report #1 pid 99 (?) Python ? [?] ?\n"
		"  mode ?, capture: ?\n"
		"  RSS 0 B  outstanding 0 B in 1 allocation at 1 site\n"
		"  GC collections unknown"
		"    probe hits: 0 alloc, 0 free    dropped 0, no-tstate 0\n"
		"\n"
		"  no outstanding allocations recorded\n"
		"\n");
}

/* Unit boundaries, signs, a site without frames, and "1 more site". */
static void test_byte_units(void **state)
{
	static const struct report_site sites[] = {
		{ .bytes = 0, .count = 0, .delta_bytes = 0 },
		{ .bytes = 999, .count = 1, .delta_bytes = -999 },
		{ .bytes = 1000, .count = 1, .delta_bytes = 1023 },
		{ .bytes = 1024, .count = 1, .delta_bytes = -1536 },
		/* 999.949.. KiB and 999.950.. KiB: the last below and the first at "1.0 MiB" */
		{ .bytes = 1023948, .count = 1, .delta_bytes = 1023949 },
		{ .bytes = 1048576, .count = 12345678, .delta_bytes = -1610612736 },
		{ .bytes = 2199023255552LL, .count = 1, .delta_bytes = -1 },
	};
	struct report r = sample_report();

	(void)state;
	r.h.nwarnings = 0;
	r.h.nsites = 8;
	r.sites = sites;
	r.nsites = 7;
	assert_renders(&r,
		"pyleak-bpf report #3 (final) pid 1234 (python3) Python 3.11.7 "
		"[shared libpython, symbols] 30.0s\n"
		"  mode alloc, capture: allocator table functions\n"
		"  RSS 45.2 MiB  outstanding 12.3 MiB in 45123 allocations at 8 sites\n"
		"  GC collections gen0 120 gen1 10 gen2 1"
		"    probe hits: 1234567 alloc, 1200000 free    dropped 0, no-tstate 12\n"
		"\n"
		"     BYTES    COUNT      DELTA  SITE\n"
		"       0 B        0        0 B  (stack unknown)\n"
		"     999 B        1     -999 B  (stack unknown)\n"
		"   1.0 KiB        1   +1.0 KiB  (stack unknown)\n"
		"   1.0 KiB        1   -1.5 KiB  (stack unknown)\n"
		" 999.9 KiB        1   +1.0 MiB  (stack unknown)\n"
		"   1.0 MiB 12345678   -1.5 GiB  (stack unknown)\n"
		"   2.0 TiB        1       -1 B  (stack unknown)\n"
		"  ... 1 more site not shown\n"
		"\n");
}

/* Names from the target must not reach the terminal as control sequences. */
static void test_escapes_control_chars(void **state)
{
	static const struct report_frame frames[] = {
		/* OSC title change, BEL, newline, tab, DEL, UTF-8 C1 CSI; then
		 * "é", "€" and an invalid byte, which pass through. */
		{ "evil\x1b]0;pwned\x07.py", "f\n\tg\x7f\xc2\x9b" "2J", 1 },
		{ "caf\xc3\xa9/\xe2\x82\xac\xff.py", "h", 2 },
	};
	static const struct report_site sites[] = {
		{ .bytes = 1, .count = 1, .delta_bytes = 1, .native_caller = "x\ry", .nframes = 2,
		  .frames = frames },
	};
	static const char *const warnings[] = { "bad\x1b[2Jwarning" };
	struct report r = {
		.h = {
			.seq = 2,
			.elapsed_s = 1.04,
			.pid = 7,
			.comm = "py\x1bthon",
			.python_version = "3.12.1",
			.build = "static",
			.mode = "alloc",
			.capture = "libc malloc",
			.nsites = 1,
			.gc_collections = { 1, 2, 3 },
			.gc_collections_known = true,
			.nwarnings = 1,
			.warnings = warnings,
		},
		.show_stacks = true,
		.nsites = 1,
		.sites = sites,
	};

	(void)state;
	assert_renders(&r,
		"pyleak-bpf report #2 pid 7 (py\\x1bthon) Python 3.12.1 [static] 1.0s\n"
		"  mode alloc, capture: libc malloc\n"
		"  RSS 0 B  outstanding 0 B in 0 allocations at 1 site\n"
		"  GC collections gen0 1 gen1 2 gen2 3    probe hits: 0 alloc, 0 free"
		"    dropped 0, no-tstate 0\n"
		"  WARNING: bad\\x1b[2Jwarning\n"
		"\n"
		"     BYTES    COUNT      DELTA  SITE\n"
		"       1 B        1       +1 B  "
		"evil\\x1b]0;pwned\\x07.py:1 f\\x0a\\x09g\\x7f\\xc2\\x9b2J  [caller: x\\x0dy]\n"
		"                                  "
		"evil\\x1b]0;pwned\\x07.py:1 f\\x0a\\x09g\\x7f\\xc2\\x9b2J\n"
		"                                  caf\xc3\xa9/\xe2\x82\xac\xff.py:2 h\n"
		"\n");
}

/* Write errors come back as -errno, including those only fflush() sees. */
/* Any drop counter above 0 gets a line naming every counter, under the
 * probe-hit line; with none, there is no line (test_sample). */
static void test_drops_line(void **state)
{
	struct report r = sample_report();
	char *got;

	(void)state;
	r.nsites = 0;
	r.h.nwarnings = 0;
	r.h.drops = 7;
	r.h.drop_counts.inflight_full = 5;
	r.h.drop_counts.sites_full = 2;
	r.h.drop_counts.no_tstate = 12;
	r.h.drop_counts.hint_drops = 1;
	got = render(&r);
	assert_non_null(strstr(got,
		"    probe hits: 1234567 alloc, 1200000 free    dropped 7, no-tstate 12\n"
		"  drops: live_full 0, sites_full 2, inflight_full 5, stacks_full 0, sw_full 0, "
		"read_fault 0, truncated 0, no_tstate 12, hint_drops 1\n"));
	free(got);
}

/* The container labels: one line under the first, in identity_labels()
 * order, only the known ones; none at all without identity. */
static void test_identity_line(void **state)
{
	struct report r = sample_report();
	struct proc_identity id;
	char *got;

	(void)state;
	r.h.identity = fixture_identity(&id);
	got = render(&r);
	if (!strstr(got, "30.0s\n  identity: container_id=" FX_CID " pod_uid=" FX_POD_UID
			 " namespace=shop pod=web-7d9f container=app qos=burstable "
			 "runtime=containerd\n  mode alloc"))
		fail_msg("no identity line in %s", got);
	free(got);
	/* a systemd unit outside any container: only it; hostile bytes escaped */
	memset(&id, 0, sizeof(id));
	strcpy(id.unit, "evil\n\x1b[2J.service");
	got = render(&r);
	if (!strstr(got, "30.0s\n  identity: unit=evil\\x0a\\x1b[2J.service\n  mode alloc"))
		fail_msg("no unit line in %s", got);
	free(got);
	memset(&id, 0, sizeof(id));
	strcpy(id.cgroup, "/");
	got = render(&r);
	assert_null(strstr(got, "identity"));
	free(got);
}

/* Evidence at OOM: one header line, after the totals, before the warnings. */
static void test_oom_line(void **state)
{
	struct report_oom o = { .source = "oom/mark_victim", .exit_signal = 9,
				.memory_max = 41943040, .oom_kills_known = true, .oom_kills = 1,
				.cgroup = "/pyleak-test" };
	static const struct report_frame fr[] = { { "/srv/app/leak.py", "grow", 12 } };
	struct report_alert a = { .state = "oom_killed", .subject = "process",
				  .evidence = "memory.events oom_kill", .bytes = 39 << 20,
				  .p_value = -1, .since_s = 7, .nframes = 1, .frames = fr };
	struct report r = sample_report();
	char *got;

	(void)state;
	got = render(&r);
	assert_null(strstr(got, "oom_killed"));
	free(got);
	r.h.oom = &o;
	got = render(&r);
	assert_non_null(strstr(got, "no-tstate 12\n"
				    "  oom_killed: by the kernel's OOM killer (oom/mark_victim, died of "
				    "signal 9); memory cgroup /pyleak-test, limit 40.0 MiB, 1 OOM kill "
				    "there\n  WARNING: "));
	free(got);
	o = (struct report_oom){ .source = "memory.events oom_kill", .memory_max = UINT64_MAX };
	r.nalerts = 1;
	r.alerts = &a;
	got = render(&r);
	/* the alert: on the top site's frame, its evidence the kill, no rate */
	assert_non_null(strstr(got, "  ALERT oom_killed process /srv/app/leak.py:12 grow\n"
				    "    the kernel's OOM killer ended the process (memory.events "
				    "oom_kill); anonymous memory 39.0 MiB at the end, 7s after attach\n"));
	assert_non_null(strstr(got, "  oom_killed: by the kernel's OOM killer (memory.events "
				    "oom_kill), no limit\n"));
	free(got);
}

static void test_stream_errors(void **state)
{
	struct report r = sample_report();
	FILE *f;

	(void)state;
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	assert_int_equal(out_text_write(f, &r), -ENOSPC);
	fclose(f);

	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(out_text_write(f, &r), -EBADF);
	fclose(f);
}

/* test_service_block() - --group-by-service's text block: the shape (its
 * control bytes escaped), members, the one alert, the merged row. */
static void test_service_block(void **state)
{
	static const struct report_frame leak = { "app.py", "leak", 21, 19 };
	struct report_site site = { .id = 0x99, .bytes = 2048, .rate_bps = 1024, .alert = true,
				    .nframes = 1,
				    .frames = &leak };
	struct report_alert up = { .state = "leak_suspect", .subject = "site", .id = 0x99,
				   .nframes = 1, .frames = &leak };
	struct report r = { .h.pid = 5, .nsites = 1, .sites = &site, .nalerts = 1, .alerts = &up };
	struct service_key k = { .shape = "w<n>\x1b[2J", .exe = "/usr/bin/python3", .id = 0xab,
				 .container_id = "c0ffee" };
	struct svc_group g = {};
	struct svc_report sr = { .key = &k, .g = &g, .seq = 2, .final = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(svc_take(&g, &r), 0);
	r.h.pid = 6;
	assert_int_equal(svc_take(&g, &r), 0);
	assert_int_equal(svc_judge(&g, 10), 0);
	assert_non_null(f);
	assert_int_equal(out_text_service_write(f, &sr), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "=== service 00000000000000ab #2 (final): w<n>\\x1b[2J\n"));
	assert_non_null(strstr(buf, "  exe /usr/bin/python3, container c0ffee\n"));
	assert_non_null(strstr(buf, "  2 members: 5 6; 1 site alert active\n"));
	assert_non_null(strstr(buf, "  ALERT leak_suspect: app.py:21 leak (2 members)\n"));
	assert_non_null(strstr(buf, "  4.0 KiB"));
	assert_non_null(strstr(buf, "2  app.py:21 leak  [ALERT]\n"));
	assert_null(strchr(buf, 0x1b));
	free(buf);
	svc_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_show_stacks),
		cmocka_unit_test(test_empty_and_unknown),
		cmocka_unit_test(test_byte_units),
		cmocka_unit_test(test_escapes_control_chars),
		cmocka_unit_test(test_drops_line),
		cmocka_unit_test(test_identity_line),
		cmocka_unit_test(test_oom_line),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_service_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
