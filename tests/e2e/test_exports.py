# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the file exports (--prom-file, --pprof, --folded)
with the tools that read them: promtool, a real node_exporter running
unprivileged, `go tool pprof`; kill -9 during rewrites; full and read-only
file systems; and a target whose names are hostile to every format
(tests/targets/hostile.py).

One growth-mode run of leaky.py (short windows, as in test_growth.py)
feeds the reader tests; each other test makes its own run.
"""
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, TARGETS, Run, leak_line, need, pyenv_python, pyleak, top_frame

FAST_WINDOWS = ("--first-window", 1, "--window-every", 1, "--window-time", 1, "--follow", 1.5,
                "--window-allocs", 5000, "--window-budget", 3600)
FAMILIES = [
    "pyleak_build_info", "pyleak_last_report_timestamp_seconds", "pyleak_rss_bytes",
    "pyleak_anon_bytes", "pyleak_outstanding_bytes",
    "pyleak_gc_collections_total", "pyleak_gc_collected_objects_total",
    "pyleak_gc_uncollectable_objects_total", "pyleak_gc_enabled", "pyleak_probe_hits_total",
    "pyleak_drops_total", "pyleak_windows_opened_total", "pyleak_window_seconds_total",
    "pyleak_alerts_active", "pyleak_alerts_raised_total", "pyleak_site_live_bytes",
    "pyleak_site_growth_bytes_per_second", "pyleak_site_windows_survived", "pyleak_site_alert",
]
PROMTOOL = "/usr/bin/promtool"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
GO = "/usr/bin/go"


def py311():
    py = pyenv_python("3.11.7")
    need(py.exists(), "pyenv 3.11.7 is not installed")
    return py


def promtool_ok(path):
    """promtool check metrics on a file: (ok, its complaints)."""
    need(os.access(PROMTOOL, os.X_OK), "promtool is not installed (Debian: prometheus)")
    with open(path, "rb") as f:
        p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f, capture_output=True,
                           timeout=30)
    return p.returncode == 0, p.stdout + p.stderr


def samples(text, family):
    """{labels-dict-as-tuple: value} of one family's samples."""
    out = {}
    for line in text.splitlines():
        m = re.match(re.escape(family) + r"\{(.*)\} (\S+)$", line)
        if m:
            labels = tuple(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
            out[labels] = float(m.group(2))
    return out


def pprof(*args):
    need(os.access(GO, os.X_OK), "go is not installed (Debian: golang-go)")
    p = subprocess.run([GO, "tool", "pprof", *map(str, args)], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "HOME": "/tmp"})
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def leak_run():
    """One growth-mode run of leaky.py writing all three exports."""
    py = py311()
    d = Path(tempfile.mkdtemp(prefix="pyleak-exports."))
    os.chmod(d, 0o755)  # node_exporter reads it as nobody
    out = d / "r.json"
    run = pyleak("--interval", 2, "--duration", 8, *FAST_WINDOWS, "--prom-file", d / "leak.prom",
                 "--pprof", d / "leak.pb.gz", "--folded", d / "leak.folded", "--", py,
                 TARGETS / "leaky.py", 8, output=out)
    assert run.rc == 0, run.stderr
    yield d, run
    shutil.rmtree(d, ignore_errors=True)


def leak_site(run):
    line = leak_line("leaky.py")
    sites = [s for s in run.final["sites"] if top_frame(s) == ("leaky.py", line, "leak")]
    assert sites, run.final["sites"]
    return sites[0]


