#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nested_libvirt.sh: libvirt end to end, run INSIDE the test VM (as
# selftests/nested_balloon.sh).  Debian's libvirtd (9.0) runs with qemu.conf's
# memory_backing_dir on ovcfs ($OVC_MNT) and a domain like README's (RAM a
# shared file, a virtio balloon with free page reporting), booting memtest's
# balloon scenario (selftests/guest/memtest.c, ovc_mode=balloon) by direct
# kernel boot.  Prints TAP.
#
#  1. README's domain validates (virsh define --validate; not started).
#     virsh define + start: the domain's RAM is a file libvirt made in its
#     per-domain directory on ovcfs, and ovc serves it as a VM.
#  2. virsh setmem shrinks the guest: resident_pages falls by >= 90 % of it,
#     and virsh dommemstat's balloon agrees with ovc's balloon_pages.
#  3. ovcd (libvirt backend, discovery only: no [vm] section) finds the
#     domain by its directory, reports the balloon libvirt reports, and
#     carries ovc's own target to it (virDomainSetMemoryFlags).
#  4. libvirtd restarts under ovcd: ovcd reconnects and carries the next
#     target.
#  5. The guest refills and verifies its memory and powers off: libvirt
#     removes the directory, ovc's counts go back.
#  6. virsh start again, then virsh destroy while it runs: no page left.
#
# libvirtd runs in a mount namespace of its own over the read-only root:
# tmpfs state directories, an /etc/passwd with the libvirt-qemu user
# (Debian's libvirt-daemon-system makes it; the test VM's root is the build
# machine's, which has libvirtd from libvirt-daemon, not -system).  The
# ovcfs mount is the same superblock in both namespaces.  qemu.conf: QEMU as
# root, no security driver, no cgroups, no namespaces, logs to files (no
# virtlogd): the test VM has no systemd, D-Bus or AppArmor.  A UTS namespace
# too, for a host name in /etc/hosts (the test VM has none, which libvirt
# warns about).
#
# Env: OVC_MNT (/run/ovc), OVC_BUILD (guest initramfs in $OVC_BUILD/guest),
# OVC_VMLINUX (guest kernel), OVC_REPO (ovcd, ovcctl in userspace-ctl/),
# OVC_GUEST_TIMEOUT (per guest boot, 150 s).
set -u
# shellcheck source=selftests/lib/nested.sh
source "$(dirname "$0")/lib/nested.sh"
# shellcheck source=selftests/lib/poll.sh
source "$(dirname "$0")/lib/poll.sh"
nested_paths
ovcd=$repo/userspace-ctl/ovcd ovcctl=$repo/userspace-ctl/ovcctl
gtimeout=${OVC_GUEST_TIMEOUT:-150}
size_mb=256
size_pages=$((size_mb * 256))
WINDOW_S=15		# as nested_balloon.sh: the host sees a change within
# A name longer than libvirt's 20-character cut, with a dot: the per-domain
# directory is "<id>-<short name>" (virDomainDefGetShortName).
dom=ovc.libvirt-test-guest-1
tmp=/tmp/nested-libvirt
log=$tmp/guest.log ctl=$tmp/ctl dlog=$tmp/ovcd.log lvlog=$tmp/libvirtd.log
export LIBVIRT_DEFAULT_URI=qemu:///system
n=0 failed=0 lpid='' dpid=''

echo "TAP version 13"
nested_need_kvm || exit 1
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "1..1"
	echo "not ok 1 libvirtd and virsh installed (make deps: libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients)"
	exit 1
fi
echo "1..16"
rm -rf "$tmp"
mkdir -p "$tmp"/{etc,lib/libvirt,cache,log}
poll_init "$tmp"

