#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-tests.sh (make vm-test): boot the test VM, run there (runner.sh) the
# selftests in $BUILD/selftests/ and the nested guest tests
# (selftests/nested_*.sh), stream their TAP, check the kernel console, print
# "vm: N passed, N failed, N skipped"; non-zero exit on any failure.
# Knobs: OVC_TESTS (regex of test names), OVC_TEST_TIMEOUT (per test, 300 s;
# 600 s for a nested guest test), OVC_GUEST_TIMEOUT (per nested guest boot,
# 150 s), OVC_VM_TIMEOUT (whole VM, 1200 s);
# every OVC_* variable is passed on to the runner in the VM.  A test VM that
# stalls with no ovc frame in its traces (nested KVM on TCG) is run once more.
set -uo pipefail
# shellcheck source=selftests/vm/lib.sh
source "$(dirname "$0")/lib.sh"

vm_lock
bash "$OVC_REPO/selftests/guest/build.sh" "$BUILD/guest" || exit 1
vm_kernel && vm_initramfs || exit 1

cmd=$BUILD/vm/cmd
mkdir -p "$BUILD/vm"
{
	echo '#!/usr/bin/env bash'
	for v in $(compgen -e | grep '^OVC_'); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export OVC_BUILD=%q OVC_VMLINUX=%q\n' "$BUILD" "$VMLINUX"
	printf 'exec bash %q\n' "$VM_DIR/runner.sh"
} >"$cmd"
chmod +x "$cmd"

secs=${OVC_VM_TIMEOUT:-1200}
stalled=$BUILD/vm/stalled

# Nested KVM on TCG's emulated SVM sometimes stalls the whole test VM (RCU
# stall, soft lockup of the idle task; ../shared/feasibility.md).  When the
# console shows such a stall and no ovc frame in any trace, stop the VM at
# once and mark it: an infrastructure failure, retried once below.
watch_stall() {
	while sleep 5; do
		grep -qE 'soft lockup|rcu: INFO: .* stall' "$VM_CONSOLE" 2>/dev/null || continue
		sleep 5	# let the traces finish
		grep -q '\[ovc\]' "$VM_CONSOLE" && return
		touch "$stalled"
		pkill -f -- "file:$VM_CONSOLE"
		return
	done
}

attempt() {
	local watcher rc
	rm -f "$stalled"
	watch_stall &
	watcher=$!
	echo "# vm-test: kernel $KVER, console log $VM_CONSOLE"
	{
		vm_boot "$secs" "$cmd" | tee "$BUILD/vm-tap.log"
		bash "$VM_DIR/console-check.sh" "${PIPESTATUS[0]}" "$secs" "$VM_CONSOLE" "$BUILD/vm-tap.log"
	} | awk -f "$VM_DIR/tap.awk"
	rc=$?
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return "$rc"
}

attempt
rc=$?
if [[ -e $stalled ]]; then
	cp "$VM_CONSOLE" "$VM_CONSOLE.stalled"
	echo "# retry: the test VM stalled (RCU stall or soft lockup, no ovc frame in any trace; console kept in $VM_CONSOLE.stalled): an infrastructure failure of nested KVM on TCG, running the VM tests once more; only the last 'vm:' line counts"
	attempt
	rc=$?
fi
exit "$rc"
