# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# lib/tap.sh: sourced by the TAP tests that userspace-tests.sh runs on the
# build machine (userspace-ctl/tests/test-*.sh, selftests/install-test.sh).
# The caller sets tmp (its scratch directory) and n=0 failed=0; ok and skip
# count results in n, failures in failed.
# shellcheck disable=SC2154 # tmp, n and failed are the caller's

ok() {		# ok DESCRIPTION COMMAND...: one TAP line from a command's status
	local desc=$1; shift
	n=$((n + 1))
	if "$@" >"$tmp/ok.log" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/ok.log"
		failed=$((failed + 1))
	fi
}

skip() {	# skip DESCRIPTION CONDITION: a machine skip (a tool, root not there)
	n=$((n + 1)); echo "ok $n - $1 # SKIP machine: $2"
}
