/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_compare.c: unit tests for user/compare.c on synthetic JSON lines in
 * the sink's schema: two runs with different PIDs, roots (/srv/a vs
 * /home/ci/build) and interpreters (Debian 3.11 vs pyenv 3.12, whose
 * standard-library line numbers differ); a fixed site, a better one, an
 * unchanged one, a worse one, a new growing site, one fixed before and
 * growing again; killed runs, truncated files, garbage lines, appended runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <jansson.h>

#include "compare.h"

/* ---- synthetic reports ---- */

#define STD311 "/usr/lib/python3.11/"
#define STD312 "/root/.pyenv/versions/3.12.1/lib/python3.12/"

/* frame() - one {file, func, line} (line 0 = null) into a static ring. */
static const char *frame(const char *file, const char *func, int line)
{
	static char ring[32][256];
	static int k;
	char *b = ring[k++ % 32];

	if (line)
		snprintf(b, 256, "{\"file\":\"%s\",\"func\":\"%s\",\"line\":%d}", file, func, line);
	else
		snprintf(b, 256, "{\"file\":\"%s\",\"func\":\"%s\",\"line\":null}", file, func);
	return b;
}

/* site() - a growth-mode site: persistent or not, rate in bytes/min (<0:
 * null), frames joined. */
static char *site(char *buf, size_t len, const char *id, int persistent, double rate,
		  const char *f0, const char *f1, const char *f2)
{
	char r[32];

	if (rate < 0)
		snprintf(r, sizeof(r), "null");
	else
		snprintf(r, sizeof(r), "%.1f", rate);
	snprintf(buf, len,
		 "{\"id\":\"%s\",\"bytes\":1000,\"count\":10,\"native_caller\":\"list_repeat+0x1b0 "
		 "(libpython3.11.so.1.0)\",\"evidence\":\"survivors\",\"windows_seen\":3,"
		 "\"windows_survived\":%d,\"persistent\":%s,\"rate_bytes_per_min\":%s,\"alert\":false,"
		 "\"truncated\":false,\"frames\":[%s%s%s%s%s]}",
		 id, persistent ? 3 : 1, persistent ? "true" : "false", r, f0, f1 ? "," : "",
		 f1 ? f1 : "", f2 ? "," : "", f2 ? f2 : "");
	return buf;
}

/* report() - one report line with the given sites (comma-joined JSON). */
static char *report(char *buf, size_t len, int seq, int final, int pid, const char *ver,
		    const char *sites)
{
	snprintf(buf, len,
		 "{\"type\":\"report\",\"seq\":%d,\"final\":%s,\"elapsed_s\":%d.5,"
		 "\"process\":{\"pid\":%d,\"comm\":\"python3\",\"python_version\":\"%s\","
		 "\"rss_bytes\":4000000},\"capture\":{\"mode\":\"growth\"},\"sites\":[%s],"
		 "\"trend\":{\"anon_rate_bytes_per_min\":%d.0,\"anon_growth_bytes\":5000.0,"
		 "\"anon_trend\":\"growing\"},\"growth\":{\"anon_bytes\":3000000,"
		 "\"anon_growth_bytes\":1000000}}\n",
		 seq, final ? "true" : "false", seq * 2, pid, ver, sites, 1000 * seq);
	return buf;
}

/* simple_report() - a report with one persistent site, leak at app.py:5. */
static char *simple_report(char *buf, size_t len, int seq, int final, int pid, const char *ver)
{
	char s[1024];

	site(s, sizeof(s), "0000000000000001", 1, 60000, frame("/srv/a/app.py", "leak", 5), NULL,
	     NULL);
	return report(buf, len, seq, final, pid, ver, s);
}

/* read_str() - cmp_run_read() over a string. */
static int read_str(const char *text, struct cmp_run *run, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = cmp_run_read(f, "run.jsonl", run, err, errlen);
	fclose(f);
	return rc;
}

/* ---- frames ---- */

