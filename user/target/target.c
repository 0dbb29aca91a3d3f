// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* target.c: see target.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "discovery.h"
#include "elfsym.h"
#include "log.h"
#include "procfile.h"
#include "procmem.h"
#include "target.h"

int maps_parse_line(const char *line, struct maps_entry *e)
{
	unsigned long long start, end, off, inode;
	unsigned int dmaj, dmin;
	char perms[8];
	int n = 0;
	size_t len;
	const char *p;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &dmaj,
		   &dmin, &inode, &n) < 7 || !n || end < start || strlen(perms) != 4)
		return -EINVAL;
	e->start = start;
	e->end = end;
	e->offset = off;
	e->dev = makedev(dmaj, dmin);
	e->inode = inode;
	memcpy(e->perms, perms, 5);
	p = line + n;
	while (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	if (len >= sizeof(e->path))
		return -EINVAL;
	memcpy(e->path, p, len);
	e->path[len] = 0;
	if (len > 10 && !strcmp(e->path + len - 10, " (deleted)")) {
		e->path[len - 10] = 0;
		e->deleted = true;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "libpython3.11.so.1.0", "libpython3.11d.so" -> true */
static bool is_libpython(const char *path)
{
	return !strncmp(base_name(path), "libpython3.", 11) && strstr(base_name(path), ".so");
}

/* glibc's libc.so.6 (and the old libc-2.NN.so), musl's loader-libc */
static bool is_libc(const char *path)
{
	const char *b = base_name(path);

	return !strcmp(b, "libc.so.6") || (!strncmp(b, "libc-2.", 7) && strstr(b, ".so")) ||
	       (!strncmp(b, "ld-musl-", 8) && strstr(b, ".so"));
}

/* Parse "3.NN" at the start of s into minor; returns chars consumed or 0. */
static int parse_minor(const char *s, unsigned *minor)
{
	char *end;
	unsigned long v;

	if (strncmp(s, "3.", 2) || !isdigit((unsigned char)s[2]))
		return 0;
	v = strtoul(s + 2, &end, 10);
	if (v > 99)
		return 0;
	*minor = v;
	return end - s;
}

void target_read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	/* the name itself may hold newlines (prctl(PR_SET_NAME) takes any
	 * bytes): only the one the kernel appends is not part of it */
	n = fread(buf, 1, len - 1, f);
	if (n && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	fclose(f);
}

/* target_state() - the state letter of pid's /proc/PID/stat ('R', 'S',
 * 'T'...), 0 if it cannot be read. */
static char target_state(pid_t pid)
{
	char path[64], buf[1024], state;
	unsigned long flags;
	uint64_t start;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0 ||
	    discovery_parse_stat(buf, &state, &flags, &start))
		return 0;
	return state;
}

bool target_alive(pid_t pid)
{
	char state = target_state(pid);

	return state && state != 'Z' && state != 'X';
}

bool target_stopped(pid_t pid)
{
	char state = target_state(pid);

	return state == 'T' || state == 't';
}

int target_parse_status(FILE *f, struct proc_mem *m)
{
	static const struct {
		const char *name;
		size_t off;
		uint64_t unit;
	} fields[] = {
		{ "VmRSS:", offsetof(struct proc_mem, rss), 1024 },
		{ "RssAnon:", offsetof(struct proc_mem, anon), 1024 },
		{ "RssFile:", offsetof(struct proc_mem, file), 1024 },
		{ "Threads:", offsetof(struct proc_mem, threads), 1 },
	};
	char line[256], *end;
	int found = 0;

	memset(m, 0, sizeof(*m));
	/* a node reads this for every process every second: a prefix test per
	 * line, not a sscanf per field and line */
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			size_t n = strlen(fields[i].name);
			unsigned long long v;

			if (strncmp(line, fields[i].name, n))
				continue;
			errno = 0;
			v = strtoull(line + n, &end, 10);
			if (end == line + n || errno)
				break;
			*(uint64_t *)((char *)m + fields[i].off) = v * fields[i].unit;
			found |= 1 << i;
			break;
		}
	}
	return (found & 7) == 7 ? 0 : -ENODATA;
}

int target_auxv_random(const void *auxv, size_t len, uint64_t *addr)
{
	const uint8_t *p = auxv;
	uint64_t av[2];

	for (size_t o = 0; o + sizeof(av) <= len; o += sizeof(av)) {
		memcpy(av, p + o, sizeof(av)); /* the buffer need not be aligned */
		if (av[0] == AT_NULL)
			break;
		if (av[0] == AT_RANDOM) {
			*addr = av[1];
			return 0;
		}
	}
	return -ENOENT;
}

