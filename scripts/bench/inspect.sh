#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# inspect.sh - wall time of `pinctl inspect` on a populated 1 GiB range of
# another process, next to a plain C reader of the same files
# (scripts/bench/inspect-reader.c) run in the same script, as a ratio.
#
#   sudo scripts/bench/inspect.sh          # BENCH_ROUNDS=7 by default
#
# Two cases, each in a fresh pinctl-test-holder process:
#   anon:1G  1 GiB of written 4K pages: the C reader reads every page's entries.
#            Target: pinctl within 1.2x of the C reader.
# Both cases run the C reader with --summary: it reads what `pinctl inspect` reads for
# a summary (smaps, PAGEMAP_SCAN, pagemap, kpageflags per PFN run); kpagecount and
# kpagecgroup are per-row facts pinctl reads only for --pages and --json.
#   thp:1G   1 GiB of PMD-mapped THPs: the C reader runs with --thp-heads (the kpage
#            files read once per THP, at its head). Target: pinctl under 5 ms.
# Each timing is the whole process, from fork to exit, taken with bash's
# $EPOCHREALTIME (microseconds, no extra process); the rounds alternate which
# program goes first. The startup floor (/bin/true, `pinctl --version`) shows how
# much of a figure is exec overhead, and the C reader's --split shows how the
# kernel's time divides between the four files.
#
# Prints figures only: the exit status is 0 unless something broke (not root, a
# build failed, the holder did not come up). While `pinctl inspect` is not
# implemented, the pinctl lines say so and the C figures still print.
set -eu -o pipefail
export LC_ALL=C # $EPOCHREALTIME must use '.' as its decimal point

# shellcheck source=scripts/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_rounds 7
bench_begin "/proc/kpageflags, kpagecount and kpagecgroup are root-only, and pagemap shows PFNs only to CAP_SYS_ADMIN"
TIMED_OUT=/dev/null

# ---- build -------------------------------------------------------------------------

echo "building (release) ..."
bench_build pinctl-test-holder
HOLDER_BIN=$BIN/pinctl-test-holder

PINCTL=$BIN/pinctl
PINCTL_STATE=ok # ok, or why pinctl's figures are missing
if ! swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product pinctl >"$TMP/build-pinctl.log" 2>&1; then
	PINCTL_STATE="release build failed: $(grep -m1 -E 'error:' "$TMP/build-pinctl.log" || tail -n1 "$TMP/build-pinctl.log")"
fi

READER=$ROOT/.build/bench/inspect-reader
mkdir -p "$(dirname "$READER")"
gcc -O2 -Wall -Wextra -o "$READER" scripts/bench/inspect-reader.c ||
	die "gcc failed on scripts/bench/inspect-reader.c"

# ---- helpers -----------------------------------------------------------------------

# row LABEL MICROSECONDS...: one "median min" line in milliseconds.
row() {
	local label=$1
	shift
	local mm
	mm=$(median_min "$@")
	awk -v l="$label" -v mm="$mm" 'BEGIN { split(mm, a, " ");
		printf "  %-26s %10.3f ms %10.3f ms\n", l, a[1] / 1000, a[2] / 1000 }'
}

# ms MICROSECONDS: "12.345"
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }

# pinctl_check PID RANGE PRESENT: sets PINCTL_STATE unless `pinctl inspect` really works.
pinctl_check() {
	[[ $PINCTL_STATE == ok ]] || return 0
	local rc=0
	"$PINCTL" inspect "$1" "$2" >"$TMP/pinctl.out" 2>"$TMP/pinctl.err" || rc=$?
	if [[ $rc -ne 0 ]]; then
		PINCTL_STATE="\`pinctl inspect\` exited $rc: $(head -n1 "$TMP/pinctl.err")"
		return 0
	fi
	# A stub that ignores its arguments also exits 0: a real inspect fails on a pid
	# that cannot exist (pids are below pid_max).
	if "$PINCTL" inspect "$(cat /proc/sys/kernel/pid_max)" "$2" >/dev/null 2>&1; then
		PINCTL_STATE="\`pinctl inspect\` succeeds on a pid that cannot exist: not implemented yet?"
		return 0
	fi
	if ! grep -qw "$3" "$TMP/pinctl.out"; then
		PINCTL_NOTE="note: pinctl's output does not show the present-page count $3; check it covers the range"
	fi
}

# split_medians FILE: the medians of the C reader's --split lines.
split_medians() {
	local key line=""
	for key in pagemap PAGEMAP_SCAN kpageflags kpagecount kpagecgroup; do
		local vals
		vals=$(awk -v k="$key" '$1 == k { print int($2 * 1000) }' "$1")
		[[ -n $vals ]] || continue
		# shellcheck disable=SC2086 # one value a line, split on purpose
		line+="$key $(ms "$(median_min $vals | cut -d' ' -f1)")  "
	done
	local totals
	totals=$(awk '$1 == "split" { print int($NF * 1000) }' "$1")
	# shellcheck disable=SC2086
	echo "$line(in-process total $(ms "$(median_min $totals | cut -d' ' -f1)") ms)"
}

# ---- startup floor -----------------------------------------------------------------

echo
echo "pinctl inspect benchmark: $(uname -r), $(nproc) CPUs," \
	"THP $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)," \
	"$ROUNDS rounds, times of whole processes"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in the medians first)"
