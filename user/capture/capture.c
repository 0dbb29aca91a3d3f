// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* capture.c: see capture.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "alloc.skel.h"
#include "allocators.h"
#include "capture.h"
#include "elfsym.h"
#include "log.h"
#include "pyoffsets.h"
#include "target.h"

const char *capture_method_name(enum capture_method m)
{
	switch (m) {
	case CAPTURE_LIBC:
		return "libc malloc/calloc/realloc/free";
	case CAPTURE_TABLE_LIBC:
		return "allocator table functions + libc malloc family";
	default:
		return "allocator table functions";
	}
}

/* on_event() - ring-buffer callback: remember which budget ran out. */
static int on_event(void *ctx, void *data, size_t len)
{
	struct capture *c = ctx;
	const struct pyleak_event *ev = data;

	if (len >= sizeof(*ev) && ev->kind < 32)
		c->events |= 1u << ev->kind;
	return 0;
}

int capture_open(struct capture *c, const struct capture_opts *o)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->skel = alloc_bpf__open();
	if (!c->skel)
		return -errno;
	c->skel->rodata->max_depth = o->max_depth;
	if ((err = bpf_map__set_max_entries(c->skel->maps.live, o->max_allocs)) ||
	    (err = bpf_map__set_max_entries(c->skel->maps.sites, o->max_sites)) ||
	    (err = bpf_map__set_max_entries(c->skel->maps.stacks, o->max_sites)) ||
	    (err = bpf_map__set_max_entries(c->skel->maps.site_windows, o->max_site_windows)) ||
	    (o->max_inflight &&
	     (err = bpf_map__set_max_entries(c->skel->maps.inflight, o->max_inflight))) ||
	    (o->max_tstates &&
	     (err = bpf_map__set_max_entries(c->skel->maps.tstate_cache, o->max_tstates))) ||
	    (o->max_procs && ((err = bpf_map__set_max_entries(c->skel->maps.procs, o->max_procs)) ||
			      (err = bpf_map__set_max_entries(c->skel->maps.gc, o->max_procs)))))
		goto fail;
	err = alloc_bpf__load(c->skel);
	if (err)
		goto fail;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->rb) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	alloc_bpf__destroy(c->skel);
	c->skel = NULL;
	return err;
}

int capture_events_fd(const struct capture *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

uint32_t capture_events(struct capture *c)
{
	uint32_t ev;

	if (c->rb)
		ring_buffer__consume(c->rb);
	ev = c->events;
	c->events = 0;
	return ev;
}

static int add_link(struct link_set *ls, struct bpf_link *l)
{
	if (ls->n == ls->cap) {
		int n = ls->cap ? ls->cap * 2 : 16;
		struct bpf_link **p = realloc(ls->v, n * sizeof(*p));

		if (!p) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		ls->v = p;
		ls->cap = n;
	}
	ls->v[ls->n++] = l;
	return 0;
}

static void destroy_links(struct link_set *ls, bool release)
{
	for (int i = 0; i < ls->n; i++)
		bpf_link__destroy(ls->v[i]);
	ls->n = 0;
	if (release) {
		free(ls->v);
		ls->v = NULL;
		ls->cap = 0;
	}
}

/* uprobe() - attach prog at file offset off of path for pid only, into ls. */
static int uprobe(struct link_set *ls, struct bpf_program *prog, bool ret, int pid, const char *path,
		  uint64_t off, uint64_t cookie, const char *what)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret, .bpf_cookie = cookie);
	struct bpf_link *l;
	int err;

	l = bpf_program__attach_uprobe_opts(prog, pid, path, off, &opts);
	if (!l) {
		err = -errno;
		log_err("cannot attach %s to %s (%s+0x%" PRIx64 "): %s", ret ? "uretprobe" : "uprobe",
			what, path, off, strerror(-err));
		return err;
	}
	log_debug("attached %s %s at %s+0x%" PRIx64, ret ? "uretprobe" : "uprobe", what, path, off);
	return add_link(ls, l);
}

/* probe_function() - entry probe (and return probe for allocating kinds). */
static int probe_function(struct capture *c, int pid, const char *path, uint64_t off,
			  uint32_t kind, bool has_ctx, const char *what)
{
	uint64_t cookie = kind | (has_ctx ? PYLEAK_COOKIE_CTX : 0);
	/* realloc frees too: it stays with the frees while survivors are followed */
	struct link_set *ls = kind == PYLEAK_KIND_REALLOC ? &c->frees : &c->allocs;
	int err;

	if (kind == PYLEAK_KIND_FREE)
		err = uprobe(&c->frees, c->skel->progs.free_enter, false, pid, path, off, cookie,
			     what);
	else if (!(err = uprobe(ls, c->skel->progs.alloc_enter, false, pid, path, off, cookie,
				what)))
		err = uprobe(ls, c->skel->progs.alloc_return, true, pid, path, off, cookie, what);
	if (!err)
		c->nprobes++;
	return err;
}

