/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_identity.c: unit tests for user/target/identity.c. A table of
 * /proc/PID/cgroup texts in the shapes real hosts produce (systemd and
 * cgroupfs drivers; containerd, CRI-O, Docker, podman; guaranteed,
 * burstable and best-effort pods; cgroup v1 with many lines, v2, hybrid;
 * the relative paths of a private cgroup namespace; containerd's
 * "slice:prefix:id" notation) with the identity each must give; garbage and
 * over-long input; this process's own /proc/self/cgroup; a temporary
 * directory tree shaped like the kubelet's /var/log/pods (several pods,
 * several containers, restarts, symlinks to /var/log/containers names);
 * and the label list.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "identity.h"

#define CID "4b825dc642cb6eb9a060e54bf8d69288fbee4904aa1b2c3d4e5f60718293a4b5"
#define CID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "0b7e6b1a-9f2c-4d1e-8a3b-5c6d7e8f9a0b"
#define UID_ "0b7e6b1a_9f2c_4d1e_8a3b_5c6d7e8f9a0b"

struct shape {
	const char *what, *text;
	const char *cgroup, *container_id, *runtime, *pod_uid, *qos, *unit;
};

static const struct shape shapes[] = {
	{"containerd, systemd driver, burstable",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" CID ".scope\n",
	 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" CID ".scope",
	 CID, "containerd", UID, "burstable", ""},
	{"containerd, systemd driver, best effort",
	 "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	 ".slice/cri-containerd-" CID ".scope\n",
	 NULL, CID, "containerd", UID, "besteffort", ""},
	{"guaranteed pod: no QoS slice",
	 "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope\n", NULL, CID,
	 "containerd", UID, "guaranteed", ""},
	{"cgroupfs driver, burstable", "0::/kubepods/burstable/pod" UID "/" CID "\n",
	 "/kubepods/burstable/pod" UID "/" CID, CID, "", UID, "burstable", ""},
	{"cgroupfs driver, guaranteed", "0::/kubepods/pod" UID "/" CID "\n", NULL, CID, "", UID,
	 "guaranteed", ""},
	{"cgroupfs driver, best effort, CRI-O", "0::/kubepods/besteffort/pod" UID "/crio-" CID "\n",
	 NULL, CID, "cri-o", UID, "besteffort", ""},
	{"CRI-O, systemd driver",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/crio-" CID ".scope\n",
	 NULL, CID, "cri-o", UID, "burstable", ""},
	{"CRI-O's conmon is not the container",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/crio-conmon-" CID ".scope\n",
	 NULL, "", "", UID, "burstable", ""},
	{"Docker, cgroupfs", "0::/docker/" CID "\n", "/docker/" CID, CID, "docker", "", "", ""},
	{"Docker, systemd", "0::/system.slice/docker-" CID ".scope\n", NULL, CID, "docker", "", "",
	 ""},
	{"podman, system", "0::/machine.slice/libpod-" CID ".scope\n", NULL, CID, "podman", "", "",
	 ""},
	{"podman's conmon is not the container", "0::/machine.slice/libpod-conmon-" CID ".scope\n",
	 NULL, "", "", "", "", "libpod-conmon-" CID ".scope"},
	{"podman, user session",
	 "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID
	 ".scope/container\n",
	 NULL, CID, "podman", "", "", ""},
	{"containerd's slice:prefix:id notation",
	 "0::/kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" CID "\n", NULL, CID,
	 "containerd", UID, "besteffort", ""},
	{"private cgroup namespace: relative path",
	 "0::/../../kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope\n", NULL,
	 CID, "containerd", UID, "besteffort", ""},
	{"private cgroup namespace: its root", "0::/\n", "/", "", "", "", "", ""},
	{"kind node: kubelet-kubepods slices",
	 "0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
	 "kubelet-kubepods-burstable-pod" UID_ ".slice/cri-containerd-" CID ".scope\n",
	 NULL, CID, "containerd", UID, "burstable", ""},
	{"static pod: uid is a hash",
	 "0::/kubepods.slice/kubepods-podd41d8cd98f00b204e9800998ecf8427e.slice/cri-containerd-" CID
	 ".scope\n",
	 NULL, CID, "containerd", "d41d8cd98f00b204e9800998ecf8427e", "guaranteed", ""},
	{"systemd service on a bare host", "0::/system.slice/myapp.service\n",
	 "/system.slice/myapp.service", "", "", "", "", "myapp.service"},
	{"login session", "0::/user.slice/user-1000.slice/session-3.scope\n", NULL, "", "", "", "",
	 "session-3.scope"},
	{"only a slice", "0::/user.slice\n", NULL, "", "", "", "", "user.slice"},
	{"v1, several lines: memory wins",
	 "12:pids:/system.slice/docker-" CID2 ".scope\n"
	 "11:cpuset:/\n"
	 "10:memory:/kubepods/burstable/pod" UID "/" CID "\n"
	 "9:cpu,cpuacct:/kubepods/burstable/pod" UID "/" CID "\n"
	 "1:name=systemd:/kubepods/burstable/pod" UID "/" CID "\n",
	 "/kubepods/burstable/pod" UID "/" CID, CID, "", UID, "burstable", ""},
	{"v1 without memory: pids, then cpu",
	 "11:cpuset:/other\n9:cpu,cpuacct:/system.slice/b.service\n3:pids:/system.slice/a.service\n",
	 "/system.slice/a.service", "", "", "", "", "a.service"},
	{"hybrid: bare v2 root, v1 says more",
	 "4:memory:/system.slice/docker-" CID ".scope\n1:name=systemd:/system.slice/docker-" CID
	 ".scope\n0::/\n",
	 "/system.slice/docker-" CID ".scope", CID, "docker", "", "", ""},
	{"hybrid: v2 line preferred",
	 "4:memory:/system.slice/old.service\n0::/system.slice/docker-" CID ".scope\n", NULL, CID,
	 "docker", "", "", ""},
	{"no trailing newline, CRLF-free garbage lines skipped",
	 "garbage\n:x\n0::/system.slice/cron.service", "/system.slice/cron.service", "", "", "", "",
	 "cron.service"},
	{"id with a wrong character is not an id", "0::/system.slice/docker-" CID "!.scope\n",
	 NULL, "", "", "", "", "docker-" CID "!.scope"},
	{"pod uid with a wrong character is no uid",
	 "0::/kubepods.slice/kubepods-podzz_1.slice/cri-containerd-" CID ".scope\n", NULL, CID,
	 "containerd", "", "", ""},
};

