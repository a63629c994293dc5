# plan.awk — reads a results folder's points.csv and plans one figure for gnuplot.
#
#   awk -f plan.awk -v fig=KIND [-v cell=C] [-v peaks=...] [-v bw=...] [-v data=F] points.csv
#
# fig=check    validates the CSV: header with every column the plots read, at least
#              one row, the header's field count on every row, numbers where status
#              is ok.  Prints one line on stderr and exits 1 when it is malformed.
# fig=batch|seqlen|threads|roofline|speedup
#              prints gnuplot assignments (panel arrays) for scripts/plot/<fig>.gp,
#              or prints "skip: <reason>" and exits 3 when the folder lacks the data.
#
# Only rows with status ok are plotted.  Every other problem axis than the one on
# the x axis is held fixed inside a panel; when the sweep holds several such
# series, the one with the most points wins (ties: more rows, more threads, more
# work) and the panel title names the values held fixed.
#
# Error bars: the 95 % intervals of points.csv (ci_lo_us, ci_hi_us: has_ci = 1) on
# the throughput and time figures; the paired per-round ratios of pairs (the run's
# pairs.csv, -v pairs=FILE) on the speed-up and scaling figures.  Older runs
# without them are drawn without bars.
#
# peaks = "1=141.8 2=279.5"        best measured FMA GFLOP/s per thread count
# bw    = "L1:1=412 L1:2=801 ..."  measured read bandwidth GB/s per level and threads
# Thread counts above the measured range use the largest one (as ts_peak_gflops does).
#
# The key strings built here ("lstm:512:...") are rebuilt in gnuplot from the same
# CSV fields (strcol), so a row belongs to a panel exactly when the texts match.

BEGIN {
    FS = ","
    nreq = split("run_id variant problem cell B I H E D feed V threads status " \
                 "median_us gflops_median us_per_step", REQ, " ")
    nnum = split("B I H E D V threads median_us gflops_median us_per_step", NUM, " ")
    nvar = 0; ncell = 0; n = 0; nrows = 0
}

