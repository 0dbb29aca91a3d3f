# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the judgement in alloc mode: trend alerts over a
short --window (a leaking program raises exactly one, on its leaking line,
within two windows; programs that do not leak raise none over several),
--fail-on-leak's exit status, and --group-by. Growth mode's alerts are
tested with its accuracy programs in test_growth.py."""
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, TARGETS, leak_line, need, pyenv_python, pyleak

WINDOW = 5
# rates far below the leaking programs' (MiB/min under alloc mode's probes)
# and far above what a steady program's noise fits to
ALERTS = ("--window", WINDOW, "--alert-rate", "128K", "--alert-min-bytes", "128K")


@pytest.fixture
def py311():
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


def transitions(run):
    return [a for r in run.reports for a in r["alerts"]]


def where(a):
    f = a["frames"][0] if a["frames"] else {"file": "", "line": None, "func": None}
    return Path(f["file"] or "?").name, f["line"], f["func"]


def test_leak_raises_one_alert_within_two_windows(py311, tmp_path):
    run = pyleak("--mode", "alloc", "--interval", 1, *ALERTS, "--", py311,
                 TARGETS / "leaky.py", 2 * WINDOW, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    raised = transitions(run)
    assert len(raised) == 1, [(a["state"], where(a)) for a in raised]
    a = raised[0]
    assert a["state"] == "leak_suspect" and a["subject"] == "site" and a["evidence"] == "trend"
    assert where(a) == ("leaky.py", leak_line("leaky.py"), "leak"), a
    assert a["p_value"] < 0.01 and a["rate_bytes_per_min"] >= 128 << 10, a
    assert a["growth_bytes"] >= 128 << 10 and a["duration_s"] >= WINDOW / 2, a
    # printed once: the report that raised it, and not again
    seqs = [r["seq"] for r in run.reports if r["alerts"]]
    assert len(seqs) == 1
    # the site stays flagged and ranked first while it grows
    top = run.final["sites"][0]
    assert top["alert"] and top["trend"] in ("growing", "flat")
    assert run.final["trend"]["alerts_active"] == 1
    assert run.final["trend"]["anon_trend"] == "growing"
    assert "leak_suspect: " in run.stderr


@pytest.mark.parametrize("scenario", ["churn", "cache", "warmup", "batch"])
def test_steady_programs_raise_none(scenario, py311, tmp_path):
    run = pyleak("--mode", "alloc", "--interval", 1, *ALERTS, "--", py311,
                 TARGETS / "accuracy.py", scenario, 3 * WINDOW, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    assert transitions(run) == [], [(a["state"], where(a)) for a in transitions(run)]
    assert run.final["trend"]["alerts_raised"] == 0
    # the trend itself was judged: enough samples over the window
    assert run.final["trend"]["anon_trend"] in ("flat", "shrinking"), run.final["trend"]


def test_fail_on_leak_exit_status(py311, tmp_path):
    leak = pyleak("--mode", "alloc", "--interval", 1, *ALERTS, "--fail-on-leak", "--",
                  py311, TARGETS / "leaky.py", 2 * WINDOW, output=tmp_path / "a.json")
    assert leak.rc == 3, leak.stderr
    assert "--fail-on-leak: 1 leak was raised" in leak.stderr
    steady = pyleak("--mode", "alloc", "--interval", 1, *ALERTS, "--fail-on-leak", "--",
                    py311, TARGETS / "accuracy.py", "cache", 2 * WINDOW,
                    output=tmp_path / "b.json")
    assert steady.rc == 0, steady.stderr


@pytest.mark.parametrize("group", ["line", "function", "file"])
def test_group_by(group, py311, tmp_path):
    # the target runs past the window's first 6 s: its start-up (imports, slowed by
    # the probes) is then out of the window, and the leak is what grew in it
    run = pyleak("--mode", "alloc", "--interval", 4, "--window", 6, "--group-by", group, "--",
                 py311, TARGETS / "leaky.py", 9, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["group_by"] == group
    ids = [s["id"] for s in final["sites"]]
    assert len(ids) == len(set(ids))
    for s in final["sites"]:
        assert len(s["frames"]) == 1, s
    keys = [(s["frames"][0]["file"], s["frames"][0]["func"], s["frames"][0]["line"])
            for s in final["sites"]]
    assert len(keys) == len(set(keys)), keys  # one row per key
    top = final["sites"][0]["frames"][0]
    assert Path(top["file"]).name == "leaky.py"
    if group == "line":
        assert (top["func"], top["line"]) == ("leak", leak_line("leaky.py"))
    elif group == "function":
        assert (top["func"], top["line"]) == ("leak", None)
    else:
        assert (top["func"], top["line"]) == ("", None)


def test_site_types_name_dict(py311, tmp_path):
    """alloc mode reads the type of some live allocations of each top site:
    the dict-leaking line allocates dicts (and their keys tables, which are
    no objects)."""
    run = pyleak("--mode", "alloc", "--interval", 3, "--window", 6, "--", py311,
                 TARGETS / "accuracy.py", "dict", 7, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    line = leak_line("accuracy.py", "# LEAK_LINE:dict")
    seen = []
    for r in run.reports[:-1]:  # the final one is taken as the process exits
        for s in r["sites"]:
            if s["frames"][0]["line"] == line and s.get("types"):
                seen.append(s)
    assert seen, "the leaking site was never typed"
    # every typed report is a whole, well-formed mix of 64 samples
    for s in seen:
        names = {t["name"]: t["share"] for t in s["types"]}
        assert s["types_sampled"] == 64, s
        assert abs(sum(names.values()) - 1) < 0.01 or len(names) == 6, s["types"]
    # and dicts are found among them. Not in every report: the shares are
    # by bytes, and the registry's own keys table, reallocated at this line
    # as it doubles, is one raw block that outweighs more and more of the
    # sampled dicts as the run goes on
    assert any(t["name"] == "dict" for s in seen for t in s["types"]), \
        [s["types"] for s in seen]


def test_census_ranks_leaking_class_first(py311, start_target):
    """The census of the GC lists ranks the class whose instances leak first
    by growth, whatever mode (here growth mode, no window opened)."""
    t = start_target(py311, "accuracy.py", "listeners", 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 12, "--window", 8,
                 "--census-every", 1, "--window-budget", 0)
    assert run.rc == 0, run.stderr
    c = run.final["census"]
    assert c["censuses"] >= 8 and c["objects"] > 1000, c
    top = c["types"][0]
    assert top["name"] == "Listener", c["types"][:3]
    assert top["trend"] == "growing" and top["rate_per_min"] > 0, top
    assert c["complete_lists"] <= c["lists"]
    # the leak moves the collector's counts: censuses are walked, not carried
    assert c["walks"] >= c["censuses"] // 2, c


def test_idle_census_is_carried_not_walked(py311, start_target):
    """A process that creates no tracked objects keeps the collector's counts
    still: its censuses are carried forward (one read each) instead of
    walked, at most 9 in a row, and still enter the history."""
    t = start_target(py311, "idle.py", 60)
    run = pyleak("--pid", t.pid, "--interval", 4, "--duration", 14, "--census-every", 1,
                 "--window-budget", 0)
    assert run.rc == 0, run.stderr
    c = run.final["census"]
    assert c["censuses"] >= 10 and c["objects"] > 1000, c
    # the first is walked; then carries, with a walk after every 9th
    assert 1 <= c["walks"] <= 1 + c["censuses"] // 10, c
    assert c["complete_lists"] == c["lists"], c
    # carried censuses are samples: the types have a history, flat
    assert c["types"] and all(t["rate_per_min"] == 0 for t in c["types"]), c["types"][:3]


def test_stderr_escapes_target_strings(start_target):
    """Names the target chooses (its command name, a file and a function name
    with escape sequences, newlines and C1 controls) reach stderr as text:
    the alert line and the start line hold no raw control byte."""
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    t = start_target(py, "evil_names.py", 60)
    proc = subprocess.Popen(
        [str(BINARY), "--format", "json", "--pid", str(t.pid), "--interval", "4", "--duration",
         "11", "--first-window", "1", "--window-every", "1", "--window-time", "1", "--follow",
         "1.5", "--window-allocs", "5000", "--window-budget", "3600", "--window", "6",
         "--alert-rate", "64K", "--alert-min-bytes", "64K"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    text = err.decode()  # strict: a stray C1 byte would not decode either
    for line in text.split("\n"):
        bad = [c for c in line if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f]
        assert not bad, line
    assert "(py\\x1b[31mred)" in text, text
    alerts = [l for l in text.splitlines() if "leak_suspect:" in l]
    assert alerts, text
    assert any("evil\\x1b]0;pwned\\x07\\x0a\\xc2\\x9b2J.py:3 leak\\x1b[2J\\x0afake\\x7f" in l
               for l in alerts), alerts
