// bench/bench_common.hpp - helpers shared by the delivery benchmarks (ping-pong, burst, idle):
// monotonic time, CPU pinning, bounded children, latency statistics and the one result table.
//
// Every benchmark prints its rows as tab-separated lines that start with "ROW\t"; bench/run.sh
// collects them from all binaries into one table. Anything else a binary prints is detail.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace sigkit_bench {

/// CLOCK_MONOTONIC in nanoseconds; comparable across processes. Async-signal-safe.
inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Pins the calling process to `cpu`; a negative cpu leaves it unpinned.
inline void pin_to_cpu(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<unsigned>(cpu), &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "bench: sched_setaffinity(%d): %s\n", cpu, std::strerror(errno));
  }
}

/// Formats like printf into a std::string.
template <class... Args>
std::string format(const char* fmt, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

/// One row of the final table (see run.sh): section, case, result, baseline, ratio, target,
/// verdict. Empty fields print as "-".
inline void emit_row(const std::string& section, const std::string& name, const std::string& result,
                     const std::string& baseline, const std::string& ratio,
                     const std::string& target, const std::string& verdict) {
  auto f = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::printf("ROW\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f(section).c_str(), f(name).c_str(),
              f(result).c_str(), f(baseline).c_str(), f(ratio).c_str(), f(target).c_str(),
              f(verdict).c_str());
  std::fflush(stdout);
}

/// "MET" when value <= limit, else "MISSED by N%".
inline std::string verdict_le(double value, double limit) {
  if (value <= limit) return "MET";
  return format("MISSED by %.0f%%", (value / limit - 1.0) * 100.0);
}

/// Anonymous shared memory that survives fork (the children write results into it).
template <class T>
T* make_shared_block() {
  void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("bench: mmap");
    std::exit(2);
  }
  return new (p) T();
}

template <class T>
void free_shared_block(T* p) {
  p->~T();
  ::munmap(p, sizeof(T));
}

/// Forks a child that runs `body` and _exit()s with its return value. The child dies with its
/// parent (PR_SET_PDEATHSIG) and after `watchdog_s` seconds at the latest (alarm, whose default
/// action terminates it), so nothing outlives or hangs the benchmark.
template <class F>
pid_t fork_child(unsigned watchdog_s, F&& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("bench: fork");
    std::exit(2);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    ::alarm(watchdog_s);
    const int rc = body();
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(rc);
  }
  return pid;
}

/// Waits up to `timeout_s` for `pid`; then SIGKILLs and reaps it. Returns the wait status, or
/// -1 if it had to be killed.
inline int reap(pid_t pid, double timeout_s) {
  if (pid <= 0) return -1;  // never kill(0 or negative): that is a process group
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout_s * 1e9);
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (now_ns() > deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    ::usleep(100);
  }
}

/// Kills `pid` (which this process created) with SIGKILL and reaps it.
inline void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

/// Latency statistics over a set of samples in nanoseconds.
struct latency_stats {
  std::size_t count = 0;
  double mean_us = 0, p50_us = 0, p99_us = 0;
  double per_second = 0;  // count / wall time of the run
};

inline latency_stats compute_stats(const std::uint64_t* samples, std::size_t n,
                                   std::uint64_t wall_ns) {
  latency_stats s;
  s.count = n;
  if (n == 0) return s;
  std::vector<std::uint64_t> v(samples, samples + n);
  std::sort(v.begin(), v.end());
  long double sum = 0;
  for (auto x : v) sum += static_cast<long double>(x);
  s.mean_us = static_cast<double>(sum / static_cast<long double>(n)) / 1e3;
  s.p50_us = static_cast<double>(v[n / 2]) / 1e3;
  s.p99_us = static_cast<double>(v[std::min(n - 1, (n * 99) / 100)]) / 1e3;
  s.per_second = wall_ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(wall_ns) : 0;
  return s;
}

/// The value of "--name=value" in argv, or `fallback`.
inline double arg_value(int argc, char** argv, const char* name, double fallback) {
  const std::size_t len = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') {
      return std::strtod(argv[i] + len + 1, nullptr);
    }
  }
  return fallback;
}

}  // namespace sigkit_bench