echo
printf '  %-26s %13s %13s\n' "process startup floor" median min
TRUE_US=() VERSION_US=()
for ((r = 0; r < ROUNDS; r++)); do
	timed /bin/true
	TRUE_US+=("$ELAPSED_US")
	if [[ $PINCTL_STATE == ok ]]; then
		timed "$PINCTL" --version
		VERSION_US+=("$ELAPSED_US")
	fi
done
row "/bin/true" "${TRUE_US[@]}"
if [[ ${#VERSION_US[@]} -gt 0 ]]; then
	row "pinctl --version" "${VERSION_US[@]}"
else
	echo "  pinctl --version           (no pinctl: $PINCTL_STATE)"
fi

# ---- one case ----------------------------------------------------------------------

# bench_case SPEC READER_FLAGS...
bench_case() {
	local spec=$1
	shift
	start_holder "$spec"
	local range="$ADDR+1G" c_out state=$PINCTL_STATE
	PINCTL_NOTE=
	echo
	echo "$spec: holder pid $HOLDER_PID, range $range"

	"$READER" "$HOLDER_PID" "$ADDR" 1G "$@" >"$TMP/c.out" ||
		die "inspect-reader failed on $spec"
	local present runs huge_kb
	present=$(awk '$1 == "pages" { print $4 }' "$TMP/c.out")
	runs=$(awk '$1 == "physical_runs" { print $2 }' "$TMP/c.out")
	huge_kb=$(awk '$1 == "AnonHugePages:" { print $2 }' "/proc/$HOLDER_PID/smaps_rollup")
	echo "  present pages $present, contiguous physical runs $runs," \
		"THP-backed $((huge_kb / 1024)) of 1024 MiB"
	c_out=$(grep '^thp_read_at_head' "$TMP/c.out" || true)
	[[ -z $c_out ]] || echo "  C reader: $c_out"

	PINCTL_STATE=$state
	pinctl_check "$HOLDER_PID" "$range" "$present"

	local -a c_us=() p_us=()
	local p_fail=0
	for ((r = 0; r < ROUNDS; r++)); do
		# Even rounds run the C reader first, odd rounds pinctl first.
		local order=(c p)
		((r % 2 == 0)) || order=(p c)
		local who
		for who in "${order[@]}"; do
			if [[ $who == c ]]; then
				timed "$READER" "$HOLDER_PID" "$ADDR" 1G "$@"
				[[ $RC -eq 0 ]] || die "inspect-reader failed: $(head -n1 "$TMP/err")"
				c_us+=("$ELAPSED_US")
			elif [[ $PINCTL_STATE == ok ]]; then
				timed "$PINCTL" inspect "$HOLDER_PID" "$range"
				if [[ $RC -eq 0 ]]; then
					p_us+=("$ELAPSED_US")
				else
					p_fail=$((p_fail + 1))
				fi
			fi
		done
	done

	printf '  %-26s %13s %13s\n' "" median min
	row "C inspect-reader $*" "${c_us[@]}"
	if [[ $PINCTL_STATE != ok ]]; then
		echo "  pinctl inspect             not ready ($PINCTL_STATE)"
	elif [[ ${#p_us[@]} -eq 0 ]]; then
		echo "  pinctl inspect             failed in every round: $(head -n1 "$TMP/err")"
	else
		row "pinctl inspect" "${p_us[@]}"
		[[ $p_fail -eq 0 ]] || echo "  ($p_fail of $ROUNDS pinctl rounds failed and are not counted)"
		local cm pm
		cm=$(median_min "${c_us[@]}")
		pm=$(median_min "${p_us[@]}")
		awk -v c="$cm" -v p="$pm" 'BEGIN { split(c, a, " "); split(p, b, " ");
			printf "  %-26s %12.2fx %12.2fx\n", "ratio pinctl/C", b[1] / a[1], b[2] / a[2] }'
		LAST_RATIO=$(awk -v c="${cm% *}" -v p="${pm% *}" 'BEGIN { printf "%.2f", p / c }')
		[[ -z $PINCTL_NOTE ]] || echo "  $PINCTL_NOTE"
	fi
	LAST_P_US=("${p_us[@]}")

	# Where the kernel spends the C reader's time, by file.
	: >"$TMP/split"
	for ((r = 0; r < ROUNDS; r++)); do
		"$READER" "$HOLDER_PID" "$ADDR" 1G "$@" --split 2>>"$TMP/split" >/dev/null
	done
	echo "  kernel time by file, C reader, median ms:"
	echo "    $(split_medians "$TMP/split")"
	stop_holder
}

LAST_P_US=() LAST_RATIO=
bench_case anon:1G --summary
if [[ ${#LAST_P_US[@]} -gt 0 ]]; then
	if awk -v r="$LAST_RATIO" 'BEGIN { exit !(r <= 1.2) }'; then verdict=yes; else verdict=no; fi
	echo "  pinctl 4K median within 1.2x of the C reader: $verdict (${LAST_RATIO}x)"
else
	echo "  pinctl 4K median within 1.2x of the C reader: unknown (pinctl inspect not ready)"
fi

bench_case thp:1G --thp-heads --summary
if [[ ${#LAST_P_US[@]} -gt 0 ]]; then
	mm=$(median_min "${LAST_P_US[@]}")
	med=${mm% *}
	if awk -v m="$med" 'BEGIN { exit !(m < 5000) }'; then verdict=yes; else verdict=no; fi
	echo "  pinctl THP median under 5 ms: $verdict ($(ms "$med") ms)"
else
	echo "  pinctl THP median under 5 ms: unknown (pinctl inspect not ready)"
fi
exit 0
