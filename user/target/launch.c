// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* launch.c: see launch.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "launch.h"
#include "target.h"

int launch_start(char *const *argv, bool python_malloc, pid_t *pid)
{
	int fds[2], child_err = 0;
	ssize_t n;
	pid_t p;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	p = fork();
	if (p < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (!p) {
		close(fds[0]);
		/* the profiler ignores SIGPIPE for itself; the command must not inherit that */
		signal(SIGPIPE, SIG_DFL);
		if (python_malloc)
			setenv("PYTHONMALLOC", "malloc", 1);
		/* A non-root profiler holds its capabilities as ambient ones
		 * (README "Privileges"), which exec would pass on: the command
		 * must run with its user's rights, not with CAP_SYS_ADMIN. */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		execvp(argv[0], argv);
		child_err = errno;
		if (write(fds[1], &child_err, sizeof(child_err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	/* EOF (exec succeeded, the pipe closed on exec) or the child's errno */
	do
		n = read(fds[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == sizeof(child_err)) {
		waitpid(p, NULL, 0);
		return -child_err;
	}
	*pid = p;
	return 0;
}

/* Processes below root (root first), breadth first, through the kernel's
 * /proc/PID/task/TID/children lists. Returns how many went into out. */
static int descendants(pid_t root, pid_t *out, int max)
{
	int n = 0, next = 0;
	char path[64];

	out[n++] = root;
	while (next < n && n < max) {
		pid_t p = out[next++];
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "/proc/%d/task", p);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d)) && n < max) {
			FILE *f;
			int c;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", p, e->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			while (n < max && fscanf(f, "%d", &c) == 1)
				out[n++] = c;
			fclose(f);
		}
		closedir(d);
	}
	return n;
}

/* Stop pid (not necessarily our child) and wait until the kernel says so.
 * On failure pid is sent SIGCONT: a stop that lands after we gave up must
 * not leave it stopped. */
static int stop_process(pid_t pid)
{
	struct timespec tick = { .tv_nsec = 1000000 };
	char path[64], buf[512], *paren;
	FILE *f;

	if (kill(pid, SIGSTOP))
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 2000; i++) {
		f = fopen(path, "re");
		if (!f)
			return -ESRCH;
		buf[0] = 0;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		/* "pid (comm) S ...": comm may hold spaces and parentheses */
		paren = strrchr(buf, ')');
		if (paren && paren[1] == ' ' && (paren[2] == 'T' || paren[2] == 't'))
			return 0;
		if (paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'))
			return -ESRCH;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGCONT);
	return -ETIMEDOUT;
}

static double since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - a->tv_sec + (now.tv_nsec - a->tv_nsec) / 1e9;
}

int launch_wait_python(pid_t root, double timeout_s, launch_ready_fn ready, void *ctx,
		       struct target *t, int *status)
{
	struct timespec start, tick = { .tv_nsec = 1000000 }, seen;
	pid_t procs[LAUNCH_MAX_PROCS];
	bool python_seen = false;
	int err, n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (waitpid(root, status, WNOHANG) == root)
			return -ECHILD;
		n = descendants(root, procs, LAUNCH_MAX_PROCS);
		for (int i = 0; i < n; i++) {
			err = target_open(procs[i], t);
			if (err)
				continue;
			if (t->libc_mod >= 0) {
				if (!python_seen) {
					python_seen = true;
					clock_gettime(CLOCK_MONOTONIC, &seen);
				}
				/* ready, or it never will be: go on with what it is */
				if (!ready || ready(ctx, t) || since(&seen) > LAUNCH_READY_S)
					goto found;
			}
			target_close(t);
		}
		if (since(&start) > timeout_s)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
found:
	err = stop_process(t->pid);
	if (err) {
		target_close(t);
		if (waitpid(root, status, WNOHANG) == root)
			return -ECHILD;
		return err;
	}
	return 0;
}

void launch_kill(pid_t root)
{
	pid_t procs[LAUNCH_MAX_PROCS];
	int n = descendants(root, procs, LAUNCH_MAX_PROCS);

	/* the root first: it cannot start more once it is gone */
	for (int i = 0; i < n; i++)
		kill(procs[i], SIGKILL);
	waitpid(root, NULL, 0);
}

void launch_resume(pid_t pid)
{
	kill(pid, SIGCONT);
}

int launch_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
