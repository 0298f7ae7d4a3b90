#!/usr/bin/env bash
# vm-run.sh: run one shell command as root inside a throwaway QEMU VM booting a Debian kernel.
#
# Usage:
#   scripts/vm/run.sh [options] [--] COMMAND [ARGS...]
#   scripts/vm/run.sh --kernel 6.1 --payload build/vm -- 'uname -r; cat /proc/self/maps'
#
# Options:
#   --kernel VERSION   /boot/vmlinuz-VERSION, or a release prefix such as 6.1 or 6.12 (newest
#                      match; 6.1 does not match 6.12). Default: 6.1.
#   --payload DIR      copy DIR's contents into the VM's root (repeatable). Shared libraries
#                      that ELF files in it need (per the host's ldd) come along.
#   --timeout SECONDS  wall-clock limit for the VM; on expiry QEMU is killed and the exit
#                      status is 124. Default: 300.
#   --memory MB        guest memory. Default: 1024.
#   --cpus N           guest CPUs. Default: 1.
#   --append ARGS      extra kernel command line arguments.
#   --console-log FILE keep the guest's serial console (kernel log) in FILE.
#   -v, --verbose      stream the serial console to stderr and report boot timings.
#
# The command runs under busybox sh in a busybox initramfs with /proc, /sys, /dev (devtmpfs),
# /dev/pts, /dev/shm, /tmp and /run mounted, cwd /. Its stdout and stderr reach this script's
# stdout through a second serial port (ttyS1, raw), so kernel messages never mix into them; the
# kernel log goes to ttyS0. This script exits with the command's exit status, which the guest
# reports as a `VM-EXIT-STATUS=N` line on ttyS0 before `poweroff -f`. 124: timeout; 125: the VM
# stopped without reporting one (panic, bad kernel); 64: usage error.
#
# Needs qemu-system-x86, busybox-static and cpio (scripts/vm/install-deps.sh). Always uses TCG:
# KVM does not work with the host kernel here.
set -euo pipefail

prog=vm-run
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=scripts/vm/common.sh
. "$repo/scripts/vm/common.sh"

die() {
	echo "$prog: $*" >&2
	exit 125
}

kernel=6.1
payloads=()
timeout_s=300
memory=1024
cpus=1
append_extra=
console_log=
verbose=0

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel | --payload | --timeout | --memory | --cpus | --append | --console-log)
		[ $# -ge 2 ] || { echo "$prog: $1 needs a value" >&2; usage; }
		case "$1" in
		--kernel) kernel=$2 ;;
		--payload) payloads+=("$2") ;;
		--timeout) timeout_s=$2 ;;
		--memory) memory=$2 ;;
		--cpus) cpus=$2 ;;
		--append) append_extra=$2 ;;
		--console-log) console_log=$2 ;;
		esac
		shift 2
		;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "$prog: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done

[ $# -gt 0 ] || { echo "$prog: no command given" >&2; usage; }
for n in "$timeout_s" "$memory" "$cpus"; do
	case "$n" in
	'' | *[!0-9]*) echo "$prog: '$n' is not a positive integer" >&2; usage ;;
	esac
done
for d in "${payloads[@]}"; do
	[ -d "$d" ] || { echo "$prog: payload '$d' is not a directory" >&2; exit 64; }
done

qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (scripts/vm/install-deps.sh)"
command -v cpio >/dev/null || die "cpio not found (scripts/vm/install-deps.sh)"
busybox=
for b in /usr/bin/busybox /bin/busybox; do
	# Only a static busybox works in an initramfs without copying its libraries along.
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[ -n "$busybox" ] || die "static busybox not found (apt-get install busybox-static)"

# Resolve --kernel: an exact release, else the newest release that continues the prefix at a
# '.' or '-' boundary, so 6.1 picks 6.1.0-56-amd64 and not 6.12.117+deb12-amd64.
vmlinuz=
if [ -f "/boot/vmlinuz-$kernel" ]; then
	vmlinuz=/boot/vmlinuz-$kernel
elif [ -f "$kernel" ]; then
	vmlinuz=$kernel
else
	best=$(vm_kernel_release "$kernel")
	[ -n "$best" ] && vmlinuz=/boot/vmlinuz-$best
fi
[ -n "$vmlinuz" ] || {
	have=(/boot/vmlinuz-*)
	echo "$prog: no kernel matches '$kernel' (have: ${have[*]})" >&2
	exit 64
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vm-run.XXXXXX")
qemu_pid=
tail_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	# qemu_pid is timeout(1), which passes TERM on to QEMU.
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$work/root
mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc,mnt}

