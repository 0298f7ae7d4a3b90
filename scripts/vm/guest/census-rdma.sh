#!/bin/sh
# guest-census-rdma.sh: `pinctl census` against RDMA memory regions inside a
# scripts/vm/test.sh guest (busybox sh, root, payload in /pinctl). A TAP document of its own.
# Soft-RoCE (rdma_rxe) over a dummy netdev (KERNEL-FACTS.md, "Real driver pinners"), and
# ./rdma-mr registering one MR of MR_KIB with ibv_reg_mr (ib_umem_get pins every page,
# long-term, and charges VmPin). The census must list the MR in the holder's row with its
# exact length, pid and device, agree with iproute2's `rdma resource show mr` (the same
# netlink dump, read by another program), count its pages as attributed, and the vmstat
# FOLL_PIN delta must equal them; after ibv_dereg_mr the MR, its pins and its VmPin are gone.
# JSON is read with grep and sed (keys sorted, output compact).
cd /pinctl || exit 125
P=./pinctl
R=./rdma
MR_KIB=16384
PAGES=$((MR_KIB / 4))
BYTES=$((MR_KIB * 1024))
N=6
# shellcheck source=scripts/vm/guest/tap.sh
. ./tap.sh
tap_plan $N
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }

[ -x ./rdma-mr ] || skip_rest "census with rdma_rxe" "the payload has no rdma-mr (libibverbs-dev's static libraries were missing on the host)"
[ -x $R ] || skip_rest "census with rdma_rxe" "the payload has no iproute2 rdma tool"
# ib_core and the other dependencies were loaded at boot (modules.order); dummy needs its
# parameter (the host's modprobe.d says numdummies=0), and rxe needs crc32_generic, which
# modules.dep does not list (loaded at boot too).
[ -e /sys/module/dummy ] || insmod modules/dummy.ko numdummies=1 2>/tmp/rdma.err ||
	skip_rest "census with rdma_rxe" "dummy does not load: $(head -c 200 /tmp/rdma.err)"
[ -e /sys/module/rdma_rxe ] || insmod modules/rdma_rxe.ko 2>/tmp/rdma.err ||
	skip_rest "census with rdma_rxe" "rdma_rxe does not load: $(head -c 200 /tmp/rdma.err)"
ip link set dummy0 up 2>/tmp/rdma.err || skip_rest "census with rdma_rxe" "no dummy0: $(head -c 200 /tmp/rdma.err)"
$R link add rxe0 type rxe netdev dummy0 2>/tmp/rdma.err || skip_rest "census with rdma_rxe" "rdma link add failed: $(head -c 200 /tmp/rdma.err)"

$P census --json >/tmp/rdma0.json 2>&1
before=$(num follPinOutstandingPages /tmp/rdma0.json)
unattr_before=$(num unattributedPinPages /tmp/rdma0.json)
./rdma-mr $MR_KIB >/tmp/rdma-mr.out 2>&1 &
mpid=$!
i=0
while ! grep -q '^ready' /tmp/rdma-mr.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! grep -q '^ready' /tmp/rdma-mr.out; then
	cat /tmp/rdma-mr.out
	kill $mpid 2>/dev/null
	skip_rest "census with rdma_rxe" "rdma-mr did not register its memory region"
fi

$P census --json >/tmp/rdma1.json 2>&1
$P census >/tmp/rdma1.txt 2>&1
$P census --openmetrics >/tmp/rdma1.prom 2>&1

# 1: the holder's row holds the MR with its exact length, pid and device, and VmPin equal to it.
row="\"pid\":$mpid,\"rdmaMemoryRegions\":\[{\"device\":\"rxe0\",\"deviceIndex\":[0-9]*,\"length\":$BYTES,\"mrn\":[0-9]*,\"pdn\":[0-9]*,\"pid\":$mpid}\],\"unread\":\[\],\"vmLckBytes\":0,\"vmPinBytes\":$BYTES"
if grep -q "$row" /tmp/rdma1.json && grep -q "rdma mr [0-9]* on rxe0: 16 MiB, $PAGES pages pinned, pid $mpid" /tmp/rdma1.txt &&
	grep -q "^pinctl_process_rdma_mr_bytes{pid=\"$mpid\",comm=\"rdma-mr\",cgroup=\"[^\"]*\"} $BYTES" /tmp/rdma1.prom; then
	ok "census: the holder's row lists its $MR_KIB KiB MR on rxe0 with its pid (JSON, text, OpenMetrics)"
else
	notok "census: the holder's row lists its $MR_KIB KiB MR on rxe0 with its pid (JSON, text, OpenMetrics)" \
		"$(grep -o "\"pid\":$mpid,[^]]*]" /tmp/rdma1.json | head -c 400)" "$(grep rdma /tmp/rdma1.txt)"
