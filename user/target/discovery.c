// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* discovery.c: see discovery.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "discovery.h"
#include "procfile.h"
#include "elfsym.h"
#include "log.h"
#include "target.h"

#define PF_KTHREAD_FLAG 0x00200000UL /* include/linux/sched.h PF_KTHREAD */
#define CACHE_MAX 32768		     /* processes remembered */
#define FILES_MAX 256		     /* interpreter files remembered */

/* A process's verdict, valid while pid, start time and executable match. */
struct proc_entry {
	pid_t pid;
	uint64_t start_time, exe_dev, exe_ino;
	time_t checked; /* CLOCK_MONOTONIC seconds, for negative verdicts */
	bool python, shared;
	char version[16];
	char *interp; /* malloc'd, python only */
};

/* An executable file's verdict: does it define _PyRuntime? */
struct file_entry {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	bool python;
	char version[16];
};

static struct {
	struct proc_entry *procs;
	int nprocs;
	struct file_entry files[FILES_MAX];
	int nfiles, next_file; /* next_file: the slot reused when full */
	struct discovery_stats stats;
} cache;

int discovery_filter_init(struct discovery_filter *f, const char *match, const char *exclude,
			  const char *cgroup, char *err, size_t errlen)
{
	char msg[256];
	int r;

	memset(f, 0, sizeof(*f));
	if (match && (r = regcomp(&f->match, match, REG_EXTENDED | REG_NOSUB))) {
		regerror(r, &f->match, msg, sizeof(msg));
		snprintf(err, errlen, "--match '%s': %s", match, msg);
		return -EINVAL;
	}
	f->has_match = match != NULL;
	if (exclude && (r = regcomp(&f->exclude, exclude, REG_EXTENDED | REG_NOSUB))) {
		regerror(r, &f->exclude, msg, sizeof(msg));
		snprintf(err, errlen, "--exclude '%s': %s", exclude, msg);
		discovery_filter_free(f);
		return -EINVAL;
	}
	f->has_exclude = exclude != NULL;
	if (cgroup && cgroup[0]) {
		if (cgroup[0] != '/' || strlen(cgroup) >= sizeof(f->cgroup)) {
			snprintf(err, errlen,
				 "--cgroup '%s': expected a cgroup path such as "
				 "/kubepods.slice or /system.slice/myapp.service",
				 cgroup);
			discovery_filter_free(f);
			return -EINVAL;
		}
		snprintf(f->cgroup, sizeof(f->cgroup), "%s", cgroup);
	}
	return 0;
}

void discovery_filter_free(struct discovery_filter *f)
{
	if (f->has_match)
		regfree(&f->match);
	if (f->has_exclude)
		regfree(&f->exclude);
	f->has_match = f->has_exclude = false;
}

size_t discovery_cmdline_text(const char *raw, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	if (!cap)
		return 0;
	for (size_t i = 0; i < n && len < cap - 1; i++)
		out[len++] = raw[i] ? raw[i] : ' ';
	while (len && !raw[len - 1]) /* the NUL ending the last argument */
		len--;
	out[len] = 0;
	return len;
}

bool discovery_cmdline_passes(const struct discovery_filter *f, const char *cmdline)
{
	if (f->has_match && regexec(&f->match, cmdline, 0, NULL, 0))
		return false;
	if (f->has_exclude && !regexec(&f->exclude, cmdline, 0, NULL, 0))
		return false;
	return true;
}

bool discovery_cgroup_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n && prefix[n - 1] == '/') /* "/a/" is "/a"; "/" is everything */
		n--;
	return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

int discovery_parse_stat(const char *text, char *state, unsigned long *flags,
			 uint64_t *start_time)
{
	const char *p = strrchr(text, ')');
	unsigned long long st;
	unsigned long fl;
	char s;

	/* the comm may hold ") ": the last one closes it. After it: state (3),
	 * ppid, pgrp, session, tty_nr, tpgid, flags (9), minflt, cminflt,
	 * majflt, cmajflt, utime, stime, cutime, cstime, priority, nice,
	 * num_threads, itrealvalue, starttime (22) */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
				"%*d %*d %llu",
			 &s, &fl, &st) != 3)
		return -EINVAL;
	*state = s;
	*flags = fl;
	*start_time = st;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* minor_version() - "3.N" from the name of an interpreter file ("python3.11",
 * "libpython3.11.so.1.0"), after prefix; "" if it has none. */
static void minor_version(const char *name, const char *prefix, char *out, size_t cap)
{
	size_t k = strlen(prefix);
	const char *p = name + k;
	size_t n = 0;

	out[0] = 0;
	if (strncmp(name, prefix, k) || strncmp(p, "3.", 2) || !isdigit((unsigned char)p[2]))
		return;
	n = 2;
	while (n < 5 && isdigit((unsigned char)p[n]))
		n++;
	snprintf(out, cap, "%.*s", (int)n, p);
}

