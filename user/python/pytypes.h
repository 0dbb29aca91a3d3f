/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pytypes.h: which Python type a piece of the target's memory holds, read
 * from outside the process. Two questions:
 *
 *  (a) pytype_of_alloc(): a block the interpreter's allocator handed out
 *      (PyObject_Malloc, PyMem_Malloc or malloc), what object is in it, if
 *      any? A leak report says "12 MB from line 40" more usefully as "12 MB
 *      of Leaky and dict". The block may hold a non-GC object (header at
 *      offset 0), a GC object (PyGC_Head, then the object at +16), an object
 *      with a pre-header (managed dict / weakref pointers before the GC head,
 *      object at +32), or no object at all (a dict's keys table, a list's item
 *      array, a bytes buffer, a C extension's malloc): then the answer is
 *      "not an object", never a guess.
 *
 *  (b) pytype_census(): objgraph.show_growth() from outside. Walk the
 *      collector's generation lists (gc_list_heads() in gcstats.h) and count
 *      the objects on them by type name. Only GC-tracked objects are seen:
 *      ints, strs, floats, bytes, and dicts or tuples the interpreter
 *      untracked because they hold only atomic values, are not on the lists.
 *
 * Why outside and not in BPF: telling an object from a keys table needs a
 * few dependent reads and a string, cheap from user space on the blocks a
 * report shows; a census reads the target a page at a time (objects
 * allocated together share pool pages), which the target never notices
 * (process_vm_readv: no stop, no ptrace).
 *
 * Trust: the target keeps running and its memory is untrusted. Every read
 * may fail (freed, unmapped: an error, never a crash), every pointer is
 * checked for alignment, list walks are bounded in nodes and seconds and
 * stop at the first link that does not point back, and a type must prove it
 * is one:
 *  - its tp_flags are flags: READY, nothing above bit 31, at most one of the
 *    "fast subclass" bits 24-31; tp_basicsize and tp_itemsize sane;
 *  - its type is a metatype (READY, exactly TYPE_SUBCLASS of bits 24-31),
 *    and so is that one's type;
 *  - its tp_name is a NUL-terminated printable (or UTF-8) string shorter
 *    than PYTYPE_NAME_MAX that starts with a letter, '_' or a UTF-8 byte.
 * Every type reachable in the ten interpreters this was checked on (3.8 to
 * 3.14, pyenv and Debian builds) meets these; a class named "-" would not
 * (its objects are then "not an object", and invalid in a census).
 *
 * What an allocation must show to be called an object (pytype_of_alloc()):
 * a checked type at one of offsets 0, 16, 32; the offset the type's flags
 * demand; a sane reference count (below), not one that is a readable
 * 8-aligned address of 1 MiB or more (pointer arrays, in non-PIE
 * interpreters whose addresses are small); for GC types a PyGC_Head that is
 * untracked or whose _gc_prev's _gc_next points back. Residual risk: a
 * non-GC object has no GC head to corroborate it, so a block that starts
 * with [a small count, a pointer to a non-GC type] reads as that object.
 * Tuple interiors such as a __mro__'s (2, int, object) are exactly that;
 * no allocation starts there, but a C extension's malloc'd {count, type}
 * struct would be named as an object of that type.
 *
 * Layouts (x86-64, GIL builds, 3.8 to 3.14, Include/object.h,
 * Include/cpython/object.h, Include/internal/pycore_gc.h, pycore_object.h):
 * PyObject {ob_refcnt 8, ob_type 8}; PyTypeObject tp_name +24, tp_basicsize
 * +32, tp_itemsize +40, tp_flags +168 in every version; PyGC_Head
 * {_gc_next, _gc_prev} 16 bytes. The pre-header (_PyType_PreHeaderSize) is
 * two pointers before the GC head: 3.11 for Py_TPFLAGS_MANAGED_DICT (1<<4),
 * 3.12 to 3.14 for Py_TPFLAGS_PREHEADER = MANAGED_WEAKREF (1<<3) |
 * MANAGED_DICT (1<<4); none before 3.11. Link flags: _gc_prev's low 2 bits
 * (FINALIZED, COLLECTING: during a collection _gc_prev holds gc_refs << 2),
 * _gc_next's bit 0 (NEXT_MASK_UNREACHABLE during a collection; 3.14.0 to
 * 3.14.4's incremental collector: _PyGC_NEXT_MASK_OLD_SPACE_1, always) and
 * bit 1 (newer collectors' UNREACHABLE); both links are masked with ~3.
 *
 * Reference counts: <= 3.11 a count below 2^32; 3.12 and 3.13 the low 32
 * bits, below 2^30 or immortal (negative as an int32: UINT_MAX initially),
 * upper half 0; 3.14 the same low 32 bits (immortal from 3 << 30), bits
 * 32-47 (ob_overflow) 0, bits 48-63 (ob_flags) anything. 0 is a dead object
 * (a free list's).
 */
#ifndef PYLEAK_PYTYPES_H
#define PYLEAK_PYTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read len bytes of the target at addr into buf: 0 or -errno (-EFAULT:
 * unmapped or partial, -ESRCH: process gone). pm_read() for a real target,
 * a fake memory image in tests. */
typedef int (*pytype_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

#define PYTYPE_NAME_MAX 512	       /* a tp_name this long or longer is not a name */
#define PYTYPE_CACHE_TYPES 4096	       /* type addresses remembered; then the table starts over */
#define PYTYPE_NAME_BYTES (1u << 20)   /* interned name storage; then -ENOSPC until a reset */
#define PYTYPE_CENSUS_MAX_LISTS 8
#define PYTYPE_CENSUS_NODES 50000000ull /* node budget when the caller gives 0 */
#define PYTYPE_CENSUS_SECONDS 10.0	/* time budget when the caller gives <= 0 */

struct pytype_slot;
struct pytype_names;

struct pytype_reader {
	pytype_read_fn read;
	void *ctx;
	uint32_t version_hex;	    /* the target's PY_VERSION_HEX: pre-header and refcount rules */
	struct pytype_slot *slots;  /* type cache, open addressing by type address */
	uint32_t nslots_used;
	uint32_t epoch;		    /* pytype_reader_revalidate() bumps it */
	struct pytype_names *names; /* interned type names */
	uint64_t hits, misses;	    /* type cache */
	uint64_t reads;		    /* read callbacks made */
};

/* pytype_reader_init() - a reader of memory through read(ctx, ...) for a
 * target running version_hex (3.8 to 3.14). Returns 0, -ENOTSUP for another
 * version, -EINVAL without read, or -ENOMEM. */
int pytype_reader_init(struct pytype_reader *r, uint32_t version_hex, pytype_read_fn read,
		       void *ctx);

/* pytype_reader_init_pid() - the same, reading process pid with pm_read(). */
int pytype_reader_init_pid(struct pytype_reader *r, pid_t pid, uint32_t version_hex);

/* pytype_reader_free() - release everything; every name it returned dies. */
void pytype_reader_free(struct pytype_reader *r);

/* pytype_reader_reset() - forget every type and free the interned names:
 * every name returned so far dies. The way out of -ENOSPC, and the way to
 * bound memory in a target that keeps creating classes. */
void pytype_reader_reset(struct pytype_reader *r);

/* pytype_reader_revalidate() - cached types are checked again (one read
 * each) on their next use: a type freed and another created at the same
 * address (classes made at run time) is then renamed. Names already
 * returned stay valid. pytype_census() calls it at its start; callers of
 * pytype_of_alloc() call it once per batch (per report). Between calls a
 * cached address is trusted. */
void pytype_reader_revalidate(struct pytype_reader *r);

/* pytype_block_offset() - where the object starts in its allocation for a
 * type with tp_flags under version_hex: 0, 16 (GC head) or 32 (pre-header and
 * GC head). Pure. */
uint32_t pytype_block_offset(uint32_t version_hex, uint64_t tp_flags);

/* pytype_type_name() - the name of the type object at type_addr, checked
 * (flags, metatype, name: see the top of this file) and cached; a miss
 * costs three or four reads, a hit none. *name stays valid until
 * pytype_reader_reset() or pytype_reader_free(); equal names are the same
 * pointer. Returns 0, -ENOENT if type_addr is not a type object (or
 * unreadable: a type is never freed under a live object), -ENOSPC if the
 * name store is full, -ESRCH / -EPERM if the target cannot be read at all. */
int pytype_type_name(struct pytype_reader *r, uint64_t type_addr, const char **name);

/*
 * pytype_of_alloc() - the Python type of the object in the allocation at
 * addr (the allocator's pointer, not the object's), size bytes long (0 if
 * unknown). The object is looked for at offsets 0, 16 and 32; one is taken
 * when its ob_type is a checked type (pytype_type_name()), its reference
 * count is sane for the version and no pointer, the type's flags put its
 * objects at exactly that offset (pytype_block_offset()), a GC object's
 * PyGC_Head is untracked or linked back, and, if size is known, offset +
 * tp_basicsize fits in size (variable-size objects are bigger: fine). The
 * lowest such offset wins. Cost with the type cached: one read of the
 * block, one more for a tracked GC object's link.
 *
 * On success *name (lifetime as for pytype_type_name()) and *obj_offset
 * (0, 16 or 32) are set and 0 is returned. Otherwise:
 *  -ENOENT  no object there: a buffer, a keys table, an item array, a dead
 *           object on a free list (reference count 0), a misaligned address
 *  -EFAULT  the block cannot be read (freed and unmapped since)
 *  -ENOSPC  an object, but the name store is full (pytype_reader_reset())
 *  -ESRCH   the process is gone; -EINVAL bad arguments
 */
int pytype_of_alloc(struct pytype_reader *r, uint64_t addr, uint64_t size, const char **name,
		    uint32_t *obj_offset);

/* Why the walk of one list ended. */
enum pytype_stop {
	PYTYPE_STOP_END = 0,	/* back at the head: the list was walked whole */
	PYTYPE_STOP_NODES,	/* the node budget ran out */
	PYTYPE_STOP_TIME,	/* the time budget ran out */
	PYTYPE_STOP_UNREADABLE, /* the head or a node could not be read */
	PYTYPE_STOP_MISALIGNED, /* a next link was NULL or not 8-aligned */
	PYTYPE_STOP_BROKEN,	/* next->prev did not point back: the list changed under us */
	PYTYPE_STOP_COLLECTING, /* next->prev held gc_refs (COLLECTING set): a collection
				   is running over this list; try again later */
};

/* pytype_stop_name() - "end", "node budget", "time budget", "unreadable",
 * "misaligned link", "broken link", "collector running". */
const char *pytype_stop_name(enum pytype_stop s);

struct pytype_census_list {
	uint64_t head;
	uint64_t nodes;	      /* objects walked on this list */
	bool complete;	      /* stop == PYTYPE_STOP_END */
	enum pytype_stop stop;
};

struct pytype_census_entry {
	char *name;	/* owned by the census: outlives the reader */
	uint64_t count;
};

struct pytype_census {
	struct pytype_census_entry *v; /* count descending, then name */
	int n;
	uint64_t nodes;		       /* objects walked, all lists */
	uint64_t invalid;	       /* walked, but the type is not a GC type or not a type */
	int lists, complete_lists;
	struct pytype_census_list list[PYTYPE_CENSUS_MAX_LISTS];
	bool budget_hit;	       /* some list stopped on the node or time budget */
	double seconds;		       /* walking and naming */
};

/*
 * pytype_census() - walk the circular PyGC_Head lists at heads[0..nheads)
 * (at most PYTYPE_CENSUS_MAX_LISTS; gc_list_heads() gives them), take each
 * node's links, ob_refcnt and ob_type (the object follows its PyGC_Head;
 * read through a 16-page cache, each list starting with none), and count
 * objects by type name. Classes of the same name from different modules
 * merge into one entry (tp_name of a class is its bare __name__; builtin
 * and C types carry their dotted module path). The budgets, max_nodes (0:
 * the default PYTYPE_CENSUS_NODES) and max_s (<= 0: PYTYPE_CENSUS_SECONDS),
 * cover all lists together; a list is walked until its head comes round
 * again, the budget runs out, or a node does not check out (misaligned,
 * unreadable, or its _gc_prev not the node we came from), and out->list[]
 * says how far each got and why it stopped. A list the budget left no room
 * for is reported incomplete with 0 nodes (unless it is empty). A list that
 * stopped on PYTYPE_STOP_BROKEN or _COLLECTING changed under the walk:
 * calling again a little later usually completes it. Calls
 * pytype_reader_revalidate() first.
 *
 * Returns 0 with *out filled (free it with pytype_census_free()) even when
 * lists are incomplete; -EINVAL, -ENOMEM, or -ESRCH / -EPERM if the target
 * cannot be read at all (then *out holds nothing).
 */
int pytype_census(struct pytype_reader *r, const uint64_t *heads, int nheads, uint64_t max_nodes,
		  double max_s, struct pytype_census *out);

/* pytype_census_free() - release a census' entries; safe on a zeroed one. */
void pytype_census_free(struct pytype_census *c);

#endif /* PYLEAK_PYTYPES_H */
