/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * atomic_file.h: replace a file so that readers only ever see the previous
 * version or the new one in full. Exported files (--html and friends) are
 * read by other programs while we rewrite them every report: a browser
 * reload, node_exporter's textfile collector, a CI step copying the file.
 *
 * The recipe: a temporary file in the same directory (same filesystem, so
 * rename() is atomic; its name "PATH.tmp.XXXXXX" never ends in the target's
 * extension, so a collector globbing "*.prom" skips it), written in full,
 * fsync()ed, chmod 0644 (readers may be unprivileged users), then renamed
 * over PATH. On any error the temporary is removed and PATH is untouched.
 *
 * Errors do not stop profiling: each kind (the errno of the step that
 * failed) is logged once per struct atomic_file_errs, so a full disk does
 * not print a line every report, and a new kind of error still shows.
 */
#ifndef PYLEAK_ATOMIC_FILE_H
#define PYLEAK_ATOMIC_FILE_H

#include <stdio.h>

#define ATOMIC_FILE_ERR_KINDS 8

/* Which errors were already logged, per output file; zero-initialise. */
struct atomic_file_errs {
	int seen[ATOMIC_FILE_ERR_KINDS]; /* positive errnos logged so far */
	int nseen;
};

/* atomic_file_fill_fn - write the whole content to f; return 0 or -errno
 * (a failed fill aborts the replacement). */
typedef int (*atomic_file_fill_fn)(FILE *f, void *ctx);

/*
 * atomic_file_write() - replace path with what fill writes (see above).
 * once may be NULL (then every error is logged). Returns 0 or the -errno of
 * the first step that failed; on error path is left as it was.
 */
int atomic_file_write(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
		      struct atomic_file_errs *once);

#endif /* PYLEAK_ATOMIC_FILE_H */
