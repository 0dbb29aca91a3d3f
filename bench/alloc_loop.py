"""Allocation-heavy loop for the benchmark: N iterations, each allocating a
small dict and a 3-element list, one in ten kept alive. Prints the seconds
the loop took (start-up and attach are not in it) and the allocations the
interpreter made for it (sys.getallocatedblocks delta is not that; we count
the objects we create: 2 per iteration)."""
import sys
import time

n = int(sys.argv[1])
keep = []
t0 = time.perf_counter()
for i in range(n):
    d = {"k": [i, i, i]}
    if i % 10 == 0:
        keep.append(d)
print(f"{time.perf_counter() - t0:.6f} {2 * n}")
