// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memcg.c: see memcg.h. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memcg.h"

/* Bounds of the files read: /proc/PID/cgroup and memory.* are small;
 * mountinfo grows with the mounts (a container host has thousands). */
#define CGROUP_TEXT_MAX 16384
#define MOUNTINFO_MAX (1 << 20)
#define SMALL_MAX 4096
/* v1 prints "no limit" as PAGE_COUNTER_MAX pages in bytes: LONG_MAX
 * rounded down to a page. Anything this large is no limit. */
#define V1_UNLIMITED_FROM (1ULL << 62)

/* read_text() - up to cap - 1 bytes of path, NUL-terminated, into a new
 * buffer (*out, freed by the caller). Returns 0 or -errno. */
static int read_text(const char *path, size_t cap, char **out)
{
	char *buf = malloc(cap);
	size_t got = 0;
	ssize_t r;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	while (got < cap - 1 && (r = read(fd, buf + got, cap - 1 - got)) != 0) {
		if (r < 0) {
			err = -errno;
			break;
		}
		got += r;
	}
	close(fd);
	buf[got] = 0;
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* has_word() - does the comma-separated list s[0..n) hold word? */
static bool has_word(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && s[j] != ',')
			j++;
		if (j - i == w && !memcmp(s + i, word, w))
			return true;
		i = j + 1;
	}
	return false;
}

static int copy_path(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n);
	dst[n] = 0;
	return 0;
}

int memcg_parse_cgroup(const char *text, char *path, size_t cap, bool *v2)
{
	const char *v2_path = NULL;
	size_t v2_n = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *c1 = memchr(l, ':', n), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', n - (c1 + 1 - l))) && c2[1] == '/') {
			const char *p = c2 + 1;
			size_t pn = n - (p - l);

			if (c2 == c1 + 1 && c1 - l == 1 && l[0] == '0') {
				v2_path = p;
				v2_n = pn;
			} else if (has_word(c1 + 1, c2 - c1 - 1, "memory")) {
				*v2 = false;
				return copy_path(path, cap, p, pn);
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	if (!v2_path)
		return -ENOENT;
	*v2 = true;
	return copy_path(path, cap, v2_path, v2_n);
}

/* field() - the i-th space-separated field of line[0..n) (0-based). */
static const char *field(const char *line, size_t n, int i, size_t *len)
{
	const char *p = line, *end = line + n;

	for (;;) {
		const char *q = memchr(p, ' ', end - p);

		if (!i--) {
			*len = (q ? q : end) - p;
			return p;
		}
		if (!q)
			return NULL;
		p = q + 1;
	}
}

int memcg_parse_mountinfo(const char *text, const char *path, bool v2, char *dir, size_t cap)
{
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n'), *line = l;
		size_t n = nl ? (size_t)(nl - l) : strlen(l), rest;
		/* "id parent maj:min root mountpoint opts [optional...] - type source superopts" */
		const char *sep = memmem(l, n, " - ", 3);
		size_t rn = 0, mn = 0, tn = 0, on = 0;
		const char *root = field(l, n, 3, &rn), *mnt = field(l, n, 4, &mn), *type, *opts;

		l = nl ? nl + 1 : NULL;
		if (!sep || !root || !mnt)
			continue;
		sep += 3;
		rest = n - (size_t)(sep - line);
		type = field(sep, rest, 0, &tn);
		opts = field(sep, rest, 2, &on);
		if (!type)
			continue;
		if (v2 ? !(tn == 7 && !memcmp(type, "cgroup2", 7))
		       : !(tn == 6 && !memcmp(type, "cgroup", 6) && opts && has_word(opts, on, "memory")))
			continue;
		/* the part of path below the mount's root (a bind of a subtree) */
		const char *below = path;

		if (!(rn == 1 && root[0] == '/')) {
			if (strncmp(path, root, rn) || (path[rn] && path[rn] != '/'))
				continue;
			below = path + rn;
		}
		if (mn + strlen(below) + 1 > cap)
			return -ENAMETOOLONG;
		memcpy(dir, mnt, mn);
		strcpy(dir + mn, strcmp(below, "/") ? below : "");
		return 0;
	}
	return -ENOENT;
}

int memcg_parse_limit(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;

	if (!strncmp(text, "max", 3) && (text[3] == '\n' || !text[3])) {
		*bytes = MEMCG_UNLIMITED;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end && *end != '\n'))
		return -EINVAL;
	*bytes = v >= V1_UNLIMITED_FROM ? MEMCG_UNLIMITED : v;
	return 0;
}

int memcg_parse_key(const char *text, const char *key, uint64_t *val)
{
	size_t k = strlen(key);

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');

		if (!strncmp(l, key, k) && l[k] == ' ') {
			char *end;
			unsigned long long v;

			if (l[k + 1] < '0' || l[k + 1] > '9')
				return -EINVAL;
			errno = 0;
			v = strtoull(l + k + 1, &end, 10);
			if (errno || (*end && *end != '\n'))
				return -EINVAL;
			*val = v;
			return 0;
		}
		l = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int memcg_open(pid_t pid, struct memcg *m)
{
	char path[64], *text = NULL;
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	err = read_text(path, CGROUP_TEXT_MAX, &text);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = memcg_parse_cgroup(text, m->path, sizeof(m->path), &m->v2);
	free(text);
	text = NULL;
	if (!err)
		err = read_text("/proc/self/mountinfo", MOUNTINFO_MAX, &text);
	if (!err)
		err = memcg_parse_mountinfo(text, m->path, m->v2, m->dir, sizeof(m->dir));
	free(text);
	return err;
}

/* read_file_of() - memcg file name's text (bounded) into *out. */
static int read_file_of(const struct memcg *m, const char *name, char **out)
{
	char path[MEMCG_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", m->dir, name);
	return read_text(path, SMALL_MAX, out);
}

int memcg_read(const struct memcg *m, uint64_t *limit, uint64_t *oom_kills)
{
	char *text = NULL;
	int err = 0, e;

	/* each file on its own: the root cgroup has no memory.max, yet counts */
	if (limit) {
		e = read_file_of(m, m->v2 ? "memory.max" : "memory.limit_in_bytes", &text);
		if (!e)
			e = memcg_parse_limit(text, limit);
		free(text);
		text = NULL;
		err = e;
	}
	if (oom_kills) {
		e = read_file_of(m, m->v2 ? "memory.events" : "memory.oom_control", &text);
		if (!e)
			e = memcg_parse_key(text, "oom_kill", oom_kills);
		free(text);
		if (!err)
			err = e;
	}
	return err;
}
