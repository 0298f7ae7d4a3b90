# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153  # RC, ELAPSED_US are the sourcing script's; HOLDER_BIN set by it
#
# common.sh - what the scripts/bench/*.sh scripts share: their start (bench_begin), the
# pinctl-test-holder process they measure, whole-process timings and medians. Sourced, not
# run. bench_begin sets up the scratch directory and the traps; the sourcing script sets,
# before it calls the rest:
#   HOLDER_BIN  the pinctl-test-holder to start
#   TIMED_OUT   where `timed` sends the command's stdout (default: TMP/out)

HOLDER_PID=
HOLDER_IN=

# positive_int NAME VALUE: exit 2 unless VALUE (of the variable NAME) is a positive integer.
positive_int() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "${0##*/}: $1 must be a positive integer, not '$2'" >&2; exit 2; }
}

# bench_begin WHY-ROOT [SCRATCH-PARENT]: exit 1 unless root (WHY-ROOT says why it must be),
# then cd to the work tree's top, make the scratch directory TMP (under SCRATCH-PARENT,
# default TMPDIR or /tmp) and install the traps that remove it and stop the holder.
bench_begin() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "${0##*/}: must run as root: $1 (run: sudo $0)" >&2
		exit 1
	fi
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	cd "$ROOT" || exit 1
	TMP=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/pinctl-${0##*/}.XXXXXX")
	TIMED_OUT=$TMP/out
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# bench_rounds DEFAULT: ROUNDS from BENCH_ROUNDS, or DEFAULT; a positive integer.
bench_rounds() {
	ROUNDS=${BENCH_ROUNDS:-$1}
	positive_int BENCH_ROUNDS "$ROUNDS"
}

# bench_build PRODUCT [OPTION...]: a release build of PRODUCT with swift build's OPTIONs,
# its log in TMP/build-PRODUCT.log, whose last lines are shown when it fails; sets BIN to
# the release products' directory.
bench_build() {
	local product=$1 log=$TMP/build-$1.log
	shift
	swift build -c release "$@" --product "$product" >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "swift build of $product failed"; }
	BIN=$(swift build -c release --show-bin-path)
}

stop_holder() {
	[[ -n $HOLDER_PID ]] || return 0
	# The holder exits when its stdin closes. (Its SIGTERM handler sets a flag but the
	# handler is installed with signal(), so the blocked read() restarts: SIGTERM alone
	# does not end it.) SIGKILL is the last resort.
	if [[ -n $HOLDER_IN ]]; then
		exec {HOLDER_IN}>&-
		HOLDER_IN=
	fi
	kill -TERM "$HOLDER_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$HOLDER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$HOLDER_PID" 2>/dev/null || true
	wait "$HOLDER_PID" 2>/dev/null || true
	HOLDER_PID=
}

# shellcheck disable=SC2317 # reached through the trap
cleanup() {
	stop_holder
	rm -rf "$TMP"
}

# start_holder SPEC...: starts the holder, waits for "ready", sets HOLDER_PID and ADDR (the
# first region's address).
start_holder() {
	mkfifo "$TMP/holder-in"
	"$HOLDER_BIN" "$@" <"$TMP/holder-in" >"$TMP/holder.out" 2>"$TMP/holder.err" &
	HOLDER_PID=$!
	exec {HOLDER_IN}>"$TMP/holder-in"
	rm -f "$TMP/holder-in"
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -qx ready "$TMP/holder.out" && break
		kill -0 "$HOLDER_PID" 2>/dev/null ||
			die "pinctl-test-holder $1 exited: $(cat "$TMP/holder.err")"
		sleep 0.1
	done
	grep -qx ready "$TMP/holder.out" || die "pinctl-test-holder $1 not ready after 120 s"
	ADDR=$(awk '$1 == "region" { print $3; exit }' "$TMP/holder.out")
	[[ -n $ADDR ]] || die "no region line from pinctl-test-holder $1"
}

# timed CMD...: runs CMD with stdout to $TIMED_OUT; sets ELAPSED_US and RC, stderr in $TMP/err.
# $EPOCHREALTIME needs LC_ALL=C (a '.' decimal point).
timed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >"$TIMED_OUT" 2>"$TMP/err" && RC=0 || RC=$?
	t1=$EPOCHREALTIME
	ELAPSED_US=$((${t1/./} - ${t0/./}))
}

# median_min VALUE...: "MEDIAN MIN" of integers.
median_min() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1] }'
}

# median VALUE...: the median of integers.
median() {
	local mm
	mm=$(median_min "$@")
	echo "${mm% *}"
}