fi

# 2: iproute2's rdma tool, reading the same netlink dump, names the same MR.
$R resource show mr >/tmp/rdma1.rdma 2>&1
mrn=$(grep -o "\"pid\":$mpid,\"rdmaMemoryRegions\":\[{[^]]*\"mrn\":[0-9]*" /tmp/rdma1.json | sed 's/.*"mrn":\([0-9]*\)$/\1/')
if [ -n "$mrn" ] && grep -q "^dev rxe0 mrn $mrn .*mrlen $BYTES .*pid $mpid comm rdma-mr" /tmp/rdma1.rdma &&
	[ "$(grep -c '^dev ' /tmp/rdma1.rdma)" -eq "$(num regionCount /tmp/rdma1.json)" ]; then
	ok "census: the MR is the one \`rdma resource show mr\` lists (mrn $mrn, mrlen, pid), and as many MRs"
else
	notok "census: the MR is the one \`rdma resource show mr\` lists" "mrn '$mrn'; rdma: $(cat /tmp/rdma1.rdma)" \
		"census regionCount $(num regionCount /tmp/rdma1.json)"
fi

# 3: the vmstat FOLL_PIN delta is the MR's pages, and all of them are attributed.
now=$(num follPinOutstandingPages /tmp/rdma1.json)
unattr=$(num unattributedPinPages /tmp/rdma1.json)
if [ -n "$now" ] && [ $((now - before)) -eq $PAGES ] && [ "$unattr" -eq "$unattr_before" ]; then
	ok "census: ibv_reg_mr of $MR_KIB KiB adds $PAGES outstanding pins, all attributed to the row"
else
	notok "census: ibv_reg_mr of $MR_KIB KiB adds $PAGES outstanding pins, all attributed to the row" \
		"outstanding before $before now $now; unattributed before $unattr_before now $unattr"
fi

# 4: --deep finds the MR's pages DMA-pinned (the module's QUERY), as many as the MR holds.
addr=$(sed -n 's/^mr 0x\([0-9a-f]*\) .*/\1/p' /tmp/rdma-mr.out)
$P census --deep --json >/tmp/rdma-deep.json 2>&1
deep=$(grep -o "\"pages\":[0-9]*,\"path\":\"[^\"]*\",\"pid\":$mpid,\"start\":[0-9]*" /tmp/rdma-deep.json |
	sed 's/"pages":\([0-9]*\).*"start":\([0-9]*\)/\2 \1/')
if [ "$(echo "$deep" | awk '{ s += $2 } END { print s + 0 }')" -eq $PAGES ] &&
	echo "$deep" | awk -v a="$(printf '%d' "0x$addr")" '$1 == a { f = 1 } END { exit !f }'; then
	ok "census --deep: $PAGES DMA-pinned pages of pid $mpid from the MR's address"
else
	notok "census --deep: $PAGES DMA-pinned pages of pid $mpid from the MR's address" "MR at 0x$addr; deep: $deep"
fi

# 5 and 6: ibv_dereg_mr: the MR is gone from the census and from rdma's list, and so are its pins.
kill -USR1 $mpid
i=0
while ! grep -q '^deregistered' /tmp/rdma-mr.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
$P census --json >/tmp/rdma2.json 2>&1
$R resource show mr >/tmp/rdma2.rdma 2>&1
after=$(num follPinOutstandingPages /tmp/rdma2.json)
if grep -q "\"pid\":$mpid,\"rdmaMemoryRegions\":\[\],\"unread\":\[\],\"vmLckBytes\":0,\"vmPinBytes\":0" /tmp/rdma2.json &&
	! grep -q "pid $mpid " /tmp/rdma2.rdma; then
	ok "census: after ibv_dereg_mr the row has no MR and VmPin 0 (rdma lists none either)"
else
	notok "census: after ibv_dereg_mr the row has no MR and VmPin 0" \
		"$(grep -o "\"pid\":$mpid,[^]]*]" /tmp/rdma2.json | head -c 300)" "rdma: $(cat /tmp/rdma2.rdma)"
fi
if [ "$after" -eq "$before" ]; then
	ok "census: ibv_dereg_mr releases the pins (outstanding back to $before)"
else
	notok "census: ibv_dereg_mr releases the pins" "before $before after $after"
fi
kill $mpid 2>/dev/null
wait $mpid 2>/dev/null
$R link delete rxe0 2>/dev/null
echo "# census: the text report while the MR was registered:"
sed 's/^/#   /' /tmp/rdma1.txt | head -n 16
echo "# rdma resource show mr: $(cat /tmp/rdma1.rdma)"
[ $failed -eq 0 ]
