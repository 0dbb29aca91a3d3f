/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * escape.h: making target-controlled text safe for a terminal.
 *
 * File and function names come from the target's memory, paths and the
 * command name from its /proc files: whoever runs the target chooses them.
 * Written raw to a terminal, an escape sequence in one could move the
 * cursor, rewrite earlier lines, retitle the window or fake a report line.
 * Everything the tool prints for people (the text report, every stderr
 * line) goes through esc_put(), so the rule lives here once.
 */
#ifndef PYLEAK_ESCAPE_H
#define PYLEAK_ESCAPE_H

#include <stdio.h>

/*
 * esc_put() - write s to f with control characters shown as \xNN: C0
 * (0x00..0x1f), DEL, the UTF-8 encoding of C1 (U+0080..U+009F, c2 80..c2
 * 9f, each byte escaped) and a byte 0x80..0x9f that is not part of a
 * well-formed UTF-8 sequence (a C1 control to a terminal in an 8-bit
 * mode). Everything else, other invalid UTF-8 included, is copied so names
 * stay greppable as the target spelt them. keep lists C0 characters to
 * pass through (a multi-line libbpf message keeps its "\n"); NULL for none.
 * s NULL prints "?".
 */
void esc_put(FILE *f, const char *s, const char *keep);

#endif /* PYLEAK_ESCAPE_H */
