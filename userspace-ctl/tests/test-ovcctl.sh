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

ok() {		# ok DESCRIPTION COMMAND...: one TAP line from a command's status
	local desc=$1; shift
	n=$((n + 1))
	if "$@" >"$tmp/log" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/log"
		failed=$((failed + 1))
	fi
}

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

echo "1..40"
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
