// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* log.c: see log.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "escape.h"
#include "log.h"

int log_verbosity = LOG_INFO;

/* put_escaped() - format, then write through the escaper (escape.h): a
 * message may carry the target's command name, paths or frame names. */
static int put_escaped(const char *keep, const char *fmt, va_list ap)
{
	char buf[1024], *text = buf;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf) && vasprintf(&text, fmt, copy) < 0)
		text = buf; /* out of memory: the truncated text will do */
	va_end(copy);
	if (n < 0)
		return n;
	esc_put(stderr, text, keep);
	if (text != buf)
		free(text);
	return n;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "pyleak-bpf: %s", prefix[lvl]);
	va_start(ap, fmt);
	put_escaped(NULL, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int log_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are mostly about optional features we probe for;
	 * they are noise unless the user asked for -v. */
	if (log_verbosity < LOG_DEBUG)
		return 0;
	fprintf(stderr, "libbpf: ");
	/* its messages end in newlines, verifier logs span many lines */
	return put_escaped("\n\t", fmt, ap);
}
