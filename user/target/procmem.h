/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procmem.h: reading (and, for the allocator switch only, writing) another
 * process's memory. Reads use process_vm_readv: no ptrace stop, and a read
 * of memory the target unmapped fails cleanly with -EFAULT instead of
 * faulting us. Every caller treats target memory as untrusted and racy.
 */
#ifndef PYLEAK_PROCMEM_H
#define PYLEAK_PROCMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* pm_read() - copy len bytes at addr in pid into buf. Returns 0, or -errno
 * (-EFAULT: unmapped or partial, -ESRCH: process gone, -EPERM). */
int pm_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* pm_read_u64()/pm_read_u32()/pm_read_s32(): fixed-size reads, same errors. */
int pm_read_u64(pid_t pid, uint64_t addr, uint64_t *out);
int pm_read_u32(pid_t pid, uint64_t addr, uint32_t *out);

/* pm_write() - write len bytes at addr in pid, through process_vm_writev and,
 * if the page is not writable that way, /proc/PID/mem. Returns 0 or -errno.
 * Only the allocator switch writes, with every thread of the target stopped. */
int pm_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

#endif /* PYLEAK_PROCMEM_H */
