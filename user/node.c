// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * node.c: see node.h. The supervisor only finds, starts, schedules and
 * stops sessions; everything about one process is session.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "array.h"
#include "discovery.h"
#include "exports.h"
#include "growth.h"
#include "log.h"
#include "node.h"
#include "oomwatch.h"
#include "outfile.h"
#include "procfile.h"
#include "report.h"
#include "service.h"
#include "session.h"
#include "svcmerge.h"
#include "winsched.h"

/* the loop's longest wait: the sessions' clocks (refresh, window phases,
 * reports) are checked this often. A process's end and a window's budget
 * wake the loop at once (their descriptors), so this only bounds how late
 * a timed step is; every tick costs a step of every session. */
#define TICK_MS 250
/* discovery's first table size; it grows to what the host runs */
#define FOUND_MIN 256

/* One watched process. */
struct node_target {
	pid_t pid;
	uint64_t start_time; /* /proc/PID/stat field 22: a reused pid is another process */
	struct session *s;
	uint64_t svc;	     /* --group-by-service: its service's key id, 0 none */
	int pfd, npfd;	     /* its descriptors in the node's poll set (step_all()) */
};

/* --group-by-service: one service (service.h key) and its merged
 * judgement; freed after the report that follows its last member's. */
struct node_service {
	struct service_key key;
	struct svc_group g;
	uint64_t seq;
	int watched;	/* its processes watched now (members report later) */
	bool left;	/* a member went away since its last report */
	double first_fresh; /* when the first member reported since then */
};

/* A process seen and not watched: refused by its attach (not retried), or
 * left out by --max-targets (said once; watched when room appears). Kept
 * while the process is found, so the list is bounded by the host's. */
struct node_seen {
	pid_t pid;
	uint64_t start_time;
	char exe[64];	  /* an exec (same pid and start) is a new chance */
	bool skipped;	  /* --max-targets, else refused */
	bool found;	  /* in this scan */
};

struct node {
	const struct options *o;
	struct discovery_filter filter;
	struct growth_watch gw;
	struct oomwatch oomw;	/* evidence at OOM, for every process */
	struct exports exports;
	struct session_shared shared;
	struct report_node stats;
	struct node_target *targets; /* o->max_targets */
	int ntargets;
	struct discovered *found;
	int capfound;
	struct node_seen *seen;
	size_t nseen, capseen;
	struct winsched_cand *cands; /* o->max_targets */
	struct pollfd *pfds;	     /* 2 per target */
	struct node_service *svcs;   /* --group-by-service */
	size_t nsvcs, capsvcs;
	int first_refusal;	     /* --pid: the status when none could be watched */
	bool ever_watched;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* start_time_of() - field 22 of /proc/PID/stat, or -ESRCH. */
static int start_time_of(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024], state;
	unsigned long flags;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	return discovery_parse_stat(buf, &state, &flags, start) ? -ESRCH : 0;
}

static struct node_target *watched(struct node *n, pid_t pid)
{
	for (int i = 0; i < n->ntargets; i++)
		if (n->targets[i].pid == pid)
			return &n->targets[i];
	return NULL;
}

static struct node_seen *seen_of(struct node *n, pid_t pid, uint64_t start, const char *exe)
{
	for (size_t i = 0; i < n->nseen; i++)
		if (n->seen[i].pid == pid && n->seen[i].start_time == start &&
		    !strncmp(n->seen[i].exe, exe, sizeof(n->seen[i].exe) - 1))
			return &n->seen[i];
	return NULL;
}

static struct node_seen *add_seen(struct node *n, pid_t pid, uint64_t start, const char *exe,
				  bool skipped)
{
	struct node_seen *p = array_room(n->seen, &n->capseen, n->nseen, sizeof(*p), 64);

	if (!p)
		return NULL;
	n->seen = p;
	p = &n->seen[n->nseen++];
	*p = (struct node_seen){ .pid = pid, .start_time = start, .skipped = skipped,
				 .found = true };
	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	return p;
}

