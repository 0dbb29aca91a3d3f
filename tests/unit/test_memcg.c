/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_memcg.c: unit tests for user/target/memcg.c, finding a process's memory
 * cgroup and reading its limit and OOM kills: /proc/PID/cgroup of v1,
 * hybrid and v2 hosts, mountinfo with the memory hierarchy mounted whole
 * or as a container's subtree, the limit files' spellings of "no limit",
 * and "key N" files; then memcg_open() on this test process.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memcg.h"

/* a hybrid host (this project's CI machine): v1 memory, a v2 line too */
static const char hybrid[] =
	"9:name=systemd:/\n8:pids:/\n4:memory:/process_api/4e1de8de\n3:cpuset:/\n0::/\n";
static const char v2_only[] = "0::/system.slice/app.service\n";
static const char joined[] = "5:cpu,cpuacct:/a\n6:memory,hugetlb:/kubepods/pod1/abc\n";

static void test_parse_cgroup(void **state)
{
	char path[MEMCG_PATH_MAX];
	bool v2 = true;

	assert_int_equal(memcg_parse_cgroup(hybrid, path, sizeof(path), &v2), 0);
	assert_string_equal(path, "/process_api/4e1de8de");
	assert_false(v2);
	assert_int_equal(memcg_parse_cgroup(v2_only, path, sizeof(path), &v2), 0);
	assert_string_equal(path, "/system.slice/app.service");
	assert_true(v2);
	assert_int_equal(memcg_parse_cgroup(joined, path, sizeof(path), &v2), 0);
	assert_string_equal(path, "/kubepods/pod1/abc");
	assert_false(v2);
	/* "memoryx" is not "memory"; no v2 line: nothing */
	assert_int_equal(memcg_parse_cgroup("4:memoryx:/a\n", path, sizeof(path), &v2), -ENOENT);
	assert_int_equal(memcg_parse_cgroup("", path, sizeof(path), &v2), -ENOENT);
	assert_int_equal(memcg_parse_cgroup("garbage", path, sizeof(path), &v2), -ENOENT);
	assert_int_equal(memcg_parse_cgroup(v2_only, path, 8, &v2), -ENAMETOOLONG);
}

static const char mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	"30 25 0:26 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"
	"31 25 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"34 25 0:30 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory\n";
/* a container: the host's /kubepods/pod1/abc mounted as its root */
static const char container[] =
	"40 30 0:30 /kubepods/pod1/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

static void test_parse_mountinfo(void **state)
{
	char dir[MEMCG_PATH_MAX];

	assert_int_equal(memcg_parse_mountinfo(mountinfo, "/process_api/4e1de8de", false, dir,
					       sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory/process_api/4e1de8de");
	assert_int_equal(memcg_parse_mountinfo(mountinfo, "/a.service", true, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified/a.service");
	assert_int_equal(memcg_parse_mountinfo(mountinfo, "/", false, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory");
	assert_int_equal(memcg_parse_mountinfo(container, "/kubepods/pod1/abc", true, dir,
					       sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup");
	assert_int_equal(memcg_parse_mountinfo(container, "/kubepods/pod1/abc/sub", true, dir,
					       sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/sub");
	/* outside the mounted subtree, or a sibling sharing its prefix */
	assert_int_equal(memcg_parse_mountinfo(container, "/kubepods/pod2", true, dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(memcg_parse_mountinfo(container, "/kubepods/pod1/abcd", true, dir,
					       sizeof(dir)), -ENOENT);
	/* no v1 memory hierarchy mounted */
	assert_int_equal(memcg_parse_mountinfo(container, "/x", false, dir, sizeof(dir)), -ENOENT);
	assert_int_equal(memcg_parse_mountinfo("", "/x", false, dir, sizeof(dir)), -ENOENT);
	assert_int_equal(memcg_parse_mountinfo("1 2 3\nno separator here\n", "/x", true, dir,
					       sizeof(dir)), -ENOENT);
	assert_int_equal(memcg_parse_mountinfo(mountinfo, "/process_api/4e1de8de", false, dir, 16),
			 -ENAMETOOLONG);
}

static void test_parse_limit(void **state)
{
	uint64_t b = 0;

	assert_int_equal(memcg_parse_limit("max\n", &b), 0);
	assert_true(b == MEMCG_UNLIMITED);
	assert_int_equal(memcg_parse_limit("50331648\n", &b), 0);
	assert_true(b == 50331648);
	/* v1's "no limit": PAGE_COUNTER_MAX pages in bytes */
	assert_int_equal(memcg_parse_limit("9223372036854771712\n", &b), 0);
	assert_true(b == MEMCG_UNLIMITED);
	assert_int_equal(memcg_parse_limit("", &b), -EINVAL);
	assert_int_equal(memcg_parse_limit("-1\n", &b), -EINVAL);
	assert_int_equal(memcg_parse_limit("12k\n", &b), -EINVAL);
	assert_int_equal(memcg_parse_limit("maximum\n", &b), -EINVAL);
	assert_int_equal(memcg_parse_limit("99999999999999999999999\n", &b), -EINVAL);
}

static void test_parse_key(void **state)
{
	static const char events[] = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
	static const char oom_control[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
	uint64_t v = 0;

	assert_int_equal(memcg_parse_key(events, "oom_kill", &v), 0);
	assert_true(v == 2);
	assert_int_equal(memcg_parse_key(events, "oom", &v), 0);
	assert_true(v == 3);
	assert_int_equal(memcg_parse_key(oom_control, "oom_kill", &v), 0);
	assert_true(v == 1);
	assert_int_equal(memcg_parse_key("oom_kill_disable 0\n", "oom_kill", &v), -ENOENT);
	assert_int_equal(memcg_parse_key("oom_kill x\n", "oom_kill", &v), -EINVAL);
	assert_int_equal(memcg_parse_key("oom_kill 5z\n", "oom_kill", &v), -EINVAL);
	assert_int_equal(memcg_parse_key("", "oom_kill", &v), -ENOENT);
}

/* this process: found wherever the host mounts its memory controller, and
 * its OOM kill count readable there */
static void test_open_self(void **state)
{
	struct memcg m;
	uint64_t kills = UINT64_MAX;
	int err = memcg_open(getpid(), &m);

	if (err == -ENOENT) {
		skip(); /* no memory controller mounted here */
		return;
	}
	assert_int_equal(err, 0);
	assert_true(!strncmp(m.dir, "/", 1));
	assert_int_equal(access(m.dir, F_OK), 0);
	assert_int_equal(memcg_read(&m, NULL, &kills), 0);
	assert_true(kills != UINT64_MAX);
	assert_int_equal(memcg_open(0x7ffffff0, &m), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_parse_mountinfo),
		cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_parse_key),
		cmocka_unit_test(test_open_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
