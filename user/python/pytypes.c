// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pytypes.c: see pytypes.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "array.h"
#include "procmem.h"
#include "pytypes.h"

/* PyTypeObject (Include/cpython/object.h): the same offsets 3.8 to 3.14. */
#define OB_TYPE 8
#define TP_NAME 24
#define TP_BASICSIZE 32
#define TP_ITEMSIZE 40
#define TP_FLAGS 168
#define TYPE_HEAD 176 /* one read covers everything used up to tp_flags */

/* tp_flags bits (Include/object.h) */
#define TPF_MANAGED_WEAKREF (1ull << 3) /* 3.12+ */
#define TPF_MANAGED_DICT (1ull << 4)	/* 3.11+ */
#define TPF_READY (1ull << 12)
#define TPF_HAVE_GC (1ull << 14)
#define TPF_TYPE_SUBCLASS (1ull << 31)
#define TPF_FAST_SUBCLASS 0xff000000ull /* LONG_SUBCLASS (24) .. TYPE_SUBCLASS (31) */
/* what a cached type must keep for its cache entry to stay right */
#define TPF_LAYOUT (TPF_MANAGED_WEAKREF | TPF_MANAGED_DICT | TPF_READY | TPF_HAVE_GC)

#define GC_HEAD_SIZE 16
#define PREHEADER_SIZE 16	      /* two pointers */
#define GC_LINK_MASK (~(uint64_t)3)   /* flag bits of _gc_next and _gc_prev */
#define GC_PREV_COLLECTING 2ull	      /* _PyGC_PREV_MASK_COLLECTING: _gc_prev holds gc_refs */
#define SANE_SIZE (1ll << 20)	      /* tp_basicsize / tp_itemsize beyond this: not a type */
#define NAME_PIECE 128		      /* tp_name is read this much at a time */
#define CACHE_SLOTS (2 * PYTYPE_CACHE_TYPES)
#define NAME_CHUNK (64 * 1024)

struct pytype_slot {
	uint64_t type;	   /* key; 0: empty */
	uint64_t tp_name;  /* the pointer the name was read through */
	uint64_t meta;	   /* ob_type */
	uint64_t flags;
	int64_t basicsize;
	const char *name;  /* interned; NULL: this address stopped being a type */
	uint32_t epoch;
};

struct name_chunk {
	struct name_chunk *next;
	size_t used;
	char data[NAME_CHUNK];
};

struct pytype_names {
	struct name_chunk *chunks;
	size_t bytes;	   /* stored, NULs included */
	const char **set;  /* open addressing by string hash */
	uint32_t cap, n;
};

struct type_info {
	uint64_t tp_name, meta, flags;
	int64_t basicsize;
};

static int pid_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pm_read((pid_t)(intptr_t)ctx, addr, buf, len);
}

static int rd(struct pytype_reader *r, uint64_t addr, void *buf, size_t len)
{
	r->reads++;
	return r->read(r->ctx, addr, buf, len);
}

/* A failed read that says nothing about the address, only about the target
 * as a whole: the caller must stop, not try the next candidate. */
static bool hard_error(int err)
{
	return err == -ESRCH || err == -EPERM || err == -ENOMEM;
}

