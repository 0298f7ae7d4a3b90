#!/usr/bin/env bash
# scripts/test.sh - the project's one test command (README.md, .ci/run).
#
# Usage:
#   scripts/test.sh            everything, as CI runs it
#   scripts/test.sh --quick    the contributors' tier: build, lint, unit and live tests
#
# Stages, each announced as "== NAME" and timed, with a table of the times and the total at
# the end (and at the first failure):
#   deps        the host's tools from Debian's packages (scripts/check/install-deps.sh)
#   build       swift build --build-tests
#   page-types  the kernel's tools/mm/page-types, the baseline the row tests compare with
#   lint        swift format, shellcheck, and (full tier) checkpatch.pl --strict on the module
#   test        the unit tests on captured /proc text and the live tests on this kernel
#   sanitize    the same tests under AddressSanitizer and ThreadSanitizer
#   fuzz        every parser's libFuzzer target for FUZZ_SECONDS (default 30) each
#   vm-module   the module's TAP suite and pinctl against it, on Debian 12's 6.1 and 6.12
#               and their PREEMPT_RT flavours
#   vm-package  the Debian packages installed on Debian 12 guests with systemd, on both kernels,
#               and on a Debian 13 (trixie) guest on trixie's own kernel
# The full tier prepares the two VM stages in the background from the deps stage on (QEMU, the
# kernels and their headers, the package test's debootstrap root file systems of Debian 12
# and 13, cached in /var/cache/pinctl-vm): that work waits on the network and dpkg more than on the CPU, which
# the host stages use meanwhile. Its time is printed as "vm-prepare", and what the VM
# stages still had to wait for it as "vm-wait".
# It also builds what the later stages run (the ASan and TSan builds, the fuzz targets, the
# static release build and the packages; "prebuild") in the background, at low priority, from
# the build stage on: the test runs are serial and leave a core idle. Each of those stages
# still runs its own build, which then finds nothing to do, or does it and shows why it failed.
#
# As root, as CI runs it. Without root the stages that install packages, build page-types
# or boot VMs are skipped, each saying so, and the live tests skip themselves with a reason.
# Exit status: 0 when every stage passed; the failing stage's status otherwise; 64 on a
# usage error.
set -euo pipefail

prog=scripts/test.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo"

quick=0
case "${1:-}" in
'') ;;
--quick) quick=1 ;;
-h | --help) usage ;;
*) echo "$prog: unknown argument '$1'" >&2; usage ;;
esac

root=0
[ "$(id -u)" -ne 0 ] || root=1
t_total=$SECONDS
stage_lines=()

print_times() {
	local line
	echo "== stage times"
	for line in "${stage_lines[@]}"; do
		echo "   $line"
	done
	printf '   %-12s %5d s\n' total $((SECONDS - t_total))
}

# stage NAME COMMAND...: runs COMMAND as stage NAME, times it, and on failure prints the
# times so far and exits with its status.
stage() {
	local name=$1 t0=$SECONDS rc=0
	shift
	echo "== $name"
	"$@" || rc=$?
	stage_lines+=("$(printf '%-12s %5d s%s' "$name" $((SECONDS - t0)) "$([ "$rc" -eq 0 ] || echo "  FAILED (exit $rc)")")")
	echo "== $name: $((SECONDS - t0)) s"
	if [ "$rc" -ne 0 ]; then
		print_times
		exit "$rc"
	fi
}

skip() {
	echo "== $1: skipped: $2"
	stage_lines+=("$(printf '%-12s     - %s' "$1" "skipped: $2")")
}

# --- the VM stages' preparation, in the background ----------------------------------------

