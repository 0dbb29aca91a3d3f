// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* escape.c: see escape.h. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "escape.h"
#include "textsafe.h"

void esc_put(FILE *f, const char *s, const char *keep)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

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
		} else if ((n = utf8_seq((const char *)p)) > 1) {
			/* C1 controls, U+0080..U+009F, are c2 80..c2 9f */
			bool c1 = p[0] == 0xc2 && p[1] <= 0x9f;

			for (int i = 0; i < n; i++, p++) {
				if (c1)
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
