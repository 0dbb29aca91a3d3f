/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_linetable.c: unit tests for the line-table decoders (user/python/linetable.c).
 * The main check replays tables compiled by real CPython interpreters
 * (linetable_fixtures.h, made by gen_linetable_fixtures.py) and compares
 * every offset with what that interpreter's own PyCode_Addr2Line() said.
 * Hand-built tables cover what no compiler emits but a torn read from a live
 * process can: truncation, garbage, overflow. Tables are copied into heap
 * buffers of their exact length so that ASan or valgrind catch any read past
 * the end.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linetable.h"
#include "linetable_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Stop printing mismatches after this many; the count still fails the test. */
#define MAX_REPORTED 20

/* exact_copy() - t[0..len) in a heap block of exactly len bytes; free() it. */
static uint8_t *exact_copy(const uint8_t *t, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	if (len)
		memcpy(buf, t, len);
	return buf;
}

/* line_at() - lt_addr2line() on an exact-size copy of the table. */
static int line_at(enum lt_format fmt, const uint8_t *t, size_t len, int firstlineno, int offset)
{
	uint8_t *buf = exact_copy(t, len);
	int line = lt_addr2line(fmt, buf, len, firstlineno, offset);

	free(buf);
	return line;
}

struct probe {
	int offset;
	int line;
};

/* check_probes() - each probe's offset decodes to its line. */
static void check_probes(enum lt_format fmt, const uint8_t *t, size_t len, int firstlineno,
			 const struct probe *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = line_at(fmt, t, len, firstlineno, p[i].offset);

		if (got != p[i].line)
			print_error("offset %d: expected line %d, got %d\n", p[i].offset,
				    p[i].line, got);
		assert_int_equal(got, p[i].line);
	}
}

static void test_format_for_version(void **state)
{
	static const struct {
		uint32_t hex;
		enum lt_format fmt;
	} cases[] = {
		{ 0x030812f0, LT_LNOTAB },	   /* 3.8.18 */
		{ 0x030800a1, LT_LNOTAB },	   /* 3.8.0a1: the level does not matter */
		{ 0x030912f0, LT_LNOTAB },	   /* 3.9.18 */
		{ 0x030a0df0, LT_LINETABLE310 }, /* 3.10.13 */
		{ 0x030a00b4, LT_LINETABLE310 }, /* 3.10.0b4 */
		{ 0x030b02f0, LT_LOCATIONS311 }, /* 3.11.2 */
		{ 0x030c01f0, LT_LOCATIONS311 }, /* 3.12.1 */
		{ 0x030d00f0, LT_LOCATIONS311 }, /* 3.13.0 */
		{ 0x030e00a1, LT_LOCATIONS311 }, /* 3.14.0a1 */
		{ 0x030e04f0, LT_LOCATIONS311 }, /* 3.14.4 */
		{ 0x030710f0, 0 },		   /* 3.7.16: same co_lnotab, but unsupported */
		{ 0x030f00a1, 0 },		   /* 3.15: format not known yet */
		{ 0x020712f0, 0 },		   /* 2.7.18 */
		{ 0x040900f0, 0 },		   /* 4.9: the major matters too */
		{ 0x00000000, 0 },
		{ 0xffffffff, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (lt_format_for_version(cases[i].hex) != cases[i].fmt)
			print_error("0x%08x: expected %d\n", (unsigned int)cases[i].hex,
				    cases[i].fmt);
		assert_int_equal(lt_format_for_version(cases[i].hex), cases[i].fmt);
	}
}

/*
 * check_fixture_version() - every offset of every code object compiled by
 * one interpreter, plus the not-started offset -2, against its answers.
 * Returns the number of offsets checked.
 */
static size_t check_fixture_version(const struct lt_fixture_version *v)
{
	enum lt_format fmt = lt_format_for_version(v->version_hex);
	size_t checked = 0, bad = 0;
	size_t c, i;

	assert_int_not_equal(fmt, 0);
	for (c = 0; c < v->n_codes; c++) {
		const struct lt_fixture_code *code = &v->codes[c];
		uint8_t *buf = exact_copy(code->table, code->table_len);

		for (i = 0; i < code->n_lines; i++) {
			int got = lt_addr2line(fmt, buf, code->table_len, code->firstlineno,
					       (int)(2 * i));

			checked++;
			if (got == code->lines[i])
				continue;
			if (bad++ < MAX_REPORTED)
				print_error("%s %s: offset %zu: expected line %d, got %d\n",
					    v->version, code->name, 2 * i, code->lines[i], got);
		}
		assert_int_equal(lt_addr2line(fmt, buf, code->table_len, code->firstlineno, -2),
				 code->firstlineno);
		free(buf);
	}
	assert_int_equal(bad, 0);
	return checked;
}

/* check_fixtures() - all fixture versions whose tables use fmt. */
static void check_fixtures(enum lt_format fmt)
{
	size_t n_versions = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lt_fixtures); i++) {
		const struct lt_fixture_version *v = &lt_fixtures[i];
		size_t checked;

		if (lt_format_for_version(v->version_hex) != fmt)
			continue;
		checked = check_fixture_version(v);
		print_message("    %-8s %3zu code objects, %5zu offsets match CPython\n",
			      v->version, v->n_codes, checked);
		n_versions++;
	}
	/* A regenerated header with no interpreter for fmt must not pass. */
	assert_true(n_versions > 0);
}

