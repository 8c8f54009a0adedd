#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test ovcctl against a fake sysfs tree (OVC_SYSFS); prints TAP.
# Needs no module.  JSON content checks need jq (skipped without it).

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
OVCCTL=${OVCCTL:-$here/tests/bin/ovcctl}
[ -x "$OVCCTL" ] || make -s -C "$here" tests >&2 || { echo "Bail out! cannot build ovcctl"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/ovc
n=0 failed=0

# shellcheck source=userspace-ctl/tests/lib.sh
source "$here/tests/lib.sh"	# ok, ... (its mkvm is replaced below)

jq_ok() {	# jq_ok DESCRIPTION FILTER: FILTER must be true on status --json
	if command -v jq >/dev/null; then
		ok "$1" jq -es "length == 1 and (.[0] | $2)" "$tmp/status.json"
	else
		n=$((n + 1)); echo "ok $n - $1 # SKIP machine: no jq"
	fi
}

fails() {	# fails DESCRIPTION MESSAGE COMMAND...: exit 1 with MESSAGE on stderr
	local desc=$1 msg=$2 rc; shift 2
	"$@" >/dev/null 2>"$tmp/err"; rc=$?
	ok "$desc" grep -qF -- "$msg" <(test $rc -eq 1 && cat "$tmp/err")
}

mkvm() {	# mkvm ID NAME UID PID SIZE_PAGES RESIDENT_PAGES
	local d=$root/vms/$1
	mkdir -p "$d"
	echo "$2" >"$d/name"; echo "$3" >"$d/owner_uid"; echo "$4" >"$d/owner_pid"
	echo "$5" >"$d/size_pages"; echo "$6" >"$d/resident_pages"
}

# Three VMs (listed out of order), an unknown file, a non-VM entry and a
# VM missing one file: the tool must cope with all of them.
mkdir -p "$root/vms/not-a-vm"
echo 393216 >"$root/pages_resident"; echo 3 >"$root/nr_vms"; echo 1 >"$root/future_knob"
mkvm 10 /guests/big 65534 4242 4194304 0
mkvm 2 "/vm2 (deleted)" 1000 0 524288 131072
mkvm 1 /vm1 0 1 1048576 262144
rm "$root/vms/10/owner_pid"; echo 7 >"$root/vms/10/balloon_target_pages"
# Sharing domains: VM 1 on its own (the module's default), VM 2 in group 7,
# VM 10 without the file (a module without domains).
echo 4294967295 >"$root/vms/1/share_domain"; echo 7 >"$root/vms/2/share_domain"
pg=$(getconf PAGESIZE)
export OVC_SYSFS=$root
export LC_ALL=C

echo "1..286"
"$OVCCTL" status >"$tmp/status.txt" 2>&1; rc=$?
ok "status exits 0 on a fake tree" test $rc -eq 0
ok "status prints pages_resident in pages" grep -q '^Resident: *393216 pages' "$tmp/status.txt"
ok "status prints the MiB of pages_resident" grep -q "($((393216 * pg / 1048576))\.0 MiB)" "$tmp/status.txt"
ok "status prints nr_vms" grep -q '^VMs: *3$' "$tmp/status.txt"
ok "status lists the VMs with their names" \
	grep -q '/vm2 (deleted)' "$tmp/status.txt"
ok "status lists VM ids in numeric order" \
	test "$("$OVCCTL" status -n -o id | tr -d ' ' | paste -sd,)" = "1,2,10"
ok "status --bytes prints sizes in bytes" \
	grep -q " $((1048576 * pg)) " <("$OVCCTL" status --bytes)

"$OVCCTL" status --json >"$tmp/status.json" 2>&1; rc=$?
ok "status --json exits 0" test $rc -eq 0
if command -v jq >/dev/null; then
	ok "status --json is one valid JSON object" jq -es 'length == 1 and (.[0] | type) == "object"' "$tmp/status.json"
else
	ok "status --json is one valid JSON object" python3 -m json.tool "$tmp/status.json"
fi
jq_ok "JSON has the global numbers as numbers" '.pages_resident == 393216 and .nr_vms == 3'
jq_ok "JSON has the VMs with numeric sizes in bytes" \
	"[.vms[].id] == [1,2,10] and .vms[0].size == $((1048576 * pg)) and .vms[1].uid == 1000"
jq_ok "JSON has null for a missing per-VM file" '.vms[2].pid == null and .vms[2].name == "/guests/big"'

# --- sharing domains: the SHARE-GROUP column and ovcctl share-group ---------
ok "status shows SHARE-GROUP by default" grep -qE ' SHARE-GROUP$' "$tmp/status.txt"
ok "... own for a VM on its own, the number for a group, empty without the file" \
	test "$("$OVCCTL" status -n -o id,share-group | awk '{ print $1 "=" $2 }' | paste -sd,)" = "1=own,2=7,10="
jq_ok "JSON has share-group as own, the number (strings) or null" \
	'[.vms[]."share-group"] == ["own", "7", null]'
ok "share-group ID prints own" test "$("$OVCCTL" share-group 1)" = own
ok "share-group ID prints a group's number" test "$("$OVCCTL" share-group 2)" = 7
ok "share-group ID GROUP writes vms/ID/share_domain" \
	bash -c "'$OVCCTL' share-group 1 12 && grep -qx 12 '$root/vms/1/share_domain'"
ok "... and share-group ID shows it" test "$("$OVCCTL" share-group 1)" = 12
ok "share-group ID 0 writes group 0" \
	bash -c "'$OVCCTL' share-group 1 0 && grep -qx 0 '$root/vms/1/share_domain'"
ok "share-group ID 4294967294, the highest group" \
	bash -c "'$OVCCTL' share-group 1 4294967294 && grep -qx 4294967294 '$root/vms/1/share_domain'"
ok "share-group ID own writes 4294967295" \
	bash -c "'$OVCCTL' share-group 1 own && grep -qx 4294967295 '$root/vms/1/share_domain'"
fails "share-group refuses 4294967295 (own is spelt own)" \
	"ovcctl: share-group: GROUP 4294967295 is out of range (0..4294967294, or own)" \
	"$OVCCTL" share-group 1 4294967295
fails "share-group refuses 4294967296" \
	"ovcctl: share-group: GROUP 4294967296 is out of range (0..4294967294, or own)" \
	"$OVCCTL" share-group 1 4294967296
fails "share-group refuses -1" \
	"ovcctl: share-group: GROUP: '-1' is neither own nor a group number (0..4294967294)" \
	"$OVCCTL" share-group 1 -- -1
fails "share-group refuses a name" \
	"ovcctl: share-group: GROUP: 'web' is neither own nor a group number (0..4294967294)" \
	"$OVCCTL" share-group 1 web
fails "share-group refuses an empty GROUP" \
	"ovcctl: share-group: GROUP: '' is neither own nor a group number (0..4294967294)" \
	"$OVCCTL" share-group 1 ''
ok "... and a refused GROUP writes nothing" grep -qx 4294967295 "$root/vms/1/share_domain"
fails "share-group without VM" "ovcctl: share-group: expected VM and GROUP" "$OVCCTL" share-group
fails "share-group on an unknown VM id" "ovcctl: share-group: no VM 99 in $root/vms" \
	"$OVCCTL" share-group 99 7
fails "share-group on a module without domains" \
	"ovcctl: share-group: $root/vms/10 has no share_domain (a module without sharing domains)" \
	"$OVCCTL" share-group 10 7
ok "... which gets no share_domain file" test ! -e "$root/vms/10/share_domain"
fails "share-group FILE outside ovcfs fails clearly" \
	"ovcctl: share-group: $root/nr_vms: not a file on ovcfs" "$OVCCTL" share-group "$root/nr_vms" 7
ok "--help lists share-group and SHARE-GROUP" \
	bash -c "'$OVCCTL' --help | grep -q '^ share-group VM \[GROUP|own\]' && '$OVCCTL' --help | grep -q ' SHARE-GROUP  '"

# --- issue 9: the policy columns, the host state, set and tune ---------------
# First as an older module shows it (none of the files), then with them.
cols() {	# cols OPTIONS...: status -n --bytes -o OPTIONS, one "a,b,c" per VM, joined by ";"
	"$OVCCTL" status -n --bytes "$@" | awk '{ $1 = $1; gsub(/ /, ","); print }' | paste -sd';'
}
ok "older module: ACTIVE%, SHARES, ALLOC show '-'" \
	test "$(cols -o id,active%,shares,alloc)" = "1,-,-,-;2,-,-,-;10,-,-,-"
ok "older module: no host state, budget or free in the summary" \
	bash -c "! '$OVCCTL' status | grep -E '^Host (state|budget|free):'"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "older module: JSON has null for them, and no state keys" \
	'(.vms | all(."active%" == null and .shares == null and .alloc == null)) and
	 (has("state") or has("host_budget_pages") or has("free_pages") | not)'

pol_vm() {	# pol_vm ID ACTIVE_PERMILLE SHARES MIN MAX TARGET: a VM of a module with the policy
	local d=$root/vms/$1
	echo "$2" >"$d/active_permille"; echo "$3" >"$d/shares"; echo "$4" >"$d/min_pages"
	echo "$5" >"$d/max_pages"; echo "$6" >"$d/target_pages"
}
pol_vm 1 425 1000 0 1048576 524288
pol_vm 2 1000 2000 0 524288 524288
echo soft >"$root/state"; echo 2000000 >"$root/host_budget_pages"; echo 100000 >"$root/free_pages"
"$OVCCTL" status >"$tmp/status.txt" 2>&1
ok "status shows ACTIVE% SHARES ALLOC by default, before the balloon columns" \
	grep -qE ' RESIDENT +ACTIVE% +SHARES +ALLOC +TARGET ' "$tmp/status.txt"
ok "... ACTIVE% with one decimal, SHARES, ALLOC (target_pages) in bytes; '-' where missing" \
	test "$(cols -o id,active%,shares,alloc)" = "1,42.5,1000,$((524288 * pg));2,100.0,2000,$((524288 * pg));10,-,-,-"
ok "... ALLOC as a size without --bytes" \
	grep -qE '^ +1 .* 42\.5 +1000 +2GiB$' <("$OVCCTL" status -n -o id,size,active%,shares,alloc | sed 's/^/ /')
echo 0 >"$root/vms/2/active_permille"; echo 7 >"$root/vms/1/active_permille"
ok "... 0 permille is 0.0, 7 permille 0.7" test "$(cols -o active%)" = "0.7;0.0;-"
echo 425 >"$root/vms/1/active_permille"; echo 1000 >"$root/vms/2/active_permille"
ok "status summary: host state" grep -qx 'Host state:  *soft' "$tmp/status.txt"
ok "status summary: host budget in pages and MiB" \
	grep -qx "Host budget:  *2000000 pages ($(awk "BEGIN { printf \"%.1f\", 2000000 * $pg / 1048576 }") MiB)" "$tmp/status.txt"
