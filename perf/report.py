#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# The report step of perf/run: reads RESULTS_DIR/raw.tsv (one line per
# measurement and round), writes RESULTS_DIR/summary.tsv (median, min, max
# per case/system/payload/metric), the gnuplot data files (goodput.dat,
# scale.dat, cdf_*.dat) and prints the markdown section for perf/RESULTS.md.
# It measures nothing and never invents a number: a cell without a
# measurement prints n/a with the reason recorded in raw.tsv.
import argparse
import collections
import os
import statistics
import sys

ap = argparse.ArgumentParser()
ap.add_argument("dir")
for opt in ("command", "kernel", "cpu", "rounds", "duration", "elapsed", "date"):
    ap.add_argument("--" + opt, default="")
args = ap.parse_args()

vals = collections.OrderedDict()
notes = {}
with open(os.path.join(args.dir, "raw.tsv")) as f:
    next(f)
    for line in f:
        p = line.rstrip("\n").split("\t")
        if len(p) < 7:
            continue
        _, case, system, payload, metric, value, unit = p[:7]
        note = p[7] if len(p) > 7 else ""
        key = (case, system, payload, metric)
        vals.setdefault(key, [])
        try:
            vals[key].append(float(value))
        except ValueError:
            pass
        if note:
            notes[key] = note
        notes.setdefault(key + ("unit",), unit)


def stat(case, system, payload, metric):
    v = sorted(vals.get((case, system, payload, metric), []))
    if not v:
        return None
    return statistics.median(v), v[0], v[-1], len(v)


def cell(case, system, payload, metric, fmt="{:.1f}"):
    s = stat(case, system, payload, metric)
    if s is None:
        note = notes.get((case, system, payload, metric)) or notes.get(
            (case, system, payload, "goodput"), "not measured")
        return "n/a (%s)" % note
    med, lo, hi, n = s
    if n == 1:
        return fmt.format(med)
    return (fmt + " ({}–{})").format(med, fmt.format(lo), fmt.format(hi))


def med(case, system, payload, metric):
    s = stat(case, system, payload, metric)
    return s[0] if s else None


with open(os.path.join(args.dir, "summary.tsv"), "w") as f:
    f.write("case\tsystem\tpayload\tmetric\tunit\tmedian\tmin\tmax\tn\tnote\n")
    for key in vals:
        s = stat(*key)
        unit = notes.get(key + ("unit",), "")
        if s:
            f.write("%s\t%s\t%s\t%s\t%s\t%g\t%g\t%g\t%d\t%s\n" % (key + (unit,) + s + (notes.get(key, ""),)))
        else:
            f.write("%s\t%s\t%s\t%s\t%s\tn/a\tn/a\tn/a\t0\t%s\n" % (key + (unit, notes.get(key, ""))))

DP = "drift-c dataplane (udp port)"
DPX = "drift-c dataplane (xsk)"
VPN = ["drift-vpn udp", "drift-vpn tcp", "drift-vpn xsk udp", "drift-vpn xsk tcp"]
systems = ["raw UDP", "raw TCP", "wireguard-go udp", "wireguard-go tcp"] + VPN + [
    "drift-c", "drift-c batch API (32)", DP, DPX]
payloads = []
for (case, _, payload, _) in vals:
    if case == "goodput" and payload not in payloads:
        payloads.append(payload)

# gnuplot data: one row per payload, one column (median, min, max) per system
with open(os.path.join(args.dir, "goodput.dat"), "w") as f:
    f.write("# payload " + " ".join('"%s" min max' % s for s in systems) + "\n")
    for p in payloads:
        row = [p]
        for s in systems:
            st = stat("goodput", s, p, "goodput")
            row += ["%g" % x for x in st[:3]] if st else ["0"] * 3
        f.write(" ".join(row) + "\n")
# The goodput chart's plot command names only systems with data, so a
# missing baseline leaves a gap in the legend instead of failing the chart.
with open(os.path.join(args.dir, "goodput_plot.gp"), "w") as f:
    parts = []
    for i, s in enumerate(systems):
        if any(stat("goodput", s, p, "goodput") for p in payloads):
            c = 2 + 3 * i
            parts.append('"goodput.dat" using %d:%d:%d%s title "%s"' % (
                c, c + 1, c + 2, ":xtic(1)" if not parts else "", s))
    f.write("plot " + ", \\\n     ".join(parts) + "\n" if parts else "print \"no goodput data\"\n")
with open(os.path.join(args.dir, "scale.dat"), "w") as f:
    f.write("# sessions goodput min max rss_mib min max\n")
    for n in ("1", "100", "10000"):
        g = stat("scale", "drift-c", n, "goodput")
        m = stat("scale", "drift-c", n, "rss")
        if g:
            f.write("%s %g %g %g %s\n" % (n, g[0], g[1], g[2],
                                          " ".join("%g" % x for x in m[:3]) if m else "NaN NaN NaN"))


