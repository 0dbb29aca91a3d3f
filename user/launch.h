/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * launch.h: run mode (pyleak-bpf [options] -- COMMAND). Starts the command
 * as our child, waits until a CPython interpreter is mapped into it, and
 * stops it (SIGSTOP) so probes are in place before it runs on. COMMAND must
 * become Python itself (directly, through a #! line or exec); a shell that
 * forks Python as a grandchild is not followed.
 */
#ifndef PYLEAK_LAUNCH_H
#define PYLEAK_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct target;

/* launch_start() - fork and exec argv; with python_malloc the child gets
 * PYTHONMALLOC=malloc. Returns 0 with *pid set, or -errno (exec failures are
 * reported back through a pipe, so a missing command fails here). */
int launch_start(char *const *argv, bool python_malloc, pid_t *pid);

/* launch_wait_python() - poll the child until target_open() finds an
 * interpreter and libc in it, then stop it with SIGSTOP. Returns 0 with t
 * open and the child stopped; -ECHILD if it exited first (*status = its
 * wait status); -ETIMEDOUT if it did not become Python within timeout_s;
 * other -errno from target_open (e.g. -ENOTSUP, t->version set). */
int launch_wait_python(pid_t pid, double timeout_s, struct target *t, int *status);

/* launch_resume() - SIGCONT the stopped child. */
void launch_resume(pid_t pid);

/* launch_exit_code() - our exit status for the child's wait status: its
 * exit code, or 128 + the signal that killed it. */
int launch_exit_code(int status);

#endif /* PYLEAK_LAUNCH_H */
