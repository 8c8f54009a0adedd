#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test ovcd (and ovcctl balloon) against fake QMP peers (fake-qmp.py) and a
# fake sysfs tree; prints TAP.  Needs no module and no QEMU: OVC_FAKE_IOCTL=1
# makes the test binaries tests/bin/ovcd and ovcctl (tests/libovc-fake.c)
# emulate the ovcfs ioctls on the fake tree, whose vms/<id>/name
# holds the path of an ordinary file standing for the VM's ovcfs file.  The
# fake tree cannot wake pollers, so target changes are seen by ovcd's
# periodic re-read (poll_interval_ms): that path is what is tested here.
# Valgrind checks are skipped without valgrind.

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
OVCD=${OVCD:-$here/tests/bin/ovcd}
OVCCTL=${OVCCTL:-$here/tests/bin/ovcctl}
PEER=$here/tests/fake-qmp.py
[ -x "$OVCD" ] && [ -x "$OVCCTL" ] || make -s -C "$here" all tests >&2 ||
	{ echo "Bail out! cannot build ovcd"; exit 1; }

tmp=$(mktemp -d)
declare -A peer_pid
daemon_pid=
cleanup() {
	local p
	for p in "${peer_pid[@]}" $daemon_pid; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export OVC_SYSFS=$tmp/sys OVC_FAKE_IOCTL=1 LC_ALL=C
pg=$(getconf PAGESIZE)
ram_pages=$(((256 << 20) / pg))
n=0 failed=0
# shellcheck source=userspace-ctl/tests/lib.sh
source "$here/tests/lib.sh"

peer() {	# peer NAME MODE: start a fake QEMU on $tmp/NAME.qmp, logging to NAME.log
	python3 "$PEER" --socket "$tmp/$1.qmp" --log "$tmp/$1.log" --mode "$2" &
	peer_pid[$1]=$!
	wait_for 5 test -S "$tmp/$1.qmp"
}

stop_peer() {
	kill "${peer_pid[$1]}"; wait "${peer_pid[$1]}" 2>/dev/null; unset "peer_pid[$1]"
}

balloon_sent() { # balloon_sent LOG TARGET_PAGES: LOG has the balloon command for it
	grep -qxF "balloon {\"value\":$(((ram_pages - $2) * pg))}" "$1"
}

vm_conf() {	# vm_conf NAME FILE SOCKET [EXTRA LINE]
	printf '[vm %s]\nfile = %s\nqmp = %s\n%s\n' "$1" "$tmp/$2" "$tmp/$3.qmp" "${4:-}"
}

echo "1..214"

# --- configuration errors: exit 2, "ovcd: FILE:LINE: FIELD: PROBLEM" ---------
conf_err "unknown key: its line and name" "4: frob: unknown key in [vm a] (expected file, backend, qmp, domain, balloon_qom_path, shares, min, max or share_group)" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
frob = 1
EOF
conf_err "bad number" "3: shares: 'lots' is not a number" <<EOF
[vm a]
file = /run/ovc/a
shares = lots
qmp = /run/a.qmp
EOF
conf_err "number out of range" "3: poll_interval_ms: 5 is out of range (10..3600000)" <<EOF
# comment
[global]
poll_interval_ms = 5
EOF
conf_err "missing required key: the section's line" "4: qmp: missing in [vm b]" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
[vm b]
file = /run/ovc/b

[global]
log = syslog
EOF
conf_err "a [vm] section without keys" "2: file: missing in [vm a]" <<EOF
[global]
[vm a]
EOF
conf_err "duplicate VM name" "5: section: [vm a]: duplicate VM name (first at line 1)" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp

[vm a]
file = /run/ovc/b
EOF
conf_err "a key given twice" "3: file: given twice in [vm a]" <<EOF
[vm a]
file = /run/ovc/a
file = /run/ovc/b
EOF
conf_err "two VMs on one QMP socket" "6: qmp: /run/a.qmp is also used by [vm a] (line 1)" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
[vm b]
file = /run/ovc/b
qmp = /run/a.qmp
EOF
conf_err "bad size" "4: max: '2X' is not a size (bytes, or a number with K, M, G, T or p)" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
max = 2X
EOF
conf_err "min above max" "1: min: min is more than max in [vm a]" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
min = 2G
max = 1024M
EOF
conf_err "relative path" "2: file: 'ovc/a' is not an absolute path" <<EOF
[vm a]
file = ovc/a
EOF
conf_err "unknown section" "2: section: [vms]: unknown section (expected [global] or [vm NAME])" <<EOF

[vms]
EOF
conf_err "bad log value" "2: log: 'journal' is neither stderr nor syslog" <<EOF
[global]
log = journal
EOF
conf_err "a line that is not key = value" "3: syntax: expected 'key = value', '[section]' or a comment" <<EOF
[vm a]
file = /run/ovc/a
qmp /run/a.qmp
EOF
group_conf() {	# group_conf LINE...: [vm a] with these lines after file and qmp
	printf '[vm a]\nfile = /run/ovc/a\nqmp = /run/a.qmp\n'
	printf '%s\n' "$@"
}
for g in 0 7 4294967294 own; do
	group_conf "share_group = $g" >"$tmp/group.conf"
	ok "share_group = $g is valid" "$OVCD" --check -c "$tmp/group.conf"
done
for g in -1 abc OWN web-servers; do
	conf_err "share_group = $g: neither own nor a number" \
		"4: share_group: '$g' is neither own nor a group number (0..4294967294)" \
		< <(group_conf "share_group = $g")
done
conf_err "an empty share_group" \
	"4: share_group: '' is neither own nor a group number (0..4294967294)" < <(group_conf "share_group =")
for g in 4294967295 4294967296 99999999999999999999; do
	conf_err "share_group = $g: out of range" \
		"4: share_group: $g is out of range (0..4294967294, or own)" < <(group_conf "share_group = $g")
done
conf_err "share_group given twice" "6: share_group: given twice in [vm a]" \
	< <(group_conf "share_group = 7" "shares = 10" "share_group = own")
"$OVCD" --check -c "$tmp/none.conf" >/dev/null 2>"$tmp/err"
ok "missing configuration file: exit 2, one line" \
	grep -qxF "ovcd: $tmp/none.conf: No such file or directory" <(test $? -eq 2 && cat "$tmp/err")
ok "a valid configuration passes --check" "$OVCD" --check -c "$here/ovcd.conf.example"

# --- ovcctl balloon and the balloon columns of ovcctl status -----------------
mkdir -p "$OVC_SYSFS/vms"
echo 0 >"$OVC_SYSFS/pages_resident"; echo 0 >"$OVC_SYSFS/nr_vms"
mkvm 3 vm-good $ram_pages 0
ok "ovcctl balloon ID SIZE writes the target in pages" \
	bash -c "'$OVCCTL' balloon 3 64M && grep -qx $(((64 << 20) / pg)) '$OVC_SYSFS/vms/3/balloon_target_pages'"
ok "ovcctl balloon FILE Np goes through the (emulated) ioctl" \
	bash -c "'$OVCCTL' balloon '$tmp/vm-good' 100p && grep -qx 100 '$OVC_SYSFS/vms/3/balloon_target_pages'"
: >"$OVC_SYSFS/vms/3/reclaim"
ok "ovcctl reclaim FILE SIZE: the VM's id from the (emulated) OVC_IOC_VM_INFO, vms/ID/reclaim written" \
	bash -c "'$OVCCTL' reclaim '$tmp/vm-good' 8M && grep -qx $(((8 << 20) / pg)) '$OVC_SYSFS/vms/3/reclaim'"
rm "$OVC_SYSFS/vms/3/reclaim"
"$OVCCTL" balloon 3 1G >/dev/null 2>"$tmp/err"
ok "ovcctl balloon refuses more than the VM's memory" \
	grep -qF "ovcctl: balloon: SIZE 1G is more than VM 3's memory (256MiB)" <(test $? -eq 1 && cat "$tmp/err")
"$OVCCTL" balloon 3 12Q >/dev/null 2>"$tmp/err"
ok "ovcctl balloon refuses a bad SIZE" \
	grep -qF "ovcctl: balloon: SIZE: '12Q' is not a size" <(test $? -eq 1 && cat "$tmp/err")
echo 1234 >"$OVC_SYSFS/vms/3/guest_free_pages"
"$OVCCTL" status --bytes >"$tmp/status.txt" 2>&1
ok "ovcctl status shows TARGET ACTUAL BALLOONED GUEST-FREE" \
	grep -qE "TARGET +ACTUAL +BALLOONED +GUEST-FREE" "$tmp/status.txt"
ok "ovcctl status shows the balloon target and guest free memory" \
	grep -qE " $((100 * pg)) +0 +0 +$((1234 * pg))\$" \
	<("$OVCCTL" status --bytes -o ID,TARGET,ACTUAL,BALLOONED,GUEST-FREE)
echo 5 >"$OVC_SYSFS/vms/3/shared_pages"; echo 6 >"$OVC_SYSFS/vms/3/zero_pages"
ok "ovcctl status shows SHARED and ZERO by default (then ZIP and SWAP, - without the cache and the swap store)" \
	grep -qE "^ +3 .* $((5 * pg)) +$((6 * pg)) +- +- +own\$" <("$OVCCTL" status --bytes)
rm "$OVC_SYSFS/vms/3/shared_pages" "$OVC_SYSFS/vms/3/zero_pages"
ok "ovcctl share-group FILE GROUP goes through the (emulated) ioctl" \
	bash -c "'$OVCCTL' share-group '$tmp/vm-good' 42 && grep -qx 42 '$OVC_SYSFS/vms/3/share_domain'"
ok "ovcctl share-group FILE prints it (OVC_IOC_VM_INFO)" \
	test "$("$OVCCTL" share-group "$tmp/vm-good")" = 42
ok "ovcctl info FILE shows SHARE-GROUP" \
	grep -qE '^ +3 .* 42$' <("$OVCCTL" info -o id,name,share-group "$tmp/vm-good")
ok "ovcctl share-group FILE own" \
	bash -c "'$OVCCTL' share-group '$tmp/vm-good' own && grep -qx 4294967295 '$OVC_SYSFS/vms/3/share_domain'"
mv "$OVC_SYSFS/vms/3/share_domain" "$tmp/share_domain.saved"
"$OVCCTL" share-group "$tmp/vm-good" 42 >/dev/null 2>"$tmp/err"
ok "ovcctl share-group FILE on a module without domains: the ioctl's error" \
	grep -qxF "ovcctl: share-group: $tmp/vm-good: OVC_IOC_SET_SHARE_DOMAIN failed: Inappropriate ioctl for device" \
	<(test $? -eq 1 && cat "$tmp/err")
mv "$tmp/share_domain.saved" "$OVC_SYSFS/vms/3/share_domain"
rm "$OVC_SYSFS/vms/3/balloon_pages"
ok "ovcctl status tolerates an absent balloon file" "$OVCCTL" status
echo 0 >"$OVC_SYSFS/vms/3/balloon_target_pages"; echo 7 >"$OVC_SYSFS/vms/3/guest_free_pages"
echo 0 >"$OVC_SYSFS/vms/3/balloon_pages"

# --- ovcd --once against a well-behaved peer ------------------------------
peer good normal
vm_conf good vm-good good >"$tmp/once.conf"
echo $(((64 << 20) / pg)) >"$OVC_SYSFS/vms/3/balloon_target_pages"
"$OVCD" -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "--once exits 0 against a working QEMU" test $? -eq 0
ok "it negotiates capabilities first" \
	bash -c "sed -n 2p '$tmp/good.log' | grep -qx 'qmp_capabilities {}'"
ok "it finds the balloon with qom-list and turns on guest statistics" \
	grep -qxF 'qom-set {"path":"/machine/peripheral-anon/device[0]","property":"guest-stats-polling-interval","value":2}' "$tmp/good.log"
ok "it sends balloon with VM size - target, in bytes" balloon_sent "$tmp/good.log" $(((64 << 20) / pg))
ok "it reports query-balloon's size as balloon_actual_pages" \
	grep -qx $(((64 << 20) / pg)) "$OVC_SYSFS/vms/3/balloon_actual_pages"
ok "it reports the guest's free and total memory in pages" \
	bash -c "grep -qx $(((100 << 20) / pg)) '$OVC_SYSFS/vms/3/guest_free_pages' &&
		 grep -qx $ram_pages '$OVC_SYSFS/vms/3/guest_total_pages'"
ok "it logs one line when all went well" count "$tmp/once.err" "ovcd: good: serving: QEMU 7.2.0 on $tmp/good.qmp" 1
if command -v valgrind >/dev/null; then
	ok "--once is valgrind-clean" valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=9 "$OVCD" -c "$tmp/once.conf" --once
else
	skip "--once is valgrind-clean" "no valgrind"
fi
vm_conf good vm-good good "share_group = 7" >"$tmp/group.conf"
"$OVCD" -c "$tmp/group.conf" --once 2>"$tmp/once.err"
ok "--once with share_group = 7 exits 0" test $? -eq 0
ok "... and puts the VM in group 7 (OVC_IOC_SET_SHARE_DOMAIN)" grep -qx 7 "$OVC_SYSFS/vms/3/share_domain"
ok "... saying so in one line" count "$tmp/once.err" "ovcd: good: share_group: VM 3 now in 7 (was own)" 1
"$OVCD" -c "$tmp/group.conf" --once 2>"$tmp/once.err"
ok "a VM already in its group is left as it is, silently" count "$tmp/once.err" "share_group" 0
vm_conf good vm-good good "share_group = own" >"$tmp/group.conf"
"$OVCD" -c "$tmp/group.conf" --once 2>"$tmp/once.err"
ok "share_group = own puts it back on its own" \
	bash -c "grep -qx 4294967295 '$OVC_SYSFS/vms/3/share_domain' &&
		 grep -qxF 'ovcd: good: share_group: VM 3 now in own (was 7)' '$tmp/once.err'"
mv "$OVC_SYSFS/vms/3/share_domain" "$tmp/share_domain.saved"
vm_conf good vm-good good "share_group = 7" >"$tmp/group.conf"
"$OVCD" -c "$tmp/group.conf" --once 2>"$tmp/once.err"
ok "a module refusing the domain: --once exits 1" test $? -eq 1
ok "... one line with the VM, the group and errno" count "$tmp/once.err" \
	"ovcd: good: share_group: OVC_IOC_SET_SHARE_DOMAIN (7) on $tmp/vm-good failed: Inappropriate ioctl for device" 1
ok "... and the VM is still served" count "$tmp/once.err" "ovcd: good: serving: QEMU 7.2.0" 1
mv "$tmp/share_domain.saved" "$OVC_SYSFS/vms/3/share_domain"
stop_peer good
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$tmp/refused.qmp"
vm_conf refused vm-good refused >"$tmp/once.conf"
"$OVCD" -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "--once exits 1 when QEMU is not there" test $? -eq 1
ok "... with one line naming the VM and the problem" \
	grep -qxF "ovcd: refused: qmp: cannot connect to $tmp/refused.qmp: Connection refused" "$tmp/once.err"
OVC_FAKE_IOCTL= "$OVCD" -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "without the emulation, a file outside ovcfs is refused" \
	grep -qxF "ovcd: refused: file: $tmp/vm-good is not on ovcfs" <(test $? -eq 1 && cat "$tmp/once.err")
OVC_FAKE_IOCTL= "$OVCCTL" balloon "$tmp/vm-good" 0 2>"$tmp/err"
ok "... and so it is by ovcctl balloon" \
	grep -qxF "ovcctl: balloon: $tmp/vm-good: not a file on ovcfs" <(test $? -eq 1 && cat "$tmp/err")
"$here/ovcd" -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "the installed ovcd has no emulation: OVC_FAKE_IOCTL=1 changes nothing" \
	grep -qxF "ovcd: refused: file: $tmp/vm-good is not on ovcfs" <(test $? -eq 1 && cat "$tmp/once.err")
"$here/ovcctl" balloon "$tmp/vm-good" 0 2>"$tmp/err"
ok "... nor has the installed ovcctl" \
	grep -qxF "ovcctl: balloon: $tmp/vm-good: not a file on ovcfs" <(test $? -eq 1 && cat "$tmp/err")
ok "ovcctl and ovcd hold no fake symbol" \
	test "$(nm "$here/ovcctl" "$here/ovcd" | grep -ci fake)" = 0

# --- the daemon: one good VM among misbehaving ones --------------------------
rm -f "$tmp"/*.log
modes="slow nostats drop garbage error hang badtype chatty"
id=3
for m in good $modes; do
	[ $m = good ] || { id=$((id + 1)); mkvm $id vm-$m $ram_pages 0; }
	[ $m = hang ] || [ $m = drop ] || echo 256 >"$OVC_SYSFS/vms/$id/balloon_target_pages"
	peer $m $m
done
mkvm 20 vm-refused $ram_pages 0
rm "$OVC_SYSFS/vms/4/share_domain"	# vm-slow: as if on a module without domains
{
	printf '[global]\npoll_interval_ms = 200\nstats_interval_s = 1\n\n'
	vm_conf good vm-good good "share_group = 7"
	vm_conf slow vm-slow slow "balloon_qom_path = /machine/peripheral/bal0
share_group = 3"
	for m in nostats drop garbage error hang badtype chatty refused; do
		vm_conf $m vm-$m $m
	done
	vm_conf nofile vm-missing nofile
} >"$tmp/ovcd.conf"
"$OVCD" -f -c "$tmp/ovcd.conf" 2>"$tmp/ovcd.err" &
daemon_pid=$!
ok "the good VM gets its target" wait_for 5 balloon_sent "$tmp/good.log" 256
ok "a slow QEMU (0.5 s per answer) still gets its target" wait_for 8 balloon_sent "$tmp/slow.log" 256
ok "balloon_qom_path from the configuration is used" \
	grep -qxF 'qom-set {"path":"/machine/peripheral/bal0","property":"guest-stats-polling-interval","value":1}' "$tmp/slow.log"
ok "... and no qom-list is sent then" count "$tmp/slow.log" "qom-list" 0
ok "the daemon puts the good VM in its share_group" grep -qx 7 "$OVC_SYSFS/vms/3/share_domain"
echo 5 >"$OVC_SYSFS/vms/3/share_domain"	# as ovcctl share-group 3 5 would
ok "... once: a later change (ovcctl share-group) is left alone" \
	bash -c "sleep 1; grep -qx 5 '$OVC_SYSFS/vms/3/share_domain'"
ok "a refused share_group: one line naming the VM and errno" count "$tmp/ovcd.err" \
	"ovcd: slow: share_group: OVC_IOC_SET_SHARE_DOMAIN (3) on $tmp/vm-slow failed: Inappropriate ioctl for device" 1
echo 512 >"$OVC_SYSFS/vms/3/balloon_target_pages"
ok "a target change is carried by the periodic re-read" wait_for 3 balloon_sent "$tmp/good.log" 512
ok "the balloon size is reported" wait_for 4 grep -qx 512 "$OVC_SYSFS/vms/3/balloon_actual_pages"
ok "guest stats not reported yet leave guest_free_pages as it was" \
	bash -c "sleep 1.5; grep -qx 7 '$OVC_SYSFS/vms/5/guest_free_pages' && grep -qx 256 '$OVC_SYSFS/vms/5/balloon_actual_pages'"
sleep 5	# hang: 2 s timeouts; backoff 0.5, 1, 2 s
ok "the daemon is still running" kill -0 $daemon_pid
ok "dropped connection: one clear line" count "$tmp/ovcd.err" "ovcd: drop: qmp: connection closed by $tmp/drop.qmp" 1
ok "malformed JSON: one clear line" count "$tmp/ovcd.err" "ovcd: garbage: qmp: malformed JSON from $tmp/garbage.qmp" 1
ok "error reply: one clear line" count "$tmp/ovcd.err" \
	"ovcd: error: qmp: qom-list: error from $tmp/error.qmp: fake failure (GenericError)" 1
ok "hung QEMU: one clear line" count "$tmp/ovcd.err" "ovcd: hang: qmp: no greeting from $tmp/hang.qmp within 2000 ms" 1
ok "wrong type in a reply: one clear line" count "$tmp/ovcd.err" \
	"ovcd: badtype: qmp: query-balloon: 'actual' from $tmp/badtype.qmp is not a non-negative integer" 1
ok "refused connection: one clear line" count "$tmp/ovcd.err" \
	"ovcd: refused: qmp: cannot connect to $tmp/refused.qmp: Connection refused" 1
ok "events but no answer: one clear line" count "$tmp/ovcd.err" \
	"ovcd: chatty: qmp: no answer from $tmp/chatty.qmp within 2000 ms" 1
ok "missing VM file: one clear line" count "$tmp/ovcd.err" \
	"ovcd: nofile: file: cannot open $tmp/vm-missing: No such file or directory" 1
ok "no other error lines" count "$tmp/ovcd.err" ": qmp: " 7
ok "failing peers were retried with backoff, not in a busy loop" between 3 6 "$tmp/drop.log" connect
ok "... all of them" between 3 6 "$tmp/garbage.log" connect
ok "the hung peer was retried too" between 2 5 "$tmp/hang.log" connect
echo 1024 >"$OVC_SYSFS/vms/3/balloon_target_pages"
ok "the good VM is still served" wait_for 3 balloon_sent "$tmp/good.log" 1024

count_new() {	# count_new FIXED-STRING N: as count, on the log lines since $mark
	tail -n +$((mark + 1)) "$tmp/ovcd.err" >"$tmp/new.err"
	count "$tmp/new.err" "$1" "$2"
}
mark=$(wc -l <"$tmp/ovcd.err")
stop_peer good
ok "QEMU going away: one line" wait_for 4 count_new "ovcd: good: qmp: connection closed by $tmp/good.qmp" 1
rm -f "$tmp/good.log"
sleep 2
peer good normal
ok "when QEMU is back ovcd reconnects" wait_for 10 count_new \
	"ovcd: good: serving: QEMU 7.2.0 on $tmp/good.qmp, balloon /machine/peripheral-anon/device[0] (recovered)" 1
ok "... and sends the target again" balloon_sent "$tmp/good.log" 1024
ok "... having logged one line per distinct problem, not one per retry" \
	count_new "ovcd: good: qmp:" 2
ok "... the second one saying QEMU is not there" \
	count_new "ovcd: good: qmp: cannot connect to $tmp/good.qmp: Connection refused" 1

echo "[vm broken" >>"$tmp/ovcd.conf"
kill -HUP $daemon_pid
ok "SIGHUP with a broken configuration keeps the old one" wait_for 3 grep -qF \
	"ovcd: $tmp/ovcd.conf:$(wc -l <"$tmp/ovcd.conf"): section: malformed section header; keeping the old configuration" "$tmp/ovcd.err"
{ printf '[global]\npoll_interval_ms = 200\n'; vm_conf good vm-good good; } >"$tmp/ovcd.conf"
kill -HUP $daemon_pid
ok "SIGHUP reloads a valid configuration" wait_for 3 grep -qF "ovcd: reloaded $tmp/ovcd.conf: 1 VMs" "$tmp/ovcd.err"
echo 2048 >"$OVC_SYSFS/vms/3/balloon_target_pages"
ok "... and serves it" wait_for 3 balloon_sent "$tmp/good.log" 2048
ok "... and applies the changed share_group (7 to own, the default)" \
	wait_for 3 grep -qx 4294967295 "$OVC_SYSFS/vms/3/share_domain"
echo 5 >"$OVC_SYSFS/vms/3/share_domain"
mark=$(wc -l <"$tmp/ovcd.err")
kill -HUP $daemon_pid
ok "SIGHUP again, share_group unchanged" wait_for 3 count_new "ovcd: reloaded $tmp/ovcd.conf: 1 VMs" 1
ok "... leaves a change by hand alone" bash -c "sleep 1; grep -qx 5 '$OVC_SYSFS/vms/3/share_domain'"
{ printf '[global]\npoll_interval_ms = 200\n'; vm_conf good vm-good good "share_group = 9"; } >"$tmp/ovcd.conf"
kill -HUP $daemon_pid
ok "SIGHUP with share_group changed to 9 applies it" wait_for 3 grep -qx 9 "$OVC_SYSFS/vms/3/share_domain"
ok "... with one line" wait_for 3 count_new "ovcd: good: share_group: VM 3 now in 9 (was 5)" 1
kill -TERM $daemon_pid
start=$SECONDS
wait $daemon_pid; rc=$?
daemon_pid=
ok "SIGTERM: exit 0" test $rc -eq 0
ok "... within 2 s" test $((SECONDS - start)) -le 2

# --- the daemon under valgrind, through failures and a signal ----------------
if command -v valgrind >/dev/null; then
	{
		printf '[global]\npoll_interval_ms = 100\nstats_interval_s = 1\n'
		for m in good garbage hang refused; do vm_conf $m vm-$m $m; done
		vm_conf nofile vm-missing nofile
	} >"$tmp/vg.conf"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		"$OVCD" -f -c "$tmp/vg.conf" 2>"$tmp/vg.err" &
	daemon_pid=$!
	wait_for 20 grep -qF "ovcd: good: serving" "$tmp/vg.err"
	sleep 3
	kill -TERM $daemon_pid
	wait $daemon_pid; rc=$?
	daemon_pid=
	ok "the daemon is valgrind-clean through failures and SIGTERM" test $rc -eq 0
	ok "... and valgrind reported nothing" bash -c "! grep -q '^==' '$tmp/vg.err' || { cat '$tmp/vg.err'; false; }"
else
	skip "the daemon is valgrind-clean through failures and SIGTERM" "no valgrind"
	skip "... and valgrind reported nothing" "no valgrind"
fi

# --- issue 9: the module's knobs ([global]) and a VM's shares, min, max -------
while read -r line msg; do
	conf_err "[global] ${line%%=*} out of range or malformed: named, with the range" "2: ${line%%=*}: $msg" \
		< <(printf '[global]\n%s\n' "${line/=/ = }")
done <<EOT
idle_tax=100 100 is out of range (0..99)
policy=maybe 'maybe' is not valid (on, off, 1 or 0)
budget=12Q '12Q' is neither auto nor a size (bytes, or a number with K, M, G, T or p)
reserve=1000 1000 is not a whole number of pages ($pg bytes)
sample_period_ms=50 50 is out of range (0, or 100..3600000)
sample_pages=65537 65537 is out of range (1..65536)
balance_period_ms=99 99 is out of range (100..3600000)
balloon_max=101 101 is out of range (0..100)
scan=maybe 'maybe' is not valid (on, off, 1 or 0)
scan=2 '2' is not valid (on, off, 1 or 0)
pages_to_scan=0 0 is out of range (1..100000)
pages_to_scan=100001 100001 is out of range (1..100000)
sleep_millisecs=60001 60001 is out of range (0..60000)
sleep_millisecs=-1 '-1' is not a number (0..60000)
compress_max=101 101 is out of range (0..100)
compress_max=ten 'ten' is not a number (0..100)
shrink=yes 'yes' is not valid (on, off, 1 or 0)
EOT
conf_err "[global] state_high is not ovcd's (ovcctl tune sets the thresholds)" \
	"2: state_high: unknown key in [global] (expected poll_interval_ms, stats_interval_s, log, libvirt_uri, libvirt_discover, libvirt_memory_backing_dir, swap_file, swap_size, idle_tax, budget, reserve, sample_period_ms, sample_pages, balance_period_ms, balloon_max, policy, scan, pages_to_scan, sleep_millisecs, compress_max, shrink or swap_readahead)" \
	< <(printf '[global]\nstate_high = 5\n')
conf_err "[global] a knob given twice" "3: idle_tax: given twice in [global]" \
	< <(printf '[global]\nidle_tax = 5\nidle_tax = 6\n')
conf_err "[vm] shares = 0: out of range" "4: shares: 0 is out of range (1..1000000)" < <(group_conf "shares = 0")
conf_err "[vm] shares = 1000001" "4: shares: 1000001 is out of range (1..1000000)" < <(group_conf "shares = 1000001")
conf_err "[vm] min not a whole number of pages" "4: min: 1000 is not a whole number of pages ($pg bytes)" \
	< <(group_conf "min = 1000")
{ printf '[global]\npolicy = off\nidle_tax = 0\nbudget = auto\nreserve = 1G\nsample_period_ms = 0\n'
  printf 'sample_pages = 65536\nbalance_period_ms = 3600000\nballoon_max = 100\n'
  group_conf "shares = 1" "min = 0" "max = size"; } >"$tmp/k.conf"
ok "every knob at a bound, max = size: --check passes" "$OVCD" --check -c "$tmp/k.conf"
printf '[global]\nscan = off\npages_to_scan = 1\nsleep_millisecs = 0\n' >"$tmp/k.conf"
printf '[global]\nscan = 1\npages_to_scan = 100000\nsleep_millisecs = 60000\n' >"$tmp/k2.conf"
ok "the scanner's knobs at their bounds: --check passes" \
	bash -c "'$OVCD' --check -c '$tmp/k.conf' && '$OVCD' --check -c '$tmp/k2.conf'"
group_conf "min = 1G" "max = 0" >"$tmp/k.conf"
ok "min = 1G with max = 0 (the VM's size): --check passes" "$OVCD" --check -c "$tmp/k.conf"

knob_tree() {	# the module's knobs at their defaults, VM 3's policy files
	local kv
	for kv in idle_tax_percent=75 host_budget_pages=500000 host_reserve_pages=1000 sample_period_ms=30000 \
		  sample_pages=100 balance_period_ms=15000 balloon_max_percent=65 policy_run=0; do
		echo "${kv#*=}" >"$OVC_SYSFS/${kv%=*}"
	done
	echo 1000 >"$OVC_SYSFS/vms/3/shares"; echo 0 >"$OVC_SYSFS/vms/3/min_pages"
	echo $ram_pages >"$OVC_SYSFS/vms/3/max_pages"
}
knobs() { cat "$OVC_SYSFS"/{idle_tax_percent,host_budget_pages,host_reserve_pages,sample_period_ms,sample_pages,balance_period_ms,balloon_max_percent,policy_run} | paste -sd,; }
vmpol() { cat "$OVC_SYSFS"/vms/3/{shares,min_pages,max_pages} | paste -sd,; }
knobs_are() { test "$(knobs)" = "$1" || { echo "knobs: $(knobs), expected $1"; return 1; }; }
vmpol_is() { test "$(vmpol)" = "$1" || { echo "VM 3: $(vmpol), expected $1"; return 1; }; }
export -f count
mp=$(((1 << 20) / pg))	# pages per MiB
knob_tree
{ printf '[global]\nidle_tax = 50\nbudget = 128M\nsample_period_ms = 1000\n'
  vm_conf good vm-good good "shares = 2000
min = 64M
max = 192M"; } >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "--once with knobs and a VM's policy: exit 0" test $? -eq 0
ok "... writes the given knobs and policy_run = 1 (policy on by default), leaves the others" \
	test "$(knobs)" = "50,$((128 * mp)),1000,1000,100,15000,65,1"
ok "... writes the VM's shares, min_pages, max_pages" test "$(vmpol)" = "2000,$((64 * mp)),$((192 * mp))"
ok "... one line per knob written" bash -c "count '$tmp/k.err' 'ovcd: idle_tax: idle_tax_percent = 50' 1 &&
	count '$tmp/k.err' 'ovcd: policy: policy_run = 1' 1 && count '$tmp/k.err' ' = ' 4" 
ok "... and one for the VM" count "$tmp/k.err" \
	"ovcd: good: policy: VM 3 now has shares=2000 min_pages=$((64 * mp)) max_pages=$((192 * mp))" 1
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "a VM that has its policy already: nothing written, silently" count "$tmp/k.err" "policy: VM" 0
{ printf '[global]\npolicy = off\n'; vm_conf good vm-good good "max = size"; } >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "policy = off writes policy_run = 0; max = size writes 0; the rest is left alone" \
	test "$(knobs),$(vmpol)" = "50,$((128 * mp)),1000,1000,100,15000,65,0,2000,$((64 * mp)),0"
echo $((256 * mp)) >"$OVC_SYSFS/vms/3/max_pages"	# the module shows the effective value
{ printf '[global]\n'; vm_conf good vm-good good "min = 300M"; } >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "a min more than the VM's size: --once exits 1" test $? -eq 1
ok "... one line naming the VM, the key and the size; nothing written" \
	bash -c "count '$tmp/k.err' 'ovcd: good: min: $((300 * mp)) pages is more than VM 3'\''s size ($ram_pages pages): not applied' 1 &&
		 test \"\$(cat '$OVC_SYSFS'/vms/3/min_pages)\" = $((64 * mp))"
ok "... and the VM still served" count "$tmp/k.err" "ovcd: good: serving:" 1
mv "$OVC_SYSFS/policy_run" "$tmp/policy_run.saved"
vm_conf good vm-good good >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "an older module (no policy_run), policy not in the file: --once exits 0" test $? -eq 0
ok "... with one warning" count "$tmp/k.err" \
	"ovcd: policy: no $OVC_SYSFS/policy_run (a module without the memory policy): not turned on" 1
k_once() {	# k_once GLOBAL-LINES: ovcd --once with them and the good VM, log in k.err
	{ printf '[global]\n%s\n' "$1"; vm_conf good vm-good good; } >"$tmp/k.conf"
	"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
}
k_once "policy = on"
ok "... policy = on in the file: exit 1, the file and errno named" \
	grep -qxF "ovcd: policy: cannot write 1 to $OVC_SYSFS/policy_run: No such file or directory" \
	<(test $? -eq 1 && cat "$tmp/k.err")
mv "$tmp/policy_run.saved" "$OVC_SYSFS/policy_run"

# the daemon: applied at the start, on SIGHUP only what changed
knob_tree
k_conf() {	# k_conf GLOBAL-LINES VM-LINES
	{ printf '[global]\npoll_interval_ms = 200\n%s\n' "$1"; vm_conf good vm-good good "$2"; } >"$tmp/k.conf"
}
k_conf "idle_tax = 50
balloon_max = 40" "shares = 2000"
"$OVCD" -f -c "$tmp/k.conf" 2>"$tmp/k.err" &
daemon_pid=$!
ok "the daemon writes the knobs at the start" wait_for 3 knobs_are "50,500000,1000,30000,100,15000,40,1"
ok "... and the VM's shares when it sees the VM" wait_for 3 grep -qx 2000 "$OVC_SYSFS/vms/3/shares"
echo 77 >"$OVC_SYSFS/idle_tax_percent"; echo 3000 >"$OVC_SYSFS/vms/3/shares"	# by hand
mark=$(wc -l <"$tmp/k.err")
k_conf "idle_tax = 50
balloon_max = 30
sample_pages = 500" "shares = 2000"
kill -HUP $daemon_pid
ok "SIGHUP: a changed and a new knob are written" wait_for 3 knobs_are "77,500000,1000,30000,500,15000,30,1"
ok "... an unchanged one (idle_tax, changed by hand) is not, nor policy" bash -c "sleep 1; grep -qx 77 '$OVC_SYSFS/idle_tax_percent'"
ok "... nor the VM's unchanged shares (changed by hand)" grep -qx 3000 "$OVC_SYSFS/vms/3/shares"
tail -n +$((mark + 1)) "$tmp/k.err" >"$tmp/k.new"
ok "... two lines, for the two knobs written" bash -c "count '$tmp/k.new' ' = ' 2 &&
	count '$tmp/k.new' 'ovcd: sample_pages: sample_pages = 500' 1"
k_conf "" "shares = 2000
min = 16M"
kill -HUP $daemon_pid
ok "SIGHUP with the VM's policy changed: written again (shares back to 2000, min)" \
	wait_for 3 vmpol_is "2000,$((16 * mp)),$ram_pages"
ok "... knobs no longer in the file are left as they are" test "$(knobs)" = "77,500000,1000,30000,500,15000,30,1"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... SIGTERM: exit 0" test $rc -eq 0
# the scanner's start setting: scan (run), pages_to_scan, sleep_millisecs
scan_tree() { echo 0 >"$OVC_SYSFS/run"; echo 100 >"$OVC_SYSFS/pages_to_scan"; echo 20 >"$OVC_SYSFS/sleep_millisecs"; }
scan_knobs() { cat "$OVC_SYSFS"/{run,pages_to_scan,sleep_millisecs} | paste -sd,; }
scan_is() { test "$(scan_knobs)" = "$1" || { echo "run,pages_to_scan,sleep_millisecs: $(scan_knobs), expected $1"; return 1; }; }
export -f scan_knobs scan_is
knob_tree; scan_tree
{ printf '[global]\nscan = on\npages_to_scan = 1000\n'; vm_conf good vm-good good; } >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "scan = on, pages_to_scan = 1000: --once exits 0, writes run = 1 and pages_to_scan, not sleep_millisecs" \
	bash -c "test $? -eq 0 && scan_is 1,1000,20"
ok "... one line for each" bash -c "count '$tmp/k.err' 'ovcd: scan: run = 1' 1 &&
	count '$tmp/k.err' 'ovcd: pages_to_scan: pages_to_scan = 1000' 1 && count '$tmp/k.err' sleep_millisecs 0"
echo 0 >"$OVC_SYSFS/run"	# by hand
vm_conf good vm-good good >"$tmp/k.conf"
"$OVCD" -c "$tmp/k.conf" --once 2>"$tmp/k.err"
ok "no scan in the file: the scanner is left as it is" bash -c "scan_is 0,1000,20 && count '$tmp/k.err' 'ovcd: scan' 0"
scan_tree
k_conf "scan = on
sleep_millisecs = 200" ""
"$OVCD" -f -c "$tmp/k.conf" 2>"$tmp/k.err" &
daemon_pid=$!
ok "the daemon writes scan = on (run = 1) and sleep_millisecs at the start" wait_for 3 scan_is 1,100,200
k_conf "scan = off
sleep_millisecs = 200
pages_to_scan = 5000" ""
kill -HUP $daemon_pid
ok "SIGHUP: scan = off writes run = 0, a new pages_to_scan is written" wait_for 3 scan_is 0,5000,200
echo 50 >"$OVC_SYSFS/sleep_millisecs"	# by hand
mark=$(wc -l <"$tmp/k.err")
k_conf "scan = bogus" ""
kill -HUP $daemon_pid
ok "SIGHUP with scan = bogus: refused, the field named, the old configuration kept" \
	wait_for 3 grep -qF "ovcd: $tmp/k.conf:3: scan: 'bogus' is not valid (on, off, 1 or 0); keeping the old configuration" "$tmp/k.err"
ok "... nothing written" bash -c "sleep 0.5; scan_is 0,5000,50 && test \$(tail -n +$((mark + 1)) '$tmp/k.err' | grep -c ' = ') -eq 0"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... SIGTERM: exit 0" test $rc -eq 0

# the compressed cache's knobs: compress_max (compress_max_percent), shrink
zip_tree() { echo 10 >"$OVC_SYSFS/compress_max_percent"; echo 0 >"$OVC_SYSFS/shrink"; }
zip_knobs() { cat "$OVC_SYSFS"/{compress_max_percent,shrink} | paste -sd,; }
zip_is() { test "$(zip_knobs)" = "$1" || { echo "compress_max_percent,shrink: $(zip_knobs), expected $1"; return 1; }; }
export -f zip_knobs zip_is
zip_tree
k_once "compress_max = 25
shrink = on"
ok "compress_max = 25, shrink = on: --once exits 0, writes compress_max_percent = 25, shrink = 1" \
	bash -c "test $? -eq 0 && zip_is 25,1"
ok "... one line for each" bash -c "count '$tmp/k.err' 'ovcd: compress_max: compress_max_percent = 25' 1 &&
	count '$tmp/k.err' 'ovcd: shrink: shrink = 1' 1"
k_once "compress_max = 0
shrink = off"
ok "compress_max = 0, shrink = off: written as 0 and 0" zip_is 0,0
echo 7 >"$OVC_SYSFS/swap_readahead"
k_once "swap_readahead = 3"
ok "swap_readahead = 3: --once exits 0, writes swap_readahead = 3, one line" \
	bash -c "test $? -eq 0 && grep -qx 3 '$OVC_SYSFS/swap_readahead' && count '$tmp/k.err' 'ovcd: swap_readahead: swap_readahead = 3' 1"
mv "$OVC_SYSFS/compress_max_percent" "$tmp/cmp.saved"
k_once "compress_max = 5"
ok "compress_max on a module without the compressed cache: exit 1, the key, file and errno named" \
	grep -qxF "ovcd: compress_max: cannot write 5 to $OVC_SYSFS/compress_max_percent: No such file or directory" \
	<(test $? -eq 1 && cat "$tmp/k.err")
mv "$tmp/cmp.saved" "$OVC_SYSFS/compress_max_percent"
zip_tree
k_conf "compress_max = 30" ""
"$OVCD" -f -c "$tmp/k.conf" 2>"$tmp/k.err" &
daemon_pid=$!
ok "the daemon writes compress_max at the start, leaves shrink" wait_for 3 zip_is 30,0
echo 50 >"$OVC_SYSFS/compress_max_percent"	# by hand
k_conf "compress_max = 30
shrink = on" ""
kill -HUP $daemon_pid
ok "SIGHUP: a new shrink = on is written" wait_for 3 zip_is 50,1
ok "... the unchanged compress_max is not (changed by hand)" bash -c "sleep 0.5; zip_is 50,1"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... SIGTERM: exit 0" test $rc -eq 0

ok "ovcctl set FILE: the id from OVC_IOC_VM_INFO (emulated), then vms/<id>/shares" \
	bash -c "'$OVCCTL' set '$tmp/vm-good' shares=42 >/dev/null && grep -qx 42 '$OVC_SYSFS/vms/3/shares'"
ok "ovcd.8 documents the knobs" bash -c "grep -q '^\.B idle_tax' '$here/ovcd.8' && grep -q '^\.B policy' '$here/ovcd.8'"
ok "ovcd.8 and ovcd.conf.example document scan, pages_to_scan, sleep_millisecs, compress_max, shrink, swap_readahead" \
	bash -c "for k in scan pages_to_scan sleep_millisecs compress_max shrink swap_readahead; do grep -q \"^\\.B \$k\\\$\" '$here/ovcd.8' && grep -qE \"^;?\$k = \" '$here/ovcd.conf.example' || exit 1; done"

# --- the swap store: [global] swap_file, swap_size ---------------------------
conf_err "swap_file: a relative path" "2: swap_file: 'swap.img' is not an absolute path" \
	< <(printf '[global]\nswap_file = swap.img\n')
conf_err "swap_size: not a size" "3: swap_size: '12Q' is not a size (bytes, or a number with K, M, G, T or p)" \
	< <(printf '[global]\nswap_file = /var/lib/ovc/swap\nswap_size = 12Q\n')
conf_err "swap_size: not a whole number of pages" "3: swap_size: 1000 is not a whole number of pages ($pg bytes)" \
	< <(printf '[global]\nswap_file = /var/lib/ovc/swap\nswap_size = 1000\n')
conf_err "swap_size = 0" "3: swap_size: 0 is less than a page" \
	< <(printf '[global]\nswap_file = /var/lib/ovc/swap\nswap_size = 0\n')
conf_err "swap_size without swap_file" "2: swap_size: given without swap_file" \
	< <(printf '[global]\nswap_size = 1G\n')
conf_err "swap_file: a directory" "2: swap_file: $tmp is neither a regular file nor a block device" \
	< <(printf '[global]\nswap_file = %s\n' "$tmp")
blk=$(find /dev -maxdepth 1 -type b 2>/dev/null | head -n1)
if [ -n "$blk" ]; then
	conf_err "swap_size for a block device: refused, on swap_size's line" \
		"3: swap_size: not for a block device ($blk): the store is the whole device" \
		< <(printf '[global]\nswap_file = %s\nswap_size = 1G\n' "$blk")
	ok "... in one line" test "$(wc -l <"$tmp/err")" -eq 1
	printf '[global]\nswap_file = %s\n' "$blk" >"$tmp/sw.conf"
	ok "a block device without swap_size: --check passes" "$OVCD" --check -c "$tmp/sw.conf"
else
	skip "swap_size for a block device: refused" "machine: no block device in /dev"
	skip "... in one line" "machine: no block device in /dev"
	skip "a block device without swap_size: --check passes" "machine: no block device in /dev"
fi
printf '[global]\nswap_file = %s\nswap_size = 1M\n' "$tmp/swap/a.img" >"$tmp/sw.conf"
mkdir -p "$tmp/swap"
ok "swap_file not there yet, swap_size = 1M: --check passes and creates nothing" \
	bash -c "'$OVCD' --check -c '$tmp/sw.conf' && test ! -e '$tmp/swap/a.img'"

# The fake tree's module has the swap store; the mount table names two
# ovcfs mounts after a tmpfs: the first one is used.
mkdir -p "$tmp/mnt1" "$tmp/mnt2"
printf 'tmpfs /run tmpfs rw 0 0\novc %s ovcfs rw,mode=755 0 0\novc %s ovcfs rw 0 0\n' \
	"$tmp/mnt1" "$tmp/mnt2" >"$tmp/mounts"
export OVC_FAKE_MOUNTS=$tmp/mounts OVC_FAKE_SWAP_LOG=$tmp/swap.log
swap_tree() { echo >"$OVC_SYSFS/swap_file"; echo 0 >"$OVC_SYSFS/swap_slots"; echo 0 >"$OVC_SYSFS/swapped_pages"; : >"$tmp/swap.log"; }
swap_is() { test "$(cat "$OVC_SYSFS/swap_file")" = "$1" || { echo "swap_file: $(cat "$OVC_SYSFS/swap_file"), expected $1"; return 1; }; }
export -f swap_is
sw_conf() {	# sw_conf PATH [SIZE]: [global] with them, and the good VM
	{ printf '[global]\npoll_interval_ms = 200\nswap_file = %s\n' "$1"
	  [ -n "${2:-}" ] && printf 'swap_size = %s\n' "$2"
	  vm_conf good vm-good good; } >"$tmp/sw.conf"
}
swap_tree
sw_conf "$tmp/swap/a.img" 1M
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "swap_file with swap_size: --once exits 0" test $? -eq 0
ok "... creates the file, mode 0600, fallocate()d to swap_size" \
	test "$(stat -c '%a %s %b' "$tmp/swap/a.img")" = "600 1048576 $(((1 << 20) / 512))"
ok "... attaches it O_DIRECT on the first ovcfs mount; the module says its slots" \
	test "$(cat "$tmp/swap.log")" = "attach $tmp/mnt1 $tmp/swap/a.img direct=1 -> 0 slots=$(((1 << 20) / pg))"
ok "... sysfs swap_file shows it" swap_is "$tmp/swap/a.img"
ok "... one line for the file, one for the store" bash -c "count '$tmp/sw.err' 'ovcd: swap_size: $tmp/swap/a.img allocated to 1048576 bytes' 1 &&
	count '$tmp/sw.err' 'ovcd: swap_file: $tmp/swap/a.img attached: $(((1 << 20) / pg)) pages' 1 && count '$tmp/sw.err' swap_ 2"
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "again (an ovcd restart): sysfs shows it already: no ioctl, nothing logged, exit 0" \
	bash -c "test $? -eq 0 && test \$(wc -l <'$tmp/swap.log') -eq 1 && count '$tmp/sw.err' swap_ 0"
swap_tree
printf 'keep me' >"$tmp/swap/b.img"; truncate -s 2M "$tmp/swap/b.img"
sw_conf "$tmp/swap/b.img" 1M
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "an existing file larger than swap_size: not shrunk, not truncated; attached" \
	bash -c "test $? -eq 0 && test \$(stat -c %s '$tmp/swap/b.img') -eq $((2 << 20)) && test \"\$(head -c 7 '$tmp/swap/b.img')\" = 'keep me' && swap_is '$tmp/swap/b.img'"
swap_tree
sw_conf "$tmp/swap/b.img" 3M
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "an existing file smaller than swap_size: grown, its data kept" \
	bash -c "test $? -eq 0 && test \$(stat -c %s '$tmp/swap/b.img') -eq $((3 << 20)) && test \"\$(head -c 7 '$tmp/swap/b.img')\" = 'keep me' &&
		 count '$tmp/sw.err' 'ovcd: swap_size: $tmp/swap/b.img grown to $((3 << 20)) bytes' 1"
swap_tree
sw_conf "$tmp/swap/b.img"
OVC_FAKE_NO_DIRECT=1 "$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "a filesystem refusing O_DIRECT: opened without it, attached, exit 0" \
	bash -c "test $? -eq 0 && grep -qF 'direct=0 -> 0' '$tmp/swap.log' && swap_is '$tmp/swap/b.img'"
ok "... one line saying the page cache will hold swapped pages" count "$tmp/sw.err" \
	"ovcd: swap_file: $tmp/swap/b.img: its filesystem refuses O_DIRECT: opened without it, so the page cache will hold swapped pages too" 1
swap_tree
sw_conf "$tmp/swap/none.img"
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "swap_file missing, no swap_size: exit 1, one line naming the key, nothing attached" \
	bash -c "test $? -eq 1 && count '$tmp/sw.err' 'ovcd: swap_file: cannot open $tmp/swap/none.img: No such file or directory' 1 &&
		 count '$tmp/sw.err' swap_ 1 && test ! -s '$tmp/swap.log'"
ok "... and the VM still served" count "$tmp/sw.err" "ovcd: good: serving:" 1
sw_conf "$tmp/swap/b.img"
OVC_FAKE_MOUNTS=$tmp/none "$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "no mount table: exit 1, one line naming the key" \
	bash -c "test $? -eq 1 && count '$tmp/sw.err' 'ovcd: swap_file: no ovcfs mount in $tmp/none to attach $tmp/swap/b.img on: No such file or directory' 1"
head -n1 "$tmp/mounts" >"$tmp/mounts.tmpfs"
OVC_FAKE_MOUNTS=$tmp/mounts.tmpfs "$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "no ovcfs mount: exit 1, one line naming the key" \
	bash -c "test $? -eq 1 && count '$tmp/sw.err' 'ovcd: swap_file: no ovcfs mount in $tmp/mounts.tmpfs to attach $tmp/swap/b.img on' 1"
"$here/ovcd" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "the installed ovcd reads /proc/self/mounts: OVC_FAKE_MOUNTS changes nothing" \
	grep -qF "ovcd: swap_file: no ovcfs mount in /proc/self/mounts to attach $tmp/swap/b.img on" "$tmp/sw.err"
mv "$OVC_SYSFS/swap_file" "$tmp/swap_file.saved"
"$OVCD" -c "$tmp/sw.conf" --once 2>"$tmp/sw.err"
ok "a module without the swap store: exit 1, one line with the ioctl's error" \
	bash -c "test $? -eq 1 && count '$tmp/sw.err' 'ovcd: swap_file: OVC_IOC_SET_SWAP_FILE ($tmp/swap/b.img) on $tmp/mnt1 failed: Inappropriate ioctl for device (a module without the swap store)' 1"
mv "$tmp/swap_file.saved" "$OVC_SYSFS/swap_file"

# the daemon: SIGHUP with another swap_file detaches the old one, unless
# pages are still in it; the store stays attached when ovcd stops.
swap_tree
truncate -s 1M "$tmp/swap/a.img"
sw_conf "$tmp/swap/a.img"
"$OVCD" -f -c "$tmp/sw.conf" 2>"$tmp/sw.err" &
daemon_pid=$!
ok "the daemon attaches swap_file at the start" wait_for 3 swap_is "$tmp/swap/a.img"
sw_conf "$tmp/swap/b.img"
kill -HUP $daemon_pid
ok "SIGHUP with another swap_file: the new one attached" wait_for 3 swap_is "$tmp/swap/b.img"
ok "... after detaching the old one" test "$(cut -d' ' -f1,2 "$tmp/swap.log" | paste -sd,)" = \
	"attach $tmp/mnt1,detach $tmp/mnt1,attach $tmp/mnt1"
ok "... saying so" bash -c "count '$tmp/sw.err' 'ovcd: swap_file: $tmp/swap/a.img detached' 1 &&
	count '$tmp/sw.err' 'ovcd: swap_file: $tmp/swap/b.img attached: $(((3 << 20) / pg)) pages' 1"
echo 5 >"$OVC_SYSFS/swapped_pages"	# pages in b.img now
sw_conf "$tmp/swap/a.img"
kill -HUP $daemon_pid
ok "SIGHUP back to the first while pages are in the store: EBUSY logged, in one line" \
	wait_for 3 count "$tmp/sw.err" "ovcd: swap_file: $tmp/swap/b.img still holds 5 pages: kept as the swap store, $tmp/swap/a.img not attached" 1
ok "... the old store kept, nothing else tried" \
	bash -c "swap_is '$tmp/swap/b.img' && test \"\$(tail -n1 '$tmp/swap.log')\" = 'detach $tmp/mnt1 -> EBUSY'"
echo 0 >"$OVC_SYSFS/swapped_pages"
kill -HUP $daemon_pid
ok "SIGHUP again, the store empty now: the failed change is tried again and made" \
	wait_for 3 swap_is "$tmp/swap/a.img"
mark=$(wc -l <"$tmp/swap.log")
kill -HUP $daemon_pid
ok "SIGHUP with swap_file unchanged (and attached): no ioctl" \
	bash -c "sleep 1; test \$(wc -l <'$tmp/swap.log') -eq $mark"
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "SIGTERM: exit 0, the store left attached (pages may be in it)" \
	bash -c "test $rc -eq 0 && swap_is '$tmp/swap/a.img' && test \$(wc -l <'$tmp/swap.log') -eq $mark"
unset OVC_FAKE_MOUNTS OVC_FAKE_SWAP_LOG
ok "ovcd.8 and ovcd.conf.example document swap_file and swap_size" \
	bash -c "for k in swap_file swap_size; do grep -q \"^\\.B \$k\\\$\" '$here/ovcd.8' && grep -qE \"^;?\$k = \" '$here/ovcd.conf.example' || exit 1; done && grep -q 'left attached' '$here/ovcd.8'"

# --- a real QEMU (no guest: -S), for its QMP dialect --------------------------
if command -v qemu-system-x86_64 >/dev/null; then
	timeout 60 qemu-system-x86_64 -accel tcg -m 256M -S -display none -monitor none \
		-serial none -nodefaults -qmp "unix:$tmp/qemu.qmp,server=on,wait=off" \
		-device virtio-balloon-pci >"$tmp/qemu.out" 2>&1 &
	peer_pid[qemu]=$!
	mkvm 30 vm-qemu $ram_pages 4096
	vm_conf qemu vm-qemu qemu >"$tmp/qemu.conf"
	wait_for 10 test -S "$tmp/qemu.qmp"
	"$OVCD" -v -c "$tmp/qemu.conf" --once 2>"$tmp/qemu.err"
	ok "real QEMU: --once exits 0" test $? -eq 0
	ok "real QEMU: the balloon is found and the target sent" grep -qxF \
		"ovcd: qemu: balloon target 4096 pages: balloon value=$(((ram_pages - 4096) * pg))" "$tmp/qemu.err"
	ok "real QEMU: no guest statistics yet: guest_free_pages left as it was" \
		grep -qx 7 "$OVC_SYSFS/vms/30/guest_free_pages"
	stop_peer qemu
else
	for t in "--once exits 0" "the balloon is found and the target sent" "no guest statistics yet"; do
		skip "real QEMU: $t" "no qemu-system-x86_64"
	done
fi

"$OVCD" --help | grep -q -- "--once" && man -l "$here/ovcd.8" >/dev/null 2>&1
ok "--help and the man page" test $? -eq 0

exit $((failed > 0))
