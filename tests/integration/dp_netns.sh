#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The two-process dataplane end to end: two hosts in two network namespaces,
# each running drift-dp (udp port) and driftd, with applications reaching
# their sessions through driftd's control socket and the shared-memory
# channels. Every step is checked:
#   1. handshake, then a bulk transfer (drift xfer) whose SHA-256 must match
#   2. drift show / dump report the peer, the port type and the capabilities
#   3. driftd killed (-9) and restarted on both hosts while datagrams flow:
#      no datagram lost or duplicated
#   4. rekeys (both directions) while datagrams flow: none lost or duplicated
#   5. drift-dp restarted: driftd re-installs the session, traffic resumes
#      without a new handshake
#   6. 10 000 sessions (engine-driven clients) installed, each carrying traffic
#   7. the channel files truncated under both daemons: neither dies, drift-dp
#      says which channel is out of service
#
#    netns dpa-PID                              netns dpb-PID
#   ┌─────────────────────────────┐  veth      ┌─────────────────────────────┐
#   │ drift-dp + driftd (name t)  │ xa ◀──▶ xb │ drift-dp + driftd (name t)  │
#   │ drift xfer send / blast     │            │ drift xfer recv / sink      │
#   │ 198.18.88.1/24              │            │ 198.18.88.2/24  (+ name s,  │
#   │                             │            │  port 7879, for step 6)     │
#   └─────────────────────────────┘            └─────────────────────────────┘
#
# Usage: dp_netns.sh BUILD_DIR [BULK_MB]
# Exit: 0 pass, 1 fail, 77 skip (cannot create network namespaces).
set -u
build=$(readlink -f "${1:?usage: dp_netns.sh BUILD_DIR [BULK_MB]}")
bulk_mb=${2:-200}
drift=$build/tools/drift
driftd=$build/control/driftd
dp=$build/dataplane/drift-dp
bench=$build/perf/drift_bench
tag=$$
ns_a=dpa-$tag
ns_b=dpb-$tag
work=$(mktemp -d /tmp/drift-dp-netns.XXXXXX)
declare -A pid

