#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what `make check` needs on Debian 12; a quick no-op when all is there.
set -euo pipefail

pkgs=(qemu-system-x86 qemu-utils busybox-static linux-image-amd64
      linux-headers-amd64 cpio linux-source flex bison bc libelf-dev
      libjson-c-dev libsmartcols-dev libinih-dev kmod xz-utils gcc make
      libc6-dev python3 pkgconf python3-prometheus-client gnuplot-nox dkms
      debhelper dh-dkms libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu
      libvirt-clients linux-perf)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $st == ii* ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

echo "install-deps: installing ${missing[*]}"
sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
