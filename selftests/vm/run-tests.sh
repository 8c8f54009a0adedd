#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-tests.sh (make vm-test): boot the test VM, run there (runner.sh) the
# selftests in $BUILD/selftests/ and the nested guest tests
# (selftests/nested_*.sh), stream their TAP, check the kernel console, print
# "vm: N passed, N failed, N skipped (N not allowed)"; non-zero exit on any
# failure or disallowed skip.
# Knobs: OVC_TESTS (regex of test names), OVC_TEST_TIMEOUT (per test, 300 s;
# 900 s for a nested guest test), OVC_GUEST_TIMEOUT (per nested guest boot,
# 150 s), OVC_VM_TIMEOUT (whole VM, 1800 s; the tmpfs control: 600 s);
# every OVC_* variable is passed on to the runner in the VM.  OVC_VM_LABEL
# (default vm) names the run: its messages, its summary line ("<label>: N
# passed, ...") and its logs ($BUILD/<label>-console.log, -tap.log,
# -summary.log); OVC_VM_KERNEL etc. boot another kernel (lib.sh).  The VM
# gets a scratch disk (below).
# A crash or stall of the test VM during a nested KVM test is never retried
# and always fails the run; it only gets a label from a control run: the
# same nested test alone, with OVC_NESTED_CONTROL=tmpfs (guest RAM on
# tmpfs).  Only when that control crashes too is the crash called
# infrastructure.
set -uo pipefail
# shellcheck source=selftests/vm/lib.sh
source "$(dirname "$0")/lib.sh"

vm_lock
bash "$OVC_REPO/selftests/guest/build.sh" "$BUILD/guest" || exit 1
vm_kernel && vm_initramfs || exit 1

# mkcmd <file> [VAR=value...]: the script the VM runs: every OVC_*
# variable, then the given assignments, then runner.sh.
mkcmd() {
	local f=$1 v a
	shift
	{
		echo '#!/usr/bin/env bash'
		for v in $(compgen -e | grep '^OVC_'); do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
		printf 'export OVC_BUILD=%q OVC_VMLINUX=%q\n' "$BUILD" "$VMLINUX"
		for a in "$@"; do
			printf 'export %s=%q\n' "${a%%=*}" "${a#*=}"
		done
		printf 'exec bash %q\n' "$VM_DIR/runner.sh"
	} >"$f"
	chmod +x "$f"
}

mkdir -p "$BUILD/vm"
# The scratch disk: a 2 GiB sparse image, new each run, the test VM's one
# virtio-blk disk (/dev/vda there), for the tests of a block device swap
# store (ovcfs_pressure_test); removed at the end.
scratch=$BUILD/vm/scratch.img
rm -f "$scratch" && truncate -s 2G "$scratch" || exit 1
trap 'rm -f "$scratch"' EXIT
export OVC_VM_QEMU_ARGS="${OVC_VM_QEMU_ARGS:+$OVC_VM_QEMU_ARGS }-drive file=$scratch,format=raw,if=none,id=scratch0,cache=unsafe -device virtio-blk-pci,drive=scratch0"
cmd=$BUILD/vm/cmd
label=$OVC_VM_LABEL
taplog=$BUILD/$label-tap.log summary=$BUILD/$label-summary.log
mkcmd "$cmd"
secs=${OVC_VM_TIMEOUT:-1800}
stalled=$BUILD/vm/stalled
crash_re='soft lockup|rcu: INFO: .* stall|BUG: |Oops|Kernel panic|general protection fault|stack-protector'

# crashed_nested <console> <qemu-status>: print the nested_* test during
# which the test VM crashed or stalled (the last runner mark before the
# console's first crash or stall report is its start), or hung (status
# 124/137: the last test started and not ended); fail if none.
crashed_nested() {
	local con=$1 rc=$2 hit mark=
	hit=$(grep -nE -m1 -- "$crash_re" "$con" 2>/dev/null | cut -d: -f1)
	if [[ -n $hit ]]; then
		mark=$(head -n "$hit" "$con" | grep -oE 'ovc-vm: (start|end) [^ ]*' | tail -n1)
	elif ((rc == 124 || rc == 137)) || [[ -e $stalled ]]; then
		mark=$(grep -oE 'ovc-vm: (start|end) [^ ]*' "$con" 2>/dev/null | tail -n1)
	fi
	mark=${mark%$'\r'}	# the console file has CRLF line ends
	[[ $mark == "ovc-vm: start nested_"* ]] || return 1
	echo "${mark#ovc-vm: start }"
}

# watch_stall <console>: stop the VM (by QEMU's pid file) as soon as it
# crashed or stalled in a nested KVM test, rather than at the timeout.
watch_stall() {
	local con=$1
	while sleep 5; do
		grep -qE -- "$crash_re" "$con" 2>/dev/null || continue
		sleep 5	# let the traces finish
		crashed_nested "$con" 0 >/dev/null || return
		touch "$stalled"
		[[ -s $con.pid ]] && kill "$(cat "$con.pid")" 2>/dev/null
		return
	done
}

# attempt <console> <timeout> <cmd>: one test VM run; prints its TAP
# through tap.awk (the control's, prefixed "# control| ", through nothing).
attempt() {
	local con=$1 t=$2 c=$3 watcher rc
	rm -f "$stalled"
	VM_CONSOLE=$con
	watch_stall "$con" &
	watcher=$!
	echo "# $label-test: kernel ${OVC_VM_KERNEL:-$KVER}, console log $con"
	if [[ $c == "$cmd" ]]; then
		{
			vm_boot "$t" "$c" | tee "$taplog"
			echo "${PIPESTATUS[0]}" >"$BUILD/vm/qemu-rc"
			bash "$VM_DIR/console-check.sh" "$(cat "$BUILD/vm/qemu-rc")" "$t" "$con" "$taplog"
		} | tap_awk -v label="$label" -f "$VM_DIR/tap.awk" | tee "$summary"
		rc=${PIPESTATUS[1]}
	else
		vm_boot "$t" "$c" | sed -u 's/^/# control| /'
		rc=${PIPESTATUS[0]}
	fi
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return "$rc"
}

attempt "$VM_CONSOLE" "$secs" "$cmd"
rc=$?
qrc=$(cat "$BUILD/vm/qemu-rc" 2>/dev/null)
if ((rc != 0)) && test=$(crashed_nested "$VM_CONSOLE" "${qrc:-0}"); then
	main_console=$VM_CONSOLE
	cp "$main_console" "$main_console.crash"
	control=$BUILD/$label-console.control.log
	ccmd=$BUILD/vm/cmd.control
	mkcmd "$ccmd" "OVC_TESTS=^$test\$" OVC_NESTED_CONTROL=tmpfs
	echo "# $label-test: the test VM crashed or stalled in $test (console kept in $main_console.crash): running $test alone on a tmpfs control (OVC_NESTED_CONTROL=tmpfs)"
	attempt "$control" "${OVC_VM_TIMEOUT:-600}" "$ccmd"
	crc=$?
	if ((crc == 124 || crc == 137)) || [[ -e $stalled ]] ||
		grep -qE -- "$crash_re" "$control" 2>/dev/null; then
		echo "# infrastructure: the tmpfs control crashed too (console kept in $control; the original in $main_console.crash)"
	else
		echo "# not infrastructure: the tmpfs control ran clean; the crash follows ovc (consoles: $main_console.crash, $control)"
	fi
	# The run failed either way: its summary stays the last line.
	grep -E "^$label: [0-9]+ passed" "$summary" | tail -n1
fi
exit "$rc"
