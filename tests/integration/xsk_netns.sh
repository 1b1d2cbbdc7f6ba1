#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The kernel-bypass dataplane end to end: three hosts (A, M, B) on one
# switched segment, each veth with two RX/TX queues. Every step is checked:
#   1. for each port type the kernel offers (xsk-native, xsk-generic, udp):
#      handshake, a bulk transfer whose SHA-256 must match, a rekey (long
#      headers still reach driftd with the XDP program attached) and a
#      second transfer; `drift show` reports the port type and why; the XDP
#      verdict counters show redirected short headers and passed long
#      headers; stopping drift-dp leaves no XDP program or map behind
#   2. drift-dp killed (-9) with the program attached: --cleanup removes it
#   3. multi-queue: B runs two workers (one per RX queue); 256 engine-driven
#      clients on M; both workers carry traffic
#   4. relay: A talks only to M, B only to M; M forwards between the two
#      sessions in its dataplane (ctl "forward"); a transfer A -> B whose
#      SHA-256 must match; M counts the forwarded packets
#
#   netns xka-PID         netns xkm-PID          netns xkb-PID
#   198.18.90.1/24        198.18.90.2/24         198.18.90.3/24
#        │ va                  │ vm                     │ vb
#        └──────────── netns xks-PID: bridge br0 ───────┘
#
# Usage: xsk_netns.sh BUILD_DIR [BULK_MB]
# Exit: 0 pass, 1 fail, 77 skip (no network namespaces, or no AF_XDP at all).
set -u
build=$(readlink -f "${1:?usage: xsk_netns.sh BUILD_DIR [BULK_MB]}")
bulk_mb=${2:-64}
drift=$build/tools/drift
driftd=$build/control/driftd
dp=$build/dataplane/drift-dp
bench=$build/perf/drift_bench
tag=$$
declare -A ns=([a]=xka-$tag [m]=xkm-$tag [b]=xkb-$tag [s]=xks-$tag)
declare -A ip=([a]=198.18.90.1 [m]=198.18.90.2 [b]=198.18.90.3)
declare -A dev=([a]=va [m]=vm [b]=vb)
work=$(mktemp -d /tmp/drift-xsk-netns.XXXXXX)
declare -A pid

