#!/usr/bin/env bash
# scripts/test.sh - the project's one test command (README.md, .ci/run).
#
# Builds pinctl and its test holder, checks the Swift format, runs the unit tests on
# captured /proc text and the live tests against this machine's kernel (as root: the
# live tests need /proc/kpageflags and CAP_SYS_ADMIN; without root they are skipped
# with the reason printed; the row tests compare with the kernel's page-types, built by
# scripts/check/build-page-types.sh), the same tests under AddressSanitizer and ThreadSanitizer
# (scripts/check/sanitize.sh), every parser's libFuzzer target for FUZZ_SECONDS each
# (scripts/check/fuzz.sh, default 30), then the KernelHelper VM suite (scripts/vm/test.sh) and the
# Debian packages installed on Debian 12 guests with systemd, on 6.1 and 6.12 (scripts/vm/deb-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/check/install-deps.sh

echo "== swift build"
swift build --build-tests

# The kernel's tools/mm/page-types, the baseline StreamingInspectTests compares rows with
# (from Debian's linux-source-6.12; the test is skipped, saying so, when it cannot be built).
echo "== page-types"
if [ "$(id -u)" = 0 ]; then
    # As root it must build: a comparison skipped in CI would prove nothing.
    scripts/check/build-page-types.sh
else
    echo "page-types: skipped: building it may install linux-source-6.12; run scripts/test.sh as root"
fi

echo "== swift format lint"
swift format lint --strict -r Sources Tests Package.swift

echo "== swift test"
# Serially: live suites share the machine (zram swap, compaction, hugetlb reservations).
swift test --skip-build --no-parallel

# Each in its own scratch path (.build-asan, .build-tsan, .build-fuzz); each prints its time.
start=$SECONDS
echo "== scripts/check/sanitize.sh (AddressSanitizer, ThreadSanitizer)"
scripts/check/sanitize.sh address thread
echo "== scripts/check/sanitize.sh: $((SECONDS - start)) s"

start=$SECONDS
echo "== scripts/check/fuzz.sh (${FUZZ_SECONDS:-30} s per target)"
scripts/check/fuzz.sh
echo "== scripts/check/fuzz.sh: $((SECONDS - start)) s"

# The KernelHelper module and pinctl against it, in QEMU on Debian's 6.1 and 6.12 kernels
# (the host kernel cannot load modules). Installs QEMU, the kernels and headers when missing.
echo "== scripts/vm/test.sh"
if [ "$(id -u)" = 0 ]; then
    scripts/vm/test.sh
else
    echo "vm-test: skipped: it installs kernels and runs QEMU as root; run scripts/test.sh as root"
fi

# The Debian packages (scripts/pkg/build-debs.sh, lintian included), installed with apt on a Debian
# 12 guest with systemd and udev, on Debian 12's own 6.1 kernel and on the 6.12 one (root file
# system from debootstrap, cached in /var/cache/pinctl-vm; DKMS builds the module for each).
start=$SECONDS
echo "== scripts/vm/deb-test.sh"
if [ "$(id -u)" = 0 ]; then
    scripts/vm/deb-test.sh --kernel 6.1 --kernel 6.12
    echo "== scripts/vm/deb-test.sh: $((SECONDS - start)) s"
else
    echo "vm-deb-test: skipped: it runs debootstrap, apt and QEMU as root; run scripts/test.sh as root"
fi