static void test_fixtures_lnotab(void **state)
{
	(void)state;
	check_fixtures(LT_LNOTAB);
}

static void test_fixtures_linetable310(void **state)
{
	(void)state;
	check_fixtures(LT_LINETABLE310);
}

static void test_fixtures_locations311(void **state)
{
	(void)state;
	check_fixtures(LT_LOCATIONS311);
}

/*
 * complete_coverage() - how many bytes of bytecode the entries lying wholly
 * inside the first cut bytes of a well-formed table describe; *boundary
 * says whether cut falls between two entries.
 */
static int complete_coverage(enum lt_format fmt, const uint8_t *t, size_t len, size_t cut,
			     bool *boundary)
{
	int covered = 0;
	size_t p, q;

	if (fmt != LT_LOCATIONS311) {
		for (p = 0; p + 2 <= cut; p += 2)
			covered += t[p];
		*boundary = cut % 2 == 0;
		return covered;
	}
	for (p = 0; p < cut; p = q) {
		for (q = p + 1; q < len && !(t[q] & 0x80); q++)
			;
		if (q > cut)
			break;
		covered += ((t[p] & 7) + 1) * 2;
	}
	*boundary = cut == len || (t[cut] & 0x80);
	return covered;
}

/* check_cut() - offset 2 * i of a table cut short, see below. */
static void check_cut(enum lt_format fmt, const uint8_t *buf, size_t cut,
		      const struct lt_fixture_code *code, size_t i, int covered, bool boundary)
{
	int off = (int)(2 * i);
	int got = lt_addr2line(fmt, buf, cut, code->firstlineno, off);

	if (off < covered)
		assert_int_equal(got, code->lines[i]);
	else if (boundary && fmt != LT_LNOTAB)
		assert_int_equal(got, -1);
	else
		assert_true(got >= -1);
}

/* How far either side of a cut its effect is checked; longer than any entry
 * (16 bytes of code), so it spans the entries around the cut. */
#define CUT_WINDOW 40

/*
 * Every prefix of every real table, as a torn copy would give: offsets the
 * complete entries describe keep their line, and a cut between entries of a
 * 3.10+ table ends the code there (-1 after it). Anything else may be wrong
 * but must stay in range; the exact-size copies make over-reads visible to
 * a sanitizer. Offsets far before the cut decode exactly as in the full
 * table, so only those near it are checked, plus the past-the-end one,
 * which walks the whole prefix.
 */
