// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * compare.c: `pyleak-bpf compare BEFORE.jsonl AFTER.jsonl`, the verify step:
 * did the fix stop the growth, and does anything new grow? See compare.h for
 * the contracts and README "Verify a fix: compare" for the rules.
 *
 * It reads what the JSON sink wrote (README "JSON output"), never BPF maps:
 * the two runs may come from other machines, interpreters and paths. JSON is
 * parsed with jansson (README "Dependencies and why").
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "array.h"
#include "compare.h"
#include "fmt.h"
#include "options.h"
#include "report.h"

static const char *const verdict_names[] = {
	[CMP_FIXED] = "fixed",
	[CMP_BETTER] = "better",
	[CMP_UNCHANGED] = "unchanged",
	[CMP_WORSE] = "worse",
	[CMP_NEW] = "new",
	[CMP_AGAIN] = "growing-again",
};

static const char *const match_names[] = {
	[CMP_MATCH_STACK] = "stack",
	[CMP_MATCH_APP] = "application frames",
	[CMP_MATCH_MOVED] = "moved",
};

const char *cmp_verdict_name(enum cmp_verdict v)
{
	return v <= CMP_AGAIN ? verdict_names[v] : "?";
}

/* ---- reading a run ---- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* jnum() - o[key] as a number in *v; false if absent, null or not a number. */
static bool jnum(const json_t *o, const char *key, double *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_number(j))
		return false;
	*v = json_number_value(j);
	return true;
}

static long long jll(const json_t *o, const char *key, long long dflt)
{
	double v;

	return jnum(o, key, &v) ? (long long)v : dflt;
}

