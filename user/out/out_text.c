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
#include "escape.h"
#include "fmt.h"
#include "report.h"
#include "service.h"
#include "svcmerge.h"
#include "sparkline.h"

/* Column layout of the site table: "%10s %8s %10s  " puts SITE at column 32.
 * Ten columns hold any fmt_bytes() result below 1000 TiB, with its sign. */
#define SITE_COL 32
/* Stack frames (--stacks) sit under the SITE column, a little further in. */
#define FRAME_INDENT (SITE_COL + 2)
/* Cells of the RECENT column (live view): its newest samples. */
#define SPARK_CELLS 12

/* put_str() - s for a terminal: "?" when NULL, control characters escaped
 * (escape.h: names come from the target's memory). */
static void put_str(FILE *f, const char *s)
{
	esc_put(f, s, NULL);
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
	if (g->verdict_eta_s >= 0)
		fprintf(f, "    no leak verdict yet: it comes when window %" PRIu32 " settles, in "
			"about %.0fs\n", g->verdict_window, g->verdict_eta_s);
	fprintf(f, "  survivors %s in %" PRId64 " allocation%s at %" PRIu64 " site%s, %" PRIu64
		" persistent\n",
		fmt_bytes(a, sizeof(a), (double)h->outstanding_bytes, false), h->outstanding_count,
		plural((uint64_t)h->outstanding_count), h->nsites, plural(h->nsites),
		g->npersistent);
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
	fprintf(f, ")  alerts active %" PRIu32 ", raised %" PRIu64 "; incidents active %" PRIu32
		", raised %" PRIu64 "\n", p->active_alerts, p->alerts_raised, p->incidents_active,
		p->incidents_raised);
	if (p->resources_known) {
		fprintf(f, "  open fds %" PRIu64 " (%+.1f/min, ", p->fds, p->fds_rate_per_s * 60);
		put_str(f, p->fds_trend);
		fprintf(f, ")  threads %" PRIu64 " (%+.1f/min, ", p->threads,
			p->threads_rate_per_s * 60);
		put_str(f, p->threads_trend);
		fputs(")\n", f);
	}
	if (!p->gc_known)
		return;
	fprintf(f, "  GC %s, thresholds %" PRIu32 "/%" PRIu32 "/%" PRIu32 "; since attach: collected "
		"%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", uncollectable %" PRIu64 "\n",
		p->gc_enabled ? "enabled" : "DISABLED", p->gc_threshold[0], p->gc_threshold[1],
		p->gc_threshold[2], p->gc_collected[0], p->gc_collected[1], p->gc_collected[2],
		p->gc_uncollectable[0] + p->gc_uncollectable[1] + p->gc_uncollectable[2]);
}

/* put_hint() - "hint: ..." under an alert or incident, if there is one. */
static void put_hint(FILE *f, const char *hint, const char *in)
{
	if (!hint)
		return;
	fputs(in, f);
	fputs("  hint: ", f);
	put_str(f, hint);
	putc('\n', f);
}

/* put_alert() - one transition: what, where, and the evidence; its lines
 * start with in (two spaces more under an incident). */
static void put_alert(FILE *f, const struct report_alert *a, const char *in)
{
	char r[40], g[32], b[32], p[32];

	bool resolved = !strcmp(a->state, "resolved");
	bool counted = !strcmp(a->subject, "fds") || !strcmp(a->subject, "threads");

	fputs(in, f);
	if (resolved) {
		fputs("RESOLVED ", f);
	} else {
		fputs("ALERT ", f);
		put_str(f, a->state);
		putc(' ', f);
	}
	put_str(f, a->subject);
	putc(' ', f);
	if (a->nframes > 0)
		put_frame(f, &a->frames[0]);
	else
		fputs(counted ? "of the process" : "anonymous memory", f);
	if (a->native_caller) {
		fputs("  [caller: ", f);
		put_str(f, a->native_caller);
		putc(']', f);
	}
	if (counted) {
		/* counts, not bytes */
		if (resolved)
			fprintf(f, "\n%s  after %.0fs (raised at %.0fs); %" PRId64 " now\n", in,
				a->duration_s, a->since_s, a->bytes);
		else
			fprintf(f, "\n%s  %+.1f/min; %+.0f over the last %.0fs (Mann-Kendall p=%s); "
				"%" PRId64 " now; raised %.0fs after attach\n", in, a->rate_bps * 60,
				a->growth_bytes, a->duration_s, fmt_p(p, sizeof(p), a->p_value),
				a->bytes, a->since_s);
		put_hint(f, a->hint, in);
		return;
	}
	if (resolved) {
		fprintf(f, "\n%s  after %.0fs (raised at %.0fs); rate now %s\n", in, a->duration_s,
			a->since_s, fmt_rate(r, sizeof(r), a->rate_bps));
		return;
	}
	if (!strcmp(a->state, "oom_killed")) { /* evidence at OOM: the top site above */
		fprintf(f, "\n%s  the kernel's OOM killer ended the process (", in);
		put_str(f, a->evidence);
		fprintf(f, "); anonymous memory %s at the end, %.0fs after attach\n",
			fmt_bytes(b, sizeof(b), (double)a->bytes, false), a->since_s);
		return;
	}
	fprintf(f, "\n%s  %s", in, fmt_rate(r, sizeof(r), a->rate_bps));
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
	if (!a->incident)
		put_hint(f, a->hint, in);
}

