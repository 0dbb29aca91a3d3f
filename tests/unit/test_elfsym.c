/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_elfsym.c: unit tests of user/target/elfsym.c on real files: this test binary
 * itself (known functions, data and a USDT note compiled in below, checked
 * against the copy the loader mapped), the system libc (found through
 * /proc/self/maps), Debian's /usr/bin/python3.11 when it is installed, and
 * broken files (missing, not ELF, another architecture, truncated, corrupted
 * at random) that must give errors and never crash.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
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

#include "elfsym.h"

#define DEBIAN_PYTHON "/usr/bin/python3.11"

/* Known code and data, looked up through this binary's own file. External
 * linkage and noinline keep each a real symbol with its own body. */
__attribute__((noinline, used)) int elfsym_test_add(int a, int b)
{
	return a * 3 + b;
}

__attribute__((noinline, used)) int elfsym_test_mix(int a, int b)
{
	return (a ^ 0x5a5a) * (b | 1) - elfsym_test_add(b, a);
}

const volatile unsigned char elfsym_test_const[16] = "pyleak-elfsym-ro";
volatile uint64_t elfsym_test_data[4] = {
	0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x5eed5eed5eed5eedULL, 42,
};
volatile uint64_t elfsym_test_bss[64];

/* Symbol layouts the compiler does not make: elfsym_test_asm is 16 bytes and
 * has a zero-size function symbol 4 bytes in (an alternate entry point, as in
 * hand-written libc routines), and 16 bytes belonging to no symbol follow. */
__asm__(".pushsection .text\n"
	".globl elfsym_test_asm\n"
	".type elfsym_test_asm, @function\n"
	"elfsym_test_asm:\n"
	".fill 4, 1, 0x90\n"
	".globl elfsym_test_inner\n"
	".type elfsym_test_inner, @function\n"
	"elfsym_test_inner:\n"
	".fill 11, 1, 0x90\n"
	"ret\n"
	".size elfsym_test_asm, 16\n"
	".fill 16, 1, 0xcc\n"
	".popsection\n");

/* A SystemTap note for elfsym_test:probe, as <sys/sdt.h> would emit it
 * (written by hand so the test needs no systemtap headers): owner "stapsdt",
 * type 3, desc = pc, base, semaphore (zero here), provider, name, args. */
__asm__(".pushsection .note.stapsdt,\"\",@note\n"
	".balign 4\n"
	".4byte 2f - 1f, 4f - 3f, 3\n"
	"1: .asciz \"stapsdt\"\n"
	"2: .balign 4\n"
	"3: .8byte 0, 0, 0\n"
	".asciz \"elfsym_test\"\n"
	".asciz \"probe\"\n"
	".asciz \"\"\n"
	"4: .balign 4\n"
	".popsection\n");

static struct {
	char dir[64];		  /* scratch directory */
	char scratch[128];	  /* the one file in it, rewritten for each broken copy */
	char self_path[4096];	  /* realpath of /proc/self/exe */
	unsigned char *self_image; /* the test binary's file */
	size_t self_size;
	struct elf_file *self;
	uint64_t self_bias;	  /* from dl_iterate_phdr() */
	char libc_path[4096];
	struct elf_file *libc;
	uint64_t libc_start;	  /* start of libc's offset-0 mapping */
} g;

/* Walk /proc/self/maps: the first mapping of file offset 0 whose path is
 * path (or, with path NULL, whose file name starts with "libc.so" or "libc-");
 * fills its start and, when found_path is given, its path. */
static int find_mapping(const char *path, uint64_t *start, char *found_path, size_t len)
{
	char line[4096 + 128];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, off;
		const char *p, *base;
		int pos = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &lo, &off, &pos) != 2 || !pos)
			continue;
		p = line + pos;
		base = strrchr(p, '/');
		base = base ? base + 1 : p;
		if (off || *p != '/')
			continue;
		if (path ? strcmp(p, path) != 0
			 : strncmp(base, "libc.so", 7) != 0 && strncmp(base, "libc-", 5) != 0)
			continue;
		*start = lo;
		if (found_path)
			snprintf(found_path, len, "%s", p);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int main_program_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	/* The main program comes first. */
	*(uint64_t *)data = info->dlpi_addr;
	return 1;
}

