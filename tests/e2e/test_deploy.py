# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""deploy/: each file proven by the tool that consumes it.

- prometheus/pyleak-rules.yml: promtool check rules, promtool test rules
  (pyleak-rules.test.yml), and a real Prometheus server scraping pyleak-bpf's
  --listen endpoint: the leak-suspect alert fires for a leaking Python and
  stays inactive for one that only churns.
- systemd/pyleak-bpf.service: systemd-analyze verify, and its privileges.
- kubernetes/: kubectl kustomize renders the base and the PodMonitor
  overlay, every object validates against the API schema (kubernetes-models,
  no cluster), and the DaemonSet's security fields are the intended ones.
- Containerfile: deploy/build-image.sh builds it offline, and the image
  profiles a leaking host process under podman with only the capabilities.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, leak_line, need
from test_exports import promtool_ok, py311
from test_growth import ALERTS, FAST_WINDOWS
from test_http_metrics import Served, free_port

DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "pyleak-rules.yml"
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"


def promtool(*args):
    need(os.access(PROMTOOL, os.X_OK), "promtool is not installed (Debian: prometheus)")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60,
                          cwd=RULES.parent)


def test_rules_check():
    p = promtool("check", "rules", RULES.name)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS: 8 rules found" in p.stdout


def test_rules_unit_tests():
    p = promtool("test", "rules", "pyleak-rules.test.yml")
    assert p.returncode == 0, p.stdout + p.stderr


class Prometheus:
    """A real Prometheus on loopback scraping one target every second and
    evaluating the shipped rules (their `for:` cut to 2 s) every second."""

    def __init__(self, tmp, target):
        need(os.access(PROMETHEUS, os.X_OK), "prometheus is not installed (Debian: prometheus)")
        rules = re.sub(r"(?m)^(\s+for:) \S+$", r"\1 2s", RULES.read_text())
        (tmp / "rules.yml").write_text(rules)
        (tmp / "prometheus.yml").write_text(json.dumps({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(tmp / "rules.yml")],
            "scrape_configs": [{"job_name": "pyleak",
                                "static_configs": [{"targets": [target]}]}],
        }))
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = open(tmp / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'tsdb'}",
             f"--web.listen-address={self.base[len('http://'):]}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.tmp = tmp
        end = time.monotonic() + 30
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.logs()
            try:
                with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("prometheus did not become ready: " + self.logs())

    def api(self, path, **query):
        url = self.base + "/api/v1/" + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def alerts(self, name):
        return [a for a in self.api("alerts")["alerts"] if a["labels"]["alertname"] == name]

    def logs(self):
        self.log.flush()
        return (self.tmp / "prometheus.log").read_text()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()


def scrape_and_alert(start_target, tmp_path, script, *args, seconds, until=None):
    """Profile script (growth mode, fast windows) with --listen while a real
    Prometheus scrapes it; return the target and PyleakLeakSuspect's alerts,
    polled every second for `seconds` or until until(alerts) holds."""
    t = start_target(py311(), script, *args)
    s = Served("--pid", t.pid, "--interval", 1, "--duration", seconds + 10,
               *FAST_WINDOWS, *ALERTS)
    prom = Prometheus(tmp_path, f"127.0.0.1:{s.port}")
    seen = []
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            seen = prom.alerts("PyleakLeakSuspect")
            if until and until(seen):
                break
            time.sleep(1)
        up = prom.api("query", query='up{job="pyleak"}')["result"]
        built = prom.api("query", query="pyleak_build_info")["result"]
    finally:
        prom.stop()
        s.stop()
    assert up and up[0]["value"][1] == "1", prom.logs()
    assert built and built[0]["metric"]["pid"] == str(t.pid), "Prometheus never scraped pyleak"
    return t, seen


def test_prometheus_fires_leak_suspect(start_target, tmp_path):
    # the scenario test_growth.py proves alerted within 11 s at these options;
    # its dict keys (ints made by `i += 1` in main) leak with it, so main's
    # line may be a second incident, and a second alert
    head = f"accuracy.py:{leak_line('accuracy.py', '# LEAK_LINE:dict')} leak_dict"

    def fired(alerts):
        return [a for a in alerts if a["state"] == "firing" and a["labels"]["head"] == head]

    t, seen = scrape_and_alert(start_target, tmp_path, "accuracy.py", "dict", 60, seconds=30,
                               until=fired)
    assert fired(seen), f"no PyleakLeakSuspect on {head} firing within 30 s: {seen}"
    a = fired(seen)[0]
    assert all(o["labels"]["pid"] == str(t.pid) for o in seen), seen
    assert f"pid {t.pid}" in a["annotations"]["summary"]
    assert a["labels"]["head"] in a["annotations"]["summary"]


def test_prometheus_quiet_for_churn(start_target, tmp_path):
    t, seen = scrape_and_alert(start_target, tmp_path, "accuracy.py", "churn", 60, seconds=20)
    assert not seen, f"PyleakLeakSuspect for a churning program: {seen}"


