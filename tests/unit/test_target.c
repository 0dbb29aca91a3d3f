/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_target.c: unit tests for maps_parse_line() in user/target/target.c, the
 * parser of one /proc/PID/maps line. Lines are copied from real maps files
 * (file-backed, anonymous, [heap], [vdso], [vsyscall], named anonymous
 * memory, paths with spaces, " (deleted)" files, memfds), then edge cases and
 * garbage. Last, every line of this process's own /proc/self/maps is parsed,
 * this binary's executable mapping is found by the address of a function in
 * it, and a temporary file with spaces in its name is mapped, found, deleted
 * and found again as deleted.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elfsym.h"
#include "target.h"

static struct maps_entry E;

/* parse_ok(), parse_einval() - maps_parse_line(line, &E) must return 0 / -EINVAL. */
#define parse_ok(line)                                                                  \
	do {                                                                            \
		const char *l_ = (line);                                                \
		int r_ = maps_parse_line(l_, &E);                                       \
		if (r_)                                                                 \
			fail_msg("maps_parse_line(\"%s\") = %d", l_, r_);               \
	} while (0)

#define parse_einval(line)                                                                  \
	do {                                                                                \
		const char *l_ = (line);                                                    \
		int r_ = maps_parse_line(l_, &E);                                           \
		if (r_ != -EINVAL)                                                          \
			fail_msg("maps_parse_line(\"%s\") = %d, expected -EINVAL", l_, r_); \
	} while (0)

static void assert_entry(uint64_t start, uint64_t end, const char *perms, uint64_t offset,
			 uint64_t inode, const char *path, bool deleted)
{
	assert_int_equal(E.start, start);
	assert_int_equal(E.end, end);
	assert_string_equal(E.perms, perms);
	assert_int_equal(E.offset, offset);
	assert_int_equal(E.inode, inode);
	assert_string_equal(E.path, path);
	assert_int_equal(E.deleted, deleted);
}

