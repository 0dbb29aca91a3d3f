"""Node mode (--all): one pyleak-bpf watching every Python process on the host.

Targets run from copies of the scripts whose names carry a token unique to
the test, and --match selects that token, so Python processes of other
tests running on the machine at the same time are left alone (node mode
would otherwise watch them too, which is right, but not this test's
subject)."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import BINARY, TARGETS, Run, fdinfo, leak_line, need, pyenv_python, top_frame
from test_launch import proc_state
from test_versions import chroot_python_pid

CHROOTS = Path(os.environ.get("PYLEAK_CHROOT_CACHE", "/var/cache/pyleak-bpf/chroots"))
LEAK = leak_line("leaky.py")
EXEC_LEAK = leak_line("execer.py")
# windows as in test_growth.py, and every process may have one at once:
# the scheduling across processes is test_winsched.c's subject
FAST = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
        "--window-allocs", 5000, "--window-budget", 3600, "--rescan", 0.5)


class Proc:
    """A process started for the test (its own session: killed at the end)."""

    def __init__(self, argv, ready=True):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        if ready:
            line = self.proc.stdout.readline()
            assert "READY" in line, (argv, line, self.proc.stderr.read())
        self.pid = self.proc.pid

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def node_env(tmp_path):
    """(token, copy, start): copy(script) puts tests/targets/SCRIPT into
    tmp_path under a name with the token; start(argv) runs a process."""
    token = "nodetest" + uuid.uuid4().hex[:10]
    started = []

    def copy(script, where=tmp_path):
        dest = Path(where) / script.replace(".py", f"_{token}.py")
        shutil.copy(TARGETS / script, dest)
        return dest

    def start(argv, ready=True):
        p = Proc([str(a) for a in argv], ready)
        started.append(p)
        return p

    yield token, copy, start
    for p in started:
        p.kill()


def run_node(tmp_path, *args, timeout=90):
    out = tmp_path / "reports.json"
    argv = [str(BINARY), "--format", "json", "--output", str(out), *map(str, args)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, out


def finish(proc, out, timeout=90):
    stdout, stderr = proc.communicate(timeout=timeout)
    return Run(proc, stdout, stderr, out)


def by_pid(run):
    seen = {}
    for r in run.reports:
        seen.setdefault(r["process"]["pid"], []).append(r)
    return seen


def ranks(report, script, line, func):
    return bool(report["sites"]) and top_frame(report["sites"][0]) == (script, line, func)


def test_all_watches_exactly_the_python_processes(tmp_path, node_env):
    token, copy, start = node_env
    py312, py311, py39, py310 = (pyenv_python(v) for v in ("3.12.1", "3.11.7", "3.9.18",
                                                            "3.10.13"))
    for py in (py312, py311, py39, py310):
        need(py.exists(), f"{py} is not installed")
    need(Path("/usr/bin/python3.11").exists(), "Debian's python3.11 is not installed")
    trixie = CHROOTS / "trixie"
    need((trixie / ".complete").exists(), "chroot trixie missing: run tests/setup_chroots.sh")
    leaky = copy("leaky.py")
    execer = copy("execer.py")
    in_chroot = copy("leaky.py", trixie / "tmp")
    try:
        a = start([py312, leaky, 40])
        b = start(["/usr/bin/python3.11", leaky, 40])
        c = start(["unshare", "--mount", "--pid", "--fork", "chroot", trixie, "python3",
                   f"/tmp/{in_chroot.name}", 40])
        c_pid = chroot_python_pid(c.pid)
        gone = start([py39, leaky, 12])
        # not Python: its command line has the token too
        sh = start(["sh", "-c", f"sleep 40; : {token}"], ready=False)
        # Debian's builds (LTO) hide small objects from probes: switched per window
        proc, out = run_node(tmp_path, "--all", "--match", token, "--duration", 22,
                             "--interval", 2, "--switch-allocator",
                             "--max-concurrent-windows", 8, *FAST)
        time.sleep(3)
        late = start([py310, leaky, 40])
        # started after the profiler too, so that it is watched when it
        # calls exec, 6 s after its start: the node attaches the three
        # processes that appear now one after another, about a second each
        # (more on a loaded machine; 2 s was too short in CI)
        ex = start([py311, execer, "python", 40, py311, 6])
        # and one that becomes a long non-Python program: let go
        to_sleep = tmp_path / f"tosleep_{token}.py"
        to_sleep.write_text("import os, time\nprint('READY', flush=True)\ntime.sleep(6)\n"
                            "os.execv('/bin/sleep', ['sleep', '30'])\n")
        sleeper = start([py312, to_sleep])
        run = finish(proc, out)
    finally:
        in_chroot.unlink(missing_ok=True)
    assert run.rc == 0, run.stderr
    reports = by_pid(run)
    python = {a.pid: "leaky", b.pid: "leaky", c_pid: "leaky", gone.pid: "leaky",
              ex.pid: "execer", late.pid: "leaky", sleeper.pid: "sleeper"}
    # exactly the Python ones: not sh, not unshare, not the chroot's
    # forked child, nor anything else on the host
    assert set(reports) == set(python), (set(reports), python, run.stderr)
    assert sh.pid not in reports
    for pid, what in python.items():
        rs = reports[pid]
        if what == "sleeper":
            continue
        assert rs[-1]["final"], (pid, rs[-1])
        assert rs[-1]["node"]["max_targets"] == 64
        if what == "leaky":
            assert ranks(rs[-1], leaky.name, LEAK, "leak"), \
                (pid, [top_frame(s) for s in rs[-1]["sites"][:3]], run.stderr)
        else:
            # the program after the exec, attached again, its own leak
            assert any("called exec" in w for r in rs for w in r["warnings"]), rs
            assert ranks(rs[-1], execer.name, EXEC_LEAK, "second"), \
                ([top_frame(s) for s in rs[-1]["sites"][:3]], run.stderr)
    # exec'd into a long non-Python program: let go, its slot freed
    assert f"PID {sleeper.pid} runs sleep, not Python: no longer watched" in run.stderr, \
        ([l for l in run.stderr.splitlines() if str(sleeper.pid) in l],
         Path(f"/proc/{sleeper.pid}/cmdline").read_bytes(), sleeper.proc.poll())
    assert not any(r["final"] for r in reports[sleeper.pid])
    # the chroot's process is reported by its host PID, its Debian version
    assert reports[c_pid][-1]["process"]["python_version"].startswith("3.13")
    # the one that exited: a final report when it went, then forgotten
    g = reports[gone.pid]
    assert [r["final"] for r in g].count(True) == 1
    assert f"PID {gone.pid} exited" in run.stderr
    t_gone = run.reports.index(g[-1])
    later = run.reports[t_gone + 1:]
    assert later and all(r["process"]["pid"] != gone.pid for r in later)
    assert max(r["node"]["watched"] for r in later) <= len(python) - 1
    # the late one was attached within a rescan or so of its start
    assert reports[late.pid][0]["elapsed_s"] < 10
    assert re.search(rf"watching PID {late.pid} ", run.stderr), run.stderr


def test_max_targets_skips_and_counts(tmp_path, node_env):
    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    leaky = copy("leaky.py")
    targets = [start([py, leaky, 30]) for _ in range(3)]
    prom = tmp_path / "node.prom"
    proc, out = run_node(tmp_path, "--all", "--match", token, "--max-targets", 2,
                         "--duration", 5, "--interval", 1, "--prom-file", prom, *FAST)
    run = finish(proc, out)
    assert run.rc == 0, run.stderr
    reports = by_pid(run)
    pids = {t.pid for t in targets}
    # the first two by PID order (discovery's); the third is left out
    assert len(reports) == 2 and set(reports) < pids, (set(reports), pids)
    (skipped,) = pids - set(reports)
    said = re.findall(r"not watching PID (\d+) .*--max-targets 2", run.stderr)
    assert said == [str(skipped)], run.stderr  # once, though rescanned ten times
    for r in run.reports:
        assert r["node"]["skipped"]["max_targets"] == 1
        assert r["node"]["watched"] == 2 or r["final"]
    text = prom.read_text()
    assert 'pyleak_node_targets_skipped_total{reason="max_targets"} 1\n' in text, text
    assert re.search(r"^pyleak_node_targets_watched \d+$", text, re.M), text


def test_systemd_unit_command_runs(tmp_path, node_env):
    """The host service's own command line (deploy/systemd) starts node mode
    and exports the watched processes: its paths and port moved to the
    test's, and --match keeps it to the test's target."""
    from test_http_metrics import free_port

    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    unit = (Path(__file__).parents[2] / "deploy/systemd/pyleak-bpf.service").read_text()
    (cmd,) = [l.split("=", 1)[1].split() for l in unit.splitlines() if l.startswith("ExecStart=")]
    assert cmd[1] == "--all"
    prom = tmp_path / "pyleak.prom"
    cmd[0] = str(BINARY)
    cmd[cmd.index("--prom-file") + 1] = str(prom)
    cmd[cmd.index("--listen") + 1] = f"127.0.0.1:{free_port()}"
    t = start([py, copy("leaky.py"), 30])
    # the DaemonSet's downward API sets NODE_NAME: a node label on every series
    p = subprocess.run([*cmd, "--match", token, "--duration", "4", "--interval", "1"],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "NODE_NAME": "worker-7.test"})
    assert p.returncode == 0, p.stderr
    text = prom.read_text()
    assert "pyleak_node_targets_watched{" in text, text
    assert f'pid="{t.pid}"' in text, text
    samples = [l for l in text.splitlines() if l and not l.startswith("#")]
    assert samples and all('node="worker-7.test"' in l for l in samples), text


def test_several_pids_watch_exactly_those(tmp_path, node_env):
    """--pid twice: node mode on exactly those processes (not a third that
    matches as well), ending by itself once both have exited."""
    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    leaky = copy("leaky.py")
    a, b, other = start([py, leaky, 4]), start([py, leaky, 6]), start([py, leaky, 30])
    proc, out = run_node(tmp_path, "--pid", a.pid, "--pid", b.pid, "--interval", 1)
    run = finish(proc, out, timeout=60)
    assert run.rc == 0, run.stderr
    reports = by_pid(run)
    assert set(reports) == {a.pid, b.pid}, (set(reports), run.stderr)
    for pid in (a.pid, b.pid):
        assert [r["final"] for r in reports[pid]].count(True) == 1
        assert f"PID {pid} exited" in run.stderr
    assert other.proc.poll() is None


def bpf_maps_of(pid):
    """The BPF maps pid holds open: [(max_entries, memlock bytes)]."""
    return [(int(i["max_entries"]), int(i["memlock"])) for i in fdinfo(pid)
            if "map_type" in i and "memlock" in i]


def test_per_process_maps_are_sized_for_a_node(tmp_path, node_env):
    """A node's per-process BPF maps are sized for one process each: the
    kernel allocates a hash map's buckets at its full size and charges them
    to the agent's memory cgroup, so the single-process sizes (about 27 MiB
    per process) put 20 processes over the DaemonSet's limit. Watching two
    processes holds under 15 MiB of maps in all (two processes' maps and
    the shared growth and OOM objects), and no map of a million entries."""
    token, copy, start = node_env
    py = pyenv_python("3.11.7")
    need(py.exists(), f"{py} is not installed")
    idle = copy("idle.py")
    a, b = start([py, idle, 60]), start([py, idle, 60])
    proc, out = run_node(tmp_path, "--pid", a.pid, "--pid", b.pid, "--interval", 1,
                         "--duration", 30)
    try:
        deadline = time.monotonic() + 25
        pids = set()
        while time.monotonic() < deadline and pids != {a.pid, b.pid}:
            time.sleep(0.5)
            text = out.read_text() if out.exists() else ""
            pids = {json.loads(l)["process"]["pid"] for l in text.splitlines()
                    if l.startswith('{"type":"report"')}
        assert pids == {a.pid, b.pid}, pids
        maps = bpf_maps_of(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        run = finish(proc, out)
    assert run.rc == 0, run.stderr
    total = sum(m for _, m in maps)
    assert maps and total < 15 << 20, (total, sorted(maps, key=lambda m: -m[1])[:6])
    assert max(e for e, _ in maps) <= 65536, sorted(maps, key=lambda m: -m[0])[:3]


def test_one_window_at_a_time(tmp_path, node_env):
    """--max-concurrent-windows 1 (the default): never two windows open at
    once over the node, and every process still gets its turns."""
    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    leaky = copy("leaky.py")
    targets = [start([py, leaky, 30]) for _ in range(3)]
    proc, out = run_node(tmp_path, "-v", "--all", "--match", token, "--duration", 9,
                         "--interval", 4, *FAST)
    run = finish(proc, out)
    assert run.rc == 0, run.stderr[-3000:]
    open_now, most, opened = set(), 0, {}
    for m in re.finditer(r"PID (\d+): window \d+ (open|settled)", run.stderr):
        pid, what = int(m[1]), m[2]
        if what == "open":
            assert pid not in open_now
            open_now.add(pid)
            opened[pid] = opened.get(pid, 0) + 1
        else:
            open_now.discard(pid)
        most = max(most, len(open_now))
    assert most == 1, most
    # turns go round: each process has had windows
    assert set(opened) == {t.pid for t in targets}, (opened, run.stderr[-3000:])


def test_stopped_process_gets_no_window_others_do(tmp_path, node_env):
    """In a node, a process its owner stopped (SIGSTOP) is found stopped when
    the node grants it a window: no window opens on it and it is never
    resumed, while the other process still gets its windows; once it is
    continued, its windows come."""
    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    leaky = copy("leaky.py")
    stopped, running = start([py, leaky, 40]), start([py, leaky, 40])
    os.kill(stopped.pid, signal.SIGSTOP)
    errs = tmp_path / "stderr"

    def opened(pid):
        return len(re.findall(rf"PID {pid}: window \d+ open", errs.read_text()))

    # stderr to a file: the test reads it while the node runs
    with open(errs, "w") as ef:
        proc = subprocess.Popen([str(BINARY), "--format", "json", "--output",
                                 str(tmp_path / "reports.json"), "-v", "--pid", str(stopped.pid),
                                 "--pid", str(running.pid), "--interval", "1", *map(str, FAST)],
                                stdout=subprocess.DEVNULL, stderr=ef, text=True)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and opened(running.pid) < 2:
            time.sleep(0.5)
        assert opened(running.pid) >= 2, errs.read_text()[-3000:]
        assert opened(stopped.pid) == 0, errs.read_text()[-3000:]
        assert f"PID {stopped.pid} is stopped" in errs.read_text()
        assert proc_state(stopped.pid) == "T", "the node resumed a process its owner stopped"
        os.kill(stopped.pid, signal.SIGCONT)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and opened(stopped.pid) < 1:
            time.sleep(0.5)
        assert opened(stopped.pid) >= 1, errs.read_text()[-3000:]
        assert f"PID {stopped.pid} runs again" in errs.read_text()
    finally:
        os.kill(stopped.pid, signal.SIGCONT)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=90)
    assert proc.returncode == 0, errs.read_text()[-3000:]


def test_exec_while_attaching_is_seen(tmp_path, node_env):
    """A process that calls exec while pyleak-bpf attaches (after it opened
    the process, while the BPF programs load) is seen as exec'd at the
    first refresh. Before, the new program's identity was taken for the one
    attached to, and the session went on reporting a Python that was no
    longer there. The target execs on SIGUSR1, sent when the log says the
    process was opened."""
    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    script = tmp_path / f"exec_on_usr1_{token}.py"
    script.write_text("import os, signal, time\n"
                      "signal.signal(signal.SIGUSR1, lambda *a: os.execv('/bin/sleep', ['sleep', '8']))\n"
                      "print('READY', flush=True)\n"
                      "while True: time.sleep(0.01)\n")
    t = start([py, script])
    p = subprocess.Popen([BINARY, "-v", "--format", "json", "--output", tmp_path / "r.json",
                          "--pid", str(t.pid), "--duration", "3", "--interval", "1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    for line in p.stderr:
        log.append(line)
        if f"pid {t.pid}: interpreter" in line:
            os.kill(t.pid, signal.SIGUSR1)
            break
    log.append(p.communicate(timeout=60)[1])
    log = "".join(log)
    assert f"PID {t.pid} called exec and now runs sleep" in log, log[-3000:]


def service_reports(out):
    return [json.loads(l) for l in Path(out).read_text().splitlines()
            if l.startswith('{"type":"service"')]


def test_group_by_service_one_alert(tmp_path, node_env):
    """Two workers of one service (one script, one interpreter, arguments
    differing by a number) leaking at the same line: with
    --group-by-service one service report merges their rows and raises ONE
    alert on the line; without it, each process raises its own."""
    from test_incidents import ALERTS

    token, copy, start = node_env
    py = pyenv_python("3.12.1")
    need(py.exists(), f"{py} is not installed")
    leaky = copy("leaky.py")
    w1, w2 = start([py, leaky, 60, "--worker", 1]), start([py, leaky, 60, "--worker", 2])
    pids = {w1.pid, w2.pid}

    def leak_alerts(alerts):
        return [a for a in alerts if a["subject"] == "site" and a["state"] == "leak_suspect"
                and top_frame(a) == (leaky.name, LEAK, "leak")]

    args = ("--all", "--match", token, "--duration", 12, "--interval", 3,
            "--max-concurrent-windows", 2, *FAST, *ALERTS)
    proc, out = run_node(tmp_path, *args)
    alone = finish(proc, out)
    assert alone.rc == 0, alone.stderr
    assert not service_reports(out)
    raised = leak_alerts(a for r in alone.reports for a in r["alerts"])
    assert sorted(r["process"]["pid"] for r in alone.reports
                  if leak_alerts(r["alerts"])) == sorted(pids), alone.stderr

    out.unlink()
    prom = tmp_path / "node.prom"
    proc, out = run_node(tmp_path, "--group-by-service", "--prom-file", prom, *args)
    run = finish(proc, out)
    assert run.rc == 0, run.stderr
    # each process's own report stays, its numbers too; its site alerts are
    # the service's to announce
    assert set(by_pid(run)) == pids
    assert not leak_alerts(a for r in run.reports for a in r["alerts"])
    assert any(s["alert"] for r in run.reports for s in r["sites"]), "rows keep their state"
    svc = service_reports(out)
    assert svc and {s["service"]["id"] for s in svc} == {svc[0]["service"]["id"]}, svc
    assert set(svc[0]["service"]["pids"]) <= pids
    assert any(set(s["service"]["pids"]) == pids for s in svc), svc
    assert "<n>" in svc[0]["service"]["shape"], svc[0]["service"]
    raised = leak_alerts(a for s in svc for a in s["alerts"])
    assert len(raised) == 1, ([s["alerts"] for s in svc], run.stderr)
    # merged: the leaking line's row sums both workers
    merged = [s for r in svc for s in r["sites"]
              if top_frame(s) == (leaky.name, LEAK, "leak") and s["members"] == 2]
    assert merged and any(s["alert"] for s in merged), svc[-1]
    # the node's stop is no resolution: the final report keeps the alert
    assert svc[-1]["final"] and svc[-1]["service"]["alerts_active"] == 1, svc[-1]
    assert not [a for s in svc for a in s["alerts"] if a["state"] == "resolved"], svc[-1]
    # Prometheus: the service's members and its one alert series
    from test_exports import promtool_ok, samples
    text = prom.read_text()
    ok, why = promtool_ok(prom)
    assert ok, (why, text)
    assert list(samples(text, "pyleak_service_members").values()) == [2], text
    (alert,) = samples(text, "pyleak_service_site_alert")
    assert ("site", f"{leaky.name}:{LEAK} leak") in alert, text
    # one page on stderr for the service, none per process
    pages = [l for l in run.stderr.splitlines() if "leak_suspect:" in l and f":{LEAK} leak" in l]
    assert len(pages) == 1 and "service" in pages[0], run.stderr
