#!/usr/bin/env bash
# scripts/check/fuzz.sh - builds pinctl's libFuzzer targets (Tests/Fuzz/*Fuzz.swift) and runs each
# for a bounded time on its committed seed corpus (Tests/Fuzz/Corpus/TARGET/).
#
#   scripts/check/fuzz.sh                      every target, FUZZ_SECONDS (default 30) each
#   scripts/check/fuzz.sh -t 600 ProcSmaps     one target for ten minutes
#   scripts/check/fuzz.sh -b                   build only
#   FUZZ_JOBS=1 scripts/check/fuzz.sh          one target at a time (default: one per core)
#
# The targets are built with swiftc and clang straight from the library targets' and CPinctl's
# sources into .build-fuzz (-sanitize=fuzzer,address), so the normal `swift build` and its
# .build are untouched. Inputs found while fuzzing go to .build-fuzz/corpus/TARGET, never into the
# committed seeds. Exits non-zero on any crash, broken invariant, timeout, leak or RSS
# overrun, and prints the reproducer and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-30}
build_only=0
while getopts "t:bh" opt; do
    case $opt in
        t) seconds=$OPTARG ;;
        b) build_only=1 ;;
        *)
            sed -n '2,9p' "$0"
            exit 64
            ;;
    esac
done
shift $((OPTIND - 1))

