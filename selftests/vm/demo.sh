#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh (make demo): boot the test VM, run two nested guests on ovcfs and
# show `ovcctl status` while they run (selftests/vm/demo-vm.sh).  Exits
# non-zero, saying why (demo-check.sh), unless both guests printed
# OVC-GUEST-OK on ovcfs and the test VM neither crashed nor hung.
# Knobs: OVC_DEMO_HOLD (seconds the guests hold their memory, 20),
# OVC_VM_TIMEOUT (the whole VM, 400 s); every OVC_* variable is passed on
# to demo-vm.sh in the VM.
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
	for v in $(compgen -e | grep '^OVC_'); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export OVC_REPO=%q OVC_BUILD=%q OVC_VMLINUX=%q OVC_DEMO_HOLD=%q\n' \
		"$OVC_REPO" "$BUILD" "$VMLINUX" "${OVC_DEMO_HOLD:-20}"
	printf 'exec bash %q\n' "$VM_DIR/demo-vm.sh"
} >"$cmd"
chmod +x "$cmd"
secs=${OVC_VM_TIMEOUT:-400}
echo "# demo: kernel console in $VM_CONSOLE"
rm -f "$VM_CONSOLE"
vm_boot "$secs" "$cmd" | tee "$BUILD/demo-tap.log"
rc=${PIPESTATUS[0]}
bash "$VM_DIR/demo-check.sh" "$rc" "$secs" "$BUILD/demo-tap.log" "$VM_CONSOLE"
