#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# rows.sh - per-page output of `pinctl inspect --no-collapse` (text, --json,
# --json-lines) on a populated 1 GiB range of another process, side by side with the
# kernel's own tools/mm/page-types (the tool users compare with) and a C floor, as ratios;
# then how soon the first row arrives and the max RSS, up to a 16 GiB range.
#
#   sudo scripts/bench/rows.sh          # BENCH_ROUNDS=5 by default
#   sudo BENCH_ONLY=holes scripts/bench/rows.sh   # only the holes case
#
# Cases, each in a fresh pinctl-test-holder process:
#   anon:1G  1 GiB of written 4K pages (262144 rows).
#   thp:1G   1 GiB of PMD-mapped THPs, every page a row (--no-collapse reads each).
# Programs, every one writing to a file in $TMPDIR (whole processes, fork to exit, by
# bash's $EPOCHREALTIME; the rounds rotate which goes first):
#   page-types -L -M -C   flags, mapcount and cgroup per page (the issue's baseline);
#                         scripts/check/build-page-types.sh builds it from Debian's
#                         linux-source-6.12
#   page-types -L         flags per page
#   C rows-floor          scripts/bench/rows-floor.c: reads the files as pinctl does and
#                         writes pinctl's --json-lines page records, hand-formatted
#   pinctl --pages, --json, --json-lines (all --no-collapse)
# Then holes: a 256 GiB PROT_NONE reservation beside 1 GiB with six written pages
# (pinctl-test-holder reserve:256G few:1G), the whole 257 GiB as one range, rows collapsed
# (a row per run of absent pages): pinctl before (--read-holes: every pagemap entry read,
# as before PAGEMAP_SCAN skipped holes) and after, in each format, against page-types -L -M -C
# and -L over the same range.
# Then scripts/bench/first-byte.c runs pinctl with stdout on a pipe: the time to the
# first byte, to the first row, the whole time and the child's max RSS, for 1 GiB and for sparse:16G (16 GiB
# of page tables, one written page in 64: 4Mi rows, output to /dev/null).
#
# Prints figures and ratios only: the exit status is 0 unless something broke (not root,
# a build failed, the holder did not come up).
set -eu -o pipefail
export LC_ALL=C

# shellcheck source=scripts/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_rounds 5
bench_begin "kpageflags, kpagecount and kpagecgroup are root-only"

# ---- build -------------------------------------------------------------------------

echo "building (release) ..."
bench_build pinctl-test-holder
bench_build pinctl --static-swift-stdlib -Xswiftc -static-executable
HOLDER_BIN=$BIN/pinctl-test-holder
PINCTL=$BIN/pinctl
PAGE_TYPES=$(scripts/check/build-page-types.sh) || die "page-types did not build (scripts/check/build-page-types.sh)"
mkdir -p "$ROOT/.build/bench"
FLOOR=$ROOT/.build/bench/rows-floor
FIRST_BYTE=$ROOT/.build/bench/first-byte
gcc -O2 -Wall -Wextra -o "$FLOOR" scripts/bench/rows-floor.c || die "gcc failed on rows-floor.c"
gcc -O2 -Wall -Wextra -o "$FIRST_BYTE" scripts/bench/first-byte.c || die "gcc failed on first-byte.c"

echo
echo "pinctl inspect rows benchmark: $(uname -r), $(nproc) CPUs, $ROUNDS rounds, whole processes, output to a file"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in the medians first)"
echo "page-types: $PAGE_TYPES"

