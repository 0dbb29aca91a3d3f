/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sparkline.h: a series as a row of block characters (U+2581..U+2588,
 * "▁▂▃▄▅▆▇█"), one per sample, for the live terminal view: the shape of a
 * site's recent history in a dozen columns, where a number would need a
 * chart.
 */
#ifndef PYLEAK_SPARKLINE_H
#define PYLEAK_SPARKLINE_H

#include <stddef.h>
#include "report.h"

/* Bytes one cell takes in UTF-8. */
#define SPARKLINE_CELL_BYTES 3

/*
 * sparkline() - the newest min(n, width) values of pts[n] (oldest first),
 * scaled between their own minimum (▁) and maximum (█), into buf as UTF-8,
 * NUL-terminated. A constant stretch is all ▁ (nothing grew); n == 0 gives
 * "" . Non-finite values are drawn as ▁. buf needs width *
 * SPARKLINE_CELL_BYTES + 1 bytes; if len is smaller, fewer cells are drawn.
 * Returns the number of cells (display columns) written.
 */
int sparkline(char *buf, size_t len, const struct report_point *pts, int n, int width);

#endif /* PYLEAK_SPARKLINE_H */
