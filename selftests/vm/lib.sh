# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by the host-side VM scripts: paths, cached kernel and initramfs,
# and vm_boot.  Honours KVER, OVC_CACHE and BUILD (exported by the Makefile).
# Overrides for another kernel (the debug layer, debug-test.sh):
# OVC_VM_KERNEL (the kernel the test VM boots; Debian's $VMLINUX stays the
# nested guests' kernel), OVC_VM_INITRAMFS (its initramfs, built by the
# caller), OVC_VM_APPEND (more kernel arguments), OVC_VM_LABEL (names the
# run in messages and logs: $BUILD/<label>-console.log; default vm).

OVC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_DIR=$OVC_REPO/selftests/vm
: "${KVER:=$(find /lib/modules -mindepth 1 -maxdepth 1 -name '*-amd64' -printf '%f\n' | sort -V | tail -n1)}"
: "${OVC_CACHE:=$HOME/.cache/ovc}"
: "${BUILD:=$OVC_REPO/build}"
export KVER OVC_CACHE BUILD OVC_REPO
VMLINUX=$OVC_CACHE/vm/vmlinux-$KVER
INITRAMFS=$OVC_CACHE/vm/initramfs-$KVER.cpio
OVC_VM_LABEL=${OVC_VM_LABEL:-vm}
VM_CONSOLE=$BUILD/$OVC_VM_LABEL-console.log

# The test VM's CPU model.  -cpu max and EPYC-Rome both lost nested guests
# or the VM itself when nested vCPUs ran on both CPUs; the nested tests pin
# their guests to one CPU instead (docs/nested-kvm-on-tcg.md).
OVC_VM_CPU=${OVC_VM_CPU:-max}

# tap_awk <awk args>: awk reading its input a line at a time, so that TAP
# streams as the tests print it.  Debian's default awk is mawk, which reads
# a pipe in blocks unless told -W interactive (gawk has no such option).
tap_awk() {
	if awk -W version 2>&1 | grep -q '^mawk'; then
		awk -W interactive "$@"
	else
		awk "$@"
	fi
}

# One VM run at a time per build dir: they share its logs and command files.
vm_lock() {
	mkdir -p "$BUILD/vm"
	exec 9>"$BUILD/vm/lock"
	flock -n 9 && return 0
	echo "# vm: waiting for another VM run using $BUILD"
	flock 9
}

# The uncompressed kernel, extracted once per /boot/vmlinuz-$KVER.
vm_kernel() {
	local img=/boot/vmlinuz-$KVER
	[[ -r $img ]] || { echo "vm: $img missing (make deps)" >&2; return 1; }
	[[ -s $VMLINUX && $VMLINUX -nt $img ]] && return 0
	mkdir -p "${VMLINUX%/*}"
	bash "$VM_DIR/extract-vmlinux.sh" "$img" "$VMLINUX"
}

# The busybox initramfs, rebuilt when its inputs change (OVC_VM_INITRAMFS:
# the caller's).
vm_initramfs() {
	local key
	if [[ -n ${OVC_VM_INITRAMFS:-} ]]; then
		[[ -s $OVC_VM_INITRAMFS ]] && return 0
		echo "vm: OVC_VM_INITRAMFS=$OVC_VM_INITRAMFS missing" >&2
		return 1
	fi
	key=$( { cat "$VM_DIR/init.sh" "$VM_DIR/mkinitramfs.sh"; echo "$KVER";
		 stat -Lc '%n %s %Y' /bin/busybox /lib/modules/"$KVER"/modules.dep; } |
		sha256sum | cut -c1-16)
	[[ -s $INITRAMFS && $(cat "$INITRAMFS.key" 2>/dev/null) == "$key" ]] && return 0
	mkdir -p "${INITRAMFS%/*}"
	bash "$VM_DIR/mkinitramfs.sh" "$INITRAMFS"
	echo "$key" >"$INITRAMFS.key"
}

# The test VM's NUMA layout, as QEMU arguments: two nodes, as on many KVM
# hosts, each with half the memory, so that tests can bind guest RAM to
# either.  The CPUs are all node 0's: TCG's CPUs share a last-level cache,
# and Linux warns when such siblings are on two nodes.
vm_numa_args() {
	local mem=${OVC_VM_MEM:-2G} mib
	[[ ${OVC_VM_NUMA:-2} == 1 ]] && return 0	# one node (to measure)
	case $mem in
	*[Gg]) mib=$((${mem%[Gg]} * 1024)) ;;
	*[Mm]) mib=${mem%[Mm]} ;;
	*) mib=$mem ;;
	esac
	echo "-object memory-backend-ram,id=node0,size=$((mib / 2))M" \
	     "-object memory-backend-ram,id=node1,size=$((mib - mib / 2))M" \
	     "-numa node,nodeid=0,memdev=node0,cpus=0-$((${OVC_VM_SMP:-2} - 1))" \
	     "-numa node,nodeid=1,memdev=node1"
}