/* drop_seen_not_found() - forget the processes this scan did not find. */
static void drop_seen_not_found(struct node *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->nseen; i++)
		if (n->seen[i].found)
			n->seen[k++] = n->seen[i];
	n->nseen = k;
}

static struct node_service *service_by_id(struct node *n, uint64_t id)
{
	for (size_t i = 0; i < n->nsvcs; i++)
		if (n->svcs[i].key.id == id)
			return &n->svcs[i];
	return NULL;
}

/* join_service() - --group-by-service: the service of a newly watched
 * process (created when new). Returns its key id, or 0 (not grouped: off,
 * its key unreadable, or no memory; then it is reported alone). */
static uint64_t join_service(struct node *n, pid_t pid)
{
	struct service_key k;
	struct node_service *p;
	int err;

	if (!n->o->group_by_service)
		return 0;
	err = service_key_read(pid, &k);
	if (err) {
		log_warn("PID %d: no service key (%s): reported alone", (int)pid, strerror(-err));
		return 0;
	}
	p = service_by_id(n, k.id);
	if (p && !service_key_same(&p->key, &k)) {
		log_warn("PID %d: service id collision: reported alone", (int)pid);
		return 0;
	}
	if (!p) {
		p = array_room(n->svcs, &n->capsvcs, n->nsvcs, sizeof(*p), 8);
		if (!p)
			return 0;
		n->svcs = p;
		p = &n->svcs[n->nsvcs++];
		*p = (struct node_service){ .key = k };
		log_info("PID %d: service %016" PRIx64 " (%s)", (int)pid, k.id, k.shape);
	}
	p->watched++;
	return k.id;
}

/* on_report() - session_shared's hook: a member's report into its service.
 * Returns false for a process reported alone (no service key). */
static bool on_report(void *ctx, const struct report *r)
{
	struct node *n = ctx;
	struct node_target *t = watched(n, r->h.pid);
	struct node_service *sv = t && t->svc ? service_by_id(n, t->svc) : NULL;

	if (!sv)
		return false;
	if (!sv->g.nfresh)
		sv->first_fresh = now_s();
	if (svc_take(&sv->g, r))
		log_warn("service %016" PRIx64 ": out of memory merging PID %d", sv->key.id,
			 r->h.pid);
	return true;
}

/* log_service_alerts() - one stderr line per service transition: a leak
 * in many workers pages once. */
static void log_service_alerts(const struct node_service *sv)
{
	for (int i = 0; i < sv->g.ntrans; i++) {
		const struct svc_alert *a = &sv->g.trans[i];
		const struct report_frame *f = &a->site.top;

		log_info("%s: service %016" PRIx64 " (%d process%s): %s:%d %s", a->state,
			 sv->key.id, sv->g.n, sv->g.n == 1 ? "" : "es", f->file ? f->file : "?",
			 f->line, f->func ? f->func : "?");
	}
}

/* due() - a service reports once all its watched processes have reported
 * since its last report (one service report per --interval, whatever the
 * members' phases), or an interval after the first of them did (one that
 * stopped reporting, e.g. waiting for an exec, holds nobody up), or at
 * once when a member left (its alerts may resolve). */
static bool due(const struct node *n, const struct node_service *sv)
{
	if (sv->left)
		return true;
	if (!sv->g.nfresh)
		return false;
	return sv->g.nfresh >= sv->watched || now_s() - sv->first_fresh >= n->o->interval_s;
}

/* report_services() - each service due: judged, written to the report
 * stream and the exports, its transitions logged; one with no member left
 * has its final report and is freed. final: the node stops (every one is
 * final). */
