#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# runner.sh: the test runner INSIDE the test VM.  Loads ovc.ko, mounts ovcfs
# on /run/ovc, runs every executable in $OVC_BUILD/selftests/ and the nested
# guest tests (selftests/nested_*.sh), then unmounts and unloads.  Each test program's TAP is framed
# by "# ovc-vm: begin <name>" / "# ovc-vm: end <name> rc=<rc>" for tap.awk.
# Env in: OVC_REPO, OVC_BUILD, OVC_VMLINUX; optional OVC_TESTS (an extended
# regex selecting test names), OVC_TEST_TIMEOUT (seconds per test: 300,
# nested guest tests 900).
set -u
export OVC_MNT=/run/ovc OVC_KO=$OVC_REPO/ovc.ko OVC_REPO OVC_BUILD OVC_VMLINUX
filter=${OVC_TESTS:-.}
cd /tmp || exit 1

tap() { # condition-status description
	if (($1 == 0)); then echo "ok - $2"; else echo "not ok - $2"; fi
}
kmsg() { echo "ovc-vm: $*" >/dev/kmsg; }

echo "# ovc-vm: kernel $(uname -r), $(nproc) cpus"
loaded=0 mounted=0
# ovc.ko needs zsmalloc and the lz4 compressor (the compressed cache):
# modprobe ovc would load zsmalloc, and the crypto API asks for lz4 through
# the kernel's modprobe helper, which runs in the initramfs here, outside
# the 9p root's /lib/modules.
modprobe -qa zsmalloc lz4
if [[ -f $OVC_KO ]] && insmod "$OVC_KO"; then loaded=1; fi
tap $((!loaded)) "insmod $OVC_KO"
mkdir -p "$OVC_MNT"
if [[ ${OVC_NESTED_CONTROL:-} == tmpfs ]]; then
	# run-tests.sh's control of a crashed nested test: the same guests,
	# their RAM on tmpfs (ovc loaded but idle).
	echo "# ovc-vm: tmpfs control: $OVC_MNT is a tmpfs"
elif ((loaded)); then
	mount -t ovcfs ovc "$OVC_MNT" && mounted=1
	tap $((!mounted)) "mount -t ovcfs ovc $OVC_MNT"
fi
if ((!mounted)); then
	echo "# ovc-vm: no ovcfs: $OVC_MNT is a tmpfs stand-in"
	mount -t tmpfs stand-in "$OVC_MNT"
fi

# One KVM VM held for the whole run, so that guests coming and going never
# flip KVM's static keys: QEMU's TCG can run stale translations of the
# kernel text those flips rewrite (selftests/vm/kvm_hold.c, issue 14).
hold=
if [[ ${OVC_KVM_HOLD:-1} == 0 ]]; then
	echo "# ovc-vm: no kvm-hold (OVC_KVM_HOLD=0)"
elif modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null; then
	for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
	"$OVC_BUILD/vm/kvm-hold" &
	hold=$!
	sleep 1
	kill -0 "$hold" 2>/dev/null
	tap $? "kvm-hold: a KVM VM held for the run"
fi

run() { # timeout name command...
	local secs=$1 name=$2 rc t0=$SECONDS
	shift 2
	[[ $name =~ $filter ]] || return 0
	echo "# ovc-vm: begin $name"
	kmsg "start $name"
	timeout -k 10 "$secs" "$@" </dev/null 2>&1
	rc=$?
	kmsg "end $name rc=$rc"
	echo "# ovc-vm: end $name rc=$rc ($((SECONDS - t0))s)"
}

for t in "$OVC_BUILD"/selftests/*; do
	[[ -f $t && -x $t ]] && run "${OVC_TEST_TIMEOUT:-300}" "${t##*/}" "$t"
done
# Several guest boots each, every one retried once on an infrastructure failure.
for t in "$OVC_REPO"/selftests/nested_*.sh; do
	[[ -f $t ]] && run "${OVC_TEST_TIMEOUT:-900}" "$(basename "$t" .sh)" bash "$t"
done

if [[ -n $hold ]]; then
	kill "$hold"
	wait "$hold" 2>/dev/null
fi
umount "$OVC_MNT"
rc=$?
((mounted)) && tap $rc "umount $OVC_MNT"
if ((loaded)); then
	rmmod ovc
	tap $? "rmmod ovc"
fi
echo "# ovc-vm: runner done"
