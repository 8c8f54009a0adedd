#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the ovc test VM (busybox): load 9p, mount the build machine's /
# read-only, chroot into it and run the script named by ovc_cmd= on the
# kernel command line.  Its output goes to ttyS1 (the TAP channel); the
# kernel console stays on ttyS0.  Then power off.  The paths listed in
# ovc_keep= (comma-separated) stay visible from the build machine even when
# they lie under /tmp, /run, /var/tmp or /dev/shm, which are tmpfs here.
export PATH=/bin
mount -t devtmpfs dev /dev
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
while read -r m; do insmod "/mod/$m" || echo "ovc-init: insmod $m failed"; done </mod/order

h=/host r=/newroot
mkdir -p $h $r
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose root $h
mount -o bind $h $r
mount -t proc proc $r/proc
mount -t sysfs sys $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts devpts $r/dev/pts
mount -t tmpfs -o mode=1777 shm $r/dev/shm
mount -t tmpfs -o mode=755 run $r/run
mount -t tmpfs -o mode=1777 tmp $r/tmp
mount -t tmpfs -o mode=1777 vartmp $r/var/tmp 2>/dev/null
IFS=,
for p in ${ovc_keep-}; do
	case $p in /tmp/* | /run/* | /var/tmp/* | /dev/shm/*)
		mkdir -p "$r$p" && mount -o bind "$h$p" "$r$p" ;;
	esac
done
unset IFS

stty -F /dev/ttyS1 raw -echo
if [ -n "$ovc_cmd" ]; then
	chroot $r /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TERM=dumb LANG=C.UTF-8 /bin/sh -c "$ovc_cmd" </dev/null >/dev/ttyS1 2>&1
	echo "# ovc-vm: command exited rc=$?" >/dev/ttyS1
else
	echo "# ovc-vm: no ovc_cmd= on the kernel command line" >/dev/ttyS1
fi
sync
poweroff -f
