/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * linetable.h: CPython line-number tables, decoded from raw bytes copied out
 * of the target. Pure functions: no I/O, no allocation, every read bounds-
 * checked against the given length, so a torn or hostile table can produce a
 * wrong line but never a crash.
 */
#ifndef PYLEAK_LINETABLE_H
#define PYLEAK_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* Which encoding a code object's line table uses. */
enum lt_format {
	LT_LNOTAB = 1,	  /* 3.8, 3.9: co_lnotab, (addr_incr u8, line_incr s8) pairs */
	LT_LINETABLE310,  /* 3.10: co_linetable, (sdelta u8, ldelta s8), -128 = no line */
	LT_LOCATIONS311,  /* 3.11 to 3.14: co_linetable location table (Objects/locations.md) */
};

/* lt_format_for_version() - the encoding used by CPython major.minor
 * (PY_VERSION_HEX); 0 for versions outside 3.8 to 3.14. */
enum lt_format lt_format_for_version(uint32_t version_hex);

/*
 * lt_addr2line() - the source line of the instruction at byte offset
 * `offset` into the code object's bytecode, as CPython's PyCode_Addr2Line
 * computes it.
 * @fmt:        table encoding
 * @table/@len: the raw bytes of co_lnotab / co_linetable
 * @firstlineno: co_firstlineno
 * @offset:     byte offset of the instruction (f_lasti in bytes); a negative
 *              offset means "not started" and yields firstlineno
 * Returns the line (>= 0), or -1 when the instruction has no line number
 * (3.10's -128 entries, 3.11+'s "no location" entries) or lies past the end
 * of a 3.10+ table (3.8/3.9's co_lnotab stores no end: past it, the last
 * line, as CPython answers).
 */
int lt_addr2line(enum lt_format fmt, const uint8_t *table, size_t len, int firstlineno, int offset);

#endif /* PYLEAK_LINETABLE_H */
