# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the fix hints and of leaks that are not bytes.

Each leaking accuracy program's alert must carry the hint its evidence
supports (tests/unit/test_fixhints.c has the rules on synthetic evidence);
a program leaking file descriptors or threads must raise fd_leak or
thread_leak with its hint, and one that opens and closes them must not.
"""
import pytest

from conftest import need, pyenv_python, pyleak

FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)
ALERTS = ("--window", 6, "--alert-rate", "64K", "--alert-min-bytes", "64K")
HINTS = {
    # scenario: (function of the leaking line, words of its hint)
    "cycles": ("make_cycle", "reference cycles"),
    "ctypes": ("leak_native", "native allocation in libffi"),
    "listeners": ("Listener.__init__", "instances of Listener kept alive"),
    "dict": ("leak_dict", "unbounded cache or registry"),
}


def py311():
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


@pytest.mark.parametrize("scenario", sorted(HINTS))
def test_alert_carries_its_hint(scenario, start_target):
    t = start_target(py311(), "accuracy.py", scenario, 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 12, *FAST_WINDOWS, *ALERTS,
                 "--census-every", 2)
    assert run.rc == 0, run.stderr
    func, words = HINTS[scenario]
    raised = [i for r in run.reports for i in r["incidents"] if i["raised_now"]]
    mine = [i for i in raised if i["head"]["func"] == func]
    assert len(mine) == 1, raised
    assert mine[0]["hint"] and words in mine[0]["hint"], mine[0]
    # the site alert under it says the same, and stderr shows the hint
    site = [a for r in run.reports for a in r["alerts"] if a["incident"] == mine[0]["id"]
            and a["frames"][0]["func"] == func]
    assert site and words in (site[0]["hint"] or ""), site
    assert "hint: " + mine[0]["hint"] in run.stderr


@pytest.mark.parametrize("what,state", [("fds", "fd_leak"), ("threads", "thread_leak")])
def test_resource_leak_alert(what, state, start_target):
    t = start_target(py311(), "resources.py", what, 60)
    run = pyleak("--pid", t.pid, "--interval", 2, "--duration", 14, "--window", 8,
                 "--alert-fds", 16, "--alert-threads", 8)
    assert run.rc == 0, run.stderr
    alerts = [a for r in run.reports for a in r["alerts"] if a["subject"] == what]
    assert [a["state"] for a in alerts] == [state], alerts
    a = alerts[0]
    assert a["rate_bytes_per_min"] >= 60, a  # a count per minute here: 10 or 20/s
    assert a["p_value"] < 0.01 and a["incident"] is None, a
    assert ("with" if what == "fds" else "join") in a["hint"], a
    trend = run.final["trend"]
    assert trend[what] >= 60 and trend[f"{what}_trend"] == "growing", trend
    assert f"{state}: open {what} of the process" in run.stderr


def test_resources_opened_and_closed_raise_none(start_target):
    t = start_target(py311(), "resources.py", "none", 60)
    run = pyleak("--pid", t.pid, "--interval", 2, "--duration", 14, "--window", 8,
                 "--alert-fds", 16, "--alert-threads", 8)
    assert run.rc == 0, run.stderr
    assert not [a for r in run.reports for a in r["alerts"]
                if a["subject"] in ("fds", "threads")]
    trend = run.final["trend"]
    assert trend["fds"] < 16 and trend["threads"] <= 3, trend
