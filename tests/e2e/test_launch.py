# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of following a target: a program that calls exec (the
probes, offsets and sites of the old program must go, the new program is
profiled from its start), a command whose Python runs below a shell or
`unshare --fork`, and exit statuses passed through in run mode."""
import subprocess

import pytest

from conftest import (TARGETS, assert_top_site, leak_line, need, pyenv_python, pyleak,
                      start_target)  # noqa: F401 (fixture)

EXEC_LEAK = leak_line("execer.py")


@pytest.fixture
def py312():
    py = pyenv_python("3.12.1")
    need(py.exists(), "pyenv 3.12.1 is not installed")
    return py


@pytest.mark.parametrize("mode", ["alloc", "growth"])
def test_run_mode_follows_exec(mode, py312, tmp_path):
    extra = ["--window-every", 2, "--first-window", 0.5, "--window-time", 1, "--follow", 1] \
        if mode == "growth" else []
    run = pyleak("--mode", mode, "--interval", 1.5, *extra, "--",
                 py312, TARGETS / "execer.py", "python", 7, output=tmp_path / "r.json")
    assert run.rc == 5, run.stderr  # the new program's exit status
    assert "called exec (was Python 3.12.1" in run.stderr, run.stderr
    before = [r for r in run.reports
              if any("called exec" in w for w in r["warnings"])]
    assert len(before) == 1, [r["warnings"] for r in run.reports]
    # nothing of the new program is booked on the old one's last report
    assert not any(s["frames"][0]["line"] == EXEC_LEAK for s in before[0]["sites"])
    # nor its memory: the old program held a 64 MiB ballast
    assert before[0]["process"]["rss_bytes"] > 64 << 20, before[0]["process"]
    # the new program's leak is found with the new program's offsets
    assert_top_site(run.final, "execer.py", EXEC_LEAK, "second")
    assert run.final["seq"] > before[0]["seq"]


def test_attach_follows_exec(py312, start_target):
    t = start_target(py312, "execer.py", "python", 6)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 1.5, timeout=60)
    assert run.rc == 9, run.stderr  # attach mode: the target exited
    assert "attaching again" in run.stderr
    assert_top_site(run.final, "execer.py", EXEC_LEAK, "second")
    rc, out, _ = t.finish()
    assert rc == 5 and "SECOND" in out


def test_exec_into_non_python(py312, tmp_path):
    run = pyleak("--interval", 5, "--", py312, TARGETS / "execer.py", "sleep",
                 output=tmp_path / "r.json", timeout=60)
    assert run.rc == 0, run.stderr  # sleep's status
    assert "now runs sleep, not Python" in run.stderr, run.stderr
    assert "error" not in run.stderr


def test_python_below_a_shell(py312, tmp_path):
    # sh runs python as a child (not exec: another command follows it)
    script = f"{py312} {TARGETS / 'leaky.py'} 4; exit 3"
    run = pyleak("--mode", "alloc", "--interval", 2, "--", "sh", "-c", script,
                 output=tmp_path / "r.json")
    assert run.rc == 3, run.stderr
    assert "'sh' started Python as PID" in run.stderr
    assert "PYTHONMALLOC=malloc" in run.final["capture"]["method"]
    assert_top_site(run.final, "leaky.py", leak_line("leaky.py"), "leak")


def test_no_python_in_command(tmp_path):
    run = pyleak("--", "sh", "-c", "sleep 30", timeout=60)
    assert run.rc == 6, (run.rc, run.stderr)
    assert "no Python process appeared within 10s" in run.stderr
    # and the command was not left running
    assert subprocess.run(["pgrep", "-f", "^sleep 30$"], capture_output=True).returncode == 1


def proc_state(pid):
    """The one-letter state of /proc/PID/stat (after the last ')' of comm)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_attach_exec_into_unsupported_python_resumes_target(start_target):
    """The new program cannot be attached (Python 3.7): pyleak-bpf stopped it
    to attach again, so it must let it run on before it gives up."""
    py311, py37 = pyenv_python("3.11.7"), pyenv_python("3.7.16")
    need(py311.exists() and py37.exists(), "pyenv 3.11.7 and 3.7.16 are needed")
    t = start_target(py311, "execer.py", "python", 3, py37)
    run = pyleak("--mode", "alloc", "--pid", t.pid, "--interval", 5, timeout=60)
    assert run.rc == 7, run.stderr  # EXIT_UNSUPPORTED
    assert "runs Python 3.7" in run.stderr, run.stderr
    if t.proc.poll() is None:
        assert proc_state(t.pid) not in "Tt", "target left stopped"
    rc, out, _ = t.finish(timeout=30)
    assert rc == 5 and "SECOND" in out