static int read_whole(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	int fd, err = -EIO;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!fstat(fd, &st) && (*buf = malloc(st.st_size)) &&
	    pread(fd, *buf, st.st_size, 0) == st.st_size) {
		*len = st.st_size;
		err = 0;
	}
	close(fd);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* The scratch file, now holding buf[0..len). */
static const char *scratch_file(const void *buf, size_t len)
{
	FILE *f = fopen(g.scratch, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return g.scratch;
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(g.dir, "/tmp/test_elfsym.XXXXXX");
	if (!mkdtemp(g.dir))
		return -1;
	snprintf(g.scratch, sizeof(g.scratch), "%s/copy", g.dir);
	if (!realpath("/proc/self/exe", g.self_path) ||
	    read_whole(g.self_path, &g.self_image, &g.self_size))
		return -1;
	g.self = elf_open("/proc/self/exe");
	dl_iterate_phdr(main_program_bias, &g.self_bias);
	if (find_mapping(NULL, &g.libc_start, g.libc_path, sizeof(g.libc_path)))
		return -1;
	g.libc = elf_open(g.libc_path);
	return g.self && g.libc ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	elf_close(g.self);
	elf_close(g.libc);
	free(g.self_image);
	unlink(g.scratch);
	rmdir(g.dir);
	return 0;
}

/* Call everything on an elf_file made from a broken file: it must not crash
 * (run under ASan/valgrind to see that nothing is read out of bounds). */
static void exercise(const struct elf_file *ef)
{
	static const char *const names[] = { "main", "elfsym_test_add", "malloc", "", "_start" };
	struct elf_sym sym;
	unsigned char buf[64];
	uint64_t off, a, first = elf_first_load_vaddr(ef);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		elf_find_symbol(ef, names[i], &sym);
	for (a = first; a < first + 0x10000; a += 0x3f) {
		elf_symbolize(ef, a, &sym, &off);
		elf_vaddr_to_offset(ef, a, &off);
		elf_read_vaddr(ef, a, buf, sizeof(buf));
	}
	elf_symbolize(ef, UINT64_MAX, &sym, &off);
	elf_read_vaddr(ef, UINT64_MAX - 4, buf, sizeof(buf));
	elf_is_dyn(ef);
	elf_has_usdt(ef, "elfsym_test", "probe");
	elf_needs_library(ef, "libc.so");
}

static void test_open_missing(void **state)
{
	(void)state;
	errno = 0;
	assert_null(elf_open("/nonexistent/pyleak-elfsym"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(elf_open(g.dir));
	assert_int_equal(errno, EISDIR);
	elf_close(NULL);
}

static void test_open_not_elf(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not an ELF file\n";

	(void)state;
	errno = 0;
	assert_null(elf_open(scratch_file(text, sizeof(text) - 1)));
	assert_int_equal(errno, ENOEXEC);
	errno = 0;
	assert_null(elf_open(scratch_file(text, 0)));
	assert_int_equal(errno, ENOEXEC);
}

/* Copies of this binary with one header field changed to something outside
 * what elfsym supports. */
static void test_open_unsupported(void **state)
{
	static const struct {
		const char *name;
		size_t off;
		uint16_t val;
		size_t len;
	} cases[] = {
		{ "arch", offsetof(Elf64_Ehdr, e_machine), EM_AARCH64, 2 },
		{ "class32", EI_CLASS, ELFCLASS32, 1 },
		{ "bigendian", EI_DATA, ELFDATA2MSB, 1 },
		{ "rel", offsetof(Elf64_Ehdr, e_type), ET_REL, 2 },
	};
	unsigned char *copy = malloc(g.self_size);

	(void)state;
	assert_non_null(copy);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_file *ef;

		memcpy(copy, g.self_image, g.self_size);
		memcpy(copy + cases[i].off, &cases[i].val, cases[i].len);
		errno = 0;
		ef = elf_open(scratch_file(copy, g.self_size));
		if (ef)
			fail_msg("%s: opened", cases[i].name);
		assert_int_equal(errno, ENOEXEC);
	}
	free(copy);
}

/* This binary cut inside the ELF header, at the ends of the program and at
 * the start of the section header tables, and at every 1/32 of its size. */
static void test_open_truncated(void **state)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g.self_image;
	size_t sizes[48], n = 0;

	(void)state;
	for (size_t s = 0; s <= 4; s++)
		sizes[n++] = s;
	sizes[n++] = 16;
	sizes[n++] = sizeof(Elf64_Ehdr) - 1;
	sizes[n++] = sizeof(Elf64_Ehdr);
	sizes[n++] = eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) - 1;
	sizes[n++] = eh->e_shoff;
	sizes[n++] = g.self_size - 1;
	for (size_t k = 1; k < 32; k++)
		sizes[n++] = g.self_size * k / 32;
	for (size_t i = 0; i < n; i++) {
		struct elf_file *ef;

		errno = 0;
		ef = elf_open(scratch_file(g.self_image, sizes[i]));
		if (!ef) {
			assert_int_not_equal(errno, 0);
			continue;
		}
		exercise(ef);
		elf_close(ef);
	}
}

