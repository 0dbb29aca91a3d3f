"""The leak happens in a worker thread started after the profiler attached.

Usage: thread_leak.py [SECONDS]. Prints READY, waits 2 s (attach window),
then starts the worker, which leaks at LEAK_LINE while the main thread churns.
"""
import sys
import threading
import time

KEEP = []


def worker(end):
    i = 0
    while time.monotonic() < end:
        KEEP.append(bytearray(200) + bytes([i % 256]))  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("READY", flush=True)
    time.sleep(2)
    end = time.monotonic() + seconds
    t = threading.Thread(target=worker, args=(end,))
    t.start()
    while time.monotonic() < end:
        [str(i) for i in range(50)]
        time.sleep(0.005)
    t.join()
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
