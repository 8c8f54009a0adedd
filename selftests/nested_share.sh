#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_share.sh: end-to-end page sharing, run INSIDE the test VM (as
# selftests/nested_guest.sh).  Two KVM guests booted from the same kernel and
# initramfs, with RAM files on ovcfs, fill their memory with equal patterns
# (memtest, same ovc_seed) and hold it, re-verifying every second, while
# ovc's scanner runs, merging from the guests' first instruction as a real
# host's would.  Checks: both guests verify their memory all along,
# ovc merged their pages while they ran, and every count returns to zero once
# the files are gone.  A run in which a guest never booted (infrastructure)
# is retried once; a verification failure never is.  Prints TAP.
# Env: OVC_MNT, OVC_BUILD, OVC_VMLINUX, OVC_GUEST_TIMEOUT (240 s here: two
# guests share the test VM's CPUs with the scanner).
set -u
# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
nested_paths
fill_mb=64 hold_s=40
# Merged while running: at least a quarter of one guest's filled pages
# (measured: about 39600 pages merge on an idle machine, 6900 under heavy load).
want=$((fill_mb * 256 / 4))
knobs="run pages_to_scan sleep_millisecs"
n=0 failed=0

echo "TAP version 13"
modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null
for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
if [[ ! -c /dev/kvm ]]; then
	echo "1..0 # SKIP machine: no /dev/kvm"
	exit 4
fi
if [[ ! -w $sys/run ]]; then
	echo "1..1"; echo "not ok 1 - $sys/run missing or not writable"
	exit 1
fi
echo "1..5"

nested_save_knobs $knobs
trap nested_restore_knobs EXIT

# guests: start both, sample the sharing counts until they exit.  Return 2
# if a guest never booted (infrastructure), else 0.
guests() {
	local g pids=() s
	peak=0
	for g in 1 2; do
		rm -f "$mnt/share$g" "/tmp/share$g.log"
		"${nested_pin[@]}" timeout -k 5 "${OVC_GUEST_TIMEOUT:-240}" qemu-system-x86_64 \
			-accel kvm -cpu host -m 256M -smp 1 -nographic -no-reboot \
			-net none -machine q35,memory-backend=ram \
			-object memory-backend-file,id=ram,size=256M,share=on,mem-path="$mnt/share$g" \
			-kernel "$kernel" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1 ovc_mb=$fill_mb ovc_seed=7 ovc_hold=$hold_s" \
			</dev/null >"/tmp/share$g.log" 2>&1 &
		pids+=($!)
	done
	while kill -0 "${pids[@]}" 2>/dev/null; do
		s=$(($(nested_val pages_sharing) + $(nested_val pages_zero)))
		((s > peak)) && peak=$s
		sleep 0.5
	done
	wait
	for g in 1 2; do
		grep -q OVC-GUEST-BOOT "/tmp/share$g.log" || return 2
	done
	return 0
}

base=$(nested_val pages_resident)
echo 4000 >"$sys/pages_to_scan"
echo 5 >"$sys/sleep_millisecs"
echo 1 >"$sys/run"
t0=$SECONDS
guests
if (($? == 2)); then
	echo "# retry: a guest did not boot (infrastructure)"
	guests
fi
for g in 1 2; do
	if grep -q 'OVC-GUEST-OK' "/tmp/share$g.log" &&
	   ! grep -q 'OVC-GUEST-FAIL' "/tmp/share$g.log"; then
		nested_tap ok "guest $g verified its memory while shared ($((SECONDS - t0))s)"
	else
		nested_tap "not ok" "guest $g verified its memory while shared" \
			"$(grep -oE 'OVC-GUEST-(FAIL|BOOT).*' "/tmp/share$g.log" | tail -n1)"
	fi
done
if ((peak >= want)); then
	nested_tap ok "pages merged while the guests ran: $peak (>= $want)"
else
	nested_tap "not ok" "pages merged while the guests ran: $peak (< $want)"
fi

echo 0 >"$sys/run"
rm -f "$mnt/share1" "$mnt/share2"
nested_wait 5 nested_no_frames
if nested_no_frames; then
	nested_tap ok "no frame left after the files are gone"
else
	nested_tap "not ok" "no frame left after the files are gone" \
		"shared $(nested_val pages_shared) sharing $(nested_val pages_sharing) zero $(nested_val pages_zero)"
fi
if (($(nested_val pages_resident) == base)); then
	nested_tap ok "pages_resident back to $base"
else
	nested_tap "not ok" "pages_resident back to $base" "it is $(nested_val pages_resident)"
fi
exit $((failed > 0))