static void test_fixtures_truncated(void **state)
{
	size_t v, c, cut, i;

	(void)state;
	for (v = 0; v < ARRAY_SIZE(lt_fixtures); v++) {
		enum lt_format fmt = lt_format_for_version(lt_fixtures[v].version_hex);

		for (c = 0; c < lt_fixtures[v].n_codes; c++) {
			const struct lt_fixture_code *code = &lt_fixtures[v].codes[c];
			size_t last = code->n_lines - 1;

			for (cut = 0; cut <= code->table_len; cut++) {
				uint8_t *buf = exact_copy(code->table, cut);
				bool boundary;
				int covered = complete_coverage(fmt, code->table, code->table_len,
								cut, &boundary);
				size_t lo = covered > CUT_WINDOW ? (covered - CUT_WINDOW) / 2 : 0;
				size_t hi = (covered + CUT_WINDOW) / 2;

				for (i = lo; i <= hi && i < last; i++)
					check_cut(fmt, buf, cut, code, i, covered, boundary);
				check_cut(fmt, buf, cut, code, last, covered, boundary);
				free(buf);
			}
		}
	}
}

static void test_empty_table(void **state)
{
	static const struct probe past_end[] = { { 0, -1 }, { 2, -1 }, { -2, 7 } };
	static const struct probe lnotab[] = { { 0, 7 }, { 1000, 7 }, { -2, 7 } };

	(void)state;
	/* co_lnotab is empty for a single-line body: everything is on line 1. */
	check_probes(LT_LNOTAB, NULL, 0, 7, lnotab, ARRAY_SIZE(lnotab));
	check_probes(LT_LINETABLE310, NULL, 0, 7, past_end, ARRAY_SIZE(past_end));
	check_probes(LT_LOCATIONS311, NULL, 0, 7, past_end, ARRAY_SIZE(past_end));
}

static void test_negative_offset(void **state)
{
	/* Garbage that would give other lines for offsets >= 0. */
	static const uint8_t t[] = { 0xe8, 0x7f, 0x7f, 0x00, 0x80, 0x01 };
	static const enum lt_format fmts[] = { LT_LNOTAB, LT_LINETABLE310, LT_LOCATIONS311 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		assert_int_equal(line_at(fmts[i], t, sizeof(t), 42, -2), 42);
		assert_int_equal(line_at(fmts[i], t, sizeof(t), 42, -1), 42);
		assert_int_equal(line_at(fmts[i], t, sizeof(t), 42, INT_MIN), 42);
		/* The result is a line or -1, even for a garbage firstlineno. */
		assert_int_equal(line_at(fmts[i], t, sizeof(t), -5, -2), -1);
	}
}

static void test_unknown_format(void **state)
{
	static const uint8_t t[] = { 0x80, 0x00 };

	(void)state;
	assert_int_equal(line_at(0, t, sizeof(t), 3, 0), -1);
	assert_int_equal(line_at(LT_LOCATIONS311 + 1, t, sizeof(t), 3, 0), -1);
	assert_int_equal(line_at(0, t, sizeof(t), 3, -2), 3);
}

/*
 * co_lnotab as 3.8's assembler splits big jumps: bytecode deltas over 255
 * become (255, 0) pairs, line deltas past a signed byte become (x, 127) or
 * (x, -128) pairs. -128 is an ordinary delta here, unlike in 3.10.
 */
static const uint8_t lnotab_big[] = {
	6, 1,			/* offset 6: line 11 */
	255, 0, 45, 1,		/* offset 306: line 12 */
	4, 127, 0, 127, 0, 46,	/* offset 310: line 312 */
	2, 0x80, 0, 0x80, 0, 0xd4, /* offset 312: line 12 (-128 -128 -44) */
};

