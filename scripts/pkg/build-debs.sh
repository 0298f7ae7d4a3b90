#!/usr/bin/env bash
# build-debs.sh: build the Debian packages pinctl and pinctl-dkms with Debian's own tooling
# (debhelper, dh-dkms), then check them with lintian.
#
# Usage:
#   scripts/pkg/build-debs.sh                # into .build-deb/
#   scripts/pkg/build-debs.sh --out DIR      # into DIR
#   scripts/pkg/build-debs.sh --no-lintian   # skip lintian
#
# Steps: the static pinctl (README: swift build -c release --static-swift-stdlib -Xswiftc
# -static-executable); its man pages, one per command, from swift-argument-parser's
# GenerateManual plugin (run on that same static build, so they are what --help prints;
# renamed pinctl.pin.1 -> pinctl-pin.1 in git's style, title and cross-references with them);
# bash, zsh and fish completions from pinctl --generate-completion-script; then a source tree
# in DIR/pinctl-VERSION: scripts/pkg/debian/ as debian/ (with a debian/changelog written here),
# scripts/pkg/systemd/'s units (with /usr/bin/pinctl), KernelHelper/'s module source, udev rule
# and modules-load.d file; dpkg-buildpackage -b. The version is scripts/pkg/version.sh's
# (KernelHelper/include/pinctl/pinctl_version.h), with Debian revision 1; the script fails
# unless the binary's --version, the packages' versions and the DKMS source's dkms.conf and
# MODULE_VERSION all agree with it.
#
# Output: DIR/pinctl_VERSION-1_amd64.deb, DIR/pinctl-dkms_VERSION-1_all.deb, and
# DIR/lintian.txt. Exit status 0; 1 on a failure (lintian errors or anything systemd-analyze
# verify says about the units included); 64 on a usage error. Needs debhelper, dh-dkms,
# lintian, fakeroot and systemd-analyze (installed when missing, as root).
# PINCTL_MAINTAINER="Name <address>" sets the packages' Maintainer and changelog signature
# (default: pinctl developers at the reserved pinctl.invalid domain).
set -euo pipefail

prog=build-debs
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

out=$repo/.build-deb
lintian=1
while [ $# -gt 0 ]; do
	case "$1" in
	--out)
		[ $# -ge 2 ] || usage
		out=$2
		shift 2
		;;
	--no-lintian) lintian=0; shift ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done

missing=()
command -v dh >/dev/null || missing+=(debhelper)
[ -e /usr/share/perl5/Debian/Debhelper/Sequence/dkms.pm ] || missing+=(dh-dkms)
command -v lintian >/dev/null || missing+=(lintian)
command -v fakeroot >/dev/null || missing+=(fakeroot)
command -v systemd-analyze >/dev/null || missing+=(systemd)
apt_install "${missing[@]}"

version=$("$repo/scripts/pkg/version.sh")
debversion=$version-1
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build.log
: >"$log"

# --- the static binary, its man pages and completions -----------------------------------

# The static build of the README, in the spelling `swift package` takes (it has no
# --static-swift-stdlib), so that the plugin's build and this binary are the same build.
# scripts/vm/test.sh builds with the same flags: the two stages share one release build.
static=(--scratch-path "$release_build" -c release -Xswiftc -static-executable -Xswiftc -static-stdlib)
# The plugin builds every product with these flags and runs generate-manual on pinctl.
echo "$prog: swift package ${static[*]} generate-manual --multi-page" >&2
(cd "$repo" && swift package "${static[@]}" generate-manual --multi-page \
	--date "$(date -u -d "@$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%d)") >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "swift package generate-manual failed"; }
mandir=$release_build/plugins/GenerateManual/outputs/pinctl
[ -s "$mandir/pinctl.1" ] || die "generate-manual wrote no $mandir/pinctl.1"
bin=$(cd "$repo" && swift build "${static[@]}" --show-bin-path)/pinctl
file -L "$bin" | grep -q 'statically linked' || die "$bin is not statically linked"
[ "$("$bin" --version)" = "$version" ] || die "pinctl --version says $("$bin" --version), pinctl_version.h $version"

