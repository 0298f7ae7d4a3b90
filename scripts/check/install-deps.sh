#!/usr/bin/env bash
# scripts/check/install-deps.sh - installs, from Debian's packages, what building and testing
# pinctl needs beyond the Swift toolchain: gcc and make (benchmarks, the C reader),
# util-linux (setpriv, mkswap, swapon for the live tests; fincore, the page cache baseline of
# `pinctl files`), vmtouch (the other baseline of `pinctl files` and of file: pins), time (GNU
# time: the max RSS of a `pinctl files` run over a large tree), xz-utils (the module-load
# decompression test), prometheus (promtool, which validates `pinctl census --openmetrics`
# in the tests; about 96 MB installed, no service needed), strace (holds `census --output`'s
# fsync so a test can signal it mid-write), shellcheck (the scripts' lint), linux-source-6.12
# (page-types and checkpatch.pl are built or taken from it). Idempotent;
# runs apt-get only when something is missing.
# The fuzzers and sanitizer runs (scripts/check/fuzz.sh, scripts/check/sanitize.sh) need nothing from Debian:
# the swift.org toolchain ships clang, lld and compiler-rt's libFuzzer, ASan and TSan; this
# checks that they are there.
set -euo pipefail

prog=install-deps
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v setpriv >/dev/null || need+=(util-linux)
command -v mkswap >/dev/null || need+=(util-linux)
command -v fincore >/dev/null || need+=(util-linux)
command -v vmtouch >/dev/null || need+=(vmtouch)
[ -x /usr/bin/time ] || need+=(time)
command -v xz >/dev/null || need+=(xz-utils)
command -v promtool >/dev/null || need+=(prometheus)
command -v strace >/dev/null || need+=(strace)
command -v shellcheck >/dev/null || need+=(shellcheck)
# The kernel's own tools, page-types and checkpatch.pl (check/build-page-types.sh,
# check/checkpatch.sh), come from its source; only root builds them (scripts/test.sh).
[ "$(id -u)" -ne 0 ] || [ -f /usr/src/linux-source-6.12.tar.xz ] || need+=(linux-source-6.12)
if ! command -v swift >/dev/null; then
    echo "$prog: no Swift toolchain on PATH: install Swift 6.x (https://www.swift.org/install/linux/) first" >&2
    exit 1
fi
toolchain=$(dirname "$(command -v swiftc)")/..
for rt in fuzzer asan tsan; do
    if ! ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.$rt-"$(uname -m)".a >/dev/null 2>&1; then
        echo "$prog: the Swift toolchain in $toolchain lacks compiler-rt's $rt runtime (libclang_rt.$rt): install the swift.org toolchain, which ships it" >&2
        exit 1
    fi
done
for tool in clang ld.lld; do
    if [ ! -x "$toolchain/bin/$tool" ]; then
        echo "$prog: the Swift toolchain in $toolchain lacks $tool (scripts/check/fuzz.sh needs it): install the swift.org toolchain" >&2
        exit 1
    fi
done
apt_install "${need[@]}"
