#!/usr/bin/env bash
# install-vm-deps.sh: install what scripts/vm/run.sh needs to boot Debian 12's own kernels in QEMU.
#
# Usage (as root):
#   scripts/vm/install-deps.sh                         # QEMU, busybox-static, cpio, libibverbs-dev,
#                                                      # iproute2, Debian's 6.1 kernel
#   scripts/vm/install-deps.sh --kernel 6.12           # ... and Debian 12's 6.12 kernel as well
#   scripts/vm/install-deps.sh --kernel 6.12 --headers # ... and the linux-headers packages for both
#   scripts/vm/install-deps.sh --kernel 6.1-rt         # ... and a PREEMPT_RT flavour (6.1-rt, 6.12-rt)
#   scripts/vm/install-deps.sh --kernel all            # 6.1, 6.12 and both -rt flavours
#
# Idempotent: it asks apt only when something is missing, and runs `apt-get update` once before
# that. The kernels are only files for QEMU's -kernel: the host never boots them, so a missing
# bootloader is fine. Prints the /boot/vmlinuz-* files available at the end.
set -euo pipefail

prog=vm-install-deps
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

series=(6.1)
headers=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel)
		[ $# -ge 2 ] || usage
		case "$2" in
		6.1) ;;
		6.12 | 6.1-rt | 6.12-rt) series+=("$2") ;;
		all) series+=(6.12 6.1-rt 6.12-rt) ;;
		*) echo "$prog: unsupported kernel series '$2' (6.1, 6.12, 6.1-rt, 6.12-rt or all)" >&2; exit 64 ;;
		esac
		shift 2
		;;
	--headers) headers=1; shift ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done

need_root "apt-get install"

export DEBIAN_FRONTEND=noninteractive

# Matches the kernel image packages of one series, signed or not. 6.1 is Debian 12's own ABI
# naming (linux-image-6.1.0-N-amd64); 6.12 comes from bookworm's backported
# linux-image-6.12.N+deb12-amd64(-unsigned); -rt is the PREEMPT_RT flavour of either
# (linux-image-6.1.0-N-rt-amd64).
image_regex() {
	case "$1" in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64(-unsigned)?$' ;;
	6.1-rt) echo '^linux-image-6\.1\.0-[0-9]+-rt-amd64(-unsigned)?$' ;;
	6.12-rt) echo '^linux-image-6\.12\.[0-9]+\+deb12-rt-amd64(-unsigned)?$' ;;
	esac
}

# linux-image-6.1.0-56-amd64-unsigned -> 6.1.0-56-amd64 (the uname -r and /boot/vmlinuz-* suffix).
image_release() {
	local p=${1#linux-image-}
	echo "${p%-unsigned}"
}

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

# Newest installed image package of a series whose vmlinuz is in /boot, or nothing.
installed_image() {
	local re pkg
	re=$(image_regex "$1")
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'linux-image-*' 2>/dev/null |
		awk '$1 == "installed" { print $2 }' | grep -E "$re" | sort -V |
		while read -r pkg; do
			[ -e "/boot/vmlinuz-$(image_release "$pkg")" ] && echo "$pkg"
		done | tail -n 1 || true
}

available() {
	apt-cache show "$1" >/dev/null 2>&1
}

# The image package apt would install today for a series. Prefers what Debian's meta package
# points at; falls back to the newest matching name apt knows.
candidate_image() {
	local meta dep re
	case "$1" in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	6.1-rt) meta=linux-image-rt-amd64 ;;
	6.12-rt) meta=linux-image-6.12-rt-amd64 ;;
	esac
	re=$(image_regex "$1")
	dep=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" { print $2 }' |
		grep -E "$re" | head -n 1 || true)
	if [ -z "$dep" ]; then
		dep=$(apt-cache pkgnames linux-image- | grep -E "$re" | sed 's/-unsigned$//' | sort -uV |
			tail -n 1 || true)
	fi
	[ -n "$dep" ] || return 1
	# The unsigned build is the same kernel without the Secure Boot signature; QEMU boots
	# either. Take it when it exists, as it is what module builds are documented against.
	if available "$dep-unsigned"; then
		echo "$dep-unsigned"
	else
		echo "$dep"
	fi
}