static void test_frames_under_different_roots(void **state)
{
	struct cmp_frame a = { "/srv/a/app.py", "handle", 12 };
	struct cmp_frame b = { "/home/ci/build/app.py", "handle", 12 };
	struct cmp_frame c = { "/home/ci/build/app.py", "handle", 13 };
	struct cmp_frame d = { "/home/ci/build/other.py", "handle", 12 };
	struct cmp_frame e = { "/home/ci/build/app.py", "serve", 12 };
	struct cmp_frame x = { "/srv/a/pkg/util.py", "f", 3 };
	struct cmp_frame y = { "/opt/b/pkg/util.py", "f", 3 };
	struct cmp_frame z = { "/opt/b/other/util.py", "f", 3 };

	assert_int_equal(cmp_frame_match(&a, &b), 1);
	assert_int_equal(cmp_frame_match(&a, &c), 0);	/* app frames: the line counts */
	assert_int_equal(cmp_frame_match(&a, &d), 0);
	assert_int_equal(cmp_frame_match(&a, &e), 0);
	/* the longest common tail scores higher */
	assert_int_equal(cmp_frame_match(&x, &y), 2);
	assert_int_equal(cmp_frame_match(&x, &z), 1);
}

static void test_stdlib_frames_across_versions(void **state)
{
	struct cmp_frame deb = { STD311 "logging/__init__.py", "makeRecord", 1598 };
	struct cmp_frame pye = { STD312 "logging/__init__.py", "makeRecord", 1622 };
	struct cmp_frame other = { STD312 "logging/__init__.py", "emit", 1622 };
	struct cmp_frame app = { "/srv/logging/__init__.py", "makeRecord", 1598 };
	struct cmp_frame ft = { "/opt/py/lib/python3.13t/logging/__init__.py", "makeRecord", 1 };
	struct cmp_frame fz1 = { "<frozen importlib._bootstrap>", "_load", 1100 };
	struct cmp_frame fz2 = { "<frozen importlib._bootstrap>", "_load", 1200 };
	struct cmp_frame sp1 = { "/srv/.venv/lib/python3.11/site-packages/pkg/m.py", "f", 10 };
	struct cmp_frame sp2 = { "/opt/venv/lib/python3.12/site-packages/pkg/m.py", "f", 10 };
	struct cmp_frame sp3 = { "/opt/venv/lib/python3.12/site-packages/pkg/m.py", "f", 11 };
	struct cmp_frame dp = { "/usr/lib/python3/dist-packages/pkg/m.py", "f", 10 };

	/* stdlib: path below lib/pythonX.Y/ and function, not the line */
	assert_true(cmp_frame_match(&deb, &pye) > 0);
	assert_true(cmp_frame_match(&deb, &ft) > 0);
	assert_int_equal(cmp_frame_match(&deb, &other), 0);
	/* an application file of the same name is not the standard library */
	assert_int_equal(cmp_frame_match(&deb, &app), 0);
	assert_int_equal(cmp_frame_match(&app, &deb), 0);
	assert_true(cmp_frame_match(&fz1, &fz2) > 0);
	/* site-packages: roots and versions differ, the package's lines count */
	assert_int_equal(cmp_frame_match(&sp1, &sp2), 3);
	assert_int_equal(cmp_frame_match(&sp1, &sp3), 0);
	assert_int_equal(cmp_frame_match(&sp1, &dp), 2);
}

