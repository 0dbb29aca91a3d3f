/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_pytypes.c: unit tests for user/python/pytypes.c on a fake target: a 2 MiB
 * memory image behind the reader's read callback, with unmapped pages, type
 * objects and a metatype built by hand, objects laid out by the 3.10, 3.11,
 * 3.12 and 3.14 rules, blocks that are not objects, and PyGC_Head lists with
 * flag bits in their links, broken links, a collection in progress and a
 * cycle that never comes back to its head.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pytypes.h"

#define BASE 0x10000000ull
#define SIZE (2u << 20)
#define PAGE 4096
#define A(off) (BASE + (off))

#define V310 0x030a0df0u
#define V311 0x030b07f0u
#define V312 0x030c01f0u
#define V314 0x030e0af0u

/* tp_flags */
#define F_MANAGED_WEAKREF (1ull << 3)
#define F_MANAGED_DICT (1ull << 4)
#define F_READY (1ull << 12)
#define F_HAVE_GC (1ull << 14)
#define F_TYPE_SUBCLASS (1ull << 31)

static struct fake {
	uint8_t mem[SIZE];
	bool mapped[SIZE / PAGE];
	unsigned reads;
	int fail;		/* every read fails with this */
	useconds_t delay_us;	/* per read */
	uint64_t fix_at, fix_val; /* after a read covering fix_at, store fix_val there */
} F;

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	f->reads++;
	if (f->fail)
		return f->fail;
	if (f->delay_us)
		usleep(f->delay_us);
	if (!len || addr < BASE || addr + len > BASE + SIZE || addr + len < addr)
		return -EFAULT;
	for (uint64_t p = (addr - BASE) / PAGE; p <= (addr + len - 1 - BASE) / PAGE; p++)
		if (!f->mapped[p])
			return -EFAULT;
	memcpy(buf, f->mem + (addr - BASE), len);
	if (f->fix_at && f->fix_at >= addr && f->fix_at < addr + len)
		memcpy(f->mem + (f->fix_at - BASE), &f->fix_val, 8);
	return 0;
}

static void put64(uint64_t a, uint64_t v)
{
	memcpy(F.mem + (a - BASE), &v, 8);
}

static void putstr(uint64_t a, const char *s)
{
	memcpy(F.mem + (a - BASE), s, strlen(s) + 1);
}

static void unmap(uint64_t a)
{
	F.mapped[(a - BASE) / PAGE] = false;
}

/* Types: every PyTypeObject field used, at its real offset. */
#define T_TYPE A(0x2000)
#define T_INT A(0x2100)
#define T_DICT A(0x2200)
#define T_LEAKY A(0x2300)
#define T_WEAK A(0x2400)
#define T_BADNAME A(0x2500)
#define T_NONAME A(0x2600)
#define T_NOTMETA A(0x2700)
#define T_LEAKY2 A(0x2800)
#define T_NOTREADY A(0x2900)
#define T_LONGNAME A(0x2a00)
#define T_EDGE A(0x2b00)

static void mk_type(uint64_t t, uint64_t meta, uint64_t name, uint64_t flags, int64_t basic,
		    int64_t item)
{
	put64(t, 1000);	       /* ob_refcnt */
	put64(t + 8, meta);    /* ob_type */
	put64(t + 24, name);   /* tp_name */
	put64(t + 32, (uint64_t)basic);
	put64(t + 40, (uint64_t)item);
	put64(t + 168, flags); /* tp_flags */
}

/* Names at 0x1000; "Edge" ends a mapped page that an unmapped one follows. */
static uint64_t name_at(int i)
{
	return A(0x1000 + i * 0x20);
}

