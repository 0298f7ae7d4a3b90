#!/usr/bin/env bash
# capture-proc-fixtures.sh: capture /proc text from real kernels as parser test fixtures.
#
# Usage (as root, from anywhere in the repo):
#   scripts/capture/proc-fixtures.sh                 # the host's kernel and Debian's 6.1 in a VM
#   scripts/capture/proc-fixtures.sh --no-host       # only the VM
#   scripts/capture/proc-fixtures.sh --no-vm         # only the host
#   scripts/capture/proc-fixtures.sh --vm-kernel 6.12  # a VM kernel other than 6.1 (repeatable)
#
# Builds scripts/capture/proc-capture.c with `gcc -O2 -static`, runs it on the host and in each
# VM (scripts/vm/run.sh; the VM's file mapping is a file on its tmpfs /tmp), and writes what it
# captured to Tests/PinctlKitTests/Fixtures/linux-MAJOR.MINOR/ for the kernel it ran on (the host
# today: linux-6.18). The VM sends its files back base64-encoded between marker lines on its
# output serial port. Only the files proc-capture writes are replaced; anything else in a
# fixture directory stays. VM kernels come from scripts/vm/install-deps.sh.
set -euo pipefail

prog=capture-proc-fixtures
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

host=1
vm_kernels=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-host) host=0; shift ;;
	--no-vm) vm_kernels=(none); shift ;;
	--vm-kernel)
		[ $# -ge 2 ] || usage
		vm_kernels+=("$2")
		shift 2
		;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
[ ${#vm_kernels[@]} -gt 0 ] || vm_kernels=(6.1)
[ "${vm_kernels[0]}" != none ] || vm_kernels=()

if [ "$(id -u)" -ne 0 ]; then
	echo "$prog: must run as root (pagemap PFNs and /proc/kpage* need CAP_SYS_ADMIN)" >&2
	exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixtures=$repo/Tests/PinctlKitTests/Fixtures
files=(maps.txt smaps.txt status.txt regions.txt pages.txt uname.txt kernel-config-notes.txt)

work=$(mktemp -d "${TMPDIR:-/tmp}/capture-proc.XXXXXX")
trap 'rm -rf "$work"' EXIT

gcc -O2 -static -Wall -Wextra -Werror -o "$work/proc-capture" "$here/proc-capture.c"

# The kernel configuration options that shape what the capture shows, for its notes. VM
# kernels' configs are in the host's /boot; the host's own may only be in /proc/config.gz.
config_options='MEM_SOFT_DIRTY|ANON_VMA_NAME|TRANSPARENT_HUGEPAGE(_ALWAYS|_MADVISE|_NEVER)?|MEMCG|PAGE_IDLE_FLAG|IDLE_PAGE_TRACKING|MEMORY_FAILURE|USERFAULTFD|PTE_MARKER_UFFD_WP|LEGACY_VSYSCALL_[A-Z]+|PROC_PAGE_MONITOR|MODULES'
append_config() {
	local release=$1 src=
	if [ "$release" = "$(uname -r)" ] && [ -r /proc/config.gz ]; then
		src=/proc/config.gz
	elif [ -r "/boot/config-$release" ]; then
		src=/boot/config-$release
	fi
	if [ -z "$src" ]; then
		echo "# kernel config: not found for $release"
		return
	fi
	echo "# kernel config ($src), the options that shape these files:"
	if [ "$src" = /proc/config.gz ]; then zcat "$src"; else cat "$src"; fi |
		grep -E "^(# )?CONFIG_($config_options)(=| is not set)" || true
}

# Checks one capture and copies it into Fixtures/linux-MAJOR.MINOR/.
install_capture() {
	local src=$1 release series dest f
	for f in "${files[@]}"; do
		[ -s "$src/$f" ] || { echo "$prog: capture lacks $f" >&2; return 1; }
	done
	[ "$(wc -l <"$src/regions.txt")" -eq 7 ] || { echo "$prog: regions.txt is not 7 lines" >&2; return 1; }
	release=$(head -n 1 "$src/uname.txt")
	series=$(echo "$release" | cut -d. -f1,2)
	dest=$fixtures/linux-$series
	mkdir -p "$dest"
	append_config "$release" >>"$src/kernel-config-notes.txt"
	for f in "${files[@]}"; do
		cp "$src/$f" "$dest/$f"
	done
	echo "$prog: $release -> ${dest#"$repo"/}" >&2
	grep -E '^(region|thp consecutive)' "$dest/kernel-config-notes.txt" | sed 's/^/  /' >&2
}

if [ "$host" -eq 1 ]; then
	mkdir -p "$work/host"
	"$work/proc-capture" "$work/host" /tmp
	install_capture "$work/host"
fi

if [ ${#vm_kernels[@]} -gt 0 ]; then
	mkdir -p "$work/payload/usr/local/bin"
	cp "$work/proc-capture" "$work/payload/usr/local/bin/"
	# The guest shell runs this; its stdout comes back here on the VM's output port.
	vm_cmd='set -e
mkdir -p /tmp/capture
proc-capture /tmp/capture /tmp
echo CAPTURE-BEGIN
tar -C /tmp/capture -cf - . | base64
echo CAPTURE-END'
	for k in "${vm_kernels[@]}"; do
		out=$work/vm-$k
		mkdir -p "$out"
		if ! "$repo/scripts/vm/run.sh" --kernel "$k" --payload "$work/payload" --timeout 300 \
			--memory 1024 -- "$vm_cmd" >"$out.log"; then
			echo "$prog: capture in the $k VM failed; its output:" >&2
			cat "$out.log" >&2
			exit 1
		fi
		sed -n '/^CAPTURE-BEGIN$/,/^CAPTURE-END$/{/^CAPTURE-/d;p}' "$out.log" |
			base64 -d | tar -C "$out" -xf -
		install_capture "$out"
	done
fi
