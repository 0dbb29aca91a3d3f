// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exports.c: see exports.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exports.h"
#include "http_metrics.h"
#include "log.h"
#include "out_prom.h"
#include "service.h"
#include "svcmerge.h"

/* A rendering in memory, written out as it is. */
struct text {
	const char *buf;
	size_t len;
};

static int fill_text(FILE *f, void *ctx)
{
	const struct text *t = ctx;

	return fwrite(t->buf, 1, t->len, f) == t->len ? 0 : -EIO;
}

static int fill_pprof(FILE *f, void *ctx)
{
	return out_pprof_write(f, ctx);
}

static int fill_folded(FILE *f, void *ctx)
{
	return out_folded_write(f, ctx);
}

static int fill_html(FILE *f, void *ctx)
{
	return out_html_write(f, ctx);
}

void exports_init(struct exports *x, const struct options *o)
{
	*x = (struct exports){ .prom_top = o->prom_top, .max_procs = 1 };
	x->prom_on = o->prom_file != NULL;
	x->pprof_on = o->pprof_file != NULL;
	x->folded_on = o->folded_file != NULL;
	x->html_on = o->html != NULL;
	atomic_file_init(&x->prom, o->prom_file, "--prom-file");
	atomic_file_init(&x->pprof, o->pprof_file, "--pprof");
	atomic_file_init(&x->folded, o->folded_file, "--folded");
	atomic_file_init(&x->html, o->html, "--html");
}

int exports_node_mode(struct exports *x, int max_procs)
{
	if (max_procs < 1 || x->procs)
		return -EINVAL;
	x->node = true;
	x->max_procs = max_procs;
	return 0;
}

char *exports_proc_path(const char *path, int pid)
{
	const char *base = strrchr(path, '/'), *dot;
	char *out;
	int at;

	base = base ? base + 1 : path;
	dot = base + strspn(base, "."); /* ".leak.pb.gz": a hidden file's dot stays */
	dot = strchr(dot, '.');
	at = dot ? (int)(dot - path) : (int)strlen(path);
	if (asprintf(&out, "%.*s.%d%s", at, path, pid, path + at) < 0)
		return NULL;
	return out;
}

/* proc_free() - p's renderings and file names. */
static void proc_free(struct export_proc *p)
{
	free(p->prom);
	free(p->fam_end);
	free(p->pprof_path);
	free(p->folded_path);
	free(p->html_path);
}

/* proc_files() - node mode: p's own files, named with its pid. */
static int proc_files(struct exports *x, struct export_proc *p)
{
	if ((x->pprof_on && !(p->pprof_path = exports_proc_path(x->pprof.path, p->pid))) ||
	    (x->folded_on && !(p->folded_path = exports_proc_path(x->folded.path, p->pid))) ||
	    (x->html_on && !(p->html_path = exports_proc_path(x->html.path, p->pid))))
		return -ENOMEM;
	atomic_file_init(&p->pprof, p->pprof_path, "--pprof");
	atomic_file_init(&p->folded, p->folded_path, "--folded");
	atomic_file_init(&p->html, p->html_path, "--html");
	return 0;
}

/* proc_slot() - pid's entry, added when new. Returns NULL when there is no
 * room (max_procs reached; logged once) or no memory. */
static struct export_proc *proc_slot(struct exports *x, int pid)
{
	struct export_proc *p;

	for (int i = 0; i < x->nprocs; i++)
		if (x->procs[i].pid == pid)
			return &x->procs[i];
	if (!x->procs && !(x->procs = calloc(x->max_procs, sizeof(*x->procs))))
		return NULL;
	if (x->nprocs >= x->max_procs) {
		if (!x->full_said)
			log_warn("exports: at the limit of %d process%s, PID %d is not exported",
				 x->max_procs, x->max_procs == 1 ? "" : "es", pid);
		x->full_said = true;
		return NULL;
	}
	p = &x->procs[x->nprocs];
	*p = (struct export_proc){ .pid = pid };
	if (x->node && proc_files(x, p)) {
		proc_free(p);
		return NULL;
	}
	x->nprocs++;
	return p;
}

