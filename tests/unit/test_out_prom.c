/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_prom.c: unit tests for the Prometheus textfile exporter
 * (user/out/out_prom.c): label value escaping, the short site label and its
 * cut, the exposition's structure (HELP and TYPE once per family, before
 * contiguous samples; unique series; counters _total), the series bound,
 * several processes in one file, and promtool's verdict on what is written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "out_prom.h"
#include "report_fixture.h"

static char *label(const char *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	prom_label_value(f, v);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_label(const char *v, const char *want)
{
	char *got = label(v);

	assert_string_equal(got, want);
	free(got);
}

static void test_label_escaping(void **state)
{
	assert_label("python3", "\"python3\"");
	assert_label(NULL, "\"\"");
	/* the three escapes of the format */
	assert_label("a\\b\"c\nd", "\"a\\\\b\\\"c\\nd\"");
	/* invalid UTF-8 and other control characters: U+FFFD */
	assert_label("x\xff" "y", "\"x\xef\xbf\xbdy\"");
	assert_label("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	assert_label("cr\rtab\tesc\x1b", "\"cr\xef\xbf\xbdtab\xef\xbf\xbd" "esc\xef\xbf\xbd\"");
	/* valid UTF-8 passes */
	assert_label("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"");
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void site_label(const char *file, const char *func, int line, char *buf, size_t len)
{
	struct report_frame fr = { file, func, line, 0 };
	struct report_site s = { .nframes = 1, .frames = &fr };

	prom_site_label(&s, buf, len);
}

static void test_site_label(void **state)
{
	char buf[PROM_SITE_CHARS * 4 + 1], longf[600], longfile[600];

	site_label("/srv/app/leak.py", "grow", 12, buf, sizeof(buf));
	assert_string_equal(buf, "leak.py:12 grow");
	site_label("leak.py", "Cls.meth", -1, buf, sizeof(buf));
	assert_string_equal(buf, "leak.py:? Cls.meth");

	/* a long function: cut to 80 characters, "…" last */
	memset(longf, 'f', 500);
	longf[500] = 0;
	site_label("/a/b.py", longf, 3, buf, sizeof(buf));
	assert_int_equal(utf8_chars(buf), PROM_SITE_CHARS);
	assert_memory_equal(buf, "b.py:3 fff", 10);
	assert_string_equal(buf + strlen(buf) - 3, "\xe2\x80\xa6");

	/* a long file name is cut first, so line and function stay */
	memset(longfile, 'L', 500);
	strcpy(longfile + 500, ".py");
	site_label(longfile, "grow", 9, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\xe2\x80\xa6:9 grow"));
	assert_true(utf8_chars(buf) == PROM_SITE_FILE_CHARS + strlen(":9 grow"));

	/* multi-byte characters: the cut falls between them, never inside */
	for (int i = 0; i < 200; i++)
		memcpy(longf + 2 * i, "\xc3\xa9", 2);
	longf[400] = 0;
	site_label("x.py", longf, 1, buf, sizeof(buf));
	assert_int_equal(utf8_chars(buf), PROM_SITE_CHARS);
	assert_string_equal(buf + strlen(buf) - 5, "\xc3\xa9\xe2\x80\xa6");
}

static char *render(const struct report *const *r, int nr, int top, int *series)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*series = out_prom_write(f, r, nr, top);
	assert_int_equal(fclose(f), 0);
	assert_true(*series >= 0);
	return buf;
}

/* check_structure() - the 0.0.4 rules a reader relies on; returns the
 * number of samples. */
static int check_structure(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char fam[128] = "", seen[64][128];
	int nseen = 0, samples = 0;
	char *series[1024];
	int nseries = 0;
	enum { AFTER_SAMPLES, AFTER_HELP, AFTER_TYPE } st = AFTER_SAMPLES;

	assert_non_null(copy);
	assert_true(text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[16];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name))
					fail_msg("family %s twice", name);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], name);
			strcpy(fam, name);
			assert_memory_equal(name, "pyleak_", 7);
			st = AFTER_HELP;
			continue;
		}
		if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			assert_int_equal(st, AFTER_HELP);
			assert_string_equal(name, fam);
			bool total = strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total");

			if (!strcmp(type, "counter"))
				assert_true(total);
			else
				assert_string_equal(type, "gauge");
			assert_false(!strcmp(type, "gauge") && total);
			st = AFTER_TYPE;
			continue;
		}
		assert_true(line[0] != '#');
		/* a sample of the current family: name{labels} value, no timestamp */
		assert_int_not_equal(st, AFTER_HELP);
		assert_memory_equal(line, fam, strlen(fam));
		assert_true(line[strlen(fam)] == '{');
		assert_non_null(strstr(line, "{pid=\""));
		char *sp = strrchr(line, ' ');

		assert_non_null(sp);
		assert_true(sp[-1] == '}');
		for (char *p = sp + 1; *p; p++)
			assert_non_null(strchr("0123456789.-+eInfNa", *p));
		*sp = 0;
		for (int i = 0; i < nseries; i++)
			if (!strcmp(series[i], line))
				fail_msg("series twice: %s", line);
		assert_true(nseries < 1024);
		series[nseries++] = strdup(line);
		samples++;
	}
	for (int i = 0; i < nseries; i++)
		free(series[i]);
	free(copy);
	return samples;
}