static int setup(void **state)
{
	char longname[700];

	memset(&F, 0, sizeof(F));
	for (unsigned i = 0; i < SIZE / PAGE; i++)
		F.mapped[i] = true;
	unmap(A(0));	  /* page 0: nothing */
	unmap(A(0x4000)); /* the page after "Edge" */
	putstr(name_at(0), "type");
	putstr(name_at(1), "int");
	putstr(name_at(2), "dict");
	putstr(name_at(3), "Leaky");
	putstr(name_at(4), "Weak");
	putstr(name_at(5), "\x01garbage");
	putstr(name_at(6), "long");
	putstr(name_at(7), "Leaky");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	putstr(A(0x1800), longname);
	putstr(A(0x4000 - 5), "Edge");

	mk_type(T_TYPE, T_TYPE, name_at(0), F_READY | F_TYPE_SUBCLASS | F_HAVE_GC, 880, 40);
	mk_type(T_INT, T_TYPE, name_at(1), F_READY, 24, 4);
	mk_type(T_DICT, T_TYPE, name_at(2), F_READY | F_HAVE_GC, 48, 0);
	mk_type(T_LEAKY, T_TYPE, name_at(3), F_READY | F_HAVE_GC | F_MANAGED_DICT, 16, 0);
	mk_type(T_WEAK, T_TYPE, name_at(4), F_READY | F_HAVE_GC | F_MANAGED_WEAKREF, 24, 0);
	mk_type(T_BADNAME, T_TYPE, name_at(5), F_READY, 24, 0);
	mk_type(T_NONAME, T_TYPE, A(0x10), F_READY, 24, 0); /* name in the unmapped page */
	mk_type(T_NOTMETA, T_INT, name_at(1), F_READY, 24, 0); /* int is no metatype */
	mk_type(T_LEAKY2, T_TYPE, name_at(7), F_READY | F_HAVE_GC | F_MANAGED_DICT, 16, 0);
	mk_type(T_NOTREADY, T_TYPE, name_at(1), 0, 24, 0);
	mk_type(T_LONGNAME, T_TYPE, A(0x1800), F_READY, 24, 0);
	mk_type(T_EDGE, T_TYPE, A(0x4000 - 5), F_READY, 24, 0);
	*state = &F;
	return 0;
}

static void reader(struct pytype_reader *r, uint32_t version)
{
	assert_int_equal(pytype_reader_init(r, version, fake_read, &F), 0);
}

/* objects at 0x10000, one per 0x100 */
static uint64_t obj(int i)
{
	return A(0x10000 + i * 0x100);
}

/* a non-GC object: {ob_refcnt, ob_type} at 0 */
static uint64_t mk_plain(int i, uint64_t rc, uint64_t type)
{
	put64(obj(i), rc);
	put64(obj(i) + 8, type);
	return obj(i);
}

/* a GC object, untracked: {0, 0} then the object at 16; pre adds 16 before */
static uint64_t mk_gc(int i, uint64_t type, bool pre)
{
	uint64_t b = obj(i), o = b + 16 + (pre ? 16 : 0);

	put64(o, 1);
	put64(o + 8, type);
	return b;
}

static void expect_type(struct pytype_reader *r, uint64_t block, uint64_t size, const char *name,
			uint32_t off)
{
	const char *got = NULL;
	uint32_t got_off = 99;

	assert_int_equal(pytype_of_alloc(r, block, size, &got, &got_off), 0);
	assert_non_null(got);
	assert_string_equal(got, name);
	assert_int_equal(got_off, off);
}

static void expect_err(struct pytype_reader *r, uint64_t block, uint64_t size, int err)
{
	const char *got = NULL;
	uint32_t off = 0;

	assert_int_equal(pytype_of_alloc(r, block, size, &got, &off), err);
}

static void test_block_offset_rules(void **state)
{
	uint64_t gc = F_HAVE_GC, dict = F_HAVE_GC | F_MANAGED_DICT, weak = F_HAVE_GC | F_MANAGED_WEAKREF;

	assert_int_equal(pytype_block_offset(0x03080000, 0), 0);
	assert_int_equal(pytype_block_offset(0x03080000, gc), 16);
	/* before 3.11 bits 3 and 4 meant other things: no pre-header */
	assert_int_equal(pytype_block_offset(V310, dict), 16);
	assert_int_equal(pytype_block_offset(V310, weak), 16);
	/* 3.11: MANAGED_DICT only */
	assert_int_equal(pytype_block_offset(V311, dict), 32);
	assert_int_equal(pytype_block_offset(V311, weak), 16);
	/* 3.12 to 3.14: MANAGED_WEAKREF | MANAGED_DICT */
	assert_int_equal(pytype_block_offset(V312, dict), 32);
	assert_int_equal(pytype_block_offset(V312, weak), 32);
	assert_int_equal(pytype_block_offset(0x030d0000, weak), 32);
	assert_int_equal(pytype_block_offset(V314, dict | F_MANAGED_WEAKREF), 32);
	assert_int_equal(pytype_block_offset(V314, 0), 0);
}

