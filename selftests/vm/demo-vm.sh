#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo-vm.sh: INSIDE the test VM: load ovc, start two nested guests whose RAM
# is /run/ovc/vm1 and /run/ovc/vm2 (same memtest seed, so equal contents),
# with ovc's scanner on from the start, and print `ovcctl status` (or ovc's
# sysfs) every few seconds while the guests run.
# The last line is the verdict, read by demo.sh on the build machine:
# "demo: RESULT ok" or "demo: RESULT fail <why>[; <why>...]" (exit status 1).
# A guest that printed no OVC-GUEST-OK, a failed insmod or mount (the demo
# then runs on tmpfs and says so), no KVM, or no scanner knobs fail it; a
# failing guest's last 30 console lines are shown.
# Env: OVC_REPO, OVC_BUILD, OVC_VMLINUX, OVC_DEMO_HOLD (seconds the guests
# hold their memory); for planting failures: OVC_KO (the module, default
# $OVC_REPO/ovc.ko), OVC_DEMO_GUEST_APPEND (more guest kernel arguments),
# OVC_DEMO_GUEST_TIMEOUT (per guest, 300 s).
set -u
mnt=/run/ovc
# nested_pin: the nested guests share one CPU (docs/nested-kvm-on-tcg.md).
# shellcheck source=selftests/lib/nested.sh
source "$OVC_REPO/selftests/lib/nested.sh"
ctl=$OVC_REPO/userspace-ctl/ovcctl
ko=${OVC_KO:-$OVC_REPO/ovc.ko}
kernel=${OVC_VMLINUX:-}
[[ -r $kernel ]] || kernel=/boot/vmlinuz-$(uname -r)
cd /tmp || exit 1
why=()
fail() { why+=("$*"); echo "demo: FAIL: $*"; }

loaded=0 ovcfs=0
modprobe -qa zsmalloc lz4	# ovc.ko needs them (runner.sh says why)
if insmod "$ko"; then loaded=1; else fail "insmod $ko failed"; fi
mkdir -p $mnt
if ((loaded)) && mount -t ovcfs ovc $mnt; then
	ovcfs=1
else
	((loaded)) && fail "mount -t ovcfs failed"
	mount -t tmpfs tmp $mnt
	echo "demo: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "demo: !!! NO OVCFS: the guests' RAM is on TMPFS: this run shows nothing of ovc"
	echo "demo: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	fail "guest RAM on tmpfs, not ovcfs"
fi
modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null
for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
[[ -c /dev/kvm ]] || fail "no /dev/kvm in the test VM"
# One KVM VM held throughout, as runner.sh does (selftests/vm/kvm_hold.c).
"$OVC_BUILD/vm/kvm-hold" &
hold=$!
# The scanner runs from the start: it merges the guests' equal pages.
knobs=/sys/kernel/mm/ovc
if ((loaded)); then
	{ echo 1000 >$knobs/pages_to_scan && echo 1 >$knobs/run; } ||
		fail "could not start the scanner ($knobs/pages_to_scan, $knobs/run)"
fi

status() {
	echo "--- $(date +%T)"
	if [[ -x $ctl ]]; then
		"$ctl" status
	else
		grep -r . $knobs 2>/dev/null
	fi
}

pids=()
for vm in vm1 vm2; do
	{
		"${nested_pin[@]}" timeout -k 5 "${OVC_DEMO_GUEST_TIMEOUT:-300}" qemu-system-x86_64 \
			-accel kvm -cpu host -m 256M -smp 1 \
			-nographic -no-reboot -net none -device virtio-balloon-pci \
			-object memory-backend-file,id=ram,size=256M,share=on,mem-path=$mnt/$vm \
			-machine q35,memory-backend=ram -kernel "$kernel" \
			-initrd "$OVC_BUILD/guest/initramfs.cpio" \
			-append "console=ttyS0 quiet panic=-1 ovc_mb=128 ovc_seed=1 ovc_hold=$OVC_DEMO_HOLD ${OVC_DEMO_GUEST_APPEND:-}" \
			</dev/null 2>&1
		echo "demo-qemu: exited rc=$?"
	} | stdbuf -oL tr -d '\r' >"/tmp/$vm.log" &
	pids+=($!)
	echo "demo: started $vm (RAM $mnt/$vm)"
done

while kill -0 "${pids[@]}" 2>/dev/null; do
	status
	sleep 5
done
wait "${pids[@]}"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
status
for vm in vm1 vm2; do
	log=/tmp/$vm.log
	res=$(grep -aoE 'OVC-GUEST-(OK|FAIL).*' "$log" | tail -n1)
	qrc=$(sed -n 's/^demo-qemu: exited rc=//p' "$log")
	echo "demo: $vm: ${res:-no result} (qemu rc=${qrc:-?})"
	case $res in
	OVC-GUEST-OK*) continue ;;
	OVC-GUEST-FAIL*) fail "$vm printed ${res:0:80}" ;;
	*) fail "$vm gave no result (no OVC-GUEST-OK; qemu rc=${qrc:-?}$( [[ $qrc == 124 || $qrc == 137 ]] && echo ', timed out'))" ;;
	esac
	echo "demo: --- last 30 lines of $vm's console ($log):"
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$log" | tail -n 30 | sed "s/^/demo: $vm| /"
	echo "demo: --- end of $vm's console"
done
rm -f $mnt/vm1 $mnt/vm2
((loaded)) && status
umount $mnt || fail "umount $mnt failed"
if ((loaded)); then rmmod ovc || fail "rmmod ovc failed"; fi
if ((${#why[@]})); then
	printf -v w '%s; ' "${why[@]}"
	echo "demo: RESULT fail ${w%; }"
	exit 1
fi
echo "demo: RESULT ok"
