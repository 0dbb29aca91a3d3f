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
    # Attached, not run: table-function probes keep the churn quick. The
    # leak lasts 6 s: enough samples for alloc mode's growth ranking.
    t = start_target(pyenv311, "thread_churn.py", 17000, 6)
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


# growth mode with short, frequent windows (as in test_growth.py)
FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)


def test_growth_small_max_sites_sees_late_leak(pyenv311, start_target):
    # Hundreds of generated functions that allocate only temporaries, one
    # after another, against --max-sites 64: sites that are over must be
    # deleted from the maps, or the table is full long before the leak
    # starts (7 s in) and the leak is never seen.
    t = start_target(pyenv311, "transient_sites.py", 7, 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 20, "--max-sites", 64,
                 *FAST_WINDOWS)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["capture"]["mode"] == "growth"
    drops = final["capture"]["drops"]
    assert list(drops) == DROP_NAMES
    assert drops["sites_full"] == 0 and drops["stacks_full"] == 0, drops
    assert_top_site(final, "transient_sites.py", leak_line("transient_sites.py"), "leak")
    assert final["sites"][0]["persistent"], (final["windows"], final["sites"][0])
