#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# drift-vpn end to end: a hub (H) and two spokes (A, B) on one switched
# segment, each brought up by `drift-vpn up` from a WireGuard-style config.
# Every step is checked:
#   1. ping both ways over IPv4 and IPv6 (A <-> H)
#   2. iperf3 TCP and UDP A -> H through the tunnel; `drift-vpn show dump`
#      on H counts at least the bytes iperf3 moved
#   3. the hub forwards: ping and iperf3 TCP A -> B through H (B runs its
#      dataplane on the xsk port: AF_XDP under the TUN)
#   4. a packet whose inner source A does not own is dropped by H and
#      counted (tun_spoof, read from H's Prometheus endpoint)
#   5. A's underlay address changes: H follows the new endpoint (show, qlog)
#   6. PersistentKeepalive: A's driftd keeps pinging (qlog); no live session
#      was ever restarted; then H restarts (down + up) and A and B, whose
#      sessions H forgot, notice the silence (15 s) and handshake again
#   7. `drift-vpn doctor` as an unprivileged user names the TUN problem
#   8. install/uninstall into a scratch root
#   9. `drift-vpn down` removes the interfaces, routes, daemons and files
#
#   netns dva-PID        netns dvh-PID (hub)    netns dvb-PID
#   198.18.91.1/24       198.18.91.3/24         198.18.91.2/24
#   tun 10.77.0.1        tun 10.77.0.3          tun 10.77.0.2
#        │ va                  │ vh                     │ vb
#        └──────────── netns dvs-PID: bridge br0 ───────┘
#
# Usage: vpn_netns.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (no network namespaces or no TUN).
set -u
build=$(readlink -f "${1:?usage: vpn_netns.sh BUILD_DIR}")
vpn=$build/tools/drift-vpn
tag=$$
declare -A ns=([a]=dva-$tag [h]=dvh-$tag [b]=dvb-$tag [s]=dvs-$tag)
declare -A ip=([a]=198.18.91.1 [h]=198.18.91.3 [b]=198.18.91.2)
declare -A tun4=([a]=10.77.0.1 [h]=10.77.0.3 [b]=10.77.0.2)
declare -A tun6=([a]=fd77::1 [h]=fd77::3 [b]=fd77::2)
declare -A dev=([a]=va [h]=vh [b]=vb)
declare -A ifn=([a]=dva [h]=dvh [b]=dvb)
work=$(mktemp -d /tmp/drift-vpn-netns.XXXXXX)
chmod 755 "$work"
metrics_port=9586

on() {
	local side=$1
	shift
	DRIFT_RUN_DIR=$work/run-$side ip netns exec "${ns[$side]}" "$@"
}

