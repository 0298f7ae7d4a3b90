#!/bin/sh
# guest-pinctl-cli.sh: pinctl itself against the loaded KernelHelper module, inside a
# scripts/vm/test.sh guest (busybox sh, root, payload in /pinctl). A second TAP document after
# the C suite's: loads and unloads through `pinctl module`, pins with --method kmod and auto,
# verifies (MADV_COLLAPSE and MADV_SOFT_OFFLINE refused for a long-term pin, soft-offline moves
# an mlocked page: this kernel has CONFIG_MEMORY_FAILURE), reads refcount and DMA-pinned state
# through inspect, pins another process's range with --pid, and is refused unloading while a
# holder has /dev/pinctl open, loads the module DKMS installed and runs module bench, and, as a
# plain user at a 0666 device, pins long-term, is refused a short-term pin and another user's
# process; and inspects --pages of a 64 GiB PROT_NONE reservation with the module's state;
# takes a census of kmod pins (the module's LIST): per open file and owner, a pin whose target
# exited, and a plain user's view, which holds only its own; module status reports the pins
# held and where frame queries end; counts a file's page cache with `pinctl files` (by
# mincore on 6.1, which has no cachestat; by cachestat on 6.12); and prints the same rows of a
# soft-dirty reservation whether its holes are skipped (PAGEMAP_SCAN, 6.12) or read.
# JSON is checked with grep: keys are sorted and output compact.
cd /pinctl || exit 125
P=./pinctl
# shellcheck source=scripts/vm/guest/tap.sh
. ./tap.sh
tap_plan 25

# A 64 GiB PROT_NONE reservation held by pinctl_test: its pid in $rsv, its start in $start.
# The old file goes first: the background job truncates it only when it gets to run, and a
# wait that saw the previous reservation's address read an empty start (seen on 6.1).
start_reservation() {
	rm -f /tmp/r.out
	./pinctl_test --reserve 64 >/tmp/r.out 2>&1 &
	rsv=$!
	wait_pidfile /tmp/r.out
	start=$(cat /tmp/r.out)
}

# 1: unload and load through pinctl's own finit_module/delete_module.
[ -e /sys/module/pinctl ] || insmod pinctl.ko
{ $P module unload && $P module load /pinctl/pinctl.ko && $P module status --json; } >/tmp/out 2>&1
check "pinctl module unload, load and status" has '"abiVersion":2'

# 1b, 1c: a path root must not load is refused before finit_module, and a good one loads
# after: a FIFO (before, open(2) blocked root for good) and a copy of the module owned by
# nobody (root would run code another user could have written). The time limit turns a
# hang into a failure here rather than the whole guest's.
rm -f /tmp/m.fifo /tmp/nobody.ko
mkfifo /tmp/m.fifo
$P module unload >/tmp/out 2>&1
timeout 20 $P module load /tmp/m.fifo >>/tmp/out 2>&1
rc=$?
check "module load refuses a FIFO without blocking (exit 2)" sh -c \
	"[ $rc -eq 2 ] && grep -q 'it is a FIFO, not a module file' /tmp/out && [ ! -e /sys/module/pinctl ]"
cp /pinctl/pinctl.ko /tmp/nobody.ko && chown 65534:65534 /tmp/nobody.ko
$P module load /tmp/nobody.ko >/tmp/out 2>&1
rc=$?
$P module load /pinctl/pinctl.ko >>/tmp/out 2>&1
check "module load refuses nobody's copy of the module (exit 4), loads root's" sh -c \
	"[ $rc -eq 4 ] && grep -q 'it belongs to uid 65534' /tmp/out && grep -q '^loaded /pinctl/pinctl.ko' /tmp/out &&
	 [ -e /sys/module/pinctl ]"
rm -f /tmp/m.fifo /tmp/nobody.ko

# 2: a long-term kmod pin holds: collapse and soft-offline refused, every page held. A kernel
# built without THP (Debian's 6.1 PREEMPT_RT flavour) has nothing to collapse into: there
# the probe must say unsupported.
collapse=refused
[ -d /sys/kernel/mm/transparent_hugepage ] || collapse=unsupported
export collapse
$P pin --method kmod --verify --for 0 --json anon:8M >/tmp/out 2>&1
# shellcheck disable=SC2016  # $collapse is expanded by the sh -c, from its environment
check "kmod pin holds under MADV_COLLAPSE ($collapse) and MADV_SOFT_OFFLINE" sh -c \
	'grep -q "\"method\":\"kmod\"" /tmp/out && grep -q "\"held\":2048" /tmp/out &&
	 grep -q "\"outcome\":\"refused\",\"probe\":\"MADV_SOFT_OFFLINE\"" /tmp/out &&
	 grep -q "\"outcome\":\"$collapse\",\"probe\":\"MADV_COLLAPSE\"" /tmp/out'

