/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * identity.h: a process's container identity, for node-wide mode's labels.
 *
 * From /proc/PID/cgroup (cgroup v1 or v2; systemd or cgroupfs driver;
 * containerd, CRI-O, Docker, podman): the cgroup path, container id and
 * runtime, Kubernetes pod uid and QoS class, or the systemd unit of a
 * process that is not in a container. From the kubelet's log directory
 * (/var/log/pods/<namespace>_<pod>_<uid>/<container>/, no API access): the
 * pod's namespace and name and the container's name. Everything here is
 * text the target's owner may shape (a cgroup can be named anything), so
 * every field is bounded, validated and may be empty.
 */
#ifndef PYLEAK_IDENTITY_H
#define PYLEAK_IDENTITY_H

#include <sys/types.h>

/* Bounds: cgroup paths longer than this are refused, not truncated (a
 * truncated path would pass a --cgroup prefix test it should fail). */
#define IDENTITY_CGROUP_MAX 1024
#define IDENTITY_TEXT_MAX 65536 /* bytes of /proc/PID/cgroup read */

struct proc_identity {
	char cgroup[IDENTITY_CGROUP_MAX]; /* the chosen line's path, "/" at the root */
	char container_id[129];		  /* runtime's id (64 hex for all known runtimes) */
	char runtime[16];		  /* "containerd", "cri-o", "docker", "podman" or "" */
	char pod_uid[65];		  /* "0b7e6b1a-..." (dashes), or a static pod's hash */
	char qos[16];			  /* "guaranteed", "burstable", "besteffort" or "" */
	char unit[256];			  /* systemd unit/slice when not in a container */
	/* from identity_pod_lookup() */
	char pod_namespace[64];		  /* DNS label: at most 63 */
	char pod_name[254];		  /* DNS subdomain: at most 253 */
	char container_name[64];	  /* DNS label */
};

/* identity_parse_path() - fill out's cgroup-derived fields from one cgroup
 * path ("/kubepods.slice/...", "/../../kubepods-...", or containerd's
 * "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>" notation).
 * Clears out first. Returns 0 (fields that the path does not name stay
 * empty) or -EINVAL for an empty or over-long path. */
int identity_parse_path(const char *path, struct proc_identity *out);

/* identity_parse_cgroup() - parse the text of /proc/PID/cgroup: lines
 * "N:controllers:/path". The v2 line ("0::") is used unless it is the bare
 * root and a v1 line says more; among v1 lines memory, then pids, then cpu,
 * then name=systemd, then the first. Reads at most IDENTITY_TEXT_MAX bytes
 * of text. Returns 0, or -EINVAL when no line parses (garbage, empty). */
int identity_parse_cgroup(const char *text, struct proc_identity *out);

/* identity_read() - identity_parse_cgroup() on /proc/PID/cgroup (bounded
 * read). Returns 0, -ESRCH if the process is gone, -errno, or -EINVAL. */
int identity_read(pid_t pid, struct proc_identity *out);

/* identity_pod_lookup() - fill pod_namespace, pod_name and container_name
 * of id (which has pod_uid, and container_id when known) from the kubelet's
 * pods_dir ("/var/log/pods"): the entry "<ns>_<pod>_<uid>" whose uid is
 * id->pod_uid; its only container directory, or, with several, the one
 * whose log symlinks (or pods_dir/../containers/<pod>_<ns>_<name>-<id>.log)
 * name id->container_id; else container_name stays empty. Reads at most
 * 4096 pod entries and 64 containers with 64 logs each. Returns 0 when the
 * pod was found, -ENOENT when not (or id has no pod uid), -errno when
 * pods_dir cannot be read. */
int identity_pod_lookup(const char *pods_dir, struct proc_identity *id);

/* identity_labels() - id's non-empty fields as label pairs, in a fixed
 * order: container_id, pod_uid, namespace, pod, container, qos, runtime,
 * unit. names[i] are static strings, values[i] point into id. Returns the
 * number filled (at most max). */
#define IDENTITY_NLABELS 8 /* all of identity_labels()'s names */
int identity_labels(const struct proc_identity *id, const char *names[], const char *values[],
		    int max);

#endif /* PYLEAK_IDENTITY_H */
