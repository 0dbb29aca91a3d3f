// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_prom.c: see out_prom.h. The families are one table; each entry's
 * emitter writes (or, without a stream, counts) its samples for one
 * process, so the writer can put HELP and TYPE once before all processes'
 * samples and leave out families nobody has a value for.
 *
 * Format rules followed (exposition format 0.0.4): base units in the name
 * (_bytes, _seconds, _bytes_per_second), counters end in _total, no
 * timestamps, label values escaped, values printed without the locale.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "out_prom.h"
#include "service.h"
#include "svcmerge.h"
#include "textsafe.h"

/* One family's output for one process. */
struct emit {
	FILE *f;			/* NULL: count only */
	const char *name;
	const struct prom_labels *ls;
	int top;
	int n;				/* samples so far */
};

void prom_label_value(FILE *f, const char *v)
{
	putc('"', f);
	for (v = v ? v : ""; *v;) {
		int n = utf8_seq(v);

		if (n > 1) {
			fwrite(v, 1, n, f);
		} else if (n < 0 || (unsigned char)*v == 0x7f ||
			   ((unsigned char)*v < 0x20 && *v != '\n')) {
			/* a carriage return or escape sequence in a label would
			 * garble every terminal and log that shows it */
			fputs(UTF8_REPLACEMENT, f);
		} else if (*v == '\\') {
			fputs("\\\\", f);
		} else if (*v == '"') {
			fputs("\\\"", f);
		} else if (*v == '\n') {
			fputs("\\n", f);
		} else {
			putc(*v, f);
		}
		v += n > 0 ? n : -n;
	}
	putc('"', f);
}

void prom_process_labels(const struct report_header *h, struct prom_labels *ls)
{
	snprintf(ls->pid, sizeof(ls->pid), "%d", h->pid);
	ls->n = 0;
	if (h->node_name) {
		ls->name[ls->n] = "node";
		ls->value[ls->n++] = h->node_name;
	}
	ls->name[ls->n] = "pid";
	ls->value[ls->n++] = ls->pid;
	ls->name[ls->n] = "comm";
	ls->value[ls->n++] = h->comm;
	/* container and pod: only those known (an empty label value is the
	 * same series as no label in Prometheus, and single-process files on
	 * a host without containers stay as they were) */
	if (h->identity)
		ls->n += identity_labels(h->identity, &ls->name[ls->n], &ls->value[ls->n],
					 PROM_MAX_LABELS - ls->n);
}

void prom_site_label(const struct report_site *s, char *buf, size_t len)
{
	prom_frame_label(s->nframes > 0 ? &s->frames[0] : NULL, buf, len);
}

void prom_frame_label(const struct report_frame *fr, char *buf, size_t len)
{
	char raw[2048], fileb[PROM_SITE_FILE_CHARS * 4 + 1];
	const char *file = "?", *func = "?", *slash;
	int line = -1;

	if (fr) {
		file = fr->file ? fr->file : "?";
		func = fr->func ? fr->func : "?";
		line = fr->line;
	}
	slash = strrchr(file, '/');
	if (slash && slash[1])
		file = slash + 1;
	/* a long file name must leave room for the line and the function */
	utf8_clean(fileb, sizeof(fileb), file, PROM_SITE_FILE_CHARS);
	/* snprintf may cut func's bytes anywhere; utf8_clean repairs the cut
	 * and applies the real limit, in characters */
	if (line >= 0)
		snprintf(raw, sizeof(raw), "%s:%d %.1000s", fileb, line, func);
	else
		snprintf(raw, sizeof(raw), "%s:? %.1000s", fileb, func);
	utf8_clean(buf, len, raw, PROM_SITE_CHARS);
}

/* put_value() - a sample value: integers as such, other finite values with
 * three decimals, and the format's own spellings of NaN and infinities. */
static void put_value(FILE *f, double v)
{
	char buf[48];

	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v); /* no decimal point: locale-proof */
	else {
		fmt_milli(buf, sizeof(buf), v);
		fputs(buf, f);
	}
}

/* sample() - one series of e's family: the process labels, then up to two
 * more (name NULL: none), then the value. */
static void sample(struct emit *e, const char *n1, const char *v1, const char *n2,
		   const char *v2, double v)
{
	e->n++;
	if (!e->f)
		return;
	fputs(e->name, e->f);
	for (int i = 0; i < e->ls->n; i++) {
		fprintf(e->f, "%c%s=", i ? ',' : '{', e->ls->name[i]);
		prom_label_value(e->f, e->ls->value[i]);
	}
	if (n1) {
		fprintf(e->f, ",%s=", n1);
		prom_label_value(e->f, v1);
	}
	if (n2) {
		fprintf(e->f, ",%s=", n2);
		prom_label_value(e->f, v2);
	}
	fputs("} ", e->f);
	put_value(e->f, v);
	putc('\n', e->f);
}

