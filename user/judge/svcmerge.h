/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * svcmerge.h: one service's merged judgement (node mode, --group-by-service;
 * the key is service.h's). Each member process's report is taken in
 * (svc_take()): its ranked rows and the site alerts it has active. The
 * service's report (svc_judge()) is the members' rows merged by site id
 * (site ids are stable hashes of the frames, so one line leaking in two
 * workers is one id): bytes, counts and rates summed, ranked by bytes;
 * and one alert per site id: raised when the first member's alert on it is
 * raised, resolved when the last member's resolves (or the last member
 * holding it goes away). Pure: no I/O, no clock.
 */
#ifndef PYLEAK_SVCMERGE_H
#define PYLEAK_SVCMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One site, as a member reported it or as the service merged it. Strings
 * are owned (copied from the report). */
struct svc_row {
	uint64_t id;
	int64_t bytes, count;
	double rate_bps;
	bool alert;		/* merged: the service's alert on it is active */
	int nmembers;		/* merged: members whose rows have it */
	struct report_frame top; /* innermost frame */
};

struct svc_member {
	int pid;
	struct svc_row *rows;	 /* its latest report's rows */
	int nrows;
	struct svc_row *active;	 /* its active site alerts (row: at raise) */
	int nactive;
	size_t capactive;
	bool fresh;		 /* reported since the last svc_judge() */
};

/* A transition of the service's alert on one site. */
struct svc_alert {
	const char *state;	/* "leak_suspect" or "resolved" (static) */
	struct svc_row site;	/* the site (copied; raised: the first member's) */
	int nmembers;		/* members with it active now */
};

struct svc_group {
	struct svc_member *m;
	int n;
	size_t cap;
	struct svc_row *active;	 /* the service's active alerts */
	int nactive;
	size_t capactive;
	struct svc_row *merged;	 /* svc_judge(): ranked, cut to top */
	int nmerged;
	struct svc_alert *trans; /* svc_judge(): transitions since the last */
	int ntrans;
	int nalerting;		 /* svc_judge(): site alerts active now */
	int nfresh;		 /* members that reported since the last svc_judge() */
};

/* svc_take() - pid's report r into g (a new member when pid is not one;
 * bounded by the caller's member limit). Site transitions of r update the
 * member's active set, and so do its rows: a row whose alert is off is not
 * active (after an exec no transition resolves the old program's alerts).
 * Returns 0 or -ENOMEM (g unchanged then for rows). */
int svc_take(struct svc_group *g, const struct report *r);

/* svc_leave() - member pid is gone: its rows and active alerts leave g (the
 * next svc_judge() resolves what only it held). Unknown pids are ignored. */
void svc_leave(struct svc_group *g, int pid);

/* svc_judge() - merge the members' rows (ranked by bytes, then rate, then
 * id; cut to top), and the service's alert transitions since the previous
 * call. Returns 0 or -ENOMEM. */
int svc_judge(struct svc_group *g, int top);

/* A service's report, as the sinks see it (out_json.c, out_text.c). */
struct service_key;
struct svc_report {
	const struct service_key *key;
	const struct svc_group *g;	/* merged rows, transitions, members */
	uint64_t seq;			/* 1, 2, ... per service */
	bool final;			/* its last member left, or the node stops */
	double unix_time;
	const char *node_name;		/* or NULL */
};

/* out_json_service_write() - r as one JSON object on one line, "type":
 * "service" (README "Node mode"). Returns 0 or -errno from the stream. */
int out_json_service_write(FILE *f, const struct svc_report *r);

/* out_text_service_write() - r as a text block. Returns 0 or -errno. */
int out_text_service_write(FILE *f, const struct svc_report *r);

/* svc_free() - everything g holds; g is empty and usable again. */
void svc_free(struct svc_group *g);

#endif /* PYLEAK_SVCMERGE_H */