static void report_services(struct node *n, bool final)
{
	for (size_t i = 0; i < n->nsvcs; i++) {
		struct node_service *sv = &n->svcs[i];
		struct svc_report r;
		bool last = final || !sv->watched;
		int err;

		if (!last && !due(n, sv))
			continue;
		sv->left = false;
		if (!sv->seq && !sv->g.n && !sv->watched) {
			/* its processes went before any reported: nothing to say */
			svc_free(&sv->g);
			n->svcs[i--] = n->svcs[--n->nsvcs];
			continue;
		}
		if (svc_judge(&sv->g, (int)n->o->top))
			log_warn("service %016" PRIx64 ": out of memory judging", sv->key.id);
		log_service_alerts(sv);
		r = (struct svc_report){ .key = &sv->key, .g = &sv->g, .seq = ++sv->seq,
					 .final = last, .unix_time = (double)time(NULL),
					 .node_name = n->o->node_name };
		err = n->o->format == FORMAT_JSON ? out_json_service_write(n->shared.out, &r)
						  : out_text_service_write(n->shared.out, &r);
		if (err)
			log_warn("cannot write service report: %s", strerror(-err));
		exports_service(&n->exports, &r);
		if (!sv->watched) {
			/* gone: its series leave; at the node's stop they stay, as
			 * the processes' do */
			if (!final)
				exports_forget_service(&n->exports, sv->key.id);
			svc_free(&sv->g);
			n->svcs[i--] = n->svcs[--n->nsvcs];
		}
	}
}

/* consider() - a process found by a scan (or named by --pid): watch it if
 * it is new and there is room; say once why not. */
static void consider(struct node *n, pid_t pid, uint64_t start, const char *exe, const char *comm)
{
	const struct options *o = n->o;
	struct node_target *t = watched(n, pid);
	struct node_seen *sn;
	struct session *s;
	int rc;

	/* watched; or a reused pid whose old process's end its session will
	 * see at its next step, making room for this one */
	if (t)
		return;
	sn = seen_of(n, pid, start, exe);
	if (sn) {
		sn->found = true;
		if (!sn->skipped || n->ntargets >= (int)o->max_targets)
			return;
		sn->found = false; /* room now: dropped from the list below */
	} else if (n->ntargets >= (int)o->max_targets) {
		log_info("not watching PID %d (%s): --max-targets %u reached", (int)pid, comm,
			 o->max_targets);
		n->stats.skipped_max_targets++;
		add_seen(n, pid, start, exe, true);
		return;
	}
	rc = session_open(o, &n->shared, pid, &s);
	if (rc) {
		/* session_open() said why; not tried again while it runs this program */
		if (!n->first_refusal)
			n->first_refusal = rc;
		if (sn)
			sn->found = true, sn->skipped = false;
		else
			add_seen(n, pid, start, exe, false);
		return;
	}
	n->targets[n->ntargets++] = (struct node_target){ .pid = pid, .start_time = start, .s = s,
							  .svc = join_service(n, pid) };
	n->stats.watched = n->ntargets;
	n->ever_watched = true;
}

/* is_watched() - discovery_watched_fn: a watched pid is passed over
 * whatever its start time; a reused pid's old session sees its process's
 * end at its next step, and the scan after that finds the new one. */
static bool is_watched(void *ctx, pid_t pid, uint64_t start_time)
{
	(void)start_time;
	return watched(ctx, pid) != NULL;
}

/* rescan() - find the processes to watch: a /proc scan (--all), or the
 * --pid list. */
static void rescan(struct node *n)
{
	const struct options *o = n->o;
	int nfound = 0, err;

	for (size_t i = 0; i < n->nseen; i++)
		n->seen[i].found = false;
	if (!o->all) {
		for (int i = 0; i < o->npids; i++) {
			uint64_t start;
			char exe[64] = "";

			if (start_time_of(o->pids[i], &start)) {
				if (!n->ever_watched && !n->first_refusal)
					log_err("no process with PID %d", o->pids[i]);
				continue;
			}
			consider(n, o->pids[i], start, exe, "");
		}
		drop_seen_not_found(n);
		return;
	}
	err = discovery_scan(&n->filter, is_watched, n, n->found, n->capfound, &nfound);
	if (err) {
		log_warn("cannot scan /proc for Python processes: %s", strerror(-err));
		return;
	}
	if (nfound > n->capfound) {
		/* more than the table holds: grow it (the next scan sees all) */
		int cap = nfound < DISCOVERY_PROCS_MAX ? nfound + FOUND_MIN : DISCOVERY_PROCS_MAX;
		struct discovered *p = realloc(n->found, (size_t)cap * sizeof(*p));

		if (p) {
			n->found = p;
			n->capfound = cap;
		}
		nfound = n->capfound < nfound ? n->capfound : nfound;
	}
	for (int i = 0; i < nfound && i < n->capfound; i++) {
		const struct discovered *d = &n->found[i];

		consider(n, d->pid, d->start_time, d->exe, d->comm);
	}
	drop_seen_not_found(n);
}

