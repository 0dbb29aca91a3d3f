// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kernelcheck.c: see kernelcheck.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "kernelcheck.h"

#define LOOP_MAJOR 5
#define LOOP_MINOR 17
#define COOKIE_MAJOR 5
#define COOKIE_MINOR 15

int kernel_release_parse(const char *release, int *major, int *minor)
{
	int n = 0;

	if (!release || sscanf(release, "%d.%d%n", major, minor, &n) != 2 || !n || *major < 0 ||
	    *minor < 0)
		return -EINVAL;
	return 0;
}

/* probe() - 1 supported, 0 not, -errno when the probe could not tell. */
static int probe(enum bpf_func_id helper)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, helper, NULL);
}

void kernel_features_probe(struct kernel_features *f)
{
	struct utsname u;
	int r;

	memset(f, 0, sizeof(*f));
	r = probe(BPF_FUNC_loop);
	f->loop_known = r >= 0;
	f->has_loop = r > 0;
	r = probe(BPF_FUNC_get_attach_cookie);
	f->cookie_known = r >= 0;
	f->has_cookie = r > 0;
	if (!uname(&u)) {
		snprintf(f->release, sizeof(f->release), "%s", u.release);
		f->release_known = !kernel_release_parse(u.release, &f->major, &f->minor);
	}
}

static bool older(const struct kernel_features *f, int major, int minor)
{
	return f->release_known && (f->major < major || (f->major == major && f->minor < minor));
}

int kernel_floor_verdict(const struct kernel_features *f, char *msg, size_t len)
{
	const char *what = NULL;
	int major = 0, minor = 0;

	if (f->loop_known ? !f->has_loop : older(f, LOOP_MAJOR, LOOP_MINOR)) {
		what = "bpf_loop() (for the Python stack walk)";
		major = LOOP_MAJOR;
		minor = LOOP_MINOR;
	} else if (f->cookie_known ? !f->has_cookie : older(f, COOKIE_MAJOR, COOKIE_MINOR)) {
		what = "BPF cookies on uprobes (bpf_get_attach_cookie())";
		major = COOKIE_MAJOR;
		minor = COOKIE_MINOR;
	}
	if (!what)
		return 0;
	snprintf(msg, len, "this kernel (%s) lacks %s, which pyleak-bpf needs: Linux %d.%d or "
		 "later, or a distribution kernel with it backported",
		 f->release[0] ? f->release : "unknown version", what, major, minor);
	return -ENOTSUP;
}
