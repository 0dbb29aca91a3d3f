// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * session.c: one watched process's life: attach (or launch), the report
 * loop, windows, judgement, exec following, detach and a clean exit. Each
 * concern lives in its own module; this file only sequences them: target
 * discovery (target.c), offsets (pyoffsets.c), allocator tables and the
 * switch (allocators.c, allocswitch.c), probes (capture.c), map reading
 * (collect.c), symbols (symbolize.c), the site store (sites.c), incidents,
 * fix hints and resources (incidents.c, fixhints.c, resources.c), GC
 * statistics (gcstats.c), growth detection (growth.c), the capture windows
 * of growth mode (windows.c) and the sinks (out_text.c, out_json.c,
 * out_live.c, exports.c). main.c parses options, checks the environment,
 * installs the signal handlers and hands over to session_main(); in node
 * mode node.c drives many sessions through session_open(), session_step()
 * and session_close() (session.h), one pass of the same report loop
 * (run_step()) at a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "allocators.h"
#include "allocswitch.h"
#include "privileges.h"
#include "switchlock.h"
#include "blind.h"
#include "capture.h"
#include "collect.h"
#include "exports.h"
#include "drops.h"
#include "gcstats.h"
#include "growth.h"
#include "fixhints.h"
#include "fmt.h"
#include "health.h"
#include "identity.h"
#include "incidents.h"
#include "launch.h"
#include "log.h"
#include "objtypes.h"
#include "oomwatch.h"
#include "options.h"
#include "outfile.h"
#include "pyoffsets.h"
#include "resources.h"
#include "session.h"
#include "report.h"
#include "sites.h"
#include "symbolize.h"
#include "target.h"
#include "tstates.h"
#include "windows.h"

#define TICK_MS 100
/* how often maps are read, probes judged and new sites symbolised */
#define REFRESH_S 1.0
/* a node's process outside its windows: a report and a window's settling
 * read afresh anyway, and what opens a window (anonymous growth) moves
 * slowly; refreshing every process is most of a node's own cost */
#define REFRESH_IDLE_NODE_S 2.0
/* A node's per-process allocation object: threads inside an allocator at
 * once (a full map is counted: PYLEAK_STAT_INFLIGHT_FULL), thread states
 * cached (beyond them BPF walks the newest states itself), processes
 * registered (this one; an exec registers it again). The single-process
 * sizes, preallocated, cost 3.5 MiB of kernel memory each time. */
#define NODE_MAX_INFLIGHT 1024
#define NODE_MAX_TSTATES 4096
#define NODE_MAX_PROCS 8
/* census(): at most this many carried in a row, then a walk */
#define CENSUS_MAX_CARRIES 9
/* run_loop()'s "the target called exec": not an exit code */
#define RUN_EXECED 1000
#define MAX_WARNINGS 8
/* growth mode: first-touch hints shown per report, and their map size */
#define TOP_HINTS 5
/* census types per report */
#define TOP_TYPES 10
#define MAX_HINTS SESSION_MAX_HINTS
/* report rows given a history (sparklines, charts) */
#define HISTORY_ROWS 200
/* fix hints: their length, and how many incidents get one per report */
#define FIXHINT_LEN 192
#define MAX_INCIDENT_HINTS 32
/* A site with nothing outstanding is deleted from the maps once it has not
 * allocated for this long (retention.h): in growth mode a second (its
 * windows are seconds long, and the maps must hold only a few windows'
 * sites), in alloc mode longer, so a site that allocates now and then is
 * not deleted and stored again all the time. */
#define RETIRE_QUIET_GROWTH_NS (1ULL * 1000 * 1000 * 1000)
#define RETIRE_QUIET_ALLOC_NS (10ULL * 1000 * 1000 * 1000)
/* a report's alert transitions: the sites', the process's, the fds', the
 * threads' and oom_killed */
#define MAX_ALERTS (SITES_MAX_ALERTS + 4)
/* share of a window's survivors at a site (at settlement) that must stay alive */
#define MIN_SURVIVAL 0.5

static volatile sig_atomic_t exiting, window_demand;

void session_signal_stop(int sig)
{
	exiting = sig;
}

