#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# userspace-tests.sh: the TAP tests of ovcctl and ovcd (userspace-ctl/tests),
# on the build machine: they use a fake sysfs tree and a fake QMP peer (and
# a real QEMU when installed), no module; and install-test.sh: make install
# and uninstall into a DESTDIR, and the DKMS package built and installed
# into temporary trees against the kernel headers.  Counted like the VM's
# tests; prints "userspace: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/vm/lib.sh
source selftests/vm/lib.sh
make --no-print-directory -C userspace-ctl all tests >/dev/null || exit 1
for t in userspace-ctl/tests/test-*.sh selftests/install-test.sh; do
	name=$(basename "$t" .sh)
	echo "# ovc-vm: begin $name"
	case $t in
	userspace-ctl/*) (cd userspace-ctl && timeout 600 bash "tests/${t##*/}" </dev/null 2>&1) ;;
	*) timeout 600 bash "$t" </dev/null 2>&1 ;;
	esac
	echo "# ovc-vm: end $name rc=$?"
done | tap_awk -v label=userspace -f selftests/vm/tap.awk
