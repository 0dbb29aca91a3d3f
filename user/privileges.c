// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* privileges.c: see privileges.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "privileges.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool privileges_uprobes_allowed(void)
{
	static const char path[] = "/proc/self/exe";
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char buf[16] = "";
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	int fd;

	if (!f)
		return true; /* no uprobe PMU: check_kernel() says so */
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	attr.type = (uint32_t)atoi(buf);
	attr.config1 = (uint64_t)(uintptr_t)path; /* uprobe_path */
	attr.config2 = 0;			    /* probe_offset: the ELF header */
	fd = (int)syscall(SYS_perf_event_open, &attr, getpid(), -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EPERM && errno != EACCES;
}

bool privileges_have(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int privileges_missing(char *msg, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	static const struct {
		int cap, or_cap;
		const char *name, *why;
	} need[] = {
		{ CAP_BPF, CAP_SYS_ADMIN, "CAP_BPF", "to load the BPF programs and maps" },
		{ CAP_PERFMON, CAP_SYS_ADMIN, "CAP_PERFMON", "for the tracing programs" },
		{ CAP_SYS_PTRACE, -1, "CAP_SYS_PTRACE",
		  "to read the target's memory and stop it for the allocator switch" },
	};
	int n = 0;
	size_t off = 0;

	msg[0] = 0;
	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(msg, len, "cannot read our capabilities: %s", strerror(errno));
		return 1;
	}
#define HAS(c) ((c) >= 0 && (data[(c) / 32].effective & (1u << ((c) % 32))))
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (HAS(need[i].cap) || HAS(need[i].or_cap))
			continue;
		off += snprintf(msg + off, off < len ? len - off : 0, "%s%s missing (%s)",
				n++ ? "; " : "", need[i].name, need[i].why);
	}
	if (!privileges_uprobes_allowed())
		off += snprintf(msg + off, off < len ? len - off : 0,
				"%sCAP_SYS_ADMIN missing (this kernel opens uprobe perf events "
				"only with it: CAP_PERFMON is not enough)", n++ ? "; " : "");
#undef HAS
	return n;
}
