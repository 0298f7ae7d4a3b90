#!/usr/bin/env bash
# vm-test.sh: build the KernelHelper module (pinctl.ko, from KernelHelper/*.c) for Debian 12's kernels,
# boot each kernel in QEMU and run the module's TAP suite (KernelHelper/tests/: pinctl_test and
# the pinctl_helper it execs) inside it.
#
# Usage (as root):
#   scripts/vm/test.sh                   # Debian 12's 6.1 and 6.12 kernels, and their -rt flavours
#   scripts/vm/test.sh --kernel 6.1      # one kernel series (repeatable: 6.1, 6.12, 6.1-rt, 6.12-rt)
#
# Options:
#   --kernel SERIES    6.1, 6.12, 6.1-rt or 6.12-rt (PREEMPT_RT); repeatable. Default: all four.
#   --timeout SECONDS  wall-clock limit of each VM (scripts/vm/run.sh --timeout). Default: 900 (the suites take 200-300 s each on an idle 2-core host; TCG under load takes twice that).
#   --serial           run the VMs one after the other (default: in parallel when there are
#                      two or more CPUs; the output is printed per kernel either way).
#   --keep DIR         build in DIR and keep it (payloads, build logs, console logs).
#   --no-install       never call scripts/vm/install-deps.sh or apt-get; fail if something is
#                      missing.
#   -v, --verbose      show the module builds and the VMs' boot timings.
#
# What it needs it installs when missing (as root, through apt): QEMU, busybox-static, cpio,
# libibverbs-dev (static libibverbs and rxe provider for scripts/vm/guest/rdma-mr.c), iproute2 and
# the kernels with their headers (scripts/vm/install-deps.sh --headers [--kernel 6.12]), plus
# gcc, make, libc6-dev (for gcc -static), xz-utils and dkms (the module is also built and
# installed through KernelHelper/dkms.conf, into a private DKMS tree, and loaded from there). Each VM gets a payload at /pinctl: the
# module built for that kernel, the statically linked test program, that kernel's loop,
# crc32c_generic and ext4 modules (for a scratch ext2 file system) and
# scripts/vm/guest/pinctl.sh, which loads the module, runs the suite and unloads it. busybox
# provides insmod, rmmod, losetup, mke2fs and mount.
#
# PINCTL_TEST_ONLY=a,b in the environment runs only those tests of the C suite (the kernel
# hands the unknown command-line word to the guest's init as an environment variable).
#
# Each guest boots with slub_debug=FZPU (a use-after-free read shows as 0x6b poison) and two
# vCPUs; the suite sets panic_on_warn=1 around its fuzz, and a PREEMPT_RT guest boots with it
# set for every suite. The guest's last TAP document checks the whole boot's kernel log.
#
# Output: each kernel's TAP under a "== KERNEL ==" header, then one summary line per kernel,
# the ioctls the fuzz ran on each, the bench figures and a totals line. Exit status 0 only
# when every test passed (or skipped) on every kernel and each run reported a complete plan;
# 1 otherwise; 64 on a usage error.
set -euo pipefail

prog=vm-test
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

# shellcheck source=scripts/vm/common.sh
. "$repo/scripts/vm/common.sh"

series=()
timeout_s=900
parallel=auto
keep=
install=1
verbose=0
while [ $# -gt 0 ]; do
	vm_option "$@"
	if [ "$vm_shift" -gt 0 ]; then
		shift "$vm_shift"
		continue
	fi
	case "$1" in
	--no-install) install=0; shift ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
vm_series 6.1 6.12 6.1-rt 6.12-rt

t_start=$(date +%s)

# --- dependencies -------------------------------------------------------------------------

missing_vm=0
for s in "${series[@]}"; do
	rel=$(vm_kernel_release "$s")
	if [ -z "$rel" ] || [ ! -e "/lib/modules/$rel/build/Makefile" ]; then
		missing_vm=1
	fi
done
command -v qemu-system-x86_64 >/dev/null || missing_vm=1
command -v cpio >/dev/null || missing_vm=1
# scripts/vm/run.sh needs a static busybox (busybox-static), not the dynamic one.
static_busybox=0
for b in /usr/bin/busybox /bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		static_busybox=1
	fi
done
[ "$static_busybox" -eq 1 ] || missing_vm=1
# The RDMA census suite: libibverbs' static libraries with the rxe provider, iproute2's rdma.
ls /usr/lib/x86_64-linux-gnu/librxe-rdmav*.a >/dev/null 2>&1 || missing_vm=1
command -v rdma >/dev/null || missing_vm=1

