# variant_speedup.gp — speed-up of each variant over a baseline (naive; onednn) on
# every problem both ran, against the work of the problem; the dashed line of the
# same colour is the variant's geometric mean, printed in the panel's legend.
# Error bars: the paired per-round ratio's 95 % interval (pairs.csv; NaN: none).
# Params (plan.awk fig=speedup): datafile (vidx,gflop,over_naive,over_onednn, and
# the intervals over_naive_lo/_hi, over_onednn_lo/_hi),
# npanels, P_base, P_col, P_vars, P_ylo, P_yhi, GM[(p-1)*nvars + i].
PW = 640; PH = 540; KW = 0
figtitle = 'Variant comparison: speed-up per problem'
load gpdir.'/common.gp'
nv = words(variants)
gm(i, p) = GM[(p - 1) * nv + i]

set logscale xy
set format x '%g'
set format y '%g'
set xlabel 'work per forward run (GFLOP)'
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
# the bars' plot clause, only when the run has paired ratios (pairs.csv)
EB = has_pairs ? 'for [s in P_vars[p]] datafile using (column("vidx") == s + 0 ? column("gflop") : NaN):P_col[p]:(column(P_col[p]."_lo")):(column(P_col[p]."_hi")) with yerrorbars lt (s + 0) pt 0 notitle,' : ''
do for [q = 1:npanels] {
    eval PLACE
    p = q
    set title sprintf('over %s: one point per problem (every cell, size, thread count)', P_base[p])
    set ylabel sprintf('speed-up over %s (×, higher is faster)', P_base[p])
    set yrange [P_ylo[p]:P_yhi[p]]
    plot for [s in P_vars[p]] datafile using (column("vidx") == s + 0 ? column("gflop") : NaN):P_col[p] \
             with points lt (s + 0) title sprintf('%s: geometric mean %.3gx', vname(s), gm(s + 0, p)), \
         @EB \
         for [s in P_vars[p]] gm(s + 0, p) with lines lt (s + 0) lw 1.5 dt 2 notitle, \
         1 with lines ls 100 title 'parity (1x)'
    eval ONCE
}
unset multiplot
