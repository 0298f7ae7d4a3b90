#!/usr/bin/env bash
# vm-deb-test.sh: install the Debian packages (scripts/pkg/build-debs.sh) on real Debian 12 and
# Debian 13 systems and check them there: a QEMU guest (TCG, 2 vCPUs) boots a root file system
# that scripts/vm/rootfs.sh builds with debootstrap and caches, with systemd and udev, on that
# Debian's own kernel, and runs scripts/vm/guest/deb.sh: apt installs both packages, DKMS
# builds and loads the module, and the suite checks the device's owner and mode, a pinctl
# group member's kmod pin and an outsider's refusal, the man page, the bash completion,
# systemd-analyze verify of the installed units, the hold unit (Type=notify: the pin is in
# place when systemctl start returns, and systemctl status shows pinctl's STATUS= line), the
# census timer (promtool check metrics), what apt remove and purge leave, and that the
# kernel logged no WARN, BUG or Oops.
#
# Usage (as root):
#   scripts/vm/deb-test.sh                   # Debian 12 on its 6.12 kernel
#   scripts/vm/deb-test.sh --kernel 6.1      # Debian 12 on another kernel (repeatable: 6.1, 6.12)
#   scripts/vm/deb-test.sh --trixie          # Debian 13 (trixie) on its own kernel, alone
#   scripts/vm/deb-test.sh --kernel 6.1 --kernel 6.12 --trixie   # all three guests (CI)
#
# Options:
#   --kernel SERIES    a Debian 12 (bookworm) guest on Debian 12's 6.1 or 6.12 kernel;
#                      repeatable. Default: 6.12, unless --trixie is given alone.
#   --trixie           a Debian 13 (trixie) guest on trixie's own kernel (linux-image-amd64,
#                      a 6.12, installed in trixie's image from trixie's archive), installing
#                      the same packages, built on this Debian 12 host.
#   --debs DIR         take pinctl_*.deb and pinctl-dkms_*.deb from DIR instead of building.
#   --timeout SECONDS  wall-clock limit of each VM. Default: 2700.
#   --keep DIR         work in DIR and keep it (overlay disks, console logs, TAP).
#   --serial           boot the guests one after the other (default: at once when there are
#                      two or more CPUs: a guest waits on timers, udev and throttled units
#                      for much of its run, which the others use).
#   -v, --verbose      stream the guests' consoles to stderr.
#
# Each VM writes a qcow2 overlay on its suite's cached image, so every run starts from the
# same system. The payload (the packages, the suite, the host's promtool and the expected
# version) is a second, read-only disk, the same for every guest. Output: each guest's TAP
# under a "== RELEASE ==" header (the kernel release: +deb12 is Debian 12's, +deb13
# trixie's), the stage times (root file systems: cached or built; packages; each VM), a
# summary per guest and a totals line. A guest fails when a test fails, its plan is
# incomplete, or its console shows a kernel WARN, BUG or Oops at any time (shutdown
# included). Exit status 0 only when every test passed (or skipped) on every guest; 1
# otherwise; 64 on a usage error.
set -euo pipefail

prog=vm-deb-test
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

# shellcheck source=scripts/vm/common.sh
. "$repo/scripts/vm/common.sh"

series=()
debs=
timeout_s=2700
keep=
verbose=0
parallel=auto
trixie=0
while [ $# -gt 0 ]; do
	[ "$1" != --trixie ] || { trixie=1; shift; continue; }
	vm_option "$@"
	if [ "$vm_shift" -gt 0 ]; then
		shift "$vm_shift"
		continue
	fi
	case "$1" in
	--debs)
		[ $# -ge 2 ] || usage
		debs=$2
		shift 2
		;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
# Debian 12's kernels, as given (6.12 when nothing is), and trixie's.
[ ${#series[@]} -eq 0 ] && [ "$trixie" -eq 1 ] || vm_series 6.12
for s in "${series[@]}"; do
	case "$s" in
	6.1 | 6.12) ;;
	*) echo "$prog: Debian 12's images have no $s kernel (6.1 or 6.12)" >&2; exit 64 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, QEMU)"

