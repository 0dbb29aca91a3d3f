/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_incidents.c: unit tests for user/judge/incidents.c, grouping site alerts
 * into incidents by their head frame. Synthetic stacks in the layouts of the
 * interpreters the project supports: pyenv's and Debian's standard library
 * (3.9 to 3.14), a chroot's, a venv's site-packages, Debian's dist-packages,
 * frozen modules, and a leak wholly in library code.
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

#include "incidents.h"
#include "report.h"
#include "sites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct incident_paths pyenv311 = {
	.stdlib = { "/root/.pyenv/versions/3.11.7/lib/python3.11" },
	.nstdlib = 1,
	.py_major = 3,
	.py_minor = 11,
};

static void test_stdlib_of(void **state)
{
	char b[256];

	assert_int_equal(incident_stdlib_of("/usr/bin/python3.11", 3, 11, b, sizeof(b)), 0);
	assert_string_equal(b, "/usr/lib/python3.11");
	assert_int_equal(incident_stdlib_of("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0",
					    3, 12, b, sizeof(b)), 0);
	assert_string_equal(b, "/root/.pyenv/versions/3.12.1/lib/python3.12");
	assert_int_equal(incident_stdlib_of("/usr/lib/x86_64-linux-gnu/libpython3.13.so.1.0",
					    3, 13, b, sizeof(b)), 0);
	assert_string_equal(b, "/usr/lib/python3.13");
	assert_int_equal(incident_stdlib_of("/opt/py/python3", 3, 11, b, sizeof(b)), -ENOENT);
	assert_int_equal(incident_stdlib_of("python3", 3, 11, b, sizeof(b)), -ENOENT);
	assert_int_equal(incident_stdlib_of("/python3", 3, 11, b, sizeof(b)), -ENOENT);
	assert_int_equal(incident_stdlib_of(NULL, 3, 11, b, sizeof(b)), -ENOENT);
	assert_int_equal(incident_stdlib_of("/usr/bin/python3.11", 3, 11, b, 8), -ENOENT);
}

static void test_library_paths(void **state)
{
	struct incident_paths deb = { .stdlib = { "/usr/lib/python3.9/" }, .nstdlib = 1,
				      .py_major = 3, .py_minor = 9 };
	struct incident_paths any = { 0 };
	static const char *const lib[] = {
		"/root/.pyenv/versions/3.11.7/lib/python3.11/logging/__init__.py",
		"/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/requests/api.py",
		"/srv/app/.venv/lib/python3.11/site-packages/flask/app.py",
		"/usr/lib/python3/dist-packages/yaml/__init__.py",
		"/usr/local/lib/python3.11/dist-packages/x.py",
		"<frozen importlib._bootstrap>",
		"<frozen posixpath>",
		/* another base of the same version (a venv's base, a chroot) */
		"/opt/python/lib/python3.11/json/decoder.py",
		"/usr/lib64/python3.11/threading.py",
	};
	static const char *const app[] = {
		"/srv/app/app.py",
		"/srv/lib/python/app.py",		/* "lib/python" with no version */
		"/usr/lib/python3.12/json/decoder.py",	/* another version: not this target's */
		"<string>",
		"<stdin>",
		"app.py",
		"/root/.pyenv/versions/3.11.7/lib/python3.11x/a.py",
	};

	for (int i = 0; i < N(lib); i++)
		if (!incident_frame_is_library(&pyenv311, lib[i]))
			fail_msg("%s should be library code", lib[i]);
	for (int i = 0; i < N(app); i++)
		if (incident_frame_is_library(&pyenv311, app[i]))
			fail_msg("%s should be application code", app[i]);
	assert_false(incident_frame_is_library(&pyenv311, NULL));
	assert_false(incident_frame_is_library(&pyenv311, ""));
	/* a stdlib directory given with a trailing slash; Debian's 3.9 */
	assert_true(incident_frame_is_library(&deb, "/usr/lib/python3.9/copyreg.py"));
	assert_false(incident_frame_is_library(&deb, "/usr/lib/python3.9x/copyreg.py"));
	/* version unknown: any 3.x standard library */
	assert_true(incident_frame_is_library(&any, "/usr/lib/python3.14/logging/__init__.py"));
	assert_true(incident_frame_is_library(&any, "/usr/lib/python3.13/enum.py"));
	assert_false(incident_frame_is_library(&any, "/home/u/python3.13/enum.py"));
}

#define F(file, line, func) { file, func, line }
#define STDLIB "/root/.pyenv/versions/3.11.7/lib/python3.11/"

