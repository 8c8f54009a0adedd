#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build.sh <outdir>: the nested guest's initramfs, <outdir>/initramfs.cpio,
# whose /init is the static memtest.  Rebuilt only when a source changed.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
out=$1
cpio=$out/initramfs.cpio
# The guest's kernel: the test VM's (selftests/vm/lib.sh picks the same).
: "${KVER:=$(find /lib/modules -mindepth 1 -maxdepth 1 -name '*-amd64' -printf '%f\n' | sort -V | tail -n1)}"
deps=/lib/modules/$KVER/modules.dep
if [[ -s $cpio && $cpio -nt $src/memtest.c && $cpio -nt $src/build.sh && $cpio -nt $deps ]]; then
	exit 0
fi
mkdir -p "$out/root"
gcc -static -O2 -Wall -Wextra -o "$out/root/init" "$src/memtest.c"
# virtio_balloon and what it needs, for memtest's ovc_mode= (balloon tests):
# /mod/*.ko and their load order in /mod/order.
rm -rf "$out/root/mod"
mkdir -p "$out/root/mod"
for m in virtio_pci virtio_balloon; do
	modprobe -S "$KVER" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	cp "$ko" "$out/root/mod/"
	basename "$ko" >>"$out/root/mod/order"
done
grep -qx virtio_balloon.ko "$out/root/mod/order" ||
	{ echo "guest/build.sh: no virtio_balloon.ko for $KVER" >&2; exit 1; }
(cd "$out/root" && find init mod | cpio -o -H newc --quiet) >"$cpio.$$"
mv "$cpio.$$" "$cpio"