int target_exec_id(pid_t pid, uint64_t id[3])
{
	char path[64];
	uint64_t buf[128]; /* 64 entries: the kernel writes about 20 */
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	err = n < 0 ? -errno : 0;
	close(fd);
	if (!err)
		err = target_auxv_random(buf, (size_t)n, &id[0]);
	if (!err)
		err = pm_read(pid, id[0], &id[1], 2 * sizeof(uint64_t));
	return err;
}

int target_memory(pid_t pid, struct proc_mem *m)
{
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = target_parse_status(f, m);
	fclose(f);
	return err;
}

int target_open_file(const char *path, uint64_t dev, uint64_t inode, bool map_files)
{
	struct stat st;
	int fd, err;

	/* Not even opened unless it looks like a regular file: opening a
	 * device can do things. Then O_NONBLOCK: opening a FIFO swapped in
	 * meanwhile must not wait for a writer; O_NOFOLLOW: maps names files
	 * by their real path, so a symlink there is a swap (a map_files entry
	 * is the kernel's own link to the mapped file). */
	if ((map_files ? stat(path, &st) : lstat(path, &st)))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISLNK(st.st_mode) ? -ELOOP : -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (map_files ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto fail;
	}
	/* Through map_files the file is the mapped one whatever st_dev says
	 * (btrfs subvolumes and overlayfs report another device than maps);
	 * by path, the device must match too: the same inode number on
	 * another file system is another file. */
	if (st.st_ino != inode || (!map_files && st.st_dev != dev)) {
		err = -ESTALE;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

/* map_files_path() - /proc/PID/map_files/START-END: always the mapped file. */
static void map_files_path(pid_t pid, uint64_t start, uint64_t end, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
}

/*
 * pick_host_path() - a path from which we can open the file mapped by e.
 * /proc/PID/maps names files as seen from OUR root when they are reachable
 * from it (a chroot's files appear with the chroot's prefix) and from the
 * target's root otherwise (another mount namespace), so both are tried and
 * the one that opens as the mapped file (regular, same device and inode)
 * wins. /proc/PID/map_files always leads to the mapped file: the fallback
 * for deleted or replaced files. The path is checked again at every open
 * (target_module_elf()): whoever owns the file may swap it meanwhile.
 */
static void pick_host_path(pid_t pid, const struct maps_entry *e, char *out, size_t len)
{
	int fd;

	if (!e->deleted) {
		snprintf(out, len, "%s", e->path);
		if ((fd = target_open_file(out, e->dev, e->inode, false)) >= 0)
			goto found;
		snprintf(out, len, "/proc/%d/root%s", (int)pid, e->path);
		if ((fd = target_open_file(out, e->dev, e->inode, false)) >= 0)
			goto found;
	}
	map_files_path(pid, e->start, e->end, out, len);
	return;
found:
	close(fd);
}

bool target_is_libpython(const char *path)
{
	return is_libpython(path);
}

int target_open_mapping(pid_t pid, const struct maps_entry *e)
{
	char path[PATH_MAX], mf[80];

	map_files_path(pid, e->start, e->end, mf, sizeof(mf));
	pick_host_path(pid, e, path, sizeof(path));
	return target_open_file(path, e->dev, e->inode, !strcmp(path, mf));
}

static void module_free(struct target_module *m)
{
	elf_close(m->elf);
	m->elf = NULL;
}

/* same_module() - is a the mapping old was made from: the same place, the
 * same file (path, device and inode)? */
static bool same_module(const struct target_module *a, const struct target_module *old)
{
	return a->start == old->start && a->dev == old->dev && a->inode == old->inode &&
	       !strcmp(a->path, old->path);
}

/*
 * load_modules() - (re)read the executable file mappings of t->pid. Keeps
 * already-opened ELF handles of modules that are still mapped at the same
 * place, and t->py_mod and t->libc_mod on the modules they named (-1 on a
 * first read; target_open() picks them). Returns 0 or -errno (-ESRCH if
 * the process is gone).
 */
static int load_modules(struct target *t)
{
	struct maps_entry e;
	struct target_module *mods = NULL, *m, *old;
	char path[64], *line = NULL, base_path[PATH_MAX] = "";
	uint64_t base = 0;
	size_t cap = 0;
	int n = 0, alloc = 0, i, err = 0, py_mod, libc_mod;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		if (maps_parse_line(line, &e) || e.path[0] != '/')
			continue;
		if (e.offset == 0) {
			/* the start of a file's offset-0 mapping is its load base;
			 * it comes before the file's executable mapping */
			base = e.start;
			snprintf(base_path, sizeof(base_path), "%s", e.path);
		}
		if (e.perms[2] != 'x')
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			m = realloc(mods, alloc * sizeof(*mods));
			if (!m) {
				err = -ENOMEM;
				goto out;
			}
			mods = m;
		}
		m = &mods[n++];
		memset(m, 0, sizeof(*m));
		m->start = e.start;
		m->end = e.end;
		m->offset = e.offset;
		m->pid = t->pid;
		m->dev = e.dev;
		m->inode = e.inode;
		m->base = strcmp(base_path, e.path) ? e.start - e.offset : base;
		snprintf(m->path, sizeof(m->path), "%s", e.path);
		pick_host_path(t->pid, &e, m->host_path, sizeof(m->host_path));
	}
	if (ferror(f))
		err = -EIO;
out:
	fclose(f);
	free(line);
	if (err) {
		free(mods);
		return err;
	}
	/* Carry over open ELF handles; close those of vanished modules. The
	 * new list is in address order, so a library loaded below the
	 * interpreter or libc shifts their indexes: follow each module to its
	 * new place (same mapping, same file), or to -1 if it is gone. */
	py_mod = libc_mod = -1;
	for (i = 0; i < t->nmods; i++) {
		old = &t->mods[i];
		for (int j = 0; j < n; j++) {
			if (same_module(&mods[j], old)) {
				mods[j].elf = old->elf;
				mods[j].elf_tried = old->elf_tried;
				mods[j].bias = old->bias;
				old->elf = NULL;
				if (i == t->py_mod)
					py_mod = j;
				if (i == t->libc_mod)
					libc_mod = j;
				break;
			}
		}
		module_free(old);
	}
	free(t->mods);
	t->mods = mods;
	t->nmods = n;
	t->py_mod = py_mod;
	t->libc_mod = libc_mod;
	return 0;
}

