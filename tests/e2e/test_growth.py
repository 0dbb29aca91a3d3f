# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of growth mode (the default): accuracy on programs with a
known answer (tests/targets/accuracy.py) on both 3.11 builds of this machine,
the kernel's growth counters (huge pages included), window budgets and
windows on demand.

Windows are made short and frequent here (about one every 2.5 s) so that a
test sees several settle; the defaults are minutes apart.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (BINARY, TARGETS, leak_line, need, pyenv_python, pyleak, top_frame)

DEBIAN_311 = "/usr/bin/python3.11"
FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)
LEAKING = {
    # scenario: function of the leaking line
    "dict": "leak_dict",
    "listeners": "Listener.__init__",
    "cycles": "make_cycle",
    "ctypes": "leak_native",
    "thread": "thread_worker",
    # a line whose temporaries outnumber what it keeps (issue 10, item 7)
    "fmt_append": "fmt_append",
}
NOT_LEAKING = ["churn", "cache", "warmup", "batch"]


def interpreter(name):
    if name == "pyenv-3.11":
        py = pyenv_python("3.11.7")
        need(py.exists(), "pyenv 3.11.7 is not installed")
        return str(py), ()
    need(os.path.exists(DEBIAN_311), "Debian's python3.11 is not installed")
    return DEBIAN_311, ("--switch-allocator",)


def describe(report):
    return "; ".join(f"{top_frame(s)} {s['bytes']}B {s['windows_survived']}/"
                     f"{s['windows_seen']}{' LEAK' if s['persistent'] else ''}"
                     for s in report["sites"][:6])


# Alert thresholds for these short runs: a 6 s trend window, and rates far
# below every leaking program's and far above what noise gives.
ALERTS = ("--window", 6, "--alert-rate", "64K", "--alert-min-bytes", "64K")
# fmt_append keeps one string per ~1000 allocations: under the probes' cost
# that is a few KiB per second of capture, so its alert needs lower ones
SLOW_ALERTS = {"fmt_append": ("--alert-rate", "16K", "--alert-min-bytes", "8K")}


def profile(start_target, python, extra, scenario, seconds=11, runs=None):
    t = start_target(python, "accuracy.py", scenario, 60)
    run = pyleak("--pid", t.pid, "--interval", seconds / 3, "--duration", seconds,
                 *FAST_WINDOWS, *ALERTS, *extra)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["capture"]["mode"] == "growth"
    assert final["windows"]["settled"] >= 3, final["windows"]
    if runs is not None:
        runs.append(run)
    return final


def alerts(run):
    """Every alert transition of the run, in order (each is printed once)."""
    return [a for r in run.reports for a in r["alerts"]]


@pytest.mark.parametrize("build", ["pyenv-3.11", "debian-3.11"])
@pytest.mark.parametrize("scenario", sorted(LEAKING))
def test_leak_ranked_first(build, scenario, start_target):
    python, extra = interpreter(build)
    runs = []
    slow = SLOW_ALERTS.get(scenario, ())
    final = profile(start_target, python, (*extra, *slow), scenario, runs=runs)
    line = leak_line("accuracy.py", f"# LEAK_LINE:{scenario}")
    assert final["sites"], f"no survivors: {final}"
    top = final["sites"][0]
    assert top_frame(top) == ("accuracy.py", line, LEAKING[scenario]), describe(final)
    assert top["persistent"] and top["evidence"] == "survivors", describe(final)
    assert top["windows_survived"] >= 2
    # exactly one alert names the leaking line, raised once, never resolved;
    # any other alert is on a site that really keeps memory too (the dict
    # scenario's keys are ints made at `i += 1` in main: they leak with it)
    transitions = alerts(runs[0])
    on_line = [a for a in transitions if a["frames"] and
               (Path(a["frames"][0]["file"]).name, a["frames"][0]["line"]) == ("accuracy.py", line)]
    assert len(on_line) == 1, transitions
    a = on_line[0]
    assert a["state"] == "leak_suspect" and a["subject"] == "site", a
    assert a["frames"][0]["func"] == LEAKING[scenario], a
    assert a["rate_bytes_per_min"] >= (16 if slow else 64) << 10, a
    assert a["windows_survived"] >= 2, a
    persistent = {s["id"] for s in final["sites"] if s["persistent"]}
    for other in transitions:
        assert other["state"] == "leak_suspect" and other["id"] in persistent, other
    assert top["alert"] and final["trend"]["alerts_active"] == len(transitions)
    if scenario == "cycles":
        # the program calls gc.disable(): the report says so
        assert final["gc"]["enabled"] is False, final["gc"]
        assert any("garbage collector is disabled" in w for w in final["warnings"])
    else:
        assert final["gc"]["enabled"] is True


