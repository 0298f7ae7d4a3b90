#!/bin/sh
# guest-phys.sh: `pinctl phys` against the loaded KernelHelper module inside a
# scripts/vm/test.sh guest (busybox sh, root, payload in /pinctl): a TAP document of its own.
# Frame state by PFN comes from the module's QUERY_FRAMES (refcount, DMA-pinned). The highest
# memory block pinctl finds nothing unmovable in is offlined and onlined as ZONE_MOVABLE; a short-term kmod pin (no FOLL_LONGTERM, so nothing migrates it out of
# ZONE_MOVABLE first) then lands in it: phys reports the block's pinned frames, offlining it
# fails exactly there, phys --owners names the pinning process, phys --map draws its 2 MiB
# cells as pinned, and once the pin is released the block offlines and the map shows no pin.
# JSON is checked with grep: keys are sorted and output compact.
cd /pinctl || exit 125
P=./pinctl
mem=/sys/devices/system/memory
# shellcheck source=scripts/vm/guest/tap.sh
. ./tap.sh
tap_plan 9
# The summary's count of unmovable frames (the block's equals it for one block).
unmovable() { grep -o '"unmovable":[0-9]*' /tmp/out | tail -n 1 | cut -d: -f2; }

[ -e /sys/module/pinctl ] || insmod pinctl.ko
last=$(ls -d $mem/memory[0-9]* | sed 's/.*memory//' | sort -n | tail -n 1)

# 1: frame state from the module: every frame of the block has it.
$P phys --json-lines --no-collapse 0+4096 >/tmp/out 2>&1
check "phys reads refcount and DMA-pinned state by PFN from the module" sh -c \
	'grep -q "\"kernelHelper\":true" /tmp/out && ! grep "\"type\":\"frame\"" /tmp/out | grep -q "\"refcount\":null"'

# 2: the highest block pinctl finds nothing unmovable in goes offline, and comes back in
# ZONE_MOVABLE (any offline block may be onlined movable). The guest's top blocks hold the
# initramfs (reserved), so the search goes down from the top.
top=
b=$last
while [ "$b" -gt 0 ]; do
	if grep -q online "$mem/memory$b/state" 2>/dev/null; then
		$P phys --json --summary "block:$b" >/tmp/out 2>&1
		if [ "$(unmovable)" = 0 ]; then
			top=$b
			break
		fi
	fi
	b=$((b - 1))
done
if [ -n "$top" ]; then
	echo "# guest-phys: block $top has no unmovable frame by pinctl; $(cat "$mem/memory$top/valid_zones")"
	{ echo offline >"$mem/memory$top/state" && echo online_movable >"$mem/memory$top/state"; } >/tmp/out 2>&1
	check "a block phys finds no unmovable frame in offlines, then onlines as Movable" sh -c \
		"grep -q online $mem/memory$top/state && grep -q Movable $mem/memory$top/valid_zones"
else
	notok "a block phys finds no unmovable frame in offlines, then onlines as Movable" \
		"no online block without unmovable frames: $(head -c 600 /tmp/out)"
fi
movable=no
[ -n "$top" ] && grep -q Movable "$mem/memory$top/valid_zones" && grep -q online "$mem/memory$top/state" && movable=yes

# 3: a short-term pin of 96 MiB lands (partly) in the movable block: phys reports pinned,
# unmovable frames there, with their refcount.
holder=
if [ $movable = yes ]; then
	rm -f /tmp/p.pid
	$P pin --method kmod --no-longterm --write --json --pidfile /tmp/p.pid anon:96M >/tmp/p.json 2>/tmp/p.err &
	holder=$!
	if wait_pidfile /tmp/p.pid; then
		$P phys --json --summary "block:$top" >/tmp/out 2>&1
		u=$(unmovable)
		check "phys reports the pinned frames of the block as unmovable (pinned)" sh -c \
			"grep -q '\"pinned\":[1-9]' /tmp/out && [ '${u:-0}' -gt 0 ]"
		$P phys --map --json "block:$top" >/tmp/map.json 2>&1
		$P phys --map "block:$top" >/tmp/map.txt 2>&1
		awk '/^block /{print $NF}' /tmp/map.txt >/tmp/map.cells
		check "phys --map draws the block's pinned 2 MiB cells as P" sh -c \
			"grep -q '\"worst\":\"pinned\"' /tmp/map.json && grep -q '[Pp]' /tmp/map.cells"
		echo "# guest-phys: map of block $top: $(cat /tmp/map.cells)"
	else
		notok "phys reports the pinned frames of the block as unmovable (pinned)" "holder did not start: $(cat /tmp/p.err)"
		notok "phys --map draws the block's pinned 2 MiB cells as P" "holder did not start"
	fi
