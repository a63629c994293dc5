# time_vs_seqlen.gp — time of one forward run against sequence length E+D (left) and
# the time per step (right: a flat line is linear growth; its height is the
# per-step cost).  One row of panels per cell; other axes fixed per row.
# Params (plan.awk fig=seqlen): nseries, P_key, P_title, P_vars, F_vars, P_tics (E+D).
PW = 580; PH = 420; KW = 130
figtitle = 'Time vs sequence length'
load gpdir.'/common.gp'
key(dummy) = strcol("cell").':'.strcol("B").':'.strcol("I").':'.strcol("H").':'.strcol("feed").':'.strcol("V").':'.strcol("threads").extra(0)
sel(i, p) = ok(i) && key(0) eq P_key[p]
steps(dummy) = column("E") + column("D")

set xlabel 'sequence length E + D (steps)'
# log-log: linear growth is a line of slope 1 on the left; flat on the right
set logscale xy
set format x '%g'
set format y '%g'
set autoscale fix
set offsets graph 0.06, graph 0.06, graph 0.08, graph 0.08
# the bars' plot clause, only for runs that have intervals (see throughput_vs_batch.gp)
EB = has_ci ? 'for [s in P_vars[p]] infile using (sel(s, p) ? steps(0) : NaN):(column("median_us") / 1000):(column("ci_lo_us") / 1000):(column("ci_hi_us") / 1000) with yerrorbars lt (s + 0) pt 0 notitle,' : ''
do for [p = 1:nseries] {
    set xtics ()
    do for [s in P_tics[p]] { set xtics add (s s + 0) }
    q = 2 * p - 1
    eval PLACE
    set title P_title[p].': whole run (slope 1 = linear)'
    set ylabel 'time per forward run (ms)'
    plot for [s in P_vars[p]] infile using (sel(s, p) ? steps(0) : NaN):(column("median_us") / 1000) \
             smooth unique with linespoints lt (s + 0) notitle, \
         @EB \
         for [s in F_vars] keyentry with linespoints lt (s + 0) title vname(s)
    eval ONCE
    q = 2 * p
    eval PLACE
    set title P_title[p].': per step'
    set ylabel 'time per step (µs/step)'
    plot for [s in P_vars[p]] infile using (sel(s, p) ? steps(0) : NaN):"us_per_step" \
             smooth unique with linespoints lt (s + 0) notitle
}
unset multiplot
