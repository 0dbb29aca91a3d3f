/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_fixhints.c: unit tests for user/judge/fixhints.c, one fix hint per alert
 * chosen from measured evidence. Each rule on synthetic evidence shaped like
 * what a report holds, its precedence, and the cases where the evidence is
 * too thin for any hint (which must give none, not a guess).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixhints.h"
#include "report.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct report_frame listener[] = {
	{ "/srv/app.py", "Listener.__init__", 33 },
	{ "/srv/app.py", "subscribe", 40 },
};
static const struct report_frame plain[] = { { "/srv/app.py", "handle", 12 } };

static enum fixhint_rule hint(const struct fix_evidence *e, char *buf)
{
	return fixhint(e, buf, 192);
}

static void test_counted_resources(void **state)
{
	char b[192];
	struct fix_evidence e = { .subject = "fds" };

	assert_int_equal(hint(&e, b), FIXHINT_FDS);
	assert_non_null(strstr(b, "with"));
	e.subject = "threads";
	assert_int_equal(hint(&e, b), FIXHINT_THREADS);
	assert_non_null(strstr(b, "join"));
}

static void test_cycles(void **state)
{
	char b[192];
	struct fix_evidence e = { .subject = "site", .frames = plain, .nframes = 1,
				  .gc_known = true, .gc_enabled = false };

	assert_int_equal(hint(&e, b), FIXHINT_CYCLES);
	assert_non_null(strstr(b, "gc.enable()"));
	e.gc_enabled = true;
	e.uncollectable = 3;
	assert_int_equal(hint(&e, b), FIXHINT_CYCLES);
	assert_non_null(strstr(b, "gc.garbage"));
	/* the collector healthy: no cycle hint */
	e.uncollectable = 0;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	assert_string_equal(b, "");
	/* unknown collector state says nothing either */
	e.gc_known = false;
	e.gc_enabled = false;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
}

static void test_instances(void **state)
{
	char b[192];
	const struct report_type census[] = {
		{ "dict", 900, 10, 50, "flat", 0.3 },
		{ "Listener", 400, 120, 600, "growing", 0.001 },
	};
	const struct report_type census_flat[] = { { "Listener", 400, 0, 0, "flat", 0.9 } };
	const struct report_type census_mod[] = { { "app.Listener", 400, 50, 20, "unknown", -1 } };
	struct fix_evidence e = { .subject = "site", .frames = listener, .nframes = N(listener),
				  .census = census, .ncensus = N(census), .gc_known = true,
				  .gc_enabled = true };

	assert_int_equal(hint(&e, b), FIXHINT_INSTANCES);
	assert_non_null(strstr(b, "instances of Listener"));
	/* the class is not growing in the census: no instance hint */
	e.census = census_flat;
	e.ncensus = 1;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* a module-qualified type name, growing by its deltas */
	e.census = census_mod;
	assert_int_equal(hint(&e, b), FIXHINT_INSTANCES);
	/* not in __init__: no instance hint even though Listener grows */
	e.frames = plain;
	e.nframes = 1;
	e.census = census;
	e.ncensus = N(census);
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* no census at all */
	e.frames = listener;
	e.nframes = N(listener);
	e.census = NULL;
	e.ncensus = 0;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
}