ok "status summary: free, in bytes with --bytes" \
	grep -qx "Host free:  *100000 pages ($((100000 * pg)) bytes)" <("$OVCCTL" status --bytes)
ok "status -o MIN,MAX (not default) shows min_pages and max_pages" \
	test "$(cols -o id,min,max)" = "1,0,$((1048576 * pg));2,0,$((524288 * pg));10,-,-"
ok "-o +SHARES appends to the default columns" \
	grep -qE ' SHARE-GROUP +SHARES$' <("$OVCCTL" status -o +SHARES)
ok "-o still selects the old columns alone" test "$(cols -o id,target)" = "1;2;10,$((7 * pg))"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "JSON: state, host_budget_pages, free_pages" \
	'.state == "soft" and .host_budget_pages == 2000000 and .free_pages == 100000'
jq_ok "JSON: active% (number, one decimal), shares, alloc in bytes; null where missing" \
	".vms[0].\"active%\" == 42.5 and .vms[0].shares == 1000 and .vms[0].alloc == $((524288 * pg)) and
	 .vms[1].\"active%\" == 100 and .vms[2].\"active%\" == null and .vms[2].shares == null"
jq_ok "JSON still has the old keys (target is the balloon target)" '.vms[2].target == '"$((7 * pg))"' and .pages_resident == 393216'

# set: values checked against the VM (1: 4 GiB with 4K pages; 1048576 pages)
vmfiles() { cat "$root/vms/1/shares" "$root/vms/1/min_pages" "$root/vms/1/max_pages" | paste -sd,; }
G=$((1 << 30 )); gp=$((G / pg))
ok "set ID shares= min= max= writes shares, min_pages, max_pages" \
	bash -c "'$OVCCTL' set 1 shares=2000 min=1G max=$((3 * gp))p >/dev/null && test \"\$(cat '$root/vms/1/shares' '$root/vms/1/min_pages' '$root/vms/1/max_pages' | paste -sd,)\" = 2000,$gp,$((3 * gp))"
ok "set ID max=size writes 0 (the VM's size)" \
	bash -c "'$OVCCTL' set 1 max=size >/dev/null && grep -qx 0 '$root/vms/1/max_pages'"
echo 1048576 >"$root/vms/1/max_pages"	# the module shows the effective value
ok "set ID max=0 writes 0 too" bash -c "'$OVCCTL' set 1 max=0 >/dev/null && grep -qx 0 '$root/vms/1/max_pages'"
echo $((2 * gp)) >"$root/vms/1/max_pages"
ok "set ID min= above the current max, max= raised: max written first" \
	test "$("$OVCCTL" set 1 min=3G max=4G | cut -d: -f1 | paste -sd,)" = "max_pages,min_pages"
ok "... both written" test "$(vmfiles)" = "2000,$((3 * gp)),$((4 * gp))"
ok "set ID min= lowered, max= lowered: min written first" \
	test "$("$OVCCTL" set 1 min=1G max=2G | cut -d: -f1 | paste -sd,)" = "min_pages,max_pages"
ok "set shares=1 and shares=1000000, the bounds" \
	bash -c "'$OVCCTL' set 1 shares=1 >/dev/null && grep -qx 1 '$root/vms/1/shares' && '$OVCCTL' set 1 shares=1000000 >/dev/null && grep -qx 1000000 '$root/vms/1/shares'"
echo 1000 >"$root/vms/1/shares"
refused() {	# refused DESCRIPTION MESSAGE COMMAND...: exit 2, the message, nothing written
	local desc=$1 msg=$2 rc before; shift 2
	before=$(snapshot)
	"$@" >/dev/null 2>"$tmp/err"; rc=$?
	ok "$desc" grep -qxF -- "ovcctl: $msg" <(test $rc -eq 2 && test "$(snapshot)" = "$before" && cat "$tmp/err")
}
snapshot() { find "$root" -type f | sort | xargs cat | md5sum; }
refused "set shares=0: named, the range, exit 2, nothing written" \
	"set: shares: 0 is out of range (1..1000000)" "$OVCCTL" set 1 min=0 shares=0
refused "set shares=1000001" "set: shares: 1000001 is out of range (1..1000000)" "$OVCCTL" set 1 shares=1000001
refused "set shares=many" "set: shares: 'many' is not a number (1..1000000)" "$OVCCTL" set 1 shares=many
refused "set min= more than the VM's size, with a good shares= first" \
	"set: min: 5G is out of range (0..4GiB, the VM's size)" "$OVCCTL" set 1 shares=5 min=5G
refused "set max= more than the VM's size" \
	"set: max: 4097M is out of range (1..4GiB, the VM's size; 0 or size: the VM's size)" "$OVCCTL" set 1 max=4097M
refused "set min= more than max= given" "set: min: 3G is more than max (2GiB)" "$OVCCTL" set 1 min=3G max=2G
refused "set min= more than the current max" "set: min: 3G is more than max (2GiB)" "$OVCCTL" set 1 min=3G
refused "set max= less than the current min" "set: max: 512M is less than min (1GiB)" "$OVCCTL" set 1 max=512M
refused "set min= not a whole number of pages" \
	"set: min: 1000 is not a whole number of pages ($pg bytes)" "$OVCCTL" set 1 min=1000
refused "set max= not a size" \
	"set: max: '2X' is not a size (bytes, or a number with K, M, G, T or p; size: the VM's size)" "$OVCCTL" set 1 max=2X
refused "set with an unknown key" "set: weight: unknown key (expected shares, min or max)" "$OVCCTL" set 1 weight=3
refused "set with a key given twice" "set: shares: given twice" "$OVCCTL" set 1 shares=3 shares=4
refused "set with an argument not KEY=VALUE" "set: 'shares' is not KEY=VALUE" "$OVCCTL" set 1 shares
fails "set without KEY=VALUE: usage" "ovcctl: set: expected VM and KEY=VALUE" "$OVCCTL" set 1
fails "set on an older module's VM (no shares file)" \
	"ovcctl: set: $root/vms/10 has no shares (a module without the memory policy)" "$OVCCTL" set 10 shares=5
fails "set on an unknown VM" "ovcctl: set: no VM 99 in $root/vms" "$OVCCTL" set 99 shares=5
# A file that reads but refuses writes, as a module's store refusing a value.
rofile=/sys/devices/system/cpu/kernel_max
refuse_writes() {	# refuse_writes FILE: make FILE such a file (saved to FILE.saved)
	mv "$1" "$1.saved"
	if [ -r $rofile ]; then ln -s $rofile "$1"; else cp "$1.saved" "$1"; chmod 444 "$1"; fi
}
restore() { rm -f "$1"; mv "$1.saved" "$1"; }
refuse_writes "$root/vms/1/min_pages"
fails "set: a write the module refuses: its error, naming the file" \
	"ovcctl: set: cannot write $root/vms/1/min_pages: Permission denied" "$OVCCTL" set 1 min=0
restore "$root/vms/1/min_pages"

# tune: on an older module, every knob is '-'
ok "tune on an older module lists every knob it lacks with '-'" \
	test "$("$OVCCTL" tune -n -r --bytes | awk '{ print $1 "=" $2 }' | paste -sd,)" = \
	"idle_tax=-,budget=$((2000000 * pg)),reserve=-,sample_period_ms=-,sample_pages=-,balance_period_ms=-,balloon_max=-,policy=-,state_high=-,state_soft=-,state_hard=-,state_low=-,scan=-,pages_to_scan=-,sleep_millisecs=-,compress_max=-,shrink=-,swap_readahead=-"
fails "tune KEY=VALUE on an older module: exit 1, the missing file named" \
	"ovcctl: tune: idle_tax: $root has no idle_tax_percent (a module without it)" "$OVCCTL" tune idle_tax=5
for kv in idle_tax_percent=75 host_budget_pages=2000000 host_reserve_pages=1000 sample_period_ms=30000 \
	  sample_pages=100 balance_period_ms=15000 balloon_max_percent=65 policy_run=0 \
	  state_high_percent=6 state_soft_percent=4 state_hard_percent=2 state_low_percent=1 \
	  run=1 pages_to_scan=100 sleep_millisecs=20 compress_max_percent=10 shrink=1 swap_readahead=7; do
	echo "${kv#*=}" >"$root/${kv%=*}"
done
ok "tune lists every knob, its value, range and file" \
	grep -qE '^idle_tax +75 +0\.\.99 +idle_tax_percent$' <("$OVCCTL" tune)