# Mirror the host's merged-/usr layout, so library paths that ldd prints resolve the same way.
for d in bin sbin lib lib64; do
	if [ -L "/$d" ]; then
		mkdir -p "$root/$(readlink "/$d")"
		ln -s "$(readlink "/$d")" "$root/$d"
	else
		mkdir -p "$root/$d"
	fi
done
mkdir -p "$root"/usr/{bin,sbin}

cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

# tar rather than cp: a payload's lib/ or bin/ must land in usr/ through the root's symlinks.
for d in "${payloads[@]}"; do
	tar -C "$d" -cf - . | tar -C "$root" -xf - --keep-directory-symlink --no-same-owner ||
		die "cannot copy payload '$d'"
done

# Libraries for every dynamic ELF in the payload. The guest runs Debian 12 userland like the
# host, so the host's glibc is the right one.
if [ ${#payloads[@]} -gt 0 ]; then
	for d in "${payloads[@]}"; do
		find "$d" -type f -print0
	done | while IFS= read -r -d '' f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		ldd "$f" 2>/dev/null | awk '
			$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// { print $1 }' || true
	done | sort -u | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
fi

printf '%s\n' "$*" >"$root/vm-command.sh"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# PID 1 of a vm-run.sh guest: mount, run /vm-command.sh, report its status, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname vm
ip link set lo up 2>/dev/null
# Raw: no \r inserted, bytes pass through unchanged to the host's stdout.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "VM-INIT-START uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
cd /
sh /vm-command.sh </dev/null >/dev/ttyS1 2>&1
rc=$?
# The last close of ttyS1 above waited for its output to drain; only then report.
echo "VM-INIT-END uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
echo "VM-EXIT-STATUS=$rc" >/dev/ttyS0
sync
poweroff -f
EOF
chmod 755 "$root/init"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/initrd.cpio"

console=$work/console.log
: >"$console"
if [ "$verbose" -eq 1 ]; then
	tail -n +1 -f "$console" >&2 &
	tail_pid=$!
fi

cmdline="console=ttyS0 panic=-1 loglevel=6 rdinit=/init${append_extra:+ $append_extra}"
start=$(date +%s.%N)
set +e
# stdin is /dev/null so QEMU never puts a terminal into raw mode. -nographic with an explicit
# monitor and serial ports: ttyS0 = console log file, ttyS1 = command output on our stdout.
timeout -s TERM -k 5 "$timeout_s" "$qemu" \
	-accel tcg -cpu max -smp "$cpus" -m "$memory" \
	-nographic -no-reboot -monitor none -nic none \
	-kernel "$vmlinuz" -initrd "$work/initrd.cpio" -append "$cmdline" \
	-chardev "file,id=con,path=$console" -serial chardev:con \
	-chardev stdio,id=out,signal=off -serial chardev:out \
	</dev/null &
qemu_pid=$!
wait "$qemu_pid"
qrc=$?
qemu_pid=
set -e
end=$(date +%s.%N)

if [ -n "$tail_pid" ]; then
	sleep 0.2
	kill "$tail_pid" 2>/dev/null || true
	wait "$tail_pid" 2>/dev/null || true
	tail_pid=
fi
[ -z "$console_log" ] || cp "$console" "$console_log"

# Last lines of the console for a failure message, without SeaBIOS's terminal escapes.
show_console() {
	tail -n "$1" "$console" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/^/console: /' >&2
}

status=$(tr -d '\r' <"$console" | sed -n 's/.*VM-EXIT-STATUS=\([0-9][0-9]*\).*/\1/p' | tail -n 1)
if [ "$verbose" -eq 1 ]; then
	init_start=$(tr -d '\r' <"$console" | sed -n 's/.*VM-INIT-START uptime=\([0-9.]*\).*/\1/p' | tail -n 1)
	echo "$prog: $vmlinuz: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s wall clock, init started at guest uptime ${init_start:-?} s" >&2
fi

if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "$prog: timed out after ${timeout_s}s (kernel $vmlinuz)" >&2
	[ "$verbose" -eq 1 ] || show_console 20
	exit 124
fi
if [ -z "$status" ]; then
	echo "$prog: the VM stopped without an exit status (qemu status $qrc); last console lines:" >&2
	show_console 30
	exit 125
fi
exit "$status"
