# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmarks that boot the test VM (bench/ksm-compare,
# bench/balloon, bench/reclaim): the steps they all take on the host before
# and after vm_boot (selftests/vm/lib.sh), and loading ovc.ko in the VM.
# Messages are prefixed with $BENCH_NAME.

# ---------------------------------------------------------------- in the VM --

# bench_ovc_load <mountpoint>: ovc.ko loaded and ovcfs mounted.  ovc.ko
# needs zsmalloc and lz4 (the compressed cache), which modprobe loads from
# the 9p root (as selftests/vm/runner.sh).
bench_ovc_load() {
	modprobe -qa zsmalloc lz4
	insmod "$OVC_REPO/ovc.ko" && mkdir -p "$1" && mount -t ovcfs ovc "$1"
}

# -------------------------------------------------------------- on the host --

# bench_host <name>: a build dir of its own, $BUILD/bench (its own VM lock
# and console log, so that a benchmark neither waits for nor overwrites a
# running `make vm-test`), and selftests/vm/lib.sh.
bench_host() {
	BENCH_NAME=$1
	BUILD=${BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}/bench
	export BUILD
	# shellcheck source=selftests/vm/lib.sh
	source "$(dirname "${BASH_SOURCE[0]}")/../selftests/vm/lib.sh"
}

# bench_need_ko: ovc.ko built, and for the kernel the test VM boots; a
# warning when kmod/ has changed since.
bench_need_ko() {
	local ko=$OVC_REPO/ovc.ko vermagic newer
	if [[ ! -f $ko ]]; then
		echo "$BENCH_NAME: $ko is not built: run 'make' first" >&2
		return 1
	fi
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
	if [[ $vermagic != "$KVER" ]]; then
		echo "$BENCH_NAME: ovc.ko is built for '${vermagic:-?}', the test VM boots $KVER: run 'make' (KVER=$KVER)" >&2
		return 1
	fi
	newer=$(find "$OVC_REPO/kmod" -maxdepth 1 \( -name '*.c' -o -name '*.h' \) -newer "$ko" -printf '%f ' 2>/dev/null)
	[[ -z $newer ]] || echo "$BENCH_NAME: warning: ovc.ko is older than kmod/$newer- run 'make' to benchmark the current sources" >&2
}

# bench_need <command>...: each on PATH.
bench_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "$BENCH_NAME: $c missing (make deps)" >&2; return 1; }
	done
}

# bench_cc <source> <binary>: (re)build a benchmark program when it or
# bench/bench_util.h is newer than the binary.
bench_cc() {
	local src=$1 bin=$2
	[[ -x $bin && ! $src -nt $bin && ! $OVC_REPO/bench/bench_util.h -nt $bin ]] && return 0
	mkdir -p "${bin%/*}"
	if ! gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$OVC_REPO/uapi" -o "$bin.tmp" "$src"; then
		echo "$BENCH_NAME: building $src failed" >&2
		return 1
	fi
	mv "$bin.tmp" "$bin"
}

# bench_cmd <file> <script> [NAME=value]...: the command the test VM runs:
# the variables exported, then `bash <script> --in-vm`.
bench_cmd() {
	local file=$1 script=$2 kv
	shift 2
	mkdir -p "${file%/*}"
	{
		echo '#!/usr/bin/env bash'
		for kv in "$@"; do
			printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
		done
		printf 'exec bash %q --in-vm\n' "$script"
	} >"$file"
	chmod +x "$file"
}

# bench_vm_status <qemu-status> <timeout> <log>: 0 if the VM powered off in
# time, its console shows no kernel bug (selftests/vm/console-check.sh),
# the script in it ended with "# bench: in-vm rc=0" and printed no "bench:
# error"; else says why and returns 1.
bench_vm_status() {
	local vmrc=$1 secs=$2 log=$3 checks st=0
	checks=$(bash "$VM_DIR/console-check.sh" "$vmrc" "$secs" "$VM_CONSOLE" "$log")
	if grep -q '^not ok' <<<"$checks"; then
		echo "$BENCH_NAME: the test VM failed:"
		grep -A2 '^not ok' <<<"$checks" | sed 's/^/  /'
		st=1
	fi
	grep -q '^# bench: in-vm rc=0' "$log" || st=1
	grep -q '^bench: error' "$log" && st=1
	return $st
}
