// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* atomic_file.c: see atomic_file.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "log.h"

void atomic_file_init(struct atomic_file *af, const char *path, const char *what)
{
	*af = (struct atomic_file){ .path = path, .what = what };
}

/* split() - PATH's directory and base name into dir and base (copies: the
 * libgen functions may modify their argument). */
static int split(const char *path, char *dir, char *base)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp) || !*path)
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	strcpy(dir, dirname(tmp));
	strcpy(tmp, path);
	strcpy(base, basename(tmp));
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EISDIR;
	return 0;
}

/* sync_dir() - make a rename in dir durable. Failure only costs durability
 * after a crash, not atomicity: not an error of the write. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* write_temp() - steps 1 and 2 of the contract into tmp (a mkstemp
 * template, filled in). Returns 0 or -errno; the temporary file is gone on
 * error. */
static int write_temp(char *tmp, atomic_file_fill_fn fill, void *ctx)
{
	int fd, err;
	FILE *f;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = fill(f, ctx);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (!err && fchmod(fileno(f), 0644))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
out:
	if (err)
		unlink(tmp);
	return err;
}

/* note_error() - log err for this export unless it was logged before. */
static void note_error(struct atomic_file *af, int err)
{
	af->failing = true;
	af->failures++;
	for (int i = 0; i < af->nlogged; i++)
		if (af->logged[i] == err)
			return;
	if (af->nlogged == ATOMIC_FILE_MAX_LOGGED)
		return;
	af->logged[af->nlogged++] = err;
	log_warn("%s %s: cannot write: %s (profiling goes on; the previous file is kept; "
		 "this error is not repeated)", af->what, af->path, strerror(-err));
}

int atomic_file_write(struct atomic_file *af, atomic_file_fill_fn fill, void *ctx)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 32];
	int err;

	err = split(af->path, dir, base);
	if (!err && snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", dir, base) >= (int)sizeof(tmp))
		err = -ENAMETOOLONG;
	if (!err)
		err = write_temp(tmp, fill, ctx);
	if (!err && rename(tmp, af->path)) {
		err = -errno;
		unlink(tmp);
	}
	if (err) {
		note_error(af, err);
		return err;
	}
	sync_dir(dir);
	af->writes++;
	if (af->failing) {
		af->failing = false;
		log_info("%s %s: written again", af->what, af->path);
	}
	return 0;
}
