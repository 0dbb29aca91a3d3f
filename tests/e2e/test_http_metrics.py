# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--listen (user/out/http_metrics.c): a real pyleak-bpf profiling a leaking
Python serves /metrics (what --prom-file holds; promtool accepts it) and
/healthz over HTTP, answers 404/405 elsewhere, and a taken port is a clear
start-up error. Read with urllib, as a scraper would."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from conftest import BINARY, need, pyleak
from test_exports import promtool_ok, py311

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, method="GET"):
    """(status, content type, body) of one request."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


class Served:
    """pyleak-bpf --listen on a free loopback port, in the background."""

    def __init__(self, *args):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(BINARY), "--listen", f"127.0.0.1:{self.port}", *map(str, args)],
            stdout=subprocess.DEVNULL, stderr=self.err)

    def wait_metrics(self, needle, timeout=30):
        """/metrics once it holds needle (the first report came)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.stderr()
            try:
                st, ctype, body = get(self.base + "/metrics")
                if needle in body:
                    return st, ctype, body
            except OSError:
                pass  # not listening yet
            time.sleep(0.3)
        raise AssertionError(f"/metrics never held {needle}: {self.stderr()}")

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=30)


def test_metrics_and_healthz(start_target, tmp_path):
    t = start_target(py311(), "leaky.py", 30)
    s = Served("--pid", t.pid, "--interval", 1, "--duration", 20)
    try:
        st, ctype, body = s.wait_metrics(f'pyleak_site_live_bytes{{pid="{t.pid}"')
        assert st == 200 and ctype == CONTENT_TYPE
        (tmp_path / "m.prom").write_text(body)
        ok, why = promtool_ok(tmp_path / "m.prom")
        assert ok, why
        assert "pyleak_build_info{" in body and "leaky.py:" in body
        assert get(s.base + "/healthz")[0] == 200
        st, _, body = get(s.base + "/metrics", "HEAD")
        assert st == 200 and body == ""
        assert get(s.base + "/")[0] == 404
        assert get(s.base + "/metrics/extra")[0] == 404
        assert get(s.base + "/metrics", "POST")[0] == 405
        assert get(s.base + "/healthz", "PUT")[0] == 405
        # the port is taken: a second profiler says so and exits 1 at once
        run = pyleak("--listen", f"127.0.0.1:{s.port}", "--pid", t.pid, "--duration", 2,
                     timeout=30)
        assert run.rc == 1, run.stderr
        assert f"--listen 127.0.0.1:{s.port}" in run.stderr and "in use" in run.stderr
    finally:
        s.stop()
    assert s.proc.returncode == 0, s.stderr()


def test_listen_bad_address(start_target):
    run = pyleak("--listen", "localhost:9435", "--pid", os.getpid(), timeout=30)
    assert run.rc == 2 and "not a numeric IPv4 address" in run.stderr, run.stderr
