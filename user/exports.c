// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exports.c: see exports.h. */
#include <stdio.h>

#include "exports.h"
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

int exports_write(struct exports *x, const struct report *r)
{
	struct fill_ctx c = { .r = r, .top = x->prom_top };
	int failed = 0;

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
