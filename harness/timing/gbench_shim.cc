// The project's only C++: Google Benchmark behind the C API of gbench.h.
// Written against GB 1.7.1 (Debian 12) and kept free of internal:: names so it
// also builds on 1.8/1.9, where run errors became "skipped" runs.
#include "harness/timing/gbench.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

// GB's benchmark type, named without internal:: (docs/benchmarking.md).
using gb_bench = std::remove_pointer_t<decltype(benchmark::RegisterBenchmark(
    std::declval<const char *>(), std::declval<void (*)(benchmark::State &)>()))>;

benchmark::State &S(gbench_state *st) { return *reinterpret_cast<benchmark::State *>(st); }

// 1.7 reports a failed run with error_occurred/error_message; 1.8+ with
// skipped/skip_message.  Overload resolution picks whichever exists.
template <class R>
auto run_error(const R &r, int) -> decltype(r.error_occurred, std::pair<bool, std::string>())
{
    return {r.error_occurred, r.error_message};
}
template <class R>
auto run_error(const R &r, long) -> decltype(r.skipped, std::pair<bool, std::string>())
{
    return {static_cast<int>(r.skipped) != 0, r.skip_message};
}

// GB's console table; the machine context is printed once per process, not
// once per chunk (a sweep runs many chunks).
class ChunkConsole : public benchmark::ConsoleReporter {
  public:
    explicit ChunkConsole(OutputOptions o) : benchmark::ConsoleReporter(o) {}
    bool ReportContext(const Context &ctx) override
    {
        static bool printed = false;
        if (!printed) {
            printed = true;
            return benchmark::ConsoleReporter::ReportContext(ctx);
        }
        std::ostream null_stream(nullptr);
        SetOutputStream(&null_stream);
        SetErrorStream(&null_stream);
        bool ok = benchmark::ConsoleReporter::ReportContext(ctx);
        SetOutputStream(&std::cout);
        SetErrorStream(&std::cerr);
        return ok;
    }
};

void set_err(char *err, size_t n, const std::string &msg)
{
    if (err && n)
        std::snprintf(err, n, "%s", msg.c_str());
}

// GB's JSON written to PATH.partial and renamed to PATH only when complete,
// so a reader never sees half a file.
class PartialJson {
  public:
    // false with err when the partial file cannot be opened
    bool open(const char *path, char *err, size_t err_len)
    {
        path_ = path, partial_ = std::string(path) + ".partial";
        file_.open(partial_, std::ios::out | std::ios::trunc);
        if (!file_) {
            set_err(err, err_len, "cannot write " + partial_ + ": " + std::strerror(errno));
            return false;
        }
        reporter.SetOutputStream(&file_);
        reporter.SetErrorStream(&std::cerr);
        return true;
    }
    // close and rename; false with err (the partial file removed)
    bool publish(char *err, size_t err_len)
    {
        file_.close();
        if (!file_) {
            discard();
            set_err(err, err_len, "cannot write " + partial_);
            return false;
        }
        if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
            set_err(err, err_len, "cannot rename " + partial_ + ": " + std::strerror(errno));
            return false;
        }
        return true;
    }
    void discard()
    {
        file_.close();
        std::remove(partial_.c_str());
    }
    benchmark::JSONReporter reporter;

  private:
    std::string path_, partial_;
    std::ofstream file_;
};

// ---- interleaved rounds ----

// Receives the runs of one round; prints nothing (the chunk is reported once,
// at its end, by gbench_chunk_report).
class Collector : public benchmark::BenchmarkReporter {
  public:
    bool ReportContext(const Context &) override { return true; }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &r : runs)
            got.push_back(r);
    }
    std::vector<Run> got;
};

using Run = benchmark::BenchmarkReporter::Run;
// The stored repetitions of the chunk, per member name, in the order seen.
std::vector<std::pair<std::string, std::vector<Run>>> g_chunk;

