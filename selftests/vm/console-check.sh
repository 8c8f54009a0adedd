#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# console-check.sh <qemu-status> <timeout> <console-log> <tap-log>: after the
# test VM stopped, print one TAP result per check: the VM did not hang, the
# runner finished, and the kernel console shows no sign of a kernel bug.
# A failing console check names the test that was running (runner's kmsg).
# The debug layer's kernel adds KASAN, KFENCE, lockdep and DEBUG_VM reports
# ("Bad page", "kernel BUG at", "invalid opcode" of a BUG_ON).  A KASAN
# report is "BUG: KASAN: ..."; a bare "KASAN" is in every Oops line of a
# KASAN kernel ("invalid opcode: 0000 [#1] SMP KASAN").
set -u
rc=$1 secs=$2 console=$3 taplog=$4

tap() { # condition-status description
	if (($1 == 0)); then echo "ok - $2"; else echo "not ok - $2"; fi
}

case $rc in
0) tap 0 "vm powered off within ${secs}s" ;;
124 | 137) tap 1 "vm powered off within ${secs}s (HUNG: killed by timeout)" ;;
*) tap 1 "vm powered off within ${secs}s (qemu failed: rc=$rc)" ;;
esac
grep -q '^# ovc-vm: runner done' "$taplog"
tap $? "vm runner completed"

checks=(
	"Oops|Oops:"
	"BUG|BUG:"
	"kernel BUG|kernel BUG at"
	"invalid opcode|invalid opcode"
	"Bad page|Bad page"
	"WARNING|WARNING:"
	"lockdep|possible circular locking|WARNING: possible recursive|possible recursive locking|inconsistent lock state|suspicious RCU usage|bad unlock balance|held lock freed"
	"KASAN|BUG: KASAN|KASAN:"
	"KFENCE|BUG: KFENCE|KFENCE:"
	"general protection fault|general protection fault"
	"scheduling while atomic|scheduling while atomic"
	"hung task|blocked for more than [0-9]+ seconds"
	"RCU stall|rcu: INFO: .* stall"
	"Kernel panic|Kernel panic"
)
noise='module verification failed|Unhandled WRMSR'
clean=$(grep -Ev "$noise" "$console" 2>/dev/null)
for c in "${checks[@]}"; do
	name=${c%%|*} re=${c#*|}
	hit=$(grep -nE -m1 -- "$re" <<<"$clean")
	if [[ -z $hit ]]; then
		tap 0 "console: no $name"
		continue
	fi
	tap 1 "console: no $name"
	during=$(head -n "${hit%%:*}" <<<"$clean" | grep -oE 'ovc-vm: (start|end) .*' | tail -n1)
	echo "# ${hit#*:}"
	echo "# last runner mark before it: ${during:-none (before the tests)}"
done
