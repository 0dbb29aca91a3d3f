/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * linetable.c: turn a bytecode offset into a source line, from the line
 * table bytes copied out of a CPython 3.8 to 3.14 code object. Each decoder
 * mirrors the PyCode_Addr2Line() of the versions it serves, so a stack we
 * print names the same line a traceback would.
 *
 * The table comes from another process's memory and may be torn by a
 * concurrent write or simply garbage, so unlike CPython every read is
 * checked against the length, every loop advances through the table, and
 * the running line saturates instead of overflowing.
 */
#include <limits.h>

#include "linetable.h"

/* 3.10: an ldelta of -128 is not a delta but "this range has no line". */
#define LT310_NO_LINE (-128)

/* 3.11+: entry header bits (Objects/locations.md). */
#define LOC_ENTRY_START 0x80	/* set on the first byte of every entry only */
#define LOC_CODE(b)	(((b) >> 3) & 0xf)
#define LOC_UNITS(b)	(((b) & 0x7) + 1)
#define LOC_NO_COLUMNS	13
#define LOC_LONG	14
#define LOC_ONE_LINE0	10
#define LOC_ONE_LINE2	12
/* CPython tests the whole byte, (b >> 3) == 0x1f, so a header without bit 7
 * (only possible in garbage) is never "no location". */
#define LOC_IS_NO_LINE(b) (((b) >> 3) == 0x1f)

/* varint chunks: 6 value bits, then a "more follows" bit. */
#define VARINT_MORE 0x40
#define VARINT_BITS 0x3f

/* Bytes per code unit (_Py_CODEUNIT) in 3.11+. */
#define CODEUNIT_SIZE 2

/*
 * line_add() - line + delta, clamped to int range. Real tables stay far
 * from the bounds; clamping keeps a long garbage table from overflowing the
 * running line (undefined behaviour) however many entries it has.
 */
static int64_t line_add(int64_t line, int64_t delta)
{
	line += delta;
	if (line > INT_MAX)
		return INT_MAX;
	if (line < INT_MIN)
		return INT_MIN;
	return line;
}

/* line_result() - the header promises a line >= 0 or -1; only garbage (or a
 * garbage firstlineno) computes a negative line, so report it as unknown. */
static int line_result(int64_t line)
{
	return line < 0 ? -1 : (int)line;
}

/*
 * 3.8, 3.9: co_lnotab. The table has no end address, so an offset past the
 * code gets the last line, as in CPython. A trailing odd byte is half a pair
 * and is ignored, as CPython's size / 2 does.
 */
static int lnotab_addr2line(const uint8_t *t, size_t len, int firstlineno, int offset)
{
	int64_t line = firstlineno;
	int64_t addr = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > offset)
			break;
		line = line_add(line, (int8_t)t[i + 1]);
	}
	return line_result(line);
}

/*
 * 3.10: co_linetable, (sdelta u8, ldelta s8) pairs where sdelta is the
 * range's length in bytes. Ranges are visited in order, so the first one
 * ending after offset is the one containing it; a zero-length range never
 * contains anything and only moves the running line. Only whole pairs are
 * read: on an odd length or a trailing zero-length pair CPython would read
 * past the table, which no compiler output triggers but a torn copy can.
 */
static int linetable310_addr2line(const uint8_t *t, size_t len, int firstlineno, int offset)
{
	int64_t computed = firstlineno;
	int64_t end = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		int ldelta = (int8_t)t[i + 1];

		end += t[i];
		if (ldelta != LT310_NO_LINE)
			computed = line_add(computed, ldelta);
		if (offset < end)
			return ldelta == LT310_NO_LINE ? -1 : line_result(computed);
	}
	return -1;
}

/*
 * read_svarint() - the signed varint at [p, end): 6-bit chunks, least
 * significant first; bit 0 of the value is the sign, the rest the magnitude.
 * A chunk run cut off by end just stops; chunks beyond 32 bits are dropped
 * rather than shifted out of range.
 */
static int64_t read_svarint(const uint8_t *p, const uint8_t *end)
{
	uint32_t u = 0;
	unsigned int shift;

	for (shift = 0; p < end && shift < 32; shift += 6) {
		uint8_t b = *p++;

		u |= (uint32_t)(b & VARINT_BITS) << shift;
		if (!(b & VARINT_MORE))
			break;
	}
	return (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
}

/*
 * 3.11 to 3.14: the location table. Like CPython's advance(), the next entry
 * starts at the next byte with bit 7 set (varint bytes never have it), so
 * garbage resynchronises instead of being parsed by a length we cannot
 * trust; the line delta's varint is read only within its own entry.
 */
static int locations_addr2line(const uint8_t *t, size_t len, int firstlineno, int offset)
{
	int64_t computed = firstlineno;
	int64_t end = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t head = t[i];
		int code = LOC_CODE(head);
		size_t next = i + 1;

		while (next < len && !(t[next] & LOC_ENTRY_START))
			next++;

		if (code == LOC_NO_COLUMNS || code == LOC_LONG)
			computed = line_add(computed, read_svarint(t + i + 1, t + next));
		else if (code >= LOC_ONE_LINE0 && code <= LOC_ONE_LINE2)
			computed = line_add(computed, code - LOC_ONE_LINE0);
		/* short forms (0-9) and "no location" (15) keep the line */

		end += LOC_UNITS(head) * CODEUNIT_SIZE;
		if (offset < end)
			return LOC_IS_NO_LINE(head) ? -1 : line_result(computed);
		i = next;
	}
	return -1;
}

enum lt_format lt_format_for_version(uint32_t version_hex)
{
	unsigned int major = version_hex >> 24;
	unsigned int minor = (version_hex >> 16) & 0xff;

	if (major != 3 || minor < 8 || minor > 14)
		return 0;
	if (minor <= 9)
		return LT_LNOTAB;
	if (minor == 10)
		return LT_LINETABLE310;
	return LT_LOCATIONS311;
}

int lt_addr2line(enum lt_format fmt, const uint8_t *table, size_t len, int firstlineno, int offset)
{
	/* f_lasti < 0: the frame has not run an instruction yet. */
	if (offset < 0)
		return line_result(firstlineno);

	switch (fmt) {
	case LT_LNOTAB:
		return lnotab_addr2line(table, len, firstlineno, offset);
	case LT_LINETABLE310:
		return linetable310_addr2line(table, len, firstlineno, offset);
	case LT_LOCATIONS311:
		return locations_addr2line(table, len, firstlineno, offset);
	}
	return -1;
}
