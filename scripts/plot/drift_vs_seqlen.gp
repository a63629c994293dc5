# drift_vs_seqlen.gp — a bf16 variant's drift from the fp32 reference against
# sequence length E+D: max |error| of the decoder outputs (solid) and of the
# final state (open symbols), one series per bf16 variant, cell and feed (the
# label says them; "bf16" is part of every bf16 variant's name).  Points, not
# lines: several (E, D) share one E+D.  Reported by verification,
# not pass/fail (docs/correctness.md, "bf16 variants").
# From scripts/plot.sh: fmt, outfile, footer, data (variant,cell-feed,steps,out_max,
# state_max rows, sorted by series then steps), series (space-separated
# "variant/cell-feed" labels).
W = 760; H = 500
set encoding utf8
if (fmt eq 'svg') {
    set terminal svg size W,H dynamic noenhanced font 'Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size W,H noenhanced font 'Sans,10' background rgb 'white'
}
set output outfile
set termoption noenhanced
set datafile separator ','
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.2
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.2
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.4
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.4
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.4
set linetype 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.2
set linetype cycle 6
set grid back lc rgb '#e4e4e4'
set title 'bf16 drift from fp32 vs sequence length (max |error|; filled: outputs, open: final state)'
set xlabel 'sequence length E + D (steps)'
set ylabel 'max |bf16 - fp32|'
set logscale xy
set format y '%g'
set key outside right top
set bmargin 5
set label 1 footer at screen 0.01, screen 0.02 font ',9'
lab(s) = word(series, s)
sel(s) = strcol(1).'/'.strcol(2) eq lab(s)
# open symbol of a filled one (gnuplot's pt n-1 is the outline of pt n for 5..15)
plot for [s = 1:words(series)] data using (sel(s) ? $3 : NaN):($4 > 0 ? $4 : NaN) \
         with points lt s title lab(s), \
     for [s = 1:words(series)] data using (sel(s) ? $3 : NaN):($5 > 0 ? $5 : NaN) \
         with points lt s pt (word('6 4 8 10 12 14', (s - 1) % 6 + 1) + 0) notitle
