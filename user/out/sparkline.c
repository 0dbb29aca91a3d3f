// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sparkline.c: see sparkline.h. */
#include <math.h>
#include <string.h>
#include "sparkline.h"

/* U+2581..U+2588 are e2 96 81..88 in UTF-8. */
#define LEVELS 8

int sparkline(char *buf, size_t len, const struct report_point *pts, int n, int width)
{
	double lo = INFINITY, hi = -INFINITY;
	int first, cells = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (n <= 0 || width <= 0)
		return 0;
	first = n > width ? n - width : 0;
	for (int i = first; i < n; i++) {
		if (!isfinite(pts[i].v))
			continue;
		lo = fmin(lo, pts[i].v);
		hi = fmax(hi, pts[i].v);
	}
	for (int i = first; i < n && (size_t)(cells + 1) * SPARKLINE_CELL_BYTES < len; i++) {
		int level = 0;

		if (isfinite(pts[i].v) && hi > lo)
			level = (int)lround((pts[i].v - lo) / (hi - lo) * (LEVELS - 1));
		buf[cells * SPARKLINE_CELL_BYTES] = (char)0xe2;
		buf[cells * SPARKLINE_CELL_BYTES + 1] = (char)0x96;
		buf[cells * SPARKLINE_CELL_BYTES + 2] = (char)(0x81 + level);
		cells++;
	}
	buf[cells * SPARKLINE_CELL_BYTES] = '\0';
	return cells;
}
