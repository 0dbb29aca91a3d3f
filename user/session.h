/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * session.h: one watched process, from attach (or launch) to a clean exit:
 * attach, the report loop, capture windows, judgement, exec following,
 * detach. Everything the process's profiling holds lives in session.c's
 * struct session; main.c only parses options, checks the environment and
 * forwards signals here.
 */
#ifndef PYLEAK_SESSION_H
#define PYLEAK_SESSION_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "options.h"

/* session_main() - profile the target o names (--pid, or -- COMMAND) until
 * --duration, a stop signal, or its exit; follow its execs. Returns the
 * process exit status (options.h EXIT_*, or the command's own status in run
 * mode). */
int session_main(const struct options *o);

/* session_signal_stop() - a stop request (SIGINT, SIGTERM, ...): the loop
 * ends, the final report is written, the target is left as it was.
 * Async-signal-safe. */
void session_signal_stop(int sig);

/* session_signal_window() - open a capture window now (SIGUSR1), whatever
 * the budget. Async-signal-safe. */
void session_signal_window(void);

/*
 * Driving sessions from one event loop (node mode, node.c). A node's
 * session never blocks: session_step() does what one pass of the report
 * loop does (refresh, windows, census, a report when due) and returns at
 * once; the node waits on every session's descriptors (session_pollfds())
 * instead. An exec is followed within the session (the old program's last
 * report, then attach again once the new program maps an interpreter).
 */
/* First-touch hints the growth object holds (a node's: over all processes). */
#define SESSION_MAX_HINTS 16384

struct session;
struct exports;
struct growth_watch;
struct report_node;
struct report;

/* What a node shares with its sessions; it outlives them all. */
struct oomwatch;

struct session_shared {
	struct growth_watch *gw;	 /* growth mode: the one kernel side (may be
					  * unopened: the reports say it is missing) */
	struct exports *exports;	 /* every report goes here too */
	struct oomwatch *oomw;		 /* evidence at OOM: the one kernel side (opened) */
	FILE *out;			 /* the one text/JSON stream */
	const struct report_node *stats; /* the node's figures, in each report */
	/* --group-by-service: each report is handed here before it is written
	 * (r lives for the call only). When it returns true (the process has a
	 * service), the process's own site alerts are neither logged nor
	 * listed in its report: its service announces them once (svcmerge.h).
	 * NULL, or false: the report is the process's alone. */
	bool (*on_report)(void *ctx, const struct report *r);
	void *ctx;
};

/* session_open() - attach to pid for a node (o: the node's options).
 * Returns 0 with *sp set, or an exit status (options.h EXIT_*) after
 * logging why, with nothing left behind. */
int session_open(const struct options *o, const struct session_shared *sh, pid_t pid,
		 struct session **sp);

enum session_state { SESSION_RUNNING = 0, SESSION_GONE, SESSION_FAILED };

/* session_step() - one pass of the report loop, without waiting. p[0..np)
 * are the entries session_pollfds() gave, after the caller's poll() (their
 * revents are used instead of polling again); np 0 when that poll failed.
 * Returns SESSION_RUNNING, SESSION_GONE (the process ended) or
 * SESSION_FAILED (a report could not be written, or re-attaching after an
 * exec failed). */
enum session_state session_step(struct session *s, const struct pollfd *p, int np);

/* session_pollfds() - the descriptors whose readiness session_step() should
 * see soon (the process's pidfd, the window-budget events) into p[0..2).
 * Returns how many. */
int session_pollfds(const struct session *s, struct pollfd p[2]);

/* session_window() - the session's windows for the node's scheduling
 * (winsched.h): *open while one runs, *wants when idle and its scheduler
 * would open one now, *growth the anonymous memory grown since its last
 * window settled (or attach). */
void session_window(const struct session *s, bool *open, bool *wants, int64_t *growth);

/* session_grant_window() - whether the next session_step() may open a
 * window that its scheduler wants (a node grants at most its limit). */
void session_grant_window(struct session *s, bool may);

/* session_demand_window() - a window on demand (SIGUSR1) for this session:
 * it waits for the node's grant like any other. */
void session_demand_window(struct session *s);

/* session_pid() - the watched process. */
pid_t session_pid(const struct session *s);

/* session_close() - the final report (gone: the process ended; it says so),
 * then detach and free everything at once. NULL is fine. */
void session_close(struct session *s, bool gone);

/* session_stop_requested() - a stop signal came (session_signal_stop()). */
bool session_stop_requested(void);

/* session_take_window_demand() - a SIGUSR1 came since the last call. */
bool session_take_window_demand(void);

#endif /* PYLEAK_SESSION_H */