static void test_stacks(void **state)
{
	struct cmp_frame s1[] = {
		{ STD311 "logging/__init__.py", "makeRecord", 1598 },
		{ STD311 "logging/__init__.py", "_log", 1610 },
		{ "/srv/a/app.py", "handle", 12 },
	};
	struct cmp_frame s2[] = {
		{ STD312 "logging/__init__.py", "makeRecord", 1622 },
		{ STD312 "logging/__init__.py", "_log", 1650 },
		{ "/home/ci/app.py", "handle", 12 },
	};
	/* 3.12 with one more stdlib frame: only the application frames match */
	struct cmp_frame s3[] = {
		{ STD312 "logging/__init__.py", "makeRecord", 1622 },
		{ STD312 "logging/__init__.py", "_helper", 1630 },
		{ STD312 "logging/__init__.py", "_log", 1650 },
		{ "/home/ci/app.py", "handle", 12 },
	};
	struct cmp_frame s4[] = {
		{ STD312 "logging/__init__.py", "makeRecord", 1622 },
		{ "/home/ci/app.py", "handle", 13 },
	};
	struct cmp_site a = { .frames = s1, .nframes = 3 }, b = { .frames = s2, .nframes = 3 };
	struct cmp_site c = { .frames = s3, .nframes = 4 }, d = { .frames = s4, .nframes = 2 };
	struct cmp_site n1 = { .native_caller = "list_repeat+0x1b0 (libpython3.11.so.1.0)" };
	struct cmp_site n2 = { .native_caller = "list_repeat+0x215 (libpython3.12.so.1.0)" };
	struct cmp_site n3 = { .native_caller = "0x5c2365 (python3.11)" };
	struct cmp_frame s5[] = {
		{ STD312 "logging/__init__.py", "emit", 1622 },
		{ "/home/ci/app.py", "handle", 13 },
	};
	struct cmp_site e = { .frames = s5, .nframes = 2 };
	enum cmp_match how;
	int full, app, moved;

	full = cmp_stack_match(&a, &b, &how);
	assert_true(full > 2 * CMP_SCORE_TIER);
	assert_int_equal(how, CMP_MATCH_STACK);
	app = cmp_stack_match(&a, &c, &how);
	assert_true(app > CMP_SCORE_TIER && app < full);
	assert_int_equal(how, CMP_MATCH_APP);
	/* handle moved from line 12 to 13: the lowest tier */
	moved = cmp_stack_match(&a, &d, &how);
	assert_true(moved > 0 && moved < CMP_SCORE_TIER);
	assert_int_equal(how, CMP_MATCH_MOVED);
	/* another standard-library chain below the same application line:
	 * the application tier, scored by the common path tail (home/ci/app.py) */
	assert_int_equal(cmp_stack_match(&d, &e, &how), CMP_SCORE_TIER + 3);
	assert_int_equal(how, CMP_MATCH_APP);
	assert_int_equal(cmp_stack_match(&a, &n1, &how), 0);
	assert_true(cmp_stack_match(&n1, &n2, &how) > 0);
	assert_int_equal(cmp_stack_match(&n1, &n3, &how), 0);
}

/* ---- reading ---- */

static void test_read_final_report(void **state)
{
	char l1[2048], l2[2048], text[4200], err[256];
	struct cmp_run run;

	simple_report(l1, sizeof(l1), 1, 0, 4242, "3.11.2");
	simple_report(l2, sizeof(l2), 2, 1, 4242, "3.11.2");
	snprintf(text, sizeof(text), "READY\n%s\n%sDONE\n", l1, l2);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_true(run.final);
	assert_int_equal(run.seq, 2);
	assert_int_equal(run.line, 4);	/* blank line 3 */
	assert_int_equal(run.skipped, 2);	/* the command's READY and DONE */
	assert_int_equal(run.runs, 1);
	assert_int_equal(run.pid, 4242);
	assert_string_equal(run.python_version, "3.11.2");
	assert_string_equal(run.mode, "growth");
	assert_int_equal(run.nsites, 1);
	assert_true(run.sites[0].grew);
	assert_int_equal(run.sites[0].nframes, 1);
	assert_int_equal(run.sites[0].frames[0].line, 5);
	assert_true(run.proc.has_anon_rate);
	assert_true(run.proc.anon_rate == 2000.0);
	assert_int_equal(run.proc.anon_bytes, 3000000);
	cmp_run_free(&run);
}

static void test_read_killed_and_truncated(void **state)
{
	char l1[2048], l2[2048], l3[2048], text[6400], err[256];
	struct cmp_run run;

	simple_report(l1, sizeof(l1), 1, 0, 1, "3.11.2");
	simple_report(l2, sizeof(l2), 2, 0, 1, "3.11.2");
	simple_report(l3, sizeof(l3), 3, 1, 1, "3.11.2");
	/* killed: no final report, the last line cut short (no newline) */
	l3[strlen(l3) / 2] = '\0';
	snprintf(text, sizeof(text), "%s%s%s", l1, l2, l3);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_false(run.final);
	assert_true(run.truncated_tail);
	assert_int_equal(run.seq, 2);
	assert_int_equal(run.line, 2);
	cmp_run_free(&run);

	/* killed between reports: complete lines, none final */
	snprintf(text, sizeof(text), "%s%s", l1, l2);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_false(run.final);
	assert_false(run.truncated_tail);
	assert_int_equal(run.seq, 2);
	cmp_run_free(&run);

	/* only a cut line: nothing to compare */
	assert_int_equal(read_str(l3, &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "run.jsonl: no complete report in 1 line"));
}