static void test_head_application_frame(void **state)
{
	/* logging.getLogger() keeps the loggers: allocations deep in logging */
	const struct report_frame s[] = {
		F(STDLIB "logging/__init__.py", 1412, "Manager._fixupParents"),
		F(STDLIB "logging/__init__.py", 1367, "Manager.getLogger"),
		F(STDLIB "logging/__init__.py", 2101, "getLogger"),
		F("/srv/app/app.py", 35, "handle_request"),
		F("/srv/app/app.py", 50, "main"),
		F("/srv/app/app.py", 60, "<module>"),
	};
	bool lib;

	assert_int_equal(incident_head(&pyenv311, s, N(s), &lib), 3);
	assert_false(lib);
	/* the innermost frame is the application's: itself */
	assert_int_equal(incident_head(&pyenv311, &s[3], 3, &lib), 0);
	assert_false(lib);
	assert_int_equal(incident_head(&pyenv311, s, 0, &lib), -1);
}

static void test_head_wholly_library(void **state)
{
	/* a thread started by the stdlib and leaking inside a package, no
	 * application frame: the outermost library call, not the bootstrap */
	const struct report_frame s[] = {
		F("/srv/.venv/lib/python3.11/site-packages/pkg/cache.py", 10, "Cache.put"),
		F("/srv/.venv/lib/python3.11/site-packages/pkg/worker.py", 44, "Worker.loop"),
		F(STDLIB "threading.py", 975, "Thread.run"),
		F(STDLIB "threading.py", 1038, "Thread._bootstrap_inner"),
		F(STDLIB "threading.py", 995, "Thread._bootstrap"),
	};
	const struct report_frame frozen[] = {
		F("<frozen importlib._bootstrap>", 241, "_call_with_frames_removed"),
		F("<frozen importlib._bootstrap_external>", 940, "exec_module"),
	};
	bool lib;

	assert_int_equal(incident_head(&pyenv311, s, N(s), &lib), 1);
	assert_true(lib);
	/* only entry frames: the innermost */
	assert_int_equal(incident_head(&pyenv311, frozen, N(frozen), &lib), 0);
	assert_true(lib);
}

static struct site_alert member(uint64_t id, const struct report_frame *fr, int n,
				     double rate, int64_t bytes, double since)
{
	struct site_alert m = { .site_id = id, .frames = fr, .nframes = n,
				     .rate_bps = rate, .bytes = bytes, .since_s = since };
	return m;
}

