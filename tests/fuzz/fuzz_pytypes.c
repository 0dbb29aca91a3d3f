/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_pytypes.c: libFuzzer harness for user/python/pytypes.c: object typing
 * (pytype_of_alloc, pytype_type_name) and the GC census (pytype_census) over
 * a fuzzer-supplied memory image, through the reader's read hook.
 *
 * Input: a 16-byte header, then the image (at FAKE_BASE):
 *   [0]      version: 3.10, 3.11, 3.12 or 3.14 (low 2 bits)
 *   [1]      number of list heads, 1 to 4 (low 2 bits + 1)
 *   [2..9]   4 x u16: list head offsets in the image, in 8-byte units
 *   [10..15] 3 x u16: allocation offsets to type, in 8-byte units
 * Property: no crash or leak, and the census stays within its node budget
 * (a cycle that never returns to its head must not loop; -timeout catches
 * a walk that ignores its time budget).
 *
 * Seeds: FUZZ_WRITE_SEEDS=DIR .output/fuzz/fuzz_pytypes writes a 3.11
 * image with a metatype, two classes and a three-object GC list (the
 * layout of tests/unit/test_pytypes.c), and one with a list broken midway.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mem.h"
#include "pytypes.h"

#define HDR 16
#define MAX_NODES 20000

static const uint32_t versions[4] = { 0x030a0df0u, 0x030b07f0u, 0x030c01f0u, 0x030e0af0u };

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_mem f;
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t heads[4];
	const char *name;
	uint32_t off;
	int nheads;

	if (size < HDR)
		return 0;
	f = (struct fake_mem){ .mem = data + HDR, .size = size - HDR };
	if (pytype_reader_init(&r, versions[data[0] & 3], fake_read, &f))
		abort();
	nheads = 1 + (data[1] & 3);
	for (int i = 0; i < 4; i++)
		heads[i] = FAKE_BASE + 8ull * u16(data + 2 + 2 * i);
	for (int i = 0; i < 3; i++) {
		uint64_t a = FAKE_BASE + 8ull * u16(data + 10 + 2 * i);

		if (!pytype_of_alloc(&r, a, 0, &name, &off) && (!name || off > 32))
			abort();
		if (!pytype_type_name(&r, a, &name) && !name)
			abort();
	}
	memset(&c, 0, sizeof(c));
	if (!pytype_census(&r, heads, nheads, MAX_NODES, 2.0, &c)) {
		uint64_t sum = 0;

		if (c.nodes > MAX_NODES || c.lists != nheads || c.n < 0)
			abort();
		for (int i = 0; i < c.lists; i++)
			sum += c.list[i].nodes;
		if (sum != c.nodes)
			abort();
		for (int i = 0; i < c.n; i++)
			if (!c.v[i].name || !c.v[i].count)
				abort();
	}
	pytype_census_free(&c);
	pytype_reader_free(&r);
	return 0;
}

/* Seed images (offsets in the image; FAKE_BASE added for pointers). */
#define IMG 0x3000
#define F_READY (1ull << 12)
#define F_HAVE_GC (1ull << 14)
#define F_TYPE_SUBCLASS (1ull << 31)

static void mk_type(uint8_t *m, uint64_t t, uint64_t meta, uint64_t name, uint64_t flags,
		    uint64_t basic)
{
	put64(m, t, 1000);
	put64(m, t + 8, FAKE_BASE + meta);
	put64(m, t + 24, FAKE_BASE + name);
	put64(m, t + 32, basic);
	put64(m, t + 168, flags);
}

/* an object on a GC list: PyGC_Head {next, prev} at node, object at +16 */
static void mk_node(uint8_t *m, uint64_t node, uint64_t next, uint64_t prev, uint64_t type)
{
	put64(m, node, FAKE_BASE + next);
	put64(m, node + 8, FAKE_BASE + prev);
	put64(m, node + 16, 1);
	put64(m, node + 24, FAKE_BASE + type);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void write_seed(const char *dir, const char *name, int broken)
{
	uint8_t buf[HDR + IMG] = { 0 }, *m = buf + HDR;
	char path[4096];
	FILE *fp;

	buf[0] = 1; /* 3.11 */
	buf[1] = 0; /* one head */
	put16(buf + 2, 0x2000 / 8);  /* head */
	put16(buf + 10, 0x2100 / 8); /* a node's block */
	put16(buf + 12, 0x2110 / 8); /* its object */
	put16(buf + 14, 0x1100 / 8); /* a type */
	memcpy(m + 0x800, "type", 5);
	memcpy(m + 0x820, "Leaky", 6);
	memcpy(m + 0x840, "dict", 5);
	mk_type(m, 0x1000, 0x1000, 0x800, F_READY | F_TYPE_SUBCLASS | F_HAVE_GC, 880);
	mk_type(m, 0x1100, 0x1000, 0x820, F_READY | F_HAVE_GC, 48);
	mk_type(m, 0x1200, 0x1000, 0x840, F_READY | F_HAVE_GC, 48);
	/* head (0x2000) -> 0x2100 -> 0x2200 -> 0x2300 -> head */
	put64(m, 0x2000, FAKE_BASE + 0x2100);
	put64(m, 0x2008, FAKE_BASE + 0x2300);
	mk_node(m, 0x2100, 0x2200, 0x2000, 0x1100);
	mk_node(m, 0x2200, 0x2300, 0x2100, 0x1200);
	mk_node(m, 0x2300, 0x2000, broken ? 0x2000 : 0x2200, 0x1100);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(buf, sizeof(buf), 1, fp) != 1 || fclose(fp))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");

	if (dir) {
		write_seed(dir, "census-311", 0);
		write_seed(dir, "census-311-broken", 1);
		exit(0);
	}
	return 0;
}