static void test_file_backed(void **state)
{
	/* Debian 12, a PIE executable's text */
	parse_ok("5610437ad000-5610437b2000 r-xp 00002000 fe:00 247134"
		 "                     /usr/bin/cat\n");
	assert_entry(0x5610437ad000, 0x5610437b2000, "r-xp", 0x2000, 247134, "/usr/bin/cat", false);

	parse_ok("7f831ff7b000-7f83200d1000 r-xp 00026000 fe:00 332835"
		 "                     /usr/lib/x86_64-linux-gnu/libc.so.6\n");
	assert_entry(0x7f831ff7b000, 0x7f83200d1000, "r-xp", 0x26000, 332835,
		     "/usr/lib/x86_64-linux-gnu/libc.so.6", false);

	/* 32-bit style short addresses, old kernels' 8-digit offsets */
	parse_ok("00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n");
	assert_entry(0x400000, 0x452000, "r-xp", 0, 173521, "/usr/bin/dbus-daemon", false);

	/* shared file mapping, big offset, big inode, no newline at the end */
	parse_ok("7f8320137000-7f8320138000 r--s 1234abcd000 103:05 18446744073709551615"
		 " /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
	assert_entry(0x7f8320137000, 0x7f8320138000, "r--s", 0x1234abcd000, UINT64_MAX,
		     "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", false);

	/* a libpython, as target.c looks for it */
	parse_ok("7f0e2a94e000-7f0e2ac2f000 r-xp 000b3000 00:2c 1053"
		 "                       /usr/local/lib/libpython3.11.so.1.0\n");
	assert_entry(0x7f0e2a94e000, 0x7f0e2ac2f000, "r-xp", 0xb3000, 1053,
		     "/usr/local/lib/libpython3.11.so.1.0", false);
}

static void test_anonymous(void **state)
{
	/* the kernel leaves a space after the inode and no name */
	parse_ok("7f831fed2000-7f831fef4000 rw-p 00000000 00:00 0 \n");
	assert_entry(0x7f831fed2000, 0x7f831fef4000, "rw-p", 0, 0, "", false);
	parse_ok("7f831fed2000-7f831fef4000 ---p 00000000 00:00 0\n");
	assert_entry(0x7f831fed2000, 0x7f831fef4000, "---p", 0, 0, "", false);
	parse_ok("7f831fed2000-7f831fef4000 rw-p 00000000 00:00 0");
	assert_entry(0x7f831fed2000, 0x7f831fef4000, "rw-p", 0, 0, "", false);
}

static void test_pseudo_paths(void **state)
{
	parse_ok("561071a54000-561071a75000 rw-p 00000000 00:00 0"
		 "                          [heap]\n");
	assert_entry(0x561071a54000, 0x561071a75000, "rw-p", 0, 0, "[heap]", false);

	parse_ok("7ffd3a5f2000-7ffd3a5f4000 r-xp 00000000 00:00 0"
		 "                          [vdso]\n");
	assert_entry(0x7ffd3a5f2000, 0x7ffd3a5f4000, "r-xp", 0, 0, "[vdso]", false);

	parse_ok("7ffc8e3a1000-7ffc8e3c2000 rw-p 00000000 00:00 0"
		 "                          [stack]\n");
	assert_entry(0x7ffc8e3a1000, 0x7ffc8e3c2000, "rw-p", 0, 0, "[stack]", false);

	parse_ok("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
		 "                  [vsyscall]\n");
	assert_entry(0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, "[vsyscall]", false);

	/* prctl(PR_SET_VMA_ANON_NAME) */
	parse_ok("7f6b0c000000-7f6b0c021000 rw-p 00000000 00:00 0"
		 "                          [anon:pyleak buffer]\n");
	assert_entry(0x7f6b0c000000, 0x7f6b0c021000, "rw-p", 0, 0, "[anon:pyleak buffer]", false);
}

static void test_spaces_in_path(void **state)
{
	parse_ok("7f0e2a94e000-7f0e2ac2f000 r-xp 000b3000 08:01 99"
		 "                         /opt/My App/lib python/libpython3.12.so\n");
	assert_entry(0x7f0e2a94e000, 0x7f0e2ac2f000, "r-xp", 0xb3000, 99,
		     "/opt/My App/lib python/libpython3.12.so", false);

	/* a trailing space is part of the name */
	parse_ok("1000-2000 r--p 00000000 08:01 5 /tmp/ends with space \n");
	assert_string_equal(E.path, "/tmp/ends with space ");

	/* " (deleted)" inside the path is just a name */
	parse_ok("1000-2000 r--p 00000000 08:01 5 /tmp/x (deleted)/lib.so\n");
	assert_string_equal(E.path, "/tmp/x (deleted)/lib.so");
	assert_false(E.deleted);
}

static void test_deleted(void **state)
{
	/* a libpython replaced by an upgrade under a running service */
	parse_ok("7f0e2a94e000-7f0e2ac2f000 r-xp 000b3000 fe:00 1311                       "
		 "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0 (deleted)\n");
	assert_entry(0x7f0e2a94e000, 0x7f0e2ac2f000, "r-xp", 0xb3000, 1311,
		     "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", true);

	parse_ok("7f0e2a94e000-7f0e2ac2f000 r-xp 00000000 00:01 2049"
		 "                       /memfd:jit (deleted)\n");
	assert_entry(0x7f0e2a94e000, 0x7f0e2ac2f000, "r-xp", 0, 2049, "/memfd:jit", true);

	parse_ok("7f1d8c000000-7f1d8c100000 rw-s 00000000 00:01 1034"
		 "                       /dev/zero (deleted)\n");
	assert_entry(0x7f1d8c000000, 0x7f1d8c100000, "rw-s", 0, 1034, "/dev/zero", true);

	parse_ok("1000-2000 r-xp 00000000 08:01 7 /srv/my app/python3 (deleted)");
	assert_entry(0x1000, 0x2000, "r-xp", 0, 7, "/srv/my app/python3", true);

	/* only the suffix is removed, once */
	parse_ok("1000-2000 r-xp 00000000 08:01 7 /a (deleted) (deleted)\n");
	assert_string_equal(E.path, "/a (deleted)");
	assert_true(E.deleted);

	/* without its space it is part of the name */
	parse_ok("1000-2000 r-xp 00000000 08:01 7 /a(deleted)\n");
	assert_string_equal(E.path, "/a(deleted)");
	assert_false(E.deleted);

	/* the entry is reset: a later line does not inherit deleted or path */
	parse_ok("1000-2000 r-xp 00000000 08:01 7 /a (deleted)\n");
	assert_true(E.deleted);
	parse_ok("3000-4000 rw-p 00000000 00:00 0 \n");
	assert_entry(0x3000, 0x4000, "rw-p", 0, 0, "", false);
}

static void test_long_path(void **state)
{
	const char *head = "7f0e2a94e000-7f0e2ac2f000 r-xp 00000000 08:01 12 ";
	size_t hl = strlen(head);
	char *line = malloc(hl + PATH_MAX + 32);
	char *path;

	assert_non_null(line);
	memcpy(line, head, hl);
	path = line + hl;

	/* PATH_MAX - 1 characters: the longest that fits */
	path[0] = '/';
	memset(path + 1, 'a', PATH_MAX - 2);
	strcpy(path + PATH_MAX - 1, "\n");
	parse_ok(line);
	assert_int_equal(strlen(E.path), PATH_MAX - 1);
	assert_int_equal(memcmp(E.path, path, PATH_MAX - 1), 0);
	assert_int_equal(E.inode, 12);

	/* one more: too long */
	path[PATH_MAX - 1] = 'b';
	strcpy(path + PATH_MAX, "\n");
	parse_einval(line);
	strcpy(path + PATH_MAX, "");
	parse_einval(line);

	/* much longer */
	memset(path + 1, 'c', PATH_MAX + 20);
	path[PATH_MAX + 21] = 0;
	parse_einval(line);
	free(line);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		" ",
		"hello world\n",
		"00400000\n",
		"00400000-00452000\n",
		"00400000-00452000 r-xp\n",
		"00400000-00452000 r-xp 00000000\n",
		"00400000-00452000 r-xp 00000000 08:02\n",	    /* no inode */
		"00400000-00452000 r-xp 00000000 0802 1 /x\n",	    /* no ':' in dev */
		"00400000 00452000 r-xp 00000000 08:02 1 /x\n",	    /* no '-' */
		"zz400000-00452000 r-xp 00000000 08:02 1 /x\n",	    /* not hex */
		"00400000-00452000 r-xpq 00000000 08:02 1 /x\n",    /* 5 perms */
		"00400000-00452000 rx 00000000 08:02 1 /x\n",	    /* 2 perms */
		"00400000-00452000 r-xp zz 08:02 1 /x\n",	    /* offset */
		"00400000-00452000 r-xp 00000000 08:02 x /x\n",	    /* inode */
		"/usr/bin/cat 00400000-00452000 r-xp 00000000 08:02 1\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_einval(bad[i]);
}

static void test_end_before_start(void **state)
{
	parse_einval("00452000-00400000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\n");
	parse_einval("7f831fed2001-7f831fed2000 rw-p 00000000 00:00 0 \n");
	parse_einval("ffffffffff601000-ffffffffff600000 --xp 00000000 00:00 0 [vsyscall]\n");
	/* the smallest valid order, for contrast */
	parse_ok("7f831fed2000-7f831fed2001 rw-p 00000000 00:00 0 \n");
	assert_int_equal(E.start, 0x7f831fed2000);
	assert_int_equal(E.end, 0x7f831fed2001);
}

enum match { BY_START, BY_ADDR, BY_EXEC_ADDR };

/* find_self_map() - parse every line of /proc/self/maps (each must parse)
 * and copy to *found the first entry that starts at v (BY_START), contains
 * address v (BY_ADDR), or is executable and contains v (BY_EXEC_ADDR). */
static bool find_self_map(enum match how, uint64_t v, struct maps_entry *found, int *nlines)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	bool ok = false;

	assert_non_null(f);
	*nlines = 0;
	while (getline(&line, &cap, f) > 0) {
		bool hit;

		parse_ok(line);
		(*nlines)++;
		assert_true(E.start < E.end);
		assert_int_equal(strlen(E.perms), 4);
		if (how == BY_START)
			hit = E.start == v;
		else
			hit = E.start <= v && v < E.end && (how == BY_ADDR || E.perms[2] == 'x');
		if (hit && !ok) {
			*found = E;
			ok = true;
		}
	}
	free(line);
	fclose(f);
	return ok;
}