static void test_lnotab_large_jumps(void **state)
{
	static const struct probe p[] = {
		{ 0, 10 }, { 4, 10 }, { 6, 11 }, { 260, 11 }, { 262, 11 }, { 304, 11 },
		{ 306, 12 }, { 308, 12 }, { 310, 312 }, { 312, 12 },
		/* No end address in co_lnotab: past the code is the last line. */
		{ 10000, 12 }, { INT_MAX, 12 },
	};

	(void)state;
	check_probes(LT_LNOTAB, lnotab_big, sizeof(lnotab_big), 10, p, ARRAY_SIZE(p));
}

static void test_lnotab_truncated(void **state)
{
	/* Half a pair at the end is ignored, as CPython's len / 2 does. */
	static const struct probe half[] = { { 6, 11 }, { 306, 11 }, { 1000, 11 } };
	static const struct probe odd[] = { { 310, 312 }, { 312, 12 }, { 1000, 12 } };
	uint8_t t[sizeof(lnotab_big) + 1];

	(void)state;
	check_probes(LT_LNOTAB, lnotab_big, 5, 10, half, ARRAY_SIZE(half));
	memcpy(t, lnotab_big, sizeof(lnotab_big));
	t[sizeof(lnotab_big)] = 0;
	check_probes(LT_LNOTAB, t, sizeof(t), 10, odd, ARRAY_SIZE(odd));
}

/* 3.10: (sdelta, ldelta) with -128 = no line, and zero-length entries that
 * only move the running line. */
static const uint8_t linetable310[] = {
	4, 0,		/* [0, 4): 5 */
	2, 0x80,	/* [4, 6): no line; the running line stays 5 */
	0, 3,		/* empty: running line 8 */
	6, 1,		/* [6, 12): 9 */
	254, 0, 10, 0,	/* [12, 276): 9, a long range split in two */
	2, 0xff,	/* [276, 278): 8 */
	0, 100,		/* empty, and last: must not be read as a range */
};

static void test_linetable310(void **state)
{
	static const struct probe p[] = {
		{ 0, 5 }, { 2, 5 }, { 4, -1 }, { 6, 9 }, { 10, 9 }, { 12, 9 }, { 264, 9 },
		{ 266, 9 }, { 274, 9 }, { 276, 8 }, { 278, -1 }, { 1000, -1 }, { INT_MAX, -1 },
	};
	/* A leading -128 leaves the running line at firstlineno. */
	static const uint8_t lead[] = { 2, 0x80, 2, 1 };
	static const struct probe lead_p[] = { { 0, -1 }, { 2, 6 }, { 4, -1 } };

	(void)state;
	check_probes(LT_LINETABLE310, linetable310, sizeof(linetable310), 5, p, ARRAY_SIZE(p));
	check_probes(LT_LINETABLE310, lead, sizeof(lead), 5, lead_p, ARRAY_SIZE(lead_p));
}

static void test_linetable310_truncated(void **state)
{
	static const struct probe odd[] = { { 276, 8 }, { 278, -1 } };
	static const struct probe half[] = { { 4, -1 }, { 6, -1 } };
	uint8_t t[sizeof(linetable310) + 1];

	(void)state;
	memcpy(t, linetable310, sizeof(linetable310));
	t[sizeof(linetable310)] = 0x10;
	check_probes(LT_LINETABLE310, t, sizeof(t), 5, odd, ARRAY_SIZE(odd));
	/* Cut inside the -128 pair: its sdelta alone does not make a range. */
	check_probes(LT_LINETABLE310, linetable310, 3, 5, half, ARRAY_SIZE(half));
}