static void test_init_versions(void **state)
{
	struct pytype_reader r;

	assert_int_equal(pytype_reader_init(&r, 0x03070000, fake_read, &F), -ENOTSUP);
	assert_int_equal(pytype_reader_init(&r, 0x030f0000, fake_read, &F), -ENOTSUP);
	assert_int_equal(pytype_reader_init(&r, V310, NULL, &F), -EINVAL);
	reader(&r, 0x03080000);
	pytype_reader_free(&r);
}

static void test_objects_by_version(void **state)
{
	struct pytype_reader r10, r11, r12;
	uint64_t i = mk_plain(0, 1, T_INT);
	uint64_t d = mk_gc(1, T_DICT, false);
	uint64_t leaky_pre = mk_gc(2, T_LEAKY, true);
	uint64_t leaky_old = mk_gc(3, T_LEAKY, false);
	uint64_t weak_pre = mk_gc(4, T_WEAK, true);
	uint64_t weak = mk_gc(5, T_WEAK, false);
	uint64_t cls = mk_gc(6, T_TYPE, false); /* a class object: its type is type */

	reader(&r10, V310);
	reader(&r11, V311);
	reader(&r12, V312);
	expect_type(&r10, i, 0, "int", 0);
	expect_type(&r12, i, 32, "int", 0);
	expect_type(&r10, d, 0, "dict", 16);
	expect_type(&r12, d, 64, "dict", 16);
	expect_type(&r12, cls, 0, "type", 16);
	/* managed dict: pre-header from 3.11 on, GC head only before */
	expect_type(&r10, leaky_old, 0, "Leaky", 16);
	expect_err(&r10, leaky_pre, 0, -ENOENT);
	expect_type(&r11, leaky_pre, 0, "Leaky", 32);
	expect_err(&r11, leaky_old, 0, -ENOENT);
	expect_type(&r12, leaky_pre, 0, "Leaky", 32);
	/* managed weakref: pre-header only from 3.12 */
	expect_type(&r11, weak, 0, "Weak", 16);
	expect_err(&r11, weak_pre, 0, -ENOENT);
	expect_type(&r12, weak_pre, 0, "Weak", 32);
	expect_err(&r12, weak, 0, -ENOENT);
	/* the object's own address is not its block: a GC type must be at 16 */
	expect_err(&r12, d + 16, 0, -ENOENT);
	pytype_reader_free(&r10);
	pytype_reader_free(&r11);
	pytype_reader_free(&r12);
}

static void test_size_bounds(void **state)
{
	struct pytype_reader r;
	uint64_t d = mk_gc(1, T_DICT, false);

	reader(&r, V312);
	expect_type(&r, d, 64, "dict", 16); /* 16 + basicsize 48 */
	expect_type(&r, d, 200, "dict", 16);
	expect_err(&r, d, 63, -ENOENT);
	expect_err(&r, d, 8, -ENOENT);
	expect_err(&r, d + 4, 0, -ENOENT); /* misaligned: never a block */
	expect_err(&r, d + 8, 0, -ENOENT); /* inside the GC head */
	pytype_reader_free(&r);
}

static void test_not_objects(void **state)
{
	struct pytype_reader r10, r12;
	uint64_t keys = obj(10), items = obj(11), types = obj(12), dead = obj(13);

	mk_plain(0, 1, T_INT);
	mk_gc(1, T_DICT, false);
	/* a 3.11+ dict keys table: dk_refcnt 1, then packed bytes and counts */
	put64(keys, 1);
	put64(keys + 8, 0x0000000100000303ull);
	put64(keys + 16, 5);
	put64(keys + 24, 3);
	put64(keys + 32, 0xff01ff00ff02ff03ull);
	/* a list's item array: pointers to objects */
	put64(items, obj(0));
	put64(items + 8, obj(1) + 16);
	put64(items + 16, obj(0));
	/* [dict, int]: a list of types; "refcount" = &dict, a readable address */
	put64(types, T_DICT);
	put64(types + 8, T_INT);
	/* a dead object on a free list: reference count 0 */
	mk_plain(13, 0, T_INT);

	reader(&r10, V310);
	reader(&r12, V312);
	expect_err(&r12, keys, 0, -ENOENT);
	expect_err(&r12, keys, 40, -ENOENT);
	expect_err(&r12, items, 24, -ENOENT);
	expect_err(&r10, types, 0, -ENOENT);
	expect_err(&r12, types, 0, -ENOENT);
	expect_err(&r12, dead, 0, -ENOENT);
	/* the same type, given a sane count, is an object: the count decided */
	put64(types, 3);
	expect_type(&r12, types, 0, "int", 0);
	pytype_reader_free(&r10);
	pytype_reader_free(&r12);
}