def cdf(prefix, dst, scale=1.0):
    xs = []
    for name in sorted(os.listdir(args.dir)):
        if name.startswith(prefix):
            with open(os.path.join(args.dir, name)) as f:
                xs += [float(x) * scale for x in f.read().split()]
    xs.sort()
    with open(os.path.join(args.dir, dst), "w") as f:
        for i, x in enumerate(xs):
            f.write("%g %g\n" % (x, (i + 1) / len(xs)))
        if not xs:
            f.write("NaN NaN\n")


cdf("hs_samples_r", "cdf_hs.dat", 1e-3)  # µs -> ms
cdf("rtt_drift_r", "cdf_rtt.dat")

out = sys.stdout.write
out("## Harness run (perf/run): goodput, handshakes, round trip, scale, relay\n\n")
out("- Command: `%s` (%s rounds, %s s per timed case, %s s in all)\n" % (
    args.command, args.rounds, args.duration, args.elapsed))
out("- Date: %s; kernel %s; CPU: %s\n" % (args.date, args.kernel, args.cpu))
out("- Topology: two network namespaces joined by one veth pair (perf/topo.sh); "
    "raw files: `perf/results/%s/`\n" % os.path.basename(args.dir.rstrip("/")))
out("- Cells: median (min–max) over the rounds; systems alternate within each round.\n\n")

out("### Goodput, one flow, receiver side\n\n")
out("Payload \"bulk\": iperf3's default 128 KiB writes (TCP systems only).\n\n")
out("| payload B | system | goodput Mb/s | kpps | loss % | CPU s/GB sender | CPU s/GB receiver |\n")
out("|---:|---|---:|---:|---:|---:|---:|\n")
for p in payloads:
    for s in systems:
        if not any(k[:3] == ("goodput", s, p) for k in vals):
            continue
        tcp = "tcp" in s.lower()
        label = p
        if s.startswith("drift-c") and notes.get(("goodput", s, p, "goodput"), "").startswith("1348"):
            label = "%s (1348)" % p
        out("| %s | %s | %s | %s | %s | %s | %s |\n" % (
            label, s, cell("goodput", s, p, "goodput"),
            "-" if tcp else cell("goodput", s, p, "kpps"),
            "-" if tcp else cell("goodput", s, p, "loss", "{:.2f}"),
            cell("goodput", s, p, "cpu_tx", "{:.2f}"), cell("goodput", s, p, "cpu_rx", "{:.2f}")))
out("\nRatios of medians (goodput):\n\n")
for p in payloads:
    if p == "bulk":  # TCP systems only: no UDP or drift-c row to compare with
        continue
    u = med("goodput", "raw UDP", p, "goodput")
    w = med("goodput", "wireguard-go udp", p, "goodput")
    for s in ("drift-c", "drift-c batch API (32)", DP, DPX):
        d = med("goodput", s, p, "goodput")
        r1 = "%.2f" % (d / u) if d and u else "n/a"
        r2 = "%.2f" % (d / w) if d and w else "n/a"
        out("- %s B: %s / raw UDP = **%s**; %s / wireguard-go (UDP inside) = **%s**\n" % (
            p, s, r1, s, r2))

out("\ndrift-vpn / wireguard-go (iperf3 through each tunnel, medians; CPU s/GB of the "
    "tunnel daemons plus iperf3, sender / receiver):\n\n")
for p in payloads:
    for proto in ("udp", "tcp"):
        w = med("goodput", "wireguard-go " + proto, p, "goodput")
        for s in ("drift-vpn " + proto, "drift-vpn xsk " + proto):
            d = med("goodput", s, p, "goodput")
            if not d or not w:
                continue
            out("- %s B %s: %s %.0f Mb/s vs wireguard-go %.0f Mb/s = **%.2fx**; CPU s/GB %s / %s "
                "vs %s / %s\n" % (
                    p, proto.upper(), s, d, w, d / w,
                    cell("goodput", s, p, "cpu_tx", "{:.2f}"), cell("goodput", s, p, "cpu_rx", "{:.2f}"),
                    cell("goodput", "wireguard-go " + proto, p, "cpu_tx", "{:.2f}"),
                    cell("goodput", "wireguard-go " + proto, p, "cpu_rx", "{:.2f}")))

for sys_ in (DP, DPX):
    out("\nRatios of medians (packets/s, %s / raw UDP):\n\n" % sys_)
    for p in payloads:
        if p == "bulk":
            continue
        u = med("goodput", "raw UDP", p, "kpps")
        d = med("goodput", sys_, p, "kpps")
        if d and u:
            out("- %s B: **%.2f** (%.1f vs %.1f kpps)\n" % (p, d / u, d, u))

out("\n### Handshakes\n\n")
out("| system | metric | value |\n|---|---|---:|\n")
for (case, s, p, m) in vals:
    if case != "handshake":
        continue
    unit = notes.get((case, s, p, m, "unit"), "")
    fmt = "{:.3f}" if unit == "ms" else "{:.0f}"
    out("| %s | %s (%s) | %s |\n" % (s, m, unit, cell(case, s, p, m, fmt)))