static void check_shape(const struct shape *s)
{
	struct proc_identity id;
	int r = identity_parse_cgroup(s->text, &id);
	const char *cg;

	if (r)
		fail_msg("%s: identity_parse_cgroup() = %d", s->what, r);
	cg = s->cgroup;
	if (!cg) {
		/* the single line's path */
		const char *p = strstr(s->text, "::") + 2;

		static char buf[IDENTITY_CGROUP_MAX];
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, "\n"), p);
		cg = buf;
	}
#define FIELD(f)                                                                          \
	if (strcmp(id.f, s->f))                                                           \
		fail_msg("%s: " #f " is \"%s\", expected \"%s\"", s->what, id.f, s->f);
	if (strcmp(id.cgroup, cg))
		fail_msg("%s: cgroup is \"%s\", expected \"%s\"", s->what, id.cgroup, cg);
	FIELD(container_id)
	FIELD(runtime)
	FIELD(pod_uid)
	FIELD(qos)
	FIELD(unit)
#undef FIELD
	assert_string_equal(id.pod_namespace, "");
	assert_string_equal(id.pod_name, "");
	assert_string_equal(id.container_name, "");
}

static void test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_shape(&shapes[i]);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "\n", "garbage", "0::", "0::\n", "0:: relative\n", "x::/a\n", "12:memory\n",
		"::/a\n", "12345678901::/a\n",
	};
	struct proc_identity id;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = identity_parse_cgroup(bad[i], &id);

		if (r != -EINVAL)
			fail_msg("identity_parse_cgroup(\"%s\") = %d, expected -EINVAL", bad[i], r);
	}
	assert_int_equal(identity_parse_path("", &id), -EINVAL);

	/* an over-long path is refused, not cut (a cut path could pass a
	 * --cgroup prefix it should fail); a long line next to it does not
	 * hide a good one */
	big = malloc(3 * IDENTITY_CGROUP_MAX);
	assert_non_null(big);
	memcpy(big, "0::/", 4);
	memset(big + 4, 'a', 2 * IDENTITY_CGROUP_MAX);
	big[4 + 2 * IDENTITY_CGROUP_MAX] = 0;
	assert_int_equal(identity_parse_cgroup(big, &id), -EINVAL);
	strcpy(big + 4 + 2 * IDENTITY_CGROUP_MAX, "\n4:memory:/system.slice/x.service\n");
	assert_int_equal(identity_parse_cgroup(big, &id), 0);
	assert_string_equal(id.unit, "x.service");
	/* a component far longer than any field: nothing overflows */
	memcpy(big, "0::/system.slice/docker-", 24);
	memset(big + 24, 'a', IDENTITY_CGROUP_MAX - 40);
	strcpy(big + 24 + IDENTITY_CGROUP_MAX - 40, ".scope\n");
	assert_int_equal(identity_parse_cgroup(big, &id), 0);
	assert_string_equal(id.container_id, "");
	assert_string_equal(id.unit, "");
	free(big);
}

