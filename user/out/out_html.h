/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * out_html.h: the pieces of the HTML exporter (out_html.c) that are worth
 * testing on their own: the escaper every target string goes through, and
 * the flame graph's layout. out_html_write() itself is in report.h with the
 * other exporters.
 */
#ifndef PYLEAK_OUT_HTML_H
#define PYLEAK_OUT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "report.h"

/*
 * html_text() - s for HTML text and for quoted attribute values alike:
 * & < > " ' as character references; C0 controls and DEL as the visible
 * text "\xNN" (a newline in a name must not break a label); each ill-formed
 * UTF-8 subpart as U+FFFD (textsafe.h), so the page is valid UTF-8 whatever
 * the target's bytes. At most max_chars characters are written; a longer
 * string is cut there with "…" (max_chars 0: no limit). NULL is "?".
 */
void html_text(FILE *f, const char *s, size_t max_chars);

/* One box of the flame graph. Node 0 is the root ("all"); a child is one
 * frame deeper toward the allocation: the outermost Python frame first,
 * the innermost, then the native caller of the allocator when known. */
struct flame_node {
	const struct report_frame *frame; /* Python frame; NULL for the root and natives */
	const char *native;		  /* native caller's name (frame == NULL), or NULL */
	int64_t bytes;			  /* of the sites below it */
	int depth;			  /* 0: root */
	double x, w;			  /* left edge and width, fractions of the root's bytes */
	int parent, child, sibling;	  /* node indexes, -1: none */
	bool alert;			  /* some site through it has an active alert */
};

struct flame {
	struct flame_node *v;
	int n, cap;
	int max_depth;
};

/*
 * flame_build() - the flame graph of sites[n] (stacks innermost first,
 * weighted by their bytes; sites with no bytes are left out) into *fl
 * (zero it first): equal frames (file, function, line) under the same
 * parent are merged, children are ordered by bytes (largest leftmost, ties
 * by name), and every node gets its x and w so that children tile their
 * parent from its left edge. Returns 0 or -ENOMEM (then free *fl).
 */
int flame_build(struct flame *fl, const struct report_site *sites, int n);
void flame_free(struct flame *fl);

#endif /* PYLEAK_OUT_HTML_H */
