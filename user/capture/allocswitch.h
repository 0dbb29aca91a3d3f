/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * allocswitch.h: the allocator switch, for builds whose inlined pymalloc fast
 * path hides object allocations from every probe (LTO, e.g. Debian's).
 *
 * It writes the RAW domain's malloc and calloc functions into the malloc and
 * calloc slots of the OBJ and MEM tables. Every inlined "slot == default?"
 * compare then fails and each new allocation goes through the C library,
 * whose functions uprobes see. Never the realloc or free slots: pymalloc's
 * realloc and free accept blocks they do not own (they hand them to libc),
 * libc's would corrupt pymalloc blocks. All threads of the target are
 * stopped with ptrace while the slots are checked and written, so no thread
 * reads a torn pointer; a slot is written only if it still holds the value
 * read before. Blocks allocated while switched stay valid after the restore:
 * pymalloc's free recognises them as foreign and passes them to libc free.
 */
#ifndef PYLEAK_ALLOCSWITCH_H
#define PYLEAK_ALLOCSWITCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct alloc_info;

#define ALLOCSWITCH_SLOTS 4 /* OBJ.malloc, OBJ.calloc, MEM.malloc, MEM.calloc */

struct allocswitch {
	pid_t pid;
	bool active;			     /* slots hold our values; restore owed */
	bool per_window;		     /* growth mode: switched for each window, so
					      * each switch is logged at debug level only */
	uint64_t slot[ALLOCSWITCH_SLOTS];    /* slot addresses in the target */
	uint64_t orig[ALLOCSWITCH_SLOTS];    /* pymalloc's functions */
	uint64_t switched[ALLOCSWITCH_SLOTS]; /* the raw functions written */
};

/* allocswitch_apply() - switch pid's allocator (ai->state must be
 * ALLOC_PYMALLOC), or adopt an earlier switch (ALLOC_SWITCHED) so that it is
 * restored when we finish. Returns 0, -EINVAL for any other state, -EAGAIN
 * if a slot changed under us (nothing written), or -errno from ptrace or the
 * write (every slot already written is put back before returning). */
int allocswitch_apply(struct allocswitch *sw, pid_t pid, const struct alloc_info *ai);

/* allocswitch_plan() - what allocswitch_apply() would do, without touching
 * the target: fills sw's slot addresses, pymalloc's and the raw functions
 * from ai. Returns 0 to switch (ai->state ALLOC_PYMALLOC), 1 to adopt an
 * earlier switch (ALLOC_SWITCHED), -EINVAL for any other state or an
 * unknown (0) function. */
int allocswitch_plan(struct allocswitch *sw, pid_t pid, const struct alloc_info *ai);

/* allocswitch_write_slots() - with pid stopped: for each slot i, if it
 * holds expect[i], write val[i]. All slots are verified before any is
 * written; a failed write puts back those already written. Returns 0,
 * -EAGAIN if a slot held something else (nothing written), or -errno. */
int allocswitch_write_slots(pid_t pid, const uint64_t *slot, const uint64_t *expect,
			    const uint64_t *val);

/* allocswitch_restore() - put pymalloc's functions back, with the target
 * stopped, in slots that still hold our values. A no-op when not active;
 * -ESRCH (nothing to restore) if the target has exited. Returns 0 or -errno. */
int allocswitch_restore(struct allocswitch *sw);

#endif /* PYLEAK_ALLOCSWITCH_H */
