/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kernelcheck.h: the kernel floor, checked at start so that a kernel too old
 * for the BPF programs gets one clear line instead of a verifier dump. The
 * programs need bpf_loop() (Linux 5.17) for the Python stack walk and BPF
 * cookies on uprobes (bpf_get_attach_cookie(), Linux 5.15). Both are probed
 * (a distribution kernel may have them backported); the release number is
 * the fallback when probing itself fails.
 */
#ifndef PYLEAK_KERNELCHECK_H
#define PYLEAK_KERNELCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* What is known of the running kernel: each feature is probed (known) or
 * not, and the release number parsed (release_known) or not. */
struct kernel_features {
	bool loop_known, has_loop;	/* bpf_loop() */
	bool cookie_known, has_cookie;	/* bpf_get_attach_cookie() */
	bool release_known;
	int major, minor;
	char release[65];
};

/* kernel_release_parse() - "5.10.0-23-amd64" -> 5, 10. Returns 0 or -EINVAL. */
int kernel_release_parse(const char *release, int *major, int *minor);

/* kernel_features_probe() - fill f from the running kernel: libbpf's helper
 * probes for a kprobe-type program (what uprobe programs are) and uname(). */
void kernel_features_probe(struct kernel_features *f);

/* kernel_floor_verdict() - pure decision on f: 0 if the kernel will do (or
 * nothing says it will not), else -ENOTSUP with a one-line reason in msg
 * naming what is missing, the kernel version needed and this one's. A probe's
 * answer wins over the release number. */
int kernel_floor_verdict(const struct kernel_features *f, char *msg, size_t len);

#endif /* PYLEAK_KERNELCHECK_H */
