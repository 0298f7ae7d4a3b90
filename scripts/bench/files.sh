#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# files.sh - wall time of `pinctl files` next to vmtouch and util-linux's fincore doing
# the same work, run side by side in this script, as ratios:
#
#   case        pinctl                          vmtouch              fincore
#   tree totals files --summary TREE            vmtouch TREE         -
#   tree rows   files TREE (a line per file)    vmtouch -v TREE      fincore FILE... (every file)
#   1 GiB file  files BIG                       vmtouch BIG          fincore BIG
#
# TREE is 10,000 files (1-64 KiB, half of them read into the cache) in 100 directories;
# BIG one 1 GiB file, cached. Whole processes, fork to exit ($EPOCHREALTIME), output to a
# file; the rounds alternate the order; medians and minimums. The target: pinctl at
# most 1.0x of vmtouch. Prints figures only: exit status 0 unless something broke.
#
#   sudo scripts/bench/files.sh          # BENCH_ROUNDS=9 BENCH_FILES=10000 BENCH_DIR=/var/tmp
set -eu -o pipefail
export LC_ALL=C

# shellcheck source=scripts/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_rounds 9
NFILES=${BENCH_FILES:-10000}
positive_int BENCH_FILES "$NFILES"
# On a disk file system (tmpfs page cache cannot be dropped or evicted): /var/tmp by default.
bench_begin "cachestat and mincore answer for every file only to root" "${BENCH_DIR:-/var/tmp}"
HOLDER_BIN=

command -v fincore >/dev/null || die "fincore (util-linux) is missing: run scripts/check/install-deps.sh"
command -v vmtouch >/dev/null || die "vmtouch is missing: run scripts/check/install-deps.sh"

echo "building (release, static) ..."
swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product pinctl >/dev/null
PINCTL=$(swift build -c release --show-bin-path)/pinctl

echo "making $NFILES files in 100 directories and one 1 GiB file in $TMP ..."
TREE=$TMP/tree
mkdir -p "$TREE"
for ((d = 0; d < 100; d++)); do mkdir "$TREE/d$d"; done
head -c $((64 << 10)) /dev/urandom >"$TMP/chunk"
FILES=()
for ((i = 0; i < NFILES; i++)); do
	f=$TREE/d$((i % 100))/f$i
	head -c $(((i % 64 + 1) << 10)) "$TMP/chunk" >"$f"
	FILES+=("$f")
done
sync
# Half the files cached, half dropped: both answers occur.
vmtouch -q -e "$TREE"
for ((i = 0; i < NFILES; i += 2)); do printf '%s\0' "${FILES[i]}"; done | xargs -0 cat >/dev/null
BIG=$TMP/big
dd if=/dev/zero of="$BIG" bs=1M count=1024 status=none
sync

# The answers agree before anything is timed (the host's DAMON evicts cold page cache, so
# they are read back to back).
"$PINCTL" files --summary "$TREE" >"$TMP/p.txt" 2>/dev/null
vmtouch "$TREE" >"$TMP/v.txt"
echo "pinctl: $(grep '^total:' "$TMP/p.txt")"
echo "vmtouch: $(grep 'Resident Pages' "$TMP/v.txt" | tr -s ' ')"

ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

# bench NAME -- PINCTL_ARGS... -- VMTOUCH_ARGS... [-- FINCORE_ARGS...]
bench() {
	local name=$1
	shift 2
	local -a p=() v=() f=()
	while [[ $1 != -- ]]; do p+=("$1"); shift; done
	shift
	while (($#)) && [[ $1 != -- ]]; do v+=("$1"); shift; done
	if (($#)); then shift; f=("$@"); fi
	local -a tp=() tv=() tf=()
	local r
	for ((r = 0; r < ROUNDS; r++)); do
		# Keep the states: the cached half and the big file stay cached between rounds.
		vmtouch -q -t "$BIG" >/dev/null
		if ((r % 2)); then
			timed "$PINCTL" "${p[@]}"; tp+=("$ELAPSED_US")
			timed vmtouch "${v[@]}"; tv+=("$ELAPSED_US")
			if ((${#f[@]})); then timed fincore "${f[@]}"; tf+=("$ELAPSED_US"); fi
		else
			if ((${#f[@]})); then timed fincore "${f[@]}"; tf+=("$ELAPSED_US"); fi
			timed vmtouch "${v[@]}"; tv+=("$ELAPSED_US")
			timed "$PINCTL" "${p[@]}"; tp+=("$ELAPSED_US")
		fi
	done
	local mp mv mf
	read -r mp minp <<<"$(median_min "${tp[@]}")"
	read -r mv minv <<<"$(median_min "${tv[@]}")"
	local line
	line=$(printf '%-12s pinctl %8s ms (min %8s)   vmtouch %8s ms (min %8s)   pinctl/vmtouch %6s' \
		"$name" "$(ms "$mp")" "$(ms "$minp")" "$(ms "$mv")" "$(ms "$minv")" "$(ratio "$mp" "$mv")")
	if ((${#tf[@]})); then
		read -r mf minf <<<"$(median_min "${tf[@]}")"
		line+=$(printf '   fincore %8s ms (min %8s)   pinctl/fincore %6s' "$(ms "$mf")" "$(ms "$minf")" "$(ratio "$mp" "$mf")")
	fi
	echo "$line"
}

echo "== $ROUNDS rounds, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r), $(nproc) CPUs; medians of whole processes"
bench "tree totals" -- files --summary --quiet "$TREE" -- "$TREE"
bench "tree rows" -- files "$TREE" -- -v "$TREE" -- --bytes --noheadings --raw "${FILES[@]}"
bench "1 GiB file" -- files "$BIG" -- "$BIG" -- --bytes --noheadings --raw "$BIG"
"$PINCTL" --version >/dev/null
timed "$PINCTL" --version
echo "pinctl --version (start-up floor): $(ms "$ELAPSED_US") ms"