# alternate_rounds KEEP_FROM: runs each of CMDS (named in LABELS) ROUNDS times, the order
# rotated by one each round so no command always runs after the same one; sets MED[k] (the
# median in microseconds) and SIZES[k] (the output's bytes), and keeps the output of commands
# KEEP_FROM and up in $TMP/out-K.
alternate_rounds() {
	local keep_from=$1 n=${#CMDS[@]} r k i
	local -a times
	for ((k = 0; k < n; k++)); do times[k]=""; done
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			# shellcheck disable=SC2086 # the command line splits on purpose
			timed ${CMDS[k]}
			[[ $RC -eq 0 ]] || die "${LABELS[k]} exited $RC: $(head -n1 "$TMP/err")"
			times[k]+=" $ELAPSED_US"
			SIZES[k]=$(stat -c %s "$TMP/out")
			((k < keep_from)) || cp "$TMP/out" "$TMP/out-$k"
		done
	done
	MED=()
	for ((k = 0; k < n; k++)); do
		# shellcheck disable=SC2086
		MED[k]=$(median ${times[k]})
	done
}

# bench_case SPEC
bench_case() {
	local spec=$1
	start_holder "$spec"
	local first=$((ADDR / 4096)) pages=262144
	local range="$ADDR+1G"
	echo
	echo "$spec: holder pid $HOLDER_PID, range $range ($pages pages)," \
		"THP-backed $(($(awk '$1 == "AnonHugePages:" { print $2 }' "/proc/$HOLDER_PID/smaps_rollup") / 1024)) MiB"
	LABELS=("page-types -L -M -C" "page-types -L" "C rows-floor" "pinctl --pages" "pinctl --json" "pinctl --json-lines")
	CMDS=(
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L -M -C"
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L"
		"$FLOOR $HOLDER_PID $ADDR 1G"
		"$PINCTL inspect --pages --no-collapse $HOLDER_PID $range"
		"$PINCTL inspect --json --no-collapse $HOLDER_PID $range"
		"$PINCTL inspect --json-lines --no-collapse $HOLDER_PID $range"
	)
	alternate_rounds ${#CMDS[@]}
	local k
	printf '  %-22s %12s %12s %10s %10s %10s\n' "" "median" "output" "/ -L -M -C" "/ -L" "/ C floor"
	for ((k = 0; k < ${#CMDS[@]}; k++)); do
		awk -v l="${LABELS[k]}" -v m="${MED[k]}" -v s="${SIZES[k]}" -v a="${MED[0]}" -v b="${MED[1]}" -v c="${MED[2]}" \
			'BEGIN { printf "  %-22s %9.1f ms %9.1f MB %9.2fx %9.2fx %9.2fx\n", l, m / 1000, s / 1e6, m / a, m / b, m / c }'
	done
	stop_holder
}

if [[ ${BENCH_ONLY:-} != holes ]]; then
	bench_case anon:1G
	bench_case thp:1G
fi

# ---- holes -------------------------------------------------------------------------

holes_case() {
	start_holder reserve:256G few:1G
	# The range from the lowest region to the end of the highest (mmap places them side by side).
	local lo="" hi=0 word a size
	while read -r word _ a size; do
		[[ $word == region ]] || continue
		if [[ -z $lo ]] || ((a < lo)); then lo=$((a)); fi
		if ((a + size > hi)); then hi=$((a + size)); fi
	done <"$TMP/holder.out"
	local first=$((lo / 4096)) pages=$(((hi - lo) / 4096))
	local range
	range=$(printf '0x%x+%dK' "$lo" $(((hi - lo) / 1024)))
	echo
	echo "holes: reserve:256G few:1G, holder pid $HOLDER_PID, range $range ($pages pages, 6 present), rows collapsed"
	LABELS=("page-types -L -M -C" "page-types -L"
		"pinctl --pages before" "pinctl --pages" "pinctl --json before" "pinctl --json"
		"pinctl --json-lines before" "pinctl --json-lines")
	CMDS=(
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L -M -C"
		"$PAGE_TYPES -p $HOLDER_PID -a $first,$((first + pages)) -L"
		"$PINCTL inspect --pages --read-holes $HOLDER_PID $range"
		"$PINCTL inspect --pages $HOLDER_PID $range"
		"$PINCTL inspect --json --read-holes $HOLDER_PID $range"
		"$PINCTL inspect --json $HOLDER_PID $range"
		"$PINCTL inspect --json-lines --read-holes $HOLDER_PID $range"
		"$PINCTL inspect --json-lines $HOLDER_PID $range"
	)
	alternate_rounds 2
	local k
	printf '  %-28s %12s %12s %10s %10s %10s\n' "" "median" "output" "/ -L -M -C" "/ -L" "/ before"
	for ((k = 0; k < ${#CMDS[@]}; k++)); do
		local before=${MED[k]}
		((k >= 3 && k % 2 == 1)) && before=${MED[k - 1]}
		awk -v l="${LABELS[k]}" -v m="${MED[k]}" -v s="${SIZES[k]}" -v a="${MED[0]}" -v b="${MED[1]}" -v c="$before" \
			'BEGIN { printf "  %-28s %9.1f ms %9.1f kB %9.3fx %9.3fx %9.3fx\n", l, m / 1000, s / 1e3, m / a, m / b, m / c }'
	done
	# Before and after print the same bytes (compared, never fatal: a page's flags may
	# change between two runs).
	for k in 2 4 6; do
		if cmp -s "$TMP/out-$k" "$TMP/out-$((k + 1))"; then
			echo "  ${LABELS[k + 1]}: the same bytes as before"
		else
			echo "  ${LABELS[k + 1]}: DIFFERS from before: $(cmp "$TMP/out-$k" "$TMP/out-$((k + 1))" 2>&1 | head -n1)"
		fi
	done
	stop_holder
}
holes_case

# ---- first byte and memory ---------------------------------------------------------

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
if [[ ${BENCH_ONLY:-} != holes ]]; then
	echo
	echo "first byte and first row on stdout (a pipe), whole time and max RSS of pinctl, median of $ROUNDS (16 GiB: 1 run each)"
	printf '  %-34s %12s %12s %12s %12s\n' "" "first byte" "first row" "whole" "max RSS"
	latency anon:1G 1G "$ROUNDS" "$TMP/out" --pages --json --json-lines
	latency sparse:16G 16G 1 /dev/null --pages --json --json-lines
fi
exit 0
