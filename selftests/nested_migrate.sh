#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_migrate.sh: live migration between two QEMUs whose RAM is on ovcfs,
# run INSIDE the test VM (as selftests/nested_guest.sh).  Prints TAP.
#
# The guest (memtest, ovc_until_go=1) fills $FILL_MB MiB with a pattern that
# repeats every $DUP pages, verifies it and keeps re-verifying it every
# second until "go" comes on its second serial port.  With the scanner on,
# the source's repeats and zero pages merge.  Then a second QEMU starts with
# -incoming on a unix socket, the scanner is stopped (run = 0: merged pages
# stay merged, and nothing merges during the migration, so that a rise of
# resident_pages can only be an allocation), and QMP's migrate moves the
# guest.  Checks:
#  - the migration completes; the source's resident_pages never rise during
#    it: QEMU reads every page of guest RAM, and a read of an untouched
#    page (a hole), a zero-frame page or a shared page allocates nothing
#    (fault.c: a read fault maps the zero frame);
#  - the destination holds no more pages than QEMU sent in full ("normal"
#    pages): for a zero page, QEMU's receiving side reads the page before it
#    would write zeros (buffer_is_zero()), and that read allocates nothing;
#  - the scanner, on again, shares the destination's pages as it had the
#    source's (its resident pages fall to the source's), and perf stat
#    counts an ovc:ovc_merge event for each; the guest, told "go" on the destination, verifies its memory
#    one last time (it re-verified every second since the fill); every count
#    returns to where it was once the files are gone.
# Ballooned pages are holes as untouched ones are (punched): the read path
# is the same one; no balloon is used here.
#
# Env: OVC_MNT (/run/ovc), OVC_BUILD (guest initramfs in $OVC_BUILD/guest),
# OVC_VMLINUX (guest kernel), OVC_GUEST_TIMEOUT (the source's boot, 150 s).
set -u
# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
# shellcheck source=selftests/lib/poll.sh
source "$(dirname "$0")/lib/poll.sh"
nested_paths
gtimeout=${OVC_GUEST_TIMEOUT:-150}
SIZE_MB=256 FILL_MB=96 DUP=32
# The guest's own writes while it migrates (its kernel's timers, its stack,
# the serial console) may touch a few new pages: allowed slack, in pages.
SLACK=1024
tmp=/tmp/nested-migrate
src=$mnt/mig-src dst=$mnt/mig-dst
sock=$tmp/mig.sock
knobs="run pages_to_scan sleep_millisecs"
n=0 failed=0 spid='' dpid=''

echo "TAP version 13"
nested_need_kvm || exit 1
echo "1..9"
rm -rf "$tmp"
mkdir -p "$tmp"
poll_init "$tmp"
nested_save_knobs $knobs
cleanup() {
	[[ -n $spid ]] && kill "$spid" 2>/dev/null
	[[ -n $dpid ]] && kill "$dpid" 2>/dev/null
	wait 2>/dev/null
	rm -f "$src" "$dst"
	nested_restore_knobs
}
trap cleanup EXIT