/* put_incident() - an incident that changed in this report (raised, joined
 * by a site, a member resolved, or resolved): a head line naming the line to
 * fix, then this report's transitions of its members, indented under it. */
static void put_incident(FILE *f, const struct report_incident *x, const struct report *rp)
{
	char r[40], b[32];
	bool resolved = x->state[0] == 'r';

	fprintf(f, "  %s incident %016" PRIx64 " at ",
		resolved ? "RESOLVED" : x->raised_now ? "ALERT leak_suspect" : "ALERT update",
		x->id);
	put_frame(f, &x->head);
	if (x->head_in_library)
		fputs(" (library code; no application frame)", f);
	if (resolved)
		fprintf(f, "\n    after %.0fs: all %d site%s below it resolved\n", x->duration_s,
			x->nmembers, x->nmembers == 1 ? "" : "s");
	else
		fprintf(f, "\n    %d site%s below it (%" PRIu32 " new), %s in total, %s live; "
			"raised %.0fs after attach\n", x->nmembers, x->nmembers == 1 ? "" : "s",
			x->joined, fmt_rate(r, sizeof(r), x->rate_bps),
			fmt_bytes(b, sizeof(b), (double)x->bytes, false), x->since_s);
	if (!resolved)
		put_hint(f, x->hint, "  ");
	for (int i = 0; i < rp->nalerts; i++)
		if (rp->alerts[i].incident == x->id)
			put_alert(f, &rp->alerts[i], "    ");
}

/* put_alerts() - this report's alert transitions: one block per incident
 * that changed, then the alerts that belong to no incident (the process). */
static void put_alerts(FILE *f, const struct report *r)
{
	int shown = 0;

	for (int i = 0; i < r->nincidents; i++) {
		const struct report_incident *x = &r->incidents[i];
		bool changed = x->raised_now || x->joined || x->state[0] == 'r';

		for (int k = 0; k < r->nalerts && !changed; k++)
			changed = r->alerts[k].incident == x->id;
		if (changed) {
			put_incident(f, x, r);
			shown++;
		}
	}
	for (int i = 0; i < r->nalerts; i++)
		if (!r->alerts[i].incident) {
			put_alert(f, &r->alerts[i], "  ");
			shown++;
		}
	if (shown)
		putc('\n', f);
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

/* put_identity() - "  identity: name=value ..." of the process's container
 * or unit labels (identity_labels() order); nothing when none is known. */
static void put_identity(FILE *f, const struct proc_identity *id)
{
	const char *names[IDENTITY_NLABELS], *values[IDENTITY_NLABELS];
	int n = id ? identity_labels(id, names, values, IDENTITY_NLABELS) : 0;

	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%s=", i ? " " : "  identity: ", names[i]);
		put_str(f, values[i]);
	}
	if (n)
		putc('\n', f);
}

