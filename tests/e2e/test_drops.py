# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of what the capture keeps and what it loses: per-thread
state that must not fill up with threads that are gone, site maps that must
not fill up with sites that are gone, and drop counters that reach the
report by name."""
import pytest

from conftest import assert_top_site, leak_line, need, pyenv_python, pyleak

DROP_NAMES = ["live_full", "sites_full", "inflight_full", "stacks_full", "sw_full",
              "read_fault", "truncated", "no_tstate", "hint_drops"]


@pytest.fixture
def pyenv311():
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


def test_many_short_lived_threads_keep_capture(pyenv311, start_target):
    # 17000 threads, one after another, each allocating: more distinct
    # threads than the in-flight map holds (16384). The thread that leaks
    # starts after them all, so a map that kept every thread it ever saw
    # has no room left for it (inflight_full grew, the leak went unseen).
    # Attached, not run: table-function probes keep the churn quick.
    t = start_target(pyenv311, "thread_churn.py", 17000, 3)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 5, timeout=180)
    rc, out, _ = t.finish()
    assert rc == 0 and "CHURNED 17000" in out and "DONE" in out, out
    assert run.rc == 9 and "exited" in run.stderr, run.stderr  # the target ended the run
    final = run.final
    drops = final["capture"]["drops"]
    assert list(drops) == DROP_NAMES
    assert drops["inflight_full"] == 0, drops
    assert final["capture"]["dropped"] == 0
    assert_top_site(final, "thread_churn.py", leak_line("thread_churn.py"), "leaker")
