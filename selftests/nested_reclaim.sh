#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_reclaim.sh: reclaim without the guest (issue 10), run INSIDE the
# test VM (as selftests/nested_guest.sh).  Prints TAP.
#
# A nested guest with no balloon device (memtest: ovc_zip=1, a pattern that
# compresses; ovc_quiet=1, idle after its fill) fills $FILL_MB of its
# $SIZE_MB MiB.  Then its max_pages is half its RAM and the host budget is
# just above that, so the memory state is low and its target is half its
# RAM; with policy_run=1 the rebalancer stores its pages in the compressed
# cache.  Checks:
#  - resident_pages falls to the target, the pages are in the compressed
#    cache (compressed_pages, swap_outs), the guest keeps running;
#  - told "go", the guest verifies all it filled (every page it reads
#    back comes out of the cache), with the rebalancer still storing;
#  - the file gone, every count is back.
# The scanner stays off: merged pages would not be stored, and the test is
# about the private pages.
#
# Env: OVC_MNT (/run/ovc), OVC_BUILD (guest initramfs in $OVC_BUILD/guest),
# OVC_VMLINUX (guest kernel), OVC_GUEST_TIMEOUT (the boot and fill, 150 s).
set -u
# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
# shellcheck source=selftests/lib/poll.sh
source "$(dirname "$0")/lib/poll.sh"
nested_paths
gtimeout=${OVC_GUEST_TIMEOUT:-150}
SIZE_MB=256 FILL_MB=160
half=$((SIZE_MB * 128))
# Pages the guest's kernel may fault in meanwhile (its timers, console).
SLACK=256
tmp=/tmp/nested-reclaim
file=$mnt/reclaim-guest
knobs="run policy_run host_budget_pages balance_period_ms"
n=0 failed=0 qpid=''

echo "TAP version 13"
nested_need_kvm || exit 1
echo "1..5"
rm -rf "$tmp"
mkdir -p "$tmp"
poll_init "$tmp"
nested_save_knobs $knobs
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	wait 2>/dev/null
	rm -f "$file"
	nested_restore_knobs
}
trap cleanup EXIT
show_log() { tr -d '\r' <"$1" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/#   /' | tail -n "$2"; }

echo 0 >"$sys/run"
base_res=$(nested_val pages_resident) base_zip=$(nested_val compressed_pages) base_bytes=$(nested_val compressed_bytes)
rm -f "$file" "$tmp/g.ctl.in" "$tmp/g.ctl.out"
mkfifo "$tmp/g.ctl.in" "$tmp/g.ctl.out"
"${nested_pin[@]}" timeout -k 5 600 qemu-system-x86_64 -accel kvm -cpu host \
	-m ${SIZE_MB}M -smp 1 -display none -vga none -monitor none -no-reboot -net none \
	-object "memory-backend-file,id=ram,size=${SIZE_MB}M,share=on,mem-path=$file" \
	-machine q35,memory-backend=ram \
	-chardev "pipe,id=ctl,path=$tmp/g.ctl" -serial stdio -serial chardev:ctl \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 ovc_mb=$FILL_MB ovc_seed=9 ovc_zip=1 ovc_quiet=1 ovc_until_go=1 ovc_wait=500" \
	</dev/null >"$tmp/g.log" 2>&1 &
qpid=$!
wait_log() { # <marker> <seconds>
	local end=$((SECONDS + $2))
	until has_in "$tmp/g.log" "$1"; do
		((SECONDS < end)) || return 1
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.5
	done
}
if dir=$(wait_vm_dir /reclaim-guest) && wait_log OVC-GUEST-HOLD "$gtimeout"; then
	res0=$(val "$dir/resident_pages")
	nested_tap ok "the guest (no balloon device) filled and verified $FILL_MB MiB of a pattern that compresses: resident_pages $res0"
else
	nested_tap "not ok" "the guest booted and filled its memory" "$(show_log "$tmp/g.log" 20)"
	exit 1
fi

# Its target: half its RAM, the state low.
echo "$half" >"$dir/max_pages"
echo 500 >"$sys/balance_period_ms"
echo $((half + 1024)) >"$sys/host_budget_pages"
echo 1 >"$sys/policy_run"
down() {
	rd "$dir/target_pages"
	((REPLY <= half)) || return 1
	le "$dir/resident_pages" "$REPLY"
}
if t=$(wait_until 180 down); then
	nested_tap ok "resident_pages fell to the target in ${t}s: $res0 -> $(val "$dir/resident_pages") (target $(val "$dir/target_pages"), state $(nested_val state)); compressed_pages $(val "$dir/compressed_pages"), $(($(val "$dir/compressed_bytes") >> 10)) KiB compressed; swap_outs $(val "$dir/swap_outs"), swap_ins $(val "$dir/swap_ins")"
else
	nested_tap "not ok" "resident_pages fell to the target (<= $half) within 180 s" \
		"resident $(val "$dir/resident_pages"), target $(val "$dir/target_pages"), state $(nested_val state), compressed $(val "$dir/compressed_pages"), rejects $(nested_val compress_rejects), store_errors $(nested_val store_errors)"
fi
# Idle: it stays there (no re-verify; the guest's kernel touches a few).
sleep 3
if kill -0 "$qpid" 2>/dev/null && le "$dir/resident_pages" $(($(val "$dir/target_pages") + SLACK)); then
	nested_tap ok "the guest keeps running, resident_pages stays at the target (+ $SLACK): $(val "$dir/resident_pages")"
else
	nested_tap "not ok" "the guest keeps running at its target" \
		"resident $(val "$dir/resident_pages"), target $(val "$dir/target_pages")" "$(show_log "$tmp/g.log" 10)"
fi

# It reads everything back, verifying, while the rebalancer keeps storing.
ins0=$(val "$dir/swap_ins")
echo go 1<>"$tmp/g.ctl.in"
wait "$qpid"
qpid=''
ins1=$(val "$dir/swap_ins")
if has_in "$tmp/g.log" OVC-GUEST-OK && ((ins1 > ins0)); then
	nested_tap ok "the guest verified its memory ($(tr -d '\r' <"$tmp/g.log" | grep -o 'OVC-GUEST-OK.*')): $((ins1 - ins0)) pages read back from the compressed cache"
else
	nested_tap "not ok" "the guest verified its memory, reading pages back" \
		"swap_ins $ins0 -> $ins1" "$(show_log "$tmp/g.log" 10)"
fi
echo 0 >"$sys/policy_run"
rm -f "$file"
if settles "$sys/pages_resident" "$base_res" && settles "$sys/compressed_pages" "$base_zip" &&
	settles "$sys/compressed_bytes" "$base_bytes"; then
	nested_tap ok "pages_resident back to $base_res, compressed_pages to $base_zip after the file is gone"
else
	nested_tap "not ok" "pages_resident and compressed_pages back after the file is gone" \
		"resident $(nested_val pages_resident) (was $base_res), compressed $(nested_val compressed_pages) (was $base_zip), bytes $(nested_val compressed_bytes)"
fi
exit $((failed > 0))