/* fail() - "NAME:LINE: what" in err (LINE 0: no line number); -EINVAL. */
static int fail(char *err, size_t errlen, const char *name, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *name, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = line ? snprintf(err, errlen, "%s:%zu: ", name, line) : snprintf(err, errlen, "%s: ", name);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* read_frames() - site s's frames from the JSON array fr; -EINVAL with
 * the site's index in err if one is malformed, -ENOMEM. */
static int read_frames(struct cmp_run *run, int i, const json_t *fr, struct cmp_site *s,
		       char *err, size_t errlen)
{
	size_t k, n = json_array_size(fr);

	if (!n)
		return 0;
	s->frames = calloc(n, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		const json_t *f = json_array_get(fr, k);
		const json_t *line = json_object_get(f, "line");

		if (!json_is_object(f) || (line && !json_is_null(line) && !json_is_integer(line)))
			return fail(err, errlen, run->name, run->line,
				    "sites[%d].frames[%zu] is not a {file, func, line} object", i, k);
		s->frames[k].file = jstr(f, "file");
		s->frames[k].func = jstr(f, "func");
		s->frames[k].line = json_is_integer(line) ? (long)json_integer_value(line) : 0;
		s->nframes++;
	}
	return 0;
}

/* frames_ok() - fr is an array of {file, func, line} objects. */
static bool frames_ok(const json_t *fr)
{
	const json_t *f;
	size_t k;

	if (!json_is_array(fr))
		return false;
	json_array_foreach(fr, k, f) {
		const json_t *line = json_object_get(f, "line");

		if (!json_is_object(f) || (line && !json_is_null(line) && !json_is_integer(line)))
			return false;
	}
	return true;
}

/* read_site() - one site (or a site alert, which has the same keys but
 * alert) from js into s; s->grew is left to the caller. */
static int read_site(struct cmp_run *run, int i, const json_t *js, struct cmp_site *s,
		     char *err, size_t errlen)
{
	const json_t *fr = json_object_get(js, "frames");

	if (!json_is_object(js) || !json_is_array(fr))
		return fail(err, errlen, run->name, run->line,
			    "sites[%d] is not an object with a frames array", i);
	s->id = jstr(js, "id");
	s->native_caller = jstr(js, "native_caller");
	s->bytes = jll(js, "bytes", 0);
	s->has_rate = jnum(js, "rate_bytes_per_min", &s->rate);
	s->alert = json_is_true(json_object_get(js, "alert"));
	s->persistent = json_is_true(json_object_get(js, "persistent"));
	s->trend = jstr(js, "trend");
	return read_frames(run, i, fr, s, err, errlen);
}

/* add_alerted() - the sites that alerted earlier in the run (see
 * cmp_run_read): mark those of the report used, append the others. */
static int add_alerted(struct cmp_run *run, char *err, size_t errlen)
{
	const char *id;
	json_t *v;
	int i, rc;

	json_object_foreach((json_t *)run->alerted, id, v) {
		struct cmp_site *s = NULL;
		double rate;

		for (i = 0; i < run->nsites && !s; i++)
			if (run->sites[i].id && !strcmp(run->sites[i].id, id))
				s = &run->sites[i];
		if (s && s->grew)
			continue;
		if (s) {
			if (jnum(v, "rate_bytes_per_min", &rate)) {
				s->rate = rate;
				s->has_rate = true;
			}
		} else {
			s = &run->sites[run->nsites];
			rc = read_site(run, run->nsites, v, s, err, errlen);
			if (rc)
				return rc;
			run->nsites++;
			s->alert = true;
		}
		s->grew = s->earlier = true;
	}
	return 0;
}

/* read_report() - fill run's fields from its chosen report (run->report). */
static int read_report(struct cmp_run *run, char *err, size_t errlen)
{
	const json_t *r = run->report, *sites = json_object_get(r, "sites");
	const json_t *proc = json_object_get(r, "process"), *trend = json_object_get(r, "trend");
	const json_t *growth = json_object_get(r, "growth");
	size_t i, n = json_array_size(sites);
	int rc;

	run->final = json_is_true(json_object_get(r, "final"));
	run->pid = (long)jll(proc, "pid", -1);
	run->python_version = jstr(proc, "python_version");
	run->mode = jstr(json_object_get(r, "capture"), "mode");
	if (!run->mode)
		run->mode = json_object_get(r, "growth") ? "growth" : "alloc";
	if (!jnum(r, "elapsed_s", &run->elapsed_s))
		run->elapsed_s = 0;

	run->proc.has_anon_rate = jnum(trend, "anon_rate_bytes_per_min", &run->proc.anon_rate);
	run->proc.has_anon_growth = jnum(trend, "anon_growth_bytes", &run->proc.anon_growth);
	run->proc.anon_trend = jstr(trend, "anon_trend");
	if (run->proc.anon_trend && !strcmp(run->proc.anon_trend, "unknown"))
		run->proc.anon_trend = NULL;
	run->proc.anon_bytes = jll(growth, "anon_bytes", -1);
	run->proc.anon_since_attach = jll(growth, "anon_growth_bytes", 0);
	run->proc.rss_bytes = jll(proc, "rss_bytes", -1);

	n += json_object_size(run->alerted);
	if (!n)
		return 0;
	run->sites = calloc(n, sizeof(*run->sites));
	if (!run->sites)
		return -ENOMEM;
	for (i = 0; i < json_array_size(sites); i++) {
		struct cmp_site *s = &run->sites[i];

		rc = read_site(run, (int)i, json_array_get(sites, i), s, err, errlen);
		run->nsites++;
		if (rc)
			return rc;
		s->grew = cmp_site_grew(run->mode, s);
	}
	return add_alerted(run, err, errlen);
}

/* remember_alerts() - note report j's alerting sites in run->alerted: the
 * alerts it raised, then its sites with alert set (fuller, so they win). */
static void remember_alerts(struct cmp_run *run, const json_t *j)
{
	const json_t *a;
	size_t k;

	json_array_foreach(json_object_get(j, "alerts"), k, a) {
		const char *id = jstr(a, "id"), *state = jstr(a, "state"), *subj = jstr(a, "subject");

		if (id && state && !strcmp(state, "leak_suspect") && subj && !strcmp(subj, "site") &&
		    frames_ok(json_object_get(a, "frames")))
			json_object_set(run->alerted, id, (json_t *)a);
	}
	json_array_foreach(json_object_get(j, "sites"), k, a) {
		const char *id = jstr(a, "id");

		if (id && json_is_true(json_object_get(a, "alert")) &&
		    frames_ok(json_object_get(a, "frames")))
			json_object_set(run->alerted, id, (json_t *)a);
	}
}

/* take_line() - one line of a run's file: skip it, keep it as the latest
 * report, or fail. last says no newline ends it (the end of the file). */
static int take_line(struct cmp_run *run, char *p, size_t n, bool last, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *seq;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (!*p)
		return 0;
	if (*p != '{') {
		run->skipped++;
		return 0;
	}
	j = json_loads(p, 0, &je);
	if (!j) {
		if (last) {	/* a run killed while writing its report */
			run->truncated_tail = true;
			return 0;
		}
		return fail(err, errlen, run->name, n, "not JSON: %s (column %d)", je.text,
			    je.column);
	}
	if (!json_is_object(j) || !jstr(j, "type") || strcmp(jstr(j, "type"), "report")) {
		run->skipped++;
		json_decref(j);
		return 0;
	}
	seq = json_object_get(j, "seq");
	if (!json_is_integer(seq) || !json_is_array(json_object_get(j, "sites"))) {
		const char *what = json_is_integer(seq) ? "a sites array" : "its seq number";

		json_decref(j);
		return fail(err, errlen, run->name, n,
			    "a report without %s (is this pyleak-bpf --format json output?)", what);
	}
	/* --output appends: a seq that does not go up starts another run. */
	if (!run->report || json_integer_value(seq) <= run->seq) {
		run->runs++;
		json_object_clear(run->alerted);
	}
	remember_alerts(run, j);
	json_decref(run->report);
	run->report = j;
	run->seq = (long)json_integer_value(seq);
	run->line = n;
	return 0;
}

int cmp_run_read(FILE *f, const char *name, struct cmp_run *run, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	int rc = 0;

	memset(run, 0, sizeof(*run));
	snprintf(run->name, sizeof(run->name), "%s", name);
	run->alerted = json_object();
	if (!run->alerted)
		return -ENOMEM;
	while ((len = getline(&buf, &cap, f)) >= 0) {
		bool nl = len > 0 && buf[len - 1] == '\n';

		n++;
		if (nl)
			buf[len - 1] = '\0';
		if (strlen(buf) != (size_t)(len - nl)) {
			rc = fail(err, errlen, name, n, "a NUL byte: not a text file");
			break;
		}
		rc = take_line(run, buf, n, !nl, err, errlen);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = fail(err, errlen, name, 0, "read error: %s", strerror(errno));
	free(buf);
	if (!rc && !run->report)
		rc = fail(err, errlen, name, 0,
			  "no complete report in %zu line%s (expected the output of pyleak-bpf "
			  "--format json: one {\"type\":\"report\",...} per line)",
			  n, n == 1 ? "" : "s");
	if (!rc)
		rc = read_report(run, err, errlen);
	if (rc)
		cmp_run_free(run);
	return rc;
}

void cmp_run_free(struct cmp_run *run)
{
	int i;

	for (i = 0; i < run->nsites; i++)
		free(run->sites[i].frames);
	free(run->sites);
	json_decref(run->report);
	json_decref(run->alerted);
	run->report = NULL;
	run->alerted = NULL;
	run->sites = NULL;
	run->nsites = 0;
}

bool cmp_site_grew(const char *mode, const struct cmp_site *s)
{
	if (s->alert)
		return true;
	if (mode && !strcmp(mode, "growth"))
		return s->persistent;
	return s->trend && !strcmp(s->trend, "growing") && s->has_rate && s->rate > 0;
}

/* ---- matching ---- */

/*
 * stdlib_rel() - for a standard-library file, its path below lib/pythonX.Y/
 * (or the whole "<frozen ...>" name); NULL for anything else, including
 * site-packages and dist-packages below lib/pythonX.Y/.
 */
static const char *stdlib_rel(const char *file)
{
	const char *p;

	if (!file)
		return NULL;
	if (!strncmp(file, "<frozen ", 8))
		return file;
	for (p = strstr(file, "lib/python"); p; p = strstr(p + 1, "lib/python")) {
		const char *q = p + 10;

		if (p != file && p[-1] != '/')
			continue;
		if (*q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q++ != '.' || *q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == 't')	/* free-threaded builds: lib/python3.13t */
			q++;
		if (*q++ != '/')
			continue;
		if (!strncmp(q, "site-packages/", 14) || !strncmp(q, "dist-packages/", 14))
			return NULL;
		return q;
	}
	return NULL;
}

/* common_tail() - how many trailing path components a and b share. */
static int common_tail(const char *a, const char *b)
{
	const char *ea = a + strlen(a), *eb = b + strlen(b);
	int n = 0;

	while (ea > a && eb > b) {
		const char *sa = ea, *sb = eb;

		while (sa > a && sa[-1] != '/')
			sa--;
		while (sb > b && sb[-1] != '/')
			sb--;
		if (ea - sa != eb - sb || memcmp(sa, sb, ea - sa) || ea == sa)
			break;
		n++;
		ea = sa > a ? sa - 1 : sa;
		eb = sb > b ? sb - 1 : sb;
		if (sa == a || sb == b)
			break;
	}
	return n;
}

static bool same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* frame_match() - cmp_frame_match(), application lines compared or not. */
static int frame_match(const struct cmp_frame *a, const struct cmp_frame *b, bool lines)
{
	const char *ra = stdlib_rel(a->file), *rb = stdlib_rel(b->file);

	if (!same_str(a->func, b->func))
		return 0;
	if (ra || rb)
		return ra && rb && !strcmp(ra, rb) ? 1 + common_tail(ra, rb) : 0;
	if (lines && a->line != b->line)
		return 0;
	if (!a->file || !b->file)
		return !a->file && !b->file;
	return common_tail(a->file, b->file);
}

int cmp_frame_match(const struct cmp_frame *a, const struct cmp_frame *b)
{
	return frame_match(a, b, true);
}

/* native_same() - the same native caller: symbol without "+0x.." and
 * " (module)"; bare addresses only if identical. */
static bool native_same(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	if (!strncmp(a, "0x", 2) || !strncmp(b, "0x", 2))
		return !strcmp(a, b);
	la = strcspn(a, "+ ");
	lb = strcspn(b, "+ ");
	return la == lb && !memcmp(a, b, la);
}

/* next_app() - index of the first frame at or after i outside the
 * standard library, or n. */
static int next_app(const struct cmp_site *s, int i)
{
	while (i < s->nframes && stdlib_rel(s->frames[i].file))
		i++;
	return i;
}

/* app_match() - score of a and b's application frames matched in order
 * (lines compared or not); 0 unless all match and there is at least one. */
static int app_match(const struct cmp_site *a, const struct cmp_site *b, bool lines)
{
	int i, j, sc, sum = 0;

	for (i = next_app(a, 0), j = next_app(b, 0); i < a->nframes || j < b->nframes;
	     i = next_app(a, i + 1), j = next_app(b, j + 1)) {
		if (i == a->nframes || j == b->nframes)
			return 0;
		sc = frame_match(&a->frames[i], &b->frames[j], lines);
		if (!sc)
			return 0;
		sum += sc;
	}
	return sum;
}

int cmp_stack_match(const struct cmp_site *a, const struct cmp_site *b, enum cmp_match *how)
{
	int i, sc, sum = 0;

	*how = CMP_MATCH_STACK;
	if (!a->nframes || !b->nframes)
		return !a->nframes && !b->nframes && native_same(a->native_caller, b->native_caller);
	if (a->nframes == b->nframes) {
		for (i = 0; i < a->nframes; i++) {
			sc = cmp_frame_match(&a->frames[i], &b->frames[i]);
			if (!sc)
				break;
			sum += sc;
		}
		if (i == a->nframes)
			return 2 * CMP_SCORE_TIER + sum;
	}
	*how = CMP_MATCH_APP;
	sc = app_match(a, b, true);
	if (sc)
		return CMP_SCORE_TIER + sc;
	*how = CMP_MATCH_MOVED;
	return app_match(a, b, false);
}

/* ---- verdicts ---- */

static double rate_of(const struct cmp_site *s)
{
	return s->has_rate ? s->rate : 0;
}

static double row_key(const struct cmp_row *r)
{
	return r->verdict >= CMP_NEW ? r->after_rate : rate_of(r->before);
}

/* Rows that grew before first, then the new ones; each by rate, biggest first. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct cmp_row *a = pa, *b = pb;
	double ka = row_key(a), kb = row_key(b);

	if ((a->verdict >= CMP_NEW) != (b->verdict >= CMP_NEW))
		return a->verdict >= CMP_NEW ? 1 : -1;
	return ka > kb ? -1 : ka < kb;
}

/* verdict_of() - a site that grew before against what grows of its match. */
static enum cmp_verdict verdict_of(const struct cmp_row *r, bool rates_known)
{
	double ratio;

	if (!r->nafter)
		return CMP_FIXED;
	if (!rates_known || !r->before->has_rate || r->before->rate <= 0)
		return CMP_UNCHANGED;
	ratio = r->after_rate / r->before->rate;
	return ratio < 0.5 ? CMP_BETTER : ratio > 2 ? CMP_WORSE : CMP_UNCHANGED;
}

struct best {
	int i;		/* BEFORE site, -1 none */
	int score;
	enum cmp_match how;
};

int cmp_compare(const struct cmp_run *before, const struct cmp_run *after,
		struct cmp_result *res)
{
	struct best *best = calloc(after->nsites ? after->nsites : 1, sizeof(*best));
	int i, j, n = 0;

	memset(res, 0, sizeof(*res));
	res->rows = calloc(before->nsites + after->nsites + 1, sizeof(*res->rows));
	if (!best || !res->rows) {
		free(best);
		free(res->rows);
		res->rows = NULL;
		return -ENOMEM;
	}
	for (j = 0; j < after->nsites; j++) {
		best[j].i = -1;
		for (i = 0; i < before->nsites; i++) {
			enum cmp_match how;
			int sc = cmp_stack_match(&before->sites[i], &after->sites[j], &how);

			if (sc > best[j].score)
				best[j] = (struct best){ i, sc, how };
		}
	}
	/* A site matched only with its lines ignored is that BEFORE site moved
	 * by an edit, unless the BEFORE site is still there at its lines: then
	 * it is another line of the same function. */
	for (j = 0; j < after->nsites; j++) {
		int k;

		if (best[j].i < 0 || best[j].how != CMP_MATCH_MOVED)
			continue;
		for (k = 0; k < after->nsites; k++)
			if (best[k].i == best[j].i && best[k].how != CMP_MATCH_MOVED)
				break;
		if (k < after->nsites)
			best[j] = (struct best){ -1, 0, CMP_MATCH_STACK };
	}
	for (i = 0; i < before->nsites; i++) {
		struct cmp_row *r = &res->rows[n];
		const struct cmp_site *shown = NULL;
		bool rates_known = true;

		if (!before->sites[i].grew)
			continue;
		r->before = &before->sites[i];
		for (j = 0; j < after->nsites; j++) {
			const struct cmp_site *a = &after->sites[j];

			if (best[j].i != i)
				continue;
			if (best[j].how > r->how)
				r->how = best[j].how;
			if (a->grew) {
				r->nafter++;
				r->after_rate += rate_of(a);
				rates_known = rates_known && a->has_rate;
				if (!shown || !shown->grew || rate_of(a) > rate_of(shown))
					shown = a;
			} else if (!shown) {
				shown = a;
			}
		}
		r->after = shown;
		r->verdict = verdict_of(r, rates_known);
		res->counts[r->verdict]++;
		n++;
	}
	for (j = 0; j < after->nsites; j++) {
		struct cmp_row *r = &res->rows[n];

		if (!after->sites[j].grew || (best[j].i >= 0 && before->sites[best[j].i].grew))
			continue;
		r->after = &after->sites[j];
		r->after_rate = rate_of(r->after);
		r->nafter = 1;
		r->before = best[j].i >= 0 ? &before->sites[best[j].i] : NULL;
		r->how = best[j].how;
		r->verdict = r->before ? CMP_AGAIN : CMP_NEW;
		res->counts[r->verdict]++;
		n++;
	}
	free(best);
	res->nrows = n;
	array_sort(res->rows, n, sizeof(*res->rows), row_cmp);
	return 0;
}

void cmp_result_free(struct cmp_result *res)
{
	free(res->rows);
	memset(res, 0, sizeof(*res));
}

int cmp_exit_status(const struct cmp_result *res)
{
	return res->counts[CMP_NEW] + res->counts[CMP_AGAIN] ? EXIT_LEAK : EXIT_OK;
}

/* ---- output ---- */

/* put_frame() - "func (where:line)": the path below lib/pythonX.Y/ for the
 * standard library, the file name otherwise (the runs' roots differ). */
static void put_frame(FILE *f, const struct cmp_frame *fr)
{
	const char *rel = stdlib_rel(fr->file), *base = fr->file ? strrchr(fr->file, '/') : NULL;

	fprintf(f, "%s (%s", fr->func ? fr->func : "?",
		rel ? rel : base ? base + 1 : fr->file ? fr->file : "?");
	if (fr->line)
		fprintf(f, ":%ld", fr->line);
	putc(')', f);
}

/* put_site() - the innermost frame, and the innermost application frame
 * when the innermost is in the standard library (the line to look at). */
static void put_site(FILE *f, const struct cmp_site *s)
{
	int app;

	if (!s->nframes) {
		fprintf(f, "[native] %s", s->native_caller ? s->native_caller : "?");
		return;
	}
	put_frame(f, &s->frames[0]);
	app = next_app(s, 0);
	if (app && app < s->nframes) {
		fputs(" <- ", f);
		put_frame(f, &s->frames[app]);
	}
}

static void put_rate(FILE *f, int width, const struct cmp_site *s, double rate, bool grew)
{
	char b[32], r[48];

	if (!s || !grew)
		snprintf(r, sizeof(r), "%s", s ? "not growing" : "-");
	else if (!s->has_rate)
		snprintf(r, sizeof(r), "growing");
	else
		snprintf(r, sizeof(r), "%s/min", fmt_bytes(b, sizeof(b), rate, true));
	fprintf(f, "%*s", width, r);
}

/* put_run() - "BEFORE file: pid, Python, mode, length, which report". */
static void put_run(FILE *f, const char *label, const struct cmp_run *run)
{
	fprintf(f, "%-6s %s: pid %ld, Python %s, %s mode, %.1f s, ", label, run->name, run->pid,
		run->python_version ? run->python_version : "?", run->mode, run->elapsed_s);
	if (run->final)
		fprintf(f, "final report (line %zu)\n", run->line);
	else
		fprintf(f, "NO final report: the run ended early (killed?), using the last complete "
			"one (seq %ld, line %zu)\n", run->seq, run->line);
	if (run->truncated_tail)
		fprintf(f, "       %s ends in an incomplete line, ignored\n", run->name);
	if (run->runs > 1)
		fprintf(f, "       %s holds %zu runs (--output appends), using the last\n", run->name,
			run->runs);
	if (run->skipped)
		fprintf(f, "       %s: %zu line%s that are not reports skipped\n", run->name,
			run->skipped, run->skipped == 1 ? "" : "s");
}

static void put_process_row(FILE *f, const char *what, const char *b, const char *a)
{
	fprintf(f, "  %-18s %-32s %s\n", what, b, a);
}

/* process_cells() - a run's process growth as the table's cells. */
static void process_cells(const struct cmp_process *p, char rate[64], char growth[64],
			  char anon[64])
{
	char x[32], y[32];

	if (p->has_anon_rate)
		snprintf(rate, 64, "%s/min %s", fmt_bytes(x, sizeof(x), p->anon_rate, true),
			 p->anon_trend ? p->anon_trend : "(trend unknown)");
	else
		snprintf(rate, 64, "unknown");
	if (p->has_anon_growth)
		snprintf(growth, 64, "%s", fmt_bytes(x, sizeof(x), p->anon_growth, true));
	else
		snprintf(growth, 64, "unknown");
	if (p->anon_bytes >= 0)
		snprintf(anon, 64, "%s (%s)", fmt_bytes(x, sizeof(x), (double)p->anon_bytes, false),
			 fmt_bytes(y, sizeof(y), (double)p->anon_since_attach, true));
	else
		snprintf(anon, 64, "- (alloc mode)");
}

int cmp_write_text(FILE *f, const struct cmp_run *before, const struct cmp_run *after,
		   const struct cmp_result *res)
{
	char br[64], bg[64], ba[64], ar[64], ag[64], aa[64];
	const int *c = res->counts;
	int i, rc = cmp_exit_status(res);

	put_run(f, "BEFORE", before);
	put_run(f, "AFTER", after);
	if (strcmp(before->mode, after->mode))
		fprintf(f, "note: the runs used different modes (%s, %s): growing means what each "
			"mode measures\n", before->mode, after->mode);
	process_cells(&before->proc, br, bg, ba);
	process_cells(&after->proc, ar, ag, aa);
	fputs("\nprocess\n", f);
	put_process_row(f, "", "BEFORE", "AFTER");
	put_process_row(f, "anon rate", br, ar);
	put_process_row(f, "anon growth", bg, ag);
	put_process_row(f, "RssAnon (+attach)", ba, aa);

	fputc('\n', f);
	if (!res->nrows) {
		fputs("no site grew in either run\n", f);
	} else {
		fprintf(f, "%-14s %16s %16s  %s\n", "VERDICT", "BEFORE", "AFTER", "SITE");
		for (i = 0; i < res->nrows; i++) {
			const struct cmp_row *r = &res->rows[i];

			fprintf(f, "%-14s ", cmp_verdict_name(r->verdict));
			put_rate(f, 16, r->before, r->before ? rate_of(r->before) : 0,
				 r->before && r->before->grew);
			putc(' ', f);
			put_rate(f, 16, r->after, r->after_rate, r->nafter > 0);
			fputs("  ", f);
			put_site(f, r->before ? r->before : r->after);
			if (r->before && r->before->earlier && r->verdict != CMP_AGAIN)
				fputs(" [BEFORE: alerted, resolved by its end]", f);
			if (r->nafter && r->after->earlier)
				fputs(" [AFTER: alerted, resolved by its end]", f);
			if (r->nafter > 1)
				fprintf(f, " [%d sites in AFTER]", r->nafter);
			if (r->how == CMP_MATCH_APP)
				fputs(" [matched on application frames]", f);
			else if (r->how == CMP_MATCH_MOVED)
				fputs(" [matched ignoring application line numbers: moved?]", f);
			putc('\n', f);
		}
	}
	fprintf(f, "\n%d fixed, %d better, %d unchanged, %d worse; %d new, %d growing-again: %s\n",
		c[CMP_FIXED], c[CMP_BETTER], c[CMP_UNCHANGED], c[CMP_WORSE], c[CMP_NEW], c[CMP_AGAIN],
		rc ? "exit 3 (something grows in AFTER that did not in BEFORE)" : "exit 0");
	return ferror(f) ? -EIO : 0;
}

static json_t *jrate(const struct cmp_site *s, double rate, bool grew)
{
	return s && grew && s->has_rate ? json_real(rate) : json_null();
}

static json_t *jsite(const struct cmp_site *s)
{
	json_t *fr, *o;
	int i;

	if (!s)
		return json_null();
	fr = json_array();
	for (i = 0; i < s->nframes; i++) {
		const struct cmp_frame *f = &s->frames[i];

		json_array_append_new(fr, json_pack("{s:s?,s:s?,s:o}", "file", f->file, "func",
						    f->func, "line",
						    f->line ? json_integer(f->line) : json_null()));
	}
	o = json_pack("{s:s?,s:I,s:o,s:b,s:b,s:b,s:b,s:s?,s:s?,s:o}", "id", s->id, "bytes",
		      (json_int_t)s->bytes, "rate_bytes_per_min",
		      s->has_rate ? json_real(s->rate) : json_null(), "grew", s->grew,
		      "grew_earlier", s->earlier, "alert", s->alert, "persistent", s->persistent,
		      "trend", s->trend, "native_caller", s->native_caller, "frames", fr);
	return o ? o : json_null();
}

static json_t *jrun(const struct cmp_run *run)
{
	const struct cmp_process *p = &run->proc;

	return json_pack("{s:s,s:I,s:I,s:b,s:b,s:I,s:I,s:I,s:s?,s:s,s:f,s:{s:o,s:s?,s:o,s:o,s:o,s:o}}",
			 "file", run->name, "line", (json_int_t)run->line, "seq", (json_int_t)run->seq,
			 "final", run->final, "truncated_tail", run->truncated_tail, "runs",
			 (json_int_t)run->runs, "skipped_lines", (json_int_t)run->skipped, "pid",
			 (json_int_t)run->pid, "python_version", run->python_version, "mode",
			 run->mode, "elapsed_s", run->elapsed_s, "process", "anon_rate_bytes_per_min",
			 p->has_anon_rate ? json_real(p->anon_rate) : json_null(), "anon_trend",
			 p->anon_trend, "anon_growth_bytes",
			 p->has_anon_growth ? json_real(p->anon_growth) : json_null(), "anon_bytes",
			 p->anon_bytes >= 0 ? json_integer(p->anon_bytes) : json_null(),
			 "anon_since_attach_bytes",
			 p->anon_bytes >= 0 ? json_integer(p->anon_since_attach) : json_null(),
			 "rss_bytes", p->rss_bytes >= 0 ? json_integer(p->rss_bytes) : json_null());
}

int cmp_write_json(FILE *f, const struct cmp_run *before, const struct cmp_run *after,
		   const struct cmp_result *res)
{
	json_t *rows = json_array(), *o, *counts = json_object();
	int i, rc;

	for (i = 0; i <= CMP_AGAIN; i++)
		json_object_set_new(counts, cmp_verdict_name(i), json_integer(res->counts[i]));
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];
		const char *match = r->before && r->after ? match_names[r->how] : NULL;
		json_t *br = jrate(r->before, r->before ? rate_of(r->before) : 0,
				   r->before && r->before->grew);
		json_t *ar = jrate(r->after, r->after_rate, r->nafter > 0);

		json_array_append_new(rows, json_pack("{s:s,s:o,s:o,s:i,s:s?,s:o,s:o}", "verdict",
						      cmp_verdict_name(r->verdict),
						      "before_rate_bytes_per_min", br,
						      "after_rate_bytes_per_min", ar,
						      "after_growing_sites", r->nafter, "match", match,
						      "before", jsite(r->before), "after",
						      jsite(r->after)));
	}
	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:i}", "type", "compare", "before", jrun(before), "after",
		      jrun(after), "sites", rows, "counts", counts, "exit", cmp_exit_status(res));
	if (!o)
		return -ENOMEM;
	rc = json_dumpf(o, f, JSON_COMPACT);
	json_decref(o);
	if (!rc)
		fputc('\n', f);
	return rc || ferror(f) ? -EIO : 0;
}