static uint64_t hash_addr(uint64_t a)
{
	return (a >> 3) * 0x9e3779b97f4a7c15ull;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void names_free(struct pytype_names *nm)
{
	struct name_chunk *c, *next;

	if (!nm)
		return;
	for (c = nm->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(nm->set);
	free(nm);
}

static int names_grow(struct pytype_names *nm)
{
	uint32_t cap = nm->cap ? nm->cap * 2 : 256;
	const char **set = calloc(cap, sizeof(*set));

	if (!set)
		return -ENOMEM;
	for (uint32_t i = 0; i < nm->cap; i++) {
		const char *s = nm->set[i];
		uint32_t j;

		if (!s)
			continue;
		for (j = hash_str(s) & (cap - 1); set[j]; j = (j + 1) & (cap - 1))
			;
		set[j] = s;
	}
	free(nm->set);
	nm->set = set;
	nm->cap = cap;
	return 0;
}

/* names_intern() - the stored copy of s (one per distinct string, so equal
 * names are equal pointers). 0, -ENOSPC past PYTYPE_NAME_BYTES, -ENOMEM. */
static int names_intern(struct pytype_names *nm, const char *s, const char **out)
{
	size_t len = strlen(s) + 1;
	struct name_chunk *c = nm->chunks;
	uint32_t j;
	char *copy;
	int err;

	if ((nm->n + 1) * 2 > nm->cap && (err = names_grow(nm)))
		return err;
	for (j = hash_str(s) & (nm->cap - 1); nm->set[j]; j = (j + 1) & (nm->cap - 1)) {
		if (!strcmp(nm->set[j], s)) {
			*out = nm->set[j];
			return 0;
		}
	}
	if (nm->bytes + len > PYTYPE_NAME_BYTES)
		return -ENOSPC;
	if (!c || c->used + len > NAME_CHUNK) {
		c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->used = 0;
		c->next = nm->chunks;
		nm->chunks = c;
	}
	copy = c->data + c->used;
	memcpy(copy, s, len);
	c->used += len;
	nm->bytes += len;
	nm->set[j] = copy;
	nm->n++;
	*out = copy;
	return 0;
}

int pytype_reader_init(struct pytype_reader *r, uint32_t version_hex, pytype_read_fn read,
		       void *ctx)
{
	memset(r, 0, sizeof(*r));
	if (!read)
		return -EINVAL;
	if (version_hex < 0x03080000u || version_hex >= 0x030f0000u)
		return -ENOTSUP;
	r->read = read;
	r->ctx = ctx;
	r->version_hex = version_hex;
	r->epoch = 1;
	r->slots = calloc(CACHE_SLOTS, sizeof(*r->slots));
	r->names = calloc(1, sizeof(*r->names));
	if (!r->slots || !r->names) {
		pytype_reader_free(r);
		return -ENOMEM;
	}
	return 0;
}

int pytype_reader_init_pid(struct pytype_reader *r, pid_t pid, uint32_t version_hex)
{
	return pytype_reader_init(r, version_hex, pid_read, (void *)(intptr_t)pid);
}

void pytype_reader_free(struct pytype_reader *r)
{
	free(r->slots);
	names_free(r->names);
	r->slots = NULL;
	r->names = NULL;
	r->nslots_used = 0;
}

void pytype_reader_reset(struct pytype_reader *r)
{
	if (r->slots)
		memset(r->slots, 0, CACHE_SLOTS * sizeof(*r->slots));
	r->nslots_used = 0;
	names_free(r->names);
	r->names = calloc(1, sizeof(*r->names)); /* NULL: every lookup says -ENOMEM */
}

void pytype_reader_revalidate(struct pytype_reader *r)
{
	r->epoch++;
}

uint32_t pytype_block_offset(uint32_t version_hex, uint64_t tp_flags)
{
	uint32_t off = (tp_flags & TPF_HAVE_GC) ? GC_HEAD_SIZE : 0;

	if (version_hex >= 0x030c0000u) {
		if (tp_flags & (TPF_MANAGED_WEAKREF | TPF_MANAGED_DICT))
			off += PREHEADER_SIZE;
	} else if (version_hex >= 0x030b0000u) {
		if (tp_flags & TPF_MANAGED_DICT)
			off += PREHEADER_SIZE;
	}
	return off;
}

/* refcnt_sane() - could rc be the reference count of a live object? Up to
 * 3.11 a plain count, below 2^32 in practice (2^32 references would take 32
 * GiB). From 3.12 the low 32 bits: a count below 2^30, or immortal, which is
 * negative as an int32 (3.12/3.13 start it at UINT_MAX, 3.14 at 3 << 30, so
 * drift from old extensions stays negative); [2^30, 2^31) is neither, and
 * where four ASCII bytes land. The upper half is 0 in 3.12 and 3.13; in
 * 3.14 it holds ob_overflow (0) and ob_flags (anything). */
static bool refcnt_sane(uint32_t version_hex, uint64_t rc)
{
	uint32_t low = (uint32_t)rc;

	if (low == 0)
		return false;
	if (version_hex < 0x030c0000u)
		return rc < (1ull << 32);
	if (low >= (1u << 30) && low < (1u << 31))
		return false;
	if (version_hex < 0x030e0000u)
		return (rc >> 32) == 0;
	return ((rc >> 32) & 0xffff) == 0;
}

/* refcnt_is_pointer() - is rc rather an address in the target? Data that
 * merely looks like [ob_refcnt, ob_type] is mostly pointers: a list's item
 * array holding [int, str], a descriptor's [ob_type, d_type] seen 8 bytes
 * in. In a non-PIE interpreter those addresses are small enough to pass for
 * counts. A count of a million or more that is 8-aligned and readable is
 * taken for a pointer (the immortal range of 3.12+ excepted): a live heap
 * object that popular is a singleton in practice, rarely a heap block.
 * One read, only for such values. 1: pointer, 0: count, or a hard error. */
static int refcnt_is_pointer(struct pytype_reader *r, uint64_t rc)
{
	uint8_t b;
	int err;

	if (rc < (1u << 20) || (rc & 7))
		return 0;
	if (r->version_hex >= 0x030c0000u && (uint32_t)rc >= (1u << 30))
		return 0;
	err = rd(r, rc, &b, 1);
	if (hard_error(err))
		return err;
	return !err;
}

/* gc_head_sane() - the PyGC_Head before a GC object: untracked (_gc_next
 * 0, _gc_prev 0 or FINALIZED or COLLECTING) or linked (_gc_next an address). */
static bool gc_head_sane(uint64_t next, uint64_t prev)
{
	return next ? (next & GC_LINK_MASK) >= 4096 : prev <= 3;
}

/* gc_linked() - is the tracked GC object whose PyGC_Head at gc holds
 * next, prev on a list? Its _gc_prev must lead to a node (or list head)
 * whose _gc_next leads back. An untracked object (next 0) and one a running
 * collection holds (COLLECTING: _gc_prev is a count) pass unchecked. The
 * neighbour may be unlinked between the reads, so a mismatch is looked at
 * once more from a fresh head. 1, 0, or a hard error. */
static int gc_linked(struct pytype_reader *r, uint64_t gc, uint64_t next, uint64_t prev)
{
	for (int tries = 0;; tries++) {
		uint64_t back, h[2];
		int err;

		if (!next || (prev & GC_PREV_COLLECTING))
			return 1;
		err = rd(r, prev & GC_LINK_MASK, &back, sizeof(back));
		if (hard_error(err))
			return err;
		if (!err && (back & GC_LINK_MASK) == gc)
			return 1;
		if (tries)
			return 0;
		if ((err = rd(r, gc, h, sizeof(h))))
			return hard_error(err) ? err : 0;
		next = h[0];
		prev = h[1];
	}
}

/* read_name() - the NUL-terminated tp_name at addr into buf
 * (PYTYPE_NAME_MAX bytes), piecewise so a name ending just before an
 * unmapped page still reads. 0, -ENOENT if it is no name, or a hard error. */
static int read_name(struct pytype_reader *r, uint64_t addr, char *buf)
{
	size_t got = 0;

	if (!addr)
		return -ENOENT;
	while (got < PYTYPE_NAME_MAX) {
		uint64_t a = addr + got;
		size_t piece = 4096 - (a & 4095), i;
		int err;

		if (piece > NAME_PIECE)
			piece = NAME_PIECE;
		if (piece > PYTYPE_NAME_MAX - got)
			piece = PYTYPE_NAME_MAX - got;
		err = rd(r, a, buf + got, piece);
		if (err)
			return hard_error(err) ? err : -ENOENT;
		for (i = got; i < got + piece; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (!c)
				return i > 0 ? 0 : -ENOENT;
			/* printable ASCII, or UTF-8 bytes of a non-ASCII class
			 * name; it starts like an identifier (or a dotted
			 * module path) does */
			if (c < 0x20 || c == 0x7f)
				return -ENOENT;
			if (!i && c < 0x80 && c != '_' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
				return -ENOENT;
		}
		got += piece;
	}
	return -ENOENT;
}

/* flags_sane() - could f be a tp_flags? No flag uses bits 32-63 (3.8 to
 * 3.14), and inherit_special() sets at most one of the "fast subclass" bits
 * 24-31 (a type has one solid builtin base); a metatype has exactly
 * TYPE_SUBCLASS of them. Every type reachable in all ten interpreters
 * checked agrees; pointers read as flags mostly do not. */
static bool flags_sane(uint64_t f, bool meta)
{
	uint64_t fast = f & TPF_FAST_SUBCLASS;

	if ((f >> 32) || !(f & TPF_READY))
		return false;
	return meta ? fast == TPF_TYPE_SUBCLASS : !(fast & (fast - 1));
}

/* read_type_head() - t's own fields, with the checks they allow alone:
 * sane flags, sizes and an aligned ob_type. One read. */
static int read_type_head(struct pytype_reader *r, uint64_t t, struct type_info *ti)
{
	uint64_t h[TYPE_HEAD / 8];
	int64_t item;
	int err;

	if (!t || (t & 7))
		return -ENOENT;
	if ((err = rd(r, t, h, sizeof(h))))
		return hard_error(err) ? err : -ENOENT;
	ti->tp_name = h[TP_NAME / 8];
	ti->meta = h[OB_TYPE / 8];
	ti->flags = h[TP_FLAGS / 8];
	ti->basicsize = (int64_t)h[TP_BASICSIZE / 8];
	item = (int64_t)h[TP_ITEMSIZE / 8];
	if (!flags_sane(ti->flags, false) || ti->basicsize < 16 || ti->basicsize > SANE_SIZE ||
	    item < 0 || item > SANE_SIZE || !ti->meta || (ti->meta & 7))
		return -ENOENT;
	return 0;
}

/* read_type() - check that t is a type object: its head sane, its type a
 * READY metatype (Py_TPFLAGS_TYPE_SUBCLASS) whose own type is one too, its
 * name a sane string. Fills *ti and the name into buf. */
static int read_type(struct pytype_reader *r, uint64_t t, struct type_info *ti, char *buf)
{
	uint64_t m[TYPE_HEAD / 8], mm_flags, meta, mm;
	int err;

	if ((err = read_type_head(r, t, ti)))
		return err;
	meta = ti->meta;
	if ((err = rd(r, meta, m, sizeof(m))))
		return hard_error(err) ? err : -ENOENT;
	if (!flags_sane(m[TP_FLAGS / 8], true))
		return -ENOENT;
	mm = m[OB_TYPE / 8];
	if (!mm || (mm & 7))
		return -ENOENT;
	if (mm == meta) {
		mm_flags = m[TP_FLAGS / 8];
	} else if ((err = rd(r, mm + TP_FLAGS, &mm_flags, sizeof(mm_flags)))) {
		return hard_error(err) ? err : -ENOENT;
	}
	if (!flags_sane(mm_flags, true))
		return -ENOENT;
	return read_name(r, ti->tp_name, buf);
}

static struct pytype_slot *slot_find(struct pytype_reader *r, uint64_t t)
{
	uint32_t i = (uint32_t)(hash_addr(t) >> 32) & (CACHE_SLOTS - 1);

	while (r->slots[i].type && r->slots[i].type != t)
		i = (i + 1) & (CACHE_SLOTS - 1);
	return &r->slots[i];
}

/* lookup_type() - *ti and *name of the type at t, from the cache or
 * checked and read. -ENOSPC leaves *ti filled (the type is one). */
static int lookup_type(struct pytype_reader *r, uint64_t t, struct type_info *ti,
		       const char **name)
{
	struct pytype_slot *s;
	char buf[PYTYPE_NAME_MAX];
	int err;

	if (!r->slots || !r->names)
		return -ENOMEM;
	if (!t || (t & 7))
		return -ENOENT;
	s = slot_find(r, t);
	if (s->type == t && s->name) {
		if (s->epoch != r->epoch) {
			/* one read: the same name pointer, size, layout flags
			 * and metatype, so the type it was; else look again
			 * from scratch */
			err = read_type_head(r, t, ti);
			if (hard_error(err))
				return err;
			if (!err && ti->tp_name == s->tp_name && ti->meta == s->meta &&
			    ti->basicsize == s->basicsize &&
			    (ti->flags & TPF_LAYOUT) == (s->flags & TPF_LAYOUT))
				s->epoch = r->epoch;
		}
		if (s->epoch == r->epoch) {
			r->hits++;
			ti->tp_name = s->tp_name;
			ti->meta = s->meta;
			ti->flags = s->flags;
			ti->basicsize = s->basicsize;
			*name = s->name;
			return 0;
		}
	}
	r->misses++;
	err = read_type(r, t, ti, buf);
	if (err) {
		if (s->type == t)
			s->name = NULL; /* stale: looked up again next time */
		return err;
	}
	if ((err = names_intern(r->names, buf, name)))
		return err;
	if (s->type != t) {
		if (r->nslots_used >= PYTYPE_CACHE_TYPES) {
			/* start over; the names stay interned, so every name
			 * returned stays valid */
			memset(r->slots, 0, CACHE_SLOTS * sizeof(*r->slots));
			r->nslots_used = 0;
			s = slot_find(r, t);
		}
		r->nslots_used++;
		s->type = t;
	}
	s->tp_name = ti->tp_name;
	s->meta = ti->meta;
	s->flags = ti->flags;
	s->basicsize = ti->basicsize;
	s->name = *name;
	s->epoch = r->epoch;
	return 0;
}

int pytype_type_name(struct pytype_reader *r, uint64_t type_addr, const char **name)
{
	struct type_info ti;

	if (!r || !name)
		return -EINVAL;
	return lookup_type(r, type_addr, &ti, name);
}

int pytype_of_alloc(struct pytype_reader *r, uint64_t addr, uint64_t size, const char **name,
		    uint32_t *obj_offset)
{
	uint64_t w[6]; /* the headers at offsets 0, 16 and 32 */
	size_t len = sizeof(w);
	int err, ret = -ENOENT;

	if (!r || !name || !obj_offset)
		return -EINVAL;
	if (!addr || (addr & 7) || (size && size < 16))
		return -ENOENT;
	if (size && size < len)
		len = size & ~(uint64_t)7;
	err = rd(r, addr, w, len);
	if (err == -EFAULT && len > 16) {
		/* the block may end just before an unmapped page: as much as
		 * reads, 16 bytes at a time */
		size_t got = 0;

		while (got < len && !rd(r, addr + got, (char *)w + got, 16))
			got += 16;
		if (got) {
			err = 0;
			len = got;
		}
	}
	if (err)
		return err;
	for (uint32_t off = 0; off + 16 <= len; off += 16) {
		uint64_t rc = w[off / 8], type = w[off / 8 + 1];
		struct type_info ti;
		const char *nm = NULL;

		if (!refcnt_sane(r->version_hex, rc))
			continue;
		if (off && !gc_head_sane(w[off / 8 - 2], w[off / 8 - 1]))
			continue;
		err = lookup_type(r, type, &ti, &nm);
		if (err == -ENOENT)
			continue;
		if (err && err != -ENOSPC)
			return err;
		if (pytype_block_offset(r->version_hex, ti.flags) != off ||
		    (size && off + (uint64_t)ti.basicsize > size))
			continue;
		if (err) { /* an object, but no room left for its name */
			ret = err;
			continue;
		}
		err = refcnt_is_pointer(r, rc);
		if (!err && off) {
			int linked = gc_linked(r, addr + off - GC_HEAD_SIZE, w[off / 8 - 2],
					       w[off / 8 - 1]);

			err = linked < 0 ? linked : !linked;
		}
		if (err < 0)
			return err;
		if (err)
			continue;
		*name = nm;
		*obj_offset = off;
		return 0;
	}
	return ret;
}

const char *pytype_stop_name(enum pytype_stop s)
{
	switch (s) {
	case PYTYPE_STOP_END:
		return "end";
	case PYTYPE_STOP_NODES:
		return "node budget";
	case PYTYPE_STOP_TIME:
		return "time budget";
	case PYTYPE_STOP_UNREADABLE:
		return "unreadable";
	case PYTYPE_STOP_MISALIGNED:
		return "misaligned link";
	case PYTYPE_STOP_BROKEN:
		return "broken link";
	case PYTYPE_STOP_COLLECTING:
		return "collector running";
	}
	return "?";
}

/* Objects seen per type address during a walk. */
struct tcount {
	uint64_t type, count;
};

struct tmap {
	struct tcount *v;
	uint32_t cap, n;
};

static int tmap_add(struct tmap *m, uint64_t type)
{
	uint32_t i;

	if ((m->n + 1) * 2 > m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 1024;
		struct tcount *v = calloc(cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (uint32_t j = 0; j < m->cap; j++) {
			if (!m->v[j].count)
				continue;
			for (i = (uint32_t)(hash_addr(m->v[j].type) >> 32) & (cap - 1); v[i].count;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = m->v[j];
		}
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	for (i = (uint32_t)(hash_addr(type) >> 32) & (m->cap - 1); m->v[i].count;
	     i = (i + 1) & (m->cap - 1)) {
		if (m->v[i].type == type) {
			m->v[i].count++;
			return 0;
		}
	}
	m->v[i].type = type;
	m->v[i].count = 1;
	m->n++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Pages of the target a walk read last. A page costs one read, as much as
 * a node's 32 bytes do (the syscall and pinning the page dominate), and
 * objects allocated together share pool pages: on the lists measured, 77 to
 * 98% of the nodes were in one of the 16 pages read last (84% on a heap
 * shuffled on purpose), so a census makes a few reads per hundred objects
 * instead of one per object. A page is a snapshot like any read: the links
 * checked on it are as good as on fresh ones; each list starts with none. */
#define WALK_PAGES 16
#define PAGE 4096

struct walk_page {
	uint64_t base; /* 1: empty (no page starts there) */
	uint64_t used; /* LRU stamp */
	uint8_t data[PAGE];
};

struct walk {
	uint64_t nodes, max_nodes;
	double deadline;
	struct tmap types;
	struct walk_page *pages; /* WALK_PAGES */
	uint64_t clock;
	int err; /* a hard error: abandon the census */
};

/* read_node() - the 32 bytes at node, through the page cache. */
static int read_node(struct pytype_reader *r, struct walk *w, uint64_t node, uint64_t n[4])
{
	uint64_t base = node & ~(uint64_t)(PAGE - 1);
	struct walk_page *p = &w->pages[0];
	int err;

	if (node - base > PAGE - 32)
		return rd(r, node, n, 32); /* straddles two pages */
	for (int i = 0; i < WALK_PAGES; i++) {
		if (w->pages[i].base == base) {
			p = &w->pages[i];
			goto hit;
		}
		if (w->pages[i].used < p->used)
			p = &w->pages[i];
	}
	p->base = 1;
	if ((err = rd(r, base, p->data, PAGE)))
		return err;
	p->base = base;
hit:
	p->used = ++w->clock;
	memcpy(n, p->data + (node - base), 32);
	return 0;
}

/* walk_list() - count one list's objects by type address into w. */
static enum pytype_stop walk_list(struct pytype_reader *r, struct walk *w, uint64_t head,
				  uint64_t *walked)
{
	uint64_t n[4], prev = head, node;
	int err;

	for (int i = 0; i < WALK_PAGES; i++) /* each list from fresh pages */
		w->pages[i].base = 1;
	if ((err = rd(r, head, n, 16))) {
		if (hard_error(err))
			w->err = err;
		return PYTYPE_STOP_UNREADABLE;
	}
	node = n[0] & GC_LINK_MASK;
	while (node != head) {
		if (w->nodes >= w->max_nodes)
			return PYTYPE_STOP_NODES;
		if (!(w->nodes & 15) && now_s() > w->deadline)
			return PYTYPE_STOP_TIME;
		/* objects come from the allocator, 16-aligned; only the
		 * head, inside the GC state, may be 4-aligned (Debian 3.13) */
		if (!node || (node & 7))
			return PYTYPE_STOP_MISALIGNED;
		/* _gc_next, _gc_prev, ob_refcnt, ob_type */
		if ((err = read_node(r, w, node, n))) {
			if (hard_error(err))
				w->err = err;
			return PYTYPE_STOP_UNREADABLE;
		}
		if ((n[1] & GC_LINK_MASK) != prev)
			return (n[1] & GC_PREV_COLLECTING) ? PYTYPE_STOP_COLLECTING
							   : PYTYPE_STOP_BROKEN;
		if ((err = tmap_add(&w->types, n[3]))) {
			w->err = err;
			return PYTYPE_STOP_UNREADABLE;
		}
		w->nodes++;
		(*walked)++;
		prev = node;
		node = n[0] & GC_LINK_MASK;
	}
	return PYTYPE_STOP_END;
}

static int by_name_ptr(const void *a, const void *b)
{
	const struct pytype_census_entry *x = a, *y = b;

	return x->name < y->name ? -1 : x->name > y->name;
}

static int by_count(const void *a, const void *b)
{
	const struct pytype_census_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* name_types() - turn w's per-address counts into out's per-name entries. */
static int name_types(struct pytype_reader *r, struct walk *w, struct pytype_census *out)
{
	struct pytype_census_entry *v;
	int n = 0, m = 0;

	v = calloc(w->types.n ? w->types.n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->types.cap; i++) {
		struct tcount *t = &w->types.v[i];
		struct type_info ti;
		const char *name;
		int err;

		if (!t->count)
			continue;
		err = lookup_type(r, t->type, &ti, &name);
		if (hard_error(err)) {
			free(v);
			return err;
		}
		/* not a type, no room to name it, or a type whose objects
		 * are not on GC lists: nothing to count it as */
		if (err || !(ti.flags & TPF_HAVE_GC)) {
			out->invalid += t->count;
			continue;
		}
		v[n].name = (char *)name; /* interned: equal names, equal pointers */
		v[n].count = t->count;
		n++;
	}
	array_sort(v, n, sizeof(*v), by_name_ptr);
	for (int i = 0; i < n; i++) {
		if (m && v[m - 1].name == v[i].name)
			v[m - 1].count += v[i].count;
		else
			v[m++] = v[i];
	}
	for (int i = 0; i < m; i++) {
		v[i].name = strdup(v[i].name);
		if (!v[i].name) {
			for (int j = 0; j < i; j++)
				free(v[j].name);
			free(v);
			return -ENOMEM;
		}
	}
	array_sort(v, m, sizeof(*v), by_count);
	out->v = v;
	out->n = m;
	return 0;
}

int pytype_census(struct pytype_reader *r, const uint64_t *heads, int nheads, uint64_t max_nodes,
		  double max_s, struct pytype_census *out)
{
	struct walk w = { 0 };
	double t0 = now_s();
	int err;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!r || !heads || nheads < 1 || nheads > PYTYPE_CENSUS_MAX_LISTS)
		return -EINVAL;
	w.pages = malloc(WALK_PAGES * sizeof(*w.pages));
	if (!w.pages)
		return -ENOMEM;
	for (int i = 0; i < WALK_PAGES; i++)
		w.pages[i].used = 0;
	pytype_reader_revalidate(r);
	w.max_nodes = max_nodes ? max_nodes : PYTYPE_CENSUS_NODES;
	w.deadline = t0 + (max_s > 0 ? max_s : PYTYPE_CENSUS_SECONDS);
	for (int i = 0; i < nheads && !w.err; i++) {
		struct pytype_census_list *l = &out->list[i];

		l->head = heads[i];
		l->stop = walk_list(r, &w, heads[i], &l->nodes);
		l->complete = l->stop == PYTYPE_STOP_END;
		out->complete_lists += l->complete;
		out->budget_hit |= l->stop == PYTYPE_STOP_NODES || l->stop == PYTYPE_STOP_TIME;
		out->lists++;
	}
	out->nodes = w.nodes;
	err = w.err ? w.err : name_types(r, &w, out);
	free(w.types.v);
	free(w.pages);
	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->seconds = now_s() - t0;
	return 0;
}

void pytype_census_free(struct pytype_census *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
