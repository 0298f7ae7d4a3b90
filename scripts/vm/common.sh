# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# common.sh - what scripts/vm-test.sh and scripts/vm-deb-test.sh share: the work directory
# and the clean-up of their VMs. Sourced, not run (nor copied into a guest). The sourcing
# script sets `prog` (its name in messages and in the temporary directory's) and `keep`
# (--keep DIR, or empty), then calls vm_work_begin.
#
# Every VM (or anything else to stop on exit) runs in the background with its pid in `pids`,
# and the script `wait`s for it: a signal ends a `wait` at once, where a foreground child
# would be waited for first (up to --timeout). On exit, whatever the cause, vm_cleanup sends
# each pid in `pids` TERM (vm-run.sh and timeout(1) pass it on to their QEMU and wait for it),
# waits for them and removes the temporary work directory. INT, TERM and HUP exit 130, 143
# and 129 (128 + the signal, as a shell reports it), through that clean-up.

pids=()

# vm_work_begin: $work is --keep's directory (made if need be) or a new temporary one.
vm_work_begin() {
	if [ -n "$keep" ]; then
		mkdir -p "$keep"
		work=$(cd "$keep" && pwd)
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
	fi
	trap vm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# shellcheck disable=SC2317  # called by the EXIT trap
vm_cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[ -n "$keep" ] || rm -rf "$work"
}