static const struct report_incident *find(const struct report_incident *v, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static void test_grouping_and_life(void **state)
{
	/* leak A: three stacks in logging below app.py:35; leak B: app.py:80 */
	const struct report_frame a1[] = { F(STDLIB "logging/__init__.py", 1412, "x"),
					   F("/srv/app.py", 35, "handle") };
	const struct report_frame a2[] = { F(STDLIB "logging/__init__.py", 1290, "y"),
					   F(STDLIB "logging/__init__.py", 2101, "getLogger"),
					   F("/srv/app.py", 35, "handle") };
	const struct report_frame a3[] = { F(STDLIB "weakref.py", 100, "z"),
					   F("/srv/app.py", 35, "handle"),
					   F("/srv/app.py", 90, "main") };
	const struct report_frame b[] = { F("/srv/app.py", 80, "remember") };
	struct incidents *inc = incidents_new(&pyenv311);
	struct report_incident *v;
	const struct report_incident *ia, *ib;
	uint64_t ida = site_id_of(&a1[1], 1), idb = site_id_of(&b[0], 1);
	struct site_alert m[4];
	int n;

	assert_non_null(inc);
	/* report 1: two stacks of A */
	m[0] = member(11, a1, N(a1), 100, 1000, 5);
	m[1] = member(12, a2, N(a2), 50, 500, 6);
	assert_int_equal(incidents_update(inc, m, 2, 10), 0);
	n = incidents_list(inc, &v);
	assert_int_equal(n, 1);
	assert_true(v[0].id == ida);
	assert_string_equal(v[0].state, "leak_suspect");
	assert_true(v[0].raised_now);
	assert_int_equal(v[0].nmembers, 2);
	assert_int_equal(v[0].joined, 2);
	assert_int_equal(v[0].head.line, 35);
	assert_string_equal(v[0].head.func, "handle");
	assert_false(v[0].head_in_library);
	assert_true(v[0].rate_bps == 150);
	assert_int_equal(v[0].bytes, 1500);
	assert_true(v[0].since_s == 5);
	assert_int_equal(incidents_raised(inc), 1);
	assert_int_equal(incidents_active(inc), 1);
	assert_true(incidents_of(inc, 12) == ida);

	/* report 2: a third stack joins A, B starts: A keeps its id, one new raise */
	m[2] = member(13, a3, N(a3), 10, 100, 19);
	m[3] = member(20, b, N(b), 500, 9000, 19);
	assert_int_equal(incidents_update(inc, m, 4, 20), 0);
	n = incidents_list(inc, &v);
	assert_int_equal(n, 2);
	ia = find(v, n, ida);
	ib = find(v, n, idb);
	assert_non_null(ia);
	assert_non_null(ib);
	assert_ptr_equal(ib, &v[0]); /* biggest rate first */
	assert_false(ia->raised_now);
	assert_true(ib->raised_now);
	assert_int_equal(ia->nmembers, 3);
	assert_int_equal(ia->joined, 1);
	assert_int_equal(incidents_raised(inc), 2);
	assert_int_equal(incidents_active(inc), 2);

	/* report 3: two of A's members resolve: A stays, same id; B resolves */
	assert_int_equal(incidents_update(inc, &m[1], 1, 30), 0);
	n = incidents_list(inc, &v);
	assert_int_equal(n, 2);
	ia = find(v, n, ida);
	ib = find(v, n, idb);
	assert_string_equal(ia->state, "leak_suspect");
	assert_int_equal(ia->nmembers, 1);
	assert_string_equal(ib->state, "resolved");
	assert_ptr_equal(ib, &v[1]); /* resolved last */
	assert_int_equal(ib->nmembers, 1);
	assert_true(ib->members[0] == 20);
	assert_true(incidents_of(inc, 20) == idb); /* its resolved alert names it */
	assert_true(incidents_of(inc, 11) == ida); /* a member that left A */
	assert_int_equal(incidents_active(inc), 1);

	/* report 4: B is gone from the list; A resolves */
	assert_int_equal(incidents_update(inc, NULL, 0, 40), 0);
	n = incidents_list(inc, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].state, "resolved");
	assert_true(v[0].duration_s == 35);
	assert_int_equal(incidents_active(inc), 0);

	/* report 5: nothing; A raised again later is a new raise */
	assert_int_equal(incidents_update(inc, NULL, 0, 50), 0);
	assert_int_equal(incidents_list(inc, &v), 0);
	assert_int_equal(incidents_update(inc, m, 1, 60), 0);
	n = incidents_list(inc, &v);
	assert_int_equal(n, 1);
	assert_true(v[0].raised_now);
	assert_true(v[0].id == ida);
	assert_int_equal(incidents_raised(inc), 3);
	incidents_free(inc);
}

static void test_layouts(void **state)
{
	/* the same application line below each interpreter's stdlib layout is
	 * one incident; the stdlib frame never heads it */
	static const char *const stdlib[] = {
		"/usr/lib/python3.9/logging/__init__.py",	/* bullseye */
		"/usr/lib/python3.11/logging/__init__.py",	/* bookworm */
		"/usr/lib/python3.13/logging/__init__.py",	/* trixie */
		"/usr/lib/python3.14/logging/__init__.py",	/* sid */
		"/root/.pyenv/versions/3.12.1/lib/python3.12/logging/__init__.py",
	};
	struct incident_paths any = { 0 };

	for (int i = 0; i < N(stdlib); i++) {
		const struct report_frame s[] = { F(stdlib[i], 1, "getLogger"),
						  F("/app/main.py", 7, "serve") };
		bool lib;

		if (incident_head(&any, s, 2, &lib) != 1 || lib)
			fail_msg("%s headed the stack", stdlib[i]);
	}
}

static void test_no_frames(void **state)
{
	/* a native allocation with no Python frame is its own incident */
	struct incidents *inc = incidents_new(&pyenv311);
	struct report_incident *v;
	struct site_alert m = member(7, NULL, 0, 1, 1, 1);

	assert_int_equal(incidents_update(inc, &m, 1, 2), 0);
	assert_int_equal(incidents_list(inc, &v), 1);
	assert_string_equal(v[0].head.func, "<no Python frame>");
	assert_int_equal(v[0].head.line, -1);
	incidents_free(inc);
}

/* No alert yet: an empty list, and no qsort() of a NULL array (undefined
 * behaviour; make asan's UBSan found it in a real run). */
static void test_no_alerts(void **state)
{
	struct incidents *inc = incidents_new(&pyenv311);
	struct report_incident *v;

	assert_non_null(inc);
	assert_int_equal(incidents_update(inc, NULL, 0, 1), 0);
	assert_int_equal(incidents_list(inc, &v), 0);
	incidents_free(inc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdlib_of),
		cmocka_unit_test(test_library_paths),
		cmocka_unit_test(test_head_application_frame),
		cmocka_unit_test(test_head_wholly_library),
		cmocka_unit_test(test_grouping_and_life),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_no_frames),
		cmocka_unit_test(test_no_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
