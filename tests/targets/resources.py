"""Leaks that are not bytes, for the fd_leak / thread_leak tests.

Usage: resources.py fds|threads|none [SECONDS]  (default 20). Prints READY,
runs, prints DONE.

- fds: opens /dev/null every 50 ms and keeps the file object: the classic
  "opened, never closed" leak.
- threads: starts a thread every 100 ms that waits forever.
- none: opens and closes files and runs short threads at the same pace.
"""
import sys
import threading
import time

FILES = []
STOP = threading.Event()


def park():
    STOP.wait()


def main():
    what = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        if what == "fds":
            FILES.append(open("/dev/null"))  # LEAK_LINE:fds
        elif what == "threads" and i % 2 == 0:
            threading.Thread(target=park, daemon=True).start()  # LEAK_LINE:threads
        elif what == "none":
            with open("/dev/null") as f:
                f.read(1)
            t = threading.Thread(target=time.sleep, args=(0.01,))
            t.start()
            t.join()
        i += 1
        time.sleep(0.05)
    STOP.set()
    print("DONE", i, flush=True)


if __name__ == "__main__":
    main()
