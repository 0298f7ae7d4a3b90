#!/bin/sh
# version.sh: print pinctl's version (MAJOR.MINOR.PATCH), read from the one place it is written,
# KernelHelper/include/pinctl/pinctl_version.h. Exit 1 if that file does not define it.
set -eu
h=$(dirname "$0")/../../KernelHelper/include/pinctl/pinctl_version.h
v=$(sed -n 's/^#define PINCTL_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9][0-9]*\)$/\1 \2/p' "$h" |
	awk '{ n[$1] = $2 } END { if (("MAJOR" in n) && ("MINOR" in n) && ("PATCH" in n)) print n["MAJOR"] "." n["MINOR"] "." n["PATCH"] }')
[ -n "$v" ] || { echo "version.sh: $h defines no PINCTL_VERSION_MAJOR/MINOR/PATCH" >&2; exit 1; }
echo "$v"
