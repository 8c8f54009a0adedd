#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh (make demo): boot the test VM, run two nested guests on ovcfs and
# show `ovcctl status` while they run (selftests/vm/demo-vm.sh).
# Knobs: OVC_DEMO_HOLD (seconds the guests hold their memory, 20).
set -uo pipefail
# shellcheck source=selftests/vm/lib.sh
source "$(dirname "$0")/lib.sh"
VM_CONSOLE=$BUILD/demo-console.log

vm_lock
bash "$OVC_REPO/selftests/guest/build.sh" "$BUILD/guest" || exit 1
cmd=$BUILD/vm/demo-cmd
mkdir -p "$BUILD/vm"
{
	echo '#!/usr/bin/env bash'
	printf 'export OVC_REPO=%q OVC_BUILD=%q OVC_VMLINUX=%q OVC_DEMO_HOLD=%q\n' \
		"$OVC_REPO" "$BUILD" "$VMLINUX" "${OVC_DEMO_HOLD:-20}"
	printf 'exec bash %q\n' "$VM_DIR/demo-vm.sh"
} >"$cmd"
chmod +x "$cmd"
echo "# demo: kernel console in $VM_CONSOLE"
vm_boot "${OVC_VM_TIMEOUT:-400}" "$cmd"
