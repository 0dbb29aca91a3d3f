"""leaky.py after its fix: the same work, but KEEP holds only the last few
lists, so the line that leaked (LEAK_LINE) now allocates memory that dies.
compare's end-to-end test runs it as the AFTER of leaky.py.

Usage: leaky.py [SECONDS]  (default 30). Prints READY when warm, and at the
end the number of leaked objects so a test can check the target ran
correctly to the end (e.g. after the allocator switch was undone).
"""
import sys
import time

KEEP = []


def churn():
    # allocations that die at once: must never rank as a leak
    return sum(len(str(i)) for i in range(20))


def leak(i):
    # i % 200 is one of CPython's cached small ints: only the list is new,
    # so the leaking line is the only site that keeps memory
    KEEP.append([i % 200] * 50)  # LEAK_LINE
    if len(KEEP) > 20:  # the fix: bound the list
        del KEEP[:10]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        leak(i)
        churn()
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    total = sum(len(x) for x in KEEP)
    print("DONE", len(KEEP), total == 50 * len(KEEP), flush=True)


if __name__ == "__main__":
    main()
