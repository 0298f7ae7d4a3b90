#!/bin/sh
# guest-census.sh: `pinctl census` against a real driver pinner inside a scripts/vm/test.sh
# guest (busybox sh, root, payload in /pinctl, pinctl.ko loaded). A TAP document of its own:
# vivid (V4L2 test driver) with USERPTR capture buffers queued by ./v4l2-userptr pins 150
# pages per 640x480 YUYV buffer (KERNEL-FACTS.md, "Real driver pinners"). The census must
# name the process's /dev/video fd as v4l2, count the pins in the FOLL_PIN total as
# unattributed (videobuf2 charges no VmPin), and --deep must find them page by page at the
# buffers' addresses, `pinctl inspect` must show them DMA-pinned; after VIDIOC_REQBUFS 0
# they are gone. JSON is read with grep and sed
# (keys sorted, output compact).
cd /pinctl || exit 125
P=./pinctl
NBUF=4
# shellcheck source=scripts/vm/guest/tap.sh
. ./tap.sh
tap_plan 8

outstanding() { $P census --json | sed -n 's/.*"follPinOutstandingPages":\([0-9]*\).*/\1/p'; }

# vivid with one capture node (/dev/video0), as KERNEL-FACTS.md measured it.
[ -e /sys/module/vivid ] || insmod modules/vivid.ko n_devs=1 node_types=0x1 2>/tmp/vivid.err ||
	skip_rest "census with vivid" "vivid does not load: $(head -c 200 /tmp/vivid.err)"
i=0
while [ ! -e /dev/video0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/video0 ] || skip_rest "census with vivid" "vivid loaded but /dev/video0 did not appear"
[ -x ./v4l2-userptr ] || skip_rest "census with vivid" "the payload has no v4l2-userptr"

before=$(outstanding)
./v4l2-userptr /dev/video0 $NBUF >/tmp/v4l2.out 2>&1 &
vpid=$!
i=0
while ! grep -q '^ready' /tmp/v4l2.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! grep -q '^ready' /tmp/v4l2.out; then
	cat /tmp/v4l2.out
	kill $vpid 2>/dev/null
	skip_rest "census with vivid" "v4l2-userptr did not queue its buffers"
fi
pages=$((NBUF * 150))

# 1: the FOLL_PIN total rose by exactly the buffers' pages, none of them attributed by VmPin.
$P census --json >/tmp/census.json 2>&1
$P census >/tmp/census.txt 2>&1
now=$(sed -n 's/.*"follPinOutstandingPages":\([0-9]*\).*/\1/p' /tmp/census.json)
unattr=$(sed -n 's/.*"unattributedPinPages":\([0-9]*\).*/\1/p' /tmp/census.json)
if [ -n "$now" ] && [ $((now - before)) -eq $pages ] && [ "${unattr:-0}" -ge $pages ]; then
	ok "census: V4L2 USERPTR QBUF of $NBUF buffers adds $pages outstanding pins, unattributed"
else
	notok "census: V4L2 USERPTR QBUF of $NBUF buffers adds $pages outstanding pins, unattributed" \
		"before $before now $now unattributed $unattr"
fi

# 2: the process's row names its /dev/video0 fd as v4l2, with VmPin 0 (frame vectors charge nothing).
if grep -q "\"kind\":\"v4l2\",\"major\":81,\"minor\":[0-9]*,\"path\":\"/dev/video0\"}\],\"ioUringRings\":\[\],\"lockedVMAs\":\[\],\"pid\":$vpid,\"rdmaMemoryRegions\":\[\],\"unread\":\[\],\"vmLckBytes\":0,\"vmPinBytes\":0" /tmp/census.json; then
	ok "census: the holder's row names /dev/video0 as a v4l2 fd"
else
	notok "census: the holder's row names /dev/video0 as a v4l2 fd" "$(head -c 600 /tmp/census.json)"
fi

# 3: --deep finds every buffer page DMA-pinned, at the buffers' addresses.
t0=$(date +%s)
$P census --deep --json >/tmp/deep.json 2>&1
echo "# census --deep took $(($(date +%s) - t0)) s: $(grep -o '"pagesQueried":[0-9]*,"processesSkipped":[0-9]*,"processesWalked":[0-9]*' /tmp/deep.json)"
deep_pages=$(grep -o "\"pages\":[0-9]*,\"path\":\"[^\"]*\",\"pid\":$vpid," /tmp/deep.json |
	sed 's/"pages":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }')
