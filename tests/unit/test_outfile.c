/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_outfile.c: unit tests for where reports go (user/out/outfile.c): --output
 * refuses a symbolic link, a report is written whole through signals and
 * short writes on a slow pipe, and a report that cannot be rendered leaves
 * nothing behind (no partial JSON line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "outfile.h"

static char dir[] = "/tmp/test_outfile.XXXXXX";

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_symlink_refused(void **state)
{
	char real[128], link[128];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	f = fopen(real, "w");
	assert_non_null(f);
	fputs("kept\n", f);
	fclose(f);
	assert_int_equal(symlink(real, link), 0);

	f = NULL;
	assert_int_equal(outfile_open(link, &f), -ELOOP);
	assert_null(f);
	assert_string_equal(slurp(real), "kept\n");

	/* the real file is appended to, not truncated */
	assert_int_equal(outfile_open(real, &f), 0);
	fputs("more\n", f);
	fclose(f);
	assert_string_equal(slurp(real), "kept\nmore\n");
	unlink(link);
	unlink(real);
	rmdir(dir);
}

#define BIG (4u << 20)

static void on_alarm(int sig)
{
}

struct reader {
	int fd;
	size_t got;
	bool intact;
};

/* A slow reader, so that the writer blocks on a full pipe and is
 * interrupted there. */
static void *read_slowly(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[8192];
	ssize_t n;

	r->intact = true;
	while ((n = read(r->fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (unsigned char)((r->got + i) * 7))
				r->intact = false;
		r->got += n;
		usleep(50);
	}
	return NULL;
}

static void test_write_all_through_signals(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: EINTR */
	struct itimerval it = { .it_interval = { .tv_usec = 300 }, .it_value = { .tv_usec = 300 } };
	struct reader r = {};
	unsigned char *buf = malloc(BIG);
	sigset_t alrm, old;
	pthread_t th;
	int fds[2];

	assert_non_null(buf);
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (unsigned char)(i * 7);
	assert_int_equal(pipe(fds), 0);
	r.fd = fds[0];
	/* the reader thread never takes the signal: the writer does */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	assert_int_equal(pthread_create(&th, NULL, read_slowly, &r), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);

	assert_int_equal(outfile_write_all(fds[1], buf, BIG), 0);

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	close(fds[1]);
	pthread_join(th, NULL);
	close(fds[0]);
	assert_int_equal(r.got, BIG);
	assert_true(r.intact);
	free(buf);
}

static int write_half_then_fail(FILE *f, const struct report *r)
{
	fputs("{\"type\":\"report\",\"half", f);
	return -EIO;
}

static int write_line(FILE *f, const struct report *r)
{
	fputs("{\"type\":\"report\"}\n", f);
	return 0;
}

static void test_emit_whole_or_nothing(void **state)
{
	char text[256] = "";
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs("before\n", f); /* buffered: must come out first */
	assert_int_equal(outfile_emit(f, write_line, NULL), 0);
	assert_int_equal(outfile_emit(f, write_half_then_fail, NULL), -EIO);
	assert_int_equal(outfile_emit(f, write_line, NULL), 0);
	rewind(f);
	assert_int_equal(fread(text, 1, sizeof(text) - 1, f) > 0, 1);
	assert_string_equal(text, "before\n{\"type\":\"report\"}\n{\"type\":\"report\"}\n");
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_write_all_through_signals),
		cmocka_unit_test(test_emit_whole_or_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
