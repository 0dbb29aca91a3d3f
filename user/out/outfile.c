// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* outfile.c: see outfile.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include "outfile.h"

int outfile_open(const char *path, FILE **out)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "a");
	if (!f) {
		int err = -errno;

		close(fd);
		return err;
	}
	*out = f;
	return 0;
}

int outfile_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int outfile_emit(FILE *out, report_writer_fn w, const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (fflush(out) == EOF)
		return errno ? -errno : -EIO;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -errno;
	err = w(mem, r);
	if (fclose(mem) && !err)
		err = errno ? -errno : -ENOMEM;
	if (!err)
		err = outfile_write_all(fileno(out), buf, len);
	free(buf);
	return err;
}
