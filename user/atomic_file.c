// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* atomic_file.c: see atomic_file.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic_file.h"
#include "log.h"

/* first_time() - true if err (positive) was not yet logged in once, and
 * remember it. When the table is full every further kind counts as logged:
 * eight different failures on one file are enough to act on. */
static bool first_time(struct atomic_file_errs *once, int err)
{
	if (!once)
		return true;
	for (int i = 0; i < once->nseen; i++)
		if (once->seen[i] == err)
			return false;
	if (once->nseen >= ATOMIC_FILE_ERR_KINDS)
		return false;
	once->seen[once->nseen++] = err;
	return true;
}

int atomic_file_write(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
		      struct atomic_file_errs *once)
{
	const char *step = "create a temporary file for";
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, err;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto fail;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL; /* nothing to remove */
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		goto fail;
	}
	fd = -1; /* f owns it now */
	step = "write";
	errno = 0;
	err = fill(f, ctx);
	if (!err && (fflush(f) == EOF || ferror(f)))
		err = errno ? -errno : -EIO;
	if (err)
		goto fail;
	step = "sync";
	if (fsync(fileno(f))) {
		err = -errno;
		goto fail;
	}
	/* mkostemp() made it 0600 */
	step = "set the mode of";
	if (fchmod(fileno(f), 0644)) {
		err = -errno;
		goto fail;
	}
	step = "close";
	err = fclose(f) ? -errno : 0;
	f = NULL;
	if (err)
		goto fail;
	step = "rename the new version over";
	if (rename(tmp, path)) {
		err = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (first_time(once, -err))
		log_warn("cannot %s %s: %s (the previous version, if any, is left as it was; "
			 "profiling goes on)", step, path, strerror(-err));
	return err;
}
