/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elfsym.h: what pyleak-bpf needs to know about an ELF file on disk (the
 * python executable, libpython, libc), read with libelf: symbols from
 * .dynsym and .symtab, the mapping between virtual addresses and file
 * offsets (uprobes are attached by file offset), the file's initialised
 * bytes at a virtual address (the static allocator tables), and whether it
 * carries a given USDT (stapsdt) probe.
 *
 * An elf_file is opened once and is read-only afterwards; all lookups are
 * const and safe to call repeatedly. The file is read, never mapped: when
 * its owner truncates it later, reads of its bytes fail (-EIO), nothing
 * crashes. Addresses are link-time virtual
 * addresses (st_value); add the load bias for a shared object.
 */
#ifndef PYLEAK_ELFSYM_H
#define PYLEAK_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* One symbol. */
struct elf_sym {
	const char *name; /* owned by the elf_file */
	uint64_t addr;	  /* st_value */
	uint64_t size;	  /* st_size */
	bool is_func;	  /* STT_FUNC (or STT_GNU_IFUNC) */
};

/* elf_open() - open and index path. Returns NULL and sets errno on failure
 * (ENOENT, EACCES, ENOEXEC for a file that is not a 64-bit x86-64 ELF or
 * not a regular file). */
struct elf_file *elf_open(const char *path);

/* elf_open_fd() - the same on an open descriptor, which it takes over
 * (closed on failure too): for a file whose identity the caller checked.
 * A file already open (same device, inode, size and mtime) is shared: the
 * handle is counted and fd closed; each open needs its elf_close(). */
struct elf_file *elf_open_fd(int fd);
void elf_close(struct elf_file *ef); /* NULL-safe */

/* elf_is_pie_or_dso() - true for ET_DYN (shared object or PIE), false for
 * ET_EXEC (load bias is then always 0). */
bool elf_is_dyn(const struct elf_file *ef);

/* elf_find_symbol() - look up a defined (st_shndx != SHN_UNDEF) symbol by
 * exact name (a trailing "@VERSION" in the table is ignored), in .dynsym
 * first, then .symtab. An import of the name does not count: a module that
 * merely uses _PyRuntime must not pass for the interpreter. Returns 0 and
 * fills *out, or -ENOENT. */
int elf_find_symbol(const struct elf_file *ef, const char *name, struct elf_sym *out);

/* elf_symbolize() - the defined function symbol containing addr (addr in
 * [st_value, st_value + max(st_size,1))), or failing that the nearest
 * preceding function symbol; *offset gets addr - st_value. Returns 0 or
 * -ENOENT. */
int elf_symbolize(const struct elf_file *ef, uint64_t addr, struct elf_sym *out, uint64_t *offset);

/* elf_vaddr_to_offset() - file offset of virtual address vaddr through the
 * PT_LOAD segment that contains it (with file backing). Returns 0 or -ENOENT. */
int elf_vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *offset);

/* elf_read_vaddr() - copy len initialised bytes at vaddr from the file.
 * Bytes in a segment's zero-filled tail (p_memsz > p_filesz, .bss) read as
 * 0. Returns 0, -ENOENT when vaddr..vaddr+len is not inside one PT_LOAD, or
 * -EIO when the file has been truncated since it was opened. */
int elf_read_vaddr(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/* elf_first_load_vaddr() - p_vaddr of the first PT_LOAD, rounded down to its
 * p_align; with a mapping's start and file offset it gives the load bias. */
uint64_t elf_first_load_vaddr(const struct elf_file *ef);

/* elf_has_usdt() - true if a .note.stapsdt note names provider:name. */
bool elf_has_usdt(const struct elf_file *ef, const char *provider, const char *name);

/* elf_needs_library() - true if DT_NEEDED contains a library whose soname
 * starts with prefix (e.g. "libpython3."). */
bool elf_needs_library(const struct elf_file *ef, const char *prefix);

/* elf_rodata() - the file's .rodata bytes (read on the first call, valid
 * until elf_close()) and their size, or NULL and 0 when it has none or they
 * cannot be read. */
const char *elf_rodata(struct elf_file *ef, size_t *size);

#endif /* PYLEAK_ELFSYM_H */