/* A static interpreter's executable: "python3" or "python3.N" (Debian's
 * /usr/bin/python3.11, a chroot's /usr/bin/python3.9). */
static bool python_exe_name(const char *path)
{
	const char *b = base_name(path);

	if (strncmp(b, "python3", 7))
		return false;
	if (!b[7])
		return true;
	if (b[7] != '.' || !isdigit((unsigned char)b[8]))
		return false;
	for (b += 8; isdigit((unsigned char)*b); b++)
		;
	return !*b;
}

/* file_verdict() - does the executable mapped by e in pid define
 * _PyRuntime? Each file is read once (file cache). */
static bool file_verdict(pid_t pid, const struct maps_entry *e, char *version, size_t vcap)
{
	struct file_entry *fe = NULL;
	struct elf_file *ef;
	struct elf_sym sym;
	struct stat st;
	uint32_t hex;
	int fd, i;

	fd = target_open_mapping(pid, e);
	if (fd < 0)
		return false;
	if (fstat(fd, &st)) {
		close(fd);
		return false;
	}
	for (i = 0; i < cache.nfiles; i++) {
		fe = &cache.files[i];
		if (fe->dev == st.st_dev && fe->ino == st.st_ino && fe->size == (uint64_t)st.st_size &&
		    fe->mtime_ns == st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) {
			close(fd);
			snprintf(version, vcap, "%s", fe->version);
			return fe->python;
		}
	}
	if (cache.nfiles < FILES_MAX) {
		fe = &cache.files[cache.nfiles++];
	} else {
		fe = &cache.files[cache.next_file];
		cache.next_file = (cache.next_file + 1) % FILES_MAX;
	}
	memset(fe, 0, sizeof(*fe));
	fe->dev = st.st_dev;
	fe->ino = st.st_ino;
	fe->size = st.st_size;
	fe->mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	cache.stats.elf_opened++;
	ef = elf_open_fd(fd); /* takes fd over */
	if (ef && !elf_find_symbol(ef, "_PyRuntime", &sym)) {
		fe->python = true;
		/* 3.11+ publishes its exact version; older ones only by name */
		if (!elf_find_symbol(ef, "Py_Version", &sym) &&
		    !elf_read_vaddr(ef, sym.addr, &hex, sizeof(hex)) && hex >> 24 == 3)
			snprintf(fe->version, sizeof(fe->version), "%u.%u.%u", hex >> 24,
				 (hex >> 16) & 0xff, (hex >> 8) & 0xff);
		else
			minor_version(base_name(e->path), "python", fe->version,
				      sizeof(fe->version));
	}
	elf_close(ef);
	snprintf(version, vcap, "%s", fe->version);
	return fe->python;
}

/* check_process() - the verdict for pid from its mappings: a libpython
 * wins (a launcher linked against it has no interpreter of its own), else
 * a python3[.N] executable defining _PyRuntime. Fills pe. */
