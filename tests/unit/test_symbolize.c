/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * test_symbolize.c: unit tests for the code-object cache of user/python/symbolize.c
 * and the identity it is keyed by (include/pyident.h). The "target" is this
 * process: a fake 3.11 code object and fake compact ASCII strings are laid
 * out in its memory at the offsets of the 3.11 layout, and a code object
 * freed and replaced at the same address is simulated by rewriting them in
 * place, name pointer and all (what pymalloc's reuse of a size class does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elfsym.h"
#include "pyident.h"
#include "pyoffsets.h"
#include "symbolize.h"
#include "target.h"

static struct py_layout L;
static struct target T;
static uint64_t code_obj[64];	   /* 512 bytes: a PyCodeObject of 3.11 */
static uint64_t file_str[32], name_str[32], qual_str[32];

/* set_str() - a compact ASCII str object holding text. */
static void set_str(uint64_t *obj, const char *text)
{
	char *p = (char *)obj;

	memset(obj, 0, 32 * sizeof(*obj));
	*(uint64_t *)(p + L.unicode_length) = strlen(text);
	*(uint32_t *)(p + L.unicode_state) = 0x20 | 0x40 | 1 << 2; /* compact, ascii, 1 byte */
	strcpy(p + L.unicode_ascii_data, text);
}

/* set_code() - the code object: first line, file and (qual)name. */
static void set_code(uint32_t firstlineno, const char *file, const char *name)
{
	char *p = (char *)code_obj;

	memset(code_obj, 0, sizeof(code_obj));
	set_str(file_str, file);
	set_str(name_str, name);
	set_str(qual_str, name);
	*(uint32_t *)(p + L.code_firstlineno) = firstlineno;
	*(uint64_t *)(p + L.code_filename) = (uintptr_t)file_str;
	*(uint64_t *)(p + L.code_name) = (uintptr_t)name_str;
	*(uint64_t *)(p + L.code_qualname) = (uintptr_t)qual_str;
}

/* ident_now() - the identity BPF would put in a frame taken now. */
static uint32_t ident_now(void)
{
	const char *p = (const char *)code_obj;
	const uint64_t *ptrs = (const uint64_t *)(p + L.code_filename);
	const char *name = (const char *)(uintptr_t)ptrs[pyoffsets_ident_name_word(&L)];

	return pyident_code(*(const uint32_t *)(p + L.code_firstlineno), (const __u64 *)ptrs,
			    (const __u64 *)(name + PYIDENT_STR_OFF),
			    (L.unicode_ascii_data - PYIDENT_STR_OFF) / 8);
}

static struct pyleak_frame frame_now(void)
{
	return (struct pyleak_frame){ .code = (uintptr_t)code_obj, .lasti = -1,
				      .ident = ident_now() };
}

static int setup(void **state)
{
	(void)state;
	if (pyoffsets_lookup(0x030b07f0, &L))
		return -1;
	T.pid = getpid();
	T.py_elf = elf_open("/proc/self/exe"); /* no PyCode_Type: the type is not checked */
	return T.py_elf ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	elf_close(T.py_elf);
	return 0;
}

static void test_ident_is_the_name_not_the_bytes_after_it(void **state)
{
	uint32_t a;

	(void)state;
	set_code(1, "<generated>", "gen_001");
	a = ident_now();
	assert_int_not_equal(a, 0);
	/* what follows the name in memory (another object) does not count */
	memset((char *)qual_str + L.unicode_ascii_data + 8, 'x', 16);
	assert_int_equal(ident_now(), a);
	/* nor its hash, filled in lazily */
	*(int64_t *)((char *)qual_str + 24) = 12345;
	assert_int_equal(ident_now(), a);
	/* the name, its length, the first line and the pointers do */
	set_code(1, "<generated>", "gen_002");
	assert_int_not_equal(ident_now(), a);
	set_code(1, "<generated>", "gen_0010");
	assert_int_not_equal(ident_now(), a);
	set_code(2, "<generated>", "gen_001");
	assert_int_not_equal(ident_now(), a);
	set_code(1, "<generated>", "gen_001");
	assert_int_equal(ident_now(), a);
	*(uint64_t *)((char *)code_obj + L.code_filename) += 8;
	assert_int_not_equal(ident_now(), a);
	/* a name long past 32 characters differs in its first 32 */
	set_code(1, "<generated>", "a_generated_function_with_a_long_name_0001");
	a = ident_now();
	set_code(1, "<generated>", "a_generated_function_with_a_lonG_name_0001");
	assert_int_not_equal(ident_now(), a);
}

/*
 * A code object freed and another built at its address, with its name
 * string at the old name's address too: the new frames get the new name,
 * frames captured before keep the old one, and a frame of the old object
 * first symbolised after the reuse is "<unknown>", never the new name.
 */
static void test_reused_address_new_name(void **state)
{
	struct symbolizer *s = sym_new(&T, &L);
	struct pyleak_frame old, young;
	struct report_frame out;

	(void)state;
	assert_non_null(s);
	set_code(1, "<generated>", "gen_001");
	old = frame_now();
	assert_int_equal(sym_frame(s, &old, &out), 0);
	assert_string_equal(out.func, "gen_001");
	assert_string_equal(out.file, "<generated>");
	assert_int_equal(out.line, 1);

	set_code(1, "<generated>", "gen_002"); /* freed, reused: same addresses */
	young = frame_now();
	assert_int_equal(young.code, old.code);
	assert_int_not_equal(young.ident, old.ident);
	assert_int_equal(sym_frame(s, &young, &out), 0);
	assert_string_equal(out.func, "gen_002");
	/* the older frame was named while its object lived: it keeps its name */
	assert_int_equal(sym_frame(s, &old, &out), 0);
	assert_string_equal(out.func, "gen_001");
	sym_free(s);

	/* a fresh cache meets the old frame only now: its object is gone */
	s = sym_new(&T, &L);
	assert_non_null(s);
	assert_int_equal(sym_frame(s, &old, &out), -ESTALE);
	assert_string_equal(out.func, "<unknown>");
	assert_int_equal(sym_frame(s, &young, &out), 0);
	assert_string_equal(out.func, "gen_002");
	sym_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident_is_the_name_not_the_bytes_after_it),
		cmocka_unit_test(test_reused_address_new_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
