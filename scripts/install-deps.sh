#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what building and testing pyleak-bpf needs, from Debian's archive
# (bookworm). Idempotent: packages already present are left alone, and the
# package lists are refreshed only when something is missing.
set -eu
# build: clang (BPF target), llvm (llvm-strip), bpftool (skeletons), libbpf,
# libelf and zlib (libbpf's own needs), make and gcc (userspace)
# tests: cmocka (unit), pytest (end to end), debootstrap (Debian chroots with
# other CPython versions), util-linux (unshare, setpriv), procps (pgrep)
# file exports: protobuf-c-compiler and libprotobuf-c-dev build --pprof's
# encoder (proto/profile.proto); their tests read the files with the real
# tools: promtool (prometheus), prometheus-node-exporter, go tool pprof
# (golang-go), and golang-github-google-pprof-dev holds the upstream
# profile.proto our copy is compared with
# compare: libjansson-dev parses the JSON lines of two runs
# --listen: libmicrohttpd-dev serves /metrics and /healthz
# deploy/ tests (tests/e2e/test_deploy.py): buildah builds the image
# (deploy/build-image.sh, from a debootstrapped base), podman and runc run
# it; systemd's systemd-analyze verifies the unit; nodejs and npm run the
# Kubernetes schema validator (npm packages kubernetes-models, installed by
# the test from deploy/kubernetes/test/package-lock.json); python3-yaml
# reads the rendered manifests; prometheus (above) runs the alert rules
# safety (make fuzz-ci, asan, valgrind): clang-14 and libclang-rt-14-dev
# (libFuzzer and the sanitizer runtimes clang links the fuzzers with), gcc's
# libasan8/libubsan1 come with gcc; valgrind for the memcheck sessions
pkgs="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev make gcc
      libcmocka-dev python3 python3-pytest debootstrap util-linux procps
      protobuf-c-compiler libprotobuf-c-dev prometheus prometheus-node-exporter
      golang-go golang-github-google-pprof-dev
      libjansson-dev libmicrohttpd-dev
      buildah podman runc systemd nodejs python3-yaml
      clang-14 libclang-rt-14-dev valgrind"
# exports: chromium renders the HTML report (--html) in its end-to-end test;
# tmux gives the live terminal view a real terminal to draw on in its test
pkgs="$pkgs chromium tmux"
# make bench's peers (bench/bench.py): heaptrack (heaptrack_print reads its
# file) and austin (Austin 1.0.1's memory mode, Pythons up to 3.9), the tools
# a user would otherwise pick, run beside pyleak-bpf on the same workload
pkgs="$pkgs heaptrack austin"
# kubectl (kubectl kustomize): Debian's kubernetes-client, unless a kubectl
# is already installed (e.g. Google's kubectl package, which conflicts)
command -v kubectl >/dev/null || pkgs="$pkgs kubernetes-client"
# npm: Debian's package, unless a nodejs that bundles npm (NodeSource) is in
command -v npm >/dev/null || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
