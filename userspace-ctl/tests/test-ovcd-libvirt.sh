#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test ovcd's libvirt backend against libvirt's test driver (test:///default
# and test:///FILE.xml, built into libvirt.so: no libvirtd, no QEMU) and the
# fake sysfs tree of test-ovcd.sh (OVC_FAKE_IOCTL=1, tests/libovc-fake.c);
# prints TAP.  The test driver keeps its domains in the memory of the process
# that opened it, so the test acts on them through tests/libvirt-fake.c, a
# second client inside tests/bin/ovcd, fed commands on a FIFO
# (OVCD_FAKE_LIBVIRT): "destroy test", "start test", "memory test".
#
# test:///default has one running domain, "test" (id 1, 8 GiB maximum, 2 GiB
# current memory).  Its virDomainMemoryStats answers ACTUAL_BALLOON = the
# current memory, AVAILABLE = the same, UNUSED = half of it: what the guest
# report is checked against.  tests/libvirt-fake.c also stands between
# ovcd and a few libvirt calls (failing listings, a hung
# virDomainMemoryStats, ACTUAL_BALLOON, a trace with times), and
# tests/bin/virt-test checks virt.c's conversions alone.  Not covered: the
# close callback (the test driver's connection never closes; a connection
# that cannot be opened at first, then can, is), the 30 s cap of the
# backoffs, and a real libvirtd with QEMU.

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
OVCD=${OVCD:-$here/tests/bin/ovcd}
[ -x "$OVCD" ] || make -s -C "$here" all tests >&2 || { echo "Bail out! cannot build ovcd"; exit 1; }

tmp=$(mktemp -d)
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export OVC_SYSFS=$tmp/sys OVC_FAKE_IOCTL=1 LC_ALL=C
pg=$(getconf PAGESIZE)
n=0 failed=0
# shellcheck source=userspace-ctl/tests/lib.sh
source "$here/tests/lib.sh"
mib=$(((1 << 20) / pg))		# pages per MiB
size=$((2048 * mib))		# the fake VMs: 2 GiB, the domain's current memory
ram1=ovc/libvirt/qemu/1-test/pc.ram	# libvirt's path for domain 1 "test", under $tmp
ram2=ovc/libvirt/qemu/2-test/pc.ram	# ... once restarted as domain 2

is() {		# is FILE VALUE: the fake module's FILE under vms/ holds VALUE
	test "$(cat "$OVC_SYSFS/vms/$1")" = "$2" || { echo "vms/$1: $(cat "$OVC_SYSFS/vms/$1"), expected $2"; return 1; }
}

