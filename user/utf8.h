/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * utf8.h: walking strings that come from the target. File and function
 * names are bytes in the target's memory and may be anything; every writer
 * that must emit valid UTF-8 (JSON, HTML) validates them the same way.
 */
#ifndef PYLEAK_UTF8_H
#define PYLEAK_UTF8_H

/*
 * utf8_seq() - at p (inside a NUL-terminated string, *p != 0): the length
 * of the well-formed UTF-8 sequence starting there (1 for ASCII, 2..4), or,
 * if it is ill-formed, minus the length of its maximal subpart (-1..-3),
 * which the caller replaces by one U+FFFD and skips (Unicode "substitution
 * of maximal subparts", chapter 3.9; Python's decode(errors="replace") does
 * the same). Overlongs, surrogates and code points above U+10FFFF are
 * ill-formed. Never reads past the terminating NUL.
 */
int utf8_seq(const unsigned char *p);

#endif /* PYLEAK_UTF8_H */
