/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_exports.c: unit tests for the exports of several processes
 * (user/out/exports.c): one Prometheus file with every process's series (each
 * family once, promtool's verdict), renderings kept rather than reports,
 * exports_forget() taking a process's series out at once, the bound on
 * processes, node mode's per-pid file names and node figures, and
 * single-process mode's file exactly as out_prom_write() renders it.
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

#include "exports.h"
#include "out_prom.h"
#include "report_fixture.h"
#include "service.h"
#include "svcmerge.h"

static char dir[64];
static char prom[128], pprof[128], folded[128], html[128];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_exports.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(prom, sizeof(prom), "%s/pyleak.prom", dir);
	snprintf(pprof, sizeof(pprof), "%s/leak.pb.gz", dir);
	snprintf(folded, sizeof(folded), "%s/stacks", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct options opts(void)
{
	return (struct options){ .prom_file = prom, .prom_top = 10, .pprof_file = pprof,
				 .folded_file = folded, .html = html };
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&buf, &cap, '\0', f) < 0) { /* empty */
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

static bool exists(const char *path)
{
	return !access(path, F_OK);
}

static char *in_dir(const char *name)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void promtool_accepts(const char *path)
{
	char cmd[256];
	int status;

	if (access("/usr/bin/promtool", X_OK))
		return; /* test_out_prom.c skips loudly; CI installs it */
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s", path);
	status = system(cmd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_proc_path(void **state)
{
	static const char *const cases[][2] = {
		{ "out/leak.pb.gz", "out/leak.1234.pb.gz" },
		{ "report.html", "report.1234.html" },
		{ "stacks", "stacks.1234" },
		{ "/a.b/c", "/a.b/c.1234" },
		{ "/tmp/.hidden.prom", "/tmp/.hidden.1234.prom" },
		{ "x/..", "x/...1234" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = exports_proc_path(cases[i][0], 1234);

		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

/* One process: the exact paths given, the file out_prom_write() renders. */
static void test_single_process(void **state)
{
	struct options o = opts();
	struct exports x;
	struct fixture fx;
	const struct report *rs[1] = { fixture_report(&fx) };
	char *want = NULL, *got;
	size_t len = 0;
	FILE *f = open_memstream(&want, &len);

	out_prom_write(f, rs, 1, 10);
	fclose(f);
	exports_init(&x, &o);
	assert_int_equal(exports_write(&x, rs[0]), 0);
	got = slurp(prom);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(exists(pprof) && exists(folded) && exists(html));
	assert_false(exists(in_dir("leak.1234.pb.gz")));
	/* a second process is beyond the bound of one */
	fx.r.h.pid = 99;
	assert_int_equal(exports_write(&x, rs[0]), 1);
	free(got);
	got = slurp(prom);
	assert_string_equal(got, want);
	exports_close(&x);
	free(got);
	free(want);
}

/* Three processes, one of them in a container: every family once, all
 * processes' samples together, promtool passes; each its own files. A
 * report's memory may change after the write: the file does not. */
static void test_three_processes(void **state)
{
	struct options o = opts();
	struct exports x;
	struct fixture fx[3];
	struct proc_identity id;
	const struct report *rs[3];
	char *want = NULL, *got;
	size_t len = 0;
	FILE *f;
	static const int pids[3] = { 1234, 99, 7 };

	exports_init(&x, &o);
	assert_int_equal(exports_node_mode(&x, 64), 0);
	for (int i = 0; i < 3; i++) {
		rs[i] = fixture_report(&fx[i]);
		fx[i].r.h.pid = pids[i];
	}
	fx[1].r.h.identity = fixture_identity(&id);
	f = open_memstream(&want, &len);
	out_prom_write(f, rs, 3, 10);
	fclose(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(exports_write(&x, rs[i]), 0);
	assert_int_equal(exports_node_mode(&x, 8), -EINVAL); /* too late */
	/* the reports' storage is reused by their sessions */
	memset(&fx[0], 0xa5, sizeof(fx[0]));
	memset(&id, 0, sizeof(id));
	got = slurp(prom);
	assert_string_equal(got, want);
	assert_int_equal(count(got, "# HELP pyleak_rss_bytes "), 1);
	assert_non_null(strstr(got, "pyleak_rss_bytes{pid=\"1234\",comm=\"python3\"} 83886080\n"
				    "pyleak_rss_bytes{pid=\"99\",comm=\"python3\"," FX_LABELS
				    "} 83886080\npyleak_rss_bytes{pid=\"7\","));
	promtool_accepts(prom);
	for (int i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "leak.%d.pb.gz", pids[i]);
		assert_true(exists(in_dir(name)));
		snprintf(name, sizeof(name), "stacks.%d", pids[i]);
		assert_true(exists(in_dir(name)));
		snprintf(name, sizeof(name), "report.%d.html", pids[i]);
		assert_true(exists(in_dir(name)));
	}
	assert_false(exists(pprof) || exists(folded) || exists(html));
	free(got);
	free(want);
	exports_close(&x);
}

/* exports_forget(): the series leave the file at once; the bound holds
 * and frees a place. */
static void test_forget_and_bound(void **state)
{
	struct options o = opts();
	struct exports x;
	struct fixture fx;
	struct report *r = fixture_report(&fx);
	char *got;

	exports_init(&x, &o);
	assert_int_equal(exports_node_mode(&x, 2), 0);
	r->h.pid = 1;
	assert_int_equal(exports_write(&x, r), 0);
	r->h.pid = 2;
	assert_int_equal(exports_write(&x, r), 0);
	r->h.pid = 3;
	assert_int_equal(exports_write(&x, r), 1);
	got = slurp(prom);
	assert_non_null(strstr(got, "{pid=\"2\""));
	assert_null(strstr(got, "{pid=\"3\""));
	free(got);
	assert_int_equal(exports_forget(&x, 1), 0);
	assert_int_equal(exports_forget(&x, 12345), 0);
	got = slurp(prom);
	assert_null(strstr(got, "{pid=\"1\""));
	assert_int_equal(count(got, "pyleak_rss_bytes{"), 1);
	free(got);
	assert_int_equal(exports_write(&x, r), 0);
	got = slurp(prom);
	assert_non_null(strstr(got, "pyleak_rss_bytes{pid=\"2\",comm=\"python3\"} 83886080\n"
				    "pyleak_rss_bytes{pid=\"3\""));
	free(got);
	/* the last one gone: an empty exposition, still a valid file */
	exports_forget(&x, 2);
	exports_forget(&x, 3);
	got = slurp(prom);
	assert_string_equal(got, "");
	free(got);
	exports_close(&x);
}

/* Node figures: once per file, after the processes' series, without
 * process labels; written at once, and again only when they change. */
static void test_node_stats(void **state)
{
	struct options o = opts();
	struct exports x;
	struct fixture fx;
	struct report *r = fixture_report(&fx);
	struct node_stats ns = { .watched = 2, .nreasons = 1,
				 .skipped = { { "max_targets", 3 } } };
	char *got;

	exports_init(&x, &o);
	assert_int_equal(exports_node_mode(&x, 64), 0);
	assert_int_equal(exports_node_stats(&x, &ns), 0);
	got = slurp(prom);
	assert_string_equal(got,
		"# HELP pyleak_node_targets_watched Python processes node mode watches now\n"
		"# TYPE pyleak_node_targets_watched gauge\n"
		"pyleak_node_targets_watched 2\n"
		"# HELP pyleak_node_targets_skipped_total Python processes node mode did not "
		"watch since it started, by reason\n"
		"# TYPE pyleak_node_targets_skipped_total counter\n"
		"pyleak_node_targets_skipped_total{reason=\"max_targets\"} 3\n");
	free(got);
	r->h.pid = 5;
	exports_write(&x, r);
	r->h.pid = 6;
	exports_write(&x, r);
	got = slurp(prom);
	assert_int_equal(count(got, "# TYPE pyleak_node_targets_watched"), 1);
	assert_non_null(strstr(got, "pyleak_site_alert{pid=\"6\""));
	assert_true(strstr(got, "pyleak_node_targets_watched 2\n") > strstr(got, "pyleak_site_alert{pid=\"6\""));
	free(got);
	promtool_accepts(prom);
	/* unchanged: no rewrite (the file removed stays removed) */
	unlink(prom);
	assert_int_equal(exports_node_stats(&x, &ns), 0);
	assert_false(exists(prom));
	ns.skipped[0].count = 4;
	assert_int_equal(exports_node_stats(&x, &ns), 0);
	got = slurp(prom);
	assert_non_null(strstr(got, "pyleak_node_targets_skipped_total{reason=\"max_targets\"} 4\n"));
	free(got);
	exports_close(&x);
}

/* test_services() - --group-by-service: the service families come once,
 * after the node's, with one members series per service and one alert
 * series per active service alert; promtool accepts hostile shapes; a
 * forgotten service's series leave. */
static void test_services(void **state)
{
	static const struct report_frame leak = { "/srv/app.py", "leak", 21, 19 };
	struct options o = opts();
	struct exports x;
	struct report_site site = { .id = 0x25712f520df6e095ULL, .bytes = 4096, .nframes = 1,
				    .alert = true,
				    .frames = &leak };
	struct report_alert up = { .state = "leak_suspect", .subject = "site", .id = site.id,
				   .nframes = 1, .frames = &leak };
	struct report r = { .nsites = 1, .sites = &site, .nalerts = 1, .alerts = &up };
	struct service_key k1 = { .shape = "python w<n>.py \"x\"\\ \n", .id = 1 },
			   k2 = { .shape = "celery worker", .id = 2,
				  .container_id = "0123456789abcdef" };
	struct svc_group g1 = {}, g2 = {};
	struct svc_report s1 = { .key = &k1, .g = &g1 }, s2 = { .key = &k2, .g = &g2 };
	struct node_stats ns = { .watched = 3 };
	char *got;

	(void)state;
	exports_init(&x, &o);
	assert_int_equal(exports_node_mode(&x, 64), 0);
	assert_int_equal(exports_node_stats(&x, &ns), 0);
	for (int pid = 5; pid <= 6; pid++) {
		r.h.pid = pid;
		assert_int_equal(svc_take(&g1, &r), 0);
	}
	r.h.pid = 7;
	r.nalerts = 0;
	assert_int_equal(svc_take(&g2, &r), 0);
	assert_int_equal(svc_judge(&g1, 10), 0);
	assert_int_equal(svc_judge(&g2, 10), 0);
	assert_int_equal(exports_service(&x, &s1), 0);
	assert_int_equal(exports_service(&x, &s2), 0);
	got = slurp(prom);
	assert_int_equal(count(got, "# TYPE pyleak_service_members gauge"), 1);
	assert_int_equal(count(got, "# TYPE pyleak_service_site_alert gauge"), 1);
	assert_int_equal(count(got, "pyleak_service_members{"), 2);
	assert_non_null(strstr(got, "pyleak_service_members{service_id=\"0000000000000001\","
				    "service=\"python w<n>.py \\\"x\\\"\\\\ \\n\"} 2\n"));
	assert_non_null(strstr(got, "service=\"celery worker\",container_id=\"0123456789abcdef\"} 1\n"));
	assert_int_equal(count(got, "pyleak_service_site_alert{"), 1);
	assert_non_null(strstr(got, ",site_id=\"25712f520df6e095\",site=\"app.py:21 leak\"} 1\n"));
	assert_true(strstr(got, "pyleak_service_members{") > strstr(got, "pyleak_node_targets_watched 3"));
	free(got);
	promtool_accepts(prom);
	assert_int_equal(exports_forget_service(&x, 1), 0);
	assert_int_equal(exports_forget_service(&x, 99), 0); /* unknown: nothing */
	got = slurp(prom);
	assert_int_equal(count(got, "pyleak_service_members{"), 1);
	assert_int_equal(count(got, "# TYPE pyleak_service_site_alert"), 0); /* no sample: no family */
	free(got);
	svc_free(&g1);
	svc_free(&g2);
	exports_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_path),
		cmocka_unit_test_setup_teardown(test_single_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_and_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
