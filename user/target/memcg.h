/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memcg.h: a process's memory cgroup, read from its files: the limit
 * (memory.max on cgroup v2, memory.limit_in_bytes on v1) and the count of
 * OOM kills in it (memory.events or memory.oom_control, "oom_kill N").
 * Evidence at OOM uses it (oomwatch.h): the limit that was hit, and, when
 * the kernel tracepoint cannot be attached, the count read at attach and at
 * exit. The directory is found at attach, while /proc/PID/cgroup exists.
 * Paths and text come from the kernel but name cgroups anyone may create:
 * every read is bounded and parsed strictly.
 */
#ifndef PYLEAK_MEMCG_H
#define PYLEAK_MEMCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEMCG_PATH_MAX 1024
#define MEMCG_UNLIMITED UINT64_MAX

struct memcg {
	char dir[MEMCG_PATH_MAX]; /* the cgroup's directory in a mounted hierarchy */
	char path[MEMCG_PATH_MAX]; /* its path as /proc/PID/cgroup gives it */
	bool v2;		   /* cgroup v2 (memory.max, memory.events) */
};

/* memcg_parse_cgroup() - from the text of /proc/PID/cgroup, the memory
 * controller's cgroup path into path (cap bytes): the v1 line whose
 * controller list has "memory", else the v2 line ("0::"). *v2 says which.
 * Returns 0, -ENOENT (no such line) or -ENAMETOOLONG. */
int memcg_parse_cgroup(const char *text, char *path, size_t cap, bool *v2);

/* memcg_parse_mountinfo() - from the text of /proc/self/mountinfo, the
 * directory of cgroup path (as memcg_parse_cgroup() gave it) in the
 * hierarchy that holds the memory controller: a "cgroup" mount with the
 * memory option (v1), or a "cgroup2" mount (v2). The mount's root is
 * taken off path when path lies under it (a container's view). Returns 0,
 * -ENOENT (not mounted) or -ENAMETOOLONG. */
int memcg_parse_mountinfo(const char *text, const char *path, bool v2, char *dir, size_t cap);

/* memcg_parse_limit() - memory.max ("max" or bytes) or
 * memory.limit_in_bytes (bytes; v1 says "unlimited" with a page-rounded
 * LONG_MAX) into *bytes, MEMCG_UNLIMITED for none. Returns 0 or -EINVAL. */
int memcg_parse_limit(const char *text, uint64_t *bytes);

/* memcg_parse_key() - the value of "key N" lines (memory.events,
 * memory.oom_control, memory.stat). Returns 0, -ENOENT or -EINVAL. */
int memcg_parse_key(const char *text, const char *key, uint64_t *val);

/* memcg_open() - find pid's memory cgroup directory. Returns 0, -ESRCH
 * (gone), -ENOENT (no memory controller mounted here) or -errno. */
int memcg_open(pid_t pid, struct memcg *m);

/* memcg_read() - the cgroup's limit (MEMCG_UNLIMITED for none) and OOM
 * kills so far; either pointer may be NULL. Each is read on its own and
 * left as it was when its file cannot be read (the root cgroup has no
 * limit file). Returns 0 or the first -errno (the cgroup was removed,
 * ...). */
int memcg_read(const struct memcg *m, uint64_t *limit, uint64_t *oom_kills);

#endif /* PYLEAK_MEMCG_H */