static void test_bad_types_rejected(void **state)
{
	struct pytype_reader r;
	uint64_t bad[] = { T_BADNAME, T_NONAME, T_NOTMETA, T_NOTREADY, T_LONGNAME, A(0x0),
			   T_INT + 4, 0x12345678, 0 };
	const char *name;

	reader(&r, V312);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		mk_plain(20, 1, bad[k]);
		expect_err(&r, obj(20), 0, -ENOENT);
	}
	assert_int_equal(pytype_type_name(&r, T_BADNAME, &name), -ENOENT);
	assert_int_equal(pytype_type_name(&r, T_NOTMETA, &name), -ENOENT);
	/* a name that ends right before an unmapped page still reads */
	assert_int_equal(pytype_type_name(&r, T_EDGE, &name), 0);
	assert_string_equal(name, "Edge");
	/* tp_flags that are no flags: bits above 31, two fast-subclass bits */
	mk_type(A(0x2c00), T_TYPE, name_at(1), F_READY | (1ull << 40), 24, 0);
	assert_int_equal(pytype_type_name(&r, A(0x2c00), &name), -ENOENT);
	mk_type(A(0x2c00), T_TYPE, name_at(1), F_READY | (1ull << 24) | (1ull << 25), 24, 0);
	assert_int_equal(pytype_type_name(&r, A(0x2c00), &name), -ENOENT);
	mk_type(A(0x2c00), T_TYPE, name_at(1), F_READY | (1ull << 24), 24, 0); /* an int subclass */
	assert_int_equal(pytype_type_name(&r, A(0x2c00), &name), 0);
	/* a metatype that is also something else */
	mk_type(A(0x2d00), A(0x2e00), name_at(1), F_READY, 24, 0);
	mk_type(A(0x2e00), T_TYPE, name_at(0), F_READY | F_TYPE_SUBCLASS | (1ull << 29), 880, 40);
	assert_int_equal(pytype_type_name(&r, A(0x2d00), &name), -ENOENT);
	/* names start like identifiers or dotted paths, UTF-8 included */
	putstr(name_at(8), "-");
	putstr(name_at(9), "\xc3\x9c" "ber");
	putstr(name_at(10), "_io.TextIOWrapper");
	mk_type(A(0x2f00), T_TYPE, name_at(8), F_READY, 24, 0);
	assert_int_equal(pytype_type_name(&r, A(0x2f00), &name), -ENOENT);
	mk_type(A(0x2f00) + 0x200, T_TYPE, name_at(9), F_READY, 24, 0);
	assert_int_equal(pytype_type_name(&r, A(0x2f00) + 0x200, &name), 0);
	assert_string_equal(name, "\xc3\x9c" "ber");
	mk_type(A(0x2f00) + 0x300, T_TYPE, name_at(10), F_READY, 24, 0);
	assert_int_equal(pytype_type_name(&r, A(0x2f00) + 0x300, &name), 0);
	/* a metatype whose own type is no metatype */
	put64(T_TYPE + 8, T_INT);
	assert_int_equal(pytype_type_name(&r, T_DICT, &name), -ENOENT);
	pytype_reader_free(&r);
}

static void test_unreadable(void **state)
{
	struct pytype_reader r;
	uint64_t tail = A(0x4000 - 16); /* an int in the last 16 bytes before a hole */

	mk_plain(0, 1, T_INT);
	put64(tail, 1);
	put64(tail + 8, T_INT);
	reader(&r, V312);
	expect_err(&r, A(0x40), 0, -EFAULT);  /* freed and unmapped */
	expect_err(&r, A(0x40), 64, -EFAULT);
	expect_type(&r, tail, 0, "int", 0);   /* 48 bytes do not read, 16 do */
	expect_err(&r, tail + 8, 0, -EFAULT);  /* not even 16 bytes read */
	F.fail = -ESRCH;
	expect_err(&r, obj(0), 0, -ESRCH);
	F.fail = 0;
	pytype_reader_free(&r);
}

