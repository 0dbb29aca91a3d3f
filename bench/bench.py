#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make bench: what profiling costs the profiled program.

Each configuration runs the same allocation-heavy loop (bench/alloc_loop.py);
the loop times itself, so interpreter start-up and attaching are excluded.
Configurations are interleaved and repeated; the table shows the median loop
time, the ratio to the same interpreter run bare, and probe hits per second.
Results vary with the machine (a nested VM pays 15-20 us per trap); only the
ratios within one invocation are meant to be compared."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "pyleak-bpf"
LOOP = ROOT / "bench" / "alloc_loop.py"
N = int(os.environ.get("BENCH_N", "20000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
PYENV = Path("/root/.pyenv/versions/3.11.7/bin/python3")
DEBIAN = Path("/usr/bin/python3.11")


def run(argv, env=None):
    """Loop seconds, object allocations, and (profiled) probe hits."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as rep:
        if argv[0] == "PROFILE":
            argv = [str(BIN), "--format", "json", "--output", rep.name, "--interval", "3600",
                    *argv[1:]]
        out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
        secs, allocs = out.split()[-2:]
        hits = None
        lines = [l for l in Path(rep.name).read_text().splitlines() if l.startswith("{")]
        if lines:
            final = json.loads(lines[-1])
            hits = (final["capture"]["alloc_hits"], final["elapsed_s"])
        return float(secs), int(allocs), hits


def main():
    if os.geteuid() != 0 or not BIN.exists():
        sys.exit("bench: needs root and a built ./pyleak-bpf")
    env_malloc = dict(os.environ, PYTHONMALLOC="malloc")
    configs = []
    if PYENV.exists():
        configs += [
            ("pyenv 3.11.7 bare", "pyenv", [str(PYENV), str(LOOP), str(N)], None),
            ("pyenv 3.11.7 --mode alloc (table probes)", "pyenv",
             ["PROFILE", "--keep-pymalloc", "--", str(PYENV), str(LOOP), str(N)], None),
        ]
    configs += [
        ("debian 3.11 bare", "debian", [str(DEBIAN), str(LOOP), str(N)], None),
        ("debian 3.11 bare, PYTHONMALLOC=malloc", "debian-malloc",
         [str(DEBIAN), str(LOOP), str(N)], env_malloc),
        ("debian 3.11 --mode alloc -- CMD (PYTHONMALLOC=malloc, libc probes)", "debian-malloc",
         ["PROFILE", "--", str(DEBIAN), str(LOOP), str(N)], None),
    ]
    results = {name: [] for name, *_ in configs}
    hits = {}
    for _ in range(REPEAT):
        for name, _, argv, env in configs:
            secs, allocs, h = run(argv, env)
            results[name].append(secs)
            if h is not None:
                hits[name] = h  # (hits, seconds attached), whole run incl. start-up
    base = {}
    for name, group, *_ in configs:
        if "bare" in name and group not in base:
            base[group] = statistics.median(results[name])
    print(f"pyleak-bpf benchmark: {N} loop iterations ({2 * N} object allocations), "
          f"median of {REPEAT}")
    print(f"{'configuration':70} {'loop s':>9} {'ratio':>8} {'hits':>8} {'hits/s':>9}")
    print("(hits: allocator entry probes over the whole run, start-up included)")
    for name, group, *_ in configs:
        med = statistics.median(results[name])
        h = hits.get(name)
        print(f"{name:70} {med:9.4f} {med / base[group]:7.1f}x "
              f"{(str(h[0]) if h else '-'):>8} {(f'{h[0] / h[1]:.0f}' if h else '-'):>9}")


if __name__ == "__main__":
    main()
