# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of alloc mode on the two 3.11 builds of this machine:
pyenv's 3.11.7 (shared libpython, no LTO: direct probes work) and Debian's
3.11 (static, stripped, LTO: pymalloc inlined, needs the allocator switch or
PYTHONMALLOC=malloc)."""
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (BINARY, TARGETS, assert_top_site, leak_line, need, pyenv_python, pyleak,
                      top_frame)

DEBIAN_311 = "/usr/bin/python3.11"
LEAK = leak_line("leaky.py")


@pytest.fixture
def pyenv311():
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


@pytest.fixture
def debian311():
    need(os.path.exists(DEBIAN_311), "Debian's python3.11 is not installed")
    return DEBIAN_311


def test_attach_direct_ranks_leak_first(pyenv311, start_target):
    t = start_target(pyenv311, "leaky.py", 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 6)
    assert run.rc == 0, run.stderr
    final = run.final
    assert "pymalloc" in final["capture"]["method"]
    assert_top_site(final, "leaky.py", LEAK, "leak")
    # the leak grew in every report, and GC collections were counted by a probe
    grown = [r["sites"][0]["bytes"] for r in run.reports]
    assert grown == sorted(grown) and grown[-1] > grown[0] > 0
    assert final["capture"]["gc_collections"] is not None
    assert sum(final["capture"]["gc_collections"]) > 0
    assert final["capture"]["alloc_hits"] > 10000


def test_attach_switch_on_lto_build(debian311, start_target):
    t = start_target(debian311, "leaky.py", 12)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 6, "--switch-allocator")
    assert run.rc == 0, run.stderr
    assert "allocator switched" in run.final["capture"]["method"]
    assert_top_site(run.final, "leaky.py", LEAK, "leak")
    assert "restored the object allocator" in run.stderr
    # nothing left switched, and the target ran on correctly to its end
    check = subprocess.run([BINARY, "--restore-allocator", "--pid", str(t.pid)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "not switched" in check.stderr, check.stderr
    rc, out, _ = t.finish()
    assert rc == 0 and "DONE" in out and out.strip().endswith("True"), out


def test_run_mode_pythonmalloc(debian311, tmp_path):
    out = tmp_path / "reports.json"
    run = pyleak("--mode", "alloc", "--interval", 2, "--", debian311, TARGETS / "leaky.py", 6, output=out)
    assert run.rc == 0, run.stderr
    assert "PYTHONMALLOC=malloc" in run.final["capture"]["method"]
    assert_top_site(run.final, "leaky.py", LEAK, "leak")
    assert "DONE" in run.stdout  # the command's own output is its own


def test_run_mode_exit_status_is_the_commands(debian311, tmp_path):
    run = pyleak("--mode", "alloc", "--interval", 1, "--", debian311, "-c", "import sys; sys.exit(7)",
                 output=tmp_path / "r.json")
    assert run.rc == 7, run.stderr


def test_blind_probes_reported_not_ranked(debian311, start_target):
    t = start_target(debian311, "leaky.py", 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 4)
    assert run.rc == 10, (run.rc, run.stderr)
    final = run.final
    assert final["sites"] == []
    assert any("blind" in w and "--switch-allocator" in w for w in final["warnings"])


def test_steady_churn_has_no_growing_site(pyenv311, start_target):
    t = start_target(pyenv311, "steady.py", 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 1.5, "--duration", 9, "--top", 50)
    assert run.rc == 0, run.stderr
    history = {}
    for r in run.reports:
        for s in r["sites"]:
            history.setdefault(s["id"], []).append(s["bytes"])
    growing = {i: b for i, b in history.items()
               if len(b) == len(run.reports) and b == sorted(b) and b[-1] - b[0] > 64 * 1024}
    assert not growing, f"sites growing without a leak: {growing}"


def test_target_killed_midrun(debian311, start_target):
    t = start_target(debian311, "leaky.py", 60)
    proc = subprocess.Popen([BINARY, "--mode", "alloc", "--format", "json", "--pid", str(t.pid), "--interval", "1",
                             "--switch-allocator"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    t.kill()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 9, err
    assert '"final":true' in out.splitlines()[-1]
    assert "exited" in err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_profiler_stopped_restores(debian311, start_target, sig):
    t = start_target(debian311, "leaky.py", 12)
    proc = subprocess.Popen([BINARY, "--mode", "alloc", "--format", "json", "--pid", str(t.pid), "--interval", "1",
                             "--switch-allocator"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert '"final":true' in out.splitlines()[-1]
    assert "restored the object allocator" in err
    rc, tout, _ = t.finish()
    assert rc == 0 and tout.strip().endswith("True"), tout


def test_profiler_killed_target_survives_and_restore(debian311, start_target):
    t = start_target(debian311, "leaky.py", 10)
    proc = subprocess.Popen([BINARY, "--mode", "alloc", "--pid", str(t.pid), "--interval", "1",
                             "--switch-allocator"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.kill()  # no chance to restore
    proc.wait()
    restore_and_finish(t)


def restore_and_finish(t):
    """--restore-allocator undoes a switch left in t, which then ends intact."""
    again = subprocess.run([BINARY, "--restore-allocator", "--pid", str(t.pid)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "restored the object allocator" in again.stderr, again.stderr
    rc, out, _ = t.finish()
    assert rc == 0 and out.strip().endswith("True"), out


def test_bad_input_and_environments(pyenv311, start_target):
    def run(*args, user=None):
        argv = [str(BINARY), *map(str, args)]
        if user:
            argv = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    r = run("--interval", "zero", "--pid", "1")
    assert r.returncode == 2 and "--interval" in r.stderr
    assert run().returncode == 2
    r = run("--pid", "1", user="65534")
    assert r.returncode == 4 and "root" in r.stderr
    r = run("--pid", "999999999")
    assert r.returncode == 5 and "no process" in r.stderr
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        r = run("--pid", sleeper.pid)
        assert r.returncode == 6 and "not a CPython process" in r.stderr
    finally:
        sleeper.kill()
    old = pyenv_python("3.7.16")
    if old.exists():
        t = start_target(old, "leaky.py", 30)
        r = run("--pid", t.pid)
        assert r.returncode == 7 and "3.7" in r.stderr, r.stderr
    r = run("--", "/nonexistent/python")
    assert r.returncode == 127 and "cannot run" in r.stderr
    # --output through a symbolic link is refused, the file it names untouched
    with tempfile.TemporaryDirectory() as d:
        real, link = Path(d) / "real", Path(d) / "link"
        real.write_text("kept\n")
        link.symlink_to(real)
        r = run("--output", link, "--pid", "1")
        assert r.returncode == 1 and "symbolic link" in r.stderr, r.stderr
        assert real.read_text() == "kept\n"
    help_text = run("--help")
    assert help_text.returncode == 0 and "--switch-allocator" in help_text.stdout


def test_leak_in_thread_started_after_attach(pyenv311, start_target):
    t = start_target(pyenv311, "thread_leak.py", 20)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 7)
    assert run.rc == 0, run.stderr
    assert_top_site(run.final, "thread_leak.py", leak_line("thread_leak.py"), "worker")
    assert run.final["capture"]["no_tstate"] == 0


def bpf_fds(pid):
    """How many BPF programs, links and perf events (uprobes) pid holds open."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        n += link in ("anon_inode:bpf-prog", "anon_inode:bpf_link", "anon_inode:[perf_event]")
    return n