cleanup() {
	for h in a h b; do
		[ -d "$work/run-$h" ] && on "$h" "$vpn" down "$work/${ifn[$h]}.conf" >/dev/null 2>&1
	done
	pkill -f "iperf3 -s -B 10.77" 2>/dev/null
	for h in a h b s; do
		ip netns del "${ns[$h]}" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	for h in a h b; do
		[ -d "$work/run-$h/${ifn[$h]}" ] || continue
		on "$h" "$vpn" show "${ifn[$h]}" 2>&1 | sed "s/^/  show $h: /" >&2
		for f in "$work/run-$h/${ifn[$h]}"/*.log; do
			[ -s "$f" ] && tail -n 8 "$f" | sed "s|^|  $h $(basename "$f"): |" >&2
		done
	done
	exit 1
}
step() { echo "== $*"; }

metrics() { # SIDE: H's Prometheus text (bash's /dev/tcp, no curl needed)
	on "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$metrics_port && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3"
}
# wait_ping SIDE ADDR SECONDS: one ping at a time until one is answered (a handshake may be due).
wait_ping() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt "$end" ]; do
		on "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
dump_peer() { # SIDE PUB FIELD: field of the peer's line in `show dump` (1 = key)
	on "$1" "$vpn" show "${ifn[$1]}" dump | awk -F'\t' -v k="$2" -v f="$3" '$1 == k { print $f; exit }'
}

[ -x "$vpn" ] || fail "missing $vpn (build first)"
for t in iperf3 ping setpriv; do
	command -v "$t" >/dev/null || fail "missing $t: run tools/install-deps"
done
if ! ip netns add "${ns[s]}" 2>"$work/netns.err"; then
	echo "SKIP: cannot create network namespaces: $(head -n1 "$work/netns.err") (needs root / CAP_SYS_ADMIN)"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: no /dev/net/tun on this machine (modprobe tun)"
	exit 77
fi
ip -n "${ns[s]}" link add br0 type bridge || fail "cannot create a bridge"
ip -n "${ns[s]}" link set br0 up
for h in a h b; do
	ip netns add "${ns[$h]}" || fail "ip netns add ${ns[$h]}"
	ip link add "${dev[$h]}" netns "${ns[$h]}" type veth peer name "s$h" netns "${ns[s]}" ||
		fail "cannot create a veth pair"
	ip -n "${ns[s]}" link set "s$h" master br0 up
	ip -n "${ns[$h]}" addr add "${ip[$h]}/24" dev "${dev[$h]}"
	ip -n "${ns[$h]}" link set lo up
	ip -n "${ns[$h]}" link set "${dev[$h]}" up
	mkdir -p "$work/run-$h"
done
# The hub forwards between spokes through its TUN, as a WireGuard hub does.
on h sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

declare -A priv pub
for h in a h b; do
	priv[$h]=$("$vpn" genkey 2>/dev/null) || fail "drift-vpn genkey"
	pub[$h]=$(printf '%s\n' "${priv[$h]}" | "$vpn" pubkey) || fail "drift-vpn pubkey"
	[ ${#pub[$h]} = 64 ] || fail "cannot derive the public key of $h"
done

for s in a b; do
	cat >"$work/${ifn[$s]}.conf" <<CONF
# spoke $s
[Interface]
PrivateKey = ${priv[$s]}
Address = ${tun4[$s]}/24, ${tun6[$s]}/64
Qlog = $work/$s.qlog
$([ "$s" = b ] && printf 'Port = xsk\nDevice = %s' "${dev[b]}")

[Peer]
# the hub
PublicKey = ${pub[h]}
Endpoint = udp://${ip[h]}:51820
AllowedIPs = 10.77.0.0/24, fd77::/64
PersistentKeepalive = 1
CONF
done
cat >"$work/${ifn[h]}.conf" <<CONF
[Interface]
PrivateKey = ${priv[h]}
ListenPort = 51820
Address = ${tun4[h]}/24
Address = ${tun6[h]}/64
MetricsPort = $metrics_port
Qlog = $work/h.qlog

[Peer]
PublicKey = ${pub[a]}
AllowedIPs = ${tun4[a]}/32, ${tun6[a]}/128

[Peer]
PublicKey = ${pub[b]}
AllowedIPs = ${tun4[b]}/32, ${tun6[b]}/128
CONF
chmod 600 "$work"/*.conf

step "0. a config error names the file, line and key"
sed 's/^ListenPort = 51820/ListenPort = 70000/' "$work/${ifn[h]}.conf" >"$work/bad.conf"
chmod 600 "$work/bad.conf"
out=$(on h "$vpn" up "$work/bad.conf" 2>&1) && fail "up accepted ListenPort 70000"
echo "$out" | grep -q "bad.conf:3:.*ListenPort" || fail "unclear config error: $out"
echo "   $out" | head -n 1

step "0. drift-vpn up on H, A and B"
for h in h a b; do
	on "$h" "$vpn" up "$work/${ifn[$h]}.conf" >"$work/up-$h.log" 2>&1 ||
		fail "drift-vpn up $h: $(cat "$work/up-$h.log")"
	sed "s/^/   $h: /" "$work/up-$h.log" | tail -n 1
done

step "1. ping A <-> H over IPv4 and IPv6"
wait_ping a "${tun4[h]}" 20 || fail "A cannot reach H over the tunnel" # the first handshake takes a moment
on a ping -c 3 -i 0.2 -W 2 "${tun4[h]}" >/dev/null || fail "ping A -> H (v4)"
on h ping -c 3 -i 0.2 -W 2 "${tun4[a]}" >/dev/null || fail "ping H -> A (v4)"
on a ping -6 -c 3 -i 0.2 -W 2 "${tun6[h]}" >/dev/null || fail "ping A -> H (v6)"
on h ping -6 -c 3 -i 0.2 -W 2 "${tun6[a]}" >/dev/null || fail "ping H -> A (v6)"
echo "   v4 and v6, both ways: ok"

step "2. iperf3 TCP and UDP A -> H, confirmed by drift-vpn show"
on h iperf3 -s -B "${tun4[h]}" -D --logfile "$work/iperf3-h.log" || fail "iperf3 server on H"
sleep 0.5
rx0=$(dump_peer h "${pub[a]}" 5)
on a iperf3 -c "${tun4[h]}" -n 64M -J >"$work/tcp.json" || fail "iperf3 TCP through the tunnel: $(tail -n 5 "$work/tcp.json")"
tcp_bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$work/tcp.json")
tcp_mbps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$work/tcp.json")
on a iperf3 -c "${tun4[h]}" -u -b 200M -l 1280 -t 2 -J >"$work/udp.json" || fail "iperf3 UDP through the tunnel"
udp=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["end"]["sum"]; print(int(s["bytes"]), s["lost_percent"])' "$work/udp.json")
sleep 0.3
rx1=$(dump_peer h "${pub[a]}" 5)
[ -n "$rx0" ] && [ -n "$rx1" ] || fail "drift-vpn show dump on H has no line for A"
moved=$((rx1 - rx0))
[ "$tcp_bytes" -ge $((60 * 1024 * 1024)) ] || fail "iperf3 TCP received only $tcp_bytes of 64 MiB"
[ "$moved" -ge "$tcp_bytes" ] || fail "H's show counted $moved bytes from A, iperf3 moved $tcp_bytes"
echo "   TCP: $tcp_bytes bytes at $tcp_mbps Mb/s; UDP: ${udp% *} bytes sent, ${udp#* }% lost; H counted $moved bytes from A"
on h "$vpn" show "${ifn[h]}" | sed 's/^/   /' | head -n 14

step "3. the hub forwards A -> B"
wait_ping a "${tun4[b]}" 20 || fail "A cannot reach B through the hub"
on a ping -6 -c 3 -i 0.2 -W 2 "${tun6[b]}" >/dev/null || fail "ping A -> B (v6) through the hub"
on b iperf3 -s -B "${tun4[b]}" -D --logfile "$work/iperf3-b.log" || fail "iperf3 server on B"
sleep 0.5
on a iperf3 -c "${tun4[b]}" -t 2 -J >"$work/hub.json" || fail "iperf3 TCP A -> B through the hub"
hub_bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$work/hub.json")
[ "$hub_bytes" -ge $((1024 * 1024)) ] || fail "A -> B moved only $hub_bytes bytes"
b_port=$(on b "$vpn" show "${ifn[b]}" dump | awk -F'\t' 'NR == 1 { print $4 }')
[ "$b_port" = xsk ] || fail "B runs on the $b_port port, wanted xsk (Port = xsk)"
echo "   ping v4/v6 and $hub_bytes bytes TCP A -> H -> B (B on the $b_port port)"

step "4. a spoofed inner source is dropped by H"
spoof0=$(metrics h | awk -F' ' '/^drift_drops_total\{reason="tun_spoof"\}/ { print $2 }')
[ -n "$spoof0" ] || fail "H's metrics endpoint has no tun_spoof counter: $(metrics h | head -n 5)"
on a ip addr add 10.77.0.99/32 dev "${ifn[a]}"
on a ping -c 3 -i 0.2 -W 1 -I 10.77.0.99 "${tun4[h]}" >/dev/null 2>&1 && fail "H answered a spoofed source"
sleep 0.3
spoof1=$(metrics h | awk -F' ' '/^drift_drops_total\{reason="tun_spoof"\}/ { print $2 }')
[ "$spoof1" -ge $((spoof0 + 3)) ] || fail "H counted $((spoof1 - spoof0)) spoofed packets, want 3"
on a ip addr del 10.77.0.99/32 dev "${ifn[a]}"
metrics h | grep -q "^drift_peer_rx_bytes_total{peer=\"${pub[a]}\"}" || fail "no per-peer metrics"
echo "   3 packets from 10.77.0.99 dropped (tun_spoof $spoof0 -> $spoof1); metrics served"

step "5. A moves to another address: H follows"
on a ip addr del "${ip[a]}/24" dev va
on a ip addr add 198.18.91.11/24 dev va
wait_ping a "${tun4[h]}" 20 || fail "A lost the tunnel after moving"
for _ in $(seq 1 30); do
	ep=$(dump_peer h "${pub[a]}" 2)
	[ "${ep%:*}" = 198.18.91.11 ] && break
	on a ping -c 1 -W 1 "${tun4[h]}" >/dev/null 2>&1
	sleep 0.2
done
[ "${ep%:*}" = 198.18.91.11 ] || fail "H still sends to A at $ep"
grep -q '"drift:path_migrated"' "$work/h.qlog" || fail "H's qlog has no path_migrated event"
on h ping -c 2 -i 0.2 -W 2 "${tun4[a]}" >/dev/null || fail "H cannot reach A at its new address"
echo "   H sends to A at $ep now; qlog: $(grep -c . "$work/h.qlog") events"

step "6. PersistentKeepalive"
sleep 2.5
n=$(grep -c '"vpn:keepalive"' "$work/a.qlog")
[ "$n" -ge 2 ] || fail "A sent $n keepalives in 2.5 s with PersistentKeepalive = 1"
grep -q '"drift:session_established"' "$work/a.qlog" || fail "A's qlog has no session_established"
echo "   $n keepalives logged by A"

step "6b. H restarts (down + up): the spokes notice the silence and handshake again"
n=$(grep -c '"vpn:peer_unresponsive"' "$work/a.qlog")
[ "$n" -eq 0 ] || fail "A restarted a live session $n times before H went away"
on h "$vpn" down "$work/${ifn[h]}.conf" >/dev/null 2>&1 || fail "down H"
on h "$vpn" up "$work/${ifn[h]}.conf" >"$work/up-h2.log" 2>&1 || fail "up H again: $(cat "$work/up-h2.log")"
t0=$(date +%s)
wait_ping a "${tun4[h]}" 40 || fail "A did not get back to the restarted H" # 15 s of silence, then a new handshake
grep -q '"vpn:peer_unresponsive"' "$work/a.qlog" || fail "A's qlog has no peer_unresponsive event"
wait_ping a "${tun4[b]}" 20 || fail "A cannot reach B through the restarted H"
metrics h | grep -q "^drift_peer_up{peer=\"${pub[b]}\".*} 1" || fail "B is not up on the restarted H"
early=$(metrics h | awk '/^drift_tun_early_packets_total/ { print $2 }')
echo "   A and B back through H $(($(date +%s) - t0)) s after H restarted (A's qlog: peer_unresponsive;" \
	"packets H's driftd opened before install, written to its TUN: ${early:-0})"

step "7. doctor without TUN permission"
out=$(on h setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$vpn" doctor 2>&1) && fail "doctor passed without privileges: $out"
echo "$out" | grep -q "FAIL.*tun.*CAP_NET_ADMIN" || fail "doctor did not name the TUN problem: $out"
echo "$out" | grep -q "FAIL.*capabilities.*CAP_NET_ADMIN missing" || fail "doctor did not name the capability: $out"
echo "$out" | grep "tun " | sed 's/^/   /'
out=$(on h "$vpn" doctor "$work/${ifn[a]}.conf" 2>&1) || fail "doctor as root failed: $out"
echo "$out" | grep -q "^\[ok  \] tun" || fail "doctor as root: $out"

step "8. install / uninstall (scratch root)"
on h "$vpn" install "$work/${ifn[b]}.conf" --root "$work/root" >/dev/null || fail "install"
[ -f "$work/root/etc/drift/${ifn[b]}.conf" ] || fail "install did not copy the config"
[ "$(stat -c %a "$work/root/etc/drift/${ifn[b]}.conf")" = 600 ] || fail "installed config not 0600"
grep -q "ExecStart=.*drift-vpn up %i" "$work/root/etc/systemd/system/drift-vpn@.service" || fail "unit"
[ -L "$work/root/etc/systemd/system/multi-user.target.wants/drift-vpn@${ifn[b]}.service" ] ||
	fail "install did not enable drift-vpn@${ifn[b]}"
on h "$vpn" uninstall "${ifn[b]}" --root "$work/root" >/dev/null || fail "uninstall"
[ -e "$work/root/etc/systemd/system/multi-user.target.wants/drift-vpn@${ifn[b]}.service" ] &&
	fail "uninstall left the unit enabled"
echo "   unit written, enabled and disabled"

step "9. drift-vpn down removes everything"
pkill -f "iperf3 -s -B 10.77" 2>/dev/null
for h in a h b; do
	on "$h" "$vpn" down "$work/${ifn[$h]}.conf" >"$work/down-$h.log" 2>&1 ||
		fail "down $h: $(cat "$work/down-$h.log")"
	on "$h" ip link show "${ifn[$h]}" >/dev/null 2>&1 && fail "$h: interface left after down"
	on "$h" ip route show | grep -q "10.77" && fail "$h: route left after down"
	[ -e "$work/run-$h/${ifn[$h]}" ] && fail "$h: run folder left after down"
	pgrep -f "name ${ifn[$h]} " >/dev/null && fail "$h: daemon left after down"
	on "$h" ip link show "${dev[$h]}" | grep -q xdp && fail "$h: XDP program left on ${dev[$h]} after down"
	sed "s/^/   /" "$work/down-$h.log"
done
rm -rf "$work/run-a" "$work/run-h" "$work/run-b"
echo "PASS"
