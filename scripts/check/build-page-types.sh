#!/usr/bin/env bash
# build-page-types.sh: build the kernel's own tools/mm/page-types from Debian's linux-source-6.12,
# the baseline that pinctl's tests and benchmarks compare with, and print the binary's path.
#
# Usage: scripts/check/build-page-types.sh [--quiet]
#
# Installs linux-source-6.12 through apt when it is missing (root), extracts only tools/mm, the
# tools libraries and the two uapi headers page-types includes, and builds it with the tools'
# own Makefile into .build-tools/page-types-VERSION/ (kept between runs; nothing outside the
# repository is written but the package). Exit status 0 with the path on stdout; 1 when the
# source or the build is not to be had (the reason on stderr).
set -euo pipefail

prog=build-page-types
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"
quiet=0
[ "${1:-}" = --quiet ] && quiet=1

say() { [ "$quiet" = 1 ] || echo "$prog: $*" >&2; }

linux_source
tarball=$linux_source_tarball
version=$linux_source_version

out=$repo/.build-tools/page-types-$version
if [ -x "$out/page-types" ]; then
	echo "$out/page-types"
	exit 0
fi

{ command -v make && command -v gcc; } >/dev/null || die "gcc and make are needed"
work=$(mktemp -d "$repo/.build-tools/page-types.XXXXXX" 2>/dev/null) || {
	mkdir -p "$repo/.build-tools"
	work=$(mktemp -d "$repo/.build-tools/page-types.XXXXXX")
}
trap 'rm -rf "$work"' EXIT

say "extracting tools/mm from $tarball ($version)"
src=linux-source-6.12
tar -xJf "$tarball" -C "$work" --wildcards \
	"$src/tools/mm/*" "$src/tools/lib/api/*" "$src/tools/lib/*.c" "$src/tools/include/*" \
	"$src/tools/build/*" "$src/tools/scripts/*" "$src/tools/arch/x86/include/*" \
	"$src/include/uapi/linux/kernel-page-flags.h" "$src/include/uapi/linux/magic.h" \
	"$src/Makefile" || die "could not extract page-types' sources from $tarball"

say "building page-types"
make -s -C "$work/$src/tools/mm" page-types >"$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	die "page-types did not build"
}
mkdir -p "$out"
install -m 0755 "$work/$src/tools/mm/page-types" "$out/page-types.tmp"
mv -f "$out/page-types.tmp" "$out/page-types"
echo "$out/page-types"