# stop_job PID: TERM to a background job and its children (the scripts they run clean up
# on TERM), then its end; nothing for an empty PID.
stop_job() {
	[ -n "$1" ] || return 0
	pkill -TERM -P "$1" 2>/dev/null || true
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

prep_pid=
prep_log=
prep_time=
# shellcheck disable=SC2317  # called by the EXIT trap
stop_prep() {
	stop_job "$prep_pid"
	[ -z "$prep_log" ] || rm -f "$prep_log" "$prep_time"
}

# Debian 13's image needs nothing of the host's but debootstrap (apt_get takes turns with
# install-deps.sh's): it builds beside the host's kernels and Debian 12's image, the two
# debootstraps waiting on the mirror at once.
prepare_vms() {
	local t0=$SECONDS trixie_pid rc=0
	scripts/vm/rootfs.sh --suite trixie >/dev/null &
	trixie_pid=$!
	{ scripts/vm/install-deps.sh --headers --kernel all && scripts/vm/rootfs.sh >/dev/null; } || rc=$?
	wait "$trixie_pid" || rc=$?
	[ "$rc" -ne 0 ] || echo $((SECONDS - t0)) >"$prep_time"
	return "$rc"
}

# wait_prep: the preparation's log, and its status.
wait_prep() {
	local rc=0
	wait "$prep_pid" || rc=$?
	prep_pid=
	sed 's/^/   vm-prepare: /' "$prep_log"
	[ "$rc" -ne 0 ] || stage_lines+=("$(printf '%-12s %5d s  in the background' vm-prepare "$(cat "$prep_time")")")
	return "$rc"
}


# --- the later stages' builds, in the background -------------------------------------------

pre_pid=
pre_dir=
# shellcheck disable=SC2317  # called by the EXIT trap
stop_prebuild() {
	stop_job "$pre_pid"
	[ -z "$pre_dir" ] || rm -rf "$pre_dir"
}

# prebuild [debs]: the sanitizers' builds and the fuzz targets while the lock on fd 8 (taken
# before the fork) is held: the fuzz stage takes it before it starts, so that the two never
# build the same objects. Then the release build and, with `debs`, the packages into
# $pre_dir/debs. Writes $pre_dir/time when all of it built. No command it runs gets fd 8:
# one that outlived the build would keep the lock.
prebuild() {
	local t0=$SECONDS kind
	for kind in address thread; do
		swift build --build-tests --sanitize="$kind" --scratch-path ".build-${kind:0:1}san" >/dev/null 2>&1 8>&- ||
			{ echo "prebuild: the $kind sanitizer's build failed; the sanitize stage builds it again"; return 1; }
	done
	scripts/check/fuzz.sh -b >/dev/null 2>&1 8>&- ||
		{ echo "prebuild: the fuzz targets' build failed; the fuzz stage builds them again"; return 1; }
	exec 8>&-
	if [ "${1:-}" = debs ]; then
		scripts/pkg/build-debs.sh --out "$pre_dir/debs" >/dev/null 2>&1 ||
			{ echo "prebuild: the packages' build failed; the vm-package stage builds them again"; return 1; }
	fi
	echo $((SECONDS - t0)) >"$pre_dir/time"
}

# fuzz_stage: the fuzzers, once the background's build of them ended (or gave up).
fuzz_stage() {
	[ -z "$pre_pid" ] || flock "$pre_dir/lock" true
	scripts/check/fuzz.sh
}

# debs_args: --debs DIR when the background built the packages, after waiting for it.
debs_args=()
wait_prebuild() {
	[ -n "$pre_pid" ] || return 0
	wait "$pre_pid" || true
	pre_pid=
	if [ -s "$pre_dir/time" ]; then
		stage_lines+=("$(printf '%-12s %5d s  in the background' prebuild "$(cat "$pre_dir/time")")")
		debs_args=(--debs "$pre_dir/debs")
	fi
}

# --- host stages --------------------------------------------------------------------------

stage deps scripts/check/install-deps.sh

# After the host's own packages, so that the host stages need apt no more.
if [ "$quick" -eq 0 ] && [ "$root" -eq 1 ]; then
	prep_log=$(mktemp "${TMPDIR:-/tmp}/pinctl-vm-prepare.XXXXXX")
	prep_time=$prep_log.time
	trap stop_prep EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	prepare_vms >"$prep_log" 2>&1 &
	prep_pid=$!
fi
stage build swift build --build-tests
if [ "$quick" -eq 0 ]; then
	pre_dir=$(mktemp -d "${TMPDIR:-/tmp}/pinctl-prebuild.XXXXXX")
	trap 'stop_prep; stop_prebuild' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# The lock is taken here, before the fork, so that the fuzz stage cannot get it first.
	exec 8>"$pre_dir/lock"
	flock 8
	(
		renice -n 10 -p "$BASHPID" >/dev/null
		prebuild "$([ "$root" -eq 1 ] && echo debs)"
	) &
	pre_pid=$!
	exec 8>&-
fi
if [ "$root" -eq 1 ]; then
	# As root it must build: a comparison skipped in CI would prove nothing.
	stage page-types scripts/check/build-page-types.sh
else
	skip page-types "building it may install linux-source-6.12: run scripts/test.sh as root"
fi

lint() {
	swift format lint --strict -r Sources Tests Package.swift || return
	local scripts
	mapfile -t scripts < <(git ls-files '*.sh')
	shellcheck "${scripts[@]}" || return
	if [ "$quick" -eq 0 ] && [ -x scripts/check/checkpatch.sh ]; then
		scripts/check/checkpatch.sh
	fi
}
stage lint lint

# Serially: live suites share the machine (zram swap, compaction, hugetlb reservations).
stage test swift test --skip-build --no-parallel

if [ "$quick" -eq 1 ]; then
	print_times
	exit 0
fi

# Each in its own scratch path (.build-asan, .build-tsan, .build-fuzz).
stage sanitize scripts/check/sanitize.sh address thread
stage fuzz fuzz_stage

# --- VM stages ----------------------------------------------------------------------------

if [ "$root" -eq 1 ]; then
	# What the foreground waits for the preparation, after the host stages.
	stage vm-wait wait_prep
	# The module and pinctl against it, in QEMU on Debian's 6.1 and 6.12 kernels and their
	# PREEMPT_RT flavours (the host kernel cannot load modules).
	stage vm-module scripts/vm/test.sh
	# The packages (lintian included), installed with apt on Debian 12 guests with systemd
	# and udev, and on Debian 13 on its own kernel; DKMS builds the module for each kernel.
	wait_prebuild
	stage vm-package scripts/vm/deb-test.sh --kernel 6.1 --kernel 6.12 --trixie "${debs_args[@]}"
else
	skip vm-module "it installs kernels and runs QEMU as root: run scripts/test.sh as root"
	skip vm-package "it runs debootstrap, apt and QEMU as root: run scripts/test.sh as root"
fi
print_times