static void test_read_self(void **state)
{
	struct proc_identity id;

	(void)state;
	assert_int_equal(identity_read(getpid(), &id), 0);
	assert_int_equal(id.cgroup[0], '/');
	assert_int_equal(identity_read(-1, &id), -ESRCH);
}

/* The kubelet's tree under a temporary directory: logs/pods/... and
 * logs/containers/... */
static char root[] = "/tmp/test_identity.XXXXXX";

/* tree_path() - root + "/" + the formatted name. */
static void tree_path(char *path, size_t cap, const char *fmt, va_list ap)
{
	int n = snprintf(path, cap, "%s/", root);

	vsnprintf(path + n, cap - n, fmt, ap);
}

/* mk() - a directory (name ending in '/') or an empty file in the tree. */
static void mk(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	tree_path(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (path[strlen(path) - 1] == '/') {
		path[strlen(path) - 1] = 0;
		assert_int_equal(mkdir(path, 0755), 0);
	} else {
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		close(fd);
	}
}

/* ln() - a symbolic link to target in the tree. */
static void ln(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	tree_path(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, path), 0);
}

#define UID_A "11111111-2222-3333-4444-555555555555"
#define UID_B "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define UID_C "99999999-8888-7777-6666-555555555555"
#define UID_D "12121212-3434-5656-7878-909090909090"

