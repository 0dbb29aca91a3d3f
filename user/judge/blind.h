/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * blind.h: are the allocator probes blind? An LTO build that inlines
 * pymalloc's fast path into its callers, or an allocator nobody probes,
 * leaves the probes seeing next to nothing while the program allocates; a
 * ranking made from them would be wrong, not just incomplete (alloc mode
 * shows none and exits 10 instead).
 *
 * Blindness is judged from every independent evidence of allocation, not
 * from one: the garbage collector's generation-0 collections (container
 * objects only; bytes, str and other untracked objects never move them),
 * the interpreter's allocated-block count where it can be read (a symbol in
 * 3.8-3.11 builds with a symbol table), and the process's memory: resident
 * anonymous memory gained since attach, corroborated by the page faults
 * that mapped it. Any one of them can convict; none can acquit another.
 *
 * blind_judge() is a pure function of the evidence (tests drive it with any
 * figures); blind_watch_*() gathers the evidence of a live target.
 */
#ifndef PYLEAK_BLIND_H
#define PYLEAK_BLIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gc_snapshot;
struct target;

/* Object evidence: at least this many allocations, and the probes saw fewer
 * than 1/BLIND_RATIO of them. */
#define BLIND_MIN_OBJECTS 2000
#define BLIND_RATIO 20
/* Memory evidence: at least this much anonymous memory gained, fewer probe
 * hits than one per BLIND_BYTES_PER_HIT of it, and the probes' outstanding
 * bytes under 1/BLIND_RATIO of it (a few huge blocks seen are not blindness).
 * Where small blocks are not known to bypass the probes, growth may be
 * native memory they were never meant to see (an array library's buffers
 * beside a few Python objects): then only next to no hits convict, fewer
 * than one per BLIND_BYTES_PER_HIT_ANY. */
#define BLIND_MIN_GROWTH (8ull << 20)
#define BLIND_BYTES_PER_HIT (64ull << 10)
#define BLIND_BYTES_PER_HIT_ANY (16ull << 20)

/* What is known since attach; a figure that could not be read is unknown
 * (its *_known flag false) and convicts nothing. */
struct blind_evidence {
	double elapsed_s;
	uint64_t alloc_hits;	/* allocator entry probe hits */
	bool small_unseen;	/* small blocks bypass the probed functions (the
				 * build inlines pymalloc, its table is probed) */
	int64_t tracked_bytes;	/* bytes the probes hold outstanding now */
	bool gc_known;
	uint64_t gc_objects;	/* container allocations the GC certainly counted */
	bool blocks_known;
	int64_t blocks;		/* growth of the interpreter's allocated-block count */
	bool anon_known;
	int64_t anon_growth;	/* resident anonymous bytes gained */
	bool faults_known;
	uint64_t fault_bytes;	/* minor faults x page size: memory newly mapped */
};

enum blind_reason {
	BLIND_NO = 0,
	BLIND_GC,     /* fewer hits than the GC's evidence of objects */
	BLIND_BLOCKS, /* fewer hits than the interpreter's new blocks */
	BLIND_MEMORY, /* memory grew without allocations seen */
};

struct blind_verdict {
	enum blind_reason reason;
	uint64_t evidence; /* allocations (GC, BLOCKS) or bytes (MEMORY) */
};

/* blind_judge() - the verdict on evidence e, in *v. Returns true if blind.
 * The first rule that convicts gives the reason: objects the GC counted,
 * then allocated blocks, then memory growth (anonymous growth, no more than
 * the bytes page faults mapped when those are known). */
bool blind_judge(const struct blind_evidence *e, struct blind_verdict *v);

/* blind_message() - one sentence for users: what the probes saw against
 * what evidence, over how long, with which capture (capture), and the way
 * out (inlined: the build inlines pymalloc). Writes at most len bytes. */
void blind_message(const struct blind_verdict *v, const struct blind_evidence *e,
		   const char *capture, bool inlined, char *buf, size_t len);

/* blind_gc_objects() - container allocations the GC has certainly counted
 * between snapshots a and b: each generation-0 collection follows
 * threshold[0] of them, plus gen 0's count growth when none ran. */
uint64_t blind_gc_objects(const struct gc_snapshot *a, const struct gc_snapshot *b);

/* Baselines of a live target, taken at attach. */
struct blind_watch {
	pid_t pid;
	double t0;
	bool anon_ok, faults_ok, blocks_ok;
	uint64_t anon0, faults0;
	uint64_t blocks_addr; /* &_Py_AllocatedBlocks in the target, 0 if unknown */
	int64_t blocks0;
};

/* blind_watch_init() - baselines of t now: anon (resident anonymous bytes,
 * anon_ok false if unknown), its minor faults, and its allocated-block count
 * when its interpreter has a symbol for it. */
void blind_watch_init(struct blind_watch *w, const struct target *t, bool anon_ok, uint64_t anon,
		      double now);

/* blind_watch_sample() - fill e's elapsed time and process evidence since
 * the baselines (anon: resident anonymous bytes now, if anon_ok); hits,
 * tracked bytes and GC figures are the caller's. */
void blind_watch_sample(const struct blind_watch *w, bool anon_ok, uint64_t anon, double now,
			struct blind_evidence *e);

/* blind_parse_minflt() - the minflt field of a /proc/PID/stat line. Returns
 * 0 or -EINVAL. Exposed for tests. */
int blind_parse_minflt(const char *stat, uint64_t *minflt);

#endif /* PYLEAK_BLIND_H */
