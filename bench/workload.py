"""Benchmark workloads. Usage: workload.py KIND N

KIND alloc: allocation-heavy: each iteration builds a small dict holding a
     3-element list and a str, and drops it (one in 100 is kept).
KIND leak:  a service that leaks: every tenth iteration stores a small dict
     for good; each churns a 20-element list of strs.
Prints READY, waits for a line on stdin (so a profiler can attach first),
runs N iterations and prints "<loop seconds> <cpu seconds of the loop>" (this
process's user+system time, which includes the kernel's time in probes it hits).
"""
import resource
import sys
import time

kind, n = sys.argv[1], int(sys.argv[2])
keep = []
print("READY", flush=True)
sys.stdin.readline()
ru0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
if kind == "alloc":
    for i in range(n):
        d = {"k": [i, i, i], "s": str(i)}
        if i % 100 == 0:
            keep.append(d)
else:
    for i in range(n):
        if i % 10 == 0:
            keep.append({"id": i})  # LEAK_LINE
        [str(i + k) for k in range(20)]
elapsed = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
cpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
print(f"{elapsed:.6f} {cpu:.3f}", flush=True)
import tracemalloc  # noqa: E402 (after the timed loop: costs nothing there)

if tracemalloc.is_tracing():
    # what a tracemalloc user adds to the program: a snapshot, by line
    top = tracemalloc.take_snapshot().statistics("lineno")[0]
    print(f"TOP {top.traceback[0].filename}:{top.traceback[0].lineno}", flush=True)
