#!/usr/bin/env bash
# scripts/check/sanitize.sh - builds pinctl and its tests under a sanitizer and runs the tests.
#
#   scripts/check/sanitize.sh                     address, then thread
#   scripts/check/sanitize.sh thread              ThreadSanitizer only
#   SANITIZE_FILTER=UffdPin scripts/check/sanitize.sh thread   only the matching tests
#
# Each sanitizer has its own scratch path (.build-asan, .build-tsan), so the normal .build is
# untouched. The tests start the sanitized pinctl (PINCTL_BUILD_DIR) against the plain
# pinctl-test-holder (a sanitized one's shadow reservations make whole-process walks of it
# take minutes, and it is not what is under test), so the command line's own paths (signals, the uffd fault-handler thread, exit statuses) run
# instrumented too. Every report, from the test runner or any process it starts, is written
# under the scratch path's sanitizer-reports/ and fails the run, even when the process that
# hit it exited as the test expected. Suppressions, each with its reason, are in
# Tests/Sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/../.."

root=$PWD
supp=$root/Tests/Sanitizers
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(address thread)
filter=()
[ -n "${SANITIZE_FILTER:-}" ] && filter=(--filter "$SANITIZE_FILTER")

# The tests' holder process is the plain one (TestSupport.builtBinary): build it.
swift build --product pinctl-test-holder >/dev/null

failed=()
for kind in "${kinds[@]}"; do
    case $kind in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *)
            echo "sanitize: '$kind' is not a sanitizer: give address or thread" >&2
            exit 64
            ;;
    esac
    reports=$root/$scratch/sanitizer-reports
    rm -rf "$reports"
    mkdir -p "$reports"

    echo "== sanitize $kind: swift build --build-tests --sanitize=$kind --scratch-path $scratch"
    start=$SECONDS
    # gold warns once per ASan register helper it cannot export; the rest of the log is shown.
    build_status=0
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >"$root/$scratch/build.log" 2>&1 || build_status=$?
    grep -v "warning: Cannot export local symbol '__asan_" "$root/$scratch/build.log" || true
    if [ "$build_status" != 0 ]; then
        echo "sanitize $kind: build failed (exit $build_status)" >&2
        exit 1
    fi
    echo "sanitize $kind: built in $((SECONDS - start)) s"

    start=$SECONDS
    status=0
    # log_path sends every report to a file per process; the run fails on any file.
    PINCTL_BUILD_DIR=$root/$scratch/debug \
        ASAN_OPTIONS="suppressions=$supp/asan.supp:log_path=$reports/asan:detect_leaks=1" \
        LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0" \
        TSAN_OPTIONS="suppressions=$supp/tsan.supp:log_path=$reports/tsan:halt_on_error=0" \
        swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" --no-parallel "${filter[@]}" ||
        status=$?
    echo "sanitize $kind: tests ran in $((SECONDS - start)) s (exit $status)"
    if [ -n "$(ls -A "$reports")" ]; then
        for f in "$reports"/*; do
            echo "sanitize $kind: report $f:"
            cat "$f"
        done
        status=1
    fi
    [ "$status" = 0 ] || failed+=("$kind")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize: failed under: ${failed[*]}" >&2
    exit 1
fi
