"""Leaks at a set rate beside churn, for time-to-verdict measurements.

Usage: rate_leak.py KIB_PER_S [SECONDS]  (default 60 s). Prints READY, then
100 times a second keeps lists worth KIB_PER_S/100 KiB (at the line marked
LEAK_LINE) and builds and drops small objects, like a service.
"""
import sys
import time

KEEP = []


def churn(i):
    return len([str(i + k) for k in range(20)])


def leak(n, i):
    for _ in range(n):
        KEEP.append([i % 200] * 64)  # LEAK_LINE


def paced(hz, seconds, step):
    """Call step(tick) hz times a second for seconds (fewer if a step takes
    longer than 1/hz), tick counting from 0; bench/soak_target.py uses it too."""
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        step(tick)
        tick += 1
        delay = start + tick / hz - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def main():
    kib = float(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    per_tick = max(1, round(kib * 1024 / 100 / (56 + 64 * 8)))

    def step(tick):
        leak(per_tick, tick)
        for i in range(50):
            churn(i)
    print("READY", flush=True)
    paced(100, seconds, step)
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
