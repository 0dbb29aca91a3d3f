/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_discovery.c: unit tests for user/target/discovery.c. The pure parts first:
 * command lines as one line, the --match/--exclude filter, the --cgroup
 * prefix test, /proc/PID/stat parsing. Then scans of the real /proc with
 * real processes this test starts: a pyenv (shared libpython) and a Debian
 * (static) interpreter, one in a PID- and mount-namespaced chroot, a
 * process that execs from a shell into Python, and /bin/sleep as a
 * non-Python process. Every process carries a marker in its command line
 * and scans use --match on it, so other processes on the host do not
 * matter. Missing interpreters skip loudly (fail under CI=true).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "discovery.h"

#define PYENV_PY "/root/.pyenv/versions/3.11.7/bin/python3"
#define DEBIAN_PY "/usr/bin/python3.11"
#define CHROOT "/var/cache/pyleak-bpf/chroots/bullseye"

static void test_cmdline_text(void **state)
{
	char out[16];
	const char raw[] = "python3\0-c\0print(1)\0";

	(void)state;
	assert_int_equal(discovery_cmdline_text(raw, sizeof(raw) - 1, out, sizeof(out)), 15);
	assert_string_equal(out, "python3 -c prin");
	char big[64];
	assert_int_equal(discovery_cmdline_text(raw, sizeof(raw) - 1, big, sizeof(big)), 19);
	assert_string_equal(big, "python3 -c print(1)");
	/* an empty argument in the middle stays a space; no NUL at the end
	 * (a process that rewrote its command line) is fine */
	assert_int_equal(discovery_cmdline_text("a\0\0b", 4, big, sizeof(big)), 4);
	assert_string_equal(big, "a  b");
	assert_int_equal(discovery_cmdline_text("x", 1, big, sizeof(big)), 1);
	assert_int_equal(discovery_cmdline_text("", 0, big, sizeof(big)), 0);
	assert_string_equal(big, "");
	assert_int_equal(discovery_cmdline_text("\0\0", 2, big, sizeof(big)), 0);
	assert_int_equal(discovery_cmdline_text("abc", 3, big, 0), 0);
}