static void test_self_maps(void **state)
{
	static struct maps_entry m;
	char exe[PATH_MAX];
	struct stat st;
	int nlines, local = 1;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_int_equal(stat(exe, &st), 0);

	/* this function's code is in this binary's r-x mapping */
	assert_true(find_self_map(BY_EXEC_ADDR, (uintptr_t)&test_self_maps, &m, &nlines));
	assert_true(nlines > 5);
	assert_string_equal(m.path, exe);
	assert_string_equal(m.perms, "r-xp");
	assert_int_equal(m.inode, st.st_ino);
	assert_int_equal(m.dev, st.st_dev); /* maps' major:minor is stat's st_dev */
	assert_false(m.deleted);
	assert_int_equal(m.start % 4096, 0);
	assert_int_equal(m.end % 4096, 0);
	assert_int_equal(m.offset % 4096, 0);

	/* and a local variable is on [stack] (valgrind's client stack is
	 * anonymous memory it allocated: no name) */
	assert_true(find_self_map(BY_ADDR, (uintptr_t)&local, &m, &nlines));
	if (strstr(getenv("LD_PRELOAD") ?: "", "vgpreload"))
		assert_string_equal(m.path, "");
	else
		assert_string_equal(m.path, "[stack]");
	assert_string_equal(m.perms, "rw-p");
	assert_int_equal(m.inode, 0);
	assert_int_equal(m.offset, 0);
	assert_false(m.deleted);
}

