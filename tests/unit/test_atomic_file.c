/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_atomic_file.c: unit tests for user/atomic_file.c: the new content
 * replaces the file whole with mode 0644 and no temporary left behind; a
 * failed fill or an unwritable directory leaves the previous file as it
 * was; each kind of error is logged once.
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

static int fill_text(FILE *f, void *ctx)
{
	fputs(ctx, f);
	return 0;
}

static int fill_fails(FILE *f, void *ctx)
{
	fputs("half a fi", f);
	return -ENOSPC;
}

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_atomic_file.XXXXXX");
	assert_non_null(mkdtemp(dir));
	log_verbosity = LOG_ERROR - 1; /* quiet: the errors below are expected */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_replace_whole_with_mode_0644(void **state)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "%s/out.prom", dir);
	umask(077); /* the mode must not depend on the umask */
	assert_int_equal(atomic_file_write(path, fill_text, "one\n", NULL), 0);
	assert_string_equal(slurp(path), "one\n");
	assert_int_equal(atomic_file_write(path, fill_text, "two\n", NULL), 0);
	assert_string_equal(slurp(path), "two\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(entries(), 1);
}

static void test_failures_keep_the_previous_file(void **state)
{
	struct atomic_file_errs once = {};
	char path[96], missing[128];

	snprintf(path, sizeof(path), "%s/out.html", dir);
	assert_int_equal(atomic_file_write(path, fill_text, "good\n", &once), 0);
	assert_int_equal(atomic_file_write(path, fill_fails, NULL, &once), -ENOSPC);
	assert_string_equal(slurp(path), "good\n");
	assert_int_equal(entries(), 1);
	snprintf(missing, sizeof(missing), "%s/no/such/dir/out.html", dir);
	assert_int_equal(atomic_file_write(missing, fill_text, "x", &once), -ENOENT);
	/* each kind once: ENOSPC and ENOENT recorded, not twice */
	assert_int_equal(atomic_file_write(missing, fill_text, "x", &once), -ENOENT);
	assert_int_equal(once.nseen, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace_whole_with_mode_0644, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_keep_the_previous_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
