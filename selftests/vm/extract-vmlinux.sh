#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# extract-vmlinux.sh <bzImage> <out>: write the uncompressed ELF vmlinux.
# QEMU boots an ELF vmlinux through PVH and so skips the XZ decompression
# that is slow under TCG.  Debian 12 kernels are XZ; gzip and zstd for others.
set -euo pipefail
img=$1 out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

try() { # magic decompressor...
	local magic=$1 off
	shift
	while IFS=: read -r off _; do
		tail -c +$((off + 1)) "$img" | "$@" >"$tmp" 2>/dev/null || true
		if [[ $(head -c 4 "$tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
			mv "$tmp" "$out"
			exit 0
		fi
	done < <(LC_ALL=C grep -abo "$magic" "$img")
}

try $'\xfd7zXZ\x00' xz -dc --single-stream
try $'\x28\xb5\x2f\xfd' zstd -dc
try $'\x1f\x8b\x08' gzip -dc
echo "extract-vmlinux: no vmlinux found in $img" >&2
exit 1