ok "... eighteen of them, sizes as sizes, policy, scan and shrink as on/off" \
	test "$("$OVCCTL" tune -n -r --bytes | awk '{ print $1 "=" $2 }' | paste -sd,)" = \
	"idle_tax=75,budget=$((2000000 * pg)),reserve=$((1000 * pg)),sample_period_ms=30000,sample_pages=100,balance_period_ms=15000,balloon_max=65,policy=off,state_high=6,state_soft=4,state_hard=2,state_low=1,scan=on,pages_to_scan=100,sleep_millisecs=20,compress_max=10,shrink=on,swap_readahead=7"
"$OVCCTL" tune --json >"$tmp/status.json"
jq_ok "tune --json: every knob by key, sizes in bytes" \
	".idle_tax == 75 and .budget == $((2000000 * pg)) and .reserve == $((1000 * pg)) and .policy == \"off\" and .state_low == 1 and .scan == \"on\" and .sleep_millisecs == 20 and .compress_max == 10 and .shrink == \"on\" and .swap_readahead == 7 and length == 18"
knobs() { cat "$root"/{idle_tax_percent,host_budget_pages,host_reserve_pages,sample_period_ms,sample_pages,balance_period_ms,balloon_max_percent,policy_run} | paste -sd,; }
ok "tune KEY=VALUE... writes each file, in the file's units" \
	bash -c "'$OVCCTL' tune idle_tax=50 budget=1G reserve=16M sample_period_ms=1000 sample_pages=200 balance_period_ms=500 balloon_max=50 policy=on >/dev/null"
ok "... the values" test "$(knobs)" = "50,$gp,$(((16 << 20) / pg)),1000,200,500,50,1"
ok "tune: the bounds are accepted" \
	bash -c "'$OVCCTL' tune idle_tax=0 sample_period_ms=100 sample_pages=1 balance_period_ms=100 balloon_max=0 policy=0 >/dev/null &&
		 '$OVCCTL' tune idle_tax=99 sample_period_ms=3600000 sample_pages=65536 balance_period_ms=3600000 balloon_max=100 policy=1 >/dev/null"
ok "... their values" test "$(knobs)" = "99,$gp,$(((16 << 20) / pg)),3600000,65536,3600000,100,1"
ok "tune sample_period_ms=0 (stop sampling), policy=off, budget=auto (0)" \
	bash -c "'$OVCCTL' tune sample_period_ms=0 policy=off budget=auto >/dev/null && test \"\$(cat '$root/sample_period_ms' '$root/policy_run' '$root/host_budget_pages' | paste -sd,)\" = 0,0,0"
ok "tune scan=off pages_to_scan=100000 sleep_millisecs=0: run, pages_to_scan, sleep_millisecs" \
	bash -c "'$OVCCTL' tune scan=off pages_to_scan=100000 sleep_millisecs=0 >/dev/null && test \"\$(cat '$root/run' '$root/pages_to_scan' '$root/sleep_millisecs' | paste -sd,)\" = 0,100000,0"
# the compressed cache's knobs (issue 10)
zipknobs() { cat "$root/compress_max_percent" "$root/shrink" | paste -sd,; }
ok "tune compress_max=0 shrink=off: compress_max_percent 0 (store nothing more), shrink 0" \
	bash -c "'$OVCCTL' tune compress_max=0 shrink=off >/dev/null && test \"\$(cat '$root/compress_max_percent' '$root/shrink' | paste -sd,)\" = 0,0"
ok "tune compress_max=100 shrink=1, the other bounds: printed as written" \
	test "$("$OVCCTL" tune compress_max=100 shrink=1 | paste -sd,),$(zipknobs)" = \
	"compress_max_percent: 0 -> 100,shrink: 0 -> 1,100,1"
ok "tune compress_max=25 shrink=on" \
	bash -c "'$OVCCTL' tune compress_max=25 shrink=on >/dev/null && test \"\$(cat '$root/compress_max_percent' '$root/shrink' | paste -sd,)\" = 25,1"
ok "tune swap_readahead=0, then 15: swap_readahead" \
	bash -c "'$OVCCTL' tune swap_readahead=0 >/dev/null && test \"\$(cat '$root/swap_readahead')\" = 0 &&
		 '$OVCCTL' tune swap_readahead=15 >/dev/null && test \"\$(cat '$root/swap_readahead')\" = 15"
mv "$root/compress_max_percent" "$tmp/cmp.saved"
fails "tune compress_max= on a module without the compressed cache: exit 1, the file named" \
	"ovcctl: tune: compress_max: $root has no compress_max_percent (a module without it)" \
	"$OVCCTL" tune compress_max=5
ok "... and tune lists it as -" grep -qE '^compress_max +- +0\.\.100 +compress_max_percent$' <("$OVCCTL" tune)
mv "$tmp/cmp.saved" "$root/compress_max_percent"
while read -r kv msg; do
	refused "tune $kv refused, naming the key, nothing written" "tune: ${kv%%=*}: $msg" \
		"$OVCCTL" tune "$([ "${kv%%=*}" = idle_tax ] && echo balloon_max=10 || echo idle_tax=10)" "$kv"
done <<EOT
idle_tax=100 100 is out of range (0..99)
idle_tax=-1 '-1' is not a number (0..99)
sample_period_ms=99 99 is out of range (0, or 100..3600000)
sample_period_ms=3600001 3600001 is out of range (0, or 100..3600000)
sample_pages=0 0 is out of range (1..65536)
sample_pages=65537 65537 is out of range (1..65536)
balance_period_ms=99 99 is out of range (100..3600000)
balance_period_ms=0 0 is out of range (100..3600000)
balloon_max=101 101 is out of range (0..100)
policy=yes 'yes' is not valid (on, off, 1 or 0)
state_high=101 101 is out of range (0..100)
budget=12Q '12Q' is neither auto nor a size (bytes, or a number with K, M, G, T or p)
reserve=lots 'lots' is not a size (bytes, or a number with K, M, G, T or p)
budget=1000 1000 is not a whole number of pages ($pg bytes)
scan=2 '2' is not valid (on, off, 1 or 0)
swap_readahead=16 16 is out of range (0..15)
pages_to_scan=0 0 is out of range (1..100000)
sleep_millisecs=60001 60001 is out of range (0..60000)
compress_max=101 101 is out of range (0..100)
compress_max=-1 '-1' is not a number (0..100)
compress_max=ten 'ten' is not a number (0..100)
shrink=2 '2' is not valid (on, off, 1 or 0)
shrink=yes 'yes' is not valid (on, off, 1 or 0)
EOT
ram=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))
before=$(snapshot)
"$OVCCTL" tune reserve=1M budget=$((ram + pg)) >/dev/null 2>"$tmp/err"; rc=$?
ok "tune budget= one page more than the host's memory: refused, nothing written" \
	grep -qF "ovcctl: tune: budget: $((ram + pg)) is more than the host's memory (" \
	<(test $rc -eq 2 && test "$(snapshot)" = "$before" && cat "$tmp/err")
ok "... the host's memory itself is accepted" \
	bash -c "'$OVCCTL' tune budget=$ram >/dev/null && grep -qx $((ram / pg)) '$root/host_budget_pages'"
refused "tune with an unknown key" \
	"tune: frob: unknown key (expected idle_tax, budget, reserve, sample_period_ms, sample_pages, balance_period_ms, balloon_max, policy, state_high, state_soft, state_hard, state_low, scan, pages_to_scan, sleep_millisecs, compress_max, shrink, swap_readahead)" \
	"$OVCCTL" tune idle_tax=10 frob=1
refused "tune with a key given twice" "tune: idle_tax: given twice" "$OVCCTL" tune idle_tax=10 idle_tax=11
refused "tune with an argument not KEY=VALUE" "tune: 'idle_tax' is not KEY=VALUE" "$OVCCTL" tune idle_tax

# the thresholds: checked together with the current ones, written in an order
# that keeps high > soft > hard > low after every single write (as the module demands)
states() { cat "$root"/state_{high,soft,hard,low}_percent | paste -sd,; }
tune_states() {	# tune_states H,S,K,L KEY=VALUE...: every write keeps the order, the end is H,S,K,L
	local want=$1 cur; shift
	cur=$(states)
	"$OVCCTL" tune "$@" >"$tmp/writes" || return 1
	awk -F'[:, >-]+' -v cur="$cur" '
		BEGIN { split(cur, v, ","); i["state_high_percent"] = 1; i["state_soft_percent"] = 2
			i["state_hard_percent"] = 3; i["state_low_percent"] = 4 }
		{ if (v[i[$1]] != $2) { print "write from the wrong value: " $0; exit 1 }
		  v[i[$1]] = $3
		  if (!(v[1] > v[2] && v[2] > v[3] && v[3] > v[4])) { print "out of order after: " $0; exit 1 } }
		END { }' "$tmp/writes" || { cat "$tmp/writes"; return 1; }
	test "$(states)" = "$want" || { echo "ended with $(states), not $want"; cat "$tmp/writes"; return 1; }
}
ok "tune: raising all four thresholds: every write keeps them ordered" \
	tune_states 20,15,10,5 state_low=5 state_hard=10 state_soft=15 state_high=20
ok "tune: lowering all four" tune_states 6,4,2,1 state_high=6 state_soft=4 state_hard=2 state_low=1
ok "tune: some up, some down, across each other" \
	tune_states 30,25,4,3 state_high=30 state_soft=25 state_hard=4 state_low=3
ok "tune: back again, given in another order" \
	tune_states 6,5,2,1 state_low=1 state_soft=5 state_high=6 state_hard=2
ok "tune: one threshold alone" tune_states 6,5,3,1 state_hard=3
refused "tune: a threshold breaking the order with the current ones" \
	"tune: state_soft: 7 breaks state_high > state_soft > state_hard > state_low (6 > 7 > 3 > 1 would be the thresholds)" \
	"$OVCCTL" tune idle_tax=10 state_soft=7
