// bench/trace_bench.cpp - what `sigkit trace` costs the process it watches: signal round trips
// per second on a ping-pong, with and without trace attached, in the same run.
//
// A partner process (a plain loop on sigwaitinfo) answers every SIGUSR1 with
// kill(si_pid, SIGUSR1). The measured process sends SIGUSR1 and waits in sigsuspend until its
// raw handler has run: one delivery per round trip, which under trace is one
// signal-delivery-stop (the tracer reads the siginfo, the sender's stat and cmdline and its
// parent's stat, the receiver's dispositions, re-injects the signal and prints the record).
// The partner is not traced. Both are pinned to --cpu; the tracer runs pinned to the same CPU,
// then to the next one (a ptrace stop and its resumption cost far more across CPUs).
//
// Cases, run --reps times interleaved, the rep with the lowest p50 reported: untraced (the
// baseline); for each tracer CPU `sigkit trace -o /dev/null PID`, `sigkit trace --json
// -o /dev/null PID` and, for reference, `strace -e trace=none -o /dev/null -p PID` if strace is
// installed (it still stops the tracee at every system call). The ratio is round trips per
// second traced over untraced (1.00 = no cost), then the p50 ratio.
//
// Usage: sigkit_bench_trace [--round-trips=N] [--seconds=S] [--reps=R] [--cpu=C] [--tool=PATH]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.hpp"

#ifndef SIGKIT_TOOL_PATH
#define SIGKIT_TOOL_PATH ""
#endif

namespace {

using namespace sigkit_bench;

constexpr std::size_t kMaxSamples = 100'000;
constexpr int kWarmup = 300;

struct shared_result {
  int ok = 0;
  std::size_t count = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t samples[kMaxSamples] = {};
};

enum class mode { untraced, text, json, strace };

struct case_desc {
  mode m;
  int tracer_cpu;
  std::string label;
};

const char* const kStrace = "/usr/bin/strace";

int run_partner(int cpu) {
  pin_to_cpu(cpu);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);  // blocked: inherited from the orchestrator
  for (;;) {
    siginfo_t si;
    const int s = ::sigwaitinfo(&set, &si);
    if (s == SIGUSR1) {
      if (si.si_pid > 0) ::kill(si.si_pid, SIGUSR1);  // never 0 or negative: a group
    } else if (s < 0 && errno != EINTR) {
      return 1;
    }
  }
}

volatile sig_atomic_t g_handled = 0;

extern "C" void sigkit_bench_trace_handler(int /*signo*/) { g_handled = g_handled + 1; }

int run_measured(int cpu, pid_t partner, int go_fd, std::size_t round_trips, double seconds,
                 shared_result& out) {
  pin_to_cpu(cpu);
  struct sigaction sa {};
  sa.sa_handler = sigkit_bench_trace_handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, nullptr);
  char byte = 0;
  while (::read(go_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  sigset_t waiting;  // the inherited mask (SIGUSR1 blocked) without SIGUSR1
  ::sigprocmask(SIG_SETMASK, nullptr, &waiting);
  sigdelset(&waiting, SIGUSR1);
  const auto one = [&] {
    const sig_atomic_t before = g_handled;
    ::kill(partner, SIGUSR1);
    while (g_handled == before) ::sigsuspend(&waiting);
  };
  for (int i = 0; i < kWarmup; ++i) one();
  const std::uint64_t start = now_ns();
  const std::uint64_t deadline = start + static_cast<std::uint64_t>(seconds * 1e9);
  std::size_t n = 0;
  std::uint64_t t1 = start;
  while (n < round_trips) {
    const std::uint64_t t0 = now_ns();
    one();
    t1 = now_ns();
    out.samples[n++] = t1 - t0;
    if (t1 > deadline) break;
  }
  out.count = n;
  out.wall_ns = t1 - start;
  out.ok = 1;
  return 0;
}

bool traced_by(pid_t target, pid_t tracer) {
  char path[64];
  static_cast<void>(std::snprintf(path, sizeof path, "/proc/%d/status", target));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char line[256];
  long tracer_pid = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "TracerPid:", 10) == 0) {
      tracer_pid = std::strtol(line + 10, nullptr, 10);
      break;
    }
  }
  static_cast<void>(std::fclose(f));
  return tracer_pid == tracer;
}

