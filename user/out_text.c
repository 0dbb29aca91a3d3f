/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * out_text.c: the default, human-readable exporter, for an SRE at a terminal.
 * A header block (target, capture method, totals, probe counters, warnings),
 * then a table with one row per site in the order the caller ranked them,
 * labelled by the innermost Python frame, with the whole stack under each row
 * when --stacks is given. Each report ends with a blank line so that periodic
 * reports stay apart on a scrolling terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drops.h"
#include "report.h"

/* Column layout of the site table: "%10s %8s %10s  " puts SITE at column 32.
 * Ten columns hold any fmt_bytes() result below 1000 TiB, with its sign. */
#define SITE_COL 32
/* Stack frames (--stacks) sit under the SITE column, a little further in. */
#define FRAME_INDENT (SITE_COL + 2)

/*
 * put_str() - write s for a terminal: "?" when NULL, otherwise the bytes of s
 * with control characters shown as \xNN. File and function names come from
 * the target's memory; copied raw, an escape sequence in one could move the
 * cursor, rewrite earlier lines or retitle the terminal of whoever reads the
 * report. C0, DEL and the UTF-8 encoding of C1 (U+0080..U+009F, c2 80..c2 9f)
 * are escaped; everything else, including invalid UTF-8, is copied so that
 * names remain greppable as the target spelt them.
 */
static void put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		putc('?', f);
		return;
	}
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(f, "\\x%02x\\x%02x", p[0], p[1]);
			p++;
		} else {
			putc(*p, f);
		}
	}
}

/* put_frame() - "file:line func", each part "?" when unknown. The path is
 * printed whole: two modules with the same basename are common (__init__.py). */
static void put_frame(FILE *f, const struct report_frame *fr)
{
	put_str(f, fr->file);
	if (fr->line < 0)
		fputs(":? ", f);
	else
		fprintf(f, ":%d ", fr->line);
	put_str(f, fr->func);
}

/*
 * fmt_bytes() - v as "512 B", "1.5 KiB", "-3.2 MiB", ... in buf (at least 16
 * bytes) and return buf. plus puts a '+' before positive values, for deltas.
 *
 * The unit steps up once the number would reach 1000 rather than 1024, so it
 * never has more than three integer digits and the table columns stay put;
 * 1000..1023 of a unit print as "1.0" of the next, within the precision shown.
 */
