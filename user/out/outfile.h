/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * outfile.h: where reports go (stdout or --output FILE), and how they get
 * there whole. Each report is rendered into memory first and then written
 * with one loop that resumes after EINTR and short writes: a signal (SIGUSR1
 * opens a window on demand) or a slow pipe can neither kill the profiler nor
 * leave half a JSON line. A report is written whole, or not at all when it
 * could not be rendered.
 */
#ifndef PYLEAK_OUTFILE_H
#define PYLEAK_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct report;

/* report_writer_fn - renders r onto f (out_text_write, out_json_write):
 * returns 0 or -errno. */
typedef int (*report_writer_fn)(FILE *f, const struct report *r);

/* outfile_open() - open path for appending reports, created 0644 if absent.
 * A symbolic link is refused (-ELOOP): root must not write where a link
 * planted by someone else points. Returns 0 with *out set, or -errno. */
int outfile_open(const char *path, FILE **out);

/* outfile_write_all() - write all len bytes of buf to fd, resuming after
 * EINTR, short writes and EAGAIN (a non-blocking descriptor: waits until it
 * is writable). Returns 0 or -errno; on an error part may have been written. */
int outfile_write_all(int fd, const void *buf, size_t len);

/* outfile_emit() - render r with w into memory, then write it to out's
 * descriptor in one piece (out's own buffer is flushed first, so anything
 * else written to out keeps its order). Nothing is written if w fails.
 * Returns 0 or -errno. */
int outfile_emit(FILE *out, report_writer_fn w, const struct report *r);

#endif /* PYLEAK_OUTFILE_H */