/* A file with spaces in its name, mapped executable, then deleted. */
static void test_self_maps_deleted(void **state)
{
	static struct maps_entry m;
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	struct stat st;
	int fd, nlines;
	void *p;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/pyleak maps test XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * 4096), 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 4096);
	if (p == MAP_FAILED) /* noexec /tmp */
		p = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	assert_true(p != MAP_FAILED);
	close(fd);

	assert_true(find_self_map(BY_START, (uintptr_t)p, &m, &nlines));
	assert_int_equal(m.end - m.start, 2 * 4096);
	assert_int_equal(m.offset, 4096);
	assert_int_equal(m.inode, st.st_ino);
	assert_int_equal(m.perms[0], 'r');
	assert_int_equal(m.perms[3], 'p');
	assert_false(m.deleted);
	assert_string_equal(m.path, path);

	assert_int_equal(unlink(path), 0);
	assert_true(find_self_map(BY_START, (uintptr_t)p, &m, &nlines));
	assert_true(m.deleted);
	assert_string_equal(m.path, path);
	assert_int_equal(m.inode, st.st_ino);
	assert_int_equal(m.offset, 4096);
	munmap(p, 2 * 4096);
}

#define RO(lit) lit, sizeof(lit) /* keeps the embedded and final NULs */

/* The PY_VERSION literal of <=3.10, found in .rodata whether it stands alone
 * (Debian) or is the tail of a merged string (pyenv's prefix path). */
static void test_scan_version(void **state)
{
	uint32_t hex = 0;

	assert_int_equal(target_scan_version(RO("x\0\x01" "3.9.2\0%s\0"), 9, &hex), 0);
	assert_int_equal(hex, 0x030902f0);
	assert_int_equal(target_scan_version(RO("/root/.pyenv/versions/3.9.18\0python3.9\0"),
					     9, &hex), 0);
	assert_int_equal(hex, 0x030912f0);
	assert_int_equal(target_scan_version(RO("\0" "3.10.0rc2\0"), 10, &hex), 0);
	assert_int_equal(hex, 0x030a00c2);
	assert_int_equal(target_scan_version(RO("\0" "3.8.0b1+\0"), 8, &hex), 0);
	assert_int_equal(hex, 0x030800b1);
	/* another minor, a longer number, no NUL after, not digits */
	assert_int_equal(target_scan_version(RO("\0" "3.10.4\0"), 1, &hex), -ENOENT);
	assert_int_equal(target_scan_version(RO("13.9.4\0v3.9.4\0"), 9, &hex), -ENOENT);
	assert_int_equal(target_scan_version(RO("\0" "3.9.4 (main)\0"), 9, &hex), -ENOENT);
	assert_int_equal(target_scan_version(RO("libpython3.9.so\0"), 9, &hex), -ENOENT);
	/* the same literal twice is fine; two different ones trust neither */
	assert_int_equal(target_scan_version(RO("\0" "3.9.7\0/x/3.9.7\0"), 9, &hex), 0);
	assert_int_equal(hex, 0x030907f0);
	assert_int_equal(target_scan_version(RO("\0" "3.9.7\0/x/3.9.8\0"), 9, &hex), -EPROTO);
	/* a literal cut by the end of the buffer is not one */
	assert_int_equal(target_scan_version("\0" "3.9.7", 6, 9, &hex), -ENOENT);
}

