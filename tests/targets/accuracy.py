"""Programs with a known answer, for growth mode's accuracy tests.

Usage: accuracy.py SCENARIO [SECONDS]  (default 20). Prints READY, runs the
scenario for SECONDS, then prints DONE. Leaking scenarios mark the line that
keeps memory with "# LEAK_LINE:<scenario>"; the others must show no
persistent site.

Leaking:    dict, listeners, cycles, ctypes, thread, fmt_append
Not leaking: churn, cache, warmup, batch
Free-list reuse: freelist (keeps empty lists, which it takes from the list
free list, where the churn below drops one each round: the churning line,
marked CHURN, keeps nothing, though no allocator call or free is made
for the lists that pass from it to the kept ones)
Every scenario also churns (builds and drops small objects) so that the
leak is never the only allocation, and sleeps a little each round so the
process behaves like a service rather than a tight benchmark.
"""
import collections
import gc
import sys
import threading
import time

KEEP = []


def churn(i):
    # dies at once: must never rank as a leak
    return len([str(i + k) for k in range(20)])  # CHURN


# --- leaking -------------------------------------------------------------

REGISTRY = {}


def leak_dict(i):
    REGISTRY[i] = {"id": i, "name": "user", "tags": [i]}  # LEAK_LINE:dict


class Listener:
    def __init__(self):
        self.buffer = bytearray(16 * 1024)  # LEAK_LINE:listeners


LISTENERS = []


def leak_listener(i):
    if i % 10 == 0:
        LISTENERS.append(Listener())


def make_cycle(i):
    node = [i] * 40  # LEAK_LINE:cycles
    node[0] = node  # a reference cycle: only the (disabled) collector frees it


LIBC = None


def leak_native(i):
    LIBC.malloc(512)  # LEAK_LINE:ctypes


def thread_worker(end):
    i = 0
    while time.monotonic() < end:
        KEEP.append(("worker", i, [i] * 4))  # LEAK_LINE:thread
        i += 1
        if i % 50 == 0:
            time.sleep(0.005)


LOG = []


def fmt_append(i, t):
    # heavy dict churn, and every fifth round a formatted line kept for
    # good: the line's temporaries (each value's repr, the formatting
    # buffers) outnumber what it keeps, by count (about 60 to 1) and by
    # bytes (about 2 to 1)
    rows = {f"key{k}": {"n": k, "s": str(i + k)} for k in range(16)}
    if i % 5 == 0:
        LOG.append(f"{i:08d} {t:.6f} {rows!r}")  # LEAK_LINE:fmt_append


EMPTY = []


def keep_empty(i):
    EMPTY.append([])


# --- not leaking ---------------------------------------------------------

CACHE = collections.OrderedDict()


def bounded_cache(i):
    CACHE[i] = [i, str(i)]
    if len(CACHE) > 200:
        CACHE.popitem(last=False)


TABLE = []


def warmup(i, t, start):
    # fills a table during the first 1.5 s, then only reads it
    if t - start < 1.5:
        TABLE.append({"k": i, "v": [i] * 3})
    else:
        _ = TABLE[i % len(TABLE)]


BATCH = []


def batch(i, t, start):
    # every 2 s build a batch, hold it 0.3 s, drop it
    phase = (t - start) % 2.0
    if phase < 0.3 and not BATCH:
        BATCH.extend({"row": k} for k in range(5000))
    elif phase >= 0.3 and BATCH:
        BATCH.clear()


def main():
    global LIBC
    scenario = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    if scenario == "cycles":
        gc.disable()
    if scenario == "ctypes":
        import ctypes
        LIBC = ctypes.CDLL(None)
        LIBC.malloc.restype = ctypes.c_void_p
        LIBC.malloc.argtypes = [ctypes.c_size_t]
    print("READY", flush=True)
    start = time.monotonic()
    end = start + seconds
    if scenario == "thread":
        worker = threading.Thread(target=thread_worker, args=(end,))
        worker.start()
    step = {
        "dict": lambda i, t: leak_dict(i),
        "listeners": lambda i, t: leak_listener(i),
        "cycles": lambda i, t: make_cycle(i),
        "ctypes": lambda i, t: leak_native(i),
        "thread": lambda i, t: None,
        "fmt_append": fmt_append,
        "freelist": lambda i, t: keep_empty(i),
        "churn": lambda i, t: None,
        "cache": lambda i, t: bounded_cache(i),
        "warmup": lambda i, t: warmup(i, t, start),
        "batch": lambda i, t: batch(i, t, start),
    }[scenario]
    i = 0
    t = start
    while t < end:
        step(i, t)
        churn(i)
        i += 1
        if i % 50 == 0:
            time.sleep(0.005)
            t = time.monotonic()
    if scenario == "thread":
        worker.join()
    print("DONE", i, flush=True)


if __name__ == "__main__":
    main()