void session_signal_window(void)
{
	window_demand = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wall_s() - Unix time, for reports that outlive the run (file exports). */
static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: ages compare with it directly. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Everything one profiling session holds; torn down by session_end(). */
struct session {
	const struct options *o;
	struct target t;
	bool target_open;
	struct py_layout L;
	struct alloc_info ai;
	bool ai_ok;
	struct allocswitch sw;
	int switch_lock;	/* switchlock_take()'s descriptor, or -1 */
	pid_t switch_lock_pid;	/* the target it locks */
	struct capture cap;
	bool cap_open;
	struct symbolizer *sym;
	struct site_store *store;
	struct collect_snapshot snap;
	struct gc_reader gcr;
	bool gc_ok;
	struct gc_snapshot gc0; /* at attach */
	bool gc0_ok;
	struct gc_snapshot census_gc; /* read before the last census walk */
	bool census_gc_ok;
	unsigned census_carries; /* censuses carried since that walk */
	/* the newest successful read: a report after the target exited (the
	 * final one of a run) shows the GC as last seen, not nothing */
	struct gc_snapshot gc_last;
	bool gc_last_ok;
	double t0;		/* attach time */
	uint64_t seq;
	char build[96], capture_desc[160];
	const char *warnings[MAX_WARNINGS];
	int nwarnings;
	char blind_msg[512];
	bool blind;
	struct blind_watch bw;	/* evidence of allocation since attach */
	bool mem_ok;		/* mem was read */
	uint64_t last_rss;
	FILE *out; /* reports: stdout or --output */
	bool stopped;	/* the target is stopped by us (run mode, after an exec) */
	bool restore_failed; /* the allocator switch could not be undone: exit 11 */
	bool image_gone; /* the target called exec: its memory and /proc status are
			  * the new program's; reports keep the figures read before */
	uint64_t exec_id[3]; /* target_exec_id() at attach: tells an exec */
	pid_t child; /* run mode */
	int child_status;
	bool child_done;
	int pidfd;
	/* a node polled the pidfd for this step: 1 readable, 0 not; -1 poll
	 * here (session_step(), target_gone()) */
	int pidfd_polled;
	/* growth mode */
	bool growth;
	struct growth_watch own_gw; /* a session of its own opens the kernel side here */
	struct growth_watch *gw;    /* &own_gw, or the node's shared one */
	struct growth_hints gh;	    /* this process's first-touch hints */
	bool gw_ok;
	struct site_store *hints;
	struct window_sched ws;
	bool windows_ok;	  /* windows can be opened */
	bool window_switch;	  /* switch the allocator for each window */
	bool owner_stopped;	  /* the target is stopped by someone else: no window opens */
	bool stop_seen;		  /* target_stopped() at stop_read_at (owner_stopped_now()) */
	double stop_read_at;
	enum capture_method window_method;
	char window_desc[200];
	uint64_t anon0;
	struct proc_mem mem;
	/* judgement */
	struct health health;
	bool health_ok;
	uint64_t alerts_raised;	  /* over the whole run, exec included */
	struct incidents *inc;	  /* site alerts grouped by head frame */
	struct report_incident *incidents; /* this report's, owned by inc */
	int nincidents;
	uint64_t incidents_raised; /* over the whole run, exec included */
	uint64_t leaks_raised;	  /* incidents and process alerts: --fail-on-leak */
	/* site transitions, the process's, the fds', the threads', oom_killed */
	struct report_alert alerts[MAX_ALERTS];
	char alert_hints[MAX_ALERTS][FIXHINT_LEN];
	char incident_hints[MAX_INCIDENT_HINTS][FIXHINT_LEN];
	struct resources res;	  /* open fds and threads */
	char uncollectable_msg[160];
	/* drops (drops.h): the previous report's counters, for the warning */
	struct report_drops prev_drops;
	char drops_msg[400];
	uint64_t hint_drops;	  /* growth mode: from the growth map */
	struct tstates tst;	  /* thread states cached for the unwinder (tstates.h) */
	bool tst_cap, tst_gw;	  /* the alloc / growth map has had them all once */
	/* object types */
	struct objtypes *ot;
	double next_census;
	/* file exports (--prom-file, --pprof, --folded, --html): the
	 * session's own, or the node's shared one */
	struct exports *exports;
	bool live;		  /* stdout is a terminal, no --format/--output: redraw in place */
	struct proc_identity ident; /* container labels of every report (identity.h) */
	bool ident_ok;
	/* the report loop (run_step()) */
	double next_report, next_refresh;
	/* node mode (node.c drives the session with session_step()) */
	bool node;
	const struct report_node *node_stats; /* shown in each report */
	bool (*on_report)(void *ctx, const struct report *r); /* session_shared's */
	void *report_ctx;
	bool demand;		  /* a window asked for (SIGUSR1), not yet opened */
	bool may_open;		  /* the node grants this session a window opening now */
	bool wants_window;	  /* idle, and its scheduler would open a window now */
	bool exec_wait;		  /* called exec: waiting for the new program's interpreter */
	bool exec_said;
	double exec_next_try;
	char exec_old[24];	  /* the Python version before the exec */
	pid_t exec_pid;
	double exec_since;	  /* node mode: when the exec was seen */
	bool attached;		  /* between attach_session() and detach_session() */
	bool own_out;		  /* out is ours to close */
	/* evidence at OOM (oomwatch.h): opened once, the target watched from attach */
	struct oomwatch *oomw;	  /* own_oomw, or the node's shared one */
	struct oomwatch own_oomw;
	bool oomw_open;		  /* own_oomw is open */
	struct oom_target oomt;
	const struct report_oom *oom; /* the target ended OOM-killed: for the final report */
	char oom_msg[512];
};

static void add_warning(struct session *s, const char *w)
{
	for (int i = 0; i < s->nwarnings; i++)
		if (s->warnings[i] == w)
			return;
	if (s->nwarnings < MAX_WARNINGS)
		s->warnings[s->nwarnings++] = w;
}

static int exit_code_for_target_error(int err, const struct session *s, int pid)
{
	switch (err) {
	case -ESRCH:
		log_err("no process with PID %d", pid);
		return EXIT_NO_PROCESS;
	case -EACCES:
	case -EPERM:
		/* privileges_missing() made sure of CAP_SYS_PTRACE: what was
		 * refused is a file of the target's (its interpreter, its
		 * /proc/PID/map_files), unless we have that capability too */
		if (!privileges_have(CAP_SYS_PTRACE))
			log_err("not allowed to inspect PID %d: CAP_SYS_PTRACE missing (to read its "
				"memory and /proc files)", pid);
		else if (!privileges_have(CAP_DAC_READ_SEARCH))
			log_err("not allowed to read the files PID %d runs from (its interpreter, or "
				"/proc/%d/map_files): CAP_DAC_READ_SEARCH missing (needed when they "
				"are not readable by uid %d)", pid, pid, (int)geteuid());
		else
			log_err("not allowed to inspect PID %d (a security module, or another "
				"tracer?)", pid);
		return EXIT_PERMISSION;
	case -ENOEXEC:
		log_err("PID %d (%s) is not a CPython process: no libpython and no _PyRuntime "
			"symbol in its mappings", pid, s->t.comm[0] ? s->t.comm : "?");
		return EXIT_NOT_PYTHON;
	case -ENOTSUP:
		log_err("PID %d runs Python %s, which this pyleak-bpf does not support (3.8 to 3.14)",
			pid, s->t.version);
		return EXIT_UNSUPPORTED;
	default:
		log_err("cannot inspect PID %d: %s", pid, strerror(-err));
		return EXIT_ERROR;
	}
}

/* setup_layout() - offsets for the target's version, validated. */
static int setup_layout(struct session *s)
{
	int err;

	if (pyoffsets_lookup(s->t.version_hex, &s->L)) {
		log_err("PID %d runs Python %s, which this pyleak-bpf does not support (3.8 to "
			"3.14)", s->t.pid, s->t.version);
		return EXIT_UNSUPPORTED;
	}
	if (s->t.version_hex >= 0x030d0000) {
		err = pyoffsets_apply_debug_offsets(s->t.pid, s->t.runtime_addr, &s->L);
		if (err == -ENOTSUP) {
			log_err("PID %d runs a free-threaded Python %s build, which is not supported",
				s->t.pid, s->t.version);
			return EXIT_UNSUPPORTED;
		}
		if (err) {
			log_err("Python %s in PID %d publishes no valid debug offsets (%s): a "
				"pre-release or modified build?", s->t.version, s->t.pid,
				strerror(-err));
			return EXIT_UNSUPPORTED;
		}
	}
	return 0;
}

/* choose_windows() - how growth-mode windows will see allocations. The
 * allocator tables were read by choose_capture(), its caller. */
static void choose_windows(struct session *s)
{
	const char *how = NULL;
	bool may_switch = s->o->switch_allocator || s->child;

	s->windows_ok = true;
	switch (s->ai.state) {
	case ALLOC_MALLOC:
		s->window_method = CAPTURE_LIBC;
		how = "PYTHONMALLOC=malloc";
		break;
	case ALLOC_HOOKED:
		s->window_method = CAPTURE_TABLE_LIBC;
		how = "hooked allocator";
		break;
	case ALLOC_SWITCHED:
		s->window_method = CAPTURE_LIBC;
		how = "allocator left switched by an earlier run";
		break;
	case ALLOC_PYMALLOC:
		if (!s->ai.inlined_fast_path) {
			s->window_method = CAPTURE_TABLE_LIBC;
			how = "pymalloc";
		} else if (may_switch) {
			s->window_method = CAPTURE_LIBC;
			s->window_switch = true;
			s->sw.per_window = true;
			how = "allocator switched during each window";
		} else {
			s->window_method = CAPTURE_LIBC;
			how = "PARTIAL: this LTO build hides small objects from probes; only "
			      "large and native allocations are seen. Use --switch-allocator";
			add_warning(s, "windows see only large and native allocations: this build "
				       "inlines pymalloc (LTO). Add --switch-allocator for exact windows");
		}
		break;
	}
	snprintf(s->window_desc, sizeof(s->window_desc), "%s (%s)",
		 capture_method_name(s->window_method), how);
	snprintf(s->capture_desc, sizeof(s->capture_desc), "kernel growth events + windows");
}

/*
 * take_switch_lock() - own the target's allocator switch for the session
 * when this session may switch or restore it (switchlock.h): a second
 * session must neither switch it again nor adopt and restore the first's.
 * Kept across an exec (same pid). Returns 0 or an exit code.
 */
static int take_switch_lock(struct session *s)
{
	const struct options *o = s->o;
	pid_t holder;
	int fd;

	if (!o->switch_allocator && !o->restore_allocator && !s->child)
		return 0;
	if (s->switch_lock >= 0 && s->switch_lock_pid == s->t.pid)
		return 0;
	fd = switchlock_take(s->t.pid, &holder);
	if (fd == -EBUSY) {
		log_err("another pyleak-bpf (PID %d) owns the allocator switch of PID %d: it "
			"restores it when it ends. Not switching or restoring it twice; profile "
			"without --switch-allocator or %s", (int)holder, s->t.pid,
			o->restore_allocator ? "wait for it to end" : "stop the other session");
		return EXIT_ERROR;
	}
	if (fd < 0) {
		log_err("cannot take the allocator switch lock of PID %d: %s", s->t.pid,
			strerror(-fd));
		return fd == -ESRCH ? EXIT_NO_PROCESS : EXIT_ERROR;
	}
	if (s->switch_lock >= 0)
		close(s->switch_lock);
	s->switch_lock = fd;
	s->switch_lock_pid = s->t.pid;
	return 0;
}

/* warn_left_switched() - the target's allocator is switched and this
 * session will not own it: by a running session, or a killed one. */
static void warn_left_switched(struct session *s, const char *what)
{
	pid_t holder = switchlock_holder(s->t.pid);

	if (holder)
		log_warn("the allocator of PID %d is switched by another pyleak-bpf (PID %d), "
			 "still running: %s", s->t.pid, (int)holder, what);
	else
		log_warn("the allocator of PID %d is still switched by an earlier pyleak-bpf "
			 "run that was killed: %s. Use --restore-allocator to undo it",
			 s->t.pid, what);
}

/* choose_capture() - how allocations will be seen, and the switch if asked. */
static int choose_capture(struct session *s, enum capture_method *m)
{
	const struct options *o = s->o;
	int err;

	err = alloc_info_read(&s->t, &s->L, &s->ai);
	if (err) {
		log_err("cannot locate the allocator tables of Python %s in PID %d: %s",
			s->t.version, s->t.pid, strerror(-err));
		return EXIT_UNSUPPORTED;
	}
	s->ai_ok = true;
	log_debug("allocator: %s%s", alloc_state_name(s->ai.state),
		  s->ai.inlined_fast_path ? ", pymalloc fast path inlined (LTO)" : "");
	/* a --restore-allocator of a table not switched only reads it */
	if (!o->restore_allocator || s->ai.state == ALLOC_SWITCHED) {
		int rc = take_switch_lock(s);

		if (rc)
			return rc;
	}
	if (s->growth && !o->restore_allocator) {
		if (s->ai.state == ALLOC_SWITCHED && !o->switch_allocator)
			warn_left_switched(s, "windows see every allocation while it lasts");
		choose_windows(s);
		return 0;
	}

	if (o->restore_allocator) {
		if (s->ai.state != ALLOC_SWITCHED) {
			log_info("the allocator of PID %d is not switched (%s); nothing to restore",
				 s->t.pid, alloc_state_name(s->ai.state));
			return EXIT_OK;
		}
		err = allocswitch_apply(&s->sw, s->t.pid, &s->ai); /* adopts it */
		if (!err)
			err = allocswitch_restore(&s->sw);
		s->sw.active = false; /* failed: not to be tried again on the way out */
		if (err) {
			log_err("cannot restore the allocator of PID %d: %s", s->t.pid,
				strerror(-err));
			return EXIT_RESTORE_FAILED;
		}
		return EXIT_OK;
	}

	switch (s->ai.state) {
	case ALLOC_MALLOC:
		*m = CAPTURE_LIBC;
		snprintf(s->capture_desc, sizeof(s->capture_desc), "%s (PYTHONMALLOC=malloc)",
			 capture_method_name(*m));
		return 0;
	case ALLOC_HOOKED:
		*m = CAPTURE_TABLE;
		snprintf(s->capture_desc, sizeof(s->capture_desc), "%s (hooked allocator)",
			 capture_method_name(*m));
		return 0;
	case ALLOC_SWITCHED:
		if (!o->switch_allocator)
			warn_left_switched(s, "profiling through libc while it lasts "
					      "(--switch-allocator adopts a killed run's switch)");
		break;
	case ALLOC_PYMALLOC:
		if (!o->switch_allocator) {
			*m = CAPTURE_TABLE;
			snprintf(s->capture_desc, sizeof(s->capture_desc), "%s (pymalloc)",
				 capture_method_name(*m));
			if (s->ai.inlined_fast_path) {
				/* in every report too, before the blindness is proven */
				static const char lto[] =
					"this Python build inlines pymalloc's fast path into its "
					"callers (LTO): probes on the allocator will see few "
					"allocations. Use --switch-allocator, or start the program "
					"under pyleak-bpf -- COMMAND";

				log_warn("%s", lto);
				add_warning(s, lto);
			}
			return 0;
		}
		break;
	}
	if (o->switch_allocator || s->ai.state == ALLOC_SWITCHED) {
		if (o->switch_allocator) {
			err = allocswitch_apply(&s->sw, s->t.pid, &s->ai);
			if (err) {
				log_err("cannot switch the allocator of PID %d: %s", s->t.pid,
					err == -EINVAL ? "its tables hold an unknown allocator"
						       : strerror(-err));
				return err == -EPERM ? EXIT_PERMISSION : EXIT_ERROR;
			}
		}
		*m = CAPTURE_LIBC;
		snprintf(s->capture_desc, sizeof(s->capture_desc), "%s (allocator switched)",
			 capture_method_name(*m));
	}
	return 0;
}

static void describe_build(struct session *s)
{
	snprintf(s->build, sizeof(s->build), "%s, %s%s",
		 s->t.py_is_lib ? "shared libpython" : "static", s->t.stripped ? "stripped" : "symbols",
		 s->ai.inlined_fast_path ? ", LTO (pymalloc inlined)" : "");
}

/* check_blind() - judge the probes on every evidence of allocation (blind.h). */
static void check_blind(struct session *s)
{
	struct blind_evidence e = { .alloc_hits = s->snap.stats[PYLEAK_STAT_ALLOC_HITS] };
	struct blind_verdict v;
	struct gc_snapshot g;

	if (s->blind)
		return;
	blind_watch_sample(&s->bw, s->mem_ok, s->mem.anon, now_s(), &e);
	e.small_unseen = s->ai.state == ALLOC_PYMALLOC && s->ai.inlined_fast_path &&
			 s->cap.method == CAPTURE_TABLE;
	for (size_t i = 0; i < s->snap.n; i++)
		e.tracked_bytes += s->snap.sites[i].v.bytes;
	e.gc_known = s->gc0_ok && !gc_read(&s->gcr, &g);
	e.gc_objects = e.gc_known ? blind_gc_objects(&s->gc0, &g) : 0;
	if (!blind_judge(&e, &v))
		return;
	s->blind = true;
	blind_message(&v, &e, capture_method_name(s->cap.method), s->ai.inlined_fast_path,
		      s->blind_msg, sizeof(s->blind_msg));
	log_warn("%s", s->blind_msg);
	add_warning(s, s->blind_msg);
}

/* sample_resources() - the target's open fds and threads (from the
 * memory reading just taken, m) into their trends. */
static void sample_resources(struct session *s, double now, const struct proc_mem *m)
{
	uint64_t fds;

	if (m->threads && !resources_count_fds(s->t.pid, &fds))
		resources_sample(&s->res, now, fds, m->threads);
}

/* sync_tstates() - find every thread state of the target and give the
 * BPF unwinders the ones that changed (tstates.h): threads beyond the
 * newest PYLEAK_MAX_THREADS keep their Python stacks. */
static void sync_tstates(struct session *s)
{
	struct pyleak_proc proc;
	pid_t pid = s->t.pid;
	int err;

	pyoffsets_proc(&s->L, s->t.runtime_addr, &proc);
	err = tstates_refresh(&s->tst, &proc, tstates_pm_read, &pid);
	/* a map's first time: every state, not just the changes */
	if (!err && s->cap_open && !(err = collect_tstates_apply(&s->cap, pid, &s->tst, !s->tst_cap)))
		s->tst_cap = true;
	if (!err && s->gw_ok && !(err = growth_tstates_apply(s->gw, pid, &s->tst, !s->tst_gw)))
		s->tst_gw = true;
	if (err)
		log_debug("thread states not refreshed: %s", strerror(-err));
}

/* refresh() - read the maps, judge the probes, and fold new sites into the
 * store (symbolising them while their code objects are surely alive: after
 * the target exits they can no longer be read). Also notes the RSS, which
 * is kept after the target is gone. An exec seen here (the auxv
 * fingerprint) sets image_gone. Returns 0 or -errno. */
static int exec_fingerprint_changed(const struct session *s, bool *changed);

static int refresh(struct session *s)
{
	int err;
	struct proc_mem m;
	bool mem_ok, changed;
	int xerr;

	if (s->image_gone)
		return 0;
	sync_tstates(s);
	err = collect_read(&s->cap, s->t.pid, s->growth, &s->snap);
	mem_ok = !target_memory(s->t.pid, &m);
	/* after the reading: if no exec happened by now, what was read is the
	 * old program's; otherwise keep the figures read before (run_loop()
	 * sees image_gone and ends the old program's reports) */
	xerr = exec_fingerprint_changed(s, &changed);
	if (changed) {
		s->image_gone = true;
		return 0;
	}
	/* in the middle of an exec the old image's auxv is gone before the
	 * new one can be read: a status read then may be either program's
	 * (seen: 4 KiB of RSS), so it is not kept */
	if (xerr)
		mem_ok = false;
	s->mem_ok = mem_ok;
	if (s->mem_ok) {
		s->mem = m;
		s->last_rss = m.rss;
		if (s->health_ok)
			health_sample(&s->health, now_s(), &m);
	}
	if (s->health_ok && s->mem_ok)
		sample_resources(s, now_s(), &m);
	if (err) {
		log_warn("reading the BPF maps failed: %s", strerror(-err));
		return 0;
	}
	if (!s->growth)
		check_blind(s);
	err = sites_update(s->store, s->snap.sites, s->snap.n, s->snap.sw, s->snap.nsw, now_ns());
	/* then make room in the maps: sites and hints that are over go
	 * (retention.h), so a long run keeps seeing new ones */
	if (!err && collect_prune_sites(&s->cap, &s->snap, s->growth ? s->ws.settled : UINT32_MAX,
					now_ns(),
					s->growth ? RETIRE_QUIET_GROWTH_NS : RETIRE_QUIET_ALLOC_NS) > 0)
		sites_retire(s->store, s->snap.retired, s->snap.nretired);
	if (!err && s->gw_ok && s->hints && !growth_read_hints(s->gw, s->t.pid, now_s(), &s->gh)) {
		err = sites_update(s->hints, s->gh.hints, s->gh.nhints, NULL, 0, now_ns());
		if (!err && growth_prune_hints(s->gw, &s->gh, TOP_HINTS) > 0)
			sites_retire(s->hints, s->gh.retired, s->gh.nretired);
	}
	return err;
}

/* resolve_site() / resolve_hint() - raw stack id -> symbolised frames, for
 * the site stores (sites.h): the stack from its map, then the symboliser. */
static int resolve_stack(struct session *s, const struct pyleak_stack *st,
			 struct report_frame *fr, const char **caller, bool *truncated)
{
	*truncated = st->flags & PYLEAK_STACK_TRUNCATED;
	return sym_stack(s->sym, st, fr, caller);
}

static int resolve_site(void *ctx, uint64_t id, struct report_frame *fr, const char **caller,
			bool *truncated)
{
	static struct pyleak_stack st; /* 1 KiB: keep it off the C stack */
	struct session *s = ctx;

	memset(&st, 0, sizeof(st));
	collect_stack(&s->cap, id, &st); /* not stored (map full): the empty stack */
	return resolve_stack(s, &st, fr, caller, truncated);
}

static int resolve_hint(void *ctx, uint64_t id, struct report_frame *fr, const char **caller,
			bool *truncated)
{
	static struct pyleak_stack st;
	struct session *s = ctx;

	memset(&st, 0, sizeof(st));
	growth_hint_stack(s->gw, id, &st); /* as in resolve_site() */
	return resolve_stack(s, &st, fr, caller, truncated);
}

/* log_alert() - one line on stderr per transition, for people watching the
 * terminal while reports go to a file. */
static void log_alert(const struct report_alert *a)
{
	const struct report_frame *f = a->nframes ? &a->frames[0] : NULL;
	char where[300];

	bool counted = strcmp(a->subject, "site") && strcmp(a->subject, "process");

	if (f)
		snprintf(where, sizeof(where), "%s:%d %s", f->file ? f->file : "?", f->line,
			 f->func ? f->func : "?");
	else if (counted)
		snprintf(where, sizeof(where), "open %s of the process", a->subject);
	else
		snprintf(where, sizeof(where), "process anonymous memory");
	if (!strcmp(a->state, "resolved"))
		log_info("resolved: %s, after %.0fs", where, a->duration_s);
	else if (!strcmp(a->state, "oom_killed"))
		log_warn("oom_killed: the kernel's OOM killer ended the process (%s); top site: %s",
			 a->evidence, f ? where : "none ranked");
	else if (counted)
		log_info("%s: %s, %+.1f/min, %" PRId64 " now%s%s", a->state, where, a->rate_bps * 60,
			 a->bytes, a->hint ? "; hint: " : "", a->hint ? a->hint : "");
	else
		log_info("leak_suspect: %s, +%.2f MiB/min (%s)%s%s", where,
			 a->rate_bps * 60 / 1048576, a->evidence, a->hint ? "; hint: " : "",
			 a->hint ? a->hint : "");
}

/* log_incident() - one line on stderr when an incident is raised or resolved:
 * one leak pages once, however many sites it allocates from. */
static void log_incident(const struct report_incident *x)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%d %s", x->head.file ? x->head.file : "?",
		 x->head.line, x->head.func ? x->head.func : "?");
	if (x->state[0] == 'r')
		log_info("resolved: leak at %s (incident %016" PRIx64 "), after %.0fs", where,
			 x->id, x->duration_s);
	else if (x->raised_now)
		log_info("leak_suspect: leak at %s (incident %016" PRIx64 "), %d site%s, "
			 "+%.2f MiB/min%s%s", where, x->id, x->nmembers, x->nmembers == 1 ? "" : "s",
			 x->rate_bps * 60 / 1048576, x->hint ? "; hint: " : "",
			 x->hint ? x->hint : "");
}