# libibverbs-dev: static libibverbs, the rxe provider and libnl for the census's RDMA holder
# (scripts/vm/guest/rdma-mr.c); iproute2: the rdma tool the guest suite checks the census against.
# qemu-utils and debootstrap: scripts/vm/deb-test.sh's overlay disks and root file system.
base_pkgs=(qemu-system-x86 qemu-utils busybox-static cpio libibverbs-dev iproute2 debootstrap)
missing_base=()
for p in "${base_pkgs[@]}"; do
	is_installed "$p" || missing_base+=("$p")
done

# Decide per series before asking apt anything, so a complete install never touches the network.
need_resolve=()  # series whose image (and headers) must be chosen from apt's lists
want_headers=()  # header packages for images already installed
for s in "${series[@]}"; do
	img=$(installed_image "$s")
	if [ -z "$img" ]; then
		need_resolve+=("$s")
	elif [ "$headers" -eq 1 ] && ! is_installed "linux-headers-$(image_release "$img")"; then
		want_headers+=("$s:$img")
	fi
done

if [ ${#missing_base[@]} -eq 0 ] && [ ${#need_resolve[@]} -eq 0 ] && [ ${#want_headers[@]} -eq 0 ]; then
	echo "$prog: nothing to install" >&2
else
	echo "$prog: apt-get update" >&2
	apt_get update -qq

	install=("${missing_base[@]}")
	for item in "${want_headers[@]}"; do
		s=${item%%:*}
		img=${item#*:}
		hdr="linux-headers-$(image_release "$img")"
		if available "$hdr"; then
			install+=("$hdr")
		else
			# The archive keeps only the current ABI: move to a newer image with headers.
			echo "$prog: $hdr is no longer in the archive; installing a newer $s kernel" >&2
			need_resolve+=("$s")
		fi
	done
	for s in "${need_resolve[@]}"; do
		if ! img=$(candidate_image "$s"); then
			echo "$prog: no Debian $s kernel image package found (apt-cache)" >&2
			exit 1
		fi
		install+=("$img")
		[ "$headers" -eq 0 ] || install+=("linux-headers-$(image_release "$img")")
	done

	echo "$prog: installing ${install[*]}" >&2
	# A kernel's postinst runs /etc/kernel/postinst.d (initramfs, bootloader hooks). None of
	# that matters for QEMU: if it fails, keep going as long as the vmlinuz file is in place.
	if ! apt_get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${install[@]}"; then
		echo "$prog: apt-get install reported an error; checking what landed" >&2
		flock /run/lock/pinctl-apt.lock dpkg --configure -a || true
		for p in "${install[@]}"; do
			case "$p" in
			linux-image-*) [ -e "/boot/vmlinuz-$(image_release "$p")" ] || exit 1 ;;
			*) is_installed "$p" || exit 1 ;;
			esac
		done
	fi
fi

for s in "${series[@]}"; do
	img=$(installed_image "$s")
	if [ -z "$img" ]; then
		echo "$prog: no $s kernel in /boot after install" >&2
		exit 1
	fi
	rel=$(image_release "$img")
	if [ "$headers" -eq 1 ] && [ ! -e "/usr/src/linux-headers-$rel/Makefile" ]; then
		echo "$prog: headers for $rel missing (/usr/src/linux-headers-$rel)" >&2
		exit 1
	fi
	echo "$prog: $s -> $img $(dpkg-query -W -f='${Version}' "$img")" >&2
done

echo "Kernels in /boot:"
ls -1 /boot/vmlinuz-* 2>/dev/null || echo "  (none)"
