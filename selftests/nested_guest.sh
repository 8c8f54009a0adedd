#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_guest.sh: end-to-end test, run INSIDE the test VM.  Boots a KVM guest
# whose RAM is a file on ovcfs ($OVC_MNT), lets memtest fill and verify it,
# and checks ovc's resident-page count rises and falls back.  Prints TAP.
# Env: OVC_MNT (/run/ovc), OVC_BUILD (guest initramfs in $OVC_BUILD/guest),
# OVC_VMLINUX (guest kernel, if readable here; else /boot/vmlinuz-$(uname -r)).
set -u
# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
nested_paths
resident=$sys/pages_resident
size_mb=256
log=/tmp/nested-guest.log peakf=/tmp/nested-guest.peak
n=0 failed=0 poller='' guest_ok=0

echo "TAP version 13"
modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null
for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
if [[ ! -c /dev/kvm ]]; then
	echo "1..0 # SKIP machine: no /dev/kvm"
	exit 4
fi
echo "1..9"

check() { # description condition-command...
	local d=$1
	shift
	if "$@"; then nested_tap ok "$d"; else nested_tap "not ok" "$d"; fi
}
skip_or() { # description condition-command...: fails when ovc's sysfs is absent
	if [[ -r $resident ]]; then check "$@"; else nested_tap "not ok" "$1" "no $resident"; fi
}
if_guest() { # description condition-command...: fails when the guest failed
	if ((guest_ok)); then skip_or "$@"; else nested_tap "not ok" "$1" "the guest failed"; fi
}
show_log() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/^/#   /' | tail -n "$1"; }
count() { cat "$resident" 2>/dev/null || echo 0; }

peak_start() {
	echo 0 >"$peakf"
	[[ -r $resident ]] || return 0
	(max=0; while :; do
		v=$(count)
		((v > max)) && { max=$v; echo "$max" >"$peakf"; }
		sleep 0.2
	done) &
	poller=$!
}
peak_stop() {
	[[ -n $poller ]] && { kill "$poller"; wait "$poller" 2>/dev/null; }
	poller=
}
# settles_to <value>: the count returns to <value> within 5 s.
settles_to() {
	for _ in $(seq 50); do [[ $(count) == "$1" ]] && return 0; sleep 0.1; done
	echo "# pages_resident is $(count), expected $1"
	return 1
}
at_least() { # got want
	(($1 >= $2)) && return 0
	echo "# got $1, expected at least $2"
	return 1
}

guest_pages() { grep -o 'OVC-GUEST-OK [0-9]*' "$log" | cut -d' ' -f2; }

# guest <fill-MiB> <backend-options>: boot the guest once; 0 pass, 1 failed,
# 2 infrastructure failure.
guest() {
	"${nested_pin[@]}" timeout -k 5 "${OVC_GUEST_TIMEOUT:-150}" qemu-system-x86_64 -accel kvm -cpu host \
		-m ${size_mb}M -smp 1 -nographic -no-reboot -net none \
		-object "memory-backend-file,id=ram,size=${size_mb}M,share=on,$2" \
		-machine q35,memory-backend=ram -device virtio-balloon-pci \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 ovc_mb=$1 ovc_seed=$n" \
		</dev/null 2>&1 | tr -d '\r' >"$log"
	grep -q 'OVC-GUEST-OK' "$log" && return 0
	grep -q 'OVC-GUEST-FAIL' "$log" && return 1
	grep -q 'KVM internal error' "$log" && return 2
	grep -q 'OVC-GUEST-BOOT' "$log" || return 2
	return 1
}

# run <name> <fill-MiB> <backend-options>: one guest run, retried once on an
# infrastructure failure, never on a verification failure.
run() {
	local name=$1 rc t0=$SECONDS
	shift
	guest_ok=0
	guest "$@"
	rc=$?
	if ((rc == 2)); then
		echo "# retry $name: infrastructure failure (no boot marker or KVM internal error)"
		show_log 5 <"$log"
		guest "$@"
		rc=$?
	fi
	if ((rc == 0)); then
		guest_ok=1
		nested_tap ok "$name: guest verified $(guest_pages) pages in $((SECONDS - t0))s"
		return
	fi
	nested_tap "not ok" "$name: guest $( ((rc == 2)) && echo 'did not boot' || echo 'failed verification')"
	show_log 30 <"$log"
}

# 1: a named file; it keeps its pages until unlinked.
base=$(count)
peak_start
run "file mem-path" 160 "mem-path=$mnt/g1"
peak_stop
if_guest "file: pages_resident rose by the guest's pages" at_least $(($(cat "$peakf") - base)) "$(guest_pages)"
rm -f "$mnt/g1"
skip_or "file: pages_resident back to $base after rm" settles_to "$base"

# 2: a directory; QEMU creates a temporary file there and unlinks it.
peak_start
run "directory mem-path" 160 "mem-path=$mnt"
peak_stop
if_guest "directory: pages_resident rose by the guest's pages" at_least $(($(cat "$peakf") - base)) "$(guest_pages)"
skip_or "directory: pages_resident back to $base after exit" settles_to "$base"

# 3: prealloc=on write-faults every page of the file up front.
peak_start
run "prealloc file" 32 "mem-path=$mnt/g3,prealloc=on"
peak_stop
if_guest "prealloc: every page became resident" at_least $(($(cat "$peakf") - base)) $((size_mb * 256))
rm -f "$mnt/g3"
skip_or "prealloc: pages_resident back to $base after rm" settles_to "$base"

((failed == 0))