/* drop() - a session ends: its last report, then everything it held. The
 * process's series leave the exports when it ended (forget); at the node's
 * own exit they stay, so the file keeps the final state of every process. */
static void drop(struct node *n, int i, bool gone, bool forget)
{
	pid_t pid = n->targets[i].pid;

	session_close(n->targets[i].s, gone); /* its last report counts it still */
	if (n->targets[i].svc) {
		struct node_service *sv = service_by_id(n, n->targets[i].svc);

		/* at the node's stop it stays a member: the service's final
		 * report keeps its alerts (they did not resolve) */
		if (sv) {
			if (forget)
				svc_leave(&sv->g, pid);
			sv->watched--;
			sv->left = true;
		}
	}
	if (forget)
		exports_forget(&n->exports, pid);
	n->ntargets--;
	n->stats.watched = n->ntargets;
	memmove(&n->targets[i], &n->targets[i + 1],
		(size_t)(n->ntargets - i) * sizeof(n->targets[0]));
}

/* publish_stats() - the node's own Prometheus families (exports.h; they
 * are rewritten only when a figure changed). */
static void publish_stats(struct node *n)
{
	struct node_stats ns = { .node_name = n->o->node_name, .watched = n->stats.watched,
				 .nreasons = 1 };

	ns.skipped[0].reason = "max_targets";
	ns.skipped[0].count = n->stats.skipped_max_targets;
	exports_node_stats(&n->exports, &ns);
}

/* step_all() - wait for any session's descriptor (or a tick), then step
 * every session, drop the ended ones and grant windows for the next step. */
static void step_all(struct node *n, int wait_ms)
{
	bool demand, polled;
	int np = 0;

	for (int i = 0; i < n->ntargets; i++) {
		n->targets[i].pfd = np;
		n->targets[i].npfd = session_pollfds(n->targets[i].s, &n->pfds[np]);
		np += n->targets[i].npfd;
	}
	polled = poll(n->pfds, np, wait_ms) >= 0;
	if (!polled && errno != EINTR)
		usleep(wait_ms * 1000);
	exports_beat(&n->exports);
	demand = session_take_window_demand();
	for (int i = 0; i < n->ntargets; i++) {
		struct node_target *t = &n->targets[i];
		enum session_state st;

		if (demand)
			session_demand_window(t->s);
		/* the readiness just polled; a session dropped below shifts the
		 * rest down, each keeping its own offsets */
		st = session_step(t->s, &n->pfds[t->pfd], polled ? t->npfd : 0);
		if (st == SESSION_RUNNING)
			continue;
		if (st == SESSION_FAILED)
			log_warn("PID %d: profiling failed; no longer watched", (int)n->targets[i].pid);
		drop(n, i--, st == SESSION_GONE, true);
	}
	for (int i = 0; i < n->ntargets; i++)
		session_window(n->targets[i].s, &n->cands[i].open, &n->cands[i].wants,
			       &n->cands[i].growth);
	winsched_grant(n->cands, n->ntargets, (int)n->o->max_concurrent_windows);
	for (int i = 0; i < n->ntargets; i++)
		session_grant_window(n->targets[i].s, n->cands[i].granted);
	report_services(n, false);
	publish_stats(n);
}

