// bench/shutdown_bench.cpp - how fast sigkit::shutdown reacts while the main thread is blocked.
//
// Each run forks a child that creates the receiver, starts a worker thread and blocks its
// main thread in join() (never a sigkit checkpoint). The parent sends SIGTERM and times:
//   stop:  kill() -> the worker's std::stop_callback has run (CLOCK_MONOTONIC in shared memory)
//   death: the second kill() -> the child's pidfd is readable (it has died), and by which signal
// Receivers:
//   sigkit::shutdown                         (the API; target: stop within 50 ms, death within 1 s)
//   hand-rolled sigwaitinfo thread [baseline] (SIGTERM blocked everywhere, a thread in
//                                            sigwaitinfo calls request_stop(); the second
//                                            SIGTERM: SIG_DFL, unblock, raise)
// Median and max of --runs (default 100) for each, in the same run.
//
// Usage: sigkit_bench_shutdown [--runs=N]
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <stop_token>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "sigkit/sigkit.hpp"

namespace {

using namespace sigkit_bench;

struct shared_stamp {
  std::atomic<std::uint64_t> stopped_ns{0};
  int done_fd = -1;  // the stop callback writes a byte here after the stamp

  void stop_now() {
    stopped_ns = now_ns();
    const char byte = 's';
    static_cast<void>(::write(done_fd, &byte, 1));
  }
};

enum class receiver { sigkit_shutdown, sigwaitinfo_thread };

// The child: returns only by dying. `ready` is written once everything is armed.
int child_body(receiver kind, shared_stamp* stamp, int ready) {
  if (kind == receiver::sigkit_shutdown) {
    sigkit::shutdown stop({.signals = {SIGTERM}});
    std::jthread worker([&stamp, token = stop.token()] {
      const std::stop_callback cb(token, [&] { stamp->stop_now(); });
      for (;;) ::pause();  // a worker that never looks at anything
    });
    const char byte = 'r';
    static_cast<void>(::write(ready, &byte, 1));
    worker.join();  // the main thread: blocked, no checkpoint
    return 1;
  }
  sigset_t term;
  ::sigemptyset(&term);
  ::sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);  // inherited by every thread made from here
  std::stop_source source;
  std::jthread waiter([&] {
    siginfo_t info;
    if (::sigwaitinfo(&term, &info) == SIGTERM) source.request_stop();
    if (::sigwaitinfo(&term, &info) == SIGTERM) {
      ::signal(SIGTERM, SIG_DFL);
      ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
      ::raise(SIGTERM);
    }
  });
  std::jthread worker([&stamp, token = source.get_token()] {
    const std::stop_callback cb(token, [&] { stamp->stop_now(); });
    for (;;) ::pause();
  });
  const char byte = 'r';
  static_cast<void>(::write(ready, &byte, 1));
  worker.join();
  return 1;
}

struct result {
  std::vector<std::uint64_t> stop_ns;
  std::vector<std::uint64_t> death_ns;
  int wrong_deaths = 0;
  int failures = 0;
};

void one_run(receiver kind, result& r) {
  auto* stamp = make_shared_block<shared_stamp>();
  int fds[2];
  int done[2];
  if (::pipe(fds) != 0 || ::pipe(done) != 0) std::exit(2);
  stamp->done_fd = done[1];
  const pid_t pid = fork_child(20, [&] {
    ::close(fds[0]);
    ::close(done[0]);
    return child_body(kind, stamp, fds[1]);
  });
  ::close(fds[1]);
  ::close(done[1]);
  char byte = 0;
  const bool ready = ::read(fds[0], &byte, 1) == 1;
  ::close(fds[0]);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (!ready || pidfd < 0) {
    ++r.failures;
    kill_and_reap(pid);
    free_shared_block(stamp);
    return;
  }
  const std::uint64_t sent = now_ns();
  ::kill(pid, SIGTERM);
  pollfd wait_stop{done[0], POLLIN, 0};
  static_cast<void>(::poll(&wait_stop, 1, 5000));  // no busy wait: 2 CPUs are shared
  ::close(done[0]);
  const std::uint64_t stopped = stamp->stopped_ns.load();
  if (stopped == 0) {
    ++r.failures;
  } else {
    r.stop_ns.push_back(stopped - sent);
  }
  const std::uint64_t second = now_ns();
  ::kill(pid, SIGTERM);
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, 5000) == 1) r.death_ns.push_back(now_ns() - second);
  ::close(pidfd);
  const int status = reap(pid, 5);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) ++r.wrong_deaths;
  free_shared_block(stamp);
}

double median_us(std::vector<std::uint64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[v.size() / 2]) / 1e3;
}
double max_us(const std::vector<std::uint64_t>& v) {
  return v.empty() ? 0 : static_cast<double>(*std::max_element(v.begin(), v.end())) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = static_cast<int>(arg_value(argc, argv, "--runs", 100));
  result ours;
  result base;
  for (int i = 0; i < runs; ++i) {  // interleaved: noise hits both alike
    one_run(receiver::sigkit_shutdown, ours);
    one_run(receiver::sigwaitinfo_thread, base);
  }
  std::printf("sigkit::shutdown: %zu stops, %zu deaths, %d wrong deaths, %d failures\n",
              ours.stop_ns.size(), ours.death_ns.size(), ours.wrong_deaths, ours.failures);
  std::printf("sigwaitinfo thread: %zu stops, %zu deaths, %d wrong deaths, %d failures\n",
              base.stop_ns.size(), base.death_ns.size(), base.wrong_deaths, base.failures);
  const bool ok = ours.failures == 0 && ours.wrong_deaths == 0 &&
                  ours.stop_ns.size() == static_cast<std::size_t>(runs);
  const double stop_med = median_us(ours.stop_ns);
  const double stop_max = max_us(ours.stop_ns);
  const double base_stop_med = median_us(base.stop_ns);
  emit_row("shutdown",
           format("first SIGTERM -> stop_requested, main blocked (median, %d runs)", runs),
           format("%.1f us", stop_med), format("%.1f us", base_stop_med),
           format("%.2fx", base_stop_med > 0 ? stop_med / base_stop_med : 0), "-", "-");
  emit_row("shutdown", format("first SIGTERM -> stop_requested (max of %d)", runs),
           format("%.1f us", stop_max), format("%.1f us", max_us(base.stop_ns)), "-", "<= 50 ms",
           ok ? verdict_le(stop_max, 50000) : "FAILED");
  const double death_med = median_us(ours.death_ns);
  const double base_death_med = median_us(base.death_ns);
  emit_row("shutdown", format("second SIGTERM -> death by SIGTERM (median, %d runs)", runs),
           format("%.1f us", death_med), format("%.1f us", base_death_med),
           format("%.2fx", base_death_med > 0 ? death_med / base_death_med : 0), "-", "-");
  emit_row("shutdown", format("second SIGTERM -> death by SIGTERM (max of %d)", runs),
           format("%.1f us", max_us(ours.death_ns)), format("%.1f us", max_us(base.death_ns)), "-",
           "<= 1 s", ok ? verdict_le(max_us(ours.death_ns), 1e6) : "FAILED");
  return ok ? 0 : 1;
}
