// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_pprof.c: the --pprof exporter. The report's sites become a pprof
 * profile (proto/profile.proto, the format of `go tool pprof`, Google Cloud
 * Profiler, Pyroscope, Parca), gzip-compressed as the format requires.
 * Encoding is protobuf-c's, from C generated off the real profile.proto;
 * compression is zlib's.
 *
 * The profile:
 *   sample types  live_objects/count, live_space/bytes (the default), and in
 *                 growth mode growth_per_minute/bytes;
 *   one sample per site, its locations leaf first: the native caller of the
 *                 allocator (when known), then each Python frame from the
 *                 innermost out;
 *   one location per distinct (function, line), with one Line; one function
 *                 per distinct (name, file, first line);
 *   labels        pid (numeric) and site_id (the report's 16 hex digits),
 *                 then the process's known container labels (identity.h:
 *                 container_id, pod_uid, namespace, pod, container, qos,
 *                 runtime, unit) as string labels on every sample.
 * One mapping (the process, by comm) says all is symbolised already.
 * Strings are made valid UTF-8 with control characters replaced, as in
 * every export (textsafe.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "report.h"
#include "textsafe.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* pid, site_id, and the container labels */
#define NLABELS (2 + IDENTITY_NLABELS)
#define MAX_TYPES 3

/* An open-addressing index: slot -> 1 + position in the indexed array, 0
 * empty. Sized once for the most entries the profile can have. */
struct index {
	uint32_t *slot;
	size_t mask;
};

/* Everything one profile is built from; freed at once by pp_free(). */
struct pp {
	char **str;	     /* string table; str[0] is "" as the format requires */
	size_t nstr;
	struct index str_ix;
	Function *fn;
	Function **fnp;
	size_t nfn;
	struct index fn_ix;
	Location *loc;
	Location **locp;
	Line *line;
	Line **linep;
	size_t nloc;
	struct index loc_ix;
	Sample *smp;
	Sample **smpp;
	uint64_t *loc_ids;   /* every sample's location ids, back to back */
	int64_t *values;
	Label *lbl;
	Label **lblp;
	size_t nsmp;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static int index_init(struct index *ix, size_t most)
{
	size_t cap = 16;

	while (cap < 2 * most)
		cap <<= 1;
	ix->slot = calloc(cap, sizeof(*ix->slot));
	ix->mask = cap - 1;
	return ix->slot ? 0 : -ENOMEM;
}

/* index_find() - the slot of the entry with hash h for which eq() holds, or
 * the empty slot where it belongs. */
static uint32_t *index_find(struct index *ix, uint64_t h, bool (*eq)(struct pp *, size_t, const void *),
			    struct pp *pp, const void *key)
{
	for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask)
		if (!ix->slot[i] || eq(pp, ix->slot[i] - 1, key))
			return &ix->slot[i];
}

static bool str_eq(struct pp *pp, size_t i, const void *key)
{
	return !strcmp(pp->str[i], key);
}

/* intern() - the string table index of s (NULL: ""), made safe first.
 * Returns -ENOMEM on failure. */
static int64_t intern(struct pp *pp, const char *s)
{
	size_t cap = 3 * strlen(s ? s : "") + 4; /* each byte may become U+FFFD */
	char *clean = malloc(cap);
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t *slot;

	if (!clean)
		return -ENOMEM;
	utf8_clean(clean, cap, s, 0);
	for (const char *p = clean; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	slot = index_find(&pp->str_ix, h, str_eq, pp, clean);
	if (*slot) {
		free(clean);
		return *slot - 1;
	}
	pp->str[pp->nstr] = clean;
	*slot = (uint32_t)++pp->nstr;
	return (int64_t)pp->nstr - 1;
}

static bool fn_eq(struct pp *pp, size_t i, const void *key)
{
	const Function *a = &pp->fn[i], *b = key;

	return a->name == b->name && a->filename == b->filename && a->start_line == b->start_line;
}

static bool loc_eq(struct pp *pp, size_t i, const void *key)
{
	const Line *a = &pp->line[i], *b = key;

	return a->function_id == b->function_id && a->line == b->line;
}

/* location() - the id of the location of function (name, file, start) at
 * line, created on first use. Returns 0 on failure (no location has id 0). */
static uint64_t location(struct pp *pp, const char *name, const char *file, int start, int line)
{
	Function key = PERFTOOLS__PROFILES__FUNCTION__INIT;
	Line lkey = PERFTOOLS__PROFILES__LINE__INIT;
	uint32_t *slot;

	/* system_name stays "": pprof "simplifies" a name equal to its
	 * system_name that looks like C++, removing "<...>" and would show
	 * Python's <module>, <lambda>, <listcomp> as "" */
	key.name = intern(pp, name);
	key.filename = intern(pp, file);
	key.start_line = start > 0 ? start : 0;
	if (key.name < 0 || key.filename < 0)
		return 0;
	slot = index_find(&pp->fn_ix, mix(mix(key.name, key.filename), key.start_line), fn_eq, pp, &key);
	if (!*slot) {
		key.id = pp->nfn + 1;
		pp->fn[pp->nfn] = key;
		pp->fnp[pp->nfn] = &pp->fn[pp->nfn];
		*slot = (uint32_t)++pp->nfn;
	}
	lkey.function_id = *slot; /* function ids are 1 + position */
	lkey.line = line > 0 ? line : 0;
	slot = index_find(&pp->loc_ix, mix(lkey.function_id, lkey.line), loc_eq, pp, &lkey);
	if (!*slot) {
		Location l = PERFTOOLS__PROFILES__LOCATION__INIT;
		size_t i = pp->nloc;

		pp->line[i] = lkey;
		pp->linep[i] = &pp->line[i];
		l.id = i + 1;
		l.mapping_id = 1;
		l.n_line = 1;
		l.line = &pp->linep[i];
		pp->loc[i] = l;
		pp->locp[i] = &pp->loc[i];
		*slot = (uint32_t)++pp->nloc;
	}
	return *slot;
}

static void pp_free(struct pp *pp)
{
	for (size_t i = 0; i < pp->nstr; i++)
		free(pp->str[i]);
	free(pp->str);
	free(pp->str_ix.slot);
	free(pp->fn);
	free(pp->fnp);
	free(pp->fn_ix.slot);
	free(pp->loc);
	free(pp->locp);
	free(pp->line);
	free(pp->linep);
	free(pp->loc_ix.slot);
	free(pp->smp);
	free(pp->smpp);
	free(pp->loc_ids);
	free(pp->values);
	free(pp->lbl);
	free(pp->lblp);
}

/* pp_alloc() - room for the most a report can need: a location and a
 * function (and two strings) per frame and native caller, a sample, a
 * site_id string and the labels per site, and a few fixed strings. */
static int pp_alloc(struct pp *pp, const struct report *r)
{
	size_t nframes = 0, nsites = r->nsites > 0 ? (size_t)r->nsites : 0, nstr;

	for (size_t i = 0; i < nsites; i++)
		nframes += (r->sites[i].nframes > 0 ? r->sites[i].nframes : 0) + 1;
	nstr = 2 * nframes + nsites + 16 + 2 * IDENTITY_NLABELS;
#define ALLOC(p, n) (((p) = calloc((n) + 1, sizeof(*(p)))) != NULL)
	if (!ALLOC(pp->str, nstr) || !ALLOC(pp->fn, nframes) || !ALLOC(pp->fnp, nframes) ||
	    !ALLOC(pp->loc, nframes) || !ALLOC(pp->locp, nframes) || !ALLOC(pp->line, nframes) ||
	    !ALLOC(pp->linep, nframes) || !ALLOC(pp->smp, nsites) || !ALLOC(pp->smpp, nsites) ||
	    !ALLOC(pp->loc_ids, nframes) || !ALLOC(pp->values, nsites * MAX_TYPES) ||
	    !ALLOC(pp->lbl, nsites * NLABELS) || !ALLOC(pp->lblp, nsites * NLABELS))
		return -ENOMEM;
#undef ALLOC
	if (index_init(&pp->str_ix, nstr) || index_init(&pp->fn_ix, nframes) ||
	    index_init(&pp->loc_ix, nframes))
		return -ENOMEM;
	return intern(pp, "") == 0 ? 0 : -ENOMEM;
}

/* add_sample() - site s as one sample with ntypes values. */
/* The labels every sample carries beside its site_id: interned once. */
struct proc_labels {
	int64_t pid_key, pid, site_key;
	int n;			/* container labels */
	int64_t key[IDENTITY_NLABELS], value[IDENTITY_NLABELS];
};

static int add_sample(struct pp *pp, const struct report_site *s, int ntypes,
		      const struct proc_labels *pl, uint64_t **ids)
{
	Sample *sm = &pp->smp[pp->nsmp];
	Label *lb = &pp->lbl[pp->nsmp * NLABELS];
	Label l0 = PERFTOOLS__PROFILES__LABEL__INIT;
	char hex[17];
	int64_t *v = &pp->values[pp->nsmp * MAX_TYPES];
	uint64_t id;

	*sm = (Sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
	sm->location_id = *ids;
	if (s->native_caller) {
		/* "[native]" as its file: `go tool pprof -hide '\[native\]'`
		 * gives the Python-only view */
		id = location(pp, s->native_caller, "[native]", 0, 0);
		if (!id)
			return -ENOMEM;
		sm->location_id[sm->n_location_id++] = id;
	}
	for (int k = 0; k < s->nframes; k++) {
		const struct report_frame *fr = &s->frames[k];

		id = location(pp, fr->func, fr->file, fr->first_line, fr->line);
		if (!id)
			return -ENOMEM;
		sm->location_id[sm->n_location_id++] = id;
	}
	*ids += sm->n_location_id;
	v[0] = s->count;
	v[1] = s->bytes;
	if (ntypes > 2) /* a rate that is not a number counts as unknown: 0 */
		v[2] = isfinite(s->rate_bps) ? (int64_t)(s->rate_bps * 60) : 0;
	sm->n_value = ntypes;
	sm->value = v;
	snprintf(hex, sizeof(hex), "%016" PRIx64, s->id);
	lb[0] = l0;
	lb[0].key = pl->pid_key;
	lb[0].num = pl->pid;
	lb[1] = l0;
	lb[1].key = pl->site_key;
	lb[1].str = intern(pp, hex);
	if (lb[1].str < 0)
		return -ENOMEM;
	for (int i = 0; i < pl->n; i++) {
		lb[2 + i] = l0;
		lb[2 + i].key = pl->key[i];
		lb[2 + i].str = pl->value[i];
	}
	for (int i = 0; i < 2 + pl->n; i++)
		pp->lblp[pp->nsmp * NLABELS + i] = &lb[i];
	sm->n_label = 2 + pl->n;
	sm->label = &pp->lblp[pp->nsmp * NLABELS];
	pp->smpp[pp->nsmp++] = sm;
	return 0;
}

/* gzip_out() - buf gzip-compressed to f. */
static int gzip_out(FILE *f, const uint8_t *buf, size_t len)
{
	z_stream z = { 0 };
	uint8_t *out;
	size_t cap;
	int err = 0;

	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)buf;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		err = -EIO;
	else if (fwrite(out, 1, z.total_out, f) != z.total_out)
		err = -EIO;
	deflateEnd(&z);
	free(out);
	return err;
}

int out_pprof_write(FILE *f, const struct report *r)
{
	Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	ValueType vt[MAX_TYPES], *vtp[MAX_TYPES];
	/* one mapping for all locations, saying they are symbolised already
	 * (pprof would otherwise look for binaries to symbolise them) */
	Perftools__Profiles__Mapping mapping = PERFTOOLS__PROFILES__MAPPING__INIT, *mappingp = &mapping;
	static const char *const types[MAX_TYPES][2] = {
		{ "live_objects", "count" }, { "live_space", "bytes" }, { "growth_per_minute", "bytes" },
	};
	int ntypes = r->h.growth ? 3 : 2;
	struct pp pp = { 0 };
	struct proc_labels pl = { .pid = r->h.pid };
	const char *lnames[IDENTITY_NLABELS], *lvalues[IDENTITY_NLABELS];
	int64_t comment;
	uint64_t *ids;
	char note[512];
	uint8_t *buf = NULL;
	size_t len;
	int err;

	mapping.id = 1;
	mapping.has_functions = mapping.has_filenames = mapping.has_line_numbers = true;
	err = pp_alloc(&pp, r);
	if (err)
		goto out;
	err = -ENOMEM;
	for (int i = 0; i < ntypes; i++) {
		vt[i] = (ValueType)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
		vt[i].type = intern(&pp, types[i][0]);
		vt[i].unit = intern(&pp, types[i][1]);
		if (vt[i].type < 0 || vt[i].unit < 0)
			goto out;
		vtp[i] = &vt[i];
	}
	snprintf(note, sizeof(note), "pyleak-bpf %s: pid %d (%s), Python %s (%s), %s mode, capture: %s",
		 r->h.version ? r->h.version : "?", r->h.pid, r->h.comm ? r->h.comm : "?",
		 r->h.python_version ? r->h.python_version : "?", r->h.build ? r->h.build : "?",
		 r->h.mode ? r->h.mode : "?", r->h.capture ? r->h.capture : "?");
	if (r->h.oom) /* evidence at OOM: the profile of a process the kernel killed */
		snprintf(note + strlen(note), sizeof(note) - strlen(note), "; oom_killed (%s)",
			 r->h.oom->source ? r->h.oom->source : "?");
	pl.pid_key = intern(&pp, "pid");
	pl.site_key = intern(&pp, "site_id");
	comment = intern(&pp, note);
	mapping.filename = intern(&pp, r->h.comm ? r->h.comm : "python");
	if (pl.pid_key < 0 || pl.site_key < 0 || comment < 0 || mapping.filename < 0)
		goto out;
	if (r->h.identity)
		pl.n = identity_labels(r->h.identity, lnames, lvalues, IDENTITY_NLABELS);
	for (int i = 0; i < pl.n; i++) {
		pl.key[i] = intern(&pp, lnames[i]);
		pl.value[i] = intern(&pp, lvalues[i]);
		if (pl.key[i] < 0 || pl.value[i] < 0)
			goto out;
	}
	ids = pp.loc_ids;
	for (int i = 0; i < r->nsites; i++) {
		err = add_sample(&pp, &r->sites[i], ntypes, &pl, &ids);
		if (err)
			goto out;
	}
	p.n_sample_type = ntypes;
	p.sample_type = vtp;
	p.default_sample_type = vt[1].type;
	p.n_sample = pp.nsmp;
	p.sample = pp.smpp;
	p.n_location = pp.nloc;
	p.location = pp.locp;
	p.n_function = pp.nfn;
	p.function = pp.fnp;
	p.n_string_table = pp.nstr;
	p.string_table = pp.str;
	p.n_mapping = 1;
	p.mapping = &mappingp;
	p.n_comment = 1;
	p.comment = &comment;
	/* whole seconds apart: a double has no nanoseconds left at 1.8e18 */
	p.time_nanos = (int64_t)r->h.unix_time * 1000000000LL +
		       (int64_t)((r->h.unix_time - (int64_t)r->h.unix_time) * 1e9 + 0.5);
	p.duration_nanos = (int64_t)(r->h.elapsed_s * 1e9);
	len = perftools__profiles__profile__get_packed_size(&p);
	buf = malloc(len ? len : 1);
	err = -ENOMEM;
	if (!buf)
		goto out;
	perftools__profiles__profile__pack(&p, buf);
	err = gzip_out(f, buf, len);
out:
	free(buf);
	pp_free(&pp);
	return err;
}