/* xorshift64: reproducible corruption. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes of this binary overwritten, in the headers, in the section
 * header table and anywhere; whatever elf_open() makes of that must be safe. */
static void test_open_corrupted(void **state)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g.self_image;
	size_t shtab = (size_t)eh->e_shnum * sizeof(Elf64_Shdr);
	unsigned char *copy = malloc(g.self_size);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int opened = 0;

	(void)state;
	assert_non_null(copy);
	assert_true(eh->e_shoff + shtab <= g.self_size);
	for (int iter = 0; iter < 400; iter++) {
		int nbytes = 1 + next_random(&seed) % 8;
		struct elf_file *ef;

		memcpy(copy, g.self_image, g.self_size);
		for (int b = 0; b < nbytes; b++) {
			uint64_t r = next_random(&seed);
			size_t pos;

			switch (r % 3) {
			case 0:
				pos = (r >> 8) % (eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr));
				break;
			case 1:
				pos = eh->e_shoff + (r >> 8) % shtab;
				break;
			default:
				pos = (r >> 8) % g.self_size;
				break;
			}
			/* Mostly small or all-ones values: the interesting ones
			 * for sizes, offsets and indexes. */
			copy[pos] = (r >> 40) & 1 ? 0xff : (r >> 48) & 0xff;
		}
		ef = elf_open(scratch_file(copy, g.self_size));
		if (!ef) {
			assert_int_not_equal(errno, 0);
			continue;
		}
		opened++;
		exercise(ef);
		elf_close(ef);
	}
	free(copy);
	print_message("%d of 400 corrupted copies opened\n", opened);
}

/* The bias from /proc/self/maps and elf_first_load_vaddr() is the one the
 * dynamic linker reports. */
static void test_self_load_bias(void **state)
{
	uint64_t start;

	(void)state;
	assert_int_equal(find_mapping(g.self_path, &start, NULL, 0), 0);
	assert_int_equal(start - elf_first_load_vaddr(g.self), g.self_bias);
	assert_int_equal(elf_is_dyn(g.self), g.self_bias != 0);
}

/* Each function's bytes, read from the file at its elf_vaddr_to_offset() and
 * through elf_read_vaddr(), are the bytes the loader mapped. */
static void test_self_functions(void **state)
{
	static const struct {
		const char *name;
		const void *fn;
	} fns[] = {
		{ "elfsym_test_add", (const void *)elfsym_test_add },
		{ "elfsym_test_mix", (const void *)elfsym_test_mix },
		{ "main", NULL },
	};
	int fd = open(g.self_path, O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct elf_sym sym;
		uint64_t off;
		unsigned char *file, *via;

		assert_int_equal(elf_find_symbol(g.self, fns[i].name, &sym), 0);
		assert_string_equal(sym.name, fns[i].name);
		assert_true(sym.is_func);
		assert_true(sym.size > 0 && sym.size < 4096);
		if (fns[i].fn)
			assert_int_equal(sym.addr + g.self_bias, (uintptr_t)fns[i].fn);

		file = malloc(sym.size);
		via = malloc(sym.size);
		assert_non_null(file);
		assert_non_null(via);
		assert_int_equal(elf_vaddr_to_offset(g.self, sym.addr, &off), 0);
		assert_int_equal(pread(fd, file, sym.size, off), sym.size);
		assert_memory_equal(file, (const void *)(uintptr_t)(sym.addr + g.self_bias),
				    sym.size);
		assert_int_equal(elf_read_vaddr(g.self, sym.addr, via, sym.size), 0);
		assert_memory_equal(via, file, sym.size);
		free(file);
		free(via);
	}
	close(fd);
}

