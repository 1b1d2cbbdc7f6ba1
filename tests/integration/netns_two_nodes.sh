#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Two DRIFT nodes in two network namespaces joined by a veth pair: a
# listener that echoes (node B) and a client (node A) that handshakes,
# exchanges messages both ways over IPv4 and IPv6, closes and resumes the
# session with its ticket, and sends standard input. Every step is checked;
# the output is what the README's main job shows.
#
#    netns drift-a-PID                       netns drift-b-PID
#   ┌──────────────────────┐  veth pair     ┌──────────────────────┐
#   │ drift ping / send    │ da-PID ◀─▶ db-PID│ drift listen --echo  │
#   │ 198.18.77.1/24       │                │ 198.18.77.2/24       │
#   │ 2001:2:77::1/64      │                │ 2001:2:77::2/64      │
#   └──────────────────────┘                └──────────────────────┘
# Addresses come from the benchmarking ranges (RFC 2544 / RFC 5180) and
# exist only inside these namespaces. Everything is removed on exit.
#
# Usage: netns_two_nodes.sh DRIFT_BINARY [--loopback-fallback]
# Exit: 0 pass, 1 fail, 77 skip (no permission to create namespaces).
set -u
drift=${1:?usage: netns_two_nodes.sh DRIFT_BINARY [--loopback-fallback]}
fallback=${2:-}
drift=$(readlink -f "$drift")
tag=$$
ns_a=drift-a-$tag
ns_b=drift-b-$tag
work=$(mktemp -d /tmp/drift-two-nodes.XXXXXX)
listener_pid=
cookie_pid=

cleanup() {
	for pid in $listener_pid $cookie_pid; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/listen.err" ] && sed 's/^/  listener: /' "$work/listen.err" >&2
	exit 1
}

in_a() { if [ -n "$use_netns" ]; then ip netns exec "$ns_a" "$@"; else "$@"; fi; }
in_b() { if [ -n "$use_netns" ]; then ip netns exec "$ns_b" "$@"; else "$@"; fi; }
# A background process in B whose $! is the program itself (exec all the way
# down), so kill reaches it; `timeout` bounds it should the script die hard.
bg_in_b() {
	if [ -n "$use_netns" ]; then
		exec timeout 120 ip netns exec "$ns_b" "$@"
	else
		exec timeout 120 "$@"
	fi
}

use_netns=1
if ! ip netns add "$ns_a" 2>"$work/netns.err"; then
	if [ "$fallback" = --loopback-fallback ]; then
		echo "note: cannot create network namespaces ($(head -n1 "$work/netns.err")); running both nodes on 127.0.0.1 instead"
		use_netns=
	else
		echo "SKIP: cannot create network namespaces: $(head -n1 "$work/netns.err") (needs root / CAP_SYS_ADMIN)"
		exit 77
	fi
fi
if [ -n "$use_netns" ]; then
	ip netns add "$ns_b" || fail "ip netns add $ns_b"
	ip link add "da-$tag" netns "$ns_a" type veth peer name "db-$tag" netns "$ns_b" ||
		fail "cannot create a veth pair"
	# No duplicate address detection: a tentative link-local address would hold
	# the first IPv6 neighbour solicitation (and so the first HELLO) for ~1 s.
	ip netns exec "$ns_a" sysctl -qw "net.ipv6.conf.da-$tag.accept_dad=0"
	ip netns exec "$ns_b" sysctl -qw "net.ipv6.conf.db-$tag.accept_dad=0"
	ip -n "$ns_a" addr add 198.18.77.1/24 dev "da-$tag"
	ip -n "$ns_b" addr add 198.18.77.2/24 dev "db-$tag"
	ip -n "$ns_a" addr add 2001:2:77::1/64 dev "da-$tag" nodad
	ip -n "$ns_b" addr add 2001:2:77::2/64 dev "db-$tag" nodad
	for ns in "$ns_a" "$ns_b"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$ns_a" link set "da-$tag" up
	ip -n "$ns_b" link set "db-$tag" up
	# IPv6 on a fresh veth is usable once addrconf has seen the carrier (its
	# link-local address appears, ~1 s); before that the first packet waits.
	for _ in $(seq 1 50); do
		ll_a=$(ip -n "$ns_a" -6 addr show dev "da-$tag" scope link 2>/dev/null | grep -v tentative | grep -c inet6)
		ll_b=$(ip -n "$ns_b" -6 addr show dev "db-$tag" scope link 2>/dev/null | grep -v tentative | grep -c inet6)
		[ "$ll_a" -ge 1 ] && [ "$ll_b" -ge 1 ] && break
		sleep 0.1
	done
	b4=198.18.77.2
	b6=2001:2:77::2
	echo "topology: netns $ns_a (198.18.77.1, 2001:2:77::1) <-veth-> netns $ns_b (198.18.77.2, 2001:2:77::2)"
