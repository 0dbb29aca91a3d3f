"""A leak that takes its objects from CPython's list free list, beside a
line that only churns lists, for growth mode's free-list test.

Usage: freelist_reuse.py [SECONDS]  (default 20). Prints READY, runs, prints DONE.

keep() appends a new empty list to a module-level list every round. An empty
list comes from the interpreter's list free list when it holds one, and the
churning line below puts one there every round (its comprehension's list,
dropped at once): so the free list is nearly always empty and every list the
churning line makes, and drops, lives on as the kept one. No allocator call
is made when a list is taken from the free list, nor a free when it is put
there: a profiler that sees only the allocator takes the kept lists for
survivors of the churning line, which keeps nothing.
"""
import sys
import time

KEPT = []


def keep(i):
    KEPT.append([])


def churn(i):
    return len([str(i + k) for k in range(20)])  # CHURN


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        keep(i)
        churn(i)
        i += 1
        if i % 50 == 0:
            time.sleep(0.005)
    print("DONE", i, flush=True)


if __name__ == "__main__":
    main()
