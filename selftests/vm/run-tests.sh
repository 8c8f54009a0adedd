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
# crashes or stalls in a nested KVM test with no ovc frame in its traces
# (nested KVM on TCG) is run once more.
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

# Nested KVM on TCG's emulated SVM sometimes brings the whole test VM down:
# an RCU stall and soft lockup of the idle task, or the nested guest's QEMU
# overflowing its stack in __svm_vcpu_run (../shared/feasibility.md).  That
# is an infrastructure failure when the console shows a kernel crash or
# stall, no ovc frame in any trace, and a nested KVM test was running.
infra_failure() {
	grep -qE 'soft lockup|rcu: INFO: .* stall|BUG: |Oops|Kernel panic' "$VM_CONSOLE" 2>/dev/null || return 1
	grep -q '\[ovc\]' "$VM_CONSOLE" && return 1
	[[ $(grep -o 'ovc-vm: start [^ ]*' "$VM_CONSOLE" | tail -n1) == *nested_* ]]
}

# Stop such a VM at once rather than at the timeout.
watch_stall() {
	while sleep 5; do
		grep -qE 'soft lockup|rcu: INFO: .* stall|BUG: |Oops' "$VM_CONSOLE" 2>/dev/null || continue
		sleep 5	# let the traces finish
		infra_failure || return
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
if [[ -e $stalled ]] || { ((rc != 0)) && infra_failure; }; then
	cp "$VM_CONSOLE" "$VM_CONSOLE.infra"
	echo "# retry: the test VM crashed or stalled in a nested KVM test with no ovc frame in any trace (console kept in $VM_CONSOLE.infra): an infrastructure failure of nested KVM on TCG; running the VM tests once more, only the last 'vm:' line counts"
	attempt
	rc=$?
fi
exit "$rc"
