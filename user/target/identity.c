// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* identity.c: see identity.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "identity.h"

#define POD_ENTRIES_MAX 4096	/* entries of pods_dir read */
#define CONTAINERS_MAX 64	/* container directories of one pod */
#define LOGS_MAX 64		/* log files of one container read */

/* copy_n() - src[0..n) into dst of size cap; false (dst untouched) if it
 * does not fit: a field is whole or empty, never cut. */
static bool copy_n(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, src, n);
	dst[n] = 0;
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(s, prefix, k);
}

/* A runtime's container id: letters and digits only (all known runtimes use
 * 64 lower-case hex digits), so "conmon-<id>" or "a/b" never passes. */
static bool valid_container_id(const char *s, size_t n)
{
	if (!n || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void set_container(struct proc_identity *out, const char *runtime, const char *id, size_t n)
{
	if (!valid_container_id(id, n) || !copy_n(out->container_id, sizeof(out->container_id), id, n))
		return;
	snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
}

/* set_pod_uid() - a pod uid as the kubelet writes it: the systemd driver
 * turns its dashes into underscores (a dash in a slice name means nesting),
 * so they are turned back. Hex digits and dashes only, at most 64. */
static void set_pod_uid(struct proc_identity *out, const char *s, size_t n)
{
	char uid[sizeof(out->pod_uid)];

	if (!n || n >= sizeof(uid))
		return;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] == '_' ? '-' : s[i];

		if (!isxdigit((unsigned char)c) && c != '-')
			return;
		uid[i] = c;
	}
	uid[n] = 0;
	memcpy(out->pod_uid, uid, n + 1);
}

/* parse_kube_slice() - "kubepods[-<qos>][-pod<uid>]" (the ".slice" already
 * cut off, maybe with a prefix such as kind's "kubelet-"): QoS class and
 * pod uid. A pod slice without a QoS part is a guaranteed pod's. Returns
 * false if c is not such a name. */
static bool parse_kube_slice(struct proc_identity *out, const char *c, size_t n)
{
	const char *k = memmem(c, n, "kubepods", 8);
	const char *r, *end = c + n;

	if (!k)
		return false;
	r = k + 8;
	if (starts_with(r, end - r, "-burstable")) {
		snprintf(out->qos, sizeof(out->qos), "burstable");
		r += 10;
	} else if (starts_with(r, end - r, "-besteffort")) {
		snprintf(out->qos, sizeof(out->qos), "besteffort");
		r += 11;
	}
	if (starts_with(r, end - r, "-pod")) {
		set_pod_uid(out, r + 4, end - r - 4);
		if (out->pod_uid[0] && !out->qos[0])
			snprintf(out->qos, sizeof(out->qos), "guaranteed");
	}
	return true;
}

/* Container scopes of each runtime: "<prefix><id>[.scope]". The monitors'
 * scopes (conmon) hold no container process: not containers. */
static const struct {
	const char *prefix, *runtime;
} scopes[] = {
	{"cri-containerd-", "containerd"},
	{"crio-", "cri-o"},
	{"docker-", "docker"},
	{"libpod-", "podman"},
};

static const char *const ignored_scopes[] = {"crio-conmon-", "libpod-conmon-"};

/* parse_scope() - a runtime's container scope name; true if c is one. */
static bool parse_scope(struct proc_identity *out, const char *c, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(ignored_scopes) / sizeof(ignored_scopes[0]); i++)
		if (starts_with(c, n, ignored_scopes[i]))
			return false; /* a unit like any other */
	if (ends_with(c, n, ".scope"))
		n -= 6;
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t k = strlen(scopes[i].prefix);

		if (starts_with(c, n, scopes[i].prefix) && valid_container_id(c + k, n - k)) {
			set_container(out, scopes[i].runtime, c + k, n - k);
			return true;
		}
	}
	return false;
}

/* parse_colon_form() - containerd's systemd-driver notation
 * "<slice>:<prefix>:<id>" (e.g. "kubepods-besteffort-pod<uid>.slice:
 * cri-containerd:<id>"). True if c has that shape. */
static bool parse_colon_form(struct proc_identity *out, const char *c, size_t n)
{
	const char *a = memchr(c, ':', n), *b;
	char scope[160];

	if (!a || !(b = memchr(a + 1, ':', c + n - a - 1)))
		return false;
	if (ends_with(c, a - c, ".slice"))
		parse_kube_slice(out, c, a - c - 6);
	/* "<prefix>-<id>" is the scope name the runtime would have made */
	if ((size_t)snprintf(scope, sizeof(scope), "%.*s-%.*s", (int)(b - a - 1), a + 1,
			     (int)(c + n - b - 1), b + 1) < sizeof(scope))
		parse_scope(out, scope, strlen(scope));
	return true;
}