def test_prom_file_final_state(leak_run):
    d, run = leak_run
    path = d / "leak.prom"
    ok, why = promtool_ok(path)
    assert ok, why
    assert (path.stat().st_mode & 0o777) == 0o644
    # nothing but the exports and the JSON is left in the directory
    assert sorted(p.name for p in d.iterdir()) == ["leak.folded", "leak.pb.gz", "leak.prom",
                                                   "r.json"]
    text = path.read_text()
    for fam in FAMILIES:
        assert f"# TYPE {fam} " in text, fam
    # the file holds the final report
    final, site = run.final, leak_site(run)
    # the process's growth rate once its trend has samples
    rate = samples(text, "pyleak_anon_growth_bytes_per_second")
    if final["trend"]["anon_span_s"]:
        assert list(rate.values()) == [pytest.approx(final["trend"]["anon_rate_bytes_per_min"] / 60, abs=0.01)]
    else:
        assert not rate
    live = samples(text, "pyleak_site_live_bytes")
    want = (("pid", str(final["process"]["pid"])), ("comm", "python3"), ("site_id", site["id"]),
            ("site", f"leaky.py:{leak_line('leaky.py')} leak"))
    assert live[want] == site["bytes"], live
    assert samples(text, "pyleak_site_alert")[want] == (1 if site["alert"] else 0)
    raised = samples(text, "pyleak_alerts_raised_total")
    assert list(raised.values()) == [final["trend"]["alerts_raised"]]
    opened = samples(text, "pyleak_windows_opened_total")
    assert list(opened.values()) == [final["windows"]["opened"]]
    stamp = list(samples(text, "pyleak_last_report_timestamp_seconds").values())[0]
    assert time.time() - 120 < stamp <= time.time()
    info = samples(text, "pyleak_build_info")
    assert len(info) == 1 and dict(list(info)[0])["python_version"] == "3.11.7", info


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_prom_file_after_target_exit(tmp_path):
    """The target exits long before --duration: the final file still holds
    every family, GC included, as last seen (before the fix, GC families
    vanished from the final state: the interpreter could no longer be read)."""
    prom = tmp_path / "exit.prom"
    run = pyleak("--mode", "alloc", "--interval", 1, "--duration", 30, "--prom-file", prom,
                 "--", py311(), TARGETS / "leaky.py", 2, output=tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    assert run.final["elapsed_s"] < 20, run.final["elapsed_s"]
    ok, why = promtool_ok(prom)
    assert ok, why
    text = prom.read_text()
    for fam in ("pyleak_gc_collections_total", "pyleak_gc_collected_objects_total",
                "pyleak_gc_enabled"):
        assert f"# TYPE {fam} " in text, fam
    gens = samples(text, "pyleak_gc_collections_total")
    assert len(gens) == 3 and sum(gens.values()) > 0, gens


def test_node_exporter_serves_it(leak_run):
    """A real node_exporter, as an unprivileged user, on a loopback port."""
    d, run = leak_run
    need(os.access(NODE_EXPORTER, os.X_OK),
         "node_exporter is not installed (Debian: prometheus-node-exporter)")
    port = free_port()
    proc = subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", NODE_EXPORTER,
         f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
         "--collector.textfile", f"--collector.textfile.directory={d}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.1)
        assert body is not None, "node_exporter did not answer"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert re.search(r"^node_textfile_scrape_error 0$", body, re.M), body[-2000:]
    for fam in FAMILIES:
        assert f"# TYPE {fam} " in body, fam
    site = leak_site(run)
    assert re.search(r'^pyleak_site_live_bytes\{.*site_id="%s".*\} %d$' % (site["id"], site["bytes"]),
                     body, re.M)


def test_pprof_go_tool(leak_run):
    d, run = leak_run
    path = d / "leak.pb.gz"
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    gzip.decompress(path.read_bytes())
    site = leak_site(run)
    top = pprof("-top", path)
    assert "Type: live_space" in top
    rows = [l.split() for l in top.splitlines() if re.match(r"\s+[\d.]+([kMG]?B)?\s", l)]
    # the leak's native caller takes the flat bytes (it is the leaf)...
    assert rows and rows[0][5].startswith(site["native_caller"].split()[0]), top
    # ... and with native frames hidden the leaking function is first
    top = pprof("-top", "-hide", r"\[native\]", path)
    rows = [l.split() for l in top.splitlines() if re.match(r"\s+[\d.]+([kMG]?B)?\s", l)]
    assert rows and rows[0][5] == "leak", top
    # pprof keeps Python's <module> (it strips "<...>" from names it takes
    # for demangled C++ unless the system name differs)
    assert [r for r in rows if r[5] == "<module>"], top
    traces = pprof("-traces", path)
    first = traces.split("-----------+")[1]
    # labels first, then the stack leaf first: native caller, leak, main
    assert f"site_id:  {site['id']}" in first, first
    stack = [re.sub(r"^\s*[\d.]+[kMG]?B\s+", "", l).strip() for l in first.splitlines()
             if l.strip() and not re.match(r"\s*\w+:\s", l) and not l.startswith("---")]
    assert stack[:3] == [site["native_caller"], "leak", "main"], first
    raw = pprof("-raw", path)
    assert f"leak {TARGETS / 'leaky.py'}:{leak_line('leaky.py')} s=" in raw, raw


def test_proto_copy_is_debians():
    """proto/profile.proto is a verbatim copy of the one Debian ships."""
    debian = Path("/usr/share/gocode/src/github.com/google/pprof/proto/profile.proto")
    need(debian.exists(), "golang-github-google-pprof-dev is not installed")
    assert (ROOT / "proto" / "profile.proto").read_bytes() == debian.read_bytes()


def test_folded_leak_total(leak_run):
    d, run = leak_run
    site = leak_site(run)
    lines = (d / "leak.folded").read_text().splitlines()
    with_bytes = [s for s in run.final["sites"] if s["bytes"] > 0]
    assert len(lines) == len(with_bytes)
    f = site["frames"]
    stack = ";".join(f"{x['func']} ({x['file']}:{x['line']})" for x in reversed(f))
    stack += ";" + site["native_caller"]
    assert f"{stack} {site['bytes']}" in lines, lines


class Watcher(threading.Thread):
    """Reads the file as node_exporter would, as often as it can: every
    read must be whole. Counts the rewrites seen (each report has its own
    timestamp)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stamps, self.bad, self.stop = path, set(), [], False

    def run(self):
        while not self.stop:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                continue
            stamp = re.search(rb"\npyleak_last_report_timestamp_seconds\{.*\} (\S+)\n", data)
            if stamp:
                self.stamps.add(stamp.group(1))
            if not stamp or not (data.startswith(b"# HELP pyleak_build_info ") and data.endswith(b"\n")
                    and b"\npyleak_alerts_raised_total{" in data):
                self.bad.append(data[-200:])
            time.sleep(0.005)


def test_kill9_never_tears(start_target, tmp_path):
    """kill -9 at random moments during some 200 rewrites: the file is
    always whole, for readers meanwhile and for promtool after each kill."""
    py = py311()
    need(os.access(PROMTOOL, os.X_OK), "promtool is not installed (Debian: prometheus)")
    t = start_target(py, "leaky.py", 120)
    path = tmp_path / "k.prom"
    w = Watcher(path)
    w.start()
    rnd = random.Random(11)
    kills = 0
    deadline = time.monotonic() + 150
    try:
        while (len(w.stamps) < 200 or kills < 10) and time.monotonic() < deadline:
            p = subprocess.Popen([BINARY, "--pid", str(t.pid), "--interval", "0.1",
                                  "--window-budget", "0", "--census-every", "0", "-q",
                                  "--prom-file", str(path), "--output", "/dev/null"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # it writes its first report some 1.2 s after start on this VM
            time.sleep(rnd.uniform(1.0, 4.5))
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            if path.exists():
                ok, why = promtool_ok(path)
                assert ok, why
    finally:
        w.stop = True
        w.join()
    assert not w.bad, w.bad[:3]
    assert kills >= 10 and len(w.stamps) >= 200, (kills, len(w.stamps))


def one_error(t, prom, out, why):
    """A short run writing prom: it goes on, and says why once."""
    run = pyleak("--pid", t.pid, "--interval", 0.3, "--duration", 2, "--window-budget", 0,
                 "--prom-file", prom, output=out)
    assert run.rc == 0, run.stderr
    assert len(run.reports) >= 4
    assert run.stderr.count("cannot write") == 1, run.stderr
    assert why in run.stderr


def test_write_errors_logged_once(start_target, tmp_path):
    """A missing directory, a full and a read-only file system: one line
    per kind, profiling goes on, the previous file stays."""
    py = py311()
    t = start_target(py, "leaky.py", 60)
    one_error(t, tmp_path / "no" / "such" / "x.prom", tmp_path / "r1.json",
              "No such file or directory")
    mnt = tmp_path / "small"
    mnt.mkdir()
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "pyleak-test", str(mnt)],
                       capture_output=True, text=True)
    need(m.returncode == 0, "cannot mount a tmpfs: " + m.stderr)
    try:
        prom = mnt / "x.prom"
        prom.write_text("previous 1\n")
        # fill the file system: the next write cannot have its temporary file
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        one_error(t, prom, tmp_path / "r2.json", "No space left on device")
        assert prom.read_text() == "previous 1\n"
        (mnt / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        one_error(t, prom, tmp_path / "r3.json", "Read-only file system")
        assert prom.read_text() == "previous 1\n"
        assert sorted(p.name for p in mnt.iterdir()) == ["x.prom"]
    finally:
        subprocess.run(["umount", str(mnt)])


def test_hostile_names(start_target, tmp_path):
    """Quotes, backslashes, newlines, ';', <script>, invalid UTF-8 and very
    long strings in file, function and process names break no format."""
    py = py311()
    t = start_target(py, "hostile.py", 60)
    names = json.loads(t.proc.stdout.readline())
    prom, pb, folded = tmp_path / "h.prom", tmp_path / "h.pb.gz", tmp_path / "h.folded"
    # not pyleak(): its log lines on stderr carry the names as they are
    proc = subprocess.Popen(
        [BINARY, "--format", "json", "--output", tmp_path / "r.json", "--pid", str(t.pid),
         "--interval", "2", "--duration", "6", *map(str, FAST_WINDOWS), "--prom-file", prom,
         "--pprof", pb, "--folded", folded],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    out, err = proc.communicate(timeout=120)
    run = Run(proc, out, err, tmp_path / "r.json")
    assert run.rc == 0, run.stderr
    final = run.final
    # the JSON report has the leak, under its hostile names
    leak = [s for s in final["sites"] if s["frames"][0]["line"] == names["line"]
            and s["frames"][0]["func"].startswith("leak_q\"uo\\te;semi\nnew<script>")]
    assert leak, [s["frames"][0] for s in final["sites"]]
    leak = leak[0]
    assert "\n" in final["process"]["comm"] and '"' in final["process"]["comm"]

    ok, why = promtool_ok(prom)
    assert ok, why
    text = prom.read_text(encoding="utf-8")  # strict: valid UTF-8
    live = samples(text, "pyleak_site_live_bytes")
    mine = [v for k, v in live.items() if ("site_id", leak["id"]) in k]
    assert mine == [leak["bytes"]], live
    assert 'comm="p\\"\\\\\\n;<s>\ufffd\ufffd"' in text

    top = pprof("-top", "-hide", r"\[native\]", pb)
    rows = [l for l in top.splitlines() if re.match(r"\s+[\d.]+([kMG]?B)?\s", l)]
    assert "leak_q\"uo\\te;semi\ufffdnew<script>" in rows[0], top
    pprof("-traces", pb)

    lines = folded.read_bytes().decode("utf-8").splitlines()
    assert len(lines) == len([s for s in final["sites"] if s["bytes"] > 0]), lines
    for line in lines:
        stack, weight = line.rsplit(" ", 1)
        assert int(weight) > 0
    mine = [l for l in lines if "leak_q\"uo\\te,semi\ufffdnew<script>" in l]
    assert len(mine) == 1 and mine[0].endswith(f" {leak['bytes']}"), lines
    # frames: <module>, main, outer, leak, native caller: ';' split nothing
    assert mine[0].count(";") == len(leak["frames"]) - 1 + (1 if leak["native_caller"] else 0)
