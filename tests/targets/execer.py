"""Replaces itself with a new program, as a supervisor or wrapper does.

Usage: execer.py [python|sleep] [SECONDS] [INTERPRETER] [DELAY]
  python: after DELAY s (default 2), exec INTERPRETER (default: the same one) on this file
          in "second" mode, which leaks at LEAK_LINE for SECONDS and exits
          with 5;
  sleep:  after 2 s, exec /bin/sleep 2 (not Python).
Prints READY at start and SECOND when the new program runs. The first
program holds BALLAST bytes more than the second.
"""
import os
import sys
import time

KEEP = []
BALLAST = 64 << 20


def second(seconds):
    print("SECOND", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        KEEP.append([0] * 50)  # LEAK_LINE
        time.sleep(0.0005)
    sys.exit(5)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "python"
    seconds = sys.argv[2] if len(sys.argv) > 2 else "6"
    if what == "second":
        second(float(seconds))
    # the first program is much bigger than the second: a report on it
    # must show its own memory, not the new program's
    ballast = b"x" * BALLAST
    print("READY", flush=True)
    time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 2)
    if what == "sleep":
        os.execv("/bin/sleep", ["sleep", "2"])
    python = sys.argv[3] if len(sys.argv) > 3 else sys.executable
    os.execv(python, [python, __file__, "second", seconds])


main()
