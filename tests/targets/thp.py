"""Touches 64 MiB of anonymous memory marked MADV_HUGEPAGE, one byte per
2 MiB, so that (when the kernel has huge pages to give) 32 faults map 64 MiB.
Prints what the kernel says it mapped: "THP <AnonHugePages bytes> RSS_ANON
<RssAnon growth bytes>", then lingers so the profiler reads its counters.

Usage: thp.py [LINGER_SECONDS]
"""
import ctypes
import mmap
import sys
import time

HUGE = 2 << 20
SIZE = 64 << 20


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def anon_huge():
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("AnonHugePages:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    linger = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    m = mmap.mmap(-1, SIZE + HUGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    view = (ctypes.c_char * len(m)).from_buffer(m)
    start = (-ctypes.addressof(view)) % HUGE  # first 2 MiB boundary inside
    del view
    m.madvise(mmap.MADV_HUGEPAGE, start, SIZE)
    before = status("RssAnon")
    for off in range(start, start + SIZE, HUGE):
        m[off] = 1
    print("THP", anon_huge(), "RSS_ANON", status("RssAnon") - before, flush=True)
    time.sleep(linger)
    m.close()


if __name__ == "__main__":
    main()