show_log() { tr -d '\r' <"$1" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/#   /' | tail -n "$2"; }
# qemu <file> <name> [args...]: a guest on <file>, in the background; its
# console in $tmp/<name>.log, its "go" pipe $tmp/<name>.ctl, QMP
# $tmp/<name>.qmp.  Source and destination get the same machine.
qemu() {
	local file=$1 name=$2
	shift 2
	rm -f "$tmp/$name.ctl.in" "$tmp/$name.ctl.out"
	mkfifo "$tmp/$name.ctl.in" "$tmp/$name.ctl.out"
	"${nested_pin[@]}" timeout -k 5 600 qemu-system-x86_64 -accel kvm -cpu host \
		-m ${SIZE_MB}M -smp 1 -display none -vga none -monitor none -no-reboot -net none \
		-object "memory-backend-file,id=ram,size=${SIZE_MB}M,share=on,mem-path=$file" \
		-machine q35,memory-backend=ram \
		-qmp "unix:$tmp/$name.qmp,server=on,wait=off" \
		-chardev "pipe,id=ctl,path=$tmp/$name.ctl" -serial stdio -serial chardev:ctl \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 ovc_mb=$FILL_MB ovc_dup=$DUP ovc_seed=5 ovc_until_go=1 ovc_wait=500" \
		"$@" </dev/null >"$tmp/$name.log" 2>&1 &
}
wait_log() { # <name> <marker> <seconds>
	local end=$((SECONDS + $3))
	until has_in "$tmp/$1.log" "$2"; do
		((SECONDS < end)) || return 1
		sleep 0.5
	done
}

# migrate.py <qmp> <uri>: migrate, wait for the end; prints "status
# total-time-ms normal-pages duplicate-pages transferred-bytes"; quits the
# source when done.
cat >"$tmp/migrate.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(name, **args):
    m = {"execute": name}
    if args:
        m["arguments"] = args
    f.write(json.dumps(m) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r:
            return r["return"]
        if "error" in r:
            sys.exit("%s: %s" % (name, r["error"]["desc"]))
json.loads(f.readline())
cmd("qmp_capabilities")
# QEMU's default bandwidth limit (32 MiB/s) would make this slow for nothing.
cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
cmd("migrate", uri=sys.argv[2])
t0 = time.time()
while True:
    st = cmd("query-migrate")
    if st.get("status") in ("completed", "failed", "cancelled"):
        break
    if time.time() - t0 > 240:
        cmd("migrate_cancel")
        st = {"status": "timeout"}
        break
    time.sleep(0.2)
ram = st.get("ram", {})
print(st["status"], st.get("total-time", 0), ram.get("normal", 0),
      ram.get("duplicate", 0), ram.get("transferred", 0), flush=True)
if st["status"] == "completed":
    try:
        cmd("quit")
    except (ValueError, OSError):
        pass
PY

base_res=$(nested_val pages_resident)
echo "$(nested_pages_to_scan_max)" >"$sys/pages_to_scan"
echo 5 >"$sys/sleep_millisecs"
echo 1 >"$sys/run"
fill=$((FILL_MB * 256))

# -------------------------------------------------- the source, merged --
rm -f "$src" "$dst"
qemu "$src" src
spid=$!
if sdir=$(wait_vm_dir /mig-src) && wait_log src OVC-GUEST-HOLD "$gtimeout"; then
	nested_tap ok "source: the guest filled and verified $FILL_MB MiB (a pattern of $DUP pages) on ${src}"
else
	nested_tap "not ok" "source: the guest booted and filled its memory" "$(show_log "$tmp/src.log" 20)"
	exit 1
fi
# Merged: the repeats of the pattern (all but $DUP pages of the fill) and
# more, stable over two full scans.
want=$(((fill - DUP) * 9 / 10))
merged() {
	local s
	rd "$sdir/saved_pages"; s=$REPLY
	((s >= want)) || return 1
	rd "$sys/full_scans"
	[[ -n ${mscan:-} && $s == "$msaved" ]] && ((REPLY >= mscan + 2)) && return 0
	[[ $s == "${msaved:-}" ]] || { msaved=$s mscan=$REPLY; }
	return 1
}
msaved='' mscan=''
if t=$(wait_until 120 merged); then
	src_saved=$(val "$sdir/saved_pages")
	nested_tap ok "source: the scanner merged it in ${t}s: saved_pages $src_saved (>= $want), zero_pages $(val "$sdir/zero_pages"), resident_pages $(val "$sdir/resident_pages")"
else
	src_saved=$(val "$sdir/saved_pages")
	nested_tap "not ok" "source: the scanner merged >= $want pages within 120 s" \
		"saved_pages $src_saved, zero_pages $(val "$sdir/zero_pages"), full_scans $(nested_val full_scans)"
fi

# ------------------------------------------------------- the migration --
qemu "$dst" dst -incoming "unix:$sock"
dpid=$!
if ! ddir=$(wait_vm_dir /mig-dst); then
	nested_tap "not ok" "destination: QEMU created $dst" "$(show_log "$tmp/dst.log" 10)"
	exit 1
fi
for _ in {1..300}; do [[ -S $sock ]] && break; nap; done
echo 0 >"$sys/run"
r0=$(val "$sdir/resident_pages") c0=$(val "$sdir/cow_breaks") d0=$(val "$ddir/resident_pages")
t0=$EPOCHREALTIME
python3 "$tmp/migrate.py" "$tmp/src.qmp" "unix:$sock" >"$tmp/migrate.out" 2>&1 &
mpid=$!
rmax=$r0
while kill -0 "$mpid" 2>/dev/null; do
	rd "$sdir/resident_pages"
	((REPLY > rmax)) && rmax=$REPLY
	nap
done
wait "$mpid"
elapsed "$t0"
read -r status ms normal dupl bytes <"$tmp/migrate.out"
if [[ $status == completed ]]; then
	nested_tap ok "migrate over unix:$sock completed in ${ms} ms (${REPLY}s with QMP): $normal pages sent in full, $dupl zero pages, $((bytes >> 20)) MiB"
else
	nested_tap "not ok" "migrate over unix:$sock completed" "$(cat "$tmp/migrate.out")" \
		"$(show_log "$tmp/dst.log" 10)"
fi
c1=$(val "$sdir/cow_breaks")
if ((rmax <= r0 + SLACK)); then
	nested_tap ok "source: resident_pages did not rise while QEMU read all $((SIZE_MB * 256)) pages: $r0 -> at most $rmax (slack $SLACK), cow_breaks +$((c1 - c0))"
else
	nested_tap "not ok" "source: resident_pages did not rise during the migration (a read allocated)" \
		"resident $r0 -> max $rmax (> $r0 + $SLACK), cow_breaks +$((c1 - c0))"
fi
wait "$spid" 2>/dev/null
spid=''
rm -f "$src"
d1=$(val "$ddir/resident_pages") faults=$(val "$ddir/faults")
# Every page QEMU wrote or read there was a fault, at least one per page
# (a page sent twice may fault once): faults counts them.
touched=$((normal + dupl))
((touched > SIZE_MB * 256)) && touched=$((SIZE_MB * 256))
if [[ $status == completed ]] && ((d1 - d0 <= normal + SLACK && faults >= touched - SLACK)); then
	nested_tap ok "destination: resident_pages $d0 -> $d1, no more than the $normal pages sent in full (+ slack $SLACK): its zero pages allocated nothing; faults $faults (>= the $touched pages QEMU wrote or read, - slack)"
else
	nested_tap "not ok" "destination: resident_pages rose by at most the pages sent in full; faults counted every page QEMU touched" \
		"resident $d0 -> $d1, faults $faults, normal pages '${normal:-}', zero pages '${dupl:-}'"
fi

# ------------------------------------------- the destination, shared again --
# Shared again: the destination's resident pages fall to what the source's
# were (its zero pages are already the zero frame: QEMU's reads mapped it).
# perf counts the merges (docs/tracepoints.md), one per page that leaves
# the private state; it counts while its command runs, which starts after
# perf has opened the events.
rm -f "$tmp/perf.started"
# shellcheck disable=SC2016 # expanded by sh
perf stat -a -x, -o "$tmp/perf.out" -e ovc:ovc_merge -e ovc:ovc_cow -- \
	sh -c 'touch "$1"; sleep 8' sh "$tmp/perf.started" >/dev/null 2>"$tmp/perf.err" &
ppid=$!
wait_until 30 test -e "$tmp/perf.started" >/dev/null
d1=$(val "$ddir/resident_pages") m1=$(val "$ddir/merges")
echo 1 >"$sys/run"
if t=$(wait_until 120 le "$ddir/resident_pages" $((r0 + SLACK))); then
	nested_tap ok "destination: the scanner shared it again in ${t}s: resident_pages $d1 -> $(val "$ddir/resident_pages") (the source's: $r0), saved_pages $(val "$ddir/saved_pages")"
else
	nested_tap "not ok" "destination: the scanner shared it again (resident_pages <= $((r0 + SLACK)), the source's + slack)" \
		"resident_pages $(val "$ddir/resident_pages"), saved_pages $(val "$ddir/saved_pages"), full_scans $(nested_val full_scans)"
fi
d2=$(val "$ddir/resident_pages")
wait "$ppid"
echo 0 >"$sys/run"
m2=$(val "$ddir/merges")
# The VM's merges counter saw every merge perf saw, and more only after
# perf stopped counting.
merges=$(awk -F, '$3 == "ovc:ovc_merge" { print $1 }' "$tmp/perf.out" 2>/dev/null)
if [[ $merges =~ ^[0-9]+$ ]] && ((merges >= d1 - d2 && d1 > d2 && m2 - m1 >= merges)); then
	nested_tap ok "perf stat -e ovc:ovc_merge counted $merges merges meanwhile (resident_pages fell by $((d1 - d2)), vms/${ddir##*/}/merges rose by $((m2 - m1)))"
else
	nested_tap "not ok" "perf stat -e ovc:ovc_merge counted a merge for each page shared (>= $((d1 - d2))), the merges counter as many" \
		"merges counter $m1 -> $m2" "$(cat "$tmp/perf.out" "$tmp/perf.err" 2>&1 | head -n 10)"
fi
echo 1 >"$sys/run"
echo go 1<>"$tmp/dst.ctl.in"
wait "$dpid"
dpid=''
if has_in "$tmp/dst.log" OVC-GUEST-OK && ! has_in "$tmp/src.log" OVC-GUEST-FAIL; then
	nested_tap ok "guest verified its memory on the destination (and every second before: $(tr -d '\r' <"$tmp/dst.log" | grep -o 'OVC-GUEST-OK.*'))"
else
	nested_tap "not ok" "guest verified its memory on the destination" \
		"source:" "$(show_log "$tmp/src.log" 5)" "destination:" "$(show_log "$tmp/dst.log" 10)"
fi
echo 0 >"$sys/run"
rm -f "$dst"
nested_wait 5 nested_no_frames
if nested_no_frames && settles "$sys/pages_resident" "$base_res"; then
	nested_tap ok "no frame left, pages_resident back to $base_res after both files are gone"
else
	nested_tap "not ok" "no frame left and pages_resident back to $base_res" \
		"resident $(nested_val pages_resident), shared $(nested_val pages_shared) sharing $(nested_val pages_sharing) zero $(nested_val pages_zero)"
fi
exit $((failed > 0))
