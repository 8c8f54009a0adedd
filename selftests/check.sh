#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh (make check): deps, build, KUnit under UML, the userspace tools'
# TAP tests, selftests in the test VM, and (debug) again on a debug kernel.
# Sums the results; the last line is "N passed, N failed, N skipped".  A
# step that fails without reporting results (a build, a crashed runner)
# counts as one failure.  A skip is allowed only when it names a machine
# condition ("# SKIP machine: ...", counted by tap.awk); any other skip is
# listed before the last line.
# Exit status non-zero on any failure or disallowed skip.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:=$PWD/build}"
mkdir -p "$BUILD"
passed=0 failed=0 skipped=0 disallowed=0 badskips=''

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
# "<prefix> N passed, N failed[, N skipped[ (N not allowed)]]" line; counts
# that line.  Skips without a "(N not allowed)" count are all disallowed.
tests() {
	local name=$1 prefix=$2 log=$BUILD/check-$1.log rc line p f s d
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
	read -r p f s d < <(sed -E 's/^[^0-9]*([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?( \(([0-9]+) not allowed\))?.*/\1 \2 \4 \6/' <<<"$line")
	s=${s:-0}
	d=${d:-$s}
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	disallowed=$((disallowed + d))
	if ((d)); then
		badskips+=$(grep '^# skip not allowed: ' "$log" | sed "s/^# skip not allowed: /check: $name: skip not allowed: /" |
			grep . || echo "check: $name: $d skip(s) not allowed")
		badskips+=$'\n'
	fi
	if ((rc != 0 && f == 0 && d == 0)); then
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
# The debug layer: the selftests on a KASAN/lockdep/DEBUG_VM/KFENCE kernel
# with fault injection (selftests/vm/debug-test.sh).
if ((built)); then
	tests debug debug: make --no-print-directory debug-test
else
	echo "=== debug skipped: the build failed"
fi

if ((disallowed)); then
	echo "check: $disallowed of $skipped skip(s) not allowed (a skip must say \"# SKIP machine: <condition>\"):"
	printf '%s' "$badskips"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && disallowed == 0))