/* fill_incidents() - group the active site alerts into incidents, name each
 * of this ranking's n site transitions (s->alerts) with its incident, count
 * and log the incidents raised and resolved. */
static void fill_incidents(struct session *s, struct report *r, int n)
{
	const struct site_alert *act;
	struct report_incident *v;
	int na, ni, err;

	s->nincidents = 0;
	if (!s->inc)
		return;
	na = sites_active_alerts(s->store, &act);
	err = na < 0 ? na : incidents_update(s->inc, act, na, now_s() - s->t0);
	if (err) {
		log_debug("incidents: %s", strerror(-err));
		return;
	}
	for (int i = 0; i < n; i++)
		s->alerts[i].incident = incidents_of(s->inc, s->alerts[i].id);
	ni = incidents_list(s->inc, &v);
	for (int i = 0; i < ni; i++) {
		s->incidents_raised += v[i].raised_now;
		s->leaks_raised += v[i].raised_now;
	}
	s->nincidents = r->nincidents = ni;
	s->incidents = v;
	r->incidents = v;
}

/* fill_judgement() - alerts (the sites' transitions, then the process's),
 * the process trend and GC block, and their warnings; counts every alert
 * raised for --fail-on-leak. Call after ranking. */
static void fill_judgement(struct session *s, struct report *r, struct report_process *rp)
{
	static const char gc_off[] = "the garbage collector is disabled (gc.disable()): "
				     "reference cycles are never freed";
	const struct report_alert *sa;
	struct gc_snapshot g;
	uint32_t active;
	uint64_t before = s->health.raised, before_res;
	unsigned warn;
	bool gc_ok = s->gc0_ok && !s->image_gone && !gc_read(&s->gcr, &g);
	int n = sites_alerts(s->store, &sa, &active);

	if (gc_ok) {
		s->gc_last = g;
		s->gc_last_ok = true;
	} else if (s->gc0_ok && s->gc_last_ok) {
		g = s->gc_last;
		gc_ok = true;
	}

	memcpy(s->alerts, sa, n * sizeof(*sa));
	/* the run's total (an exec starts a new store): what this ranking raised */
	for (int i = 0; i < n; i++)
		s->alerts_raised += sa[i].state[0] == 'l';
	fill_incidents(s, r, n);
	s->health.sites_pending = sites_pending(s->store);
	if (health_report(&s->health, now_s(), active, gc_ok ? &g : NULL,
			  gc_ok ? &s->gc0 : NULL, s->mem.anon, rp, &s->alerts[n], &warn))
		n++;
	before_res = s->res.raised;
	n += resources_report(&s->res, now_s(), rp, &s->alerts[n]);
	s->alerts_raised += s->health.raised - before + s->res.raised - before_res;
	s->leaks_raised += s->health.raised - before + s->res.raised - before_res;
	rp->alerts_raised = s->alerts_raised;
	rp->incidents_active = s->inc ? incidents_active(s->inc) : 0;
	rp->incidents_raised = s->incidents_raised;
	r->nalerts = n;
	r->alerts = s->alerts;
	r->h.process = rp;
	r->h.group_by = sites_group_by_name((enum site_group_by)s->o->group_by);
	if (warn & HEALTH_WARN_GC_DISABLED)
		add_warning(s, gc_off);
	if (warn & HEALTH_WARN_UNCOLLECTABLE) {
		snprintf(s->uncollectable_msg, sizeof(s->uncollectable_msg),
			 "the garbage collector found %" PRIu64 " uncollectable objects since "
			 "attach (gc.garbage keeps them alive)",
			 rp->gc_uncollectable[0] + rp->gc_uncollectable[1] +
				 rp->gc_uncollectable[2]);
		add_warning(s, s->uncollectable_msg);
	}
}

/* fill_oom() - evidence at OOM, in the final report of a process the
 * kernel OOM-killed (s->oom): the process alert oom_killed, carrying the
 * top site's stack, counted for --fail-on-leak (an OOM kill is the failure
 * a leak gate is there to catch), and a warning naming that site. Call
 * after fill_judgement(). */
