#!/usr/bin/env bash
# vm-rootfs.sh: build (once) and cache a Debian root file system image for the package test
# (scripts/vm/deb-test.sh): debootstrap from Debian's archive, systemd and udev, the suite's
# kernels with their headers, dkms with its compiler, man-db and bash-completion, and a
# boot-time runner that executes the test payload of a second disk.
#
# Usage (as root):
#   scripts/vm/rootfs.sh                  # Debian 12: print the cached image's directory,
#                                         # building it if needed
#   scripts/vm/rootfs.sh --suite trixie   # Debian 13 instead
#   scripts/vm/rootfs.sh --rebuild        # build it again even when cached
#
# Suites: bookworm (Debian 12, the default) gets Debian 12's own 6.1 kernel and the 6.12 of
# bookworm-security (linux-image-6.12-amd64); trixie (Debian 13) gets trixie's own kernel
# (linux-image-amd64, a 6.12), from the image's own apt sources: no kernel of the host's
# /boot is used.
#
# The image's directory holds rootfs.img (raw ext4, never written by a test: each VM writes a
# qcow2 overlay on it), vmlinuz-REL and initrd.img-REL copied out of the image for QEMU's
# -kernel and -initrd, and kernels.txt (one "SERIES RELEASE" per line: 6.1 and 6.12 for
# bookworm, 6.12 for trixie). It lives in $PINCTL_VM_CACHE (default /var/cache/pinctl-vm,
# outside the work tree, so a fresh clone in CI finds it) as debian12-KEY or debian13-KEY,
# where KEY hashes this script and the suite: editing the script builds a new one. Each use
# stamps the image; after a successful build, images of the same suite unused for 14 days
# are removed (another work tree's version of this script may still use a recent one). The
# mirror is $PINCTL_DEBIAN_MIRROR, else the host's first Debian archive in its apt sources.
#
# The runner (pinctl-vm-runner.service, in the image) waits for a disk labelled PINCTLPAYLOAD,
# mounts it read-only at /payload, runs `sh /payload/run.sh` with its output on /dev/ttyS1,
# prints VM-EXIT-STATUS=N on /dev/ttyS0 and powers off. Exit status: 0, 1 on failure, 64 on a
# usage error. Progress goes to stderr, the directory alone to stdout.
set -euo pipefail

prog=vm-rootfs
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

rebuild=0
suite=bookworm
while [ $# -gt 0 ]; do
	case "$1" in
	--rebuild) rebuild=1; shift ;;
	--suite)
		[ $# -ge 2 ] || usage
		suite=$2
		shift 2
		;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done

# Per suite: the image's name, the kernel packages and the series they must yield.
case "$suite" in
bookworm)
	name=debian12
	kernel_pkgs=(
		linux-image-6.12-amd64 linux-headers-6.12-amd64 # Debian 12's 6.12 (bookworm-security)
		linux-image-amd64 linux-headers-amd64           # Debian 12's own 6.1
	)
	want_series='6.1 6.12'
	;;
trixie)
	name=debian13
	kernel_pkgs=(linux-image-amd64 linux-headers-amd64) # trixie's own 6.12
	want_series='6.12'
	;;
*) echo "$prog: unsupported suite '$suite' (bookworm or trixie)" >&2; exit 64 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "$prog: must run as root (debootstrap, chroot)" >&2; exit 1; }

# The image's directory is the only thing on stdout, which callers take whole: fd 3 keeps it,
# and everything the tools print (mke2fs says "Creating regular file" on a new image, even
# with -q) goes to stderr.
exec 3>&1 1>&2

cache=${PINCTL_VM_CACHE:-/var/cache/pinctl-vm}
key=$({ cat "$0"; echo "suite=$suite"; } | sha256sum | cut -c1-16)
dir=$cache/$name-$key
if [ "$rebuild" -eq 0 ] && [ -s "$dir/kernels.txt" ] && [ -s "$dir/rootfs.img" ]; then
	touch "$dir/used"
	echo "$dir" >&3
	exit 0
fi

mirror=${PINCTL_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true)
	mirror=${mirror%/}
fi
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=${mirror%/debian}/debian-security

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
apt_install "${missing[@]}"

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
mounted=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(date +%s)
echo "$prog: debootstrap $suite from $mirror into $root" >&2
debootstrap --variant=minbase --include=systemd-sysv,udev,kmod,apt,ca-certificates \
	"$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" >&2
	echo "$prog: debootstrap failed" >&2
	exit 1
}

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# No daemon starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$root/$m"
	mounted+=("$root/$m")
done
# man-db rebuilds its index on every package install: slow under TCG and not needed for `man`.
echo 'man-db man-db/auto-update boolean false' | chroot "$root" debconf-set-selections

