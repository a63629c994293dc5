# throughput_vs_batch.gp — GFLOP/s against batch size B (log x), one line per variant,
# one panel per hidden size H of one cell, the measured FMA peak as a dashed line.
# Params (plan.awk fig=batch): cell, npanels, P_key, P_title, P_vars, P_peak, F_vars.
PW = 560; PH = 420; KW = 150
figtitle = sprintf('Throughput vs batch size: %s', cell)
load gpdir.'/common.gp'
key(dummy) = strcol("cell").':'.strcol("H").':'.strcol("I").':'.strcol("E").':'.strcol("D").':'.strcol("feed").':'.strcol("V").':'.strcol("threads").extra(0)
sel(i, p) = ok(i) && key(0) eq P_key[p]
# the 95 % interval of the median time, as GFLOP/s (only read when has_ci)
gf_lo(dummy) = column("gflops_median") * column("median_us") / column("ci_hi_us")
gf_hi(dummy) = column("gflops_median") * column("median_us") / column("ci_lo_us")

set logscale x 2
set xlabel 'batch size B (sequences)'
set ylabel 'throughput (GFLOP/s)'
set offsets graph 0.04, graph 0.04, 0, 0
# the bars' plot clause, only for runs that have intervals (a macro: gnuplot would
# otherwise read the absent columns)
EB = has_ci ? 'for [s in P_vars[p]] infile using (sel(s, p) ? column("B") : NaN):"gflops_median":(gf_lo(0)):(gf_hi(0)) with yerrorbars lt (s + 0) pt 0 notitle,' : ''
do for [q = 1:npanels] {
    eval PLACE
    p = q
    set title P_title[p]
    pk = P_peak[p]
    if (pk > 0) {
        set yrange [0:pk * 1.1]
        set label 1 sprintf('measured FMA peak %.0f GFLOP/s', pk) at graph 0.02, first pk left offset 0, 0.6 font ',9'
    } else {
        set yrange [0:*]
        unset label 1
    }
    plot for [s in P_vars[p]] infile using (sel(s, p) ? column("B") : NaN):"gflops_median" \
             smooth unique with linespoints lt (s + 0) notitle, \
         @EB \
         (pk > 0 ? pk : NaN) with lines ls 100 notitle, \
         for [s in F_vars] keyentry with linespoints lt (s + 0) title vname(s), \
         keyentry with lines ls 100 title 'measured peak'
    eval ONCE
}
unset multiplot
