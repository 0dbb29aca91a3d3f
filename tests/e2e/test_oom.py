# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the evidence at OOM (README "Evidence at OOM"): a
Python that leaks inside a memory cgroup with a small limit is profiled by
--pid (growth mode) or as the command (alloc mode) until the kernel's OOM
killer ends it; the final report says so (oom_killed, how it is known, the
limit) in JSON, the Prometheus file and the HTML page, and names the
leaking line. A process killed by someone else
with SIGKILL is not taken for an OOM kill.

The cgroup is made under the root of whichever hierarchy holds the memory
controller (v2, or v1 on a hybrid host), with no swap, and removed after.
"""
import os
import re
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from conftest import TARGETS, leak_line, need, pyenv_python, pyleak
from test_exports import promtool_ok
from test_growth import FAST_WINDOWS

LIMIT = 40 << 20
EXIT_LEAK = 3
EXIT_TARGET_EXITED = 9
LINE = leak_line("oom_leak.py")


def memory_hierarchy():
    """(mount point, is_v2) of the hierarchy with the memory controller, or None."""
    found = None
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, _, post = line.partition(" - ")
        fields, rest = pre.split(), post.split()
        if len(fields) < 5 or len(rest) < 3 or fields[3] != "/":
            continue
        mnt = fields[4]
        if rest[0] == "cgroup2":
            ctl = Path(mnt, "cgroup.controllers")
            if ctl.exists() and "memory" in ctl.read_text().split():
                return mnt, True
        elif rest[0] == "cgroup" and "memory" in rest[2].split(","):
            found = (mnt, False)
    return found


@pytest.fixture
def memcg():
    """A fresh memory cgroup limited to LIMIT without swap: its directory.
    On v2 the memory controller is enabled in the root's subtree_control
    for it, and disabled again after if it was not."""
    h = memory_hierarchy()
    need(h is not None, "no cgroup hierarchy with the memory controller is mounted")
    root, v2 = h
    enabled = False
    subtree = Path(root, "cgroup.subtree_control")
    if v2 and "memory" not in subtree.read_text().split():
        subtree.write_text("+memory")
        enabled = True
    d = Path(root, f"pyleak-test-oom-{uuid.uuid4().hex[:8]}")
    d.mkdir()
    try:
        if v2:
            (d / "memory.max").write_text(str(LIMIT))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
        else:
            (d / "memory.limit_in_bytes").write_text(str(LIMIT))
            if (d / "memory.memsw.limit_in_bytes").exists():  # after the limit: memsw >= it
                (d / "memory.memsw.limit_in_bytes").write_text(str(LIMIT))
        yield d
    finally:
        d.rmdir()
        if enabled:
            subtree.write_text("-memory")


class Leaker:
    """oom_leak.py, put into cgroup d before it runs (so all it charges is
    charged there); killed at the end if still alive."""

    def __init__(self, d, mib_per_s):
        py = pyenv_python("3.11.7")
        need(py.exists(), "pyenv 3.11.7 is not installed")
        procs = str(d / "cgroup.procs")

        def enter():
            with open(procs, "w") as f:
                f.write(str(os.getpid()))

        self.proc = subprocess.Popen([str(py), str(TARGETS / "oom_leak.py"), str(mib_per_s)],
                                     stdout=subprocess.PIPE, text=True, preexec_fn=enter)
        assert "READY" in self.proc.stdout.readline()
        self.pid = self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def oom_run(d, mib_per_s, *args, tmp_path):
    """Profile a Leaker in d until the OOM killer ends it: (run, exit status)."""
    t = Leaker(d, mib_per_s)
    try:
        run = pyleak("--pid", t.pid, "--interval", 2, "--duration", 60,
                     "--prom-file", tmp_path / "m.prom", "--html", tmp_path / "r.html", *args,
                     timeout=90)
    finally:
        t.close()
    return run, t.proc.returncode


def check_oom_report(run, status, d):
    """status: the target's as its parent (the test) saw it, None when the
    parent was pyleak-bpf."""
    assert status in (None, -9), f"the target was not killed: {status}; {run.stderr}"
    final = run.final
    p = final["process"]
    assert p.get("oom_killed") is True, (p, run.stderr)
    o = p["oom"]
    assert o["source"] == "oom/mark_victim", o
    assert o["exit_signal"] == 9, o
    assert o["memory_max_bytes"] == LIMIT and o["memory_limited"], o
    assert o["cgroup_oom_kills"] >= 1, o
    assert o["cgroup"].endswith("/" + d.name), o
    # only the final report
    assert not any("oom_killed" in r["process"] for r in run.reports[:-1])
    # it names the leaking line: the top site, the warning and the alert
    top = final["sites"][0]["frames"][0]
    assert (Path(top["file"]).name, top["line"], top["func"]) == ("oom_leak.py", LINE, "leak"), \
        final["sites"][:3]
    assert any("OOM killer" in w and f"oom_leak.py:{LINE} leak" in w for w in final["warnings"]), \
        final["warnings"]
    alerts = [a for a in final["alerts"] if a["state"] == "oom_killed"]
    assert len(alerts) == 1 and alerts[0]["subject"] == "process", final["alerts"]
    assert alerts[0]["frames"][0]["line"] == LINE, alerts
    assert alerts[0]["hint"] is None, alerts  # a fix hint would describe growth, not the kill
    assert "oom_killed: the kernel's OOM killer ended the process" in run.stderr, run.stderr
    return final


def test_growth_mode_oom_killed(memcg, tmp_path):
    run, status = oom_run(memcg, 3, *FAST_WINDOWS, tmp_path=tmp_path)
    assert run.rc == EXIT_TARGET_EXITED, run.stderr
    check_oom_report(run, status, memcg)
    prom = tmp_path / "m.prom"
    ok, why = promtool_ok(prom)
    assert ok, why
    assert re.search(r'^pyleak_oom_killed\{pid="%d",[^}]*\} 1$' % run.final["process"]["pid"],
                     prom.read_text(), re.M), prom.read_text()
    assert "OOM-killed" in (tmp_path / "r.html").read_text()


def test_run_mode_alloc_mode_oom_killed_fails_on_leak(memcg):
    """Run mode (-- COMMAND, the shell execs Python inside the cgroup) in
    alloc mode. Thresholds no site or process trend reaches in these
    seconds: the only alert is oom_killed, and --fail-on-leak counts it."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    cmd = f"echo $$ > {memcg / 'cgroup.procs'} && exec {py} {TARGETS / 'oom_leak.py'} 4"
    run = pyleak("--mode", "alloc", "--interval", 2, "--fail-on-leak",
                 "--alert-rate", "1024M", "--alert-min-bytes", "1024M",
                 "--", "sh", "-c", cmd, timeout=90)
    final = check_oom_report(run, None, memcg)
    assert all(a["state"] == "oom_killed" for r in run.reports for a in r["alerts"]), \
        [a["state"] for r in run.reports for a in r["alerts"]]
    assert final["incidents"] == [], final["incidents"]
    assert run.rc == EXIT_LEAK, run.stderr


def test_sigkill_is_not_oom(start_target, py311, tmp_path):
    """kill -9 from outside: the same signal, but no OOM killer's choice."""
    t = start_target(py311, "leaky.py", 30)
    killer = threading.Timer(2.5, t.kill)
    killer.start()
    try:
        run = pyleak("--pid", t.pid, "--interval", 1, "--duration", 20,
                     "--prom-file", tmp_path / "m.prom")
    finally:
        killer.cancel()
    assert run.rc == EXIT_TARGET_EXITED, run.stderr
    final = run.final
    assert "oom_killed" not in final["process"], final["process"]
    assert not any(a["state"] == "oom_killed" for a in final["alerts"])
    assert "OOM" not in run.stderr, run.stderr
    assert re.search(r'^pyleak_oom_killed\{[^}]*\} 0$', (tmp_path / "m.prom").read_text(), re.M)
