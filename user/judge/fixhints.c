// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fixhints.c: see fixhints.h. */
#include <stdio.h>
#include <string.h>
#include "fixhints.h"

/* Least sampled allocations to trust a type mix, and the share that makes
 * "mostly". */
#define MIN_TYPE_SAMPLES 8
#define MOSTLY 0.5
/* Objects must be at least this share of the sampled bytes to say what
 * kind of objects a site keeps. */
#define MIN_OBJECT_SHARE 0.02

static bool is_container(const char *t)
{
	static const char *const c[] = { "dict", "list", "set", "frozenset",
					  "collections.deque", "collections.OrderedDict",
					  "collections.defaultdict", "collections.Counter" };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (t && !strcmp(t, c[i]))
			return true;
	return false;
}

/* share() - the sampled share of e's bytes whose type passes pred (or is not
 * an object, for pred NULL); -1 when too few were sampled to say. */
static double share(const struct fix_evidence *e, bool (*pred)(const char *))
{
	double s = 0;

	if (!e->types || e->types_sampled < MIN_TYPE_SAMPLES)
		return -1;
	for (int i = 0; i < e->ntypes; i++) {
		const char *t = e->types[i].name;
		bool raw = t && t[0] == '(';

		if (pred ? (!raw && pred(t)) : raw)
			s += e->types[i].share;
	}
	return s;
}

/* caller_symbol()/caller_module() - the parts of "symbol+0xoff (module)". */
static void caller_parts(const char *c, char *sym, size_t ls, char *mod, size_t lm)
{
	const char *plus, *open, *close;

	sym[0] = mod[0] = 0;
	if (!c)
		return;
	open = strrchr(c, '(');
	close = open ? strchr(open, ')') : NULL;
	if (open && close && close > open + 1)
		snprintf(mod, lm, "%.*s", (int)(close - open - 1), open + 1);
	plus = strchr(c, '+');
	if (plus && (!open || plus < open) && plus > c && strncmp(c, "0x", 2))
		snprintf(sym, ls, "%.*s", (int)(plus - c), c);
}

/* The interpreter's own code, and libc: their allocations are on behalf of
 * someone else, so they name no culprit module. */
static bool is_runtime_module(const char *m)
{
	return !strncmp(m, "libpython", 9) || !strncmp(m, "python", 6) ||
	       !strncmp(m, "libc.so", 7) || !strncmp(m, "libc-", 5) || !strncmp(m, "ld-linux", 8);
}

/* The dict, list and set growth paths of CPython 3.8-3.14. */
static bool is_container_growth(const char *sym)
{
	static const char *const g[] = { "new_keys_object", "dictresize", "insertdict",
					 "insert_to_emptydict", "_PyObject_InitializeDict",
					 "PyDict_New", "_PyDict_NewPresized", "new_dict",
					 "list_resize", "PyList_New", "_list_extend", "list_append",
					 "set_table_resize", "make_new_set", "PySet_New" };

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		if (!strcmp(sym, g[i]))
			return true;
	return false;
}

/* init_class() - if a frame of the stack runs X.__init__, X's name into buf. */
static bool init_class(const struct fix_evidence *e, char *buf, size_t len)
{
	for (int i = 0; i < e->nframes; i++) {
		const char *f = e->frames[i].func, *dot;
		size_t n;

		if (!f || strcmp(f + (strlen(f) >= 9 ? strlen(f) - 9 : 0), ".__init__"))
			continue;
		n = strlen(f) - 9;
		dot = f + n;
		while (dot > f && dot[-1] != '.')
			dot--; /* the class's own name, without enclosing scopes */
		snprintf(buf, len, "%.*s", (int)(f + n - dot), dot);
		return buf[0] != 0 && buf[0] != '<';
	}
	return false;
}

/* census_growing() - does the census rank type name as growing? */
static bool census_growing(const struct fix_evidence *e, const char *name)
{
	for (int i = 0; i < e->ncensus; i++) {
		const char *t = e->census[i].name, *dot;

		if (!t)
			continue;
		dot = strrchr(t, '.'); /* "module.Class" for heap types of some versions */
		if ((!strcmp(t, name) || (dot && !strcmp(dot + 1, name))) &&
		    (!strcmp(e->census[i].trend ? e->census[i].trend : "", "growing") ||
		     (e->census[i].delta > 0 && e->census[i].rate_per_min > 0)))
			return true;
	}
	return false;
}

enum fixhint_rule fixhint(const struct fix_evidence *e, char *buf, size_t len)
{
	const char *subj = e->subject ? e->subject : "site";
	char cls[128], sym[128], mod[256];
	double objects_raw;

	if (len)
		buf[0] = 0;
	if (!strcmp(subj, "fds")) {
		snprintf(buf, len, "files or sockets not closed: open them in a with block "
				   "(or close() them in finally)");
		return FIXHINT_FDS;
	}
	if (!strcmp(subj, "threads")) {
		snprintf(buf, len, "threads that never end: join them, or run the work on a "
				   "bounded pool (concurrent.futures.ThreadPoolExecutor)");
		return FIXHINT_THREADS;
	}
	if (e->gc_known && (!e->gc_enabled || e->uncollectable)) {
		snprintf(buf, len, "reference cycles: %s, or break the cycle with weakref",
			 e->gc_enabled ? "the collector finds uncollectable objects (see gc.garbage)"
				       : "re-enable the collector (gc.enable())");
		return FIXHINT_CYCLES;
	}
	if (!strcmp(subj, "process")) {
		snprintf(buf, len, "growth no Python line explains: native memory (C "
				   "extensions, ctypes) or allocations the windows did not "
				   "catch; see the first-touch hints");
		return FIXHINT_PROCESS;
	}
	if (init_class(e, cls, sizeof(cls)) && census_growing(e, cls)) {
		snprintf(buf, len, "instances of %s kept alive: look for registries, "
				   "listeners never removed, lru_cache on methods", cls);
		return FIXHINT_INSTANCES;
	}
	caller_parts(e->native_caller, sym, sizeof(sym), mod, sizeof(mod));
	objects_raw = share(e, NULL);
	/* a container's own storage (a list's item array, a dict's keys
	 * table) is a raw block beside it: judge by the share of the bytes
	 * that are objects */
	if ((objects_raw >= 0 && objects_raw < 1 - MIN_OBJECT_SHARE &&
	     share(e, is_container) >= MOSTLY * (1 - objects_raw)) ||
	    (sym[0] && is_container_growth(sym))) {
		snprintf(buf, len, "unbounded cache or registry: bound the container "
				   "(maxsize, TTL, weak references) or remove entries when done");
		return FIXHINT_CONTAINER;
	}
	if (mod[0] && !is_runtime_module(mod) && (objects_raw < 0 || objects_raw >= MOSTLY)) {
		snprintf(buf, len, "native allocation in %s: likely a C extension leak (or a "
				   "cache it keeps)", mod);
		return FIXHINT_NATIVE;
	}
	return FIXHINT_NONE;
}