static void check_process(pid_t pid, struct proc_entry *pe)
{
	struct maps_entry e, cand;
	char path[64], *line = NULL;
	bool have_cand = false;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	cache.stats.maps_read++;
	while (getline(&line, &cap, f) > 0) {
		if (maps_parse_line(line, &e) || e.path[0] != '/' || e.perms[2] != 'x')
			continue;
		if (target_is_libpython(e.path)) {
			pe->python = pe->shared = true;
			minor_version(base_name(e.path), "libpython", pe->version,
				      sizeof(pe->version));
			pe->interp = strdup(e.path);
			goto out;
		}
		if (!have_cand && python_exe_name(e.path)) {
			cand = e;
			have_cand = true;
		}
	}
	if (have_cand && file_verdict(pid, &cand, pe->version, sizeof(pe->version))) {
		pe->python = true;
		pe->interp = strdup(cand.path);
	}
out:
	free(line);
	fclose(f);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* verdict() - pid's cached verdict moved into *pe, or a fresh check. */
static void verdict(pid_t pid, uint64_t start_time, const struct stat *exe, struct proc_entry *pe)
{
	struct proc_entry key = {.pid = pid}, *old;

	old = cache.nprocs ? bsearch(&key, cache.procs, cache.nprocs, sizeof(key), cmp_pid) : NULL;
	if (old && old->start_time == start_time && old->exe_dev == exe->st_dev &&
	    old->exe_ino == exe->st_ino &&
	    (old->python || now_s() - old->checked < DISCOVERY_NEGATIVE_TTL_S)) {
		*pe = *old;
		old->interp = NULL; /* moved */
		cache.stats.cache_hits++;
		return;
	}
	memset(pe, 0, sizeof(*pe));
	pe->pid = pid;
	pe->start_time = start_time;
	pe->exe_dev = exe->st_dev;
	pe->exe_ino = exe->st_ino;
	pe->checked = now_s();
	check_process(pid, pe);
}

void discovery_cache_clear(void)
{
	for (int i = 0; i < cache.nprocs; i++)
		free(cache.procs[i].interp);
	free(cache.procs);
	cache.procs = NULL;
	cache.nprocs = 0;
	cache.nfiles = cache.next_file = 0;
}

struct discovery_stats discovery_last_stats(void)
{
	return cache.stats;
}

/* keep() - append pe to the cache being built (*v, *n of *cap). False
 * when it is full (CACHE_MAX) or out of memory: pe is then not cached. */
static bool keep(struct proc_entry **v, int *n, int *cap, const struct proc_entry *pe)
{
	struct proc_entry *nv;

	if (*n == *cap) {
		if (*cap >= CACHE_MAX)
			return false;
		nv = realloc(*v, (*cap ? *cap * 2 : 256) * sizeof(**v));
		if (!nv)
			return false;
		*v = nv;
		*cap = *cap ? *cap * 2 : 256;
	}
	(*v)[(*n)++] = *pe;
	return true;
}

/* fill() - out's fields for a CPython process. */
static void fill(struct discovered *out, pid_t pid, const struct proc_entry *pe,
		 const struct proc_identity *id)
{
	char path[64];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->start_time = pe->start_time;
	out->shared = pe->shared;
	snprintf(out->version, sizeof(out->version), "%s", pe->version);
	snprintf(out->interp, sizeof(out->interp), "%s", pe->interp ? pe->interp : "");
	target_read_comm(pid, out->comm, sizeof(out->comm));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = 0;
	out->id = *id;
}

int discovery_scan(const struct discovery_filter *f, discovery_watched_fn watched, void *ctx,
		   struct discovered *out, int max, int *nfound)
{
	static const struct discovery_filter none;
	struct proc_entry *next = NULL, pe;
	struct proc_identity id;
	char path[64], buf[DISCOVERY_CMDLINE_MAX], text[DISCOVERY_CMDLINE_MAX];
	int nnext = 0, capnext = 0, found = 0, examined = 0;
	pid_t self = getpid();
	struct dirent *de;
	struct stat exe;
	DIR *d;

	if (!f)
		f = &none;
	*nfound = 0;
	memset(&cache.stats, 0, sizeof(cache.stats));
	d = opendir("/proc");
	if (!d)
		return -errno;
	while (examined < DISCOVERY_PROCS_MAX && (de = readdir(d))) {
		unsigned long flags;
		uint64_t start;
		char state, *endp;
		long v = strtol(de->d_name, &endp, 10);
		pid_t pid = v;
		ssize_t n;

		if (*endp || v <= 0 || v != pid || pid == self)
			continue;
		examined++;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (proc_read_small(path, buf, sizeof(buf)) <= 0 ||
		    discovery_parse_stat(buf, &state, &flags, &start) ||
		    (flags & PF_KTHREAD_FLAG) || state == 'Z' || state == 'X')
			continue;
		if (watched && watched(ctx, pid, start)) {
			cache.stats.watched++;
			continue;
		}
		if (f->has_match || f->has_exclude) {
			snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
			n = proc_read_small(path, buf, sizeof(buf));
			if (n < 0)
				continue;
			discovery_cmdline_text(buf, n, text, sizeof(text));
			if (!discovery_cmdline_passes(f, text))
				continue;
		}
		id.cgroup[0] = 0;
		if (f->cgroup[0] &&
		    (identity_read(pid, &id) || !discovery_cgroup_within(id.cgroup, f->cgroup)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		if (stat(path, &exe))
			memset(&exe, 0, sizeof(exe)); /* no executable: verdict by maps alone */
		verdict(pid, start, &exe, &pe);
		if (pe.python) {
			if (found < max) {
				if (!id.cgroup[0] && identity_read(pid, &id))
					memset(&id, 0, sizeof(id)); /* gone, or unreadable */
				fill(&out[found], pid, &pe, &id);
			}
			found++;
		}
		if (!keep(&next, &nnext, &capnext, &pe))
			free(pe.interp);
	}
	closedir(d);
	/* the old cache's leftovers are processes gone (or not looked at) */
	for (int i = 0; i < cache.nprocs; i++)
		free(cache.procs[i].interp);
	free(cache.procs);
	array_sort(next, nnext, sizeof(*next), cmp_pid);
	cache.procs = next;
	cache.nprocs = nnext;
	cache.stats.procs = examined;
	cache.stats.python = found;
	*nfound = found;
	log_debug("discovery: %d processes, %u watched already, %d new CPython, %u cached, "
		  "%u maps read, %u ELF opened", examined, cache.stats.watched, found,
		  cache.stats.cache_hits, cache.stats.maps_read, cache.stats.elf_opened);
	return 0;
}