@pytest.mark.parametrize("build", ["pyenv-3.11", "debian-3.11"])
@pytest.mark.parametrize("scenario", NOT_LEAKING)
def test_no_persistent_site(build, scenario, start_target):
    python, extra = interpreter(build)
    runs = []
    final = profile(start_target, python, extra, scenario, runs=runs)
    assert not [s for s in final["sites"] if s["persistent"]], describe(final)
    assert final["windows"]["persistent_sites"] == 0
    # nor any alert, for a site or the process, over the run's windows
    assert alerts(runs[0]) == [], alerts(runs[0])
    assert final["trend"]["alerts_raised"] == 0


def test_lto_without_switch_sees_native_leak(start_target):
    """Debian's LTO build without --switch-allocator: windows see only large
    and native allocations, and say so; a ctypes malloc leak is still found."""
    python, _ = interpreter("debian-3.11")
    final = profile(start_target, python, (), "ctypes")
    assert "PARTIAL" in final["windows"]["capture"]
    assert any("--switch-allocator" in w for w in final["warnings"])
    line = leak_line("accuracy.py", "# LEAK_LINE:ctypes")
    assert top_frame(final["sites"][0]) == ("accuracy.py", line, "leak_native"), describe(final)


def test_kernel_counters_and_huge_pages(tmp_path):
    """A fault that maps a transparent huge page counts 2 MiB: what the kernel
    reports mapped (AnonHugePages) is what the counters say."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    out = tmp_path / "r.json"
    run = pyleak("--interval", 10, "--window-budget", 0, "--", py, TARGETS / "thp.py", 2,
                 output=out)
    assert run.rc == 0, run.stderr
    words = next(l for l in run.stdout.splitlines() if l.startswith("THP")).split()
    huge, anon = int(words[1]), int(words[3])
    g = run.final["growth"]
    assert g["faults"] > 0 and g["mmap_bytes"] >= 64 << 20, g
    assert g["munmap_bytes"] >= 64 << 20, g  # the mapping was closed at exit
    if huge:
        # 32 huge faults mapped 64 MiB: counted as bytes, not as 32 pages
        assert g["thp_bytes"] == huge, (g, huge)
        assert g["thp_faults"] == huge // (2 << 20), g
    else:
        assert g["thp_faults"] == 0, g
    # everything the touch loop made resident was counted as mapped by faults
    assert g["fault_bytes"] >= anon, (g, anon)
    assert run.final["windows"]["opened"] == 0  # --window-budget 0


def test_window_on_demand(start_target):
    """No scheduled, first or growth windows: SIGUSR1 opens one, beyond the
    budget, and its survivors are ranked."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "accuracy.py", "dict", 60)
    proc = subprocess.Popen(
        [BINARY, "--format", "json", "--pid", str(t.pid), "--interval", "12", "--duration", "12",
         "--first-window", "-1", "--window-every", "0", "--growth-trigger", "0",
         "--window-budget", "0", "--window-time", "1", "--follow", "1", "--window-allocs",
         "3000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # three windows: the verdict wants most settled windows kept, one of
    # the latest two among them, so one window whose survivors the dict's
    # growth happened to free is not the whole evidence
    for _ in range(3):
        time.sleep(2 if _ == 0 else 3)
        proc.send_signal(signal.SIGUSR1)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    w = final["windows"]
    assert w["opened"] == 3 and w["settled"] == 3 and w["last_reason"] == "on demand", w
    line = leak_line("accuracy.py", "# LEAK_LINE:dict")
    assert top_frame(final["sites"][0]) == ("accuracy.py", line, "leak_dict"), describe(final)
    assert final["sites"][0]["persistent"]
    # the capture was bounded: 3 windows of 3000 tracked allocations, plus
    # the traps taken while the probes are being removed (uprobe unregister
    # waits for an RCU grace period per probe: tens of ms on this VM), plus
    # the reallocs of each 1 s follow phase (the follow keeps the realloc
    # probes, which free the old block: a few hundred a second here; they
    # are counted as allocator hits but track nothing)
    assert final["capture"]["alloc_hits"] <= 3 * (3000 + 2500 + 1000), final["capture"]


def test_budget_limits_windows(start_target):
    """Growth never stops, but a 3 s budget buys one 2.5 s window at most."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "accuracy.py", "dict", 60)
    run = pyleak("--pid", t.pid, "--interval", 8, "--duration", 8, "--first-window", 0.5,
                 "--window-every", 0.5, "--window-time", 1, "--follow", 1.5, "--growth-trigger",
                 "64K", "--window-budget", 3)
    assert run.rc == 0, run.stderr
    w = run.final["windows"]
    assert w["opened"] == 1, w
    assert w["spent_last_hour_s"] <= 3.0, w


def test_many_sigusr1_while_writing_to_a_full_pipe(start_target):
    """SIGUSR1 (a window on demand) arriving while a report is being written
    to a full pipe must neither kill the profiler nor cut a report."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "accuracy.py", "dict", 60)
    proc = subprocess.Popen(
        [BINARY, "--format", "json", "--pid", str(t.pid), "--interval", "0.1", "--duration",
         "8", "--first-window", "-1", "--window-every", "0", "--growth-trigger", "0",
         "--window-time", "0.5", "--follow", "0.5", "--stacks", "--top", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # nobody reads stdout yet: the pipe fills and report writes block
    time.sleep(4)
    for _ in range(200):
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.002)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) > 20, len(lines)
    reports = [json.loads(l) for l in lines]  # every line whole
    assert reports[-1]["final"], reports[-1]


def traced_threads(pid):
    """TIDs of pid's threads that have a tracer."""
    traced = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                tracer = [l for l in f if l.startswith("TracerPid:")][0].split()[1]
        except (OSError, IndexError):
            continue
        if tracer != "0":
            traced.append(int(tid))
    return traced


def wait_windows_settled(out, n, timeout=20):
    """The last report of out (JSON lines) once n windows have settled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = out.read_text().splitlines() if out.exists() else []
        if lines and json.loads(lines[-1])["windows"]["settled"] >= n:
            return json.loads(lines[-1])
        time.sleep(0.2)
    raise AssertionError(f"{n} windows did not settle: {lines[-1:] if lines else 'no report'}")


def test_switch_with_a_thread_in_uninterruptible_sleep(start_target, tmp_path):
    """A thread blocked in posix_spawn (state D, it cannot be stopped) while
    windows switch the allocator: it must not stay traced, and every window
    still opens, switches and settles."""
    need(os.path.exists(DEBIAN_311), "Debian's python3.11 is not installed")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    t = start_target(DEBIAN_311, "spawn_stuck.py", fifo, 10)
    out = tmp_path / "r.json"
    proc = subprocess.Popen(
        [BINARY, "--format", "json", "--output", str(out), "--pid", str(t.pid),
         "--switch-allocator", "--interval", "0.5", "--first-window", "0.5",
         "--window-every", "0", "--growth-trigger", "0", "--warmup", "0", "--window-time", "1",
         "--follow", "1", "--window-allocs", "5000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = wait_windows_settled(out, 1)
        assert r["windows"]["opened"] == 1, r["windows"]
        assert not traced_threads(t.pid), "a thread stayed traced after window 1"
        proc.send_signal(signal.SIGUSR1)
        r = wait_windows_settled(out, 2)
        assert not traced_threads(t.pid), "a thread stayed traced after window 2"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "not opened" not in err, err
        final = json.loads(out.read_text().splitlines()[-1])
        assert final["windows"]["opened"] == 2, final["windows"]
        assert top_frame(final["sites"][0]) == \
            ("spawn_stuck.py", leak_line("spawn_stuck.py"), "main"), final["sites"][:3]
    finally:
        if proc.poll() is None:
            proc.kill()
        with open(fifo, "w"):  # lets the spawn finish
            pass
    rc, tout, _ = t.finish(timeout=60)
    assert rc == 0 and tout.split()[-3:] == ["DONE", "True", "True"], tout


def test_windows_survive_late_imports(start_target):
    """A target that imports C extension modules after attach maps new
    libraries below libc: windows keep opening (libc's malloc is still
    found) and the leak is still ranked first."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "late_imports.py", 30, 1.0)
    run = pyleak("--pid", t.pid, "--interval", 3, "--duration", 11, *FAST_WINDOWS)
    assert run.rc == 0, run.stderr
    assert "has no malloc function" not in run.stderr, run.stderr
    assert "not opened" not in run.stderr, run.stderr
    final = run.final
    w = final["windows"]
    # the imports are over after about 4 s; windows settle after them
    assert w["settled"] >= 4, (w, run.stderr)
    assert w["settled"] >= w["opened"] - 2, (w, run.stderr)
    line = leak_line("leaky.py")  # late_imports.py leaks through leaky.leak
    assert top_frame(final["sites"][0]) == ("leaky.py", line, "leak"), describe(final)
    assert final["sites"][0]["persistent"], describe(final)


def test_default_settings_answer_within_the_run(start_target):
    """At default settings the warm-up windows open back to back: the first
    reports say when the verdict will come, and within the run the leaking
    line is judged persistent and alerted on (make bench measures how soon)."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "rate_leak.py", 100, 60)
    run = pyleak("--pid", t.pid, "--interval", 2, "--duration", 20)
    assert run.rc == 0, run.stderr
    first = run.reports[0]["windows"]
    assert first["verdict_after_window"] == 2 and first["verdict_eta_s"] > 0, first
    reasons = {r["windows"]["last_reason"] for r in run.reports}
    assert "warm-up" in reasons, reasons
    final = run.final
    assert final["windows"]["verdict_after_window"] is None
    top = final["sites"][0]
    assert top_frame(top) == ("rate_leak.py", leak_line("rate_leak.py", "# LEAK_LINE"), "leak")
    assert top["persistent"] and top["alert"], describe(final)
    # the default follow is 10 s; warm-up windows follow at most 3 s, so
    # three of them settle within the 20 s run
    assert final["windows"]["settled"] >= 3, final["windows"]


@pytest.mark.parametrize("build", [
    "pyenv-3.11",
    pytest.param("debian-3.11", marks=pytest.mark.xfail(
        strict=True, reason="known limit: LTO inlines PyObject_GC_UnTrack into the "
        "deallocators, so no probe sees a list parked on the free list, and the lists "
        "another line takes from it pass for survivors of the churning line")),
])
def test_free_list_reuse_blames_no_churning_line(build, start_target):
    """A line that churns lists beside one that keeps empty lists, which it
    takes from the list free list, so each list the churning line drops
    lives on as a kept one without any allocator call or free: the churning
    line keeps nothing and must be neither persistent nor alerted on (a
    GC object's deallocation counts as its free, capture.h)."""
    python, extra = interpreter(build)
    runs = []
    final = profile(start_target, python, extra, "freelist", runs=runs)
    churn = ("accuracy.py", leak_line("accuracy.py", "# CHURN"))
    blamed = [s for s in final["sites"] if s["persistent"] and top_frame(s)[:2] == churn]
    assert not blamed, describe(final)
    assert not [a for a in alerts(runs[0]) if a["frames"] and
                (Path(a["frames"][0]["file"]).name, a["frames"][0]["line"]) == churn], \
        alerts(runs[0])