int identity_parse_path(const char *path, struct proc_identity *out)
{
	size_t len = strnlen(path, IDENTITY_CGROUP_MAX);
	const char *p = path, *end = path + len, *unit = NULL, *slice = NULL;
	size_t unit_n = 0, slice_n = 0;
	bool in_kubepods = false, after_docker = false;

	memset(out, 0, sizeof(*out));
	if (!len || len >= IDENTITY_CGROUP_MAX)
		return -EINVAL;
	memcpy(out->cgroup, path, len);
	while (p < end) {
		const char *c = p, *slash = memchr(p, '/', end - p);
		size_t n = (slash ? slash : end) - c;
		bool docker_next = after_docker;

		p = slash ? slash + 1 : end;
		after_docker = false;
		/* "..": a path relative to a private cgroup namespace's root */
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			continue;
		if (parse_colon_form(out, c, n) || parse_scope(out, c, n))
			continue;
		if (ends_with(c, n, ".slice") && parse_kube_slice(out, c, n - 6))
			continue;
		/* cgroupfs driver: /kubepods/[<qos>/]pod<uid>/<id>, /docker/<id> */
		if (n == 8 && !memcmp(c, "kubepods", 8)) {
			in_kubepods = true;
			continue;
		}
		if (n == 6 && !memcmp(c, "docker", 6)) {
			after_docker = true;
			continue;
		}
		if (in_kubepods && !out->pod_uid[0]) {
			if (n == 9 && !memcmp(c, "burstable", 9)) {
				snprintf(out->qos, sizeof(out->qos), "burstable");
				continue;
			}
			if (n == 10 && !memcmp(c, "besteffort", 10)) {
				snprintf(out->qos, sizeof(out->qos), "besteffort");
				continue;
			}
			if (starts_with(c, n, "pod")) {
				set_pod_uid(out, c + 3, n - 3);
				if (out->pod_uid[0] && !out->qos[0])
					snprintf(out->qos, sizeof(out->qos), "guaranteed");
				continue;
			}
		}
		if (is_hex64(c, n) && (docker_next || out->pod_uid[0])) {
			/* a bare id names no runtime, except under /docker */
			set_container(out, docker_next ? "docker" : "", c, n);
			continue;
		}
		if (ends_with(c, n, ".service") || ends_with(c, n, ".scope"))
			unit = c, unit_n = n;
		else if (ends_with(c, n, ".slice"))
			slice = c, slice_n = n;
	}
	/* a systemd unit names a process only outside containers and pods */
	if (!out->container_id[0] && !out->pod_uid[0]) {
		if (!unit)
			unit = slice, unit_n = slice_n;
		if (unit)
			copy_n(out->unit, sizeof(out->unit), unit, unit_n);
	}
	return 0;
}

/* line_rank() - how much a /proc/PID/cgroup line is preferred (lower is
 * better), from its hierarchy id and controller list; -1 if it is no line. */
static int line_rank(const char *line, size_t n, const char **path, size_t *path_n)
{
	static const char *const v1_order[] = {"memory", "pids", "cpu", "name=systemd"};
	const char *c1, *c2, *end = line + n, *p = line;
	size_t i;

	while (p < end && isdigit((unsigned char)*p))
		p++;
	if (p == line || p - line > 10 || p >= end || *p != ':')
		return -1;
	c1 = p;
	if (!(c2 = memchr(c1 + 1, ':', end - c1 - 1)))
		return -1;
	*path = c2 + 1;
	*path_n = end - c2 - 1;
	if (!*path_n || **path != '/' || *path_n >= IDENTITY_CGROUP_MAX)
		return -1;
	if (c2 == c1 + 1) {
		/* "0::" is the unified (v2) hierarchy; its bare root says less
		 * than a v1 line of a hybrid host */
		if (c1 != line + 1 || line[0] != '0')
			return 6;
		return *path_n == 1 ? 5 : 0;
	}
	for (i = 0; i < sizeof(v1_order) / sizeof(v1_order[0]); i++) {
		size_t k = strlen(v1_order[i]);

		for (const char *t = c1 + 1; t < c2;) {
			const char *comma = memchr(t, ',', c2 - t);
			const char *te = comma ? comma : c2;

			if ((size_t)(te - t) == k && !memcmp(t, v1_order[i], k))
				return 1 + i;
			t = te + 1;
		}
	}
	return 6;
}

int identity_parse_cgroup(const char *text, struct proc_identity *out)
{
	size_t len = strnlen(text, IDENTITY_TEXT_MAX);
	const char *p = text, *end = text + len, *best = NULL, *path;
	size_t best_n = 0, path_n;
	int best_rank = 99, rank;
	char buf[IDENTITY_CGROUP_MAX];

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		rank = line_rank(p, n, &path, &path_n);
		if (rank >= 0 && rank < best_rank) {
			best_rank = rank;
			best = path;
			best_n = path_n;
		}
		p = nl ? nl + 1 : end;
	}
	if (!best)
		return -EINVAL;
	memcpy(buf, best, best_n);
	buf[best_n] = 0;
	return identity_parse_path(buf, out);
}

