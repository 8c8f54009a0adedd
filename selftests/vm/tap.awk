# SPDX-License-Identifier: GPL-2.0
# tap.awk: echo the test VM's TAP stream as it arrives and count results.
# Every "ok"/"not ok" line counts once ("# SKIP" as skipped).  A test program
# framed by "# ovc-vm: begin/end" also fails if it printed no plan, fewer
# results than its plan, or exited non-zero without a failed result.
# A skip is allowed only when it names a machine condition: "# SKIP
# machine: <condition>" (e.g. "# SKIP machine: no /dev/kvm"); any other
# skip is listed as "# skip not allowed: <test>: <line>" at the end.
# Prints "<label>: N passed, N failed, N skipped (N not allowed)" (awk -v
# label=..., default "vm"); exit status 1 on any failure or disallowed skip.
# Strips a trailing CR from every line and flushes every line.

function synth(msg) { print "not ok - " name ": " msg; failed++ }

# A skipped result or a skipped program: allowed or not.
function skip(line) {
	skipped++
	if (toupper(line) ~ /# *SKIP +MACHINE: *[^ ]/)
		return
	bad[++nbad] = (inbin ? name : "-") ": " line
}

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
		skip($0)
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
		skip($0)
	else
		passed++
}

/^Bail out!/ { failed++ }

END {
	if (inbin)
		synth("did not finish (VM died or hung)")
	for (i = 1; i <= nbad; i++)
		print "# skip not allowed: " bad[i]
	if (nbad)
		print "# " nbad " skip(s) not allowed: a skip must name a machine condition (\"# SKIP machine: <condition>\")"
	printf "%s: %d passed, %d failed, %d skipped (%d not allowed)\n",
	       label ? label : "vm", passed, failed, skipped, nbad
	fflush()
	exit failed > 0 || nbad > 0
}
