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
# safety (make fuzz-ci, asan, valgrind): clang-14 and libclang-rt-14-dev
# (libFuzzer and the sanitizer runtimes clang links the fuzzers with), gcc's
# libasan8/libubsan1 come with gcc; valgrind for the memcheck sessions
pkgs="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev make gcc
      libcmocka-dev python3 python3-pytest debootstrap util-linux procps
      protobuf-c-compiler libprotobuf-c-dev prometheus prometheus-node-exporter
      golang-go golang-github-google-pprof-dev
      libjansson-dev
      clang-14 libclang-rt-14-dev valgrind"
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
