/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fake_mem.h: a fuzzer-supplied memory image for the harnesses that read
 * target memory through a hook (pytypes, symbolize, allocswitch): the
 * image's bytes live at FAKE_BASE in the "target", everything else is
 * unmapped (-EFAULT), as process_vm_readv answers.
 */
#ifndef PYLEAK_FUZZ_FAKE_MEM_H
#define PYLEAK_FUZZ_FAKE_MEM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FAKE_BASE 0x10000000ull

struct fake_mem {
	const uint8_t *mem;
	size_t size;
	uint64_t reads;
};

/* fake_read() - a pytype_read_fn / sym_read_fn over the image (ctx). */
static inline int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *f = ctx;

	f->reads++;
	if (!len || addr < FAKE_BASE || addr - FAKE_BASE > f->size ||
	    len > f->size - (addr - FAKE_BASE))
		return -EFAULT;
	memcpy(buf, f->mem + (addr - FAKE_BASE), len);
	return 0;
}

/* seed writing (FUZZ_WRITE_SEEDS=DIR): little-endian stores into an image */
static inline void put64(uint8_t *img, uint64_t off, uint64_t v)
{
	memcpy(img + off, &v, 8);
}

static inline void put32(uint8_t *img, uint64_t off, uint32_t v)
{
	memcpy(img + off, &v, 4);
}

#endif /* PYLEAK_FUZZ_FAKE_MEM_H */