static void test_read_garbage(void **state)
{
	char l1[2048], text[4200], err[256];
	struct cmp_run run;

	simple_report(l1, sizeof(l1), 1, 1, 1, "3.11.2");

	/* a broken JSON line before the end: an error naming the line */
	snprintf(text, sizeof(text), "%s{\"type\":\"report\",\"seq\":2,,}\n%s", l1, l1);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "run.jsonl:2: not JSON: "));

	/* JSON, but not a report with sites */
	snprintf(text, sizeof(text), "%s{\"type\":\"report\",\"seq\":2,\"sites\":{}}\n", l1);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "run.jsonl:2: a report without a sites array"));
	assert_int_equal(read_str("{\"type\":\"report\",\"sites\":[]}\n", &run, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "run.jsonl:1: a report without its seq number"));

	/* a malformed frame */
	assert_int_equal(read_str("{\"type\":\"report\",\"seq\":1,\"sites\":[{\"frames\":[1]}]}\n",
				  &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "run.jsonl:1: sites[0].frames[0] is not"));

	/* text only, other JSON objects only, nothing */
	assert_int_equal(read_str("hello\nworld\n", &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no complete report in 2 lines"));
	assert_int_equal(read_str("{\"type\":\"other\"}\n[1,2]\n", &run, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(read_str("", &run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no complete report in 0 lines"));

	/* binary garbage */
	{
		static const char bin[] = "{\"a\0\":1}\n";
		FILE *f = fmemopen((void *)bin, sizeof(bin) - 1, "r");

		assert_int_equal(cmp_run_read(f, "bin", &run, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "bin:1: a NUL byte"));
		fclose(f);
	}
}

static void test_read_appended_runs(void **state)
{
	char l1[2048], l2[2048], l3[2048], text[6400], err[256];
	struct cmp_run run;

	simple_report(l1, sizeof(l1), 1, 0, 10, "3.11.2");
	simple_report(l2, sizeof(l2), 2, 1, 10, "3.11.2");
	simple_report(l3, sizeof(l3), 1, 1, 20, "3.12.1");
	snprintf(text, sizeof(text), "%s%s%s", l1, l2, l3);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_int_equal(run.runs, 2);
	assert_int_equal(run.pid, 20);
	assert_int_equal(run.line, 3);
	cmp_run_free(&run);
}

static void test_site_grew(void **state)
{
	struct cmp_site s = { 0 };

	assert_false(cmp_site_grew("growth", &s));
	s.persistent = true;
	assert_true(cmp_site_grew("growth", &s));
	assert_false(cmp_site_grew("alloc", &s));
	s = (struct cmp_site){ .trend = "growing", .rate = 1000, .has_rate = true };
	assert_true(cmp_site_grew("alloc", &s));
	s.trend = "flat";
	assert_false(cmp_site_grew("alloc", &s));
	s.alert = true;		/* an alert counts in either mode */
	assert_true(cmp_site_grew("alloc", &s));
	assert_true(cmp_site_grew("growth", &s));
}

/* ---- verdicts ---- */

/* Two runs of one workload: BEFORE on Debian 3.11 under /srv/a, AFTER on
 * pyenv 3.12 under /home/ci/build, another PID. Sites, by function:
 * fixed (gone), fixed2 (still there, not persistent), better, same, worse,
 * a logging-stack site whose 3.12 stdlib lines differ (same), regress (in
 * BEFORE, not growing; grows in AFTER), fresh (only in AFTER). */
struct pair {
	struct cmp_run before, after;
};

static void load_pair(struct pair *p, bool with_regressions)
{
	char b[8][1024], a[8][1024], bs[8192], as[8192], line[10000], err[256];
	const char *fb = "/srv/a/app.py", *fa = "/home/ci/build/app.py";

	site(b[0], 1024, "b0", 1, 600000, frame(fb, "fixed", 10), frame(fb, "main", 90), NULL);
	site(b[1], 1024, "b1", 1, 600000, frame(fb, "fixed2", 20), frame(fb, "main", 91), NULL);
	site(b[2], 1024, "b2", 1, 600000, frame(fb, "better", 30), frame(fb, "main", 92), NULL);
	site(b[3], 1024, "b3", 1, 600000, frame(fb, "same", 40), frame(fb, "main", 93), NULL);
	site(b[4], 1024, "b4", 1, 600000, frame(fb, "worse", 50), frame(fb, "main", 94), NULL);
	site(b[5], 1024, "b5", 1, 300000, frame(STD311 "logging/__init__.py", "makeRecord", 1598),
	     frame(fb, "log_it", 60), frame(fb, "main", 95));
	site(b[6], 1024, "b6", 0, 1000, frame(fb, "regress", 70), frame(fb, "main", 96), NULL);
	snprintf(bs, sizeof(bs), "%s,%s,%s,%s,%s,%s,%s", b[0], b[1], b[2], b[3], b[4], b[5], b[6]);

	site(a[0], 1024, "a1", 0, 500, frame(fa, "fixed2", 20), frame(fa, "main", 91), NULL);
	site(a[1], 1024, "a2", 1, 200000, frame(fa, "better", 30), frame(fa, "main", 92), NULL);
	site(a[2], 1024, "a3", 1, 700000, frame(fa, "same", 40), frame(fa, "main", 93), NULL);
	site(a[3], 1024, "a4", 1, 1800000, frame(fa, "worse", 50), frame(fa, "main", 94), NULL);
	site(a[4], 1024, "a5", 1, 310000,
	     frame(STD312 "logging/__init__.py", "makeRecord", 1622), frame(fa, "log_it", 60),
	     frame(fa, "main", 95));
	site(a[5], 1024, "a6", 1, 90000, frame(fa, "regress", 70), frame(fa, "main", 96), NULL);
	site(a[6], 1024, "a7", 1, 80000, frame(fa, "fresh", 80), frame(fa, "main", 97), NULL);
	snprintf(as, sizeof(as), "%s,%s,%s,%s,%s%s%s%s%s", a[0], a[1], a[2], a[3], a[4],
		 with_regressions ? "," : "", with_regressions ? a[5] : "",
		 with_regressions ? "," : "", with_regressions ? a[6] : "");

	report(line, sizeof(line), 3, 1, 1111, "3.11.2", bs);
	assert_int_equal(read_str(line, &p->before, err, sizeof(err)), 0);
	report(line, sizeof(line), 3, 1, 2222, "3.12.1", as);
	assert_int_equal(read_str(line, &p->after, err, sizeof(err)), 0);
}

static void free_pair(struct pair *p, struct cmp_result *r)
{
	cmp_result_free(r);
	cmp_run_free(&p->before);
	cmp_run_free(&p->after);
}

static const struct cmp_row *row_of(const struct cmp_result *r, const char *func)
{
	int i;

	for (i = 0; i < r->nrows; i++) {
		const struct cmp_site *s = r->rows[i].before && r->rows[i].verdict != CMP_AGAIN
						   ? r->rows[i].before : r->rows[i].after;

		if (!strcmp(s->frames[0].func, func) ||
		    (s->nframes > 1 && !strcmp(s->frames[1].func, func)))
			return &r->rows[i];
	}
	fail_msg("no row for %s", func);
	return NULL;
}

static void test_verdicts(void **state)
{
	struct pair p;
	struct cmp_result r;

	load_pair(&p, true);
	assert_int_equal(cmp_compare(&p.before, &p.after, &r), 0);
	assert_int_equal(r.nrows, 8);
	assert_int_equal(row_of(&r, "fixed")->verdict, CMP_FIXED);
	assert_null(row_of(&r, "fixed")->after);
	assert_int_equal(row_of(&r, "fixed2")->verdict, CMP_FIXED);
	assert_non_null(row_of(&r, "fixed2")->after);	/* there, not growing */
	assert_int_equal(row_of(&r, "better")->verdict, CMP_BETTER);
	assert_int_equal(row_of(&r, "same")->verdict, CMP_UNCHANGED);
	assert_int_equal(row_of(&r, "worse")->verdict, CMP_WORSE);
	assert_int_equal(row_of(&r, "log_it")->verdict, CMP_UNCHANGED);
	assert_int_equal(row_of(&r, "log_it")->how, CMP_MATCH_STACK);
	assert_int_equal(row_of(&r, "regress")->verdict, CMP_AGAIN);
	assert_string_equal(row_of(&r, "regress")->before->id, "b6");
	assert_int_equal(row_of(&r, "fresh")->verdict, CMP_NEW);
	assert_null(row_of(&r, "fresh")->before);
	assert_int_equal(r.counts[CMP_FIXED], 2);
	assert_int_equal(r.counts[CMP_NEW], 1);
	assert_int_equal(r.counts[CMP_AGAIN], 1);
	assert_int_equal(cmp_exit_status(&r), 3);
	/* sites that grew before come first, by BEFORE's rate */
	assert_true(r.rows[0].verdict <= CMP_WORSE && r.rows[5].verdict <= CMP_WORSE);
	assert_true(r.rows[6].verdict >= CMP_NEW && r.rows[7].verdict >= CMP_NEW);
	assert_true(r.rows[0].before->rate >= r.rows[5].before->rate);
	free_pair(&p, &r);

	/* no regressions: a worse site alone does not fail CI */
	load_pair(&p, false);
	assert_int_equal(cmp_compare(&p.before, &p.after, &r), 0);
	assert_int_equal(r.nrows, 6);
	assert_int_equal(cmp_exit_status(&r), 0);
	free_pair(&p, &r);
}

/* A leak fixed and back: swapping the runs makes the fixed site new. */
static void test_swapped(void **state)
{
	struct pair p;
	struct cmp_result r;

	load_pair(&p, false);
	assert_int_equal(cmp_compare(&p.after, &p.before, &r), 0);
	assert_int_equal(row_of(&r, "fixed")->verdict, CMP_NEW);
	assert_int_equal(row_of(&r, "fixed2")->verdict, CMP_AGAIN);
	assert_int_equal(row_of(&r, "better")->verdict, CMP_WORSE);
	assert_int_equal(cmp_exit_status(&r), 3);
	free_pair(&p, &r);
}

/* A fix edits the file: lines below the edit move. A site still growing at
 * its moved lines is the same site (flagged); a growing line beside the
 * BEFORE site, which is still there at its own lines, is new. */
static void test_moved_by_edit(void **state)
{
	char b[1024], a1[1024], a2[1024], as[2100], line[4200], err[256];
	struct cmp_run before, after;
	struct cmp_result r;

	site(b, sizeof(b), "b", 1, 600000, frame("/srv/a/app.py", "leak", 21),
	     frame("/srv/a/app.py", "main", 30), NULL);
	report(line, sizeof(line), 1, 1, 1, "3.11.2", b);
	assert_int_equal(read_str(line, &before, err, sizeof(err)), 0);

	/* partly fixed, two lines added above: better, matched as moved */
	site(a1, sizeof(a1), "a1", 1, 200000, frame("/ci/app.py", "leak", 23),
	     frame("/ci/app.py", "main", 32), NULL);
	report(line, sizeof(line), 1, 1, 2, "3.12.1", a1);
	assert_int_equal(read_str(line, &after, err, sizeof(err)), 0);
	assert_int_equal(cmp_compare(&before, &after, &r), 0);
	assert_int_equal(r.nrows, 1);
	assert_int_equal(r.rows[0].verdict, CMP_BETTER);
	assert_int_equal(r.rows[0].how, CMP_MATCH_MOVED);
	assert_int_equal(cmp_exit_status(&r), 0);
	cmp_result_free(&r);
	cmp_run_free(&after);

	/* line 21 still there and not growing, line 25 of leak() grows: new */
	site(a1, sizeof(a1), "a1", 0, 100, frame("/ci/app.py", "leak", 21),
	     frame("/ci/app.py", "main", 30), NULL);
	site(a2, sizeof(a2), "a2", 1, 200000, frame("/ci/app.py", "leak", 25),
	     frame("/ci/app.py", "main", 30), NULL);
	snprintf(as, sizeof(as), "%s,%s", a1, a2);
	report(line, sizeof(line), 1, 1, 2, "3.12.1", as);
	assert_int_equal(read_str(line, &after, err, sizeof(err)), 0);
	assert_int_equal(cmp_compare(&before, &after, &r), 0);
	assert_int_equal(r.nrows, 2);
	assert_int_equal(r.rows[0].verdict, CMP_FIXED);
	assert_int_equal(r.rows[1].verdict, CMP_NEW);
	assert_int_equal(r.rows[1].after->frames[0].line, 25);
	assert_int_equal(cmp_exit_status(&r), 3);
	cmp_result_free(&r);
	cmp_run_free(&after);
	cmp_run_free(&before);
}

/* alloc_report() - an alloc-mode report line: one site at app.py:7 with the
 * given trend, rate and alert, and extra alerts[] JSON. */
static char *alloc_report(char *buf, size_t len, int seq, int final, const char *trend,
			  double rate, int alert, const char *alerts)
{
	snprintf(buf, len,
		 "{\"type\":\"report\",\"seq\":%d,\"final\":%s,\"process\":{\"pid\":7},"
		 "\"capture\":{\"mode\":\"alloc\"},\"sites\":[{\"id\":\"s7\",\"bytes\":9,"
		 "\"rate_bytes_per_min\":%.1f,\"trend\":\"%s\",\"alert\":%s,\"frames\":["
		 "{\"file\":\"/srv/a/app.py\",\"func\":\"leak\",\"line\":7}]}],\"alerts\":[%s]}\n",
		 seq, final ? "true" : "false", rate, trend, alert ? "true" : "false", alerts);
	return buf;
}

/* Alloc mode resolves an alert once the target stops allocating at its
 * end: a site that alerted during the run grew, though the final report
 * says flat; so does one that alerted and then left the top sites. */
static void test_alerted_earlier(void **state)
{
	static const char gone[] =
		"{\"state\":\"leak_suspect\",\"subject\":\"site\",\"id\":\"g1\","
		"\"rate_bytes_per_min\":500000.0,\"bytes\":1,\"frames\":[{\"file\":"
		"\"/srv/a/app.py\",\"func\":\"gone\",\"line\":9}]}";
	char l1[1024], l2[1024], l3[1024], text[4000], err[256];
	struct cmp_run run, quiet;
	struct cmp_result r;

	alloc_report(l1, sizeof(l1), 1, 0, "growing", 3e6, 1, gone);
	alloc_report(l2, sizeof(l2), 2, 0, "growing", 2e6, 1, "");
	alloc_report(l3, sizeof(l3), 3, 1, "flat", 0, 0, "");
	snprintf(text, sizeof(text), "%s%s%s", l1, l2, l3);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_int_equal(run.nsites, 2);
	assert_true(run.sites[0].grew && run.sites[0].earlier);
	assert_true(run.sites[0].rate == 2e6);	/* its last alerting report */
	assert_string_equal(run.sites[1].frames[0].func, "gone");
	assert_true(run.sites[1].grew && run.sites[1].earlier);

	/* the same site never alerting: a run where nothing grew */
	alloc_report(l1, sizeof(l1), 1, 1, "flat", 0, 0, "");
	assert_int_equal(read_str(l1, &quiet, err, sizeof(err)), 0);
	assert_false(quiet.sites[0].grew);
	assert_int_equal(cmp_compare(&run, &quiet, &r), 0);
	assert_int_equal(r.counts[CMP_FIXED], 2);
	assert_int_equal(cmp_exit_status(&r), 0);
	cmp_result_free(&r);
	assert_int_equal(cmp_compare(&quiet, &run, &r), 0);
	assert_int_equal(r.counts[CMP_AGAIN], 1);	/* s7: there, not growing */
	assert_int_equal(r.counts[CMP_NEW], 1);		/* gone() */
	cmp_result_free(&r);
	cmp_run_free(&quiet);
	cmp_run_free(&run);

	/* alerts of an earlier run appended to the file do not count */
	snprintf(text, sizeof(text), "%s%s", l2, l1);
	assert_int_equal(read_str(text, &run, err, sizeof(err)), 0);
	assert_int_equal(run.runs, 2);
	assert_false(run.sites[0].grew);
	cmp_run_free(&run);
}

static void test_outputs(void **state)
{
	struct pair p;
	struct cmp_result r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;
	json_error_t je;

	load_pair(&p, true);
	assert_int_equal(cmp_compare(&p.before, &p.after, &r), 0);
	f = open_memstream(&text, &len);
	assert_int_equal(cmp_write_text(f, &p.before, &p.after, &r), 0);
	fclose(f);
	assert_non_null(strstr(text, "BEFORE run.jsonl: pid 1111, Python 3.11.2, growth mode"));
	assert_non_null(strstr(text, "AFTER  run.jsonl: pid 2222, Python 3.12.1"));
	assert_non_null(strstr(text, "fixed            +585.9 KiB/min                -  "
				     "fixed (app.py:10)"));
	assert_non_null(strstr(text, "new                           -    +78.1 KiB/min  "
				     "fresh (app.py:80)"));
	assert_non_null(strstr(text, "growing-again       not growing    +87.9 KiB/min  "
				     "regress (app.py:70)"));
	assert_non_null(strstr(text, "makeRecord (logging/__init__.py:1598) <- log_it (app.py:60)"));
	assert_non_null(strstr(text, "2 fixed, 1 better, 2 unchanged, 1 worse; 1 new, "
				     "1 growing-again: exit 3"));
	free(text);

	text = NULL;
	f = open_memstream(&text, &len);
	assert_int_equal(cmp_write_json(f, &p.before, &p.after, &r), 0);
	fclose(f);
	j = json_loads(text, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "compare");
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), 3);
	assert_int_equal(json_array_size(json_object_get(j, "sites")), 8);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"),
							    "growing-again")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "after"), "pid")),
			 2222);
	{
		json_t *row;
		size_t k;
		int matched = 0, unmatched = 0;

		json_array_foreach(json_object_get(j, "sites"), k, row) {
			const json_t *m = json_object_get(row, "match");

			if (json_is_null(json_object_get(row, "after")) ||
			    json_is_null(json_object_get(row, "before"))) {
				assert_true(json_is_null(m));	/* fixed and gone, or new */
				unmatched++;
			} else {
				assert_string_equal(json_string_value(m), "stack");
				matched++;
			}
		}
		assert_int_equal(matched, 6);
		assert_int_equal(unmatched, 2);
	}
	json_decref(j);
	free(text);
	free_pair(&p, &r);
}

/* The command: usage errors, unreadable files. */
static void test_main_usage(void **state)
{
	char *a1[] = { "compare", "only-one", NULL };
	char *a2[] = { "compare", "--format", "xml", "a", "b", NULL };
	char *a3[] = { "compare", "/nonexistent/a.jsonl", "/nonexistent/b.jsonl", NULL };
	char *a4[] = { "compare", "--bogus", "a", "b", NULL };

	assert_int_equal(compare_main(2, a1), 2);
	assert_int_equal(compare_main(5, a2), 2);
	assert_int_equal(compare_main(4, a4), 2);
	assert_int_equal(compare_main(3, a3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_under_different_roots),
		cmocka_unit_test(test_stdlib_frames_across_versions),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_read_final_report),
		cmocka_unit_test(test_read_killed_and_truncated),
		cmocka_unit_test(test_read_garbage),
		cmocka_unit_test(test_read_appended_runs),
		cmocka_unit_test(test_site_grew),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_swapped),
		cmocka_unit_test(test_moved_by_edit),
		cmocka_unit_test(test_alerted_earlier),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_main_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
