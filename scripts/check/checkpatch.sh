#!/usr/bin/env bash
# checkpatch.sh: run the kernel's own scripts/checkpatch.pl --strict over every C file and header
# of KernelHelper/ (the module, its ABI headers and the C test suite), from Debian's
# linux-source-6.12.
#
# Usage: scripts/check/checkpatch.sh [--quiet]
#
# Installs linux-source-6.12 through apt when it is missing (root), extracts only checkpatch.pl
# and the two files it reads next to it (spelling.txt, const_structs.checkpatch) into
# .build-tools/checkpatch-VERSION/ (kept between runs), and checks each file with
# --strict --no-tree -f. Exit status 0 when no file has an ERROR, WARNING or CHECK; 1 otherwise
# (checkpatch's report on stdout) or when checkpatch is not to be had (the reason on stderr).
set -euo pipefail

prog=checkpatch
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"
quiet=0
[ "${1:-}" = --quiet ] && quiet=1

say() { [ "$quiet" = 1 ] || echo "$prog: $*" >&2; }

# What checkpatch may not say, per group of files, each with its reason. Nothing else is ignored.
#
# The module (KernelHelper/*.c, *.h):
#   LINUX_VERSION_CODE   an out-of-tree module built for both 6.1 and 6.12 must test the
#                        version where the GUP and folio APIs differ between them.
#   CONSTANT_COMPARISON  those tests read `LINUX_VERSION_CODE >= KERNEL_VERSION(...)`, where
#                        checkpatch takes the left side for a constant.
ignore_module=LINUX_VERSION_CODE,CONSTANT_COMPARISON
# The ABI headers (KernelHelper/include/pinctl/*.h), included by user space and the Swift shim:
#   BIT_MACRO            BIT() and BIT_ULL() do not exist outside the kernel.
ignore_uapi=BIT_MACRO
# The C test suite (KernelHelper/tests/), user space built with gcc -static:
#   PREFER_KERNEL_TYPES      <stdint.h> types, as in the kernel's own selftests.
#   MACRO_WITH_FLOW_CONTROL  CHECK(), CHECKF() and SKIP_IF() end the test, as kselftest's
#                            ASSERT_*() do.
#   VOLATILE                 reads that must fault a page in, and flags shared between a
#                            test's threads.
#   ENOSYS                   a test accepts the kernel's ENOSYS for an madvise advice it lacks.
#   LONG_LINE_STRING         diagnostics stay whole on one line, to be found with grep.
ignore_tests=PREFER_KERNEL_TYPES,MACRO_WITH_FLOW_CONTROL,VOLATILE,ENOSYS,LONG_LINE_STRING

linux_source
tarball=$linux_source_tarball
version=$linux_source_version

out=$repo/.build-tools/checkpatch-$version
if [ ! -f "$out/scripts/checkpatch.pl" ]; then
	command -v perl >/dev/null || die "perl is needed"
	mkdir -p "$repo/.build-tools"
	work=$(mktemp -d "$repo/.build-tools/checkpatch.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	say "extracting checkpatch.pl from $tarball ($version)"
	src=linux-source-6.12
	tar -xJf "$tarball" -C "$work" "$src/scripts/checkpatch.pl" "$src/scripts/spelling.txt" \
		"$src/scripts/const_structs.checkpatch" || die "could not extract checkpatch.pl from $tarball"
	rm -rf "$out"
	mv "$work/$src" "$out"
fi
checkpatch=$out/scripts/checkpatch.pl

# Checks files $2... with the types in $1 ignored; returns 1 when any file has something to say.
check() {
	local ignore=$1 f rc=0
	shift
	for f in "$@"; do
		perl "$checkpatch" --strict --no-tree --quiet --no-summary --ignore "$ignore" \
			-f "${f#"$repo"/}" || rc=1
	done
	return "$rc"
}

cd "$repo"
shopt -s nullglob
module=(KernelHelper/*.c KernelHelper/*.h)
uapi=(KernelHelper/include/pinctl/*.h)
tests=(KernelHelper/tests/*.c KernelHelper/tests/*.h)
if [ ${#module[@]} -eq 0 ] || [ ${#tests[@]} -eq 0 ]; then
	die "no KernelHelper sources under $repo"
fi
rc=0
check "$ignore_module" "${module[@]}" || rc=1
check "$ignore_uapi" "${uapi[@]}" || rc=1
check "$ignore_tests" "${tests[@]}" || rc=1
n=$((${#module[@]} + ${#uapi[@]} + ${#tests[@]}))
if [ "$rc" -eq 0 ]; then
	say "checkpatch.pl --strict ($version): $n files clean"
else
	say "checkpatch.pl --strict ($version): errors, warnings or checks above"
fi
exit "$rc"
