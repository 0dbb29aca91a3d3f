// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* switchlock.c: see switchlock.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "discovery.h"
#include "switchlock.h"

/* lock_addr() - the abstract socket address of pid's lock. Returns its
 * length, or -errno if pid's start time cannot be read. */
static int lock_addr(pid_t pid, struct sockaddr_un *sa)
{
	char path[64], text[1024], state;
	unsigned long flags;
	uint64_t start;
	FILE *f;
	size_t n;
	int len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	if (discovery_parse_stat(text, &state, &flags, &start))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] == 0: the abstract namespace; the name is not
	 * NUL-terminated, its length is the address length */
	len = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
		       "pyleak-bpf/switch/%d/%" PRIu64, (int)pid, start);
	return (int)offsetof(struct sockaddr_un, sun_path) + 1 + len;
}

pid_t switchlock_holder(pid_t pid)
{
	struct sockaddr_un sa;
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	int len = lock_addr(pid, &sa), fd;

	if (len < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	/* the holder listens: the connection is queued, never accepted, and
	 * the peer credentials are the listener's */
	if (connect(fd, (struct sockaddr *)&sa, len) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		cred.pid = 0;
	close(fd);
	return cred.pid;
}

int switchlock_take(pid_t pid, pid_t *holder)
{
	struct sockaddr_un sa;
	int len = lock_addr(pid, &sa), fd, err;

	*holder = 0;
	if (len < 0)
		return len;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 1)) {
		err = errno == EADDRINUSE ? -EBUSY : -errno;
		close(fd);
		if (err == -EBUSY)
			*holder = switchlock_holder(pid);
		return err;
	}
	return fd;
}