static void test_container(void **state)
{
	char b[192];
	const struct report_type_share dicts[] = { { "dict", 0.37 }, { "list", 0.2 },
						   { "(not an object)", 0.43 } };
	const struct report_type_share strs[] = { { "str", 0.9 }, { "dict", 0.1 } };
	struct fix_evidence e = { .subject = "site", .frames = plain, .nframes = 1,
				  .types = dicts, .ntypes = N(dicts), .types_sampled = 64 };

	assert_int_equal(hint(&e, b), FIXHINT_CONTAINER);
	assert_non_null(strstr(b, "unbounded cache or registry"));
	/* a list's item arrays are raw blocks: the objects are lists */
	const struct report_type_share lists[] = { { "(not an object)", 0.87 }, { "list", 0.13 } };
	e.types = lists;
	e.ntypes = N(lists);
	assert_int_equal(hint(&e, b), FIXHINT_CONTAINER);
	/* only raw blocks: nothing says containers */
	const struct report_type_share raw[] = { { "(not an object)", 1.0 } };
	e.types = raw;
	e.ntypes = 1;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	e.types = dicts;
	e.ntypes = N(dicts);
	/* too few samples to trust the mix */
	e.types_sampled = 3;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* mostly strings */
	e.types = strs;
	e.ntypes = N(strs);
	e.types_sampled = 64;
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* growth mode: no types, but the dict growth code allocated it */
	e.types = NULL;
	e.ntypes = 0;
	e.types_sampled = 0;
	e.native_caller = "_PyObject_InitializeDict+0x9e (libpython3.11.so.1.0)";
	assert_int_equal(hint(&e, b), FIXHINT_CONTAINER);
	e.native_caller = "list_resize+0x50 (python3.11)";
	assert_int_equal(hint(&e, b), FIXHINT_CONTAINER);
	/* an object allocator of the interpreter names no culprit */
	e.native_caller = "PyUnicode_New+0x73 (libpython3.11.so.1.0)";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* a stripped build: only an address */
	e.native_caller = "0x16e0ba (python3.11)";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
}

static void test_native(void **state)
{
	char b[192];
	const struct report_type_share raw[] = { { "(not an object)", 1.0 } };
	const struct report_type_share objs[] = { { "bytes", 0.8 }, { "(not an object)", 0.2 } };
	struct fix_evidence e = {
		.subject = "site", .frames = plain, .nframes = 1,
		.native_caller = "ffi_call_unix64+0x4c (libffi.so.8)",
	};

	assert_int_equal(hint(&e, b), FIXHINT_NATIVE);
	assert_non_null(strstr(b, "native allocation in libffi.so.8"));
	e.types = raw;
	e.ntypes = 1;
	e.types_sampled = 64;
	assert_int_equal(hint(&e, b), FIXHINT_NATIVE);
	/* the sampled bytes are Python objects: not a native leak */
	e.types = objs;
	e.ntypes = N(objs);
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* the interpreter and libc are not culprits */
	e.types = NULL;
	e.types_sampled = 0;
	e.native_caller = "strdup+0x1a (libc.so.6)";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	e.native_caller = "_PyMem_RawMalloc+0x1 (python3.11)";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	/* malformed caller strings */
	e.native_caller = "no module";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
	e.native_caller = "x+0x1 ()";
	assert_int_equal(hint(&e, b), FIXHINT_NONE);
}

static void test_process_and_precedence(void **state)
{
	char b[192];
	const struct report_type census[] = { { "Listener", 400, 120, 600, "growing", 0.001 } };
	struct fix_evidence e = { .subject = "process", .gc_known = true, .gc_enabled = true };

	assert_int_equal(hint(&e, b), FIXHINT_PROCESS);
	assert_non_null(strstr(b, "first-touch"));
	/* a disabled collector explains more than "native" */
	e.gc_enabled = false;
	assert_int_equal(hint(&e, b), FIXHINT_CYCLES);
	/* instances beat the container rule for the same site */
	e = (struct fix_evidence){ .subject = "site", .frames = listener, .nframes = 2,
				   .census = census, .ncensus = 1, .gc_known = true,
				   .gc_enabled = true,
				   .native_caller = "new_keys_object+0x1 (libpython3.11.so.1.0)" };
	assert_int_equal(hint(&e, b), FIXHINT_INSTANCES);
	/* a tiny buffer is cut, never overrun */
	assert_int_equal(fixhint(&e, b, 8), FIXHINT_INSTANCES);
	assert_int_equal(strlen(b), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counted_resources),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_process_and_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
