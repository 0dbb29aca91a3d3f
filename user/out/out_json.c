/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * out_json.c: the --format json exporter. Each report becomes exactly one JSON
 * object on one line (JSON Lines), for scripts and CI that read stdout with
 * jq or json.loads. The schema is documented in README "JSON output"; keys are
 * snake_case with the unit in the name, and "unknown" is always null.
 *
 * Everything printed is valid JSON and valid UTF-8 whatever the report holds:
 * file and function names are read from the target's memory and may be any
 * bytes, and doubles may be NaN or infinite.
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
#include "service.h"
#include "svcmerge.h"
#include "textsafe.h"

/* json_ascii() - one byte < 0x80 as it must appear inside a JSON string. */
static void json_ascii(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		/* JSON only requires < 0x20 to be escaped; DEL is escaped too so that
		 * a line shown in a terminal or a log cannot hide characters. */
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
}

/*
 * json_str() - write s as a JSON string literal, or null when s is NULL.
 *
 * s may hold any bytes. '"', '\\' and control characters are escaped, well-formed
 * UTF-8 sequences are copied as they are, and each maximal subpart of an
 * ill-formed sequence becomes one \ufffd (Unicode "U+FFFD substitution of maximal
 * subparts", chapter 3.9; Python's decode(errors="replace") does the same). The
 * result is therefore always valid UTF-8, which strict readers (Python, Go, jq)
 * require: they reject or mangle the whole line otherwise.
 */
static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	while (*s) {
		int n = utf8_seq(s);

		if (n == 1)
			json_ascii(f, (unsigned char)*s);
		else if (n > 1)
			fwrite(s, 1, n, f);
		else
			fputs("\\ufffd", f);
		s += n > 0 ? n : -n;
	}
	putc('"', f);
}

/* put_drops() - "drops":{"live_full":N,...}: every drop counter by name. */
static void put_drops(FILE *f, const struct report_drops *d)
{
	fputs(",\"drops\":{", f);
	drops_print(f, d, true);
	putc('}', f);
}

/*
 * json_double() - v with millisecond precision, or null when it is NaN or
 * infinite (JSON has no spelling for those).
 *
 * Not printf("%f"): that honours LC_NUMERIC, and a decimal comma would break
 * every reader if anything in the process ever calls setlocale().
 */
static void json_double(FILE *f, double v)
{
	char buf[40];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	fmt_milli(buf, sizeof(buf), v);
	fputs(buf, f);
}

static void json_bool(FILE *f, bool b)
{
	fputs(b ? "true" : "false", f);
}

static void json_frame(FILE *f, const struct report_frame *fr)
{
	fputs("{\"file\":", f);
	json_str(f, fr->file);
	fputs(",\"func\":", f);
	json_str(f, fr->func);
	fputs(",\"line\":", f);
	if (fr->line < 0)
		fputs("null", f);
	else
		fprintf(f, "%d", fr->line);
	putc('}', f);
}

/* json_p() - a p-value, null when unknown (< 0). */
static void json_p(FILE *f, double p)
{
	if (p < 0 || !isfinite(p))
		fputs("null", f);
	else
		fprintf(f, "%.3g", p);
}

/* json_site() - one site; windows adds the survivor fields (growth mode),
 * judged the growth judgement. */
