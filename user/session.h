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

#endif /* PYLEAK_SESSION_H */
