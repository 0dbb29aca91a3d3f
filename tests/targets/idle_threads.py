"""A main-thread leak beside many idle threads.

Usage: idle_threads.py THREADS [SECONDS]. Starts THREADS threads that wait
on an event (a server's idle workers), prints READY, then leaks at LEAK_LINE
on the main thread for SECONDS (default 30). The main thread's state is the
oldest in the interpreter's thread list, which is kept newest first: a
profiler that scans only the first few dozen entries of that list loses the
main thread's Python stack.
"""
import sys
import threading
import time

KEEP = []


def main():
    n = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait, daemon=True) for _ in range(n)]
    for w in workers:
        w.start()
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        KEEP.append([i % 200] * 50)  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    stop.set()
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
