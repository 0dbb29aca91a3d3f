"""Leaks from a function whose name, file name and the process's command
name hold terminal escape sequences, C1 controls and newlines: what the
profiler prints about it must reach the terminal as text.

Usage: evil_names.py [SECONDS]  (default 30). Prints READY, leaks one list
per iteration in the renamed function, prints DONE at the end.
"""
import sys
import time

EVIL_FILE = "evil\x1b]0;pwned\x07\n\u009b2J.py"
EVIL_FUNC = "leak\x1b[2J\nfake\x7f"
KEEP = []

SOURCE = """
def leak(i):
    KEEP.append([i % 200] * 50)
"""


def make_leak():
    ns = {"KEEP": KEEP}
    exec(compile(SOURCE, EVIL_FILE, "exec"), ns)
    fn = ns["leak"]
    fn.__code__ = fn.__code__.replace(co_name=EVIL_FUNC, co_qualname=EVIL_FUNC)
    return fn


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    with open("/proc/self/comm", "w") as f:
        f.write("py\x1b[31mred")
    leak = make_leak()
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        leak(i)
        sum(len(str(k)) for k in range(20))
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
