# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Lifecycle faults, end to end (issue 16): the target killed, forking and
exec'ing, churning threads, stopped by someone else; the profiler
interrupted; the live map full; two profilers on one target. Each must end
with a final report and nothing left behind: no BPF program or link of the
run still loaded, the allocator table restored, the target running on (or
stopped, when its owner stopped it).

Windows are short and frequent (as in test_growth.py) so that each fault
lands inside one within a few seconds.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import BINARY, fdinfo, leak_line, need, pyleak, top_frame
# pyenv's 3.11 probed directly, or Debian's LTO 3.11 whose windows switch
# the object allocator; and test_growth.py's short, frequent windows
from test_growth import FAST_WINDOWS, interpreter
from test_launch import proc_state

LEAK = ("lifecycle.py", leak_line("lifecycle.py"), "leak")
# one window that opens at once and captures until the profiler is stopped
LONG_WINDOW = ("--first-window", 0.3, "--window-every", 0, "--growth-trigger", 0,
               "--window-time", 60, "--window-allocs", 10000000)


def bpf_ids(pid):
    """{"prog": ids, "link": ids} of the BPF objects pid holds open."""
    ids = {"prog": set(), "link": set()}
    for info in fdinfo(pid):
        for key in ("prog_id", "link_id"):
            if key in info:
                ids[key[:4]].add(int(info[key]))
    return ids


def loaded_ids():
    """{"prog": ids, "link": ids} of every BPF program and link loaded now."""
    ids = {}
    for kind in ("prog", "link"):
        out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True)
        need(out.returncode == 0, "bpftool does not work: " + out.stderr)
        ids[kind] = {o["id"] for o in json.loads(out.stdout or "[]")}
    return ids