/* 3.11+: one entry of every kind, with varints of several chunks. */
static const uint8_t locations[] = {
	0x80, 0x05,			/* short form 0, 1 unit: [0, 2) 10 */
	0xda, 0x04, 0x09,		/* one-line form, +1, 3 units: [2, 8) 11 */
	0xe8, 0x07,			/* no-column form, svarint -3: [8, 10) 8 */
	0xf7, 0x50, 0x5c, 0x02,		/* long form, 8 units, svarint +5000, */
	0x00, 0x44, 0x40, 0x01,		/* end line +0, column 4100, */
	0x68, 0x41, 0x01,		/* end column 4200: [10, 26) 5008 */
	0xf9,				/* no location, 2 units: [26, 30) none */
	0xe0, 0x00, 0x03,		/* one-line form, +2: [30, 32) 5010 */
	0xf0, 0x51, 0x5c, 0x02, 0x00, 0x00, 0x00, /* long form, -5000: [32, 34) 10 */
	0xa8, 0x12,			/* short form 5: [34, 36) 10 */
};

static void test_locations(void **state)
{
	static const struct probe p[] = {
		{ 0, 10 }, { 2, 11 }, { 6, 11 }, { 8, 8 }, { 10, 5008 }, { 24, 5008 },
		{ 26, -1 }, { 28, -1 }, { 30, 5010 }, { 32, 10 }, { 34, 10 }, { 36, -1 },
		{ INT_MAX, -1 },
	};

	(void)state;
	check_probes(LT_LOCATIONS311, locations, sizeof(locations), 10, p, ARRAY_SIZE(p));
}

static void test_locations_truncated_varint(void **state)
{
	/* The varint's last chunk says "more" but the table ends: use what is
	 * there (+2), do not read on. */
	static const uint8_t end[] = { 0xe8, 0x44 };
	static const struct probe end_p[] = { { 0, 12 }, { 2, -1 } };
	/* The same, followed by an entry whose header has bit 6 set: CPython
	 * would take it as a further chunk, we stop at the entry boundary. */
	static const uint8_t next[] = { 0xe8, 0x46, 0xd0, 0x01, 0x02 };
	static const struct probe next_p[] = { { 0, 13 }, { 2, 13 }, { 4, -1 } };
	/* More chunks than 32 bits hold: the excess is dropped, the line comes
	 * out hugely negative and is reported as unknown. */
	uint8_t many[41];
	static const struct probe many_p[] = { { 0, -1 }, { 2, -1 } };

	(void)state;
	check_probes(LT_LOCATIONS311, end, sizeof(end), 10, end_p, ARRAY_SIZE(end_p));
	check_probes(LT_LOCATIONS311, next, sizeof(next), 10, next_p, ARRAY_SIZE(next_p));
	many[0] = 0xe8;
	memset(many + 1, 0x7f, sizeof(many) - 1);
	check_probes(LT_LOCATIONS311, many, sizeof(many), 10, many_p, ARRAY_SIZE(many_p));
}

static void test_locations_garbage(void **state)
{
	/* No byte has bit 7: like CPython, the first byte is read as a header
	 * (short form 2, 3 units) and the rest as its payload. */
	static const uint8_t nohead[] = { 0x12, 0x34, 0x56, 0x01 };
	static const struct probe nohead_p[] = { { 0, 10 }, { 4, 10 }, { 6, -1 } };
	/* Code 15 without bit 7 is not CPython's no-line marker (it tests the
	 * whole byte). */
	static const uint8_t fake_none[] = { 0x78, 0x00 };
	static const struct probe fake_none_p[] = { { 0, 10 }, { 2, -1 } };
	/* Zeroed memory: one 1-unit entry, then payload to the end. */
	static const uint8_t zeros[64];
	static const struct probe zeros_p[] = { { 0, 10 }, { 2, -1 } };

	(void)state;
	check_probes(LT_LOCATIONS311, nohead, sizeof(nohead), 10, nohead_p, ARRAY_SIZE(nohead_p));
	check_probes(LT_LOCATIONS311, fake_none, sizeof(fake_none), 10, fake_none_p,
		     ARRAY_SIZE(fake_none_p));
	check_probes(LT_LOCATIONS311, zeros, sizeof(zeros), 10, zeros_p, ARRAY_SIZE(zeros_p));
}