# vm_boot <timeout-seconds> <script>: boot the test VM, run <script> (an
# absolute path, read through the 9p root) inside it.  The repository,
# $BUILD and the cached kernel keep their paths in the VM (paths without
# spaces or commas).  The script's output (ttyS1) goes to stdout, the kernel
# console (ttyS0) to $VM_CONSOLE.  Returns timeout(1)'s status: 124 or 137
# when the VM hung.  QEMU's pid is in $VM_CONSOLE.pid while it runs (to
# stop a crashed VM early).  OVC_VM_MEM sets the VM's memory (QEMU -m,
# default 2G, in two NUMA nodes), OVC_VM_SMP its CPUs (2), OVC_VM_CPU its
# CPU model (above); OVC_VM_KERNEL, OVC_VM_INITRAMFS and OVC_VM_APPEND
# another kernel (see the top); OVC_VM_QEMU_ARGS adds QEMU arguments (split
# at white space: e.g. a disk, "-drive file=...,if=none,id=d0 -device
# virtio-blk-pci,drive=d0", bench/reclaim's swap device).
vm_boot() {
	local secs=$1 script=$2 mon=$VM_CONSOLE.mon watch rc numa extra
	local kernel=${OVC_VM_KERNEL:-$VMLINUX} initrd=${OVC_VM_INITRAMFS:-$INITRAMFS}
	vm_kernel && vm_initramfs || return 1
	[[ -s $kernel ]] || { echo "vm: kernel $kernel missing" >&2; return 1; }
	read -ra numa <<<"$(vm_numa_args)"
	read -ra extra <<<"${OVC_VM_QEMU_ARGS:-}"
	mkdir -p "$BUILD"
	rm -f "$mon" "$VM_CONSOLE.hang"
	# (Not on the pipe below: a watcher holding it would keep the
	# reader waiting for its end.)
	vm_hang_watch "$secs" "$mon" </dev/null >/dev/null 2>&1 &
	watch=$!
	# unknown_nmi_panic: the NMI vm_hang_watch injects into a hung VM
	# panics it, and panic_print=0x40 has the panic show every CPU's stack.
	timeout -k 10 "$secs" qemu-system-x86_64 -accel tcg -cpu "$OVC_VM_CPU" -m "${OVC_VM_MEM:-2G}" \
		-smp "${OVC_VM_SMP:-2}" "${numa[@]}" -nodefaults -display none -no-reboot \
		-monitor "unix:$mon,server=on,wait=off" -pidfile "$VM_CONSOLE.pid" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 unknown_nmi_panic=1 panic_print=0x40 ${OVC_VM_APPEND:-} ovc_cmd=$script ovc_keep=$OVC_REPO,$BUILD,${VMLINUX%/*}" \
		-serial "file:$VM_CONSOLE" -serial stdio \
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
		"${extra[@]}" </dev/null | stdbuf -oL tr -d '\r'
	rc=${PIPESTATUS[0]}
	kill "$watch" 2>/dev/null
	wait "$watch" 2>/dev/null
	[[ -s $VM_CONSOLE.hang ]] && cat "$VM_CONSOLE.hang"
	return "$rc"
}

# vm_hmp <socket> <command>: one HMP command to QEMU's monitor, its answer.
vm_hmp() {
	python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out, end = b"", time.time() + 5
while time.time() < end:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    out += b
    if out.rstrip().endswith(b"(qemu)") and out.count(b"(qemu)") > 1:
        break
print(out.decode(errors="replace").replace("\r", ""))
PY
}

# vm_hang_watch <timeout-seconds> <monitor-socket>: 30 s before the VM's
# timeout, if it still runs, record where every vCPU is (three samples of
# RIP: moving or stuck), then inject an NMI: the guest panics
# (unknown_nmi_panic) and prints every CPU's stack, symbolised, to its
# console.  A hang thus leaves evidence instead of a silent console (issue
# 14).  Output goes to $VM_CONSOLE.hang, which vm_boot prints.
vm_hang_watch() {
	local secs=$1 mon=$2 out=$VM_CONSOLE.hang i
	((secs > 60)) || return 0
	sleep $((secs - 30)) &
	# vm_boot stops the watcher when the VM is gone: its sleep with it.
	trap 'kill $! 2>/dev/null; exit 0' TERM
	wait $!
	[[ -S $mon ]] || return 0
	command -v python3 >/dev/null || { echo "# vm: hang: no python3 to ask QEMU where the vCPUs are" >"$out"; return 0; }
	{
		echo "# vm: still running 30 s before the ${secs}s timeout: where the vCPUs are"
		for i in 1 2 3; do
			echo "# vm: hang: sample $i: $(vm_hmp "$mon" "info registers -a" |
				grep -oE '^CPU#[0-9]+|^RIP=[0-9a-fA-F]+' | paste -sd' ')"
			sleep 1
		done
		echo "# vm: hang: injecting an NMI (the console shows every CPU's stack)"
		vm_hmp "$mon" "nmi" >/dev/null
	} >"$out" 2>&1
}
