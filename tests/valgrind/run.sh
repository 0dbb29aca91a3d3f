#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run.sh [BINARY]: make valgrind. Two short sessions of pyleak-bpf under
# valgrind's memcheck, each failing on any error or on a definite or
# indirect leak in the tool (--errors-for-leak-kinds=definite,indirect
# --error-exitcode=1):
#   1. growth mode attached to a pyenv 3.11 target for about 5 s, with fast
#      windows (probes attached and removed several times);
#   2. alloc mode, run mode: pyleak-bpf -- python3.11 accuracy.py dict 12 (attaching under
#      valgrind takes seconds: the target must outlive it).
# tests/valgrind/pyleak.supp holds the only suppressions: the kernel
# interfaces libbpf uses that valgrind does not model (each commented).
# Logs: .output/valgrind/*.log. Ends with "valgrind: N sessions, M failed".
set -u

bin=${1:-./pyleak-bpf}
here=$(dirname "$0")
top=$(cd "$here/../.." && pwd)
py=${PYENV_ROOT:-/root/.pyenv}/versions/3.11.7/bin/python3
out=.output/valgrind
mkdir -p "$out"

for need in valgrind "$py" "$bin"; do
	if ! command -v "$need" >/dev/null 2>&1 && [ ! -x "$need" ]; then
		echo "valgrind: missing $need" >&2
		exit 1
	fi
done

vg() {
	log=$1
	shift
	valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=1 --track-fds=no ${VALGRIND_EXTRA:-} \
		--suppressions="$here/pyleak.supp" --log-file="$out/$log.log" "$@"
}

failed=0
report() { # name rc start
	secs=$(($(date +%s) - $3))
	summary=$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$out/$1.log" |
		sed 's/^==[0-9]*== *//' | tr '\n' ';')
	if [ "$2" -ne 0 ]; then
		failed=$((failed + 1))
		echo "valgrind: $1 FAILED (exit $2, $secs s): $summary"
		sed -n '/ERROR SUMMARY/q;p' "$out/$1.log" | grep -v '^==[0-9]*== *$' | tail -60
	else
		echo "valgrind: $1 ok ($secs s): $summary"
	fi
}

# 1. growth mode, attached, windows opening and closing
"$py" "$top/tests/targets/accuracy.py" dict 40 >"$out/target.out" 2>&1 &
target=$!
i=0
until grep -q READY "$out/target.out" 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
start=$(date +%s)
vg growth "$bin" --format json --pid "$target" --interval 2.5 --duration 5 \
	--first-window 0.5 --window-every 1 --window-time 1 --follow 1 \
	--window-allocs 2000 --window-budget 3600 >"$out/growth.out" 2>"$out/growth.err"
rc=$?
kill "$target" 2>/dev/null
wait "$target" 2>/dev/null
report growth "$rc" "$start"

# 2. alloc mode, run mode
start=$(date +%s)
vg alloc-run "$bin" --format json --mode alloc --interval 1 -- \
	"$py" "$top/tests/targets/accuracy.py" dict 12 >"$out/alloc-run.out" 2>"$out/alloc-run.err"
rc=$?
report alloc-run "$rc" "$start"

echo "valgrind: 2 sessions, $failed failed"
[ "$failed" -eq 0 ]
