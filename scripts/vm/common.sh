# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # `status`, `series`... are the sourcing script's, `prog` set by it
#
# common.sh - what scripts/vm/test.sh and scripts/vm/deb-test.sh share: the options they
# both take, the work directory, the clean-up of their VMs and the judging of their TAP; and
# with scripts/vm/run.sh, which kernel a series names. Sourced, not run (nor copied into a
# guest), after scripts/lib.sh. The sourcing script sets `prog` (its name in messages and in
# the temporary directory's), parses its options with vm_option and then calls
# vm_work_begin.
#
# Every VM (or anything else to stop on exit) runs in the background with its pid in `pids`,
# and the script `wait`s for it: a signal ends a `wait` at once, where a foreground child
# would be waited for first (up to --timeout). On exit, whatever the cause, vm_cleanup sends
# each pid in `pids` TERM (vm-run.sh and timeout(1) pass it on to their QEMU and wait for it),
# waits for them and removes the temporary work directory. INT, TERM and HUP exit 130, 143
# and 129 (128 + the signal, as a shell reports it), through that clean-up.

pids=()

# vm_option ARGS...: the option at the front of ARGS if it is one of those test.sh and
# deb-test.sh share (--kernel SERIES, --timeout SECONDS, --keep DIR, --serial, -v), into
# `series`, `timeout_s`, `keep`, `parallel` and `verbose`; sets `vm_shift` to the words it
# took, 0 for an option it does not know. A bad value is a usage error (exit 64).
vm_option() {
	vm_shift=2
	case "$1" in
	--kernel | --timeout | --keep)
		[ $# -ge 2 ] || { echo "$prog: $1 needs a value" >&2; usage; }
		;;
	esac
	case "$1" in
	--kernel)
		case "$2" in
		6.1 | 6.12 | 6.1-rt | 6.12-rt) series+=("$2") ;;
		*) echo "$prog: unsupported kernel series '$2' (6.1, 6.12, 6.1-rt or 6.12-rt)" >&2; exit 64 ;;
		esac
		;;
	--timeout)
		case "$2" in '' | *[!0-9]*) echo "$prog: bad --timeout '$2'" >&2; exit 64 ;; esac
		timeout_s=$2
		;;
	--keep) keep=$2 ;;
	--serial) parallel=no vm_shift=1 ;;
	-v | --verbose) verbose=1 vm_shift=1 ;;
	*) vm_shift=0 ;;
	esac
}

# vm_series DEFAULT...: `series` as given, each once in the order given, or DEFAULT.
vm_series() {
	[ ${#series[@]} -gt 0 ] || series=("$@")
	mapfile -t series < <(printf '%s\n' "${series[@]}" | awk '!seen[$0]++')
}

# vm_kernel_release SERIES: the newest /boot/vmlinuz-VERSION[.-]* release of SERIES, or
# nothing. SERIES is VERSION (6.1 must not match 6.12, nor a PREEMPT_RT flavour) or
# VERSION-rt (Debian's -rt-amd64 flavour of it).
vm_kernel_release() {
	local f rel rest best='' version=${1%-rt}
	for f in /boot/vmlinuz-"$version"*; do
		[ -f "$f" ] || continue
		rel=${f#/boot/vmlinuz-}
		rest=${rel#"$version"}
		case "$1" in
		*-rt) [[ $rel == *-rt-amd64 ]] || continue ;;
		*) [[ $rel != *-rt-* ]] || continue ;;
		esac
		case "$rest" in
		.* | -*) best=$(printf '%s\n%s\n' "$best" "$rel" | sed '/^$/d' | sort -V | tail -n 1) ;;
		esac
	done
	echo "$best"
}

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
		# A VM started in a subshell: its timeout(1) or runner is the one to stop.
		pkill -TERM -P "$p" 2>/dev/null || true
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[ -n "$keep" ] || rm -rf "$work"
}

# What vm_tally adds up over the kernels: passed, failed and skipped tests, a summary line
# per kernel, and the exit status (1 once any kernel failed).
tp=0 tf=0 ts=0
summary=()
status=0

# vm_tally REL ERR PREFIX: prints kernel release REL's TAP ($work/REL/tap.txt) under a
# "== REL ==" header, then the lines of ERR (the VM runner's own complaints) behind PREFIX, and
# judges the run by $work/REL/result (the VM's exit status and seconds): it passed when the
# status is 0, no test failed and there are as many results as the plans (one per TAP
# document) announce. A failed run also shows the console's last 40 lines, and the results
# missing from the plan count as failures.
vm_tally() {
	local rel=$1 err=$2 prefix=$3 k=$work/$1 rc secs plan results npass nskip nfail verdict=ok
	read -r rc secs <"$k/result"
	echo "== $rel =="
	tr -d '\r' <"$k/tap.txt"
	[ ! -s "$err" ] || sed "s/^/$prefix/" "$err"
	plan=$(tr -d '\r' <"$k/tap.txt" | sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' | awk '{ s += $1 } END { if (NR) print s }')
	results=$(tr -d '\r' <"$k/tap.txt" | grep -cE '^(not )?ok [0-9]+ ' || true)
	npass=$(tr -d '\r' <"$k/tap.txt" | grep -E '^ok [0-9]+ ' | grep -vc '# SKIP' || true)
	nskip=$(tr -d '\r' <"$k/tap.txt" | grep -cE '^ok [0-9]+ .*# SKIP' || true)
	nfail=$(tr -d '\r' <"$k/tap.txt" | grep -cE '^not ok [0-9]+ ' || true)
	if [ "$rc" -ne 0 ] || [ "$nfail" -ne 0 ] || [ -z "$plan" ] || [ "$results" -ne "$plan" ]; then
		verdict=FAILED
		status=1
		if [ -n "$plan" ] && [ "$results" -lt "$plan" ]; then
			nfail=$((nfail + plan - results))
		fi
		[ -n "$plan" ] || nfail=$((nfail + 1))
		if [ -s "$k/console.log" ]; then
			echo "# last console lines ($rel):"
			tail -n 40 "$k/console.log" | tr -d '\r' |
				sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/^/#   /'
		fi
	fi
	tp=$((tp + npass)) tf=$((tf + nfail)) ts=$((ts + nskip))
	summary+=("$prog: $rel: $verdict: $npass passed, $nfail failed, $nskip skipped (plan ${plan:-none}, exit $rc, ${secs}s in the VM)")
	echo
}