static void test_filter(void **state)
{
	struct discovery_filter f;
	char err[512];

	(void)state;
	assert_int_equal(discovery_filter_init(&f, NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_true(discovery_cmdline_passes(&f, "anything"));
	assert_string_equal(f.cgroup, "");
	discovery_filter_free(&f);

	assert_int_equal(discovery_filter_init(&f, "gunicorn|celery", "celery beat", "/system.slice/",
					       err, sizeof(err)),
			 0);
	assert_true(discovery_cmdline_passes(&f, "/usr/bin/python3 /usr/bin/gunicorn app:app"));
	assert_true(discovery_cmdline_passes(&f, "python3 -m celery worker"));
	assert_false(discovery_cmdline_passes(&f, "python3 -m celery beat"));
	assert_false(discovery_cmdline_passes(&f, "python3 manage.py runserver"));
	assert_string_equal(f.cgroup, "/system.slice/");
	discovery_filter_free(&f);

	assert_int_equal(discovery_filter_init(&f, NULL, "^/usr/bin/python3 -m pip", NULL, err,
					       sizeof(err)),
			 0);
	assert_false(discovery_cmdline_passes(&f, "/usr/bin/python3 -m pip install x"));
	assert_true(discovery_cmdline_passes(&f, "x /usr/bin/python3 -m pip"));
	discovery_filter_free(&f);

	err[0] = 0;
	assert_int_equal(discovery_filter_init(&f, "(", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--match '('"));
	assert_int_equal(discovery_filter_init(&f, "ok", "a[", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--exclude 'a['"));
	assert_int_equal(discovery_filter_init(&f, NULL, NULL, "system.slice", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--cgroup 'system.slice'"));
}

static void test_cgroup_within(void **state)
{
	static const struct {
		const char *path, *prefix;
		bool within;
	} cases[] = {
		{"/kubepods.slice/kubepods-pod1.slice/cri-containerd-a.scope", "/kubepods.slice", true},
		{"/kubepods.slice", "/kubepods.slice", true},
		{"/kubepods.slice", "/kubepods.slice/", true},
		{"/kubepods.slice/x", "/kubepods.slice//", true},
		{"/kubepods.slicex/x", "/kubepods.slice", false},
		{"/kubepods", "/kubepods.slice", false},
		{"/system.slice/a.service", "/", true},
		{"/", "/", true},
		{"/", "/system.slice", false},
		{"/system.slice/a.service", "", true},
		{"/system.slice/a.service", "/system.slice/a.service", true},
		{"/system.slice/a.service2", "/system.slice/a.service", false},
		{"", "/system.slice", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (discovery_cgroup_within(cases[i].path, cases[i].prefix) != cases[i].within)
			fail_msg("discovery_cgroup_within(\"%s\", \"%s\") != %d", cases[i].path,
				 cases[i].prefix, cases[i].within);
}

static void test_parse_stat(void **state)
{
	char st;
	unsigned long flags;
	uint64_t start;

	(void)state;
	assert_int_equal(discovery_parse_stat("1234 (python3) S 1 1234 1234 0 -1 4194304 1186 0 0 0 "
					      "3 1 0 0 20 0 1 0 987654 25452544 2300 "
					      "18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 "
					      "17 1 0 0 0 0 0\n",
					      &st, &flags, &start),
			 0);
	assert_int_equal(st, 'S');
	assert_int_equal(flags, 4194304);
	assert_int_equal(start, 987654);
	/* a comm holding ") Z 1 (" cannot fake the fields after it */
	assert_int_equal(discovery_parse_stat("77 (a) Z 1 (b) R 1 77 77 0 -1 2097216 0 0 0 0 0 0 0 "
					      "0 20 0 1 0 55 0 0\n",
					      &st, &flags, &start),
			 0);
	assert_int_equal(st, 'R');
	assert_int_equal(flags, 2097216);
	assert_int_equal(start, 55);
	assert_int_equal(discovery_parse_stat("", &st, &flags, &start), -EINVAL);
	assert_int_equal(discovery_parse_stat("1 (x) S 1 2", &st, &flags, &start), -EINVAL);
	assert_int_equal(discovery_parse_stat("1 x S 1 2 3 4 5 6", &st, &flags, &start), -EINVAL);
}

/* need() - skip loudly when a prerequisite is missing; fail under CI. */
static bool need(bool ok, const char *why)
{
	const char *ci = getenv("CI");

	if (ok)
		return true;
	if (ci && !strcmp(ci, "true"))
		fail_msg("missing prerequisite in CI: %s", why);
	print_message("SKIP: %s\n", why);
	return false;
}

static char marker[64];

struct child {
	pid_t pid; /* the process we forked */
	int out;   /* its stdout */
};

/* Every child started (static storage: tests keep theirs in statics),
 * killed by the teardown even when a test failed. */
static struct child *children[8];

/* spawn() - fork and exec exe with argv, stdin from in (-1: ours), stdout
 * on a pipe; the child is killed at the end of the test. */
static struct child spawn(const char *exe, char *const argv[], int in)
{
	struct child c;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (!c.pid) {
		if (in >= 0)
			dup2(in, 0);
		dup2(p[1], 1);
		execv(exe, argv);
		_exit(127);
	}
	close(p[1]);
	c.out = p[0];
	return c;
}

static void track(struct child *c)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (!children[i]) {
			children[i] = c;
			return;
		}
	fail_msg("too many children");
}

/* python() - a Python that says "ready" once up, then sleeps. */
static struct child python(const char *exe)
{
	char code[160];

	snprintf(code, sizeof(code), "import time; print('ready', flush=True); time.sleep(30)  # %s",
		 marker);
	char *argv[] = {(char *)exe, "-c", code, NULL};
	return spawn(exe, argv, -1);
}

/* wait_ready() - until the child printed its first line (10 s at most). */
static void wait_ready(struct child *c)
{
	char buf[16];
	ssize_t n;

	alarm(10);
	n = read(c->out, buf, sizeof(buf));
	alarm(0);
	if (n <= 0)
		fail_msg("pid %d never said ready", c->pid);
}

/* wait_comm() - until pid runs a program named comm (it has exec'd). */
static void wait_comm(pid_t pid, const char *comm)
{
	char path[64], buf[32] = "";

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "re");

		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = 0;
		if (!strcmp(buf, comm))
			return;
		usleep(10000);
	}
	fail_msg("pid %d is \"%s\", never \"%s\"", pid, buf, comm);
}

static void reap(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->out);
	c->pid = 0;
}

static struct discovered found[64];
static int nfound;

/* discovery_watched_fn for the test: claims watched_pid, noting the start
 * time the scan passed */
static pid_t watched_pid;
static uint64_t watched_start;

static bool claim(void *ctx, pid_t pid, uint64_t start_time)
{
	(void)ctx;
	if (pid != watched_pid)
		return false;
	watched_start = start_time;
	return true;
}

/* scan() - a scan keeping only this test's processes. */
static void scan(void)
{
	struct discovery_filter f;
	char err[256];

	assert_int_equal(discovery_filter_init(&f, marker, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(discovery_scan(&f, NULL, NULL, found, 64, &nfound), 0);
	discovery_filter_free(&f);
}

static const struct discovered *find(pid_t pid)
{
	for (int i = 0; i < nfound && i < 64; i++)
		if (found[i].pid == pid)
			return &found[i];
	return NULL;
}

static uint64_t start_time_of(pid_t pid)
{
	char path[64], buf[1024] = "", st;
	unsigned long flags;
	uint64_t start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(discovery_parse_stat(buf, &st, &flags, &start), 0);
	return start;
}

static int setup_marker(void **state)
{
	(void)state;
	snprintf(marker, sizeof(marker), "pyleak-discovery-test-%d-%ld", getpid(),
		 (long)time(NULL));
	discovery_cache_clear();
	return 0;
}

static int teardown_children(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		if (children[i])
			reap(children[i]);
		children[i] = NULL;
	}
	return 0;
}

static void test_scan_host(void **state)
{
	static struct child py, deb, sl; /* static: the teardown reaps them */
	const struct discovered *d;
	struct discovery_stats st;
	char argv0[96];

	(void)state;
	if (!need(!access(PYENV_PY, X_OK), PYENV_PY " missing (tests/setup or pyenv install 3.11.7)") ||
	    !need(!access(DEBIAN_PY, X_OK), DEBIAN_PY " missing (apt-get install python3.11)"))
		skip();
	/* sleep's argv[0] carries the marker: it passes --match, and must
	 * still not be taken for Python */
	snprintf(argv0, sizeof(argv0), "sleep-%s", marker);
	char *sleep_argv[] = {argv0, "30", NULL};
	py = python(PYENV_PY);
	track(&py);
	deb = python(DEBIAN_PY);
	track(&deb);
	sl = spawn("/bin/sleep", sleep_argv, -1);
	track(&sl);
	wait_ready(&py);
	wait_ready(&deb);
	wait_comm(sl.pid, "sleep");

	scan();
	st = discovery_last_stats();
	assert_int_equal(nfound, 2);
	assert_non_null(d = find(py.pid));
	assert_true(d->shared);
	assert_string_equal(d->version, "3.11");
	assert_non_null(strstr(d->interp, "libpython3.11"));
	assert_string_equal(d->exe, "/root/.pyenv/versions/3.11.7/bin/python3.11");
	assert_string_equal(d->comm, "python3");
	assert_int_equal(d->start_time, start_time_of(py.pid));
	assert_int_equal(d->id.cgroup[0], '/');
	assert_non_null(d = find(deb.pid));
	assert_false(d->shared);
	assert_string_equal(d->interp, DEBIAN_PY);
	assert_string_equal(d->version, "3.11.2");
	assert_int_equal(d->start_time, start_time_of(deb.pid));
	assert_null(find(sl.pid));
	assert_int_equal(st.maps_read, 3);
	assert_int_equal(st.python, 2);

	/* the rescan reads no maps and no ELF: every verdict is cached */
	scan();
	st = discovery_last_stats();
	assert_int_equal(nfound, 2);
	assert_int_equal(st.maps_read, 0);
	assert_int_equal(st.elf_opened, 0);
	assert_int_equal(st.cache_hits, 3);

	/* --cgroup: the children are in this test's cgroup, not elsewhere */
	{
		struct discovery_filter f;
		struct proc_identity self;
		char err[64];
		int n;

		assert_int_equal(identity_read(getpid(), &self), 0);
		assert_int_equal(discovery_filter_init(&f, marker, NULL, self.cgroup, err,
						       sizeof(err)),
				 0);
		assert_int_equal(discovery_scan(&f, NULL, NULL, found, 64, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(found[0].id.cgroup, self.cgroup);
		discovery_filter_free(&f);
		assert_int_equal(discovery_filter_init(&f, marker, NULL, "/pyleak-none.slice", err,
						       sizeof(err)),
				 0);
		assert_int_equal(discovery_scan(&f, NULL, NULL, found, 64, &n), 0);
		assert_int_equal(n, 0);
		discovery_filter_free(&f);
	}

	/* a process the caller watches is passed over and counted as such;
	 * the other is still reported in full */
	{
		struct discovery_filter f;
		char err[64];
		int n;

		assert_int_equal(discovery_filter_init(&f, marker, NULL, NULL, err, sizeof(err)), 0);
		watched_pid = py.pid;
		watched_start = 0;
		assert_int_equal(discovery_scan(&f, claim, NULL, found, 64, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(found[0].pid, deb.pid);
		assert_string_equal(found[0].interp, DEBIAN_PY);
		st = discovery_last_stats();
		assert_int_equal(st.watched, 1);
		assert_int_equal(st.python, 1);
		/* the start time the scan read is the process's */
		assert_int_equal(watched_start, start_time_of(py.pid));
		discovery_filter_free(&f);
	}

	/* a limit: one reported, two found */
	{
		struct discovery_filter f;
		char err[64];
		int n;

		assert_int_equal(discovery_filter_init(&f, marker, NULL, NULL, err, sizeof(err)), 0);
		assert_int_equal(discovery_scan(&f, NULL, NULL, found, 1, &n), 0);
		assert_int_equal(n, 2);
		discovery_filter_free(&f);
	}

	/* a process that is gone is not found, and its entry is dropped */
	reap(&deb);
	scan();
	assert_int_equal(nfound, 1);
	assert_non_null(find(py.pid));
	reap(&py);
	reap(&sl);
	scan();
	assert_int_equal(nfound, 0);
}

/* A shell that becomes Python by exec keeps its pid and start time: the
 * executable in the cache key tells the two apart. */
static void test_scan_exec(void **state)
{
	static struct child sh; /* static: the teardown reaps them */
	char cmd[256];
	int fifo[2];

	(void)state;
	if (!need(!access(DEBIAN_PY, X_OK), DEBIAN_PY " missing (apt-get install python3.11)"))
		skip();
	snprintf(cmd, sizeof(cmd),
		 "read x; exec " DEBIAN_PY
		 " -c \"import time; print('ready', flush=True); time.sleep(30)\" %s",
		 marker);
	assert_int_equal(pipe2(fifo, O_CLOEXEC), 0);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	/* sh's stdin: the pipe that lets it go on to exec */
	sh = spawn("/bin/sh", argv, fifo[0]);
	track(&sh);
	close(fifo[0]);
	wait_comm(sh.pid, "sh");
	scan();
	assert_null(find(sh.pid));
	assert_int_equal(write(fifo[1], "go\n", 3), 3);
	wait_ready(&sh);
	scan();
	assert_non_null(find(sh.pid));
	assert_string_equal(find(sh.pid)->interp, DEBIAN_PY);
	close(fifo[1]);
	reap(&sh);
}

/* A Python in its own PID and mount namespace (a container without the
 * runtime): found by its host pid through the chroot's files. */
static void test_scan_chroot(void **state)
{
	static struct child us; /* static: the teardown reaps them */
	char code[160], path[64], buf[64] = "";
	pid_t inner = 0;
	FILE *f;

	(void)state;
	if (!need(!access(CHROOT "/usr/bin/python3", X_OK),
		  CHROOT " missing (make chroots)") ||
	    !need(!access("/usr/bin/unshare", X_OK), "unshare missing (util-linux)"))
		skip();
	snprintf(code, sizeof(code), "import time; print('ready', flush=True); time.sleep(30)  # %s",
		 marker);
	char *argv[] = {"/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child",
			"/usr/sbin/chroot", CHROOT, "/usr/bin/python3", "-c", code, NULL};
	us = spawn(argv[0], argv, -1);
	track(&us);
	wait_ready(&us);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", us.pid, us.pid);
	f = fopen(path, "re");
	assert_non_null(f);
	if (fgets(buf, sizeof(buf), f))
		inner = atoi(buf);
	fclose(f);
	assert_true(inner > 0);

	scan();
	assert_int_equal(nfound, 1);
	assert_non_null(find(inner));
	assert_false(find(inner)->shared);
	/* maps names it as seen from here: with the chroot's prefix */
	assert_string_equal(find(inner)->interp, CHROOT "/usr/bin/python3.9");
	assert_string_equal(find(inner)->version, "3.9");
	assert_null(find(us.pid));
	reap(&us);
	/* --kill-child: the inner python goes with unshare */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_text),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_cgroup_within),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test_setup_teardown(test_scan_host, setup_marker, teardown_children),
		cmocka_unit_test_setup_teardown(test_scan_exec, setup_marker, teardown_children),
		cmocka_unit_test_setup_teardown(test_scan_chroot, setup_marker, teardown_children),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
