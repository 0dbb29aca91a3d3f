# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of incidents: one leak pages once.

tests/targets/incidents.py leaks twice: logging keeps a logger per request
(allocated at many lines inside the standard library, below one application
line) and a list keeps a record per request. The alerts of the first must
form one incident headed by the application's line, not by a logging line;
the second is an incident of its own.
"""
from pathlib import Path

from conftest import leak_line, need, pyenv_python, pyleak

FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)
ALERTS = ("--window", 6, "--alert-rate", "64K", "--alert-min-bytes", "64K")


def head(inc):
    return Path(inc["head"]["file"]).name, inc["head"]["line"], inc["head"]["func"]


def test_one_incident_per_leak(start_target):
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "incidents.py", 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 12, *FAST_WINDOWS, *ALERTS,
                 "--fail-on-leak")
    assert run.rc == 3, run.stderr  # --fail-on-leak: leaks were raised
    final = run.final
    logging_head = ("incidents.py", leak_line("incidents.py", "# HEAD:logging"), "handle_request")
    sessions_head = ("incidents.py", leak_line("incidents.py", "# HEAD:sessions"),
                     "remember_session")
    active = [i for i in final["incidents"] if i["state"] == "leak_suspect"]
    heads = sorted(head(i) for i in active)
    assert logging_head in heads and sessions_head in heads, final["incidents"]
    by_head = {head(i): i for i in active}
    assert not any(i["head_in_library"] for i in active)

    # every alert raised in the run names its incident, and the incident's
    # head frame is in its stack: nothing is left ungrouped
    transitions = [a for r in run.reports for a in r["alerts"] if a["subject"] == "site"]
    ids = {i["id"]: i for r in run.reports for i in r["incidents"]}
    for a in transitions:
        assert a["incident"] in ids, a
        h = ids[a["incident"]]["head"]
        assert any((f["file"], f["line"], f["func"]) == (h["file"], h["line"], h["func"])
                   for f in a["frames"]), (a, h)
    # the logging leak is allocated inside logging: some member's innermost
    # frame is a logging line, yet the incident is headed by the app's line
    inner = [Path(a["frames"][0]["file"]).parent.name for a in transitions
             if a["incident"] == by_head[logging_head]["id"]]
    assert "logging" in inner, inner
    members = by_head[logging_head]["members"]
    assert len(set(members)) == len(members) >= 2, by_head[logging_head]
    # summed figures are the members' own
    assert by_head[logging_head]["rate_bytes_per_min"] > 0
    assert final["trend"]["incidents_active"] == len(active)
    # an incident is raised once: one stderr line each, however many sites
    raised = [l for l in run.stderr.splitlines() if "leak_suspect: leak at" in l]
    assert len(raised) == final["trend"]["incidents_raised"] >= 2, run.stderr
    assert sum("handle_request" in l for l in raised) == 1, run.stderr
    assert sum(len(i["members"]) for i in active) == final["trend"]["alerts_active"]


def test_group_by_head_rows_are_incidents(start_target):
    """--group-by head: the logging leak, allocated at many lines inside the
    standard library, is one row keyed by the application line that calls
    logging, and that row's id is the incident's id."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "incidents.py", 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 12, *FAST_WINDOWS, *ALERTS,
                 "--group-by", "head", "--top", 50)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["group_by"] == "head"
    logging_head = ("incidents.py", leak_line("incidents.py", "# HEAD:logging"), "handle_request")
    rows = {(Path(s["frames"][0]["file"]).name, s["frames"][0]["line"], s["frames"][0]["func"]): s
            for s in final["sites"]}
    assert logging_head in rows, list(rows)
    assert all(len(s["frames"]) == 1 for s in final["sites"])
    assert not any(Path(s["frames"][0]["file"]).parent.name == "logging"
                   for s in final["sites"]), list(rows)
    incidents = {head(i): i for r in run.reports for i in r["incidents"]}
    assert logging_head in incidents, incidents.keys()
    assert rows[logging_head]["id"] == incidents[logging_head]["id"]


def test_churn_raises_no_incident(start_target):
    """The churning line's lists, parked on the list free list and taken by
    logging for each new Logger's lists, were survivors of the churning line
    until deallocations counted as frees: a third, false incident."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "incidents.py", 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 12, *FAST_WINDOWS, *ALERTS)
    assert run.rc == 0, run.stderr
    heads = {head(i)[2] for r in run.reports for i in r["incidents"]}
    assert heads == {"handle_request", "remember_session"}, heads