# gaps FILE FIXED-STRING MS...: the lines of FILE with FIXED-STRING end in
# "at T ms"; the first len(MS...)+1 of them are MS... apart, each within
# -20 % / +50 % (a loop woken every 200 ms)
gaps() {
	local file=$1 what=$2; shift 2
	grep -F -- "$what" "$file" | sed -n 's/.* at \([0-9]*\) ms$/\1/p' | head -n $(($# + 1)) >"$tmp/gaps"
	awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
		{ t[NR] = $1 }
		END { if (NR < n + 1) { print NR " lines, expected " n + 1; exit 1 }
		      for (i = 1; i <= n; i++) { g = t[i + 1] - t[i]
			if (g < w[i] * 0.8 || g > w[i] * 1.5) { print "gap " i ": " g " ms, expected " w[i]; bad = 1 } }
		      exit bad }' "$tmp/gaps"
}

echo "1..74"

unit() { ok "unit: $1" "$here/tests/bin/virt-test" "$1"; }
unit set_target_kib	# virDomainSetMemoryFlags gets KiB: pages x 4, VIR_DOMAIN_AFFECT_LIVE
unit query_actual	# ACTUAL_BALLOON is the size, virDomainGetInfo only without it

# --- configuration -----------------------------------------------------------
conf_err "backend = neither qmp nor libvirt" "3: backend: 'xen' is neither qmp nor libvirt" <<EOF
[vm a]
file = /run/ovc/a
backend = xen
EOF
conf_err "backend = libvirt without domain: the section's line" "1: domain: missing in [vm a] (backend = libvirt)" <<EOF
[vm a]
file = /run/ovc/a
backend = libvirt
EOF
conf_err "backend = libvirt with a qmp socket" \
	"1: qmp: given in [vm a], whose backend is libvirt (libvirt owns the QMP socket)" <<EOF
[vm a]
file = /run/ovc/a
backend = libvirt
domain = a
qmp = /run/a.qmp
EOF
conf_err "qmp and domain without backend: one or the other" \
	"1: domain: given in [vm a], whose backend is qmp (a VM has one backend: qmp = or domain =)" <<EOF
[vm a]
file = /run/ovc/a
qmp = /run/a.qmp
domain = a
EOF
conf_err "a domain name with '/'" "3: domain: 'a/b' is not a libvirt domain name (1..1024 bytes, no '/')" <<EOF
[vm a]
file = /run/ovc/a
domain = a/b
EOF
conf_err "two VMs on one domain" "6: domain: web is also used by [vm a] (line 1)" <<EOF
[vm a]
file = /run/ovc/a
domain = web
[vm b]
file = /run/ovc/b
domain = web
EOF
conf_err "libvirt_discover = maybe" "2: libvirt_discover: 'maybe' is not valid (on, off, 1 or 0)" <<EOF
[global]
libvirt_discover = maybe
EOF
conf_err "an empty libvirt_uri" "2: libvirt_uri: empty (a libvirt URI, e.g. qemu:///system)" <<EOF
[global]
libvirt_uri =
EOF
conf_err "a relative libvirt_memory_backing_dir" \
	"3: libvirt_memory_backing_dir: 'run/ovc' is not an absolute path" <<EOF
[global]
libvirt_discover = on
libvirt_memory_backing_dir = run/ovc
EOF
printf '[global]\nlibvirt_uri = qemu:///system\nlibvirt_discover = off\n[vm a]\nfile = /run/ovc/a\ndomain = a\n' >"$tmp/ok.conf"
ok "domain = alone means backend = libvirt: --check passes" "$OVCD" --check -c "$tmp/ok.conf"
printf '[vm a]\ndomain = a\n' >"$tmp/ok.conf"
ok "domain = without file =: --check passes (ovcd finds the file)" "$OVCD" --check -c "$tmp/ok.conf"
conf_err "backend = qmp still needs file =" "1: file: missing in [vm a]" <<EOF
[vm a]
qmp = /run/a.qmp
EOF

# --- ovcd --once on a configured domain -------------------------------------
mkdir -p "$OVC_SYSFS/vms"
echo 0 >"$OVC_SYSFS/pages_resident"; echo 0 >"$OVC_SYSFS/nr_vms"; echo 0 >"$OVC_SYSFS/policy_run"
mkvm 5 $ram1 $size $((1024 * mib))
once_conf() {	# once_conf URI: [vm t] on domain "test", file $ram1
	printf '[global]\nlibvirt_uri = %s\n[vm t]\ndomain = test\nfile = %s\n' "$1" "$tmp/$ram1"
}
once_conf test:///default >"$tmp/once.conf"
"$OVCD" -v -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "--once against test:///default exits 0" test $? -eq 0
ok "... sends the target as the guest's size in KiB (VM size - target)" \
	grep -qxF "ovcd: t: balloon target $((1024 * mib)) pages: balloon value=$((1024 << 20))" "$tmp/once.err"
ok "... the domain's memory changed: ACTUAL_BALLOON reported as balloon_actual_pages" \
	is 5/balloon_actual_pages $((1024 * mib))
ok "... UNUSED and AVAILABLE reported as guest_free_pages and guest_total_pages" \
	bash -c "$(declare -f is); is 5/guest_free_pages $((512 * mib)) && is 5/guest_total_pages $((1024 * mib))"
ok "... one line saying how it is served" count "$tmp/once.err" "ovcd: t: serving: libvirt domain test (id 1) on test:///default" 1
sed -i 's/^domain = test$/domain = nosuch/' "$tmp/once.conf"
"$OVCD" -c "$tmp/once.conf" --once 2>"$tmp/once.err"
ok "an unknown domain: --once exits 1, one line naming it" \
	grep -qxF "ovcd: t: libvirt: domain nosuch: Domain not found" <(test $? -eq 1 && cat "$tmp/once.err")
# domain = alone: the file found in the domain's directory, by its id
printf '[global]\nlibvirt_uri = test:///default\nlibvirt_memory_backing_dir = %s\n[vm t]\ndomain = test\n' \
	"$tmp/ovc" >"$tmp/dom.conf"
echo $((700 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
"$OVCD" -v -c "$tmp/dom.conf" --once 2>"$tmp/once.err"
ok "domain = without file =: --once finds domain 1's RAM in 1-test/ and serves it" \
	bash -c "test $? -eq 0 && grep -qxF 'ovcd: t: balloon target $((700 * mib)) pages: balloon value=$((1348 << 20))' '$tmp/once.err'"
ok "... its report goes to that file's VM" is 5/balloon_actual_pages $((700 * mib))
mkvm 9 ovc/elsewhere/pc.ram $size 0
printf 'file = %s\n' "$tmp/ovc/elsewhere/pc.ram" >>"$tmp/dom.conf"
"$OVCD" -c "$tmp/dom.conf" --once 2>"$tmp/once.err"
ok "file = that is not the domain's RAM: --once exits 1, one line naming the field" \
	grep -qxF "ovcd: t: file: $tmp/ovc/elsewhere/pc.ram is not the RAM of libvirt domain test (id 1) on test:///default, which is $tmp/$ram1" \
	<(test $? -eq 1 && cat "$tmp/once.err")
printf '[global]\nlibvirt_uri = test:///default\nlibvirt_memory_backing_dir = %s\n[vm t]\ndomain = test\n' \
	"$tmp/nowhere" >"$tmp/dom.conf"
"$OVCD" -c "$tmp/dom.conf" --once 2>"$tmp/once.err"
ok "domain = alone, no directory for it: --once exits 1, one line saying where it looked" \
	grep -qxF "ovcd: t: libvirt: domain test (id 1): no file on ovcfs in $tmp/nowhere/libvirt/qemu/1-*" \
	<(test $? -eq 1 && cat "$tmp/once.err")
echo $((1024 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
if command -v valgrind >/dev/null; then
	once_conf test:///default >"$tmp/once.conf"
	ok "--once with libvirt is valgrind-clean" valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=9 "$OVCD" -c "$tmp/once.conf" --once
else
	skip "--once with libvirt is valgrind-clean" "no valgrind"
fi

# --- the daemon: discovery, lifecycle events ---------------------------------
mkfifo "$tmp/ctl"
{ printf '[global]\nlibvirt_uri = test:///default\nlibvirt_discover = on\n'
  printf 'libvirt_memory_backing_dir = %s\npoll_interval_ms = 200\nstats_interval_s = 1\n' "$tmp/ovc"; } >"$tmp/d.conf"
echo $((1024 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
OVCD_FAKE_LIBVIRT=$tmp/ctl "$OVCD" -f -v -c "$tmp/d.conf" 2>"$tmp/d.err" &
daemon_pid=$!
exec 7>"$tmp/ctl"
ok "discovery finds domain 1 \"test\" by libvirt's path for its RAM" wait_for 5 grep -qxF \
	"ovcd: test: found: libvirt domain test, RAM $tmp/$ram1" "$tmp/d.err"
ok "... and serves it" wait_for 5 grep -qxF "ovcd: test: serving: libvirt domain test (id 1) on test:///default" "$tmp/d.err"
echo $((512 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
ok "a new target in the module: the domain's current memory follows (virDomainSetMemoryFlags)" \
	wait_for 5 bash -c "echo 'memory test' >&7; sleep 0.2; grep -qxF 'fake-libvirt: test memory $((1536 << 10)) KiB' '$tmp/d.err'"
ok "... and the report follows it" wait_for 5 is 5/balloon_actual_pages $((512 * mib))
ok "... the guest's statistics too" wait_for 5 is 5/guest_total_pages $((1536 * mib))
mark=$(wc -l <"$tmp/d.err")
echo "destroy test" >&7
ok "the domain destroyed (a lifecycle event): ovcd drops it" wait_for 5 grep -qxF \
	"ovcd: test: dropped: libvirt domain no longer running" "$tmp/d.err"
mkvm 6 $ram2 $size $((256 * mib))
echo "start test" >&7
ok "started again as domain 2: found at its new path" wait_for 5 grep -qxF \
	"ovcd: test: found: libvirt domain test, RAM $tmp/$ram2" "$tmp/d.err"
ok "... served" wait_for 5 grep -qxF "ovcd: test: serving: libvirt domain test (id 2) on test:///default" "$tmp/d.err"
ok "... and given its target" wait_for 5 is 6/balloon_actual_pages $((256 * mib))
ok "one 'found' per start, one 'dropped' per stop, no error" bash -c "
	tail -n +$((mark + 1)) '$tmp/d.err' >'$tmp/new.err'
	$(declare -f count); count '$tmp/new.err' ': found:' 1 && count '$tmp/new.err' ': dropped:' 1 &&
	count '$tmp/d.err' 'libvirt: cannot' 0"
echo $((128 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
ok "the dropped VM's file is no longer served" bash -c "sleep 1; $(declare -f is); is 5/balloon_actual_pages $((512 * mib))"
kill -HUP $daemon_pid
ok "SIGHUP: reconnects and finds the domain again" wait_for 5 bash -c \
	"test \$(grep -cxF 'ovcd: test: found: libvirt domain test, RAM $tmp/$ram2' '$tmp/d.err') -eq 2"
kill -TERM $daemon_pid
start=$SECONDS
wait $daemon_pid; rc=$?
daemon_pid=
exec 7>&-
ok "SIGTERM: exit 0 within 2 s" test $rc -eq 0 -a $((SECONDS - start)) -le 2

if command -v valgrind >/dev/null; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		"$OVCD" -f -c "$tmp/d.conf" 2>"$tmp/vg.err" &
	daemon_pid=$!
	wait_for 20 grep -qF "ovcd: test: serving:" "$tmp/vg.err"
	kill -HUP $daemon_pid
	wait_for 20 test "$(grep -c "ovcd: test: serving:" "$tmp/vg.err")" -eq 2
	kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
	daemon_pid=
	ok "the daemon with discovery is valgrind-clean through SIGHUP and SIGTERM" \
		bash -c "test $rc -eq 0 && ! grep '^==' '$tmp/vg.err'"
else
	skip "the daemon with discovery is valgrind-clean through SIGHUP and SIGTERM" "no valgrind"
fi

# --- libvirt not there at first ----------------------------------------------
xml=$tmp/custom.xml
rm -rf "$OVC_SYSFS/vms/6"
{ printf '[global]\nlibvirt_uri = test://%s\npoll_interval_ms = 200\n' "$xml"
  printf '[vm c]\ndomain = cust\nfile = %s\n' "$tmp/$ram1"; } >"$tmp/r.conf"
OVCD_FAKE_LIBVIRT_TRACE=1 "$OVCD" -f -c "$tmp/r.conf" 2>"$tmp/r.err" &
daemon_pid=$!
ok "no libvirt: one line for the connection" wait_for 5 count "$tmp/r.err" \
	"ovcd: libvirt: cannot connect to test://$xml: XML error: failed to parse xml document '$xml'" 1
ok "... one for the VM" wait_for 5 count "$tmp/r.err" "ovcd: c: libvirt: cannot connect to test://$xml" 1
ok "... retried at once, then after 0.5 s, 1 s, 2 s (backoff doubling)" \
	wait_for 6 gaps "$tmp/r.err" "fake-libvirt: virConnectOpen test://$xml at" 500 1000 2000
cat >"$xml.new" <<EOF
<node>
  <domain type='test'>
    <name>cust</name>
    <memory unit='KiB'>4194304</memory>
    <currentMemory unit='KiB'>2097152</currentMemory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices><memballoon model='virtio'/></devices>
  </domain>
</node>
EOF
echo $((768 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
mv "$xml.new" "$xml"
ok "libvirt there: ovcd connects (backoff, not a busy loop)" wait_for 10 grep -qxF \
	"ovcd: libvirt: connected to test://$xml (recovered)" "$tmp/r.err"
ok "... and serves the VM" wait_for 5 is 5/balloon_actual_pages $((768 * mib))
ok "... the failure logged once, not once per retry" count "$tmp/r.err" "ovcd: libvirt: cannot connect" 1
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... SIGTERM: exit 0" test $rc -eq 0

# --- a failed listing of the domains is retried ------------------------------
OVCD_FAKE_LIBVIRT_FAIL_LIST=3 OVCD_FAKE_LIBVIRT_TRACE=1 "$OVCD" -f -c "$tmp/d.conf" 2>"$tmp/l.err" &
daemon_pid=$!
ok "virConnectListAllDomains fails 3 times: retried until discovery finds the domain" wait_for 10 grep -qxF \
	"ovcd: test: found: libvirt domain test, RAM $tmp/$ram1" "$tmp/l.err"
ok "... after 0.5 s, 1 s, 2 s (backoff doubling)" gaps "$tmp/l.err" "fake-libvirt: virConnectListAllDomains" 500 1000 2000
ok "... the failure logged once" count "$tmp/l.err" "ovcd: libvirt: cannot list the domains of test:///default: " 1
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... SIGTERM: exit 0" test $rc -eq 0

# --- a hung domain: its libvirt call blocks ----------------------------------
mkfifo "$tmp/ctl3"
mkvm 6 $ram2 $size $((64 * mib))
echo $((32 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
OVCD_FAKE_LIBVIRT=$tmp/ctl3 "$OVCD" -f -c "$tmp/d.conf" 2>"$tmp/h.err" &
daemon_pid=$!
exec 7<>"$tmp/ctl3"
wait_for 5 grep -qF "ovcd: test: serving: libvirt domain test (id 1)" "$tmp/h.err"
echo "hang test" >&7
ok "a hung domain: ovcd's virDomainMemoryStats blocks" wait_for 5 grep -qxF "fake-libvirt: test (id 1) hangs" "$tmp/h.err"
echo "destroy test" >&7
ok "... destroyed: dropped at once, the event thread does not wait for the stuck VM thread" \
	wait_for 3 grep -qxF "ovcd: test: dropped: libvirt domain no longer running" "$tmp/h.err"
echo "start test" >&7
ok "... started again (id 2): found and served while the old thread is stuck" \
	wait_for 5 is 6/balloon_actual_pages $((64 * mib))
kill -HUP $daemon_pid
ok "SIGHUP with a thread stuck in libvirt: ovcd re-executes itself within 3 s (one line) and serves again" \
	wait_for 8 bash -c "grep -q 'ovcd: reload: .*re-executing' '$tmp/h.err' &&
		test \$(grep -c 'ovcd: test: found: libvirt domain test, RAM $tmp/$ram1' '$tmp/h.err') -eq 2"
ok "... the same process" kill -0 $daemon_pid
sleep 1
echo "hang test" >&7
wait_for 5 test "$(grep -c 'fake-libvirt: test (id 1) hangs' "$tmp/h.err")" -eq 2
kill -TERM $daemon_pid
start=$SECONDS
wait_for 6 bash -c "! kill -0 $daemon_pid"
kill -KILL $daemon_pid 2>/dev/null
wait $daemon_pid; rc=$?
daemon_pid=
exec 7>&-
ok "SIGTERM with a thread stuck in libvirt: exit 0 within 3 s (+1), saying so" \
	bash -c "test $rc -eq 0 -a $((SECONDS - start)) -le 4 && grep -q 'ovcd: test: .*still in a call' '$tmp/h.err'"

# --- a [vm] section with domain = alone follows the domain's restarts ---------
mkvm 6 $ram2 $size $((400 * mib))
for v in 5 6; do echo 1000 >"$OVC_SYSFS/vms/$v/shares"; echo 0 >"$OVC_SYSFS/vms/$v/min_pages"; echo $size >"$OVC_SYSFS/vms/$v/max_pages"; done
mkfifo "$tmp/ctl2"
{ printf '[global]\nlibvirt_uri = test:///default\nlibvirt_memory_backing_dir = %s\n' "$tmp/ovc"
  printf 'poll_interval_ms = 200\nstats_interval_s = 1\n[vm t]\ndomain = test\nshares = 1500\n'; } >"$tmp/f.conf"
echo $((300 * mib)) >"$OVC_SYSFS/vms/5/balloon_target_pages"
OVCD_FAKE_LIBVIRT=$tmp/ctl2 OVCD_FAKE_LIBVIRT_TRACE=1 "$OVCD" -f -c "$tmp/f.conf" 2>"$tmp/f.err" &
daemon_pid=$!
exec 7<>"$tmp/ctl2"
ok "domain = alone, the daemon: served as domain 1, its file found" wait_for 5 grep -qxF \
	"ovcd: t: serving: libvirt domain test (id 1) on test:///default" "$tmp/f.err"
ok "... given its target" wait_for 5 is 5/balloon_actual_pages $((300 * mib))
ok "virDomainSetMemoryFlags was given KiB: (size - target) pages x $((pg / 1024)), VIR_DOMAIN_AFFECT_LIVE" \
	grep -qxF "fake-libvirt: virDomainSetMemoryFlags test $(((size - 300 * mib) * (pg / 1024))) KiB flags 1" "$tmp/f.err"
echo "actual test 1048576" >&7	# the balloon on its way: 1 GiB left to the guest, not 1748 MiB
ok "ACTUAL_BALLOON, not the current memory, is the balloon's size" wait_for 5 is 5/balloon_actual_pages $((1024 * mib))
echo "actual test none" >&7
ok "... without ACTUAL_BALLOON: virDomainGetInfo's memory" wait_for 5 is 5/balloon_actual_pages $((300 * mib))
echo "actual test real" >&7
echo "destroy test" >&7
echo "start test" >&7
# one line or the other, as the pass that met the stopped domain failed or not
ok "restarted as domain 2: the section follows it to 2-test/pc.ram, VM 6" wait_for 10 grep -qxF \
	-e "ovcd: t: serving: libvirt domain test (id 2) on test:///default (recovered)" \
	-e "ovcd: t: file: $tmp/$ram2 is now VM 6 (was 5)" "$tmp/f.err"
ok "... gives VM 6 its target" wait_for 5 is 6/balloon_actual_pages $((400 * mib))
ok "... and its shares (a new VM id)" is 6/shares 1500
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
exec 7>&-
ok "... SIGTERM: exit 0" test $rc -eq 0

# --- discovery: the directory by the domain's id, whatever its name ---------
# libvirt names it <id>-<name cut to 20 characters>, the cut depending on
# libvirtd's locale (mbstowcs): in the C locale a non-ASCII name is cut at 20
# bytes, through a character.  ovcd matches the "<id>-" prefix alone.
long=a-very-long-domain-name-beyond-twenty
uni=$(printf 'd\303\266m\303\244in-\303\261\303\244m\303\251-\303\274n\303\257c\303\266d\303\251-x')
uni2=$(printf '\303\251t\303\251-\303\274n\303\257c\303\266d\303\251-\303\261\303\244m\303\251-long')
names_xml=$tmp/names.xml
{ echo '<node>'
  for d in "$long" "$uni" "$uni2"; do
	printf "<domain type='test'><name>%s</name><memory unit='KiB'>4194304</memory>" "$d"
	printf "<currentMemory unit='KiB'>2097152</currentMemory><vcpu>1</vcpu><os><type>hvm</type></os>"
	printf "<devices><memballoon model='virtio'/></devices></domain>\n"
  done
  echo '</node>'; } >"$names_xml"
dir_long=names/libvirt/qemu/1-${long:0:20}
dir_uni=names/libvirt/qemu/2-$(printf '%s' "$uni" | head -c 20)	# 20 bytes: the C locale's cut
dir_uni2=names/libvirt/qemu/3-$(LC_ALL=C.UTF-8 bash -c 'printf "%s" "${1:0:20}"' _ "$uni2")	# 20 characters
mkvm 11 "$dir_long/pc.ram" $size $((100 * mib))
mkvm 12 "$dir_uni/pc.ram" $size $((200 * mib))
mkvm 13 "$dir_uni2/pc.ram" $size $((300 * mib))
mkdir -p "$tmp/names/libvirt/qemu/11-other"	# another domain's id that starts alike
{ printf '[global]\nlibvirt_uri = test://%s\nlibvirt_discover = on\n' "$names_xml"
  printf 'libvirt_memory_backing_dir = %s\npoll_interval_ms = 200\nstats_interval_s = 1\n' "$tmp/names"; } >"$tmp/n.conf"
"$OVCD" -f -c "$tmp/n.conf" 2>"$tmp/n.err" &
daemon_pid=$!
ok "discovery: a name longer than 20 characters, found by its id's directory" wait_for 5 grep -qxF \
	"ovcd: $long: found: libvirt domain $long, RAM $tmp/$dir_long/pc.ram" "$tmp/n.err"
ok "... and served" wait_for 5 is 11/balloon_actual_pages $((100 * mib))
ok "discovery: a non-ASCII name cut at 20 bytes (libvirtd in the C locale)" wait_for 5 grep -qxF \
	"ovcd: $uni: found: libvirt domain $uni, RAM $tmp/$dir_uni/pc.ram" "$tmp/n.err"
ok "... and served" wait_for 5 is 12/balloon_actual_pages $((200 * mib))
ok "discovery: a non-ASCII name cut at 20 characters (a UTF-8 locale)" wait_for 5 grep -qxF \
	"ovcd: $uni2: found: libvirt domain $uni2, RAM $tmp/$dir_uni2/pc.ram" "$tmp/n.err"
ok "... and served" wait_for 5 is 13/balloon_actual_pages $((300 * mib))
kill -TERM $daemon_pid; wait $daemon_pid; rc=$?
daemon_pid=
ok "... no error, SIGTERM: exit 0" bash -c "test $rc -eq 0 && ! grep -v -e ': found: ' -e ': serving: ' -e 'libvirt: connected to' -e 'no keepalive' -e 'ovcd: stopped' -e 'policy_run = 1' '$tmp/n.err'"

ok "the installed ovcd holds no libvirt test client" bash -c \
	"test -x '$here/ovcd' && nm '$here/ovcd' >'$tmp/nm' && ! grep -q fake_ '$tmp/nm' && ! grep -qa OVCD_FAKE_LIBVIRT '$here/ovcd'"
ok "ovcd.8 documents the libvirt backend" bash -c \
	"grep -q '^\.B libvirt_discover' '$here/ovcd.8' && grep -q '^\.B domain' '$here/ovcd.8' && man -l '$here/ovcd.8' >/dev/null 2>&1"

exit $((failed > 0))