static void fill_oom(struct session *s, struct report *r, struct report_process *rp,
		     const struct report_site *rows, int n)
{
	const struct report_site *top = n > 0 && !s->blind ? &rows[0] : NULL;
	const struct report_frame *f = top && top->nframes ? &top->frames[0] : NULL;
	struct report_alert *a = &s->alerts[r->nalerts];
	char lim[64] = "", b[32];

	*a = (struct report_alert){ .state = "oom_killed", .subject = "process",
				    .evidence = s->oom->source, .p_value = -1,
				    .bytes = (int64_t)s->mem.anon, .since_s = now_s() - s->t0 };
	if (top) {
		a->nframes = top->nframes;
		a->frames = top->frames;
		a->native_caller = top->native_caller;
	}
	r->nalerts++;
	s->alerts_raised++;
	s->leaks_raised++;
	rp->alerts_raised = s->alerts_raised;
	if (s->oom->memory_max && s->oom->memory_max != UINT64_MAX)
		snprintf(lim, sizeof(lim), " at its memory cgroup's limit of %s",
			 fmt_bytes(b, sizeof(b), (double)s->oom->memory_max, false));
	if (f)
		snprintf(s->oom_msg, sizeof(s->oom_msg),
			 "the kernel's OOM killer ended this process%s; the top site was %s:%d %s",
			 lim, f->file ? f->file : "?", f->line, f->func ? f->func : "?");
	else
		snprintf(s->oom_msg, sizeof(s->oom_msg),
			 "the kernel's OOM killer ended this process%s; no site was ranked yet", lim);
	add_warning(s, s->oom_msg);
}

/* log_transitions() - this report's raised and resolved incidents and the
 * alerts outside any incident, one stderr line each, hints included. */
static void log_transitions(const struct report *r, bool sites_too)
{
	for (int i = 0; i < r->nincidents && sites_too; i++)
		log_incident(&r->incidents[i]);
	for (int i = 0; i < r->nalerts; i++)
		if (!r->alerts[i].incident &&
		    (sites_too || strcmp(r->alerts[i].subject, "site")))
			log_alert(&r->alerts[i]);
}

/* hand_to_service() - --group-by-service: the report goes to the node's
 * service first; when it has one, its site transitions leave the report,
 * announced once by the service (the rows keep their alert flags: the
 * process's own state). Returns whether a service took it. */
static bool hand_to_service(struct session *s, struct report *r)
{
	int k = 0;

	if (!s->on_report || !s->on_report(s->report_ctx, r))
		return false;
	for (int i = 0; i < r->nalerts; i++)
		if (strcmp(r->alerts[i].subject, "site"))
			s->alerts[k++] = r->alerts[i];
	r->nalerts = k;
	return true;
}

/* evidence_of() - what is known about site id for its fix hint: its stack and
 * caller (from the active alerts, or the alert itself), its type mix (if it is
 * among the report's rows), the collector and the census. */
static void evidence_of(const struct report *r, const struct report_process *rp,
			const struct report_site *rows, int nrows, uint64_t id,
			struct fix_evidence *e)
{
	e->gc_known = rp->gc_known;
	e->gc_enabled = rp->gc_enabled;
	e->uncollectable = rp->gc_uncollectable[0] + rp->gc_uncollectable[1] +
			   rp->gc_uncollectable[2];
	if (r->census) {
		e->census = r->types;
		e->ncensus = r->ntypes;
	}
	for (int i = 0; i < nrows && e->frames; i++)
		if (rows[i].id == id) {
			e->types = rows[i].types;
			e->ntypes = rows[i].ntypes;
			e->types_sampled = rows[i].types_sampled;
		}
}

/* fill_hints() - a fix hint for each alert transition and each incident
 * (the best of its members' hints: the most specific rule), chosen from
 * the evidence of this report (fixhints.h). */
static void fill_hints(struct session *s, struct report *r, const struct report_process *rp,
		       const struct report_site *rows, int nrows)
{
	const struct site_alert *act = NULL;
	int nact = s->store ? sites_active_alerts(s->store, &act) : 0;

	for (int i = 0; i < r->nalerts && i < MAX_ALERTS; i++) {
		struct report_alert *a = &s->alerts[i];
		struct fix_evidence e = { .subject = a->subject, .frames = a->frames,
					  .nframes = a->nframes, .native_caller = a->native_caller };

		/* oom_killed: the process's rule would describe growth, not the kill */
		if (!strcmp(a->state, "resolved") || !strcmp(a->state, "oom_killed"))
			continue;
		evidence_of(r, rp, rows, nrows, a->id, &e);
		if (fixhint(&e, s->alert_hints[i], FIXHINT_LEN) != FIXHINT_NONE)
			a->hint = s->alert_hints[i];
	}
	for (int i = 0; i < s->nincidents && i < MAX_INCIDENT_HINTS; i++) {
		struct report_incident *x = &s->incidents[i];
		enum fixhint_rule best = FIXHINT_NONE;
		char buf[FIXHINT_LEN];

		if (x->state[0] == 'r')
			continue;
		for (int k = 0; k < nact; k++) {
			struct fix_evidence e = { .subject = "site", .frames = act[k].frames,
						  .nframes = act[k].nframes,
						  .native_caller = act[k].native_caller };
			enum fixhint_rule rule;

			if (incidents_of(s->inc, act[k].site_id) != x->id)
				continue;
			evidence_of(r, rp, rows, nrows, act[k].site_id, &e);
			rule = fixhint(&e, buf, sizeof(buf));
			if (rule != FIXHINT_NONE && (best == FIXHINT_NONE || rule < best)) {
				best = rule;
				memcpy(s->incident_hints[i], buf, sizeof(buf));
				x->hint = s->incident_hints[i];
			}
		}
	}
}

/* fill_growth() - growth mode's header block. */
static void fill_growth(struct session *s, struct report_growth *g, uint64_t npersistent)
{
	struct pyleak_growth k;
	double t = now_s();

	g->anon_bytes = s->mem.anon;
	g->anon_growth_bytes = (int64_t)(s->mem.anon - s->anon0);
	if (s->gw_ok && !growth_read(s->gw, s->t.pid, &k)) {
		g->kernel_known = true;
		g->faults = k.faults;
		g->fault_bytes = k.fault_bytes;
		g->thp_faults = k.thp_faults;
		g->thp_bytes = k.thp_bytes;
		g->mmap_bytes = k.mmap_bytes;
		g->munmap_bytes = k.munmap_bytes;
		g->madv_free_bytes = k.madv_free_bytes;
		g->brk_bytes = k.brk_bytes;
		s->hint_drops = k.hint_drops;
	}
	g->window_capture = s->windows_ok ? s->window_desc : NULL;
	g->window_state = windows_phase_name(s->ws.phase);
	g->window_reason = s->ws.reason;
	g->windows = s->ws.id;
	g->settled = s->ws.settled;
	g->window_spent_s = windows_spent(&s->ws, t);
	g->window_budget_s = s->o->window_budget_s;
	g->npersistent = npersistent;
	g->verdict_eta_s = -1;
	if (s->windows_ok && windows_verdict_eta(&s->ws, t, &g->verdict_window, &g->verdict_eta_s) &&
	    g->verdict_eta_s < 0)
		g->verdict_eta_s = 0;
	g->window_total_s = windows_spent_total(&s->ws, t);
}

/* fill_histories() - the process's anonymous memory and each row's bytes
 * over time (copies of the trend rings of health.c and sites.c) for the
 * live view and the HTML report, in r; rows past HISTORY_ROWS get none
 * (2 KiB each: a screen or a chart never shows that many). The copies live in *buf, which the
 * caller frees after writing; without memory, r has no histories. */
static void fill_histories(struct session *s, struct report *r, struct report_series *anon,
			   struct report_series **sites, struct report_point **buf)
{
	struct report_point *p;
	uint32_t k = 0;

	int nhist = r->nsites < HISTORY_ROWS ? r->nsites : HISTORY_ROWS;

	*sites = calloc(r->nsites + 1, sizeof(**sites));
	*buf = calloc((size_t)(nhist + 1) * TREND_RING_CAP, sizeof(**buf));
	if (!*sites || !*buf) {
		free(*sites);
		free(*buf);
		*sites = NULL;
		*buf = NULL;
		return;
	}
	p = *buf;
	for (; s->health_ok && k < trend_ring_count(&s->health.anon); k++) {
		trend_ring_get(&s->health.anon, k, &p[k].t, &p[k].v);
		p[k].t -= s->t0;
	}
	*anon = (struct report_series){ .n = (int)k, .pts = p };
	r->anon_history = anon;
	for (int i = 0; i < nhist; i++) {
		p = *buf + (size_t)(i + 1) * TREND_RING_CAP;
		(*sites)[i].n = sites_history(s->store, r->sites[i].id, s->t0, p, TREND_RING_CAP);
		(*sites)[i].pts = p;
	}
	r->site_history = *sites;
}

/* live_write() - report_writer_fn for the live view: stdout is the
 * terminal (s->live), whatever stream the report is rendered into. */
static int live_write(FILE *f, const struct report *r)
{
	int rows, cols;

	out_live_size(STDOUT_FILENO, &rows, &cols);
	return out_live_write(f, r, rows, cols);
}

