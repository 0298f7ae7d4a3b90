#!/bin/bash
# guest-deb.sh: the package suite, run as root inside a scripts/vm/deb-test.sh guest (Debian 12
# or 13 with systemd and udev, booted from scripts/vm/rootfs.sh's image) from the read-only
# payload disk at /payload: pinctl_*.deb, pinctl-dkms_*.deb, promtool and the expected version.
# The same tests on both releases.
#
# Prints TAP (kselftest style): each test runs in its own process under a time limit, in the
# order below, each building on the state the previous ones left (installed, loaded, removed).
# Exit status 0 only when no test failed.
# The image's runner starts it with sh: bash from here on (arrays, export -f).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

P=/payload
VERSION=$(cat "$P/version")
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
export DEBIAN_FRONTEND=noninteractive
PROM=/var/lib/prometheus/node-exporter/pinctl.prom
HOLD_FILE=/var/lib/pinctl-test/hold.data
HOLD_MIB=16

diag() { sed 's/^/# /'; }
fail() {
	echo "$*" >&2
	exit 1
}

# Waits up to $1 seconds (of the clock: each try costs more than its sleep under TCG) for the
# command in "${@:2}" to succeed.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

t_install() {
	# Debian's DKMS builds for the running kernel and for the newest one with headers. The
	# image has both kernels' headers, and each kernel's own guest proves its build: hiding
	# the other's keeps this guest to one module build (minutes under TCG).
	local build
	for build in /lib/modules/*/build; do
		[ "$build" = "/lib/modules/$(uname -r)/build" ] || rm -f "$build"
	done
	timeout 1400 apt-get install -y "$P"/pinctl_*.deb "$P"/pinctl-dkms_*.deb >/tmp/apt-install.log 2>&1 || {
		tail -n 40 /tmp/apt-install.log
		# shellcheck disable=SC2009  # every process but kernel threads, with its state
		ps -eo pid,stat,etime,args | grep -v ' \[' | tail -n 25
		fail "apt-get install of both packages failed"
	}
	grep -E 'Building|Installing|DKMS|dkms' /tmp/apt-install.log | tail -n 8
	dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\n' pinctl pinctl-dkms
	[ "$(dpkg-query -W -f='${db:Status-Status}' pinctl)" = installed ] || fail "pinctl is not installed"
	[ "$(dpkg-query -W -f='${db:Status-Status}' pinctl-dkms)" = installed ] || fail "pinctl-dkms is not installed"
}

t_dkms_built_and_loaded_the_module() {
	local k
	k=$(uname -r)
	dkms status pinctl
	dkms status -m pinctl -v "$VERSION" -k "$k" | grep -q ': installed' ||
		fail "dkms did not install pinctl/$VERSION for $k"
	ls /lib/modules/"$k"/updates/dkms/pinctl.ko* >/dev/null || fail "no pinctl.ko in /lib/modules/$k/updates/dkms"
	[ -d /sys/module/pinctl ] || fail "the module is not loaded (no /sys/module/pinctl)"
	grep '^pinctl ' /proc/modules
}

t_versions_agree() {
	local cli deb mod sys status
	cli=$(pinctl --version)
	deb=$(dpkg-query -W -f='${Version}' pinctl)
	mod=$(modinfo -F version pinctl)
	sys=$(cat /sys/module/pinctl/version)
	status=$(pinctl module status --json)
	echo "pinctl --version $cli, package $deb, modinfo $mod, /sys/module $sys"
	echo "$status"
	[ "$cli" = "$VERSION" ] || fail "pinctl --version is $cli, not $VERSION"
	[ "${deb%-*}" = "$VERSION" ] || fail "the package version is $deb, not $VERSION-N"
	[ "$(dpkg-query -W -f='${Version}' pinctl-dkms)" = "$deb" ] || fail "pinctl-dkms's version is not $deb"
	[ "$mod" = "$VERSION" ] && [ "$sys" = "$VERSION" ] || fail "the module's version is $mod ($sys), not $VERSION"
	echo "$status" | grep -q "\"moduleVersion\" *: *\"$VERSION\"" || fail "VERSION's package_version is not $VERSION"
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "/usr/src/pinctl-$VERSION/dkms.conf" || fail "dkms.conf's PACKAGE_VERSION is not $VERSION"
}

t_device_is_root_pinctl_0660() {
	udevadm settle
	getent group pinctl || fail "no pinctl group"
	stat -c '%n %U:%G %a' /dev/pinctl
	[ "$(stat -c '%U:%G %a' /dev/pinctl)" = "root:pinctl 660" ] || fail "/dev/pinctl is not root:pinctl 0660"
}

t_group_member_pins_with_kmod() {
	id alice >/dev/null 2>&1 || useradd -m alice
	adduser --quiet alice pinctl
	id alice
	runuser -u alice -- pinctl pin anon:1M --method kmod --for 0 >/tmp/alice.out 2>&1
	local rc=$?
	cat /tmp/alice.out
	[ "$rc" -eq 0 ] || fail "alice (in pinctl) could not pin with --method kmod: exit $rc"
	grep -qi 'kmod' /tmp/alice.out || fail "the report does not name the kmod method"
}

t_outsider_is_refused() {
	id bob >/dev/null 2>&1 || useradd -m bob
	id bob
	runuser -u bob -- pinctl pin anon:1M --method kmod --for 0 >/tmp/bob.out 2>/tmp/bob.err
	local rc=$?
	cat /tmp/bob.out /tmp/bob.err
	[ "$rc" -ne 0 ] || fail "bob (not in pinctl) pinned with --method kmod"
	[ "$(wc -l </tmp/bob.err)" -eq 1 ] || fail "the refusal is not one line on stderr"
	grep -q '/dev/pinctl: EACCES' /tmp/bob.err && grep -q 'pinctl' /tmp/bob.err ||
		fail "the refusal does not name /dev/pinctl, EACCES and the group"
}

t_man_pinctl_pin_renders() {
	MANWIDTH=100 man -P cat pinctl-pin >/tmp/man.txt 2>/tmp/man.err || fail "man pinctl-pin failed: $(cat /tmp/man.err)"
	head -n 12 /tmp/man.txt
	[ ! -s /tmp/man.err ] || { cat /tmp/man.err; fail "man printed warnings"; }
	grep -q 'PINCTL-PIN' /tmp/man.txt || fail "no PINCTL-PIN title"
	# Every option that pin --help lists is in the page (they come from the same definitions).
	local o missing=
	for o in $(pinctl pin --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -q -- "$o" /tmp/man.txt || missing="$missing $o"
	done
	[ -z "$missing" ] || fail "options of pinctl pin --help missing from the man page:$missing"
	for p in pinctl pinctl-inspect pinctl-maps pinctl-module pinctl-census; do
		man -w "$p" >/dev/null || fail "no man page $p"
	done
}

t_bash_completes_pinctl_pi() {
	local out
	# What bash runs on a TAB for a command with no completion loaded yet: the -D default,
	# bash-completion's loader (_completion_loader in Debian 12's 2.11, _comp_complete_load
	# in Debian 13's 2.16), which finds the package's file and returns 124.
	out=$(bash -c '
		source /usr/share/bash-completion/bash_completion
		loader=$(complete -p -D | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$loader" ] || { echo "no default completion loader (complete -D)"; exit 1; }
		"$loader" pinctl "" pinctl
		[ $? -eq 124 ] || { echo "$loader loaded no completion for pinctl"; exit 1; }
		f=$(complete -p pinctl | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$f" ] || { echo "no completion function for pinctl"; exit 1; }
		COMP_WORDS=(pinctl pi) COMP_CWORD=1 COMP_LINE="pinctl pi" COMP_POINT=9
		"$f" pinctl pi pinctl
		printf "%s\n" "${COMPREPLY[@]}"')
	echo "COMPREPLY: $out"
	[ "$out" = pin ] || fail "pinctl pi<TAB> offered '$out', not pin"
	[ -s /usr/share/zsh/vendor-completions/_pinctl ] || fail "no zsh completion"
	[ -s /usr/share/fish/vendor_completions.d/pinctl.fish ] || fail "no fish completion"
}

t_units_pass_systemd_analyze_verify() {
	# Installed, with their man pages (Documentation=man:...); the template as an instance.
	# verify exits 0 on most mistakes ("ignoring"), so any line about a pinctl unit fails.
	systemd-analyze verify pinctl-hold@testdata.service pinctl-census.service pinctl-census.timer >/tmp/verify.txt 2>&1
	local rc=$?
	cat /tmp/verify.txt
	[ "$rc" -eq 0 ] || fail "systemd-analyze verify exited $rc"
	! grep -qi pinctl /tmp/verify.txt || fail "systemd-analyze verify objects to a pinctl unit"
	echo "systemd-analyze verify: clean"
}

# kB of the file resident in the page cache (util-linux fincore).
resident_kb() { fincore -b -n -o RES "$HOLD_FILE" | awk '{ print int($1 / 1024) }'; }
vmlck_kb() { awk '/^VmLck:/ { print $2 }' "/proc/$1/status"; }
hold_pid() { systemctl show -p MainPID --value pinctl-hold@testdata.service; }
hold_locked() {
	local pid
	pid=$(hold_pid)
	[ "$pid" -gt 0 ] && [ "$(vmlck_kb "$pid")" -ge $((HOLD_MIB * 1024)) ]
}

t_hold_unit_pins_at_start_and_releases_at_stop() {
	mkdir -p "$(dirname "$HOLD_FILE")"
	head -c $((HOLD_MIB << 20)) /dev/urandom >"$HOLD_FILE"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "before: $(resident_kb) kB of $((HOLD_MIB * 1024)) resident"
	[ "$(resident_kb)" -lt $((HOLD_MIB * 1024)) ] || fail "the file stayed resident after drop_caches"
	printf 'RANGE=file:%s\nMETHOD=mlock\n' "$HOLD_FILE" >/etc/pinctl/hold/testdata.conf
	systemctl start pinctl-hold@testdata.service || {
		journalctl -u pinctl-hold@testdata -n 20 --no-pager
		fail "systemctl start failed"
	}
	# Type=notify: start returned at pinctl's READY=1, so the pin is already in place (no wait).
	local pid status
	pid=$(hold_pid)
	echo "right after start: type $(systemctl show -p Type --value pinctl-hold@testdata.service), pid $pid, VmLck $(vmlck_kb "$pid") kB"
	[ "$(systemctl show -p Type --value pinctl-hold@testdata.service)" = notify ] || fail "the unit is not Type=notify"
	hold_locked || { journalctl -u pinctl-hold@testdata -n 20 --no-pager; fail "VmLck is under $HOLD_MIB MiB when systemctl start returns"; }
	[ "$(resident_kb)" -ge $((HOLD_MIB * 1024)) ] || fail "the file is not resident when systemctl start returns"
	# pinctl's STATUS= line, as systemctl status shows it.
	systemctl status --no-pager --lines=0 pinctl-hold@testdata.service >/tmp/hold-status.txt 2>&1
	cat /tmp/hold-status.txt
	status="holding file:$HOLD_FILE@0x0 by mlock: $((HOLD_MIB * 256)) pages ($HOLD_MIB MiB), resident $((HOLD_MIB * 256)), pinned $((HOLD_MIB * 256)), VmLck $HOLD_MIB MiB"
	[ "$(systemctl show -p StatusText --value pinctl-hold@testdata.service)" = "$status" ] ||
		fail "StatusText is '$(systemctl show -p StatusText --value pinctl-hold@testdata.service)', not '$status'"
	grep -qF "Status: \"$status\"" /tmp/hold-status.txt || fail "systemctl status does not show the STATUS= line"
	echo 3 >/proc/sys/vm/drop_caches
	echo "held, after drop_caches: $(resident_kb) kB resident"
	[ "$(resident_kb)" -ge $((HOLD_MIB * 1024)) ] || fail "the held file was evicted"
	journalctl -u pinctl-hold@testdata -n 6 --no-pager -o cat
	systemctl stop pinctl-hold@testdata.service
	[ "$(systemctl show -p ActiveState --value pinctl-hold@testdata.service)" = inactive ] ||
		fail "the unit is $(systemctl show -p ActiveState --value pinctl-hold@testdata.service) after stop, not inactive"
	[ "$(systemctl show -p Result --value pinctl-hold@testdata.service)" = success ] || fail "pinctl did not exit 0 on SIGTERM"
	! kill -0 "$pid" 2>/dev/null || fail "the holder $pid is still running"
	echo 3 >/proc/sys/vm/drop_caches
	echo "released, after drop_caches: $(resident_kb) kB resident"
	[ "$(resident_kb)" -lt $((HOLD_MIB * 1024)) ] || fail "the file stayed resident after stop: still locked"
	rm -f /etc/pinctl/hold/testdata.conf "$HOLD_FILE"
}

# A start that outlasts TimeoutStartSec= completes while pinctl makes progress. A drop-in caps
# an instance at CPUQuota=20%, so faulting in and locking 512 MiB of 4K pages takes tens of
# seconds of wall time, and gives it a TimeoutStartSec= that the same unit's start with a
# 4 KiB range (its start-up under that quota, measured first) fits in with a quarter of it
# and 2.5 s to spare: a start's CPU time varies from one start to the next under TCG on a busy
# host. That limit must stay well under 60 s, pinctl's longest --extend-interval, and the
# pin well over the margin: Debian 13's systemd 257 sets each start up in a systemd-executor
# program of its own, under the quota, and at 5% with 128 MiB its start-up alone took 27-54 s
# at host load 10-13 (11-35 s on Debian 12), near or past both. The control: with extensions
# at most every 60 s (none before the limit) the start fails at its timeout. Then, extending
# every 0.5 s (2 s by default), systemctl shows how far the pin got and the start succeeds.
t_hold_start_outlasting_its_timeout_is_extended() {
	local unit=pinctl-hold@slow.service dropin=/etc/systemd/system/pinctl-hold@slow.service.d t0 t1 limit seen=
	trap 'rm -rf "$dropin" /etc/pinctl/hold/slow.conf; systemctl daemon-reload' EXIT
	mkdir -p "$dropin"
	printf '[Service]\nTimeoutStartSec=120s\nCPUQuota=20%%\n' >"$dropin/slow.conf"
	systemctl daemon-reload
	printf 'RANGE=anon:4K\nMETHOD=mlock\nOPTIONS=\n' >/etc/pinctl/hold/slow.conf
	t0=$(cut -d' ' -f1 /proc/uptime)
	systemctl start "$unit" || fail "the 4 KiB start under CPUQuota=20% failed"
	t1=$(cut -d' ' -f1 /proc/uptime)
	systemctl stop "$unit"
	limit=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1.25 + 2.5 }')
	echo "a 4 KiB pin's start under CPUQuota=20%: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: TimeoutStartSec=${limit}s"
	awk -v l="$limit" 'BEGIN { exit !(l < 55) }' ||
		fail "TimeoutStartSec=${limit}s is not under pinctl's longest --extend-interval (60 s) by 5 s: the control would be extended"
	printf '[Service]\nTimeoutStartSec=%ss\nCPUQuota=20%%\n' "$limit" >"$dropin/slow.conf"
	systemctl daemon-reload
	printf 'RANGE=anon:512M,nothp\nMETHOD=mlock\nOPTIONS=--write --extend-interval 60\n' >/etc/pinctl/hold/slow.conf
	t0=$SECONDS
	if systemctl start "$unit"; then
		systemctl stop "$unit"
		fail "control: started in $((SECONDS - t0)) s without an extension: the pin is too quick to outlast TimeoutStartSec=${limit}s"
	fi
	echo "control, no extension in time: the start failed after $((SECONDS - t0)) s, Result=$(systemctl show -p Result --value "$unit")"
	[ "$(systemctl show -p Result --value "$unit")" = timeout ] || fail "the control failed, but not by its timeout"
	wait_for 200 sh -c "[ \"\$(systemctl show -p ActiveState --value $unit)\" = failed ]" || fail "the control's pinctl did not exit"
	systemctl reset-failed "$unit"
	printf 'RANGE=anon:512M,nothp\nMETHOD=mlock\nOPTIONS=--write --extend-interval 0.5\n' >/etc/pinctl/hold/slow.conf
	t0=$SECONDS
	systemctl start --no-block "$unit"
	while [ "$(systemctl show -p ActiveState --value "$unit")" = activating ] && [ $((SECONDS - t0)) -lt 200 ]; do
		case $(systemctl show -p StatusText --value "$unit") in
		"pinning anon:512M,nothp: "*) [ -n "$seen" ] || seen=$(systemctl show -p StatusText --value "$unit") ;;
		esac
		sleep 0.2
	done
	echo "with extensions: $(systemctl show -p ActiveState --value "$unit") after $((SECONDS - t0)) s; status while pinning: '$seen'"
	[ "$(systemctl show -p ActiveState --value "$unit")" = active ] || {
		journalctl -u "$unit" -n 20 --no-pager
		fail "the start did not complete though the pin made progress"
	}
	[ -n "$seen" ] || fail "systemctl never showed a 'pinning anon:512M,nothp: ...' status while the start was extended"
	local pid
	pid=$(systemctl show -p MainPID --value "$unit")
	[ "$(vmlck_kb "$pid")" -ge $((512 * 1024)) ] || fail "VmLck is $(vmlck_kb "$pid") kB, not 512 MiB"
	systemctl stop "$unit"
	[ "$(systemctl show -p Result --value "$unit")" = success ] || fail "pinctl did not exit 0 on SIGTERM"
}

t_census_timer_writes_metrics_promtool_accepts() {
	systemctl is-enabled pinctl-census.timer || fail "the census timer is not enabled"
	mkdir -p "$(dirname "$PROM")"
	rm -f "$PROM"
	# The timer runs on the half minute; the runs before the directory existed were skipped.
	wait_for 150 test -s "$PROM" || {
		systemctl status pinctl-census.timer pinctl-census.service --no-pager
		journalctl -u pinctl-census.service --no-pager -n 20
		fail "no $PROM within 150 s"
	}
	journalctl -u pinctl-census.service --no-pager -n 4 -o cat
	systemctl list-timers pinctl-census.timer --no-pager | head -n 2
	grep -c '^pinctl_' "$PROM" | sed 's/$/ pinctl_ samples/'
	"$P/promtool" check metrics <"$PROM" || fail "promtool check metrics rejects $PROM"
}

t_apt_remove_unloads_and_removes() {
	timeout 500 apt-get remove -y pinctl pinctl-dkms >/tmp/apt-remove.log 2>&1 || {
		tail -n 30 /tmp/apt-remove.log
		# shellcheck disable=SC2009  # every process but kernel threads, with its state
		ps -eo pid,stat,etime,args | grep -v ' \[' | tail -n 25
		fail "apt-get remove failed"
	}
	grep -iE 'dkms|pinctl' /tmp/apt-remove.log | tail -n 6
	local left=
	[ ! -d /sys/module/pinctl ] || left="$left module-loaded"
	[ ! -e /dev/pinctl ] || left="$left /dev/pinctl"
	! ls /lib/modules/*/updates/dkms/pinctl.ko* >/dev/null 2>&1 || left="$left $(ls /lib/modules/*/updates/dkms/pinctl.ko*)"
	[ -z "$(dkms status pinctl 2>/dev/null)" ] || left="$left dkms:$(dkms status pinctl)"
	! ls -d /usr/src/pinctl-* >/dev/null 2>&1 || left="$left /usr/src/pinctl-*"
	[ ! -e /usr/lib/udev/rules.d/60-pinctl.rules ] || left="$left udev-rule"
	! ls /usr/lib/systemd/system/pinctl* /lib/systemd/system/pinctl* >/dev/null 2>&1 || left="$left units"
	# (pinctl-vm-runner is this suite's own unit; a not-found entry is a name systemd still
	# remembers, with no unit file behind it.)
	local units
	units=$(systemctl list-units --all --no-legend --plain 'pinctl*' | grep -v -e '^pinctl-vm-runner' -e not-found)
	[ -z "$units" ] || left="$left $units"
	[ ! -e /usr/bin/pinctl ] || left="$left /usr/bin/pinctl"
	! ls /usr/share/man/man1/pinctl* >/dev/null 2>&1 || left="$left man pages"
	[ -z "$left" ] || fail "left after apt remove:$left"
	getent group pinctl >/dev/null || fail "remove deleted the pinctl group (only purge does)"
	echo "kept until purge: group pinctl, conffile /etc/modules-load.d/pinctl.conf"
}