def python_below(pid):
    """PIDs of the processes directly below pid."""
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            kids += [int(p) for p in f.read().split()]
    return kids


def test_run_mode_sigterm_detaches_at_once(debian311, tmp_path):
    """SIGTERM in run mode: the final report, the probes removed and a
    window's allocator switch undone at once, while the command runs on;
    then its exit status is passed through."""
    out = tmp_path / "r.json"
    proc = subprocess.Popen(
        [BINARY, "--format", "json", "--output", str(out), "--interval", "1",
         "--first-window", "0.3", "--window-time", "30", "--window-allocs", "10000000",
         "--", "sh", "-c", f"{debian311} {TARGETS / 'leaky.py'} 12; exit 3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        reports = [json.loads(l) for l in out.read_text().splitlines()]
        assert reports and reports[-1]["windows"]["state"] == "capturing", reports[-1:]
        assert bpf_fds(proc.pid) > 0  # the capture is on
        (sh,) = python_below(proc.pid)
        (py,) = python_below(sh)
        proc.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        assert proc.poll() is None, "pyleak-bpf did not wait for the command"
        assert bpf_fds(proc.pid) == 0, "probes still attached after SIGTERM"
        check = subprocess.run([BINARY, "--restore-allocator", "--pid", str(py)],
                               capture_output=True, text=True)
        assert "is not switched" in check.stderr, check.stderr
        reports = [json.loads(l) for l in out.read_text().splitlines()]
        assert reports and reports[-1]["final"], reports[-1:]
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 3, err
    finally:
        if proc.poll() is None:
            proc.kill()


SEIZE = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
# PTRACE_SEIZE: trace without stopping it, so no one else can stop it
assert libc.ptrace(0x4206, int(sys.argv[1]), None, None) == 0, ctypes.get_errno()
print("SEIZED", flush=True)
time.sleep(60)
"""


def test_failed_restore_exits_non_zero(debian311, start_target):
    """The switch cannot be undone at exit (another tracer holds the target's
    thread): a distinct exit status and the command that restores it."""
    t = start_target(debian311, "leaky.py", 15)
    proc = subprocess.Popen([BINARY, "--mode", "alloc", "--format", "json", "--pid", str(t.pid),
                             "--interval", "1", "--switch-allocator"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    blocker = None
    try:
        time.sleep(3)
        blocker = subprocess.Popen([debian311, "-c", SEIZE, str(t.pid)], stdout=subprocess.PIPE,
                                   text=True)
        assert blocker.stdout.readline().strip() == "SEIZED"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 11, err
        assert f"--restore-allocator --pid {t.pid}" in err, err
        assert '"final":true' in out.splitlines()[-1]
    finally:
        if proc.poll() is None:
            proc.kill()
        if blocker:
            blocker.kill()  # its exit lets go of the target
            blocker.wait()
    restore_and_finish(t)


@pytest.mark.parametrize("version", ["3.9.18", "3.11.7", "3.12.1"])
def test_reused_code_addresses_keep_their_names(version, start_target):
    """300 generated functions, one after another, the older ones freed so
    that new code objects (and name strings) take their addresses: each is
    its own site, under its own name and at its own line (before, a reused
    address merged sites under a stale name: about 120 names came out)."""
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    t = start_target(py, "generated.py", 300, 100, 60)
    run = pyleak("--pid", t.pid, "--mode", "alloc", "--interval", 2, "--duration", 10,
                 "--top", 1000)
    assert run.rc == 0, run.stderr
    final = run.final
    names = {}
    for s in final["sites"]:
        f = s["frames"][0]
        if f["file"] != "<generated>":
            continue
        assert f["func"].startswith("gen_"), f
        assert f["func"] not in names, f"{f['func']} is two sites"
        n = int(f["func"][4:])
        assert f["line"] == 2 + n % 40, f  # the name matches its line
        names[f["func"]] = s
    assert len(names) >= 290, sorted(names)
