#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Network namespaces for perf/run, named after a tag (perf/run passes its
# PID) so that parallel runs and leftovers never collide. Addresses come only
# from the benchmarking ranges 198.18.0.0/15 and 2001:2::/48 and exist only
# inside these namespaces; nothing is configured in the caller's namespace.
# It does not start any program in the namespaces: perf/run does.
#
#   two:    pa-TAG 198.18.0.1 2001:2:0:1::1 ══veth══ pb-TAG 198.18.0.2 2001:2:0:1::2
#
#   three:  pa-TAG ══veth══ pm-TAG (forwarding) ══veth══ pb-TAG
#           198.18.1.1      198.18.1.2 | 198.18.2.2      198.18.2.1
#           2001:2:0:11::1  ::2        | 2001:2:0:12::2  2001:2:0:12::1
#
#   switch: pa-TAG, pm-TAG, pb-TAG each with one veth (va/vm/vb-TAG) into a
#           bridge in ps-TAG: 198.18.3.1, .2, .3 on one segment, so a DRIFT
#           relay in pm has one interface (one drift-dp xsk port) for both sides
#
# Every veth has $QUEUES (default 2) RX and TX queues: drift-dp's xsk port runs a
# worker per RX queue.
#
# Usage: perf/topo.sh two TAG | three TAG | switch TAG | down TAG
# Exit: 0 done, 1 a step failed (whatever was created is removed again).
set -u
cmd=${1:?usage: topo.sh two|three|switch|down TAG}
tag=${2:?usage: topo.sh two|three|switch|down TAG}
a=pa-$tag
b=pb-$tag
m=pm-$tag
sw=ps-$tag
queues=${QUEUES:-2}
case "$queues" in '' | *[!0-9]*) echo "topo.sh: QUEUES must be a number" >&2; exit 2 ;; esac

down() {
	for ns in "$a" "$b" "$m" "$sw"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

fail() {
	echo "topo.sh: $*" >&2
	down
	exit 1
}

# link NS1 IF1 NS2 IF2: a veth pair between two namespaces, DAD off (a
# tentative address would hold the first packets for ~1 s).
link() {
	ip link add "$2" numtxqueues "$queues" numrxqueues "$queues" netns "$1" type veth \
		peer name "$4" numtxqueues "$queues" numrxqueues "$queues" netns "$3" || fail "veth $2/$4"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
	ip netns exec "$3" sysctl -qw "net.ipv6.conf.$4.accept_dad=0"
	ip -n "$1" link set "$2" up || fail "link up $2"
	ip -n "$3" link set "$4" up || fail "link up $4"
}

# wait_ll NS IF: until the interface's link-local address is no longer
# tentative (addrconf saw the carrier), at most 5 s.
wait_ll() {
	for _ in $(seq 1 50); do
		if ip -n "$1" -6 addr show dev "$2" scope link 2>/dev/null | grep inet6 |
			grep -vq tentative; then
			return 0
		fi
		sleep 0.1
	done
	echo "topo.sh: warning: $2 in $1 has no usable IPv6 link-local address after 5 s" >&2
}

make_ns() {
	for ns in "$@"; do
		ip netns add "$ns" || fail "cannot create namespace $ns (root needed)"
		ip -n "$ns" link set lo up
	done
}

case "$cmd" in
two)
	make_ns "$a" "$b"
	link "$a" "va-$tag" "$b" "vb-$tag"
	ip -n "$a" addr add 198.18.0.1/24 dev "va-$tag" || fail "address"
	ip -n "$b" addr add 198.18.0.2/24 dev "vb-$tag" || fail "address"
	ip -n "$a" addr add 2001:2:0:1::1/64 dev "va-$tag" nodad || fail "address"
	ip -n "$b" addr add 2001:2:0:1::2/64 dev "vb-$tag" nodad || fail "address"
	wait_ll "$a" "va-$tag"
	wait_ll "$b" "vb-$tag"
	;;
three)
	make_ns "$a" "$m" "$b"
	link "$a" "va-$tag" "$m" "vma-$tag"
	link "$m" "vmb-$tag" "$b" "vb-$tag"
	ip -n "$a" addr add 198.18.1.1/24 dev "va-$tag" || fail "address"
	ip -n "$m" addr add 198.18.1.2/24 dev "vma-$tag" || fail "address"
	ip -n "$m" addr add 198.18.2.2/24 dev "vmb-$tag" || fail "address"
	ip -n "$b" addr add 198.18.2.1/24 dev "vb-$tag" || fail "address"
	ip -n "$a" addr add 2001:2:0:11::1/64 dev "va-$tag" nodad || fail "address"
	ip -n "$m" addr add 2001:2:0:11::2/64 dev "vma-$tag" nodad || fail "address"
	ip -n "$m" addr add 2001:2:0:12::2/64 dev "vmb-$tag" nodad || fail "address"
	ip -n "$b" addr add 2001:2:0:12::1/64 dev "vb-$tag" nodad || fail "address"
	ip netns exec "$m" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$m" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$a" route add 198.18.2.0/24 via 198.18.1.2 || fail "route"
	ip -n "$b" route add 198.18.1.0/24 via 198.18.2.2 || fail "route"
	ip -n "$a" -6 route add 2001:2:0:12::/64 via 2001:2:0:11::2 || fail "route"
	ip -n "$b" -6 route add 2001:2:0:11::/64 via 2001:2:0:12::2 || fail "route"
	for x in "$a va-$tag" "$m vma-$tag" "$m vmb-$tag" "$b vb-$tag"; do
		# shellcheck disable=SC2086
		wait_ll $x
	done
	;;
switch)
	make_ns "$a" "$m" "$b" "$sw"
	ip -n "$sw" link add br0 type bridge || fail "bridge"
	ip -n "$sw" link set br0 up
	n=1
	for x in "$a va" "$m vm" "$b vb"; do
		set -- $x
		link "$1" "$2-$tag" "$sw" "s$2-$tag"
		ip -n "$sw" link set "s$2-$tag" master br0 || fail "bridge port"
		ip -n "$1" addr add "198.18.3.$n/24" dev "$2-$tag" || fail "address"
		n=$((n + 1))
	done
	;;
down)
	down
	;;
*)
	echo "usage: topo.sh two|three|switch|down TAG" >&2
	exit 2
	;;
esac