cleanup() {
	for k in "${!pid[@]}"; do
		kill "${pid[$k]}" 2>/dev/null
	done
	for k in "${!pid[@]}"; do
		wait "${pid[$k]}" 2>/dev/null
	done
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	cat "$work"/pre4-*.txt 2>/dev/null >&2
	for side in a b; do
		[ -S "$work/run-$side/t/ctl" ] || continue
		DRIFT_RUN_DIR=$work/run-$side timeout 5 ip netns exec "$(ns_of $side)" "$drift" show dump --name t 2>/dev/null |
			grep -E '^(drop|worker)' | sed "s/^/  dump $side: /" >&2
		ip netns exec "$(ns_of $side)" cat /proc/net/snmp 2>/dev/null | grep '^Udp:' | tail -n1 | sed "s/^/  snmp $side: /" >&2
	done
	for f in "$work"/*.log; do
		[ -s "$f" ] && tail -n 15 "$f" | sed "s|^|  $(basename "$f"): |" >&2
	done
	exit 1
}
step() { echo "== $*"; }

ns_of() { [ "$1" = a ] && echo "$ns_a" || echo "$ns_b"; }
# on SIDE CMD...: runs in the side's namespace with its run dir.
on() {
	local side=$1
	shift
	DRIFT_RUN_DIR=$work/run-$side ip netns exec "$(ns_of "$side")" "$@"
}
# bg_on KEY SIDE CMD...: a background program (the program itself, via exec) in pid[KEY].
bg_on() {
	local key=$1 side=$2
	shift 2
	DRIFT_RUN_DIR=$work/run-$side ip netns exec "$(ns_of "$side")" "$@" >>"$work/$key.log" 2>&1 &
	pid[$key]=$!
}
# wait_log KEY PATTERN SECONDS
wait_log() {
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
start_dp() { # SIDE NAME PORT
	mkdir -p "$work/run-$1"
	[ -f "$work/dp-$1-$2.log" ] && cat "$work/dp-$1-$2.log" >>"$work/dp-$1-$2.old"
	rm -f "$work/dp-$1-$2.log"
	# The old table stays until the new drift-dp replaces it; waiting for "a table" must see the new one.
	rm -f "$work/run-$1/$2/table"
	bg_on "dp-$1-$2" "$1" "$dp" --name "$2" --listen-port "$3"
	for _ in $(seq 1 50); do
		[ -f "$work/run-$1/$2/table" ] && return 0
		sleep 0.1
	done
	fail "drift-dp ($1/$2) did not create its table"
}
start_driftd() { # SIDE NAME KEY [ARGS]
	local side=$1 name=$2 key=$3
	shift 3
	[ -f "$work/driftd-$side-$name.log" ] && cat "$work/driftd-$side-$name.log" >>"$work/driftd-$side-$name.old"
	rm -f "$work/driftd-$side-$name.log"
	bg_on "driftd-$side-$name" "$side" "$driftd" --name "$name" --key "$key" "$@"
	wait_log "driftd-$side-$name" "up on port" 10 || fail "driftd ($side/$name) did not start"
}

for p in "$drift" "$driftd" "$dp" "$bench"; do
	[ -x "$p" ] || fail "missing program $p (build first)"
done
if ! ip netns add "$ns_a" 2>"$work/netns.err"; then
	echo "SKIP: cannot create network namespaces: $(head -n1 "$work/netns.err") (needs root / CAP_SYS_ADMIN)"
	exit 77
fi
ip netns add "$ns_b" || fail "ip netns add $ns_b"
ip link add "xa-$tag" netns "$ns_a" type veth peer name "xb-$tag" netns "$ns_b" || fail "cannot create a veth pair"
ip -n "$ns_a" addr add 198.18.88.1/24 dev "xa-$tag"
ip -n "$ns_b" addr add 198.18.88.2/24 dev "xb-$tag"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up
done
ip -n "$ns_a" link set "xa-$tag" up
ip -n "$ns_b" link set "xb-$tag" up

"$drift" keygen --out "$work/a.key" >/dev/null || fail "keygen a"
"$drift" keygen --out "$work/b.key" >/dev/null || fail "keygen b"
pub_b=$("$drift" info --file "$work/b.key" | awk '/^public key:/ { print $3 }')
pub_a=$("$drift" info --file "$work/a.key" | awk '/^public key:/ { print $3 }')
[ ${#pub_a} = 64 ] && [ ${#pub_b} = 64 ] || fail "cannot read the public keys"

start_dp a t 7878
start_dp b t 7878
start_driftd a t "$work/a.key"
start_driftd b t "$work/b.key" --accept-any

# ---- 1. handshake + bulk transfer with a hash
step "1. handshake, then $bulk_mb MB through drift xfer (SHA-256 checked end to end)"
head -c "$((bulk_mb * 1024 * 1024))" /dev/urandom >"$work/in.bin" || fail "cannot make the test file"
bg_on xfer-recv b "$drift" xfer recv --accept-any --name t --out "$work/out.bin"
wait_log xfer-recv "waiting\|listening\|ready" 10 || sleep 1
on a "$drift" xfer send --to 198.18.88.2:7878 --peer "$pub_b" --name t "$work/in.bin" 2>"$work/xfer-send.log" ||
	fail "drift xfer send failed"
wait "${pid[xfer-recv]}" || fail "drift xfer recv did not verify the transfer"
unset "pid[xfer-recv]"
grep -h "sha256" "$work/xfer-send.log" "$work/xfer-recv.log" | sed 's/^/   /'
cmp -s "$work/in.bin" "$work/out.bin" || fail "received file differs"
rm -f "$work/in.bin" "$work/out.bin"

# ---- 2. drift show
step "2. drift show / dump"
on a "$drift" show --name t >"$work/show-a.txt" 2>&1 || fail "drift show failed: $(cat "$work/show-a.txt")"
sed 's/^/   /' "$work/show-a.txt" | head -n 20
grep -q "port type: udp" "$work/show-a.txt" || fail "show does not report the udp port"
grep -q "capabilities kept: driftd none" "$work/show-a.txt" || fail "show does not report the kept capabilities"
grep -q "peer: $pub_b" "$work/show-a.txt" || fail "show does not list the peer"
on b "$drift" show dump --name t >"$work/dump-b.txt" 2>&1 || fail "drift show dump failed"
awk -F'\t' -v k="$pub_a" -v mb="$bulk_mb" '$1 == "peer" && $2 == k && $8 >= mb * 1048576 { ok = 1 } END { exit !ok }' \
	"$work/dump-b.txt" || fail "dump on B does not count the transfer: $(grep '^peer' "$work/dump-b.txt")"

# ---- 3. driftd killed and restarted under load
step "3. driftd killed (-9) and restarted on both hosts while 60 000 datagrams flow"
bg_on sink3 b "$drift" sink --accept-any --name t --count 60000 --timeout 15
sleep 0.5
bg_on blast3 a "$drift" blast --to 198.18.88.2:7878 --peer "$pub_b" --name t --count 60000 --rate 12000
sleep 1.5
stop_key driftd-a-t -KILL
start_driftd a t "$work/a.key"
grep -q "1 sessions re-attached" "$work/driftd-a-t.log" || fail "driftd on A did not re-attach the session"
sleep 0.5
stop_key driftd-b-t -KILL
start_driftd b t "$work/b.key" --accept-any
wait "${pid[blast3]}" || fail "drift blast failed across the driftd restarts"
unset "pid[blast3]"
wait "${pid[sink3]}" || fail "datagrams lost or duplicated across driftd restarts: $(tail -n1 "$work/sink3.log")"
unset "pid[sink3]"
grep -h "^sink:" "$work/sink3.log" | sed 's/^/   /'

# ---- 4. rekey under load
step "4. six rekeys (both directions) while 75 000 datagrams flow"
for side in a b; do
	on "$side" "$drift" show dump --name t | grep -E '^(drop|worker)' | sed "s/^/  before step 4, $side: /" >"$work/pre4-$side.txt"
done
bg_on sink4 b "$drift" sink --accept-any --name t --count 75000 --timeout 15
sleep 0.5
bg_on blast4 a "$drift" blast --to 198.18.88.2:7878 --peer "$pub_b" --name t --count 75000 --rate 15000
ep0=$(on a "$drift" show dump --name t | awk -F'\t' -v k="$pub_b" '$1 == "peer" && $2 == k { print $13 }')
for i in 1 2 3; do
	sleep 0.6
	on a "$drift" ctl --name t rekey "$(on a "$drift" show dump --name t | awk -F'\t' -v k="$pub_b" '$1 == "peer" && $2 == k { print $3 }')" >/dev/null ||
		fail "rekey from A failed"
	sleep 0.6
	on b "$drift" ctl --name t rekey "$(on b "$drift" show dump --name t | awk -F'\t' -v k="$pub_a" '$1 == "peer" && $2 == k { print $3 }')" >/dev/null ||
		fail "rekey from B failed"
done
wait "${pid[blast4]}" || fail "drift blast failed during rekeys"
unset "pid[blast4]"
wait "${pid[sink4]}" || fail "datagrams lost or duplicated across rekeys: $(tail -n1 "$work/sink4.log")"
unset "pid[sink4]"
grep -h "^sink:" "$work/sink4.log" | sed 's/^/   /'
ep1=$(on a "$drift" show dump --name t | awk -F'\t' -v k="$pub_b" '$1 == "peer" && $2 == k { print $13 }')
[ -n "$ep0" ] && [ -n "$ep1" ] && [ "$ep0" != "$ep1" ] || fail "the key epoch did not change ($ep0 -> $ep1)"
echo "   key epoch on A: $ep0 -> $ep1"

# ---- 5. drift-dp restart
step "5. drift-dp restarted on A: driftd re-installs the session, no new handshake"
hs_before=$(on a "$drift" show dump --name t | awk -F'\t' -v k="$pub_b" '$1 == "peer" && $2 == k { print $7 }')
stop_key dp-a-t -TERM
start_dp a t 7878
wait_log driftd-a-t "re-installed 1 sessions" 5 || fail "driftd did not re-install after the drift-dp restart"
bg_on sink5 b "$drift" sink --accept-any --name t --count 20000 --timeout 10
sleep 0.5
on a "$drift" blast --to 198.18.88.2:7878 --peer "$pub_b" --name t --count 20000 --rate 20000 2>"$work/blast5.log" ||
	fail "blast after the drift-dp restart failed"
wait "${pid[sink5]}" || fail "traffic after the drift-dp restart: $(tail -n1 "$work/sink5.log")"
unset "pid[sink5]"
grep -h "^sink:" "$work/sink5.log" | sed 's/^/   /'
hs_after=$(on a "$drift" show dump --name t | awk -F'\t' -v k="$pub_b" '$1 == "peer" && $2 == k { print $7 }')
[ "$hs_before" = "$hs_after" ] || fail "a new handshake happened ($hs_before -> $hs_after)"

# ---- 6. 10 000 sessions
step "6. 10 000 sessions installed on B, each carrying traffic"
"$bench" seed-key 77 "$work/s.key" || fail "seed-key"
start_dp b s 7879
start_driftd b s "$work/s.key" --accept-any
bg_on sink6 b "$drift" sink --accept-any --name s --timeout 5 --allow-loss
sleep 0.5
on a "$bench" scale-clients 198.18.88.2:7879 77 10000 500000 64 3 >"$work/scale.out" 2>"$work/scale.log" ||
	fail "scale-clients failed"
sed 's/^/   /' "$work/scale.log"
on b "$drift" show dump --name s >"$work/dump-s.txt" || fail "dump of instance s"
n_up=$(awk -F'\t' '$1 == "peer" && $5 == "established" && $6 >= 0 && $10 > 1 { n++ } END { print n + 0 }' "$work/dump-s.txt")
echo "   sessions installed with traffic: $n_up"
# How the punted packets fared (a lost first DATA leaves a responder waiting for 30 s).
awk -F'\t' '$1 == "drop" { d = d " " $2 "/" $3 "=" $4 } $1 == "driftd" && $3 > 0 { c = c " " $2 "=" $3 }
	END { print "   drops:" (d ? d : " none") "; driftd:" c }' "$work/dump-s.txt"
if [ "$n_up" -lt 10000 ]; then
	grep -v '^peer' "$work/dump-s.txt" | sed 's/^/   /'
	awk -F'\t' '$1 == "peer" { h[$5 " slot" ($6 >= 0 ? "" : "-none") " rx=" ($10 > 5 ? ">5" : $10)]++ } END { for (k in h) print "   " h[k], k }' "$work/dump-s.txt"
	ip netns exec "$ns_b" cat /proc/net/snmp | grep '^Udp:' | sed 's/^/   /'
	on b "$drift" show --name s | grep -v '^ *\(peer:\|id:\|slot\|transfer\)' | sed 's/^/   /'
	fail "only $n_up of 10000 sessions installed and carrying traffic"
fi
stop_key sink6

# ---- 7. a truncated channel file
step "7. the channel files truncated by the program holding them: drift-dp and driftd carry on"
bg_on sink7 b "$drift" sink --accept-any --name t --count 1000000 --timeout 6 --allow-loss
sleep 0.5
bg_on blast7 a "$drift" blast --to 198.18.88.2:7878 --peer "$pub_b" --name t --count 30000 --rate 10000
sleep 1
for f in "$work"/run-b/t/app[0-9]*; do
	truncate -s 0 "$f" || fail "cannot truncate $f"
done
wait "${pid[blast7]}" || fail "drift blast failed while B's channels were truncated"
unset "pid[blast7]"
# The sink maps the same file: its "Bus error" (if printed) is its own, and expected.
stop_key sink7 -KILL
sleep 1.5            # drift-dp looks at its channels once a second
kill -0 "${pid[dp-b-t]}" 2>/dev/null || fail "drift-dp died when its channel files were truncated"
kill -0 "${pid[driftd-b-t]}" 2>/dev/null || fail "driftd died when its channel files were truncated"
grep -q "was truncated by the program holding it" "$work/dp-b-t.log" ||
	fail "drift-dp did not report the truncated channel"
grep -h "was truncated" "$work/dp-b-t.log" | head -n 1 | sed 's/^/   /'
on b "$drift" show --name t >/dev/null || fail "drift show after the truncation"
no_app=$(on b "$drift" show dump --name t | awk -F'\t' '$1 == "drop" && $2 == "dp" && $3 == "no_app" { print $4 }')
echo "   both daemons up; DATA for the broken channel dropped as no_app: ${no_app:-0}"

echo "PASS: two-process dataplane (bulk hash, show, driftd restarts, rekeys, drift-dp restart, 10 000 sessions, truncated channels)"
