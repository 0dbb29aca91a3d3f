/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * textsafe.h: text from the target made safe for the exporters. File and
 * function names are read from the target's memory and may be any bytes;
 * every output format (JSON, Prometheus, pprof, folded stacks, HTML) must
 * stay valid UTF-8 whatever they hold. One UTF-8 scanner serves them all,
 * plus a locale-proof number format.
 */
#ifndef PYLEAK_TEXTSAFE_H
#define PYLEAK_TEXTSAFE_H

#include <stddef.h>

/* The replacement character U+FFFD in UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * utf8_seq() - the sequence at p, a NUL-terminated string with *p != 0.
 * Returns n > 0 when p starts a well-formed sequence of n bytes (1 for
 * ASCII), or -n when its first n bytes are a maximal ill-formed subpart, to
 * be replaced by one U+FFFD (Unicode 3.9 "substitution of maximal
 * subparts", which Python's decode(errors="replace") does too). Never reads
 * past the NUL.
 */
int utf8_seq(const char *p);

/*
 * utf8_clean() - copy src into dst (capacity cap > 0, always NUL-terminated)
 * with each ill-formed subpart and each control character (C0 and DEL:
 * newline, tab, escape...) replaced by U+FFFD, keeping at most max_chars
 * characters (0: no limit). When src is longer than that or than cap allows,
 * it is cut on a character boundary and ends with "…" (still within
 * max_chars and cap). A NULL src is copied as "". Returns the length of dst.
 */
size_t utf8_clean(char *dst, size_t cap, const char *src, size_t max_chars);

/*
 * fmt_milli() - finite v with exactly three decimals ("-12.500"), or in
 * "%.0f" form beyond +-1e15 where a double has no fraction left. Not
 * printf("%f") alone: that honours LC_NUMERIC, and a decimal comma breaks
 * every reader. Returns snprintf's result.
 */
int fmt_milli(char *buf, size_t len, double v);

#endif /* PYLEAK_TEXTSAFE_H */