# 3: auto prefers the module.
$P pin --for 0 --json anon:4M >/tmp/out 2>&1
check "auto chooses kmod when /dev/pinctl is there" has '"method":"kmod"'

# 4: an mlocked page is soft-offlined away: mlock keeps pages resident, not in place.
$P pin --method mlock --verify --for 0 --json anon:4M >/tmp/out 2>&1
check "mlocked page moves under MADV_SOFT_OFFLINE" has '"outcome":"ran","probe":"MADV_SOFT_OFFLINE"'

# 5: inspect of a kmod holder shows the pin (refcount with the 1024 bias, DMA-pinned).
$P pin --method kmod --json --pidfile /tmp/h.pid anon:4M >/tmp/h.json 2>/tmp/h.err &
holder=$!
if wait_pidfile /tmp/h.pid; then
	start=$(sed -n 's/.*"start":"\(0x[0-9a-f]*\)".*/\1/p' /tmp/h.json)
	$P inspect --json "$holder" "$start+4M" >/tmp/out 2>&1
	refs=$(grep -o '"refcount":[0-9]*' /tmp/out | head -n 1 | cut -d: -f2)
	check "inspect shows DMA-pinned pages with refcount >= 1025" sh -c \
		"grep -q '\"kernelHelper\":true' /tmp/out && grep -q '\"dmaPinned\":true' /tmp/out && [ '${refs:-0}' -ge 1025 ]"
else
	cat /tmp/h.err >/tmp/out
	notok "inspect shows DMA-pinned pages with refcount >= 1025" "holder did not start: $(cat /tmp/h.err)"
fi

# 6: unloading is refused while the holder has /dev/pinctl open.
$P module unload >/tmp/out 2>&1
rc=$?
check "module unload refused while pins are held" sh -c "[ $rc -eq 8 ] && grep -q 'in use' /tmp/out"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# 7: --pid pins another process's range through pin_user_pages_remote.
$P pin --method populate --write --json --pidfile /tmp/t.pid anon:4M >/tmp/t.json 2>/dev/null &
target=$!
if wait_pidfile /tmp/t.pid; then
	start=$(sed -n 's/.*"start":"\(0x[0-9a-f]*\)".*/\1/p' /tmp/t.json)
	$P pin --pid "$target" --for 0 --json "$start+4M" >/tmp/out 2>&1
	check "pin --pid pins another process's range" sh -c \
		'grep -q "\"pinnedPages\":1024" /tmp/out && grep -q "pin_user_pages_remote" /tmp/out'
else
	notok "pin --pid pins another process's range" "target did not start"
fi
kill "$target" 2>/dev/null
wait "$target" 2>/dev/null

# 8: the dry run says kmod works.
$P pin --dry-run --json anon:4M >/tmp/out 2>&1
check "dry run: kmod works" has '"method":"kmod","reasons":\["pin_user_pages_fast'

# 9: nothing left pinned: VmPin of this shell's children is gone and the module unloads.
$P module unload >/tmp/out 2>&1 && $P module load /pinctl/pinctl.ko >>/tmp/out 2>&1
check "module unloads once every holder has exited" has 'unloaded pinctl'

# 10: the module DKMS installed (scripts/vm/test.sh ran `dkms install` for this kernel; on
# 6.12 it is pinctl.ko.xz, loaded with MODULE_INIT_COMPRESSED_FILE) loads without a path.
{ $P module unload && $P module status --json && $P module load && $P module status --json; } >/tmp/out 2>&1
check "pinctl module load without a path loads the DKMS-installed module" sh -c \
	"grep -q '\"installedAt\":\"/lib/modules/$(uname -r)/updates/dkms/pinctl.ko' /tmp/out &&
	 grep -q '^loaded /lib/modules/$(uname -r)/updates/dkms/pinctl.ko' /tmp/out &&
	 grep -q '\"abiVersion\":2' /tmp/out && grep -q '\"loaded\":true' /tmp/out"
grep '^loaded' /tmp/out | sed 's/^/# /'