t_apt_purge_removes_group_and_conffiles() {
	apt-get purge -y pinctl pinctl-dkms >/tmp/apt-purge.log 2>&1 || { tail -n 30 /tmp/apt-purge.log; fail "apt-get purge failed"; }
	! getent group pinctl || fail "purge left the pinctl group"
	[ ! -e /etc/modules-load.d/pinctl.conf ] || fail "purge left /etc/modules-load.d/pinctl.conf"
	[ ! -e /etc/pinctl ] || fail "purge left /etc/pinctl"
	[ -z "$(dpkg -l 'pinctl*' 2>/dev/null | awk '/^[a-z][a-z] +pinctl/ { print }')" ] || fail "dpkg still lists a pinctl package"
}

# The whole boot's kernel log: a WARN, BUG or Oops while the packages were installed, used or
# removed fails (the words of scripts/vm/guest/pinctl.sh's check). Kernel messages only: the
# units' own lines in the log are not the kernel's. scripts/vm/deb-test.sh reads the console
# for what the kernel prints after this test.
t_kernel_logged_no_warn_bug_or_oops() {
	local bad
	bad=$(dmesg --kernel | grep -E 'BUG|WARNING:|Oops|general protection fault|Call Trace|UBSAN|KASAN|Bad page|refcount_t:|list_(add|del) corruption' | head -n 20)
	[ -z "$bad" ] || { echo "$bad"; fail "the kernel logged a WARN, BUG or Oops"; }
	echo "dmesg --kernel: $(dmesg --kernel | wc -l) lines, tainted $(cat /proc/sys/kernel/tainted), no WARN, BUG or Oops"
}

