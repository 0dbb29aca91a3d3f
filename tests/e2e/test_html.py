# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End-to-end tests of the HTML report (--html): a real leak profiled into
the page, the page rendered by headless Chromium (Debian's), and its DOM
checked: the leaking line is in the flame graph and in the sites table, the
charts have points; a screenshot is kept as an artifact (directory from
PYLEAK_ARTIFACTS, default /tmp/pyleak-artifacts; its path is printed). A
target with hostile file, function and process names must not inject
markup, and its page must still render. A page that cannot be written is
logged once and profiling goes on."""
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BINARY, TARGETS, leak_line, need, pyleak

ARTIFACTS = Path(os.environ.get("PYLEAK_ARTIFACTS", "/tmp/pyleak-artifacts"))
# every element out_html.c writes
OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2",
            "h3", "p", "b", "span", "div", "section", "ul", "ol", "li", "br", "table",
            "thead", "tbody", "tr", "th", "td", "details", "summary", "svg", "g", "rect",
            "text", "line", "polyline", "circle", "input", "button", "footer", "script"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture
def chromium():
    exe = shutil.which("chromium")
    need(exe, "chromium is not installed (scripts/install-deps.sh installs it)")

    def run(*args):
        with tempfile.TemporaryDirectory() as profile:
            p = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                               capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"chromium failed: {p.stderr[-2000:]}"
        return p.stdout
    return run


class Dom(HTMLParser):
    """What the tests look at in a dumped DOM: script elements, the text of
    the flame graph's boxes, the sites table's text, the charts' points."""

    def __init__(self, text):
        super().__init__()
        self.scripts = []
        self.tags = set()
        self.flame_titles = []
        self.sites_text = ""
        self.points = {}   # chart id -> polyline point count
        self.circles = {}  # chart id -> circle count
        self._in = []      # open elements: (tag, id)
        self._script = None
        self.feed(text)

    def _inside(self, tag=None, id=None):
        return any((tag is None or t == tag) and (id is None or i == id) for t, i in self._in)

    def _chart(self):
        for t, i in reversed(self._in):
            if t == "svg":
                return i
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "script":
            self._script = ""
        if tag == "polyline":
            self.points[self._chart()] = len((a.get("points") or "").split())
        if tag == "circle":
            self.circles[self._chart()] = self.circles.get(self._chart(), 0) + 1
        if tag not in ("rect", "polyline", "circle", "line", "meta", "input", "br"):
            self._in.append((tag, a.get("id") or a.get("class")))

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(self._script)
            self._script = None
        for k in range(len(self._in) - 1, -1, -1):
            if self._in[k][0] == tag:
                del self._in[k:]
                break

    def handle_data(self, data):
        if self._script is not None:
            self._script += data
        if self._inside("title") and self._inside("svg", "flame"):
            self.flame_titles.append(data)
        if self._inside("table", "sites"):
            self.sites_text += data


def render(chromium, html, name):
    """The DOM after scripts ran, and a screenshot kept as an artifact."""
    dom = chromium("--dump-dom", f"file://{html}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1600", f"file://{html}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "no screenshot"
    print(f"screenshot: {shot}")
    return dom


def test_html_report_in_chromium(py311, chromium, tmp_path):
    html = tmp_path / "report.html"
    line = leak_line("leaky.py")
    run = pyleak("--mode", "alloc", "--interval", 1, "--window", 5, "--alert-rate", "128K",
                 "--alert-min-bytes", "128K", "--html", html, "--", py311,
                 TARGETS / "leaky.py", 6)
    assert run.rc == 0, run.stderr
    # written atomically: the page alone, readable by anyone, no temporary left
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert html.stat().st_mode & 0o777 == 0o644
    text = html.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<link" not in text and " src=" not in text
    assert f'report #{run.final["seq"]} (final)' in text

    dom = Dom(render(chromium, html, "html-report"))
    where = f"leaky.py:{line}"
    assert any(where in t and t.startswith("leak") for t in dom.flame_titles), \
        f"{where} not in the flame graph: {dom.flame_titles[:10]}"
    assert where in dom.sites_text
    assert dom.points.get("chart-anon", 0) >= 3, dom.points
    assert dom.points.get("chart-sites", 0) >= 3, dom.points
    assert dom.circles.get("chart-sites", 0) >= 3, dom.circles
    assert len(dom.scripts) == 1


def test_html_hostile_names(py311, chromium, start_target, tmp_path):
    html = tmp_path / "hostile.html"
    target = start_target(py311, "hostile.py", 30, env={**os.environ, "PYTHONMALLOC": "malloc"})
    # not pyleak(): its log lines name the comm, whose bytes are not UTF-8
    run = subprocess.run([str(BINARY), "--pid", str(target.pid), "--mode", "alloc",
                          "--interval", "1", "--duration", "4", "--format", "json",
                          "--html", str(html)], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr
    raw = html.read_bytes()
    raw.decode("utf-8")  # valid UTF-8 whatever the target's bytes
    dom_text = render(chromium, html, "html-hostile")
    dom = Dom(dom_text)
    # only our own script ran: none named by the target
    assert len(dom.scripts) == 1 and dom.scripts[0].lstrip().startswith("(function(){")
    # and no element but those the page is built of
    assert dom.tags <= OUR_TAGS, dom.tags - OUR_TAGS
    # the names are there, as text (hostile.py: "<script>alert(1)</script>"
    # in the file and function names, "<s>" and two invalid bytes in the comm)
    assert any("<script>alert(1)</script>" in t for t in dom.flame_titles), dom.flame_titles
    assert "<script>alert(1)</script>" in dom.sites_text
    assert "&lt;s&gt;\ufffd\ufffd" in dom_text  # the comm, its invalid bytes replaced
    assert "L" * 400 not in dom_text            # very long names are cut


def test_html_write_error_logged_once_profiling_goes_on(py311, tmp_path):
    html = tmp_path / "missing-dir" / "report.html"
    run = pyleak("--mode", "alloc", "--interval", 1, "--html", html, "--",
                 py311, TARGETS / "leaky.py", 3)
    assert run.rc == 0, run.stderr
    assert len(run.reports) >= 3
    assert run.stderr.count(str(html)) == 1, run.stderr
    assert "No such file or directory" in run.stderr
    assert not html.parent.exists()