static void test_self_data(void **state)
{
	unsigned char ro[sizeof(elfsym_test_const)];
	uint64_t data[4], bss[64], off;
	struct elf_sym sym;

	(void)state;
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_const", &sym), 0);
	assert_false(sym.is_func);
	assert_int_equal(sym.size, sizeof(ro));
	assert_int_equal(elf_read_vaddr(g.self, sym.addr, ro, sizeof(ro)), 0);
	assert_memory_equal(ro, "pyleak-elfsym-ro", sizeof(ro));

	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_data", &sym), 0);
	assert_int_equal(sym.size, sizeof(data));
	assert_int_equal(sym.addr + g.self_bias, (uintptr_t)elfsym_test_data);
	assert_int_equal(elf_read_vaddr(g.self, sym.addr, data, sizeof(data)), 0);
	assert_int_equal(data[0], 0x0123456789abcdefULL);
	assert_int_equal(data[1], 0xfedcba9876543210ULL);
	assert_int_equal(data[2], 0x5eed5eed5eed5eedULL);
	assert_int_equal(data[3], 42);

	/* .bss: no file bytes behind it, yet it reads as zeros. */
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_bss", &sym), 0);
	assert_int_equal(elf_vaddr_to_offset(g.self, sym.addr, &off), -ENOENT);
	memset(bss, 0xaa, sizeof(bss));
	assert_int_equal(elf_read_vaddr(g.self, sym.addr, bss, sizeof(bss)), 0);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(bss[i], 0);

	/* Nothing is mapped at 0 nor at the top of the address space. */
	assert_int_equal(elf_read_vaddr(g.self, UINT64_MAX - 3, data, 8), -ENOENT);
	assert_int_equal(elf_vaddr_to_offset(g.self, UINT64_MAX, &off), -ENOENT);
}

/*
 * The file's owner truncates it after it was opened (a library rewritten in
 * place under a running target): lookups keep working from what was
 * indexed, reads of the file's bytes fail, and nothing raises SIGBUS (a
 * mapping of the file would).
 */
static void test_truncated_after_open(void **state)
{
	static const size_t sizes[] = { 0, 4096, 0 };
	const char *path = scratch_file(g.self_image, g.self_size);
	struct elf_file *ef;
	struct elf_sym sym, data_sym;
	unsigned char ro[sizeof(elfsym_test_const)];
	uint64_t data[4];
	size_t rosize;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		path = scratch_file(g.self_image, g.self_size);
		ef = elf_open(path);
		assert_non_null(ef);
		/* reading .rodata once before the truncation is fine either way */
		if (i == 2)
			assert_non_null(elf_rodata(ef, &rosize));
		assert_int_equal(truncate(path, sizes[i]), 0);

		assert_int_equal(elf_find_symbol(ef, "elfsym_test_const", &sym), 0);
		assert_int_equal(elf_find_symbol(ef, "elfsym_test_data", &data_sym), 0);
		assert_int_equal(elf_read_vaddr(ef, sym.addr, ro, sizeof(ro)), -EIO);
		assert_int_equal(elf_read_vaddr(ef, data_sym.addr, data, sizeof(data)), -EIO);
		if (i < 2)
			assert_null(elf_rodata(ef, &rosize));
		else
			assert_non_null(elf_rodata(ef, &rosize)); /* read before */
		exercise(ef);
		/* and the file comes back: reads work again */
		path = scratch_file(g.self_image, g.self_size);
		assert_int_equal(elf_read_vaddr(ef, sym.addr, ro, sizeof(ro)), 0);
		assert_memory_equal(ro, "pyleak-elfsym-ro", sizeof(ro));
		elf_close(ef);
	}
}

static void test_self_lookup_misses(void **state)
{
	struct elf_sym sym;

	(void)state;
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_nope", &sym), -ENOENT);
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_ad", &sym), -ENOENT);
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_add2", &sym), -ENOENT);
	assert_int_equal(elf_find_symbol(g.self, "", &sym), -ENOENT);
	/* An import (undefined here, defined in libc) is not found: a module
	 * that merely uses _PyRuntime must not pass for the interpreter. */
	assert_int_equal(elf_find_symbol(g.self, "__libc_start_main", &sym), -ENOENT);
}

