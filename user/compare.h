/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * compare.h: `pyleak-bpf compare BEFORE.jsonl AFTER.jsonl`, the verify step
 * of the user's loop. It reads the JSON lines of two runs of the same
 * workload (before and after a fix), matches their sites by stack and says,
 * for each site that grew before, whether it is fixed, better, unchanged or
 * worse, and which sites grow in AFTER that did not before.
 *
 * The pieces are pure functions over parsed reports so the rules can be
 * unit-tested on synthetic input: reading a run (cmp_run_read), whether a
 * site grew (cmp_site_grew), whether two frames or stacks are the same code
 * (cmp_frame_match, cmp_stack_match), the verdicts (cmp_compare) and the
 * exit status (cmp_exit_status). compare_main() is the command.
 */
#ifndef PYLEAK_COMPARE_H
#define PYLEAK_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One Python frame of a site, as the JSON report has it (strings borrowed
 * from the run's parsed report). line is 0 when the report says null. */
struct cmp_frame {
	const char *file;
	const char *func;
	long line;
};

/* One site of a run's report, with what the verdicts need. */
struct cmp_site {
	const char *id;
	const char *native_caller;	/* NULL if absent */
	struct cmp_frame *frames;	/* innermost first */
	int nframes;
	long long bytes;
	double rate;			/* bytes per minute; valid if has_rate */
	bool has_rate;
	bool alert;
	bool persistent;		/* growth mode */
	const char *trend;		/* alloc mode: growing/flat/shrinking; NULL if unknown */
	bool grew;			/* cmp_site_grew(), filled by cmp_run_read() */
	bool earlier;			/* grew only by an alert earlier in the run, resolved
					 * (or out of the top sites) by the report used */
};

/* The process-level growth of a run (from the report's trend and growth
 * objects); the has_ flags say which values the report had. */
struct cmp_process {
	double anon_rate;		/* bytes per minute */
	bool has_anon_rate;
	const char *anon_trend;		/* NULL if unknown */
	double anon_growth;		/* bytes, fitted over the trend window */
	bool has_anon_growth;
	long long anon_bytes;		/* RssAnon now (growth mode), -1 unknown */
	long long anon_since_attach;	/* RssAnon change since attach, valid if anon_bytes >= 0 */
	long long rss_bytes;		/* VmRSS, -1 unknown */
};

/* One run: the last complete report of a JSON lines file. */
struct cmp_run {
	char name[256];			/* the file, for messages */
	void *report;			/* json_t *, owned; everything borrowed lives here */
	void *alerted;			/* json_t *, owned: site id -> the site (or its alert)
					 * in the run's last report where it alerted */
	size_t line;			/* line number of the report used */
	long seq;
	bool final;			/* false: the run ended without its final report */
	bool truncated_tail;		/* the file ends in an incomplete line (ignored) */
	size_t skipped;			/* lines that are not reports (e.g. a command's output) */
	size_t runs;			/* runs in the file (seq restarts when --output appends) */
	long pid;
	const char *python_version;
	const char *mode;		/* "growth" or "alloc" */
	double elapsed_s;
	struct cmp_process proc;
	struct cmp_site *sites;
	int nsites;
};

enum cmp_verdict {
	CMP_FIXED,	/* grew before, does not grow after (or is gone) */
	CMP_BETTER,	/* grows after at under half the rate */
	CMP_UNCHANGED,	/* grows after at half to twice the rate (or a rate is unknown) */
	CMP_WORSE,	/* grows after at more than twice the rate */
	CMP_NEW,	/* grows after, no matching site before */
	CMP_AGAIN,	/* grows after, was in BEFORE without growing (fixed, growing again) */
};

/* How two sites matched, from the surest. */
enum cmp_match {
	CMP_MATCH_STACK,	/* the whole stacks, frame by frame */
	CMP_MATCH_APP,		/* the application frames (the stdlib's call chain differs) */
	CMP_MATCH_MOVED,	/* the application frames ignoring their lines (an edit moved them) */
};

/* One row of the comparison. before is NULL for CMP_NEW; after is NULL
 * when nothing in AFTER matched. after_rate sums the matching AFTER sites
 * that grow (a stack can split in two across versions); nafter counts them. */
struct cmp_row {
	enum cmp_verdict verdict;
	const struct cmp_site *before;
	const struct cmp_site *after;
	double after_rate;
	int nafter;
	enum cmp_match how;	/* the least sure match of the row's AFTER sites */
};