/* ---- the command ---- */

static const char compare_usage[] =
"Usage: pyleak-bpf compare [--format text|json] BEFORE.jsonl AFTER.jsonl\n"
"\n"
"Verify a fix: compare two runs of the same workload, before and after it.\n"
"BEFORE and AFTER are what pyleak-bpf --format json wrote (one report per\n"
"line, e.g. with --output FILE); each run's last complete report is used (a\n"
"run killed before its final report still counts, and the output says so).\n"
"\n"
"Sites are matched by stack, so the runs may have different PIDs, roots and\n"
"interpreter versions: application frames match by file, function and line,\n"
"where files match by their common path tail (/srv/a/app.py = /home/ci/app.py);\n"
"standard-library frames by their path below lib/pythonX.Y/ and function only\n"
"(line numbers differ between versions). If the whole stacks do not match,\n"
"their application frames alone may; and if the BEFORE site's lines are gone\n"
"from AFTER, those frames by file and function only (the fix's edit moved\n"
"them; the row says so).\n"
"\n"
"A site grew if it had an alert, was persistent (growth mode) or its trend\n"
"was growing (alloc mode) in the report used, or alerted in an earlier report\n"
"of the run. For each site that grew in BEFORE:\n"
"  fixed       it does not grow in AFTER (or is gone)\n"
"  better      it grows at under half the rate\n"
"  unchanged   at half to twice the rate\n"
"  worse       at more than twice the rate\n"
"and for each site that grows in AFTER but did not in BEFORE:\n"
"  new         no such site in BEFORE\n"
"  growing-again  it was in BEFORE without growing (a fixed leak is back)\n"
"plus the process-level growth of both runs (anonymous memory).\n"
"\n"
"Options:\n"
"  -f, --format text|json   a table for people (default) or one JSON object\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 nothing grows in AFTER that did not before, 3 something does\n"
"(new or growing-again: for CI), 2 usage, 1 unreadable input.\n"
"\n"
"Example:\n"
"  sudo pyleak-bpf --format json -o before.jsonl -d 120 -- python3 app.py\n"
"  (fix, then the same with -o after.jsonl)\n"
"  pyleak-bpf compare before.jsonl after.jsonl\n";

