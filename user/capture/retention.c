// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* retention.c: see retention.h. */
#include "retention.h"

bool retention_site_over(const struct pyleak_site *v, uint32_t newest_window, uint32_t settled,
			 uint64_t now_ns, uint64_t quiet_ns)
{
	if (v->count != 0 || v->bytes != 0)
		return false; /* outstanding memory: the very thing we report */
	if (newest_window > settled)
		return false; /* a window still capturing or following it */
	/* last_ns is BPF's clock, read earlier than now_ns: never in the future
	 * unless the read raced an allocation, which is recent anyway */
	return v->last_ns <= now_ns && now_ns - v->last_ns >= quiet_ns;
}

bool retention_hint_over(uint64_t faults, uint64_t faults_before, uint64_t bytes,
			 uint64_t kept_bytes)
{
	return faults_before && faults == faults_before && bytes < kept_bytes;
}
