// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt.c: see fmt.h. */
#include <math.h>
#include <stdio.h>
#include "fmt.h"

/*
 * fmt_bytes() - v as "512 B", "1.5 KiB", "-3.2 MiB", ... in buf (at least 16
 * bytes) and return buf. plus puts a '+' before positive values, for deltas.
 *
 * The unit steps up once the number would reach 1000 rather than 1024, so it
 * never has more than three integer digits and the table columns stay put;
 * 1000..1023 of a unit print as "1.0" of the next, within the precision shown.
 */
const char *fmt_bytes(char *buf, size_t len, double v, bool plus)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	const char *sign = v < 0 ? "-" : plus && v > 0 ? "+" : "";
	double a = v < 0 ? -v : v;
	size_t u = 0;

	/* 999.95 and above would round to "1000.0" at one decimal. */
	while (a >= 999.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		a /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%s%.0f B", sign, a);
	else
		snprintf(buf, len, "%s%.1f %s", sign, a, units[u]);
	return buf;
}

/* fmt_rate() - bytes per second as "+1.2 MiB/min". */
const char *fmt_rate(char *buf, size_t len, double bps)
{
	char b[32];

	snprintf(buf, len, "%s/min", fmt_bytes(b, sizeof(b), bps * 60, true));
	return buf;
}

/* fmt_p() - a p-value, or "-" when there is none. */
const char *fmt_p(char *buf, size_t len, double p)
{
	if (p < 0 || !isfinite(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "%.0e", p);
	else
		snprintf(buf, len, "%.4f", p);
	return buf;
}