else
	skip "phys reports the pinned frames of the block as unmovable (pinned)" "no movable block"
	skip "phys --map draws the block's pinned 2 MiB cells as P" "no movable block"
fi

# 4: offlining the block fails while the pin holds (the kernel retries migration until a
# signal: busybox timeout ends it), and the block stays online.
if [ -n "$holder" ] && [ "${u:-0}" -gt 0 ]; then
	timeout 10 sh -c "echo offline >$mem/memory$top/state" >/tmp/out 2>&1
	rc=$?
	check "offlining the block fails while the pin holds" sh -c "[ $rc -ne 0 ] && grep -q online $mem/memory$top/state"
else
	skip "offlining the block fails while the pin holds" "no pinned frame in the movable block"
fi

# 5: --owners names the pinning process, at addresses inside its pinned range.
if [ -n "$holder" ] && [ "${u:-0}" -gt 0 ]; then
	$P phys --json-lines --unmovable --owners "block:$top" >/tmp/out 2>&1
	start=$(sed -n 's/.*"start":"\(0x[0-9a-f]*\)".*/\1/p' /tmp/p.json)
	check "phys --owners names the pinning process" sh -c \
		"grep '\"type\":\"owner\"' /tmp/out | grep -q '\"pid\":$holder,' && grep -q '\"holds\":\[\"pinned\"' /tmp/out"
	echo "# guest-phys: holder $holder pinned from $start; owners: $(grep -c '"type":"owner"' /tmp/out) runs"
else
	skip "phys --owners names the pinning process" "no pinned frame in the movable block"
fi

# 6: the same report as text answers "why won't it offline": holds=pinned rows, the owner.
if [ -n "$holder" ] && [ "${u:-0}" -gt 0 ]; then
	$P phys --unmovable --owners --pages "block:$top" >/tmp/out 2>&1
	check "phys text lists pinned rows with refcount and the owner" sh -c \
		"grep -q 'holds=pinned refcount=' /tmp/out && grep -q '^$holder ' /tmp/out"
else
	skip "phys text lists pinned rows with refcount and the owner" "no pinned frame in the movable block"
fi

# 7: released, the block holds nothing pinned (frames with no flags in ZONE_MOVABLE are free
# pages on per-CPU lists, not kernel memory), and it offlines.
if [ -n "$holder" ]; then
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	$P phys --json --summary "block:$top" >/tmp/out 2>&1
	u=$(unmovable)
	pinned=$(grep -c '"pinned":[0-9]' /tmp/out)
	timeout 30 sh -c "echo offline >$mem/memory$top/state" >>/tmp/out 2>&1
	rc=$?
	echo "# guest-phys: after release: $u unmovable frames by pinctl (transient extra references allowed), offline exit $rc"
	check "after the pin is released phys finds nothing pinned or kernel-held and the block offlines" sh -c \
		"[ '$pinned' = 0 ] && ! grep -q '\"kernel\":[0-9]' /tmp/out && [ $rc -eq 0 ] && grep -q offline $mem/memory$top/state"
	echo online_movable >"$mem/memory$top/state" 2>/dev/null
	$P phys --map --json "block:$top" >/tmp/map.json 2>&1
	check "after the release phys --map draws no pinned cell in the block" sh -c \
		"grep -q '\"worst\":' /tmp/map.json && ! grep -q '\"worst\":\"pinned\"' /tmp/map.json"
else
	skip "after the pin is released phys finds nothing pinned or kernel-held and the block offlines" "no holder"
	skip "after the release phys --map draws no pinned cell in the block" "no holder"
fi

echo "# guest-phys: $failed of $n failed"
[ "$failed" -eq 0 ]
