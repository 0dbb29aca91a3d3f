/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tstates.h: the target's Python thread states, found from userspace for
 * the BPF unwinder.
 *
 * To unwind an allocating thread, BPF needs that thread's PyThreadState. It
 * tries its cache (keyed by the thread's FS base, which is the state's
 * thread_id), the GIL holder (<= 3.11), then the newest PYLEAK_MAX_THREADS
 * states of the interpreter's list, which is kept newest first. A process
 * with more threads than that (a server's idle pool) would lose the Python
 * stacks of its oldest threads, the main thread first. So userspace walks
 * the whole list, bounded by PYLEAK_MAX_TSTATES, from the profiler's
 * refresh loop, and writes every (thread_id -> state) into the cache: a
 * thread is missed only if it is beyond the newest PYLEAK_MAX_THREADS and
 * was created since the last refresh. Each miss is still counted
 * (no_tstate). BPF re-validates every cached state before use, so a stale
 * entry is never used for another thread.
 *
 * This module only reads the target's memory; the collector writes the
 * maps (collect_tstates_apply(), growth_tstates_apply()) from the changes.
 */
#ifndef PYLEAK_TSTATES_H
#define PYLEAK_TSTATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyleak.h"

struct tstate_entry {
	uint64_t thread_id; /* PyThreadState.thread_id: pthread_self() == FS base */
	uint64_t tstate;    /* the PyThreadState's address */
};

/* tstates_read_fn - read len bytes of the target at addr into buf; 0 or
 * -errno. */
typedef int (*tstates_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* tstates_pm_read() - a tstates_read_fn over pm_read(); ctx points to the
 * pid_t. */
int tstates_pm_read(void *ctx, uint64_t addr, void *buf, size_t len);

/* tstates_walk() - the main interpreter's thread states, as p describes its
 * layout, into out[0..max) in list order (newest first). Stops at the end of
 * the list, at max entries, or at a read that fails (the list changed under
 * us: what was read so far is returned). States with a zero thread_id (not
 * yet started) are skipped. Returns the number stored, or -errno when not
 * even the list's head could be read. */
int tstates_walk(const struct pyleak_proc *p, tstates_read_fn rd, void *ctx,
		 struct tstate_entry *out, size_t max);

/* The last two walks, each sorted by thread_id without duplicates. */
struct tstates {
	struct tstate_entry *cur, *prev;
	size_t ncur, nprev;
};

/* tstates_refresh() - walk again (up to PYLEAK_MAX_TSTATES); the previous
 * walk becomes prev. Returns 0 or -errno (then cur and prev are unchanged). */
int tstates_refresh(struct tstates *ts, const struct pyleak_proc *p, tstates_read_fn rd,
		    void *ctx);

/* tstates_change_fn - one change between prev and cur: e is new or has a
 * new state (gone false), or its thread is no longer listed (gone true).
 * Non-zero stops the iteration and is returned. */
typedef int (*tstates_change_fn)(void *ctx, const struct tstate_entry *e, bool gone);

/* tstates_changes() - call fn for every change from prev to cur; with all,
 * for every entry of cur instead (a map that has none of them yet). */
int tstates_changes(const struct tstates *ts, bool all, tstates_change_fn fn, void *ctx);

void tstates_free(struct tstates *ts); /* safe on a zeroed struct */

#endif /* PYLEAK_TSTATES_H */
