# SPDX-License-Identifier: MIT
#
# Charts of one perf/run: run inside perf/results/<timestamp>/ on the data
# files perf/report.py wrote there (goodput_plot.gp holds the goodput plot command). Draws medians with min–max error bars;
# it computes nothing itself.
#   goodput.png  goodput by system and payload size
#   latency.png  distribution (CDF) of handshake and round-trip times
#   scale.png    goodput and responder memory versus sessions

set terminal pngcairo size 1000,600 noenhanced font ",11"
set grid ytics

# ---- goodput.dat: payload, then (median min max) for 5 systems
set output "goodput.png"
set title "Goodput, one flow, receiver side (median, min-max)"
set ylabel "Mb/s"
set xlabel "payload bytes (drift-c carries 1348 B in the 1400 slot)"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set key top left
set yrange [0:*]
load "goodput_plot.gp"

# ---- cdf_*.dat: value (ms), cumulative fraction
set output "latency.png"
set title "Latency distribution (all rounds)"
set style data lines
set xlabel "milliseconds (log scale)"
set ylabel "fraction of samples <= x"
set logscale x
set yrange [0:1]
set key bottom right
plot "cdf_rtt.dat" using 1:2 lw 2 title "drift ping round trip, 64 B", \
     "cdf_hs.dat" using 1:2 lw 2 title "fresh client: first send to echoed first byte"
unset logscale x

# ---- scale.dat: sessions goodput min max rss min max
set output "scale.png"
set title "Sessions sharing one drift-c responder (median, min-max)"
set logscale x
set xlabel "established sessions (log scale)"
set ylabel "goodput Mb/s"
set y2label "responder VmRSS MiB"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set xrange [0.5:20000]
set key top left
plot "scale.dat" using 1:2:3:4 with yerrorlines lw 2 title "goodput (1024 B payloads)", \
     "" using 1:5:6:7 axes x1y2 with yerrorlines lw 2 title "responder VmRSS"
