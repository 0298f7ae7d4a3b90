#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# census.sh - wall time of `pinctl census` on a host with 1,000 extra (sleeping)
# processes, next to a C program reading the same files the same way
# (scripts/bench/census-reader.c), run in the same script, as a ratio.
#
#   sudo scripts/bench/census.sh        # BENCH_ROUNDS=9, BENCH_PROCESSES=1000 by default
#
# Targets: the census within 50 ms and within 1.2x of the C reader. Each
# timing is the whole process, fork to exit, from bash's $EPOCHREALTIME; the rounds
# alternate which program goes first; `pinctl --version` shows the startup floor.
# Prints figures only: exit status 0 unless something broke (not root, a build failed).
set -eu -o pipefail
export LC_ALL=C

ROUNDS=${BENCH_ROUNDS:-9}
PROCS=${BENCH_PROCESSES:-1000}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench-census.sh: BENCH_ROUNDS must be a positive integer" >&2; exit 2; }
[[ $PROCS =~ ^[0-9]+$ ]] || { echo "bench-census.sh: BENCH_PROCESSES must be a number" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
	echo "bench-census.sh: must run as root (the census reads every process's fds; run: sudo $0)" >&2
	exit 1
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SLEEPERS=()
cleanup() {
	# Only the processes this script started, by pid.
	if ((${#SLEEPERS[@]})); then kill "${SLEEPERS[@]}" 2>/dev/null || true; wait "${SLEEPERS[@]}" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "building (release, static) ..."
swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product pinctl >/dev/null
PINCTL=$(swift build -c release --show-bin-path)/pinctl
mkdir -p .build/bench
gcc -O2 -Wall -Wextra -o .build/bench/census-reader scripts/bench/census-reader.c
READER=.build/bench/census-reader

for ((i = 0; i < PROCS; i++)); do
	sleep 3600 &
	SLEEPERS+=($!)
done
echo "$PROCS sleeping processes started; $(ls -d /proc/[0-9]* | wc -l) processes in /proc"

# time_us CMD...: microseconds of one run, output discarded.
time_us() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null
	t1=$EPOCHREALTIME
	echo $((${t1/./} - ${t0/./}))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }

P=() C=() F=()
for ((r = 0; r < ROUNDS; r++)); do
	if ((r % 2)); then
		C+=("$(time_us "$READER")")
		P+=("$(time_us "$PINCTL" census)")
	else
		P+=("$(time_us "$PINCTL" census)")
		C+=("$(time_us "$READER")")
	fi
	F+=("$(time_us "$PINCTL" --version)")
done
pm=$(median "${P[@]}") cm=$(median "${C[@]}") fm=$(median "${F[@]}")
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-34s %8s ms (median of %d)\n' "pinctl census" "$(ms "$pm")" "$ROUNDS"
printf '  %-34s %8s ms\n' "C reader of the same files" "$(ms "$cm")"
printf '  %-34s %8s ms\n' "pinctl --version (startup floor)" "$(ms "$fm")"
printf '  %-34s %8s\n' "ratio pinctl / C" "$(awk -v a="$pm" -v b="$cm" 'BEGIN {printf "%.2fx", a / b}')"
echo "  pinctl's own report of its scan: $("$PINCTL" census | head -1 | grep -o '[0-9.]* ms$')"
# On a loaded machine the wall time is mostly waiting for a CPU: the CPU time of one run
# (getrusage, via bash's `times` around a subshell) shows the work itself.
cpu_ms() {
	local out
	out=$( ( "$@" >/dev/null; times ) | tail -n 1)
	# "0m0.004s 0m0.021s": the children's user and system time.
	awk -v t="$out" 'BEGIN { split(t, f, " "); s = 0; for (i = 1; i <= 2; i++) { split(f[i], m, "m"); sub("s", "", m[2]); s += m[1] * 60 + m[2] }; printf "%.1f", s * 1000 }'
}
printf '  %-34s %8s ms (user+sys of one run)\n' "pinctl census CPU" "$(cpu_ms "$PINCTL" census)"
printf '  %-34s %8s ms\n' "C reader CPU" "$(cpu_ms "$READER")"