def assert_nothing_left(held):
    """None of the programs and links the profiler held is still loaded
    (ids are never reused, so other runs on this machine do not matter)."""
    assert held["prog"], "the profiler held no BPF program: the check would prove nothing"
    # the kernel frees a program after an RCU grace period (and a uprobe's
    # perf event after its unregistration): give it a few seconds
    deadline = time.monotonic() + 10
    while True:
        now = loaded_ids()
        left = {kind: held[kind] & now[kind] for kind in held}
        if not any(left.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not any(left.values()), f"still loaded: {left}"


def not_switched(pid):
    check = subprocess.run([BINARY, "--restore-allocator", "--pid", str(pid)],
                           capture_output=True, text=True)
    return "is not switched" in check.stderr, check.stderr


def last_report(out, timeout=20, until=lambda r: True):
    """The last report written to out once until(report) holds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        lines = out.read_text().splitlines() if out.exists() else []
        if lines:
            last = json.loads(lines[-1])
            if until(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"no such report in time; last: {last and last['windows']}")


def capturing(r):
    return r["windows"]["state"] == "capturing"


class Profiler:
    """pyleak-bpf in the background, its reports in a file."""

    def __init__(self, tmp_path, *args, name="r.json"):
        self.out = tmp_path / name
        self.proc = subprocess.Popen(
            [str(BINARY), "--format", "json", "--output", str(self.out), *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=30):
        _, err = self.proc.communicate(timeout=timeout)
        lines = self.out.read_text().splitlines() if self.out.exists() else []
        return self.proc.returncode, err, json.loads(lines[-1]) if lines else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def profilers():
    started = []
    yield lambda *a, **k: started.append(Profiler(*a, **k)) or started[-1]
    for p in started:
        p.stop()


@pytest.mark.parametrize("when", ["mid-interval", "mid-window-switched"])
def test_target_sigkilled(when, start_target, profilers, tmp_path):
    """SIGKILL of the target: a final report, exit status 9, and none of
    the run's BPF programs or links left loaded."""
    if when == "mid-interval":
        python, extra = interpreter("pyenv-3.11")
        extra += ("--first-window", -1, "--window-every", 0, "--growth-trigger", 0)
    else:
        python, extra = interpreter("debian-3.11")
        extra += LONG_WINDOW
    t = start_target(python, "lifecycle.py", "plain", 60)
    p = profilers(tmp_path, "--pid", t.pid, "--interval", 5, *extra)
    r = last_report(p.out, until=lambda r: r["elapsed_s"] > 0)
    if when == "mid-window-switched":
        r = last_report(p.out, until=capturing)
        assert "allocator switched" in r["windows"]["capture"], r["windows"]
    else:
        time.sleep(1)
    held = bpf_ids(p.proc.pid)
    t.kill()
    rc, err, final = p.wait()
    assert rc == 9, err
    assert final and final["final"], final
    assert "exited" in err, err
    assert_nothing_left(held)


@pytest.mark.parametrize("build", ["pyenv-3.11", "debian-3.11"])
def test_children_fork_and_exec(build, start_target, tmp_path):
    """The target forks children that exec /bin/true or stay Python a
    moment: the profiler keeps watching the parent, whose leak is ranked
    first, and parent and children run correctly."""
    python, extra = interpreter(build)
    t = start_target(python, "lifecycle.py", "fork_exec", 14)
    run = pyleak("--pid", t.pid, "--interval", 3, "--duration", 9, *FAST_WINDOWS, *extra)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["process"]["pid"] == t.pid, final["process"]
    assert final["windows"]["settled"] >= 2, (final["windows"], run.stderr)
    assert top_frame(final["sites"][0]) == LEAK, final["sites"][:3]
    assert final["sites"][0]["persistent"], final["sites"][0]
    rc, out, err = t.finish()
    words = out.split()
    assert rc == 0 and words[-4] == "DONE" and words[-2] == "True", (out, err)
    assert int(words[-1]) > 20, out  # children were made all along


@pytest.mark.parametrize("build", ["pyenv-3.11", "debian-3.11"])
def test_thread_churn_during_windows(build, start_target, tmp_path):
    """Thousands of short threads started while windows capture (and, on
    Debian, while the switch stops every thread): no crash, every window
    opens and settles, the leak is still ranked first."""
    python, extra = interpreter(build)
    t = start_target(python, "lifecycle.py", "threads", 14)
    run = pyleak("--pid", t.pid, "--interval", 3, "--duration", 9, *FAST_WINDOWS, *extra)
    assert run.rc == 0, run.stderr
    final = run.final
    assert "not opened" not in run.stderr, run.stderr
    assert final["windows"]["settled"] >= 2, (final["windows"], run.stderr)
    assert top_frame(final["sites"][0]) == LEAK, final["sites"][:3]
    rc, out, err = t.finish()
    words = out.split()
    assert rc == 0 and words[-4] == "DONE" and words[-2] == "True", (out, err)
    assert int(words[-1]) >= 1000, out  # thousands of threads came and went


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopped_during_switched_window(sig, start_target, profilers, tmp_path):
    """SIGINT or SIGTERM while a window has the allocator switched: the
    final report, the table restored, nothing loaded left, and the target
    ends intact."""
    python, extra = interpreter("debian-3.11")
    t = start_target(python, "lifecycle.py", "plain", 8)
    p = profilers(tmp_path, "--pid", t.pid, "--interval", 1, *LONG_WINDOW, *extra)
    r = last_report(p.out, until=capturing)
    assert "allocator switched" in r["windows"]["capture"], r["windows"]
    held = bpf_ids(p.proc.pid)
    p.proc.send_signal(sig)
    rc, err, final = p.wait()
    assert rc == 0, err
    assert final["final"], final
    ok, why = not_switched(t.pid)
    assert ok, why
    assert_nothing_left(held)
    rc, out, _ = t.finish()
    assert rc == 0 and out.split()[-2] == "True", out


def test_live_map_full(start_target):
    """--max-allocs far below what the target keeps: the allocations that
    did not fit are counted as dropped (JSON and text), and what was
    tracked still ranks the leak first."""
    python, _ = interpreter("pyenv-3.11")
    t = start_target(python, "lifecycle.py", "plain", 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 4,
                 "--max-allocs", 2000)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["capture"]["dropped"] > 0, final["capture"]
    # by cause: the live map was full, and nothing else was
    assert final["capture"]["drops"]["live_full"] > 0, final["capture"]["drops"]
    assert final["capture"]["drops"]["live_full"] <= final["capture"]["dropped"], final["capture"]["drops"]
    assert final["outstanding_count"] <= 2000, final["outstanding_count"]
    assert top_frame(final["sites"][0]) == LEAK, final["sites"][:3]
    assert any("dropped" in w or "full" in w for w in final["warnings"]), final["warnings"]
    text = subprocess.run([BINARY, "--mode", "alloc", "--pid", str(t.pid), "--interval", "2",
                           "--duration", "2", "--max-allocs", "2000"],
                          capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    dropped = [l for l in text.stdout.splitlines() if "dropped" in l]
    assert dropped and not dropped[-1].split("dropped")[1].strip().startswith("0"), text.stdout


def test_two_profilers_on_one_target(start_target, profilers, tmp_path):
    """Two --switch-allocator sessions on one target at once: the second
    never switches (nor restores) what the first switched; after both the
    table is restored and the target ran on correctly."""
    python, extra = interpreter("debian-3.11")
    t = start_target(python, "lifecycle.py", "plain", 14)
    first = profilers(tmp_path, "--pid", t.pid, "--interval", 1, "--duration", 9,
                      *FAST_WINDOWS, *extra, name="first.json")
    last_report(first.out, until=capturing)
    # nor may --restore-allocator take it from under the running session
    r = last_report(first.out, until=capturing)
    grab = subprocess.run([BINARY, "--restore-allocator", "--pid", str(t.pid)],
                          capture_output=True, text=True)
    if "is not switched" not in grab.stderr:  # unless the window just closed
        assert grab.returncode == 1 and "another pyleak-bpf" in grab.stderr, grab.stderr
    second = profilers(tmp_path, "--pid", t.pid, "--interval", 1, "--duration", 4,
                       *FAST_WINDOWS, *extra, name="second.json")
    rc2, err2, final2 = second.wait()
    assert rc2 == 1 and final2 is None, (rc2, err2)
    rc1, err1, final1 = first.wait()
    assert rc1 == 0, err1
    assert final1["windows"]["settled"] >= 3, (final1["windows"], err1)
    assert "not touching it" not in err1, err1
    assert top_frame(final1["sites"][0]) == LEAK, final1["sites"][:3]
    # the second refused the switch, saying who holds it
    assert "another pyleak-bpf" in err2 and str(first.proc.pid) in err2, err2
    assert "adopting" not in err2 and "restored the object allocator" not in err2, err2
    ok, why = not_switched(t.pid)
    assert ok, why
    rc, out, _ = t.finish()
    assert rc == 0 and out.split()[-2] == "True", out


def test_target_stopped_by_someone_else(start_target, profilers, tmp_path):
    """The target is SIGSTOPped by its owner when windows would open: the
    profiler does not hang, opens no window (nor switches) while it is
    stopped, and never resumes it; once continued, windows resume. Stopped
    again in the middle of a switched window, then the profiler stopped: the
    switch is undone and the target stays stopped, as its owner wants."""
    python, extra = interpreter("debian-3.11")
    t = start_target(python, "lifecycle.py", "plain", 30)
    os.kill(t.pid, signal.SIGSTOP)
    time.sleep(0.2)
    p = profilers(tmp_path, "--pid", t.pid, "--interval", 0.5, "--first-window", 0.5,
                  "--window-every", 1, "--window-time", 1, "--follow", 1, "--window-allocs",
                  5000, *extra)
    try:
        r = last_report(p.out, until=lambda r: r["elapsed_s"] >= 3)
        assert proc_state(t.pid) == "T", "the profiler resumed a target stopped by its owner"
        assert r["windows"]["opened"] == 0, r["windows"]
        ok, why = not_switched(t.pid)
        assert ok, why
        os.kill(t.pid, signal.SIGCONT)
        r = last_report(p.out, until=lambda r: r["windows"]["settled"] >= 2)
        r = last_report(p.out, until=capturing)
        os.kill(t.pid, signal.SIGSTOP)
        time.sleep(0.2)
        p.proc.send_signal(signal.SIGTERM)
        rc, err, final = p.wait()
        assert rc == 0, err
        assert "is stopped" in err and "runs again" in err, err
        assert top_frame(final["sites"][0]) == LEAK, final["sites"][:3]
        assert proc_state(t.pid) == "T", "the switch's undo resumed a stopped target"
        ok, why = not_switched(t.pid)
        assert ok, why
    finally:
        os.kill(t.pid, signal.SIGCONT)
