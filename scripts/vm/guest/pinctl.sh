#!/bin/sh
# guest-pinctl.sh: the in-VM half of scripts/vm/test.sh, run by busybox sh as root inside a
# scripts/vm/run.sh guest from the payload directory /pinctl.
#
# Loads the helper modules the payload carries (loop and ext4 with their dependencies, listed in
# modules.order), makes a scratch ext2 file system on a loop device at /mnt/ext for the tests
# that need a file system with writeback (tmpfs has none), loads pinctl.ko, runs the TAP suite
# and finally checks that the module unloads. Exits with the suite's status (non-zero also when
# pinctl.ko does not load or does not unload).
cd /pinctl || exit 125

echo "# guest: kernel $(uname -r), $(nproc) CPU, $(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory"

if [ -s modules.order ]; then
	while read -r m; do
		insmod "modules/$m" 2>/dev/null || echo "# guest: insmod $m failed"
	done <modules.order
fi

ext=/mnt/ext
# busybox mke2fs wants a block device: attach the image first.
if grep -qw ext4 /proc/filesystems &&
	dd if=/dev/zero of=/tmp/ext.img bs=1M count=16 2>/dev/null &&
	loopdev=$(losetup -f) && losetup "$loopdev" /tmp/ext.img &&
	mke2fs -q "$loopdev" >/dev/null 2>&1 &&
	mkdir -p "$ext" &&
	mount -t ext4 "$loopdev" "$ext"; then
	echo "# guest: scratch ext2 file system on $loopdev at $ext"
else
	echo "# guest: no ext file system (loop/ext4 unavailable): the file writeback tests will skip"
fi

if ! insmod pinctl.ko; then
	echo "Bail out! insmod pinctl.ko failed"
	exit 1
fi

PINCTL_TEST_EXT_DIR=$ext ./pinctl_test /pinctl/pinctl.ko
rc=$?

# pinctl itself against the module (a second TAP document), when the payload carries it;
# then its other suites, which every payload with pinctl carries (a missing one fails).
if [ -x ./pinctl ]; then
	[ -e /sys/module/pinctl ] || insmod pinctl.ko
	sh ./guest-cli.sh || rc=1
fi

# The census against a real driver pinner (vivid V4L2 USERPTR buffers): a third TAP document.
if [ -x ./pinctl ]; then
	[ -e /sys/module/pinctl ] || insmod pinctl.ko
	sh ./guest-census.sh || rc=1
fi

# The census against RDMA memory regions (rdma_rxe, ibv_reg_mr): a fourth TAP document.
if [ -x ./pinctl ]; then
	[ -e /sys/module/pinctl ] || insmod pinctl.ko
	sh ./guest-census-rdma.sh || rc=1
fi

# Figures only: BENCH's in-kernel pin/unpin of 1 GiB next to the PIN/UNPIN ioctls (4K and
# THP), by `pinctl module bench`.
if [ -x ./pinctl ]; then
	[ -e /sys/module/pinctl ] || insmod pinctl.ko
	for r in anon:1G,nothp anon:1G,thp; do
		if [ "$r" = anon:1G,thp ] && [ ! -d /sys/kernel/mm/transparent_hugepage ]; then
			echo "# bench: $r skipped: this kernel has no THP"
			continue
		fi
		./pinctl module bench --write --iterations 3 "$r" >/tmp/bench.out 2>&1 ||
			echo "(failed: not a test result)" >>/tmp/bench.out
		sed 's/^/# bench: /' /tmp/bench.out
	done
fi

# pinctl phys against the module's frame queries and a memory block offline (a fourth TAP
# document); last, as it leaves a memory block in ZONE_MOVABLE.
if [ -x ./pinctl ]; then
	[ -e /sys/module/pinctl ] || insmod pinctl.ko
	sh ./guest-phys.sh || rc=1
fi

# The kernel's log over the whole boot, after every suite (the C suite reads its own part
# as it goes): a WARN, BUG (PREEMPT_RT's "sleeping function called from invalid context" is
# one), Oops or lockdep report during the CLI, census or phys suites fails this last TAP
# document. The same words as the C suite's test_dmesg_clean.
echo "1..1"
bad=$(dmesg | grep -E 'BUG|WARNING:|Oops|general protection fault|Call Trace|UBSAN|KASAN|Bad page|refcount_t:|list_(add|del) corruption' | head -n 20)
if [ -z "$bad" ]; then
	echo "ok 1 - kernel log clean after every suite ($(uname -r))"
else
	echo "not ok 1 - kernel log clean after every suite ($(uname -r))"
	printf '%s\n' "$bad" | sed 's/^/#   /'
	rc=1
fi

umount "$ext" 2>/dev/null
[ -z "${loopdev:-}" ] || losetup -d "$loopdev" 2>/dev/null
if [ -e /sys/module/pinctl ]; then
	if rmmod pinctl; then
		echo "# guest: rmmod pinctl: ok"
	else
		echo "# guest: rmmod pinctl failed"
		rc=1
	fi
fi
exit "$rc"
