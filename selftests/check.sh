#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh (make check): deps, build, KUnit under UML, the userspace tools'
# TAP tests, selftests in the test VM.  Sums the results; the last line is
# "N passed, N failed".  A step that fails without reporting results (a
# build, a crashed runner) counts as one failure.  Exit status non-zero on
# any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:=$PWD/build}"
mkdir -p "$BUILD"
passed=0 failed=0 skipped=0

# step <name> <command...>: a step without a count of its own.
step() {
	local name=$1
	shift
	echo "=== $name"
	"$@" && return 0
	echo "check: $name FAILED"
	failed=$((failed + 1))
	return 1
}

# tests <name> <summary-prefix> <command...>: a step whose output ends in a
# "<prefix> N passed, N failed[, N skipped]" line; counts that line.
tests() {
	local name=$1 prefix=$2 log=$BUILD/check-$1.log rc line p f s
	shift 2
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "^$prefix [0-9]+ passed, [0-9]+ failed" "$log" | tail -n1)
	if [[ -z $line ]]; then
		echo "check: $name printed no '$prefix N passed, N failed' line (rc=$rc)"
		failed=$((failed + 1))
		return
	fi
	read -r p f s < <(sed -E 's/^[^0-9]*([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' <<<"$line")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	if ((rc != 0 && f == 0)); then
		echo "check: $name exited with rc=$rc"
		failed=$((failed + 1))
	fi
}

step deps bash selftests/vm/install-deps.sh
# On a fresh machine make ran before the kernel was installed and exported
# an empty KVER: let the next makes look again.
[[ -n ${KVER:-} ]] || unset KVER KDIR
if step build make --no-print-directory all selftests; then built=1; else built=0; fi
tests kunit kunit: make --no-print-directory kunit
if ((built)); then
	tests userspace userspace: bash selftests/userspace-tests.sh
fi
if ((built)); then
	tests vm-test vm: make --no-print-directory vm-test
else
	echo "=== vm-test skipped: the build failed"
fi

((skipped == 0)) || echo "check: $skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