function fail(msg) { print "plot.sh: " (shown != "" ? shown : FILENAME) ": " msg > "/dev/stderr"; bad = 1; exit 1 }
function skip(msg) { print "skip: " msg; skipped = 1; exit 3 }
function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
function q(s) { gsub(/'/, "''", s); return "'" s "'" }
function f(c) { return $(col[c]) }

# Header: map names to field numbers; every required column must be there.
NR == 1 {
    sub(/\r$/, "")
    if ($0 == "") fail("empty header line")
    nhdr = NF
    for (i = 1; i <= NF; i++) col[$i] = i
    missing = ""
    for (i = 1; i <= nreq; i++) if (!(REQ[i] in col)) missing = missing (missing == "" ? "" : ",") REQ[i]
    if (missing != "") fail("header lacks column(s) " missing " (is this a tiedseq points.csv?)")
    has_ci = ("ci_lo_us" in col) && ("ci_hi_us" in col)
    has_prec = ("precision" in col)   # runs before issue 14 have none: all fp32
    next
}

{
    sub(/\r$/, "")
    if ($0 == "") next
    gsub(/"[^"]*"/, "")          # the quoted label may hold commas; nothing here reads it
    $0 = $0
    nrows++
    if (NF != nhdr) fail("line " NR " has " NF " fields, the header has " nhdr)
    v = f("variant")
    if (!(v in vidx)) { vidx[v] = ++nvar; VNAME[nvar] = v }
    if (f("status") != "ok") next
    for (i = 1; i <= nnum; i++)
        if (!isnum(f(NUM[i]))) fail("line " NR ": status ok but " NUM[i] " is '" f(NUM[i]) "', not a number")
    n++
    R_v[n] = vidx[v]; R_cell[n] = f("cell"); R_prob[n] = f("problem")
    R_B[n] = f("B"); R_I[n] = f("I"); R_H[n] = f("H"); R_E[n] = f("E"); R_D[n] = f("D")
    R_feed[n] = f("feed"); R_V[n] = f("V"); R_t[n] = f("threads")
    R_wb[n] = has_prec && f("precision") == "bf16" ? 2 : 4   # bytes per gate-matrix weight
    R_med[n] = f("median_us") + 0; R_gf[n] = f("gflops_median") + 0
    R_x[n] = extra(R_prob[n], R_t[n])
    if (!(R_cell[n] in cidx)) { cidx[R_cell[n]] = ++ncell; CNAME[ncell] = R_cell[n] }
    if (!((R_t[n] + 0) in tseen)) { tseen[R_t[n] + 0] = 1; TLIST[++nt] = R_t[n] + 0 }
}

END {
    if (bad || skipped) exit bad ? 1 : 3
    if (nrows == 0) fail("no data rows (only a header)")
    if (fig == "check") exit 0
    if (n == 0) skip("no row has status ok")
    sortnum(TLIST, nt)
    parse_peaks()
    variants = ""
    for (i = 1; i <= nvar; i++) variants = variants (i > 1 ? " " : "") VNAME[i]
    print "variants = " q(variants)
    print "cells = " q(join_cells())
    print "has_ci = " (has_ci ? 1 : 0)
    print "has_prec = " (has_prec ? 1 : 0)
    if (fig == "batch") plan_batch()
    else if (fig == "seqlen") plan_seqlen()
    else if (fig == "threads") plan_threads()
    else if (fig == "roofline") plan_roofline()
    else if (fig == "speedup") plan_speedup()
    else fail("unknown figure kind '" fig "'")
}

# ---- small helpers -------------------------------------------------------------

# pairs.csv into PR[va SUBSEP pa SUBSEP vb SUBSEP pb] = "ratio lo hi" (both orders).
function load_pairs(    line, F, C, k, nf, key) {
    if (pairs == "" || pairs_loaded) return
    pairs_loaded = 1
    if ((getline line < pairs) <= 0) return
    nf = split(line, F, ",")
    for (k = 1; k <= nf; k++) C[F[k]] = k
    if (!("ratio_lo" in C)) return
    while ((getline line < pairs) > 0) {
        split(line, F, ",")
        if (!isnum(F[C["ratio"]]) || !isnum(F[C["ratio_lo"]]) || !isnum(F[C["ratio_hi"]]) || F[C["ratio"]] + 0 <= 0) continue
        PR[F[C["variant_a"]], F[C["problem_a"]], F[C["variant_b"]], F[C["problem_b"]]] = F[C["ratio"]] " " F[C["ratio_lo"]] " " F[C["ratio_hi"]]
        PR[F[C["variant_b"]], F[C["problem_b"]], F[C["variant_a"]], F[C["problem_a"]]] = (1 / F[C["ratio"]]) " " (1 / F[C["ratio_hi"]]) " " (1 / F[C["ratio_lo"]])
    }
    close(pairs)
}
# "lo,hi" of time(va at pa) / time(vb at pb), or "NaN,NaN".
function pair_ci(va, pa, vb, pb,    A) {
    load_pairs()
    if (!((va, pa, vb, pb) in PR)) return "NaN,NaN"
    split(PR[va, pa, vb, pb], A, " ")
    return A[2] "," A[3]
}

function sortnum(a, m,    i, j, x) {     # insertion sort, numeric, a[1..m]
    for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
}
function join_cells(    s, i) { s = ""; for (i = 1; i <= ncell; i++) s = s (i > 1 ? " " : "") CNAME[i]; return s }
function clampt(t) { t += 0; return t > tpeak_max ? tpeak_max : t }
function parse_peaks(    m, i, kv, a, lv) {
    tpeak_max = 0
    m = split(peaks, a, " ")
    for (i = 1; i <= m; i++) { split(a[i], kv, "="); PEAK[kv[1] + 0] = kv[2] + 0; if (kv[1] + 0 > tpeak_max) tpeak_max = kv[1] + 0 }
    m = split(bw, a, " ")
    for (i = 1; i <= m; i++) { split(a[i], kv, "="); split(kv[1], lv, ":"); BW[lv[1], lv[2] + 0] = kv[2] + 0; LEVELS[lv[1]] = 1 }
}
function peak_at(t) { t = clampt(t); return (t in PEAK) ? PEAK[t] : 0 }
# Descriptor fields with no column of their own (":fb0" of an LSTM with forget_bias 0)
# follow ":t<threads>" in the canonical descriptor; they join every panel key, and
# the gnuplot scripts cut them out of strcol("problem") the same way (extra()).
function extra(prob, t,    i) { i = index(prob, ":t" t); return substr(prob, i + 2 + length(t)) }
function feedtxt(r) {
    return (R_feed[r] == "greedy" ? "greedy V=" R_V[r] : R_feed[r]) (R_x[r] != "" ? ", " substr(R_x[r], 2) : "")
}
# "@host" of a series named "variant@host" (plot.sh, several hosts), else "".
function host_of(v,    i) { i = index(v, "@"); return i ? substr(v, i) : "" }
function tword(t) { return t + 0 == 1 ? "1 thread" : t " threads" }
function panel_layout(np, cols) {
    if (cols == 0) cols = np <= 1 ? 1 : (np <= 4 ? 2 : 3)
    print "npanels = " np; print "cols = " cols; print "rows = " int((np + cols - 1) / cols)
}
# F_vars: the variants of all panels P_vars[1..np], in the global order.
function emit_fvars(P_vars, np,    k, m, i, A, IN, s) {
    for (k = 1; k <= np; k++) { m = split(P_vars[k], A, " "); for (i = 1; i <= m; i++) IN[A[i] + 0] = 1 }
    s = ""
    for (i = 1; i <= nvar; i++) if (i in IN) s = s (s == "" ? "" : " ") i
    print "F_vars = " q(s)
}
# Prints gnuplot "array NAME[np] = [...]" from A[1..np]; str=1 quotes each element.
function emit(name, A, np, str,    i, s) {
    s = "array " name "[" np "] = ["
    for (i = 1; i <= np; i++) s = s (i > 1 ? ", " : "") (str ? q(A[i]) : A[i])
    print s "]"
}
# Variants (global indices, in the order the CSV lists them) with a row in group g.
function vars_of(g, GV,    i, s) {
    s = ""
    for (i = 1; i <= nvar; i++) if ((g, i) in GV) s = s (s == "" ? "" : " ") i
    return s
}
# Is group a better series than group b?  Compare by points, rows, threads, work.
function better(a, b, NX) {
    if (b == "") return 1
    if (NX[a] != NX[b]) return NX[a] > NX[b]
    if (GCNT[a] != GCNT[b]) return GCNT[a] > GCNT[b]
    if (GT[a] != GT[b]) return GT[a] > GT[b]
    if (GWORK[a] != GWORK[b]) return GWORK[a] > GWORK[b]
    return a < b                 # deterministic whatever order `for (g in ...)` takes
}
function note_group(g, r) {
    if (!(g in GCNT)) { GREP[g] = r }
    GCNT[g]++; GV[g, R_v[r]] = 1
    GT[g] = R_t[r] + 0; GWORK[g] = R_B[r] * (R_I[r] + R_H[r]) * R_H[r] * (R_E[r] + R_D[r])
}

# ---- throughput vs batch: one panel per hidden size of one cell ----------------
# key: cell:H:I:E:D:feed:V:threads + extra

function plan_batch(    r, g, h, np, i, nh, HL, best, P_key, P_title, P_vars, P_peak) {
    for (r = 1; r <= n; r++) {
        if (R_cell[r] != cell) continue
        g = R_cell[r] ":" R_H[r] ":" R_I[r] ":" R_E[r] ":" R_D[r] ":" R_feed[r] ":" R_V[r] ":" R_t[r] R_x[r]
        note_group(g, r)
        if (!((g, R_B[r] + 0) in SEEN)) { SEEN[g, R_B[r] + 0] = 1; NX[g]++ }
        h = R_H[r] + 0
        if (!(h in hseen)) { hseen[h] = 1; HL[++nh] = h }
    }
    sortnum(HL, nh)
    np = 0
    for (i = 1; i <= nh; i++) {
        best = ""
        for (g in GCNT) if (R_H[GREP[g]] + 0 == HL[i] && NX[g] >= 2 && better(g, best, NX)) best = g
        if (best == "") continue
        r = GREP[best]; np++
        P_key[np] = best
        P_title[np] = "H=" R_H[r] "   (I=" R_I[r] ", E=" R_E[r] ", D=" R_D[r] ", " feedtxt(r) ", " tword(R_t[r]) ")"
        P_vars[np] = vars_of(best, GV)
        P_peak[np] = peak_at(R_t[r])
    }
    if (np == 0) skip("no series with two or more batch sizes")
    print "cell = " q(cell)
    panel_layout(np, 0)
    emit("P_key", P_key, np, 1); emit("P_title", P_title, np, 1)
    emit("P_vars", P_vars, np, 1); emit("P_peak", P_peak, np, 0); emit_fvars(P_vars, np)
}

# ---- time vs sequence length: one series per cell, x = E+D ---------------------
# key: cell:B:I:H:feed:V:threads + extra

function plan_seqlen(    r, g, c, i, m, np, best, P_key, P_title, P_vars, P_tics, XS, XL) {
    for (r = 1; r <= n; r++) {
        g = R_cell[r] ":" R_B[r] ":" R_I[r] ":" R_H[r] ":" R_feed[r] ":" R_V[r] ":" R_t[r] R_x[r]
        note_group(g, r)
        if (!((g, R_E[r] + R_D[r]) in SEEN)) { SEEN[g, R_E[r] + R_D[r]] = 1; NX[g]++ }
    }
    np = 0
    for (c = 1; c <= ncell; c++) {
        best = ""
        for (g in GCNT) if (R_cell[GREP[g]] == CNAME[c] && NX[g] >= 2 && better(g, best, NX)) best = g
        if (best == "") continue
        r = GREP[best]; np++
        P_key[np] = best
        P_title[np] = CNAME[c] "   (B=" R_B[r] ", I=" R_I[r] ", H=" R_H[r] ", " feedtxt(r) ", " tword(R_t[r]) ")"
        P_vars[np] = vars_of(best, GV)
        m = 0
        for (r = 1; r <= n; r++) if ((best, R_E[r] + R_D[r]) in SEEN && !((np, R_E[r] + R_D[r]) in XS)) { XS[np, R_E[r] + R_D[r]] = 1; XL[++m] = R_E[r] + R_D[r] }
        sortnum(XL, m)
        P_tics[np] = ""
        for (i = 1; i <= m; i++) P_tics[np] = P_tics[np] (i > 1 ? " " : "") XL[i]
    }
    if (np == 0) skip("no series with two or more values of E+D")
    # two panels per series: total time, and time per step
    print "nseries = " np; panel_layout(2 * np, 2)
    emit("P_key", P_key, np, 1); emit("P_title", P_title, np, 1); emit("P_vars", P_vars, np, 1)
    emit_fvars(P_vars, np); emit("P_tics", P_tics, np, 1)
}

# ---- thread scaling: one problem per cell, speed-up over its fewest threads -----
# key: cell:B:I:H:E:D:feed:V + extra

function plan_threads(    ci, nci, r, g, c, i, np, best, tmin, tics, t, s, P_key, P_title, P_vars, P_tmin, P_tics, BASE, TL, m) {
    if (nt < 2) skip("every row was measured at " tword(TLIST[1]) "; sweep two or more thread counts to draw it")
    for (r = 1; r <= n; r++) {
        g = R_cell[r] ":" R_B[r] ":" R_I[r] ":" R_H[r] ":" R_E[r] ":" R_D[r] ":" R_feed[r] ":" R_V[r] R_x[r]
        note_group(g, r)
        if (!((g, R_t[r] + 0) in SEEN)) { SEEN[g, R_t[r] + 0] = 1; NX[g]++ }
        if (!((g, "tmin") in TMIN) || R_t[r] + 0 < TMIN[g, "tmin"]) TMIN[g, "tmin"] = R_t[r] + 0
        VT[g, R_v[r], R_t[r] + 0] = R_med[r]
        VP[g, R_v[r], R_t[r] + 0] = R_prob[r]
        VN[g, R_v[r]]++
    }
    np = 0
    for (c = 1; c <= ncell; c++) {
        best = ""
        for (g in GCNT) if (R_cell[GREP[g]] == CNAME[c] && NX[g] >= 2 && better(g, best, NX)) best = g
        if (best == "") continue
        r = GREP[best]; np++
        tmin = TMIN[best, "tmin"]
        P_key[np] = best; P_tmin[np] = tmin
        P_title[np] = CNAME[c] "   (B=" R_B[r] ", I=" R_I[r] ", H=" R_H[r] ", E=" R_E[r] ", D=" R_D[r] ", " feedtxt(r) ")"
        s = ""
        for (i = 1; i <= nvar; i++) {
            BASE[(np - 1) * nvar + i] = "NaN"
            if ((best, i, tmin) in VT && VN[best, i] >= 2) {
                s = s (s == "" ? "" : " ") i; BASE[(np - 1) * nvar + i] = VT[best, i, tmin]
            }
        }
        P_vars[np] = s
        m = 0; tics = ""
        for (i = 1; i <= nt; i++) if ((best, TLIST[i]) in SEEN) tics = tics (tics == "" ? "" : " ") TLIST[i]
        P_tics[np] = tics
    }
    if (np == 0) skip("no problem was measured at two or more thread counts")
    # the paired speed-up over tmin of each variant and thread count, with its interval
    print "panel,vidx,threads,lo,hi" > data
    for (i = 1; i <= np; i++)
        for (r = 1; r <= nvar; r++)
            for (t = 1; t <= nt; t++)
                if ((P_key[i], r, TLIST[t]) in VP && (P_key[i], r, P_tmin[i]) in VP && TLIST[t] != P_tmin[i]) {
                    ci = pair_ci(VNAME[r], VP[P_key[i], r, P_tmin[i]], VNAME[r], VP[P_key[i], r, TLIST[t]])
                    if (ci != "NaN,NaN") { print i "," r "," TLIST[t] "," ci > data; nci++ }
                }
    close(data)
    print "datafile = " q(data)
    print "has_pairs = " (nci > 0 ? 1 : 0)
    print "nseries = " np; panel_layout(2 * np, 2)
    emit("P_key", P_key, np, 1); emit("P_title", P_title, np, 1); emit("P_vars", P_vars, np, 1)
    emit_fvars(P_vars, np)
    emit("P_tmin", P_tmin, np, 0); emit("P_tics", P_tics, np, 1); emit("BASE", BASE, np * nvar, 0)
}

# ---- roofline: all rows at the fewest and at the most threads --------------------
# AI = FLOP per weight byte streamed (roofline.gp): B*(I+H)/(2*H) when teacher-forced
# (bf16 rows: 2-byte gate weights, so twice that; the greedy projection stays fp32).
function gates(c) { return c == "lstm" ? 4 : (c == "gru" ? 3 : 1) }
function intensity(r,    g, steps, pr) {
    g = gates(R_cell[r]); steps = R_E[r] + R_D[r]; pr = R_D[r] > 1 ? (R_D[r] - 1) * R_V[r] : 0
    return (steps * 2 * R_B[r] * (R_I[r] + R_H[r]) * g * R_H[r] + pr * 2 * R_B[r] * R_H[r]) / \
           (steps * R_wb[r] * g * R_H[r] * R_H[r] + pr * 4 * R_H[r])
}

function plan_roofline(    np, k, t, r, s, i, c, j, lv, ai, title, roofs, P_t, P_peak, P_combo, P_roofs, P_vars,
                           P_xlo, P_xhi, P_ylo, P_yhi, HAS, HASV, LV, R_title, R_lv, nr) {
    np = 0
    P_t[++np] = TLIST[1]
    if (nt > 1) P_t[++np] = TLIST[nt]
    split("L1 L2 L3 DRAM", LV, " ")
    for (k = 1; k <= np; k++) {
        t = P_t[k]
        P_xlo[k] = P_ylo[k] = 1e300; P_xhi[k] = P_yhi[k] = 0
        for (r = 1; r <= n; r++) {
            if (R_t[r] + 0 != t) continue
            HAS[k, R_v[r] * 100 + cidx[R_cell[r]]] = 1; HASV[k, R_v[r]] = 1
            ai = intensity(r)
            if (ai < P_xlo[k]) P_xlo[k] = ai
            if (ai > P_xhi[k]) P_xhi[k] = ai
            if (R_gf[r] < P_ylo[k]) P_ylo[k] = R_gf[r]
            if (R_gf[r] > P_yhi[k]) P_yhi[k] = R_gf[r]
        }
        # room around the points; the roofs' ridge points (peak / bandwidth) in view
        P_xlo[k] /= 2; P_xhi[k] *= 2; P_ylo[k] /= 2
        P_peak[k] = peak_at(t)
        P_yhi[k] = P_peak[k] > P_yhi[k] ? P_peak[k] * 1.6 : P_yhi[k] * 2
        s = ""
        for (i = 1; i <= nvar; i++) for (c = 1; c <= ncell; c++) if ((k, i * 100 + c) in HAS) s = s (s == "" ? "" : " ") (i * 100 + c)
        P_combo[k] = s
        s = ""
        for (i = 1; i <= nvar; i++) if ((k, i) in HASV) s = s (s == "" ? "" : " ") i
        P_vars[k] = s
        roofs = ""
        for (i = 1; i <= 4; i++) {
            lv = LV[i]
            if (!((lv, clampt(t)) in BW)) continue
            roofs = roofs (roofs == "" ? "" : " ") i " " BW[lv, clampt(t)]
            if (P_peak[k] > 0 && P_peak[k] / BW[lv, clampt(t)] / 1.5 < P_xlo[k]) P_xlo[k] = P_peak[k] / BW[lv, clampt(t)] / 1.5
        }
        P_roofs[k] = roofs
    }
    # legend titles: one per roof, with its value at each panel's thread count
    nr = 0
    for (j = 0; j <= 4; j++) {
        title = j == 0 ? "FMA peak" : LV[j] " read"
        s = ""
        for (k = 1; k <= np; k++) {
            t = clampt(P_t[k])
            if (j == 0 && P_peak[k] > 0) s = s (s == "" ? "" : " | ") sprintf("%.0f", P_peak[k])
            if (j > 0 && (LV[j], t) in BW) s = s (s == "" ? "" : " | ") sprintf("%.0f", BW[LV[j], t])
        }
        if (s != "") { R_title[++nr] = title ": " s (j == 0 ? " GFLOP/s" : " GB/s"); R_lv[nr] = j }
    }
    panel_layout(np, np)
    emit("P_t", P_t, np, 0); emit("P_peak", P_peak, np, 0); emit("P_combo", P_combo, np, 1)
    emit("P_vars", P_vars, np, 1); emit("P_roofs", P_roofs, np, 1); emit_fvars(P_vars, np)
    emit("P_xlo", P_xlo, np, 0); emit("P_xhi", P_xhi, np, 0); emit("P_ylo", P_ylo, np, 0); emit("P_yhi", P_yhi, np, 0)
    s = ""
    for (k = 1; k <= np; k++) s = s (k > 1 ? " | " : "") P_t[k]
    print "roofs_at = " q("roofs at " s " thread" (np > 1 || P_t[1] != 1 ? "s" : "") ":")
    print "nroofs = " nr
    if (nr == 0) { R_title[1] = ""; R_lv[1] = 0 }     # defined even when empty (see roofline.gp)
    emit("R_title", R_title, nr ? nr : 1, 1); emit("R_lv", R_lv, nr ? nr : 1, 0)
}

# ---- variant comparison: speed-up over naive and over onednn per problem --------
# Writes `data` (CSV: vidx,gflop,over_naive,over_onednn); geometric means as arrays.

function plan_speedup(    nci, ci, r, p, i, b, np, base, bname, x, s, NB, LO, HI, lo, hi, frac, A, P_ylo, P_yhi, P_base, P_col, P_vars, GM, SUML, CNT, T, GF, PL, npb) {
    for (r = 1; r <= n; r++) {
        p = R_prob[r]
        if (!(p in PSEEN)) { PSEEN[p] = 1; PL[++npb] = p }
        T[p, R_v[r]] = R_med[r]
        GF[p] = R_gf[r] * R_med[r] / 1e6          # GFLOP per run
    }
    split("naive onednn", NB, " ")
    print "vidx,gflop,over_naive,over_onednn,over_naive_lo,over_naive_hi,over_onednn_lo,over_onednn_hi" > data
    for (i = 1; i <= npb; i++) {
        p = PL[i]
        for (x = 1; x <= nvar; x++) {
            if (!((p, x) in T)) continue
            s = x "," GF[p]; ci = ""
            for (b = 1; b <= 2; b++) {
                bname = NB[b] host_of(VNAME[x])     # several hosts: naive@h for x@h
                if ((bname in vidx) && (p, vidx[bname]) in T && x != vidx[bname]) {
                    base = T[p, vidx[bname]] / T[p, x]
                    s = s "," base; SUML[b, x] += log(base); CNT[b, x]++
                    if (!((b) in LO) || base < LO[b]) LO[b] = base
                    if (!((b) in HI) || base > HI[b]) HI[b] = base
                    ci = ci "," pair_ci(bname, p, VNAME[x], p); nci += ci !~ /NaN,NaN$/
                } else { s = s ",NaN"; ci = ci ",NaN,NaN" }
            }
            print s ci > data
        }
    }
    close(data)
    np = 0
    for (b = 1; b <= 2; b++) {
        s = ""
        for (x = 1; x <= nvar; x++) if (CNT[b, x] > 0) s = s (s == "" ? "" : " ") x
        if (s == "") continue
        np++; P_base[np] = NB[b]; P_col[np] = "over_" NB[b]; P_vars[np] = s
        for (x = 1; x <= nvar; x++) GM[(np - 1) * nvar + x] = CNT[b, x] > 0 ? exp(SUML[b, x] / CNT[b, x]) : "NaN"
        # log y range: the points and parity, then the top fraction f kept for the key
        lo = LO[b] < 1 ? LO[b] / 1.5 : 1 / 1.5; hi = HI[b] > 1 ? HI[b] * 1.5 : 1.5
        frac = (split(s, A, " ") + 1) * 0.055 + 0.04
        P_ylo[np] = lo; P_yhi[np] = hi * exp(log(hi / lo) * frac / (1 - frac))
    }
    if (np == 0) skip("no problem has both naive (or onednn) and another variant")
    print "has_pairs = " (nci > 0 ? 1 : 0)
    panel_layout(np, np)
    print "datafile = " q(data)
    emit("P_base", P_base, np, 1); emit("P_col", P_col, np, 1); emit("P_vars", P_vars, np, 1)
    emit("P_ylo", P_ylo, np, 0); emit("P_yhi", P_yhi, np, 0); emit_fvars(P_vars, np)
    emit("GM", GM, np * nvar, 0)
}
