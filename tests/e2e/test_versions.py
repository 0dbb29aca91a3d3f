# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every CPython users run: the leak test on each interpreter of the support
table, symbolised to the leaking file:line function.

Debian's builds of other versions live in minimal chroots made by
tests/setup_chroots.sh (bullseye 3.9, trixie 3.13, sid 3.14); their targets
run as `unshare --mount --pid --fork chroot DIR python3 ...`, like a
container: own mount and PID namespaces, files only under the chroot."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import TARGETS, assert_top_site, leak_line, need, pyenv_python, pyleak

CHROOTS = Path(os.environ.get("PYLEAK_CHROOT_CACHE", "/var/cache/pyleak-bpf/chroots"))
LEAK = leak_line("leaky.py")

# (id, how to find it): pyenv versions (shared libpython, symbols, no LTO)
PYENV_VERSIONS = ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"]
# Debian builds (static, stripped, LTO, USDT) in chroots
CHROOT_SUITES = {"bullseye": "3.9", "trixie": "3.13", "sid": "3.14"}


def prepared_chroot(suite, script="leaky.py"):
    """The chroot of suite with tests/targets/SCRIPT copied into /opt."""
    root = CHROOTS / suite
    need((root / ".complete").exists(), f"chroot {suite} missing: run tests/setup_chroots.sh")
    dest = root / "opt" / "pyleak-targets"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(TARGETS / script, dest / script)
    return root


def chroot_python_pid(session):
    """The host PID of python3 in session (started with start_new_session):
    the child of unshare's forked child."""
    for _ in range(50):
        out = subprocess.run(["pgrep", "-s", str(session), "-x", "python3"],
                             capture_output=True, text=True).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.1)
    raise AssertionError("python3 in the chroot not found")


class ChrootTarget:
    """leaky.py (or script with args) inside a chroot with its own mount and
    PID namespaces."""

    def __init__(self, suite, seconds, script="leaky.py", args=()):
        root = prepared_chroot(suite, script)
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--pid", "--fork", "chroot", str(root), "python3",
             f"/opt/pyleak-targets/{script}", *map(str, args), str(seconds)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert "READY" in self.proc.stdout.readline()
        self.pid = self._python_pid()

    def _python_pid(self):
        return chroot_python_pid(self.proc.pid)

    def finish(self):
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, out, err

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


@pytest.fixture
def chroot_target():
    made = []

    def make(suite, seconds, script="leaky.py"):
        t = ChrootTarget(suite, seconds, script)
        made.append(t)
        return t

    yield make
    for t in made:
        t.kill()


@pytest.mark.parametrize("version", PYENV_VERSIONS)
def test_pyenv_attach_direct(version, start_target):
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    t = start_target(py, "leaky.py", 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 5)
    assert run.rc == 0, run.stderr
    assert run.final["process"]["python_version"].startswith(version.rsplit(".", 1)[0])
    assert_top_site(run.final, "leaky.py", LEAK, "leak")
    assert run.final["capture"]["gc_collections"] is not None


@pytest.mark.parametrize("version", PYENV_VERSIONS)
def test_pyenv_run_mode_pythonmalloc(version, tmp_path):
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    run = pyleak("--mode", "alloc", "--interval", 2, "--", py, TARGETS / "leaky.py", 4, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    assert "PYTHONMALLOC=malloc" in run.final["capture"]["method"]
    assert_top_site(run.final, "leaky.py", LEAK, "leak")


@pytest.mark.parametrize("suite", sorted(CHROOT_SUITES))
def test_debian_chroot_attach_switch(suite, chroot_target):
    t = chroot_target(suite, 12)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 5, "--switch-allocator")
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["process"]["python_version"].startswith(CHROOT_SUITES[suite])
    assert "LTO" in final["process"]["build"] and "stripped" in final["process"]["build"]
    assert_top_site(final, "leaky.py", LEAK, "leak")
    assert final["capture"]["gc_collections"] is not None
    rc, out, _ = t.finish()
    assert rc == 0 and out.strip().endswith("True"), out


@pytest.mark.parametrize("suite", sorted(CHROOT_SUITES))
def test_debian_chroot_run_mode_pythonmalloc(suite, tmp_path):
    root = prepared_chroot(suite)
    # like a container: python3 is a grandchild in its own PID namespace,
    # found below unshare's forked child and profiled by its host PID
    run = pyleak("--mode", "alloc", "--interval", 2, "--", "unshare", "--mount", "--pid",
                 "--fork", "chroot", root, "python3", "/opt/pyleak-targets/leaky.py", 4,
                 output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    assert "PYTHONMALLOC=malloc" in run.final["capture"]["method"]
    assert_top_site(run.final, "leaky.py", LEAK, "leak")


@pytest.mark.parametrize("suite", sorted(CHROOT_SUITES))
def test_debian_chroot_blind_without_switch(suite, chroot_target):
    t = chroot_target(suite, 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 4)
    assert run.rc == 10, (run.rc, run.stderr)
    assert run.final["sites"] == []


@pytest.mark.parametrize("suite", sorted(CHROOT_SUITES))
def test_debian_chroot_blind_bytes_leak(suite, chroot_target):
    """A thread leaking bytes, which the GC never counts: the probes' blindness
    shows in the memory the process gains, and is reported (issue 10, item 6)."""
    t = chroot_target(suite, 30, "bytes_leak.py")
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 6)
    final = run.final
    blind = [w for w in final["warnings"] if w.startswith("probes are blind")]
    if run.rc == 10:
        assert blind and "anonymous memory grown by" in blind[0], final["warnings"]
        assert "--switch-allocator" in blind[0]
        assert final["sites"] == []
    else:  # profiled after all: then the leak is seen and ranked first
        assert run.rc == 0, (run.rc, run.stderr)
        assert not blind
        assert_top_site(final, "bytes_leak.py", leak_line("bytes_leak.py"), "worker")


# Growth mode (the default) attached, on every interpreter: short, frequent
# windows so that several settle within the run.
GROWTH_FAST = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
               "--window-allocs", 5000, "--window-budget", 3600)


def assert_growth_leak_first(final):
    assert final["capture"]["mode"] == "growth"
    assert final["windows"]["settled"] >= 2, final["windows"]
    assert_top_site(final, "leaky.py", LEAK, "leak")
    assert final["sites"][0]["persistent"], final["sites"][0]
    assert final["growth"]["faults"] > 0


@pytest.mark.parametrize("version", PYENV_VERSIONS)
def test_pyenv_growth_attach(version, start_target):
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    t = start_target(py, "leaky.py", 30)
    run = pyleak("--pid", t.pid, "--interval", 9, "--duration", 9, *GROWTH_FAST)
    assert run.rc == 0, run.stderr
    assert_growth_leak_first(run.final)


@pytest.mark.parametrize("suite", sorted(CHROOT_SUITES))
def test_debian_chroot_growth_attach(suite, chroot_target):
    t = chroot_target(suite, 20)
    # 12 s: room for a third settled window under the per-window switch
    run = pyleak("--pid", t.pid, "--interval", 12, "--duration", 12, "--switch-allocator",
                 *GROWTH_FAST)
    assert run.rc == 0, run.stderr
    assert "switched during each window" in run.final["windows"]["capture"]
    assert_growth_leak_first(run.final)
    rc, out, _ = t.finish()
    assert rc == 0 and out.strip().endswith("True"), out
