/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exports.h: the file exports (--prom-file, --pprof, --folded, --html), each
 * rewritten atomically (atomic_file.h) from the report model after every
 * report, the final one included. A failing export is logged once per
 * error and never stops profiling. --listen serves the --prom-file
 * exposition over HTTP (http_metrics.h): rendered here, after each report,
 * into the server's memory.
 */
#ifndef PYLEAK_EXPORTS_H
#define PYLEAK_EXPORTS_H

#include <stdbool.h>

#include "atomic_file.h"
#include "options.h"
#include "report.h"

struct http_metrics;

struct exports {
	struct atomic_file prom, pprof, folded, html;
	struct http_metrics *http; /* --listen, NULL = off */
	bool prom_on, pprof_on, folded_on, html_on;
	int prom_top;
};

/* exports_init() - the exports o asks for (o must outlive x). */
void exports_init(struct exports *x, const struct options *o);

/* exports_write() - rewrite every export from r. Returns how many failed. */
int exports_write(struct exports *x, const struct report *r);

/*
 * exports_listen() - start --listen's server if o asks for it (/healthz goes
 * stale after a few report intervals without exports_beat()). Returns 0, or
 * -errno after logging an error naming the address.
 */
int exports_listen(struct exports *x, const struct options *o);

/* exports_beat() - the main loop ran (each tick): /healthz stays 200. */
void exports_beat(struct exports *x);

/* exports_forget() - process pid is gone (node mode): its series leave
 * the exports from the next write on. */
void exports_forget(struct exports *x, int pid);

/* exports_close() - stop the server (the files need nothing). */
void exports_close(struct exports *x);

#endif /* PYLEAK_EXPORTS_H */