/* load() - open and read one run; 0 or an exit status. */
static int load(const char *path, struct cmp_run *run)
{
	char err[512];
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		fprintf(stderr, "pyleak-bpf compare: cannot open %s: %s\n", path, strerror(errno));
		return EXIT_ERROR;
	}
	rc = cmp_run_read(f, path, run, err, sizeof(err));
	fclose(f);
	if (rc) {
		fprintf(stderr, "pyleak-bpf compare: %s\n",
			rc == -EINVAL ? err : strerror(-rc));
		return EXIT_ERROR;
	}
	return 0;
}

int compare_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cmp_run before, after;
	struct cmp_result res;
	bool json = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(compare_usage, stdout);
			return 0;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "pyleak-bpf compare: --format must be text or json, "
					"got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			json = !strcmp(optarg, "json");
			break;
		default:
			fprintf(stderr, "pyleak-bpf compare: unknown option or missing value: '%s' "
				"(see pyleak-bpf compare --help)\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "pyleak-bpf compare: give two files, BEFORE.jsonl AFTER.jsonl; got %d "
			"(see pyleak-bpf compare --help)\n", argc - optind);
		return EXIT_USAGE;
	}
	rc = load(argv[optind], &before);
	if (rc)
		return rc;
	rc = load(argv[optind + 1], &after);
	if (rc) {
		cmp_run_free(&before);
		return rc;
	}
	rc = cmp_compare(&before, &after, &res);
	if (rc) {
		fprintf(stderr, "pyleak-bpf compare: %s\n", strerror(-rc));
		rc = EXIT_ERROR;
		goto out;
	}
	rc = json ? cmp_write_json(stdout, &before, &after, &res)
		  : cmp_write_text(stdout, &before, &after, &res);
	rc = rc ? EXIT_ERROR : cmp_exit_status(&res);
	cmp_result_free(&res);
out:
	cmp_run_free(&before);
	cmp_run_free(&after);
	return rc;
}
