"""Leaks at a known line (LEAK_LINE) until the kernel's OOM killer ends it.

Usage: oom_leak.py [MIB_PER_SECOND]  (default 4). Meant to run in a memory
cgroup with a small limit (tests/e2e/test_oom.py). Prints READY, then keeps
64 KiB lists (written, so their pages are really used) at the given rate,
beside churn that must never rank. Few, large allocations: the rate holds
under alloc mode's probes too.
"""
import sys
import time

KEEP = []
ITEM = 65536  # bytes per leaked list, about: 8190 pointers and the header


def churn():
    return sum(len(str(i)) for i in range(20))


def leak():
    KEEP.append([None] * 8190)  # LEAK_LINE


def main():
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    print("READY", flush=True)
    start = time.monotonic()
    leaked = 0
    while True:
        due = (time.monotonic() - start) * rate * 1048576
        while leaked * ITEM < due:
            leak()
            churn()
            leaked += 1
        time.sleep(0.02)


if __name__ == "__main__":
    main()
