#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_boot_merge.sh: guests booting from ovcfs while the scanner merges
# from their first instruction, run INSIDE the test VM.  Each round boots
# the nested guests at once (same kernel and initramfs, same memtest seed)
# with ovc's scanner already running; every guest must print its boot
# marker and verify its memory.  Variants: two guests at the demo's rate
# (1000/20), two at the scanner's fastest (pages_to_scan max, no sleep),
# two with only zero pages shared, one guest alone.  Both guests of a pair
# are in one sharing domain, so frames are mapped into two VMs at once.
# Control: the same pair on tmpfs in the same test VM.  If the control loses
# a guest too, the cause lies below ovc (nested KVM on TCG) and the test
# says so; it never retries.  Prints TAP.
# Env: OVC_MNT, OVC_BUILD, OVC_VMLINUX, OVC_BOOT_ROUNDS (rounds per variant:
# 1 in make check; more to measure), OVC_GUEST_TIMEOUT (per round, 480 s),
# OVC_NESTED_CONTROL=tmpfs (only the control rounds).
set -u
ctl=/run/ovc-tmpfs-control
rounds=${OVC_BOOT_ROUNDS:-1}
knobs="run pages_to_scan sleep_millisecs zero_only"
domain=4242
n=0 failed=0

# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
nested_paths

echo "TAP version 13"
nested_need_kvm || exit 1
variants=("pair 1000 20 0" "pair max 0 0" "pair-zero 1000 20 1" "single 1000 20 0")
# The harness's control run of a crashed VM: only the tmpfs rounds.
[[ ${OVC_NESTED_CONTROL:-} == tmpfs ]] && variants=()
echo "1..$((${#variants[@]} + 2))"
nested_save_knobs $knobs
trap 'nested_restore_knobs; umount "$ctl" 2>/dev/null' EXIT

# boot <dir> <count> <tag> [domain]: boot <count> guests from files in
# <dir> at once and wait for them.  Return 0 when every guest verified its
# memory; else print why and return 1.
boot() {
	local dir=$1 count=$2 tag=$3 dom=${4:-} g pids=() bad=0 log
	for ((g = 1; g <= count; g++)); do
		rm -f "$dir/$tag$g"
		: >"$dir/$tag$g"
		# Sharing group: set before the guest touches a page.
		[[ -n $dom ]] && nested_set_domain "$dir/$tag$g" "$dom"
		"${nested_pin[@]}" timeout -k 5 "${OVC_GUEST_TIMEOUT:-480}" qemu-system-x86_64 \
			-accel kvm -cpu host -m 256M -smp 1 -nographic -no-reboot \
			-net none -machine q35,memory-backend=ram \
			-object memory-backend-file,id=ram,size=256M,share=on,mem-path="$dir/$tag$g" \
			-kernel "$kernel" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1 ovc_mb=32 ovc_seed=3" \
			</dev/null >"/tmp/$tag$g.log" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((g = 1; g <= count; g++)); do
		log=/tmp/$tag$g.log
		if ! grep -q OVC-GUEST-BOOT "$log"; then
			echo "# $tag$g: no boot marker; last lines: $(tail -n 3 "$log" | tr '\n' '|')"
			bad=1
		elif ! grep -q OVC-GUEST-OK "$log" || grep -q OVC-GUEST-FAIL "$log"; then
			echo "# $tag$g: $(grep -m1 -E 'memtest:|OVC-GUEST-FAIL' "$log")"
			bad=1
		fi
		rm -f "$dir/$tag$g"
	done
	return $bad
}

# The control first, before ovc merged anything in this test VM: the same
# pair on tmpfs, scanner off (nothing of ovc runs).
mkdir -p "$ctl"
mount -t tmpfs -o size=600M ovc-control "$ctl"
echo 0 >"$sys/run"
ctl_ok=0
for ((r = 1; r <= rounds; r++)); do
	boot "$ctl" 2 "ctl" && ctl_ok=$((ctl_ok + 1))
done
umount "$ctl"
if ((ctl_ok == rounds)); then
	nested_tap ok "tmpfs control: $ctl_ok of $rounds rounds booted and verified"
else
	nested_tap "not ok" "tmpfs control: $ctl_ok of $rounds rounds booted and verified" \
		"guests on tmpfs, ovc idle, failed too: the cause lies below ovc (nested KVM on TCG)"
fi


for v in "${variants[@]}"; do
	read -r kind pages sleep zero <<<"$v"
	[[ $pages == max ]] && pages=$(nested_pages_to_scan_max)
	count=2
	[[ $kind == single ]] && count=1
	echo 0 >"$sys/run"
	echo "$zero" >"$sys/zero_only"
	echo "$pages" >"$sys/pages_to_scan"
	echo "$sleep" >"$sys/sleep_millisecs"
	echo 1 >"$sys/run"
	ok=0 merged=0
	t0=$SECONDS
	for ((r = 1; r <= rounds; r++)); do
		m0=$(nested_val full_scans)
		if boot "$mnt" "$count" "bm" "$domain"; then
			ok=$((ok + 1))
		fi
		(($(nested_val full_scans) > m0)) && merged=$((merged + 1))
	done
	desc="$kind, scanner $pages/$sleep zero_only=$zero from the first instruction: $ok of $rounds rounds booted and verified ($((SECONDS - t0))s)"
	if ((ok == rounds && merged == rounds)); then
		nested_tap ok "$desc"
	else
		why="rounds with a full scan while booting: $merged"
		((ctl_ok == rounds)) || why+="; the tmpfs control lost guests too: below ovc"
		nested_tap "not ok" "$desc" "$why"
	fi
done
echo 0 >"$sys/run"

nested_wait 5 nested_no_frames
s="shared $(nested_val pages_shared) sharing $(nested_val pages_sharing) zero $(nested_val pages_zero)"
if [[ $s == "shared 0 sharing 0 zero 0" ]]; then
	nested_tap ok "no frame left after the guests' files are gone"
else
	nested_tap "not ok" "no frame left after the guests' files are gone" "$s"
fi
exit $((failed > 0))
