/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_allocswitch.c: libFuzzer harness for the decision to write into the
 * target: user/python/allocators.c reads the allocator tables (live contents from
 * fake memory, defaults from the real /usr/bin/python3.11, a stripped LTO
 * build: tables located from the wrappers' code), user/capture/allocswitch.c plans
 * the switch and writes the slots. pm_read, pm_read_u64 and pm_write are
 * replaced at link time (-Wl,--wrap) by the fake target below; the ptrace
 * stop around the write is not part of this (its own e2e tests cover it).
 *
 * Input: [0..119] the RAW, MEM and OBJ tables as alloc_info_read() finds
 * them (5 words each), [120..151] the four slots' values when they are
 * written (the target ran on between the read and the stop), [152] faults:
 * bit 0 every read fails, bits 1-3: write number N (1-4) fails.
 *
 * Property (abort otherwise): a slot is written only when the plan said
 * "switch" (OBJ table pymalloc's defaults) and every one of the four slots
 * held the expected value when it was checked; only the four malloc and
 * calloc slots are ever written, with the raw functions; a failed write is
 * undone (all or nothing): afterwards each slot holds either what it held
 * before (error) or the raw function (success).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "allocators.h"
#include "allocswitch.h"
#include "elfsym.h"
#include "pyoffsets.h"
#include "target.h"

#define PY "/usr/bin/python3.11"

static struct target T;
static struct target_module mod;
static struct py_layout L;

/* the fake target: the three tables (addresses learnt at start-up) */
static uint64_t tab_addr[AT_NTABLES];
static uint64_t mem[AT_NTABLES][5];
static bool learning, read_fails, writing_allowed;
static int nwrites, fail_write;
static const struct allocswitch *plan;

static uint64_t *word_at(uint64_t addr, size_t len)
{
	for (int i = 0; i < AT_NTABLES; i++)
		if (addr >= tab_addr[i] && addr + len <= tab_addr[i] + sizeof(mem[i]) &&
		    !((addr - tab_addr[i]) % 8))
			return &mem[i][(addr - tab_addr[i]) / 8];
	return NULL;
}

int __wrap_pm_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	uint64_t *w;

	if (learning) { /* start-up: alloc_info_read() reads the tables in order */
		for (int i = 0; i < AT_NTABLES; i++)
			if (!tab_addr[i] || tab_addr[i] == addr) {
				tab_addr[i] = addr;
				break;
			}
		memset(buf, 0, len);
		return 0;
	}
	if (read_fails || !(w = word_at(addr, len)))
		return -EFAULT;
	memcpy(buf, w, len);
	return 0;
}

int __wrap_pm_read_u64(pid_t pid, uint64_t addr, uint64_t *out)
{
	return __wrap_pm_read(pid, addr, out, sizeof(*out));
}

int __wrap_pm_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	uint64_t *w = word_at(addr, len), v;
	int slot = -1;

	memcpy(&v, buf, sizeof(v));
	for (int i = 0; i < ALLOCSWITCH_SLOTS; i++)
		if (plan && plan->slot[i] == addr)
			slot = i;
	/* only the four slots, 8 bytes, our value or (undo) the original */
	if (!w || len != 8 || slot < 0 ||
	    (v != plan->switched[slot] && v != plan->orig[slot]))
		abort();
	if (v == plan->switched[slot] && !writing_allowed)
		abort(); /* the property: no write unless every slot checked out */
	if (++nwrites == fail_write)
		return -EIO;
	*w = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alloc_info ai;
	struct allocswitch sw;
	uint64_t before[ALLOCSWITCH_SLOTS], after, now[ALLOCSWITCH_SLOTS];
	int err;

	if (size < 153)
		return 0;
	memcpy(mem, data, sizeof(mem));
	read_fails = data[152] & 1;
	fail_write = (data[152] >> 1) & 7;
	nwrites = 0;
	plan = NULL;
	writing_allowed = false;
	if (alloc_info_read(&T, &L, &ai))
		return 0;
	memset(&sw, 0, sizeof(sw));
	err = allocswitch_plan(&sw, 1, &ai);
	if (err == 0 && ai.state != ALLOC_PYMALLOC)
		abort();
	if (err)
		return 0;
	for (int d = 0; d < 2; d++) /* the malloc and calloc slots of OBJ, MEM */
		if (sw.slot[2 * d] != ai.t[d ? AT_MEM : AT_OBJ].addr + 8 ||
		    sw.slot[2 * d + 1] != ai.t[d ? AT_MEM : AT_OBJ].addr + 16)
			abort();
	/* the target ran on: the slots now hold what the input says */
	memcpy(now, data + 120, sizeof(now));
	writing_allowed = !read_fails;
	for (int i = 0; i < ALLOCSWITCH_SLOTS; i++) {
		uint64_t *w = word_at(sw.slot[i], 8);

		if (!w)
			abort();
		if (data[152] & (0x10 << i))
			*w = now[i];
		before[i] = *w;
		if (*w != sw.orig[i])
			writing_allowed = false;
	}
	plan = &sw;
	err = allocswitch_write_slots(1, sw.slot, sw.orig, sw.switched);
	if (getenv("FUZZ_VERBOSE")) /* to see what the seeds reach */
		fprintf(stderr, "state %s, allowed %d, write_slots %d, %d writes\n",
			alloc_state_name(ai.state), writing_allowed, err, nwrites);
	if (!err && !writing_allowed)
		abort();
	for (int i = 0; i < ALLOCSWITCH_SLOTS; i++) {
		after = *word_at(sw.slot[i], 8);
		if (err ? after != before[i] : after != sw.switched[i])
			abort();
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct alloc_info ai;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");

	T.py_elf = elf_open(PY);
	if (!T.py_elf || pyoffsets_lookup(0x030b02f0, &L)) {
		fprintf(stderr, "fuzz_allocswitch: needs %s (Debian's python3.11)\n", PY);
		exit(1);
	}
	T.mods = &mod;
	T.nmods = 1;
	T.pid = 1;
	learning = true;
	if (alloc_info_read(&T, &L, &ai) || !tab_addr[AT_NTABLES - 1]) {
		fprintf(stderr, "fuzz_allocswitch: tables of %s not found\n", PY);
		exit(1);
	}
	learning = false;
	if (dir) { /* the build's defaults (pymalloc), then PYTHONMALLOC=malloc */
		uint8_t seed[153] = { 0 };
		char path[4096];
		FILE *fp;

		static const char *const names[] = { "pymalloc", "malloc", "pymalloc-race",
						     "pymalloc-write-fails" };

		for (int k = 0; k < 4; k++) {
			for (int i = 0; i < AT_NTABLES; i++) {
				const uint64_t *d = k == 1 ? ai.t[AT_RAW].dflt : ai.t[i].dflt;

				mem[i][0] = 0;
				memcpy(&mem[i][1], d, 4 * 8);
			}
			memcpy(seed, mem, sizeof(mem));
			/* race: OBJ.malloc hooked between the read and the write */
			memcpy(seed + 120, &ai.t[AT_RAW].dflt[AF_MALLOC], 8);
			seed[152] = k == 2 ? 0x10 : k == 3 ? 0x04 : 0; /* 0x04: 2nd write fails */
			snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
			fp = fopen(path, "wb");
			if (!fp || fwrite(seed, sizeof(seed), 1, fp) != 1 || fclose(fp))
				abort();
		}
		exit(0);
	}
	return 0;
}