static const char *const fn_names[AF_NFUNCS] = { "malloc", "calloc", "realloc", "free" };
static const uint32_t fn_kinds[AF_NFUNCS] = { PYLEAK_KIND_MALLOC, PYLEAK_KIND_CALLOC,
					      PYLEAK_KIND_REALLOC, PYLEAK_KIND_FREE };

/* attach_table() - probe the distinct functions of the OBJ and MEM tables. */
static int attach_table(struct capture *c, struct target *t, const struct alloc_info *ai)
{
	uint64_t done[2 * AF_NFUNCS];
	int ndone = 0, err;

	for (int d = 0; d < 2; d++) {
		const struct alloc_table *tb = &ai->t[d ? AT_MEM : AT_OBJ];

		for (int f = 0; f < AF_NFUNCS; f++) {
			const char *path;
			uint64_t off, addr = tb->fn[f];
			char what[64];
			bool dup = false;

			for (int i = 0; i < ndone; i++)
				dup |= done[i] == addr;
			if (dup)
				continue;
			done[ndone++] = addr;
			err = target_file_offset(t, addr, &path, &off);
			if (err) {
				log_err("the %s table's %s function 0x%" PRIx64 " is in no mapped file",
					d ? "MEM" : "OBJ", fn_names[f], addr);
				return err;
			}
			snprintf(what, sizeof(what), "%s table %s (0x%" PRIx64 ")", d ? "MEM" : "OBJ",
				 fn_names[f], addr);
			err = probe_function(c, t->pid, path, off, fn_kinds[f], true, what);
			if (err)
				return err;
		}
	}
	return 0;
}

/* attach_libc() - probe the C library's allocator entry points. */
static int attach_libc(struct capture *c, struct target *t)
{
	struct target_module *m;
	struct elf_file *ef;
	struct elf_sym sym;
	uint64_t off;
	int err;

	if (t->libc_mod < 0) {
		log_err("no C library mapped in pid %d (a static or musl-only binary?)", t->pid);
		return -ENOENT;
	}
	m = &t->mods[t->libc_mod];
	ef = target_module_elf(m);
	if (!ef)
		return -ENOENT;
	for (int f = 0; f < AF_NFUNCS; f++) {
		if (elf_find_symbol(ef, fn_names[f], &sym) || !sym.is_func ||
		    elf_vaddr_to_offset(ef, sym.addr, &off)) {
			log_err("%s has no %s function", m->path, fn_names[f]);
			return -ENOENT;
		}
		err = probe_function(c, t->pid, m->host_path, off, fn_kinds[f], false, fn_names[f]);
		if (err)
			return err;
	}
	return 0;
}

/* The collector function and the index of its generation argument, for
 * builds without USDT (CPython's Modules/gcmodule.c and Python/gc.c). */
static const struct {
	uint32_t minor;
	const char *func;
	uint64_t gen_arg;
} collectors[] = {
	{ 9, "collect", 2 },	      /* collect(tstate, generation, ...) */
	{ 10, "gc_collect_main", 2 }, /* gc_collect_main(tstate, generation, ...) */
	{ 11, "gc_collect_main", 2 },
	{ 12, "gc_collect_main", 2 },
};