root=$PWD
out=$root/.build-fuzz
# The toolchain's clang, whose compiler-rt matches swiftc's (Debian's clang need not be there).
toolchain_bin=$(dirname "$(command -v swiftc)")
clang=$toolchain_bin/clang
mkdir -p "$out/obj" "$out/CPinctl" "$out/corpus" "$out/artifacts" "$out/logs"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in Tests/Fuzz/*Fuzz.swift; do
        t=$(basename "$f" Fuzz.swift)
        targets+=("$t")
    done
fi
for t in "${targets[@]}"; do
    if [ ! -f "Tests/Fuzz/${t}Fuzz.swift" ]; then
        echo "fuzz: no target '$t': the targets are $(cd Tests/Fuzz && ls -- *Fuzz.swift | sed 's/Fuzz.swift//' | tr '\n' ' ')" >&2
        exit 64
    fi
done

# SwiftPM generates CPinctl's module map from include/; swiftc needs one written out.
cat >"$out/CPinctl/module.modulemap" <<EOF
module CPinctl {
    umbrella "$root/Sources/CPinctl/include"
    export *
}
EOF
# shellcheck disable=SC2054  # the comma belongs to the -sanitize= value
swift_flags=(-sanitize=fuzzer,address -O -g -parse-as-library -use-ld=lld
    -Xcc "-fmodule-map-file=$out/CPinctl/module.modulemap" -Xcc -D_GNU_SOURCE -I "$out/obj")

# The C shim: instrumented for coverage and ASan, without libFuzzer's main.
c_objs=()
for c in Sources/CPinctl/*.c; do
    o=$out/obj/$(basename "$c" .c).o
    if [ ! -f "$o" ] || [ -n "$(find "$c" Sources/CPinctl/include -newer "$o" | head -1)" ]; then
        "$clang" -fsanitize=fuzzer-no-link,address -O1 -g -D_GNU_SOURCE -ISources/CPinctl/include -c "$c" -o "$o"
    fi
    c_objs+=("$o")
done

# pinctl's library targets, lowest layer first, once each, with -enable-testing so the
# harnesses reach internal parsers (@testable) and one -package-name so each layer reaches the
# `package` API of the ones below. Render/OpenMetricsRendering.swift is left out: it imports
# swift-prometheus, a SwiftPM dependency this direct swiftc build does not have (the census
# parsers stay in and are fuzzed).
layers=(PinctlSystem PinctlKernel PinctlKit PinctlRender)
objs=()
for m in "${layers[@]}"; do objs+=("$out/obj/$m.o"); done
stale=0
for o in "${objs[@]}"; do
    if [ ! -f "$o" ] || [ -n "$(find "${layers[@]/#/Sources/}" Sources/CPinctl/include -newer "$o" | head -1)" ]; then
        stale=1
    fi
done
if [ "$stale" = 1 ]; then
    for m in "${layers[@]}"; do
        echo "fuzz: building $m (swiftc -sanitize=fuzzer,address)"
        start=$SECONDS
        mapfile -t sources < <(find "Sources/$m" -name '*.swift' -not -name OpenMetricsRendering.swift | LC_ALL=C sort)
        swiftc "${swift_flags[@]}" -wmo -enable-testing -module-name "$m" -package-name pinctl \
            -emit-module -emit-module-path "$out/obj/$m.swiftmodule" \
            -c "${sources[@]}" -o "$out/obj/$m.o.tmp"
        mv "$out/obj/$m.o.tmp" "$out/obj/$m.o"
        echo "fuzz: $m built in $((SECONDS - start)) s"
    done
fi

for t in "${targets[@]}"; do
    bin=$out/fuzz-$t
    src=Tests/Fuzz/${t}Fuzz.swift
    if [ ! -f "$bin" ] || [ -n "$(find "$src" Tests/Fuzz/FuzzSupport.swift "${objs[@]}" -newer "$bin" | head -1)" ]; then
        swiftc "${swift_flags[@]}" -module-name "${t}Fuzz" -package-name pinctl "$src" Tests/Fuzz/FuzzSupport.swift \
            "${objs[@]}" "${c_objs[@]}" -o "$bin"
    fi
done
[ "$build_only" = 1 ] && exit 0

# run_target T: fuzzes T for $seconds and writes what it found to $out/logs/T.result; its
# exit status is the verdict.
run_target() {
    local t=$1 seeds=Tests/Fuzz/Corpus/$1 work=$out/corpus/$1 log=$out/logs/$1.log start=$SECONDS
    local res=$out/logs/$1.result status runs cov artifact dirs args
    mkdir -p "$work"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
        -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-")
    [ -f "Tests/Fuzz/$t.dict" ] && args+=(-dict="Tests/Fuzz/$t.dict")
    # New inputs go to the first corpus directory (the work copy); the seeds are only read.
    dirs=("$work")
    : >"$res"
    [ -d "$seeds" ] && dirs+=("$seeds") || echo "fuzz $t: no seed corpus in $seeds: starting from nothing" >>"$res"
    # libFuzzer's deadly-signal handler reports a Swift trap with ASan's stack; the Swift
    # runtime's own backtracer would race it (and trips ASan reading the shadow gap).
    if SWIFT_BACKTRACE=enable=no "$out/fuzz-$t" "${args[@]}" "${dirs[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz $t: ok, ${runs:-?} inputs in $((SECONDS - start)) s, $cov, corpus $(ls "$work" | wc -l) + $(ls "$seeds" 2>/dev/null | wc -l) seeds" >>"$res"
        return 0
    fi
    status=$?
    {
        echo "fuzz $t: FAILED (exit $status) after $((SECONDS - start)) s; the end of $log:"
        grep -m1 'Fatal error' "$log" || true
        grep -v '^#[0-9]' "$log" | tail -30
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ -n "$artifact" ]; then
            echo "fuzz $t: reproducer: $artifact"
            echo "fuzz $t: replay it:   SWIFT_BACKTRACE=enable=no $out/fuzz-$t $artifact"
            echo "fuzz $t: minimise it: $out/fuzz-$t -minimize_crash=1 -runs=10000 $artifact"
        fi
    } >>"$res"
    return 1
}

# Each target is one process on one core: as many at once as there are cores (FUZZ_JOBS),
# each for its full time.
jobs=${FUZZ_JOBS:-$(nproc)}
declare -A running=()
failed=()
# finish_one: waits for the next target to end and prints its result.
finish_one() {
    local pid t rc=0
    wait -n -p pid "${!running[@]}" || rc=$?
    t=${running[$pid]}
    unset "running[$pid]"
    cat "$out/logs/$t.result"
    [ "$rc" -eq 0 ] || failed+=("$t")
}
echo "== fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
for t in "${targets[@]}"; do
    while [ ${#running[@]} -ge "$jobs" ]; do finish_one; done
    run_target "$t" &
    running[$!]=$t
done
while [ ${#running[@]} -gt 0 ]; do finish_one; done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