static void one(struct emit *e, double v)
{
	sample(e, NULL, NULL, NULL, NULL, v);
}

/* per_generation() - three series, generation="0".."2". */
static void per_generation(struct emit *e, const uint64_t v[3])
{
	static const char *const gen[] = { "0", "1", "2" };

	for (int i = 0; i < 3; i++)
		sample(e, "generation", gen[i], NULL, NULL, (double)v[i]);
}

/* ---- per process ---- */

static void rss(struct emit *e, const struct report *r)
{
	one(e, (double)r->h.rss_bytes);
}

static void anon(struct emit *e, const struct report *r)
{
	if (r->h.process)
		one(e, (double)r->h.process->anon_bytes);
	else if (r->h.growth)
		one(e, (double)r->h.growth->anon_bytes);
}

static void anon_rate(struct emit *e, const struct report *r)
{
	/* known once the trend has samples spanning some time */
	if (r->h.process && r->h.process->anon_span_s > 0)
		one(e, r->h.process->anon_rate_bps);
}

static void outstanding(struct emit *e, const struct report *r)
{
	one(e, (double)r->h.outstanding_bytes);
}

static void outstanding_count(struct emit *e, const struct report *r)
{
	one(e, (double)r->h.outstanding_count);
}

static void nsites(struct emit *e, const struct report *r)
{
	one(e, (double)r->h.nsites);
}

static void gc_enabled(struct emit *e, const struct report *r)
{
	if (r->h.process && r->h.process->gc_known)
		one(e, r->h.process->gc_enabled);
}

static void gc_collections(struct emit *e, const struct report *r)
{
	if (r->h.gc_collections_known)
		per_generation(e, r->h.gc_collections);
}

static void gc_collected(struct emit *e, const struct report *r)
{
	if (r->h.process && r->h.process->gc_known)
		per_generation(e, r->h.process->gc_collected);
}

static void gc_uncollectable(struct emit *e, const struct report *r)
{
	if (r->h.process && r->h.process->gc_known)
		per_generation(e, r->h.process->gc_uncollectable);
}

static void probe_hits(struct emit *e, const struct report *r)
{
	sample(e, "probe", "alloc", NULL, NULL, (double)r->h.alloc_hits);
	sample(e, "probe", "free", NULL, NULL, (double)r->h.free_hits);
}

/* Every drop counter of the header: one entry each (reason label, where). */
static const struct {
	const char *reason;
	size_t off;
} drop_counters[] = {
#define DROP(reason, field) { reason, offsetof(struct report_header, drop_counts.field) }
	DROP("live_map_full", live_full),
	DROP("site_map_full", sites_full),
	DROP("inflight_map_full", inflight_full),
	DROP("stack_map_full", stacks_full),
	DROP("window_map_full", sw_full),
	DROP("read_fault", read_fault),
	DROP("truncated", truncated),
	DROP("no_thread_state", no_tstate),
	DROP("hint_map_full", hint_drops),
#undef DROP
};

#define NDROPS (sizeof(drop_counters) / sizeof(drop_counters[0]))

static void drops(struct emit *e, const struct report *r)
{
	for (size_t i = 0; i < NDROPS; i++) {
		const uint64_t *v = (const void *)((const char *)&r->h + drop_counters[i].off);

		sample(e, "reason", drop_counters[i].reason, NULL, NULL, (double)*v);
	}
}

static void windows_opened(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		one(e, r->h.growth->windows);
}

static void windows_settled(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		one(e, r->h.growth->settled);
}

static void window_seconds(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		one(e, r->h.growth->window_total_s);
}

static void window_seconds_hour(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		one(e, r->h.growth->window_spent_s);
}

static void window_budget(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		one(e, r->h.growth->window_budget_s);
}

static void alerts_active(struct emit *e, const struct report *r)
{
	if (r->h.process)
		one(e, r->h.process->active_alerts);
}

static void alerts_raised(struct emit *e, const struct report *r)
{
	if (r->h.process)
		one(e, (double)r->h.process->alerts_raised);
}

/* oom_killed() - evidence at OOM (report.h report_oom): on every report,
 * 1 only on the final one of a process the kernel OOM-killed, so a scrape
 * of the file it leaves behind says so. */
