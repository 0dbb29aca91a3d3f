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

/* The temporary file as a stream that remembers the first write error:
 * stdio reports a failed write only as "error", and errno is long
 * overwritten by the time a writer checks ferror(). */
struct sink {
	int fd;
	int err; /* first errno of a failed write, 0 if none */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t len)
{
	struct sink *k = cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(k->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!k->err)
				k->err = n < 0 ? errno : ENOSPC;
			return done ? (ssize_t)done : -1;
		}
		done += n;
	}
	return done;
}

/* write_temp() - steps 1 and 2 of the contract into tmp (a mkstemp
 * template, filled in). Returns 0 or -errno; the temporary file is gone on
 * error. */
static int write_temp(char *tmp, atomic_file_fill_fn fill, void *ctx)
{
	cookie_io_functions_t io = { .write = sink_write };
	struct sink k = { .fd = -1 };
	int err;
	FILE *f;

	k.fd = mkostemp(tmp, O_CLOEXEC);
	if (k.fd < 0)
		return -errno;
	f = fopencookie(&k, "w", io);
	if (!f) {
		err = -errno;
		goto out;
	}
	err = fill(f, ctx);
	if (fflush(f) && !err)
		err = -EIO;
	if (ferror(f) && !err)
		err = -EIO;
	fclose(f); /* nothing left to write: flushed above */
	if (k.err) /* the real reason of a stream error (ENOSPC, EIO...) */
		err = -k.err;
	if (!err && fsync(k.fd))
		err = -errno;
	if (!err && fchmod(k.fd, 0644))
		err = -errno;
out:
	if (close(k.fd) && !err)
		err = -errno;
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
