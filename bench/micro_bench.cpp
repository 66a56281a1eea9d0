// bench/micro_bench.cpp - Google Benchmark micro-benchmarks of sigkit's calls, each next to
// the raw system call or libc equivalent it wraps, run in the same process.
//
// Besides Google Benchmark's usual console output (sent to stderr), the binary prints one
// "ROW" line per sigkit/baseline pair with the ratio of their CPU times per operation (median
// of the repetitions when --benchmark_repetitions is given; CPU time because the machine is
// shared and wall time includes other tenants' slices); bench/run.sh makes the table of them.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.hpp"
#include "sigkit/sigkit.hpp"

namespace {

// ---- check_signals ----------------------------------------------------------------------

std::atomic<bool> g_flag{false};

void BM_raw_relaxed_atomic_load(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_flag.load(std::memory_order_relaxed));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_raw_relaxed_atomic_load);

void BM_check_signals_idle(benchmark::State& state) {
  for (auto _ : state) {
    sigkit::check_signals();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_check_signals_idle);

// A raw handler that only counts: what the kernel costs for kill() + delivery.
volatile sig_atomic_t g_raw_count = 0;
extern "C" void sigkit_bench_counting_handler(int /*signo*/) { g_raw_count = g_raw_count + 1; }
extern "C" void sigkit_bench_counting_siginfo_handler(int /*signo*/, siginfo_t* /*si*/,
                                                      void* /*uc*/) {
  g_raw_count = g_raw_count + 1;
}

void install_raw(int signo, bool siginfo) {
  struct sigaction sa {};
  if (siginfo) {
    sa.sa_sigaction = sigkit_bench_counting_siginfo_handler;
    sa.sa_flags = SA_SIGINFO;
  } else {
    sa.sa_handler = sigkit_bench_counting_handler;
  }
  sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
}

void restore_default(int signo) {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
}

void BM_raw_kill_self_raw_handler(benchmark::State& state) {
  install_raw(SIGUSR1, false);
  const pid_t self = ::getpid();
  g_raw_count = 0;
  for (auto _ : state) ::kill(self, SIGUSR1);
  restore_default(SIGUSR1);
  if (g_raw_count != static_cast<sig_atomic_t>(state.iterations())) {
    state.SkipWithError("raw handler count mismatch");
  }
}
BENCHMARK(BM_raw_kill_self_raw_handler);

void BM_check_signals_one_pending_int(benchmark::State& state) {
  std::int64_t calls = 0;
  sigkit::signal(SIGUSR1, [&calls](int) { ++calls; });
  const pid_t self = ::getpid();
  for (auto _ : state) {
    ::kill(self, SIGUSR1);
    sigkit::check_signals();
  }
  sigkit::signal(SIGUSR1, SIG_DFL);
  if (calls != static_cast<std::int64_t>(state.iterations())) {
    state.SkipWithError("sigkit handler count mismatch");
  }
}
BENCHMARK(BM_check_signals_one_pending_int);

void BM_raw_sigqueue_self_raw_siginfo_handler(benchmark::State& state) {
  install_raw(SIGUSR1, true);
  const pid_t self = ::getpid();
  g_raw_count = 0;
  for (auto _ : state) ::sigqueue(self, SIGUSR1, sigval{7});
  restore_default(SIGUSR1);
  if (g_raw_count != static_cast<sig_atomic_t>(state.iterations())) {
    state.SkipWithError("raw handler count mismatch");
  }
}
BENCHMARK(BM_raw_sigqueue_self_raw_siginfo_handler);

void BM_check_signals_one_pending_siginfo(benchmark::State& state) {
  std::int64_t calls = 0;
  sigkit::signal(SIGUSR1, [&calls](const sigkit::siginfo& info) {
    if (info.value.sival_int == 7) ++calls;
  });
  const pid_t self = ::getpid();
  for (auto _ : state) {
    ::sigqueue(self, SIGUSR1, sigval{7});
    sigkit::check_signals();
  }
  sigkit::signal(SIGUSR1, SIG_DFL);
  if (calls != static_cast<std::int64_t>(state.iterations())) {
    state.SkipWithError("sigkit handler count mismatch");
  }
}
BENCHMARK(BM_check_signals_one_pending_siginfo);

void BM_raw_raise_raw_handler(benchmark::State& state) {
  install_raw(SIGUSR1, false);
  g_raw_count = 0;
  for (auto _ : state) static_cast<void>(::raise(SIGUSR1));
  restore_default(SIGUSR1);
  if (g_raw_count != static_cast<sig_atomic_t>(state.iterations())) {
    state.SkipWithError("raw handler count mismatch");
  }
}
BENCHMARK(BM_raw_raise_raw_handler);

void BM_raise_signal(benchmark::State& state) {
  std::int64_t calls = 0;
  sigkit::signal(SIGUSR1, [&calls](int) { ++calls; });
  for (auto _ : state) sigkit::raise_signal(SIGUSR1);  // a checkpoint: the handler has run
  sigkit::signal(SIGUSR1, SIG_DFL);
  if (calls != static_cast<std::int64_t>(state.iterations())) {
    state.SkipWithError("sigkit handler count mismatch");
  }
}
BENCHMARK(BM_raise_signal);

// ---- dispositions ---------------------------------------------------------------------------

void BM_raw_sigaction_install_restore(benchmark::State& state) {
  struct sigaction sa {};
  sa.sa_handler = sigkit_bench_counting_handler;
  sigemptyset(&sa.sa_mask);
  for (auto _ : state) {
    struct sigaction old {};
    ::sigaction(SIGUSR2, &sa, &old);
    ::sigaction(SIGUSR2, &old, nullptr);
  }
}
BENCHMARK(BM_raw_sigaction_install_restore);

void BM_signal_install_restore(benchmark::State& state) {
  const sigkit::handler h([](int) {});
  for (auto _ : state) {
    sigkit::handler old = sigkit::signal(SIGUSR2, h);
    sigkit::signal(SIGUSR2, std::move(old));
  }
}
BENCHMARK(BM_signal_install_restore);

void BM_raw_sigaction_query(benchmark::State& state) {
  install_raw(SIGUSR2, false);
  for (auto _ : state) {
    struct sigaction old {};
    ::sigaction(SIGUSR2, nullptr, &old);
    benchmark::DoNotOptimize(old);
  }
  restore_default(SIGUSR2);
}
BENCHMARK(BM_raw_sigaction_query);

void BM_getsignal(benchmark::State& state) {
  sigkit::signal(SIGUSR2, [](int) {});
  for (auto _ : state) {
    sigkit::handler h = sigkit::getsignal(SIGUSR2);
    benchmark::DoNotOptimize(h);
  }
  sigkit::signal(SIGUSR2, SIG_DFL);
}
BENCHMARK(BM_getsignal);

// ---- masks ----------------------------------------------------------------------------------

void BM_raw_pthread_sigmask_round_trip(benchmark::State& state) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  for (auto _ : state) {
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
}
BENCHMARK(BM_raw_pthread_sigmask_round_trip);

void BM_pthread_sigmask_round_trip(benchmark::State& state) {
  const sigkit::signal_set set{SIGUSR2};
  for (auto _ : state) {
    const sigkit::signal_set old = sigkit::pthread_sigmask(SIG_BLOCK, set);
    sigkit::pthread_sigmask(SIG_SETMASK, old);
  }
}
BENCHMARK(BM_pthread_sigmask_round_trip);

void BM_scoped_block(benchmark::State& state) {
  const sigkit::signal_set set{SIGUSR2};
  for (auto _ : state) {
    const sigkit::scoped_block block(set);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_scoped_block);

// ---- signal_set -----------------------------------------------------------------------------

void BM_raw_sigaddset_sigismember_sigdelset(benchmark::State& state) {
  sigset_t set;
  sigemptyset(&set);
  for (auto _ : state) {
    for (int s = 1; s < 32; ++s) sigaddset(&set, s);
    int n = 0;
    for (int s = 1; s < 32; ++s) n += sigismember(&set, s);
    for (int s = 1; s < 32; ++s) sigdelset(&set, s);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_raw_sigaddset_sigismember_sigdelset);

void BM_signal_set_insert_contains_erase(benchmark::State& state) {
  sigkit::signal_set set;
  for (auto _ : state) {
    for (int s = 1; s < 32; ++s) set.insert(s);
    int n = 0;
    for (int s = 1; s < 32; ++s) n += set.contains(s) ? 1 : 0;
    for (int s = 1; s < 32; ++s) set.erase(s);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_signal_set_insert_contains_erase);

sigset_t raw_sample_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH}) sigaddset(&set, s);
  sigaddset(&set, SIGRTMIN);
  sigaddset(&set, SIGRTMAX);
  return set;
}

void BM_raw_sigismember_scan(benchmark::State& state) {  // size + iteration, the C way
  const sigset_t set = raw_sample_set();
  for (auto _ : state) {
    int n = 0;
    int sum = 0;
    for (int s = 1; s < NSIG; ++s) {
      if (sigismember(&set, s) == 1) {
        ++n;
        sum += s;
      }
    }
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_raw_sigismember_scan);

void BM_signal_set_size_and_iterate(benchmark::State& state) {
  const sigkit::signal_set set = sigkit::signal_set::from_native(raw_sample_set());
  for (auto _ : state) {
    auto n = set.size();
    int sum = 0;
    for (sigkit::signum s : set) sum += s.number();
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_signal_set_size_and_iterate);

void BM_raw_sigorset_sigandset(benchmark::State& state) {
  sigset_t a = raw_sample_set();
  sigset_t b;
  sigemptyset(&b);
  sigaddset(&b, SIGINT);
  sigaddset(&b, SIGALRM);
  for (auto _ : state) {
    sigset_t u;
    sigset_t i;
    sigorset(&u, &a, &b);
    sigandset(&i, &a, &b);
    benchmark::DoNotOptimize(u);
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_raw_sigorset_sigandset);

void BM_signal_set_union_intersection(benchmark::State& state) {
  const sigkit::signal_set a = sigkit::signal_set::from_native(raw_sample_set());
  const sigkit::signal_set b{SIGINT, SIGALRM};
  for (auto _ : state) {
    sigkit::signal_set u = a | b;
    sigkit::signal_set i = a & b;
    benchmark::DoNotOptimize(u);
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_signal_set_union_intersection);

// ---- names ----------------------------------------------------------------------------------

// The C way to get a name as a std::string: "SIG" + sigabbrev_np(s) (glibc has no names
// for the real-time signals, so those are skipped: a lower bound for the C++ result).
void BM_raw_sigabbrev_np(benchmark::State& state) {
  for (auto _ : state) {
    std::size_t len = 0;
    for (int s = 1; s < NSIG; ++s) {
      const char* n = ::sigabbrev_np(s);
      if (n == nullptr) continue;
      std::string name = "SIG";
      name += n;
      len += name.size();
      benchmark::DoNotOptimize(name);
    }
    benchmark::DoNotOptimize(len);
  }
}
BENCHMARK(BM_raw_sigabbrev_np);

void BM_signum_name(benchmark::State& state) {  // all 1..NSIG-1
  for (auto _ : state) {
    std::size_t len = 0;
    for (int s = 1; s < NSIG; ++s) len += sigkit::signum(s).name().size();
    benchmark::DoNotOptimize(len);
  }
}
BENCHMARK(BM_signum_name);

constexpr std::string_view kPlainNames[] = {"SIGINT",   "SIGTERM", "SIGUSR1", "SIGCHLD",
                                            "SIGWINCH", "sigpipe", "HUP",     "alrm"};

// The C way: skip an optional "SIG", compare case-insensitively with sigabbrev_np(1..31).
int raw_from_name(std::string_view text) {
  char buf[32];
  if (text.size() >= sizeof buf) return -1;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  const char* p = buf;
  if (::strncasecmp(p, "SIG", 3) == 0) p += 3;
  for (int s = 1; s < 32; ++s) {
    const char* n = ::sigabbrev_np(s);
    if (n != nullptr && ::strcasecmp(n, p) == 0) return s;
  }
  return -1;
}

void BM_raw_from_name_scan(benchmark::State& state) {
  for (auto _ : state) {
    int sum = 0;
    for (std::string_view n : kPlainNames) sum += raw_from_name(n);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_raw_from_name_scan);

void BM_signum_from_name(benchmark::State& state) {
  for (auto _ : state) {
    int sum = 0;
    for (std::string_view n : kPlainNames) sum += sigkit::signum::from_name(n).number();
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_signum_from_name);

void BM_signum_from_name_rt_and_numbers(benchmark::State& state) {  // no C equivalent
  constexpr std::string_view names[] = {"SIGRTMIN", "SIGRTMIN+3", "RTMAX-2", "sigrtmax",
                                        "15",       "SIG32",      "SIGIOT",  "cld"};
  for (auto _ : state) {
    int sum = 0;
    for (std::string_view n : names) sum += sigkit::signum::from_name(n).number();
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_signum_from_name_rt_and_numbers);

// ---- the table ------------------------------------------------------------------------------

class capturing_reporter : public benchmark::ConsoleReporter {
 public:
  capturing_reporter() : benchmark::ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& reports) override {
    benchmark::ConsoleReporter::ReportRuns(reports);
    for (const Run& r : reports) {
      const std::string& name = r.run_name.function_name;
      if (r.error_occurred) {
        errors_[name] = r.error_message;
        continue;
      }
      // Prefer the median aggregate; otherwise the (single) iteration run.
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (median || (r.run_type == Run::RT_Iteration && !has_median_[name])) {
        ns_[name] = r.GetAdjustedCPUTime() * to_ns(r.time_unit);
        if (median) has_median_[name] = true;
      }
    }
  }

  [[nodiscard]] bool has(const std::string& name) const { return ns_.count(name) != 0; }
  [[nodiscard]] double ns(const std::string& name) const { return ns_.at(name); }
  [[nodiscard]] bool failed(const std::string& name) const { return errors_.count(name) != 0; }
  [[nodiscard]] std::string error(const std::string& name) const {
    auto it = errors_.find(name);
    return it == errors_.end() ? std::string("not run") : it->second;
  }

 private:
  static double to_ns(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond:
        return 1;
      case benchmark::kMicrosecond:
        return 1e3;
      case benchmark::kMillisecond:
        return 1e6;
      case benchmark::kSecond:
        return 1e9;
    }
    return 1;
  }
  std::map<std::string, double> ns_;
  std::map<std::string, bool> has_median_;
  std::map<std::string, std::string> errors_;
};

struct pair_spec {
  const char* sigkit_bm;
  const char* baseline_bm;  // nullptr: none
  const char* label;
  const char* baseline_label;
};

constexpr pair_spec kPairs[] = {
    {"BM_check_signals_idle", "BM_raw_relaxed_atomic_load", "check_signals(), nothing pending",
     "relaxed atomic load"},
    {"BM_check_signals_one_pending_int", "BM_raw_kill_self_raw_handler",
     "kill(self) + check_signals(), (int) handler", "kill(self) + raw handler"},
    {"BM_check_signals_one_pending_siginfo", "BM_raw_sigqueue_self_raw_siginfo_handler",
     "sigqueue(self) + check_signals(), siginfo handler", "sigqueue(self) + raw SA_SIGINFO"},
    {"BM_raise_signal", "BM_raw_raise_raw_handler", "raise_signal() (runs the handler)",
     "raise() + raw handler"},
    {"BM_signal_install_restore", "BM_raw_sigaction_install_restore", "signal() install + restore",
     "2x sigaction"},
    {"BM_getsignal", "BM_raw_sigaction_query", "getsignal()", "sigaction(s, NULL, &old)"},
    {"BM_pthread_sigmask_round_trip", "BM_raw_pthread_sigmask_round_trip",
     "pthread_sigmask() block + restore", "2x raw pthread_sigmask"},
    {"BM_scoped_block", "BM_raw_pthread_sigmask_round_trip", "scoped_block",
     "2x raw pthread_sigmask"},
    {"BM_signal_set_insert_contains_erase", "BM_raw_sigaddset_sigismember_sigdelset",
     "signal_set insert/contains/erase x31", "sigaddset/sigismember/sigdelset x31"},
    {"BM_signal_set_size_and_iterate", "BM_raw_sigismember_scan", "signal_set size() + iterate (8)",
     "sigismember scan 1..64"},
    {"BM_signal_set_union_intersection", "BM_raw_sigorset_sigandset", "signal_set a|b, a&b",
     "sigorset + sigandset"},
    {"BM_signum_name", "BM_raw_sigabbrev_np", "signum::name() x64", "\"SIG\" + sigabbrev_np x64"},
    {"BM_signum_from_name", "BM_raw_from_name_scan", "signum::from_name() x8 plain names",
     "strcasecmp scan of sigabbrev_np"},
    {"BM_signum_from_name_rt_and_numbers", nullptr, "signum::from_name() x8 RT/alias/number", ""},
};

void emit_rows(const capturing_reporter& rep) {
  using sigkit_bench::emit_row;
  using sigkit_bench::format;
  for (const pair_spec& p : kPairs) {
    if (!rep.has(p.sigkit_bm)) {
      if (rep.failed(p.sigkit_bm)) {
        emit_row("micro", p.label, "FAILED: " + rep.error(p.sigkit_bm), "", "", "", "FAILED");
      }
      continue;  // else filtered out with --benchmark_filter
    }
    const double ns = rep.ns(p.sigkit_bm);
    std::string baseline;
    std::string ratio;
    if (p.baseline_bm != nullptr && rep.has(p.baseline_bm)) {
      const double base = rep.ns(p.baseline_bm);
      baseline = format("%s %.2f ns", p.baseline_label, base);
      ratio = format("%.2fx", ns / base);
    }
    std::string target;
    std::string verdict;
    if (std::string_view(p.sigkit_bm) == "BM_check_signals_idle") {
      target = "<= 1 ns";
      verdict = sigkit_bench::verdict_le(ns, 1.0);
    }
    emit_row("micro", p.label, format("%.2f ns", ns), baseline, ratio, target, verdict);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  capturing_reporter reporter;
  reporter.SetOutputStream(&std::cerr);
  reporter.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  emit_rows(reporter);
  benchmark::Shutdown();
  return 0;
}
