/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * discovery.h: finding the CPython processes on the host (node-wide mode).
 *
 * A scan walks /proc and keeps each process that runs CPython, judged by
 * what it maps, not by its name: a libpython3.X shared object, or an
 * executable file named python3 / python3.X that defines _PyRuntime (a
 * statically linked interpreter). Files are opened as target.c opens them
 * (by path, under /proc/PID/root, or through /proc/PID/map_files), so
 * processes in other PID and mount namespaces count too. Kernel threads,
 * zombies and the scanning process itself are skipped.
 *
 * The verdict of each process is cached, keyed by pid, start time and the
 * executable's device and inode (an exec or a reused pid is a new key), so
 * a rescan every few seconds reads no ELF file for processes already seen;
 * "not CPython" verdicts expire after DISCOVERY_NEGATIVE_TTL_S seconds (a
 * program may load libpython later). Files are cached too (device, inode,
 * size, mtime): fifty processes of one executable read its ELF once. The
 * cache lives in this module (one scanner per process, not thread-safe);
 * entries of processes gone at a scan (or filtered out by it) are dropped
 * by that scan.
 */
#ifndef PYLEAK_DISCOVERY_H
#define PYLEAK_DISCOVERY_H

#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "identity.h"

#define DISCOVERY_PROCS_MAX 65536      /* /proc entries examined per scan */
#define DISCOVERY_CMDLINE_MAX 4096     /* bytes of /proc/PID/cmdline matched */
#define DISCOVERY_NEGATIVE_TTL_S 30    /* "not CPython" is re-checked after this */

/* Which processes a scan keeps. Zeroed (or discovery_filter_init() with
 * NULLs): every CPython process. */
struct discovery_filter {
	regex_t match, exclude;		  /* on the command line, NULs as spaces */
	bool has_match, has_exclude;
	char cgroup[IDENTITY_CGROUP_MAX]; /* "" any; else at or below this path */
};

/* discovery_filter_init() - compile the --match/--exclude regular
 * expressions (POSIX extended, NULL for none) and take the --cgroup path
 * (NULL or "" for any; must start with '/'). Returns 0, or -EINVAL with a
 * message naming the bad option in err. */
int discovery_filter_init(struct discovery_filter *f, const char *match, const char *exclude,
			  const char *cgroup, char *err, size_t errlen);
void discovery_filter_free(struct discovery_filter *f);

/* discovery_cmdline_text() - the raw bytes of /proc/PID/cmdline (n bytes,
 * arguments separated by NULs) as one line: NULs turned into spaces,
 * trailing ones dropped, cut to cap - 1 bytes. Returns its length. */
size_t discovery_cmdline_text(const char *raw, size_t n, char *out, size_t cap);

/* discovery_cmdline_passes() - does a command line (as
 * discovery_cmdline_text() makes it) pass f's --match and --exclude? */
bool discovery_cmdline_passes(const struct discovery_filter *f, const char *cmdline);

/* discovery_cgroup_within() - is cgroup path at or below prefix ("/a/b"
 * is within "/a" and "/a/", not within "/ab")? An empty prefix holds all. */
bool discovery_cgroup_within(const char *path, const char *prefix);

/* discovery_parse_stat() - from the text of /proc/PID/stat: the state
 * letter, flags (field 9) and start time (field 22, clock ticks after
 * boot). The comm field may hold spaces and parentheses. Returns 0 or
 * -EINVAL. */
int discovery_parse_stat(const char *text, char *state, unsigned long *flags,
			 uint64_t *start_time);

/* One CPython process found. */
struct discovered {
	pid_t pid;
	uint64_t start_time;	   /* field 22 of /proc/PID/stat: tells a reused pid apart */
	char comm[16];
	char exe[PATH_MAX];	   /* readlink of /proc/PID/exe ("" if unreadable) */
	char interp[PATH_MAX];	   /* the mapped interpreter file, as its maps name it */
	bool shared;		   /* interp is libpython (else a static executable) */
	char version[16];	   /* "3.11.7" when cheap to know, "3.11", or "" */
	struct proc_identity id;   /* cgroup path and container identity (no pod lookup) */
};

/* Counts of the last scan, for reports and tests. */
struct discovery_stats {
	unsigned procs;	     /* processes examined */
	unsigned python;     /* CPython ones passing the filter (= *nfound) */
	unsigned cache_hits; /* verdicts taken from the cache */
	unsigned maps_read;  /* /proc/PID/maps files read (cache misses) */
	unsigned elf_opened; /* ELF files opened (file-cache misses) */
	unsigned watched;    /* passed over: the caller said it watches them */
};

/* discovery_watched_fn - true when the caller already watches pid (started
 * at start_time): discovery_scan() then reads nothing more of it and does not
 * report it (a node rescans every 2 s; its watched processes are most of
 * the CPython ones, and their details are known). */
typedef bool (*discovery_watched_fn)(void *ctx, pid_t pid, uint64_t start_time);

/* discovery_scan() - scan /proc once. Fills out[0..min(max, *nfound)) in
 * pid order with the CPython processes that pass f (NULL: all) and that
 * watched (NULL: none) does not claim, and sets *nfound to how many there
 * were in all, so a caller with a limit can say how many it left out.
 * Returns 0 or -errno when /proc cannot be read. Processes that vanish
 * mid-scan are simply not found. */
int discovery_scan(const struct discovery_filter *f, discovery_watched_fn watched, void *ctx,
		   struct discovered *out, int max, int *nfound);

/* discovery_last_stats() - the counts of the last discovery_scan(). */
struct discovery_stats discovery_last_stats(void);

/* discovery_cache_clear() - drop every cached verdict (frees its memory). */
void discovery_cache_clear(void);

#endif /* PYLEAK_DISCOVERY_H */
