// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* symbolize.c: see symbolize.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "linetable.h"
#include "procmem.h"
#include "pyident.h"
#include "pyoffsets.h"
#include "symbolize.h"
#include "target.h"

#define MAX_NAME 1024		 /* bytes of a file or function name we keep */
#define MAX_LINETABLE (1 << 20) /* a line table larger than this is not believed */
#define CODE_BUCKETS 4096
#define NATIVE_BUCKETS 1024

struct code_entry {
	struct code_entry *next;
	uint64_t addr;
	uint32_t ident;	  /* pyident_code() the frame was captured with */
	uint32_t firstlineno; /* read with the names */
	int err;	  /* the read failed: names are "<unknown>" */
	char *file, *func;
	uint8_t *table;	  /* line table bytes */
	size_t table_len;
};

struct native_entry {
	struct native_entry *next;
	uint64_t addr;
	char *text;
};

struct symbolizer {
	struct target *t;
	const struct py_layout *L;
	enum lt_format fmt;
	uint64_t code_type; /* &PyCode_Type in the target, 0 if unknown */
	unsigned name_word; /* pyoffsets_ident_name_word() */
	sym_read_fn read;   /* target memory: pm_read of t->pid unless sym_set_reader() */
	void *read_ctx;
	struct code_entry *code[CODE_BUCKETS];
	struct native_entry *native[NATIVE_BUCKETS];
};

/* read_pid() - the default reader: pm_read() of the target's pid (ctx). */
static int read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pm_read((pid_t)(intptr_t)ctx, addr, buf, len);
}

static int rd(const struct symbolizer *s, uint64_t addr, void *buf, size_t len)
{
	return s->read(s->read_ctx, addr, buf, len);
}

static int rd_u64(const struct symbolizer *s, uint64_t addr, uint64_t *out)
{
	return rd(s, addr, out, sizeof(*out));
}

static int rd_u32(const struct symbolizer *s, uint64_t addr, uint32_t *out)
{
	return rd(s, addr, out, sizeof(*out));
}

static unsigned bucket(uint64_t addr, unsigned n)
{
	return (unsigned)((addr * 0x9E3779B97F4A7C15ULL) >> 40) % n;
}

struct symbolizer *sym_new(struct target *t, const struct py_layout *L)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	struct elf_sym sym;

	if (!s)
		return NULL;
	s->t = t;
	s->L = L;
	s->fmt = lt_format_for_version(L->version_hex);
	s->name_word = pyoffsets_ident_name_word(L);
	s->read = read_pid;
	s->read_ctx = (void *)(intptr_t)t->pid;
	if (!elf_find_symbol(t->py_elf, "PyCode_Type", &sym))
		s->code_type = t->mods[t->py_mod].bias + sym.addr;
	return s;
}

void sym_set_reader(struct symbolizer *s, sym_read_fn read, void *ctx)
{
	s->read = read;
	s->read_ctx = ctx;
}

void sym_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (int i = 0; i < CODE_BUCKETS; i++) {
		for (struct code_entry *e = s->code[i], *n; e; e = n) {
			n = e->next;
			free(e->file);
			free(e->func);
			free(e->table);
			free(e);
		}
	}
	for (int i = 0; i < NATIVE_BUCKETS; i++) {
		for (struct native_entry *e = s->native[i], *n; e; e = n) {
			n = e->next;
			free(e->text);
			free(e);
		}
	}
	free(s);
}

/* Append code point cp as UTF-8; returns bytes written (0 if no room). */
static size_t put_utf8(char *out, size_t room, uint32_t cp)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		cp = 0xfffd;
	if (cp < 0x80 && room >= 1) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800 && room >= 2) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000 && room >= 3) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	if (cp >= 0x10000 && room >= 4) {
		out[0] = 0xf0 | (cp >> 18);
		out[1] = 0x80 | ((cp >> 12) & 0x3f);
		out[2] = 0x80 | ((cp >> 6) & 0x3f);
		out[3] = 0x80 | (cp & 0x3f);
		return 4;
	}
	return 0;
}

int sym_read_str(struct symbolizer *s, uint64_t obj, char *buf, size_t len)
{
	const struct py_layout *L = s->L;
	uint8_t raw[MAX_NAME * 4];
	uint64_t length;
	uint32_t state, kind;
	size_t o = 0, n;
	int err;

	buf[0] = 0;
	if (!obj || len < 2)
		return -EINVAL;
	if ((err = rd_u64(s, obj + L->unicode_length, &length)) ||
	    (err = rd_u32(s, obj + L->unicode_state, &state)))
		return err;
	kind = (state >> 2) & 7;
	if (!(state & 0x20) || (kind != 1 && kind != 2 && kind != 4))
		return -EPROTO; /* not a compact string: not something a code object holds */
	n = length < MAX_NAME ? length : MAX_NAME;
	err = rd(s, obj + ((state & 0x40) ? L->unicode_ascii_data : L->unicode_compact_data), raw,
		 n * kind);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = kind == 1 ? raw[i]
			    : kind == 2 ? (uint32_t)raw[2 * i] | raw[2 * i + 1] << 8
					: (uint32_t)raw[4 * i] | raw[4 * i + 1] << 8 |
						  raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
		size_t w = put_utf8(buf + o, len - 1 - o, cp);

		if (!w)
			break;
		o += w;
	}
	buf[o] = 0;
	return 0;
}

