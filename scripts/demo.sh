#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# make demo: pyleak-bpf at its default settings on a program that leaks
# about 200 KiB/s at one line beside a line that only churns, first under
# Debian's python3 (static LTO build: the allocator is switched during each
# window), then under a pyenv build if one is installed. Within the run the
# leaking line is flagged (ALERT, its windows, its fix hint) and the
# churning line is not.
set -eu
cd "$(dirname "$0")/.."
seconds=${DEMO_SECONDS:-24}
run() {
	echo
	echo "=== pyleak-bpf --interval 8 --top 4 $* -- $py tests/targets/rate_leak.py 200 $seconds"
	./pyleak-bpf --interval 8 --top 4 "$@" -- "$py" tests/targets/rate_leak.py 200 "$seconds"
}
py=/usr/bin/python3
run --switch-allocator
for v in 3.12.1 3.11.7; do
	py=${PYENV_ROOT:-/root/.pyenv}/versions/$v/bin/python3
	if [ -x "$py" ]; then
		run
		break
	fi
done