refused "tune: thresholds breaking the order among themselves" \
	"tune: state_low: 3 breaks state_high > state_soft > state_hard > state_low (10 > 8 > 3 > 3 would be the thresholds)" \
	"$OVCCTL" tune state_high=10 state_soft=8 state_low=3
refused "tune: equal thresholds" \
	"tune: state_hard: 5 breaks state_high > state_soft > state_hard > state_low (6 > 5 > 5 > 1 would be the thresholds)" \
	"$OVCCTL" tune state_hard=5
refuse_writes "$root/balloon_max_percent"
fails "tune: a write the module refuses: its error, naming the file" \
	"ovcctl: tune: cannot write $root/balloon_max_percent: Permission denied" "$OVCCTL" tune balloon_max=5
restore "$root/balloon_max_percent"
ok "--help lists set and tune, and the new columns" \
	bash -c "'$OVCCTL' --help | grep -q '^ set  *VM KEY=VALUE' && '$OVCCTL' --help | grep -q '^ tune  *\[KEY=VALUE...\]' && '$OVCCTL' --help | grep -q ' ACTIVE%  ' && '$OVCCTL' --help | grep -q ' ALLOC  '"
ok "the man page documents set and tune" \
	bash -c "grep -q '^\.BI set ' '$here/ovcctl.8' && grep -q '^\.BI\? tune' '$here/ovcctl.8' && man -l '$here/ovcctl.8' >/dev/null 2>&1"

# --- issue 11: ovcctl metrics and ovcctl top ---------------------------------
# A VM whose name needs escaping (quote, backslash, comma), sharing numbers
# and counters for the rates, a global counter.
mkvm 3 '/we"ird\vm, x' 0 0 2048 1
vm1=$root/vms/1
echo 100 >"$vm1/shared_pages"; echo 50 >"$vm1/zero_pages"; echo 0 >"$vm1/cow_breaks"
echo 5 >"$root/pages_shared"; echo 95 >"$root/pages_sharing"; echo 50 >"$root/pages_zero"
echo 12 >"$root/cow_breaks"; echo 1000 >"$root/pages_scanned"
# VM 10 has the merges and faults counters (vm1 not: a module without them,
# whose MERGE/s is estimated); so has the root (merges).
vm10=$root/vms/10
echo 7 >"$vm10/merges"; echo 3 >"$vm10/faults"; echo 100 >"$root/merges"
unit() { ok "unit: $1" "$here/tests/bin/top-test" "$1"; }
unit rate; unit merge_rate; unit interval; unit count; unit csv; unit escape

"$OVCCTL" metrics >"$tmp/om" 2>"$tmp/err"; rc=$?
ok "metrics exits 0, nothing on stderr" test $rc -eq 0 -a ! -s "$tmp/err"
ok "metrics: every line a # TYPE, # HELP, # UNIT, # EOF or a sample" \
	bash -c "! grep -vE '^(# (TYPE ovc_[a-z_]+ (gauge|counter)|HELP ovc_[a-z_]+ [^\"\\\\]+|UNIT ovc_[a-z_]+ [a-z]+|EOF)|ovc_[a-z_]+(\{[a-z_]+=\"([^\"\\\\]|\\\\[\"\\\\n])*\"(,[a-z_]+=\"([^\"\\\\]|\\\\[\"\\\\n])*\")*\})? [0-9]+)\$' '$tmp/om'"
ok "metrics: # EOF once, last" test "$(grep -c '^# EOF' "$tmp/om"),$(tail -n1 "$tmp/om")" = "1,# EOF"
ok "metrics: a counter's family has no _total, its sample has it" \
	bash -c "grep -qx '# TYPE ovc_cow_breaks counter' '$tmp/om' && grep -qx 'ovc_cow_breaks_total 12' '$tmp/om'"
ok "metrics: counters' samples end in _total, gauges' do not; TYPE before every sample" \
	awk '/^# TYPE/ { type[$3] = $4; next } /^#/ { next }
	     { n = $1; sub(/\{.*/, "", n); f = n; sub(/_total$/, "", f)
	       if (type[f] == "counter" && n != f "_total") { print "counter without _total: " $0; bad = 1 }
	       if (type[f] == "" && type[n] != "gauge") { print "no TYPE for: " $0; bad = 1 } }
	     END { exit bad }' "$tmp/om"
ok "metrics: each family in one piece" \
	awk '/^#/ { next } { n = $1; sub(/\{.*/, "", n)
	     if (n != last && seen[n]++) { print "split: " n; bad = 1 } last = n } END { exit bad }' "$tmp/om"
ok "metrics: global gauges and the state" \
	bash -c "grep -qx 'ovc_resident_pages 393216' '$tmp/om' && grep -qx 'ovc_vms 3' '$tmp/om' && grep -qx 'ovc_state{state=\"soft\"} 1' '$tmp/om' && grep -qx 'ovc_state{state=\"high\"} 0' '$tmp/om'"
ok "metrics: one resident_pages sample per VM, labelled vm and name" \
	test "$(grep '^ovc_vm_resident_pages{' "$tmp/om" | sed 's/ [0-9]*$//' | paste -sd' ')" = \
	"ovc_vm_resident_pages{vm=\"1\",name=\"/vm1\"} ovc_vm_resident_pages{vm=\"2\",name=\"/vm2 (deleted)\"} ovc_vm_resident_pages{vm=\"3\",name=\"/we\\\"ird\\\\vm, x\"} ovc_vm_resident_pages{vm=\"10\",name=\"/guests/big\"}"
ok "metrics: a name's quote and backslash escaped" \
	grep -qxF 'ovc_vm_resident_pages{vm="3",name="/we\"ird\\vm, x"} 1' "$tmp/om"
ok "metrics: per-VM counter with _total" grep -qxF 'ovc_vm_cow_breaks_total{vm="1",name="/vm1"} 0' "$tmp/om"
ok "metrics: the merges and faults counters, per VM and global" bash -c \
	"grep -qxF 'ovc_vm_merges_total{vm=\"10\",name=\"/guests/big\"} 7' '$tmp/om' && grep -qxF 'ovc_vm_faults_total{vm=\"10\",name=\"/guests/big\"} 3' '$tmp/om' && grep -qxF 'ovc_merges_total 100' '$tmp/om'"
ok "metrics: a file no VM has (swapped_pages) is left out, a file one VM lacks too" \
	bash -c "! grep -q ovc_vm_swapped_pages '$tmp/om' && test \$(grep -c '^ovc_vm_owner\|^ovc_vm_shares{' '$tmp/om') -eq 2"
ok "metrics: the page size, with its # UNIT" \
	bash -c "grep -qx '# UNIT ovc_page_size_bytes bytes' '$tmp/om' && grep -qx 'ovc_page_size_bytes $pg' '$tmp/om'"
prom_py=
for py in python3 /usr/bin/python3; do
	"$py" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null && { prom_py=$py; break; }
done
if [ -n "$prom_py" ]; then
	ok "metrics: prometheus_client's OpenMetrics parser reads it all" "$prom_py" -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
fams = {f.name: f for f in parse(open(sys.argv[1]).read())}
s = [x for x in fams["ovc_vm_resident_pages"].samples if x.labels["vm"] == "3"][0]
assert s.labels["name"] == "/we\"ird\\vm, x" and s.value == 1, s
assert fams["ovc_cow_breaks"].type == "counter" and fams["ovc_cow_breaks"].samples[0].value == 12
assert fams["ovc_page_size_bytes"].unit == "bytes"' "$tmp/om"
else
	n=$((n + 1)); echo "ok $n - metrics: prometheus_client's OpenMetrics parser # SKIP no python3-prometheus-client"
fi
"$OVCCTL" metrics --prometheus >"$tmp/prom" 2>&1
ok "metrics --prometheus: TYPE on the _total series, no # EOF, no # UNIT" \
	bash -c "grep -qx '# TYPE ovc_cow_breaks_total counter' '$tmp/prom' && ! grep -q '^# EOF\|^# UNIT' '$tmp/prom' && grep -qx 'ovc_cow_breaks_total 12' '$tmp/prom'"
if [ -n "$prom_py" ]; then
	ok "metrics --prometheus: prometheus_client's text parser types the counters" "$prom_py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
fams = {f.name: f for f in parse(open(sys.argv[1]).read())}
assert fams["ovc_cow_breaks"].type == "counter", fams.get("ovc_cow_breaks")
assert fams["ovc_vm_cow_breaks"].type == "counter"' "$tmp/prom"
else
	n=$((n + 1)); echo "ok $n - metrics --prometheus: prometheus_client's text parser # SKIP no python3-prometheus-client"
fi
fails "metrics on a missing root: exit 1, not loaded" "ovcctl: ovc module not loaded (no $tmp/none)" \
	env OVC_SYSFS="$tmp/none" "$OVCCTL" metrics
fails "metrics with an argument" "ovcctl: metrics: unexpected argument 'x'" "$OVCCTL" metrics x

# top: two samples; the counters bumped between them (after the first
# sample's rows are in the recording, so before the second sample).
"$OVCCTL" top -n 2 -d 0.1 >"$tmp/top" 2>"$tmp/err"; rc=$?
ok "top -n 2 -d 0.1 exits 0 (not a terminal)" test $rc -eq 0 -a ! -s "$tmp/err"
ok "... two frames, each with the summary and the header (new columns last: -r's fields keep their places)" \
	test "$(grep -c '^ovcctl top - ' "$tmp/top"),$(grep -cE '^ +ID +NAME +RESIDENT +SHARED +ZERO +MCTL +SWCUR +ACTIVE% +TARGET +MERGE/s +COW/s +FAULT/s +ZIP +SWPIN/s$' "$tmp/top")" = 2,2
ok "... plain text: no terminal control codes" bash -c "! grep -q $'\033' '$tmp/top'"
ok "... a row per VM per frame, ids in order" \
	test "$(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$tmp/top" | paste -sd,)" = "1,2,3,10,1,2,3,10"
