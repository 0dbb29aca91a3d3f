/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_atomic_file.c: unit tests for the atomic file writer
 * (user/out/atomic_file.c): content and mode 0644 on success; during the write
 * PATH still holds the old content and the temporary file is hidden, in
 * the same directory, and does not end in .prom; on any error the previous
 * file is intact and no temporary file is left; each errno logged once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic_file.h"
#include "log.h"

static char dir[64];
static char path[256];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_atomic_file.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	log_verbosity = LOG_ERROR; /* the expected warnings are not noise */
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* entries() - names in dir other than . and .., sorted, joined by spaces. */
static const char *entries(void)
{
	static char out[1024];
	char *names[16];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = 0;
	assert_non_null(d);
	while ((e = readdir(d)) && n < 16)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (int i = 0; i < n; i++) {
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
			 names[i]);
		free(names[i]);
	}
	return out;
}

struct fill {
	const char *text;
	int fail;		/* returned after writing half */
	char during[1024];	/* the directory seen while writing */
	char old[4096];		/* PATH's content seen while writing */
};

static int fill(FILE *f, void *ctx)
{
	struct fill *c = ctx;
	const char *old = slurp(path);

	snprintf(c->during, sizeof(c->during), "%s", entries());
	snprintf(c->old, sizeof(c->old), "%s", old ? old : "(none)");
	if (c->fail) {
		fwrite(c->text, 1, strlen(c->text) / 2, f);
		return c->fail;
	}
	fputs(c->text, f);
	return 0;
}

static void test_replace(void **state)
{
	struct atomic_file af;
	struct fill c = { .text = "a 1\n" };
	struct stat st;

	atomic_file_init(&af, path, "--prom-file");
	umask(077); /* the mode is set, not left to the umask */
	assert_int_equal(atomic_file_write(&af, fill, &c), 0);
	assert_string_equal(slurp(path), "a 1\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_string_equal(entries(), "m.prom");
	assert_string_equal(c.old, "(none)");
	/* while writing: a hidden temporary file beside PATH, not *.prom */
	assert_memory_equal(c.during, ".m.prom.tmp.", 12);
	assert_int_equal(strlen(c.during), strlen(".m.prom.tmp.XXXXXX"));

	c.text = "b 2\n";
	assert_int_equal(atomic_file_write(&af, fill, &c), 0);
	assert_string_equal(c.old, "a 1\n"); /* readers saw the old whole file */
	assert_string_equal(slurp(path), "b 2\n");
	assert_string_equal(entries(), "m.prom");
	assert_int_equal(af.writes, 2);
}

static void test_errors_keep_previous(void **state)
{
	struct atomic_file af, missing;
	struct fill c = { .text = "good 1\n" };
	char nodir[300];

	atomic_file_init(&af, path, "--prom-file");
	assert_int_equal(atomic_file_write(&af, fill, &c), 0);
	/* a failing writer (a full disk looks like this): nothing changes */
	c.text = "bad 2\n";
	c.fail = -ENOSPC;
	assert_int_equal(atomic_file_write(&af, fill, &c), -ENOSPC);
	assert_string_equal(slurp(path), "good 1\n");
	assert_string_equal(entries(), "m.prom");
	assert_int_equal(atomic_file_write(&af, fill, &c), -ENOSPC);
	assert_int_equal(af.failures, 2);
	assert_int_equal(af.nlogged, 1); /* logged once */
	assert_true(af.failing);
	c.fail = 0;
	assert_int_equal(atomic_file_write(&af, fill, &c), 0);
	assert_false(af.failing);
	assert_string_equal(slurp(path), "bad 2\n");

	/* a missing directory: -ENOENT, logged once however often */
	snprintf(nodir, sizeof(nodir), "%s/no/such/dir/x.prom", dir);
	atomic_file_init(&missing, nodir, "--prom-file");
	for (int i = 0; i < 3; i++)
		assert_int_equal(atomic_file_write(&missing, fill, &c), -ENOENT);
	assert_int_equal(missing.nlogged, 1);
	assert_int_equal(missing.failures, 3);

	/* PATH is a directory: rename fails, the temporary file is removed */
	snprintf(nodir, sizeof(nodir), "%s/adir", dir);
	assert_int_equal(mkdir(nodir, 0755), 0);
	atomic_file_init(&missing, nodir, "--pprof");
	assert_true(atomic_file_write(&missing, fill, &c) < 0);
	assert_string_equal(entries(), "adir m.prom");
	rmdir(nodir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_keep_previous, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
