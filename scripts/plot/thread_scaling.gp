# thread_scaling.gp — speed-up (left) and parallel efficiency (right) against threads,
# per variant, over the same variant at the fewest threads measured (tmin), with the
# ideal line.  One row of panels per cell, one problem each (named in the title).
# Params (plan.awk fig=threads): nseries, P_key, P_title, P_vars, F_vars, P_tmin,
# P_tics, BASE[(p-1)*nvars + i] = median µs of variant i at tmin; datafile
# (panel,vidx,threads,lo,hi): the paired speed-up's 95 % interval (pairs.csv), the bars.
PW = 580; PH = 420; KW = 130
figtitle = 'Thread scaling'
load gpdir.'/common.gp'
key(dummy) = strcol("cell").':'.strcol("B").':'.strcol("I").':'.strcol("H").':'.strcol("E").':'.strcol("D").':'.strcol("feed").':'.strcol("V").extra(0)
sel(i, p) = ok(i) && key(0) eq P_key[p]
nv = words(variants)
base(i, p) = BASE[(p - 1) * nv + i]

set xlabel 'threads'
# the bars' plot clause, only when the run has paired ratios (pairs.csv)
EB = has_pairs ? 'for [s in P_vars[p]] datafile using (column("panel") == p && column("vidx") == s + 0 ? column("threads") : NaN):((column("lo") + column("hi")) / 2):"lo":"hi" with yerrorbars lt (s + 0) pt 0 notitle,' : ''
do for [p = 1:nseries] {
    t0 = P_tmin[p]
    tl = P_tics[p]
    tmax = word(tl, words(tl)) + 0
    # a little room either side so the end points are not on the border
    if (tmax / t0 >= 8) {
        set logscale x 2
        set xrange [t0 / 1.15:tmax * 1.15]
    } else {
        unset logscale x
        set xrange [t0 - 0.05 * (tmax - t0):tmax + 0.05 * (tmax - t0)]
    }
    set xtics ()
    do for [s in tl] { set xtics add (s s + 0) }
    q = 2 * p - 1
    eval PLACE
    set title P_title[p].': speed-up'
    set ylabel sprintf('speed-up over %d thread%s (×)', t0, t0 == 1 ? '' : 's')
    # log-log when the thread counts span 8x or more: the ideal line stays straight
    if (tmax / t0 >= 8) { set logscale y 2; set yrange [*:*]; set format y '%g' } else { unset logscale y; set yrange [0:*] }
    plot for [s in P_vars[p]] infile using (sel(s, p) ? column("threads") : NaN):(base(s + 0, p) / column("median_us")) \
             smooth unique with linespoints lt (s + 0) notitle, \
         @EB \
         x / t0 with lines ls 100 notitle, \
         for [s in F_vars] keyentry with linespoints lt (s + 0) title vname(s), \
         keyentry with lines ls 100 title 'ideal'
    eval ONCE
    q = 2 * p
    eval PLACE
    set title P_title[p].': parallel efficiency'
    set ylabel sprintf('efficiency (speed-up × %d / threads)', t0)
    unset logscale y
    set yrange [0:*]   # superlinear points (weights split over two L2s) stay visible
    plot for [s in P_vars[p]] infile using (sel(s, p) ? column("threads") : NaN):(base(s + 0, p) / column("median_us") * t0 / column("threads")) \
             smooth unique with linespoints lt (s + 0) notitle, \
         1 with lines ls 100 notitle
}
unset multiplot