static void test_self_symbolize(void **state)
{
	struct elf_sym fn, sym;
	uint64_t off;

	(void)state;
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_mix", &fn), 0);
	for (uint64_t delta = 0; delta < fn.size; delta++) {
		assert_int_equal(elf_symbolize(g.self, fn.addr + delta, &sym, &off), 0);
		assert_string_equal(sym.name, "elfsym_test_mix");
		assert_int_equal(sym.addr, fn.addr);
		assert_int_equal(off, delta);
	}
	/* A return address as a stack walk would see it, made absolute. */
	assert_int_equal(elf_symbolize(g.self, (uintptr_t)elfsym_test_add + 3 - g.self_bias, &sym,
				       &off), 0);
	assert_string_equal(sym.name, "elfsym_test_add");
	assert_int_equal(off, 3);
	/* Inside a zero-size symbol's one byte, it; past that, the function
	 * around it; past both, the nearest function before. */
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_asm", &fn), 0);
	assert_int_equal(fn.size, 16);
	assert_int_equal(elf_find_symbol(g.self, "elfsym_test_inner", &sym), 0);
	assert_true(sym.is_func);
	assert_int_equal(sym.size, 0);
	assert_int_equal(sym.addr, fn.addr + 4);
	assert_int_equal(elf_symbolize(g.self, fn.addr + 4, &sym, &off), 0);
	assert_string_equal(sym.name, "elfsym_test_inner");
	assert_int_equal(off, 0);
	assert_int_equal(elf_symbolize(g.self, fn.addr + 7, &sym, &off), 0);
	assert_string_equal(sym.name, "elfsym_test_asm");
	assert_int_equal(off, 7);
	assert_int_equal(elf_symbolize(g.self, fn.addr + 20, &sym, &off), 0);
	assert_string_equal(sym.name, "elfsym_test_inner");
	assert_int_equal(off, 16);

	/* Below every function (the ELF header) there is nothing. */
	assert_int_equal(elf_symbolize(g.self, elf_first_load_vaddr(g.self), &sym, &off), -ENOENT);
}

static void test_self_usdt_and_needed(void **state)
{
	(void)state;
	assert_true(elf_has_usdt(g.self, "elfsym_test", "probe"));
	assert_false(elf_has_usdt(g.self, "elfsym_test", "prob"));
	assert_false(elf_has_usdt(g.self, "elfsym_tes", "probe"));
	assert_false(elf_has_usdt(g.self, "python", "gc__start"));
	assert_true(elf_needs_library(g.self, "libcmocka"));
	assert_true(elf_needs_library(g.self, "libelf"));
	assert_false(elf_needs_library(g.self, "libpython3."));
}

/* Two opens of one file (node mode: many processes of one interpreter)
 * share one index; each close drops one reference, and the index stays
 * usable until the last. A changed file (new mtime) is a new index. */