cleanup() {
	for k in "${!pid[@]}"; do
		kill "${pid[$k]}" 2>/dev/null
	done
	for k in "${!pid[@]}"; do
		wait "${pid[$k]}" 2>/dev/null
	done
	for h in a m b s; do
		ip netns del "${ns[$h]}" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	for side in a m b; do
		[ -S "$work/run-$side/t/ctl" ] || continue
		on "$side" timeout 5 "$drift" show dump --name t 2>/dev/null |
			grep -E '^(drop|worker|xdp|forward|interface)' | sed "s/^/  dump $side: /" >&2
	done
	for f in "$work"/*.log; do
		[ -s "$f" ] && tail -n 12 "$f" | sed "s|^|  $(basename "$f"): |" >&2
	done
	exit 1
}
step() { echo "== $*"; }

# on SIDE CMD...: runs in the side's namespace with its run dir. (`ip netns
# exec` gives each command a mount view without bpffs, so drift-dp attaches
# its XDP program alone rather than through libxdp's dispatcher.)
on() {
	local side=$1
	shift
	DRIFT_RUN_DIR=$work/run-$side ip netns exec "${ns[$side]}" "$@"
}
bg_on() { # KEY SIDE CMD...
	local key=$1 side=$2
	shift 2
	DRIFT_RUN_DIR=$work/run-$side ip netns exec "${ns[$side]}" "$@" >>"$work/$key.log" 2>&1 &
	pid[$key]=$!
}
wait_log() { # KEY PATTERN SECONDS
	for _ in $(seq 1 $(($3 * 10))); do
		grep -q "$2" "$work/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop_key() {
	[ -n "${pid[$1]:-}" ] || return 0
	kill "${2:--TERM}" "${pid[$1]}" 2>/dev/null
	wait "${pid[$1]}" 2>/dev/null
	unset "pid[$1]"
}
start_dp() { # SIDE PORTTYPE [ARGS]
	local side=$1 type=$2
	shift 2
	mkdir -p "$work/run-$side"
	rm -f "$work/run-$side/t/table" "$work/dp-$side.log"
	bg_on "dp-$side" "$side" "$dp" --name t --port "$type" --dev "${dev[$side]}" --listen-port 7878 "$@"
	for _ in $(seq 1 50); do
		[ -f "$work/run-$side/t/table" ] && return 0
		kill -0 "${pid[dp-$side]}" 2>/dev/null || break
		sleep 0.1
	done
	fail "drift-dp ($side, --port $type) did not start: $(tail -n 3 "$work/dp-$side.log")"
}
start_driftd() { # SIDE KEY [ARGS]
	local side=$1 key=$2
	shift 2
	rm -f "$work/driftd-$side.log"
	bg_on "driftd-$side" "$side" "$driftd" --name t --key "$key" "$@"
	wait_log "driftd-$side" "up on port" 10 || fail "driftd ($side) did not start"
}
stop_node() { # SIDE
	stop_key "driftd-$1"
	stop_key "dp-$1"
}
# Our XDP program is gone from the side's interface (both modes).
no_xdp_left() { # SIDE (programs, too, are freed a moment after their last reference)
	for _ in $(seq 1 20); do
		if ! on "$1" ip link show dev "${dev[$1]}" | grep -q 'xdp' &&
			! bpftool prog show 2>/dev/null | grep -q 'drift_xdp'; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
dump_field() { # SIDE RECORD KEY FIELD: the FIELD of the first dump line "RECORD\tKEY..."
	on "$1" "$drift" show dump --name t | awk -F'\t' -v r="$2" -v k="$3" -v f="$4" '$1 == r && $2 == k { print $f; exit }'
}
peer_id() { # SIDE PUB: the peer id driftd knows PUB by
	dump_field "$1" peer "$2" 3
}
xfer() { # FROM TO MB LABEL: transfer with a hash, FROM sends to TO's address
	local from=$1 to=$2 mb=$3 label=$4 pub_to
	pub_to=${pub[$to]}
	head -c "$((mb * 1024 * 1024))" /dev/urandom >"$work/in.bin" || fail "cannot make the test file"
	rm -f "$work/out.bin"
	bg_on xfer-recv "$to" "$drift" xfer recv --accept-any --name t --out "$work/out.bin"
	sleep 0.5
	on "$from" "$drift" xfer send --to "${ip[$to]}:7878" --peer "$pub_to" --name t "$work/in.bin" \
		>"$work/xfer-send.log" 2>&1 || fail "$label: drift xfer send failed: $(tail -n 2 "$work/xfer-send.log")"
	wait "${pid[xfer-recv]}" || fail "$label: drift xfer recv did not verify the transfer"
	unset "pid[xfer-recv]"
	cmp -s "$work/in.bin" "$work/out.bin" || fail "$label: received file differs"
	grep -h "sha256\|Mb/s" "$work/xfer-recv.log" | tail -n 1 | sed "s/^/   $label: /"
	rm -f "$work/in.bin" "$work/out.bin" "$work/xfer-recv.log"
}

for p in "$drift" "$driftd" "$dp" "$bench"; do
	[ -x "$p" ] || fail "missing program $p (build first)"
done
if ! ip netns add "${ns[s]}" 2>"$work/netns.err"; then
	echo "SKIP: cannot create network namespaces: $(head -n1 "$work/netns.err") (needs root / CAP_SYS_ADMIN)"
	exit 77
fi
ip -n "${ns[s]}" link add br0 type bridge || fail "cannot create a bridge"
ip -n "${ns[s]}" link set br0 up
for h in a m b; do
	ip netns add "${ns[$h]}" || fail "ip netns add ${ns[$h]}"
	ip link add "${dev[$h]}" numtxqueues 2 numrxqueues 2 netns "${ns[$h]}" type veth \
		peer name "s$h" numtxqueues 2 numrxqueues 2 netns "${ns[s]}" || fail "cannot create a 2-queue veth pair"
	ip -n "${ns[s]}" link set "s$h" master br0 up
	ip -n "${ns[$h]}" addr add "${ip[$h]}/24" dev "${dev[$h]}"
	ip -n "${ns[$h]}" link set lo up
	ip -n "${ns[$h]}" link set "${dev[$h]}" up
done
declare -A pub
for h in a m b; do
	"$drift" keygen --out "$work/$h.key" >/dev/null || fail "keygen $h"
	pub[$h]=$("$drift" info --file "$work/$h.key" | awk '/^public key:/ { print $3 }')
	[ ${#pub[$h]} = 64 ] || fail "cannot read the public key of $h"
done

# ---- 1. each port type
ran=0
for type in xsk-native xsk-generic udp; do
	step "1. --port $type: handshake, $bulk_mb MB with SHA-256, rekey, 8 MB again, detach"
	mkdir -p "$work/run-a" "$work/run-b"
	# The last round's table outlives its drift-dp (a restarted driftd re-attaches from it):
	# without this, driftd could attach to that one and keep a session B has forgotten.
	rm -f "$work/dp-a.log" "$work/run-a/t/table"
	bg_on dp-a a "$dp" --name t --port "$type" --dev va --listen-port 7878
	for _ in $(seq 1 50); do
		[ -f "$work/run-a/t/table" ] && break
		kill -0 "${pid[dp-a]}" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -f "$work/run-a/t/table" ]; then
		if [ "$type" != udp ] && grep -qi "not supported\|EOPNOTSUPP\|no AF_XDP" "$work/dp-a.log"; then
			echo "   the kernel does not offer --port $type here: $(tail -n 1 "$work/dp-a.log")"
			unset "pid[dp-a]"
			continue
		fi
		fail "drift-dp --port $type did not start: $(tail -n 3 "$work/dp-a.log")"
	fi
	start_dp b "$type"
	start_driftd a "$work/a.key"
	start_driftd b "$work/b.key" --accept-any
	xfer a b "$bulk_mb" "$type"
	on a "$drift" show --name t >"$work/show-a.txt" 2>&1 || fail "drift show failed"
	grep 'port type' "$work/show-a.txt" | sed 's/^/   /'
	want=${type%%-*}
	grep -q "port type: $want" "$work/show-a.txt" || fail "show does not report --port $type"
	if [ "$want" = xsk ]; then
		mode=${type#xsk-}
		grep -q "$mode XDP" "$work/show-a.txt" || fail "show does not say $mode XDP"
		grep '^xdp' "$work/show-a.txt" | sed 's/^/   /'
		sleep 0.3 # the verdict counters are copied every 100 ms
		red=$(dump_field b xdp redirect 3)
		long=$(dump_field b xdp pass_long 3)
		[ "${red:-0}" -gt 1000 ] || fail "XDP on B redirected only ${red:-0} packets"
		[ "${long:-0}" -gt 0 ] || fail "XDP on B passed no long header to the stack"
	fi
	ep0=$(dump_field a peer "${pub[b]}" 13)
	on a "$drift" ctl --name t rekey "$(peer_id a "${pub[b]}")" >/dev/null || fail "rekey failed"
	sleep 1
	ep1=$(dump_field a peer "${pub[b]}" 13)
	[ -n "$ep0" ] && [ "$ep0" != "$ep1" ] || fail "the rekey (long headers through driftd) did not complete ($ep0 -> $ep1)"
	xfer a b 8 "$type after rekey"
	stop_node a
	stop_node b
	if [ "$want" = xsk ]; then
		no_xdp_left a && no_xdp_left b || fail "an XDP program is left after drift-dp stopped"
		# The kernel frees maps from a workqueue after the last reference goes: allow it 2 s.
		for _ in $(seq 1 20); do
			left=$(bpftool map show 2>/dev/null | grep -c 'drift_') || true
			[ "$left" -eq 0 ] && break
			sleep 0.1
		done
		[ "$left" -eq 0 ] || fail "$left drift maps are left after drift-dp stopped"
		echo "   detached: no XDP program or map left"
	fi
	ran=$((ran + 1))
done
[ "$ran" -ge 2 ] || fail "only $ran port types ran"

# ---- 2. crash and --cleanup
step "2. drift-dp killed (-9) with XDP attached; --cleanup detaches it"
start_dp a xsk
stop_key dp-a -KILL
no_xdp_left a && fail "the kill left no program: the check cannot see it"
on a "$dp" --name t --cleanup --dev va 2>&1 | sed 's/^/   /'
no_xdp_left a || fail "--cleanup left the XDP program attached"
echo "   --cleanup removed the left-over program"

# ---- 3. multi-queue
step "3. B with two workers (one per RX queue): 256 sessions from M, both workers carry traffic"
"$bench" seed-key 91 "$work/s.key" || fail "seed-key"
start_dp b xsk-native --workers 2
start_driftd b "$work/s.key" --accept-any
bg_on sink3 b "$drift" sink --accept-any --name t --timeout 4 --allow-loss
sleep 0.5
on m "$bench" scale-clients "${ip[b]}:7878" 91 256 500000 64 2 >"$work/scale.out" 2>"$work/scale.log" ||
	fail "scale-clients failed: $(tail -n 2 "$work/scale.log")"
sed 's/^/   /' "$work/scale.log"
on b "$drift" show dump --name t >"$work/dump3.txt" || fail "dump of B"
awk -F'\t' '$1 == "worker" { printf "   worker %s: rx %s packets, handed off %s, handed in %s\n", $2, $3, $12, $13 }' "$work/dump3.txt"
busy=$(awk -F'\t' '$1 == "worker" && $3 > 1000 { n++ } END { print n + 0 }' "$work/dump3.txt")
[ "$busy" -eq 2 ] || fail "only $busy of 2 workers carried traffic"
n_up=$(awk -F'\t' '$1 == "peer" && $5 == "established" && $10 > 1 { n++ } END { print n + 0 }' "$work/dump3.txt")
[ "$n_up" -ge 250 ] || fail "only $n_up of 256 sessions carried traffic"
echo "   $n_up sessions carried traffic"
stop_key sink3
stop_node b

# ---- 4. relay through M
step "4. relay: A -> M -> B, forwarded in M's dataplane, $bulk_mb MB with SHA-256"
for h in a m b; do
	start_dp "$h" xsk-native
done
start_driftd m "$work/m.key" --accept-any
start_driftd b "$work/b.key" --accept-any
start_driftd a "$work/a.key"
id_a=$(on m "$drift" ctl --name t peer "${pub[a]}" | sed -n 's/.*peer=\([0-9a-f]*\).*/\1/p')
[ -n "$id_a" ] || id_a=$(peer_id m "${pub[a]}")
[ -n "$id_a" ] || fail "M does not know A's peer id"
bg_on xfer-recv b "$drift" xfer recv --accept-any --name t --out "$work/out.bin"
sleep 0.5
reply=$(on m "$drift" ctl --name t connect "${pub[b]}" "${ip[b]}:7878" 5000) || fail "M cannot reach B: $reply"
id_b=$(echo "$reply" | sed -n 's/.*peer=\([0-9a-f]*\).*/\1/p')
[ -n "$id_b" ] || fail "no peer id in \"$reply\""
on m "$drift" ctl --name t forward "$id_a" "$id_b" >/dev/null || fail "forward failed"
head -c "$((bulk_mb * 1024 * 1024))" /dev/urandom >"$work/in.bin"
on a "$drift" xfer send --to "${ip[m]}:7878" --peer "${pub[m]}" --name t "$work/in.bin" \
	>"$work/xfer-send.log" 2>&1 || fail "relay: xfer send failed: $(tail -n 2 "$work/xfer-send.log")"
wait "${pid[xfer-recv]}" || fail "relay: xfer recv on B did not verify the transfer"
unset "pid[xfer-recv]"
cmp -s "$work/in.bin" "$work/out.bin" || fail "relay: received file differs"
grep -h "sha256\|Mb/s" "$work/xfer-recv.log" | tail -n 1 | sed 's/^/   relay: /'
on m "$drift" show dump --name t >"$work/dump-m.txt"
grep '^forward' "$work/dump-m.txt" | sed 's/^/   /'
fwd=$(awk -F'\t' -v a="$id_a" '$1 == "forward" && $2 == a { print $4 }' "$work/dump-m.txt")
[ "${fwd:-0}" -gt $((bulk_mb * 700)) ] || fail "M forwarded only ${fwd:-0} packets from A"
stop_node a
stop_node m
stop_node b
for h in a m b; do
	no_xdp_left "$h" || fail "an XDP program is left on $h"
done

echo "PASS: kernel-bypass dataplane ($ran port types with hash and rekey, --cleanup, 2 workers, relay through M)"