# 11: module bench: BENCH's in-kernel times beside the ioctls', for PIN and GET, fast and not.
{ $P module bench --json --iterations 3 anon:64M && $P module bench --json --iterations 2 --get --no-fast anon:8M; } >/tmp/out 2>&1
# shellcheck disable=SC2016  # expanded by the sh -c that runs it
check "module bench reports the kernel's pin time beside the ioctls'" sh -c \
	'grep -q "\"call\":\"pin_user_pages_fast(FOLL_LONGTERM)\"" /tmp/out &&
	 grep -q "\"call\":\"get_user_pages(0)\"" /tmp/out &&
	 [ "$(grep -Ec "\"kernelPinMs\":(0\.0*[1-9]|[1-9])" /tmp/out)" -eq 2 ] &&
	 [ "$(grep -Ec "\"ioctlPinMs\":(0\.0*[1-9]|[1-9])" /tmp/out)" -eq 2 ] &&
	 grep -q "\"pages\":16384" /tmp/out'

# 12-14: a plain user at a 0666 device (pinctl_test --as-nobody runs a command as nobody):
# a long-term kmod pin works; one without FOLL_LONGTERM needs CAP_SYS_ADMIN; another user's
# process cannot be reached (its /proc/PID/mem does not open).
[ -e /sys/module/pinctl ] || insmod pinctl.ko
chmod 0666 /dev/pinctl
NB="./pinctl_test --as-nobody"
$NB ./pinctl pin --method kmod --for 0 --json anon:4M >/tmp/out 2>&1
check "a plain user takes a long-term kmod pin at a 0666 device" sh -c \
	'grep -q "\"method\":\"kmod\"" /tmp/out && grep -q "\"pinnedPages\":1024" /tmp/out'
$NB ./pinctl pin --method kmod --no-longterm --for 0 anon:4M >/tmp/out 2>&1
rc=$?
check "a plain user's short-term kmod pin is refused: CAP_SYS_ADMIN (exit 4)" sh -c \
	"[ $rc -eq 4 ] && grep -q CAP_SYS_ADMIN /tmp/out && [ \$(wc -l </tmp/out) -eq 1 ]"
$NB ./pinctl pin --pid $$ --for 0 '[stack]' >/tmp/out 2>&1
rc=$?
check "a plain user cannot pin root's process: its /proc/PID/mem does not open (exit 4)" sh -c \
	"[ $rc -eq 4 ] && grep -q 'ptrace attach rights' /tmp/out"

# 15: Yama's ptrace_scope=2 refuses the module's remote QUERY (the /proc/PID/mem open) but not
# pagemap: a plain user's inspect of their own other process still reports, saying why the
# refcount and DMA-pinned state are missing, instead of failing.
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope)
	rm -f /tmp/nb.pid
	$NB ./pinctl pin --method populate --pidfile /tmp/nb.pid --json anon:4M >/tmp/nb.json 2>&1 &
	nbjob=$!
	if wait_pidfile /tmp/nb.pid; then
		nbpid=$(cat /tmp/nb.pid)
		start=$(sed -n 's/.*"start":"\(0x[0-9a-f]*\)".*/\1/p' /tmp/nb.json)
		echo 2 >/proc/sys/kernel/yama/ptrace_scope
		$NB ./pinctl inspect --json "$nbpid" "$start+64K" >/tmp/out 2>&1
		rc=$?
		echo "$scope" >/proc/sys/kernel/yama/ptrace_scope
		kill "$nbpid" 2>/dev/null
		check "inspect under Yama scope 2: report without the module's state, and a note saying why" sh -c \
			"{ [ $rc -eq 0 ] || [ $rc -eq 6 ] || [ $rc -eq 7 ]; } && grep -q 'no refcounts or DMA-pinned state' /tmp/out && grep -q '\"pages\"' /tmp/out"
	else
		notok "inspect under Yama scope 2: report without the module's state, and a note saying why" "holder did not start: $(head -c 300 /tmp/nb.json)"
	fi
	kill "$nbjob" 2>/dev/null
	wait "$nbjob"
else
	n=$((n + 1))
	echo "ok $n inspect under Yama scope 2 # SKIP this kernel has no Yama"
fi
chmod 0600 /dev/pinctl

