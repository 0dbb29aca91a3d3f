/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * privileges.h: which capabilities pyleak-bpf lacks, found by asking the
 * kernel (capget, and a uprobe perf event opened and closed at once), each
 * named with what needs it. Root with capabilities dropped (capsh --drop)
 * is checked like anyone else: uid 0 alone grants none of these.
 *
 * What the kernel asks (verified on 6.18, see README "Privileges"):
 *   CAP_BPF         load BPF programs and maps (or CAP_SYS_ADMIN)
 *   CAP_PERFMON     tracing programs (tp_btf), BPF helpers that read memory
 *                   (or CAP_SYS_ADMIN)
 *   CAP_SYS_ADMIN   uprobe perf events: the kernel's uprobe PMU accepts no
 *                   less (CAP_PERFMON is not enough); it also stands in for
 *                   the two above
 *   CAP_SYS_PTRACE  read the target's memory and /proc files, stop it for
 *                   the allocator switch
 *   CAP_DAC_READ_SEARCH  open the files the target runs from when our uid
 *                   cannot (a pyenv under /root; /proc/PID/map_files of
 *                   another uid's process): needed only then, so not checked
 *                   up front; the error that needs it names it
 */
#ifndef PYLEAK_PRIVILEGES_H
#define PYLEAK_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>

/* privileges_missing() - "" when every capability above is there, else one
 * sentence naming each missing one and what needs it, in msg. Returns the
 * number missing. */
int privileges_missing(char *msg, size_t len);

/* privileges_have() - is capability cap (CAP_*) in our effective set? */
bool privileges_have(int cap);

/* privileges_uprobes_allowed() - does the kernel let us open a uprobe perf
 * event? (a probe on offset 0 of /proc/self/exe, not in executable memory,
 * so nothing is inserted; closed at once). True unless it says EPERM or
 * EACCES. */
bool privileges_uprobes_allowed(void);

#endif /* PYLEAK_PRIVILEGES_H */
