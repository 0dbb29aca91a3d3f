# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The node agent's own cost (issue 12): pyleak-bpf --all watching 20 and 50
idle Python processes, and how long a new process waits for its first report.

For each N: start N idle interpreters (pyenv 3.11, `time.sleep` in a loop:
no allocations, so what is measured is the agent's upkeep, not probes),
start `pyleak-bpf --all --match TOKEN` (defaults otherwise: growth mode,
--interval 10, --rescan 2), wait until every process has had a report, then
measure over STEADY_S seconds the agent's CPU (utime + stime from
/proc/PID/stat, as a share of one core), its peak RSS (VmHWM) and its
memory cgroup's peak (RSS plus the kernel memory charged to it: the BPF
maps, which a container's memory limit counts). Then one
more process is started and the wall time until the agent's first report
on it is measured (it is found within a rescan, attached, and reported at
its first interval: with the defaults about 2 + attach + 10 s).

Run by `make bench BENCH=node` (or bench/bench.py node); not in CI.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINARY = ROOT / "pyleak-bpf"
PY = Path("/root/.pyenv/versions/3.11.7/bin/python3")
STEADY_S = float(os.environ.get("BENCH_NODE_STEADY", "60"))
COUNTS = [int(x) for x in os.environ.get("BENCH_NODE_COUNTS", "20 50").split()]
IDLE = "import sys, time\nprint('READY', flush=True)\nwhile True:\n    time.sleep(1)\n"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def hwm_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_cgroup_root():
    """Where a memory cgroup can be made: cgroup v1's memory hierarchy, or a
    cgroup v2 hierarchy whose root offers the memory controller. None when
    neither is writable (the kernel-memory column then says n/a)."""
    for line in Path("/proc/mounts").read_text().splitlines():
        dev, mnt, fstype, opts = line.split()[:4]
        if fstype == "cgroup" and "memory" in opts.split(","):
            return Path(mnt), "memory.max_usage_in_bytes"
    for line in Path("/proc/mounts").read_text().splitlines():
        dev, mnt, fstype = line.split()[:3]
        ctl = Path(mnt) / "cgroup.controllers"
        if fstype == "cgroup2" and ctl.exists() and "memory" in ctl.read_text().split():
            return Path(mnt), "memory.peak"
    return None, None


class MemoryCgroup:
    """A fresh memory cgroup for the agent: its peak holds the agent's RSS
    and what the kernel charges it for: above all the BPF maps' memory, which
    a DaemonSet's memory limit counts and VmHWM does not."""

    def __init__(self, token):
        root, self.peak_file = memory_cgroup_root()
        self.dir = root / f"pyleak-bench-{token}" if root else None
        if self.dir:
            try:
                self.dir.mkdir()
                if self.peak_file == "memory.peak" and not (self.dir / "memory.peak").exists():
                    raise OSError("memory.peak needs Linux 5.19")
            except OSError:
                self.dir = None

    def enter(self):
        """preexec_fn: the child joins the cgroup before it allocates."""
        if self.dir:
            (self.dir / "cgroup.procs").write_text(str(os.getpid()))

    def peak_mib(self):
        if not self.dir:
            return float("nan")
        return int((self.dir / self.peak_file).read_text()) / 2**20

    def remove(self):
        if self.dir:
            for _ in range(50):  # the agent's exit is reaped; its charge leaves
                try:
                    self.dir.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


def start_idle(script):
    p = subprocess.Popen([str(PY), str(script)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "READY"
    return p


class Reports:
    """Reads the agent's JSON lines as they are written: pid -> time of its
    first report."""

    def __init__(self, path):
        self.path, self.pos, self.first = path, 0, {}

    def poll(self):
        with open(self.path) as f:
            f.seek(self.pos)
            while True:
                line = f.readline()
                if not line.endswith("\n"):
                    break
                self.pos = f.tell()
                try:
                    pid = json.loads(line)["process"]["pid"]
                except (ValueError, KeyError, TypeError):
                    continue
                self.first.setdefault(pid, time.monotonic())


def wait_for(cond, limit, what):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    raise SystemExit(f"node bench: {what} within {limit:.0f} s")


def one(n):
    token = "nodebench" + secrets.token_hex(4)
    work = Path(tempfile.mkdtemp(prefix="pyleak-nodebench."))
    script = work / f"idle_{token}.py"
    script.write_text(IDLE)
    out = work / "r.jsonl"
    out.write_text("")
    targets = [start_idle(script) for _ in range(n)]
    cg = MemoryCgroup(token)
    agent = subprocess.Popen([str(BINARY), "--all", "--match", token, "--format", "json",
                              "--output", str(out)], stderr=subprocess.DEVNULL,
                             preexec_fn=cg.enter)
    reports = Reports(out)
    try:
        t0 = time.monotonic()
        pids = {t.pid for t in targets}

        def all_reported():
            reports.poll()
            return pids <= set(reports.first)
        wait_for(all_reported, 60 + 3 * n, f"not every one of {n} processes was reported")
        attach_all_s = max(reports.first[p] for p in pids) - t0
        c0, w0 = cpu_s(agent.pid), time.monotonic()
        time.sleep(STEADY_S)
        cpu = (cpu_s(agent.pid) - c0) / (time.monotonic() - w0)
        late = start_idle(script)
        t_late = time.monotonic()

        def late_reported():
            reports.poll()
            return late.pid in reports.first
        wait_for(late_reported, 120, "the process started late was not reported")
        first_report_s = reports.first[late.pid] - t_late
        targets.append(late)
        rss = hwm_mib(agent.pid)
        cg_peak = cg.peak_mib()
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=120)
        except subprocess.TimeoutExpired:
            agent.kill()
        for t in targets:
            t.kill()
            t.wait()
        cg.remove()
    return {"n": n, "cpu_pct": 100 * cpu, "rss_mib": rss, "cgroup_mib": cg_peak,
            "all_reported_s": attach_all_s, "first_report_s": first_report_s}


def node_table():
    if not os.access(BINARY, os.X_OK) or not PY.exists():
        print(f"node bench: needs {BINARY} (make) and {PY} (pyenv)", file=sys.stderr)
        return
    print(f"\nNode agent's own cost (--all, defaults: growth mode, --interval 10, --rescan 2; "
          f"idle pyenv 3.11 processes; CPU over {STEADY_S:.0f} s of steady state)")
    print(f"{'processes':>9}  {'CPU % of a core':>15}  {'peak RSS MiB':>12}  "
          f"{'peak with kernel MiB':>20}  "
          f"{'all reported (s)':>16}  {'new process: first report (s)':>29}")
    for n in COUNTS:
        r = one(n)
        print(f"{r['n']:>9}  {r['cpu_pct']:>15.2f}  {r['rss_mib']:>12.1f}  "
              f"{r['cgroup_mib']:>20.1f}  "
              f"{r['all_reported_s']:>16.1f}  {r['first_report_s']:>29.1f}", flush=True)


if __name__ == "__main__":
    node_table()