# --- systemd ----------------------------------------------------------------

UNIT = DEPLOY / "systemd" / "pyleak-bpf.service"
# the smallest set tests/e2e/test_privileges.py shows works (README
# "Privileges and requirements"); SYS_ADMIN because uprobes need it again
# since Linux 6.16 / stable July 2025
CAPS = ["SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"]


def unit_settings():
    """{key: [values]} of the unit file (keys may repeat)."""
    out = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def test_systemd_unit_verifies(tmp_path):
    """systemd-analyze verify on a temporary root holding the installed
    binary (make install DESTDIR=), systemd's own units and ours: the
    ExecStart path must exist there, and any warning fails the test."""
    need(shutil.which("systemd-analyze"), "systemd-analyze is not installed (Debian: systemd)")
    p = subprocess.run(["make", "-s", "install", f"DESTDIR={tmp_path}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    shutil.copytree("/usr/lib/systemd/system", tmp_path / "usr/lib/systemd/system",
                    symlinks=True)
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, tmp_path / "etc/systemd/system")
    p = subprocess.run(["systemd-analyze", "verify", f"--root={tmp_path}",
                        "/etc/systemd/system/pyleak-bpf.service"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and not p.stderr.strip(), p.stdout + p.stderr


def test_systemd_unit_privileges():
    s = unit_settings()
    argv = s["ExecStart"][0].split()
    assert argv[0] == "/usr/local/sbin/pyleak-bpf" and "--all" in argv
    prom = argv[argv.index("--prom-file") + 1]
    assert argv[argv.index("--listen") + 1].startswith("127.0.0.1:")
    caps = [f"CAP_{c}" for c in CAPS]
    assert s["CapabilityBoundingSet"][0].split() == caps
    assert s["AmbientCapabilities"][0].split() == caps
    assert s["ProtectSystem"] == ["strict"] and s["ProtectHome"] == ["read-only"]
    assert s["ReadWritePaths"] == [os.path.dirname(prom)]
    assert s["Restart"] == ["on-failure"]
    assert "SystemCallFilter" not in s and "ProtectProc" not in s and "PrivateUsers" not in s


# --- Kubernetes ---------------------------------------------------------------

KUBE = DEPLOY / "kubernetes"
SCHEMA_TEST = KUBE / "test"
RO_HOST_PATHS = {"/sys/kernel/btf", "/sys/fs/cgroup", "/var/log/pods"}


def kustomize(path):
    """The objects `kubectl kustomize path` renders."""
    try:
        import yaml
    except ImportError:
        need(False, "python3-yaml is not installed")
    need(shutil.which("kubectl"), "kubectl is not installed (Debian: kubernetes-client)")
    p = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True,
                       timeout=120)
    # kubectl 1.27+ says `bases:`/`patchesStrategicMerge:` are deprecated
    # (kept for Debian's kubectl 1.20); nothing else may be said
    other = [l for l in p.stderr.splitlines()
             if l.strip() and not re.match(r"# Warning: '\w+' is deprecated", l)]
    assert p.returncode == 0 and not other, p.stderr
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def schema_validate(objects):
    """Every object through kubernetes-models' validate() (validate.mjs),
    its npm packages installed from package-lock.json on first use."""
    need(shutil.which("node") and shutil.which("npm"), "node/npm are not installed (Debian: npm)")
    if not (SCHEMA_TEST / "node_modules" / ".package-lock.json").exists():
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=SCHEMA_TEST, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run(["node", "validate.mjs"], cwd=SCHEMA_TEST, input=json.dumps(objects),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("valid   ") == len(objects), p.stdout


def by_kind(objects):
    out = {}
    for o in objects:
        assert o["kind"] not in out, f"two {o['kind']} objects"
        out[o["kind"]] = o
    return out


def test_kubernetes_base_renders_and_validates():
    objects = kustomize(KUBE)
    kinds = by_kind(objects)
    assert set(kinds) == {"Namespace", "ServiceAccount", "DaemonSet", "Service"}
    schema_validate(objects)
    ns = kinds["Namespace"]["metadata"]
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert all(o["metadata"].get("namespace", ns["name"]) == ns["name"] for o in objects)
    svc = kinds["Service"]["spec"]
    assert svc["clusterIP"] == "None" and svc["ports"][0]["targetPort"] == "metrics"


def test_kubernetes_daemonset_security():
    ds = by_kind(kustomize(KUBE))["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert pod["hostPID"] is True
    assert not pod.get("hostNetwork") and not pod.get("hostIPC")
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"], "add": CAPS}
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["priorityClassName"] == "system-node-critical"
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": "10%"}}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["resources"]["requests"] and c["resources"]["limits"]
    env = {e["name"]: e for e in c["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    args = c["args"]
    assert args[:3] == ["--all", "--pods-dir", "/var/log/pods"]
    assert args[args.index("--listen") + 1] == "0.0.0.0:9435"
    # every host path is read-only but the textfile directory, which is
    # where --prom-file writes
    host = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    writable = [n for n in host if not mounts[n].get("readOnly")]
    assert {host[n] for n in host if mounts[n].get("readOnly")} == RO_HOST_PATHS
    assert len(writable) == 1
    prom = args[args.index("--prom-file") + 1]
    assert os.path.dirname(prom) == mounts[writable[0]]["mountPath"]


def test_kubernetes_podmonitor_overlay():
    objects = kustomize(KUBE / "overlays" / "podmonitor")
    kinds = by_kind(objects)
    assert set(kinds) == {"Namespace", "ServiceAccount", "DaemonSet", "Service", "PodMonitor"}
    schema_validate(objects)
    pod = kinds["DaemonSet"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    # metrics over HTTP only: no file, and no writable host path left
    assert "--prom-file" not in c["args"] and "--listen" in c["args"]
    assert all(m.get("readOnly") for m in c["volumeMounts"])
    assert {v["hostPath"]["path"] for v in pod["volumes"]} == RO_HOST_PATHS
    assert c["securityContext"]["capabilities"]["add"] == CAPS
    pm = kinds["PodMonitor"]["spec"]
    assert pm["selector"]["matchLabels"] == \
        kinds["DaemonSet"]["spec"]["selector"]["matchLabels"]
    assert pm["podMetricsEndpoints"][0]["port"] == c["ports"][0]["name"]
    assert pm["podMetricsEndpoints"][0]["path"] == "/metrics"
    # our namespace/pod/container labels name the profiled process: kept
    assert pm["podMetricsEndpoints"][0]["honorLabels"] is True


# --- container image ------------------------------------------------------------

IMAGE = "pyleak-bpf:0.1.0"
# This machine's root lacks CAP_SYS_RESOURCE in its bounding set (a nested
# VM's sandbox), so runc cannot raise RLIMIT_NOFILE/NPROC to podman's
# defaults ("error setting rlimit type 7: operation not permitted"): give
# limits below the host's instead. Harmless anywhere else.
ULIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


@pytest.fixture(scope="module")
def image():
    """The image, built (or brought up to date: buildah's layer cache) by
    deploy/build-image.sh, offline from any registry."""
    for tool in ("buildah", "podman", "runc", "debootstrap"):
        need(shutil.which(tool), f"{tool} is not installed (make deps)")
    p = subprocess.run([str(DEPLOY / "build-image.sh"), IMAGE], capture_output=True,
                       text=True, timeout=1800)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    p = subprocess.run(["podman", "image", "inspect", IMAGE], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)[0]


def test_image_labels_and_libraries(image):
    labels = image["Config"]["Labels"] if "Config" in image else image["Labels"]
    assert labels["org.opencontainers.image.version"] == "0.1.0"
    assert labels["org.opencontainers.image.licenses"] == "LGPL-2.1-only OR BSD-2-Clause"
    assert "org.opencontainers.image.source" in labels
    assert image["Config"]["Entrypoint"] == ["pyleak-bpf"]
    # libbpf is linked in (STATIC_LIBBPF=1); every shared library resolves
    p = subprocess.run(["podman", "--runtime", "runc", "run", "--rm", *ULIMITS,
                        "--entrypoint", "ldd", IMAGE, "/usr/local/sbin/pyleak-bpf"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "libmicrohttpd.so.12 => /" in p.stdout, p.stdout + p.stderr
    assert "libbpf" not in p.stdout and "not found" not in p.stdout, p.stdout


@pytest.mark.parametrize("privileges", ["capabilities", "privileged"])
def test_image_profiles_host_process(image, privileges, start_target, tmp_path):
    """podman run --pid host: the containerised profiler finds a leaking
    Python of the host and writes a valid Prometheus file into a mounted
    directory; with only the capabilities of the DaemonSet and the unit
    (default seccomp profile), and with --privileged for comparison."""
    t = start_target(py311(), "leaky.py", 30)
    if privileges == "privileged":
        priv = ["--privileged"]
    else:
        priv = ["--cap-drop", "all", "--cap-add", ",".join(f"CAP_{c}" for c in CAPS)]
    p = subprocess.run(
        ["podman", "--runtime", "runc", "run", "--rm", "--pid", "host", *ULIMITS, *priv,
         "-v", "/sys/kernel/btf:/sys/kernel/btf:ro", "-v", f"{tmp_path}:/out", IMAGE,
         "--pid", str(t.pid), "--mode", "alloc", "--interval", "3", "--duration", "6",
         "--prom-file", "/out/p.prom"],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    text = (tmp_path / "p.prom").read_text()
    ok, why = promtool_ok(tmp_path / "p.prom")
    assert ok, why
    assert f'pyleak_build_info{{pid="{t.pid}"' in text
    line = leak_line("leaky.py")
    assert re.search(rf'pyleak_site_live_bytes\{{pid="{t.pid}".*site="leaky.py:{line} leak"\}} [1-9]',
                     text), text
