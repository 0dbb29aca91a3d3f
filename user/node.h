/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * node.h: node mode, one agent for a host. The supervisor owns discovery
 * (discovery.h: a /proc scan every --rescan seconds), the shared parts (one
 * growth-mode BPF object for every process, one report stream, one set of
 * file exports) and one session per watched process (session.h), all on
 * one event loop: it polls every session's descriptors, steps each
 * session, and grants capture windows under --max-concurrent-windows
 * (winsched.h). A process is attached within one rescan of appearing,
 * reported a last time and freed at once when it exits, and followed
 * through exec by its session. At most --max-targets are watched; the
 * others are logged once each and counted in every report.
 */
#ifndef PYLEAK_NODE_H
#define PYLEAK_NODE_H

#include "options.h"

/* node_main() - run node mode (o->node) until a stop signal, --duration,
 * or (with several --pid) until every named process is gone or refused.
 * Returns the process exit status: EXIT_OK, or with --pid the status of
 * the first refusal when no process could be watched at all. */
int node_main(const struct options *o);

#endif /* PYLEAK_NODE_H */
