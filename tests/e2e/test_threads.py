# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of finding the allocating thread's Python state when the
target has more threads than BPF's own walk of the thread list covers (the
newest 64): a server's idle pool must not cost the main thread its stack."""
import pytest

from conftest import assert_top_site, leak_line, need, pyenv_python, pyleak, top_frame
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


@pytest.mark.parametrize("version", ["3.10.13", "3.11.7", "3.13.0"])
def test_thread_on_ended_threads_fsbase_gets_its_own_stack(version, start_target):
    # glibc starts a new thread on an ended one's cached stack, so with its
    # FS base, the key by which BPF finds a thread's state; the ended
    # thread's freed state still holds that FS base as its thread id. The
    # new thread's leak must come out under its own line from its first
    # allocation, not as "no Python frame" read through the dead state
    # until a refresh corrects the cache (seen in CI on 3.11, where the
    # whole leak was lost). 3.10 has no native thread id to check (thread
    # exit and the GIL holder cover it), 3.11 has both, 3.13 no GIL holder.
    py = pyenv_python(version)
    need(py.exists(), f"pyenv {version} is not installed")
    t = start_target(py, "thread_reuse.py", 1.5)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 2, timeout=60)
    rc, out, _ = t.finish()
    assert rc == 0 and "DONE" in out, out
    assert "REUSE True True" in out, f"the case under test did not arise: {out}"
    assert run.rc == 9 and "exited" in run.stderr, run.stderr
    final = run.final
    assert_top_site(final, "thread_reuse.py", leak_line("thread_reuse.py"), "leaker")
    # a refresh corrects a stale cache within a second: the leak's first
    # second would be lost to a frameless site, some 60% of it
    lost = sum(s["bytes"] for s in final["sites"] if top_frame(s)[2] == "<no Python frame>")
    assert lost * 50 < final["sites"][0]["bytes"], \
        f"{lost} B without a Python frame beside {final['sites'][0]['bytes']} B"
