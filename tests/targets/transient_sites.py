"""Many short-lived allocation sites, then a leak that starts late.

Usage: transient_sites.py LEAK_AFTER SECONDS. Generates 2000 functions, each
its own code object and file, that allocate only temporaries. From READY on
it calls them in turn, a few new ones a second, so a profiler meets far
more distinct sites than a small --max-sites holds; LEAK_AFTER seconds in it
also starts leaking at LEAK_LINE. A profiler whose site table keeps every
site it ever saw is full by then and never sees the leak.
"""
import sys
import time

KEEP = []
FUNCS = []
for n in range(2000):
    ns = {}
    exec(compile(f"def temp_{n}():\n    return [str(x) * 3 for x in range(4)]\n",
                 f"<generated {n}>", "exec"), ns)
    FUNCS.append(ns[f"temp_{n}"])


def leak(i):
    KEEP.append(bytearray(2000) + bytes([i % 256]))  # LEAK_LINE


def main():
    leak_after = float(sys.argv[1])
    seconds = float(sys.argv[2])
    print("READY", flush=True)
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < seconds:
        f = FUNCS[(i // 100) % len(FUNCS)]  # a new function every 100 calls
        f()
        if time.monotonic() - start >= leak_after:
            leak(i)
        i += 1
        time.sleep(0.002)
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
