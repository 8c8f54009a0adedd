#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh: the debug layer's test-VM kernel (make debug-test).
# Debian's linux-source-6.1 (the tree make kunit extracts into $OVC_CACHE),
# "make tinyconfig" for x86_64 with selftests/vm/debug.config merged onto it
# (scripts/kconfig/merge_config.sh, then olddefconfig), built out of tree
# in $OVC_CACHE/debug-kernel: KASAN, lockdep, DEBUG_VM, KFENCE, failslab
# and fail_page_alloc, everything built in.  Rebuilt (make is incremental)
# only when the key changes: sha256 of the fragment, the source version and
# the compiler, cut to 16 hex digits, in $OVC_CACHE/debug-kernel.key.  One
# build at a time: flock $OVC_CACHE/debug-kernel.lock.  Cold: about 7 min
# on 2 cores.  Prints the kernel's path (bzImage) as its last line.
# Env: OVC_CACHE, OVC_LINUX_TARBALL (as make kunit), OVC_DEBUG_KDIR (the
# build dir).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
: "${OVC_CACHE:=$HOME/.cache/ovc}"
mkdir -p "$OVC_CACHE"
OVC_CACHE=$(cd "$OVC_CACHE" && pwd -P)
src=$OVC_CACHE/linux-source-6.1
kb=${OVC_DEBUG_KDIR:-$OVC_CACHE/debug-kernel}
keyfile=$kb.key
tarball=${OVC_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
kmake=(make -C "$src" O="$kb" ARCH=x86_64)

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

exec 8>"$kb.lock"
flock -n 8 || { echo "debug-kernel: waiting for another build ($kb.lock)" >&2; flock 8; }

# The pristine tree, as kmod/tests/run-kunit.sh extracts it (under its lock:
# both may extract it).
if [[ ! -f $src/Makefile ]]; then
	[[ -f $tarball ]] || die "$tarball is missing and $src does not exist: apt-get install linux-source-6.1"
	exec 7>"$OVC_CACHE/kunit.lock"
	flock 7
	if [[ ! -f $src/Makefile ]]; then
		echo "debug-kernel: extracting $tarball into $OVC_CACHE" >&2
		rm -rf "$src" "$OVC_CACHE"/.extract.*
		tmp=$(mktemp -d "$OVC_CACHE/.extract.XXXXXX")
		tar -C "$tmp" -xf "$tarball"
		[[ -f $tmp/linux-source-6.1/Makefile ]] || die "$tarball holds no linux-source-6.1/Makefile"
		mv "$tmp/linux-source-6.1" "$src"
		rmdir "$tmp"
	fi
	exec 7>&-
fi

ver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$src/Makefile" | paste -sd.)
key=$( { cat "$frag"; echo "linux $ver"; gcc --version | head -n1; } | sha256sum | cut -c1-16)
image=$kb/arch/x86/boot/bzImage
if [[ -s $image && -s $kb/vmlinux && -s $kb/Module.symvers &&
      $(cat "$keyfile" 2>/dev/null) == "$key" ]]; then
	echo "debug-kernel: $kb is up to date (key $key)" >&2
	echo "$image"
	exit 0
fi

echo "debug-kernel: configuring $kb (linux $ver, key $key; was $(cat "$keyfile" 2>/dev/null || echo none))" >&2
rm -f "$keyfile"
mkdir -p "$kb"
"${kmake[@]}" -s tinyconfig >"$kb/config.log" 2>&1 || { cat "$kb/config.log" >&2; die "tinyconfig failed"; }
# merge_config.sh writes its temporary files in the current directory:
# the build dir, never the pristine tree.
(cd "$kb" && bash "$src/scripts/kconfig/merge_config.sh" -m -O "$kb" "$kb/.config" "$frag") \
	>"$kb/merge.log" 2>&1 || { cat "$kb/merge.log" >&2; die "merge_config.sh failed"; }
"${kmake[@]}" -s olddefconfig >>"$kb/config.log" 2>&1 || { cat "$kb/config.log" >&2; die "olddefconfig failed"; }
# Every line of the fragment must have survived olddefconfig (a symbol
# whose dependencies are missing is dropped silently).
lost=$(grep -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' "$frag" | while read -r l; do
	if [[ $l == "# "* ]]; then
		s=${l#\# } s=${s%% *}
		grep -q "^$s=" "$kb/.config" && echo "$l"
	else
		grep -qxF -- "$l" "$kb/.config" || echo "$l"
	fi
done)
[[ -z $lost ]] || die "olddefconfig dropped or changed these lines of $frag (a dependency is missing):
$lost"

echo "debug-kernel: building (log: $kb/build.log)" >&2
t0=$SECONDS
nice -n 10 "${kmake[@]}" -j"$(nproc)" all >"$kb/build.log" 2>&1 ||
	{ tail -n 40 "$kb/build.log" >&2; die "build failed (log: $kb/build.log)"; }
echo "debug-kernel: built in $((SECONDS - t0)) s" >&2
[[ -s $image && -s $kb/Module.symvers ]] || die "no $image or Module.symvers after the build"
echo "$key" >"$keyfile"
echo "$image"
