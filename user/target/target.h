/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target.h: finding the CPython interpreter inside a live process.
 *
 * From /proc/PID/maps: which file holds the interpreter (libpythonX.Y.so or a
 * statically linked python executable), where it is loaded, where libc is,
 * and every file-backed executable mapping (for uprobe offsets and native
 * symbolisation). Files are opened through /proc/PID/root so processes in
 * chroots and other mount namespaces work, and through /proc/PID/map_files
 * when the file was deleted or replaced since it was mapped (an upgrade
 * under a running service).
 */
#ifndef PYLEAK_TARGET_H
#define PYLEAK_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct elf_file;

/* One line of /proc/PID/maps. */
struct maps_entry {
	uint64_t start, end, offset, inode;
	uint64_t dev; /* makedev(major, minor) of the file's device */
	char perms[5];
	char path[PATH_MAX]; /* "" for anonymous mappings; " (deleted)" stripped */
	bool deleted;
};

/* maps_parse_line() - parse one maps line. Returns 0 or -EINVAL. */
int maps_parse_line(const char *line, struct maps_entry *e);

/* A file-backed executable mapping, for offsets and symbolisation. */
struct target_module {
	uint64_t start, end, offset; /* the r-x mapping */
	uint64_t base;		     /* start of the file's offset-0 mapping */
	uint64_t bias;		     /* load bias: 0 for ET_EXEC, base - first p_vaddr */
	uint64_t dev, inode;	     /* the mapped file, as /proc/PID/maps names it */
	pid_t pid;		     /* whose mapping it is */
	char path[PATH_MAX];	     /* as the target sees it */
	char host_path[PATH_MAX];    /* openable from here */
	struct elf_file *elf;	     /* opened on first use, may stay NULL */
	bool elf_tried;
};

struct target {
	pid_t pid;
	char comm[32];
	struct target_module *mods;
	int nmods;
	/* Indexes into mods[]. A re-read of the maps (target_module_of()
	 * meeting a library loaded later) reorders mods[]; these two follow
	 * their module (same start, path, device and inode). Never keep an
	 * index or a module pointer of your own across such a call. */
	int py_mod;		/* index of the interpreter's module */
	int libc_mod;		/* index of libc, or -1 */
	bool py_is_lib;		/* libpython shared object (else static executable) */
	struct elf_file *py_elf;
	uint64_t runtime_addr;	/* &_PyRuntime in the target */
	uint32_t version_hex;	/* PY_VERSION_HEX; micro may be 0 when unknowable (<=3.10) */
	bool micro_known;
	char version[24];	/* "3.11.7"; "3.9.x" if the micro cannot be found */
	bool stripped;		/* no .symtab */
};

/* target_open() - inspect process pid. Returns 0, or:
 *  -ESRCH   no such process (or it exited meanwhile)
 *  -EACCES  not allowed to read its maps or files (not root / no ptrace right)
 *  -ENOEXEC no CPython interpreter (no libpython or _PyRuntime) in it
 *  -ENOTSUP an interpreter whose version this build does not support;
 *           t->version says which
 * On error t holds nothing that needs target_close() except for -ENOTSUP. */
int target_open(pid_t pid, struct target *t);
void target_close(struct target *t);

/* target_module_of() - the module whose executable mapping contains addr, or
 * NULL. Re-reads the maps once if addr is in none (a library loaded later). */
struct target_module *target_module_of(struct target *t, uint64_t addr);

/* target_reload_modules() - re-read the maps now (what target_module_of()
 * does when it meets an unknown address). Returns 0 or -errno. */
int target_reload_modules(struct target *t);

/* target_module_elf() - the module's ELF, opened on first use; NULL if it
 * cannot be opened. Opened as target_open_file() does, from host_path or,
 * when that is no longer the mapped file, through /proc/PID/map_files. */
struct elf_file *target_module_elf(struct target_module *m);

