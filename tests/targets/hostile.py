"""A leak whose names are hostile to every output format: the file and the
function are named with markup, quotes, '&', ';', a newline, a backslash, a
lone surrogate (no valid UTF-8 for it) and 2000 more characters, and the
comm holds bytes that are not UTF-8. Exporters must escape all of it.

Usage: hostile.py [SECONDS]  (default 30). Prints READY once renamed.
"""
import sys
import time

KEEP = []
NAME = "<script>alert(\"x\")</script> & 'q' ;\n\\ \udcff " + "L" * 2000
SRC = "def leak(i):\n    KEEP.append([i % 200] * 50)\n"


def hostile_leak():
    ns = {"KEEP": KEEP}
    exec(compile(SRC, NAME + ".py", "exec"), ns)
    code = ns["leak"].__code__
    if hasattr(code, "co_qualname"):
        code = code.replace(co_name=NAME, co_qualname=NAME)
    else:
        code = code.replace(co_name=NAME)
    ns["leak"].__code__ = code
    return ns["leak"]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    leak = hostile_leak()
    with open("/proc/self/comm", "wb") as f:
        f.write(b"<b>\xff\"&'x")
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        leak(i)
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
