/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_linetable.c: libFuzzer harness for user/python/linetable.c, the line-table
 * decoder, on tables the fuzzer derives from real ones (seeds: every table
 * in tests/unit/linetable_fixtures.h, compiled by CPython 3.8 to 3.14).
 *
 * Input: [0] format (LT_LNOTAB, LT_LINETABLE310, LT_LOCATIONS311: low 2
 * bits, 0 taken as 3.11), [1..4] co_firstlineno (s32), [5..8] offset (s32),
 * then the table. Property: no crash, no read outside the table (ASan: the
 * table is copied to a buffer of exactly its size), a line >= -1, and the
 * same answer twice (pure). At start-up every fixture's every offset is
 * checked against what the interpreter itself answered: the harness does
 * not fuzz a decoder that is wrong on real tables.
 *
 * Seeds: FUZZ_WRITE_SEEDS=DIR .output/fuzz/fuzz_linetable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linetable.h"
#include "linetable_fixtures.h"

#define HDR 9
#define NVERS (sizeof(lt_fixtures) / sizeof(lt_fixtures[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lt_format fmt;
	int32_t first, off;
	uint8_t *table;
	int a, b;

	if (size < HDR)
		return 0;
	fmt = (enum lt_format)(data[0] & 3 ? data[0] & 3 : LT_LOCATIONS311);
	memcpy(&first, data + 1, 4);
	memcpy(&off, data + 5, 4);
	table = malloc(size - HDR ? size - HDR : 1);
	if (!table)
		abort();
	memcpy(table, data + HDR, size - HDR);
	a = lt_addr2line(fmt, table, size - HDR, first, off);
	b = lt_addr2line(fmt, table, size - HDR, first, off);
	if (a < -1 || a != b)
		abort();
	free(table);
	return 0;
}

/* check_fixtures() - abort unless every fixture decodes as CPython said. */
static void check_fixtures(void)
{
	for (unsigned v = 0; v < NVERS; v++) {
		enum lt_format fmt = lt_format_for_version(lt_fixtures[v].version_hex);

		for (size_t c = 0; c < lt_fixtures[v].n_codes; c++) {
			const struct lt_fixture_code *k = &lt_fixtures[v].codes[c];

			for (size_t i = 0; i < k->n_lines; i++)
				if (lt_addr2line(fmt, k->table, k->table_len, k->firstlineno,
						 (int)(2 * i)) != k->lines[i]) {
					fprintf(stderr, "fixture %s %s offset %zu wrong\n",
						lt_fixtures[v].version, k->name, 2 * i);
					abort();
				}
		}
	}
}

static void write_seeds(const char *dir)
{
	for (unsigned v = 0; v < NVERS; v++) {
		enum lt_format fmt = lt_format_for_version(lt_fixtures[v].version_hex);

		for (size_t c = 0; c < lt_fixtures[v].n_codes; c += 4) {
			const struct lt_fixture_code *k = &lt_fixtures[v].codes[c];
			uint8_t hdr[HDR];
			int32_t off = (int32_t)(k->n_lines & ~1u);
			char path[4096];
			FILE *fp;

			hdr[0] = (uint8_t)fmt;
			memcpy(hdr + 1, &k->firstlineno, 4);
			memcpy(hdr + 5, &off, 4);
			snprintf(path, sizeof(path), "%s/%s-%zu", dir, lt_fixtures[v].version, c);
			fp = fopen(path, "wb");
			if (!fp || fwrite(hdr, HDR, 1, fp) != 1 ||
			    (k->table_len && fwrite(k->table, k->table_len, 1, fp) != 1) || fclose(fp))
				abort();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");

	check_fixtures();
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
