"""Leaks at a known line and, a moment after start, imports C extension
modules (each a new shared object mapped into the process): the profiler's
view of the process's libraries changes under it while windows open.

Usage: late_imports.py [SECONDS] [DELAY]  (defaults 30 and 1.5). Prints
READY, leaks one list per iteration (leaky.leak), imports the extensions
DELAY seconds in, one every 0.2 s, prints IMPORTED, and DONE at the end.
The leaking line is leaky.py's (imported before READY).
"""
import importlib
import sys
import time

from leaky import churn, leak  # the leak line is leaky.py's LEAK_LINE

EXTENSIONS = ["_decimal", "_sqlite3", "_ctypes", "_json", "array", "mmap", "_bz2", "_lzma",
              "_csv", "_hashlib", "_ssl", "_elementtree", "_curses", "readline"]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
    print("READY", flush=True)
    start = time.monotonic()
    pending = list(EXTENSIONS)
    next_import = start + delay
    i = 0
    while time.monotonic() < start + seconds:
        leak(i)
        churn()
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
        if pending and time.monotonic() >= next_import:
            name = pending.pop(0)
            try:
                importlib.import_module(name)
            except ImportError:
                pass
            next_import = time.monotonic() + 0.2
            if not pending:
                print("IMPORTED", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
