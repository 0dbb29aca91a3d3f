/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * launch.h: run mode (pyleak-bpf [options] -- COMMAND). Starts the command
 * as our child, waits until a CPython interpreter is mapped into it or into
 * one of its descendants (a shell, `unshare --fork`, a wrapper script), and
 * stops that process (SIGSTOP) so probes are in place before it runs on. The
 * first Python process found is the target; later ones are not followed.
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

/* How many processes of the command's tree are looked at, and how long a
 * Python process may take to become ready before it is taken as it is. */
#define LAUNCH_MAX_PROCS 256
#define LAUNCH_READY_S 2.0

/* launch_ready_fn - true once t (open, running) is ready to be profiled,
 * e.g. its pre-initialisation has applied PYTHONMALLOC. */
typedef bool (*launch_ready_fn)(void *ctx, struct target *t);

/* launch_wait_python() - poll root and its descendants until target_open()
 * finds an interpreter and libc in one of them and ready (may be NULL) says
 * it is ready (or LAUNCH_READY_S passed since it was first seen), then stop
 * that process with SIGSTOP. Returns 0 with t open (t->pid the process, not
 * necessarily root) and stopped; -ECHILD if root exited first (*status = its
 * wait status); -ETIMEDOUT if no Python appeared within timeout_s; or -errno
 * if the process could not be stopped. */
int launch_wait_python(pid_t root, double timeout_s, launch_ready_fn ready, void *ctx,
		       struct target *t, int *status);

/* launch_kill() - SIGKILL the command and every process below it, and reap
 * it: nothing it started may outlive a failed launch. */
void launch_kill(pid_t root);

/* launch_resume() - SIGCONT the stopped target. */
void launch_resume(pid_t pid);

/* launch_exit_code() - our exit status for the child's wait status: its
 * exit code, or 128 + the signal that killed it. */
int launch_exit_code(int status);

#endif /* PYLEAK_LAUNCH_H */
