# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # `repo` is for the sourcing script, `prog` its own
#
# lib.sh - what the scripts under scripts/ share: messages, usage from the header comment,
# the root check and Debian package installs. Sourced, not run:
#
#   prog=NAME   # its name in messages
#   . "$(dirname "$0")/../lib.sh"
#
# Sets `repo` to the work tree's top directory, and `release_build` to the scratch path of
# the static release build that the packages and the VM suites ship: apart from the tests'
# .build, so that it can build while they run (scripts/test.sh does).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
release_build=$repo/.build-release

# The script's header comment (line 2 down to `set -euo`) on stderr, then exit 64.
usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 64
}

say() {
	echo "$prog: $*" >&2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

# need_root WHY: exit 1 unless running as root.
need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root ($*)"
}

# apt_get ARGS...: apt-get, one at a time among pinctl's scripts. The test command prepares
# the VM stages in the background while other stages install what they need, and
# `apt-get update` fails at once on a lists lock another apt-get holds (DPkg::Lock::Timeout
# covers only dpkg's own lock): each waits for the one before it instead.
apt_get() {
	flock /run/lock/pinctl-apt.lock apt-get -o DPkg::Lock::Timeout=1200 "$@"
}

# apt_install PKG...: installs Debian packages, as root, without questions. `apt-get update`
# runs once per process.
apt_updated=0
apt_install() {
	[ $# -gt 0 ] || return 0
	need_root "apt-get install $*"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$apt_updated" -eq 0 ]; then
		apt_get update -qq >&2
		apt_updated=1
	fi
	say "installing $*"
	apt_get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >&2
}

# linux_source: Debian's linux-source-6.12, installed when missing; sets linux_source_tarball
# and linux_source_version. The kernel's own tools (page-types, checkpatch.pl) come from it.
linux_source() {
	local pkg=linux-source-6.12
	linux_source_tarball=/usr/src/linux-source-6.12.tar.xz
	if [ ! -f "$linux_source_tarball" ]; then
		[ "$(id -u)" = 0 ] || die "$linux_source_tarball is missing: install $pkg (apt-get install $pkg) as root"
		apt_install "$pkg" >/dev/null || die "apt-get install $pkg failed"
	fi
	linux_source_version=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || echo unknown)
}
