/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exports.h: the file exports (--prom-file, --pprof, --folded, --html), each
 * rewritten atomically (atomic_file.h) from the report model after every
 * report, the final one included. A failing export is logged once per
 * error and never stops profiling.
 */
#ifndef PYLEAK_EXPORTS_H
#define PYLEAK_EXPORTS_H

#include <stdbool.h>

#include "atomic_file.h"
#include "options.h"
#include "report.h"

struct exports {
	struct atomic_file prom, pprof, folded, html;
	bool prom_on, pprof_on, folded_on, html_on;
	int prom_top;
};

/* exports_init() - the exports o asks for (o must outlive x). */
void exports_init(struct exports *x, const struct options *o);

/* exports_write() - rewrite every export from r. Returns how many failed. */
int exports_write(struct exports *x, const struct report *r);

#endif /* PYLEAK_EXPORTS_H */
