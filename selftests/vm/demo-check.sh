#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo-check.sh <qemu-status> <timeout> <tap-log> <console-log>: after the
# demo's test VM stopped, decide whether the demo worked.  It did only if
# the VM powered off in time (QEMU status 0), demo-vm.sh's last word is
# "demo: RESULT ok", and the VM's kernel console shows no crash, warning or
# stall.  Prints "demo: OK" or "demo: FAILED: <why>[; <why>...]" (after the
# console lines that made it fail) as its last line; exit status 1 on failure.
set -u
rc=$1 secs=$2 taplog=$3 console=$4
why=()

case $rc in
0) ;;
124 | 137) why+=("the test VM hung: killed after ${secs}s (rc=$rc)") ;;
*) why+=("qemu failed (rc=$rc)") ;;
esac

result=$(grep -a '^demo: RESULT ' "$taplog" 2>/dev/null | tail -n1)
case $result in
"demo: RESULT ok") ;;
"demo: RESULT fail"*) why+=("in the VM: ${result#demo: RESULT fail }") ;;
*) why+=("demo-vm.sh gave no RESULT line (it died, or the VM did)") ;;
esac

re='Oops|BUG:|WARNING:|Kernel panic|stack-protector|general protection|soft lockup|rcu.*stall'
noise='module verification failed|Unhandled WRMSR'
if [[ ! -s $console ]]; then
	why+=("no kernel console log at $console")
else
	hits=$(grep -aEv "$noise" "$console" | grep -anE -- "$re")
	if [[ -n $hits ]]; then
		echo "demo: the kernel console ($console) shows:"
		head -n 20 <<<"$hits" | sed 's/^/demo: console| /'
		why+=("kernel console: $(head -n1 <<<"$hits" | cut -d: -f2- | cut -c1-100)")
	fi
fi

if ((${#why[@]})); then
	printf -v w '%s; ' "${why[@]}"
	echo "demo: FAILED: ${w%; }"
	exit 1
fi
echo "demo: OK"
