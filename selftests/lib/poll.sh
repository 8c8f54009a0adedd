# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# lib/poll.sh: polling without forking, for the nested guest tests (run
# INSIDE the test VM, where a fork and exec costs tens of milliseconds under
# TCG).  poll_init <dir> first: it opens the fifo nap() reads from.

# poll_init <dir>: a fifo nobody writes to, on fd 8, for nap.
poll_init() {
	rm -f "$1/nap"
	mkfifo "$1/nap"
	exec 8<>"$1/nap"
}
# rd <file>: REPLY = the number in a sysfs file (0 if unreadable).
rd() { REPLY=0; read -r REPLY 2>/dev/null <"$1"; [[ $REPLY ]] || REPLY=0; }
val() { rd "$1"; echo "$REPLY"; }
le() { rd "$1"; ((REPLY <= $2)); }
ge() { rd "$1"; ((REPLY >= $2)); }
near() { rd "$1"; ((REPLY >= $2 - $3 && REPLY <= $2 + $3)); }
# nap: sleep 0.1 s (read times out on the fifo).
nap() { read -r -t 0.1 -u 8; }
# elapsed <t0>: REPLY = seconds since t0 (an $EPOCHREALTIME), one decimal.
elapsed() {
	local d=$(((${EPOCHREALTIME/./} - ${1/./}) / 100000))
	REPLY=$((d / 10)).$((d % 10))
}
# has_in <file> <pattern>: the file matches *<pattern>* (a glob).
has_in() { local c; IFS= read -r -d '' c 2>/dev/null <"$1"; [[ $c == *$2* ]]; }
# wait_until <seconds> <command...>: poll every 0.1 s; prints the seconds
# taken, or "timeout".
wait_until() {
	local t0=$EPOCHREALTIME end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || { echo "timeout"; return 1; }
		nap
	done
	elapsed "$t0"
	echo "$REPLY"
}
# settles <file> <value>: the count returns to value within 5 s.
settles() {
	for _ in {1..50}; do rd "$1"; ((REPLY == $2)) && return 0; nap; done
	return 1
}
# wait_vm_dir <name-in-mount>: ovc's sysfs directory of the VM whose file
# has that name (vms/<id>/name), once QEMU created it (within 30 s: QEMU
# starts slowly under TCG).  Needs $sys (nested_paths).
wait_vm_dir() {
	local d name
	for _ in {1..300}; do
		for d in "$sys"/vms/*/; do
			name=''
			read -r name 2>/dev/null <"$d/name"
			[[ $name == "$1" ]] && { echo "${d%/}"; return 0; }
		done
		nap
	done
	return 1
}
