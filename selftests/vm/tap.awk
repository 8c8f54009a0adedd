# SPDX-License-Identifier: GPL-2.0
# tap.awk: echo the test VM's TAP stream as it arrives and count results.
# Every "ok"/"not ok" line counts once ("# SKIP" as skipped).  A test program
# framed by "# ovc-vm: begin/end" also fails if it printed no plan, fewer
# results than its plan, or exited non-zero without a failed result.
# Prints "<label>: N passed, N failed, N skipped" (awk -v label=..., default
# "vm"); exit status 1 on any failure.

function synth(msg) { print "not ok - " name ": " msg; failed++ }

function finish(rc) {
	if (rc == 124 || rc == 137)
		synth("timed out (rc=" rc ")")
	else if (plan < 0)
		synth("printed no TAP plan (rc=" rc ")")
	else if (seen < plan)
		synth((plan - seen) " of " plan " results missing (rc=" rc ")")
	else if (rc != 0 && rc != 4 && !nfail)
		synth("exited with rc=" rc)
	inbin = 0
}

{ sub(/\r$/, ""); print; fflush() }

/^# ovc-vm: begin / { inbin = 1; name = $4; plan = -1; seen = 0; nfail = 0; next }

/^# ovc-vm: end / && inbin { rc = $5; sub(/^rc=/, "", rc); finish(rc + 0); next }

/^1\.\.[0-9]+/ && inbin {
	plan = substr($1, 4) + 0
	if (plan == 0 && toupper($0) ~ /# *SKIP/)
		skipped++
	next
}

/^(not )?ok([ \t]|$)/ {
	if (inbin)
		seen++
	if ($1 == "not" && toupper($0) !~ /# *TODO/) {
		failed++
		if (inbin)
			nfail++
	} else if (toupper($0) ~ /# *SKIP/)
		skipped++
	else
		passed++
}

/^Bail out!/ { failed++ }

END {
	if (inbin)
		synth("did not finish (VM died or hung)")
	printf "%s: %d passed, %d failed, %d skipped\n", label ? label : "vm",
	       passed, failed, skipped
	exit failed > 0
}
