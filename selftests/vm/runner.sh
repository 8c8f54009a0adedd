#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# runner.sh: the test runner INSIDE the test VM.  Loads ovc.ko, mounts ovcfs
# on /run/ovc, runs every executable in $OVC_BUILD/selftests/ and the nested
# guest tests (selftests/nested_*.sh), then unmounts and unloads.  Each test program's TAP is framed
# by "# ovc-vm: begin <name>" / "# ovc-vm: end <name> rc=<rc>" for tap.awk.
# Env in: OVC_REPO, OVC_BUILD, OVC_VMLINUX; optional OVC_TESTS (an extended
# regex selecting test names), OVC_TEST_TIMEOUT (seconds per test: 300,
# nested guest tests 900), OVC_KO (the module: $OVC_REPO/ovc.ko),
# OVC_DEBUG=1 (the debug layer, debug-test.sh: see debug_setup below).
set -u
export OVC_MNT=/run/ovc OVC_KO=${OVC_KO:-$OVC_REPO/ovc.ko} OVC_REPO OVC_BUILD OVC_VMLINUX
filter=${OVC_TESTS:-.}
debug=${OVC_DEBUG:-0}
cd /tmp || exit 1

tap() { # condition-status description
	if (($1 == 0)); then echo "ok - $2"; else echo "not ok - $2"; fi
}
kmsg() { echo "ovc-vm: $*" >/dev/kmsg; }

echo "# ovc-vm: kernel $(uname -r), $(nproc) cpus"

# --- the debug layer (OVC_DEBUG=1): fault injection, memcg leak checks
#
# Fault injection (failslab, fail_page_alloc) is set up for tasks with
# /proc/<pid>/make-it-fail only (task-filter): the stress test's writers
# (OVC_MAKE_IT_FAIL=1).  2% of their allocations fail, sleeping ones and
# order 0 included, at most fi_times per stress test run.
fi_root=/sys/kernel/debug fi_times=10000 fi_test=ovcfs_stress_test
fi_set() { # dir knob value
	echo "$3" >"$fi_root/$1/$2" || { echo "# ovc-vm: $fi_root/$1/$2: cannot set $3"; return 1; }
}
fi_setup() {
	local d ok=0
	[[ -d $fi_root/failslab ]] || mount -t debugfs debugfs "$fi_root"
	for d in failslab fail_page_alloc; do
		fi_set $d probability 2 && fi_set $d interval 1 &&
			fi_set $d times $fi_times && fi_set $d space 0 &&
			fi_set $d task-filter Y && fi_set $d ignore-gfp-wait N || ok=1
	done
	# verbose: failslab's few failures are logged (one line each, no
	# stack); fail_page_alloc's thousands are only counted (logging them
	# slowed the stress test by a third).
	fi_set failslab verbose 1 && fi_set failslab cache-filter N &&
		fi_set fail_page_alloc verbose 0 &&
		fi_set fail_page_alloc ignore-gfp-highmem N &&
		fi_set fail_page_alloc min-order 0 || ok=1
	tap $ok "fault injection: failslab and fail_page_alloc set up (probability 2%, task filter)"
}
# The failures injected since fi_times was written: "<failslab> <fail_page_alloc>".
fi_injected() {
	echo $((fi_times - $(cat "$fi_root/failslab/times"))) \
	     $((fi_times - $(cat "$fi_root/fail_page_alloc/times")))
}

# Each test in a memory cgroup of its own: afterwards (its processes gone,
# the per-CPU charge caches drained and its page cache reclaimed by
# memory.high=0) at most cg_slack pages may stay charged.  ovc's pages are
# charged to the task that allocates them and are not reclaimable: a
# leaked page stays charged.
cg_root=/sys/fs/cgroup cg_slack=32 memcg=0
cg_setup() {
	if [[ $(stat -fc %T "$cg_root" 2>/dev/null) != cgroup2fs ]]; then
		mount -t cgroup2 cgroup2 "$cg_root" || { tap 1 "memcg: mount cgroup2 on $cg_root"; return; }
	fi
	echo +memory >"$cg_root/cgroup.subtree_control" && memcg=1
	tap $((!memcg)) "memcg: the memory controller on $cg_root (a memory cgroup per test)"
}
cg_check() { # name cgroup baseline-bytes
	local name=$1 cg=$2 base=$3 cur pages i
	for i in $(seq 50); do
		[[ -z $(cat "$cg/cgroup.procs") ]] && break
		((i == 10)) && echo 1 >"$cg/cgroup.kill"
		sleep 0.2
	done
	[[ -z $(cat "$cg/cgroup.procs") ]] || echo "# ovc-vm: $name left processes in $cg: $(paste -sd' ' <"$cg/cgroup.procs")"
	sleep 1	# objects freed after an RCU grace period
	# memory.high=0 drains the per-CPU charge caches (each CPU holds up to
	# 64 pages charged in advance) and reclaims the page cache.  It drains
	# the writer's CPU at once and the others later: write it on each CPU.
	for i in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$i" sh -c "echo 0 >'$cg/memory.high'"
	done
	cur=$(cat "$cg/memory.current")
	pages=$(((cur - base) / 4096))
	if ((pages <= cg_slack)); then
		tap 0 "memcg: $name left $pages pages charged (at most $cg_slack)"
	else
		tap 1 "memcg: $name left $pages pages charged to its memory cgroup, more than $cg_slack: a leak"
		grep -E '^(anon|file|kernel|kernel_stack|pagetables|percpu|sock|shmem|slab) ' "$cg/memory.stat" | sed 's/^/# memory.stat: /'
	fi
	rmdir "$cg" 2>/dev/null || echo "# ovc-vm: rmdir $cg failed"
}

