// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* launch.c: see launch.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

int launch_wait_python(pid_t pid, double timeout_s, struct target *t, int *status)
{
	struct timespec start, now, tick = { .tv_nsec = 1000000 };
	int err = -ENOEXEC;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -ECHILD;
		err = target_open(pid, t);
		if (!err && t->libc_mod >= 0)
			break;
		if (!err)
			target_close(t);
		else if (err == -ENOTSUP)
			return err;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 > timeout_s)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
	if (kill(pid, SIGSTOP) || waitpid(pid, status, WUNTRACED) != pid) {
		target_close(t);
		return -ECHILD;
	}
	if (!WIFSTOPPED(*status)) {
		target_close(t);
		return -ECHILD;
	}
	return 0;
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