show_log() { tr -d '\r' <"$log" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/#   /' | tail -n "$1"; }
has() { has_in "$log" "$1"; }
marker_num() { tr -d '\r' <"$log" | grep -o "$1.*" | head -n1 | awk '{ print $2 + 0 }'; }
go() { echo go 1<>"$ctl.in"; }	# O_RDWR: never blocks, QEMU holds the reader
# lv_errors: libvirtd's error and warning lines, but those this setup
# causes: no dnsmasq or D-Bus (the network driver's, at start), no security
# driver, QEMU as root ("tainted: high-privileges").
lv_errors() {
	grep -E ': (error|warning) :' "$lvlog" 2>/dev/null |
		grep -vE 'dnsmasq|DBus|system bus|security driver "none"|tainted: high-privileges' |
		tail -n "${1:-5}"
}

# libvirtd_start: libvirtd in its own mount namespace (above); waits until
# virsh gets an answer (the first start probes QEMU's capabilities).
libvirtd_start() {
	cp /etc/passwd /etc/group /etc/hosts "$tmp/"
	echo "127.0.1.1 ovc-libvirt-test" >>"$tmp/hosts"
	echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$tmp/passwd"
	echo "libvirt-qemu:x:64055:" >>"$tmp/group"
	cat >"$tmp/etc/qemu.conf" <<-EOF
		memory_backing_dir = "$mnt"
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		security_driver = "none"
		namespaces = [ ]
		cgroup_controllers = [ ]
		stdio_handler = "file"
	EOF
	cat >"$tmp/etc/libvirtd.conf" <<-EOF
		auth_unix_rw = "none"
		auth_unix_ro = "none"
		log_outputs = "3:file:$lvlog"
	EOF
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m -u --propagation private bash -c '
		t=$1
		hostname ovc-libvirt-test &&
		mount --bind "$t/passwd" /etc/passwd &&
		mount --bind "$t/group" /etc/group &&
		mount --bind "$t/hosts" /etc/hosts &&
		mount --bind "$t/etc" /etc/libvirt &&
		mount --bind "$t/lib" /var/lib &&
		mount --bind "$t/cache" /var/cache &&
		mount --bind "$t/log" /var/log &&
		exec libvirtd' sh "$tmp" >>"$tmp/libvirtd.out" 2>&1 &
	lpid=$!
	for _ in {1..600}; do
		kill -0 "$lpid" 2>/dev/null || return 1
		virsh -q version >/dev/null 2>&1 && return 0
		nap
	done
	return 1
}
libvirtd_stop() {
	[[ -n $lpid ]] || return 0
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	lpid=''
}

cleanup() {
	[[ -n $dpid ]] && kill "$dpid" 2>/dev/null
	virsh -q destroy "$dom" >/dev/null 2>&1
	virsh -q undefine "$dom" >/dev/null 2>&1
	libvirtd_stop
	wait 2>/dev/null
}
trap cleanup EXIT

# dommem <key>: a value of virsh dommemstat (KiB), or "".
dommem() { virsh -q dommemstat "$dom" 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
dommem_is() { [[ $(dommem actual) == "$1" ]]; }
# vm_dir <id>: ovc's vms/<n> directory of domain <id>'s RAM file.
vm_dir() {
	local d name
	for d in "$sys"/vms/*/; do
		name=''
		read -r name 2>/dev/null <"$d/name"
		[[ $name == "/libvirt/qemu/$1-"* ]] && { echo "${d%/}"; return 0; }
	done
	return 1
}
# wait_guest <marker>: until the guest printed it; fails early if the domain stopped.
wait_guest() {
	local end=$((SECONDS + gtimeout))
	while ((SECONDS < end)); do
		has "$1" && return 0
		[[ $(virsh -q domstate "$dom" 2>/dev/null) == running ]] || { has "$1"; return; }
		sleep 0.5
	done
	return 1
}
domain_xml() {
	cat <<-EOF
		<domain type='kvm'>
		  <name>$dom</name>
		  <memory unit='MiB'>$size_mb</memory>
		  <currentMemory unit='MiB'>$size_mb</currentMemory>
		  <vcpu placement='static' cpuset='$(($(nproc) - 1))'>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='q35'>hvm</type>
		    <kernel>$kernel</kernel>
		    <initrd>$initrd</initrd>
		    <cmdline>console=ttyS0 quiet panic=-1 ovc_mode=balloon ovc_mb=0 ovc_seed=7</cmdline>
		  </os>
		  <features><acpi/><apic/></features>
		  <cpu mode='host-passthrough'/>
		  <memoryBacking>
		    <source type='file'/>
		    <access mode='shared'/>
		    <allocation mode='immediate'/>
		  </memoryBacking>
		  <on_poweroff>destroy</on_poweroff>
		  <on_reboot>destroy</on_reboot>
		  <on_crash>destroy</on_crash>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <controller type='usb' model='none'/>
		    <serial type='file'><source path='$log'/><target port='0'/></serial>
		    <serial type='pipe'><source path='$ctl'/><target port='1'/></serial>
		    <memballoon model='virtio' freePageReporting='on'>
		      <stats period='2'/>
		    </memballoon>
		  </devices>
		</domain>
	EOF
}
# start_domain: virsh start; DOMID, DIR (ovc's vms/<n>) and RAMDIR (libvirt's
# per-domain directory) once ovc serves the file.
start_domain() {
	local out
	rm -f "$ctl.in" "$ctl.out" "$log"
	mkfifo "$ctl.in" "$ctl.out"
	out=$(virsh -q start "$dom" 2>&1) || { echo "# virsh start: $out"; return 1; }
	DOMID=$(virsh -q domid "$dom")
	for _ in {1..300}; do DIR=$(vm_dir "$DOMID") && break; nap; done
	[[ -n $DIR ]] || return 1
	RAMDIR=$mnt$(cat "$DIR/name")
	RAMDIR=${RAMDIR%/*}
}

base_res=$(nested_val pages_resident) base_bal=$(nested_val balloon_pages)

# ------------------------------------------------------------ 1: start --
t0=$EPOCHREALTIME
if libvirtd_start; then
	elapsed "$t0"
	nested_tap ok "libvirtd: $(virsh -q version 2>/dev/null | grep -m1 'Running hypervisor' | sed 's/.*: *//'), memory_backing_dir $mnt, up in ${REPLY}s"
else
	nested_tap "not ok" "libvirtd started and answers virsh" \
		"$(tail -n 10 "$tmp/libvirtd.out" 2>/dev/null)" "$(lv_errors 10)"
	exit 1
fi
# README's own domain (a disk and a network this VM does not have: defined
# with libvirt's schema validation, not started).
awk '/^## libvirt/ { l = 1 } l && /^```xml/ { x = 1; next } x && /^```/ { exit } x' \
	"$repo/README.md" >"$tmp/web.xml"
if out=$(virsh -q define --validate "$tmp/web.xml" 2>&1) &&
   virsh -q dumpxml web 2>/dev/null | grep -q "<access mode='shared'/>" &&
   virsh -q undefine web >/dev/null 2>&1; then
	nested_tap ok "README's domain: virsh define --validate accepts it ($(grep -c . "$tmp/web.xml") lines)"
else
	nested_tap "not ok" "README's domain: virsh define --validate accepts it" "$out" \
		"$(head -n 5 "$tmp/web.xml")"
fi
domain_xml >"$tmp/$dom.xml"
if out=$(virsh -q define "$tmp/$dom.xml" 2>&1); then
	nested_tap ok "virsh define: $dom (README's memoryBacking and memballoon)"
else
	nested_tap "not ok" "virsh define $dom" "$out"
fi
DIR='' DOMID=''
if start_domain; then
	rd "$DIR/size_pages"
	nested_tap ok "virsh start: ovc serves the RAM file $(cat "$DIR/name") (${DIR##*/}, $REPLY pages) in libvirt's directory $RAMDIR"
else
	nested_tap "not ok" "virsh start: ovc serves a file under $mnt/libvirt/qemu/$DOMID-*" \
		"$(ls -R "$mnt" 2>&1 | head -n 10)" "$(lv_errors)" "$(show_log 10)"
	exit 1
fi
if wait_guest OVC-GUEST-FILLED; then
	nested_tap ok "guest booted, loaded virtio_balloon (resident_pages $(val "$DIR/resident_pages") of $size_pages)"
else
	nested_tap "not ok" "guest booted and loaded virtio_balloon" "$(show_log 20)" "$(lv_errors)"
	exit 1
fi

# ------------------------------------------------------- 2: virsh setmem --
half=$((size_pages / 2))
r0=$(val "$DIR/resident_pages") b0=$(val "$DIR/balloon_pages")
out=$(virsh -q setmem "$dom" $((size_mb / 2))M --live 2>&1)
t=$(wait_until $WINDOW_S le "$DIR/resident_pages" $((r0 - half * 9 / 10)))
if [[ $t != timeout ]]; then
	nested_tap ok "virsh setmem $((size_mb / 2))M: resident_pages fell by >= 90 % of it in ${t}s ($r0 -> $(val "$DIR/resident_pages"))"
else
	nested_tap "not ok" "virsh setmem $((size_mb / 2))M: resident_pages fell by >= 90 % of it within ${WINDOW_S}s" \
		"$out" "resident $r0 -> $(val "$DIR/resident_pages")" "$(show_log 5)"
fi
wait_until $WINDOW_S dommem_is $((size_mb * 1024 / 2)) >/dev/null
# ovc's balloon_pages counts the holes QEMU punched: the balloon's pages and
# the free pages the guest reported (free page reporting is on), which are
# at most the guest's free memory ("unused").
actual=$(dommem actual) unused=$(dommem unused) bal=$(val "$DIR/balloon_pages")
if [[ $actual == $((size_mb * 1024 / 2)) ]] &&
   ((bal - b0 >= half * 9 / 10 && bal - b0 <= half + ${unused:-0} / 4)); then
	nested_tap ok "virsh dommemstat: actual ${actual} KiB; ovc's balloon_pages rose by $((bal - b0)): the $half pages libvirt ballooned and reported free ones (guest unused ${unused} KiB)"
else
	nested_tap "not ok" "virsh dommemstat agrees with ovc" \
		"actual '$actual' KiB (want $((size_mb * 1024 / 2))), balloon_pages $b0 -> $bal (want +$((half * 9 / 10))..+$half + unused/4)" \
		"$(virsh -q dommemstat "$dom" 2>&1 | tr '\n' ' ')"
fi

# ------------------------------------------------------------- 3: ovcd --
# ovc's target first equals the balloon libvirt made, so that ovcd's first
# carry changes nothing; then ovc asks for more.
"$ovcctl" balloon "${DIR##*/}" "${half}p"
cat >"$tmp/ovcd.conf" <<-EOF
	[global]
	poll_interval_ms = 200
	stats_interval_s = 1
	policy = off
	libvirt_uri = qemu:///system
	libvirt_discover = on
	libvirt_memory_backing_dir = $mnt
EOF
"$ovcd" -f -v -c "$tmp/ovcd.conf" 2>"$dlog" &
dpid=$!
t=$(wait_until $WINDOW_S near "$DIR/balloon_actual_pages" "$half" 0)
wait_until 5 ge "$DIR/guest_total_pages" 1 >/dev/null
if [[ $t != timeout ]] && ge "$DIR/guest_total_pages" 1; then
	nested_tap ok "ovcd found the domain (no [vm] section) and reported libvirt's balloon in ${t}s: balloon_actual_pages $half, guest free $(val "$DIR/guest_free_pages") of $(val "$DIR/guest_total_pages") pages"
else
	nested_tap "not ok" "ovcd found the domain and reported balloon_actual_pages $half and the guest's statistics" \
		"balloon_actual_pages $(val "$DIR/balloon_actual_pages"), guest_total_pages $(val "$DIR/guest_total_pages")" \
		"$(tail -n 8 "$dlog")"
fi
more=$((size_pages * 5 / 8))
r0=$(val "$DIR/resident_pages")
"$ovcctl" balloon "${DIR##*/}" "${more}p"
t=$(wait_until $WINDOW_S dommem_is $(((size_pages - more) * 4)))
# Resident: at most what the balloon leaves (the guest's reported free pages
# are punched already, so the fall from r0 can be smaller than the growth).
if [[ $t != timeout ]] && wait_until $WINDOW_S near "$DIR/balloon_actual_pages" "$more" 0 >/dev/null &&
   wait_until $WINDOW_S le "$DIR/resident_pages" $((size_pages - more)) >/dev/null; then
	nested_tap ok "ovc's target $more pages: libvirt's balloon followed in ${t}s (actual $(dommem actual) KiB), resident_pages $r0 -> $(val "$DIR/resident_pages")"
else
	nested_tap "not ok" "ovc's target $more pages reached libvirt's balloon (actual $(((size_pages - more) * 4)) KiB) and resident_pages <= $((size_pages - more))" \
		"actual '$(dommem actual)' KiB, balloon_actual_pages $(val "$DIR/balloon_actual_pages"), resident $r0 -> $(val "$DIR/resident_pages")" \
		"$(tail -n 8 "$dlog")"
fi
line=$("$ovcctl" status -r -n -b -o ID,TARGET,ACTUAL 2>&1 | awk -v id="${DIR##*/}" '$1 == id')
if [[ $line == "${DIR##*/} $((more * 4096)) $((more * 4096))" ]]; then
	nested_tap ok "ovcctl status: VM ${DIR##*/} target and actual $((more * 4096)) bytes"
else
	nested_tap "not ok" "ovcctl status shows the domain's target and actual" "got '$line'"
fi

# -------------------------------------------------- 4: libvirtd restarts --
libvirtd_stop
if libvirtd_start && [[ $(virsh -q domstate "$dom" 2>/dev/null) == running ]]; then
	"$ovcctl" balloon "${DIR##*/}" 0
	t=$(wait_until 30 dommem_is $((size_mb * 1024)))
	if [[ $t != timeout ]] && wait_until $WINDOW_S near "$DIR/balloon_actual_pages" 0 0 >/dev/null; then
		nested_tap ok "libvirtd restarted: ovcd reconnected and deflated the balloon to ovc's target 0 in ${t}s"
	else
		nested_tap "not ok" "after libvirtd restarted, ovcd carried ovc's target 0 (actual $((size_mb * 1024)) KiB)" \
			"actual '$(dommem actual)', balloon_actual_pages $(val "$DIR/balloon_actual_pages")" "$(tail -n 8 "$dlog")"
	fi
else
	nested_tap "not ok" "libvirtd restarted and still runs $dom" "$(lv_errors)"
fi
kill "$dpid"
wait "$dpid"
drc=$? dpid=''
# The restart is the closed connection, failed connects while libvirtd was
# down, and the recovery; any other line is an error.
errs=$(grep -vE 'balloon target|balloon [0-9]+ pages, guest free|policy: policy_run|found: libvirt domain|libvirt: connected|serving:|connection to .* closed|the connection was closed|cannot connect to qemu:///system: Failed to connect socket|ovcd: stopped' "$dlog")
if ((drc == 0)) && grep -q 'libvirt: connection to .* closed' "$dlog" &&
   (($(grep -c 'libvirt: connected' "$dlog") >= 2)) && [[ -z $errs ]]; then
	nested_tap ok "ovcd: logged the lost connection and the reconnect, nothing else, exit 0 on SIGTERM"
else
	nested_tap "not ok" "ovcd: lost connection and reconnect logged, no other error, exit 0 (rc=$drc)" \
		"${errs:-(no other line)}" "$(head -n 20 "$dlog")"
fi

# ------------------------------------------------- 5: verify, power off --
go
if wait_guest OVC-GUEST-OK; then
	nested_tap ok "guest refilled and verified $(($(marker_num OVC-GUEST-OK) / 256)) MiB after the balloon deflated"
else
	nested_tap "not ok" "guest refilled and verified its memory" "$(show_log 30)"
fi
gone() {
	[[ $(virsh -q domstate "$dom" 2>/dev/null) == "shut off" && ! -e $RAMDIR ]] &&
		! vm_dir "$DOMID" >/dev/null
}
if wait_until 30 gone >/dev/null && settles "$sys/pages_resident" "$base_res" &&
   settles "$sys/balloon_pages" "$base_bal"; then
	nested_tap ok "guest powered off: libvirt removed $RAMDIR, ovc's pages_resident and balloon_pages back to $base_res, $base_bal"
else
	nested_tap "not ok" "after power off: domain shut off, $RAMDIR removed, counts back" \
		"state '$(virsh -q domstate "$dom" 2>&1)', dir $(ls -d "$RAMDIR" 2>&1)" \
		"pages_resident $(nested_val pages_resident) (want $base_res), balloon_pages $(nested_val balloon_pages) (want $base_bal)"
fi

# ------------------------------------------------ 6: start, then destroy --
DIR='' DOMID=''
if start_domain && wait_guest OVC-GUEST-FILLED && ge "$DIR/resident_pages" $((size_pages * 9 / 10)); then
	res=$(val "$DIR/resident_pages")
	out=$(virsh -q destroy "$dom" 2>&1)
	if wait_until 30 gone >/dev/null && settles "$sys/pages_resident" "$base_res" &&
	   settles "$sys/balloon_pages" "$base_bal"; then
		nested_tap ok "virsh destroy of the running guest ($res pages resident): $RAMDIR gone, pages_resident back to $base_res"
	else
		nested_tap "not ok" "virsh destroy leaves no page behind" "$out" \
			"pages_resident $(nested_val pages_resident) (want $base_res), dir $(ls -d "$RAMDIR" 2>&1)"
	fi
else
	nested_tap "not ok" "virsh start again: the guest booted with its RAM resident" \
		"resident $(val "$DIR/resident_pages" 2>/dev/null)" "$(show_log 10)" "$(lv_errors)"
fi
virsh -q undefine "$dom" >/dev/null 2>&1
libvirtd_stop
if [[ -z $(lv_errors) ]]; then
	nested_tap ok "libvirtd logged no error or warning (but those of this setup: no dnsmasq, D-Bus, security driver; QEMU as root)"
else
	nested_tap "not ok" "libvirtd logged no error" "$(lv_errors 10)"
fi
exit $((failed > 0))
