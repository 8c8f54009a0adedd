#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test.sh: make install / make uninstall into a DESTDIR, and the
# DKMS package built, installed and removed with Debian's dkms against the
# kernel headers make builds with (KVER), every tree a temporary one:
# --dkmstree, --sourcetree, --installtree, --no-depmod, the signing key
# (mok_signing_key, mok_certificate) and TMPDIR.  Touches neither
# /lib/modules, /var/lib/dkms, /usr/src nor /etc (checked at the end).
# dkms missing is a failure (make deps installs it); dkms install and
# remove need root (dkms refuses otherwise): a machine skip without it.
# Then the Debian packages ovc-dkms and ovc-tools, dpkg-buildpackage'd in a
# copy of the tree (debhelper or dh-dkms missing: a failure).  Prints TAP.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# make's default: the newest Debian kernel in /lib/modules
: "${KVER:=$(printf '%s\n' /lib/modules/*-amd64 | sed 's|.*/||' | sort -V | tail -n1)}"
export KVER
unset KDIR DESTDIR PREFIX
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/stamp"
n=0 failed=0
# shellcheck source-path=SCRIPTDIR source=lib/tap.sh
source "$top/selftests/lib/tap.sh"

same() {	# same EXPECTED-FILE ACTUAL-FILE: equal, else the difference
	diff -u "$1" "$2"
}

files() {	# files DIR: the files and links under DIR, relative, sorted
	(cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort)
}

vermagic_is_kver() {	# vermagic_is_kver KO: its vermagic starts with "$KVER "
	local v
	v=$(modinfo -F vermagic "$1") || return 1
	[[ $v == "$KVER "* ]] || { echo "$1: vermagic '$v', not $KVER"; return 1; }
}

make_in() {	# make_in ARGS...: make in the top directory, quietly unless it fails
	make --no-print-directory -C "$top" "$@" >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; return 1; }
}

echo "1..25"

# --- make install / make uninstall -------------------------------------------
cat >"$tmp/expected" <<EOF
etc/modules-load.d/ovc.conf
etc/ovc/ovcd.conf
lib/modules/$KVER/updates/ovc.ko
usr/local/lib/systemd/system/ovc-metrics.service
usr/local/lib/systemd/system/ovc-metrics.timer
usr/local/lib/systemd/system/ovcd.service
usr/local/lib/systemd/system/run-ovc.mount
usr/local/sbin/ovcctl
usr/local/sbin/ovcd
usr/local/share/doc/ovc/ovcd.conf.example
usr/local/share/man/man8/ovcctl.8
usr/local/share/man/man8/ovcd.8
EOF
d=$tmp/root
ok "make install DESTDIR=...: exit 0" make_in install DESTDIR="$d"
files "$d" >"$tmp/got"
ok "... exactly the expected files (no depmod output in a DESTDIR)" same "$tmp/expected" "$tmp/got"
ok "... ovc.ko built for $KVER" vermagic_is_kver "$d/lib/modules/$KVER/updates/ovc.ko"
ok "... modules-load.d/ovc.conf loads ovc" test "$(cat "$d/etc/modules-load.d/ovc.conf")" = ovc
ok "... run-ovc.mount: ovc on /run/ovc, type ovcfs, after systemd-modules-load" \
	bash -c "grep -qx What=ovc '$d/usr/local/lib/systemd/system/run-ovc.mount' &&
		 grep -qx Where=/run/ovc '$d/usr/local/lib/systemd/system/run-ovc.mount' &&
		 grep -qx Type=ovcfs '$d/usr/local/lib/systemd/system/run-ovc.mount' &&
		 grep -qx 'After=systemd-modules-load.service' '$d/usr/local/lib/systemd/system/run-ovc.mount'"
ok "... ovcd.service requires run-ovc.mount, after it and systemd-modules-load" \
	bash -c "grep -qx Requires=run-ovc.mount '$d/usr/local/lib/systemd/system/ovcd.service' &&
		 grep -Eqx 'After=.*run-ovc\.mount.*' '$d/usr/local/lib/systemd/system/ovcd.service' &&
		 grep -Eqx 'After=.*systemd-modules-load\.service.*' '$d/usr/local/lib/systemd/system/ovcd.service' &&
		 grep -qx 'ExecStart=/usr/local/sbin/ovcd -f -c /etc/ovc/ovcd.conf' '$d/usr/local/lib/systemd/system/ovcd.service'"
ok "... the installed tools carry no test seam (tests/libovc-fake.c)" \
	bash -c "! grep -q -e OVC_FAKE_IOCTL -e OVCD_FAKE_LIBVIRT '$d/usr/local/sbin/ovcd' '$d/usr/local/sbin/ovcctl'"
ok "... the installed ovcd accepts the installed /etc/ovc/ovcd.conf" \
	"$d/usr/local/sbin/ovcd" --check -c "$d/etc/ovc/ovcd.conf"
ok "make uninstall DESTDIR=...: exit 0, no file left" \
	bash -c "make --no-print-directory -C '$top' uninstall DESTDIR='$d' >/dev/null && test -z \"\$(find '$d' ! -type d)\""

