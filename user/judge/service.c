// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * service.c: see service.h. Everything read here is the target's to shape
 * (its command line, its cgroup name): bounded reads, bounded copies.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "identity.h"
#include "procfile.h"
#include "service.h"

static int is_word(unsigned char c)
{
	return isascii(c) && isalnum(c);
}

/* put() - append s to out[*o..outsz-1), keeping room for the NUL. */
static void put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	while (n-- && *o + 1 < outsz)
		out[(*o)++] = *s++;
}

/* shape_word() - one word w[0..n) into out, as service.h says. */
static void shape_word(const char *w, size_t n, char *out, size_t outsz, size_t *o)
{
	size_t digits = 0, hex = 0;

	for (size_t i = 0; i < n; i++) {
		digits += !!isdigit((unsigned char)w[i]);
		hex += !!isxdigit((unsigned char)w[i]);
	}
	if (digits == n) {
		put(out, outsz, o, "<n>", 3);
		return;
	}
	if (hex == n && digits && n >= 4) {
		put(out, outsz, o, "<hex>", 5);
		return;
	}
	for (size_t i = 0; i < n;) {
		if (!isdigit((unsigned char)w[i])) {
			put(out, outsz, o, &w[i++], 1);
			continue;
		}
		while (i < n && isdigit((unsigned char)w[i]))
			i++;
		put(out, outsz, o, "<n>", 3);
	}
}

void service_shape(const char *cmd, size_t len, char *out, size_t outsz)
{
	size_t o = 0, i = 0;

	if (!outsz)
		return;
	/* a trailing NUL ends the last argument; it is no separator */
	while (len && !cmd[len - 1])
		len--;
	while (i < len) {
		unsigned char c = (unsigned char)cmd[i];

		if (is_word(c)) {
			size_t j = i;

			while (j < len && is_word((unsigned char)cmd[j]))
				j++;
			shape_word(&cmd[i], j - i, out, outsz, &o);
			i = j;
			continue;
		}
		put(out, outsz, &o, !c ? " " : c < 0x20 || c == 0x7f ? "?" : (const char *)&cmd[i],
		    1);
		i++;
	}
	out[o] = 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t service_key_id(const struct service_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, &k->dev, sizeof(k->dev));
	h = fnv(h, &k->ino, sizeof(k->ino));
	h = fnv(h, k->shape, strnlen(k->shape, sizeof(k->shape)) + 1);
	return fnv(h, k->container_id, strnlen(k->container_id, sizeof(k->container_id)));
}

int service_key_same(const struct service_key *a, const struct service_key *b)
{
	return a->dev == b->dev && a->ino == b->ino &&
	       !strncmp(a->shape, b->shape, sizeof(a->shape)) &&
	       !strncmp(a->container_id, b->container_id, sizeof(a->container_id));
}

int service_key_read(pid_t pid, struct service_key *k)
{
	char path[64], cmd[SERVICE_CMDLINE_MAX + 1]; /* + the reader's NUL */
	struct proc_identity *id;
	struct stat st;
	ssize_t n;

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st))
		return errno == ENOENT ? -ESRCH : -errno;
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	n = readlink(path, k->exe, sizeof(k->exe) - 1);
	k->exe[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = proc_read_small(path, cmd, sizeof(cmd));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	service_shape(cmd, (size_t)n, k->shape, sizeof(k->shape));
	/* big (a cgroup path): not on the stack */
	id = calloc(1, sizeof(*id));
	if (id && !identity_read(pid, id))
		snprintf(k->container_id, sizeof(k->container_id), "%s", id->container_id);
	free(id);
	k->id = service_key_id(k);
	return 0;
}