static void test_refcount_rules(void **state)
{
	struct pytype_reader r10, r12, r14;
	uint64_t b = obj(0);

	reader(&r10, V310);
	reader(&r12, V312);
	reader(&r14, V314);
	/* 3.14 static immortal: count 3 << 30, ob_flags in the top bits */
	mk_plain(0, 0x0005000000000000ull | (3ull << 30), T_INT);
	expect_type(&r14, b, 0, "int", 0);
	expect_err(&r12, b, 0, -ENOENT);
	expect_err(&r10, b, 0, -ENOENT);
	/* ob_overflow is 0 in a 3.14 GIL build */
	mk_plain(0, 0x0000000100000001ull, T_INT);
	expect_err(&r14, b, 0, -ENOENT);
	/* 3.12 immortal */
	mk_plain(0, 0xffffffffull, T_INT);
	expect_type(&r12, b, 0, "int", 0);
	/* "name\0\0\0\0": [2^30, 2^31) is no count from 3.12 on */
	mk_plain(0, 0x656d616eull, T_INT);
	expect_err(&r12, b, 0, -ENOENT);
	expect_err(&r14, b, 0, -ENOENT);
	expect_type(&r10, b, 0, "int", 0);
	/* a large count that is no address stays a count */
	mk_plain(0, 5000001, T_INT);
	expect_type(&r10, b, 0, "int", 0);
	expect_type(&r12, b, 0, "int", 0);
	pytype_reader_free(&r10);
	pytype_reader_free(&r12);
	pytype_reader_free(&r14);
}

static void test_cache_and_revalidate(void **state)
{
	struct pytype_reader r;
	const char *n1, *n2, *l1, *l2;
	uint32_t off;
	unsigned before;

	mk_plain(0, 1, T_INT);
	reader(&r, V312);
	assert_int_equal(pytype_of_alloc(&r, obj(0), 0, &n1, &off), 0);
	before = F.reads;
	assert_int_equal(pytype_of_alloc(&r, obj(0), 0, &n2, &off), 0);
	assert_int_equal(F.reads - before, 1); /* the block only: the type was cached */
	assert_ptr_equal(n1, n2);
	/* two classes of one name: one interned name */
	assert_int_equal(pytype_type_name(&r, T_LEAKY, &l1), 0);
	assert_int_equal(pytype_type_name(&r, T_LEAKY2, &l2), 0);
	assert_ptr_equal(l1, l2);
	/* a type renamed: the cache trusts the address until revalidated */
	put64(T_INT + 24, name_at(6));
	assert_int_equal(pytype_of_alloc(&r, obj(0), 0, &n2, &off), 0);
	assert_string_equal(n2, "int");
	pytype_reader_revalidate(&r);
	assert_int_equal(pytype_of_alloc(&r, obj(0), 0, &n2, &off), 0);
	assert_string_equal(n2, "long");
	assert_string_equal(n1, "int"); /* still valid */
	/* revalidating an unchanged type costs one read of it */
	pytype_reader_revalidate(&r);
	before = F.reads;
	assert_int_equal(pytype_of_alloc(&r, obj(0), 0, &n2, &off), 0);
	assert_int_equal(F.reads - before, 2); /* the block and the type */
	assert_string_equal(n2, "long");
	/* an address that stopped being a type */
	put64(T_INT + 168, 0);
	pytype_reader_revalidate(&r);
	expect_err(&r, obj(0), 0, -ENOENT);
	put64(T_INT + 168, F_READY);
	expect_type(&r, obj(0), 0, "long", 0);
	/* its type no longer a metatype: the one-read check notices */
	put64(T_INT + 8, T_DICT);
	pytype_reader_revalidate(&r);
	expect_err(&r, obj(0), 0, -ENOENT);
	put64(T_INT + 8, T_TYPE);
	pytype_reader_reset(&r);
	expect_type(&r, obj(0), 0, "long", 0);
	pytype_reader_free(&r);
}

