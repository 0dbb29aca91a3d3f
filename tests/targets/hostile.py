"""Leaks at a known line (LEAK_LINE) from code whose names are hostile to
every output format: quotes, backslashes, newlines, ';', '<script>',
a lone surrogate (what an undecodable byte becomes: invalid UTF-8 once
read out of the interpreter), and very long strings. Its comm (the
process name) is hostile too.

The leaking code is compiled from a string, so co_filename can be any
text, and its functions renamed through code.replace().

Usage: hostile.py [SECONDS]  (default 30). Prints READY when warm, then
the hostile names as JSON (so a test can find them).
"""
import ctypes
import json
import sys
import time

NASTY = 'q"uo\\te;semi\nnew<script>alert(1)</script>\t\udcff\u00e9'
FILE = "/srv/" + NASTY + "/" + "L" * 3000 + ".py"
LEAK_FUNC = "leak_" + NASTY + "x" * 2000
OUTER_FUNC = "outer;" + NASTY

SOURCE = '''
KEEP = []


def leak(i):
    KEEP.append([i % 200] * 50)  # LEAK_LINE


def outer(i):
    leak(i)
'''


def set_comm(name):
    """prctl(PR_SET_NAME): the kernel keeps 15 bytes, any bytes."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    ns = {}
    exec(compile(SOURCE, FILE, "exec"), ns)
    code = ns["leak"].__code__
    ns["leak"].__code__ = code.replace(co_name=LEAK_FUNC, co_qualname=LEAK_FUNC)
    code = ns["outer"].__code__
    ns["outer"].__code__ = code.replace(co_name=OUTER_FUNC, co_qualname=OUTER_FUNC)
    set_comm(b'p"\\\n;<s>\xff\xfe')
    outer = ns["outer"]
    line = next(n for n, l in enumerate(SOURCE.splitlines(), 1) if "LEAK_LINE" in l)
    print("READY", flush=True)
    print(json.dumps({"file": FILE, "func": LEAK_FUNC, "line": line}), flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        outer(i)
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    print("DONE", len(ns["KEEP"]), flush=True)


if __name__ == "__main__":
    main()
