#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run.sh SECONDS BIN...: run each libFuzzer harness (make fuzz, make fuzz-ci)
# for SECONDS on its checked-in seeds, tests/fuzz/corpus/X/ for fuzz_X. New
# inputs go to a scratch corpus under .output/fuzz/work/X (the checked-in
# one stays as committed); a crash, leak, sanitizer report, timeout or
# out-of-memory leaves its input in .output/fuzz/artifacts/ and fails the
# run. Ends with one line: "fuzz: N harnesses, M failed".
set -u

if [ "$#" -lt 2 ]; then
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
fi
secs=$1
shift
here=$(dirname "$0")
out=.output/fuzz
mkdir -p "$out/artifacts" "$out/work"

failed=0
n=0
for bin in "$@"; do
	name=$(basename "$bin")
	t=${name#fuzz_}
	seeds=$here/corpus/$t
	work=$out/work/$t
	mkdir -p "$work"
	n=$((n + 1))
	start=$(date +%s)
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: memory a
	# walk must not need; -detect_leaks stays on (the default)
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
		"$work" "$seeds" >"$out/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz: $name FAILED (exit $rc) after $(($(date +%s) - start)) s; log $out/$t.log:"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|assert|abort' "$out/$t.log" | head -20
	else
		echo "fuzz: $name ok: ${execs:-?} inputs, ${cov:-cov ?} in $(($(date +%s) - start)) s"
	fi
done
echo "fuzz: $n harnesses, $failed failed"
[ "$failed" -eq 0 ]