static const char *fmt_bytes(char *buf, size_t len, double v, bool plus)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	const char *sign = v < 0 ? "-" : plus && v > 0 ? "+" : "";
	double a = v < 0 ? -v : v;
	size_t u = 0;

	/* 999.95 and above would round to "1000.0" at one decimal. */
	while (a >= 999.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		a /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%s%.0f B", sign, a);
	else
		snprintf(buf, len, "%s%.1f %s", sign, a, units[u]);
	return buf;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* put_growth() - growth mode's lines: memory, kernel events, windows. */
static void put_growth(FILE *f, const struct report_header *h)
{
	const struct report_growth *g = h->growth;
	char a[32], b[32], c[32], d[32], e[32], m[32];

	fprintf(f, "  RSS %s  anon %s (%s since attach)",
		fmt_bytes(a, sizeof(a), (double)h->rss_bytes, false),
		fmt_bytes(b, sizeof(b), (double)g->anon_bytes, false),
		fmt_bytes(c, sizeof(c), (double)g->anon_growth_bytes, true));
	if (g->kernel_known)
		fprintf(f, "  faults %" PRIu64 " mapped %s (huge pages %" PRIu64 ", %s)\n"
			"  mmap %s  munmap %s  brk %s  madvise-free %s",
			g->faults, fmt_bytes(a, sizeof(a), (double)g->fault_bytes, false),
			g->thp_faults, fmt_bytes(b, sizeof(b), (double)g->thp_bytes, false),
			fmt_bytes(c, sizeof(c), (double)g->mmap_bytes, false),
			fmt_bytes(d, sizeof(d), (double)g->munmap_bytes, false),
			fmt_bytes(e, sizeof(e), (double)g->brk_bytes, true),
			fmt_bytes(m, sizeof(m), (double)g->madv_free_bytes, false));
	putc('\n', f);
	if (!g->window_capture) {
		fputs("  windows: none (no allocator probes possible)\n", f);
		return;
	}
	fputs("  windows: ", f);
	put_str(f, g->window_capture);
	fprintf(f, "\n    %" PRIu32 " opened, %" PRIu32 " settled, now ", g->windows, g->settled);
	put_str(f, g->window_state);
	if (g->window_reason) {
		fputs(" (last opened: ", f);
		put_str(f, g->window_reason);
		putc(')', f);
	}
	fprintf(f, "; %.1fs of %.0fs/h budget used\n", g->window_spent_s, g->window_budget_s);
	fprintf(f, "  survivors %s in %" PRId64 " allocation%s at %" PRIu64 " site%s, %" PRIu64
		" persistent\n",
		fmt_bytes(a, sizeof(a), (double)h->outstanding_bytes, false), h->outstanding_count,
		plural((uint64_t)h->outstanding_count), h->nsites, plural(h->nsites),
		g->npersistent);
}

/* fmt_rate() - bytes per second as "+1.2 MiB/min". */
static const char *fmt_rate(char *buf, size_t len, double bps)
{
	char b[32];

	snprintf(buf, len, "%s/min", fmt_bytes(b, sizeof(b), bps * 60, true));
	return buf;
}

/* fmt_p() - a p-value, or "-" when there is none. */
static const char *fmt_p(char *buf, size_t len, double p)
{
	if (p < 0 || !isfinite(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "%.0e", p);
	else
		snprintf(buf, len, "%.4f", p);
	return buf;
}

/* put_process() - the process's memory trend over the window and GC health. */
static void put_process(FILE *f, const struct report_process *p)
{
	char a[40], b[40], c[32];

	fprintf(f, "  trend over %.0fs: anon %s (", p->window_s,
		fmt_rate(a, sizeof(a), p->anon_rate_bps));
	put_str(f, p->anon_trend);
	fprintf(f, ", p=%s)  RSS %s (", fmt_p(c, sizeof(c), p->anon_p),
		fmt_rate(b, sizeof(b), p->rss_rate_bps));
	put_str(f, p->rss_trend);
	fprintf(f, ")  alerts active %" PRIu32 ", raised %" PRIu64 "\n", p->active_alerts,
		p->alerts_raised);
	if (!p->gc_known)
		return;
	fprintf(f, "  GC %s, thresholds %" PRIu32 "/%" PRIu32 "/%" PRIu32 "; since attach: collected "
		"%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", uncollectable %" PRIu64 "\n",
		p->gc_enabled ? "enabled" : "DISABLED", p->gc_threshold[0], p->gc_threshold[1],
		p->gc_threshold[2], p->gc_collected[0], p->gc_collected[1], p->gc_collected[2],
		p->gc_uncollectable[0] + p->gc_uncollectable[1] + p->gc_uncollectable[2]);
}

/* put_alert() - one transition: what, where, and the evidence. */
static void put_alert(FILE *f, const struct report_alert *a)
{
	char r[40], g[32], b[32], p[32];

	fputs(a->state[0] == 'l' ? "  ALERT leak_suspect " : "  RESOLVED ", f);
	put_str(f, a->subject);
	putc(' ', f);
	if (a->nframes > 0)
		put_frame(f, &a->frames[0]);
	else
		fputs("anonymous memory", f);
	if (a->native_caller) {
		fputs("  [caller: ", f);
		put_str(f, a->native_caller);
		putc(']', f);
	}
	if (a->state[0] == 'r') {
		fprintf(f, "\n    after %.0fs (raised at %.0fs); rate now %s\n", a->duration_s,
			a->since_s, fmt_rate(r, sizeof(r), a->rate_bps));
		return;
	}
	fprintf(f, "\n    %s", fmt_rate(r, sizeof(r), a->rate_bps));
	if (a->p_value >= 0)
		fprintf(f, "; %s over the last %.0fs (Mann-Kendall p=%s)",
			fmt_bytes(g, sizeof(g), a->growth_bytes, true), a->duration_s,
			fmt_p(p, sizeof(p), a->p_value));
	else
		fprintf(f, " surviving per second of capture; survived %" PRIu32 " of %" PRIu32
			" windows", a->windows_survived, a->windows_seen);
	fprintf(f, "; %s %s now; raised %.0fs after attach\n",
		fmt_bytes(b, sizeof(b), (double)a->bytes, false),
		a->nframes ? "live" : "anonymous", a->since_s);
}

/* put_drops() - "  drops: live_full 0, sites_full 3, ..." when anything
 * was lost: the counters by cause behind "dropped" and "no-tstate". */
static void put_drops(FILE *f, const struct report_drops *d)
{
	static const struct report_drops none;

	if (!memcmp(d, &none, sizeof(none)))
		return;
	fputs("  drops: ", f);
	drops_print(f, d, false);
	putc('\n', f);
}

static void put_header(FILE *f, const struct report_header *h)
{
	char rss[32], out[32];
	int i;

	fprintf(f, "pyleak-bpf report #%" PRIu64 "%s pid %d (", h->seq, h->final ? " (final)" : "",
		h->pid);
	put_str(f, h->comm);
	fputs(") Python ", f);
	put_str(f, h->python_version);
	fputs(" [", f);
	put_str(f, h->build);
	if (isfinite(h->elapsed_s))
		fprintf(f, "] %.1fs\n", h->elapsed_s);
	else
		fputs("] ?\n", f);

	fputs("  mode ", f);
	put_str(f, h->mode);
	fputs(", capture: ", f);
	put_str(f, h->capture);
	putc('\n', f);

	if (h->growth) {
		put_growth(f, h);
	} else {
		fprintf(f, "  RSS %s  outstanding %s in %" PRId64 " allocation%s at %" PRIu64
			" site%s\n",
			fmt_bytes(rss, sizeof(rss), (double)h->rss_bytes, false),
			fmt_bytes(out, sizeof(out), (double)h->outstanding_bytes, false),
			h->outstanding_count, plural((uint64_t)h->outstanding_count), h->nsites,
			plural(h->nsites));
	}

	fputs("  GC collections ", f);
	if (h->gc_collections_known)
		fprintf(f, "gen0 %" PRIu64 " gen1 %" PRIu64 " gen2 %" PRIu64, h->gc_collections[0],
			h->gc_collections[1], h->gc_collections[2]);
	else
		fputs("unknown", f);
	fprintf(f, "    probe hits: %" PRIu64 " alloc, %" PRIu64 " free    dropped %" PRIu64
		", no-tstate %" PRIu64 "\n",
		h->alloc_hits, h->free_hits, h->drops, h->no_tstate);
	put_drops(f, &h->drop_counts);

	if (h->process)
		put_process(f, h->process);

	for (i = 0; i < h->nwarnings; i++) {
		fputs("  WARNING: ", f);
		put_str(f, h->warnings[i]);
		putc('\n', f);
	}
}

/* put_types() - a site's sampled object types, under its row. */
static void put_types(FILE *f, const struct report_site *s)
{
	fprintf(f, "%*stypes (%" PRIu32 " sampled): ", FRAME_INDENT, "", s->types_sampled);
	for (int i = 0; i < s->ntypes; i++) {
		if (i)
			fputs(", ", f);
		put_str(f, s->types[i].name);
		fprintf(f, " %.0f%%", s->types[i].share * 100);
	}
	putc('\n', f);
}

/* put_site() - one row. judged adds RATE/MIN (and TREND without windows);
 * windows adds the WINDOWS column (survivors). */
static void put_site(FILE *f, const struct report_site *s, bool show_stacks, bool windows,
		     bool judged)
{
	char bytes[32], delta[32], win[32], rate[32];
	int i;

	fprintf(f, "%10s %8" PRId64 " %10s  ",
		fmt_bytes(bytes, sizeof(bytes), (double)s->bytes, false), s->count,
		fmt_bytes(delta, sizeof(delta), (double)s->delta_bytes, true));
	if (judged) {
		if (s->rate_bps != 0)
			fmt_bytes(rate, sizeof(rate), s->rate_bps * 60, true);
		else
			snprintf(rate, sizeof(rate), "-");
		fprintf(f, "%10s  ", rate);
	}
	if (windows) {
		snprintf(win, sizeof(win), "%s%" PRIu32 "/%" PRIu32, s->persistent ? "LEAK " : "",
			 s->windows_survived, s->windows_seen);
		fprintf(f, "%-9s  ", win);
	} else if (judged) {
		fprintf(f, "%-9s  ", s->alert ? "ALERT" : s->trend ? s->trend : "-");
	}
	/* No frames: the site was stored without its stack (e.g. stack map full). */
	if (s->nframes > 0)
		put_frame(f, &s->frames[0]);
	else
		fputs("(stack unknown)", f);
	/* Only when known: "[caller: ?]" on every row would be noise. */
	if (s->native_caller) {
		fputs("  [caller: ", f);
		put_str(f, s->native_caller);
		putc(']', f);
	}
	putc('\n', f);
	if (s->ntypes > 0)
		put_types(f, s);

	if (!show_stacks)
		return;
	for (i = 0; i < s->nframes; i++) {
		fprintf(f, "%*s", FRAME_INDENT, "");
		put_frame(f, &s->frames[i]);
		putc('\n', f);
	}
	if (s->truncated)
		fprintf(f, "%*s... (deeper frames cut at --max-depth)\n", FRAME_INDENT, "");
}

/* put_census() - object counts by type on the GC's lists, by growth. */
static void put_census(FILE *f, const struct report *r)
{
	const struct report_census *c = r->census;
	char p[32];

	fprintf(f, "\n  GC census (objects on the collector's lists by type, %.0fs ago): %" PRIu64
		" objects, %" PRIu32 "/%" PRIu32 " lists complete%s, took %.2fs\n",
		c->age_s, c->objects, c->complete_lists, c->lists,
		c->budget_hit ? ", STOPPED by its budget" : "", c->seconds);
	fprintf(f, "%10s %10s %10s  %-9s %8s  %s\n", "OBJECTS", "DELTA", "RATE/MIN", "TREND", "P",
		"TYPE");
	for (int i = 0; i < r->ntypes; i++) {
		const struct report_type *t = &r->types[i];

		fprintf(f, "%10" PRIu64 " %+10" PRId64 " %+10.0f  %-9s %8s  ", t->count, t->delta,
			t->rate_per_min, t->trend ? t->trend : "-", fmt_p(p, sizeof(p), t->p_value));
		put_str(f, t->name);
		putc('\n', f);
	}
}

/*
 * out_text_write() - see report.h. Sites are printed in the order given; when
 * the caller cut the list (--top), a last line says how many were left out, so
 * a short table is not mistaken for the whole picture. The stream is flushed so
 * that each periodic report appears when it is made, even through a pipe.
 */
int out_text_write(FILE *f, const struct report *r)
{
	bool windows = r->h.growth != NULL;
	bool judged = r->h.process != NULL;
	int i;

	/* Cleared so that a stale errno is not blamed for a stream error that set
	 * none (reported as EIO below). */
	errno = 0;
	put_header(f, &r->h);
	putc('\n', f);
	for (i = 0; i < r->nalerts; i++)
		put_alert(f, &r->alerts[i]);
	if (r->nalerts > 0)
		putc('\n', f);
	if (r->nsites <= 0) {
		fputs(windows ? "  no survivors of settled windows yet\n"
			      : "  no outstanding allocations recorded\n", f);
	} else {
		if (windows)
			fprintf(f, "%10s %8s %10s  %10s  %-9s  %s\n", "SURVIVING", "COUNT", "DELTA",
				"RATE/MIN", "WINDOWS", "SITE (exact windows: what outlived them)");
		else if (judged)
			fprintf(f, "%10s %8s %10s  %10s  %-9s  %s\n", "BYTES", "COUNT", "DELTA",
				"RATE/MIN", "TREND", "SITE");
		else
			fprintf(f, "%10s %8s %10s  %s\n", "BYTES", "COUNT", "DELTA", "SITE");
		for (i = 0; i < r->nsites; i++)
			put_site(f, &r->sites[i], r->show_stacks, windows, judged);
		if (r->h.nsites > (uint64_t)r->nsites)
			fprintf(f, "  ... %" PRIu64 " more site%s not shown\n",
				r->h.nsites - r->nsites, plural(r->h.nsites - r->nsites));
	}
	if (r->ntypes > 0 && r->census)
		put_census(f, r);
	if (r->nhints > 0) {
		fputs("\n  first-touch HINTS (who faulted new pages in; biased toward code that\n"
		      "  allocates in bursts, so not a leak ranking; right for native growth):\n", f);
		fprintf(f, "%10s %8s %10s  %s\n", "FAULTED", "FAULTS", "DELTA", "SITE");
		for (i = 0; i < r->nhints; i++)
			put_site(f, &r->hints[i], r->show_stacks, false, false);
	}
	putc('\n', f);

	/* Errors are sticky on the stream: one check here covers every write above. */
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
