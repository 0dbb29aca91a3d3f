// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* incidents.c: see incidents.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "incidents.h"
#include "sites.h"

/* One incident, active or resolved by the last update. */
struct incident {
	struct report_incident r;  /* what the report shows; members point into ids */
	char *file, *func;	   /* r.head's strings, owned */
	uint64_t *ids, *prev;	   /* members now, and at the previous update */
	size_t nids, capids, nprev, capprev;
	bool active;
};

struct incidents {
	struct incident_paths p;
	char *stdlib[INCIDENT_MAX_STDLIB];
	struct incident *v;
	size_t n, cap;
	struct report_incident *list; /* incidents_list()'s view */
	size_t caplist;
	uint64_t raised;
	uint32_t active;
};

/* The interpreter's own entry frames: never what a leak is blamed on. */
static const char *const entry_files[] = {
	"runpy.py", "threading.py", "site.py", "<frozen runpy>", "<frozen site>",
	"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>",
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* below() - is path inside directory dir (no trailing slash needed)? */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n > 0 && !strncmp(path, dir, n) && path[n] == '/';
}

/* versioned_lib_dir() - does path hold a ".../lib/pythonX.Y/" (or lib64)
 * directory of the target's version (any 3.x when minor is 0)? */
static bool versioned_lib_dir(const struct incident_paths *p, const char *path)
{
	for (const char *s = strstr(path, "/lib"); s; s = strstr(s + 1, "/lib")) {
		const char *q = s + 4;
		unsigned major, minor;
		int used = 0;

		if (!strncmp(q, "64", 2))
			q += 2;
		if (strncmp(q, "/python", 7))
			continue;
		if (sscanf(q + 7, "%u.%u/%n", &major, &minor, &used) != 2 || !used)
			continue;
		if (!p->py_major || ((int)major == p->py_major &&
				     (!p->py_minor || (int)minor == p->py_minor)))
			return true;
	}
	return false;
}

int incident_stdlib_of(const char *interp, int major, int minor, char *buf, size_t len)
{
	char dir[4096];
	char *s;
	int n;

	if (!interp || snprintf(dir, sizeof(dir), "%s", interp) >= (int)sizeof(dir))
		return -ENOENT;
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return -ENOENT;
	*s = 0; /* the file's directory */
	s = strrchr(dir, '/');
	if (!s)
		return -ENOENT;
	if (!strcmp(s, "/bin")) {
		*s = 0; /* PREFIX */
	} else if (!strcmp(s, "/lib")) {
		*s = 0;
	} else if (strstr(s, "-linux-gnu") && s > dir) {
		*s = 0; /* PREFIX/lib */
		s = strrchr(dir, '/');
		if (!s || strcmp(s, "/lib"))
			return -ENOENT;
		*s = 0;
	} else {
		return -ENOENT;
	}
	n = snprintf(buf, len, "%s/lib/python%d.%d", dir, major, minor);
	return n > 0 && (size_t)n < len ? 0 : -ENOENT;
}

bool incident_frame_is_library(const struct incident_paths *p, const char *file)
{
	if (!file || !*file)
		return false;
	if (!strncmp(file, "<frozen ", 8))
		return true;
	if (file[0] == '<')
		return false; /* <string>, <stdin>: the application's own */
	if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/"))
		return true;
	for (int i = 0; i < p->nstdlib && i < INCIDENT_MAX_STDLIB; i++)
		if (p->stdlib[i] && below(file, p->stdlib[i]))
			return true;
	return versioned_lib_dir(p, file);
}

static bool is_entry_frame(const struct incident_paths *p, const char *file)
{
	const char *b;

	if (!file || !incident_frame_is_library(p, file))
		return false;
	b = file[0] == '<' ? file : base_name(file);
	for (size_t i = 0; i < sizeof(entry_files) / sizeof(entry_files[0]); i++)
		if (!strcmp(b, entry_files[i]))
			return true;
	return false;
}

int incident_head(const struct incident_paths *p, const struct report_frame *fr, int n,
		  bool *in_library)
{
	int i;

	*in_library = false;
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!incident_frame_is_library(p, fr[i].file))
			return i;
	/* library all the way out: the outermost call that is not the
	 * interpreter starting a module or a thread */
	*in_library = true;
	for (i = n - 1; i > 0; i--)
		if (!is_entry_frame(p, fr[i].file))
			break;
	return i;
}

struct incidents *incidents_new(const struct incident_paths *p)
{
	struct incidents *inc = calloc(1, sizeof(*inc));

	if (!inc)
		return NULL;
	inc->p = *p;
	inc->p.nstdlib = 0;
	for (int i = 0; i < p->nstdlib && i < INCIDENT_MAX_STDLIB; i++) {
		if (!p->stdlib[i])
			continue;
		inc->stdlib[inc->p.nstdlib] = strdup(p->stdlib[i]);
		if (!inc->stdlib[inc->p.nstdlib]) {
			incidents_free(inc);
			return NULL;
		}
		inc->p.stdlib[inc->p.nstdlib] = inc->stdlib[inc->p.nstdlib];
		inc->p.nstdlib++;
	}
	return inc;
}

static void incident_clear(struct incident *x)
{
	free(x->file);
	free(x->func);
	free(x->ids);
	free(x->prev);
}

void incidents_free(struct incidents *inc)
{
	if (!inc)
		return;
	for (size_t i = 0; i < inc->n; i++)
		incident_clear(&inc->v[i]);
	for (int i = 0; i < INCIDENT_MAX_STDLIB; i++)
		free(inc->stdlib[i]);
	free(inc->v);
	free(inc->list);
	free(inc);
}

static struct incident *find(struct incidents *inc, uint64_t id)
{
	for (size_t i = 0; i < inc->n; i++)
		if (inc->v[i].r.id == id)
			return &inc->v[i];
	return NULL;
}

