// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* allocswitch.c: see allocswitch.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include "allocators.h"
#include "allocswitch.h"
#include "log.h"
#include "procmem.h"
#include "target.h"

#define MAX_TIDS 4096
#define STOP_TIMEOUT_MS 3000
/* how long a thread may take to stop before its state is looked at */
#define STOP_GRACE_MS 20

struct stopped {
	pid_t tid[MAX_TIDS];
	bool held[MAX_TIDS]; /* seized, stop pending, in the kernel (wait_stopped()) */
	int n;
};

static bool has_tid(const struct stopped *s, pid_t tid)
{
	for (int i = 0; i < s->n; i++)
		if (s->tid[i] == tid)
			return true;
	return false;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* in_kernel_sleep() - is pid's thread tid in uninterruptible sleep ('D')? */
static bool in_kernel_sleep(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	bool d;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	d = fgets(buf, sizeof(buf), f) && (paren = strrchr(buf, ')')) && paren[1] == ' ' &&
	    paren[2] == 'D';
	fclose(f);
	return d;
}

/*
 * wait_stopped() - wait until tid reports its ptrace stop, bounded in time so
 * a thread stuck in uninterruptible sleep cannot hang us. Such a thread (in
 * the kernel: blocked in vfork for posix_spawn, on I/O, ...) cannot run a
 * user-space instruction before it takes the stop we asked for, which it does
 * on its way out of the kernel: it is as good as stopped, and counted as held
 * (1) rather than stopped (0). Returns 0, 1, or -errno.
 */
static int wait_stopped(pid_t pid, pid_t tid, long deadline)
{
	long grace = now_ms() + STOP_GRACE_MS;
	int status;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);

		if (r == tid)
			return WIFSTOPPED(status) ? 0 : -ESRCH;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() > grace && in_kernel_sleep(pid, tid))
			return 1;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

/* resume_all() - detach every stopped thread. A held one cannot be
 * detached (it is not in a ptrace stop): the end of the tracing process
 * (switch_slots()) detaches it, pending stop included. */
static void resume_all(struct stopped *s)
{
	for (int i = 0; i < s->n; i++)
		if (!s->held[i])
			ptrace(PTRACE_DETACH, s->tid[i], 0, 0);
	s->n = 0;
}

/*
 * stop_all() - seize and interrupt every thread of pid, rescanning
 * /proc/PID/task until a pass finds no new thread (threads can be created
 * while we work). Returns 0 with all threads stopped or held (see
 * wait_stopped()), or -errno with none stopped (held ones stay seized until
 * the tracing process ends).
 */
static int stop_all(pid_t pid, struct stopped *s)
{
	char path[64];
	long deadline = now_ms() + STOP_TIMEOUT_MS;
	bool found_new = true;
	int err = 0;

	s->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	while (found_new && !err) {
		struct dirent *de;
		DIR *d = opendir(path);

		if (!d)
			return errno == ENOENT ? -ESRCH : -errno;
		found_new = false;
		while ((de = readdir(d)) && !err) {
			pid_t tid = atoi(de->d_name);

			if (tid <= 0 || has_tid(s, tid))
				continue;
			if (s->n == MAX_TIDS) {
				err = -E2BIG;
				break;
			}
			found_new = true;
			if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
				if (errno == ESRCH) /* exited meanwhile */
					continue;
				err = -errno;
				break;
			}
			s->held[s->n] = false;
			s->tid[s->n++] = tid;
			if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) && errno != ESRCH)
				err = -errno;
			else
				err = wait_stopped(pid, tid, deadline);
			if (err == 1) { /* held: it stays on the list, so not seized again */
				s->held[s->n - 1] = true;
				err = 0;
			}
			if (err == -ESRCH) { /* exited between seize and stop */
				s->n--;
				err = 0;
			}
		}
		closedir(d);
	}
	if (err) {
		resume_all(s);
		return err;
	}
	return s->n ? 0 : -ESRCH;
}