int identity_read(pid_t pid, struct proc_identity *out)
{
	char path[64], *text;
	size_t got = 0;
	ssize_t r;
	int fd, err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	text = malloc(IDENTITY_TEXT_MAX);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	while (got < IDENTITY_TEXT_MAX - 1 &&
	       (r = read(fd, text + got, IDENTITY_TEXT_MAX - 1 - got)) > 0)
		got += r;
	text[got] = 0;
	/* a process that exited between open and read reads as empty (ESRCH) */
	err = got ? identity_parse_cgroup(text, out) : -ESRCH;
out:
	free(text);
	close(fd);
	return err;
}

/* log_names_id() - does a container log's symlink target (readlink of
 * dir/name) name container id cid? */
static bool log_names_id(int dirfd, const char *name, const char *cid)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n <= 0)
		return false;
	target[n] = 0;
	return strstr(target, cid) != NULL;
}

/* container_matches() - is container directory cname of pod dir pdir the
 * container cid: a /var/log/containers-style name next to pods_dir, or a
 * log file in it that is a symlink naming cid. */
static bool container_matches(const char *pods_dir, int pdir, const char *cname,
			      const struct proc_identity *id)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	bool found = false;
	int fd, n = 0;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s/../containers/%s_%s_%s-%s.log", pods_dir,
			     id->pod_name, id->pod_namespace, cname,
			     id->container_id) < sizeof(path) &&
	    !lstat(path, &st))
		return true;
	fd = openat(pdir, cname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && n++ < LOGS_MAX && (de = readdir(d)))
		if (ends_with(de->d_name, strlen(de->d_name), ".log"))
			found = log_names_id(dirfd(d), de->d_name, id->container_id);
	closedir(d);
	return found;
}

/* find_container() - fill id->container_name from pod directory name. */
static void find_container(const char *pods_dir, const char *name, struct proc_identity *id)
{
	char names[CONTAINERS_MAX][64];
	struct dirent *de;
	struct stat st;
	int fd, n = 0, seen = 0;
	DIR *d;

	fd = openat(AT_FDCWD, pods_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	int pfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	close(fd);
	if (pfd < 0 || !(d = fdopendir(pfd))) {
		if (pfd >= 0)
			close(pfd);
		return;
	}
	while (n < CONTAINERS_MAX && seen++ < POD_ENTRIES_MAX && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len >= sizeof(names[0]))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		memcpy(names[n++], de->d_name, len + 1);
	}
	if (n == 1) {
		snprintf(id->container_name, sizeof(id->container_name), "%s", names[0]);
	} else if (n > 1 && strlen(id->container_id) >= 12) {
		for (int i = 0; i < n; i++) {
			if (container_matches(pods_dir, dirfd(d), names[i], id)) {
				snprintf(id->container_name, sizeof(id->container_name), "%s",
					 names[i]);
				break;
			}
		}
	}
	closedir(d);
}

int identity_pod_lookup(const char *pods_dir, struct proc_identity *id)
{
	struct dirent *de;
	int n = 0, err = -ENOENT;
	DIR *d;

	id->pod_namespace[0] = id->pod_name[0] = id->container_name[0] = 0;
	if (!id->pod_uid[0])
		return -ENOENT;
	d = opendir(pods_dir);
	if (!d)
		return -errno;
	while (n++ < POD_ENTRIES_MAX && (de = readdir(d))) {
		/* <namespace>_<pod>_<uid>: neither a namespace nor a pod name
		 * may hold '_', so the first and last '_' split it */
		const char *name = de->d_name, *first = strchr(name, '_'),
			   *last = strrchr(name, '_');

		if (!first || first == last || strcmp(last + 1, id->pod_uid))
			continue;
		if (!copy_n(id->pod_namespace, sizeof(id->pod_namespace), name, first - name) ||
		    !copy_n(id->pod_name, sizeof(id->pod_name), first + 1, last - first - 1) ||
		    !id->pod_namespace[0] || !id->pod_name[0]) {
			id->pod_namespace[0] = id->pod_name[0] = 0;
			continue;
		}
		find_container(pods_dir, name, id);
		err = 0;
		break;
	}
	closedir(d);
	return err;
}

int identity_labels(const struct proc_identity *id, const char *names[], const char *values[],
		    int max)
{
	const struct {
		const char *name, *value;
	} all[] = {
		{"container_id", id->container_id}, {"pod_uid", id->pod_uid},
		{"namespace", id->pod_namespace},   {"pod", id->pod_name},
		{"container", id->container_name},  {"qos", id->qos},
		{"runtime", id->runtime},	    {"unit", id->unit},
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && n < max; i++) {
		if (!all[i].value[0])
			continue;
		names[n] = all[i].name;
		values[n++] = all[i].value;
	}
	return n;
}
