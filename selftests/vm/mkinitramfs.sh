#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh <out.cpio> [--no-modules]: the test VM's initramfs: static
# busybox, the 9p modules of $KVER (in load order; none with --no-modules,
# for a kernel with 9p built in: the debug layer's) and init.sh as /init.
set -euo pipefail
out=$1 mods=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,mod}
cp /bin/busybox "$stage/bin/busybox"
for a in sh mount insmod mkdir chroot stty sync poweroff echo; do
	ln -s busybox "$stage/bin/$a"
done
install -m 755 "$here/init.sh" "$stage/init"

: >"$stage/mod/order"
if [[ $mods != --no-modules ]]; then
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -S "$KVER" --show-depends "$m"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
		cp "$ko" "$stage/mod/"
		basename "$ko" >>"$stage/mod/order"
	done
fi

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.$$"
mv "$out.$$" "$out"