static void json_site(FILE *f, const struct report_site *s, bool windows, bool judged)
{
	int i;

	/* A string: 64-bit ids do not survive readers that use doubles (jq, JS). */
	fprintf(f, "{\"id\":\"%016" PRIx64 "\"", s->id);
	fprintf(f, ",\"bytes\":%" PRId64 ",\"count\":%" PRId64, s->bytes, s->count);
	fprintf(f, ",\"delta_bytes\":%" PRId64 ",\"delta_count\":%" PRId64,
		s->delta_bytes, s->delta_count);
	fprintf(f, ",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64, s->allocs, s->frees);
	fputs(",\"age_s\":", f);
	json_double(f, s->age_s);
	fputs(",\"native_caller\":", f);
	json_str(f, s->native_caller);
	fputs(",\"evidence\":", f);
	json_str(f, s->evidence);
	if (windows) {
		fprintf(f, ",\"windows_seen\":%" PRIu32 ",\"windows_survived\":%" PRIu32,
			s->windows_seen, s->windows_survived);
		fputs(",\"persistent\":", f);
		json_bool(f, s->persistent);
	}
	if (judged) {
		fputs(",\"rate_bytes_per_min\":", f);
		json_double(f, s->rate_bps * 60);
		if (!windows) {
			fputs(",\"window_growth_bytes\":", f);
			json_double(f, s->window_growth);
			fputs(",\"window_span_s\":", f);
			json_double(f, s->window_span_s);
			fputs(",\"p_value\":", f);
			json_p(f, s->p_value);
			fputs(",\"trend\":", f);
			json_str(f, s->trend);
		}
		fputs(",\"alert\":", f);
		json_bool(f, s->alert);
		if (s->alert) {
			fputs(",\"alert_since_s\":", f);
			json_double(f, s->alert_since_s);
		}
	}
	if (s->ntypes > 0) {
		fprintf(f, ",\"types_sampled\":%" PRIu32 ",\"types\":[", s->types_sampled);
		for (i = 0; i < s->ntypes; i++) {
			fputs(i ? ",{\"name\":" : "{\"name\":", f);
			json_str(f, s->types[i].name);
			fputs(",\"share\":", f);
			json_double(f, s->types[i].share);
			putc('}', f);
		}
		putc(']', f);
	}
	fputs(",\"truncated\":", f);
	json_bool(f, s->truncated);
	fputs(",\"frames\":[", f);
	for (i = 0; i < s->nframes; i++) {
		if (i)
			putc(',', f);
		json_frame(f, &s->frames[i]);
	}
	fputs("]}", f);
}

/* json_growth() - growth mode's "growth" and "windows" objects. */
static void json_growth(FILE *f, const struct report_growth *g)
{
	fprintf(f, ",\"growth\":{\"anon_bytes\":%" PRIu64 ",\"anon_growth_bytes\":%" PRId64,
		g->anon_bytes, g->anon_growth_bytes);
	if (g->kernel_known)
		fprintf(f, ",\"faults\":%" PRIu64 ",\"fault_bytes\":%" PRIu64
			",\"thp_faults\":%" PRIu64 ",\"thp_bytes\":%" PRIu64
			",\"mmap_bytes\":%" PRIu64 ",\"munmap_bytes\":%" PRIu64
			",\"brk_bytes\":%" PRId64 ",\"madvise_free_bytes\":%" PRIu64 "}",
			g->faults, g->fault_bytes, g->thp_faults, g->thp_bytes, g->mmap_bytes,
			g->munmap_bytes, g->brk_bytes, g->madv_free_bytes);
	else
		fputs(",\"faults\":null,\"fault_bytes\":null,\"thp_faults\":null,"
		      "\"thp_bytes\":null,\"mmap_bytes\":null,\"munmap_bytes\":null,"
		      "\"brk_bytes\":null,\"madvise_free_bytes\":null}", f);
	fputs(",\"windows\":{\"capture\":", f);
	json_str(f, g->window_capture);
	fputs(",\"state\":", f);
	json_str(f, g->window_state);
	fputs(",\"last_reason\":", f);
	json_str(f, g->window_reason);
	fprintf(f, ",\"opened\":%" PRIu32 ",\"settled\":%" PRIu32, g->windows, g->settled);
	fputs(",\"spent_last_hour_s\":", f);
	json_double(f, g->window_spent_s);
	fputs(",\"budget_per_hour_s\":", f);
	json_double(f, g->window_budget_s);
	fprintf(f, ",\"persistent_sites\":%" PRIu64, g->npersistent);
	if (g->verdict_eta_s >= 0) {
		fprintf(f, ",\"verdict_after_window\":%" PRIu32 ",\"verdict_eta_s\":",
			g->verdict_window);
		json_double(f, g->verdict_eta_s);
		putc('}', f);
	} else {
		fputs(",\"verdict_after_window\":null,\"verdict_eta_s\":null}", f);
	}
}

/* json_alert() - one transition, with its evidence. */
static void json_alert(FILE *f, const struct report_alert *a)
{
	fputs("{\"state\":", f);
	json_str(f, a->state);
	fputs(",\"subject\":", f);
	json_str(f, a->subject);
	if (a->nframes > 0)
		fprintf(f, ",\"id\":\"%016" PRIx64 "\"", a->id);
	else
		fputs(",\"id\":null", f);
	fputs(",\"evidence\":", f);
	json_str(f, a->evidence);
	fputs(",\"rate_bytes_per_min\":", f);
	json_double(f, a->rate_bps * 60);
	fputs(",\"growth_bytes\":", f);
	json_double(f, a->growth_bytes);
	fputs(",\"duration_s\":", f);
	json_double(f, a->duration_s);
	fputs(",\"p_value\":", f);
	json_p(f, a->p_value);
	if (!strcmp(a->evidence ? a->evidence : "", "survivors"))
		fprintf(f, ",\"windows_seen\":%" PRIu32 ",\"windows_survived\":%" PRIu32,
			a->windows_seen, a->windows_survived);
	fprintf(f, ",\"bytes\":%" PRId64, a->bytes);
	fputs(",\"since_s\":", f);
	json_double(f, a->since_s);
	fputs(",\"native_caller\":", f);
	json_str(f, a->native_caller);
	fputs(",\"hint\":", f);
	json_str(f, a->hint);
	fputs(",\"incident\":", f);
	if (a->incident)
		fprintf(f, "\"%016" PRIx64 "\"", a->incident);
	else
		fputs("null", f);
	fputs(",\"frames\":[", f);
	for (int i = 0; i < a->nframes; i++) {
		if (i)
			putc(',', f);
		json_frame(f, &a->frames[i]);
	}
	fputs("]}", f);
}

/* json_incident() - one incident: its head frame, members and sums. */
static void json_incident(FILE *f, const struct report_incident *x)
{
	fprintf(f, "{\"id\":\"%016" PRIx64 "\",\"state\":", x->id);
	json_str(f, x->state);
	fputs(",\"raised_now\":", f);
	json_bool(f, x->raised_now);
	fputs(",\"head\":", f);
	json_frame(f, &x->head);
	fputs(",\"head_in_library\":", f);
	json_bool(f, x->head_in_library);
	fputs(",\"members\":[", f);
	for (int i = 0; i < x->nmembers; i++)
		fprintf(f, "%s\"%016" PRIx64 "\"", i ? "," : "", x->members[i]);
	fprintf(f, "],\"joined\":%" PRIu32 ",\"rate_bytes_per_min\":", x->joined);
	json_double(f, x->rate_bps * 60);
	fprintf(f, ",\"bytes\":%" PRId64 ",\"since_s\":", x->bytes);
	json_double(f, x->since_s);
	fputs(",\"duration_s\":", f);
	json_double(f, x->duration_s);
	fputs(",\"hint\":", f);
	json_str(f, x->hint);
	putc('}', f);
}

/* json_oom() - evidence at OOM, at the end of the process object of the
 * final report of a process the kernel OOM-killed (absent from every other
 * report): "oom_killed":true and "oom", how it is known and its memory
 * cgroup's figures (null when unknown). */
static void json_oom(FILE *f, const struct report_oom *o)
{
	if (!o)
		return;
	fputs(",\"oom_killed\":true,\"oom\":{\"source\":", f);
	json_str(f, o->source);
	fputs(",\"exit_signal\":", f);
	if (o->exit_signal)
		fprintf(f, "%d", o->exit_signal);
	else
		fputs("null", f);
	fputs(",\"memory_max_bytes\":", f);
	if (o->memory_max && o->memory_max != UINT64_MAX)
		fprintf(f, "%" PRIu64, o->memory_max);
	else
		fputs("null", f);
	fputs(",\"memory_limited\":", f);
	if (o->memory_max)
		json_bool(f, o->memory_max != UINT64_MAX);
	else
		fputs("null", f);
	fputs(",\"cgroup_oom_kills\":", f);
	if (o->oom_kills_known)
		fprintf(f, "%" PRIu64, o->oom_kills);
	else
		fputs("null", f);
	fputs(",\"cgroup\":", f);
	json_str(f, o->cgroup);
	putc('}', f);
}

/* json_process() - the process trend and GC object. */
static void json_process(FILE *f, const struct report_process *p)
{
	fputs(",\"trend\":{\"window_s\":", f);
	json_double(f, p->window_s);
	fputs(",\"anon_rate_bytes_per_min\":", f);
	json_double(f, p->anon_rate_bps * 60);
	fputs(",\"anon_growth_bytes\":", f);
	json_double(f, p->anon_growth);
	fputs(",\"anon_span_s\":", f);
	json_double(f, p->anon_span_s);
	fputs(",\"anon_p_value\":", f);
	json_p(f, p->anon_p);
	fputs(",\"anon_trend\":", f);
	json_str(f, p->anon_trend);
	fputs(",\"rss_rate_bytes_per_min\":", f);
	json_double(f, p->rss_rate_bps * 60);
	fputs(",\"rss_trend\":", f);
	json_str(f, p->rss_trend);
	fprintf(f, ",\"alerts_active\":%" PRIu32 ",\"alerts_raised\":%" PRIu64
		",\"incidents_active\":%" PRIu32 ",\"incidents_raised\":%" PRIu64,
		p->active_alerts, p->alerts_raised, p->incidents_active, p->incidents_raised);
	if (p->resources_known) {
		fprintf(f, ",\"fds\":%" PRIu64 ",\"fds_rate_per_min\":", p->fds);
		json_double(f, p->fds_rate_per_s * 60);
		fputs(",\"fds_trend\":", f);
		json_str(f, p->fds_trend);
		fprintf(f, ",\"threads\":%" PRIu64 ",\"threads_rate_per_min\":", p->threads);
		json_double(f, p->threads_rate_per_s * 60);
		fputs(",\"threads_trend\":", f);
		json_str(f, p->threads_trend);
	} else {
		fputs(",\"fds\":null,\"threads\":null", f);
	}
	putc('}', f);
	fputs(",\"gc\":", f);
	if (!p->gc_known) {
		fputs("null", f);
		return;
	}
	fputs("{\"enabled\":", f);
	json_bool(f, p->gc_enabled);
	fprintf(f, ",\"threshold\":[%" PRIu32 ",%" PRIu32 ",%" PRIu32 "]", p->gc_threshold[0],
		p->gc_threshold[1], p->gc_threshold[2]);
	fprintf(f, ",\"count\":[%" PRIu32 ",%" PRIu32 ",%" PRIu32 "]", p->gc_count[0],
		p->gc_count[1], p->gc_count[2]);
	fprintf(f, ",\"collections\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]",
		p->gc_collections[0], p->gc_collections[1], p->gc_collections[2]);
	fprintf(f, ",\"collected\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", p->gc_collected[0],
		p->gc_collected[1], p->gc_collected[2]);
	fprintf(f, ",\"uncollectable\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]}",
		p->gc_uncollectable[0], p->gc_uncollectable[1], p->gc_uncollectable[2]);
}

/* json_census() - the GC census: how much it saw, and types by growth. */
static void json_census(FILE *f, const struct report *r)
{
	const struct report_census *c = r->census;

	fprintf(f, ",\"census\":{\"objects\":%" PRIu64 ",\"lists\":%" PRIu32
		",\"complete_lists\":%" PRIu32 ",\"budget_hit\":",
		c->objects, c->lists, c->complete_lists);
	json_bool(f, c->budget_hit);
	fputs(",\"seconds\":", f);
	json_double(f, c->seconds);
	fputs(",\"age_s\":", f);
	json_double(f, c->age_s);
	fprintf(f, ",\"censuses\":%" PRIu32 ",\"walks\":%" PRIu32 ",\"types\":[", c->ncensus,
		c->walks);
	for (int i = 0; i < r->ntypes; i++) {
		const struct report_type *t = &r->types[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, t->name);
		fprintf(f, ",\"count\":%" PRIu64 ",\"delta\":%" PRId64, t->count, t->delta);
		fputs(",\"rate_per_min\":", f);
		json_double(f, t->rate_per_min);
		fputs(",\"trend\":", f);
		json_str(f, t->trend);
		fputs(",\"p_value\":", f);
		json_p(f, t->p_value);
		putc('}', f);
	}
	fputs("]}", f);
}

/* put_identity() - the process's cgroup and its known container/unit
 * labels as members of the "process" object, named as the Prometheus labels;
 * a field that is not known is left out (never "" or null). */
static void put_identity(FILE *f, const struct proc_identity *id)
{
	const char *names[IDENTITY_NLABELS], *values[IDENTITY_NLABELS];
	int n;

	if (!id)
		return;
	if (id->cgroup[0]) {
		fputs(",\"cgroup\":", f);
		json_str(f, id->cgroup);
	}
	n = identity_labels(id, names, values, IDENTITY_NLABELS);
	for (int i = 0; i < n; i++) {
		fprintf(f, ",\"%s\":", names[i]);
		json_str(f, values[i]);
	}
}

/*
 * out_json_write() - see report.h. Every frame of every site is written, whatever
 * r->show_stacks says: a script cannot ask again, and the frames are what it
 * groups and diffs by. The stream is flushed so that a reader at the other end
 * of a pipe gets each report when it is made, not when stdio's buffer fills.
 */
int out_json_write(FILE *f, const struct report *r)
{
	const struct report_header *h = &r->h;
	int i;

	/* Cleared so that a stale errno is not blamed for a stream error that set
	 * none (reported as EIO below). */
	errno = 0;
	fprintf(f, "{\"type\":\"report\",\"seq\":%" PRIu64 ",\"final\":", h->seq);
	json_bool(f, h->final);
	fputs(",\"elapsed_s\":", f);
	json_double(f, h->elapsed_s);

	fprintf(f, ",\"process\":{\"pid\":%d,\"comm\":", h->pid);
	json_str(f, h->comm);
	fputs(",\"python_version\":", f);
	json_str(f, h->python_version);
	fputs(",\"build\":", f);
	json_str(f, h->build);
	fprintf(f, ",\"rss_bytes\":%" PRIu64, h->rss_bytes);
	put_identity(f, h->identity);
	if (h->node_name) {
		fputs(",\"node\":", f);
		json_str(f, h->node_name);
	}
	json_oom(f, h->oom);
	putc('}', f);

	fputs(",\"capture\":{\"mode\":", f);
	json_str(f, h->mode);
	fputs(",\"method\":", f);
	json_str(f, h->capture);
	fprintf(f, ",\"alloc_hits\":%" PRIu64 ",\"free_hits\":%" PRIu64, h->alloc_hits,
		h->free_hits);
	fprintf(f, ",\"dropped\":%" PRIu64 ",\"no_tstate\":%" PRIu64, h->drops, h->no_tstate);
	put_drops(f, &h->drop_counts);
	fputs(",\"gc_collections\":", f);
	if (h->gc_collections_known)
		fprintf(f, "[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", h->gc_collections[0],
			h->gc_collections[1], h->gc_collections[2]);
	else
		fputs("null", f);
	putc('}', f);

	fprintf(f, ",\"outstanding_bytes\":%" PRId64 ",\"outstanding_count\":%" PRId64,
		h->outstanding_bytes, h->outstanding_count);
	fprintf(f, ",\"sites_total\":%" PRIu64, h->nsites);
	if (h->node)
		fprintf(f, ",\"node\":{\"watched\":%" PRIu32 ",\"max_targets\":%" PRIu32
			",\"skipped\":{\"max_targets\":%" PRIu64 "}}", h->node->watched,
			h->node->max_targets, h->node->skipped_max_targets);

	fputs(",\"warnings\":[", f);
	for (i = 0; i < h->nwarnings; i++) {
		if (i)
			putc(',', f);
		json_str(f, h->warnings[i]);
	}
	fputs("],\"sites\":[", f);
	for (i = 0; i < r->nsites; i++) {
		if (i)
			putc(',', f);
		json_site(f, &r->sites[i], h->growth != NULL, h->process != NULL);
	}
	putc(']', f);
	if (h->process) {
		fputs(",\"group_by\":", f);
		json_str(f, h->group_by);
		fputs(",\"alerts\":[", f);
		for (i = 0; i < r->nalerts; i++) {
			if (i)
				putc(',', f);
			json_alert(f, &r->alerts[i]);
		}
		fputs("],\"incidents\":[", f);
		for (i = 0; i < r->nincidents; i++) {
			if (i)
				putc(',', f);
			json_incident(f, &r->incidents[i]);
		}
		putc(']', f);
		json_process(f, h->process);
	}
	if (r->census)
		json_census(f, r);
	if (h->growth) {
		json_growth(f, h->growth);
		fputs(",\"hints\":[", f);
		for (i = 0; i < r->nhints; i++) {
			if (i)
				putc(',', f);
			json_site(f, &r->hints[i], false, false);
		}
		putc(']', f);
	}
	fputs("}\n", f);

	/* Errors are sticky on the stream: one check here covers every write above. */
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

/* json_svc_row() - a merged site, or an alert's site: id, figures, top frame. */
static void json_svc_row(FILE *f, const struct svc_row *r)
{
	fprintf(f, "\"id\":\"%016" PRIx64 "\",\"bytes\":%" PRId64 ",\"count\":%" PRId64
		",\"rate_bytes_per_min\":", r->id, r->bytes, r->count);
	json_double(f, r->rate_bps * 60);
	fputs(",\"frames\":[", f);
	json_frame(f, &r->top);
	putc(']', f);
}

int out_json_service_write(FILE *f, const struct svc_report *r)
{
	const struct svc_group *g = r->g;
	const struct service_key *k = r->key;

	errno = 0;
	fprintf(f, "{\"type\":\"service\",\"seq\":%" PRIu64 ",\"final\":", r->seq);
	json_bool(f, r->final);
	fprintf(f, ",\"unix_time\":");
	json_double(f, r->unix_time);
	fprintf(f, ",\"service\":{\"id\":\"%016" PRIx64 "\",\"exe\":", k->id);
	json_str(f, k->exe);
	fputs(",\"shape\":", f);
	json_str(f, k->shape);
	fputs(",\"container_id\":", f);
	json_str(f, k->container_id[0] ? k->container_id : NULL);
	if (r->node_name) {
		fputs(",\"node\":", f);
		json_str(f, r->node_name);
	}
	fputs(",\"pids\":[", f);
	for (int i = 0; i < g->n; i++)
		fprintf(f, "%s%d", i ? "," : "", g->m[i].pid);
	fprintf(f, "],\"alerts_active\":%d},\"sites\":[", g->nalerting);
	for (int i = 0; i < g->nmerged; i++) {
		fputs(i ? ",{" : "{", f);
		json_svc_row(f, &g->merged[i]);
		fprintf(f, ",\"members\":%d,\"alert\":", g->merged[i].nmembers);
		json_bool(f, g->merged[i].alert);
		putc('}', f);
	}
	fputs("],\"alerts\":[", f);
	for (int i = 0; i < g->ntrans; i++) {
		fputs(i ? ",{\"state\":" : "{\"state\":", f);
		json_str(f, g->trans[i].state);
		fputs(",\"subject\":\"site\",", f);
		json_svc_row(f, &g->trans[i].site);
		fprintf(f, ",\"members\":%d}", g->trans[i].nmembers);
	}
	fputs("]}\n", f);
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
