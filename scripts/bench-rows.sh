#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-rows.sh - per-page output of `pinctl inspect --no-collapse` (text, --json,
# --json-lines) on a populated 1 GiB range of another process, side by side with the
# kernel's own tools/mm/page-types (the tool users compare with) and a C floor, as ratios;
# then how soon the first row arrives and the max RSS, up to a 16 GiB range.
#
#   sudo scripts/bench-rows.sh          # BENCH_ROUNDS=5 by default
#
# Cases, each in a fresh pinctl-test-holder process:
#   anon:1G  1 GiB of written 4K pages (262144 rows).
#   thp:1G   1 GiB of PMD-mapped THPs, every page a row (--no-collapse reads each).
# Programs, every one writing to a file in $TMPDIR (whole processes, fork to exit, by
# bash's $EPOCHREALTIME; the rounds rotate which goes first):
#   page-types -L -M -C   flags, mapcount and cgroup per page (the issue's baseline);
#                         scripts/build-page-types.sh builds it from Debian's
#                         linux-source-6.12
#   page-types -L         flags per page
#   C rows-floor          scripts/bench/rows-floor.c: reads the files as pinctl does and
#                         writes pinctl's --json-lines page records, hand-formatted
#   pinctl --pages, --json, --json-lines (all --no-collapse)
# Then scripts/bench/first-byte.c runs pinctl with stdout on a pipe: the time to the
# first byte, to the first row, the whole time and the child's max RSS, for 1 GiB and for sparse:16G (16 GiB
# of page tables, one written page in 64: 4Mi rows, output to /dev/null).
#
# Prints figures and ratios only: the exit status is 0 unless something broke (not root,
# a build failed, the holder did not come up).
set -eu -o pipefail
export LC_ALL=C

ROUNDS=${BENCH_ROUNDS:-5}
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
	echo "bench-rows.sh: BENCH_ROUNDS must be a positive integer, not '$ROUNDS'" >&2
	exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "bench-rows.sh: must run as root (kpageflags, kpagecount and kpagecgroup are root-only)" >&2
	echo "  run: sudo $0" >&2
	exit 1
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-rows.XXXXXX")
HOLDER_PID=
HOLDER_IN=

stop_holder() {
	[[ -n $HOLDER_PID ]] || return 0
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
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

die() {
	echo "bench-rows.sh: $*" >&2
	exit 1
}

# ---- build -------------------------------------------------------------------------

echo "building (release) ..."
swift build -c release --product pinctl-test-holder >"$TMP/build.log" 2>&1 ||
	{ tail -n 20 "$TMP/build.log" >&2; die "swift build of pinctl-test-holder failed"; }
swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product pinctl >"$TMP/build.log" 2>&1 ||
	{ tail -n 20 "$TMP/build.log" >&2; die "swift build of pinctl failed"; }
BIN=$(swift build -c release --show-bin-path)
HOLDER_BIN=$BIN/pinctl-test-holder
PINCTL=$BIN/pinctl
PAGE_TYPES=$(scripts/build-page-types.sh) || die "page-types did not build (scripts/build-page-types.sh)"
mkdir -p "$ROOT/.build/bench"
FLOOR=$ROOT/.build/bench/rows-floor
FIRST_BYTE=$ROOT/.build/bench/first-byte
gcc -O2 -Wall -Wextra -o "$FLOOR" scripts/bench/rows-floor.c || die "gcc failed on rows-floor.c"
gcc -O2 -Wall -Wextra -o "$FIRST_BYTE" scripts/bench/first-byte.c || die "gcc failed on first-byte.c"

# ---- helpers -----------------------------------------------------------------------

# timed CMD...: runs CMD with stdout to $TMP/out; sets ELAPSED_US and RC.
timed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
	t1=$EPOCHREALTIME
	ELAPSED_US=$((${t1/./} - ${t0/./}))
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# start_holder SPEC: starts the holder, waits for "ready", sets HOLDER_PID and ADDR.
start_holder() {
	mkfifo "$TMP/holder-in"
	"$HOLDER_BIN" "$1" <"$TMP/holder-in" >"$TMP/holder.out" 2>"$TMP/holder.err" &
	HOLDER_PID=$!
	exec {HOLDER_IN}>"$TMP/holder-in"
	rm -f "$TMP/holder-in"
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -qx ready "$TMP/holder.out" && break
		kill -0 "$HOLDER_PID" 2>/dev/null || die "pinctl-test-holder $1 exited: $(cat "$TMP/holder.err")"
		sleep 0.1
	done
	grep -qx ready "$TMP/holder.out" || die "pinctl-test-holder $1 not ready after 120 s"
	ADDR=$(awk '$1 == "region" { print $3; exit }' "$TMP/holder.out")
	[[ -n $ADDR ]] || die "no region line from pinctl-test-holder $1"
}

echo
echo "pinctl inspect rows benchmark: $(uname -r), $(nproc) CPUs, $ROUNDS rounds, whole processes, output to a file"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in the medians first)"
echo "page-types: $PAGE_TYPES"