/* read_code() - read code object e->addr into e, if it is still the one
 * the frame was captured in (same identity, include/pyident.h); e->err on
 * failure, -ESTALE when another object now lives there. */
static void read_code(struct symbolizer *s, struct code_entry *e)
{
	const struct py_layout *L = s->L;
	uint64_t type = 0, file_obj, name_obj, table_obj, table_len;
	__u64 ptrs[3], str[PYIDENT_STR_WORDS];
	unsigned data_word = (L->unicode_ascii_data - PYIDENT_STR_OFF) / 8;
	char buf[MAX_NAME * 4];
	int err;

	if ((err = rd_u64(s, e->addr + 8, &type)))
		goto fail;
	if (s->code_type && type != s->code_type) {
		err = -ESTALE; /* no longer a code object */
		goto fail;
	}
	if ((err = rd_u32(s, e->addr + L->code_firstlineno, &e->firstlineno)) ||
	    (err = rd(s, e->addr + L->code_filename, ptrs, sizeof(ptrs))))
		goto fail;
	file_obj = ptrs[0];
	name_obj = ptrs[s->name_word % 3];
	if (pyident_code(e->firstlineno, ptrs,
			 rd(s, name_obj + PYIDENT_STR_OFF, str, sizeof(str)) ? NULL : str,
			 data_word) != e->ident) {
		err = -ESTALE; /* another code object now lives at this address */
		goto fail;
	}
	if ((err = rd_u64(s, e->addr + L->code_linetable, &table_obj)))
		goto fail;
	if ((err = sym_read_str(s, file_obj, buf, sizeof(buf))))
		goto fail;
	e->file = strdup(buf);
	if ((err = sym_read_str(s, name_obj, buf, sizeof(buf))))
		goto fail;
	e->func = strdup(buf);
	if (table_obj && !rd_u64(s, table_obj + L->bytes_size, &table_len) &&
	    table_len <= MAX_LINETABLE && (e->table = malloc(table_len ? table_len : 1)) &&
	    !rd(s, table_obj + L->bytes_data, e->table, table_len))
		e->table_len = table_len;
	if (!e->file || !e->func) {
		err = -ENOMEM;
		goto fail;
	}
	return;
fail:
	e->err = err;
}

int sym_frame(struct symbolizer *s, const struct pyleak_frame *f, struct report_frame *out)
{
	unsigned b = bucket(f->code ^ f->ident, CODE_BUCKETS);
	struct code_entry *e;

	/* keyed by identity too: a code object freed and replaced at the same
	 * address by another is another entry, read afresh */
	for (e = s->code[b]; e; e = e->next)
		if (e->addr == f->code && e->ident == f->ident)
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			goto unknown;
		e->addr = f->code;
		e->ident = f->ident;
		read_code(s, e);
		e->next = s->code[b];
		s->code[b] = e;
	}
	if (e->err)
		goto unknown;
	out->file = e->file;
	out->func = e->func;
	out->first_line = (int)e->firstlineno;
	out->line = e->table_len || f->lasti < 0
			    ? lt_addr2line(s->fmt, e->table, e->table_len, (int)e->firstlineno,
					   f->lasti)
			    : -1;
	return 0;
unknown:
	out->file = "<unknown>";
	out->func = "<unknown>";
	out->line = -1;
	out->first_line = 0;
	return e ? e->err : -ENOMEM;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

const char *sym_native(struct symbolizer *s, uint64_t addr)
{
	unsigned b = bucket(addr, NATIVE_BUCKETS);
	struct native_entry *e;
	struct target_module *m;
	struct elf_file *ef;
	struct elf_sym sym;
	uint64_t off;
	char buf[512];

	if (!addr)
		return NULL;
	for (e = s->native[b]; e; e = e->next)
		if (e->addr == addr)
			return e->text;
	m = target_module_of(s->t, addr);
	if (!m)
		snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
	else if ((ef = target_module_elf(m)) && !elf_symbolize(ef, addr - m->bias, &sym, &off) &&
		 off < (sym.size ? sym.size : 1))
		/* only a symbol that covers addr: in a stripped file the nearest
		 * exported one before it is usually an unrelated function */
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64 " (%s)", sym.name, off,
			 base_name(m->path));
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx64 " (%s)", addr - m->bias, base_name(m->path));
	e = calloc(1, sizeof(*e));
	if (!e || !(e->text = strdup(buf))) {
		free(e);
		return NULL;
	}
	e->addr = addr;
	e->next = s->native[b];
	s->native[b] = e;
	return e->text;
}

int sym_stack(struct symbolizer *s, const struct pyleak_stack *st, struct report_frame *fr,
	      const char **caller)
{
	int n, depth = st->depth > PYLEAK_MAX_FRAMES ? PYLEAK_MAX_FRAMES : st->depth;

	for (n = 0; n < depth; n++)
		sym_frame(s, &st->frames[n], &fr[n]);
	*caller = sym_native(s, st->native_caller);
	if (!n) {
		/* a thread without a Python thread state, or the interpreter
		 * working outside any Python frame (start-up, shutdown) */
		fr[0].file = (st->flags & PYLEAK_STACK_NO_TSTATE) ? "<native thread>" : "<interpreter>";
		fr[0].func = "<no Python frame>";
		fr[0].line = -1;
		fr[0].first_line = 0;
		n = 1;
	}
	return n;
}
