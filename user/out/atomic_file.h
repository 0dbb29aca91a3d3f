/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * atomic_file.h: replace a file so that readers only ever see a whole old
 * version or a whole new one, for the file exports (Prometheus textfile,
 * pprof, folded stacks, HTML) that are rewritten after every report while
 * something else (node_exporter, a browser, a script) may read them.
 *
 * Contract of atomic_file_write():
 *   1. the content goes to a new temporary file in PATH's own directory
 *      (rename() is atomic only within one file system), named
 *      ".BASENAME.tmp.XXXXXX": hidden, and not ending in ".prom" so that
 *      node_exporter's textfile collector never reads a partial file;
 *   2. it is written in full, fflush'ed and fsync'ed, then chmod 0644
 *      (node_exporter runs unprivileged; mkstemp creates 0600);
 *   3. it is rename()d over PATH, and the directory fsync'ed so the rename
 *      survives a crash.
 * On any error the temporary file is removed and PATH is left exactly as it
 * was. A kill -9 at any point leaves PATH whole (old or new); at worst a
 * stray temporary file remains.
 *
 * Errors do not stop profiling: each distinct errno is logged once per
 * export (a full disk is not reported every interval), and a write that
 * succeeds again after failures says so once.
 */
#ifndef PYLEAK_ATOMIC_FILE_H
#define PYLEAK_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>

#define ATOMIC_FILE_MAX_LOGGED 16

struct atomic_file {
	const char *path;	/* the file replaced */
	const char *what;	/* names it in messages, e.g. "--prom-file" */
	int logged[ATOMIC_FILE_MAX_LOGGED]; /* errnos already logged */
	int nlogged;
	bool failing;		/* the last write failed */
	unsigned long writes, failures;
};

/* atomic_file_fill_fn - write the whole content to f. Returns 0 or -errno;
 * stream errors are also caught afterwards through ferror(). */
typedef int (*atomic_file_fill_fn)(FILE *f, void *ctx);

/* atomic_file_init() - an export of what to path. Both strings must outlive it. */
void atomic_file_init(struct atomic_file *af, const char *path, const char *what);

/* atomic_file_write() - replace af->path with what fill writes, per the
 * contract above. Returns 0 or -errno (already logged, once per errno). */
int atomic_file_write(struct atomic_file *af, atomic_file_fill_fn fill, void *ctx);

#endif /* PYLEAK_ATOMIC_FILE_H */
