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

Then the time to an answer at default settings: for each leaking accuracy
program (tests/targets/accuracy.py) and a 60 KiB/s leak (rate_leak.py), on
pyenv 3.11 and Debian's 3.11 (with the switch), pyleak-bpf attaches with its
defaults (reports every second) and the table shows the seconds after
attach at which the leaking line was first ranked first, judged persistent
(the verdict), and alerted on. BENCH_VERDICT=0 skips it.

Last, the tools a user would otherwise pick, on the leaking workload (sized
to run about 15 s bare: a leak needs time to show), each against the median
of three bare runs in the same invocation (ratios of the loop time and of the
target's CPU time: the CPU ratio holds when other work shares the machine),
with whether it named the leaking Python line: pyleak-bpf (defaults,
attached), python -X tracemalloc (with a snapshot the program must take),
heaptrack (run mode; it records native stacks) and Austin's memory mode
(Debian's Austin 1.0.1 reads only Pythons up to 3.9, so on pyenv 3.9.18
against its own bare runs). Each row also shows the peak RSS of the target
and of the tool's own processes (VmHWM of each process, read every 0.2 s).
A tool that is not installed gets a row saying so (make deps installs
heaptrack and austin). BENCH_PEERS=0 skips it.

Then the node agent's own cost (bench/node_bench.py): --all watching 20
and 50 idle Python processes, its CPU and peak RSS, and how long a process
started later waits for its first report. BENCH_NODE=0 skips it.

Parts: `bench/bench.py [PART...]` (or `make bench BENCH="verdict peers"`)
runs only the named parts, in this order: overhead, verdict, peers, node.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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
ONE_WINDOW = ["--first-window", "0", "--window-every", "0", "--growth-trigger", "0",
              "--warmup", "0"]


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


TARGETS = ROOT / "tests" / "targets"
VERDICT_PROGRAMS = [  # (label, script and args, marker of the leaking line)
    ("dict", ["accuracy.py", "dict", "120"], "# LEAK_LINE:dict"),
    ("listeners", ["accuracy.py", "listeners", "120"], "# LEAK_LINE:listeners"),
    ("cycles", ["accuracy.py", "cycles", "120"], "# LEAK_LINE:cycles"),
    ("ctypes", ["accuracy.py", "ctypes", "120"], "# LEAK_LINE:ctypes"),
    ("thread", ["accuracy.py", "thread", "120"], "# LEAK_LINE:thread"),
    ("60 KiB/s", ["rate_leak.py", "60", "120"], "# LEAK_LINE"),
]


def leak_line(script, marker):
    for n, line in enumerate((TARGETS / script).read_text().splitlines(), 1):
        if marker in line and not line.lstrip().startswith(("#", "\"", "-")):
            return n
    raise SystemExit(f"bench: {script} has no {marker}")


def time_to_verdict(python, extra, args, marker, limit=60):
    """Seconds after attach to (ranked first, persistent, alert) of the
    leaking line at default settings; None for what did not come in limit."""
    line = leak_line(args[0], marker)
    target = subprocess.Popen([str(python), str(TARGETS / args[0]), *args[1:]],
                              stdout=subprocess.PIPE, text=True)
    assert target.stdout.readline().strip() == "READY"
    prof = subprocess.Popen([str(BIN), "--format", "json", "--interval", "1", "--duration",
                             str(limit), "-q", "--pid", str(target.pid), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    got = [None, None, None]
    for text in prof.stdout:
        if not text.startswith("{"):
            continue
        r = json.loads(text)
        top = r["sites"][0] if r["sites"] else None
        if not top or Path(top["frames"][0]["file"] or "?").name != args[0] or \
                top["frames"][0]["line"] != line:
            continue
        t = r["elapsed_s"]
        for i, ok in enumerate((True, top.get("persistent"), top.get("alert"))):
            if ok and got[i] is None:
                got[i] = t
        if got[2] is not None:
            prof.send_signal(2)
    prof.wait()
    target.kill()
    target.wait()
    return got


PYENV39 = Path("/root/.pyenv/versions/3.9.18/bin/python3")


class PeakRss:
    """Peak RSS (KiB) of the processes under roots (pids) and their
    descendants, from each one's VmHWM read every 0.2 s while the sampler
    runs: "target" sums the Python processes (argv[0] python*), "tool" all
    the others (the profiler, heaptrack's interpreter, austin). A process
    that lives less than 0.2 s may be missed; the workloads run seconds."""

    def __init__(self):
        self.roots, self.hwm, self.kind = set(), {}, {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self, *pids):
        self.roots.update(pids)
        if not self.thread.is_alive():
            self.thread.start()

    def _tree(self):
        parent = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parent[int(d.name)] = int((d / "stat").read_text().rpartition(")")[2]
                                              .split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        pids = set(p for p in list(self.roots) if p in parent)
        grew = True
        while grew:
            new = {p for p, pp in parent.items() if pp in pids} - pids
            pids |= new
            grew = bool(new)
        return pids

    def _loop(self):
        while not self.stop.is_set():
            for pid in self._tree():
                try:
                    if pid not in self.kind:
                        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
                        self.kind[pid] = ("target" if Path(argv0.decode(errors="replace"))
                                          .name.startswith("python") else "tool")
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.hwm[pid] = max(self.hwm.get(pid, 0), int(line.split()[1]))
                except (OSError, ValueError):
                    continue  # gone meanwhile
            self.stop.wait(0.2)

    def result(self):
        """Stop sampling; (target KiB, tool KiB)."""
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        return tuple(sum(v for p, v in self.hwm.items() if self.kind.get(p) == k)
                     for k in ("target", "tool"))


def timed(argv, attach=None, peak=None):
    """Run the workload argv (waits for "go"), optionally with pyleak-bpf
    attached (its extra args) and with a PeakRss sampler over both; return
    ((loop seconds, the target's CPU seconds), stdout after, final report or
    None)."""
    target = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if peak is not None:
        peak.start(target.pid)
    line = target.stdout.readline()
    while line and line.strip() != "READY":
        line = target.stdout.readline()
    prof = None
    if attach is not None:
        prof = subprocess.Popen([str(BIN), "--format", "json", "--interval", "3600", "-q",
                                 "--pid", str(target.pid), *attach],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if peak is not None:
            peak.start(prof.pid)
        time.sleep(1.5)
    target.stdin.write("go\n")
    target.stdin.flush()
    secs = tuple(map(float, target.stdout.readline().split()[:2]))
    rest = target.stdout.read()
    target.wait()
    final = None
    if prof:
        lines = [l for l in prof.communicate()[0].splitlines() if l.startswith("{")]
        final = json.loads(lines[-1]) if lines else None
    return secs, rest, final


def peer_iterations(seconds):
    """Iterations of the leaking workload that run about seconds bare on
    pyenv 3.11: a leak detector needs the program to run for a while."""
    n = 200000
    secs = timed([str(PYENV if PYENV.exists() else DEBIAN), str(WORK), "leak", str(n)])[0][0]
    return max(n, int(n * seconds / max(secs, 1e-3)))


def missing(tool, why):
    """A peers row for a tool that could not run, saying why."""
    return (tool, "-", None, None, None, f"not run: {why}")


def bare_runs(py, n):
    """(median loop seconds, median CPU seconds) of three bare runs, and
    their largest peak RSS."""
    secs, peaks = [], []
    for _ in range(3):
        peak = PeakRss()
        secs.append(timed([py, str(WORK), "leak", str(n)], peak=peak)[0])
        peaks.append(peak.result()[0])
    return tuple(statistics.median(s[i] for s in secs) for i in (0, 1)), max(peaks)


def ratio(secs, base):
    """(loop, target CPU) of a run against the bare runs' medians."""
    return tuple(a / b for a, b in zip(secs, base))


def peers_table(n):
    line = next(i for i, l in enumerate(WORK.read_text().splitlines(), 1) if "# LEAK_LINE" in l)
    rows = []  # (tool, interpreter, (loop, cpu) ratios, target KiB, tool KiB, named)
    if PYENV.exists():
        py, interp = str(PYENV), "pyenv 3.11.7"
        base, bpeak = bare_runs(py, n)
        rows.append(("bare", interp, (1.0, 1.0), bpeak, None, "-"))
        # pyleak-bpf: default growth mode, attached; named = ranked first and persistent
        peak = PeakRss()
        secs, _, final = timed([py, str(WORK), "leak", str(n)], attach=[], peak=peak)
        top = final["sites"][0] if final and final["sites"] else None
        named = bool(top and top["persistent"] and top["frames"][0]["line"] == line and
                     Path(top["frames"][0]["file"]).name == "workload.py")
        rows.append(("pyleak-bpf (defaults, attached)", interp, ratio(secs, base),
                     *peak.result(),
                     "yes" if named else "no"))
        peak = PeakRss()
        secs, out, _ = timed([py, "-X", "tracemalloc", str(WORK), "leak", str(n)], peak=peak)
        named = f"workload.py:{line}" in out
        rows.append(("python -X tracemalloc (+ a snapshot in the program)", interp,
                     ratio(secs, base), *peak.result(), "yes" if named else "no"))
        if shutil.which("heaptrack") and shutil.which("heaptrack_print"):
            with tempfile.TemporaryDirectory() as d:
                peak = PeakRss()
                secs, _, _ = timed(["heaptrack", "-o", f"{d}/ht", py, str(WORK), "leak", str(n)],
                                   peak=peak)
                files = list(Path(d).glob("ht*"))
                text = subprocess.run(["heaptrack_print", "-f", str(files[0])], text=True,
                                      capture_output=True).stdout if files else ""
            rows.append(("heaptrack (run mode)", interp, ratio(secs, base), *peak.result(),
                         "yes" if f"workload.py:{line}" in text else "no (native frames only)"))
        else:
            rows.append(missing("heaptrack", "not installed (make deps, or apt-get install "
                                             "heaptrack)"))
    else:
        rows.append(missing("pyleak-bpf, tracemalloc, heaptrack", f"no {PYENV}"))
    if not shutil.which("austin"):
        rows.append(missing("austin -m", "not installed (make deps, or apt-get install austin)"))
    elif not PYENV39.exists():
        rows.append(missing("austin -m", f"no {PYENV39} (Debian's Austin 1.0.1 reads "
                                         "Pythons up to 3.9)"))
    else:
        py, interp = str(PYENV39), "pyenv 3.9.18"
        base, bpeak = bare_runs(py, n)
        rows.append(("bare", interp, (1.0, 1.0), bpeak, None, "-"))
        with tempfile.TemporaryDirectory() as d:
            peak = PeakRss()
            secs, _, _ = timed(["austin", "-m", "-o", f"{d}/a", py, str(WORK), "leak", str(n)],
                               peak=peak)
            grown = {}
            for rec in Path(f"{d}/a").read_text(errors="replace").splitlines():
                stack, _, value = rec.rpartition(" ")
                frames = stack.split(";")
                if not value.lstrip("-").isdigit() or len(frames) < 2:
                    continue
                key = frames[-2].split(" (")[-1].rstrip(")") + ":" + frames[-1].lstrip("L")
                grown[key] = grown.get(key, 0) + max(int(value), 0)
        best = max(grown, key=grown.get) if grown else ""
        rows.append(("austin -m (Debian's 1.0.1)", interp, ratio(secs, base), *peak.result(),
                     "yes" if best == f"{WORK}:{line}" else f"no (top: {best or 'nothing'})"))
    print(f"peers on the leaking workload (N={n}), against the median of 3 bare runs of the "
          f"same interpreter: loop time and the target's CPU time (the CPU ratio holds "
          f"when other work shares the machine); peak RSS (MiB) of the target and of the "
          f"tool's own processes:")
    print(f"  {'tool':52} {'interpreter':14} {'loop':>7} {'cpu':>7} {'target':>7} {'tool':>6}  "
          f"named the leaking line")

    def mib(kib):
        return f"{kib / 1024:.0f}" if kib else "-"
    for name, interp, ratios, tpeak, opeak, named in rows:
        print(f"  {name:52} {interp:14} " +
              (" ".join(f"{r:6.2f}x" for r in ratios) if ratios else f"{'-':>7} {'-':>7}") +
              f" {mib(tpeak):>7} {mib(opeak):>6}  {named}")


def verdict_table():
    rows = []
    builds = [("pyenv 3.11.7", PYENV, [])] if PYENV.exists() else []
    builds.append(("debian 3.11 (switch)", DEBIAN, ["--switch-allocator"]))
    for label, args, marker in VERDICT_PROGRAMS:
        for bname, py, extra in builds:
            rows.append((f"{label}: {bname}", time_to_verdict(py, extra, args, marker)))
    print("time to an answer at default settings (seconds after attach; - : not within 60 s):")
    print(f"  {'program: build':40} {'ranked first':>12} {'verdict':>8} {'alert':>8}")
    for name, got in rows:
        print(f"  {name:40} " + " ".join(f"{(f'{v:.0f}' if v is not None else '-'):>{w}}"
                                         for v, w in zip(got, (12, 8, 8))))


def overhead_table():
    """The cost of each mode on both workloads, against bare runs."""
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


PARTS = ("overhead", "verdict", "peers", "node")


def main():
    if os.geteuid() != 0 or not BIN.exists():
        sys.exit("bench: needs root and a built ./pyleak-bpf")
    parts = sys.argv[1:] or PARTS
    if set(parts) - set(PARTS):
        sys.exit(f"bench: unknown part(s) {' '.join(sorted(set(parts) - set(PARTS)))}; "
                 f"parts: {' '.join(PARTS)}")
    if "overhead" in parts:
        overhead_table()
    if "verdict" in parts and os.environ.get("BENCH_VERDICT", "1") != "0":
        verdict_table()
    if "peers" in parts and os.environ.get("BENCH_PEERS", "1") != "0":
        peers_table(peer_iterations(15))
    if "node" in parts and os.environ.get("BENCH_NODE", "1") != "0":
        from node_bench import node_table
        node_table()


if __name__ == "__main__":
    main()