static void test_cache_bounded(void **state)
{
	struct pytype_reader r;
	const char *first, *name;
	int n = PYTYPE_CACHE_TYPES + 10;

	/* more types than the cache holds, 0xc0 apart from 0x30000 on */
	assert_true(0x30000u + (unsigned)n * 0xc0 + 0xc0 < SIZE);
	for (int i = 0; i < n; i++)
		mk_type(A(0x30000 + i * 0xc0), T_TYPE, name_at(i % 2 ? 3 : 2), F_READY, 24, 0);
	reader(&r, V312);
	assert_int_equal(pytype_type_name(&r, A(0x30000), &first), 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(pytype_type_name(&r, A(0x30000 + i * 0xc0), &name), 0);
		assert_string_equal(name, i % 2 ? "Leaky" : "dict");
		assert_true(r.nslots_used <= PYTYPE_CACHE_TYPES);
	}
	assert_string_equal(first, "dict"); /* names outlive the table starting over */
	assert_int_equal(pytype_type_name(&r, A(0x30000), &name), 0);
	assert_ptr_equal(name, first);
	pytype_reader_free(&r);
}

/* A PyGC_Head list: head inside a fake GC state, 4-aligned like Debian's
 * 3.13; nodes 0x40 apart, each {_gc_next, _gc_prev, ob_refcnt, ob_type}. */
#define HEAD A(0x20014)
#define HEAD2 A(0x2002c)
static uint64_t node(int i)
{
	return A(0x21000 + i * 0x40);
}

static void link_list(uint64_t head, const uint64_t *nodes, int n, const uint64_t *types)
{
	uint64_t prev = head;

	for (int i = 0; i < n; i++) {
		/* flag bits: _gc_next bit 0 (3.14 old space) and bit 1,
		 * _gc_prev bit 0 (FINALIZED) */
		put64(prev, nodes[i] | (i % 3 == 1 ? 1 : i % 3 == 2 ? 2 : 0));
		put64(nodes[i] + 8, prev | (i % 2));
		put64(nodes[i] + 16, 1);
		put64(nodes[i] + 24, types[i]);
		prev = nodes[i];
	}
	put64(prev, head | 1);
	put64(head + 8, prev);
}

static void empty_list(uint64_t head)
{
	put64(head, head);
	put64(head + 8, head);
}

static const uint64_t kinds[] = { T_LEAKY, T_DICT, T_LEAKY, T_LEAKY2, T_DICT, T_WEAK };

static void six_nodes(uint64_t *nodes)
{
	for (int i = 0; i < 6; i++)
		nodes[i] = node(i);
}

static void test_census_counts(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], heads[] = { HEAD, HEAD2 };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, kinds);
	empty_list(HEAD2);
	reader(&r, V314);
	assert_int_equal(pytype_census(&r, heads, 2, 0, 0, &c), 0);
	assert_int_equal(c.lists, 2);
	assert_int_equal(c.complete_lists, 2);
	assert_false(c.budget_hit);
	assert_int_equal(c.nodes, 6);
	assert_int_equal(c.invalid, 0);
	assert_int_equal(c.list[0].nodes, 6);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_END);
	assert_true(c.list[1].complete);
	assert_int_equal(c.list[1].nodes, 0);
	/* two classes named Leaky merge; by count, descending */
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].name, "Leaky");
	assert_int_equal(c.v[0].count, 3);
	assert_string_equal(c.v[1].name, "dict");
	assert_int_equal(c.v[1].count, 2);
	assert_string_equal(c.v[2].name, "Weak");
	assert_int_equal(c.v[2].count, 1);
	/* the names belong to the census */
	pytype_reader_free(&r);
	assert_string_equal(c.v[0].name, "Leaky");
	pytype_census_free(&c);
	assert_null(c.v);
}

static void test_census_sorted(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], heads[] = { HEAD };
	/* the rarest first, so neither first sight nor address order is count order */
	uint64_t types[] = { T_WEAK, T_DICT, T_LEAKY, T_DICT, T_LEAKY2, T_DICT };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, types);
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].name, "dict");
	assert_int_equal(c.v[0].count, 3);
	assert_string_equal(c.v[1].name, "Leaky");
	assert_int_equal(c.v[1].count, 2);
	assert_string_equal(c.v[2].name, "Weak");
	pytype_census_free(&c);
	/* equal counts: by name */
	types[0] = T_LEAKY;
	types[2] = T_WEAK;
	types[4] = T_WEAK;
	types[5] = T_LEAKY;
	link_list(HEAD, nodes, 6, types); /* Leaky 2, dict 2, Weak 2 */
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].name, "Leaky");
	assert_string_equal(c.v[1].name, "Weak");
	assert_string_equal(c.v[2].name, "dict");
	pytype_census_free(&c);
	pytype_reader_free(&r);
}