static void test_shared_open(void **state)
{
	const char *path = scratch_file(g.self_image, g.self_size);
	struct elf_file *a, *b, *c;
	struct elf_sym sym;
	struct timespec ts[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };

	(void)state;
	a = elf_open(path);
	b = elf_open(path);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	elf_close(a);
	assert_int_equal(elf_find_symbol(b, "elfsym_test_const", &sym), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	c = elf_open(path);
	assert_non_null(c);
	assert_ptr_not_equal(b, c);
	elf_close(b);
	elf_close(c);
}

static void test_libc(void **state)
{
	static const char *const fns[] = { "malloc", "free", "calloc", "realloc", "memcpy" };
	uint64_t bias = g.libc_start - elf_first_load_vaddr(g.libc), off;
	struct elf_sym sym, malloc_sym;
	unsigned char code[64];
	void *old_memcpy;
	size_t n;

	(void)state;
	assert_true(elf_is_dyn(g.libc));
	assert_true(elf_needs_library(g.libc, "ld-linux"));
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		assert_int_equal(elf_find_symbol(g.libc, fns[i], &sym), 0);
		assert_string_equal(sym.name, fns[i]);
		assert_true(sym.is_func); /* memcpy is an IFUNC */
		assert_true(sym.addr > 0 && sym.size > 0);
	}

	/* malloc and __libc_malloc are one address; reports should say malloc. */
	assert_int_equal(elf_find_symbol(g.libc, "malloc", &malloc_sym), 0);
	assert_int_equal(elf_symbolize(g.libc, malloc_sym.addr + 1, &sym, &off), 0);
	assert_string_equal(sym.name, "malloc");
	assert_int_equal(off, 1);

	/* The code at the file offset is what is mapped, but for the first byte,
	 * where a uprobe (pyleak-bpf's own, say) may sit. */
	n = malloc_sym.size < sizeof(code) ? malloc_sym.size : sizeof(code);
	assert_int_equal(elf_read_vaddr(g.libc, malloc_sym.addr, code, n), 0);
	assert_memory_equal(code + 1, (const void *)(uintptr_t)(malloc_sym.addr + bias + 1),
			    n - 1);

	/* Two memcpys: a bare name means the default memcpy@@GLIBC_2.14, not
	 * the old memcpy@GLIBC_2.2.5 (a plain function, so dlvsym() gives its
	 * own address). */
	old_memcpy = dlvsym(RTLD_DEFAULT, "memcpy", "GLIBC_2.2.5");
	if (old_memcpy) {
		assert_int_equal(elf_find_symbol(g.libc, "memcpy", &sym), 0);
		assert_int_not_equal(sym.addr + bias, (uintptr_t)old_memcpy);
		off = (uintptr_t)old_memcpy - bias;
		assert_int_equal(elf_symbolize(g.libc, off, &sym, &off), 0);
		assert_string_equal(sym.name, "memcpy");
		assert_int_equal(off, 0);
	}
}

static void test_debian_python(void **state)
{
	struct elf_file *py;
	struct elf_sym sym;
	uint64_t version, off;

	(void)state;
	if (access(DEBIAN_PYTHON, R_OK)) {
		print_message("*** SKIPPING: %s not installed (apt-get install python3.11); "
			      "stripped static-libpython checks not run ***\n",
			      DEBIAN_PYTHON);
		skip();
	}
	py = elf_open(DEBIAN_PYTHON);
	assert_non_null(py);
	assert_false(elf_is_dyn(py));
	assert_true(elf_first_load_vaddr(py) > 0);
	assert_true(elf_has_usdt(py, "python", "gc__start"));
	assert_true(elf_has_usdt(py, "python", "gc__done"));
	assert_false(elf_needs_library(py, "libpython3."));

	assert_int_equal(elf_find_symbol(py, "_PyRuntime", &sym), 0);
	assert_false(sym.is_func);
	assert_true(sym.size > 0);
	assert_int_equal(elf_vaddr_to_offset(py, sym.addr, &off), 0);

	/* Stripped: .symtab-only names are gone. */
	assert_int_equal(elf_find_symbol(py, "_PyObject_Malloc", &sym), -ENOENT);

	assert_int_equal(elf_find_symbol(py, "PyObject_Malloc", &sym), 0);
	assert_true(sym.is_func);
	assert_int_equal(elf_symbolize(py, sym.addr + 1, &sym, &off), 0);
	assert_string_equal(sym.name, "PyObject_Malloc");

	/* Py_Version is initialised data: PY_VERSION_HEX of 3.11. */
	assert_int_equal(elf_find_symbol(py, "Py_Version", &sym), 0);
	assert_int_equal(sym.size, sizeof(version));
	assert_int_equal(elf_read_vaddr(py, sym.addr, &version, sizeof(version)), 0);
	assert_int_equal(version >> 16, 0x030b);
	elf_close(py);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_open_not_elf),
		cmocka_unit_test(test_open_unsupported),
		cmocka_unit_test(test_open_truncated),
		cmocka_unit_test(test_open_corrupted),
		cmocka_unit_test(test_self_load_bias),
		cmocka_unit_test(test_self_functions),
		cmocka_unit_test(test_self_data),
		cmocka_unit_test(test_truncated_after_open),
		cmocka_unit_test(test_self_lookup_misses),
		cmocka_unit_test(test_self_symbolize),
		cmocka_unit_test(test_self_usdt_and_needed),
		cmocka_unit_test(test_shared_open),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_debian_python),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
