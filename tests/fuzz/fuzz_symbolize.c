/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_symbolize.c: libFuzzer harness for user/python/symbolize.c (code object,
 * its strings, its line table) over a fuzzer-supplied memory image, read
 * through the symboliser's read hook (sym_set_reader()).
 *
 * Input: an 8-byte header, then the image (at FAKE_BASE):
 *   [0]    interpreter: index into lt_fixtures[] (3.8 to 3.14 layouts)
 *   [1..4] lasti (s32, little-endian)
 *   [5]    bit 0: frame identity as the image's code object computes it (the
 *          path that reads names and table), else a stale one
 * The code object is at FAKE_BASE. Property: no crash or leak; a frame read
 * gets NUL-terminated names and a line >= -1, and its line is the one
 * lt_addr2line() gives on the table bytes (the seeds' tables are real ones,
 * tests/unit/linetable_fixtures.h).
 *
 * Seeds: FUZZ_WRITE_SEEDS=DIR .output/fuzz/fuzz_symbolize writes one image
 * per interpreter: a code object whose strings and line table are a real
 * fixture's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "fake_mem.h"
#include "linetable.h"
#include "linetable_fixtures.h"
#include "pyident.h"
#include "pyoffsets.h"
#include "symbolize.h"
#include "target.h"

#define HDR 8
#define NVERS (sizeof(lt_fixtures) / sizeof(lt_fixtures[0]))

static struct target T;

/* ident_of() - the identity BPF would have captured for the code object
 * at addr, as symbolize.c recomputes it. */
static uint32_t ident_of(struct fake_mem *f, const struct py_layout *L, uint64_t addr)
{
	uint32_t first = 0;
	__u64 ptrs[3] = { 0 }, str[PYIDENT_STR_WORDS];
	int have_str;

	fake_read(f, addr + L->code_firstlineno, &first, sizeof(first));
	fake_read(f, addr + L->code_filename, ptrs, sizeof(ptrs));
	have_str = !fake_read(f, ptrs[pyoffsets_ident_name_word(L) % 3] + PYIDENT_STR_OFF, str,
			      sizeof(str));
	return pyident_code(first, ptrs, have_str ? str : NULL,
			    (L->unicode_ascii_data - PYIDENT_STR_OFF) / 8);
}

/* line_of() - the line symbolize.c must report for the code object at
 * addr: its table as the image holds it, decoded by lt_addr2line(). */