# 16: inspect --pages of a large empty reservation (as Go, the JVM and ASan make) with the
# module loaded asks the module only for its rows' pages. Asking for every page of the range
# took 40 bytes a page before the first row was filled: 64 GiB of PROT_NONE (16M pages) went
# past this 2 GiB guest.
start_reservation
$P inspect --pages --json "$rsv" "$start+64G" >/tmp/out 2>&1
rc=$?
check "inspect --pages of a 64 GiB PROT_NONE reservation with the module: one absent row" sh -c \
	"[ $rc -eq 0 ] && grep -q '\"kernelHelper\":true' /tmp/out &&
	 grep -q '\"count\":16777216' /tmp/out && [ \$(grep -o '\"address\"' /tmp/out | wc -l) -eq 1 ]"
kill "$rsv" 2>/dev/null
wait "$rsv" 2>/dev/null

# 17: a plain user's inspect --pages of its own memory while the device is root's (mode 0600,
# the default) is a report without the module's refcounts and a note why: exit 6 (incomplete,
# as PFNs are hidden from a plain user anyway), not 4 (the open of /dev/pinctl used to throw
# EACCES and fail the whole inspect).
[ -e /sys/module/pinctl ] || insmod pinctl.ko
chmod 0600 /dev/pinctl
$NB ./pinctl inspect --pages --json self '[stack]' >/tmp/out 2>/tmp/err
rc=$?
check "a plain user's inspect --pages at a 0600 device: a report without refcounts, a note" sh -c \
	"[ $rc -eq 6 ] && grep -q '\"kernelHelper\":false' /tmp/out && grep -q 'no refcounts' /tmp/out"

# 18: the census lists pins held through /dev/pinctl per open file and owner (the module's
# LIST): the holder's file, its pin of 1024 pages in its own memory, attributed through its
# row's VmPin; in text, JSON and OpenMetrics.
[ -e /sys/module/pinctl ] || insmod pinctl.ko
rm -f /tmp/k.pid
$P pin --method kmod --pidfile /tmp/k.pid --json anon:4M >/tmp/k.json 2>&1 &
kjob=$!
if wait_pidfile /tmp/k.pid; then
	kpid=$(cat /tmp/k.pid)
	$P census --json >/tmp/out 2>&1
	$P census >/tmp/census.txt 2>&1
	$P census --openmetrics >/tmp/census.prom 2>&1
	check "census lists the kmod holder's file, owner and pin (text, JSON, OpenMetrics)" sh -c \
		"grep -q '\"openerPID\":$kpid,\"openerUID\":0' /tmp/out &&
		 grep -q '\"pages\":1024,\"pinnerPID\":$kpid,\"targetExited\":false,\"targetPID\":$kpid}' /tmp/out &&
		 grep -q '\"follPinPagesOutsideRows\":0' /tmp/out &&
		 grep -q 'pins held through /dev/pinctl' /tmp/census.txt &&
		 grep -q \"opened by pid $kpid (pinctl) uid 0: 1 pins, 1024 pages\" /tmp/census.txt &&
		 grep -q 'pinctl_kmod_file_pinned_pages{.*pid=\"$kpid\".*} 1024' /tmp/census.prom"
	# 19: module status: the same pins (LIST), and QUERY_FRAMES's bound where /proc/kpagecount ends.
	$P module status --json >/tmp/status.json 2>&1
	fb=$(sed -n 's/.*"framesBelowPFN":\([0-9]*\).*/\1/p' /tmp/status.json)
	last=$(dd if=/proc/kpagecount bs=8 skip=$((${fb:-1} - 1)) count=1 2>/dev/null | wc -c)
	past=$(dd if=/proc/kpagecount bs=8 skip="${fb:-0}" count=1 2>/dev/null | wc -c)
	cp /tmp/status.json /tmp/out
	check "module status: 1 pin of 1024 pages held, frame queries end where /proc/kpagecount does" sh -c \
		"grep -q '\"held\":{\"complete\":true,\"files\":1,\"pages\":1024,\"pins\":1}' /tmp/status.json &&
		 [ '${fb:-0}' -gt 0 ] && [ $last -eq 8 ] && [ $past -eq 0 ]"
else
	notok "census lists the kmod holder's file, owner and pin (text, JSON, OpenMetrics)" "holder did not start: $(head -c 300 /tmp/k.json)"
	notok "module status: 1 pin of 1024 pages held, frame queries end where /proc/kpagecount does" "holder did not start"
fi