/* module_named() - index of the first module of t whose file name is base. */
static int module_named(const struct target *t, const char *base)
{
	for (int i = 0; i < t->nmods; i++) {
		const char *b = strrchr(t->mods[i].path, '/');

		if (!strcmp(b ? b + 1 : t->mods[i].path, base))
			return i;
	}
	return -1;
}

/*
 * A library mapped below libc and the interpreter after the first read of
 * the maps (a C extension imported after attach) shifts every index in the
 * address-ordered module list. The re-read that symbolising an address in
 * it triggers must keep py_mod and libc_mod on their modules: capture.c
 * attaches libc's malloc through t->mods[t->libc_mod] at every window.
 */
static void test_modules_follow_reload(void **state)
{
	static struct target t;
	uint64_t here = (uintptr_t)&test_modules_follow_reload;
	struct target_module *m;
	const char *libc_path;
	char exe[PATH_MAX];
	/* 256 MiB: free below a PIE, its libraries and heap, and outside
	 * AddressSanitizer's shadow (which holds 2 GiB to 2 TiB: make asan) */
	void *low, *want = (void *)(uintptr_t)0x10000000ULL;
	ssize_t n;
	int fd, before;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	t.pid = getpid();
	t.py_mod = t.libc_mod = -1;
	assert_int_equal(target_reload_modules(&t), 0);
	t.libc_mod = module_named(&t, "libc.so.6");
	assert_true(t.libc_mod >= 0);
	m = target_module_of(&t, here); /* "the interpreter": this binary */
	assert_non_null(m);
	t.py_mod = m - t.mods;
	before = t.nmods;
	libc_path = strdupa(t.mods[t.libc_mod].path);

	/* an executable file mapping below everything else */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	low = mmap(want, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	close(fd);
	assert_ptr_equal(low, want);
	assert_true((uintptr_t)low < (uintptr_t)here);

	/* symbolising an address in it re-reads the maps */
	m = target_module_of(&t, (uintptr_t)low + 16);
	assert_non_null(m);
	assert_int_equal(m - t.mods, 0);
	assert_int_equal(t.nmods, before + 1);
	assert_true(t.libc_mod >= 0 && t.libc_mod < t.nmods);
	assert_string_equal(t.mods[t.libc_mod].path, libc_path);
	assert_true(t.py_mod >= 0 && t.py_mod < t.nmods);
	assert_string_equal(t.mods[t.py_mod].path, exe);
	assert_true(here >= t.mods[t.py_mod].start && here < t.mods[t.py_mod].end);

	/* and a module that goes away takes its index with it */
	munmap(low, 4096);
	t.libc_mod = 0; /* pretend the vanished mapping was libc */
	assert_int_equal(target_reload_modules(&t), 0);
	assert_int_equal(t.nmods, before);
	assert_int_equal(t.libc_mod, -1);
	assert_string_equal(t.mods[t.py_mod].path, exe);
	target_close(&t);
}

/* scratch_copy() - a copy of this binary under TMPDIR (or /tmp), in path. */
static void scratch_copy(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char buf[65536];
	ssize_t n;
	int in, out;

	snprintf(path, len, "%s/test_target.XXXXXX", dir && *dir ? dir : "/tmp");
	out = mkstemp(path);
	assert_true(out >= 0);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(in >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	close(in);
	close(out);
}

/* target_open_file() opens only the mapped file: right device and inode,
 * a regular file, no final symlink. */
static void test_open_file_identity(void **state)
{
	char path[PATH_MAX], link[PATH_MAX + 8];
	struct stat st;
	int fd;

	scratch_copy(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	fd = target_open_file(path, st.st_dev, st.st_ino, false);
	assert_true(fd >= 0);
	close(fd);
	/* the same inode number on another device is another file */
	assert_int_equal(target_open_file(path, st.st_dev + 1, st.st_ino, false), -ESTALE);
	assert_int_equal(target_open_file(path, st.st_dev, st.st_ino + 1, false), -ESTALE);
	/* through map_files the device may differ (btrfs, overlayfs), not the inode */
	fd = target_open_file(path, st.st_dev + 1, st.st_ino, true);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(target_open_file(path, st.st_dev, st.st_ino + 1, true), -ESTALE);
	/* a symlink to the very file is refused by path */
	snprintf(link, sizeof(link), "%s.lnk", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(target_open_file(link, st.st_dev, st.st_ino, false), -ELOOP);
	unlink(link);
	/* a directory, /dev/null: not regular files */
	assert_int_equal(stat("/", &st), 0);
	assert_int_equal(target_open_file("/", st.st_dev, st.st_ino, false), -EINVAL);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(target_open_file("/dev/null", st.st_dev, st.st_ino, false), -EINVAL);
	unlink(path);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("blocked opening a module's file (a FIFO swapped in?)");
}

/*
 * The owner of a mapped library swaps a FIFO in at its path after the maps
 * were read: opening the module's ELF must neither block on the FIFO nor
 * read it, and finds the mapped file through /proc/self/map_files.
 */
static void test_module_fifo_swapped_in(void **state)
{
	static struct target t;
	char path[PATH_MAX];
	struct target_module *m;
	void *p, *want = (void *)(uintptr_t)0x18000000ULL; /* see test_modules_follow_reload */
	int fd;

	scratch_copy(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	p = mmap(want, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	close(fd);
	assert_ptr_equal(p, want);
	t.pid = getpid();
	t.py_mod = t.libc_mod = -1;
	assert_int_equal(target_reload_modules(&t), 0);
	m = target_module_of(&t, (uintptr_t)p);
	assert_non_null(m);
	assert_string_equal(m->path, path);
	assert_string_equal(m->host_path, path);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_non_null(target_module_elf(m));
	alarm(0);
	assert_true(elf_is_dyn(m->elf)); /* this binary, a PIE */
	unlink(path);
	munmap(p, 4096);
	target_close(&t);
}

/* A process name may hold any bytes, newlines included (prctl): all of it
 * is read, without the newline the kernel appends. */
static void test_read_comm_hostile(void **state)
{
	static const char nasty[] = "p\"\\\n;<s>\xff\xfe";
	char old[32], got[64];

	target_read_comm(getpid(), old, sizeof(old));
	assert_int_equal(prctl(PR_SET_NAME, nasty, 0, 0, 0), 0);
	target_read_comm(getpid(), got, sizeof(got));
	prctl(PR_SET_NAME, old, 0, 0, 0);
	assert_string_equal(got, nasty);
}

/* parse() - target_parse_status() over text */
static int parse(const char *text, struct proc_mem *m)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = target_parse_status(f, m);
	fclose(f);
	return err;
}

static void test_parse_status(void **state)
{
	struct proc_mem m;

	(void)state;
	/* the fields among the others, Threads included; a name that only
	 * begins like a field (VmRSSx) is another line */
	assert_int_equal(parse("Name:\tpython3\nVmRSSx:\t5 kB\nVmPeak:\t  99 kB\nVmRSS:\t   2048 kB\n"
			       "RssAnon:\t    1024 kB\nRssFile:\t  1000 kB\nRssShmem:\t 24 kB\n"
			       "Threads:\t7\nSigQ:\t0/1\n",
			       &m),
			 0);
	assert_int_equal(m.rss, 2048 * 1024);
	assert_int_equal(m.anon, 1024 * 1024);
	assert_int_equal(m.file, 1000 * 1024);
	assert_int_equal(m.threads, 7);
	/* no Threads line: the memory still counts, threads unknown */
	assert_int_equal(parse("VmRSS: 8 kB\nRssAnon: 4 kB\nRssFile: 4 kB\n", &m), 0);
	assert_int_equal(m.threads, 0);
	assert_int_equal(m.rss, 8192);
	/* a missing or unreadable memory field: no reading */
	assert_int_equal(parse("VmRSS: 8 kB\nRssFile: 4 kB\nThreads: 1\n", &m), -ENODATA);
	assert_int_equal(parse("VmRSS: x kB\nRssAnon: 4 kB\nRssFile: 4 kB\n", &m), -ENODATA);
	assert_int_equal(parse("", &m), -ENODATA);
	/* this process: its own figures */
	assert_int_equal(target_memory(getpid(), &m), 0);
	assert_true(m.rss > 0 && m.threads >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_file_backed),
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_pseudo_paths),
		cmocka_unit_test(test_spaces_in_path),
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_end_before_start),
		cmocka_unit_test(test_self_maps),
		cmocka_unit_test(test_self_maps_deleted),
		cmocka_unit_test(test_scan_version),
		cmocka_unit_test(test_modules_follow_reload),
		cmocka_unit_test(test_open_file_identity),
		cmocka_unit_test(test_module_fifo_swapped_in),
		cmocka_unit_test(test_read_comm_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
