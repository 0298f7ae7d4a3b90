#!/bin/sh
# guest-bench-deep.sh MIB ROUNDS: the in-VM half of scripts/bench/deep.sh (busybox sh, root,
# payload in /pinctl). Populates MIB MiB in one process (deep-floor hold), then times, ROUNDS
# times in alternating order, `pinctl census --deep --json` and `deep-floor walk` (the same
# maps, PAGEMAP_SCAN and QUERY calls in C), each as a whole process, and ./pinctl-baseline
# (an older build, when the payload has one). Prints figures only.
cd /pinctl || exit 125
MIB=${1:-8192}
ROUNDS=${2:-5}
insmod pinctl.ko || { echo "bench-deep: insmod pinctl.ko failed"; exit 1; }
echo "bench-deep: kernel $(uname -r), $(nproc) CPU, $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
t0=$(date +%s)
./deep-floor hold "$MIB" >/tmp/hold.out 2>&1 &
hp=$!
while ! grep -q '^ready' /tmp/hold.out; do
	kill -0 $hp 2>/dev/null || { cat /tmp/hold.out; exit 1; }
	sleep 1
done
echo "bench-deep: $MIB MiB populated in $(($(date +%s) - t0)) s"
# Warm-up, and what each walks.
./pinctl census --deep --json >/tmp/deep.json
echo "bench-deep: census --deep: $(grep -o '"pagesQueried":[0-9]*,"processesSkipped":[0-9]*,"processesWalked":[0-9]*' /tmp/deep.json)"
echo "bench-deep: floor: $(./deep-floor walk)"
P=""
F=""
B=""
V=""
BL=""
r=0
while [ $r -lt "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 0 ]; then
		p=$(./deep-floor time ./pinctl census --deep --json)
		f=$(./deep-floor time ./deep-floor walk)
	else
		f=$(./deep-floor time ./deep-floor walk)
		p=$(./deep-floor time ./pinctl census --deep --json)
	fi
	# What --deep adds to: the census without it, and the process start-up alone.
	b=$(./deep-floor time ./pinctl census --json)
	v=$(./deep-floor time ./pinctl --version)
	if [ -x ./pinctl-baseline ]; then
		bl=$(./deep-floor time ./pinctl-baseline census --deep --json)
		echo "bench-deep: round $r: baseline census --deep $bl ms"
		BL="$BL $bl"
	fi
	echo "bench-deep: round $r: census --deep $p ms, floor $f ms; census without --deep $b ms, pinctl --version $v ms"
	P="$P $p"
	F="$F $f"
	B="$B $b"
	V="$V $v"
	r=$((r + 1))
done
med() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# shellcheck disable=SC2086  # each a list of numbers, one argument per number
mp=$(med $P) mf=$(med $F) mb=$(med $B) mv=$(med $V)
echo "bench-deep: median over $ROUNDS rounds: census --deep $mp ms, floor (C, same QUERY calls) $mf ms, ratio $(awk -v p="$mp" -v f="$mf" 'BEGIN { printf "%.2f", p / f }')x (target 1.2x)"
echo "bench-deep: census without --deep $mb ms, pinctl --version $mv ms; --deep's own part (census --deep - census) $(awk -v p="$mp" -v b="$mb" 'BEGIN { printf "%.1f", p - b }') ms, $(awk -v p="$mp" -v b="$mb" -v f="$mf" 'BEGIN { printf "%.2f", (p - b) / f }')x the floor"
if [ -n "$BL" ]; then
	# shellcheck disable=SC2086  # a list of numbers, one argument per number
	mbl=$(med $BL)
	echo "bench-deep: baseline (./pinctl-baseline) census --deep median $mbl ms, $(awk -v p="$mbl" -v f="$mf" 'BEGIN { printf "%.2f", p / f }')x the floor"
fi
kill $hp
wait $hp 2>/dev/null
rmmod pinctl