tests=(
	install:1500
	dkms_built_and_loaded_the_module:60
	versions_agree:60
	device_is_root_pinctl_0660:60
	group_member_pins_with_kmod:120
	outsider_is_refused:120
	man_pinctl_pin_renders:120
	bash_completes_pinctl_pi:120
	units_pass_systemd_analyze_verify:120
	hold_unit_pins_at_start_and_releases_at_stop:240
	hold_start_outlasting_its_timeout_is_extended:900
	census_timer_writes_metrics_promtool_accepts:300
	apt_remove_unloads_and_removes:540
	apt_purge_removes_group_and_conffiles:300
	kernel_logged_no_warn_bug_or_oops:60
)

echo "TAP version 13"
echo "1..${#tests[@]}"
echo "# $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release), $(uname -r), systemd $(systemctl --version | awk 'NR == 1 { print $2 }'), pinctl $VERSION, $(nproc) CPUs"
n=0 failed=0
for t in "${tests[@]}"; do
	name=${t%%:*}
	limit=${t#*:}
	n=$((n + 1))
	start=$(cut -d' ' -f1 /proc/uptime)
	export -f "t_$name" diag fail wait_for resident_kb vmlck_kb hold_pid hold_locked
	export P VERSION PROM HOLD_FILE HOLD_MIB
	timeout -k 5 "$limit" bash -c "t_$name" >"/tmp/t.$n.out" 2>&1
	rc=$?
	secs=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
	diag <"/tmp/t.$n.out"
	if [ "$rc" -eq 0 ]; then
		echo "ok $n $name # ${secs}s"
	else
		[ "$rc" -ne 124 ] || echo "# timed out after ${limit}s"
		echo "not ok $n $name # exit $rc, ${secs}s"
		failed=$((failed + 1))
	fi
done
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