missing_pkgs=()
command -v gcc >/dev/null || missing_pkgs+=(gcc)
command -v make >/dev/null || missing_pkgs+=(make)
command -v xz >/dev/null || missing_pkgs+=(xz-utils)
command -v dkms >/dev/null || missing_pkgs+=(dkms)
# gcc -static needs libc.a (gcc prints the bare name when it has none).
libc_a=$(gcc -print-file-name=libc.a 2>/dev/null || true)
case "$libc_a" in
/*) [ -e "$libc_a" ] || missing_pkgs+=(libc6-dev) ;;
*) missing_pkgs+=(libc6-dev) ;;
esac

if [ "$missing_vm" -eq 1 ] || [ ${#missing_pkgs[@]} -gt 0 ]; then
	[ "$install" -eq 1 ] || die "missing dependencies (run without --no-install, as root)"
	[ "$(id -u)" -eq 0 ] || die "missing dependencies: run as root so they can be installed"
	if [ "$missing_vm" -eq 1 ]; then
		args=(--headers)
		for s in "${series[@]}"; do
			args+=(--kernel "$s")
		done
		echo "$prog: installing VM dependencies: scripts/vm/install-deps.sh ${args[*]}" >&2
		"$repo/scripts/vm/install-deps.sh" "${args[@]}" >&2
	fi
	if [ ${#missing_pkgs[@]} -gt 0 ]; then
		apt_install "${missing_pkgs[@]}"
	fi
fi

declare -A krel
for s in "${series[@]}"; do
	rel=$(vm_kernel_release "$s")
	[ -n "$rel" ] || die "no /boot/vmlinuz-$s* kernel (scripts/vm/install-deps.sh)"
	[ -e "/lib/modules/$rel/build/Makefile" ] ||
		die "no headers for $rel at /lib/modules/$rel/build (scripts/vm/install-deps.sh --headers)"
	krel[$s]=$rel
done

# --- work directory -----------------------------------------------------------------------

vm_work_begin

# --- builds -------------------------------------------------------------------------------

echo "$prog: building pinctl (release, fully static)" >&2
# -Xswiftc -static-stdlib rather than --static-swift-stdlib: the same build as
# scripts/pkg/build-debs.sh's `swift package` (which lacks that option), so neither rebuilds the other's.
if ! (cd "$repo" && swift build --scratch-path "$release_build" -c release -Xswiftc -static-executable -Xswiftc -static-stdlib --product pinctl) >"$work/swift-build.log" 2>&1; then
	tail -n 30 "$work/swift-build.log" >&2
	die "pinctl does not build"
fi
pinctl_bin=$(cd "$repo" && swift build --scratch-path "$release_build" -c release --show-bin-path)/pinctl

echo "$prog: building the test program and its helper (gcc -static)" >&2
# pinctl_test is the TAP harness and the tests (every tests/*.c but pinctl_helper.c);
# pinctl_helper, the images the tests exec, links the same files but pinctl_test.c.
test_src=()
for f in "$repo"/KernelHelper/tests/*.c; do
	case "$f" in */pinctl_test.c | */pinctl_helper.c) ;; *) test_src+=("$f") ;; esac
done
for t in pinctl_test pinctl_helper; do
	gcc -static -O2 -Wall -Wextra -Werror -I"$repo/KernelHelper/include" \
		-o "$work/$t" "$repo/KernelHelper/tests/$t.c" "${test_src[@]}" ||
		die "the test program ($t) does not build"
done
gcc -static -O2 -Wall -Wextra -Werror -o "$work/v4l2-userptr" "$repo/scripts/vm/guest/v4l2-userptr.c" ||
	die "scripts/vm/guest/v4l2-userptr.c does not build"
# The RDMA census holder, with libibverbs and the rxe provider linked in statically (the
# guest has no provider .so files or their config); libnl's getaddrinfo warnings are the
# static link's, not ours, and the holder never calls those functions.
rxe_lib=$(ls /usr/lib/x86_64-linux-gnu/librxe-rdmav*.a 2>/dev/null | head -n 1 || true)
[ -n "$rxe_lib" ] || die "no static rxe provider (librxe-rdmav*.a): scripts/vm/install-deps.sh installs libibverbs-dev"
gcc -static -O2 -Wall -Wextra -Werror -DRDMA_STATIC_PROVIDERS=rxe -o "$work/rdma-mr" "$repo/scripts/vm/guest/rdma-mr.c" \
	"$rxe_lib" -libverbs -lnl-route-3 -lnl-3 -lpthread 2>"$work/rdma-mr.log" || {
	cat "$work/rdma-mr.log" >&2
	die "scripts/vm/guest/rdma-mr.c does not build"
}

