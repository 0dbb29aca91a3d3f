/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * incidents.h: one leak, one incident. A leak that allocates in several
 * places below one application line (a registry kept by a standard-library
 * module, a dict and the ints it keeps as keys) raises one site alert per
 * allocating stack; each is true, but a person and Alertmanager need one
 * page per leak with the line to fix at its head.
 *
 * The head of a stack is its innermost application frame: the innermost
 * frame that is not library code (the interpreter's standard library,
 * "<frozen ...>" modules, site-/dist-packages). A stack that is library code
 * all the way out is headed by its outermost library frame that is not an
 * interpreter entry frame (runpy, threading's bootstrap, the frozen import
 * machinery): the library call the process made. Active site alerts with the
 * same head form one incident.
 *
 * The incident's id is site_id_of() of its head frame alone, so it is stable
 * for as long as any member is active, across reports and runs, and equals
 * the row id that --group-by line gives the head line. An incident is raised
 * when its first member alert is, and resolves when its last member resolves.
 *
 * Pure: fed the active site alerts after each ranking, knows nothing of BPF
 * or of the site store, so tests drive it with synthetic stacks.
 */
#ifndef PYLEAK_INCIDENTS_H
#define PYLEAK_INCIDENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "report.h"
#include "sites.h"

/* Standard-library directories of the target, as the target sees them. */
#define INCIDENT_MAX_STDLIB 4

/* What library code looks like in this target. */
struct incident_paths {
	/* e.g. "/usr/lib/python3.11": a frame whose file is below one of
	 * these is standard library (site-packages below them is too) */
	const char *stdlib[INCIDENT_MAX_STDLIB];
	int nstdlib;
	/* the target's version; any ".../lib/pythonMAJOR.MINOR/" directory is
	 * standard library too (a chroot's or a venv's base). 0: any 3.x */
	int py_major, py_minor;
};

/* incident_stdlib_of() - the standard-library directory next to the
 * interpreter's file interp (the executable or libpython, as the target sees
 * it): PREFIX/lib/pythonMAJOR.MINOR for PREFIX/bin/python3, PREFIX/lib/
 * libpython3.so and Debian's PREFIX/lib/<multiarch>/libpython3.so. Writes
 * it to buf; returns 0, or -ENOENT when interp has no such shape. */
int incident_stdlib_of(const char *interp, int major, int minor, char *buf, size_t len);

/* incident_frame_is_library() - is file library code (see above)? A NULL or
 * empty file is not: nothing says it is, and it may be the only frame. */
bool incident_frame_is_library(const struct incident_paths *p, const char *file);

/* incident_head() - index of the head frame of frames[n] (innermost first),
 * and whether the whole stack is library code; -1 when n <= 0. */
int incident_head(const struct incident_paths *p, const struct report_frame *frames, int n,
		  bool *in_library);

struct incidents;

/* incidents_head() - incident_head() with inc's paths (for --group-by
 * head); 0 when n <= 0. */
int incidents_head(const struct incidents *inc, const struct report_frame *frames, int n);

/* incidents_new() - an empty store for a target whose library code looks
 * like *p (the strings are copied); NULL on ENOMEM. */
struct incidents *incidents_new(const struct incident_paths *p);
void incidents_free(struct incidents *inc);

/* incidents_update() - the active site alerts now (m[n]) at now_s seconds
 * since attach: group them, raise the incidents that are new, resolve those
 * whose members are all gone. Returns 0 or -ENOMEM (the incidents are then
 * incomplete until an update succeeds). */
int incidents_update(struct incidents *inc, const struct site_alert *m, int n,
		     double now_s);

/* incidents_list() - the incidents of the last update: the active ones,
 * biggest rate first, then those resolved by it. Owned by the store until
 * the next update; the caller may set their hint. Returns how many. */
int incidents_list(struct incidents *inc, struct report_incident **v);

/* incidents_of() - the incident site_id belongs to (active, or resolved by
 * the last update), 0 if none. */
uint64_t incidents_of(const struct incidents *inc, uint64_t site_id);

/* incidents_raised() - incidents raised since the store was made. */
uint64_t incidents_raised(const struct incidents *inc);

/* incidents_active() - incidents active now. */
uint32_t incidents_active(const struct incidents *inc);

#endif /* PYLEAK_INCIDENTS_H */
