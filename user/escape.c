// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* escape.c: see escape.h. */
#include <stdint.h>
#include <string.h>
#include "escape.h"

/* utf8_len() - length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) and its code point
 * in *cp; 0 if p does not start one. p is NUL-terminated, and a NUL is never
 * a continuation byte, so nothing is read past the end. */
static size_t utf8_len(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return n;
}

void esc_put(FILE *f, const char *s, const char *keep)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (!s) {
		putc('?', f);
		return;
	}
	while (*p) {
		if (*p < 0x20 || *p == 0x7f) {
			if (keep && strchr(keep, *p))
				putc(*p, f);
			else
				fprintf(f, "\\x%02x", *p);
			p++;
		} else if (*p < 0x80) {
			putc(*p++, f);
		} else if ((n = utf8_len(p, &cp))) {
			for (size_t i = 0; i < n; i++, p++) {
				if (cp <= 0x9f)
					fprintf(f, "\\x%02x", *p);
				else
					putc(*p, f);
			}
		} else {
			if (*p <= 0x9f)
				fprintf(f, "\\x%02x", *p);
			else
				putc(*p, f);
			p++;
		}
	}
}
