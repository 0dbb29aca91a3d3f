// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_folded.c: the --folded exporter. Folded stacks (Brendan Gregg's
 * stackcollapse output) are what flamegraph.pl, inferno and speedscope
 * read: one line per stack, frames root first separated by ';', then a
 * space and the weight, here the site's outstanding (growth mode:
 * surviving) bytes.
 *
 * The format has no escape: a ';' in a name would split a frame, a newline
 * would split the line. So in names from the target ';' becomes ',',
 * control characters (newline, tab, ...) and invalid UTF-8 become U+FFFD;
 * nothing else changes. Each frame is "function (file:line)"; the native
 * caller of the allocator, when known, is the leaf.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "report.h"
#include "textsafe.h"

/* folded_text() - s (NULL: "?") safe inside one folded frame. */
static void folded_text(FILE *f, const char *s)
{
	for (s = s ? s : "?"; *s;) {
		int n = utf8_seq(s);
		unsigned char c = (unsigned char)*s;

		if (n > 1)
			fwrite(s, 1, n, f);
		else if (n < 0 || c < 0x20 || c == 0x7f)
			fputs(UTF8_REPLACEMENT, f);
		else
			putc(c == ';' ? ',' : c, f);
		s += n > 0 ? n : -n;
	}
}

static void folded_frame(FILE *f, const struct report_frame *fr)
{
	folded_text(f, fr->func);
	fputs(" (", f);
	folded_text(f, fr->file);
	if (fr->line >= 0)
		fprintf(f, ":%d)", fr->line);
	else
		fputs(":?)", f);
}

int out_folded_write(FILE *f, const struct report *r)
{
	for (int i = 0; i < r->nsites; i++) {
		const struct report_site *s = &r->sites[i];

		/* a weight of 0 draws nothing and some readers reject it */
		if (s->bytes <= 0 || s->nframes < 1)
			continue;
		for (int k = s->nframes - 1; k >= 0; k--) {
			folded_frame(f, &s->frames[k]);
			if (k)
				putc(';', f);
		}
		if (s->native_caller) {
			putc(';', f);
			folded_text(f, s->native_caller);
		}
		fprintf(f, " %" PRId64 "\n", s->bytes);
	}
	return ferror(f) ? -EIO : 0;
}
