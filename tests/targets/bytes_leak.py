"""A worker thread leaks bytes objects, which the garbage collector never
tracks (no GC generation moves), while the main thread waits.

Usage: bytes_leak.py [SECONDS]  (default 30). Prints READY, then DONE.
"""
import sys
import threading
import time

KEEP = []


def worker(end):
    i = 0
    while time.monotonic() < end:
        KEEP.append(b"%08d" % i * 30)  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.005)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    end = time.monotonic() + seconds
    t = threading.Thread(target=worker, args=(end,))
    t.start()
    print("READY", flush=True)
    t.join()
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
