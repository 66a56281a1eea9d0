// later.cpp - dump_traceback_later: a watchdog thread of sigkit's that writes every thread's
// stack after a timeout (Python's faulthandler.dump_traceback_later).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "faulthandler/detail/engine.hpp"
#include "faulthandler/detail/faulthandler_state.hpp"
#include "sigkit/faulthandler.hpp"

namespace sigkit::detail::fh {
namespace {

struct watchdog {
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;
  bool cancel = false;  // guarded by mutex
};

// Never destroyed: a running watchdog must not meet std::thread's destructor at exit.
watchdog& the_watchdog() {
  static auto* w = new watchdog;  // NOLINT(cppcoreguidelines-owning-memory)
  return *w;
}

void watch(std::chrono::duration<double> timeout, bool repeat, int fd, bool exit_after) {
  // Process-directed signals are not this thread's business; the internal signal is (a
  // crash report asks every thread for its stack).
  sigset_t all;
  ::sigfillset(&all);
  const int internal = internal_signo.load(std::memory_order_acquire);
  if (internal > 0) ::sigdelset(&all, internal);
  ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
  static_cast<void>(::pthread_setname_np(::pthread_self(), "sigkit-watchdog"));
  watchdog& w = the_watchdog();
  const auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  auto deadline = std::chrono::steady_clock::now() + step;
  for (;;) {
    {
      std::unique_lock lock(w.mutex);
      if (w.wake.wait_until(lock, deadline, [&w] { return w.cancel; })) return;
    }
    const int self = current_tid();
    while (!acquire_report_lock(self, 1'000'000'000LL)) {
    }
    report_request r{};
    r.kind = report_kind::timeout;
    r.fd = fd;
    r.all_threads = true;
    r.include_self = false;
    r.timeout_ns = static_cast<std::int64_t>(std::llround(timeout.count() * 1e9));
    write_report(r);
    release_report_lock();
    if (exit_after) ::_exit(1);
    if (!repeat) return;
    deadline += step;
  }
}

}  // namespace

void forget_watchdog_after_fork() noexcept {
  watchdog& w = the_watchdog();
  if (w.thread.joinable()) w.thread.detach();  // the child has no such thread
  w.cancel = false;
}

}  // namespace sigkit::detail::fh

namespace sigkit::faulthandler {

void dump_traceback_later(std::chrono::duration<double> timeout, bool repeat, int fd, bool exit) {
  const double seconds = timeout.count();
  if (std::isnan(seconds) || seconds <= 0) {
    throw std::invalid_argument("faulthandler: the timeout must be greater than 0");
  }
  if (std::isinf(seconds) || seconds > 1e9) {
    throw std::out_of_range("faulthandler: the timeout is too large");
  }
  detail::fh::check_fd(fd, "dump_traceback_later");
  detail::fh::ensure_engine();
  cancel_dump_traceback_later();
  auto& w = detail::fh::the_watchdog();
  const std::lock_guard lock(w.mutex);
  w.cancel = false;
  w.thread = std::thread(&detail::fh::watch, timeout, repeat, fd, exit);
}

void cancel_dump_traceback_later() {
  auto& w = detail::fh::the_watchdog();
  std::thread finished;
  {
    const std::lock_guard lock(w.mutex);
    if (!w.thread.joinable()) return;
    w.cancel = true;
    finished = std::move(w.thread);
  }
  w.wake.notify_all();
  finished.join();
}

}  // namespace sigkit::faulthandler
