# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of finding the allocating thread's Python state when the
target has more threads than BPF's own walk of the thread list covers (the
newest 64): a server's idle pool must not cost the main thread its stack."""
import pytest

from conftest import assert_top_site, leak_line, need, pyenv_python, pyleak
from test_versions import ChrootTarget

LEAK = leak_line("idle_threads.py")


def assert_main_leak_with_frame(final):
    assert_top_site(final, "idle_threads.py", LEAK, "main")
    # Allocations without a Python state are counted. The main thread makes
    # most of them, so losing its state loses most; a few are native
    # allocations made outside the interpreter (libc probes see those too).
    cap = final["capture"]
    assert cap["drops"]["no_tstate"] * 100 < cap["alloc_hits"], cap


@pytest.mark.parametrize("version", ["3.12.1", "3.13.0"])
def test_main_thread_leak_beside_100_idle_threads(version, start_target):
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    t = start_target(py, "idle_threads.py", 100, 30)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 4)
    assert run.rc == 0, run.stderr
    assert_main_leak_with_frame(run.final)


def test_main_thread_leak_beside_100_idle_threads_debian_314():
    # Debian's static, stripped, LTO 3.14: attached with the allocator switch
    t = ChrootTarget("sid", 30, "idle_threads.py", (100,))
    try:
        run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, "--duration", 4,
                     "--switch-allocator")
        assert run.rc == 0, run.stderr
        assert run.final["process"]["python_version"].startswith("3.14")
        assert_main_leak_with_frame(run.final)
    finally:
        t.kill()