static void test_census_invalid_types(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], heads[] = { HEAD };
	uint64_t types[] = { T_LEAKY, 0x12345678, T_INT, T_BADNAME, T_DICT, 0 };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, types);
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), 0);
	assert_true(c.list[0].complete);
	assert_int_equal(c.nodes, 6);
	/* garbage, a non-GC type, a bad name, NULL: counted as invalid, walked past */
	assert_int_equal(c.invalid, 4);
	assert_int_equal(c.n, 2);
	pytype_census_free(&c);
	pytype_reader_free(&r);
}

static void test_census_broken_link(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], heads[] = { HEAD, HEAD2 };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, kinds);
	empty_list(HEAD2);
	put64(node(3) + 8, node(1)); /* should be node(2) */
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 2, 0, 0, &c), 0);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_BROKEN);
	assert_false(c.list[0].complete);
	assert_int_equal(c.list[0].nodes, 3);
	assert_int_equal(c.complete_lists, 1); /* the other list is still walked */
	assert_false(c.budget_hit);
	assert_int_equal(c.v[0].count, 2); /* Leaky: nodes 0 and 2 */
	pytype_census_free(&c);

	/* a collection running: _gc_prev holds gc_refs << 2 | COLLECTING */
	link_list(HEAD, nodes, 6, kinds);
	put64(node(2) + 8, (7 << 2) | 2);
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), 0);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_COLLECTING);
	assert_int_equal(c.list[0].nodes, 2);
	pytype_census_free(&c);

	/* a next link that is no object address */
	link_list(HEAD, nodes, 6, kinds);
	put64(node(1), node(2) + 4);
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), 0);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_MISALIGNED);
	assert_int_equal(c.list[0].nodes, 2);
	pytype_census_free(&c);

	/* a next link into unmapped memory, and an unreadable head */
	link_list(HEAD, nodes, 6, kinds);
	put64(node(1), A(0x100));
	heads[1] = A(0x200);
	assert_int_equal(pytype_census(&r, heads, 2, 0, 0, &c), 0);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_UNREADABLE);
	assert_int_equal(c.list[0].nodes, 2);
	assert_int_equal(c.list[1].stop, PYTYPE_STOP_UNREADABLE);
	assert_int_equal(c.complete_lists, 0);
	pytype_census_free(&c);
	pytype_reader_free(&r);
}

static void test_census_node_budget(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], nodes2[2] = { node(10), node(11) }, heads[] = { HEAD, HEAD2, A(0x20044) };
	uint64_t t2[] = { T_DICT, T_DICT };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, kinds);
	link_list(HEAD2, nodes2, 2, t2);
	empty_list(A(0x20044));
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 3, 4, 0, &c), 0);
	assert_true(c.budget_hit);
	assert_int_equal(c.nodes, 4);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_NODES);
	assert_int_equal(c.list[0].nodes, 4);
	assert_int_equal(c.list[1].stop, PYTYPE_STOP_NODES); /* no budget left for it */
	assert_int_equal(c.list[1].nodes, 0);
	assert_true(c.list[2].complete); /* empty: complete with nothing */
	assert_int_equal(c.complete_lists, 1);
	pytype_census_free(&c);
	/* enough budget: everything */
	assert_int_equal(pytype_census(&r, heads, 3, 8, 0, &c), 0);
	assert_false(c.budget_hit);
	assert_int_equal(c.complete_lists, 3);
	assert_int_equal(c.nodes, 8);
	pytype_census_free(&c);
	pytype_reader_free(&r);
}

/* 20 nodes on 20 pages, more than a walk keeps: the last links to the
 * first, and once the first has been read its _gc_prev is changed to the
 * last. Every link then checks out, and the walk never sees its head again. */
