# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the live terminal view: under a real terminal (a tmux
pane) with no --format or --output, reports are redrawn in place with a
RECENT sparkline column, so the pane and its scrollback hold one report,
not several; through a pipe, plain reports are appended as before."""
import shutil
import subprocess
import time

import pytest

from conftest import BINARY, TARGETS, need

SPARKS = set("▁▂▃▄▅▆▇█")


@pytest.fixture
def tmux():
    exe = shutil.which("tmux")
    need(exe, "tmux is not installed (scripts/install-deps.sh installs it)")
    sock = f"pyleak-live-test-{time.monotonic_ns()}"

    def run(*args):
        return subprocess.run([exe, "-L", sock, *args], capture_output=True, text=True,
                              timeout=30)
    yield run
    run("kill-server")


def test_live_view_redraws_in_place(py311, tmux):
    # the reports fit the pane (--top 4 with the type lines under each row)
    cmd = (f"{BINARY} --mode alloc --interval 1 --window 4 --top 4 -- "
           f"{py311} {TARGETS / 'leaky.py'} 7; echo PYLEAK-EXIT=$?; sleep 60")
    r = tmux("new-session", "-d", "-x", "150", "-y", "50", cmd)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 90
    everything = ""
    while time.monotonic() < deadline:
        everything = tmux("capture-pane", "-p", "-S", "-1000").stdout
        if "PYLEAK-EXIT=" in everything:
            break
        time.sleep(1)
    assert "PYLEAK-EXIT=0" in everything, everything
    screen = tmux("capture-pane", "-p").stdout
    # one report on the screen, the final one, redrawn over the others;
    # the scrollback holds none of the earlier reports either (a line of
    # one may scroll off when the program's own output lands below it)
    assert screen.count("pyleak-bpf report #") == 1, screen
    assert "(final)" in screen
    headers = [l for l in screen.splitlines() if "RECENT" in l and "SITE" in l]
    assert len(headers) == 1, screen
    made = int(screen.split("pyleak-bpf report #")[1].split()[0])
    assert made >= 4, screen
    assert everything.count("RECENT") == 1, everything
    # the leak's row has a sparkline in the RECENT column
    rows = [l for l in screen.splitlines() if "leaky.py:" in l and " leak" in l]
    assert rows and any(SPARKS & set(l) for l in rows), screen
    # lines fit the terminal
    assert all(len(l) < 150 for l in screen.splitlines()), screen


def test_pipe_gets_appended_plain_reports(py311):
    p = subprocess.run([str(BINARY), "--mode", "alloc", "--interval", "1",
                        "--", str(py311), str(TARGETS / "leaky.py"), "4"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "\033[" not in p.stdout
    assert "RECENT" not in p.stdout
    assert p.stdout.count("pyleak-bpf report #") >= 2, p.stdout