ok "... the first frame has no rates, missing files show -" \
	grep -qE '^ +10 /guests/big +0B +- +- +- +- +- +28KiB +- +- +- +- +-$' <(sed -n '/^ovcctl top/,/^$/!p' "$tmp/top" | head -n 5)
(for _ in $(seq 100); do
	[ "$(wc -l 2>/dev/null <"$tmp/rec.csv")" -ge 5 ] && break
	sleep 0.05
done
echo 10 >"$vm1/cow_breaks"; echo 120 >"$vm1/shared_pages"; echo 22 >"$root/cow_breaks"
echo 47 >"$vm10/merges"; echo 53 >"$vm10/faults"; echo 140 >"$root/merges") &
"$OVCCTL" top -n 2 -d 1 --record "$tmp/rec.csv" >"$tmp/top" 2>"$tmp/err"; rc=$?
wait
ok "top --record exits 0" test $rc -eq 0 -a ! -s "$tmp/err"
ok "--record: the header" test "$(head -n1 "$tmp/rec.csv")" = \
	"time,id,name,resident_bytes,shared_bytes,zero_bytes,ballooned_bytes,swapped_bytes,active_percent,target_bytes,merges_per_s,cow_per_s,faults_per_s,compressed_bytes,swap_ins,swap_ins_per_s"
ok "--record: one row per VM per sample" test "$(wc -l <"$tmp/rec.csv")" -eq $((1 + 2 * 4))
ok "--record: a name with a quote and a comma quoted per RFC 4180" \
	grep -qF ',3,"/we""ird\vm, x",4096,,,,,,,,,' "$tmp/rec.csv"
ok "--record: CSV readers get 16 fields a row and the name back" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert all(len(r) == 16 for r in rows), rows
assert [r[2] for r in rows[1:5]] == ["/vm1", "/vm2 (deleted)", "/we\"ird\\vm, x", "/guests/big"], rows' "$tmp/rec.csv"
rate() {	# rate SAMPLE ID FIELD: that field of VM ID's row in sample SAMPLE (1, 2)
	awk -F, -v s="$1" -v id="$2" -v f="$3" 'NR > 1 && $2 == id && ++k == s { print $f }' "$tmp/rec.csv"
}
ok "--record: no rates in the first sample" test "$(rate 1 1 11),$(rate 1 1 12),$(rate 1 1 13)" = ",,"
ok "--record: COW/s from the counter bumped by 10 in about 1 s" \
	awk -v r="$(rate 2 1 12)" 'BEGIN { exit !(r >= 9 && r <= 10.1) }'
ok "--record: merges/s: 20 more shared pages and 10 COW breaks (30 merges) in about 1 s" \
	awk -v r="$(rate 2 1 11)" 'BEGIN { exit !(r >= 27 && r <= 30.3) }'
ok "--record: no fault counter in vms/1: faults/s empty" test "$(rate 2 1 13)" = ""
ok "--record: merges/s and faults/s from vms/10's counters (+40, +50 in about 1 s)" \
	awk -v m="$(rate 2 10 11)" -v f="$(rate 2 10 13)" -v c="$(rate 2 10 12)" \
	'BEGIN { exit !(m >= 36 && m <= 40.4 && f >= 45 && f <= 50.5 && c == "") }'
ok "top: the summary's merges/s from the root's merges counter (+40; the estimate would be 10)" \
	grep -qE ', merges/s (3[6-9]|40)\.[0-9], COW/s' "$tmp/top"
ok "--record: a VM without the counters has no rates" test "$(rate 2 2 11),$(rate 2 2 12)" = ","
ok "top: the same rates in the table (and COW/s of the summary, global)" \
	bash -c "grep -qE '^ +1 /vm1 .* (29|30)\.[0-9] +(9\.9|10\.0) +- +- +-$' '$tmp/top' && grep -qE ', COW/s (9\.9|10\.0),' '$tmp/top'"
if command -v gnuplot >/dev/null; then
	ok "bench/plot turns the recording into a PNG" bash -c \
		"'$here/../bench/plot' '$tmp/rec.csv' >/dev/null && test \"\$(head -c 8 '$tmp/rec.png' | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a"
else
	n=$((n + 1)); echo "ok $n - bench/plot turns the recording into a PNG # SKIP no gnuplot"
fi
echo 0 >"$vm1/cow_breaks"
while IFS='|' read -r args msg; do
	# shellcheck disable=SC2086
	refused "top $args refused, exit 2, naming the option" "top: $msg" "$OVCCTL" top $args
done <<EOT
-d 0|-d: 0 is out of range (more than 0, at most 3600 seconds)
-d 3601|-d: 3601 is out of range (more than 0, at most 3600 seconds)
-d abc|-d: 'abc' is not a number of seconds (e.g. 2 or 0.5)
-d -1|-d: '-1' is not a number of seconds (e.g. 2 or 0.5)
-d 1e3|-d: '1e3' is not a number of seconds (e.g. 2 or 0.5)
-n 0|-n: 0 is out of range (1..4294967295)
-n 4294967296|-n: 4294967296 is out of range (1..4294967295)
-n two|-n: 'two' is not a count (1..4294967295)
-n 1 -d 0.1 -n 2x|-n: '2x' is not a count (1..4294967295)
EOT
refused "top --delay= long form too" "top: -d: '' is not a number of seconds (e.g. 2 or 0.5)" "$OVCCTL" top --delay= -n 1
fails "top with an argument" "ovcctl: top: unexpected argument 'x'" "$OVCCTL" top -n 1 x
fails "top --record into a missing directory" "ovcctl: top: cannot open $tmp/none/r.csv" \
	"$OVCCTL" top -n 1 --record "$tmp/none/r.csv"
script -qec "'$OVCCTL' top -n 2 -d 0.1" /dev/null >"$tmp/tty" 2>&1 </dev/null
ok "top on a terminal: clears and redraws every frame" test "$(grep -o $'\033\[H\033\[2J' "$tmp/tty" | wc -l)" -eq 2
"$OVCCTL" top -d 0.1 --record "$tmp/int.csv" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ "$(wc -l 2>/dev/null <"$tmp/int.csv")" -ge 9 ] && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
ok "top without -n: SIGINT ends it with exit 0 and whole rows recorded" \
	bash -c "test $rc -eq 0 && test \$(( (\$(wc -l <'$tmp/int.csv') - 1) % 4 )) -eq 0 && test \"\$(tail -c1 '$tmp/int.csv' | od -An -c | tr -d ' ')\" = '\\n'"
ok "--help lists top and metrics and their options" \
	bash -c "'$OVCCTL' --help | grep -q '^ top  *\[-d SEC\] \[-n N\]' && '$OVCCTL' --help | grep -q '^ metrics  *\[--prometheus\]' && '$OVCCTL' --help | grep -q -- '--record <file>' && '$OVCCTL' --help | grep -q '     FAULT/s  '"
ok "the man page documents top, metrics, --record and the timer" \
	bash -c "grep -q '^\.B top' '$here/ovcctl.8' && grep -q '^\.B metrics' '$here/ovcctl.8' && grep -qF 'ovc\-metrics.timer' '$here/ovcctl.8' && man -l '$here/ovcctl.8' >/dev/null 2>&1"
if command -v systemd-analyze >/dev/null; then
	ok "the example timer and service are valid units (systemd-analyze verify)" bash -c \
		"out=\$(systemd-analyze verify --man=no '$here/ovc-metrics.service' '$here/ovc-metrics.timer' 2>&1) && test -z \"\$out\" || { echo \"\$out\"; exit 1; }"
else
	n=$((n + 1)); echo "ok $n - the example timer and service are valid units # SKIP no systemd-analyze"
fi
mkdir "$tmp/ne"
sed -n 's/^ExecStart=//p' "$here/ovc-metrics.service" |
	sed "s|/usr/local/sbin/ovcctl|$OVCCTL|; s|/var/lib/prometheus/node-exporter|$tmp/ne|g" >"$tmp/exec"
ok "the service's command, on the fake tree: ovc.prom written, no temporary file left" \
	bash -c "eval \"\$(cat '$tmp/exec')\" && test \"\$(ls '$tmp/ne')\" = ovc.prom && grep -qx 'ovc_cow_breaks_total 22' '$tmp/ne/ovc.prom'"
rm -r "$root/vms/3"

# --- issue 10: the compressed cache -------------------------------------------
# First as a module without it (none of the files), then with them; VM 10
# keeps lacking its per-VM files (a VM of a module without them).
ok "no compressed cache: ZIP shows '-' for every VM" test "$(cols -o id,zip)" = "1,-;2,-;10,-"
ok "... as do ZIP-BYTES, SWAP-OUTS, SWAP-INS, STORE-ERRORS" \
	test "$(cols -o id,zip-bytes,swap-outs,swap-ins,store-errors)" = "1,-,-,-,-;2,-,-,-,-;10,-,-,-,-"
ok "... and the summary has no compressed cache" \
	bash -c "'$OVCCTL' status >'$tmp/st' && grep -q '^Resident:' '$tmp/st' && ! grep -qE '^(Compress|Store errors)' '$tmp/st'"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "... JSON: zip null, no compressed cache keys" \
	'(.vms | all(.zip == null)) and ([keys[] | select(test("compress|swap_|store_"))] == [])'
ok "... metrics: none of its metrics" \
	bash -c "'$OVCCTL' metrics >'$tmp/om' && ! grep -qE 'ovc_(vm_)?(compress|swap_(in|out)s|store_errors)' '$tmp/om'"
"$OVCCTL" top -b -n 2 -d 0.1 >"$tmp/top" 2>&1
ok "... top: ZIP and SWPIN/s show '-', no Compressed summary line" \
	bash -c "grep -qE '^ +1 /vm1 .* +- +-\$' '$tmp/top' && test \"\$(awk '\$2 == \"/vm1\" { print \$13 \$14 }' '$tmp/top' | paste -sd,)\" = --,-- && ! grep -q '^Compressed' '$tmp/top'"