# bench_case SPEC
bench_case() {
	local spec=$1
	start_holder "$spec"
	local first=$((ADDR / 4096)) pages=262144
	local range="$ADDR+1G"
	echo
	echo "$spec: holder pid $HOLDER_PID, range $range ($pages pages)," \
		"THP-backed $(($(awk '$1 == "AnonHugePages:" { print $2 }' "/proc/$HOLDER_PID/smaps_rollup") / 1024)) MiB"
	local -a labels=("page-types -L -M -C" "page-types -L" "C rows-floor" "pinctl --pages" "pinctl --json" "pinctl --json-lines")
	local -a cmds=(
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L -M -C"
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L"
		"$FLOOR $HOLDER_PID $ADDR 1G"
		"$PINCTL inspect --pages --no-collapse $HOLDER_PID $range"
		"$PINCTL inspect --json --no-collapse $HOLDER_PID $range"
		"$PINCTL inspect --json-lines --no-collapse $HOLDER_PID $range"
	)
	local n=${#cmds[@]} r k i
	local -a times sizes
	for ((k = 0; k < n; k++)); do times[k]=""; done
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			# shellcheck disable=SC2086 # the command line splits on purpose
			timed ${cmds[k]}
			[[ $RC -eq 0 ]] || die "${labels[k]} exited $RC: $(head -n1 "$TMP/err")"
			times[k]+=" $ELAPSED_US"
			sizes[k]=$(stat -c %s "$TMP/out")
		done
	done
	local -a med
	printf '  %-22s %12s %12s %10s %10s %10s\n' "" "median" "output" "/ -L -M -C" "/ -L" "/ C floor"
	for ((k = 0; k < n; k++)); do
		# shellcheck disable=SC2086
		med[k]=$(median ${times[k]})
	done
	for ((k = 0; k < n; k++)); do
		awk -v l="${labels[k]}" -v m="${med[k]}" -v s="${sizes[k]}" -v a="${med[0]}" -v b="${med[1]}" -v c="${med[2]}" \
			'BEGIN { printf "  %-22s %9.1f ms %9.1f MB %9.2fx %9.2fx %9.2fx\n", l, m / 1000, s / 1e6, m / a, m / b, m / c }'
	done
	stop_holder
}

bench_case anon:1G
bench_case thp:1G

# ---- first byte and memory ---------------------------------------------------------

echo
echo "first byte and first row on stdout (a pipe), whole time and max RSS of pinctl, median of $ROUNDS (16 GiB: 1 run each)"
printf '  %-34s %12s %12s %12s %12s\n' "" "first byte" "first row" "whole" "max RSS"
# latency SPEC SIZE RUNS OUTFILE FORMAT...
latency() {
	local spec=$1 size=$2 runs=$3 outfile=$4
	shift 4
	start_holder "$spec"
	local fmt
	for fmt in "$@"; do
		local fb=() fr=() wh=() rss=() r marker
		case $fmt in
		--pages) marker=$'\n0x' ;;
		--json) marker='"pages":[{' ;;
		*) marker='{"type":"page"' ;;
		esac
		for ((r = 0; r < runs; r++)); do
			read -r f w m rc < <("$FIRST_BYTE" "$outfile" "$PINCTL" inspect "$fmt" --no-collapse "$HOLDER_PID" "$ADDR+$size")
			[[ $rc -eq 0 ]] || die "pinctl inspect $fmt of $spec exited $rc"
			fb+=("$(awk -v x="$f" 'BEGIN { printf "%d", x * 1000 }')")
			wh+=("$(awk -v x="$w" 'BEGIN { printf "%d", x * 1000 }')")
			rss+=("$m")
			read -r f w m rc < <("$FIRST_BYTE" -m "$marker" "$outfile" "$PINCTL" inspect "$fmt" --no-collapse "$HOLDER_PID" "$ADDR+$size")
			[[ $rc -eq 0 ]] || die "pinctl inspect $fmt of $spec exited $rc"
			fr+=("$(awk -v x="$f" 'BEGIN { printf "%d", x * 1000 }')")
		done
		awk -v l="$spec $fmt" -v f="$(median "${fb[@]}")" -v r="$(median "${fr[@]}")" -v w="$(median "${wh[@]}")" \
			-v m="$(median "${rss[@]}")" \
			'BEGIN { printf "  %-34s %9.1f ms %9.1f ms %9.1f ms %8.1f MiB\n", l, f / 1000, r / 1000, w / 1000, m / 1024 }'
	done
	stop_holder
}
latency anon:1G 1G "$ROUNDS" "$TMP/out" --pages --json --json-lines
latency sparse:16G 16G 1 /dev/null --pages --json --json-lines
exit 0