// Starts the tracer on `cpu` and waits until it has attached (sigkit says so on stderr; for
// strace, TracerPid tells). Returns its pid, or -1.
pid_t start_tracer(const std::string& tool, mode m, pid_t target, int cpu, std::string& error) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    error = "pipe2 failed";
    return -1;
  }
  const std::string pid_text = std::to_string(target);
  std::vector<const char*> argv;
  if (m == mode::strace) {
    argv = {kStrace, "-qq", "-e", "trace=none", "-o", "/dev/null", "-p", pid_text.c_str()};
  } else {
    argv = {tool.c_str(), "trace"};
    if (m == mode::json) argv.push_back("--json");
    argv.insert(argv.end(), {"-o", "/dev/null", pid_text.c_str()});
  }
  argv.push_back(nullptr);
  static_cast<void>(std::fflush(nullptr));
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    pin_to_cpu(cpu);
    ::dup2(err_pipe[1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], const_cast<char* const*>(argv.data()));  // NOLINT: execv's signature
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  std::string text;
  const std::uint64_t deadline = now_ns() + 10'000'000'000ULL;
  const auto attached = [&] {
    return m == mode::strace ? traced_by(target, pid)
                             : text.find("tracing process") != std::string::npos;
  };
  while (!attached() && now_ns() < deadline) {
    pollfd p{err_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, 10) > 0) {
      char buf[512];
      const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(err_pipe[0]);
  if (!attached()) {
    error = "the tracer did not attach: " + text;
    kill_and_reap(pid);
    return -1;
  }
  return pid;
}

struct run_result {
  bool ok = false;
  latency_stats stats;
  std::string error;
};

run_result run_once(mode m, const std::string& tool, int cpu, int tracer_cpu,
                    std::size_t round_trips, double seconds, shared_result* shared) {
  // strace is stopped by SIGKILL once its target is gone (it would wait for nothing else).
  *shared = shared_result{};
  run_result r;
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) {
    r.error = "pipe2 failed";
    return r;
  }
  const unsigned watchdog = static_cast<unsigned>(seconds) + 30;
  const pid_t partner = fork_child(watchdog, [&] {
    ::close(go[0]);
    ::close(go[1]);
    return run_partner(cpu);
  });
  const pid_t measured = fork_child(watchdog, [&] {
    ::close(go[1]);
    return run_measured(cpu, partner, go[0], round_trips, seconds, *shared);
  });
  ::close(go[0]);
  pid_t tracer = 0;
  if (m != mode::untraced) {
    tracer = start_tracer(tool, m, measured, tracer_cpu, r.error);
    if (tracer < 0) {
      ::close(go[1]);
      kill_and_reap(measured);
      kill_and_reap(partner);
      return r;
    }
  }
  const char start = 1;
  static_cast<void>(::write(go[1], &start, 1));  // the measured process starts
  ::close(go[1]);
  const int status = reap(measured, seconds + 20);
  kill_and_reap(partner);
  if (tracer > 0) {
    const int tracer_status = reap(tracer, 10);  // its target is gone: it ends by itself
    const bool tracer_ok = m == mode::strace ? tracer_status >= 0
                                             : tracer_status >= 0 && WIFEXITED(tracer_status) &&
                                                   WEXITSTATUS(tracer_status) == 0;
    if (!tracer_ok) {
      r.error = format("sigkit trace failed (status 0x%x)", tracer_status);
      return r;
    }
  }
  if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || shared->ok == 0) {
    r.error = format("measured child failed (status 0x%x)", status);
    return r;
  }
  r.ok = true;
  r.stats = compute_stats(shared->samples, shared->count, shared->wall_ns);
  return r;
}