fails "reclaim on a module without the compressed cache: exit 1, the file named" \
	"ovcctl: reclaim: $root/vms/1 has no reclaim (a module without the compressed cache)" \
	"$OVCCTL" reclaim 1 1000p
ok "... which gets no reclaim file" test ! -e "$root/vms/1/reclaim"

zip_global() {	# zip_global PAGES BYTES POOL OUTS INS REJECTS ERRORS: the root's files
	local f v
	for f in compressed_pages compressed_bytes compressed_pool_pages swap_outs swap_ins \
		 compress_rejects store_errors; do
		v=$1; shift; echo "$v" >"$root/$f"
	done
}
zip_vm() {	# zip_vm ID PAGES BYTES OUTS INS ERRORS: a VM's files
	local d=$root/vms/$1 f v; shift
	for f in compressed_pages compressed_bytes swap_outs swap_ins store_errors; do
		v=$1; shift; echo "$v" >"$d/$f"
	done
}
zip_global 1000 1234567 320 1500 200 9 5
zip_vm 1 256 300000 400 100 2
zip_vm 2 0 0 0 0 0
mib() { awk -v p="$1" -v pg="$pg" 'BEGIN { printf "%.1f", p * pg / 1048576 }'; }
"$OVCCTL" status >"$tmp/st" 2>&1
ok "status summary: Compressed in pages and MiB (compressed_pages)" \
	grep -qx "Compressed:  *1000 pages ($(mib 1000) MiB)" "$tmp/st"
ok "status summary: Compressed bytes (compressed_bytes) and MiB" \
	grep -qx 'Compressed bytes:  *1234567 bytes (1\.2 MiB)' "$tmp/st"
ok "status summary: the compression ratio, original over compressed size" \
	grep -qx "Compression ratio:  *$(awk -v pg="$pg" 'BEGIN { printf "%.2f", 1000 * pg / 1234567 }')" "$tmp/st"
ok "status summary: the pool's pages (compressed_pool_pages)" \
	grep -qx "Compressed pool:  *320 pages ($(mib 320) MiB)" "$tmp/st"
ok "status summary: store errors" grep -qx 'Store errors:  *5' "$tmp/st"
ok "status summary: after the older lines, in this order" \
	test "$(grep -E '^(Host free|Compress|Store errors)' "$tmp/st" | cut -d: -f1 | paste -sd,)" = \
	"Host free,Compressed,Compressed bytes,Compression ratio,Compressed pool,Store errors"
ok "status --bytes: the cache's sizes in bytes" \
	bash -c "'$OVCCTL' status --bytes >'$tmp/stb' && grep -qx 'Compressed:  *1000 pages ($((1000 * pg)) bytes)' '$tmp/stb' && grep -qx 'Compressed bytes:  *1234567 bytes' '$tmp/stb' && grep -qx 'Compressed pool:  *320 pages ($((320 * pg)) bytes)' '$tmp/stb'"
echo 0 >"$root/compressed_bytes"
ok "status summary: no ratio for an empty cache ('-')" \
	grep -qx 'Compression ratio:  *-' <("$OVCCTL" status)
echo 1234567 >"$root/compressed_bytes"
ok "status shows ZIP by default, between ZERO and SWAP" grep -qE ' ZERO +ZIP +SWAP +SHARE-GROUP$' "$tmp/st"
ok "... ZIP: compressed_pages in bytes, 0, '-' where missing" \
	test "$(cols -o id,zip)" = "1,$((256 * pg));2,0;10,-"
ok "... ZIP as a size without --bytes" \
	test "$("$OVCCTL" status -n -o zip | tr -d ' ' | paste -sd,)" = "$((pg / 4096))MiB,0B,-"
ok "... ZIP-BYTES (compressed_bytes, as is), SWAP-OUTS, SWAP-INS, STORE-ERRORS" \
	test "$(cols -o id,zip-bytes,swap-outs,swap-ins,store-errors)" = "1,300000,400,100,2;2,0,0,0,0;10,-,-,-,-"
ok "... ZIP-BYTES as a size without --bytes" \
	test "$("$OVCCTL" status -n -o zip-bytes | tr -d ' ' | paste -sd,)" = "293.0KiB,0B,-"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "JSON: the cache's global numbers as numbers" \
	'.compressed_pages == 1000 and .compressed_bytes == 1234567 and .compressed_pool_pages == 320 and
	 .swap_outs == 1500 and .swap_ins == 200 and .compress_rejects == 9 and .store_errors == 5'
jq_ok "JSON: zip in bytes, null where missing; the older keys still there" \
	"[.vms[].zip] == [$((256 * pg)), 0, null] and .pages_resident == 393216 and .vms[0].name == \"/vm1\""
"$OVCCTL" status --json -o id,zip-bytes,swap-outs,swap-ins,store-errors >"$tmp/status.json" 2>&1
jq_ok "JSON -o: zip-bytes, swap-outs, swap-ins, store-errors as numbers or null" \
	'[.vms[] | [."zip-bytes", ."swap-outs", ."swap-ins", ."store-errors"]] == [[300000, 400, 100, 2], [0, 0, 0, 0], [null, null, null, null]]'

echo 42 >"$root/compressed_written_back"
echo 17 >"$root/swap_ins_readahead"
echo 7 >"$root/swap_readahead"
"$OVCCTL" metrics >"$tmp/om" 2>"$tmp/err"; rc=$?
ok "metrics with the cache: exits 0, nothing on stderr" test $rc -eq 0 -a ! -s "$tmp/err"
ok "metrics: the writeback's counter (compressed_written_back), _total" \
	bash -c "grep -qx 'ovc_compressed_written_back_total 42' '$tmp/om' && grep -qx '# TYPE ovc_compressed_written_back counter' '$tmp/om'"
ok "metrics: the swap readahead's counter (_total) and knob (a gauge)" \
	bash -c "grep -qx 'ovc_swap_ins_readahead_total 17' '$tmp/om' && grep -qx '# TYPE ovc_swap_ins_readahead counter' '$tmp/om' && grep -qx 'ovc_swap_readahead 7' '$tmp/om' && grep -qx '# TYPE ovc_swap_readahead gauge' '$tmp/om'"
ok "metrics: the cache's global gauges" \
	bash -c "grep -qx 'ovc_compressed_pages 1000' '$tmp/om' && grep -qx 'ovc_compressed_bytes 1234567' '$tmp/om' && grep -qx 'ovc_compressed_pool_pages 320' '$tmp/om' && grep -qx '# TYPE ovc_compressed_pool_pages gauge' '$tmp/om'"
ok "metrics: the cache's global counters, _total" \
	bash -c "grep -qx 'ovc_swap_outs_total 1500' '$tmp/om' && grep -qx 'ovc_swap_ins_total 200' '$tmp/om' && grep -qx 'ovc_compress_rejects_total 9' '$tmp/om' && grep -qx 'ovc_store_errors_total 5' '$tmp/om' && grep -qx '# TYPE ovc_swap_ins counter' '$tmp/om'"
ok "metrics: compressed_bytes has # UNIT bytes after its TYPE and HELP" \
	test "$(grep -A2 '^# TYPE ovc_compressed_bytes ' "$tmp/om" | cut -d' ' -f2 | paste -sd,)" = "TYPE,HELP,UNIT"
ok "metrics: ... global and per VM" \
	bash -c "grep -qx '# UNIT ovc_compressed_bytes bytes' '$tmp/om' && grep -qx '# UNIT ovc_vm_compressed_bytes bytes' '$tmp/om'"
ok "metrics: the per-VM gauges, labelled, VM 10 without them" \
	test "$(grep -E '^ovc_vm_compressed_(pages|bytes)\{' "$tmp/om" | paste -sd' ')" = \
	"ovc_vm_compressed_pages{vm=\"1\",name=\"/vm1\"} 256 ovc_vm_compressed_pages{vm=\"2\",name=\"/vm2 (deleted)\"} 0 ovc_vm_compressed_bytes{vm=\"1\",name=\"/vm1\"} 300000 ovc_vm_compressed_bytes{vm=\"2\",name=\"/vm2 (deleted)\"} 0"
ok "metrics: the per-VM counters, _total" \
	bash -c "grep -qxF 'ovc_vm_swap_outs_total{vm=\"1\",name=\"/vm1\"} 400' '$tmp/om' && grep -qxF 'ovc_vm_swap_ins_total{vm=\"1\",name=\"/vm1\"} 100' '$tmp/om' && grep -qxF 'ovc_vm_store_errors_total{vm=\"1\",name=\"/vm1\"} 2' '$tmp/om' && grep -qx '# TYPE ovc_vm_store_errors counter' '$tmp/om'"