d=$tmp/admin
mkdir -p "$d/etc/ovc"
printf '[global]\n# the admin'\''s\n' >"$d/etc/ovc/ovcd.conf"
cp "$d/etc/ovc/ovcd.conf" "$tmp/admin.conf"
ok "an admin's /etc/ovc/ovcd.conf: make install keeps it" \
	bash -c "make --no-print-directory -C '$top' install DESTDIR='$d' >/dev/null 2>&1 && cmp '$tmp/admin.conf' '$d/etc/ovc/ovcd.conf'"
ok "... and make uninstall leaves it, and only it" \
	bash -c "make --no-print-directory -C '$top' uninstall DESTDIR='$d' >/dev/null && cmp '$tmp/admin.conf' '$d/etc/ovc/ovcd.conf' &&
		 test \"\$(find '$d' ! -type d)\" = '$d/etc/ovc/ovcd.conf'"

# The default KVER is the newest kernel: one installed after make install
# changes it, and uninstall must still find install's ovc.ko (and only it).
d=$tmp/kver
mkdir -p "$d/lib/modules/$KVER/updates/dkms"
: >"$d/lib/modules/$KVER/updates/dkms/ovc.ko"; : >"$d/lib/modules/$KVER/updates/other.ko"
ok "make uninstall with another KVER than install's: install's ovc.ko for $KVER gone, dkms's and others' left" \
	bash -c "make --no-print-directory -C '$top' install DESTDIR='$d' >/dev/null 2>&1 &&
		 test -f '$d/lib/modules/$KVER/updates/ovc.ko' &&
		 make --no-print-directory -C '$top' uninstall DESTDIR='$d' KVER=99.0.0-1-amd64 >/dev/null &&
		 test \"\$(cd '$d' && find . ! -type d | LC_ALL=C sort | paste -sd' ')\" = \
		      './lib/modules/$KVER/updates/dkms/ovc.ko ./lib/modules/$KVER/updates/other.ko'"

d=$tmp/usr
ok "make install PREFIX=/usr: tools in /usr/sbin, the units name them there" \
	bash -c "make --no-print-directory -C '$top' install DESTDIR='$d' PREFIX=/usr >/dev/null 2>&1 &&
		 test -x '$d/usr/sbin/ovcd' && test -f '$d/usr/lib/systemd/system/run-ovc.mount' &&
		 grep -qx 'ExecStart=/usr/sbin/ovcd -f -c /etc/ovc/ovcd.conf' '$d/usr/lib/systemd/system/ovcd.service' &&
		 grep -q '/usr/sbin/ovcctl metrics' '$d/usr/lib/systemd/system/ovc-metrics.service' &&
		 ! grep -rq /usr/local '$d/usr/lib/systemd/system'"

# --- DKMS ----------------------------------------------------------------------
d=$tmp/dkms-src
ok "make dkms-src DESTDIR=...: exit 0" make_in dkms-src DESTDIR="$d"
src=$d/usr/src/ovc-$version
{ echo Kbuild; echo dkms.conf; (cd "$top" && git ls-files 'kmod/*.c' 'kmod/*.h' | grep -v '^kmod/tests/')
  echo uapi/linux/ovc.h; } | LC_ALL=C sort >"$tmp/expected"
files "$src" >"$tmp/got"
ok "... /usr/src/ovc-$version: Kbuild, dkms.conf, kmod/*.[ch], uapi/linux/ovc.h, nothing else" \
	same "$tmp/expected" "$tmp/got"
ok "... dkms.conf: PACKAGE_NAME ovc, PACKAGE_VERSION from VERSION ($version)" \
	bash -c "grep -qx 'PACKAGE_NAME=\"ovc\"' '$src/dkms.conf' && grep -qx 'PACKAGE_VERSION=\"$version\"' '$src/dkms.conf'"

# Every tree of dkms's a temporary one; its MOK key too (else /var/lib/dkms/mok.key).
dk=(--dkmstree "$tmp/dkms" --sourcetree "$d/usr/src" --installtree "$tmp/install")
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub TMPDIR=$tmp
mkdir -p "$tmp/dkms" "$tmp/install/$KVER"
built=$tmp/dkms/ovc/$version/$KVER/$(uname -m)/module/ovc.ko
installed=$tmp/install/$KVER/updates/dkms/ovc.ko
if ! command -v dkms >/dev/null; then
	for t in "dkms add" "dkms build -k $KVER" "... ovc.ko built for $KVER" "dkms install -k $KVER" \
		 "dkms remove -k $KVER"; do
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n - $t: no dkms (make deps installs it)"
	done
