/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * out_prom.h: the Prometheus textfile exporter (--prom-file). Reports become
 * text exposition format 0.0.4 for node_exporter's textfile collector: the
 * process's memory, GC, capture and alert figures, and the top K sites.
 * Metric list, labels and the series bound: README "Prometheus textfile".
 */
#ifndef PYLEAK_OUT_PROM_H
#define PYLEAK_OUT_PROM_H

#include <stdio.h>

#include "report.h"

/* pid, comm, IDENTITY_NLABELS container labels and build_info's five */
#define PROM_MAX_LABELS 16
/* the site="file:line function" label is cut to this many characters */
#define PROM_SITE_CHARS 80
/* of which the file name at most this many */
#define PROM_SITE_FILE_CHARS 32

/*
 * The labels every series of one process carries, in order: pid, comm,
 * then the known container labels (identity_labels() order). Because pid
 * is among them, series stay unique when several processes share one file.
 */
struct prom_labels {
	int n;
	const char *name[PROM_MAX_LABELS];
	const char *value[PROM_MAX_LABELS]; /* any bytes: escaped when written */
	char pid[16];
};

/* prom_process_labels() - the label set of the process of header h. */
void prom_process_labels(const struct report_header *h, struct prom_labels *ls);

/*
 * out_prom_write() - the reports r[0..nr) (one per process) as one
 * exposition: each family's HELP and TYPE once, then its samples for every
 * process, families contiguous; families without any sample are left out.
 * Per process at most top sites. f may be NULL to count only. Returns the
 * number of series (samples) written, or -errno from the stream.
 */
int out_prom_write(FILE *f, const struct report *const *r, int nr, int top);

/*
 * The same exposition built from parts kept apart (exports.c keeps one
 * rendering per process, not its report): family k's HELP and TYPE, and
 * family k's samples of one process. prom_family_samples() returns the
 * number of samples (f NULL: counts only) or -errno from the stream.
 * out_prom_write() is these, each family once, all processes together.
 */
int prom_nfamilies(void);
void prom_family_head(FILE *f, int k);
int prom_family_samples(FILE *f, int k, const struct report *r, int top);

/* out_prom_node_write() - node mode's own families, without process
 * labels: pyleak_node_targets_watched, and
 * pyleak_node_targets_skipped_total{reason} when ns has reasons. Returns
 * the number of samples, at most PROM_NODE_SERIES_MAX, or -errno. */
#define PROM_NODE_SERIES_MAX (1 + NODE_SKIP_REASONS)
int out_prom_node_write(FILE *f, const struct node_stats *ns);

/*
 * --group-by-service (svcmerge.h): two families, pyleak_service_members
 * (1 series per service, labels service_id, service = its command line
 * shape, container_id when known) and pyleak_service_site_alert (1 per
 * merged row whose service alert is active, at most top: labels service_id,
 * site_id, site). prom_service_head() writes family k's HELP and TYPE;
 * prom_service_samples() family k's samples of r (f NULL: counts only).
 * Returns the number of samples or -errno.
 */
#define PROM_SERVICE_FAMILIES 2
struct svc_report;
void prom_service_head(FILE *f, int k);
int prom_service_samples(FILE *f, int k, const struct svc_report *r, int top);

/* prom_series_max() - the most series one process can have in the file
 * with top sites: the bound README "Prometheus textfile" states (a file
 * for P processes has at most P times this). */
int prom_series_max(int top);

/* prom_label_value() - v as a label value between quotes: invalid UTF-8
 * and control characters other than newline become U+FFFD; '\\', '"' and
 * newline are escaped as the format requires. NULL is written as "". */
void prom_label_value(FILE *f, const char *v);

/* prom_site_label() - the short site label of s into buf (at least
 * PROM_SITE_CHARS * 4 + 1 bytes): "file:line function" of the innermost
 * frame, file without its directories (cut to PROM_SITE_FILE_CHARS), the
 * whole cut to PROM_SITE_CHARS characters on
 * a character boundary ("…" marks a cut), invalid UTF-8 replaced. */
void prom_site_label(const struct report_site *s, char *buf, size_t len);

/* prom_frame_label() - the same label of one frame (NULL: "?:? ?"). */
void prom_frame_label(const struct report_frame *fr, char *buf, size_t len);

#endif /* PYLEAK_OUT_PROM_H */
