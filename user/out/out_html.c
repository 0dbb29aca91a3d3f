// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_html.c: the report as one self-contained HTML page, for a developer
 * with a browser: who is the process, what alerts are up and why, which
 * sites hold the memory (a table, and a flame graph of the same bytes by
 * stack), how the process's anonymous memory and the top sites moved over
 * the trend window, and the garbage collector's figures.
 *
 * Self-contained: no network fetch, no external script, style or font; the
 * graphics are SVG written here, readable with JavaScript off (boxes with
 * <title> tooltips, widths proportional to bytes). A few lines of inline
 * script add click-to-zoom and search to the flame graph.
 *
 * Everything from the target (file and function names, the comm, the
 * native caller's symbol, type names) goes through html_text(): the page
 * must not run a script a target chose by naming a function "<script>".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "fmt.h"
#include "out_html.h"
#include "report.h"
#include "textsafe.h"

/* Flame graph geometry, in SVG user units (the SVG scales to the page). */
#define FLAME_W 1200
#define FLAME_ROW 18
/* A 12px monospace character is about 7.2 units wide at FLAME_W; 7.4
 * leaves a margin for fonts a little wider. */
#define FLAME_CHAR_W 7.4
/* Sites drawn at most: merging is linear in a node's children, and beyond
 * this their boxes would be too thin to see anyway. */
#define FLAME_MAX_SITES 1000
/* Thinner boxes are not drawn: they cannot be seen or hovered. */
#define FLAME_MIN_W 0.5
/* Chart geometry and the sites drawn in it. */
#define CHART_W 1200
#define CHART_H 240
#define CHART_LEFT 84
#define CHART_RIGHT 16
#define CHART_TOP 12
#define CHART_BOTTOM 28
#define CHART_SITES 6
/* Longest name shown in a table cell or tooltip; longer ones end in "…". */
#define NAME_MAX_CHARS 400
/* ... and in the chart's legend, where entries sit side by side */
#define LEGEND_MAX_CHARS 60

void html_text(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	if (!s) {
		putc('?', f);
		return;
	}
	while (*p) {
		int len;

		if (max_chars && chars + 1 >= max_chars && p[1]) {
			/* the last character's place goes to the ellipsis (unless
			 * it is the string's last character) */
			fputs("\xe2\x80\xa6", f);
			return;
		}
		chars++;
		len = utf8_seq((const char *)p);
		if (len < 0) {
			fputs(UTF8_REPLACEMENT, f);
			p += -len;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, f);
			p += len;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				putc(*p, f);
		}
		p++;
	}
}

/* --- flame graph layout ------------------------------------------------ */

static int strcmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* same_box() - does node x stand for frame fr (or native caller nat)? */
static bool same_box(const struct flame_node *x, const struct report_frame *fr, const char *nat)
{
	if (!fr || !x->frame)
		return !fr && !x->frame && !strcmp_null(x->native, nat);
	return x->frame->line == fr->line && !strcmp_null(x->frame->file, fr->file) &&
	       !strcmp_null(x->frame->func, fr->func);
}

/* child_of() - parent's child for fr/nat, created if new. Returns its
 * index or -ENOMEM. */
