"""Steady churn with no leak: every allocation dies within the iteration.

Usage: steady.py [SECONDS]. Prints READY, then DONE at the end.
"""
import sys
import time


def work(i):
    d = {str(k): [k] * 10 for k in range(20)}  # dies at return
    return len(d) + i


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        work(i)
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
