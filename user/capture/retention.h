/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * retention.h: what the collector may delete from the BPF maps so that they
 * never fill up with what is over. The maps are sized once (--max-sites,
 * the hint maps' size); a long run meets far more distinct stacks than that
 * (generated code, one-off imports, request handlers that allocate only
 * temporaries), and a full map stops recording new sites: a leak that
 * starts late would never be seen. So, like live allocations of old windows
 * (collect_prune()), sites and hints that are over are deleted:
 *
 *  - a site is over when nothing it allocated is outstanding (its totals
 *    count 0 allocations and 0 bytes), no window newer than the last settled
 *    one holds an entry for it (a window still capturing or following is
 *    recent), and it has not allocated for a quiet period (an allocation
 *    racing with the delete is then unlikely). Its frames go with it; if the
 *    stack allocates again it is a new site, stored afresh.
 *  - a first-touch hint is over when it has not faulted anything in since
 *    the previous pass and is not among the largest ones shown.
 *
 * Pure decisions here (unit-tested); collect.c and growth.c act on them.
 */
#ifndef PYLEAK_RETENTION_H
#define PYLEAK_RETENTION_H

#include <stdbool.h>
#include <stdint.h>
#include "pyleak.h"

/* retention_site_over() - may site v (its totals as read at now_ns) go?
 * newest_window: the newest window holding an entry for it (0: none);
 * settled: the newest settled window (alloc mode: UINT32_MAX, its one
 * window never settles but is always over for this rule); quiet_ns: how
 * long it must not have allocated. */
bool retention_site_over(const struct pyleak_site *v, uint32_t newest_window, uint32_t settled,
			 uint64_t now_ns, uint64_t quiet_ns);

/* retention_hint_over() - may a hint go? faults now and at the previous
 * pass (0 if it was not there: then it is new, and kept), its bytes, and
 * the bytes of the smallest hint that is shown (kept_bytes: hints at least
 * this large stay). */
bool retention_hint_over(uint64_t faults, uint64_t faults_before, uint64_t bytes,
			 uint64_t kept_bytes);

#endif /* PYLEAK_RETENTION_H */
