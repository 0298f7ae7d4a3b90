#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# deep.sh - `pinctl census --deep` over populated memory, inside a QEMU guest with the
# KernelHelper module loaded, next to scripts/bench/deep-floor.c (the same maps,
# PAGEMAP_SCAN and PINCTL_IOC_QUERY calls in C, 65536 pages per QUERY), as a ratio.
#
#   sudo scripts/bench/deep.sh     # BENCH_MIB=8192 BENCH_ROUNDS=5 BENCH_KERNEL=6.12
#   BENCH_BASELINE=/path/to/old/pinctl sudo scripts/bench/deep.sh   # also times that binary
#
# Target: --deep over 8 GiB within 1.2x of the QUERY calls' own time. The guest
# gets BENCH_MIB + 1536 MiB of RAM; use a smaller BENCH_MIB when the host has less free.
# Whole processes are timed inside the guest (TCG: absolute figures are slow, the ratio is
# what to read). Prints figures only: exit status 0 unless something broke.
set -eu -o pipefail
export LC_ALL=C
MIB=${BENCH_MIB:-8192}
ROUNDS=${BENCH_ROUNDS:-5}
SERIES=${BENCH_KERNEL:-6.12}
[[ $MIB =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench-deep.sh: BENCH_MIB and BENCH_ROUNDS must be positive integers" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-deep.sh: must run as root (QEMU, module build; run: sudo $0)" >&2; exit 1; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
rel=$(ls -1 /boot/vmlinuz-"$SERIES".* /boot/vmlinuz-"$SERIES"-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1 || true)
[[ -n $rel && -e /lib/modules/$rel/build/Makefile ]] || { echo "bench-deep.sh: no $SERIES kernel with headers: scripts/vm/install-deps.sh --headers --kernel $SERIES" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-deep.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "building pinctl (release, static), pinctl.ko for $rel, deep-floor ..."
swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product pinctl >/dev/null
mkdir -p "$work/src" "$work/payload/pinctl"
cp -r KernelHelper/*.c KernelHelper/*.h KernelHelper/Kbuild KernelHelper/Makefile KernelHelper/include "$work/src/"
make -C "$work/src" KVER="$rel" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
p=$work/payload/pinctl
gcc -static -O2 -Wall -Wextra -Werror -IKernelHelper/include -o "$p/deep-floor" scripts/bench/deep-floor.c
cp "$(swift build -c release --show-bin-path)/pinctl" "$work/src/pinctl.ko" "$p/"
cp scripts/vm/guest/bench-deep.sh "$p/guest-bench-deep.sh"
if [[ -n ${BENCH_BASELINE:-} ]]; then cp "$BENCH_BASELINE" "$p/pinctl-baseline"; fi

echo "booting $rel with $((MIB + 1536)) MiB (TCG) ..."
scripts/vm/run.sh --kernel "$rel" --payload "$work/payload" --timeout 3000 --memory $((MIB + 1536)) --cpus 2 \
	-- "sh /pinctl/guest-bench-deep.sh $MIB $ROUNDS" | tr -d '\r' | grep '^bench-deep'
