#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make soak: does pyleak-bpf stay bounded over a long session?

Two sessions side by side for MINUTES (argument 1, default 30), each
attached to its own bench/soak_target.py on pyenv 3.11.7 (Debian's
python3.11 with --switch-allocator where pyenv is missing), a service that
churns (a new generated function, so new allocation sites, every second)
and leaks 2 KiB/s:
  growth  default growth mode, with a window every minute (--window-every 60,
          a budget that allows them) so windows open and close all along
  alloc   --mode alloc: a probe on every allocation and free
Each minute the table shows, for each profiler, its RSS (VmRSS), the CPU it
used (utime+stime from /proc/PID/stat, cumulative) and the entries in its BPF
hash maps (found through the map ids in /proc/PID/fdinfo, counted by
`bpftool -j map dump`; arrays are always full and not counted). Then each
session's entries per map at the end.

RSS must reach a plateau: for each profiler, the largest RSS of the last
third of the run may exceed that of the middle third by at most 10% plus
512 KiB (the first third is warm-up; a slow creep, e.g. 40 KiB a minute over
30 minutes, passes, so the summary prints the last third's slope); otherwise,
or if a profiler or target dies early, it says why and exits 1. Not in CI
(it takes the minutes it says).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "pyleak-bpf"
TARGET = ROOT / "bench" / "soak_target.py"
PYENV = Path("/root/.pyenv/versions/3.11.7/bin/python3")
DEBIAN = Path("/usr/bin/python3.11")
LEAK_KIB_S = 2
SLACK, SLACK_KIB = 0.10, 512
HASH_TYPES = ("hash", "lru_hash", "percpu_hash", "lru_percpu_hash")
MODES = {
    "growth": ["--window-every", "60", "--window-budget", "1800"],
    "alloc": ["--mode", "alloc"],
}


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for {pid}")


def cpu_s(pid):
    """utime + stime of pid, seconds (fields 14 and 15 of /proc/PID/stat,
    counted after the command's closing parenthesis)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def map_entries(pid):
    """{map name: entries} of the BPF hash maps pid holds open."""
    ids = set()
    for fd in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            for line in fd.read_text().splitlines():
                if line.startswith("map_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            continue  # the fd closed meanwhile
    out = {}
    for i in sorted(ids):
        info = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(i)],
                                         capture_output=True, text=True, check=True).stdout)
        if info["type"] not in HASH_TYPES:
            continue
        dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(i)],
                              capture_output=True, text=True).stdout
        n = len(json.loads(dump)) if dump.strip() else 0
        out[info["name"]] = out.get(info["name"], 0) + n
    return out


def start(mode, seconds, report):
    py = PYENV if PYENV.exists() else DEBIAN
    target = subprocess.Popen([str(py), str(TARGET), str(LEAK_KIB_S), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert target.stdout.readline().strip() == "READY"
    extra = [] if py == PYENV else ["--switch-allocator"]
    prof = subprocess.Popen([str(BIN), "--pid", str(target.pid), "--format", "json",
                             "--output", report, "--interval", "10", "-q",
                             *MODES[mode], *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return target, prof


def plateau(series):
    """None if the RSS series (KiB, one a minute) plateaus, else why not."""
    third = len(series) // 3
    if third < 1:
        return "too few samples to judge (run at least 3 minutes)"
    mid, last = max(series[third:2 * third]), max(series[2 * third:])
    limit = mid * (1 + SLACK) + SLACK_KIB
    if last > limit:
        return (f"RSS still rising: last third's peak {last} KiB > middle third's "
                f"{mid} KiB + {SLACK:.0%} + {SLACK_KIB} KiB = {limit:.0f} KiB")
    return None


def leak_line():
    return next(n for n, l in enumerate(TARGET.read_text().splitlines(), 1)
                if "# LEAK_LINE" in l)


def verdict(report, line):
    """Whether the last report ranks line (LEAK_LINE of the target as it
    was started) first, and the windows it opened and settled if any."""
    lines = [l for l in Path(report).read_text().splitlines() if l.startswith("{")]
    if not lines:
        return "no report"
    last = json.loads(lines[-1])
    w = last.get("windows") or {}
    windows = f"; windows opened {w['opened']}, settled {w['settled']}" if "opened" in w else ""
    sites = last.get("sites") or []
    if not sites:
        return "no site" + windows
    top = sites[0]["frames"][0]
    return ("yes" if Path(top["file"] or "?").name == TARGET.name and top["line"] == line
            else f"no (top {top['file']}:{top['line']})") + windows


def main():
    minutes = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    if os.geteuid() != 0 or not BIN.exists():
        sys.exit("soak: needs root and a built ./pyleak-bpf")
    if minutes < 3:
        sys.exit("soak: MINUTES must be at least 3 (the plateau is judged by thirds)")
    tmp = tempfile.TemporaryDirectory(prefix="pyleak-soak-")
    line = leak_line()  # as the targets run it, should the file change meanwhile
    runs = {m: start(m, minutes * 60 + 120, f"{tmp.name}/{m}.jsonl") for m in MODES}
    samples = {m: [] for m in MODES}  # (rss KiB, cpu s, {map: entries})
    failed = []
    print(f"pyleak-bpf soak: {minutes} min, target leaking {LEAK_KIB_S} KiB/s beside churn; "
          f"per profiler: RSS, CPU (utime+stime, cumulative), BPF hash-map entries",
          flush=True)
    print(f"{'min':>4} | {'growth RSS':>10} {'CPU s':>7} {'entries':>8} | "
          f"{'alloc RSS':>10} {'CPU s':>7} {'entries':>8}", flush=True)
    t0 = time.monotonic()
    for minute in range(1, minutes + 1):
        time.sleep(max(0.0, t0 + minute * 60 - time.monotonic()))
        cells = []
        for m, (target, prof) in runs.items():
            if prof.poll() is not None or target.poll() is not None:
                failed.append(f"{m}: {'profiler' if prof.poll() is not None else 'target'} "
                              f"exited early ({prof.poll()}, {target.poll()}) in minute "
                              f"{minute}: {prof.stderr.read().strip()[-400:]}")
                cells.append(f"{'-':>10} {'-':>7} {'-':>8}")
                continue
            s = (rss_kib(prof.pid), cpu_s(prof.pid), map_entries(prof.pid))
            samples[m].append(s)
            cells.append(f"{s[0] / 1024:7.1f} MiB {s[1]:7.1f} {sum(s[2].values()):8d}")
        print(f"{minute:4d} | " + " | ".join(cells), flush=True)
        if len(failed) == len(runs):
            break
    for m, (target, prof) in runs.items():
        if prof.poll() is None:
            prof.send_signal(2)
        try:
            prof.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prof.kill()
            prof.wait()
            failed.append(f"{m}: profiler did not stop within 30 s of SIGINT")
        target.kill()
        target.wait()
    for m, series in samples.items():
        if not series:
            continue
        rss = [s[0] for s in series]
        tail = rss[2 * (len(rss) // 3):]
        print(f"{m}: RSS {min(rss) / 1024:.1f}-{max(rss) / 1024:.1f} MiB "
              f"(last third: {(tail[-1] - tail[0]) / max(len(tail) - 1, 1):+.0f} KiB/min), CPU "
              f"{series[-1][1]:.1f} s in {len(series)} min "
              f"({100 * series[-1][1] / (60 * len(series)):.1f}% of a core), "
              f"leaking line ranked first: {verdict(f'{tmp.name}/{m}.jsonl', line)}")
        print("  entries at the end: " + ", ".join(f"{k} {v}" for k, v in
                                                    sorted(series[-1][2].items())))
        why = plateau(rss)
        if why:
            failed.append(f"{m}: {why}")
    tmp.cleanup()
    for why in failed:
        print(f"soak: FAIL: {why}", file=sys.stderr)
    if failed:
        sys.exit(1)
    print("soak: RSS reached a plateau in both sessions")


if __name__ == "__main__":
    main()