static void test_exposition(void **state)
{
	struct fixture fx;
	const struct report *rs[1] = { fixture_report(&fx) };
	char *text;
	int n;

	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	/* every family has a sample here: the bound is reached, per site */
	assert_int_equal(n, prom_series_max(2));
	assert_int_equal(out_prom_write(NULL, rs, 1, 10), n);
	assert_non_null(strstr(text, "# TYPE pyleak_rss_bytes gauge\n"
				     "pyleak_rss_bytes{pid=\"1234\",comm=\"python3\"} 83886080\n"));
	assert_non_null(strstr(text, "pyleak_gc_collections_total{pid=\"1234\",comm=\"python3\","
				     "generation=\"1\"} 10\n"));
	assert_non_null(strstr(text, "pyleak_drops_total{pid=\"1234\",comm=\"python3\","
				     "reason=\"live_map_full\"} 7\n"));
	assert_non_null(strstr(text, "pyleak_drops_total{pid=\"1234\",comm=\"python3\","
				     "reason=\"no_thread_state\"} 3\n"));
	assert_non_null(strstr(text, "pyleak_build_info{pid=\"1234\",comm=\"python3\","
				     "python_version=\"3.11.7\",build=\"shared libpython, symbols\","
				     "capture=\"kernel growth events + windows\",mode=\"growth\","
				     "version=\"0.1.0\"} 1\n"));
	assert_non_null(strstr(text, "pyleak_site_live_bytes{pid=\"1234\",comm=\"python3\","
				     "site_id=\"0123456789abcdef\",site=\"leak.py:12 grow\"} 1048576\n"));
	assert_non_null(strstr(text, "pyleak_site_growth_bytes_per_second{pid=\"1234\","
				     "comm=\"python3\",site_id=\"0123456789abcdef\","
				     "site=\"leak.py:12 grow\"} 2048.250\n"));
	assert_non_null(strstr(text, "pyleak_last_report_timestamp_seconds{pid=\"1234\","
				     "comm=\"python3\"} 1795999540.250\n"));
	assert_non_null(strstr(text, "pyleak_window_seconds_total{pid=\"1234\",comm=\"python3\"} 12.500\n"));
	/* one series per active incident, headed by the line to fix */
	assert_non_null(strstr(text, "pyleak_incident_active{pid=\"1234\",comm=\"python3\","
				     "incident_id=\"1111222233334444\",head=\"main.py:40 main\"} 1\n"));
	assert_null(strstr(text, "9999aaaabbbbcccc"));
	assert_non_null(strstr(text, "pyleak_open_fds{pid=\"1234\",comm=\"python3\"} 12\n"));
	free(text);

	/* top 1: one series per site family */
	text = render(rs, 1, 1, &n);
	assert_int_equal(n, prom_series_max(1));
	assert_null(strstr(text, "fedcba9876543210"));
	free(text);
	/* top 0: no site family at all */
	text = render(rs, 1, 0, &n);
	assert_int_equal(n, prom_series_max(0));
	assert_null(strstr(text, "pyleak_site_"));
	free(text);
}

/* alloc mode: no window families, no windows_survived, no unknown rate */
static void test_alloc_mode_leaves_out(void **state)
{
	struct fixture fx;
	const struct report *rs[1] = { fixture_report(&fx) };
	char *text;
	int n;

	fx.r.h.growth = NULL;
	fx.r.h.mode = "alloc";
	fx.p.anon_span_s = 0;
	fx.p.gc_known = false;
	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_null(strstr(text, "pyleak_window"));
	assert_null(strstr(text, "pyleak_site_windows_survived"));
	assert_null(strstr(text, "pyleak_anon_growth_bytes_per_second"));
	assert_null(strstr(text, "pyleak_gc_collected"));
	assert_null(strstr(text, "pyleak_gc_enabled"));
	assert_true(n < prom_series_max(2));
	free(text);
}

/* Two processes in one file (node-wide mode): each family once, its
 * samples for both processes together, series told apart by pid. */