# After umount: nothing of ovc's may be left (the live counts only:
# pages_volatile is the last round's, pages_scanned, cow_breaks etc. only
# grow).
counters_check() {
	local c v sys=/sys/kernel/mm/ovc left
	for c in nr_vms pages_resident balloon_pages pages_shared pages_sharing pages_zero pages_unshared; do
		v=$(cat "$sys/$c" 2>/dev/null) || v="unreadable"
		if [[ $v == 0 ]]; then
			tap 0 "after umount: $sys/$c is 0"
		else
			tap 1 "after umount: $sys/$c is 0 (it is $v)"
		fi
	done
	left=$(find "$sys/vms" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)
	tap $((${#left} != 0)) "after umount: $sys/vms is empty${left:+ (holds $left)}"
}

if ((debug)); then
	echo "# ovc-vm: debug layer: fault injection in $fi_test, a memory cgroup per test"
	fi_setup
	cg_setup
fi
loaded=0 mounted=0
# ovc.ko needs zsmalloc and the lz4 compressor (the compressed cache):
# modprobe ovc would load zsmalloc, and the crypto API asks for lz4 through
# the kernel's modprobe helper, which runs in the initramfs here, outside
# the 9p root's /lib/modules.  virtio_blk: run-tests.sh's scratch disk,
# a block device swap store for ovcfs_pressure_test (built in on the
# debug kernel).
modprobe -qa zsmalloc lz4 virtio_blk
if [[ -f $OVC_KO ]] && insmod "$OVC_KO"; then loaded=1; fi
tap $((!loaded)) "insmod $OVC_KO"
mkdir -p "$OVC_MNT"
if [[ ${OVC_NESTED_CONTROL:-} == tmpfs ]]; then
	# run-tests.sh's control of a crashed nested test: the same guests,
	# their RAM on tmpfs (ovc loaded but idle).
	echo "# ovc-vm: tmpfs control: $OVC_MNT is a tmpfs"
elif ((loaded)); then
	mount -t ovcfs ovc "$OVC_MNT" && mounted=1
	tap $((!mounted)) "mount -t ovcfs ovc $OVC_MNT"
fi
if ((!mounted)); then
	echo "# ovc-vm: no ovcfs: $OVC_MNT is a tmpfs stand-in"
	mount -t tmpfs stand-in "$OVC_MNT"
fi

# One KVM VM held for the whole run, so that guests coming and going never
# flip KVM's static keys: QEMU's TCG can run stale translations of the
# kernel text those flips rewrite (selftests/vm/kvm_hold.c, issue 14).
hold=
if [[ ${OVC_KVM_HOLD:-1} == 0 ]]; then
	echo "# ovc-vm: no kvm-hold (OVC_KVM_HOLD=0)"
elif [[ -c /dev/kvm ]] || modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null; then
	for _ in 1 2 3 4 5; do [[ -c /dev/kvm ]] && break; sleep 1; done
	"$OVC_BUILD/vm/kvm-hold" &
	hold=$!
	sleep 1
	kill -0 "$hold" 2>/dev/null
	tap $? "kvm-hold: a KVM VM held for the run"
fi

run() { # timeout name command...
	local secs=$1 name=$2 rc t0=$SECONDS cg='' base=0 pre=() inj
	shift 2
	[[ $name =~ $filter ]] || return 0
	if ((memcg)) && cg=$cg_root/ovc-test-$name && mkdir "$cg"; then
		base=$(cat "$cg/memory.current")
		# The command joins the cgroup, then becomes the test.
		# shellcheck disable=SC2016
		pre=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
	else
		cg=''
	fi
	if ((debug)) && [[ $name == "$fi_test" ]]; then
		echo $fi_times >"$fi_root/failslab/times"
		echo $fi_times >"$fi_root/fail_page_alloc/times"
		pre=(env OVC_MAKE_IT_FAIL=1 "${pre[@]}")
	fi
	echo "# ovc-vm: begin $name"
	kmsg "start $name"
	timeout -k 10 "$secs" "${pre[@]}" "$@" </dev/null 2>&1
	rc=$?
	kmsg "end $name rc=$rc"
	echo "# ovc-vm: end $name rc=$rc ($((SECONDS - t0))s)"
	if ((debug)) && [[ $name == "$fi_test" ]]; then
		inj=$(fi_injected)	# (no /dev/fd here: no process substitution)
		read -r -a inj <<<"$inj"
		tap $((inj[0] + inj[1] == 0)) "fault injection in $name: ${inj[0]} slab and ${inj[1]} page allocation failures injected"
	fi
	[[ -z $cg ]] || cg_check "$name" "$cg" "$base"
}

for t in "$OVC_BUILD"/selftests/*; do
	[[ -f $t && -x $t ]] && run "${OVC_TEST_TIMEOUT:-300}" "${t##*/}" "$t"
done
# Several guest boots each, every one retried once on an infrastructure failure.
for t in "$OVC_REPO"/selftests/nested_*.sh; do
	[[ -f $t ]] && run "${OVC_TEST_TIMEOUT:-900}" "$(basename "$t" .sh)" bash "$t"
done

if [[ -n $hold ]]; then
	kill "$hold"
	wait "$hold" 2>/dev/null
fi
umount "$OVC_MNT"
rc=$?
((mounted)) && tap $rc "umount $OVC_MNT"
((debug && mounted)) && counters_check
if ((loaded)); then
	rmmod ovc
	tap $? "rmmod ovc"
fi
echo "# ovc-vm: runner done"
