# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Shared machinery of the end-to-end tests: real Python processes under the
real pyleak-bpf binary and its BPF programs.

A test that needs something this machine lacks (root, BPF, an interpreter) is
skipped with the reason; under CI (CI=true) a skip is a failure instead, so
nothing can pass silently there.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# PYLEAK_BINARY picks another build of the tool (make asan: ./pyleak-bpf-asan);
# relative paths are from the top of the tree.
BINARY = ROOT / os.environ.get("PYLEAK_BINARY", "pyleak-bpf")
TARGETS = ROOT / "tests" / "targets"
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
IN_CI = os.environ.get("CI") == "true"


# The end-to-end tests make asan runs against the ASan+UBSan binary (marked
# asan below): both modes, attach and run mode, exec, growth windows with the
# allocator switch, and the profiler stopped by a signal (its exit path).
ASAN_SUBSET = (
    "test_core.py::test_attach_direct_ranks_leak_first",
    "test_core.py::test_attach_switch_on_lto_build",
    "test_core.py::test_run_mode_pythonmalloc",
    "test_core.py::test_profiler_stopped_restores",
    "test_growth.py::test_leak_ranked_first[dict-debian-3.11]",
    "test_launch.py::test_run_mode_follows_exec",
    "test_launch.py::test_exec_into_non_python",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "asan: part of the subset make asan runs (ASAN_SUBSET)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.nodeid.split("e2e/")[-1].startswith(k) for k in ASAN_SUBSET):
            item.add_marker(pytest.mark.asan)


def need(condition, why):
    """Skip loudly when a prerequisite is missing; fail under CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail("missing prerequisite in CI: " + why)
    pytest.skip(why)


@pytest.fixture(autouse=True)
def _prerequisites():
    need(os.geteuid() == 0, "needs root for BPF")
    need(BINARY.exists(), "pyleak-bpf is not built (run make)")
    need(Path("/sys/kernel/btf/vmlinux").exists(), "kernel has no BTF")


def pyenv_python(version):
    return PYENV / version / "bin" / "python3"


@pytest.fixture
def py311():
    """pyenv's CPython 3.11.7 (shared libpython, no LTO): the usual target."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


def leak_line(script, marker="# LEAK_LINE"):
    """1-based line number of the marked line of a target script."""
    for n, line in enumerate((TARGETS / script).read_text().splitlines(), 1):
        if marker in line:
            return n
    raise AssertionError(f"{script} has no {marker}")


class Target:
    """A Python program started for a test; killed at the end if still alive."""

    def __init__(self, argv, env=None):
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, start_new_session=True)
        line = self.proc.stdout.readline()
        if "READY" not in line:
            out, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"target did not start: {line!r} {out!r} {err!r}")
        self.pid = self.proc.pid

    def finish(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def start_target():
    started = []

    def start(python, script, *args, env=None):
        t = Target([str(python), str(TARGETS / script), *map(str, args)], env=env)
        started.append(t)
        return t

    yield start
    for t in started:
        t.kill()


class Run:
    """Result of one pyleak-bpf run with --format json."""

    def __init__(self, proc, out, err, report_file=None):
        self.rc = proc.returncode
        self.stderr = err
        text = Path(report_file).read_text() if report_file else out
        self.reports = [json.loads(l) for l in text.splitlines() if l.startswith('{"type":"report"')]
        self.stdout = out

    @property
    def final(self):
        assert self.reports, f"no report; rc={self.rc} stderr={self.stderr}"
        assert self.reports[-1]["final"], "last report is not final"
        return self.reports[-1]


def pyleak(*args, timeout=120, output=None):
    """Run pyleak-bpf with args (JSON output) and wait for it."""
    argv = [str(BINARY), "--format", "json", *map(str, args)]
    if output:
        argv[1:1] = ["--output", str(output)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=timeout)
    return Run(proc, out, err, output)


def top_frame(site):
    f = site["frames"][0]
    return Path(f["file"] or "?").name, f["line"], f["func"]


def assert_top_site(report, script, line, func):
    assert report["sites"], f"no sites in report: {report}"
    top = report["sites"][0]
    assert top_frame(top) == (script, line, func), \
        f"top site is {top_frame(top)}, expected {(script, line, func)}; sites: " + \
        "; ".join(f"{top_frame(s)} {s['bytes']}B" for s in report["sites"][:5])


def fdinfo(pid):
    """The "key: value" lines of each of pid's /proc/PID/fdinfo entries, one
    dict per open descriptor (values stripped); descriptors closed meanwhile
    are left out."""
    infos = []
    for fd in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            text = fd.read_text()
        except OSError:
            continue
        infos.append({k.strip(): v.strip() for k, _, v in
                      (l.partition(":") for l in text.splitlines()) if _})
    return infos