static int line_of(struct fake_mem *f, const struct py_layout *L, uint64_t addr, int32_t lasti)
{
	uint64_t tobj = 0, tlen = 0;
	uint32_t first = 0;
	const uint8_t *table = NULL;
	enum lt_format fmt = lt_format_for_version(L->version_hex);

	fake_read(f, addr + L->code_firstlineno, &first, sizeof(first));
	if (!fake_read(f, addr + L->code_linetable, &tobj, sizeof(tobj)) && tobj &&
	    !fake_read(f, tobj + L->bytes_size, &tlen, sizeof(tlen)) && tlen <= (1 << 20) &&
	    (!tlen || !fake_read(f, tobj + L->bytes_data, (uint8_t[1]){ 0 }, 1)) &&
	    tobj + L->bytes_data >= FAKE_BASE && tobj + L->bytes_data - FAKE_BASE <= f->size &&
	    tlen <= f->size - (tobj + L->bytes_data - FAKE_BASE))
		table = f->mem + (tobj + L->bytes_data - FAKE_BASE);
	else
		tlen = 0;
	return tlen || lasti < 0 ? lt_addr2line(fmt, table, tlen, (int)first, lasti) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_layout L;
	struct fake_mem f;
	struct symbolizer *s;
	struct pyleak_frame fr;
	struct report_frame out[PYLEAK_MAX_FRAMES];
	static struct pyleak_stack st;
	const char *caller;
	char buf[256];
	int32_t lasti;
	int n;

	if (size < HDR)
		return 0;
	if (pyoffsets_lookup(lt_fixtures[data[0] % NVERS].version_hex, &L))
		abort();
	f = (struct fake_mem){ .mem = data + HDR, .size = size - HDR };
	memcpy(&lasti, data + 1, 4);
	s = sym_new(&T, &L);
	if (!s)
		abort();
	sym_set_reader(s, fake_read, &f);
	fr = (struct pyleak_frame){ .code = FAKE_BASE, .lasti = lasti,
				    .ident = (data[5] & 1) ? ident_of(&f, &L, FAKE_BASE) : 1 };
	n = sym_frame(s, &fr, &out[0]);
	if (getenv("FUZZ_VERBOSE")) /* to see what the seeds reach */
		fprintf(stderr, "sym_frame %d: %s %s line %d\n", n, out[0].file, out[0].func,
			out[0].line);
	if (!n) {
		if (strlen(out[0].file) >= 4096 || strlen(out[0].func) >= 4096 || out[0].line < -1 ||
		    out[0].line != line_of(&f, &L, FAKE_BASE, lasti))
			abort();
	} else if (strcmp(out[0].file, "<unknown>") || out[0].line != -1) {
		abort();
	}
	/* the cached entry, a stack around it, strings at fuzzer-chosen places */
	st.depth = 2;
	st.frames[0] = fr;
	st.frames[1] = (struct pyleak_frame){ .code = FAKE_BASE + 64, .lasti = -1 };
	memcpy(&st.native_caller, data, 8);
	n = sym_stack(s, &st, out, &caller);
	if (n != 2)
		abort();
	(void)sym_read_str(s, FAKE_BASE + (data[6] | data[7] << 8), buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	sym_free(s);
	return 0;
}

/* write_seed() - a code object at 0 of an image: file and name strings,
 * the line table of fixture c as a bytes object. */
static void write_seed(const char *dir, unsigned v, const struct lt_fixture_code *c)
{
	enum { CODE = 0, FILE_S = 0x400, NAME_S = 0x600, BYTES = 0x800 };
	static uint8_t buf[HDR + BYTES + 0x100 + 65536];
	uint8_t *m = buf + HDR;
	struct py_layout L;
	char path[4096];
	const char *strs[2] = { "/srv/app/fixture.py", c->name };
	size_t len = BYTES + 0x100 + c->table_len;
	uint32_t lasti = 2 * (uint32_t)(c->n_lines / 2);
	FILE *fp;

	if (pyoffsets_lookup(lt_fixtures[v].version_hex, &L) || c->table_len > 65536)
		abort();
	memset(buf, 0, sizeof(buf));
	buf[0] = (uint8_t)v;
	memcpy(buf + 1, &lasti, 4);
	buf[5] = 1;
	buf[6] = (uint8_t)(NAME_S & 0xff);
	buf[7] = (uint8_t)(NAME_S >> 8);
	for (int i = 0; i < 2; i++) {
		uint64_t o = i ? NAME_S : FILE_S;
		size_t n = strlen(strs[i]) < 100 ? strlen(strs[i]) : 100;

		put64(m, o + 8, 0); /* ob_type: not checked without PyCode_Type */
		put64(m, o + L.unicode_length, n);
		put32(m, o + L.unicode_state, 0x20 | 0x40 | 1 << 2); /* compact ASCII, 1 byte */
		memcpy(m + o + L.unicode_ascii_data, strs[i], n);
	}
	put32(m, CODE + L.code_firstlineno, (uint32_t)c->firstlineno);
	put64(m, CODE + L.code_filename, FAKE_BASE + FILE_S);
	put64(m, CODE + L.code_name, FAKE_BASE + NAME_S);
	if (L.code_qualname)
		put64(m, CODE + L.code_qualname, FAKE_BASE + NAME_S);
	put64(m, CODE + L.code_linetable, FAKE_BASE + BYTES);
	put64(m, BYTES + L.bytes_size, c->table_len);
	memcpy(m + BYTES + L.bytes_data, c->table, c->table_len);
	len = BYTES + L.bytes_data + c->table_len;
	snprintf(path, sizeof(path), "%s/code-%s", dir, lt_fixtures[v].version);
	fp = fopen(path, "wb");
	if (!fp || fwrite(buf, HDR + len, 1, fp) != 1 || fclose(fp))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");

	/* no PyCode_Type in this executable: code objects' types are not
	 * checked, the identity is (what the unit test does too) */
	T.py_elf = elf_open("/proc/self/exe");
	if (!T.py_elf)
		abort();
	if (dir) {
		for (unsigned v = 0; v < NVERS; v++)
			write_seed(dir, v, &lt_fixtures[v].codes[lt_fixtures[v].n_codes > 1]);
		exit(0);
	}
	return 0;
}
