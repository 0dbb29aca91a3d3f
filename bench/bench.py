#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make bench: what profiling costs the profiled program, and the profiler.

Two workloads (bench/workload.py: allocation-heavy, and leaking beside
churn), each run bare and under:
  growth, outside windows  the default mode's always-on part (kernel events,
                           /proc, GC read from memory); windows disabled
  growth, 1 window forced  one default window (--window-allocs 20000) opened
                           as the loop starts: its capture and follow phases
  python -X tracemalloc    CPython's own tracer, for comparison
  --mode alloc             a probe on every allocation and free (run on a
                           loop 100x shorter, compared with a bare run of it)
The profiler attaches (--pid) before the loop starts; the loop times itself.
Configurations are interleaved and repeated; the table shows the median loop
time, its ratio to bare, probe hits per second, and the profiler's own CPU
time and peak RSS. The cost of one window is the forced-window run minus the
outside-windows run. Results vary with the machine (a nested VM pays 15-20 us
per trap); only ratios within one invocation are meant to be compared.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "pyleak-bpf"
WORK = ROOT / "bench" / "workload.py"
N = int(os.environ.get("BENCH_N", "1500000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
PYENV = Path("/root/.pyenv/versions/3.11.7/bin/python3")
DEBIAN = Path("/usr/bin/python3.11")
NO_WINDOWS = ["--first-window", "-1", "--window-every", "0", "--growth-trigger", "0"]
ONE_WINDOW = ["--first-window", "0", "--window-every", "0", "--growth-trigger", "0"]


def run(python, kind, n, profile=None, pyflags=()):
    """One loop: (loop s, target cpu s, profiler cpu s, profiler peak KiB, hits/s)."""
    target = subprocess.Popen([str(python), *pyflags, str(WORK), kind, str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert target.stdout.readline().strip() == "READY"
    prof = rep = None
    if profile is not None:
        rep = tempfile.NamedTemporaryFile("r", suffix=".json")
        prof = subprocess.Popen([str(BIN), "--format", "json", "--output", rep.name,
                                 "--interval", "3600", "-q", "--pid", str(target.pid), *profile],
                                stdout=subprocess.DEVNULL)
        time.sleep(1.5)  # attached, BPF loaded, first refresh done
    target.stdin.write("go\n")
    target.stdin.flush()
    secs, cpu = map(float, target.stdout.readline().split())
    target.wait()
    pcpu = peak = hits = None
    if prof:
        _, status, ru = os.wait4(prof.pid, 0)
        prof.returncode = os.waitstatus_to_exitcode(status)
        pcpu, peak = ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        lines = [l for l in Path(rep.name).read_text().splitlines() if l.startswith("{")]
        rep.close()
        if prof.returncode not in (0, 9) or not lines:
            sys.exit(f"bench: profiler failed ({prof.returncode}): {profile}")
        final = json.loads(lines[-1])
        c = final["capture"]
        hits = (c["alloc_hits"] + c["free_hits"]) / max(final["elapsed_s"], 1e-3)
    return secs, cpu, pcpu, peak, hits


def main():
    if os.geteuid() != 0 or not BIN.exists():
        sys.exit("bench: needs root and a built ./pyleak-bpf")
    small = N // 100
    configs = []  # (name, group for the bare baseline, python, kind, n, profile, pyflags)
    for kind in ("alloc", "leak"):
        if PYENV.exists():
            p = PYENV
            configs += [
                (f"{kind}: pyenv 3.11.7 bare", f"p{kind}", p, kind, N, None, ()),
                (f"{kind}: pyenv 3.11.7 growth, outside windows", f"p{kind}", p, kind, N,
                 NO_WINDOWS, ()),
                (f"{kind}: pyenv 3.11.7 growth, 1 window forced", f"p{kind}", p, kind, N,
                 ONE_WINDOW, ()),
                (f"{kind}: pyenv 3.11.7 -X tracemalloc", f"p{kind}", p, kind, N, None,
                 ("-X", "tracemalloc")),
                (f"{kind}: pyenv 3.11.7 bare (N/100)", f"p{kind}s", p, kind, small, None, ()),
                (f"{kind}: pyenv 3.11.7 --mode alloc (N/100)", f"p{kind}s", p, kind, small,
                 ["--mode", "alloc"], ()),
            ]
        configs += [
            (f"{kind}: debian 3.11 bare", f"d{kind}", DEBIAN, kind, N, None, ()),
            (f"{kind}: debian 3.11 growth, outside windows", f"d{kind}", DEBIAN, kind, N,
             NO_WINDOWS + ["--switch-allocator"], ()),
            (f"{kind}: debian 3.11 growth, 1 window forced (switch)", f"d{kind}", DEBIAN,
             kind, N, ONE_WINDOW + ["--switch-allocator"], ()),
        ]
    res = {c[0]: [] for c in configs}
    for _ in range(REPEAT):
        for name, _, py, kind, n, prof, flags in configs:
            res[name].append(run(py, kind, n, prof, flags))
    med = {name: statistics.median(r[0] for r in rs) for name, rs in res.items()}
    base = {}
    for name, group, *_ in configs:
        if " bare" in name and group not in base:
            base[group] = med[name]
    print(f"pyleak-bpf benchmark: N={N} loop iterations (alloc mode: N/100), median of "
          f"{REPEAT}, interleaved")
    print(f"{'configuration':56} {'loop s':>8} {'ratio':>7} {'hits/s':>8} {'prof cpu s':>10} "
          f"{'prof peak':>10}")
    for name, group, *_ in configs:
        rs = res[name]
        hits = [r[4] for r in rs if r[4] is not None]
        pcpu = [r[2] for r in rs if r[2] is not None]
        peak = [r[3] for r in rs if r[3] is not None]
        print(f"{name:56} {med[name]:8.3f} {med[name] / base[group]:6.3f}x "
              f"{(f'{statistics.median(hits):.0f}' if hits else '-'):>8} "
              f"{(f'{statistics.median(pcpu):.2f}' if pcpu else '-'):>10} "
              f"{(f'{max(peak) / 1024:.0f} MiB' if peak else '-'):>10}")
    print("window cost (1 window forced minus outside windows, target loop seconds):")
    for name, *_ in configs:
        if "1 window forced" in name:
            other = name.replace("1 window forced (switch)", "outside windows").replace(
                "1 window forced", "outside windows")
            print(f"  {name:54} {med[name] - med[other]:+.3f} s")


if __name__ == "__main__":
    main()