pkgs=(
	"${kernel_pkgs[@]}"
	dkms gcc make libc6-dev                    # what pinctl-dkms builds the module with
	man-db groff-base bash-completion          # man pinctl-pin, pinctl pi<TAB>
	procps util-linux util-linux-extra         # the test: VmLck, runuser, fincore
	adduser passwd e2fsprogs                   # useradd
)
t1=$(date +%s)
echo "$prog: debootstrap took $((t1 - t0)) s; apt-get install ${pkgs[*]}" >&2
chroot "$root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${pkgs[*]}" \
	>"$work/apt.log" 2>&1 || {
	tail -n 40 "$work/apt.log" >&2
	echo "$prog: apt-get install in the chroot failed" >&2
	exit 1
}
chroot "$root" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d"
echo "$prog: apt-get install took $(($(date +%s) - t1)) s" >&2

echo pinctl-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 pinctl-vm\n' >"$root/etc/hosts"
echo 'LABEL=pinctlroot / ext4 rw,relatime 0 1' >"$root/etc/fstab"
# Nothing on a timer but what the test starts: these would compete for the two TCG vCPUs.
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
	dpkg-db-backup.timer systemd-tmpfiles-clean.timer getty@tty1.service serial-getty@ttyS0.service \
	serial-getty@ttyS1.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

cat >"$root/usr/local/sbin/pinctl-vm-runner" <<'EOF'
#!/bin/sh
# Runs /payload/run.sh from the disk labelled PINCTLPAYLOAD; output on ttyS1, status on ttyS0.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "VM-RUNNER-START uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
mkdir -p /payload
rc=125
if mount -o ro LABEL=PINCTLPAYLOAD /payload; then
	cd /tmp && sh /payload/run.sh </dev/null >/dev/ttyS1 2>&1
	rc=$?
else
	echo "pinctl-vm-runner: no PINCTLPAYLOAD disk" >/dev/ttyS0
fi
echo "VM-RUNNER-END uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
echo "VM-EXIT-STATUS=$rc" >/dev/ttyS0
sync
systemctl poweroff --force --force
EOF
chmod 755 "$root/usr/local/sbin/pinctl-vm-runner"
cat >"$root/etc/systemd/system/pinctl-vm-runner.service" <<'EOF'
[Unit]
Description=Run the pinctl VM test payload
After=multi-user.target
Requires=dev-disk-by\x2dlabel-PINCTLPAYLOAD.device
After=dev-disk-by\x2dlabel-PINCTLPAYLOAD.device

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/pinctl-vm-runner
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/pinctl-vm-runner.service \
	"$root/etc/systemd/system/multi-user.target.wants/pinctl-vm-runner.service"

# The kernels, named by series, copied out for QEMU.
out=$work/out
mkdir -p "$out"
: >"$out/kernels.txt"
for v in "$root"/boot/vmlinuz-*; do
	rel=${v#"$root"/boot/vmlinuz-}
	[ -e "$root/boot/initrd.img-$rel" ] || { echo "$prog: no initrd for $rel" >&2; exit 1; }
	[ -e "$root/usr/src/linux-headers-$rel/Makefile" ] || { echo "$prog: no headers for $rel" >&2; exit 1; }
	case "$rel" in
	6.1.*) series=6.1 ;;
	6.12.*) series=6.12 ;;
	*) continue ;;
	esac
	cp "$v" "$out/vmlinuz-$rel"
	cp "$root/boot/initrd.img-$rel" "$out/initrd.img-$rel"
	echo "$series $rel" >>"$out/kernels.txt"
done
[ "$(cut -d' ' -f1 "$out/kernels.txt" | sort -V | xargs)" = "$want_series" ] || {
	echo "$prog: expected the kernel series $want_series in the $suite image, found: $(xargs <"$out/kernels.txt")" >&2
	exit 1
}

for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
	umount "${mounted[$i]}"
done
mounted=()

echo "$prog: mkfs.ext4 -d ($(du -sh "$root" | cut -f1) of files)" >&2
mkfs.ext4 -q -L pinctlroot -d "$root" "$out/rootfs.img" 6G
touch "$out/used"
rm -rf "$dir"
mv "$out" "$dir"
# Older images of this suite: another key (this script edited), and unused for 14 days. A
# newer one may still be another work tree's (an image stamped before stamps: its kernels.txt).
for old in "$cache/$name"-*; do
	[ "$old" != "$dir" ] && [ -d "$old" ] || continue
	stamp=$old/used
	[ -e "$stamp" ] || stamp=$old/kernels.txt
	[ -z "$(find "$stamp" -mtime -14 2>/dev/null)" ] || continue
	rm -rf "$old"
done
echo "$prog: built $dir in $(($(date +%s) - t0)) s" >&2
echo "$dir" >&3
