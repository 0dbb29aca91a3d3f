/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * service.h: node mode's --group-by-service key. Processes with the same
 * executable (device and inode of /proc/PID/exe), the same command line
 * shape and the same container id are one service (a gunicorn master and
 * its workers, a Celery pool): node.c merges their reports (svcmerge.h).
 *
 * A command line's shape is the line with its variable parts replaced by
 * placeholders, word by word (a word: a maximal run of letters and digits):
 * a word of digits only becomes "<n>"; a word of hex digits only with a
 * digit and a letter, 4 or more long, becomes "<hex>" (ids, hashes, uuid
 * parts); in any other word each run of digits becomes "<n>". So
 * "celery worker -n w1@host --port=8001" and "... -n w2@host --port=8002"
 * share the shape "celery worker -n w<n>@host --port=<n>".
 */
#ifndef PYLEAK_SERVICE_H
#define PYLEAK_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVICE_SHAPE_MAX 512 /* bytes of shape kept (longer lines are cut) */
#define SERVICE_CMDLINE_MAX 4096 /* bytes of /proc/PID/cmdline read */

struct service_key {
	uint64_t dev, ino;		/* of the executable */
	char exe[256];			/* its path, for people (not compared) */
	char shape[SERVICE_SHAPE_MAX];	/* service_shape() of the command line */
	char container_id[129];		/* identity.h's, or "" outside containers */
	uint64_t id;			/* service_key_id(): stable over runs */
};

/* service_shape() - the shape of the command line cmd[0..len) (arguments
 * separated by NUL bytes, as /proc/PID/cmdline holds them), arguments joined
 * by spaces, into out[0..outsz) (always NUL-terminated; cut at outsz-1).
 * Bytes other than letters and digits are copied, control bytes as '?'. */
void service_shape(const char *cmd, size_t len, char *out, size_t outsz);

/* service_key_id() - FNV-1a over k's dev, ino, shape and container id: the
 * same key gives the same id in every run; exe is not hashed. */
uint64_t service_key_id(const struct service_key *k);

/* service_key_same() - a and b are one service. */
int service_key_same(const struct service_key *a, const struct service_key *b);

/* service_key_read() - k for process pid (its exe, cmdline, container id
 * from identity_read(); id filled). Returns 0, -ESRCH when it is gone, or
 * -errno (exe unreadable: a kernel thread, or no permission). */
int service_key_read(pid_t pid, struct service_key *k);

#endif /* PYLEAK_SERVICE_H */
