"""make soak's target: a service that churns and leaks slowly.

Usage: soak_target.py KIB_PER_S SECONDS. Prints READY, then 20 times a second
builds and drops small dicts, lists and strs in one of 500 generated
functions (each its own code object and file, so the set of allocation sites
keeps turning over, a new function every second) and keeps KIB_PER_S/20 KiB
at LEAK_LINE. Prints DONE and the number of objects kept at the end.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "targets"))
from rate_leak import paced  # noqa: E402 (the same pacing as the accuracy target)

KEEP = []
FUNCS = []
for n in range(500):
    ns = {}
    exec(compile(f"def handler_{n}(i):\n"
                 f"    d = {{str(k): [k, i] for k in range(8)}}\n"
                 f"    return len(d) + len([str(i + k) for k in range(8)])\n",
                 f"<handler {n}>", "exec"), ns)
    FUNCS.append(ns[f"handler_{n}"])


def leak(n, i):
    for _ in range(n):
        KEEP.append([i % 200] * 64)  # LEAK_LINE


def main():
    kib = float(sys.argv[1])
    seconds = float(sys.argv[2])
    per_tick = kib * 1024 / 20 / (56 + 64 * 8)  # lists of 64 pointers
    owed = [0.0]

    def step(tick):
        owed[0] += per_tick
        leak(int(owed[0]), tick)
        owed[0] -= int(owed[0])
        f = FUNCS[(tick // 20) % len(FUNCS)]
        for i in range(10):
            f(i)
    print("READY", flush=True)
    paced(20, seconds, step)
    print("DONE", len(KEEP), flush=True)

if __name__ == "__main__":
    main()
