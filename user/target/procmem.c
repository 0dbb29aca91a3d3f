// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procmem.c: see procmem.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
#include "procmem.h"

int pm_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int pm_read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
	return pm_read(pid, addr, out, sizeof(*out));
}

int pm_read_u32(pid_t pid, uint64_t addr, uint32_t *out)
{
	return pm_read(pid, addr, out, sizeof(*out));
}

int pm_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	char path[64];
	ssize_t n;
	int fd, err;

	n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0 || (errno != EFAULT && errno != EPERM))
		return n < 0 ? -errno : -EFAULT;
	/* process_vm_writev honours page protections; /proc/PID/mem writes
	 * through them like a debugger does (needs ptrace access). */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, (off_t)addr);
	err = n < 0 ? -errno : ((size_t)n == len ? 0 : -EFAULT);
	close(fd);
	return err;
}