struct cmp_result {
	struct cmp_row *rows;
	int nrows;
	int counts[CMP_AGAIN + 1];
};

const char *cmp_verdict_name(enum cmp_verdict v);

/*
 * cmp_run_read() - read a run's JSON lines from f into run and pick its last
 * complete report. name is used in messages. Lines that do not start with
 * '{' are skipped (the command's own output with -- COMMAND and no
 * --output), and so are JSON objects that are not reports; an incomplete
 * last line (a killed run) is ignored and noted in run->truncated_tail.
 * A site that alerted in an earlier report of the run (alerts[] raised, or
 * alert true) grew, even if the alert was resolved by the report used
 * (alloc mode resolves it once the target stops allocating at its end):
 * it is marked earlier, with its rate from its last alerting report, and
 * added if the report used no longer lists it.
 * Returns 0, or -EINVAL with "NAME:LINE: what was wrong" in err (a line
 * that starts with '{' but is not JSON, a report without its fields, no
 * report at all), or -errno if f cannot be read. On error run holds
 * nothing to free.
 */
int cmp_run_read(FILE *f, const char *name, struct cmp_run *run, char *err, size_t errlen);

/* cmp_run_free() - release what cmp_run_read() kept; run can be read again. */
void cmp_run_free(struct cmp_run *run);

/*
 * cmp_site_grew() - whether a site of a run in this mode was growing: an
 * active alert in either mode; growth mode: persistent (its allocations
 * survive window after window); alloc mode: trend "growing" (a significant
 * Mann-Kendall trend) with a positive rate.
 */
bool cmp_site_grew(const char *mode, const struct cmp_site *s);

/*
 * cmp_frame_match() - whether frames a and b of two runs are the same code,
 * and how sure: 0 if not, else a score (more path components in common
 * score higher). Standard-library frames (a file below lib/pythonX.Y/ but
 * not in site-packages, or <frozen ...>) match by the path below
 * lib/pythonX.Y/ and the function, not the line, which differs between
 * interpreter versions. Other frames (the application, site-packages,
 * dist-packages) match by function, line and file, where two files match
 * when their paths end in the same components, at least the file name
 * (/srv/a/app.py and /home/ci/build/app.py): the score is the number of
 * components in common.
 */
int cmp_frame_match(const struct cmp_frame *a, const struct cmp_frame *b);

/*
 * cmp_stack_match() - whether sites a and b are the same allocation site: 0
 * if not, else a score, the surest tier scoring highest (*how says which):
 * the whole stacks frame by frame (cmp_frame_match); else their frames
 * outside the standard library, in order, at least one (the standard
 * library's own call chain can differ between versions); else those frames
 * by file and function only (an edit above moved the lines; cmp_compare()
 * takes this only when the BEFORE site's own lines are gone from AFTER).
 * Sites without Python frames match by their native caller's symbol
 * without offset or module.
 */
#define CMP_SCORE_TIER 100000
int cmp_stack_match(const struct cmp_site *a, const struct cmp_site *b, enum cmp_match *how);

/*
 * cmp_compare() - the verdicts of AFTER against BEFORE into res (free with
 * cmp_result_free): one row per site that grew in BEFORE, by BEFORE's rate,
 * then one per site that grows in AFTER without a growing match in BEFORE.
 * Each AFTER site is matched to its best-scoring BEFORE site. Returns 0 or
 * -ENOMEM.
 */
int cmp_compare(const struct cmp_run *before, const struct cmp_run *after,
		struct cmp_result *res);
void cmp_result_free(struct cmp_result *res);

/* cmp_exit_status() - 3 if a site grows in AFTER that did not before (new,
 * or growing again), else 0. */
int cmp_exit_status(const struct cmp_result *res);

/* The two outputs: a table for people, or one JSON object. */
int cmp_write_text(FILE *f, const struct cmp_run *before, const struct cmp_run *after,
		   const struct cmp_result *res);
int cmp_write_json(FILE *f, const struct cmp_run *before, const struct cmp_run *after,
		   const struct cmp_result *res);

/* compare_main() - `pyleak-bpf compare [--format text|json] BEFORE AFTER`;
 * argv[0] is "compare". Returns the exit status: 0, 3 (see
 * cmp_exit_status), 2 usage, 1 unreadable input. */
int compare_main(int argc, char **argv);

#endif /* PYLEAK_COMPARE_H */
