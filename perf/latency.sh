#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Round trip and handshake time of the README's main-job path, next to a raw
# UDP ping-pong on the same veth pair, run alternately ROUNDS times so a
# drifting machine affects both alike. Prints a markdown table to append to
# perf/RESULTS.md. Needs root (network namespaces). The full harness of
# perf/ (baselines, throughput, charts) is the Perf harness issue.
#
#   netns dl-a-PID 198.18.78.1 <-veth-> netns dl-b-PID 198.18.78.2
#
# Usage: perf/latency.sh BUILD_DIR [ROUNDS] [COUNT]
set -eu
build=$(readlink -f "${1:?usage: latency.sh BUILD_DIR [ROUNDS] [COUNT]}")
rounds=${2:-3}
count=${3:-2000}
tag=$$
a=dl-a-$tag
b=dl-b-$tag
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add "$a"
ip netns add "$b"
ip link add "la$tag" netns "$a" type veth peer name "lb$tag" netns "$b"
ip -n "$a" addr add 198.18.78.1/24 dev "la$tag"
ip -n "$b" addr add 198.18.78.2/24 dev "lb$tag"
ip -n "$a" link set "la$tag" up
ip -n "$b" link set "lb$tag" up

drift=$build/tools/drift
"$drift" keygen --out "$work/b.key" >/dev/null
pub=$("$drift" info --file "$work/b.key" | awk '/^public key:/ {print $3}')
ip netns exec "$b" "$drift" listen 198.18.78.2:9000 --accept-any --echo --quiet --key "$work/b.key" >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$b" "$build/perf/udp_pingpong" server 198.18.78.2:9001 &
pids+=($!)
sleep 0.5

echo "| round | system | handshake ms | rtt p50 ms | rtt p99 ms | rtt avg ms |"
echo "|---|---|---:|---:|---:|---:|"
for r in $(seq 1 "$rounds"); do
	out=$(ip netns exec "$a" "$drift" ping --to "$pub@198.18.78.2:9000" --ephemeral -c "$count" -i 0)
	hs=$(echo "$out" | sed -n 's/^full handshake .*: \([0-9.]*\) ms.*/\1/p')
	stats=$(echo "$out" | sed -n 's|^rtt min/avg/p50/p99/max = \([^ ]*\) ms|\1|p')
	IFS=/ read -r mn avg p50 p99 mx <<<"$stats"
	echo "| $r | drift-c embedded (drift ping) | $hs | $p50 | $p99 | $avg |"
	stats=$(ip netns exec "$a" "$build/perf/udp_pingpong" client 198.18.78.2:9001 "$count" 64 |
		sed -n 's|^rtt min/avg/p50/p99/max = \([^ ]*\) ms|\1|p')
	IFS=/ read -r mn avg p50 p99 mx <<<"$stats"
	echo "| $r | raw UDP ping-pong (blocking) | - | $p50 | $p99 | $avg |"
done
