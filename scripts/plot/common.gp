# common.gp — loaded by every figure script after it set its panel size.
# From scripts/plot.sh:  fmt ('png'|'svg'), outfile, footer (CPU, threads, run id),
#                        infile (points.csv), gpdir
# From plan.awk:         variants (global order: colour i = variant i), cells,
#                        npanels, rows, cols, F_vars (variants in this figure)
# From the figure:       PW, PH (one panel, pixels), KW (legend strip width, 0 = none)
# Text is never "enhanced": an underscore prints as an underscore.
TOP = 46.0; FOOT = 30.0
W = cols * PW + KW + 12
H = int(TOP + rows * PH + FOOT)
set encoding utf8
if (fmt eq 'svg') {
    set terminal svg size W,H dynamic noenhanced font 'Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size W,H noenhanced font 'Sans,10' background rgb 'white'
}
set output outfile
set termoption noenhanced
set datafile separator ','
set datafile missing NaN      # rows filtered out with NaN must not break lines
set datafile columnheaders    # column("median_us") etc. by name

# Okabe-Ito colours (colour-blind safe), one point shape each; variants past 8 cycle.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7  ps 1.1
set linetype 2 lc rgb '#D55E00' lw 2 pt 5  ps 1.0
set linetype 3 lc rgb '#009E73' lw 2 pt 9  ps 1.3
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.3
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.3
set linetype 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.2
set linetype 7 lc rgb '#8C564B' lw 2 pt 4  ps 1.1
set linetype 8 lc rgb '#7F7F7F' lw 2 pt 6  ps 1.1
set linetype cycle 8
set style line 100 lc rgb '#222222' lw 1.5 dt 2      # peaks, ideal lines, parity
set grid back lc rgb '#e4e4e4' lw 1 dt 1
set border lc rgb '#444444'

vname(i) = word(variants, i + 0)
ok(i) = strcol("status") eq 'ok' && strcol("variant") eq vname(i)
# descriptor fields without a column (":fb0") follow ":t<threads>"; see plan.awk extra()
tail_after(s, t) = s[strstrt(s, ':t'.t) + 2 + strlen(t):]
extra(dummy) = tail_after(strcol("problem"), strcol("threads"))

# Panel q of a rows x cols grid, laid out in pixels so every size looks alike:
# 78 px left of each plot for the y axis, 30 above for its title, 58 below for
# the x axis; the legend strip (KW) right of the grid; the footer below it.
qc(q) = (q - 1) % cols
qr(q) = int((q - 1) / cols)
qtop(q) = H - TOP - qr(q) * PH
PLACE = 'set lmargin at screen (qc(q) * PW + 78.0) / W; set rmargin at screen ((qc(q) + 1) * PW - 24.0) / W; ' . \
        'set tmargin at screen (qtop(q) - 30.0) / H; set bmargin at screen (qtop(q) - PH + 58.0) / H'
# One legend for the whole figure, in the strip right of the grid: shown by the
# first panel only (which plots a keyentry for every line kind of the figure).
if (KW > 0) {
    set key at screen (cols * PW + 2.0) / W, screen (H - TOP - 30.0) / H top left Left reverse \
        samplen 2.5 spacing 1.25 nobox
} else {
    set key top left Left reverse samplen 2.5 spacing 1.15 box lc rgb '#cccccc' opaque
}
# Footer under everything, drawn once (a multiplot redraws labels with each panel):
# after the first plot, figures run `unset label 99`.
set label 99 footer at screen 10.0 / W, screen 13.0 / H left font ',9' textcolor rgb '#555555'
set multiplot
set label 98 figtitle at screen 0.5, screen (H - 22.0) / H center font ',14'
ONCE = 'unset label 98; unset label 99; if (KW > 0) { unset key }'
