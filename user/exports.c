// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exports.c: see exports.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exports.h"
#include "http_metrics.h"
#include "log.h"
#include "out_prom.h"

struct fill_ctx {
	const struct report *r;
	int top;
};

static int fill_prom(FILE *f, void *ctx)
{
	const struct fill_ctx *c = ctx;
	const struct report *one[1] = { c->r };
	int n = out_prom_write(f, one, 1, c->top);

	return n < 0 ? n : 0;
}

static int fill_pprof(FILE *f, void *ctx)
{
	return out_pprof_write(f, ((const struct fill_ctx *)ctx)->r);
}

static int fill_folded(FILE *f, void *ctx)
{
	return out_folded_write(f, ((const struct fill_ctx *)ctx)->r);
}

static int fill_html(FILE *f, void *ctx)
{
	return out_html_write(f, ((const struct fill_ctx *)ctx)->r);
}

void exports_init(struct exports *x, const struct options *o)
{
	*x = (struct exports){ .prom_top = o->prom_top };
	x->prom_on = o->prom_file != NULL;
	x->pprof_on = o->pprof_file != NULL;
	x->folded_on = o->folded_file != NULL;
	x->html_on = o->html != NULL;
	atomic_file_init(&x->prom, o->prom_file, "--prom-file");
	atomic_file_init(&x->pprof, o->pprof_file, "--pprof");
	atomic_file_init(&x->folded, o->folded_file, "--folded");
	atomic_file_init(&x->html, o->html, "--html");
}

/* serve_prom() - render r's exposition into memory and publish it on
 * --listen's /metrics. Returns 0 or -errno (logged at debug: the previous
 * text stays served). */
static int serve_prom(struct exports *x, struct fill_ctx *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -errno;
	err = fill_prom(f, c);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err)
		err = http_metrics_publish(x->http, buf, len);
	free(buf);
	if (err)
		log_debug("--listen: cannot render /metrics: %s", strerror(-err));
	return err;
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
}

int exports_write(struct exports *x, const struct report *r)
{
	struct fill_ctx c = { .r = r, .top = x->prom_top };
	int failed = 0;

	if (x->http)
		failed += serve_prom(x, &c) < 0;

	if (x->prom_on)
		failed += atomic_file_write(&x->prom, fill_prom, &c) < 0;
	if (x->pprof_on)
		failed += atomic_file_write(&x->pprof, fill_pprof, &c) < 0;
	if (x->folded_on)
		failed += atomic_file_write(&x->folded, fill_folded, &c) < 0;
	if (x->html_on)
		failed += atomic_file_write(&x->html, fill_html, &c) < 0;
	return failed;
}

void exports_forget(struct exports *x, int pid)
{
	/* Each write renders one report, so a gone process's series leave
	 * with the next process's write: nothing is kept per process here. */
	(void)x;
	(void)pid;
}
