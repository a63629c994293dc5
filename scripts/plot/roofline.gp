# roofline.gp — achieved GFLOP/s against arithmetic intensity, under the measured
# roofs: the FMA peak, and AI × bandwidth for each cache level and DRAM up to its
# ridge point.  Colour = variant, shape = cell.  AI = FLOP per weight byte streamed
# (docs/design.md, "Accounting"), per forward run, weights read once per step:
#   FLOP  = (E+D)·2·B·(I+H)·G·H + (D−1)·2·B·H·V      (V = 0 when teacher-forced)
#   bytes = (E+D)·w·G·H·H       + (D−1)·4·H·V      (w = 4, or 2 for bf16 rows)
# so a teacher-forced problem sits at B·(I+H) / (2·H).
# One panel at the fewest and one at the most threads measured.
# Params (plan.awk fig=roofline): npanels, P_t, P_peak, P_combo (variant*100 + cell),
# P_vars, F_vars, P_roofs ("level GB/s ..." at that thread count, level 1..4 =
# L1 L2 L3 DRAM), P_xlo/P_xhi/P_ylo/P_yhi, R_title/R_lv (legend), roofs_at.
PW = 620; PH = 560; KW = 290
figtitle = 'Roofline: weights streamed once per step'
load gpdir.'/common.gp'
gates(c) = c eq 'lstm' ? 4 : (c eq 'gru' ? 3 : 1)
proj(dummy) = column("D") > 1 ? (column("D") - 1) * column("V") : 0
ai_flops(dummy) = (column("E") + column("D")) * 2.0 * column("B") * (column("I") + column("H")) * gates(strcol("cell")) * column("H") \
              + proj(0) * 2.0 * column("B") * column("H")
# bf16 rows stream 2-byte gate weights (points.csv's precision; older runs: fp32)
wbytes(dummy) = has_prec ? (strcol("precision") eq 'bf16' ? 2.0 : 4.0) : 4.0
ai_bytes(dummy) = (column("E") + column("D")) * wbytes(0) * gates(strcol("cell")) * column("H") ** 2 + proj(0) * 4.0 * column("H")
sel(i, c, p) = ok(i) && strcol("cell") eq word(cells, c) && column("threads") == P_t[p]
cellpt(c) = word('7 5 9 11 13 15', (c - 1) % 6 + 1) + 0
min(a, b) = a < b ? a : b
# roof styles by level (0 = FMA peak, 1..4 = L1 L2 L3 DRAM): darker = farther away
roofrgb(j) = word('#222222 #9e9ac8 #807dba #6a51a3 #3f007d', j + 1)
roofdt(j) = word('2 4 5 3 1', j + 1) + 0
rooflw(j) = j == 0 ? 1.5 : 1.6
# a bandwidth roof is drawn up to its ridge point only; the peak line caps them all
roof(x, bw, pk) = (pk > 0 && x * bw > pk) ? NaN : x * bw
# roof j of this panel: level and GB/s.  Guarded: gnuplot evaluates an empty
# iteration's expressions once (without plotting them), as when no peak.json exists.
rlv(j) = words(rf) >= 2 * j ? word(rf, 2 * j - 1) + 0 : 0
rbw(j) = words(rf) >= 2 * j ? word(rf, 2 * j) + 0 : NaN

set logscale xy
set format x '%g'
set format y '%g'
set xlabel 'arithmetic intensity (FLOP per weight byte streamed)'
set ylabel 'throughput (GFLOP/s)'
set samples 500
do for [q = 1:npanels] {
    eval PLACE
    p = q
    t = P_t[p]
    pk = P_peak[p]
    rf = P_roofs[p]
    nr = words(rf) / 2
    set title sprintf('%d thread%s: every problem run at this thread count', t, t == 1 ? '' : 's')
    set xrange [P_xlo[p]:P_xhi[p]]
    set yrange [P_ylo[p]:P_yhi[p]]
    plot for [j = 1:nr] roof(x, rbw(j), pk) \
             with lines lw rooflw(rlv(j)) dt roofdt(rlv(j)) lc rgb roofrgb(rlv(j)) notitle, \
         (pk > 0 ? pk : NaN) with lines lw rooflw(0) dt roofdt(0) lc rgb roofrgb(0) notitle, \
         for [s in P_combo[p]] infile using (sel(int(s / 100), int(s) % 100, p) ? ai_flops(0) / ai_bytes(0) : NaN):"gflops_median" \
             with points lc (int(s / 100)) pt cellpt(int(s) % 100) notitle, \
         for [s in F_vars] keyentry with points lt (s + 0) pt 7 title vname(s), \
         for [c = 1:words(cells)] keyentry with points lc rgb '#444444' pt cellpt(c) title word(cells, c), \
         for [j = 1:(nroofs > 0)] keyentry with lines lc rgb 'white' title roofs_at, \
         for [j = 1:nroofs] keyentry with lines lw rooflw(R_lv[j]) dt roofdt(R_lv[j]) lc rgb roofrgb(R_lv[j]) title R_title[j]
    eval ONCE
}
unset multiplot
