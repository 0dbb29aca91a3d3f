/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procfile.h: reading a small /proc file whole, bounded. Discovery reads
 * hundreds of them each scan; the node and the service key read a
 * process's stat and cmdline. One reader for all of them.
 */
#ifndef PYLEAK_PROCFILE_H
#define PYLEAK_PROCFILE_H

#include <stddef.h>
#include <sys/types.h>

/* proc_read_small() - up to cap - 1 bytes (cap >= 2) of the /proc file
 * path, NUL-terminated in buf. procfs hands over all it has in one read
 * when the buffer is large enough, so a short read ends it (saving the
 * read that would return 0 on every one of hundreds of files a scan).
 * Returns the byte count, -errno when it cannot be opened, -EIO when a
 * read fails. */
ssize_t proc_read_small(const char *path, char *buf, size_t cap);

#endif /* PYLEAK_PROCFILE_H */
