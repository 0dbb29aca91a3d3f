"""A new thread that inherits an ended thread's FS base while the ended
thread's freed PyThreadState still holds it.

Usage: thread_reuse.py LEAK_SECONDS. Prints READY and waits 2 s (attach
window). glibc starts each thread on the stack the last one left, so both
threads below have one FS base (pthread_self() == get_ident()):
  A1 allocates for 1.2 s, so a profiler caches "FS base -> state X", and
     ends; the main thread takes X back from malloc untouched (malloc writes
     nothing into it below the tcache key word), so X still says A1's
     thread id and B's state is allocated elsewhere;
  B  leaks at LEAK_LINE.
A profiler that trusts its cached X (the thread id matches) unwinds a dead
state until something else corrects the cache.
Prints "REUSE same_fsbase x_intact" (both must be True for the case to be
the one under test) and DONE.
"""
import ctypes
import sys
import threading
import time

KEEP = []
LIBC = ctypes.CDLL(None)
LIBC.malloc.restype = ctypes.c_void_p
LIBC.malloc.argtypes = [ctypes.c_size_t]
LIBC.free.argtypes = [ctypes.c_void_p]
ctypes.pythonapi.PyThreadState_Get.restype = ctypes.c_void_p
HELD = []  # chunks taken from malloc to keep a freed state where it is


def note_state(seen, key):
    """Record the running thread's state: address, &thread_id, chunk size."""
    ts = ctypes.pythonapi.PyThreadState_Get()
    ident = threading.get_ident()
    words = (ctypes.c_uint64 * 64).from_address(ts)
    seen[key] = {
        "ts": ts, "ident": ident,
        "id_addr": ts + 8 * list(words).index(ident),
        # glibc's chunk header: the size word just below the pointer
        "size": (ctypes.c_uint64.from_address(ts - 8).value & ~7) - 8,
    }


def a1(seen):
    note_state(seen, "a1")
    end = time.monotonic() + 1.2
    while time.monotonic() < end:
        KEEP.append([0] * 4)
        KEEP.pop()
        time.sleep(0.001)


def leaker(end, seen):
    note_state(seen, "b")
    i = 0
    while time.monotonic() < end:
        KEEP.append([i % 200] * 50)  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)


def take_back(state):
    """malloc the state's size until handed the freed state itself (the
    tcache holds 7 per size, newest first). Returns its address or None."""
    for _ in range(256):
        p = LIBC.malloc(state["size"])
        if p == state["ts"]:
            return p
        HELD.append(p)
    return None


def run(target, *args):
    t = threading.Thread(target=target, args=args)
    t.start()
    t.join()


def main():
    seconds = float(sys.argv[1])
    print("READY", flush=True)
    time.sleep(2)
    seen = {}
    run(a1, seen)
    x = take_back(seen["a1"])
    x_intact = bool(x) and \
        ctypes.c_uint64.from_address(seen["a1"]["id_addr"]).value == seen["a1"]["ident"]
    run(leaker, time.monotonic() + seconds, seen)
    print("REUSE", seen["a1"]["ident"] == seen["b"]["ident"], x_intact, flush=True)
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