std::vector<Run> &chunk_runs(const std::string &name)
{
    for (auto &kv : g_chunk)
        if (kv.first == name)
            return kv.second;
    g_chunk.emplace_back(name, std::vector<Run>());
    return g_chunk.back().second;
}

// GB names a fixed-iteration benchmark ".../iterations:N/repetitions:1": drop
// those parts so a point keeps one name across rounds (compare.py matches names).
void plain_name(Run &r)
{
    r.run_name.iterations.clear();
    r.run_name.repetitions.clear();
}

Run aggregate_of(const Run &rep, const gbench_aggregate &a)
{
    Run r = rep;
    r.run_type = Run::RT_Aggregate;
    r.aggregate_name = a.stat;
    r.aggregate_unit = a.percentage ? benchmark::StatisticUnit::kPercentage : benchmark::StatisticUnit::kTime;
    r.repetition_index = Run::no_repetition_index;
    r.repetitions = a.n;
    r.report_label = a.label ? a.label : "";
    // GB divides accumulated time by iterations; an aggregate's iterations are
    // the repetitions it summarises (as GB's own ComputeStats sets them)
    r.iterations = a.percentage ? 1 : a.n;
    r.real_accumulated_time = a.percentage ? a.value : a.value * static_cast<double>(a.n);
    r.cpu_accumulated_time = r.real_accumulated_time;
    // the repetition's rate counters were divided by its own time: rescale them
    // to the aggregate's (a cv has no rates)
    double rep_s = rep.real_accumulated_time / static_cast<double>(rep.iterations ? rep.iterations : 1);
    for (auto &kv : r.counters) {
        benchmark::Counter &c = kv.second;
        if (a.percentage || !(c.flags & benchmark::Counter::kIsRate) || !(a.value > 0))
            c.value = a.percentage ? 0 : c.value;
        else
            c.value *= (c.flags & benchmark::Counter::kInvert) ? a.value / rep_s : rep_s / a.value;
    }
    if (a.percentage)
        r.counters.clear();
    return r;
}


} // namespace

