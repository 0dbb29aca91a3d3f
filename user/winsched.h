/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * winsched.h: which processes of a node may open a capture window now.
 * Each process keeps its own hourly budget (windows.h decides whether it
 * wants a window); the node bounds its own cost with a limit on windows
 * open at once (--max-concurrent-windows). When more processes want one
 * than the limit leaves room for, the one whose anonymous memory grew most
 * since its last window goes first: the likeliest leak is looked at first,
 * and a window just settled resets its process's growth to zero, so the
 * others get their turn.
 *
 * Pure logic: no I/O, tested with made-up candidates.
 */
#ifndef PYLEAK_WINSCHED_H
#define PYLEAK_WINSCHED_H

#include <stdbool.h>
#include <stdint.h>

struct winsched_cand {
	bool open;	/* a window of this process is running */
	bool wants;	/* idle, and its scheduler would open one now */
	int64_t growth; /* anonymous bytes grown since its last window */
	bool granted;	/* out: it may open one on its next step */
};

/* winsched_grant() - set c[i].granted for the n candidates: at most
 * max_open - (windows open) of those that want one, by growth, largest
 * first (ties: lower index first). Returns how many were granted. */
int winsched_grant(struct winsched_cand *c, int n, int max_open);

#endif /* PYLEAK_WINSCHED_H */