static void oom_killed(struct emit *e, const struct report *r)
{
	one(e, r->h.oom ? 1 : 0);
}

static void build_info(struct emit *e, const struct report *r)
{
	/* five info labels: more than sample() takes, so written here */
	const char *names[] = { "python_version", "build", "capture", "mode", "version" };
	const char *values[] = { r->h.python_version, r->h.build, r->h.capture, r->h.mode,
				 r->h.version };
	struct prom_labels ls = *e->ls;

	for (int i = 0; i < 5 && ls.n < PROM_MAX_LABELS; i++) {
		ls.name[ls.n] = names[i];
		ls.value[ls.n++] = values[i];
	}
	e->ls = &ls;
	one(e, 1);
	e->ls = NULL; /* not to be kept: ls lives on this stack */
}

static void last_report(struct emit *e, const struct report *r)
{
	one(e, r->h.unix_time);
}

static void attached(struct emit *e, const struct report *r)
{
	one(e, r->h.elapsed_s);
}

/* ---- per site: the top K ---- */

/* each_site() - one series per top site, with site_id and site labels. */
static void each_site(struct emit *e, const struct report *r, double (*value)(const struct report_site *))
{
	int n = r->nsites < e->top ? r->nsites : e->top;

	for (int i = 0; i < n; i++) {
		const struct report_site *s = &r->sites[i];
		char id[17], site[PROM_SITE_CHARS * 4 + 1];

		snprintf(id, sizeof(id), "%016" PRIx64, s->id);
		prom_site_label(s, site, sizeof(site));
		sample(e, "site_id", id, "site", site, value(s));
	}
}

static double site_bytes(const struct report_site *s)
{
	return (double)s->bytes;
}

static double site_rate(const struct report_site *s)
{
	return s->rate_bps;
}

static double site_survived(const struct report_site *s)
{
	return s->windows_survived;
}

static double site_alert(const struct report_site *s)
{
	return s->alert;
}

static void sites_bytes(struct emit *e, const struct report *r)
{
	each_site(e, r, site_bytes);
}

static void sites_rate(struct emit *e, const struct report *r)
{
	each_site(e, r, site_rate);
}

static void sites_survived(struct emit *e, const struct report *r)
{
	if (r->h.growth)
		each_site(e, r, site_survived);
}

static void sites_alert(struct emit *e, const struct report *r)
{
	each_site(e, r, site_alert);
}

/* ---- per incident: the active ones, biggest first, at most K ---- */

/* each_incident() - one series per active incident (one leak, one series),
 * with incident_id and head ("file:line function" of the line to fix). */
static void each_incident(struct emit *e, const struct report *r,
			  double (*value)(const struct report_incident *))
{
	for (int i = 0, shown = 0; i < r->nincidents && shown < e->top; i++) {
		const struct report_incident *x = &r->incidents[i];
		char id[17], head[PROM_SITE_CHARS * 4 + 1];

		if (strcmp(x->state, "leak_suspect"))
			continue;
		snprintf(id, sizeof(id), "%016" PRIx64, x->id);
		prom_frame_label(&x->head, head, sizeof(head));
		sample(e, "incident_id", id, "head", head, value(x));
		shown++;
	}
}

static double incident_one(const struct report_incident *x)
{
	return 1;
}

static double incident_rate(const struct report_incident *x)
{
	return x->rate_bps;
}

static void incidents_active(struct emit *e, const struct report *r)
{
	each_incident(e, r, incident_one);
}

static void incidents_rate(struct emit *e, const struct report *r)
{
	each_incident(e, r, incident_rate);
}

static void incidents_raised(struct emit *e, const struct report *r)
{
	if (r->h.process)
		one(e, (double)r->h.process->incidents_raised);
}

static void fds(struct emit *e, const struct report *r)
{
	if (r->h.process && r->h.process->resources_known)
		one(e, (double)r->h.process->fds);
}

static void threads(struct emit *e, const struct report *r)
{
	if (r->h.process && r->h.process->resources_known)
		one(e, (double)r->h.process->threads);
}