extern "C" {

bool gbench_keep_running(gbench_state *st) { return S(st).KeepRunning(); }

void gbench_counter(gbench_state *st, const char *name, double value, uint32_t flags)
{
    S(st).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void gbench_label(gbench_state *st, const char *label) { S(st).SetLabel(label ? label : ""); }
void gbench_skip_with_error(gbench_state *st, const char *msg) { S(st).SkipWithError(msg ? msg : "error"); }
void gbench_do_not_optimize(const void *p) { benchmark::DoNotOptimize(p); }
void gbench_set_iteration_time(gbench_state *st, double seconds) { S(st).SetIterationTime(seconds); }

void gbench_add_context(const char *key, const char *value)
{
    // GB complains (on stderr) about a key added twice; a sweep adds per chunk
    static std::set<std::string> added;
    if (!key || !value || !added.insert(key).second)
        return;
    benchmark::AddCustomContext(key, value);
}

const char *gbench_version(void)
{
#ifdef TS_GBENCH_VERSION
    return TS_GBENCH_VERSION;
#else
    return "unknown";
#endif
}

int gbench_check_flags(int *argc, char **argv, char *err, size_t err_len)
{
    set_err(err, err_len, "");
    benchmark::Initialize(argc, argv);
    if (*argc > 1) {
        set_err(err, err_len, std::string("unrecognized Google Benchmark flag or value '") + argv[1] + "'");
        return 1;
    }
    return 0;
}

int gbench_rounds_init(int *argc, char **argv, char *err, size_t err_len)
{
    return gbench_check_flags(argc, argv, err, err_len);
}

int gbench_round(gbench_member *m, size_t n, int64_t round_index, char *err, size_t err_len)
{
    for (size_t k = 0; k < n; k++) {
        m[k].seconds = NAN;
        m[k].error = 0;
        m[k].error_msg[0] = '\0';
        gbench_fn fn = m[k].fn;
        void *ctx = m[k].ctx;
        gb_bench *b = benchmark::RegisterBenchmark(
            m[k].name, [fn, ctx](benchmark::State &st) { fn(reinterpret_cast<gbench_state *>(&st), ctx); });
        if (!b) {
            benchmark::ClearRegisteredBenchmarks();
            set_err(err, err_len, std::string("cannot register ") + m[k].name);
            return -1;
        }
        if (m[k].manual_time)
            b->UseManualTime(); // the run's real_accumulated_time is then the time set
        else
            b->UseRealTime();
        b->Unit(benchmark::kMicrosecond)->Iterations(m[k].iters > 0 ? m[k].iters : 1)->Repetitions(1);
    }
    Collector col;
    benchmark::RunSpecifiedBenchmarks(&col);
    benchmark::ClearRegisteredBenchmarks();
    for (Run &r : col.got) {
        plain_name(r);
        std::string name = r.run_name.function_name;
        for (size_t k = 0; k < n; k++) {
            if (name != m[k].name)
                continue;
            std::pair<bool, std::string> e = run_error(r, 0);
            m[k].error = e.first;
            std::snprintf(m[k].error_msg, sizeof m[k].error_msg, "%s", e.second.c_str());
            if (!e.first)
                m[k].seconds = r.real_accumulated_time / static_cast<double>(r.iterations ? r.iterations : 1);
            r.repetition_index = round_index;
            chunk_runs(name).push_back(r);
        }
    }
    return 0;
}


int gbench_chunk_report(const char *json_path, const char *const *names, size_t nn, const gbench_aggregate *a,
                        size_t na, char *err, size_t err_len)
{
    // this chunk's stored runs, in the order seen; the rest stay for later
    std::vector<std::pair<std::string, std::vector<Run>>> mine, rest;
    for (auto &kv : g_chunk) {
        bool named = false;
        for (size_t k = 0; k < nn && !named; k++)
            named = names[k] && kv.first == names[k];
        (named ? mine : rest).push_back(std::move(kv));
    }
    g_chunk = std::move(rest);
    PartialJson json;
    if (json_path && !json.open(json_path, err, err_len))
        return -1;
    auto opts = static_cast<benchmark::ConsoleReporter::OutputOptions>(
        benchmark::ConsoleReporter::OO_Tabular | (isatty(1) ? benchmark::ConsoleReporter::OO_Color : 0));
    ChunkConsole console(opts);
    benchmark::BenchmarkReporter::Context ctx;
    ctx.name_field_width = 0; // GB's Context() leaves it unset
    for (const auto &kv : mine) // room for "<name>/real_time_median"
        ctx.name_field_width = std::max(ctx.name_field_width, kv.first.size() + 17);
    console.ReportContext(ctx);
    if (json_path)
        json.reporter.ReportContext(ctx);
    for (auto &kv : mine) {
        std::vector<Run> &reps = kv.second;
        if (reps.empty())
            continue;
        std::vector<Run> aggs;
        for (size_t k = 0; k < na; k++)
            if (a[k].name && kv.first == a[k].name)
                aggs.push_back(aggregate_of(reps.front(), a[k]));
        for (Run &r : reps)
            r.repetitions = static_cast<int64_t>(reps.size());
        if (json_path) {
            json.reporter.ReportRuns(reps);
            if (!aggs.empty())
                json.reporter.ReportRuns(aggs);
        }
        std::vector<Run> shown; // the console: a point's median and interval only
        for (const Run &r : aggs)
            if (r.aggregate_name == "median" || r.aggregate_name == "ci_lo" || r.aggregate_name == "ci_hi")
                if (kv.first.compare(0, 6, "probe/") != 0)
                    shown.push_back(r);
        if (!shown.empty())
            console.ReportRuns(shown);
    }
    std::cout.flush();
    if (!json_path)
        return 0;
    json.reporter.Finalize();
    return json.publish(err, err_len) ? 0 : -1;
}

} // extern "C"
