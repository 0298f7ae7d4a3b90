#!/usr/bin/env bash
# vm-deb-test.sh: install the Debian packages (scripts/pkg/build-debs.sh) on a real Debian 12 system
# and check them there: a QEMU guest (TCG, 2 vCPUs) boots the root file system that
# scripts/vm/rootfs.sh builds with debootstrap and caches, with systemd and udev, on Debian 12's
# own kernel, and runs scripts/vm/guest/deb.sh: apt installs both packages, DKMS builds and
# loads the module, and the suite checks the device's owner and mode, a pinctl group member's
# kmod pin and an outsider's refusal, the man page, the bash completion, systemd-analyze
# verify of the installed units, the hold unit (Type=notify: the pin is in place when
# systemctl start returns, and systemctl status shows pinctl's STATUS= line), the census
# timer (promtool check metrics) and what apt remove and purge leave.
#
# Usage (as root):
#   scripts/vm/deb-test.sh                  # Debian 12's 6.12 kernel
#   scripts/vm/deb-test.sh --kernel 6.1     # another series (repeatable: 6.1, 6.12)
#
# Options:
#   --kernel SERIES    6.1 or 6.12; repeatable. Default: 6.12.
#   --debs DIR         take pinctl_*.deb and pinctl-dkms_*.deb from DIR instead of building.
#   --timeout SECONDS  wall-clock limit of each VM. Default: 2700.
#   --keep DIR         work in DIR and keep it (overlay disks, console logs, TAP).
#   --serial           boot the kernels one after the other (default: at once when there are
#                      two or more CPUs: a guest waits on timers, udev and throttled units
#                      for much of its run, which the other uses).
#   -v, --verbose      stream the guest's console to stderr.
#
# Each VM writes a qcow2 overlay on the cached image, so every run starts from the same
# system. The payload (the packages, the suite, the host's promtool and the expected version)
# is a second, read-only disk. Output: each kernel's TAP under a "== RELEASE ==" header, the
# stage times (root file system: cached or built; packages; each VM), a summary per kernel
# and a totals line. Exit status 0 only when every test passed (or skipped) on every kernel
# with a complete plan; 1 otherwise; 64 on a usage error.
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
while [ $# -gt 0 ]; do
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
vm_series 6.12
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, QEMU)"

t_start=$(date +%s)
command -v qemu-system-x86_64 >/dev/null || "$repo/scripts/vm/install-deps.sh" >&2
command -v qemu-img >/dev/null || apt_install qemu-utils
promtool=$(command -v promtool) || {
	apt_install prometheus
	promtool=$(command -v promtool)
}

vm_work_begin

# --- the root file system (cached) and the packages ---------------------------------------

t0=$(date +%s)
image=$("$repo/scripts/vm/rootfs.sh") || die "scripts/vm/rootfs.sh failed"
[ -d "$image" ] && [ -s "$image/rootfs.img" ] || die "scripts/vm/rootfs.sh printed no image directory: '$image'"
t_rootfs=$(($(date +%s) - t0))
echo "$prog: root file system $image (${t_rootfs}s)" >&2

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

# Boots kernel release $2 and waits for it (in the background, so that a signal stops it:
# vm_cleanup sends timeout(1) TERM, which passes it on to QEMU).
run_vm() {
	local s=$1 rel=$2 k=$work/$2 rc=0 t0 status vm_pid
	mkdir -p "$k"
	t0=$(date +%s)
	rm -f "$k/overlay.qcow2"
	qemu-img create -q -f qcow2 -F raw -b "$image/rootfs.img" "$k/overlay.qcow2"
	: >"$k/console.log"
	timeout -s TERM -k 5 "$timeout_s" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m 2048 \
		-nographic -no-reboot -monitor none -nic none \
		-kernel "$image/vmlinuz-$rel" -initrd "$image/initrd.img-$rel" \
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
	rm -f "$k/overlay.qcow2"
	echo "$status $(($(date +%s) - t0))" >"$k/result"
}

declare -A krel
for s in "${series[@]}"; do
	rel=$(awk -v s="$s" '$1 == s { print $2 }' "$image/kernels.txt")
	[ -n "$rel" ] || die "the image has no $s kernel ($image/kernels.txt)"
	krel[$s]=$rel
done

if [ "$verbose" -eq 1 ]; then
	for s in "${series[@]}"; do
		mkdir -p "$work/${krel[$s]}"
		: >"$work/${krel[$s]}/console.log"
	done
	(cd "$work" && tail -n +1 -F "${krel[@]/%//console.log}" >&2) &
	tail_pid=$!
	pids+=("$tail_pid")
fi
if [ "$parallel" = auto ]; then
	if [ "$(nproc)" -ge 2 ] && [ ${#series[@]} -gt 1 ]; then parallel=yes; else parallel=no; fi
fi
echo "$prog: booting ${series[*]} $([ "$parallel" = yes ] && echo at once || echo one after the other) (TCG, up to ${timeout_s}s each)" >&2
vms=()
for s in "${series[@]}"; do
	if [ "$parallel" = yes ]; then
		# vm_cleanup stops the subshell's timeout(1) and QEMU through its children.
		run_vm "$s" "${krel[$s]}" &
		vms+=("$!")
		pids+=("$!")
	else
		run_vm "$s" "${krel[$s]}"
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

for s in "${series[@]}"; do
	vm_tally "${krel[$s]}" "$work/${krel[$s]}/vm.err" '# '
done
printf '%s\n' "${summary[@]}"
echo "$prog: stages: root file system ${t_rootfs}s, packages ${t_debs}s, total $(($(date +%s) - t_start))s${keep:+; kept in $work}"
echo "total: $tp passed, $tf failed, $ts skipped"
exit "$status"