static const struct family {
	const char *name, *type, *help;
	void (*emit)(struct emit *e, const struct report *r);
} families[] = {
	{ "pyleak_build_info", "gauge",
	  "Always 1: the profiled interpreter (python_version, build), how allocations are seen (capture), the mode and the pyleak-bpf version", build_info },
	{ "pyleak_last_report_timestamp_seconds", "gauge",
	  "Unix time of the report this file holds", last_report },
	{ "pyleak_attached_seconds", "gauge", "Seconds since pyleak-bpf attached", attached },
	{ "pyleak_rss_bytes", "gauge", "Resident set size (VmRSS) of the process", rss },
	{ "pyleak_anon_bytes", "gauge", "Resident anonymous memory (RssAnon) of the process", anon },
	{ "pyleak_anon_growth_bytes_per_second", "gauge",
	  "Growth rate of RssAnon over the judgement window (Theil-Sen slope)", anon_rate },
	{ "pyleak_outstanding_bytes", "gauge",
	  "Bytes still allocated over all sites: alloc mode every allocation since attach, growth mode what survives of the settled windows' captures", outstanding },
	{ "pyleak_outstanding_allocations", "gauge",
	  "Allocations still live over all sites (as pyleak_outstanding_bytes)", outstanding_count },
	{ "pyleak_sites", "gauge", "Allocation sites with outstanding memory", nsites },
	{ "pyleak_gc_enabled", "gauge", "1 if the garbage collector is enabled (gc.isenabled())", gc_enabled },
	{ "pyleak_gc_collections_total", "counter", "Garbage collections since attach, by generation", gc_collections },
	{ "pyleak_gc_collected_objects_total", "counter", "Objects the garbage collector freed since attach, by generation", gc_collected },
	{ "pyleak_gc_uncollectable_objects_total", "counter", "Uncollectable objects the garbage collector found since attach, by generation", gc_uncollectable },
	{ "pyleak_probe_hits_total", "counter", "Allocator (alloc) and free probe hits since attach", probe_hits },
	{ "pyleak_drops_total", "counter",
	  "Allocations not tracked (a map was full), or tracked with part of their stack (read_fault, truncated at --max-depth, no_thread_state: no Python frames), and hints not stored, since attach, by reason", drops },
	{ "pyleak_windows_opened_total", "counter", "Growth-mode capture windows opened since attach", windows_opened },
	{ "pyleak_windows_settled_total", "counter", "Growth-mode windows settled (survivors judged) since attach", windows_settled },
	{ "pyleak_window_seconds_total", "counter", "Seconds spent in growth-mode windows since attach", window_seconds },
	{ "pyleak_window_seconds_last_hour", "gauge", "Seconds spent in windows within the last hour (the budget's measure)", window_seconds_hour },
	{ "pyleak_window_budget_seconds", "gauge", "Window seconds allowed per hour (--window-budget)", window_budget },
	{ "pyleak_alerts_active", "gauge", "leak_suspect alerts active now, on sites and the process", alerts_active },
	{ "pyleak_alerts_raised_total", "counter", "leak_suspect alerts raised since attach", alerts_raised },
	{ "pyleak_incidents_raised_total", "counter",
	  "Incidents (site alerts grouped by the application line they share) raised since attach", incidents_raised },
	{ "pyleak_open_fds", "gauge", "Open file descriptors of the process", fds },
	{ "pyleak_oom_killed", "gauge",
	  "1 when the kernel's OOM killer ended the process (its final report), else 0", oom_killed },
	{ "pyleak_threads", "gauge", "Threads of the process", threads },
	{ "pyleak_incident_active", "gauge",
	  "1 per active incident: one leak, one series; head is the line to fix", incidents_active },
	{ "pyleak_incident_growth_bytes_per_second", "gauge",
	  "Active incidents: growth rate summed over their member sites", incidents_rate },
	{ "pyleak_site_live_bytes", "gauge",
	  "Top sites: outstanding bytes (growth mode: surviving bytes of the settled windows)", sites_bytes },
	{ "pyleak_site_growth_bytes_per_second", "gauge",
	  "Top sites: growth rate (alloc mode: Theil-Sen over the window; growth mode: survivors per captured second)", sites_rate },
	{ "pyleak_site_windows_survived", "gauge", "Top sites: settled windows whose allocations mostly survive", sites_survived },
	{ "pyleak_site_alert", "gauge", "Top sites: 1 while a leak_suspect alert is active on the site", sites_alert },
};

/* Series per process beside the drop counters, the sites and the
 * incidents: one each for 21 families, three generations for 3 GC families,
 * two probe kinds. */
#define FIXED_SERIES (21 + 3 * 3 + 2)
/* per top site: live bytes, growth rate, windows survived, alert; per top
 * incident: active, growth rate */
#define SITE_SERIES 4
#define INCIDENT_SERIES 2

int prom_series_max(int top)
{
	return FIXED_SERIES + (int)NDROPS + (SITE_SERIES + INCIDENT_SERIES) * top;
}

#define NFAMILIES ((int)(sizeof(families) / sizeof(families[0])))

int prom_nfamilies(void)
{
	return NFAMILIES;
}