std::string tool_path(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--tool=", 7) == 0) return argv[i] + 7;
  }
  return SIGKIT_TOOL_PATH;
}

}  // namespace

int main(int argc, char** argv) {
  const auto round_trips = static_cast<std::size_t>(
      std::min<double>(arg_value(argc, argv, "--round-trips", 20000), kMaxSamples));
  const double seconds = arg_value(argc, argv, "--seconds", 1.0);
  const int reps = static_cast<int>(arg_value(argc, argv, "--reps", 3));
  const int cpu = static_cast<int>(arg_value(argc, argv, "--cpu", 0));
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  const std::string tool = tool_path(argc, argv);
  const std::string section = format("trace ping-pong cpu%d", cpu);
  if (tool.empty() || ::access(tool.c_str(), X_OK) != 0) {
    emit_row(section, "sigkit trace", "FAILED: no sigkit tool (build it, or --tool=PATH)", "", "",
             "", "FAILED");
    return 1;
  }
  const bool have_strace = ::access(kStrace, X_OK) == 0;
  std::vector<case_desc> cases{{mode::untraced, -1, "untraced [baseline]"}};
  std::vector<int> tracer_cpus{cpu};
  if (cpus > 1) tracer_cpus.push_back(static_cast<int>((cpu + 1) % cpus));
  for (const int t : tracer_cpus) {
    const std::string where = t == cpu ? "same CPU" : format("CPU %d", t);
    cases.push_back({mode::text, t, "sigkit trace, tracer on " + where});
    cases.push_back({mode::json, t, "sigkit trace --json, tracer on " + where});
    if (have_strace) {
      cases.push_back({mode::strace, t, "strace -e trace=none, on " + where + " [reference]"});
    }
  }

  // Both children inherit SIGUSR1 blocked: the partner waits for it with sigwaitinfo, the
  // measured side unblocks it only inside sigsuspend.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto* shared = make_shared_block<shared_result>();
  static_cast<void>(std::fprintf(
      stderr, "trace ping-pong: up to %zu round trips or %.1f s per run, best of %d reps, %s\n",
      round_trips, seconds, reps, tool.c_str()));
  std::vector<run_result> best(cases.size());
  for (int rep = 0; rep < reps; ++rep) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      run_result r =
          run_once(cases[i].m, tool, cpu, cases[i].tracer_cpu, round_trips, seconds, shared);
      static_cast<void>(std::fprintf(
          stderr, "  rep %d %-48s %s\n", rep, cases[i].label.c_str(),
          r.ok ? format("mean %.2f us p50 %.2f p99 %.2f n=%zu %.0f rt/s", r.stats.mean_us,
                        r.stats.p50_us, r.stats.p99_us, r.stats.count, r.stats.per_second)
                     .c_str()
               : r.error.c_str()));
      if (!r.ok) {
        if (!best[i].ok) best[i] = r;
        continue;
      }
      if (!best[i].ok || r.stats.p50_us < best[i].stats.p50_us) best[i] = r;
    }
  }
  const run_result& base = best[0];
  int failed = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const run_result& r = best[i];
    if (!r.ok) {
      emit_row(section, cases[i].label, "FAILED: " + r.error, "", "", "", "FAILED");
      failed = 1;
      continue;
    }
    const std::string result =
        format("%.0f rt/s, p50 %.2f us, mean %.2f, p99 %.2f", r.stats.per_second, r.stats.p50_us,
               r.stats.mean_us, r.stats.p99_us);
    std::string baseline;
    std::string ratio;
    if (i > 0 && base.ok) {
      baseline =
          format("untraced %.0f rt/s, p50 %.2f us", base.stats.per_second, base.stats.p50_us);
      ratio = format("%.3fx rt/s (p50 %.1fx)", r.stats.per_second / base.stats.per_second,
                     r.stats.p50_us / base.stats.p50_us);
    }
    emit_row(section, cases[i].label, result, baseline, ratio, i > 0 ? "(informational)" : "", "");
  }
  free_shared_block(shared);
  return failed;
}
