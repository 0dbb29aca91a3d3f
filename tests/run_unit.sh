#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run_unit.sh: run the cmocka unit test binaries (make unit calls it as
# tests/run_unit.sh BIN...), show their output as it comes, and end with
# exactly one summary line:
#
#	unit: N passed, M failed
#
# N and M count test cases, summed from each binary's cmocka summary lines
# "[  PASSED  ] N test(s)." and "[  FAILED  ] M test(s), listed below:". A
# binary that crashes, times out or exits non-zero without a FAILED line, or
# exits 0 without any summary, counts as 1 failed. Exits 0 only if nothing
# failed (2 on a usage error).
#
# UNIT_TIMEOUT: seconds a binary may run (default 600, 0 for no limit; needs
# timeout(1), without it there is no limit).

set -u

if [ "$#" -eq 0 ]; then
	echo "usage: $0 BIN..." >&2
	exit 2
fi

limit=${UNIT_TIMEOUT:-600}
case $limit in
'' | *[!0-9]*)
	echo "$0: UNIT_TIMEOUT must be a whole number of seconds, got '$limit'" >&2
	exit 2
	;;
esac
if [ "$limit" -gt 0 ] && command -v timeout >/dev/null 2>&1; then
	# --foreground: Ctrl-C still reaches the test (same process group)
	with_limit="timeout --foreground -k 10 $limit"
else
	with_limit=
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run_unit.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0
failed=0
for bin in "$@"; do
	case $bin in
	*/*) path=$bin ;;
	*) path=./$bin ;; # never a command from PATH
	esac
	printf '=== %s\n' "$bin"
	rm -f "$tmp/rc"
	# A pipeline's status is tee's, so the binary's goes through a file.
	{
		$with_limit "$path" </dev/null 2>&1
		echo "$?" >"$tmp/rc"
	} | tee "$tmp/out"

	rc=
	if [ -s "$tmp/rc" ]; then
		read -r rc <"$tmp/rc"
	fi
	case $rc in
	'' | *[!0-9]*) rc=255 ;;
	esac

	# cmocka's count lines (the per-test "[  FAILED  ] name" lines differ)
	counts=$(awk '
		/^[[]  PASSED  []] [0-9]+ test[(]s[)][.]$/ { p += $4; s = 1 }
		/^[[]  FAILED  []] [0-9]+ test[(]s[)], listed below:$/ { f += $4; s = 1; fl = 1 }
		END { printf "%d %d %d %d\n", p, f, s, fl }
	' "$tmp/out")
	read -r p f summary failed_line <<EOF
$counts
EOF

	why=
	if [ "$rc" -ne 0 ] && [ "$failed_line" -eq 0 ]; then
		if [ -n "$with_limit" ] && [ "$rc" -eq 124 ]; then
			why="timed out after ${limit}s"
		elif [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then
			why="killed by signal $((rc - 128))"
		else
			why="exit status $rc without a cmocka FAILED line"
		fi
		f=1
	elif [ "$rc" -eq 0 ] && [ "$summary" -eq 0 ]; then
		why="no cmocka summary (not a cmocka_run_group_tests binary?)"
		f=1
	fi
	if [ -n "$why" ]; then
		echo "run_unit.sh: $bin: $why: counted as 1 failed"
	elif [ "$f" -gt 0 ]; then
		echo "run_unit.sh: $bin: $f failed"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