/* put_oom() - evidence at OOM: the header's oom_killed line. */
static void put_oom(FILE *f, const struct report_oom *o)
{
	char a[32];

	fputs("  oom_killed: by the kernel's OOM killer (", f);
	put_str(f, o->source);
	if (o->exit_signal)
		fprintf(f, ", died of signal %d", o->exit_signal);
	fputs(")", f);
	if (o->cgroup) {
		fputs("; memory cgroup ", f);
		put_str(f, o->cgroup);
	}
	if (o->memory_max == UINT64_MAX)
		fputs(", no limit", f);
	else if (o->memory_max)
		fprintf(f, ", limit %s", fmt_bytes(a, sizeof(a), (double)o->memory_max, false));
	if (o->oom_kills_known)
		fprintf(f, ", %" PRIu64 " OOM kill%s there", o->oom_kills, plural(o->oom_kills));
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

	put_identity(f, h->identity);
	fputs("  mode ", f);
	put_str(f, h->mode);
	fputs(", capture: ", f);
	put_str(f, h->capture);
	putc('\n', f);
	if (h->node)
		fprintf(f, "  node: %" PRIu32 " process%s watched (at most %" PRIu32 "), %" PRIu64
			" not watched (--max-targets)\n", h->node->watched,
			h->node->watched == 1 ? "" : "es", h->node->max_targets,
			h->node->skipped_max_targets);

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
	if (h->oom)
		put_oom(f, h->oom);

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

/* put_spark() - the RECENT column: the sparkline of h, padded to its width. */
static void put_spark(FILE *f, const struct report_series *h)
{
	char buf[SPARK_CELLS * SPARKLINE_CELL_BYTES + 1];
	int cells = h ? sparkline(buf, sizeof(buf), h->pts, h->n, SPARK_CELLS) : 0;

	fprintf(f, "%s%*s  ", cells ? buf : "-", SPARK_CELLS - (cells ? cells : 1), "");
}

/* put_site() - one row. judged adds RATE/MIN (and TREND without windows);
 * windows adds the WINDOWS column (survivors); spark, the RECENT column
 * (live view) from that history. */
static void put_site(FILE *f, const struct report_site *s, bool show_stacks, bool windows,
		     bool judged, const struct report_series *spark)
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
	if (spark)
		put_spark(f, spark);
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
	put_alerts(f, r);
	if (r->nsites <= 0) {
		fputs(windows ? "  no survivors of settled windows yet\n"
			      : "  no outstanding allocations recorded\n", f);
	} else {
		bool spark = r->sparklines && r->site_history;

		if (windows)
			fprintf(f, "%10s %8s %10s  %10s  %-9s  ", "SURVIVING", "COUNT", "DELTA",
				"RATE/MIN", "WINDOWS");
		else if (judged)
			fprintf(f, "%10s %8s %10s  %10s  %-9s  ", "BYTES", "COUNT", "DELTA",
				"RATE/MIN", "TREND");
		else
			fprintf(f, "%10s %8s %10s  ", "BYTES", "COUNT", "DELTA");
		if (spark)
			fprintf(f, "%-*s  ", SPARK_CELLS, "RECENT");
		fputs(windows ? "SITE (exact windows: what outlived them)\n" : "SITE\n", f);
		for (i = 0; i < r->nsites; i++)
			put_site(f, &r->sites[i], r->show_stacks, windows, judged,
				 spark ? &r->site_history[i] : NULL);
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
			put_site(f, &r->hints[i], r->show_stacks, false, false, NULL);
	}
	putc('\n', f);

	/* Errors are sticky on the stream: one check here covers every write above. */
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int out_text_service_write(FILE *f, const struct svc_report *r)
{
	const struct svc_group *g = r->g;
	char a[32], b[32];

	errno = 0;
	fprintf(f, "=== service %016" PRIx64 " #%" PRIu64 "%s: ", r->key->id, r->seq,
		r->final ? " (final)" : "");
	put_str(f, r->key->shape);
	fputs("\n  exe ", f);
	put_str(f, r->key->exe);
	if (r->key->container_id[0]) {
		fputs(", container ", f);
		put_str(f, r->key->container_id);
	}
	fprintf(f, "\n  %d member%s:", g->n, plural((uint64_t)g->n));
	for (int i = 0; i < g->n; i++)
		fprintf(f, " %d", g->m[i].pid);
	fprintf(f, "; %d site alert%s active\n", g->nalerting, plural((uint64_t)g->nalerting));
	for (int i = 0; i < g->ntrans; i++) {
		fprintf(f, "  ALERT %s: ", g->trans[i].state);
		put_frame(f, &g->trans[i].site.top);
		fprintf(f, " (%d member%s)\n", g->trans[i].nmembers,
			plural((uint64_t)g->trans[i].nmembers));
	}
	if (g->nmerged)
		fprintf(f, "%10s %10s %8s  %s\n", "BYTES", "RATE/MIN", "MEMBERS", "SITE");
	for (int i = 0; i < g->nmerged; i++) {
		const struct svc_row *s = &g->merged[i];

		fprintf(f, "%10s %10s %8d  ", fmt_bytes(a, sizeof(a), (double)s->bytes, false),
			fmt_bytes(b, sizeof(b), s->rate_bps * 60, true), s->nmembers);
		put_frame(f, &s->top);
		fputs(s->alert ? "  [ALERT]\n" : "\n", f);
	}
	putc('\n', f);
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
