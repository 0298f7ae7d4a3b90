#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# phys.sh - wall time of `pinctl phys all` (every frame of this machine) next to the
# kernel's tools/mm/page-types doing the same work, in the same script, as a ratio; and of
# `pinctl phys --owners` over all processes.
#
#   sudo scripts/bench/phys.sh          # BENCH_ROUNDS=5 by default
#
# Cases (stdout to /dev/null, whole processes, rounds alternating which runs first):
#   summary   `page-types -r` (kpageflags only, the flag-combination summary) against
#             `pinctl phys all` (the same reads plus zoneinfo and the memory blocks' sysfs
#             files). Target: at most 1.0x.
#   list      `page-types -r -l -M -C` (ranges with mapcount and cgroup) against
#             `pinctl phys --pages all` (the same three tables, a row per run).
#   owners    `scripts/bench/owners-floor 33` (C, cc -O2: kpageflags' mlocked frames into a
#             bitmap, then every process's maps, PAGEMAP_SCAN present regions and pagemap
#             preads, the same calls as ReverseMap.swift) against
#             `pinctl phys --owners --flags mlocked all`, with a pinctl-test-holder holding
#             mlock:256M running (65536 known owned frames, entries to read).
#             Target: at most 1.2x. Then both run once more and their totals lines are
#             compared: "owners: mismatch" when they differ (processes come and go between
#             the two runs on a busy machine, so a mismatch is printed, not fatal).
# Prints figures only: the exit status is 0 unless something broke.
set -eu -o pipefail
export LC_ALL=C

# shellcheck source=scripts/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_rounds 5
bench_begin "/proc/kpageflags is root-only"
TIMED_OUT=/dev/null

echo "building (release) ..."
bench_build pinctl
bench_build pinctl-test-holder
PINCTL=$BIN/pinctl
HOLDER_BIN=$BIN/pinctl-test-holder
FLOOR=$ROOT/.build/bench/owners-floor
mkdir -p "$ROOT/.build/bench"
cc -O2 -Wall -Wextra -o "$FLOOR" scripts/bench/owners-floor.c || die "cc failed on scripts/bench/owners-floor.c"
PT=$(scripts/check/build-page-types.sh --quiet) || die "page-types is not to be had (scripts/check/build-page-types.sh)"

ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '  %-52s %10s %10s %7s\n' case "median ms" "min ms" ratio

# bench LABEL BASELINE-CMD -- PINCTL-CMD
bench() {
	local label=$1 i a=() b=()
	shift
	local base=() mine=()
	while [[ $1 != -- ]]; do base+=("$1"); shift; done
	shift
	mine=("$@")
	for ((i = 0; i < ROUNDS; i++)); do
		if ((i % 2)); then
			timed "${mine[@]}"; [[ $RC -eq 0 ]] || die "${mine[*]}: exit $RC: $(head -c 300 "$TMP/err")"; b+=("$ELAPSED_US")
			timed "${base[@]}"; a+=("$ELAPSED_US")
		else
			timed "${base[@]}"; a+=("$ELAPSED_US")
			timed "${mine[@]}"; [[ $RC -eq 0 ]] || die "${mine[*]}: exit $RC: $(head -c 300 "$TMP/err")"; b+=("$ELAPSED_US")
		fi
	done
	local ma mb
	read -r ma mina <<<"$(median_min "${a[@]}")"
	read -r mb minb <<<"$(median_min "${b[@]}")"
	printf '  %-52s %10s %10s\n' "$label: ${base[0]##*/} ${base[*]:1}" "$(ms "$ma")" "$(ms "$mina")"
	printf '  %-52s %10s %10s %6sx\n' "$label: pinctl ${mine[*]:1}" "$(ms "$mb")" "$(ms "$minb")" \
		"$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }')"
}

bench summary "$PT" -r -- "$PINCTL" phys all
bench list "$PT" -r -l -N -M -C -- "$PINCTL" phys --pages all
# --owners against the C floor, with a holder whose mlocked frames both must find.
start_holder mlock:256M
bench owners "$FLOOR" 33 -- "$PINCTL" phys --owners --flags mlocked all
"$FLOOR" 33 >"$TMP/floor.out" || die "owners-floor failed"
"$PINCTL" phys --owners --flags mlocked all >"$TMP/pinctl.out" 2>"$TMP/err" || die "phys --owners: $(head -c 300 "$TMP/err")"
floor_line=$(grep -m1 '^owners: ' "$TMP/floor.out" || true)
pinctl_line=$(grep -m1 -o 'owners: [0-9]* processes map .* skipped' "$TMP/pinctl.out" || true)
if [[ -n $floor_line && ${floor_line%; *} == "${pinctl_line%; *}" ]]; then
	echo "  owners: same totals: ${floor_line#owners: }"
else
	echo "  owners: mismatch: floor '${floor_line#owners: }', pinctl '${pinctl_line#owners: }'"
fi
stop_holder
/usr/bin/time -f "  max RSS of pinctl phys --pages all: %M KiB" "$PINCTL" phys --pages all >/dev/null