else
	ok "dkms add ovc/$version (from the temporary source tree)" dkms add -m ovc -v "$version" "${dk[@]}"
	ok "dkms build ovc/$version -k $KVER: exit 0" \
		dkms build -m ovc -v "$version" -k "$KVER" -j 2 "${dk[@]}"
	ok "... ovc.ko built for $KVER" vermagic_is_kver "$built"
	if ((EUID == 0)); then
		ok "dkms install -k $KVER --no-depmod into the temporary install tree: updates/dkms/ovc.ko for $KVER" \
			bash -c "dkms install -m ovc -v '$version' -k '$KVER' --no-depmod ${dk[*]} &&
				 modinfo -F vermagic '$installed' | grep -q '^$KVER '"
		ok "dkms remove ovc/$version -k $KVER --no-depmod: the module gone from the install tree" \
			bash -c "dkms remove -m ovc -v '$version' -k '$KVER' --no-depmod ${dk[*]} && test ! -e '$installed'"
	else
		skip "dkms install -k $KVER" "not root (dkms install needs root)"
		skip "dkms remove -k $KVER" "not root (dkms remove needs root)"
	fi
fi

# --- Debian packages: dpkg-buildpackage in a copy of the tree --------------------
deb=$tmp/deb
mkdir -p "$deb/ovc-$version"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf -) | tar -xf - -C "$deb/ovc-$version"
arch=$(dpkg --print-architecture)
debfiles() {	# debfiles DEB: the files and links in a package, relative, sorted
	dpkg-deb --fsys-tarfile "$1" | tar -tf - | grep -v '/$' | sed 's|^\./||' | LC_ALL=C sort
}
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh_dkms >/dev/null; then
	for t in "dpkg-buildpackage -b" "ovc-dkms" "ovc-tools"; do
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n - $t: no dpkg-buildpackage or dh_dkms (make deps installs them)"
	done
else
	ok "dpkg-buildpackage -b -us -uc: ovc-dkms and ovc-tools built" \
		bash -c "cd '$deb/ovc-$version' && dpkg-buildpackage -b -us -uc &&
			 test -f '$deb/ovc-dkms_${version}_all.deb' && test -f '$deb/ovc-tools_${version}_$arch.deb'"
	{ sed "s|^|usr/src/ovc-$version/|" "$tmp/expected"; echo usr/lib/modules-load.d/ovc.conf
	  echo usr/share/doc/ovc-dkms/changelog.gz; echo usr/share/doc/ovc-dkms/copyright; } |
		LC_ALL=C sort >"$tmp/expected-dkms"
	debfiles "$deb/ovc-dkms_${version}_all.deb" >"$tmp/got" 2>&1
	dpkg-deb -e "$deb/ovc-dkms_${version}_all.deb" "$deb/dkms-ctl" 2>/dev/null
	ok "ovc-dkms: make dkms-src's tree, modules-load.d/ovc.conf; postinst adds ovc/$version to dkms, depends on dkms" \
		bash -c "diff -u '$tmp/expected-dkms' '$tmp/got' && grep -qx DKMS_NAME=ovc '$deb/dkms-ctl/postinst' &&
			 grep -qx DKMS_VERSION=$version '$deb/dkms-ctl/postinst' &&
			 dpkg-deb -f '$deb/ovc-dkms_${version}_all.deb' Depends | grep -q '^dkms'"
	printf '%s\n' etc/ovc/ovcd.conf lib/systemd/system/ovc-metrics.service \
		lib/systemd/system/ovc-metrics.timer lib/systemd/system/ovcd.service \
		lib/systemd/system/run-ovc.mount usr/sbin/ovcctl usr/sbin/ovcd \
		usr/share/doc/ovc-tools/changelog.gz usr/share/doc/ovc-tools/copyright \
		usr/share/doc/ovc-tools/ovcd.conf.example usr/share/man/man8/ovcctl.8.gz \
		usr/share/man/man8/ovcd.8.gz >"$tmp/expected-tools"
	debfiles "$deb/ovc-tools_${version}_$arch.deb" >"$tmp/got" 2>&1
	dpkg-deb -e "$deb/ovc-tools_${version}_$arch.deb" "$deb/tools-ctl" 2>/dev/null
	dpkg-deb -x "$deb/ovc-tools_${version}_$arch.deb" "$deb/tools" 2>/dev/null
	ok "ovc-tools: the tools in /usr/sbin and named so by the units, ovcd.conf a conffile, no test seam" \
		bash -c "diff -u '$tmp/expected-tools' '$tmp/got' && grep -qx /etc/ovc/ovcd.conf '$deb/tools-ctl/conffiles' &&
			 grep -qx 'ExecStart=/usr/sbin/ovcd -f -c /etc/ovc/ovcd.conf' '$deb/tools/lib/systemd/system/ovcd.service' &&
			 ! grep -q -e OVC_FAKE_IOCTL -e OVCD_FAKE_LIBVIRT '$deb/tools/usr/sbin/ovcd' '$deb/tools/usr/sbin/ovcctl'"
fi

ok "nothing written to /lib/modules/$KVER, /var/lib/dkms, /usr/src, /etc/dkms, /etc/ovc, /etc/modules-load.d, /usr/local" \
	bash -c "test -z \"\$(find /lib/modules/'$KVER' /var/lib/dkms /usr/src /etc/dkms /etc/ovc /etc/modules-load.d \
		/usr/local -newer '$tmp/stamp' 2>/dev/null)\""
exit $((failed > 0))