static void attach_gc(struct capture *c, struct target *t)
{
	struct target_module *m = &t->mods[t->py_mod];
	uint32_t minor = (t->version_hex >> 16) & 0xff;
	struct elf_sym sym;
	struct bpf_link *l1, *l2;
	uint64_t off;

	if (elf_has_usdt(t->py_elf, "python", "gc__start")) {
		l1 = bpf_program__attach_usdt(c->skel->progs.gc_start_usdt, t->pid, m->host_path,
					      "python", "gc__start", NULL);
		l2 = l1 ? bpf_program__attach_usdt(c->skel->progs.gc_done_usdt, t->pid,
						   m->host_path, "python", "gc__done", NULL)
			: NULL;
		if (l1 && !add_link(&c->fixed, l1) && l2 && !add_link(&c->fixed, l2)) {
			c->gc_source = GC_SOURCE_USDT;
			return;
		}
		log_warn("cannot attach the python:gc__start USDT probe: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++) {
		if (collectors[i].minor != minor)
			continue;
		if (elf_find_symbol(t->py_elf, collectors[i].func, &sym) || !sym.is_func ||
		    elf_vaddr_to_offset(t->py_elf, sym.addr, &off))
			break;
		if (!uprobe(&c->fixed, c->skel->progs.gc_collect_enter, false, t->pid, m->host_path, off,
			    collectors[i].gen_arg, collectors[i].func))
			c->gc_source = GC_SOURCE_UPROBE;
		return;
	}
	log_debug("no GC probe for this build; GC counts come from the interpreter's statistics");
}

/* attach_finalize() - Py_FinalizeEx freezes the totals (include/pyleak.h). */
static int attach_finalize(struct capture *c, struct target *t)
{
	struct elf_sym sym;
	uint64_t off;

	if (elf_find_symbol(t->py_elf, "Py_FinalizeEx", &sym) || !sym.is_func ||
	    elf_vaddr_to_offset(t->py_elf, sym.addr, &off)) {
		log_warn("no Py_FinalizeEx in %s: the last report will show memory after "
			 "interpreter shutdown freed it", t->mods[t->py_mod].path);
		return 0;
	}
	return uprobe(&c->fixed, c->skel->progs.finalize_enter, false, t->pid,
		      t->mods[t->py_mod].host_path, off, 0, "Py_FinalizeEx");
}

int capture_register(struct capture *c, struct target *t, const struct py_layout *L, bool open,
		     bool gc_probes)
{
	struct pyleak_proc proc;
	uint32_t key = t->pid;
	struct bpf_link *l;
	int err;

	pyoffsets_proc(L, t->runtime_addr, &proc);
	proc.window = open ? 1 : 0;
	c->pid = t->pid;
	if (bpf_map__update_elem(c->skel->maps.procs, &key, sizeof(key), &proc, sizeof(proc),
				 BPF_ANY))
		return -errno;
	if (gc_probes)
		attach_gc(c, t);
	err = attach_finalize(c, t);
	if (err)
		return err;
	/* without it an exec is still noticed, within a second (main.c) */
	l = bpf_program__attach(c->skel->progs.process_exec);
	if (!l)
		log_debug("cannot attach the exec tracepoint: %s", strerror(errno));
	else if ((err = add_link(&c->fixed, l)))
		return err;
	/* without it a thread that dies inside an allocator call keeps its
	 * in-flight slot (alloc.bpf.c); every other slot is freed on return */
	l = bpf_program__attach(c->skel->progs.thread_exit);
	if (!l)
		log_debug("cannot attach the thread-exit tracepoint: %s", strerror(errno));
	else if ((err = add_link(&c->fixed, l)))
		return err;
	return 0;
}

/* attach_table_libc() - table functions, then the C library's. A table
 * function that calls into libc (pymalloc's large blocks, the raw domain)
 * nests, and the nesting counter in alloc.bpf.c counts it once. */
static int attach_table_libc(struct capture *c, struct target *t, const struct alloc_info *ai)
{
	int err = attach_table(c, t, ai);

	return err ? err : attach_libc(c, t);
}

int capture_probes_attach(struct capture *c, struct target *t, const struct alloc_info *ai,
			  enum capture_method m)
{
	c->method = m;
	c->nprobes = 0;
	switch (m) {
	case CAPTURE_LIBC:
		return attach_libc(c, t);
	case CAPTURE_TABLE_LIBC:
		return attach_table_libc(c, t, ai);
	default:
		return attach_table(c, t, ai);
	}
}

int capture_deallocs_attach(struct capture *c, struct target *t)
{
	struct elf_sym sym;
	uint64_t off;

	if (elf_find_symbol(t->py_elf, "PyObject_GC_UnTrack", &sym) || !sym.is_func ||
	    elf_vaddr_to_offset(t->py_elf, sym.addr, &off))
		return -ENOENT;
	return uprobe(&c->frees, c->skel->progs.gc_untrack_enter, false, t->pid,
		      t->mods[t->py_mod].host_path, off, 0, "PyObject_GC_UnTrack");
}

void capture_probes_detach(struct capture *c, bool keep_frees)
{
	destroy_links(&c->allocs, false);
	if (!keep_frees)
		destroy_links(&c->frees, false);
}

int capture_attach(struct capture *c, struct target *t, const struct py_layout *L,
		   const struct alloc_info *ai, enum capture_method m)
{
	int err = capture_register(c, t, L, true, true);

	return err ? err : capture_probes_attach(c, t, ai, m);
}

int capture_window_set(struct capture *c, uint32_t window, uint32_t limits, int64_t alloc_budget,
		       int64_t free_budget)
{
	struct pyleak_proc proc;
	uint32_t key = c->pid;
	int fd = bpf_map__fd(c->skel->maps.procs);

	/* read-modify-write: finalizing is BPF's to set */
	if (bpf_map_lookup_elem(fd, &key, &proc))
		return -errno;
	proc.window = window;
	proc.limits = limits;
	proc.alloc_budget = alloc_budget;
	proc.free_budget = free_budget;
	if (bpf_map_update_elem(fd, &key, &proc, BPF_EXIST))
		return -errno;
	return 0;
}

void capture_detach(struct capture *c)
{
	destroy_links(&c->allocs, false);
	destroy_links(&c->frees, false);
	destroy_links(&c->fixed, false);
}

void capture_close(struct capture *c)
{
	destroy_links(&c->allocs, true);
	destroy_links(&c->frees, true);
	destroy_links(&c->fixed, true);
	ring_buffer__free(c->rb);
	c->rb = NULL;
	alloc_bpf__destroy(c->skel);
	c->skel = NULL;
}
