/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * symbolize.h: turning what the BPF side captured into names.
 *
 * Python frames: a code object address (plus its identity seen at capture
 * time, include/pyident.h) and an instruction offset become file, qualified
 * function name and line, read from the target's memory: the code object,
 * its strings, its line table. Native addresses become "symbol+0xoff
 * (module)".
 *
 * Code objects can be freed and their address reused by another one, so a
 * cache entry is keyed by (address, identity), and before a code object is
 * read its type is checked against PyCode_Type and its identity recomputed
 * and compared: a frame whose code object has gone (or been replaced) is
 * "<unknown>", never another function's name. Every read is
 * bounded; unreadable objects yield "<unknown>" names, never a crash.
 * Returned strings are owned by the symbolizer and live as long as it does.
 */
#ifndef PYLEAK_SYMBOLIZE_H
#define PYLEAK_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include "pyleak.h"
#include "report.h"

struct symbolizer;
struct target;
struct py_layout;

/* sym_new() - a symbolizer for t (both must outlive it); NULL on ENOMEM. */
struct symbolizer *sym_new(struct target *t, const struct py_layout *L);
void sym_free(struct symbolizer *s);

/* Read len bytes of the target at addr into buf: 0 or -errno. */
typedef int (*sym_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* sym_set_reader() - read the target's memory through read(ctx, ...)
 * instead of pm_read() of t->pid (the default): a fake memory image in
 * tests and fuzzers. Call before the first sym_frame(). */
void sym_set_reader(struct symbolizer *s, sym_read_fn read, void *ctx);

/* sym_frame() - fill out for frame f. Returns 0 if the code object was read,
 * -errno if not (out then names "<unknown>"). */
int sym_frame(struct symbolizer *s, const struct pyleak_frame *f, struct report_frame *out);

/* sym_native() - "symbol+0xoff (module)" for a native address; a hex address
 * with its module when no symbol covers it; NULL for 0. */
const char *sym_native(struct symbolizer *s, uint64_t addr);

/* sym_stack() - the frames of a captured stack into fr[PYLEAK_MAX_FRAMES],
 * innermost first. A stack without Python frames gets one placeholder
 * frame ("<native thread>" or "<interpreter>"). *caller gets the native
 * caller's name (or NULL). Returns the number of frames (>= 1). */
int sym_stack(struct symbolizer *s, const struct pyleak_stack *st, struct report_frame *fr,
	      const char **caller);

/* sym_read_str() - a str object's text as UTF-8 into buf (NUL-terminated,
 * truncated to len-1 bytes). Returns 0 or -errno. Also used for type names. */
int sym_read_str(struct symbolizer *s, uint64_t obj, char *buf, size_t len);

#endif /* PYLEAK_SYMBOLIZE_H */
