#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# perf/vpn_profile.sh [udp|tcp] [BUILD]: where drift-vpn's time goes. Two
# namespaces joined by one veth, `drift-vpn up` from a config file on each,
# iperf3 through the tunnel for 8 s (udp: -u -b 0 -l 1400; tcp: default
# writes) while `perf record -a -g` samples 4 s of it; prints iperf3's
# summary, the sending TUN's drop counter and the top symbols per command.
# Needs root and linux-perf; everything it makes is removed at exit.
set -u
mode=${1:-udp}
build=$(readlink -f "${2:-build-release}")
vpn=$build/tools/drift-vpn
w=$(mktemp -d /tmp/drift-vpn-prof.XXXXXX)
chmod 755 "$w"
cleanup() {
	for s in a b; do
		[ -d "$w/r$s" ] && DRIFT_RUN_DIR=$w/r$s ip netns exec "vp$s-$$" "$vpn" down "$w/dp$s.conf" >/dev/null 2>&1
	done
	pkill -f "iperf3 -s -D -B 198.20.9" 2>/dev/null
	ip netns del "vpa-$$" 2>/dev/null
	ip netns del "vpb-$$" 2>/dev/null
	rm -rf "$w"
}
trap cleanup EXIT INT TERM
[ -x "$vpn" ] || { echo "no $vpn: build first (meson setup build-release --buildtype=release)" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not installed: apt-get install linux-perf" >&2; exit 1; }
ip netns add "vpa-$$" && ip netns add "vpb-$$" || exit 1
ip link add va netns "vpa-$$" type veth peer name vb netns "vpb-$$"
ip -n "vpa-$$" addr add 198.18.9.1/24 dev va
ip -n "vpb-$$" addr add 198.18.9.2/24 dev vb
ip -n "vpa-$$" link set va up
ip -n "vpb-$$" link set vb up
ka=$("$vpn" genkey 2>/dev/null) && kb=$("$vpn" genkey 2>/dev/null) || exit 1
pa=$(echo "$ka" | "$vpn" pubkey) && pb=$(echo "$kb" | "$vpn" pubkey) || exit 1
conf() { # SIDE KEY ME PEERPUB PEER
	printf '[Interface]\nPrivateKey = %s\nListenPort = 51840\nAddress = 198.20.9.%s/24\n[Peer]\nPublicKey = %s\nEndpoint = 198.18.9.%s:51840\nAllowedIPs = 198.20.9.%s/32\n' \
		"$2" "$3" "$4" "$5" "$5" >"$w/dp$1.conf"
	chmod 600 "$w/dp$1.conf"
}
conf a "$ka" 1 "$pb" 2
conf b "$kb" 2 "$pa" 1
for s in a b; do
	DRIFT_RUN_DIR=$w/r$s ip netns exec "vp$s-$$" "$vpn" up "$w/dp$s.conf" >/dev/null || exit 1
done
for _ in $(seq 1 30); do
	ip netns exec "vpa-$$" ping -c 1 -W 1 198.20.9.2 >/dev/null 2>&1 && break
	sleep 0.2
done
ip netns exec "vpb-$$" iperf3 -s -D -B 198.20.9.2 --logfile "$w/server.log"
sleep 0.3
flags=()
[ "$mode" = udp ] && flags=(-u -b 0 -l 1400)
ip netns exec "vpa-$$" iperf3 -c 198.20.9.2 "${flags[@]}" -t 8 >"$w/client.log" &
sleep 2
perf record -a -g -o "$w/perf.data" sleep 4 >/dev/null 2>&1
wait
tail -n 4 "$w/client.log"
ip -n "vpa-$$" -s link show dpa | sed -n '1,8p'
perf report -i "$w/perf.data" --no-children --sort comm,dso,sym 2>/dev/null | grep -v '^#' |
	grep -v '^ *|\|^ *--\|^$' | head -n 30
