/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_elf.c: libFuzzer harness for user/target/elfsym.c. The input is an ELF file
 * (seeds: real files of this machine, cut down to a few sections:
 *   python3.11-notes: objcopy -j .note.stapsdt -j .stapsdt.base -j .dynamic
 *     -j .gnu.version -j .gnu.version_d -j .gnu.version_r -j .interp
 *     -j .note.gnu.build-id /usr/bin/python3.11 (its USDT notes),
 *   libc.so.6-dynsym: objcopy -j .note.stapsdt -j .stapsdt.base -j .dynamic
 *     -j .dynsym -j .dynstr -j .gnu.version -j .gnu.version_d libc.so.6,
 *   libffi.so.8: the whole 43 KB library);
 * it is written to a memfd and opened with
 * elf_open_fd(), then every lookup runs on it: symbols by name (versioned
 * names too), symbolisation of addresses, vaddr to offset, initialised
 * bytes at a vaddr, USDT notes, DT_NEEDED, .rodata. Nothing may crash,
 * read out of bounds or leak, whatever the file says.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"

/* results go here so the reads are not optimised away */
static volatile uint8_t sink;

static const char *const names[] = {
	"PyCode_Type", "_PyRuntime", "PyObject_Malloc", "_PyObject", "malloc", "free",
	"ffi_call", "__libc_start_main", "Py_Version", "memcpy", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct elf_file *ef;
	struct elf_sym sym;
	uint64_t off, addrs[8];
	uint8_t buf[64];
	size_t rsize;
	const char *ro;


	if (fd < 0 && (fd = memfd_create("fuzz_elf", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	ef = elf_open_fd(dup(fd)); /* takes the descriptor */
	if (!ef)
		return 0;
	(void)elf_is_dyn(ef);
	/* addresses to look up: where the symbols are, the first load, and
	 * words from the input's end (so the fuzzer can aim them) */
	memset(addrs, 0, sizeof(addrs));
	addrs[0] = elf_first_load_vaddr(ef);
	for (int i = 1; i < 8 && size >= 8 * (size_t)i; i++)
		memcpy(&addrs[i], data + size - 8 * i, 8);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!elf_find_symbol(ef, names[i], &sym)) {
			sink ^= (uint8_t)strlen(sym.name);
			addrs[i % 8] ^= sym.addr;
		}
	for (int i = 0; i < 8; i++) {
		if (!elf_symbolize(ef, addrs[i], &sym, &off))
			sink ^= (uint8_t)strlen(sym.name);
		(void)elf_vaddr_to_offset(ef, addrs[i], &off);
		if (!elf_read_vaddr(ef, addrs[i], buf, 1 + addrs[i] % sizeof(buf)))
			sink ^= buf[0];
	}
	(void)elf_has_usdt(ef, "python", "function__entry");
	(void)elf_has_usdt(ef, "libc", "memory_malloc_retry");
	(void)elf_needs_library(ef, "libpython3.");
	(void)elf_needs_library(ef, "");
	ro = elf_rodata(ef, &rsize);
	if (ro && rsize)
		sink ^= (uint8_t)(ro[0] ^ ro[rsize - 1]); /* every byte it claims is readable */
	ro = elf_rodata(ef, &rsize); /* cached on the second call */
	(void)ro;
	elf_close(ef);
	return 0;
}
