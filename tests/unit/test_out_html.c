/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_out_html.c: unit tests for the HTML exporter (user/out/out_html.c): the
 * escaper every target string goes through, the flame graph's layout, and
 * whole pages built from hostile names (no markup of the target's survives,
 * the page is valid UTF-8).
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

#include "out_html.h"
#include "report.h"
#include "report_fixture.h"
#include "textsafe.h"

/* esc() - html_text(s, max) into a fresh string; the caller frees it. */
static char *esc(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	html_text(f, s, max);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_esc(const char *s, size_t max, const char *want)
{
	char *got = esc(s, max);

	assert_string_equal(got, want);
	free(got);
}

static void test_escapes_markup_and_quotes(void **state)
{
	assert_esc("<script>alert('x')</script>", 0,
		   "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	assert_esc("a \"b\" & c", 0, "a &quot;b&quot; &amp; c");
	assert_esc("plain_name.py", 0, "plain_name.py");
	assert_esc(NULL, 0, "?");
	assert_esc("", 0, "");
}

static void test_controls_are_shown_not_passed(void **state)
{
	assert_esc("a\nb\tc\x7f" "d\x1b[2J", 0, "a\\x0ab\\x09c\\x7fd\\x1b[2J");
}

static void test_invalid_utf8_is_replaced(void **state)
{
	/* valid multi-byte kept; lone continuation, overlong, surrogate and
	 * truncated sequence each become one U+FFFD */
	assert_esc("caf\xc3\xa9", 0, "caf\xc3\xa9");
	assert_esc("a\x80z", 0, "a\xef\xbf\xbdz");
	assert_esc("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_esc("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_esc("x\xe2\x82", 0, "x\xef\xbf\xbd");
	assert_esc("\xe2\x82<", 0, "\xef\xbf\xbd&lt;");
}

static void test_long_names_are_cut_with_ellipsis(void **state)
{
	assert_esc("abcdefgh", 5, "abcd\xe2\x80\xa6");
	/* exactly max characters: no cut */
	assert_esc("abcde", 5, "abcde");
	/* counted in characters, not bytes, and an escape is one character */
	assert_esc("\xc3\xa9\xc3\xa9\xc3\xa9<<", 4, "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	assert_esc("<<<<", 3, "&lt;&lt;\xe2\x80\xa6");
}

/* A stack: main (outermost) -> handler -> {leak | cache}. */
static const struct report_frame leak_stack[] = {
	{ "app.py", "leak", 21 }, { "app.py", "handler", 10 }, { "app.py", "main", 3 },
};
static const struct report_frame cache_stack[] = {
	{ "cache.py", "put", 7 }, { "app.py", "handler", 10 }, { "app.py", "main", 3 },
};
static const struct report_frame other_stack[] = {
	{ "other.py", "boot", 1 },
};

static int find(const struct flame *fl, const char *func, int depth)
{
	for (int i = 0; i < fl->n; i++)
		if (fl->v[i].frame && !strcmp(fl->v[i].frame->func, func) && fl->v[i].depth == depth)
			return i;
	return -1;
}

static void test_flame_merges_common_frames_and_tiles(void **state)
{
	struct report_site sites[] = {
		{ .id = 1, .bytes = 600, .nframes = 3, .frames = leak_stack, .alert = true,
		  .native_caller = "list_repeat+0x10 (libpython)" },
		{ .id = 2, .bytes = 300, .nframes = 3, .frames = cache_stack },
		{ .id = 3, .bytes = 100, .nframes = 1, .frames = other_stack },
		{ .id = 4, .bytes = 0, .nframes = 1, .frames = other_stack }, /* left out */
	};
	struct flame fl = {};
	int main_i, handler, leak, put, boot, nat;

	assert_int_equal(flame_build(&fl, sites, 4), 0);
	/* root, main, handler, leak, native, put, boot */
	assert_int_equal(fl.n, 7);
	assert_int_equal(fl.max_depth, 4);
	assert_int_equal(fl.v[0].bytes, 1000);
	main_i = find(&fl, "main", 1);
	handler = find(&fl, "handler", 2);
	leak = find(&fl, "leak", 3);
	put = find(&fl, "put", 3);
	boot = find(&fl, "boot", 1);
	assert_true(main_i > 0 && handler > 0 && leak > 0 && put > 0 && boot > 0);
	nat = fl.v[leak].child;
	assert_true(nat > 0);
	assert_null(fl.v[nat].frame);
	assert_string_equal(fl.v[nat].native, "list_repeat+0x10 (libpython)");
	assert_int_equal(fl.v[nat].depth, 4);

	/* widths are shares of the root's bytes */
	assert_int_equal(fl.v[main_i].bytes, 900);
	assert_true(fabs(fl.v[main_i].w - 0.9) < 1e-9);
	assert_true(fabs(fl.v[leak].w - 0.6) < 1e-9);
	assert_true(fabs(fl.v[put].w - 0.3) < 1e-9);
	assert_true(fabs(fl.v[boot].w - 0.1) < 1e-9);
	/* largest first, children tile their parent from its left edge */
	assert_true(fabs(fl.v[main_i].x - 0) < 1e-9);
	assert_true(fabs(fl.v[boot].x - 0.9) < 1e-9);
	assert_true(fabs(fl.v[leak].x - fl.v[handler].x) < 1e-9);
	assert_true(fabs(fl.v[put].x - (fl.v[leak].x + 0.6)) < 1e-9);
	assert_true(fabs(fl.v[nat].x - fl.v[leak].x) < 1e-9);
	/* the alert marks the path to its site only */
	assert_true(fl.v[leak].alert && fl.v[handler].alert && fl.v[0].alert);
	assert_false(fl.v[put].alert);
	assert_false(fl.v[boot].alert);
	/* every child lies inside its parent */
	for (int i = 1; i < fl.n; i++) {
		const struct flame_node *c = &fl.v[i], *p = &fl.v[c->parent];

		assert_int_equal(c->depth, p->depth + 1);
		assert_true(c->x >= p->x - 1e-9 && c->x + c->w <= p->x + p->w + 1e-9);
	}
	flame_free(&fl);
}

static void test_flame_same_function_other_line_is_other_box(void **state)
{
	static const struct report_frame a[] = { { "m.py", "f", 1 } }, b[] = { { "m.py", "f", 2 } };
	struct report_site sites[] = {
		{ .bytes = 10, .nframes = 1, .frames = a },
		{ .bytes = 10, .nframes = 1, .frames = b },
		{ .bytes = 5, .nframes = 0 }, /* stack unknown: a box of its own */
	};
	struct flame fl = {};

	assert_int_equal(flame_build(&fl, sites, 3), 0);
	assert_int_equal(fl.n, 4);
	assert_int_equal(fl.v[0].bytes, 25);
	flame_free(&fl);
}

static void test_flame_empty(void **state)
{
	struct flame fl = {};

	assert_int_equal(flame_build(&fl, NULL, 0), 0);
	assert_int_equal(fl.n, 1);
	assert_int_equal(fl.v[0].bytes, 0);
	flame_free(&fl);
}

static char *page(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_html_write(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void assert_valid_utf8(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int len = utf8_seq((const char *)p);

		assert_true(len > 0);
		p += len;
	}
}

static void test_page_with_hostile_names(void **state)
{
	static char long_name[5000];
	/* longer than any name may be shown: 400 characters */
	char run[401] = "";
	static const struct report_frame evil[] = {
		{ "<script>alert(1)</script>.py", "f\"onmouseover=\"alert(2)", 1 },
		{ "a&b'\xff\xfe.py", "<img src=x onerror=alert(3)>", 2 },
		{ long_name, "g\n<script>", 3 },
	};
	static const struct report_point pts[] = { { 0, 100 }, { 1, 200 }, { 2, 300 } };
	struct report_series hist[1] = { { 3, pts } }, anon = { 3, pts };
	struct report_site site = { .id = 9, .bytes = 4096, .count = 2, .nframes = 3, .frames = evil,
				    .native_caller = "<script>x</script>", .evidence = "alloc",
				    .trend = "growing", .p_value = 0.001, .alert = true };
	const char *warn = "<b>warning</b>";
	struct report r = { .h = { .seq = 2, .pid = 42, .comm = "<script>c</script>",
				   .python_version = "3.11\"", .build = "x", .mode = "alloc",
				   .capture = "<i>", .nwarnings = 1, .warnings = &warn },
			    .nsites = 1, .sites = &site, .site_history = hist,
			    .anon_history = &anon };
	char *html;

	memset(long_name, 'L', sizeof(long_name) - 1);
	html = page(&r);
	/* ours only: the one inline script, no element named by the target */
	assert_int_equal(count(html, "<script"), 1);
	assert_int_equal(count(html, "<img"), 0);
	assert_int_equal(count(html, "<b>warning"), 0);
	assert_null(strstr(html, "\"onmouseover"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;.py"));
	/* the long name is cut, not copied 5000 times over */
	memset(run, 'L', sizeof(run) - 1);
	assert_null(strstr(html, run));
	run[sizeof(run) - 2] = 0; /* 399 and the ellipsis */
	assert_non_null(strstr(html, run));
	assert_valid_utf8(html);
	/* the chart has its three points in each series */
	assert_int_equal(count(html, "<circle"), 6);
	assert_int_equal(count(html, "<polyline"), 2);
	/* and the flame graph a box per frame plus the native caller and root */
	assert_int_equal(count(html, "<g class=\"f"), 5);
	free(html);
}

/* The container labels: one line under the header's first, escaped. */
static void test_page_identity(void **state)
{
	struct report r = { .h = { .seq = 1, .pid = 7, .comm = "python3", .mode = "alloc" } };
	struct proc_identity id;
	char *html;

	html = page(&r);
	assert_null(strstr(html, "id=\"identity\""));
	free(html);
	r.h.identity = fixture_identity(&id);
	strcpy(id.pod_name, "<script>p</script>");
	html = page(&r);
	assert_non_null(strstr(html, "<p class=\"sub\" id=\"identity\">container_id <b>" FX_CID
				     "</b> \xc2\xb7 pod_uid <b>" FX_POD_UID "</b> \xc2\xb7 namespace "
				     "<b>shop</b> \xc2\xb7 pod <b>&lt;script&gt;p&lt;/script&gt;</b>"));
	assert_non_null(strstr(html, "runtime <b>containerd</b></p>"));
	assert_int_equal(count(html, "<script"), 1);
	free(html);
}

static void test_page_without_sites_or_history(void **state)
{
	struct report r = { .h = { .seq = 1, .pid = 7, .comm = "python3", .mode = "growth" } };
	char *html = page(&r);

	assert_non_null(strstr(html, "Nothing to draw yet"));
	assert_non_null(strstr(html, "No history yet"));
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
}

static void test_page_growth_mode_with_hints(void **state)
{
	static const struct report_frame fr[] = { { "native.py", "load<T>", 5 } };
	struct report_site hint = { .bytes = 1 << 20, .count = 256, .nframes = 1, .frames = fr };
	struct report_growth g = { .anon_bytes = 1 << 24 };
	struct report r = { .h = { .seq = 1, .pid = 7, .comm = "python3", .mode = "growth",
				   .growth = &g },
			    .nhints = 1, .hints = &hint };
	char *html = page(&r);

	assert_non_null(strstr(html, "No survivors of settled windows yet."));
	assert_non_null(strstr(html, "First-touch hints"));
	assert_non_null(strstr(html, "load&lt;T&gt;"));
	assert_non_null(strstr(html, "Flame graph of surviving bytes"));
	/* no flame graph tools without a flame graph */
	assert_null(strstr(html, "id=\"flame-tools\""));
	free(html);
}

/* Evidence at OOM: the figure in the header and the alert, as raised, on
 * the top site's frame (escaped like every string). */
static void test_page_oom_killed(void **state)
{
	static const struct report_frame fr[] = { { "app.py", "leak<1>", 21 } };
	struct report_oom o = { .source = "oom/mark_victim", .memory_max = 40 << 20 };
	struct report_process p = { .active_alerts = 1 };
	struct report_alert a = { .state = "oom_killed", .subject = "process",
				  .evidence = "oom/mark_victim", .bytes = 39 << 20, .p_value = -1,
				  .nframes = 1, .frames = fr };
	struct report r = { .h = { .seq = 2, .final = true, .pid = 7, .comm = "python3",
				   .mode = "alloc", .process = &p, .oom = &o },
			    .nalerts = 1, .alerts = &a };
	char *html = page(&r);

	assert_non_null(strstr(html, "OOM-killed</div><div class=\"v\">yes</div>"
				     "<div class=\"n\">memory cgroup limit 40.0 MiB</div>"));
	assert_non_null(strstr(html, "<li class=\"alert\"><b>oom_killed</b> process "));
	assert_non_null(strstr(html, "leak&lt;1&gt;"));
	assert_non_null(strstr(html, "the kernel's OOM killer ended the process (oom/mark_victim); "
				     "39.0 MiB anonymous at the end</span></li>"));
	free(html);
	r.h.oom = NULL;
	html = page(&r);
	assert_null(strstr(html, "OOM-killed"));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_markup_and_quotes),
		cmocka_unit_test(test_controls_are_shown_not_passed),
		cmocka_unit_test(test_invalid_utf8_is_replaced),
		cmocka_unit_test(test_long_names_are_cut_with_ellipsis),
		cmocka_unit_test(test_flame_merges_common_frames_and_tiles),
		cmocka_unit_test(test_flame_same_function_other_line_is_other_box),
		cmocka_unit_test(test_flame_empty),
		cmocka_unit_test(test_page_with_hostile_names),
		cmocka_unit_test(test_page_identity),
		cmocka_unit_test(test_page_without_sites_or_history),
		cmocka_unit_test(test_page_growth_mode_with_hints),
		cmocka_unit_test(test_page_oom_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