static int child_of(struct flame *fl, int parent, const struct report_frame *fr, const char *nat)
{
	struct flame_node *v;
	int c;

	for (c = fl->v[parent].child; c >= 0; c = fl->v[c].sibling)
		if (same_box(&fl->v[c], fr, nat))
			return c;
	if (fl->n == fl->cap) {
		int cap = fl->cap ? fl->cap * 2 : 64;

		v = realloc(fl->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->cap = cap;
	}
	c = fl->n++;
	fl->v[c] = (struct flame_node){ .frame = fr, .native = nat,
					.depth = fl->v[parent].depth + 1,
					.parent = parent, .child = -1,
					.sibling = fl->v[parent].child };
	fl->v[parent].child = c;
	if (fl->v[c].depth > fl->max_depth)
		fl->max_depth = fl->v[c].depth;
	return c;
}

/* name_of() - what a box is called: the function, the native caller, or
 * "all" for the root. */
static const char *name_of(const struct flame_node *x)
{
	if (x->frame)
		return x->frame->func;
	if (x->native)
		return x->native;
	return x->depth ? "(stack unknown)" : "all";
}

static const struct flame *sort_fl; /* qsort has no context argument */

static int by_bytes_then_name(const void *a, const void *b)
{
	const struct flame_node *x = &sort_fl->v[*(const int *)a], *y = &sort_fl->v[*(const int *)b];
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	c = strcmp_null(name_of(x), name_of(y));
	if (c || !x->frame || !y->frame)
		return c;
	c = strcmp_null(x->frame->file, y->frame->file);
	return c ? c : x->frame->line - y->frame->line;
}

/* layout() - order node i's children (relinking them) and place them from
 * its left edge; then their children. scratch holds fl->n ints. */
static void layout(struct flame *fl, int i, int *scratch, double total)
{
	int k = 0;
	double x = fl->v[i].x;

	for (int c = fl->v[i].child; c >= 0; c = fl->v[c].sibling)
		scratch[k++] = c;
	sort_fl = fl;
	array_sort(scratch, k, sizeof(*scratch), by_bytes_then_name);
	fl->v[i].child = k ? scratch[0] : -1;
	for (int j = 0; j < k; j++) {
		struct flame_node *c = &fl->v[scratch[j]];

		c->sibling = j + 1 < k ? scratch[j + 1] : -1;
		c->x = x;
		c->w = (double)c->bytes / total;
		x += c->w;
	}
	/* scratch is reused below: walk the relinked list instead */
	for (int c = fl->v[i].child; c >= 0; c = fl->v[c].sibling)
		layout(fl, c, scratch, total);
}

/* descend() - from node to its child for fr/nat, adding site s's bytes.
 * Returns the child or -ENOMEM. */
static int descend(struct flame *fl, int node, const struct report_frame *fr, const char *nat,
		   const struct report_site *s)
{
	int c = child_of(fl, node, fr, nat);

	if (c >= 0) {
		fl->v[c].bytes += s->bytes;
		fl->v[c].alert |= s->alert;
	}
	return c;
}

int flame_build(struct flame *fl, const struct report_site *sites, int n)
{
	int *scratch;

	fl->v = calloc(64, sizeof(*fl->v));
	if (!fl->v)
		return -ENOMEM;
	fl->cap = 64;
	fl->n = 1;
	fl->max_depth = 0;
	fl->v[0] = (struct flame_node){ .parent = -1, .child = -1, .sibling = -1, .w = 1 };
	for (int i = 0; i < n; i++) {
		const struct report_site *s = &sites[i];
		int node = 0;

		if (s->bytes <= 0)
			continue;
		fl->v[0].bytes += s->bytes;
		fl->v[0].alert |= s->alert;
		/* outermost first: the root's children are the entry points */
		if (!s->nframes)
			node = descend(fl, node, NULL, NULL, s);
		for (int j = s->nframes - 1; j >= 0 && node >= 0; j--)
			node = descend(fl, node, &s->frames[j], NULL, s);
		if (s->native_caller && node >= 0)
			node = descend(fl, node, NULL, s->native_caller, s);
		if (node < 0)
			return node;
	}
	if (fl->v[0].bytes <= 0)
		return 0;
	scratch = malloc(fl->n * sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	layout(fl, 0, scratch, (double)fl->v[0].bytes);
	free(scratch);
	return 0;
}

void flame_free(struct flame *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

/* --- page pieces -------------------------------------------------------- */

/* put_frame() - "file:line function" (escaped). */
static void put_frame(FILE *f, const struct report_frame *fr)
{
	html_text(f, fr->file, NAME_MAX_CHARS);
	if (fr->line >= 0)
		fprintf(f, ":%d", fr->line);
	putc(' ', f);
	html_text(f, fr->func, NAME_MAX_CHARS);
}

/* put_site_name() - a site's innermost frame, names cut at max characters. */
static void put_site_name(FILE *f, const struct report_site *s, size_t max)
{
	if (s->nframes <= 0) {
		fputs("<span class=\"dim\">(stack unknown)</span>", f);
		return;
	}
	fputs("<span class=\"fn\">", f);
	html_text(f, s->frames[0].func, max);
	fputs("</span> <span class=\"loc\">", f);
	html_text(f, s->frames[0].file, max);
	if (s->frames[0].line >= 0)
		fprintf(f, ":%d", s->frames[0].line);
	fputs("</span>", f);
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* box_fill() - warm colours for Python frames (stable per function name,
 * so the same function has the same colour in every report), cool for
 * native callers, grey for the root. */
static void box_fill(FILE *f, const struct flame_node *x)
{
	uint32_t h;

	if (!x->depth) {
		fputs("hsl(220,10%,78%)", f);
		return;
	}
	h = hash_str(name_of(x));
	if (!x->frame && x->native)
		fprintf(f, "hsl(%u,45%%,%u%%)", 190 + h % 30, 70 + (h >> 8) % 10);
	else
		fprintf(f, "hsl(%u,%u%%,%u%%)", 8 + h % 40, 70 + (h >> 8) % 20, 58 + (h >> 16) % 12);
}

/* put_flame_title() - a box's tooltip: what it is and its bytes. */
static void put_flame_title(FILE *f, const struct flame_node *x, double total)
{
	char b[32];

	if (x->frame) {
		html_text(f, x->frame->func, NAME_MAX_CHARS);
		fputs(" \xe2\x80\x94 ", f);
		html_text(f, x->frame->file, NAME_MAX_CHARS);
		if (x->frame->line >= 0)
			fprintf(f, ":%d", x->frame->line);
	} else if (x->native) {
		fputs("native caller: ", f);
		html_text(f, x->native, NAME_MAX_CHARS);
	} else {
		fputs(x->depth ? "(stack unknown)" : "all sites shown", f);
	}
	fprintf(f, "\n%s, %.1f%%%s", fmt_bytes(b, sizeof(b), (double)x->bytes, false),
		100.0 * (double)x->bytes / total, x->alert ? ", leak alert below" : "");
}

/* put_flame() - the flame graph as SVG, root at the bottom. */
static void put_flame(FILE *f, const struct report *r, int *err)
{
	struct flame fl = {};
	int height;

	*err = flame_build(&fl, r->sites, r->nsites < FLAME_MAX_SITES ? r->nsites : FLAME_MAX_SITES);
	if (*err || fl.v[0].bytes <= 0) {
		if (!*err)
			fputs("<p class=\"dim\">Nothing to draw yet: no site holds memory.</p>\n", f);
		flame_free(&fl);
		return;
	}
	height = (fl.max_depth + 1) * FLAME_ROW + 1;
	fprintf(f, "<svg id=\"flame\" class=\"flame\" viewBox=\"0 0 %d %d\" data-w=\"%d\" "
		"data-row=\"%d\" role=\"img\" aria-label=\"flame graph\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", FLAME_W, height, FLAME_W, FLAME_ROW);
	for (int i = 0; i < fl.n; i++) {
		const struct flame_node *x = &fl.v[i];
		double px = x->x * FLAME_W, pw = x->w * FLAME_W;
		int y = height - 1 - (x->depth + 1) * FLAME_ROW;
		int fit = (int)((pw - 6) / FLAME_CHAR_W);

		if (pw < FLAME_MIN_W)
			continue;
		fprintf(f, "<g class=\"f%s%s\" data-x=\"%.6f\" data-w=\"%.6f\" data-d=\"%d\" "
			"data-l=\"", x->alert ? " al" : "", !x->frame && x->native ? " nat" : "",
			x->x, x->w, x->depth);
		html_text(f, name_of(x), NAME_MAX_CHARS);
		fputs("\"><title>", f);
		put_flame_title(f, x, (double)fl.v[0].bytes);
		fprintf(f, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"",
			px, y, pw > 1 ? pw - 0.5 : pw, FLAME_ROW - 1);
		box_fill(f, x);
		fprintf(f, "\"/><text x=\"%.2f\" y=\"%d\">", px + 3, y + FLAME_ROW - 5);
		if (fit >= 3)
			html_text(f, name_of(x), fit);
		fputs("</text></g>\n", f);
	}
	fputs("</svg>\n", f);
	flame_free(&fl);
}

/* --- chart -------------------------------------------------------------- */

static const char *const series_colour[CHART_SITES] = {
	"#d1495b", "#2e86ab", "#edae49", "#3b8b5a", "#7b5ea7", "#8c6d46",
};

/* fmt_secs() - an axis label for t seconds since attach. */
static const char *fmt_secs(char *buf, size_t len, double t)
{
	if (fabs(t) < 120)
		snprintf(buf, len, "%gs", round(t * 10) / 10);
	else if (fabs(t) < 7200)
		snprintf(buf, len, "%gmin", round(t / 6) / 10);
	else
		snprintf(buf, len, "%gh", round(t / 360) / 10);
	return buf;
}

/* time_step() - a round step of at least raw seconds: 1, 2, 2.5 or 5 times
 * a power of ten, in minutes from a minute up. */
static double time_step(double raw)
{
	double unit = raw >= 60 ? 60 : 1, x = raw / unit, p = pow(10, floor(log10(x))), m = x / p;

	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p * unit;
}

/* bytes_step() - the power of two of bytes at or above raw: gridlines land
 * on round binary figures ("12.5 MiB", "256.0 KiB"). */
static double bytes_step(double raw)
{
	double step = 1;

	while (step < raw)
		step *= 2;
	return step;
}

struct chart_scale {
	double t0, t1, v0, v1;
};

static double cx(const struct chart_scale *c, double t)
{
	return CHART_LEFT + (t - c->t0) / (c->t1 - c->t0) * (CHART_W - CHART_LEFT - CHART_RIGHT);
}

static double cy(const struct chart_scale *c, double v)
{
	return CHART_TOP + (c->v1 - v) / (c->v1 - c->v0) * (CHART_H - CHART_TOP - CHART_BOTTOM);
}

/* put_series() - one polyline with a dot (and tooltip) at every sample. */
static void put_series(FILE *f, const struct chart_scale *c, const struct report_series *s,
		       const char *colour, int idx)
{
	char tb[24], vb[32];

	fprintf(f, "<g class=\"series\" data-series=\"%d\"><polyline fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"2\" points=\"", idx, colour);
	for (int i = 0; i < s->n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", cx(c, s->pts[i].t), cy(c, s->pts[i].v));
	fputs("\"/>\n", f);
	for (int i = 0; i < s->n; i++)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s: %s"
			"</title></circle>\n", cx(c, s->pts[i].t), cy(c, s->pts[i].v), colour,
			fmt_secs(tb, sizeof(tb), s->pts[i].t),
			fmt_bytes(vb, sizeof(vb), s->pts[i].v, false));
	fputs("</g>\n", f);
}

/* put_chart() - series[n] over a shared time axis [t0, t1]; the value axis
 * starts at zero (from_zero) or at the lowest sample, with four gridlines. */
static void put_chart(FILE *f, const char *id, const struct report_series *const *series,
		      const char *const *colours, int n, double t0, double t1, bool from_zero)
{
	struct chart_scale c = { t0, t1, INFINITY, -INFINITY };
	char b[32];

	for (int i = 0; i < n; i++)
		for (int j = 0; j < series[i]->n; j++) {
			c.v0 = fmin(c.v0, series[i]->pts[j].v);
			c.v1 = fmax(c.v1, series[i]->pts[j].v);
		}
	if (from_zero)
		c.v0 = 0;
	if (!(c.v1 > c.v0)) {
		c.v0 = c.v0 > 1024 ? c.v0 - 1024 : 0;
		c.v1 = c.v0 + 2048;
	}
	/* two to four gridlines at round byte counts, the samples inside */
	double step = bytes_step((c.v1 - c.v0) / 4), tstep;

	c.v0 = floor(c.v0 / step) * step;
	c.v1 = ceil(c.v1 / step) * step;
	fprintf(f, "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", id, CHART_W, CHART_H);
	for (double v = c.v0; v <= c.v1 + step / 2; v += step) {
		double y = cy(&c, v);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"ax\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			CHART_LEFT, CHART_W - CHART_RIGHT, y, y, CHART_LEFT - 8, y + 4,
			fmt_bytes(b, sizeof(b), v, false));
	}
	tstep = time_step((t1 - t0) / 6);
	for (double t = ceil(t0 / tstep) * tstep; t <= t1 + 1e-9; t += tstep)
		fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text class=\"ax\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			cx(&c, t), cx(&c, t), CHART_H - CHART_BOTTOM, CHART_H - CHART_BOTTOM + 4,
			cx(&c, t), CHART_H - 8, fmt_secs(b, sizeof(b), t));
	for (int i = 0; i < n; i++)
		put_series(f, &c, series[i], colours[i], i);
	fputs("</svg>\n", f);
}

/* put_history() - the process's anonymous memory, then the top sites, on
 * one time axis. */
static void put_history(FILE *f, const struct report *r)
{
	const struct report_series *site[CHART_SITES];
	const char *colour[CHART_SITES];
	const struct report_series *anon = r->anon_history;
	const char *anon_colour = "#30638e";
	double t0 = INFINITY, t1 = -INFINITY;
	int n = 0;

	if (anon && anon->n) {
		t0 = anon->pts[0].t;
		t1 = anon->pts[anon->n - 1].t;
	}
	for (int i = 0; r->site_history && i < r->nsites && n < CHART_SITES; i++) {
		const struct report_series *s = &r->site_history[i];

		if (!s->n)
			continue;
		colour[n] = series_colour[n];
		site[n++] = s;
		t0 = fmin(t0, s->pts[0].t);
		t1 = fmax(t1, s->pts[s->n - 1].t);
	}
	if (!(t1 > t0)) {
		fputs("<p class=\"dim\">No history yet: the trend statistics keep a sample every "
		      "--window/96 seconds; come back after a few reports.</p>\n", f);
		return;
	}
	if (anon && anon->n) {
		fputs("<h3>Anonymous memory of the process (RssAnon)</h3>\n", f);
		put_chart(f, "chart-anon", &anon, &anon_colour, 1, t0, t1, false);
	}
	if (!n)
		return;
	fputs("<h3>Top sites' bytes</h3>\n<ul class=\"legend\">\n", f);
	for (int i = 0, k = 0; i < r->nsites && k < n; i++) {
		if (!r->site_history[i].n)
			continue;
		fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span>", colour[k++]);
		put_site_name(f, &r->sites[i], LEGEND_MAX_CHARS);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	put_chart(f, "chart-sites", site, colour, n, t0, t1, true);
}

/* --- sections ----------------------------------------------------------- */

static void put_kpi(FILE *f, const char *label, const char *value, const char *note, bool bad)
{
	fprintf(f, "<div class=\"kpi%s\"><div class=\"k\">%s</div><div class=\"v\">%s</div>",
		bad ? " bad" : "", label, value);
	if (note)
		fprintf(f, "<div class=\"n\">%s</div>", note);
	fputs("</div>\n", f);
}

/* put_identity() - the process's known container/unit labels as one line
 * of "name value" pairs (identity_labels() order); nothing when none. */
static void put_identity(FILE *f, const struct proc_identity *id)
{
	const char *names[IDENTITY_NLABELS], *values[IDENTITY_NLABELS];
	int n = id ? identity_labels(id, names, values, IDENTITY_NLABELS) : 0;

	if (!n)
		return;
	fputs("<p class=\"sub\" id=\"identity\">", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%s <b>", i ? " \xc2\xb7 " : "", names[i]);
		html_text(f, values[i], NAME_MAX_CHARS);
		fputs("</b>", f);
	}
	fputs("</p>\n", f);
}

static void put_header(FILE *f, const struct report *r)
{
	const struct report_header *h = &r->h;
	const struct report_process *p = h->process;
	char a[32], b[48], c[64];

	fputs("<header>\n<h1>pyleak-bpf <span class=\"dim\">report #", f);
	fprintf(f, "%" PRIu64 "%s</span></h1>\n<p class=\"sub\">PID %d <b>", h->seq,
		h->final ? " (final)" : "", h->pid);
	html_text(f, h->comm, NAME_MAX_CHARS);
	fputs("</b> \xc2\xb7 Python ", f);
	html_text(f, h->python_version, NAME_MAX_CHARS);
	fputs(" [", f);
	html_text(f, h->build, NAME_MAX_CHARS);
	fputs("] \xc2\xb7 ", f);
	html_text(f, h->mode, NAME_MAX_CHARS);
	fputs(" mode \xc2\xb7 capture: ", f);
	html_text(f, h->capture, NAME_MAX_CHARS);
	if (isfinite(h->elapsed_s))
		fprintf(f, " \xc2\xb7 %.0fs after attach", h->elapsed_s);
	fputs("</p>\n", f);
	put_identity(f, h->identity);
	fputs("<div class=\"kpis\">\n", f);
	put_kpi(f, "RSS", fmt_bytes(a, sizeof(a), (double)h->rss_bytes, false), NULL, false);
	if (h->growth) {
		snprintf(c, sizeof(c), "%s since attach",
			 fmt_bytes(b, sizeof(b), (double)h->growth->anon_growth_bytes, true));
		put_kpi(f, "Anonymous", fmt_bytes(a, sizeof(a), (double)h->growth->anon_bytes, false),
			c, false);
	} else if (p) {
		put_kpi(f, "Anonymous", fmt_bytes(a, sizeof(a), (double)p->anon_bytes, false), NULL,
			false);
	}
	if (p) {
		snprintf(c, sizeof(c), "over %.0fs, %s", p->window_s,
			 p->anon_trend ? p->anon_trend : "unknown");
		put_kpi(f, "Anon trend", fmt_rate(b, sizeof(b), p->anon_rate_bps), c,
			p->anon_trend && !strcmp(p->anon_trend, "growing"));
	}
	snprintf(c, sizeof(c), "%" PRId64 " allocations, %" PRIu64 " sites", h->outstanding_count,
		 h->nsites);
	put_kpi(f, h->growth ? "Surviving" : "Outstanding",
		fmt_bytes(a, sizeof(a), (double)h->outstanding_bytes, false), c, false);
	if (p) {
		snprintf(a, sizeof(a), "%" PRIu32, p->active_alerts);
		snprintf(c, sizeof(c), "%" PRIu64 " raised since attach", p->alerts_raised);
		put_kpi(f, "Alerts active", a, c, p->active_alerts > 0);
	}
	if (h->oom) { /* evidence at OOM: the limit it hit, when there was one */
		bool lim = h->oom->memory_max && h->oom->memory_max != UINT64_MAX;

		if (lim)
			snprintf(c, sizeof(c), "memory cgroup limit %s",
				 fmt_bytes(b, sizeof(b), (double)h->oom->memory_max, false));
		put_kpi(f, "OOM-killed", "yes", lim ? c : NULL, true);
	}
	fputs("</div>\n", f);
	for (int i = 0; i < h->nwarnings; i++) {
		fputs("<p class=\"warn\">\xe2\x9a\xa0 ", f);
		html_text(f, h->warnings[i], 0);
		fputs("</p>\n", f);
	}
	fputs("</header>\n", f);
}

/* put_evidence() - why a site is judged as it is, in words: the rate,
 * then the trend's fitted growth and p-value (p >= 0, alloc mode) or the
 * windows survived (seen > 0, growth mode). */
static void put_evidence(FILE *f, double rate_bps, double p, double growth, double span_s,
			 uint32_t survived, uint32_t seen)
{
	char a[48], b[32], c[32];

	fputs(fmt_rate(a, sizeof(a), rate_bps), f);
	if (p >= 0)
		fprintf(f, "; %s over %.0fs, Mann-Kendall p=%s", fmt_bytes(b, sizeof(b), growth, true),
			span_s, fmt_p(c, sizeof(c), p));
	else if (seen)
		fprintf(f, " surviving per second of capture; survived %" PRIu32 " of %" PRIu32
			" windows", survived, seen);
}

static void put_alerts(FILE *f, const struct report *r)
{
	const struct report_process *p = r->h.process;
	char a[48], b[32];
	int nactive = 0;

	fputs("<section id=\"alerts\">\n<h2>Alerts</h2>\n", f);
	for (int i = 0; i < r->nsites; i++) {
		const struct report_site *s = &r->sites[i];

		if (!s->alert)
			continue;
		if (!nactive++)
			fputs("<ul class=\"alerts\">\n", f);
		fputs("<li class=\"alert\"><b>leak_suspect</b> ", f);
		put_site_name(f, s, NAME_MAX_CHARS);
		fprintf(f, " \xe2\x80\x94 %s live, raised %.0fs after attach<br><span class=\"ev\">",
			fmt_bytes(b, sizeof(b), (double)s->bytes, false), s->alert_since_s);
		html_text(f, s->evidence, 0);
		fputs(": ", f);
		put_evidence(f, s->rate_bps, s->p_value, s->window_growth, s->window_span_s,
			     s->windows_survived, s->windows_seen);
		if (s->persistent)
			fputs(" (persistent)", f);
		fputs("</span></li>\n", f);
	}
	if (nactive)
		fputs("</ul>\n", f);
	else if (!p || !p->active_alerts)
		fputs("<p class=\"ok\">No leak alert is active.</p>\n", f);
	if (p && p->active_alerts > (uint32_t)nactive)
		fprintf(f, "<p>%" PRIu32 " active alert%s not on a site shown here (the process's "
			"anonymous memory, or sites below the top rows).</p>\n",
			p->active_alerts - nactive, p->active_alerts - nactive == 1 ? "" : "s");
	if (!r->nalerts) {
		fputs("</section>\n", f);
		return;
	}
	fputs("<h3>Changes in this report</h3>\n<ul class=\"alerts\">\n", f);
	for (int i = 0; i < r->nalerts; i++) {
		const struct report_alert *al = &r->alerts[i];
		bool raised = al->state && al->state[0] == 'l';
		bool oom = al->state && !strcmp(al->state, "oom_killed");

		fprintf(f, "<li class=\"%s\"><b>", raised || oom ? "alert" : "resolved");
		html_text(f, al->state, 0);
		fputs("</b> ", f);
		html_text(f, al->subject, 0);
		fputs(" ", f);
		if (al->nframes > 0) {
			fputs("<span class=\"loc\">", f);
			put_frame(f, &al->frames[0]);
			fputs("</span>", f);
		} else {
			fputs("anonymous memory", f);
		}
		fputs("<br><span class=\"ev\">", f);
		if (oom) { /* evidence at OOM: the frame shown is the top site */
			fputs("the kernel's OOM killer ended the process (", f);
			html_text(f, al->evidence, 0);
			fprintf(f, "); %s anonymous at the end</span></li>\n",
				fmt_bytes(b, sizeof(b), (double)al->bytes, false));
			continue;
		}
		if (raised)
			put_evidence(f, al->rate_bps, al->p_value, al->growth_bytes, al->duration_s,
				     al->windows_survived, al->windows_seen);
		else
			fprintf(f, "%s now; lasted %.0fs", fmt_rate(a, sizeof(a), al->rate_bps),
				al->duration_s);
		fprintf(f, "; %s %s</span></li>\n", fmt_bytes(b, sizeof(b), (double)al->bytes, false),
			al->nframes ? "live" : "anonymous");
	}
	fputs("</ul>\n</section>\n", f);
}

/* put_site_rows() - a table of sites: windows adds the survivors' columns
 * (growth mode), hint drops the judgement column (first-touch hints). */
static void put_site_rows(FILE *f, const struct report_site *sites, int n, bool windows, bool hint)
{
	char a[32], b[32], c[32];

	fprintf(f, "<table class=\"sites\">\n<thead><tr><th>#</th><th class=\"num\">%s</th>"
		"<th class=\"num\">%s</th><th class=\"num\">Delta</th><th class=\"num\">Rate"
		"</th><th>%s</th><th>Site (innermost frame; click for the stack)</th></tr>"
		"</thead>\n<tbody>\n", hint ? "Faulted" : windows ? "Surviving" : "Bytes",
		hint ? "Faults" : "Count", hint ? "" : windows ? "Windows" : "Trend");
	for (int i = 0; i < n; i++) {
		const struct report_site *s = &sites[i];

		fprintf(f, "<tr%s><td class=\"rank\">%d</td><td class=\"num\">%s</td><td class=\"num"
			"\">%" PRId64 "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
			s->alert ? " class=\"alerting\"" : "", i + 1,
			fmt_bytes(a, sizeof(a), (double)s->bytes, false), s->count,
			fmt_bytes(b, sizeof(b), (double)s->delta_bytes, true),
			s->rate_bps ? fmt_rate(c, sizeof(c), s->rate_bps) : "-");
		if (s->alert)
			fputs("<span class=\"tag bad\">ALERT</span> ", f);
		if (windows && !hint)
			fprintf(f, "%s%" PRIu32 "/%" PRIu32, s->persistent ? "<b>LEAK</b> " : "",
				s->windows_survived, s->windows_seen);
		else if (!hint)
			html_text(f, s->trend ? s->trend : "-", 0);
		fputs("</td><td class=\"site\"><details><summary>", f);
		put_site_name(f, s, NAME_MAX_CHARS);
		if (s->native_caller) {
			fputs(" <span class=\"dim\">[", f);
			html_text(f, s->native_caller, NAME_MAX_CHARS);
			fputs("]</span>", f);
		}
		fputs("</summary><ol class=\"stack\">", f);
		for (int j = 0; j < s->nframes; j++) {
			fputs("<li>", f);
			put_frame(f, &s->frames[j]);
			fputs("</li>", f);
		}
		if (s->truncated)
			fputs("<li class=\"dim\">\xe2\x80\xa6 deeper frames cut at --max-depth</li>", f);
		fputs("</ol>", f);
		if (s->ntypes > 0) {
			fprintf(f, "<p class=\"types\">types (%" PRIu32 " sampled): ", s->types_sampled);
			for (int j = 0; j < s->ntypes; j++) {
				fputs(j ? ", " : "", f);
				html_text(f, s->types[j].name, NAME_MAX_CHARS);
				fprintf(f, " %.0f%%", s->types[j].share * 100);
			}
			fputs("</p>", f);
		}
		fputs("</details></td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void put_sites(FILE *f, const struct report *r)
{
	bool windows = r->h.growth != NULL;

	fputs("<section id=\"sites\">\n<h2>Top sites</h2>\n", f);
	if (r->nsites <= 0) {
		fprintf(f, "<p class=\"dim\">%s</p>\n",
			windows ? "No survivors of settled windows yet."
				: "No outstanding allocations recorded.");
	} else {
		put_site_rows(f, r->sites, r->nsites, windows, false);
		if (r->h.nsites > (uint64_t)r->nsites)
			fprintf(f, "<p class=\"dim\">%" PRIu64 " more sites not shown (--top).</p>\n",
				r->h.nsites - r->nsites);
	}
	if (r->nhints > 0) {
		fputs("<h3>First-touch hints</h3>\n<p class=\"note\">Who faulted new pages in: "
		      "biased toward code that allocates in bursts, so not a leak ranking; right "
		      "for native growth.</p>\n", f);
		put_site_rows(f, r->hints, r->nhints, false, true);
	}
	fputs("</section>\n", f);
}

static void put_gc(FILE *f, const struct report *r)
{
	const struct report_header *h = &r->h;
	const struct report_process *p = h->process;

	fputs("<section id=\"gc\">\n<h2>Garbage collector</h2>\n", f);
	if (!p || !p->gc_known) {
		fputs("<p class=\"dim\">The collector's figures could not be read.</p>\n", f);
	} else {
		fprintf(f, "<p>Collector <b class=\"%s\">%s</b>.</p>\n", p->gc_enabled ? "" : "bad",
			p->gc_enabled ? "enabled" : "DISABLED (gc.disable(): cycles are never freed)");
		fputs("<table class=\"gc\"><thead><tr><th>Generation</th><th class=\"num\">"
		      "Collections</th><th class=\"num\">Collected</th><th class=\"num\">"
		      "Uncollectable</th><th class=\"num\">Threshold</th><th class=\"num\">Count"
		      "</th></tr></thead>\n<tbody>\n", f);
		for (int g = 0; g < 3; g++)
			fprintf(f, "<tr><td>%d</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">"
				"%" PRIu64 "</td><td class=\"num%s\">%" PRIu64 "</td><td class=\"num\">"
				"%" PRIu32 "</td><td class=\"num\">%" PRIu32 "</td></tr>\n", g,
				p->gc_collections[g], p->gc_collected[g],
				p->gc_uncollectable[g] ? " bad" : "", p->gc_uncollectable[g],
				p->gc_threshold[g], p->gc_count[g]);
		fputs("</tbody></table>\n<p class=\"note\">Since attach; count: allocations "
		      "minus deallocations since the generation's last collection.</p>\n", f);
	}
	fprintf(f, "<p class=\"note\">Probe hits: %" PRIu64 " alloc, %" PRIu64 " free; dropped %"
		PRIu64 ", without thread state %" PRIu64 ". Grouped by ", h->alloc_hits,
		h->free_hits, h->drops, h->no_tstate);
	html_text(f, h->group_by ? h->group_by : "stack", 0);
	fputs(".</p>\n", f);
	if (!r->census || r->ntypes <= 0) {
		fputs("</section>\n", f);
		return;
	}
	const struct report_census *c = r->census;
	char pv[32];

	fprintf(f, "<h3>Census: objects on the collector's lists by type</h3>\n<p class=\"note\">"
		"%" PRIu64 " objects, %" PRIu32 "/%" PRIu32 " lists complete%s, took %.2fs, %.0fs "
		"ago.</p>\n", c->objects, c->complete_lists, c->lists,
		c->budget_hit ? ", <b class=\"bad\">stopped by its budget</b>" : "", c->seconds,
		c->age_s);
	fputs("<table class=\"census\"><thead><tr><th>Type</th><th class=\"num\">Objects</th>"
	      "<th class=\"num\">Delta</th><th class=\"num\">Rate/min</th><th>Trend</th>"
	      "<th class=\"num\">p</th></tr></thead>\n<tbody>\n", f);
	for (int i = 0; i < r->ntypes; i++) {
		const struct report_type *t = &r->types[i];

		fputs("<tr><td class=\"fn\">", f);
		html_text(f, t->name, NAME_MAX_CHARS);
		fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%+" PRId64
			"</td><td class=\"num\">%+.0f</td><td>", t->count, t->delta, t->rate_per_min);
		html_text(f, t->trend ? t->trend : "-", 0);
		fprintf(f, "</td><td class=\"num\">%s</td></tr>\n", fmt_p(pv, sizeof(pv), t->p_value));
	}
	fputs("</tbody></table>\n</section>\n", f);
}

/* The page's style: system fonts only (nothing is fetched). */
static const char style[] =
"<style>\n"
":root{--fg:#1d232b;--dim:#667085;--line:#e3e6ea;--bg:#fff;--band:#f6f7f9;--bad:#b42318;"
"--ok:#2b7a3d}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
"color:var(--fg);background:var(--bg)}\n"
"main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}\n"
"header{border-bottom:1px solid var(--line);padding-bottom:12px}\n"
"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;"
"border-bottom:1px solid var(--line)}h3{font-size:14px;margin:18px 0 6px;color:#344054}\n"
".sub{margin:0 0 12px;color:#344054}.dim{color:var(--dim)}.note{color:var(--dim);font-size:12.5px}\n"
".kpis{display:flex;flex-wrap:wrap;gap:10px}\n"
".kpi{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:150px;"
"background:var(--band)}\n"
".kpi .k{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim)}\n"
".kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}\n"
".kpi .n{font-size:12px;color:var(--dim)}.kpi.bad{border-color:#f1b0a9;background:#fef3f2}"
".kpi.bad .v{color:var(--bad)}\n"
".warn{background:#fffaeb;border:1px solid #fedf89;border-radius:6px;padding:6px 10px;"
"margin:10px 0 0}\n"
".ok{color:var(--ok)}.bad{color:var(--bad)}\n"
"ul.alerts{list-style:none;padding:0;margin:0}ul.alerts li{border-left:4px solid var(--bad);"
"background:#fef3f2;padding:6px 12px;margin:6px 0;border-radius:0 6px 6px 0}\n"
"ul.alerts li.resolved{border-color:var(--ok);background:#f0f9f2}\n"
".ev{color:#475467;font-size:13px}\n"
"table{border-collapse:collapse;width:100%;font-size:13px}\n"
"th{text-align:left;font-weight:600;color:#475467;border-bottom:2px solid var(--line);"
"padding:6px 8px;white-space:nowrap}\n"
"td{border-bottom:1px solid var(--line);padding:5px 8px;vertical-align:top}\n"
"tbody tr:nth-child(even){background:var(--band)}\n"
".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
"td.rank{color:var(--dim);width:2em}\n"
"tr.alerting td{background:#fef3f2}\n"
"td.site{overflow-wrap:anywhere}summary{cursor:pointer}\n"
".fn{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-weight:600}\n"
".loc{font-family:ui-monospace,'DejaVu Sans Mono',monospace;color:#475467}\n"
"ol.stack{margin:4px 0 2px;padding-left:22px;font-family:ui-monospace,'DejaVu Sans Mono',"
"monospace;font-size:12px;color:#344054}\n"
".tag{font-size:11px;font-weight:700;padding:1px 5px;border-radius:4px}"
".tag.bad{background:var(--bad);color:#fff}\n"
"svg.flame{width:100%;height:auto;display:block;font:12px ui-monospace,'DejaVu Sans Mono',"
"monospace}\n"
"svg.flame text{fill:#1d232b;pointer-events:none}svg.flame g.f{cursor:pointer}\n"
"svg.flame g.f:hover rect{stroke:#1d232b;stroke-width:.8}\n"
"svg.flame g.al>rect{stroke:var(--bad);stroke-width:1}\n"
"svg.flame g.hit>rect{fill:#e055d0}\n"
"svg.chart{width:100%;height:auto;display:block;font:12px system-ui,sans-serif}\n"
"svg.chart .grid{stroke:#eceef1}svg.chart .tick{stroke:#98a2b3}svg.chart .ax{fill:var(--dim)}\n"
"ul.legend{list-style:none;padding:0;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:4px 18px;"
"font-size:12.5px}ul.legend li{overflow-wrap:anywhere}\n"
".sw{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;"
"vertical-align:-1px}\n"
".tools{display:flex;gap:10px;align-items:center;margin:0 0 8px;font-size:13px}\n"
".tools input{font:inherit;padding:3px 8px;border:1px solid #cfd4dc;border-radius:6px;"
"width:260px}\n"
"footer{margin-top:32px;color:var(--dim);font-size:12px}\n"
"</style>\n";

/* Click a box to zoom into it (click the root to reset), type to
 * highlight matching frames. The graph is complete without it. */
static const char script[] =
"<script>\n"
"(function(){var s=document.getElementById('flame');if(!s)return;\n"
"var W=+s.dataset.w,gs=[].slice.call(s.querySelectorAll('g.f'));\n"
"function fit(g,w){var l=g.dataset.l,n=Math.floor((w-6)/7.4);g.lastChild.textContent="
"n<3?'':l.length>n?l.slice(0,n-1)+'\\u2026':l;}\n"
"function zoom(z){var x0=+z.dataset.x,w0=+z.dataset.w,d0=+z.dataset.d;gs.forEach(function(g){"
"var x=+g.dataset.x,w=+g.dataset.w,d=+g.dataset.d,r=g.querySelector('rect'),t=g.lastChild,"
"inside=x>=x0-1e-9&&x+w<=x0+w0+1e-9,anc=d<d0&&x<=x0+1e-9&&x+w>=x0+w0-1e-9;"
"var nx=anc?0:(x-x0)/w0*W,nw=anc?W:w/w0*W;g.style.display=(inside&&d>=d0)||anc?'':'none';"
"g.style.opacity=anc?.55:1;r.setAttribute('x',nx);r.setAttribute('width',Math.max(nw-.5,.1));"
"t.setAttribute('x',nx+3);fit(g,nw);});}\n"
"gs.forEach(function(g){g.addEventListener('click',function(){zoom(g);});});\n"
"document.getElementById('flame-tools').hidden=false;\n"
"var q=document.getElementById('flame-search'),m=document.getElementById('flame-match');\n"
"q.addEventListener('input',function(){var v=q.value.toLowerCase(),k=0;gs.forEach(function(g){"
"var hit=v&&g.querySelector('title').textContent.toLowerCase().indexOf(v)>=0;"
"g.classList.toggle('hit',!!hit);k+=hit?1:0;});m.textContent=v?k+(k==1?' frame matches':' frames match'):'';});\n"
"document.getElementById('flame-reset').addEventListener('click',function(){zoom(gs[0]);});\n"
"})();\n"
"</script>\n";

int out_html_write(FILE *f, const struct report *r)
{
	int err = 0;

	errno = 0;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"pyleak-bpf\">\n<title>pyleak-bpf: PID ", f);
	fprintf(f, "%d (", r->h.pid);
	html_text(f, r->h.comm, 64);
	fprintf(f, ") report #%" PRIu64 "</title>\n", r->h.seq);
	fputs(style, f);
	fputs("</head>\n<body>\n<main>\n", f);
	put_header(f, r);
	put_alerts(f, r);
	put_sites(f, r);
	fprintf(f, "<section id=\"flamegraph\">\n<h2>Flame graph of %s bytes by stack</h2>\n",
		r->h.growth ? "surviving" : "live");
	if (r->nsites > 0)
		fprintf(f, "<p class=\"note\">The top %d site%s; width is bytes, the root at the "
			"bottom, the allocating frame (then its native caller, in blue) on top. Hover a "
			"box for its figures; with JavaScript, click one to zoom.</p>\n<div "
			"class=\"tools\" id=\"flame-tools\" hidden><input id=\"flame-search\" "
			"type=\"search\" placeholder=\"Highlight frames matching\xe2\x80\xa6\">"
			"<button id=\"flame-reset\" type=\"button\">Reset zoom</button><span "
			"id=\"flame-match\" class=\"dim\"></span></div>\n",
			r->nsites < FLAME_MAX_SITES ? r->nsites : FLAME_MAX_SITES,
			r->nsites == 1 ? "" : "s");
	put_flame(f, r, &err);
	fputs("</section>\n<section id=\"history\">\n<h2>Memory over time</h2>\n", f);
	put_history(f, r);
	fputs("</section>\n", f);
	put_gc(f, r);
	fputs("<footer>Written by pyleak-bpf; self-contained, rewritten every report.</footer>\n"
	      "</main>\n", f);
	fputs(script, f);
	fputs("</body>\n</html>\n", f);
	if (err)
		return err;
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
