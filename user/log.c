// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* log.c: see log.h. */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int log_verbosity = LOG_INFO;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "pyleak-bpf: %s", prefix[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
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
	return vfprintf(stderr, fmt, ap);
}
