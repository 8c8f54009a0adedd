#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: run ovc's KUnit suites (kmod/tests/*_kunit.h) under UML with
# tools/testing/kunit/kunit.py from Debian's linux-source-6.1.
#
# Everything lives in $OVC_CACHE (default ~/.cache/ovc), at fixed paths so
# that a warm run rebuilds only what changed (the build's .cmd files hold
# absolute paths):
#   linux-source-6.1/   pristine tree, extracted from $OVC_LINUX_TARBALL
#                       (default /usr/src/linux-source-6.1.tar.xz); never
#                       modified
#   kunit-tree/         a hardlinked copy (cp -al) plus drivers/ovc/; the
#                       two files it changes are rewritten with sed -i, which
#                       writes new files, so the originals stay untouched
#   kunit-build/        kunit.py's build directory (about 120 MB)
#
# kunit-tree/drivers/ovc/src is a symlink to this repository, re-pointed
# on every run (CI clones to a new place each time); drivers/ovc/Kconfig
# and Makefile are symlinks to kmod/tests/{Kconfig,Makefile}.kunit.
#
# Output: kunit.py's results, then a last line "kunit: N passed, N failed,
# N skipped".
# Exit status 0 only if at least one test ran and none failed, and the
# kernel log has no KASAN or lockdep report.

set -euo pipefail

die() {
	echo "run-kunit.sh: $*" >&2
	exit 1
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
OVC_CACHE=${OVC_CACHE:-$HOME/.cache/ovc}
TARBALL=${OVC_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
KUNITCONFIG=$REPO/kmod/tests/.kunitconfig

mkdir -p "$OVC_CACHE"
OVC_CACHE=$(cd "$OVC_CACHE" && pwd -P)
SRC=$OVC_CACHE/linux-source-6.1
TREE=$OVC_CACHE/kunit-tree
BUILD=$OVC_CACHE/kunit-build

# One run at a time per cache: the tree's symlink and the build dir are shared.
exec 9>"$OVC_CACHE/kunit.lock"
flock 9

# --- the pristine tree
if [ ! -f "$SRC/Makefile" ]; then
	[ -f "$TARBALL" ] || die "$TARBALL is missing and $SRC does not exist: install Debian's linux-source-6.1 package (apt-get install linux-source-6.1)"
	echo "run-kunit.sh: extracting $TARBALL into $OVC_CACHE"
	rm -rf "$SRC" "$OVC_CACHE"/.extract.*
	tmp=$(mktemp -d "$OVC_CACHE/.extract.XXXXXX")
	tar -C "$tmp" -xf "$TARBALL"
	[ -f "$tmp/linux-source-6.1/Makefile" ] || die "$TARBALL holds no linux-source-6.1/Makefile"
	mv "$tmp/linux-source-6.1" "$SRC"
	rmdir "$tmp"
fi

# --- the KUnit tree: once per kernel version
kver() {
	sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$1/Makefile" | paste -sd.
}
ver=$(kver "$SRC")
if [ ! -f "$TREE/Makefile" ] || [ "$(cat "$TREE.stamp" 2>/dev/null)" != "$ver" ]; then
	echo "run-kunit.sh: preparing the KUnit tree $TREE (linux $ver)"
	rm -rf "$TREE" "$TREE.tmp" "$BUILD" "$TREE.stamp"
	cp -al "$SRC" "$TREE.tmp"
	# sed -i replaces the file instead of writing through the hard link.
	sed -i '$a obj-$(CONFIG_OVC_KUNIT_TEST)\t+= ovc/' "$TREE.tmp/drivers/Makefile"
	sed -i '$s|^endmenu$|source "drivers/ovc/Kconfig"\n\nendmenu|' \
		"$TREE.tmp/drivers/Kconfig"
	grep -q '^source "drivers/ovc/Kconfig"$' "$TREE.tmp/drivers/Kconfig" ||
		die "could not hook drivers/ovc/Kconfig into drivers/Kconfig (no final endmenu?)"
	grep -q 'CONFIG_OVC_KUNIT_TEST' "$SRC/drivers/Makefile" "$SRC/drivers/Kconfig" &&
		die "the pristine tree $SRC was modified"
	mv "$TREE.tmp" "$TREE"
	echo "$ver" >"$TREE.stamp"
fi

# --- link this repository in (it may have moved since the last run)
mkdir -p "$TREE/drivers/ovc"
ln -sfn "$REPO" "$TREE/drivers/ovc/src"
ln -sfn src/kmod/tests/Kconfig.kunit "$TREE/drivers/ovc/Kconfig"
ln -sfn src/kmod/tests/Makefile.kunit "$TREE/drivers/ovc/Makefile"

# make rebuilds on newer mtimes only: if the sources' content differs from
# the last build's (another clone, older mtimes), drop our objects.
sum=$(cd "$REPO" && find kmod uapi -type f \( -name '*.[ch]' -o -name '*.kunit' \) \
	-print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
if [ "$(cat "$BUILD.sources" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$BUILD/drivers/ovc"
fi

# --- build and run
out=$(mktemp)
start=$(mktemp -p "$OVC_CACHE" .kunit-start.XXXXXX)
trap 'rm -f "$out" "$start"' EXIT

# Only the ovc_* suites run (KASAN's own suite is built, see .kunitconfig);
# kasan_multi_shot: report (and fail) every bad access, not only the first.
# kunit.py's "stty sane" complains when stdin is not a terminal: drop that.
set +e
(cd "$TREE" && python3 tools/testing/kunit/kunit.py run --arch=um \
	--build_dir="$BUILD" --kunitconfig="$KUNITCONFIG" \
	--jobs="$(nproc)" --kernel_args=kasan_multi_shot 'ovc_*') 2>&1 |
	grep --line-buffered -v "^stty: 'standard input': Inappropriate ioctl" |
	tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo "$sum" >"$BUILD.sources"

# "Testing complete. Ran 12 tests: passed: 11, failed: 1" (zero counts omitted)
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E 'Testing complete\. Ran [0-9]+ tests' | tail -n1 || true)
count() {
	sed -nE "s/.*[ ,]$1: ([0-9]+).*/\\1/p" <<<"$summary" | grep . || echo 0
}
passed=$(count passed)
failed=$(($(count failed) + $(count crashed)))
# No KUnit skip is a machine condition: check.sh counts them as not allowed.
skipped=$(count skipped)
status=0
[ "$failed" -eq 0 ] || status=1
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "run-kunit.sh: no test ran (kunit.py exited $rc: build errors are above, else see $BUILD/test.log)" >&2
	status=1
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "run-kunit.sh: kunit.py exited $rc (see above and $BUILD/test.log)" >&2
	status=1
fi
[ "$rc" -eq 0 ] || status=1

# KASAN and lockdep reports that did not fail a test (e.g. outside one).
log=$BUILD/test.log
if [ -f "$log" ] && [ "$log" -nt "$start" ]; then
	reports=$(grep -E 'BUG: KASAN|WARNING: (possible (circular|recursive) locking|inconsistent lock state|bad unlock balance|held lock freed|suspicious RCU usage|lock held when returning)|BUG: (sleeping function called|scheduling while atomic|spinlock)|INFO: possible irq lock inversion' "$log" || true)
	if [ -n "$reports" ]; then
		echo "run-kunit.sh: the kernel log has KASAN/lockdep reports (full log: $log):" >&2
		echo "$reports" >&2
		status=1
	fi
fi

echo "kunit: $passed passed, $failed failed, $skipped skipped"
exit "$status"