int target_reload_modules(struct target *t)
{
	return load_modules(t);
}

struct elf_file *target_module_elf(struct target_module *m)
{
	char mf[80];
	int fd;

	if (!m->elf_tried) {
		m->elf_tried = true;
		map_files_path(m->pid, m->start, m->end, mf, sizeof(mf));
		fd = target_open_file(m->host_path, m->dev, m->inode, !strcmp(m->host_path, mf));
		if (fd < 0) {
			log_debug("%s is no longer the mapped file (%s): reading it through %s",
				  m->host_path, strerror(-fd), mf);
			fd = target_open_file(mf, m->dev, m->inode, true);
		}
		m->elf = fd >= 0 ? elf_open_fd(fd) : NULL;
		if (fd < 0)
			errno = -fd;
		if (!m->elf)
			log_debug("cannot read %s: %s", m->path, strerror(errno));
		else if (elf_is_dyn(m->elf))
			/* the file's first PT_LOAD is what got mapped at base */
			m->bias = m->base - elf_first_load_vaddr(m->elf);
	}
	return m->elf;
}

struct target_module *target_module_of(struct target *t, uint64_t addr)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < t->nmods; i++)
			if (addr >= t->mods[i].start && addr < t->mods[i].end)
				return &t->mods[i];
		if (pass || load_modules(t))
			break;
	}
	return NULL;
}

int target_file_offset(struct target *t, uint64_t addr, const char **host_path, uint64_t *off)
{
	struct target_module *m = target_module_of(t, addr);

	if (!m)
		return -ENOENT;
	*host_path = m->host_path;
	*off = addr - m->start + m->offset;
	return 0;
}

int target_scan_version(const char *buf, size_t len, unsigned minor, uint32_t *hex)
{
	char needle[8];
	size_t nlen = snprintf(needle, sizeof(needle), "3.%u.", minor);
	uint32_t found = 0;
	const char *p = buf, *end = buf + len;

	while ((p = memmem(p, end - p, needle, nlen))) {
		const char *q = p + nlen;
		unsigned micro = 0, level = 0xf, serial = 0;
		int digits = 0;

		/* the literal's first byte, or the tail of a merged string
		 * ("/root/.pyenv/versions/3.9.18"): not inside a longer number */
		if (p > buf && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))
			goto next;
		while (q < end && isdigit((unsigned char)*q) && digits < 3)
			micro = micro * 10 + (*q++ - '0'), digits++;
		if (!digits || micro > 255 || q >= end)
			goto next;
		if (*q == 'a' || *q == 'b' || (*q == 'r' && q + 1 < end && q[1] == 'c')) {
			level = *q == 'a' ? 0xa : *q == 'b' ? 0xb : 0xc;
			q += level == 0xc ? 2 : 1;
			if (q >= end || !isdigit((unsigned char)*q))
				goto next;
			serial = *q++ - '0';
		}
		if (q < end && *q == '+') /* a build between releases */
			q++;
		if (q >= end || *q)
			goto next;
		uint32_t h = 0x03000000u | minor << 16 | micro << 8 | level << 4 | serial;
		if (found && found != h)
			return -EPROTO;
		found = h;
next:
		p += nlen;
	}
	if (!found)
		return -ENOENT;
	*hex = found;
	return 0;
}