static bool has_id(const uint64_t *v, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* add_incident() - a new, empty incident headed by fr; NULL on ENOMEM. */
static struct incident *add_incident(struct incidents *inc, uint64_t id,
				     const struct report_frame *fr, bool in_library, double now)
{
	struct incident *x;

	x = array_room(inc->v, &inc->cap, inc->n, sizeof(*inc->v), 8);
	if (!x)
		return NULL;
	inc->v = x;
	x = &inc->v[inc->n];
	memset(x, 0, sizeof(*x));
	x->file = fr->file ? strdup(fr->file) : NULL;
	x->func = fr->func ? strdup(fr->func) : NULL;
	if ((fr->file && !x->file) || (fr->func && !x->func)) {
		incident_clear(x);
		return NULL;
	}
	inc->n++;
	x->r.id = id;
	x->r.head.file = x->file;
	x->r.head.func = x->func;
	x->r.head.line = fr->line;
	x->r.head_in_library = in_library;
	x->r.since_s = now;
	return x;
}

/* by_rate() - active incidents by summed rate, then bytes; resolved last. */
static int by_rate(const void *a, const void *b)
{
	const struct report_incident *x = a, *y = b;
	bool ax = x->state[0] == 'l', ay = y->state[0] == 'l';

	if (ax != ay)
		return ax ? -1 : 1;
	if (x->rate_bps != y->rate_bps)
		return x->rate_bps > y->rate_bps ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int incidents_update(struct incidents *inc, const struct site_alert *m, int n,
		     double now)
{
	size_t keep = 0;

	/* drop what the previous update resolved; the rest starts empty */
	for (size_t i = 0; i < inc->n; i++) {
		struct incident *x = &inc->v[i];

		if (!x->active) {
			incident_clear(x);
			continue;
		}
		if (keep != i)
			inc->v[keep] = *x;
		x = &inc->v[keep++];
		/* members of the previous update become prev */
		uint64_t *t = x->prev;
		size_t tc = x->capprev;

		x->prev = x->ids;
		x->capprev = x->capids;
		x->nprev = x->nids;
		x->ids = t;
		x->capids = tc;
		x->nids = 0;
		x->r.rate_bps = 0;
		x->r.bytes = 0;
	}
	inc->n = keep;

	for (int i = 0; i < n; i++) {
		bool lib;
		int h = incident_head(&inc->p, m[i].frames, m[i].nframes, &lib);
		/* site_id_of() hashes strings: a stack without frames gets these */
		struct report_frame none = { .file = "", .func = "<no Python frame>", .line = -1 };
		const struct report_frame *head = h >= 0 ? &m[i].frames[h] : &none;
		uint64_t id = site_id_of(head, 1);
		struct incident *x = find(inc, id);

		if (!x) {
			x = add_incident(inc, id, head, lib, m[i].since_s);
			if (!x)
				return -ENOMEM;
		}
		if (has_id(x->ids, x->nids, m[i].site_id))
			continue;
		uint64_t *ids = array_room(x->ids, &x->capids, x->nids, sizeof(*x->ids), 8);

		if (!ids)
			return -ENOMEM;
		x->ids = ids;
		x->ids[x->nids++] = m[i].site_id;
		x->r.rate_bps += m[i].rate_bps;
		x->r.bytes += m[i].bytes;
		if (m[i].since_s < x->r.since_s)
			x->r.since_s = m[i].since_s;
	}

	if (inc->caplist < inc->n) {
		struct report_incident *l = realloc(inc->list, inc->n * sizeof(*l));

		if (!l)
			return -ENOMEM;
		inc->list = l;
		inc->caplist = inc->n;
	}
	inc->active = 0;
	for (size_t i = 0; i < inc->n; i++) {
		struct incident *x = &inc->v[i];
		bool was = x->nprev > 0;

		x->r.raised_now = !was && x->nids > 0;
		inc->raised += x->r.raised_now;
		x->r.joined = 0;
		for (size_t k = 0; k < x->nids; k++)
			x->r.joined += !has_id(x->prev, x->nprev, x->ids[k]);
		if (x->nids) {
			x->active = true;
			x->r.state = "leak_suspect";
			x->r.members = x->ids;
			x->r.nmembers = (int)x->nids;
			x->r.duration_s = now - x->r.since_s;
			inc->active++;
		} else {
			/* resolved by this update: show what it held */
			x->active = false;
			x->r.state = "resolved";
			x->r.members = x->prev;
			x->r.nmembers = (int)x->nprev;
			x->r.duration_s = now - x->r.since_s;
		}
		inc->list[i] = x->r;
	}
	array_sort(inc->list, inc->n, sizeof(*inc->list), by_rate);
	return 0;
}

int incidents_list(struct incidents *inc, struct report_incident **v)
{
	*v = inc->list;
	return (int)inc->n;
}

uint64_t incidents_of(const struct incidents *inc, uint64_t site_id)
{
	for (size_t i = 0; i < inc->n; i++)
		if (has_id(inc->v[i].ids, inc->v[i].nids, site_id))
			return inc->v[i].r.id;
	for (size_t i = 0; i < inc->n; i++)
		if (has_id(inc->v[i].prev, inc->v[i].nprev, site_id))
			return inc->v[i].r.id;
	return 0;
}

uint64_t incidents_raised(const struct incidents *inc)
{
	return inc->raised;
}

uint32_t incidents_active(const struct incidents *inc)
{
	return inc->active;
}

int incidents_head(const struct incidents *inc, const struct report_frame *frames, int n)
{
	bool lib;
	int h = incident_head(&inc->p, frames, n, &lib);

	return h > 0 ? h : 0;
}