t_start=$(date +%s)
command -v qemu-system-x86_64 >/dev/null || "$repo/scripts/vm/install-deps.sh" >&2
command -v qemu-img >/dev/null || apt_install qemu-utils
promtool=$(command -v promtool) || {
	apt_install prometheus
	promtool=$(command -v promtool)
}

vm_work_begin

# --- the root file systems (cached) and the packages --------------------------------------

# Each guest is SUITE:SERIES: the image it boots and the kernel series of the image's
# kernels.txt it boots on.
guests=()
for s in "${series[@]}"; do
	guests+=("bookworm:$s")
done
[ "$trixie" -eq 0 ] || guests+=(trixie:6.12)

declare -A image
t_rootfs=
for g in "${guests[@]}"; do
	suite=${g%%:*}
	[ -z "${image[$suite]:-}" ] || continue
	t0=$(date +%s)
	image[$suite]=$("$repo/scripts/vm/rootfs.sh" --suite "$suite") || die "scripts/vm/rootfs.sh --suite $suite failed"
	[ -d "${image[$suite]}" ] && [ -s "${image[$suite]}/rootfs.img" ] ||
		die "scripts/vm/rootfs.sh --suite $suite printed no image directory: '${image[$suite]}'"
	echo "$prog: $suite root file system ${image[$suite]} ($(($(date +%s) - t0))s)" >&2
	t_rootfs+="${t_rootfs:+, }$suite $(($(date +%s) - t0))s"
done

t0=$(date +%s)
if [ -z "$debs" ]; then
	debs=$work/debs
	"$repo/scripts/pkg/build-debs.sh" --out "$debs" >/dev/null || die "scripts/pkg/build-debs.sh failed"
fi
t_debs=$(($(date +%s) - t0))
version=$("$repo/scripts/pkg/version.sh")
deb=$(ls "$debs"/pinctl_"$version"-*_amd64.deb 2>/dev/null | tail -n 1)
dkmsdeb=$(ls "$debs"/pinctl-dkms_"$version"-*_all.deb 2>/dev/null | tail -n 1)
[ -n "$deb" ] && [ -n "$dkmsdeb" ] || die "no pinctl and pinctl-dkms $version packages in $debs"

payload=$work/payload
rm -rf "$payload"
mkdir -p "$payload"
cp "$deb" "$dkmsdeb" "$payload/"
cp "$repo/scripts/vm/guest/deb.sh" "$payload/run.sh"
cp "$promtool" "$payload/promtool"
echo "$version" >"$payload/version"
rm -f "$work/payload.img"
mkfs.ext4 -q -L PINCTLPAYLOAD -d "$payload" "$work/payload.img" 256M >&2

# --- VMs ----------------------------------------------------------------------------------

# Generous job timeouts: on a loaded host a TCG guest's udev coldplug can take longer than
# systemd's default 90 s, and then the runner's wait for the payload disk fails and the guest
# idles until --timeout (seen with the host at load 10).
cmdline="root=/dev/vda rw console=ttyS0 panic=-1 net.ifnames=0 systemd.show_status=0"
cmdline="$cmdline systemd.default_timeout_start_sec=1200 udev.event_timeout=900"

tail_pid=

# What a kernel prints when it is broken (the words of scripts/vm/guest/pinctl.sh's check),
# on a timestamped console line: the kernel log's (the runner's own lines carry none).
kernel_bad='^\[ *[0-9]+\.[0-9]+\] .*(BUG|WARNING:|Oops|general protection fault|Call Trace|UBSAN|KASAN|Bad page|refcount_t:|list_(add|del) corruption)'