static int setup_tree(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	mk("pods/");
	mk("containers/");
	/* pod A: one container, restarted twice */
	mk("pods/default_web-7d9f8b-x2x9z_" UID_A "/");
	mk("pods/default_web-7d9f8b-x2x9z_" UID_A "/app/");
	mk("pods/default_web-7d9f8b-x2x9z_" UID_A "/app/0.log");
	mk("pods/default_web-7d9f8b-x2x9z_" UID_A "/app/1.log");
	mk("pods/default_web-7d9f8b-x2x9z_" UID_A "/app/2.log");
	/* pod B: two containers plus a sidecar; /var/log/containers names */
	mk("pods/kube-system_worker-0_" UID_B "/");
	mk("pods/kube-system_worker-0_" UID_B "/main/");
	mk("pods/kube-system_worker-0_" UID_B "/main/0.log");
	mk("pods/kube-system_worker-0_" UID_B "/sidecar/");
	mk("pods/kube-system_worker-0_" UID_B "/sidecar/0.log");
	mk("pods/kube-system_worker-0_" UID_B "/init/");
	ln("../pods/kube-system_worker-0_" UID_B "/main/0.log",
	   "containers/worker-0_kube-system_main-" CID2 ".log");
	ln("../pods/kube-system_worker-0_" UID_B "/sidecar/0.log",
	   "containers/worker-0_kube-system_sidecar-" CID ".log");
	/* pod C: two containers whose logs are symlinks to the runtime's */
	mk("pods/prod_api_" UID_C "/");
	mk("pods/prod_api_" UID_C "/nginx/");
	mk("pods/prod_api_" UID_C "/python/");
	ln("/var/lib/docker/containers/" CID2 "/" CID2 "-json.log",
	   "pods/prod_api_" UID_C "/nginx/0.log");
	ln("/var/lib/docker/containers/" CID "/" CID "-json.log",
	   "pods/prod_api_" UID_C "/python/0.log");
	ln("/var/lib/docker/containers/" CID "/" CID "-json.log",
	   "pods/prod_api_" UID_C "/python/1.log");
	/* pod D: two containers, nothing names the ids */
	mk("pods/ns_two_" UID_D "/");
	mk("pods/ns_two_" UID_D "/a/");
	mk("pods/ns_two_" UID_D "/b/");
	/* noise: a file, an old-style uid-only directory, a bad name */
	mk("pods/README");
	mk("pods/" UID_D "/");
	mk("pods/nounderscore/");
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static void lookup(const char *uid, const char *cid, int want, const char *ns, const char *pod,
		   const char *container)
{
	struct proc_identity id;
	char pods[PATH_MAX];

	memset(&id, 0, sizeof(id));
	snprintf(id.pod_uid, sizeof(id.pod_uid), "%s", uid);
	snprintf(id.container_id, sizeof(id.container_id), "%s", cid);
	snprintf(pods, sizeof(pods), "%s/pods", root);
	assert_int_equal(identity_pod_lookup(pods, &id), want);
	assert_string_equal(id.pod_namespace, ns);
	assert_string_equal(id.pod_name, pod);
	assert_string_equal(id.container_name, container);
}

static void test_pod_lookup(void **state)
{
	struct proc_identity id;

	(void)state;
	lookup(UID_A, CID, 0, "default", "web-7d9f8b-x2x9z", "app");
	lookup(UID_A, "", 0, "default", "web-7d9f8b-x2x9z", "app");
	lookup(UID_B, CID, 0, "kube-system", "worker-0", "sidecar");
	lookup(UID_B, CID2, 0, "kube-system", "worker-0", "main");
	lookup(UID_B, "", 0, "kube-system", "worker-0", "");
	lookup(UID_C, CID, 0, "prod", "api", "python");
	lookup(UID_C, CID2, 0, "prod", "api", "nginx");
	lookup(UID_D, CID, 0, "ns", "two", "");
	lookup("00000000-0000-0000-0000-000000000000", CID, -ENOENT, "", "", "");
	lookup("", CID, -ENOENT, "", "", "");
	memset(&id, 0, sizeof(id));
	strcpy(id.pod_uid, UID_A);
	assert_int_equal(identity_pod_lookup("/nonexistent/pods", &id), -ENOENT);
}

static void test_labels(void **state)
{
	struct proc_identity id;
	const char *names[8], *values[8];
	int n;

	(void)state;
	assert_int_equal(identity_parse_cgroup("0::/kubepods.slice/kubepods-burstable.slice/"
					       "kubepods-burstable-pod" UID_
					       ".slice/cri-containerd-" CID ".scope\n",
					       &id),
			 0);
	strcpy(id.pod_namespace, "default");
	strcpy(id.pod_name, "web");
	strcpy(id.container_name, "app");
	n = identity_labels(&id, names, values, 8);
	assert_int_equal(n, 7);
	assert_string_equal(names[0], "container_id");
	assert_string_equal(values[0], CID);
	assert_string_equal(names[1], "pod_uid");
	assert_string_equal(values[1], UID);
	assert_string_equal(names[2], "namespace");
	assert_string_equal(values[2], "default");
	assert_string_equal(names[3], "pod");
	assert_string_equal(names[4], "container");
	assert_string_equal(values[4], "app");
	assert_string_equal(names[5], "qos");
	assert_string_equal(values[5], "burstable");
	assert_string_equal(names[6], "runtime");
	assert_string_equal(values[6], "containerd");
	assert_int_equal(identity_labels(&id, names, values, 3), 3);

	assert_int_equal(identity_parse_cgroup("0::/system.slice/myapp.service\n", &id), 0);
	n = identity_labels(&id, names, values, 8);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "unit");
	assert_string_equal(values[0], "myapp.service");
	assert_int_equal(identity_parse_cgroup("0::/\n", &id), 0);
	assert_int_equal(identity_labels(&id, names, values, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test_setup_teardown(test_pod_lookup, setup_tree, teardown_tree),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