/* allocswitch_write_slots(): see allocswitch.h. */
int allocswitch_write_slots(pid_t pid, const uint64_t *slot, const uint64_t *expect,
		       const uint64_t *val)
{
	uint64_t cur;
	int i, err;

	for (i = 0; i < ALLOCSWITCH_SLOTS; i++) {
		err = pm_read_u64(pid, slot[i], &cur);
		if (err)
			return err;
		if (cur != expect[i]) {
			log_warn("allocator slot 0x%" PRIx64 " holds 0x%" PRIx64 ", expected 0x%" PRIx64
				 "; not touching it", slot[i], cur, expect[i]);
			return -EAGAIN;
		}
	}
	for (i = 0; i < ALLOCSWITCH_SLOTS; i++) {
		err = pm_write(pid, slot[i], &val[i], sizeof(val[i]));
		if (err) {
			/* undo what was written: all or nothing */
			while (--i >= 0)
				pm_write(pid, slot[i], &expect[i], sizeof(expect[i]));
			return err;
		}
	}
	return 0;
}

/* stop_and_write() - stop pid, write the slots, let it run on. */
static int stop_and_write(pid_t pid, const uint64_t *slot, const uint64_t *expect,
			  const uint64_t *val)
{
	struct stopped *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	err = stop_all(pid, s);
	if (!err) {
		err = allocswitch_write_slots(pid, slot, expect, val);
		resume_all(s);
	}
	free(s);
	return err;
}

/*
 * switch_slots() - stop_and_write() in a short-lived child process, which is
 * the tracer: when it exits the kernel detaches every thread it still
 * traces, even one that never reached its stop (a held thread, or one that
 * did not stop in time). No thread of the target can stay traced, or stop
 * later for a tracer that no longer waits for it.
 */
static int switch_slots(pid_t pid, const uint64_t *slot, const uint64_t *expect,
			const uint64_t *val)
{
	int status, err;
	pid_t helper;

	fflush(NULL); /* the child must not write our buffered output again */
	helper = fork();
	if (helper < 0)
		return -errno;
	if (!helper)
		_exit(-stop_and_write(pid, slot, expect, val) & 0xff);
	while (waitpid(helper, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* waitpid() returns once the helper is a zombie: after the kernel
	 * detached its tracees */
	err = WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
	if (err && !target_alive(pid))
		err = -ESRCH; /* exiting: ptrace says EPERM, but there is nothing to restore */
	return err;
}

int allocswitch_plan(struct allocswitch *sw, pid_t pid, const struct alloc_info *ai)
{
	const struct alloc_table *raw = &ai->t[AT_RAW];
	bool per_window = sw->per_window;

	memset(sw, 0, sizeof(*sw));
	sw->per_window = per_window;
	sw->pid = pid;
	for (int d = 0; d < 2; d++) {
		const struct alloc_table *tb = &ai->t[d ? AT_MEM : AT_OBJ];

		sw->slot[2 * d] = tb->addr + 8 * (1 + AF_MALLOC);
		sw->slot[2 * d + 1] = tb->addr + 8 * (1 + AF_CALLOC);
		sw->orig[2 * d] = tb->dflt[AF_MALLOC];
		sw->orig[2 * d + 1] = tb->dflt[AF_CALLOC];
		sw->switched[2 * d] = raw->dflt[AF_MALLOC];
		sw->switched[2 * d + 1] = raw->dflt[AF_CALLOC];
	}
	for (int i = 0; i < ALLOCSWITCH_SLOTS; i++)
		if (!sw->orig[i] || !sw->switched[i])
			return -EINVAL;
	if (ai->state == ALLOC_SWITCHED)
		return 1;
	return ai->state == ALLOC_PYMALLOC ? 0 : -EINVAL;
}

int allocswitch_apply(struct allocswitch *sw, pid_t pid, const struct alloc_info *ai)
{
	int err = allocswitch_plan(sw, pid, ai);

	if (err < 0)
		return err;
	if (err == 1) {
		log_info("allocator of pid %d is still switched by an earlier run; adopting it, "
			 "it will be restored on exit", (int)pid);
		sw->active = true;
		return 0;
	}
	err = switch_slots(pid, sw->slot, sw->orig, sw->switched);
	if (err)
		return err;
	sw->active = true;
	if (sw->per_window)
		log_debug("switched the object allocator of pid %d to malloc", (int)pid);
	else
		log_info("switched the object allocator of pid %d to malloc (restored on exit)",
			 (int)pid);
	return 0;
}

int allocswitch_restore(struct allocswitch *sw)
{
	int err;

	if (!sw->active)
		return 0;
	err = switch_slots(sw->pid, sw->slot, sw->switched, sw->orig);
	if (err == -ESRCH || !err)
		sw->active = false;
	if (!err && sw->per_window)
		log_debug("restored the object allocator of pid %d", (int)sw->pid);
	else if (!err)
		log_info("restored the object allocator of pid %d", (int)sw->pid);
	return err;
}
