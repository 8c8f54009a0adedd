#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debug-test.sh (make debug-test): the debug layer.  The selftests run in the
# test VM as for make vm-test, but on a debug kernel (debug-kernel.sh: KASAN,
# lockdep, DEBUG_VM, KFENCE, fault injection) with ovc.ko built against it
# (in $BUILD/debug/mod, apart from the Debian build), and runner.sh in debug
# mode (OVC_DEBUG=1): fault injection into the stress test's writers, a
# memory cgroup per test whose charges must come back, every page counter 0
# after umount.  Any KASAN, KFENCE, lockdep, BUG, WARNING, "Bad page" or
# "invalid opcode" on the console fails the run (console-check.sh).
# Tests: every C selftest ($BUILD/selftests/), the stress and race tests
# included, and nested_share (a nested guest pair with merging).
# Prints "debug: N passed, N failed, N skipped (N not allowed)".
# Knobs as run-tests.sh; defaults here: OVC_TESTS (the tests above),
# OVC_TEST_TIMEOUT 900 s (the race test takes about 300 s on this kernel),
# OVC_GUEST_TIMEOUT 600 s (nested_share's guests took 250 s of its 240 s
# default), OVC_VM_TIMEOUT 3600 s; OVC_VM_APPEND is added to the kernel
# arguments.
set -uo pipefail
export OVC_VM_LABEL=debug
# shellcheck source=selftests/vm/lib.sh
source "$(dirname "$0")/lib.sh"

# fail <what>: the layer failed before the VM ran: one result, the summary.
fail() {
	echo "not ok - debug: $*"
	echo "debug: 0 passed, 1 failed, 0 skipped (0 not allowed)"
	exit 1
}

kernel=$(bash "$VM_DIR/debug-kernel.sh" | tail -n1)
if [[ ! -s $kernel ]]; then
	fail "the debug kernel did not build (selftests/vm/debug-kernel.sh)"
fi
kdir=${OVC_DEBUG_KDIR:-$OVC_CACHE/debug-kernel}

# ovc.ko against it, out of the Debian build's way: a tree of symlinks to the
# sources, so that its objects land in $BUILD/debug/mod.
mod=$BUILD/debug/mod
mkdir -p "$mod/kmod"
ln -sfn "$OVC_REPO/Kbuild" "$mod/Kbuild"
ln -sfn "$OVC_REPO/uapi" "$mod/uapi"
ln -sfn "$OVC_REPO/kmod/tests" "$mod/kmod/tests"
for f in "$OVC_REPO"/kmod/*.[ch]; do
	ln -sfn "$f" "$mod/kmod/${f##*/}"
done
find "$mod/kmod" -maxdepth 1 -xtype l -delete	# sources gone from kmod/
echo "# debug-test: building ovc.ko against $kdir"
nice -n 10 make --no-print-directory -C "$kdir" M="$mod" -j"$(nproc)" modules >"$BUILD/debug/mod.log" 2>&1 ||
	{ tail -n 30 "$BUILD/debug/mod.log"; fail "ovc.ko did not build against $kdir (log: $BUILD/debug/mod.log)"; }

# The initramfs: busybox and init.sh only (9p is built in).
initrd=$OVC_CACHE/vm/initramfs-debug.cpio
key=$( { cat "$VM_DIR/init.sh" "$VM_DIR/mkinitramfs.sh"; stat -Lc '%n %s %Y' /bin/busybox; } |
	sha256sum | cut -c1-16)
if [[ ! -s $initrd || $(cat "$initrd.key" 2>/dev/null) != "$key" ]]; then
	mkdir -p "${initrd%/*}"
	bash "$VM_DIR/mkinitramfs.sh" "$initrd" --no-modules || fail "mkinitramfs.sh failed"
	echo "$key" >"$initrd.key"
fi

export OVC_DEBUG=1 OVC_KO=$mod/ovc.ko OVC_VM_KERNEL=$kernel OVC_VM_INITRAMFS=$initrd
# kasan_multi_shot: every KASAN report, not only the first.
export OVC_VM_APPEND="kasan_multi_shot ${OVC_VM_APPEND:-}"
export OVC_TESTS=${OVC_TESTS:-'^([a-z_]+_test|nested_share)$'}
export OVC_TEST_TIMEOUT=${OVC_TEST_TIMEOUT:-900} OVC_VM_TIMEOUT=${OVC_VM_TIMEOUT:-3600}
export OVC_GUEST_TIMEOUT=${OVC_GUEST_TIMEOUT:-600}
t0=$SECONDS
bash "$VM_DIR/run-tests.sh"
rc=$?
echo "# debug-test: $((SECONDS - t0)) s in the test VM"
exit "$rc"
