// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c: the command line, checks of the environment (privileges, kernel
 * features), signal handling, and the choice of what runs: the compare
 * subcommand (compare.c), a profiling session of one process (session.c),
 * or node mode: many processes, each with its session (node.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "compare.h"
#include "kernelcheck.h"
#include "log.h"
#include "node.h"
#include "options.h"
#include "privileges.h"
#include "session.h"

static void on_signal(int sig)
{
	session_signal_stop(sig);
}

static void on_usr1(int sig)
{
	session_signal_window();
}

/* check_kernel() - what the BPF side needs from the kernel, named. */
static int check_kernel(void)
{
	struct kernel_features kf;
	char msg[256];

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		log_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux): it needs "
			"CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2021 have it)");
		return -ENOTSUP;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		log_err("this kernel has no uprobe perf events (/sys/bus/event_source/devices/"
			"uprobe): it needs CONFIG_UPROBE_EVENTS=y");
		return -ENOTSUP;
	}
	kernel_features_probe(&kf);
	if (kernel_floor_verdict(&kf, msg, sizeof(msg))) {
		log_err("%s", msg);
		return -ENOTSUP;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	/* SA_RESTART: a signal must not fail a write or a wait (SIGUSR1 comes
	 * at any time); poll() and the sleeps still return early on a signal
	 * (they are never restarted), so a stop request is seen at once */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	char err_msg[256];
	int rc;

	/* A subcommand that reads files, not a process: no options, no BPF. */
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	rc = options_parse(argc, argv, &o, stdout, err_msg, sizeof(err_msg));
	if (rc == 1)
		return EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "pyleak-bpf: %s\n", err_msg);
		return EXIT_USAGE;
	}
	log_verbosity = o.quiet ? LOG_ERROR : (o.verbose ? LOG_DEBUG : LOG_INFO);
	libbpf_set_print(log_libbpf_print);

	{
		char why[512];

		/* root too: uid 0 with capabilities dropped has none of them */
		if (privileges_missing(why, sizeof(why))) {
			log_err("not enough privileges: %s. Run as root, or see README "
				"\"Privileges\" for the capabilities", why);
			return EXIT_PERMISSION;
		}
	}
	if (check_kernel())
		return EXIT_NO_KERNEL_SUPPORT;

	/* Stop cleanly on these (the allocator switch must be undone); a
	 * closed stdout must not kill us before we restore. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	return o.node ? node_main(&o) : session_main(&o);
}