/* target_open_file() - open path for reading only if it is the mapped file
 * dev:inode (of a maps line), without following a final symlink (except
 * for a /proc/PID/map_files entry: map_files true, where the device is not
 * compared as it may differ from maps' on btrfs and overlayfs) and without
 * blocking on a FIFO. Returns the descriptor, or -errno: -ELOOP (a
 * symlink), -EINVAL (not a regular file), -ESTALE (another file). The
 * target's owner controls its files: a path is re-checked at every open. */
int target_open_file(const char *path, uint64_t dev, uint64_t inode, bool map_files);

/* target_open_mapping() - open the file that maps line e of pid names, for
 * reading: by its path from here, under /proc/PID/root (another mount
 * namespace), else through /proc/PID/map_files (deleted or replaced), each
 * checked as target_open_file() does. Returns the descriptor or -errno. */
int target_open_mapping(pid_t pid, const struct maps_entry *e);

/* target_is_libpython() - is path (a maps path) a libpython3.X shared
 * object ("libpython3.11.so.1.0", "libpython3.11d.so")? */
bool target_is_libpython(const char *path);

/* target_file_offset() - the file and file offset that back addr: what a
 * uprobe on the instruction at addr is attached to. Returns 0 or -ENOENT. */
int target_file_offset(struct target *t, uint64_t addr, const char **host_path, uint64_t *off);

/* target_scan_version() - find the PY_VERSION literal of a 3.minor
 * interpreter in buf (its .rodata): "3.minor.micro" with an optional
 * a/b/rc serial and '+', NUL-terminated, not preceded by a digit, letter or
 * dot. Returns 0 and the PY_VERSION_HEX in *hex, -ENOENT if there is none,
 * or -EPROTO if two literals disagree (then nothing is trusted). */
int target_scan_version(const char *buf, size_t len, unsigned minor, uint32_t *hex);

/* target_alive() - true while the process exists and is not a zombie. */
bool target_alive(pid_t pid);

/* target_stopped() - true while pid is stopped by a signal (SIGSTOP,
 * SIGTSTP...: state 'T') or by a debugger ('t'). */
bool target_stopped(pid_t pid);

/* target_exec_id() - what tells one program image of pid from the next:
 * the address of the 16 random bytes the kernel puts on every new stack at
 * exec (AT_RANDOM) and those bytes. Two different values mean pid has
 * called exec in between. Returns 0, or -errno (-ESRCH, -ENOENT, -EFAULT)
 * when they cannot be read (the process is gone or a zombie). */
int target_exec_id(pid_t pid, uint64_t id[3]);

/* target_auxv_random() - the AT_RANDOM value in the auxiliary vector auxv
 * (len bytes of /proc/PID/auxv: {type, value} pairs of 64 bits, up to
 * AT_NULL). Pure. Returns 0 and *addr, or -ENOENT. */
int target_auxv_random(const void *auxv, size_t len, uint64_t *addr);

/* Resident memory of a process, from /proc/PID/status. */
struct proc_mem {
	uint64_t rss;  /* VmRSS */
	uint64_t anon; /* RssAnon: heap, arenas, anonymous mappings */
	uint64_t file; /* RssFile */
	uint64_t threads; /* Threads: read with the rest, 0 if the line is missing */
};

/* target_memory() - read pid's resident memory (and thread count). Returns
 * 0, -errno if the file cannot be opened (the process is gone), or
 * -ENODATA. */
int target_memory(pid_t pid, struct proc_mem *m);

/* target_parse_status() - the parser behind target_memory(), on any
 * /proc/PID/status text. Returns 0 or -ENODATA if a field is missing. */
int target_parse_status(FILE *f, struct proc_mem *m);

/* target_read_comm() - /proc/PID/comm into buf (no newline). */
void target_read_comm(pid_t pid, char *buf, size_t len);

#endif /* PYLEAK_TARGET_H */
