// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* utf8.c: see utf8.h. */
#include "utf8.h"

int utf8_seq(const unsigned char *p)
{
	unsigned char c = *p;
	/* Allowed range of the second byte; later bytes are always 80..bf. */
	unsigned char lo = 0x80, hi = 0xbf;
	int len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return -1; /* continuation byte, c0/c1 (always overlong) or f5..ff */
	if (c == 0xe0)
		lo = 0xa0; /* overlong 3-byte form */
	else if (c == 0xed)
		hi = 0x9f; /* UTF-16 surrogates d800..dfff */
	else if (c == 0xf0)
		lo = 0x90; /* overlong 4-byte form */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	/* The terminating NUL is outside every range, so this never reads past it. */
	for (i = 1; i < len; i++)
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return -i;
	return len;
}