/* node_setup() - everything shared. Returns 0 or an exit status. */
static int node_setup(struct node *n, const struct options *o)
{
	char why[256];
	FILE *out = stdout;
	int err;

	n->o = o;
	n->stats.max_targets = o->max_targets;
	n->targets = calloc(o->max_targets, sizeof(*n->targets));
	n->cands = calloc(o->max_targets, sizeof(*n->cands));
	n->pfds = calloc((size_t)o->max_targets * 2, sizeof(*n->pfds));
	n->capfound = FOUND_MIN;
	n->found = calloc(n->capfound, sizeof(*n->found));
	if (!n->targets || !n->cands || !n->pfds || !n->found)
		return EXIT_ERROR;
	if (discovery_filter_init(&n->filter, o->match, o->exclude, o->cgroup, why, sizeof(why))) {
		log_err("%s", why); /* options_parse() checked: not expected */
		return EXIT_USAGE;
	}
	exports_init(&n->exports, o);
	exports_node_mode(&n->exports, (int)o->max_targets);
	if (exports_listen(&n->exports, o))
		return EXIT_ERROR;
	if (o->output) {
		err = outfile_open(o->output, &out);
		if (err) {
			log_err("cannot open %s for the reports: %s", o->output,
				err == -ELOOP ? "it is a symbolic link (refused: give the real path)"
					      : strerror(-err));
			return EXIT_ERROR;
		}
		setvbuf(out, NULL, _IOLBF, 0);
	}
	if (o->mode == MODE_GROWTH) {
		/* one kernel side for every process; without it each report
		 * says the kernel counters are missing */
		err = growth_open(&n->gw, o->max_targets, o->no_hints ? 1 : SESSION_MAX_HINTS, o->max_depth,
				  !o->no_hints);
		if (err)
			log_warn("kernel growth events unavailable: %s", strerror(-err));
	}
	oomwatch_open(&n->oomw);
	n->shared = (struct session_shared){ .gw = o->mode == MODE_GROWTH ? &n->gw : NULL,
					     .oomw = &n->oomw,
					     .exports = &n->exports,
					     .out = out,
					     .stats = &n->stats,
					     .on_report = o->group_by_service ? on_report : NULL,
					     .ctx = n };
	if (o->all)
		log_info("node mode: watching every Python process%s%s%s%s (at most %u), "
			 "rescanning every %gs, at most %u window%s at once", o->match ? " matching " : "",
			 o->match ? o->match : "", o->cgroup ? " in cgroup " : "", o->cgroup ? o->cgroup : "",
			 o->max_targets, o->rescan_s, o->max_concurrent_windows,
			 o->max_concurrent_windows == 1 ? "" : "s");
	return 0;
}

static void node_teardown(struct node *n)
{
	while (n->ntargets)
		drop(n, n->ntargets - 1, false, false);
	report_services(n, true);
	free(n->svcs);
	growth_close(&n->gw);
	oomwatch_close(&n->oomw);
	exports_close(&n->exports);
	if (n->shared.out && n->shared.out != stdout)
		fclose(n->shared.out);
	discovery_filter_free(&n->filter);
	discovery_cache_clear();
	free(n->targets);
	free(n->cands);
	free(n->pfds);
	free(n->found);
	free(n->seen);
}

int node_main(const struct options *o)
{
	struct node n = {};
	double t0 = now_s(), next_scan = t0;
	int rc = node_setup(&n, o);

	while (!rc && !session_stop_requested()) {
		double t = now_s();

		if (o->duration_s && t - t0 >= o->duration_s)
			break;
		if (t >= next_scan) {
			rescan(&n);
			next_scan = t + o->rescan_s;
			/* --pid: done when none of them is left to watch */
			if (!o->all && !n.ntargets) {
				if (!n.ever_watched)
					rc = n.first_refusal ? n.first_refusal : EXIT_NO_PROCESS;
				break;
			}
		}
		step_all(&n, TICK_MS);
	}
	if (session_stop_requested())
		log_debug("node: stopping on a signal");
	node_teardown(&n);
	return rc;
}