/* Long runs of big deltas saturate the line instead of overflowing int. */
static void test_line_overflow(void **state)
{
	/* Zero-length (0, +-127) pairs, then one range at offset 0. */
	uint8_t up[2 * 1000], down[2 * 1000];
	/* Two 3.11 entries of +(2^31 - 1) each: six-chunk varints. */
	static const uint8_t loc_up[] = {
		0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f,
		0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(up); i += 2) {
		up[i] = down[i] = 0;
		up[i + 1] = 127;
		down[i + 1] = 0x81; /* -127 */
	}
	up[sizeof(up) - 2] = down[sizeof(down) - 2] = 2;
	assert_int_equal(line_at(LT_LNOTAB, up, sizeof(up), INT_MAX - 10, 0), INT_MAX);
	assert_int_equal(line_at(LT_LINETABLE310, up, sizeof(up), INT_MAX - 10, 0), INT_MAX);
	assert_int_equal(line_at(LT_LNOTAB, down, sizeof(down), 10, 0), -1);
	assert_int_equal(line_at(LT_LINETABLE310, down, sizeof(down), INT_MIN + 10, 0), -1);
	assert_int_equal(line_at(LT_LOCATIONS311, loc_up, sizeof(loc_up), 10, 0), INT_MAX);
	assert_int_equal(line_at(LT_LOCATIONS311, loc_up, sizeof(loc_up), 10, 2), INT_MAX);
}

/* xorshift32: a fixed, portable sequence so a failure can be replayed. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Random tables of every format: the decoders must return a line or -1, end
 * the code no later than the table could describe (3.10: 255 bytes a pair,
 * 3.11+: 16 bytes a table byte), and never read past the copy.
 */
static void test_random_tables(void **state)
{
	static const enum lt_format fmts[] = { LT_LNOTAB, LT_LINETABLE310, LT_LOCATIONS311 };
	uint32_t seed = 0x5eed1e55;
	int iter, k;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		size_t len = rnd(&seed) % 48, i;
		uint8_t *t = malloc(len ? len : 1);
		enum lt_format fmt = fmts[rnd(&seed) % ARRAY_SIZE(fmts)];
		int first = (int)(rnd(&seed) % 100000) - 10;
		int max_end = fmt == LT_LINETABLE310 ? 255 * (int)(len / 2) : 16 * (int)len;

		assert_non_null(t);
		for (i = 0; i < len; i++)
			t[i] = (uint8_t)rnd(&seed);

		assert_int_equal(lt_addr2line(fmt, t, len, first, -2), first < 0 ? -1 : first);
		for (k = 0; k < 16; k++) {
			int off = (int)(rnd(&seed) % (uint32_t)(max_end + 1)) & ~1;

			assert_true(lt_addr2line(fmt, t, len, first, off) >= -1);
		}
		if (fmt != LT_LNOTAB) {
			assert_int_equal(lt_addr2line(fmt, t, len, first, max_end), -1);
			assert_int_equal(lt_addr2line(fmt, t, len, first, INT_MAX), -1);
		} else {
			assert_true(lt_addr2line(fmt, t, len, first, INT_MAX) >= -1);
		}
		free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_for_version),
		cmocka_unit_test(test_fixtures_lnotab),
		cmocka_unit_test(test_fixtures_linetable310),
		cmocka_unit_test(test_fixtures_locations311),
		cmocka_unit_test(test_fixtures_truncated),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_negative_offset),
		cmocka_unit_test(test_unknown_format),
		cmocka_unit_test(test_lnotab_large_jumps),
		cmocka_unit_test(test_lnotab_truncated),
		cmocka_unit_test(test_linetable310),
		cmocka_unit_test(test_linetable310_truncated),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_locations_truncated_varint),
		cmocka_unit_test(test_locations_garbage),
		cmocka_unit_test(test_line_overflow),
		cmocka_unit_test(test_random_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
