# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end test of `pyleak-bpf compare`, the verify step: two real runs
of the same workload, before and after its fix, by different interpreters
(Debian's python3.11 with the allocator switch, pyenv's 3.12) from different
directories (tests/targets vs a copy under a temporary /srv/app), so PIDs,
roots and versions all differ. compare must call the leaking line fixed and
exit 0; with the runs swapped the leak is new in AFTER and it exits 3.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import BINARY, TARGETS, leak_line, need, pyenv_python, pyleak

DEBIAN_311 = "/usr/bin/python3.11"
FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)
ALERTS = ("--window", 6, "--alert-rate", "64K", "--alert-min-bytes", "64K")
SECONDS = 8


def record(python, script, output):
    """One growth-mode run of script under pyleak-bpf (run mode), its reports
    in output; returns the final report."""
    run = pyleak("--interval", 2, *FAST_WINDOWS, *ALERTS, "--", python, script, SECONDS,
                 output=output)
    assert run.rc == 0, run.stderr
    final = run.final
    assert final["windows"]["settled"] >= 2, final["windows"]
    return final


def compare(*args):
    p = subprocess.run([str(BINARY), "compare", *map(str, args)], capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    py312 = pyenv_python("3.12.1")
    need(os.path.exists(DEBIAN_311), "Debian's python3.11 is not installed")
    need(py312.exists(), "pyenv 3.12.1 is not installed")
    need(os.geteuid() == 0 and BINARY.exists(), "needs root and a built pyleak-bpf")
    tmp = tmp_path_factory.mktemp("compare")
    # the fixed program, as deployed elsewhere: another root
    app = tmp / "srv" / "app"
    app.mkdir(parents=True)
    for name in ("leaky.py", "leaky_fixed.py"):
        shutil.copy(TARGETS / name, app / name)
    before, after = tmp / "before.jsonl", tmp / "after.jsonl"
    leaky = record(DEBIAN_311, TARGETS / "leaky.py", before)
    fixed = record(py312, app / "leaky_fixed.py", after)
    # the premise: the leak was seen before, and not after
    assert any(s["persistent"] for s in leaky["sites"]), leaky["sites"]
    assert not any(s["persistent"] for s in fixed["sites"]), fixed["sites"]
    return before, after


def leak_rows(out):
    """The table rows of leaky.py's leaking line."""
    return [l for l in out.splitlines() if f"leak (leaky.py:{leak_line('leaky.py')})" in l]


def test_fix_verified(runs):
    before, after = runs
    rc, out, err = compare(before, after)
    assert rc == 0, out + err
    rows = leak_rows(out)
    assert len(rows) == 1 and rows[0].startswith("fixed "), out
    assert "Python 3.11" in out and "Python 3.12" in out, out
    assert "1 fixed, 0 better, 0 unchanged, 0 worse; 0 new, 0 growing-again: exit 0" in out, out

    rc, out, err = compare("--format", "json", before, after)
    assert rc == 0, err
    j = json.loads(out)
    assert j["type"] == "compare" and j["exit"] == 0
    assert j["before"]["pid"] != j["after"]["pid"]
    assert j["before"]["final"] and j["after"]["final"]
    assert j["before"]["process"]["anon_bytes"] > 0
    fixed = [s for s in j["sites"] if s["verdict"] == "fixed"]
    assert [(f["before"]["frames"][0]["func"], f["before"]["frames"][0]["line"])
            for f in fixed] == [("leak", leak_line("leaky.py"))], j["sites"]


def test_leak_in_after_fails(runs):
    before, after = runs
    rc, out, err = compare(after, before)
    assert rc == 3, out + err
    rows = leak_rows(out)
    assert len(rows) == 1 and rows[0].split()[0] in ("new", "growing-again"), out
    assert "exit 3" in out


def test_killed_run_uses_last_complete_report(runs, tmp_path):
    """A run killed mid-line: the last complete report counts, and compare says so."""
    before, after = runs
    lines = before.read_text().splitlines(keepends=True)
    cut = tmp_path / "killed.jsonl"
    cut.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    rc, out, err = compare(cut, after)
    assert rc in (0, 3), out + err
    assert "NO final report" in out and "ends in an incomplete line" in out, out


def test_unreadable_input(runs, tmp_path):
    before, _ = runs
    bad = tmp_path / "bad.jsonl"
    bad.write_text(before.read_text().splitlines()[0] + "\n{\"type\": \"report\", oops}\n"
                   + before.read_text())
    rc, out, err = compare(before, bad)
    assert rc == 1 and f"{bad}:2: not JSON" in err, err
    rc, out, err = compare(before)
    assert rc == 2 and "give two files" in err, err
    rc, out, err = compare("--help")
    assert rc == 0 and "Usage: pyleak-bpf compare" in out


def test_alloc_mode_fix_verified(tmp_path):
    """Alloc mode: the leak's alert is resolved once the target stops
    allocating at its end, so the final report calls the site flat; compare
    must still count it as grown (it alerted during the run) and call it fixed."""
    py311, py312 = pyenv_python("3.11.7"), pyenv_python("3.12.1")
    need(py311.exists() and py312.exists(), "pyenv 3.11.7 and 3.12.1 are needed")
    app = tmp_path / "app"
    app.mkdir()
    for name in ("leaky.py", "leaky_fixed.py"):
        shutil.copy(TARGETS / name, app / name)
    opts = ("--mode", "alloc", "--interval", 1, "--window", 4, "--alert-rate", "128K",
            "--alert-min-bytes", "128K")
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    leak = pyleak(*opts, "--", py311, TARGETS / "leaky.py", 8, output=before)
    assert leak.rc == 0, leak.stderr
    assert any(a["state"] == "leak_suspect" and a["subject"] == "site"
               for r in leak.reports for a in r["alerts"]), "premise: the leak alerted"
    fixed = pyleak(*opts, "--", py312, app / "leaky_fixed.py", 8, output=after)
    assert fixed.rc == 0, fixed.stderr
    rc, out, err = compare(before, after)
    assert rc == 0, out + err
    rows = leak_rows(out)
    assert len(rows) == 1 and rows[0].startswith("fixed "), out