ok "metrics: still every line well-formed, counters with _total, each family in one piece" \
	bash -c "! grep -vE '^(# (TYPE ovc_[a-z_]+ (gauge|counter)|HELP ovc_[a-z_]+ [^\"\\\\]+|UNIT ovc_[a-z_]+ [a-z]+|EOF)|ovc_[a-z_]+(\{[a-z_]+=\"([^\"\\\\]|\\\\[\"\\\\n])*\"(,[a-z_]+=\"([^\"\\\\]|\\\\[\"\\\\n])*\")*\})? [0-9]+)\$' '$tmp/om'" &&
	awk '/^# TYPE/ { type[$3] = $4; next } /^#/ { next }
	     { n = $1; sub(/\{.*/, "", n); f = n; sub(/_total$/, "", f)
	       if (type[f] == "counter" && n != f "_total") { print "counter without _total: " $0; bad = 1 }
	       if (type[f] == "" && type[n] != "gauge") { print "no TYPE for: " $0; bad = 1 }
	       if (n != last && seen[n]++) { print "split: " n; bad = 1 } last = n }
	     END { exit bad }' "$tmp/om"
"$OVCCTL" metrics --prometheus >"$tmp/prom" 2>&1
ok "metrics --prometheus: the cache's counters typed on _total, no # UNIT" \
	bash -c "grep -qx '# TYPE ovc_swap_ins_total counter' '$tmp/prom' && grep -qx '# TYPE ovc_vm_swap_outs_total counter' '$tmp/prom' && grep -qx 'ovc_compressed_bytes 1234567' '$tmp/prom' && ! grep -q '^# UNIT' '$tmp/prom'"

# top: swap_ins bumped between the two samples (VM 1 by 50, the root by 60)
rm -f "$tmp/rec.csv"
(for _ in $(seq 100); do
	[ "$(wc -l 2>/dev/null <"$tmp/rec.csv" || echo 0)" -ge 4 ] && break
	sleep 0.05
done
echo 150 >"$vm1/swap_ins"; echo 260 >"$root/swap_ins"; echo 1700 >"$root/swap_outs") &
"$OVCCTL" top -b -n 2 -d 1 --record "$tmp/rec.csv" >"$tmp/top" 2>"$tmp/err"; rc=$?
wait
ok "top with the cache: exits 0" test $rc -eq 0 -a ! -s "$tmp/err"
ok "top: ZIP in the table (bytes with -b), after FAULT/s" \
	test "$(awk '$2 == "/vm1" { print $13 }' "$tmp/top" | paste -sd,)" = "$((256 * pg)),$((256 * pg))"
ok "top: the summary's compressed line, first frame without rates" \
	grep -qx "Compressed $((1000 * pg)) in a $((320 * pg)) pool, swap-outs/s -, swap-ins/s -, store errors 5" "$tmp/top"
ok "top: ... then swap-outs/s and swap-ins/s from the root's counters (+200, +60 in about 1 s)" \
	grep -qE "^Compressed $((1000 * pg)) in a $((320 * pg)) pool, swap-outs/s (1[89][0-9]|200)\.[0-9], swap-ins/s (5[4-9]|60)\.[0-9], store errors 5\$" "$tmp/top"
ok "top: SWPIN/s of VM 1 in the table (+50 in about 1 s), last; '-' for VM 10" \
	bash -c "grep -qE '^ +1 /vm1 .* $((256 * pg)) +(4[5-9]|50)\.[0-9]\$' '$tmp/top' && grep -qE '^ +10 /guests/big .* - +-\$' '$tmp/top'"
ok "--record: the old 13 columns first, in their order; compressed_bytes, swap_ins, swap_ins_per_s last" \
	test "$(head -n1 "$tmp/rec.csv" | cut -d, -f1-13);$(head -n1 "$tmp/rec.csv" | cut -d, -f14-)" = \
	"time,id,name,resident_bytes,shared_bytes,zero_bytes,ballooned_bytes,swapped_bytes,active_percent,target_bytes,merges_per_s,cow_per_s,faults_per_s;compressed_bytes,swap_ins,swap_ins_per_s"
ok "--record: compressed_bytes and the swap_ins counter per VM, empty where missing" \
	test "$(rate 1 1 14),$(rate 1 1 15),$(rate 2 1 15);$(rate 1 2 14),$(rate 1 2 15);$(rate 1 10 14),$(rate 1 10 15)" = "300000,100,150;0,0;,"
ok "--record: swap_ins_per_s empty in the first sample, about 50 in the second" \
	bash -c "test -z '$(rate 1 1 16)' && awk -v r='$(rate 2 1 16)' 'BEGIN { exit !(r >= 45 && r <= 50.5) }'"
ok "--record: 0 for VM 2 (counter unchanged), empty for VM 10 (no counter)" \
	test "$(rate 2 2 16),$(rate 2 10 16)" = "0.000,"
echo 10 >"$vm1/swap_ins"
(for _ in $(seq 100); do
	[ "$(wc -l 2>/dev/null <"$tmp/rec2.csv" || echo 0)" -ge 4 ] && break
	sleep 0.05
done
echo 5 >"$vm1/swap_ins") &
"$OVCCTL" top -n 2 -d 0.5 --record "$tmp/rec2.csv" >/dev/null 2>&1
wait
ok "--record: a counter gone backwards (module reloaded): no rate" \
	test "$(awk -F, 'NR > 1 && $2 == 1 { print $16 }' "$tmp/rec2.csv" | paste -sd,)" = ","
if command -v gnuplot >/dev/null; then
	ok "bench/plot still reads the longer recording" bash -c \
		"'$here/../bench/plot' '$tmp/rec.csv' >/dev/null && test -s '$tmp/rec.png'"
else
	n=$((n + 1)); echo "ok $n - bench/plot still reads the longer recording # SKIP no gnuplot"
fi

# reclaim VM SIZE: vms/<id>/reclaim (write-only in the module: 0200)
: >"$root/vms/1/reclaim"; chmod 200 "$root/vms/1/reclaim"
ok "reclaim ID Np writes N to vms/ID/reclaim, prints nothing" \
	bash -c "test -z \"\$('$OVCCTL' reclaim 1 1000p)\" && test \"\$(cat '$root/vms/1/reclaim')\" = 1000"
ok "reclaim ID SIZE writes the pages of SIZE" \
	bash -c "'$OVCCTL' reclaim 1 4M && test \"\$(cat '$root/vms/1/reclaim')\" = $(((4 << 20) / pg))"
fails "reclaim refuses a bad SIZE" "ovcctl: reclaim: SIZE: '12Q' is not a size" "$OVCCTL" reclaim 1 12Q
fails "reclaim refuses a SIZE not a whole number of pages" \
	"ovcctl: reclaim: SIZE 1000 is not a multiple of the page size ($pg)" "$OVCCTL" reclaim 1 1000
fails "reclaim without SIZE" "ovcctl: reclaim: expected VM and SIZE" "$OVCCTL" reclaim 1
fails "reclaim on an unknown VM id" "ovcctl: reclaim: no VM 99 in $root/vms" "$OVCCTL" reclaim 99 1p
refuse_writes "$root/vms/1/reclaim"
fails "reclaim: a write the module refuses: its error, naming the file" \
	"ovcctl: reclaim: cannot write $root/vms/1/reclaim: Permission denied" "$OVCCTL" reclaim 1 1p
restore "$root/vms/1/reclaim"
ok "--help lists reclaim, ZIP, ZIP-BYTES, SWAP-INS and SWPIN/s" \
	bash -c "'$OVCCTL' --help >'$tmp/help' && grep -q '^ reclaim  *VM SIZE ' '$tmp/help' && grep -q '^ *ZIP  ' '$tmp/help' && grep -q ' ZIP-BYTES  ' '$tmp/help' && grep -q ' SWAP-INS  ' '$tmp/help' && grep -q ' STORE-ERRORS  ' '$tmp/help' && grep -q ' SWPIN/s  ' '$tmp/help'"
ok "the man page documents reclaim, ZIP, SWPIN/s, the knobs and the new fields" \
	bash -c "grep -q '^\.BI reclaim ' '$here/ovcctl.8' && grep -q '^\.B ZIP\$' '$here/ovcctl.8' && grep -q 'SWPIN/s' '$here/ovcctl.8' && grep -q 'compress_max_percent' '$here/ovcctl.8' && grep -q 'swap_ins_per_s' '$here/ovcctl.8' && grep -q 'ovc_vm_store_errors_total' '$here/ovcctl.8' && man -l '$here/ovcctl.8' >/dev/null 2>&1"

# --- issue 10: the swap store ------------------------------------------------
# First a module without it (none of its files), then one with no store,
# then one with a store; VM 10 keeps lacking swapped_pages.
ok "no swap store: SWAP shows '-' for every VM" test "$(cols -o id,swap)" = "1,-;2,-;10,-"
ok "... and the summary has no Swap lines" \
	bash -c "'$OVCCTL' status >'$tmp/st' && grep -q '^Resident:' '$tmp/st' && ! grep -qE '^Swap' '$tmp/st'"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "... JSON: swap null, no swap_file, swap_slots, swapped_pages keys" \
	'(.vms | all(.swap == null)) and (has("swap_file") or has("swap_slots") or has("swapped_pages") | not)'
ok "... metrics: no swap store metrics" \
	bash -c "'$OVCCTL' metrics >'$tmp/om' && ! grep -qE '^(# TYPE )?ovc_(vm_)?(swap_slots|swapped_pages)' '$tmp/om'"
"$OVCCTL" top -b -n 1 >"$tmp/top" 2>&1
ok "... top: SWCUR shows '-'" test "$(awk '$2 == "/vm1" { print $7 }' "$tmp/top")" = -
echo >"$root/swap_file"; echo 0 >"$root/swap_slots"; echo 0 >"$root/swapped_pages"
"$OVCCTL" status >"$tmp/st" 2>&1
ok "a module without a store attached: Swap file: none, Swap slots 0, Swapped 0" \
	test "$(grep -E '^Swap' "$tmp/st" | tr -s ' ' | paste -sd,)" = "Swap file: none,Swap slots: 0 pages (0.0 MiB),Swapped: 0 pages (0.0 MiB)"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "... JSON: swap_file null, swap_slots 0, swapped_pages 0" \
	'.swap_file == null and has("swap_file") and .swap_slots == 0 and .swapped_pages == 0'
echo /var/lib/ovc/swap >"$root/swap_file"; echo 262144 >"$root/swap_slots"; echo 1000 >"$root/swapped_pages"
echo 600 >"$vm1/swapped_pages"; echo 0 >"$root/vms/2/swapped_pages"
"$OVCCTL" status >"$tmp/st" 2>&1
ok "status summary: the swap store's file, slots and swapped pages, last" \
	test "$(tail -n +1 "$tmp/st" | sed -n '/^$/q;p' | tail -n 3 | tr -s ' ' | paste -sd,)" = \
	"Swap file: /var/lib/ovc/swap,Swap slots: 262144 pages ($(mib 262144) MiB),Swapped: 1000 pages ($(mib 1000) MiB)"
ok "status --bytes: in bytes" \
	bash -c "'$OVCCTL' status --bytes | grep -qx 'Swapped:  *1000 pages ($((1000 * pg)) bytes)'"
ok "status shows SWAP by default, after ZIP" grep -qE ' ZIP +SWAP +SHARE-GROUP$' "$tmp/st"
ok "... SWAP: swapped_pages in bytes, 0, '-' where missing" test "$(cols -o id,swap)" = "1,$((600 * pg));2,0;10,-"
ok "... as a size without --bytes, like ZIP" \
	test "$("$OVCCTL" status -n -o zip,swap | awk '{ print $1 "/" $2 }' | paste -sd,)" = \
	"$((pg / 4096))MiB/$(awk -v b=$((600 * pg)) 'BEGIN { printf "%.1fMiB", b / 1048576 }'),0B/0B,-/-"
ok "-o SWAPPED, its older name, still selects it" test "$(cols -o id,swapped)" = "1,$((600 * pg));2,0;10,-"
"$OVCCTL" status --json >"$tmp/status.json" 2>&1
jq_ok "JSON: swap_file, swap_slots, swapped_pages; vms[].swap in bytes, null where missing" \
	".swap_file == \"/var/lib/ovc/swap\" and .swap_slots == 262144 and .swapped_pages == 1000 and
	 [.vms[].swap] == [$((600 * pg)), 0, null] and .compressed_pages == 1000"
"$OVCCTL" metrics >"$tmp/om" 2>"$tmp/err"; rc=$?
ok "metrics: ovc_swap_slots and ovc_swapped_pages, gauges" \
	bash -c "test $rc -eq 0 && grep -qx 'ovc_swap_slots 262144' '$tmp/om' && grep -qx 'ovc_swapped_pages 1000' '$tmp/om' && grep -qx '# TYPE ovc_swap_slots gauge' '$tmp/om' && grep -qx '# TYPE ovc_swapped_pages gauge' '$tmp/om'"
ok "metrics: ovc_vm_swapped_pages per VM, VM 10 without it" \
	test "$(grep '^ovc_vm_swapped_pages{' "$tmp/om" | paste -sd' ')" = \
	"ovc_vm_swapped_pages{vm=\"1\",name=\"/vm1\"} 600 ovc_vm_swapped_pages{vm=\"2\",name=\"/vm2 (deleted)\"} 0"
"$OVCCTL" top -b -n 1 >"$tmp/top" 2>&1
ok "top: SWCUR (esxtop's name) in SWAPPED's place: swapped_pages, '-' where missing" \
	test "$(awk '$1 ~ /^[0-9]+$/ { print $1 "=" $(NF - 7) }' "$tmp/top" | paste -sd,)" = "1=$((600 * pg)),2=0,10=-"

# swapfile PATH|none: the emulated ioctl on the first ovcfs mount of a fake table
mkdir -p "$tmp/mnt"
printf 'proc /proc proc rw 0 0\novc %s ovcfs rw 0 0\n' "$tmp/mnt" >"$tmp/mounts"
swapctl() { env OVC_FAKE_IOCTL=1 OVC_FAKE_MOUNTS="$tmp/mounts" OVC_FAKE_SWAP_LOG="$tmp/swap.log" "$OVCCTL" swapfile "$@"; }
echo >"$root/swap_file"; echo 0 >"$root/swap_slots"; echo 0 >"$root/swapped_pages"; : >"$tmp/swap.log"
truncate -s 1M "$tmp/s1.img"; truncate -s 2M "$tmp/s2.img"
ok "swapfile PATH: prints the slots the module gives" test "$(swapctl "$tmp/s1.img")" = $(((1 << 20) / pg))
ok "... OVC_IOC_SET_SWAP_FILE on the ovcfs mount, the file read-write, O_DIRECT" \
	test "$(cat "$tmp/swap.log")" = "attach $tmp/mnt $tmp/s1.img direct=1 -> 0 slots=$(((1 << 20) / pg))"
ok "... and the module shows it" test "$(cat "$root/swap_file"),$(cat "$root/swap_slots")" = "$tmp/s1.img,$(((1 << 20) / pg))"
fails "swapfile PATH while one is attached: EBUSY, the attached one named" \
	"ovcctl: swapfile: $tmp/s2.img: the module has a swap store already ($tmp/s1.img): detach it first with 'ovcctl swapfile none'" \
	swapctl "$tmp/s2.img"
echo 5 >"$root/swapped_pages"
fails "swapfile none while pages are in the store: EBUSY, their number" \
	"ovcctl: swapfile: none: $tmp/s1.img still holds 5 pages (swapped_pages): not detached" swapctl none
ok "... the store kept" test "$(cat "$root/swap_file")" = "$tmp/s1.img"
echo 0 >"$root/swapped_pages"
ok "swapfile none: detached, prints nothing" \
	bash -c "test -z \"\$(env OVC_FAKE_IOCTL=1 OVC_FAKE_MOUNTS='$tmp/mounts' OVC_FAKE_SWAP_LOG='$tmp/swap.log' '$OVCCTL' swapfile none)\" && test -z \"\$(cat '$root/swap_file')\" && test \"\$(tail -n1 '$tmp/swap.log')\" = 'detach $tmp/mnt -> 0'"
OVC_FAKE_NO_DIRECT=1 swapctl "$tmp/s2.img" >"$tmp/out" 2>"$tmp/err"
ok "swapfile on a filesystem refusing O_DIRECT: attached without it, one warning" \
	bash -c "test \"\$(cat '$tmp/out')\" = $(((2 << 20) / pg)) && test \"\$(cat '$tmp/err')\" = 'ovcctl: swapfile: $tmp/s2.img: its filesystem refuses O_DIRECT: opened without it, so the page cache will hold swapped pages too' && grep -q 'direct=0 -> 0' '$tmp/swap.log'"
swapctl none >/dev/null
fails "swapfile: not a regular file or block device" \
	"ovcctl: swapfile: /dev/null is neither a regular file nor a block device" swapctl /dev/null
fails "swapfile: a missing file" "ovcctl: swapfile: cannot open $tmp/none.img: No such file or directory" \
	swapctl "$tmp/none.img"
printf 'tiny' >"$tmp/tiny.img"
fails "swapfile: smaller than a page: the module's EINVAL" \
	"ovcctl: swapfile: OVC_IOC_SET_SWAP_FILE on $tmp/mnt failed: Invalid argument" swapctl "$tmp/tiny.img"
fails "swapfile without PATH" "ovcctl: swapfile: expected PATH (a regular file or block device) or none" swapctl
head -n1 "$tmp/mounts" >"$tmp/mounts.none"
fails "swapfile with no ovcfs mount" "ovcctl: swapfile: no ovcfs mount in $tmp/mounts.none" \
	env OVC_FAKE_IOCTL=1 OVC_FAKE_MOUNTS="$tmp/mounts.none" "$OVCCTL" swapfile "$tmp/s1.img"
mv "$root/swap_file" "$tmp/swap_file.saved"
fails "swapfile on a module without the swap store" \
	"ovcctl: swapfile: OVC_IOC_SET_SWAP_FILE on $tmp/mnt failed: a module without the swap store" swapctl "$tmp/s1.img"
mv "$tmp/swap_file.saved" "$root/swap_file"
if ! grep -q ' ovcfs ' /proc/self/mounts; then
	fails "the installed ovcctl reads /proc/self/mounts: OVC_FAKE_MOUNTS changes nothing" \
		"ovcctl: swapfile: no ovcfs mount in /proc/self/mounts" \
		env OVC_FAKE_IOCTL=1 OVC_FAKE_MOUNTS="$tmp/mounts" "$here/ovcctl" swapfile "$tmp/s1.img"
else
	skip "the installed ovcctl reads /proc/self/mounts" "machine: an ovcfs mount is there"
fi
ok "--help lists swapfile, SWAP and SWCUR" \
	bash -c "'$OVCCTL' --help >'$tmp/help' && grep -q '^ swapfile  *PATH|none ' '$tmp/help' && grep -q '^ *SWAP  ' '$tmp/help' && grep -q ' SWCUR  ' '$tmp/help'"
ok "the man page documents swapfile, SWAP, SWCUR, the summary's and metrics' swap store" \
	bash -c "grep -q '^\.BI swapfile ' '$here/ovcctl.8' && grep -q '^\.B SWAP\$' '$here/ovcctl.8' && grep -q '^\.B SWCUR\$' '$here/ovcctl.8' && grep -q 'swap_slots' '$here/ovcctl.8' && grep -q 'ovc_swapped_pages' '$here/ovcctl.8' && man -l '$here/ovcctl.8' >/dev/null 2>&1"

fails "missing sysfs root: exit 1 and a clear error" \
	"ovcctl: ovc module not loaded (no $tmp/none)" env OVC_SYSFS="$tmp/none" "$OVCCTL" status
fails "--json with --raw is refused" \
	"mutually exclusive arguments: --json --raw" "$OVCCTL" status --json --raw
fails "an unknown column is refused" "unknown column: nope" "$OVCCTL" status -o id,nope
fails "an unknown command is refused" "unknown command 'frob'" "$OVCCTL" frob
fails "info on a file outside ovcfs fails clearly" \
	"$root/nr_vms: not a file on ovcfs" "$OVCCTL" info "$root/nr_vms"
ok "--version prints the API version" grep -q 'ovc API [0-9]' <("$OVCCTL" --version)

exit $((failed > 0))
