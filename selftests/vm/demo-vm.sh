#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo-vm.sh: INSIDE the test VM: load ovc, start two nested guests whose RAM
# is /run/ovc/vm1 and /run/ovc/vm2 (same memtest seed, so equal contents),
# turn on ovc's scanner, and print `ovcctl status` (or ovc's sysfs) every few
# seconds while the guests run.
set -u
mnt=/run/ovc
ctl=$OVC_REPO/userspace-ctl/ovcctl
kernel=${OVC_VMLINUX:-}
[[ -r $kernel ]] || kernel=/boot/vmlinuz-$(uname -r)
cd /tmp || exit 1

insmod "$OVC_REPO/ovc.ko" || echo "demo: insmod failed"
mkdir -p $mnt
mount -t ovcfs ovc $mnt || { echo "demo: no ovcfs, using tmpfs"; mount -t tmpfs tmp $mnt; }
modprobe kvm-amd || modprobe kvm-intel
# Let the scanner merge the guests' equal pages, if this ovc has one.
knobs=/sys/kernel/mm/ovc
[[ -w $knobs/pages_to_scan ]] && echo 1000 >$knobs/pages_to_scan
[[ -w $knobs/run ]] && echo 1 >$knobs/run

status() {
	echo "--- $(date +%T)"
	if [[ -x $ctl ]]; then
		"$ctl" status
	else
		grep -r . /sys/kernel/mm/ovc 2>/dev/null
	fi
}

pids=()
for vm in vm1 vm2; do
	timeout 300 qemu-system-x86_64 -accel kvm -cpu host -m 256M -smp 1 \
		-nographic -no-reboot -net none -device virtio-balloon-pci \
		-object memory-backend-file,id=ram,size=256M,share=on,mem-path=$mnt/$vm \
		-machine q35,memory-backend=ram -kernel "$kernel" \
		-initrd "$OVC_BUILD/guest/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 ovc_mb=128 ovc_seed=1 ovc_hold=$OVC_DEMO_HOLD" \
		</dev/null 2>&1 | tr -d '\r' >"/tmp/$vm.log" &
	pids+=($!)
	echo "demo: started $vm (RAM $mnt/$vm)"
done

while kill -0 "${pids[@]}" 2>/dev/null; do
	status
	sleep 5
done
wait
status
for vm in vm1 vm2; do echo "demo: $vm: $(grep -oE 'OVC-GUEST-(OK|FAIL).*' "/tmp/$vm.log" || echo 'no result')"; done
rm -f $mnt/vm1 $mnt/vm2
status
umount $mnt && rmmod ovc
