/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log.h: the one logging funnel. Everything the tool says about itself goes
 * to stderr through these macros, so stdout carries only reports (and stays
 * parseable with --format json). libbpf's own messages are routed here too
 * (log_libbpf_print) and shown only with -v.
 */
#ifndef PYLEAK_LOG_H
#define PYLEAK_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped: LOG_INFO by default, -v raises it
 * to LOG_DEBUG (and lets libbpf's debug output through), -q lowers it. */
extern int log_verbosity;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* libbpf_set_print() callback. */
#include <bpf/libbpf.h>
int log_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif /* PYLEAK_LOG_H */
