/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fixhints.h: a short fix hint per alert, chosen from what was measured,
 * never guessed: the code-review checklist for leaks applied to the
 * evidence the report already holds. No rule matches -> no hint.
 *
 * Rules, first match wins:
 *  - fds growing (fd_leak)            -> files or sockets not closed
 *  - threads growing (thread_leak)    -> threads never end
 *  - the collector disabled, or it found uncollectable objects
 *                                     -> reference cycles
 *  - the stack allocates in X.__init__ and the census shows X's instances
 *    growing                          -> instances of X kept alive
 *  - the sampled live objects of the site are mostly dicts/lists/sets by
 *    bytes (their raw storage beside them), or its native caller is the
 *    dict/list/set growth code
 *                                     -> unbounded cache or registry
 *  - the native caller is in a module that is neither the interpreter nor
 *    libc, and the sampled bytes (if any) are not Python objects
 *                                     -> native allocation in that module
 *  - the process alert (growth no site explains) -> native memory
 */
#ifndef PYLEAK_FIXHINTS_H
#define PYLEAK_FIXHINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report.h"

/* What is known about one alert's subject. NULL/0 fields are unknown. */
struct fix_evidence {
	const char *subject;			/* report_alert.subject */
	const struct report_frame *frames;	/* the site's stack, innermost first */
	int nframes;
	const char *native_caller;		/* "symbol+0xoff (module)" */
	const struct report_type_share *types;	/* the site's sampled live bytes by type */
	int ntypes;
	uint32_t types_sampled;
	bool gc_known, gc_enabled;
	uint64_t uncollectable;			/* found since attach */
	const struct report_type *census;	/* types by growth (objtypes_rank) */
	int ncensus;
};

enum fixhint_rule {
	FIXHINT_NONE = 0,
	FIXHINT_FDS,
	FIXHINT_THREADS,
	FIXHINT_CYCLES,
	FIXHINT_INSTANCES,
	FIXHINT_CONTAINER,
	FIXHINT_NATIVE,
	FIXHINT_PROCESS,
};

/* fixhint() - the hint for e into buf (NUL-terminated, cut to len), and
 * which rule gave it; FIXHINT_NONE (buf "") when nothing measured supports
 * one. */
enum fixhint_rule fixhint(const struct fix_evidence *e, char *buf, size_t len);

#endif /* PYLEAK_FIXHINTS_H */