/* Exact version from the binary: Py_Version (3.11+), else the file name for
 * major.minor and the PY_VERSION literal in .rodata for the micro. */
static void detect_version(struct target *t, const char *path)
{
	struct elf_sym sym;
	uint32_t hex = 0;
	unsigned minor = 0;
	const char *b = base_name(path);
	size_t rosize;
	const char *ro;
	int n;

	if (!elf_find_symbol(t->py_elf, "Py_Version", &sym) &&
	    !elf_read_vaddr(t->py_elf, sym.addr, &hex, sizeof(hex)) && (hex >> 24) == 3) {
		t->micro_known = true;
	} else if ((!strncmp(b, "libpython", 9) && (n = parse_minor(b + 9, &minor))) ||
		   (!strncmp(b, "python", 6) && (n = parse_minor(b + 6, &minor)))) {
		/* <=3.10 publishes no version number in memory; the file is
		 * named libpython3.N.so... or python3.N (Debian, pyenv,
		 * python.org), and Py_GetVersion() formats PY_VERSION, a
		 * string literal, so "3.N.M" sits in .rodata (on its own or
		 * merged as the tail of a longer string). */
		ro = elf_rodata(t->py_elf, &rosize);
		if (ro && !target_scan_version(ro, rosize, minor, &hex)) {
			t->micro_known = true;
		} else {
			t->version_hex = 0x03000000u | (minor << 16) | 0xf0;
			snprintf(t->version, sizeof(t->version), "3.%u.x", minor);
			return;
		}
	} else {
		snprintf(t->version, sizeof(t->version), "unknown");
		return;
	}
	t->version_hex = hex;
	snprintf(t->version, sizeof(t->version), "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff,
		 (hex >> 8) & 0xff);
	if ((hex & 0xf0) != 0xf0) {
		n = strlen(t->version);
		snprintf(t->version + n, sizeof(t->version) - n, "%s%u",
			 (hex & 0xf0) == 0xa0 ? "a" : (hex & 0xf0) == 0xb0 ? "b" : "rc", hex & 0xf);
	}
}

int target_open(pid_t pid, struct target *t)
{
	struct elf_sym sym;
	struct target_module *m;
	int err, i;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->py_mod = t->libc_mod = -1;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	target_read_comm(pid, t->comm, sizeof(t->comm));
	err = load_modules(t);
	if (err)
		return err;

	/* libpython wins over the executable: a launcher linked against it has
	 * no interpreter of its own. */
	for (i = 0; i < t->nmods; i++) {
		if (is_libc(t->mods[i].path) && t->libc_mod < 0)
			t->libc_mod = i;
		if (is_libpython(t->mods[i].path) && t->py_mod < 0)
			t->py_mod = i;
	}
	if (t->py_mod < 0) {
		for (i = 0; i < t->nmods; i++) {
			struct elf_file *ef = target_module_elf(&t->mods[i]);

			if (ef && !elf_find_symbol(ef, "_PyRuntime", &sym)) {
				t->py_mod = i;
				break;
			}
		}
	}
	if (t->py_mod < 0) {
		err = t->nmods ? -ENOEXEC : -EACCES;
		goto fail;
	}
	m = &t->mods[t->py_mod];
	t->py_is_lib = is_libpython(m->path);
	t->py_elf = target_module_elf(m);
	if (!t->py_elf) {
		err = errno == EACCES ? -EACCES : -ENOEXEC;
		goto fail;
	}
	if (elf_find_symbol(t->py_elf, "_PyRuntime", &sym)) {
		err = -ENOEXEC;
		goto fail;
	}
	t->runtime_addr = m->bias + sym.addr;
	/* _PyObject_Free is a local function: only a .symtab names it */
	t->stripped = elf_find_symbol(t->py_elf, "_PyObject_Free", &sym) != 0;
	detect_version(t, m->path);
	log_debug("pid %d: interpreter %s (%s), _PyRuntime at 0x%" PRIx64 ", version %s", pid,
		  m->path, t->py_is_lib ? "shared" : "static", t->runtime_addr, t->version);
	return 0;
fail:
	target_close(t);
	t->pid = pid;
	return err;
}

void target_close(struct target *t)
{
	for (int i = 0; i < t->nmods; i++)
		module_free(&t->mods[i]);
	free(t->mods);
	t->mods = NULL;
	t->nmods = 0;
	t->py_elf = NULL;
}
