// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procfile.c: see procfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "procfile.h"

ssize_t proc_read_small(const char *path, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < cap - 1 && (r = read(fd, buf + got, cap - 1 - got)) > 0) {
		got += r;
		if ((size_t)r < cap - 1 - (got - r))
			break;
	}
	close(fd);
	buf[got] = 0;
	return r < 0 ? -EIO : (ssize_t)got;
}