out("\n### Round trip, 64-byte messages, one in flight\n\n")
out("| system | p50 ms | p99 ms |\n|---|---:|---:|\n")
RTT_SYSTEMS = ("drift-c (drift ping)", "drift-c busy-poll 50us (drift ping)",
               "drift-c dataplane (dp-ping)", "drift-c dataplane, xsk (dp-ping)",
               "raw UDP (udp_pingpong)")
for s in RTT_SYSTEMS:
    out("| %s | %s | %s |\n" % (s, cell("rtt", s, "64", "rtt_p50", "{:.3f}"),
                                cell("rtt", s, "64", "rtt_p99", "{:.3f}")))
u = med("rtt", "raw UDP (udp_pingpong)", "64", "rtt_p50")
for s in RTT_SYSTEMS[:4]:
    d = med("rtt", s, "64", "rtt_p50")
    if d and u:
        out("\n%s / raw UDP round trip p50 = **%.2f**\n" % (s, d / u))

out("\n### Scale: sessions sharing one responder (embedded transport)\n\n")
out("| sessions | established | setup s | goodput Mb/s | loss % | responder VmRSS MiB | KiB per session |\n")
out("|---:|---:|---:|---:|---:|---:|---:|\n")
for n in ("1", "100", "10000"):
    out("| %s | %s | %s | %s | %s | %s | %s |\n" % (
        n, cell("scale", "drift-c", n, "established", "{:.0f}"),
        cell("scale", "drift-c", n, "setup_s", "{:.2f}"), cell("scale", "drift-c", n, "goodput"),
        cell("scale", "drift-c", n, "loss", "{:.2f}"), cell("scale", "drift-c", n, "rss"),
        cell("scale", "drift-c", n, "rss_per_session", "{:.2f}")))

out("\n### Scale: the dataplane (drift-dp + driftd) with 1 and 10 000 sessions\n\n")
out("A fresh drift-dp + driftd instance in B per row. *All sessions active*: engine-driven "
    "clients in A (one socket per session) send 1024-byte payloads round-robin and drift-dp "
    "in B counts what it opened (the sender is the limit). *One blast flow*: then one "
    "`drift blast` flow from A's dataplane (1348-byte payloads) with those sessions still "
    "installed.\n\n")
out("| sessions | installed | all sessions active: goodput Mb/s | loss % | one blast flow: goodput Mb/s |\n"
    "|---:|---:|---:|---:|---:|\n")
for n in ("1", "10000"):
    out("| %s | %s | %s | %s | %s |\n" % (
        n, cell("scale", "drift-c dataplane", n, "established", "{:.0f}"),
        cell("scale", "drift-c dataplane", n, "goodput"),
        cell("scale", "drift-c dataplane", n, "loss", "{:.2f}"),
        cell("scale", "drift-c dataplane, one blast flow", n, "goodput")))
for s_ in ("drift-c dataplane", "drift-c dataplane, one blast flow"):
    g1 = med("scale", s_, "1", "goodput")
    g2 = med("scale", s_, "10000", "goodput")
    if g1 and g2:
        out("\n%s: 10 000 sessions / 1 session goodput = **%.2f**\n" % (s_, g2 / g1))

out("\n### Relay through a middle host\n\n")
out("Raw UDP: routed by the kernel in a middle namespace (3-namespace topology). drift-c: "
    "three namespaces on one bridge (perf/topo.sh switch), all on the xsk port; one `drift "
    "blast` flow of 1348-byte payloads A -> B directly, and A -> M -> B where M re-seals "
    "each packet from its session with A onto its session with B in its dataplane.\n\n")
out("| system | goodput Mb/s (1400 B) |\n|---|---:|\n")
RELAY = ("drift-c dataplane direct (xsk)", "drift-c dataplane relay via M (xsk)")
for s in RELAY + ("raw UDP (routed)",):
    out("| %s | %s |\n" % (s, cell("relay", s, "1400", "goodput")))
d = med("relay", RELAY[0], "1400", "goodput")
v = med("relay", RELAY[1], "1400", "goodput")
if d and v:
    out("\nrelay via M / direct goodput = **%.2f**\n" % (v / d))

out("\n### Workers: the xsk port with 1 and 2 workers (1- and 2-queue veth)\n\n")
out("B's drift-dp with one worker per RX queue (a 1-queue veth, then a 2-queue veth); 256 engine-driven client sessions in A send "
    "1024-byte payloads round-robin; goodput is what B's workers opened.\n\n")
out("| workers | goodput Mb/s | note |\n|---:|---:|---|\n")
WS = "drift-c dataplane (xsk), 256 sessions"
for w in ("1", "2"):
    out("| %s | %s | %s |\n" % (w, cell("workers", WS, w, "goodput"),
                                 notes.get(("workers", WS, w, "goodput"), "")))
g1 = med("workers", WS, "1", "goodput")
g2 = med("workers", WS, "2", "goodput")
if g1 and g2:
    out("\n2 workers / 1 worker goodput = **%.2f**\n" % (g2 / g1))
out("\nCharts: `goodput.png`, `latency.png`, `scale.png` in the raw directory.\n")
