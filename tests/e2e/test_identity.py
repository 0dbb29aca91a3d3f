# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the container identity labels (user/target/identity.c read at
attach by user/session.c, shown by every sink): a `--pid` run of a process
moved into a cgroup v2 path shaped like a containerd container of a
Kubernetes pod, with a --pods-dir tree shaped like the kubelet's
/var/log/pods, and the labels checked in the JSON `process` object, the
Prometheus file (promtool) and the pprof profile (`go tool pprof -tags`).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import BINARY, need, pyleak
from test_exports import FAST_WINDOWS, pprof, promtool_ok, py311, samples

NAMESPACE, POD, CONTAINER = "shop", "web-7d9f4b-x2x9q", "app"


def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
    /sys/fs/cgroup/unified on a hybrid host), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return Path(fields[4])
    return None


@pytest.fixture
def pod_cgroups():
    """Makes cgroup paths like the kubelet's (systemd driver) for containerd
    containers of one burstable pod: each call returns (directory, pod uid,
    container id) of a new container. All removed at the end, once the
    processes moved into them are gone (deepest first)."""
    mnt = cgroup2_mount()
    need(mnt is not None and os.access(mnt, os.W_OK), "no writable cgroup v2 hierarchy")
    uid = str(uuid.uuid4())
    top = mnt / "kubepods.slice"
    qos = top / "kubepods-burstable.slice"
    pod = qos / f"kubepods-burstable-pod{uid.replace('-', '_')}.slice"
    made = [d for d in (top, qos, pod) if not d.exists()]

    def container():
        cid = uuid.uuid4().hex + uuid.uuid4().hex
        scope = pod / f"cri-containerd-{cid}.scope"
        try:
            scope.mkdir(parents=True)
        except OSError as e:
            need(False, f"cannot create a cgroup under {mnt}: {e}")
        made.append(scope)
        return scope, uid, cid

    yield container
    for d in sorted(made, key=lambda d: len(d.parts), reverse=True):
        for _ in range(50):  # a killed process leaves its cgroup a moment later
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


def test_pid_in_pod_has_labels(pod_cgroups, start_target):
    scope, uid, cid = pod_cgroups()
    d = Path(tempfile.mkdtemp(prefix="pyleak-identity."))
    try:
        # the kubelet's layout: <namespace>_<pod>_<uid>/<container>/<restart>.log
        logs = d / "pods" / f"{NAMESPACE}_{POD}_{uid}" / CONTAINER
        logs.mkdir(parents=True)
        (logs / "0.log").write_text("")
        t = start_target(py311(), "leaky.py", 30)
        (scope / "cgroup.procs").write_text(str(t.pid))
        assert f"0::/{scope.relative_to(cgroup2_mount())}" in Path(f"/proc/{t.pid}/cgroup").read_text()
        prom, pb = d / "leak.prom", d / "leak.pb.gz"
        run = pyleak("--pid", t.pid, "--interval", 2, "--duration", 6, *FAST_WINDOWS,
                     "--pods-dir", d / "pods", "--prom-file", prom, "--pprof", pb)
        assert run.rc == 0, run.stderr
        want = {"container_id": cid, "pod_uid": uid, "namespace": NAMESPACE, "pod": POD,
                "container": CONTAINER, "qos": "burstable", "runtime": "containerd"}

        # JSON: every report's process object, the cgroup path with them
        for r in run.reports:
            proc = r["process"]
            assert {k: proc.get(k) for k in want} == want, proc
            assert proc["cgroup"] == f"/{scope.relative_to(cgroup2_mount())}"
            assert "unit" not in proc

        # Prometheus: the labels on every process series; promtool passes
        ok, why = promtool_ok(prom)
        assert ok, why
        text = prom.read_text()
        rss = samples(text, "pyleak_rss_bytes")
        assert len(rss) == 1
        labels = dict(next(iter(rss)))
        assert labels == {"pid": str(t.pid), "comm": labels["comm"], **want}, labels
        for line in text.splitlines():
            if not line.startswith("#"):
                assert f'container_id="{cid}"' in line, line

        # pprof: string labels on the samples (go tool pprof -tags lists them)
        tags = pprof("-tags", pb)
        for key, value in want.items():
            assert f" {key}:" in tags, tags
            assert value in tags, (value, tags)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_identity_read_again_after_exec(pod_cgroups, start_target):
    """The labels are read at attach and again after the process calls
    exec: moved to another container's cgroup in between, its reports of
    the new program name the new container."""
    (first, uid, cid1), (second, _, cid2) = pod_cgroups(), pod_cgroups()
    py = py311()
    t = start_target(py, "execer.py", "python", 4, py, 6)  # exec 6 s after READY
    (first / "cgroup.procs").write_text(str(t.pid))
    p = subprocess.Popen([str(BINARY), "--format", "json", "--pid", str(t.pid), "--mode",
                          "alloc", "--interval", "1.5"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        # the first attach has read the identity: it says so
        err = []
        for line in p.stderr:
            err.append(line)
            if f"PID {t.pid}: containerd container {cid1[:12]}" in line:
                break
        else:
            pytest.fail("no identity line: " + "".join(err))
        (second / "cgroup.procs").write_text(str(t.pid))
        out, rest = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = "".join(err) + rest
    assert p.returncode == 9, err  # attach mode: the target exited
    assert "attaching again" in err
    reports = [json.loads(l) for l in out.splitlines() if l.startswith('{"type":"report"')]
    # the first program's reports (exec comes 6 s after READY): its container
    assert reports and reports[0]["process"]["container_id"] == cid1, reports[:1]
    assert reports[-1]["final"]
    assert reports[-1]["process"]["container_id"] == cid2, reports[-1]["process"]
    assert reports[-1]["process"]["pod_uid"] == uid


def test_pods_dir_missing_is_a_start_up_error():
    p = subprocess.run([str(BINARY), "--pid", "1", "--pods-dir", "/nonexistent/pods"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stderr
    assert "--pods-dir /nonexistent/pods: No such file or directory" in p.stderr