# Boots kernel release $2 of image directory $1 and waits for it (in the background, so that
# a signal stops it: vm_cleanup sends timeout(1) TERM, which passes it on to QEMU).
run_vm() {
	local img=$1 rel=$2 k=$work/$2 rc=0 t0 status vm_pid bad
	mkdir -p "$k"
	t0=$(date +%s)
	rm -f "$k/overlay.qcow2"
	qemu-img create -q -f qcow2 -F raw -b "$img/rootfs.img" "$k/overlay.qcow2"
	: >"$k/console.log"
	timeout -s TERM -k 5 "$timeout_s" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m 2048 \
		-nographic -no-reboot -monitor none -nic none \
		-kernel "$img/vmlinuz-$rel" -initrd "$img/initrd.img-$rel" \
		-append "$cmdline" \
		-drive "file=$k/overlay.qcow2,if=virtio,format=qcow2" \
		-drive "file=$work/payload.img,if=virtio,format=raw,readonly=on" \
		-chardev "file,id=con,path=$k/console.log" -serial chardev:con \
		-chardev stdio,id=out,signal=off -serial chardev:out \
		</dev/null >"$k/tap.txt" 2>"$k/qemu.err" &
	vm_pid=$!
	pids+=("$vm_pid")
	wait "$vm_pid" || rc=$?
	pids=(${tail_pid:+"$tail_pid"})
	status=$(tr -d '\r' <"$k/console.log" | sed -n 's/.*VM-EXIT-STATUS=\([0-9][0-9]*\).*/\1/p' | tail -n 1)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "$prog: $rel: timed out after ${timeout_s}s" >"$k/vm.err"
		status=124
	elif [ -z "$status" ]; then
		echo "$prog: $rel: the VM stopped without an exit status (qemu status $rc)" >"$k/vm.err"
		status=125
	fi
	# The suite's last test reads the kernel log up to its end; this also sees what the
	# kernel printed after it (apt purge's module unload, the power-off).
	bad=$(tr -d '\r' <"$k/console.log" | grep -E "$kernel_bad" | head -n 20 || true)
	if [ -n "$bad" ]; then
		{
			echo "$prog: $rel: the kernel logged a WARN, BUG or Oops:"
			echo "$bad"
		} >>"$k/vm.err"
		[ "$status" -ne 0 ] || status=1
	fi
	rm -f "$k/overlay.qcow2"
	echo "$status $(($(date +%s) - t0))" >"$k/result"
}

declare -A krel
for g in "${guests[@]}"; do
	img=${image[${g%%:*}]}
	rel=$(awk -v s="${g#*:}" '$1 == s { print $2 }' "$img/kernels.txt")
	[ -n "$rel" ] || die "the ${g%%:*} image has no ${g#*:} kernel ($img/kernels.txt)"
	krel[$g]=$rel
done

if [ "$verbose" -eq 1 ]; then
	for g in "${guests[@]}"; do
		mkdir -p "$work/${krel[$g]}"
		: >"$work/${krel[$g]}/console.log"
	done
	(cd "$work" && tail -n +1 -F "${krel[@]/%//console.log}" >&2) &
	tail_pid=$!
	pids+=("$tail_pid")
fi
if [ "$parallel" = auto ]; then
	if [ "$(nproc)" -ge 2 ] && [ ${#guests[@]} -gt 1 ]; then parallel=yes; else parallel=no; fi
fi
booting=()
for g in "${guests[@]}"; do
	booting+=("${krel[$g]}")
done
echo "$prog: booting ${booting[*]} $([ "$parallel" = yes ] && echo at once || echo one after the other) (TCG, up to ${timeout_s}s each)" >&2
vms=()
for g in "${guests[@]}"; do
	if [ "$parallel" = yes ]; then
		# vm_cleanup stops the subshell's timeout(1) and QEMU through its children.
		run_vm "${image[${g%%:*}]}" "${krel[$g]}" &
		vms+=("$!")
		pids+=("$!")
	else
		run_vm "${image[${g%%:*}]}" "${krel[$g]}"
	fi
done
for p in "${vms[@]}"; do
	wait "$p" || true
done
if [ -n "$tail_pid" ]; then
	kill "$tail_pid" 2>/dev/null || true
	wait "$tail_pid" 2>/dev/null || true
	pids=()
fi

# --- report -------------------------------------------------------------------------------

for g in "${guests[@]}"; do
	vm_tally "${krel[$g]}" "$work/${krel[$g]}/vm.err" '# '
done
printf '%s\n' "${summary[@]}"
echo "$prog: stages: root file systems ($t_rootfs), packages ${t_debs}s, total $(($(date +%s) - t_start))s${keep:+; kept in $work}"
echo "total: $tp passed, $tf failed, $ts skipped"
exit "$status"