# The EXIT STATUS section: the plugin writes only mdoc's stock sentence (.Ex -std); every
# page gets pinctl's one table instead, as `pinctl --help` prints it.
exit_status=$out/exit-status.mdoc
"$bin" --help | awk '
	/^EXIT STATUS$/ { on = 1; print ".Bl -tag -width 6n"; next }
	on && /^$/ { print ".El"; exit }
	on && /^  [^ ]/ { print ".It Sy " $1; sub(/^  [^ ]+ +/, ""); print; next }
	on { sub(/^ +/, ""); print }' >"$exit_status"
grep -q '^\.It Sy 64$' "$exit_status" || die "pinctl --help prints no EXIT STATUS table with 64 in it"

src=$out/pinctl-$version
rm -rf "$src"
mkdir -p "$src/staged/man" "$src/staged/systemd" "$src/staged/completions"/{bash,zsh,fish}
cp "$bin" "$src/staged/pinctl"
# pinctl.module.load.1 -> pinctl-module-load.1: the title and cross-references follow, and so
# does NAME (.Nm "pinctl module load" is no whatis entry for lexgrog, man -k and lintian);
# the synopsis keeps the words the user types. A blank line of a discussion (a paragraph
# break in --help) is no mdoc: groff warns "Empty input line" (lintian); .Pp is the break.
for f in "$mandir"/*.1; do
	name=$(basename "$f" .1)
	awk '
		/^\.Sh / { sect = $2 }
		sect == "NAME" && /^\.Nm "/ {
			words = substr($0, 5); dashed = words
			gsub(/"/, "", dashed); gsub(/ /, "-", dashed)
			print ".Nm " dashed; next
		}
		/^\.Nm$/ && words != "" { print ".Nm " words; next }
		/^\.Dt / { gsub(/\./, "-"); sub(/^-Dt/, ".Dt") }
		/^\.Xr / { gsub(/\./, "-"); sub(/^-Xr/, ".Xr") }
		/^\.Ex -std$/ { while ((getline line < table) > 0) print line; close(table); next }
		/^$/ { print ".Pp"; next }
		{ print }' table="$exit_status" "$f" >"$src/staged/man/${name//./-}.1"
	! grep -q '^\.Ex ' "$src/staged/man/${name//./-}.1" || die "${name//./-}.1 kept the stock EXIT STATUS sentence"
	lexgrog "$src/staged/man/${name//./-}.1" >/dev/null || die "${name//./-}.1 has no whatis entry lexgrog can read"
done
# Sourced, never run: no #! line (lintian: bash-completion-with-hashbang).
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' >"$src/staged/completions/bash/pinctl"
"$bin" --generate-completion-script zsh >"$src/staged/completions/zsh/_pinctl"
"$bin" --generate-completion-script fish >"$src/staged/completions/fish/pinctl.fish"
# glibc's static libc is in the binary (policy 7.8: Built-Using).
echo "glibc (= $(dpkg-query -W -f='${source:Version}' libc6-dev))" >"$src/staged/built-using"

# --- the source tree ----------------------------------------------------------------------

cp -r "$repo/scripts/pkg/debian" "$src/debian"
# The maintainer of the packages built here: PINCTL_MAINTAINER="Name <address>".
maintainer=${PINCTL_MAINTAINER:-pinctl developers <pinctl@pinctl.invalid>}
sed -i "s|^Maintainer: .*|Maintainer: $maintainer|" "$src/debian/control"
for u in pinctl-census.service pinctl-census.timer pinctl-hold@.service; do
	sed 's|/usr/local/bin/pinctl|/usr/bin/pinctl|g' "$repo/scripts/pkg/systemd/$u" >"$src/staged/systemd/$u"
done
cp "$repo/scripts/pkg/systemd/pinctl-hold.conf.example" "$src/staged/hold.conf.example"
# systemd-analyze verify the units as packaged (the template as an instance), with this
# binary where /usr/bin/pinctl will be. It exits 0 for most mistakes (an unknown key, a bad
# Type=: "ignoring"), so any output fails; man pages are checked in the VM, where they are
# installed (--man=no here).
units=$out/units-verify
rm -rf "$units"
mkdir -p "$units"
for u in pinctl-census.service pinctl-census.timer pinctl-hold@.service; do
	sed "s|/usr/bin/pinctl|$bin|g" "$src/staged/systemd/$u" >"$units/${u/@./@verify.}"
done
(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.timer) >"$units/verify.txt" 2>&1 || true
if [ -s "$units/verify.txt" ]; then
	cat "$units/verify.txt" >&2
	die "systemd-analyze verify objects to the units"
fi
echo "$prog: systemd-analyze verify: the census service and timer and pinctl-hold@.service are clean" >&2
mkdir -p "$src/KernelHelper"
cp -r "$repo"/KernelHelper/*.c "$repo"/KernelHelper/*.h "$repo/KernelHelper/Kbuild" \
	"$repo/KernelHelper/Makefile" "$repo/KernelHelper/include" "$repo/KernelHelper/modules-load.d" "$src/KernelHelper/"
cp "$repo/KernelHelper/dkms.conf" "$src/debian/pinctl-dkms.dkms"
cp "$repo/KernelHelper/udev/60-pinctl.rules" "$src/debian/pinctl-dkms.pinctl.udev"
{
	echo "pinctl ($debversion) unstable; urgency=medium"
	echo
	echo "  * pinctl $version (KernelHelper/include/pinctl/pinctl_version.h)."
	echo
	echo " -- $maintainer  $(date -R -d "@$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)")"
} >"$src/debian/changelog"

echo "$prog: dpkg-buildpackage -b ($src)" >&2
rm -f "$out"/pinctl_*.deb "$out"/pinctl-dkms_*.deb "$out"/pinctl_*.changes "$out"/pinctl_*.buildinfo
(cd "$src" && dpkg-buildpackage -b -us -uc) >>"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "dpkg-buildpackage failed ($log)"; }
deb=$out/pinctl_${debversion}_amd64.deb
dkmsdeb=$out/pinctl-dkms_${debversion}_all.deb
[ -s "$deb" ] && [ -s "$dkmsdeb" ] || die "dpkg-buildpackage made no $deb and $dkmsdeb"

# --- they agree ---------------------------------------------------------------------------

check=$out/check
rm -rf "$check"
mkdir -p "$check/a" "$check/b"
dpkg-deb -x "$deb" "$check/a"
dpkg-deb -x "$dkmsdeb" "$check/b"
[ "$(dpkg-deb -f "$deb" Version)" = "$debversion" ] || die "pinctl's version is not $debversion"
[ "$(dpkg-deb -f "$dkmsdeb" Version)" = "$debversion" ] || die "pinctl-dkms's version is not $debversion"
[ "$("$check/a/usr/bin/pinctl" --version)" = "$version" ] || die "the packaged pinctl --version is not $version"
conf=$check/b/usr/src/pinctl-$version/dkms.conf
[ -s "$conf" ] || die "pinctl-dkms has no /usr/src/pinctl-$version/dkms.conf"
grep -qx "PACKAGE_VERSION=\"$version\"" "$conf" || die "$conf: PACKAGE_VERSION is not $version"
cmp -s "$check/b/usr/src/pinctl-$version/include/pinctl/pinctl_version.h" "$repo/KernelHelper/include/pinctl/pinctl_version.h" ||
	die "the DKMS source's pinctl_version.h differs from the repository's"
echo "$prog: pinctl $version: --version, both packages ($debversion), dkms.conf and the module's pinctl_version.h agree" >&2

if [ "$lintian" -eq 1 ]; then
	echo "$prog: lintian" >&2
	lintian --info --display-info --pedantic "$deb" "$dkmsdeb" >"$out/lintian.txt" 2>&1 || true
	sed 's/^/lintian: /' "$out/lintian.txt" | grep -E '^lintian: [EW]:' >&2 || true
	if grep -q '^E: ' "$out/lintian.txt"; then
		die "lintian reports errors ($out/lintian.txt)"
	fi
	echo "$prog: lintian: $(grep -c '^E: ' "$out/lintian.txt" || true) errors, $(grep -c '^W: ' "$out/lintian.txt" || true) warnings" >&2
fi
ls -1 "$deb" "$dkmsdeb"
