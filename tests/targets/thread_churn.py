"""Many short-lived threads, then a leak in a thread started after them.

Usage: thread_churn.py THREADS [LEAK_SECONDS]. Prints READY, waits 2 s
(attach window), then starts THREADS threads one after another (each
allocates a little and exits), prints CHURNED, then starts one more thread
that leaks at LEAK_LINE for LEAK_SECONDS (default 3). A profiler that keeps per-thread
state must forget it when a thread is done, or it goes blind after its
table fills.
"""
import _thread
import sys
import threading
import time

KEEP = []


def short_lived(done):
    # one list: two allocations through the allocator (object and items);
    # fewer allocations keep the test fast
    KEEP.append([0] * 4)
    KEEP.pop()
    done.release()


def leaker(end):
    i = 0
    while time.monotonic() < end:
        KEEP.append([i % 200] * 50)  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)


def churn(n):
    done = _thread.allocate_lock()
    for _ in range(n):
        done.acquire()
        _thread.start_new_thread(short_lived, (done,))
    done.acquire()  # the last one has finished


def main():
    threads = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    print("READY", flush=True)
    time.sleep(2)
    t = time.monotonic()
    churn(threads)
    print("CHURNED", threads, round(time.monotonic() - t, 1), flush=True)
    t = threading.Thread(target=leaker, args=(time.monotonic() + seconds,))
    t.start()
    t.join()
    print("DONE", len(KEEP), flush=True)


if __name__ == "__main__":
    main()