else
	b4=127.0.0.1
	b6=::1
fi

# Identities: one key file per node, 0600, as `drift keygen` writes them.
"$drift" keygen --out "$work/a.key" >/dev/null || fail "drift keygen a"
"$drift" keygen --out "$work/b.key" >/dev/null || fail "drift keygen b"
b_pub=$("$drift" info --file "$work/b.key" | awk '/^public key:/ {print $3}')
a_pub=$("$drift" info --file "$work/a.key" | awk '/^public key:/ {print $3}')
[ ${#b_pub} -eq 64 ] || fail "could not read B's public key"
echo "node A public key $a_pub"
echo "node B public key $b_pub"

# Node B: listens on IPv6 wildcard (which carries IPv4 too), echoes, accepts A only.
bg_in_b "$drift" listen "[::]:51820" --peer "$a_pub" --key "$work/b.key" --echo \
	>"$work/listen.out" 2>"$work/listen.err" &
listener_pid=$!
for _ in $(seq 1 50); do
	grep -q '^listening on' "$work/listen.out" 2>/dev/null && break
	sleep 0.1
done
grep -q '^listening on' "$work/listen.out" || fail "listener did not start"
echo "node B: $(head -n1 "$work/listen.out")"

echo
echo "== node A -> B over IPv4: handshake, 10 echoed messages, close, resume"
in_a "$drift" ping --to "$b_pub@$b4:51820" --key "$work/a.key" -c 10 -i 20 --resume \
	>"$work/ping4.out" 2>&1 || { cat "$work/ping4.out"; fail "ping over IPv4"; }
cat "$work/ping4.out"
grep -q '^full handshake .*(full X25519 handshake)' "$work/ping4.out" || fail "no full handshake line"
grep -q '10 sent, 10 received, 0.0% loss, short header yes' "$work/ping4.out" || fail "IPv4 echo incomplete"
grep -q '^resumed handshake .*(1-RTT resumption with a ticket)' "$work/ping4.out" || fail "no resumption"
grep -q '(resumed session)' "$work/ping4.out" || fail "no data over the resumed session"

echo
echo "== node A -> B over IPv6: handshake and 5 echoed messages of 1200 bytes"
in_a "$drift" ping --to "$b_pub@[$b6]:51820" --key "$work/a.key" -c 5 -i 20 -s 1200 \
	>"$work/ping6.out" 2>&1 || { cat "$work/ping6.out"; fail "ping over IPv6"; }
cat "$work/ping6.out"
grep -q '5 sent, 5 received' "$work/ping6.out" || fail "IPv6 echo incomplete"

echo
echo "== node A -> B: a message from standard input, echoed back"
reply=$(echo "standard input crosses the veth" | in_a "$drift" send --to "$b_pub@$b4:51820" \
	--key "$work/a.key" --wait-reply -) || fail "drift send"
echo "reply: $reply"
[ "$reply" = "standard input crosses the veth" ] || fail "echo of stdin differs: \"$reply\""

echo
echo "== DoS cookies demanded from every HELLO, then a rekey mid-session (second listener)"
bg_in_b "$drift" listen "$b4:51821" --accept-any --cookies always --key "$work/b.key" --echo --count 1 \
	>"$work/cookie.out" 2>"$work/cookie.err" &
cookie_pid=$!
for _ in $(seq 1 50); do
	grep -q '^listening on' "$work/cookie.out" 2>/dev/null && break
	sleep 0.1
done
reply=$(printf 'first-then-rekeyed' | in_a "$drift" send --to "$b_pub@$b4:51821" --ephemeral \
	--rekey --wait-reply -) || fail "drift send with cookies and rekey"
echo "reply after cookie challenge: $reply"
[ "$reply" = "first-then-rekeyed" ] || fail "cookie/rekey echo differs"
wait "$cookie_pid" 2>/dev/null
cookie_pid=

echo
echo "== an identity B does not accept gets no session"

if in_a "$drift" send --to "$b_pub@$b4:51820" --ephemeral --timeout 600 "intruder" 2>"$work/intruder.err"; then
	fail "a stranger completed a handshake"
fi
echo "stranger refused: $(cat "$work/intruder.err")"

kill "$listener_pid"
wait "$listener_pid" 2>/dev/null
listener_pid=
echo
echo "== node B saw"
grep -c 'bytes:' "$work/listen.out" | xargs echo "messages printed by the listener:"
cat "$work/listen.err"
grep -q "intruder" "$work/listen.out" && fail "the stranger's message was delivered"
echo
echo "PASS: two nodes, IPv4 and IPv6, handshake, echo both ways, resumption, stdin, cookies, rekey"
exit 0