/* Evidence at OOM: the gauge is on every report, 1 only when OOM-killed. */
static void test_oom_killed_gauge(void **state)
{
	struct fixture fx;
	struct report_oom o = { .source = "oom/mark_victim" };
	struct report *r = fixture_report(&fx);
	const struct report *rs[1] = { r };
	char *text;
	int n;

	text = render(rs, 1, 10, &n);
	assert_non_null(strstr(text, "# TYPE pyleak_oom_killed gauge\n"
				     "pyleak_oom_killed{pid=\"1234\",comm=\"python3\"} 0\n"));
	free(text);
	r->h.oom = &o;
	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_non_null(strstr(text, "pyleak_oom_killed{pid=\"1234\",comm=\"python3\"} 1\n"));
	free(text);
}

static void test_two_processes(void **state)
{
	struct fixture fx1, fx2;
	const struct report *rs[2] = { fixture_report(&fx1), fixture_report(&fx2) };
	char *text, *a, *b;
	int n;

	fx2.r.h.pid = 99;
	text = render(rs, 2, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_int_equal(n, 2 * prom_series_max(2));
	a = strstr(text, "pyleak_rss_bytes{pid=\"1234\"");
	b = strstr(text, "pyleak_rss_bytes{pid=\"99\"");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(strchr(a, '\n') + 1, b);
	free(text);
}

/* promtool_accepts() - promtool check metrics passes on r's exposition
 * (skips when promtool is not installed: CI installs it). */
static void promtool_accepts(const struct report *const *rs, int nr)
{
	char *text, path[] = "/tmp/test_out_prom.XXXXXX";
	int n, fd, status;
	char cmd[128];

	if (access("/usr/bin/promtool", X_OK))
		skip(); /* CI installs it (scripts/install-deps.sh) */
	text = render(rs, nr, 10, &n);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s", path);
	status = system(cmd);
	unlink(path);
	free(text);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Hostile names: the file still has the right structure, and promtool
 * (when installed) accepts it. */
static void test_hostile_names_and_promtool(void **state)
{
	static const struct report_frame nasty[] = {
		{ "/srv/q\"uo\\te;\n<script>\xff\xfe/x.py", "leak\"\\\n;<script>\xed\xa0\x80", 5, 1 },
	};
	struct fixture fx;
	const struct report *rs[1] = { fixture_report(&fx) };
	char *text;
	int n;

	fx.r.h.comm = "p\"\\\n;<s>\xff";
	fx.r.h.build = "a\nb";
	fx.sites[0].frames = nasty;
	fx.sites[0].nframes = 1;
	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_non_null(strstr(text, "comm=\"p\\\"\\\\\\n;<s>\xef\xbf\xbd\""));
	free(text);
	promtool_accepts(rs, 1);
}

/* The container labels follow pid and comm on every series of the
 * process (the series count stays the same), the info gauge keeps its own
 * after them, hostile bytes are escaped, and promtool accepts the file. */
static void test_identity_labels(void **state)
{
	struct fixture fx;
	struct proc_identity id;
	const struct report *rs[1] = { fixture_report(&fx) };
	char *text;
	int n;

	fx.r.h.identity = fixture_identity(&id);
	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_int_equal(n, prom_series_max(2));
	assert_non_null(strstr(text, "pyleak_rss_bytes{pid=\"1234\",comm=\"python3\"," FX_LABELS
				     "} 83886080\n"));
	assert_non_null(strstr(text, "pyleak_site_alert{pid=\"1234\",comm=\"python3\"," FX_LABELS
				     ",site_id=\"0123456789abcdef\",site=\"leak.py:12 grow\"} 1\n"));
	assert_non_null(strstr(text, "pyleak_build_info{pid=\"1234\",comm=\"python3\"," FX_LABELS
				     ",python_version=\"3.11.7\",build=\"shared libpython, symbols\","
				     "capture=\"kernel growth events + windows\",mode=\"growth\","
				     "version=\"0.1.0\"} 1\n"));
	free(text);
	/* a process outside containers: its systemd unit only, escaped */
	memset(&id, 0, sizeof(id));
	strcpy(id.unit, "a\"b\\c\n\xff.service");
	text = render(rs, 1, 10, &n);
	assert_int_equal(check_structure(text), n);
	assert_non_null(strstr(text, "pyleak_rss_bytes{pid=\"1234\",comm=\"python3\","
				     "unit=\"a\\\"b\\\\c\\n\xef\xbf\xbd.service\"} 83886080\n"));
	free(text);
	fx.r.h.identity = fixture_identity(&id);
	promtool_accepts(rs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_site_label),
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_alloc_mode_leaves_out),
		cmocka_unit_test(test_oom_killed_gauge),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_hostile_names_and_promtool),
		cmocka_unit_test(test_identity_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