static int emit_report(struct session *s, bool final)
{
	static const char drop_msg[] = "some allocations were not tracked because a map was "
				       "full: raise --max-allocs / --max-sites";
	struct report r = { .show_stacks = s->o->stacks };
	struct report_header *h = &r.h;
	struct site_totals tot;
	const struct report_site *rows = NULL;
	int n, err;

	struct report_growth growth = {};
	struct report_process proc;
	struct site_totals htot;
	const struct report_site *hrows = NULL;
	const char *warnings[MAX_WARNINGS + 1];

	err = refresh(s);
	if (err)
		return err;
	if (s->growth) {
		struct window_view wv = { .settled = s->ws.settled, .min_survival = MIN_SURVIVAL };

		if (s->health_ok)
			wv.process_rate_bps = health_anon_rate(&s->health, now_s(), s->mem.anon,
							       s->anon0);

		for (uint32_t w = s->ws.settled, i = 0; w && i < SITES_WINDOW_HISTORY; w--, i++) {
			wv.capture_id[w % SITES_WINDOW_HISTORY] = w;
			wv.capture_s[w % SITES_WINDOW_HISTORY] = windows_capture_s(&s->ws, w);
		}
		n = sites_rank_survivors(s->store, s->o->top, &wv, &rows, &tot);
		if (n >= 0 && s->hints && s->gw_ok) {
			int nh = sites_rank(s->hints, TOP_HINTS, "first-touch hint", &hrows, &htot);

			r.nhints = nh > 0 ? nh : 0;
			r.hints = hrows;
		}
		fill_growth(s, &growth, tot.npersistent);
		h->growth = &growth;
	} else {
		n = sites_rank(s->store, s->o->top, "alloc", &rows, &tot);
	}
	if (n < 0)
		return n;
	fill_judgement(s, &r, &proc);
	if (final && s->oom)
		fill_oom(s, &r, &proc, rows, n);
	if (s->ot && s->o->type_samples && !s->blind && !s->image_gone) {
		/* the store's rows, given their type mix: the store owns them
		 * until the next ranking and does not read these fields */
		err = objtypes_sample_sites(s->ot, &s->cap, s->store, (struct report_site *)rows, n,
					    s->o->type_samples);
		if (err)
			log_debug("object types of sites: %s", strerror(-err));
	}
	if (s->ot) {
		int nt = objtypes_rank(s->ot, TOP_TYPES, now_s(), &r.types, &r.census);

		r.ntypes = nt > 0 ? nt : 0;
	}
	fill_hints(s, &r, &proc, rows, n);

	h->seq = ++s->seq;
	h->final = final;
	h->oom = final ? s->oom : NULL;
	h->elapsed_s = now_s() - s->t0;
	h->pid = s->t.pid;
	h->node = s->node_stats;
	h->comm = s->t.comm;
	h->python_version = s->t.version;
	h->build = s->build;
	h->mode = s->growth ? "growth" : "alloc";
	h->capture = s->capture_desc;
	h->rss_bytes = s->last_rss;
	h->outstanding_bytes = tot.bytes;
	h->outstanding_count = tot.count;
	h->nsites = tot.nsites;
	if (s->cap.gc_source != GC_SOURCE_NONE) {
		memcpy(h->gc_collections, s->snap.gc.collections, sizeof(h->gc_collections));
		h->gc_collections_known = true;
	} else if (proc.gc_known) {
		/* read from memory once per report, by fill_judgement() */
		memcpy(h->gc_collections, proc.gc_collections, sizeof(h->gc_collections));
		h->gc_collections_known = true;
	}
	h->alloc_hits = s->snap.stats[PYLEAK_STAT_ALLOC_HITS];
	h->free_hits = s->snap.stats[PYLEAK_STAT_FREE_HITS];
	drops_from_stats(s->snap.stats, s->hint_drops, &h->drop_counts);
	h->drops = drops_untracked(&h->drop_counts);
	h->no_tstate = h->drop_counts.no_tstate;
	if (h->drops)
		add_warning(s, drop_msg);
	memcpy(warnings, s->warnings, s->nwarnings * sizeof(*warnings));
	h->nwarnings = s->nwarnings;
	h->warnings = warnings;
	/* this report only: the counters that grew since the previous one */
	if (drops_grew(&s->prev_drops, &h->drop_counts, s->drops_msg, sizeof(s->drops_msg))) {
		log_warn("%s", s->drops_msg);
		warnings[h->nwarnings++] = s->drops_msg;
	}
	s->prev_drops = h->drop_counts;
	/* a blind capture's ranking would be wrong, not just incomplete */
	r.nsites = s->blind ? 0 : n;
	r.sites = rows;
	h->unix_time = wall_s();
	h->version = pyleak_version;
	h->identity = s->ident_ok ? &s->ident : NULL;
	h->node_name = s->o->node_name;
	struct report_series anon_hist, *site_hist = NULL;
	struct report_point *hist_buf = NULL;

	if (s->live || s->o->html)
		fill_histories(s, &r, &anon_hist, &site_hist, &hist_buf);
	log_transitions(&r, !hand_to_service(s, &r));
	exports_write(s->exports, &r);
	err = outfile_emit(s->out, s->live ? live_write
			   : s->o->format == FORMAT_JSON ? out_json_write : out_text_write, &r);
	free(site_hist);
	free(hist_buf);
	if (err) {
		log_err("cannot write the report: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* target_gone() - has the target ended? Waits up to wait_ms for that or for
 * a window-budget event (which the caller then consumes). Reaps our child in
 * run mode. */
static bool target_gone(struct session *s, int wait_ms)
{
	struct pollfd p[2] = { { .fd = s->pidfd, .events = POLLIN },
			       { .fd = s->cap_open ? capture_events_fd(&s->cap) : -1,
				 .events = POLLIN } };

	if (s->child) {
		if (!s->child_done && waitpid(s->child, &s->child_status, WNOHANG) == s->child)
			s->child_done = true;
		if (s->child_done)
			return true;
	}
	if (s->pidfd >= 0) {
		/* pidfd: readable once the process has exited; a node has just
		 * polled it with every other session's (one poll() a tick, not
		 * one per process) */
		bool ended = s->pidfd_polled >= 0 ? s->pidfd_polled
						  : poll(p, 2, wait_ms) > 0 && (p[0].revents & POLLIN);

		s->pidfd_polled = -1;
		if (!ended)
			return false;
		/* the target ended; in run mode the command may live on (a shell
		 * or `unshare --fork` above Python): it is waited for at the end */
		if (s->child && !s->child_done &&
		    waitpid(s->child, &s->child_status, WNOHANG) == s->child)
			s->child_done = true;
		return true;
	}
	if (wait_ms)
		usleep(wait_ms * 1000);
	return !target_alive(s->t.pid);
}

/* window_act() - carry out what the window scheduler decided. A window that
 * cannot open is abandoned (the target is left as it was); the allocator
 * switch, when used, is on exactly while allocation probes are. */
static void window_act(struct session *s, enum window_action a)
{
	const struct options *o = s->o;
	long pruned;
	int err;

	switch (a) {
	case WA_NONE:
		return;
	case WA_OPEN:
		if (s->window_switch) {
			/* an earlier window's restore failed: undo it first (a new
			 * switch would forget it), or open no window */
			err = allocswitch_restore(&s->sw);
			if (!err)
				err = allocswitch_apply(&s->sw, s->t.pid, &s->ai);
			if (err) {
				log_warn("window %u not opened: cannot switch the allocator: %s",
					 s->ws.id, strerror(-err));
				windows_abort(&s->ws);
				return;
			}
		}
		err = capture_window_set(&s->cap, s->ws.id, PYLEAK_LIMIT_ALLOCS, o->window_allocs, 0);
		/* deallocations first: an object made and dropped in the moment
		 * between the two attaches would pass for a survivor */
		if (!err && capture_deallocs_attach(&s->cap, &s->t))
			log_debug("window %u: deallocations unseen: objects parked on free lists "
				  "pass for survivors", s->ws.id);
		if (!err)
			err = capture_probes_attach(&s->cap, &s->t, &s->ai, s->window_method);
		if (err) {
			log_warn("window %u not opened: %s", s->ws.id, strerror(-err));
			capture_window_set(&s->cap, 0, 0, 0, 0);
			capture_probes_detach(&s->cap, false);
			allocswitch_restore(&s->sw);
			windows_abort(&s->ws);
			return;
		}
		log_debug("PID %d: window %u open (%s): up to %u allocations or %gs", s->t.pid,
			  s->ws.id, s->ws.reason, o->window_allocs, o->window_s);
		return;
	case WA_CLOSE:
		/* stop tracking first, then restore, then drop the probes: no
		 * allocation made meanwhile is half-recorded */
		capture_window_set(&s->cap, 0, PYLEAK_LIMIT_FREES, 0, o->follow_frees);
		err = allocswitch_restore(&s->sw);
		if (err && err != -ESRCH)
			log_err("could not restore the allocator of PID %d after window %u: %s; "
				"trying again later (or run pyleak-bpf --restore-allocator --pid %d)",
				s->t.pid, s->ws.id, strerror(-err), s->t.pid);
		capture_probes_detach(&s->cap, true);
		log_debug("window %u: capture over, following its frees", s->ws.id);
		return;
	case WA_SETTLE:
		capture_probes_detach(&s->cap, false);
		capture_window_set(&s->cap, 0, 0, 0, 0);
		/* what outlived the follow phase: later windows judge it (sites.h) */
		if (!refresh(s))
			sites_settle(s->store, s->ws.settled);
		if (s->ws.settled + 2 > SITES_WINDOW_HISTORY) {
			pruned = collect_prune(&s->cap, s->ws.settled + 2 - SITES_WINDOW_HISTORY);
			if (pruned < 0)
				log_warn("pruning old windows failed: %s", strerror((int)-pruned));
		}
		log_debug("PID %d: window %u settled", s->t.pid, s->ws.id);
		return;
	}
}

/* keep_demand() - a demand that could not be met now waits for the next tick. */
static void keep_demand(struct session *s)
{
	if (s->node)
		s->demand = true;
	else
		window_demand = 1;
}

/* owner_stopped_now() - target_stopped(), read at most every
 * STOPPED_READ_S: a session that waits for a node's grant asks every tick,
 * and a stop or a resume matters here only to within a second. */
#define STOPPED_READ_S 1.0
static bool owner_stopped_now(struct session *s)
{
	double t = now_s();

	if (!s->stop_read_at || t - s->stop_read_at >= STOPPED_READ_S) {
		s->stop_seen = target_stopped(s->t.pid);
		s->stop_read_at = t;
	}
	return s->stop_seen;
}

/* window_tick() - let the scheduler see the budget events (ev, from
 * capture_events()) and the memory, and act. */
static void window_tick(struct session *s, uint32_t ev)
{
	bool demand;

	s->wants_window = false;
	/* alone, the signal's flag is this session's; in a node the node
	 * hands a demand to every session (session_demand_window()) */
	if (s->node) {
		demand = s->demand;
		s->demand = false;
	} else {
		demand = window_demand;
		window_demand = 0;
	}
	if (demand && !s->windows_ok)
		log_warn("no window: this target's allocations cannot be probed");
	if (!s->windows_ok)
		return;
	if (demand && s->ws.phase != WIN_IDLE)
		log_info("a window is already open");
	/* A target stopped by someone else (its owner's SIGSTOP, a debugger)
	 * allocates nothing: a window would spend budget to see nothing, and
	 * its switch would write into a process its owner froze (e.g. for a
	 * checkpoint). No window opens until it runs again; one already open
	 * closes as usual, and the switch's ptrace stop-and-detach leaves a
	 * stopped process stopped. The demand waits too. /proc is asked only
	 * when a window would open now (or to see a stopped one run again):
	 * in a node, that is once the node grants one. A read every tick, or
	 * for every session queued for the node's one window, is most of an
	 * idle session's cost in a node; a stopped process found only at its
	 * grant holds the node's window for one tick. */
	if (s->ws.phase == WIN_IDLE && !s->stopped &&
	    (s->owner_stopped ||
	     ((!s->node || s->may_open) &&
	      (demand || windows_would_open(&s->ws, now_s(), s->mem.anon, false)))) &&
	    owner_stopped_now(s)) {
		if (!s->owner_stopped)
			log_info("PID %d is stopped (by a signal or a debugger): no window opens "
				 "until it runs again", s->t.pid);
		s->owner_stopped = true;
		if (demand)
			keep_demand(s); /* for when it runs again */
		return;
	}
	if (s->owner_stopped)
		log_info("PID %d runs again: windows resume", s->t.pid);
	s->owner_stopped = false;
	/* in a node, a window opens only when the node grants it (its limit
	 * on concurrent windows, winsched.h); until then the wish is shown */
	s->wants_window = s->ws.phase == WIN_IDLE &&
			  windows_would_open(&s->ws, now_s(), s->mem.anon, demand);
	if (s->node && s->wants_window && !s->may_open) {
		if (demand)
			keep_demand(s);
		return;
	}
	window_act(s, windows_tick(&s->ws, now_s(), s->mem.anon, demand,
				   ev & (1u << PYLEAK_EV_ALLOC_BUDGET),
				   ev & (1u << PYLEAK_EV_FREE_BUDGET)));
}

/* gc_quiet() - no GC-tracked object was created or destroyed (net) and no
 * collection ran between two snapshots: the collector counts both. */
static bool gc_quiet(const struct gc_snapshot *a, const struct gc_snapshot *b)
{
	return !memcmp(a->count, b->count, sizeof(a->count)) &&
	       !memcmp(a->collections, b->collections, sizeof(a->collections));
}

/* census() - count the objects on the GC's lists by type (objtypes.h).
 * When the collector's counts say nothing changed since the last census,
 * that census is carried instead of walked again (an idle process's walk
 * is thousands of reads; a node takes one per process a minute), at most
 * CENSUS_MAX_CARRIES times in a row: a creation and a destruction that
 * cancel out are seen by the next walk. */
static void census(struct session *s, double now)
{
	struct gc_snapshot g;
	uint64_t heads[4];
	bool have_g;
	int n, err;

	if (!s->ot || !s->gc0_ok)
		return;
	/* before the walk: a change during it shows next time */
	have_g = !gc_read(&s->gcr, &g);
	if (have_g && s->census_gc_ok && s->census_carries < CENSUS_MAX_CARRIES &&
	    gc_quiet(&g, &s->census_gc) && !objtypes_census_carry(s->ot, now)) {
		s->census_carries++;
		return;
	}
	if (gc_list_heads(&s->gcr, heads, &n) || !n)
		return;
	err = objtypes_census(s->ot, heads, n, s->o->census_max, now);
	if (err) {
		log_debug("census failed: %s", strerror(-err));
		return;
	}
	s->census_gc = g;
	s->census_gc_ok = have_g;
	s->census_carries = 0;
}

/* exec_fingerprint_changed() - *changed: the target's auxv fingerprint
 * (target_exec_id()) differs from the one taken at attach. Returns the
 * read's error (0 without a fingerprint to compare: *changed false). */
static int exec_fingerprint_changed(const struct session *s, bool *changed)
{
	uint64_t id[3];
	int err;

	*changed = false;
	if (!s->exec_id[0])
		return 0;
	err = target_exec_id(s->t.pid, id);
	*changed = !err && memcmp(id, s->exec_id, sizeof(id));
	return err;
}

/* execed() - has the target replaced its program since attach? BPF says
 * so at once (PYLEAK_EV_EXEC, in ev); the AT_RANDOM check catches it where
 * that event is missing. */
static bool execed(const struct session *s, uint32_t ev)
{
	bool changed;

	if (ev & (1u << PYLEAK_EV_EXEC))
		return true;
	exec_fingerprint_changed(s, &changed);
	return changed;
}

/* target_ended() - the target is gone, its final report comes next: its
 * sites are judged as it ran, not by its exit (sites_freeze()), and the
 * evidence at OOM is read before it is forgotten. */
static void target_ended(struct session *s)
{
	if (s->store)
		sites_freeze(s->store);
	s->oom = oom_target_end(s->oomw, &s->oomt,
				s->child && s->child == s->t.pid && s->child_done ? s->child_status
										   : -1);
}

/* Outcomes of one pass of the report loop (run_step()). */
enum step { STEP_RUN = 0, STEP_GONE, STEP_EXECED, STEP_DONE, STEP_FAILED };

/* run_begin() - the report loop's clocks, from attach. */
static void run_begin(struct session *s)
{
	s->next_report = s->t0 + s->o->interval_s;
	s->next_refresh = s->t0 + REFRESH_S;
}

/* refresh_period() - seconds to the next refresh(): REFRESH_S, or
 * REFRESH_IDLE_NODE_S for a node's process with no window open. */
static double refresh_period(const struct session *s)
{
	return s->node && (!s->growth || s->ws.phase == WIN_IDLE) ? REFRESH_IDLE_NODE_S : REFRESH_S;
}

/* run_step() - one pass of the report loop: wait up to wait_ms for the
 * target's end or a window-budget event, then refresh, tick the windows,
 * census and report as their clocks say. Never blocks longer than wait_ms
 * (0 in a node, which polls every session's descriptors itself). Returns
 * STEP_RUN to go on, STEP_GONE (the target ended), STEP_EXECED (it called
 * exec: the old program's last report is written), STEP_DONE (--duration,
 * alone only) or STEP_FAILED (a report could not be written). */
static enum step run_step(struct session *s, int wait_ms)
{
	const struct options *o = s->o;
	uint32_t ev;
	double t;

	if (target_gone(s, wait_ms))
		return STEP_GONE;
	t = now_s();
	if (!s->node)
		exports_beat(s->exports);
	if (!s->gc0_ok && !gc_reader_init(&s->gcr, s->t.pid, s->t.runtime_addr, &s->L))
		s->gc0_ok = !gc_read(&s->gcr, &s->gc0);
	ev = capture_events(&s->cap);
	if (s->image_gone || (ev & (1u << PYLEAK_EV_EXEC)) || t >= s->next_refresh) {
		if (s->image_gone || execed(s, ev)) {
			/* the old program's last report, then start over */
			add_warning(s, "the process called exec: this is the last report "
				       "on the program it ran before");
			s->image_gone = true;
			emit_report(s, false);
			return STEP_EXECED;
		}
		refresh(s);
		s->next_refresh = t + refresh_period(s);
	}
	if (s->growth)
		window_tick(s, ev);
	if (o->census_every_s && t >= s->next_census) {
		census(s, t);
		s->next_census = t + o->census_every_s;
	}
	/* a node's --duration is the node's, not each process's */
	if (!s->node && o->duration_s && t - s->t0 >= o->duration_s)
		return STEP_DONE;
	if (t >= s->next_report) {
		if (emit_report(s, false))
			return STEP_FAILED;
		s->next_report += o->interval_s;
		if (s->next_report < t)
			s->next_report = t + o->interval_s;
	}
	return STEP_RUN;
}

/* run_loop() - report every interval until the target ends, --duration
 * passes or a signal stops us. Returns an exit code, or RUN_EXECED when the
 * target called exec (main attaches again). */
static int run_loop(struct session *s)
{
	enum step st = STEP_RUN;
	int err;

	run_begin(s);
	while (!exiting) {
		st = run_step(s, TICK_MS);
		if (st == STEP_EXECED)
			return RUN_EXECED;
		if (st == STEP_FAILED)
			return EXIT_ERROR;
		if (st != STEP_RUN)
			break;
	}
	bool gone = st == STEP_GONE;

	if (gone)
		target_ended(s);
	if (gone && !s->child)
		log_info("PID %d exited", s->t.pid);
	else if (exiting)
		log_debug("stopping on signal %d", (int)exiting);
	err = emit_report(s, true);
	if (s->child)
		return s->child_done ? launch_exit_code(s->child_status) : EXIT_OK;
	if (err)
		return EXIT_ERROR;
	if (s->blind)
		return EXIT_BLIND;
	return gone ? EXIT_TARGET_EXITED : EXIT_OK;
}

/* start_growth() - the always-on kernel side of growth mode. Without it
 * (a kernel without BPF trampolines) growth mode still has /proc, GC and
 * windows; the report says the kernel counters are unknown. */
static void start_growth(struct session *s)
{
	static const char no_kernel[] = "kernel growth events unavailable (fentry/tp_btf "
					"attach failed; see -v): page-fault and mmap counters "
					"and first-touch hints are missing";
	struct pyleak_proc proc;
	bool shared = s->gw != &s->own_gw;
	int err;

	/* a node's sessions share one kernel side, opened by the node */
	if (shared)
		err = s->gw->skel ? 0 : -ENOTSUP;
	else
		err = growth_open(s->gw, GROWTH_PROCS_ALONE, s->o->no_hints ? 1 : MAX_HINTS, s->o->max_depth,
				  !s->o->no_hints);
	if (!err) {
		pyoffsets_proc(&s->L, s->t.runtime_addr, &proc);
		err = growth_watch_pid(s->gw, s->t.pid, &proc);
	}
	if (err) {
		log_warn("%s: %s", no_kernel, strerror(-err));
		add_warning(s, no_kernel);
		if (shared)
			growth_unwatch_pid(s->gw, s->t.pid, NULL);
		else
			growth_close(s->gw);
		return;
	}
	s->gw_ok = true;
}

/* malloc_applied() - launch_ready_fn for PYTHONMALLOC=malloc: the child's
 * pre-initialisation has replaced pymalloc in its allocator tables. Before
 * that the tables hold the build's defaults, and capture would be chosen
 * for pymalloc. Anything unreadable counts as ready (choose_capture() will
 * say what is wrong). */
static bool malloc_applied(void *ctx, struct target *t)
{
	struct py_layout L;
	struct alloc_info ai;

	if (pyoffsets_lookup(t->version_hex, &L) || alloc_info_read(t, &L, &ai))
		return true;
	return ai.state != ALLOC_PYMALLOC;
}

/* note_exec_id() - the identity of the program pid runs (target_exec_id()),
 * taken before the target is opened: an exec while the session attaches
 * (the process runs on meanwhile) is then seen at the first refresh, not
 * mistaken for the program attached to. */
static void note_exec_id(struct session *s, pid_t pid)
{
	if (target_exec_id(pid, s->exec_id))
		memset(s->exec_id, 0, sizeof(s->exec_id));
}

/* start_target() - open the target (attach mode) or launch it (run mode). */
static int start_target(struct session *s)
{
	const struct options *o = s->o;
	int err;

	if (!o->command) {
		note_exec_id(s, o->pid);
		err = target_open(o->pid, &s->t);
		if (err)
			return exit_code_for_target_error(err, s, o->pid);
		s->target_open = true;
		return 0;
	}
	/* alloc mode sets PYTHONMALLOC=malloc so every build's allocations are
	 * seen; growth mode leaves the program as it is and switches per window */
	bool malloc = o->mode == MODE_ALLOC && !o->keep_pymalloc;

	err = launch_start(o->command, malloc, &s->child);
	if (err) {
		log_err("cannot run '%s': %s", o->command[0], strerror(-err));
		return err == -ENOENT ? 127 : 126;
	}
	err = launch_wait_python(s->child, 10.0, malloc ? malloc_applied : NULL, NULL, &s->t,
				 &s->child_status);
	if (err == -ECHILD) {
		log_err("'%s' exited before a Python interpreter started in it", o->command[0]);
		s->child_done = true;
		return launch_exit_code(s->child_status);
	}
	if (err) {
		if (err == -ETIMEDOUT)
			log_err("no Python process appeared within 10s in '%s' (PID %d) or "
				"the processes it started", o->command[0], s->child);
		else
			exit_code_for_target_error(err, s, s->child);
		launch_kill(s->child);
		s->child_done = true;
		return err == -ENOTSUP ? EXIT_UNSUPPORTED : EXIT_NOT_PYTHON;
	}
	s->target_open = true;
	s->stopped = true;
	if (s->t.pid != s->child)
		log_info("'%s' started Python as PID %d", o->command[0], s->t.pid);
	return 0;
}

/* alert_rule() - the leak_suspect rule from the options: the Theil-Sen rate
 * and the fitted growth over the window must reach --alert-rate and
 * --alert-min-bytes, the Mann-Kendall p-value be below 1%, over at least 8
 * samples spanning half the window, and the growth sustained into the last
 * third (trend.h). */
/* new_incidents() - an incident store that knows t's standard library: the
 * directory beside its interpreter and any of its version's lib/pythonX.Y. */
static struct incidents *new_incidents(const struct target *t)
{
	struct incident_paths p = { .py_major = t->version_hex >> 24,
				    .py_minor = (t->version_hex >> 16) & 0xff };
	char dir[PATH_MAX];

	if (t->py_mod >= 0 &&
	    !incident_stdlib_of(t->mods[t->py_mod].path, p.py_major, p.py_minor, dir, sizeof(dir)))
		p.stdlib[p.nstdlib++] = dir;
	return incidents_new(&p);
}

/* head_of() - site_head_fn for --group-by head: the incident store knows
 * what library code looks like in this target. */
static int head_of(void *ctx, const struct report_frame *fr, int n)
{
	return incidents_head(ctx, fr, n);
}

static void alert_rule(const struct options *o, struct trend_rule *r)
{
	*r = (struct trend_rule){
		.min_rate = o->alert_rate / 60.0,
		.min_growth = (double)o->alert_min_bytes,
		.max_p = 0.01,
		.min_points = 8,
		.min_span_s = o->trend_window_s / 2,
		.recent_frac = 0.5,
	};
}

/* read_identity() - the target's container identity, and with --pods-dir
 * its pod's names: labels in every report. Read at each attach (an exec
 * may have moved the process); a failure only leaves the labels out. */
static void read_identity(struct session *s)
{
	int err = identity_read(s->t.pid, &s->ident);

	s->ident_ok = !err;
	if (err) {
		log_debug("PID %d: no container identity: %s", s->t.pid, strerror(-err));
		return;
	}
	if (s->o->pods_dir && s->ident.pod_uid[0]) {
		err = identity_pod_lookup(s->o->pods_dir, &s->ident);
		if (err)
			log_info("PID %d: pod %s not found in --pods-dir %s (%s): no namespace, pod "
				 "and container names", s->t.pid, s->ident.pod_uid, s->o->pods_dir,
				 strerror(-err));
	}
	if (s->ident.container_id[0])
		log_info("PID %d: %s container %.12s%s%s%s%s", s->t.pid,
			 s->ident.runtime[0] ? s->ident.runtime : "a", s->ident.container_id,
			 s->ident.pod_name[0] ? " of pod " : "", s->ident.pod_namespace,
			 s->ident.pod_name[0] ? "/" : "", s->ident.pod_name);
}

/* attach_session() - from an open target to a running capture: layout,
 * capture choice, BPF programs, symboliser, site stores, GC and memory
 * baselines, window scheduler; then lets a stopped target run on. Returns 0
 * or an exit code; *done is set when there is nothing to run
 * (--restore-allocator). What was set up is released by detach_session(). */
static int attach_session(struct session *s, bool *done)
{
	const struct options *o = s->o;
	enum capture_method method = CAPTURE_TABLE;
	struct capture_opts co;
	struct site_trend_opts tso;
	struct trend_rule rule;
	int rc, err;

	*done = o->restore_allocator;
	rc = setup_layout(s);
	if (rc)
		return rc;
	rc = choose_capture(s, &method);
	if (rc || o->restore_allocator)
		return rc;
	describe_build(s);

	co = (struct capture_opts){ .max_depth = o->max_depth,
				    .max_allocs = o->max_allocs,
				    .max_sites = o->max_sites,
				    .max_site_windows = o->max_sites * 4 };
	if (s->node) {
		/* this object serves this process alone (README "Node mode":
		 * kernel memory per process) */
		co.max_inflight = NODE_MAX_INFLIGHT;
		co.max_tstates = NODE_MAX_TSTATES;
		co.max_procs = NODE_MAX_PROCS;
	}
	err = capture_open(&s->cap, &co);
	if (err) {
		log_err("cannot load the BPF programs: %s%s", strerror(-err),
			err == -EPERM ? " (locked down kernel, or missing CAP_BPF?)"
				      : " (run with -v for the verifier's log)");
		rc = err == -EPERM ? EXIT_PERMISSION : EXIT_NO_KERNEL_SUPPORT;
		return rc;
	}
	s->cap_open = true;
	if (!s->oomw) { /* both modes, once: it serves every process (node mode shares it) */
		s->oomw = &s->own_oomw;
		oomwatch_open(s->oomw);
		s->oomw_open = true;
	}
	oom_target_start(s->oomw, &s->oomt, s->t.pid);
	sync_tstates(s); /* before the probes: the first allocations find their thread */
	if (s->growth) {
		/* GC figures come from the interpreter's memory: USDT or uprobes
		 * on the collector would trap on every collection */
		err = capture_register(&s->cap, &s->t, &s->L, false, false);
		if (!err)
			start_growth(s);
	} else {
		err = capture_attach(&s->cap, &s->t, &s->L, &s->ai, method);
	}
	if (err) {
		log_err("cannot attach probes to PID %d: %s", s->t.pid, strerror(-err));
		rc = err == -ESRCH || !target_alive(s->t.pid) ? EXIT_TARGET_EXITED : EXIT_ERROR;
		return rc;
	}
	s->sym = sym_new(&s->t, &s->L);
	s->store = s->sym ? sites_new(resolve_site, s) : NULL;
	if (s->store && s->growth && s->gw_ok)
		s->hints = sites_new(resolve_hint, s);
	s->inc = s->store ? new_incidents(&s->t) : NULL;
	if (!s->store || !s->inc || (s->growth && s->gw_ok && !s->hints)) {
		rc = EXIT_ERROR;
		return rc;
	}
	alert_rule(o, &rule);
	tso = (struct site_trend_opts){
		.group_by = (enum site_group_by)o->group_by,
		.head = head_of,
		.head_ctx = s->inc,
		.history = !s->growth,
		.window_s = o->trend_window_s,
		.t0_s = now_s(),
		.rule = rule,
		.alert_rate_bps = o->alert_rate / 60.0,
		.alert_min_bytes = (double)o->alert_min_bytes,
	};
	sites_configure(s->store, &tso);
	if (s->pidfd < 0)
		s->pidfd = (int)syscall(SYS_pidfd_open, s->t.pid, 0);
	read_identity(s);
	/* taken before target_open() where the process runs on meanwhile
	 * (note_exec_id()); here for a process stopped by us (run mode) */
	if (!s->exec_id[0] && target_exec_id(s->t.pid, s->exec_id))
		memset(s->exec_id, 0, sizeof(s->exec_id));
	if (!gc_reader_init(&s->gcr, s->t.pid, s->t.runtime_addr, &s->L))
		s->gc0_ok = !gc_read(&s->gcr, &s->gc0);
	s->t0 = tso.t0_s;
	sync_tstates(s);
	health_init(&s->health, o->trend_window_s, &rule, s->t0);
	s->health_ok = true;
	s->ot = objtypes_new(s->t.pid, s->t.version_hex, o->trend_window_s);
	if (!s->ot)
		log_debug("no object types: %s", strerror(errno));
	s->next_census = s->t0 + 1;
	s->mem_ok = !target_memory(s->t.pid, &s->mem);
	if (s->mem_ok) {
		s->anon0 = s->mem.anon;
		s->last_rss = s->mem.rss;
		health_sample(&s->health, s->t0, &s->mem);
	}
	resources_init(&s->res, o->trend_window_s, o->alert_fds, o->alert_threads, s->t0);
	if (s->mem_ok)
		sample_resources(s, s->t0, &s->mem);
	blind_watch_init(&s->bw, &s->t, s->mem_ok, s->mem.anon, s->t0);
	if (s->growth) {
		struct window_opts wo = {
			.allocs = o->window_allocs,
			.max_s = o->window_s,
			.follow_s = o->follow_s,
			.follow_frees = o->follow_frees,
			.budget_s = o->window_budget_s,
			.every_s = o->window_every_s,
			.first_s = o->first_window_s,
			.trigger_bytes = o->growth_trigger,
			.warmup = o->warmup,
		};

		windows_init(&s->ws, &wo, s->t0, s->anon0);
	}
	if (s->stopped) {
		launch_resume(s->t.pid);
		s->stopped = false;
	}
	s->attached = true;
	if (s->growth)
		log_info("watching PID %d (%s), Python %s [%s] in growth mode: kernel events%s, "
			 "windows %s; report every %gs%s", s->t.pid, s->t.comm, s->t.version, s->build,
			 s->gw_ok ? "" : " UNAVAILABLE", s->windows_ok ? s->window_desc : "none",
			 o->interval_s, o->command || s->node ? "" : ", Ctrl-C to stop");
	else
		log_info("profiling PID %d (%s), Python %s [%s], capture: %s, %d probes; report "
			 "every %gs%s", s->t.pid, s->t.comm, s->t.version, s->build, s->capture_desc,
			 s->cap.nprobes, o->interval_s, o->command || s->node ? "" : ", Ctrl-C to stop");
	return 0;
}

/* detach_session() - undo attach_session() (and start_target()'s open):
 * the allocator first, so no Python block goes through libc once the probes
 * are gone; after an exec (gone_image) the switched tables went with the old
 * program and must not be written. */
static void detach_session(struct session *s, bool gone_image)
{
	int err;

	s->attached = false;
	if (gone_image)
		s->sw.active = false;
	err = allocswitch_restore(&s->sw);
	if (err && err != -ESRCH) {
		log_err("could not restore the allocator of PID %d (%s); run pyleak-bpf "
			"--restore-allocator --pid %d", s->t.pid, strerror(-err), s->t.pid);
		s->restore_failed = true;
		s->sw.active = false; /* said once; a later detach must not retry it */
	}
	if (!gone_image && s->switch_lock >= 0) { /* after an exec: the same target */
		close(s->switch_lock);
		s->switch_lock = -1;
	}
	if (s->cap_open)
		capture_close(&s->cap);
	s->cap_open = false;
	if (s->gw != &s->own_gw && s->gw_ok) {
		/* the node's object lives on: take this process out of it */
		growth_tstates_forget(s->gw, s->t.pid, &s->tst);
		growth_unwatch_pid(s->gw, s->t.pid, NULL);
	}
	growth_close(&s->own_gw);
	growth_hints_free(&s->gh);
	s->gw_ok = false;
	sites_free(s->hints);
	sites_free(s->store);
	s->hints = s->store = NULL;
	incidents_free(s->inc);
	s->inc = NULL;
	sym_free(s->sym);
	s->sym = NULL;
	objtypes_free(s->ot);
	s->ot = NULL;
	collect_free(&s->snap);
	tstates_free(&s->tst); /* the maps that held them are gone */
	s->tst_cap = s->tst_gw = false;
	if (s->target_open)
		target_close(&s->t);
	s->target_open = false;
}

/* exec_begin() - the target called exec: release everything of the old
 * program's (its state after the exec is not ours to read), keeping what
 * spans the whole run (counters, alerts raised, the pidfd, the switch lock);
 * exec_poll() then waits for the new program. */
static void exec_begin(struct session *s)
{
	s->exec_pid = s->t.pid;
	snprintf(s->exec_old, sizeof(s->exec_old), "%s", s->t.version);
	s->exec_said = false;
	detach_session(s, true);
	memset(&s->ai, 0, sizeof(s->ai));
	s->ai_ok = s->blind = s->windows_ok = s->window_switch = s->image_gone = false;
	s->gc0_ok = s->gc_last_ok = false;
	s->nwarnings = 0;
	memset(&s->prev_drops, 0, sizeof(s->prev_drops)); /* new maps count from 0 */
	s->hint_drops = 0;
}

/* exec_poll() - after exec_begin(): one look, waiting up to wait_ms for the
 * process's end. Returns 1 when the new program maps an interpreter (it is
 * stopped now, for attach_session()), 0 when not yet, -1 when the process
 * ended (*rc: our exit code). */
static int exec_poll(struct session *s, int wait_ms, int *rc)
{
	pid_t pid = s->exec_pid;
	int err;

	*rc = EXIT_OK;
	if (target_gone(s, wait_ms)) {
		log_info("PID %d exited", pid);
		if (!s->child)
			*rc = EXIT_TARGET_EXITED;
		else if (s->child_done)
			*rc = launch_exit_code(s->child_status);
		return -1;
	}
	note_exec_id(s, pid);
	err = target_open(pid, &s->t);
	if (!err && s->t.libc_mod >= 0) {
		err = kill(pid, SIGSTOP);
		s->stopped = !err;
		s->target_open = true;
		log_info("PID %d called exec (was Python %s, now %s %s): attaching again", pid,
			 s->exec_old, s->t.comm, s->t.version);
		return 1;
	}
	if (!err)
		target_close(&s->t);
	if (!s->exec_said) {
		log_info("PID %d called exec and now runs %s, not Python (yet): waiting "
			 "for it to run Python or exit", pid, s->t.comm);
		s->exec_said = true;
	}
	return 0;
}

/* follow_exec() - the target called exec: probes, offsets, symbols and
 * sites belonged to the old program. Release them and wait, as long as the
 * process lives, for the new program to map an interpreter; then stop it so
 * that attach_session() puts the probes in before it runs on. Returns true
 * to attach again; false when the process ended or we are told to stop,
 * with *rc our exit code. */
static bool follow_exec(struct session *s, int *rc)
{
	exec_begin(s);
	for (;;) {
		int r;

		*rc = EXIT_OK;
		if (exiting)
			return false;
		r = exec_poll(s, 20, rc);
		if (r)
			return r > 0;
	}
}

static void session_end(struct session *s)
{
	detach_session(s, false);
	if (s->oomw_open)
		oomwatch_close(&s->own_oomw);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->own_out && s->out && s->out != stdout)
		fclose(s->out);
}

int session_main(const struct options *o)
{
	struct session s = { .o = o, .pidfd = -1, .pidfd_polled = -1, .switch_lock = -1,
			     .own_out = true };
	struct exports exports;
	int rc;

	s.gw = &s.own_gw;
	s.exports = &exports;
	exports_init(&exports, o);
	if (exports_listen(&exports, o))
		return EXIT_ERROR;
	s.out = stdout;
	if (o->output) {
		int err = outfile_open(o->output, &s.out);

		if (err) {
			log_err("cannot open %s for the reports: %s", o->output,
				err == -ELOOP ? "it is a symbolic link (refused: give the real path)"
					      : strerror(-err));
			return EXIT_ERROR;
		}
		setvbuf(s.out, NULL, _IOLBF, 0);
	}
	s.live = !o->output && !o->format_given && isatty(STDOUT_FILENO);
	s.growth = o->mode == MODE_GROWTH;
	rc = start_target(&s);
	if (rc)
		goto out;
	for (;;) {
		bool done = false;

		rc = attach_session(&s, &done);
		if (rc && !done && !exiting && execed(&s, 0)) {
			/* the attach failed because the process called exec
			 * meanwhile (its memory changed under our reads): follow
			 * the exec like any other */
			log_info("PID %d called exec while it was being attached", s.t.pid);
			if (!follow_exec(&s, &rc))
				break;
			continue;
		}
		if (rc || done)
			break;
		rc = run_loop(&s);
		if (rc != RUN_EXECED)
			break;
		if (!follow_exec(&s, &rc))
			break;
	}
out:
	/* every way out after a stop (run mode's launch, an exec followed in
	 * either mode) lets the target run on: never leave it stopped */
	if (s.stopped) {
		launch_resume(s.t.pid);
		s.stopped = false;
	}
	if (s.child && !s.child_done) {
		/* a stop request, or a failure: the command runs on without
		 * anything of ours (probes, a window's switch), so detach at
		 * once (the OOM watch too: its verdict is no longer wanted),
		 * then wait for it and pass its status through */
		detach_session(&s, false);
		if (s.oomw_open) {
			oomwatch_close(&s.own_oomw);
			s.oomw_open = false;
		}
		if (exiting)
			log_info("stopped profiling; waiting for '%s' (PID %d) to exit",
				 o->command[0], s.child);
		launch_resume(s.child);
		if (waitpid(s.child, &s.child_status, 0) == s.child && rc == EXIT_OK)
			rc = launch_exit_code(s.child_status);
	}
	if (o->fail_on_leak && s.leaks_raised) {
		log_info("--fail-on-leak: %" PRIu64 " leak%s raised (incidents and process "
			 "alerts); exit status %d", s.leaks_raised,
			 s.leaks_raised == 1 ? " was" : "s were", EXIT_LEAK);
		rc = EXIT_LEAK;
	}
	session_end(&s);
	exports_close(&exports);
	if (s.restore_failed) /* over any other status: the target was left changed */
		rc = EXIT_RESTORE_FAILED;
	return rc;
}

/* ---- node mode: a session driven by node.c's event loop ---- */

/* How often a node's session, after an exec into a program without an
 * interpreter (yet), looks again: each look opens the process's files. */
#define EXEC_RETRY_S 0.5
/* ... and for how long: then the process is let go (a node's discovery
 * finds it again if it runs Python later), its slot freed. */
#define EXEC_WAIT_S 5.0

bool session_stop_requested(void)
{
	return exiting;
}

bool session_take_window_demand(void)
{
	bool d = window_demand;

	window_demand = 0;
	return d;
}

int session_open(const struct options *o, const struct session_shared *sh, pid_t pid,
		 struct session **sp)
{
	struct session *s = calloc(1, sizeof(*s));
	bool done;
	int err, rc;

	*sp = NULL;
	if (!s)
		return EXIT_ERROR;
	s->o = o;
	s->pidfd = -1;
	s->pidfd_polled = -1;
	s->switch_lock = -1;
	s->node = true;
	s->node_stats = sh->stats;
	s->on_report = sh->on_report;
	s->report_ctx = sh->ctx;
	s->exports = sh->exports;
	s->out = sh->out;
	s->gw = sh->gw ? sh->gw : &s->own_gw;
	s->oomw = sh->oomw; /* NULL: the session opens its own */
	s->growth = o->mode == MODE_GROWTH;
	note_exec_id(s, pid);
	err = target_open(pid, &s->t);
	if (err == -ESRCH) {
		/* gone since the scan found it: nothing to say above debug */
		log_debug("PID %d exited before it was attached", pid);
		free(s);
		return EXIT_NO_PROCESS;
	}
	if (err) {
		rc = exit_code_for_target_error(err, s, pid);
		free(s);
		return rc;
	}
	s->target_open = true;
	rc = attach_session(s, &done);
	if (!rc && done)
		rc = EXIT_ERROR; /* --restore-allocator: refused in node mode */
	if (rc) {
		session_end(s);
		free(s);
		return rc;
	}
	run_begin(s);
	*sp = s;
	return 0;
}

/* exec_step() - a node's session after an exec: look again now and then;
 * attach once the new program maps an interpreter. */
static enum session_state exec_step(struct session *s)
{
	double t = now_s();
	bool done;
	int rc, r;

	if (t < s->exec_next_try)
		return target_gone(s, 0) ? SESSION_GONE : SESSION_RUNNING;
	s->exec_next_try = t + EXEC_RETRY_S;
	r = exec_poll(s, 0, &rc);
	if (!r && t - s->exec_since >= EXEC_WAIT_S) {
		log_info("PID %d runs %s, not Python: no longer watched (found again if it "
			 "runs Python later)", s->exec_pid, s->t.comm);
		return SESSION_GONE;
	}
	if (r <= 0)
		return r < 0 ? SESSION_GONE : SESSION_RUNNING;
	s->exec_wait = false;
	rc = attach_session(s, &done);
	if (s->stopped) { /* never left stopped, attached or not */
		launch_resume(s->t.pid);
		s->stopped = false;
	}
	if (rc)
		return SESSION_FAILED;
	run_begin(s);
	return SESSION_RUNNING;
}

enum session_state session_step(struct session *s, const struct pollfd *p, int np)
{
	/* session_pollfds() put the pidfd first */
	s->pidfd_polled = s->pidfd >= 0 && np > 0 && p[0].fd == s->pidfd ? !!(p[0].revents & POLLIN)
									 : -1;
	if (s->exec_wait)
		return exec_step(s);
	switch (run_step(s, 0)) {
	case STEP_RUN:
	case STEP_DONE:
		return SESSION_RUNNING;
	case STEP_GONE:
		target_ended(s);
		return SESSION_GONE;
	case STEP_EXECED:
		exec_begin(s);
		s->exec_wait = true;
		s->exec_next_try = 0;
		s->exec_since = now_s();
		return exec_step(s);
	case STEP_FAILED:
		break;
	}
	return SESSION_FAILED;
}

int session_pollfds(const struct session *s, struct pollfd p[2])
{
	int n = 0;

	if (s->pidfd >= 0)
		p[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
	if (s->cap_open)
		p[n++] = (struct pollfd){ .fd = capture_events_fd(&s->cap), .events = POLLIN };
	return n;
}

void session_window(const struct session *s, bool *open, bool *wants, int64_t *growth)
{
	bool ok = s->attached && s->growth && s->windows_ok;

	*open = ok && s->ws.phase != WIN_IDLE;
	*wants = ok && s->wants_window;
	*growth = ok && s->mem_ok ? (int64_t)(s->mem.anon - s->ws.anon_base) : 0;
}

void session_grant_window(struct session *s, bool may)
{
	s->may_open = may;
}

void session_demand_window(struct session *s)
{
	s->demand = true;
}

pid_t session_pid(const struct session *s)
{
	return s->exec_wait ? s->exec_pid : s->t.pid;
}

void session_close(struct session *s, bool gone)
{
	if (!s)
		return;
	if (s->attached) {
		if (gone)
			log_info("PID %d exited", s->t.pid);
		emit_report(s, true);
	}
	if (s->stopped) {
		launch_resume(s->t.pid);
		s->stopped = false;
	}
	session_end(s);
	free(s);
}
