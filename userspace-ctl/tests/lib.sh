# SPDX-License-Identifier: GPL-2.0
#
# What the TAP tests of ovcctl and ovcd share (sourced by test-ovcctl.sh,
# test-ovcd.sh and test-ovcd-libvirt.sh): TAP lines from commands, waiting,
# counting log lines, fake VMs on the fake sysfs tree (test-ovcctl.sh has a
# mkvm of its own), configuration errors.  The caller sets n=0 failed=0,
# $tmp, $OVCD and exports OVC_SYSFS.

# ok, skip: the TAP lines every build-machine test shares
# shellcheck source=selftests/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../selftests/lib/tap.sh"

wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && { "$@"; return 1; }
		sleep 0.1
	done
}

count() {	# count FILE FIXED-STRING: lines of FILE containing it (equal to $3)
	local c
	c=$(grep -cF -- "$2" "$1")
	[ "$c" -eq "$3" ] || { echo "$c lines of $1 contain '$2', expected $3:"; cat "$1"; return 1; }
}

between() {	# between LOW HIGH FILE FIXED-STRING
	local c
	c=$(grep -cF -- "$4" "$3")
	[ "$c" -ge "$1" ] && [ "$c" -le "$2" ] || { echo "$c lines with '$4', expected $1..$2"; return 1; }
}

mkvm() {	# mkvm ID NAME SIZE_PAGES TARGET_PAGES: a fake VM and its "ovcfs file"
	local d=$OVC_SYSFS/vms/$1 f
	mkdir -p "$d"
	mkdir -p "$(dirname "$tmp/$2")"
	: >"$tmp/$2"
	echo "$tmp/$2" >"$d/name"
	echo "$3" >"$d/size_pages"; echo "$4" >"$d/balloon_target_pages"
	for f in owner_uid owner_pid resident_pages balloon_pages balloon_actual_pages \
		 guest_total_pages; do
		echo 0 >"$d/$f"
	done
	echo 7 >"$d/guest_free_pages"
	echo 4294967295 >"$d/share_domain"	# on its own, the module's default
}

# configuration errors: exit 2, "ovcd: FILE:LINE: FIELD: PROBLEM"
conf_err() {	# conf_err DESCRIPTION EXPECTED-MESSAGE < CONFIG
	local rc
	cat >"$tmp/bad.conf"
	"$OVCD" --check -c "$tmp/bad.conf" >/dev/null 2>"$tmp/err"; rc=$?
	ok "$1" grep -qxF -- "ovcd: $tmp/bad.conf:$2" <(test $rc -eq 2 && cat "$tmp/err")
}