# Each buffer's first page inside one of the process's pinned ranges.
grep -o "\"pages\":[0-9]*,\"path\":\"[^\"]*\",\"pid\":$vpid,\"start\":[0-9]*" /tmp/deep.json |
	sed 's/"pages":\([0-9]*\).*"start":\([0-9]*\)/\2 \1/' >/tmp/ranges
starts_ok=1
sed -n 's/^buffer 0x\([0-9a-f]*\) .*/\1/p' /tmp/v4l2.out >/tmp/v4l2.buffers
while read -r a; do
	awk -v a="$(printf '%d' "0x$a")" '{ if (a >= $1 && a < $1 + $2 * 4096) f = 1 } END { exit !f }' /tmp/ranges || starts_ok=0
done </tmp/v4l2.buffers
if [ "$deep_pages" -eq $pages ] && [ $starts_ok -eq 1 ]; then
	ok "census --deep: $pages DMA-pinned pages of pid $vpid, covering every buffer"
else
	notok "census --deep: $pages DMA-pinned pages of pid $vpid, covering every buffer" \
		"deep pages $deep_pages, starts found $starts_ok" "$(head -c 600 /tmp/deep.json)"
fi

# 4 and 5: --deep --flags keeps the pinned pages whose kpageflags match: the USERPTR buffers
# are anonymous memory, so `anon` keeps all of them and `~anon` none.
$P census --deep --flags anon --json >/tmp/deep-anon.json 2>&1
$P census --deep --flags '~anon' --json >/tmp/deep-notanon.json 2>&1
sum_pages() {
	grep -o "\"pages\":[0-9]*,\"path\":\"[^\"]*\",\"pid\":$vpid," "$1" |
		sed 's/"pages":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }'
}
anon_pages=$(sum_pages /tmp/deep-anon.json)
if [ "$anon_pages" -eq $pages ] && grep -q '"flags":\["anon"\]' /tmp/deep-anon.json; then
	ok "census --deep --flags anon: all $pages DMA-pinned pages of pid $vpid"
else
	notok "census --deep --flags anon: all $pages DMA-pinned pages of pid $vpid" "$anon_pages pages" "$(head -c 600 /tmp/deep-anon.json)"
fi
notanon_pages=$(sum_pages /tmp/deep-notanon.json)
if [ "$notanon_pages" -eq 0 ] && grep -q '"available":true' /tmp/deep-notanon.json; then
	ok "census --deep --flags ~anon: none of pid $vpid's DMA-pinned pages"
else
	notok "census --deep --flags ~anon: none of pid $vpid's DMA-pinned pages" "$notanon_pages pages" "$(head -c 600 /tmp/deep-notanon.json)"
fi

# 4: pinctl inspect of the first buffer shows its 150 pages DMA-pinned (the module's QUERY).
first=$(sed -n 's/^buffer \(0x[0-9a-f]*\) .*/\1/p' /tmp/v4l2.out | head -n 1)
$P inspect --json --no-collapse "$vpid" "$first+600K" >/tmp/inspect.json 2>&1
dma=$(grep -o '"dmaPinned":true' /tmp/inspect.json | wc -l)
if [ "$dma" -eq 150 ]; then
	ok "inspect: the first USERPTR buffer's 150 pages are DMA-pinned"
else
	notok "inspect: the first USERPTR buffer's 150 pages are DMA-pinned" "$dma pages: $(head -c 400 /tmp/inspect.json)"
fi

# 5 and 6: REQBUFS 0 unpins: the total is back and --deep finds nothing for the process.
kill -USR1 $vpid
t0=$(date +%s)
i=0
while ! grep -q '^freed' /tmp/v4l2.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "# census: REQBUFS 0 answered in $(($(date +%s) - t0)) s"
after=$(outstanding)
if grep -q '^freed' /tmp/v4l2.out && [ "$after" -eq "$before" ]; then
	ok "census: VIDIOC_REQBUFS 0 releases the pins (outstanding back to $before)"
else
	notok "census: VIDIOC_REQBUFS 0 releases the pins" "before $before after $after: $(cat /tmp/v4l2.out)"
fi
$P census --deep --json >/tmp/deep2.json 2>&1
if grep -q '"available":true' /tmp/deep2.json && ! grep -q "\"pid\":$vpid,\"start\"" /tmp/deep2.json; then
	ok "census --deep: no DMA-pinned page of pid $vpid after REQBUFS 0"
else
	notok "census --deep: no DMA-pinned page of pid $vpid after REQBUFS 0" "$(head -c 600 /tmp/deep2.json)"
fi
kill $vpid 2>/dev/null
wait $vpid 2>/dev/null
echo "# census: the text report while the buffers were queued:"
head -n 16 /tmp/census.txt | sed 's/^/#   /'
[ $failed -eq 0 ]
