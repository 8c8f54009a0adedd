# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# lib/nested.sh: sourced by the nested guest tests (selftests/nested_*.sh),
# which run INSIDE the test VM: TAP results, ovc's sysfs values, saving and
# restoring knobs, waiting for a counter, KVM, a VM's sharing domain.
# The caller calls nested_paths first and sets the counters n and failed
# (both 0).

# nested_paths: what every nested test needs to find, from the harness's
# environment: mnt (ovcfs: OVC_MNT), repo (OVC_REPO), initrd (the guests'
# initramfs under OVC_BUILD), kernel (OVC_VMLINUX, else the test VM's own)
# and sys (ovc's sysfs directory: OVC_SYSFS).
# shellcheck disable=SC2034 # set for the caller
nested_paths() {
	mnt=${OVC_MNT:-/run/ovc}
	repo=${OVC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
	initrd=${OVC_BUILD:?}/guest/initramfs.cpio
	kernel=${OVC_VMLINUX:-}
	[[ -r $kernel ]] || kernel=/boot/vmlinuz-$(uname -r)
	sys=${OVC_SYSFS:-/sys/kernel/mm/ovc}
}

# nested_tap ok|"not ok" <description> [diagnostic...]: one TAP result,
# numbered; each diagnostic becomes a "# " line.
nested_tap() {
	local st=$1 d=$2
	shift 2
	n=$((n + 1))
	echo "$st $n $d"
	[[ $st == ok ]] || failed=$((failed + 1))
	if (($#)); then printf '# %s\n' "$@"; fi
}

# nested_val <file>: a value of ovc's sysfs (global, or vms/<id>/<file>).
nested_val() { cat "$sys/$1"; }

# nested_need_kvm: load KVM, wait for /dev/kvm and check ovc's sysfs.  In
# the test VM both must exist: a missing one fails (prints a plan and one
# failed result), never skips.
nested_need_kvm() {
	modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null
	for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
	[[ -c /dev/kvm && -w $sys/run ]] && return 0
	echo "1..1"
	echo "not ok 1 needs /dev/kvm ($( [[ -c /dev/kvm ]] && echo present || echo missing)) and $sys/run"
	return 1
}

# nested_save_knobs <knob>...: remember global knobs; nested_restore_knobs
# (for an EXIT trap) stops the scanner, unmerges and writes them back.
nested_saved_names=() nested_saved_values=()
nested_save_knobs() {
	local k
	for k; do
		nested_saved_names+=("$k")
		nested_saved_values+=("$(nested_val "$k")")
	done
}
nested_restore_knobs() {
	local i
	echo 2 >"$sys/run"
	for i in "${!nested_saved_names[@]}"; do
		echo "${nested_saved_values[i]}" >"$sys/${nested_saved_names[i]}"
	done
}

# nested_wait <seconds> <command...>: run the command every 0.2 s until it
# succeeds (return 0) or the time is up (return 1).
nested_wait() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

# nested_no_frames: no shared frame, sharer or zero-frame slot is left.
nested_no_frames() {
	(($(nested_val pages_shared) + $(nested_val pages_sharing) + $(nested_val pages_zero) == 0))
}

# nested_vm_dir <file>: the vms/<id> directory of an ovcfs file (by name).
nested_vm_dir() {
	local want=/${1#"${OVC_MNT:-/run/ovc}"/} d
	for d in "$sys"/vms/*/; do
		[[ $(cat "$d/name" 2>/dev/null) == "$want" ]] && { echo "${d%/}"; return 0; }
	done
	return 1
}

# nested_set_domain <file> <domain>: put a VM in a sharing domain.
nested_set_domain() {
	local d
	d=$(nested_vm_dir "$1") || { echo "# no vms/ entry for $1"; return 1; }
	echo "$2" >"$d/share_domain"
}

# nested_pages_to_scan_max: the largest pages_to_scan the module accepts.
nested_pages_to_scan_max() {
	local v=1000000 old
	old=$(nested_val pages_to_scan)
	while ! echo "$v" >"$sys/pages_to_scan" 2>/dev/null; do
		v=$((v / 10))
		((v > 1)) || break
	done
	echo "$old" >"$sys/pages_to_scan"
	echo "$v"
}

# "${nested_pin[@]}" <command...>: run a nested guest's QEMU on one CPU of
# the test VM (the last), whatever other work runs.  Nested KVM on TCG's
# emulated SVM loses guests (triple faults at boot), and sometimes the test
# VM itself, when nested vCPUs run on several of its CPUs at once, with or
# without ovc (docs/nested-kvm-on-tcg.md); pinned, none did.  An array, not
# a function, so that "$!" of a guest started with & is its QEMU's.
# OVC_NESTED_PIN=0 turns it off (to measure).
nested_pin=(taskset -c "$(($(nproc) - 1))")
[[ ${OVC_NESTED_PIN:-1} == 0 ]] && nested_pin=(env)