/* render_proc() - r's Prometheus samples into p, family after family; on
 * failure p keeps its previous rendering. Returns 0 or -errno. */
static int render_proc(struct exports *x, struct export_proc *p, const struct report *r)
{
	int nfam = prom_nfamilies(), err = 0;
	size_t *end = calloc(nfam, sizeof(*end)), len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f || !end) {
		err = -ENOMEM;
		goto out;
	}
	for (int k = 0; k < nfam && !err; k++) {
		int n = prom_family_samples(f, k, r, x->prom_top);
		long at = ftell(f);

		if (n < 0 || at < 0)
			err = n < 0 ? n : -EIO;
		end[k] = (size_t)at;
	}
out:
	if (f && fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		free(end);
		return err;
	}
	free(p->prom);
	free(p->fam_end);
	p->prom = buf;
	p->fam_end = end;
	return 0;
}

/* render_all() - the whole exposition: every family once (HELP, TYPE, then
 * each process's samples), then the node's own families. */
static int render_all(const struct exports *x, FILE *f)
{
	int nfam = prom_nfamilies();

	for (int k = 0; k < nfam; k++) {
		bool head = false;

		for (int i = 0; i < x->nprocs; i++) {
			const struct export_proc *p = &x->procs[i];
			size_t from = k ? p->fam_end[k - 1] : 0;

			if (!p->prom || p->fam_end[k] == from)
				continue;
			if (!head)
				prom_family_head(f, k);
			head = true;
			fwrite(p->prom + from, 1, p->fam_end[k] - from, f);
		}
	}
	if (x->stats_on)
		out_prom_node_write(f, &x->stats);
	for (int k = 0; k < PROM_SERVICE_FAMILIES; k++) {
		bool head = false;

		for (int i = 0; i < x->nsvcs; i++) {
			const struct export_service *v = &x->svcs[i];
			size_t from = k ? v->fam_end[k - 1] : 0;

			if (v->fam_end[k] == from)
				continue;
			if (!head)
				prom_service_head(f, k);
			head = true;
			fwrite(v->prom + from, 1, v->fam_end[k] - from, f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* publish_prom() - rewrite the Prometheus file and /metrics from the kept
 * renderings. Returns how many of the two failed (/metrics logged at debug:
 * the previous text stays served). */
static int publish_prom(struct exports *x)
{
	struct text t = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err, failed = 0;

	if (!x->prom_on && !x->http)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return x->prom_on + !!x->http;
	err = render_all(x, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	t.buf = buf;
	t.len = len;
	if (x->http) {
		int e = err ? err : http_metrics_publish(x->http, buf, len);

		if (e)
			log_debug("--listen: cannot render /metrics: %s", strerror(-e));
		failed += e < 0;
	}
	if (x->prom_on)
		failed += (err ? err : atomic_file_write(&x->prom, fill_text, &t)) < 0;
	free(buf);
	return failed;
}

int exports_listen(struct exports *x, const struct options *o)
{
	/* three reports missed (and at least 30 s, for a slow attach or a
	 * census) mean the loop is stuck */
	double stale = 3 * o->interval_s > 30 ? 3 * o->interval_s : 30;

	if (!o->listen)
		return 0;
	return http_metrics_start(&x->http, o->listen, stale);
}

void exports_beat(struct exports *x)
{
	if (x->http)
		http_metrics_beat(x->http);
}

void exports_close(struct exports *x)
{
	http_metrics_stop(x->http);
	x->http = NULL;
	for (int i = 0; i < x->nprocs; i++)
		proc_free(&x->procs[i]);
	free(x->procs);
	x->procs = NULL;
	for (int i = 0; i < x->nsvcs; i++)
		free(x->svcs[i].prom);
	free(x->svcs);
	x->svcs = NULL;
	x->nsvcs = 0;
	x->nprocs = 0;
}

int exports_write(struct exports *x, const struct report *r)
{
	struct export_proc *p = proc_slot(x, r->h.pid);
	void *c = (void *)r;
	int failed = 0;

	if (!p)
		return 1;
	if (x->prom_on || x->http) {
		int err = render_proc(x, p, r);

		if (err)
			log_debug("exports: cannot render PID %d's series: %s", r->h.pid,
				  strerror(-err));
		failed += publish_prom(x) + (err < 0);
	}
	if (x->pprof_on)
		failed += atomic_file_write(x->node ? &p->pprof : &x->pprof, fill_pprof, c) < 0;
	if (x->folded_on)
		failed += atomic_file_write(x->node ? &p->folded : &x->folded, fill_folded, c) < 0;
	if (x->html_on)
		failed += atomic_file_write(x->node ? &p->html : &x->html, fill_html, c) < 0;
	return failed;
}

int exports_forget(struct exports *x, int pid)
{
	for (int i = 0; i < x->nprocs; i++) {
		if (x->procs[i].pid != pid)
			continue;
		proc_free(&x->procs[i]);
		memmove(&x->procs[i], &x->procs[i + 1], (x->nprocs - i - 1) * sizeof(*x->procs));
		x->nprocs--;
		x->full_said = false;
		return publish_prom(x);
	}
	return 0;
}

/* same_stats() - a and b say the same (reason strings compared by text). */
static bool same_stats(const struct node_stats *a, const struct node_stats *b)
{
	if (a->watched != b->watched || a->nreasons != b->nreasons)
		return false;
	for (int i = 0; i < a->nreasons && i < NODE_SKIP_REASONS; i++)
		if (a->skipped[i].count != b->skipped[i].count ||
		    strcmp(a->skipped[i].reason, b->skipped[i].reason))
			return false;
	return true;
}

int exports_node_stats(struct exports *x, const struct node_stats *ns)
{
	if (x->stats_on && same_stats(&x->stats, ns))
		return 0;
	x->stats = *ns;
	if (x->stats.nreasons > NODE_SKIP_REASONS)
		x->stats.nreasons = NODE_SKIP_REASONS;
	x->stats_on = true;
	return publish_prom(x);
}

int exports_service(struct exports *x, const struct svc_report *r)
{
	struct export_service *v = NULL;
	char *buf = NULL;
	size_t len = 0, end[PROM_SERVICE_FAMILIES];
	FILE *f;
	int err = 0;

	if (!x->prom_on && !x->http)
		return 0;
	for (int i = 0; i < x->nsvcs; i++)
		if (x->svcs[i].id == r->key->id)
			v = &x->svcs[i];
	if (!v) {
		if (!x->svcs && !(x->svcs = calloc(x->max_procs, sizeof(*x->svcs))))
			return 1;
		if (x->nsvcs >= x->max_procs)
			return 1; /* not expected: a service has a watched process */
		v = &x->svcs[x->nsvcs++];
		*v = (struct export_service){ .id = r->key->id };
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return 1;
	for (int k = 0; k < PROM_SERVICE_FAMILIES && !err; k++) {
		err = prom_service_samples(f, k, r, x->prom_top) < 0 ? -EIO : 0;
		fflush(f);
		end[k] = len;
	}
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		return 1;
	}
	free(v->prom);
	v->prom = buf;
	memcpy(v->fam_end, end, sizeof(end));
	return publish_prom(x);
}

int exports_forget_service(struct exports *x, uint64_t id)
{
	for (int i = 0; i < x->nsvcs; i++) {
		if (x->svcs[i].id != id)
			continue;
		free(x->svcs[i].prom);
		x->svcs[i] = x->svcs[--x->nsvcs];
		return publish_prom(x);
	}
	return 0;
}
