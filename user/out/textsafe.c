// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* textsafe.c: see textsafe.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "textsafe.h"

int utf8_seq(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = *p;
	/* allowed range of the second byte; later bytes are always 80..bf */
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
	/* the terminating NUL is outside every range: this never reads past it */
	for (i = 1; i < len; i++)
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			break;
	/* on failure, resume at the first byte that did not fit: it may start
	 * a valid sequence */
	return i == len ? len : -i;
}

size_t utf8_clean(char *dst, size_t cap, const char *src, size_t max_chars)
{
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
	size_t out = 0, chars = 0, mark = 0, marked = 0;

	if (!src)
		src = "";
	while (*src) {
		int n = utf8_seq(src);
		unsigned char c = (unsigned char)*src;
		bool ok = n > 1 || (n == 1 && c >= 0x20 && c != 0x7f);
		const char *piece = ok ? src : UTF8_REPLACEMENT;
		size_t plen = ok ? (size_t)n : sizeof(UTF8_REPLACEMENT) - 1;

		/* where to cut if what follows does not fit: the last place
		 * where "…" still fits both limits */
		if ((!max_chars || chars < max_chars) && out + sizeof(ellipsis) <= cap) {
			mark = out;
			marked = 1;
		}
		if ((max_chars && chars == max_chars) || out + plen + 1 > cap) {
			out = marked ? mark : 0;
			if (marked) {
				memcpy(dst + out, ellipsis, sizeof(ellipsis) - 1);
				out += sizeof(ellipsis) - 1;
			}
			break;
		}
		memcpy(dst + out, piece, plen);
		out += plen;
		chars++;
		src += n > 0 ? n : -n;
	}
	dst[out] = 0;
	return out;
}

int fmt_milli(char *buf, size_t len, double v)
{
	int64_t ms;

	if (v >= 1e15 || v <= -1e15)
		return snprintf(buf, len, "%.0f", v);
	ms = (int64_t)(v * 1000.0 + (v < 0 ? -0.5 : 0.5));
	return snprintf(buf, len, "%s%" PRId64 ".%03" PRId64, ms < 0 ? "-" : "",
			(ms < 0 ? -ms : ms) / 1000, (ms < 0 ? -ms : ms) % 1000);
}