# Copies a kernel module and what it depends on (per modules.dep) into DIR, uncompressed, and
# appends them to DIR/../modules.order in load order. Missing modules are skipped: the suite
# then skips what needs them.
add_module() {
	local rel=$1 name=$2 dir=$3 moddir=/lib/modules/$1 line path deps d base
	line=$(grep -E "(^|/)$name\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1 || true)
	[ -n "$line" ] || return 0
	path=${line%%:*}
	deps=${line#*:}
	for d in $deps; do
		base=$(basename "$d")
		add_module "$rel" "${base%%.ko*}" "$dir"
	done
	base=$(basename "$path")
	base=${base%%.ko*}.ko
	grep -qx "$base" "$dir/../modules.order" 2>/dev/null && return 0
	case "$path" in
	*.ko.xz) xz -dc "$moddir/$path" >"$dir/$base" ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$dir/$base" ;;
	*.ko.gz) gzip -dc "$moddir/$path" >"$dir/$base" ;;
	*) cp "$moddir/$path" "$dir/$base" ;;
	esac
	echo "$base" >>"$dir/../modules.order"
}

# The module's sources, copied per kernel (the objects land next to them).
module_src=("$repo"/KernelHelper/*.c "$repo"/KernelHelper/*.h "$repo/KernelHelper/Kbuild"
	"$repo/KernelHelper/Makefile" "$repo/KernelHelper/include")
# pinctl's version (KernelHelper/include/pinctl/pinctl_version.h), which dkms.conf leaves to
# its installer (#MODULE_VERSION#, as dh_dkms fills it in the pinctl-dkms package).
dkms_version=$("$repo/scripts/pkg/version.sh") || die "no version in KernelHelper/include/pinctl/pinctl_version.h"
for s in "${series[@]}"; do
	rel=${krel[$s]}
	k=$work/$rel
	rm -rf "$k"
	mkdir -p "$k/src" "$k/payload/pinctl/modules"
	cp -r "${module_src[@]}" "$k/src/"
	echo "$prog: building pinctl.ko for $rel" >&2
	if ! make -C "$k/src" KVER="$rel" >"$k/build.log" 2>&1; then
		cat "$k/build.log" >&2
		die "pinctl.ko does not build for $rel"
	fi
	[ "$verbose" -eq 0 ] || cat "$k/build.log" >&2
	if grep -q 'warning:' "$k/build.log"; then
		grep 'warning:' "$k/build.log" >&2
		die "pinctl.ko builds with warnings for $rel"
	fi
	# DKMS, as a user installs it (KernelHelper/dkms.conf), in a private tree (--no-depmod: the
	# system's /lib/modules is left alone). The module it installs lands in the payload's
	# /lib/modules/REL/updates/dkms, where `pinctl module load` without a path finds it.
	d=$k/dkms
	mkdir -p "$d/src/pinctl-$dkms_version" "$d/tree" "$d/install/$rel"
	cp -r "${module_src[@]}" "$repo/KernelHelper/dkms.conf" "$d/src/pinctl-$dkms_version/"
	sed -i "s/#MODULE_VERSION#/$dkms_version/" "$d/src/pinctl-$dkms_version/dkms.conf"
	echo "$prog: dkms install pinctl/$dkms_version for $rel (private tree)" >&2
	if ! dkms --sourcetree "$d/src" --dkmstree "$d/tree" --installtree "$d/install" --no-depmod \
		install -m pinctl -v "$dkms_version" -k "$rel" >"$k/dkms.log" 2>&1; then
		cat "$k/dkms.log" >&2
		die "dkms does not build and install pinctl for $rel"
	fi
	mkdir -p "$k/payload/lib/modules/$rel/updates/dkms"
	cp "$d/install/$rel/updates/dkms/"pinctl.ko* "$k/payload/lib/modules/$rel/updates/dkms/" ||
		die "dkms installed no pinctl module for $rel ($k/dkms.log)"
	p=$k/payload/pinctl
	cp "$k/src/pinctl.ko" "$work/pinctl_test" "$work/pinctl_helper" "$p/"
	cp "$repo/scripts/vm/guest/pinctl.sh" "$p/guest.sh"
	cp "$pinctl_bin" "$p/pinctl"
	cp "$repo/scripts/vm/guest/pinctl-cli.sh" "$p/guest-cli.sh"
	for g in census census-rdma phys; do
		cp "$repo/scripts/vm/guest/$g.sh" "$p/guest-$g.sh"
	done
	cp "$repo/scripts/vm/guest/tap.sh" "$work/v4l2-userptr" "$work/rdma-mr" "$(command -v rdma)" "$p/"
	: >"$p/modules.order"
	# rdma_rxe also needs crc32_generic, which modules.dep does not list.
	for m in loop crc32c_generic ext4 vivid crc32_generic dummy rdma_rxe; do
		add_module "$rel" "$m" "$p/modules"
	done
	# vivid, dummy and rdma_rxe are loaded by the census suites, with their parameters; their
	# dependencies at boot.
	sed -i '/^vivid\.ko$/d; /^dummy\.ko$/d; /^rdma_rxe\.ko$/d' "$p/modules.order"
done

# --- VMs ----------------------------------------------------------------------------------

# The running VMs: vm-run.sh's pid -> kernel release, and when each started.
declare -A vm_rel vm_t0

# Starts the VM of kernel release $1 in the background (vm_cleanup stops it).
start_vm() {
	local rel=$1 k=$work/$1 vflag=()
	[ "$verbose" -eq 0 ] || vflag=(-v)
	vm_t0[$rel]=$(date +%s)
	# slub_debug=FZPU: a use-after-free read shows 0x6b poison, a write corrupts a red zone
	# that the allocator reports. Two vCPUs so that the suite's threads really race. A
	# PREEMPT_RT kernel runs every suite under panic_on_warn: a WARN ends the run.
	local append="slub_debug=FZPU"
	[[ $rel != *-rt-* ]] || append+=" panic_on_warn=1"
	"$repo/scripts/vm/run.sh" "${vflag[@]}" --kernel "$rel" --payload "$k/payload" \
		--timeout "$timeout_s" --memory 2048 --cpus 2 \
		--append "$append${PINCTL_TEST_ONLY:+ PINCTL_TEST_ONLY=$PINCTL_TEST_ONLY}" \
		--console-log "$k/console.log" \
		-- 'sh /pinctl/guest.sh' >"$k/tap.txt" 2>"$k/vm-run.err" &
	vm_rel[$!]=$rel
	pids=("${!vm_rel[@]}")
}

# Kernels booted a second time because the first boot died before the guest's init ran.
declare -A rebooted

# Waits for the next VM to end; writes its exit status and seconds to its result file. A
# kernel that died before the guest's init started (no VM-INIT-START on the console) ran
# none of pinctl's code: under TCG, Debian's 6.12 PREEMPT_RT kernel sometimes takes an int3
# Oops in sched_clock_cpu while a late initcall patches its static branch. Such a guest is
# booted once more, and the first console is kept beside the second and named here.
finish_vm() {
	local pid rel rc=0 k
	wait -n -p pid "${!vm_rel[@]}" || rc=$?
	rel=${vm_rel[$pid]}
	k=$work/$rel
	unset "vm_rel[$pid]"
	pids=("${!vm_rel[@]}")
	if [ "$rc" -ne 0 ] && [ -z "${rebooted[$rel]:-}" ] && ! grep -q VM-INIT-START "$k/console.log" 2>/dev/null; then
		rebooted[$rel]=1
		mv "$k/console.log" "$k/console-first-boot.log"
		echo "$prog: $rel: the kernel died before the guest's init ran ($(tr -d '\r' <"$k/console-first-boot.log" |
			grep -m 1 -oE '(Oops|BUG|Kernel panic)[^[]*' || echo "no console")); booting it once more" >&2
		start_vm "$rel"
		return
	fi
	echo "$rc $(($(date +%s) - ${vm_t0[$rel]}))" >"$work/$rel/result"
}

if [ "$parallel" = auto ]; then
	if [ "$(nproc)" -ge 2 ] && [ ${#series[@]} -gt 1 ]; then parallel=yes; else parallel=no; fi
fi
echo "$prog: booting ${series[*]} ($([ "$parallel" = yes ] && echo in parallel || echo one after the other); TCG, up to ${timeout_s}s each)" >&2
for s in "${series[@]}"; do
	start_vm "${krel[$s]}"
	[ "$parallel" = yes ] || finish_vm
done
while [ ${#vm_rel[@]} -gt 0 ]; do
	finish_vm
done

# --- report -------------------------------------------------------------------------------

# One plan per TAP document (the C suite's, then pinctl's own): vm_tally adds them up.
for s in "${series[@]}"; do
	vm_tally "${krel[$s]}" "$work/${krel[$s]}/vm-run.err" '# vm-run: '
done
printf '%s\n' "${summary[@]}"
# How hard each kernel was fuzzed (the suite's own count, printed as a TAP diagnostic).
for s in "${series[@]}"; do
	tr -d '\r' <"$work/${krel[$s]}/tap.txt" | sed -n "s/^# fuzz: \([0-9]*\) ioctls on this kernel$/$prog: ${krel[$s]}: fuzz: \1 ioctls/p"
done
# The BENCH figures (printed, never judged): in-kernel pin/unpin against the ioctl path.
for s in "${series[@]}"; do
	tr -d '\r' <"$work/${krel[$s]}/tap.txt" | sed -n "s/^# bench: /$prog: ${krel[$s]}: /p"
done
echo "$prog: ${#series[@]} kernel(s) in $(($(date +%s) - t_start))s${keep:+; kept in $work}"
echo "total: $tp passed, $tf failed, $ts skipped"
exit "$status"