static void make_endless_cycle(void)
{
	uint64_t n[20], t[20];

	for (int i = 0; i < 20; i++) {
		n[i] = A(0x80000 + i * PAGE + 0x100);
		t[i] = T_DICT;
	}
	link_list(HEAD, n, 20, t);
	put64(n[19], n[0]);
	F.fix_at = n[0] + 8;
	F.fix_val = n[19];
}

static void test_census_endless_cycle(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t heads[] = { HEAD };

	make_endless_cycle();
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 1, 1000, 0, &c), 0);
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_NODES);
	assert_int_equal(c.nodes, 1000);
	assert_true(c.budget_hit);
	assert_int_equal(c.v[0].count, 1000);
	pytype_census_free(&c);

	/* and in time: slow reads, a node budget too big to matter */
	make_endless_cycle();
	F.delay_us = 200;
	assert_int_equal(pytype_census(&r, heads, 1, 1000000000ull, 0.05, &c), 0);
	F.delay_us = 0;
	assert_int_equal(c.list[0].stop, PYTYPE_STOP_TIME);
	assert_true(c.budget_hit);
	assert_true(c.nodes > 20); /* went round at least once */
	assert_true(c.seconds >= 0.05 && c.seconds < 1.0);
	pytype_census_free(&c);
	pytype_reader_free(&r);
}

static void test_census_errors(void **state)
{
	struct pytype_reader r;
	struct pytype_census c;
	uint64_t nodes[6], heads[PYTYPE_CENSUS_MAX_LISTS + 1] = { HEAD };

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, kinds);
	reader(&r, V312);
	assert_int_equal(pytype_census(&r, heads, 0, 0, 0, &c), -EINVAL);
	assert_int_equal(pytype_census(&r, heads, PYTYPE_CENSUS_MAX_LISTS + 1, 0, 0, &c), -EINVAL);
	F.fail = -ESRCH;
	assert_int_equal(pytype_census(&r, heads, 1, 0, 0, &c), -ESRCH);
	assert_null(c.v);
	assert_int_equal(c.n, 0);
	F.fail = 0;
	pytype_reader_free(&r);
}

/* (a) on a tracked GC object: its _gc_prev must lead back to it */
static void test_tracked_gc_object(void **state)
{
	struct pytype_reader r;
	uint64_t nodes[6];

	six_nodes(nodes);
	link_list(HEAD, nodes, 6, kinds);
	reader(&r, V312);
	expect_type(&r, node(1), 0, "dict", 16);
	/* its predecessor no longer points to it (both reads): not believed */
	put64(node(0), node(2));
	expect_err(&r, node(1), 0, -ENOENT);
	/* a collection running over it: _gc_prev holds a count */
	put64(node(1) + 8, (3 << 2) | 2);
	expect_type(&r, node(1), 0, "dict", 16);
	pytype_reader_free(&r);
}

static void test_stop_names(void **state)
{
	assert_string_equal(pytype_stop_name(PYTYPE_STOP_END), "end");
	assert_string_equal(pytype_stop_name(PYTYPE_STOP_BROKEN), "broken link");
	assert_string_equal(pytype_stop_name(PYTYPE_STOP_COLLECTING), "collector running");
	assert_string_equal(pytype_stop_name((enum pytype_stop)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_offset_rules),
		cmocka_unit_test_setup(test_init_versions, setup),
		cmocka_unit_test_setup(test_objects_by_version, setup),
		cmocka_unit_test_setup(test_size_bounds, setup),
		cmocka_unit_test_setup(test_not_objects, setup),
		cmocka_unit_test_setup(test_bad_types_rejected, setup),
		cmocka_unit_test_setup(test_unreadable, setup),
		cmocka_unit_test_setup(test_refcount_rules, setup),
		cmocka_unit_test_setup(test_cache_and_revalidate, setup),
		cmocka_unit_test_setup(test_cache_bounded, setup),
		cmocka_unit_test_setup(test_census_counts, setup),
		cmocka_unit_test_setup(test_census_sorted, setup),
		cmocka_unit_test_setup(test_census_invalid_types, setup),
		cmocka_unit_test_setup(test_census_broken_link, setup),
		cmocka_unit_test_setup(test_census_node_budget, setup),
		cmocka_unit_test_setup(test_census_endless_cycle, setup),
		cmocka_unit_test_setup(test_census_errors, setup),
		cmocka_unit_test_setup(test_tracked_gc_object, setup),
		cmocka_unit_test(test_stop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
