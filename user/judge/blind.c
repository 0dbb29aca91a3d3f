// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* blind.c: see blind.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "blind.h"
#include "elfsym.h"
#include "gcstats.h"
#include "log.h"
#include "procmem.h"
#include "target.h"

#define MIB (1024.0 * 1024.0)

uint64_t blind_gc_objects(const struct gc_snapshot *a, const struct gc_snapshot *b)
{
	uint64_t d = b->collections[0] - a->collections[0];

	return d * (uint64_t)(b->threshold[0] > 0 ? b->threshold[0] : 0) +
	       (b->count[0] > a->count[0] && !d ? (uint64_t)(b->count[0] - a->count[0]) : 0);
}

/* too_few_hits() - objects' worth of evidence that the probes missed. */
static bool too_few_hits(uint64_t hits, uint64_t allocations)
{
	return allocations >= BLIND_MIN_OBJECTS && hits * BLIND_RATIO < allocations;
}

bool blind_judge(const struct blind_evidence *e, struct blind_verdict *v)
{
	uint64_t grown;

	memset(v, 0, sizeof(*v));
	if (e->gc_known && too_few_hits(e->alloc_hits, e->gc_objects)) {
		v->reason = BLIND_GC;
		v->evidence = e->gc_objects;
		return true;
	}
	if (e->blocks_known && e->blocks > 0 && too_few_hits(e->alloc_hits, (uint64_t)e->blocks)) {
		v->reason = BLIND_BLOCKS;
		v->evidence = (uint64_t)e->blocks;
		return true;
	}
	if (!e->anon_known || e->anon_growth <= 0)
		return false;
	/* resident growth must have been mapped by faults: a figure both agree on */
	grown = (uint64_t)e->anon_growth;
	if (e->faults_known && e->fault_bytes < grown)
		grown = e->fault_bytes;
	if (grown >= BLIND_MIN_GROWTH &&
	    e->alloc_hits * (e->small_unseen ? BLIND_BYTES_PER_HIT : BLIND_BYTES_PER_HIT_ANY) <
		    grown &&
	    (e->tracked_bytes <= 0 || (uint64_t)e->tracked_bytes * BLIND_RATIO < grown)) {
		v->reason = BLIND_MEMORY;
		v->evidence = grown;
		return true;
	}
	return false;
}

void blind_message(const struct blind_verdict *v, const struct blind_evidence *e,
		   const char *capture, bool inlined, char *buf, size_t len)
{
	const char *way_out =
		inlined ? "This build inlines pymalloc's fast path (LTO): use --switch-allocator, "
			  "or start the program under pyleak-bpf -- COMMAND (PYTHONMALLOC=malloc)"
			: "The allocator in use is not the one probed; use --switch-allocator or "
			  "run it under pyleak-bpf -- COMMAND";
	char what[160];

	switch (v->reason) {
	case BLIND_GC:
		snprintf(what, sizeof(what), "at least %" PRIu64 " object allocations counted by "
			 "the garbage collector", v->evidence);
		break;
	case BLIND_BLOCKS:
		snprintf(what, sizeof(what), "%" PRIu64 " more blocks allocated by the interpreter",
			 v->evidence);
		break;
	default:
		snprintf(what, sizeof(what), "anonymous memory grown by %.1f MiB", v->evidence / MIB);
		break;
	}
	snprintf(buf, len,
		 "probes are blind: %" PRIu64 " allocator hits for %s in %.1fs (%s). No ranking "
		 "is shown. %s", e->alloc_hits, what, e->elapsed_s, capture, way_out);
}

int blind_parse_minflt(const char *stat, uint64_t *minflt)
{
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt: comm may
	 * hold spaces and parentheses, so count from its last ')' */
	const char *p = strrchr(stat, ')');
	unsigned long long v;

	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu", &v) != 1)
		return -EINVAL;
	*minflt = v;
	return 0;
}

/* read_minflt() - pid's minor faults so far. Returns 0 or -errno. */
static int read_minflt(pid_t pid, uint64_t *minflt)
{
	char path[64], line[1024];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = fgets(line, sizeof(line), f) ? blind_parse_minflt(line, minflt) : -EIO;
	fclose(f);
	return err;
}

/* blocks_addr() - &_Py_AllocatedBlocks in t (3.8-3.11 with a symbol table),
 * placed through _PyRuntime's known address; 0 if unknown. */
static uint64_t blocks_addr(const struct target *t)
{
	struct elf_sym rt, blocks;

	if (!t->py_elf || !t->runtime_addr || elf_find_symbol(t->py_elf, "_PyRuntime", &rt) ||
	    elf_find_symbol(t->py_elf, "_Py_AllocatedBlocks", &blocks) || blocks.is_func ||
	    blocks.size != sizeof(int64_t))
		return 0;
	return t->runtime_addr - rt.addr + blocks.addr;
}

void blind_watch_init(struct blind_watch *w, const struct target *t, bool anon_ok, uint64_t anon,
		      double now)
{
	memset(w, 0, sizeof(*w));
	w->pid = t->pid;
	w->t0 = now;
	w->anon_ok = anon_ok;
	w->anon0 = anon;
	w->faults_ok = !read_minflt(t->pid, &w->faults0);
	w->blocks_addr = blocks_addr(t);
	w->blocks_ok = w->blocks_addr && !pm_read(t->pid, w->blocks_addr, &w->blocks0,
						  sizeof(w->blocks0));
	if (w->blocks_ok)
		log_debug("allocated blocks at attach: %" PRId64, w->blocks0);
}

void blind_watch_sample(const struct blind_watch *w, bool anon_ok, uint64_t anon, double now,
			struct blind_evidence *e)
{
	uint64_t faults;
	int64_t blocks;
	long page = sysconf(_SC_PAGESIZE);

	e->elapsed_s = now - w->t0;
	e->anon_known = w->anon_ok && anon_ok;
	e->anon_growth = e->anon_known ? (int64_t)(anon - w->anon0) : 0;
	e->faults_known = w->faults_ok && !read_minflt(w->pid, &faults) && faults >= w->faults0;
	e->fault_bytes = e->faults_known ? (faults - w->faults0) * (uint64_t)(page > 0 ? page : 4096)
					 : 0;
	e->blocks_known = w->blocks_ok && !pm_read(w->pid, w->blocks_addr, &blocks, sizeof(blocks));
	e->blocks = e->blocks_known ? blocks - w->blocks0 : 0;
}
