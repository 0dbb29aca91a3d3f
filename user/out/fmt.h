/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fmt.h: numbers as people read them in reports (text, live view, HTML):
 * bytes with binary units, rates per minute, p-values. Pure, into the
 * caller's buffer (at least 16 bytes; 32 for rates), which is returned.
 */
#ifndef PYLEAK_FMT_H
#define PYLEAK_FMT_H

#include <stdbool.h>
#include <stddef.h>

/* fmt_bytes() - v as "512 B", "1.5 KiB", "-3.2 MiB"; plus: '+' before
 * positive values (deltas). At most three integer digits. */
const char *fmt_bytes(char *buf, size_t len, double v, bool plus);

/* fmt_rate() - bytes per second as "+1.2 MiB/min". */
const char *fmt_rate(char *buf, size_t len, double bps);

/* fmt_p() - a p-value ("0.0123", "3e-07"), or "-" when there is none. */
const char *fmt_p(char *buf, size_t len, double p);

#endif /* PYLEAK_FMT_H */
