"""Targets for the lifecycle-fault tests: leaks one list per iteration at a
known line (LEAK_LINE) while doing something awkward beside it.

Usage: lifecycle.py SCENARIO [SECONDS]  (default 20)
  fork_exec  every 0.2 s: fork a child that execs /bin/true, and fork one
             that stays Python a moment (allocating), then _exits
  threads    start and join short threads, thousands over the run
  plain      nothing beside the leak
Prints READY, and at the end "DONE <leaked lists> <intact> <children|threads>"
so a test can check the target ran on correctly.
"""
import os
import sys
import threading
import time

KEEP = []


def leak(i):
    KEEP.append([i % 200] * 50)  # LEAK_LINE


def short_thread(out):
    # allocates and ends: nothing survives it
    out.append(len([str(k) for k in range(10)]))


def fork_children():
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/true", ["true"])
    os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:
        junk = [str(k) * 3 for k in range(2000)]
        os._exit(0 if len(junk) == 2000 else 1)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    return 2


def main():
    scenario = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    next_fork = 0.0
    i = extra = 0
    t = time.monotonic()
    while t < end:
        leak(i)
        if scenario == "threads" and i % 4 == 0:
            out = []
            th = threading.Thread(target=short_thread, args=(out,))
            th.start()
            th.join()
            extra += len(out)
        if scenario == "fork_exec" and t >= next_fork:
            extra += fork_children()
            next_fork = t + 0.2
        i += 1
        if i % 50 == 0:
            time.sleep(0.005)
            t = time.monotonic()
    total = sum(len(x) for x in KEEP)
    print("DONE", len(KEEP), total == 50 * len(KEEP), extra, flush=True)


if __name__ == "__main__":
    main()
