// bench/faulthandler_bench.cpp - crash-report latency: from the faulting instruction to the
// last byte of the report.
//
// Each run forks a child that enables sigkit::faulthandler (JSON lines to a pipe), stamps
// CLOCK_MONOTONIC into shared memory, recurses 64 frames and dereferences null. The parent
// reads the pipe and stamps the moment the report's last line ({"type":"end"}) arrives:
// latency = that stamp - the child's. Cases:
//   1 thread, 64 frames, the crashing thread only (enable(fd, false));
//   32 threads (31 waiting on a condition variable), 64 frames, every thread's stack;
//   baseline: a raw SA_SIGINFO handler that writes one line to the same pipe (the cost of
//   delivering a fault and waking the reader at all, measured in the same run).
// Targets (docs/faulthandler.md): p99 <= 5 ms for 1 thread, <= 50 ms for 32 threads.
//
// Usage: sigkit_bench_faulthandler [--runs=N] (default 1000 per case)
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "sigkit/faulthandler.hpp"

namespace {

using sigkit_bench::now_ns;

struct shared_stamp {
  std::atomic<std::uint64_t> fault_ns{0};
};

shared_stamp* g_stamp = nullptr;
int g_pipe_write = -1;

__attribute__((noinline)) void fault() {
  g_stamp->fault_ns.store(now_ns(), std::memory_order_release);
  volatile int* volatile p = nullptr;
  *p = 1;
}

__attribute__((noinline)) int depth(int n) {
  if (n == 0) {
    fault();
    return 0;
  }
  return depth(n - 1) + 1;  // not a tail call: every level stays a frame
}

void raw_handler(int, siginfo_t*, void*) {
  static const char line[] = "{\"type\":\"end\"}\n";
  static_cast<void>(::write(g_pipe_write, line, sizeof line - 1));
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGSEGV, &dfl, nullptr);
}

enum class bench_case { raw, one_thread, thirty_two_threads };

int child_body(bench_case which) {
  std::mutex m;
  std::condition_variable cv;
  bool go = false;
  std::vector<std::thread> threads;
  if (which == bench_case::thirty_two_threads) {
    std::atomic<int> ready{0};
    for (int i = 0; i < 31; ++i) {
      threads.emplace_back([&] {
        std::unique_lock lock(m);
        ready.fetch_add(1);
        cv.wait(lock, [&go] { return go; });
      });
    }
    while (ready.load() < 31) std::this_thread::yield();
  }
  if (which == bench_case::raw) {
    struct sigaction sa {};
    sa.sa_sigaction = &raw_handler;
    sa.sa_flags = SA_SIGINFO;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, nullptr);
  } else {
    sigkit::faulthandler::options o;
    o.fd = g_pipe_write;
    o.format = sigkit::faulthandler::report_format::json;
    o.all_threads = which == bench_case::thirty_two_threads;
    sigkit::faulthandler::enable(o);
  }
  return depth(64);
}

// One run: the latency in ns, or 0 if the report never ended.
std::uint64_t one_run(bench_case which) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 0;
  g_stamp->fault_ns.store(0);
  g_pipe_write = fds[1];
  const pid_t pid = sigkit_bench::fork_child(10, [which] { return child_body(which); });
  ::close(fds[1]);
  std::string tail;
  std::uint64_t end = 0;
  char buffer[65536];
  const std::uint64_t deadline = now_ns() + 5'000'000'000ULL;
  while (end == 0 && now_ns() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    const std::uint64_t at = now_ns();
    tail.append(buffer, static_cast<std::size_t>(n));
    if (tail.size() > 64) tail.erase(0, tail.size() - 64);
    if (tail.size() >= 15 && tail.compare(tail.size() - 15, 15, "{\"type\":\"end\"}\n") == 0) {
      end = at;
    }
  }
  ::close(fds[0]);
  const int status = sigkit_bench::reap(pid, 5);
  const std::uint64_t start = g_stamp->fault_ns.load(std::memory_order_acquire);
  if (end == 0 || start == 0 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV) return 0;
  return end - start;
}

}  // namespace

int main(int argc, char** argv) {
  const auto runs = static_cast<std::size_t>(sigkit_bench::arg_value(argc, argv, "--runs", 1000));
  g_stamp = sigkit_bench::make_shared_block<shared_stamp>();
  const bench_case cases[] = {bench_case::raw, bench_case::one_thread,
                              bench_case::thirty_two_threads};
  std::vector<std::uint64_t> samples[3];
  std::size_t failures[3] = {0, 0, 0};
  // Interleaved (raw, 1, 32, raw, 1, 32 ...): a noisy moment hits every case alike.
  const std::uint64_t started = now_ns();
  for (std::size_t i = 0; i < runs; ++i) {
    for (std::size_t c = 0; c < 3; ++c) {
      const std::uint64_t ns = one_run(cases[c]);
      if (ns == 0) {
        ++failures[c];
      } else {
        samples[c].push_back(ns);
      }
    }
  }
  const std::uint64_t wall = now_ns() - started;
  sigkit_bench::free_shared_block(g_stamp);
  const char* names[] = {"raw SA_SIGINFO handler, one line", "1 thread, 64 frames",
                         "32 threads, 64 frames, all stacks"};
  sigkit_bench::latency_stats stats[3];
  for (std::size_t c = 0; c < 3; ++c) {
    stats[c] = sigkit_bench::compute_stats(samples[c].data(), samples[c].size(), wall);
    static_cast<void>(std::fprintf(
        stderr, "%-36s runs %zu failed %zu  mean %.1f us  p50 %.1f us  p99 %.1f us\n", names[c],
        samples[c].size(), failures[c], stats[c].mean_us, stats[c].p50_us, stats[c].p99_us));
  }
  const auto& raw = stats[0];
  auto result = [](const sigkit_bench::latency_stats& s, std::size_t failed) {
    return sigkit_bench::format("p50 %.0f us, p99 %.0f us (%zu runs%s)", s.p50_us, s.p99_us,
                                s.count, failed != 0 ? ", FAILED RUNS" : "");
  };
  const std::string baseline =
      sigkit_bench::format("raw handler p50 %.0f us, p99 %.0f us", raw.p50_us, raw.p99_us);
  sigkit_bench::emit_row(
      "faulthandler", "fault to last report byte, 1 thread, 64 frames",
      result(stats[1], failures[1]), baseline,
      sigkit_bench::format("%.1fx (p50)", stats[1].p50_us / raw.p50_us), "p99 <= 5 ms",
      failures[1] != 0 ? "FAILED" : sigkit_bench::verdict_le(stats[1].p99_us, 5000));
  sigkit_bench::emit_row(
      "faulthandler", "fault to last report byte, 32 threads (all stacks)",
      result(stats[2], failures[2]), baseline,
      sigkit_bench::format("%.1fx (p50)", stats[2].p50_us / raw.p50_us), "p99 <= 50 ms",
      failures[2] != 0 ? "FAILED" : sigkit_bench::verdict_le(stats[2].p99_us, 50000));
  return failures[1] + failures[2] != 0 ? 1 : 0;
}
