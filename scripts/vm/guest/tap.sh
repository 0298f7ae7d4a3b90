# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# shellcheck disable=SC2034  # `failed` and `n` are the sourcing suite's to report
#
# tap.sh - the TAP helpers the guest suites share (busybox sh, in the payload beside them).
# Sourced after `cd /pinctl`; the suite calls tap_plan N first and ends with `tap_done`.

n=0
failed=0

# tap_plan N: the TAP header and a plan of N tests.
tap_plan() {
	plan=$1
	echo "TAP version 13"
	echo "1..$plan"
}

ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

# skip_rest NAME REASON: the rest of the plan skipped as NAME, and the suite ends.
skip_rest() {
	while [ "$n" -lt "$plan" ]; do
		n=$((n + 1))
		echo "ok $n $1 # SKIP $2"
	done
	exit 0
}

# check NAME COMMAND...: ok when COMMAND succeeds, else not ok with the head of /tmp/out.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 /tmp/out 2>/dev/null)"; fi
}

has() { grep -q -- "$1" /tmp/out; }

# wait_pidfile FILE: waits up to 20 s for FILE to have content.
wait_pidfile() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$1" ]
}

# tap_done NAME: the totals line; the exit status is 0 only when nothing failed.
tap_done() {
	echo "# $1: $((n - failed)) passed or skipped, $failed failed"
	[ "$failed" -eq 0 ]
}
