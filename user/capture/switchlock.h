/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * switchlock.h: one pyleak-bpf at a time may own a target's allocator
 * switch. Two sessions switching the same process would each read the
 * other's switch as "left by a killed run", adopt it and restore it under
 * the other's feet (or fail their own restore and exit 11).
 *
 * The lock is a listening abstract Unix socket named after the target's pid
 * and start time (a reused pid is another target): binding it is taking it,
 * the kernel frees it when its holder ends however it ends (SIGKILL
 * included, so a killed run's switch can still be adopted), it needs no
 * writable directory nor any privilege, and SO_PEERCRED names the holder.
 * Abstract names are per network namespace: sessions in different network
 * namespaces do not see each other's locks.
 */
#ifndef PYLEAK_SWITCHLOCK_H
#define PYLEAK_SWITCHLOCK_H

#include <sys/types.h>

/* switchlock_take() - take the switch lock of pid. Returns a descriptor
 * (close-on-exec; closing it releases the lock), -EBUSY with *holder set to
 * the holding process's pid (0 if it could not be told), or -errno (e.g.
 * -ESRCH: no such pid). */
int switchlock_take(pid_t pid, pid_t *holder);

/* switchlock_holder() - the pid of the process holding pid's switch lock,
 * 0 if none (nor if it cannot be told). Takes nothing. */
pid_t switchlock_holder(pid_t pid);

#endif /* PYLEAK_SWITCHLOCK_H */
