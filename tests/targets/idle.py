"""An idle interpreter: imports done, then only sleeps, creating no objects
the collector tracks.

Usage: idle.py [SECONDS]. Prints READY, then DONE at the end.
"""
import sys
import time


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