# 20: a remote kmod pin outlives its target: the census says the target exited and attributes
# the pages itself (no row's VmPin holds them any more).
sleep 600 &
spid=$!
rm -f /tmp/r.pid
$P pin --method kmod --pid "$spid" --pidfile /tmp/r.pid --json '[stack]' >/tmp/r.json 2>&1 &
rjob=$!
if wait_pidfile /tmp/r.pid; then
	kill "$spid"
	wait "$spid" 2>/dev/null
	$P census --json >/tmp/out 2>&1
	outside=$(sed -n 's/.*"follPinPagesOutsideRows":\([0-9]*\).*/\1/p' /tmp/out)
	check "census: a remote kmod pin whose target exited is attributed, target exited" sh -c \
		"grep -q '\"pinnerPID\":$(cat /tmp/r.pid),\"targetExited\":true' /tmp/out && [ '${outside:-0}' -ge 1 ]"
else
	kill "$spid" 2>/dev/null
	notok "census: a remote kmod pin whose target exited is attributed, target exited" "holder did not start: $(head -c 300 /tmp/r.json)"
fi
kill "$rjob" 2>/dev/null
wait "$rjob" 2>/dev/null

# 21: a plain user's census (device 0666) lists its own kmod pins and none of root's holder.
chmod 0666 /dev/pinctl
rm -f /tmp/nk.pid
$NB ./pinctl pin --method kmod --pidfile /tmp/nk.pid --json anon:4M >/tmp/nk.json 2>&1 &
nkjob=$!
if wait_pidfile /tmp/nk.pid; then
	nkpid=$(cat /tmp/nk.pid)
	$NB ./pinctl census --json >/tmp/out 2>&1
	check "a plain user's census lists its own kmod pins, not root's" sh -c \
		"grep -q '\"openerPID\":$nkpid,\"openerUID\":65534' /tmp/out &&
		 ! grep -q '\"openerUID\":0' /tmp/out && grep -q '\"complete\":false' /tmp/out"
else
	notok "a plain user's census lists its own kmod pins, not root's" "holder did not start: $(head -c 300 /tmp/nk.json)"
fi
kill "$nkjob" "$kjob" 2>/dev/null
wait "$nkjob" "$kjob" 2>/dev/null
chmod 0600 /dev/pinctl

# 22: pinctl files on a kernel without cachestat: 6.1 answers ENOSYS, so the mincore fallback
# (an untouched PROT_READ mapping) counts the pages; 6.12 has cachestat. A 40 KiB file just
# written to the guest's root (ram-backed) is cached whole either way; the FIFO beside it is
# not opened (the run would block).
mkdir -p /tmp/pc && head -c 40960 /dev/zero >/tmp/pc/f && mkfifo /tmp/pc/fifo
case $(uname -r) in 6.1.*) method=mincore ;; *) method=cachestat ;; esac
timeout 30 $P files --json /tmp/pc >/tmp/out 2>/tmp/err
rc=$?
check "pinctl files by $method on $(uname -r): 10 of 10 pages cached, the FIFO not opened" sh -c \
	"[ $rc -eq 0 ] && grep -q '\"method\":\"$method\"' /tmp/out && grep -q '\"cached\":10,' /tmp/out &&
	 grep -q '\"skipped\":\"special\"' /tmp/out"

# 23: rows skip the holes PAGEMAP_SCAN proves empty (6.7+) and print what reading every entry
# (--read-holes) prints, byte for byte. This kernel has CONFIG_MEM_SOFT_DIRTY: a new VMA is
# VM_SOFTDIRTY, so its holes read as bit 55 alone, which 6.12 takes from the scan's SOFT_DIRTY
# category (and checks with one read); 6.1 has no PAGEMAP_SCAN and reads every entry both ways.
start_reservation
t0=$(cut -d" " -f1 /proc/uptime)
$P inspect --json "$rsv" "$start+64G" >/tmp/out 2>&1
rc=$?
t1=$(cut -d" " -f1 /proc/uptime)
$P inspect --json --read-holes "$rsv" "$start+64G" >/tmp/out-full 2>&1
rcf=$?
t2=$(cut -d" " -f1 /proc/uptime)
awk -v a="$t0" -v b="$t1" -v c="$t2" \
	'BEGIN { printf "# 64 GiB reservation --json: %.2f s, --read-holes %.2f s (uptime)\n", b - a, c - b }'
check "rows of a soft-dirty 64 GiB reservation: the same bytes with holes skipped as read" sh -c \
	"[ $rc -eq 0 ] && [ $rcf -eq 0 ] && cmp -s /tmp/out /tmp/out-full && grep -q '\"softDirty\":true' /tmp/out &&
	 grep -q '\"count\":16777216' /tmp/out"
kill "$rsv" 2>/dev/null
wait "$rsv" 2>/dev/null

echo "# $((n - failed)) passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