void prom_family_head(FILE *f, int k)
{
	const struct family *fam = &families[k];

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

int prom_family_samples(FILE *f, int k, const struct report *r, int top)
{
	struct prom_labels ls;
	struct emit e = { .f = f, .name = families[k].name, .ls = &ls, .top = top };

	prom_process_labels(&r->h, &ls);
	families[k].emit(&e, r);
	if (f && ferror(f))
		return -EIO;
	return e.n;
}

int out_prom_write(FILE *f, const struct report *const *r, int nr, int top)
{
	int total = 0;

	for (int k = 0; k < NFAMILIES; k++) {
		int n = 0;

		/* a counting pass first: no HELP/TYPE for an empty family */
		for (int i = 0; i < nr; i++)
			n += prom_family_samples(NULL, k, r[i], top);
		total += n;
		if (!n || !f)
			continue;
		prom_family_head(f, k);
		for (int i = 0; i < nr; i++)
			prom_family_samples(f, k, r[i], top);
	}
	if (f && ferror(f))
		return -EIO;
	return total;
}

int out_prom_node_write(FILE *f, const struct node_stats *ns)
{
	int n = 1;

	fputs("# HELP pyleak_node_targets_watched Python processes node mode watches now\n"
	      "# TYPE pyleak_node_targets_watched gauge\n", f);
	fputs("pyleak_node_targets_watched", f);
	if (ns->node_name) {
		fputs("{node=", f);
		prom_label_value(f, ns->node_name);
		putc('}', f);
	}
	fprintf(f, " %" PRIu32 "\n", ns->watched);
	if (ns->nreasons > 0)
		fputs("# HELP pyleak_node_targets_skipped_total Python processes node mode did not "
		      "watch since it started, by reason\n"
		      "# TYPE pyleak_node_targets_skipped_total counter\n", f);
	for (int i = 0; i < ns->nreasons && i < NODE_SKIP_REASONS; i++, n++) {
		fputs("pyleak_node_targets_skipped_total{", f);
		if (ns->node_name) {
			fputs("node=", f);
			prom_label_value(f, ns->node_name);
			putc(',', f);
		}
		fputs("reason=", f);
		prom_label_value(f, ns->skipped[i].reason);
		fprintf(f, "} %" PRIu64 "\n", ns->skipped[i].count);
	}
	return ferror(f) ? -EIO : n;
}

static const char *const service_family[PROM_SERVICE_FAMILIES][2] = {
	{ "pyleak_service_members",
	  "Processes judged as one service (--group-by-service) now" },
	{ "pyleak_service_site_alert",
	  "1 while the service's leak_suspect alert on a site is active: one alert "
	  "however many of its processes leak there" },
};

void prom_service_head(FILE *f, int k)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", service_family[k][0], service_family[k][1],
		service_family[k][0]);
}

/* service_labels() - "{node=..,service_id=..,service=..,container_id=.." without
 * the closing brace. */
static void service_labels(FILE *f, const char *name, const struct svc_report *r)
{
	char id[17];

	snprintf(id, sizeof(id), "%016" PRIx64, r->key->id);
	fprintf(f, "%s{", name);
	if (r->node_name) {
		fputs("node=", f);
		prom_label_value(f, r->node_name);
		putc(',', f);
	}
	fputs("service_id=", f);
	prom_label_value(f, id);
	fputs(",service=", f);
	prom_label_value(f, r->key->shape);
	if (r->key->container_id[0]) {
		fputs(",container_id=", f);
		prom_label_value(f, r->key->container_id);
	}
}

int prom_service_samples(FILE *f, int k, const struct svc_report *r, int top)
{
	const struct svc_group *g = r->g;
	char id[17], site[PROM_SITE_CHARS * 4 + 1];
	int n = 0;

	if (k == 0) {
		if (f) {
			service_labels(f, service_family[0][0], r);
			fprintf(f, "} %d\n", g->n);
		}
		return f && ferror(f) ? -EIO : 1;
	}
	for (int i = 0; i < g->nmerged && i < top; i++) {
		if (!g->merged[i].alert)
			continue;
		n++;
		if (!f)
			continue;
		service_labels(f, service_family[1][0], r);
		snprintf(id, sizeof(id), "%016" PRIx64, g->merged[i].id);
		fputs(",site_id=", f);
		prom_label_value(f, id);
		prom_frame_label(&g->merged[i].top, site, sizeof(site));
		fputs(",site=", f);
		prom_label_value(f, site);
		fputs("} 1\n", f);
	}
	return f && ferror(f) ? -EIO : n;
}
