// dispatch_posix: the POSIX port of the dispatcher's OS side: pause() and sleep() (a ppoll
// on sigkit's wake eventfd, and the fast path's signalfd), SIG_DFL carried out for real
// (stop signals too), foreign sigaction handlers beneath subscribers, back-pressure release,
// and the glue of the event-loop fast path (fastpath.cpp) that must exist without it.
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "detail/action_keeper.hpp"
#include "detail/dispatcher.hpp"
#include "detail/fastpath.hpp"
#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state_posix.hpp"
#include "detail/syscalls.hpp"
#include "detail/util_posix.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/signum.hpp"

namespace sigkit {
namespace detail {
namespace {

// The native siginfo a foreign SA_SIGINFO handler beneath the subscribers is handed.
siginfo_t to_native(const siginfo& info) noexcept {
  siginfo_t native{};
  native.si_signo = info.signo;
  native.si_code = info.code;
  native.si_errno = info.error;
  native.si_pid = info.pid;
  native.si_uid = info.uid;
  native.si_value = info.value;
  return native;
}

// A delivery read from the signalfd for a signal whose OS action is no longer sigkit's (the
// last subscription ended, or signal(SIG_DFL), while the main thread still blocked it): the
// action the OS has now is what a delivery would have met. Carried out here and now.
void run_current_os_action(int s, const siginfo& info) noexcept {
  struct sigaction action {};
  if (peek_os_action(s, &action) != 0) return;  // (beneath the crash reporter, if it keeps s)
  if ((action.sa_flags & SA_SIGINFO) != 0) {
    if (action.sa_sigaction == &sigkit_os_handler) return;
    siginfo_t native = to_native(info);
    action.sa_sigaction(s, &native, nullptr);
  } else if (action.sa_handler == SIG_DFL) {
    const default_action what = default_action_of(signum(s));
    if (what == default_action::terminate || what == default_action::core) {
      end_process_by_signal(s);
    }
    if (what == default_action::stop) static_cast<void>(::raise(SIGSTOP));
  } else if (action.sa_handler != SIG_IGN) {
    action.sa_handler(s);
  }
}

}  // namespace

// Undo back-pressure in the main thread now that the queue has room: the kernel then hands
// over the instances it kept.
void release_backpressure() noexcept {
  if (throttled_mask.load(std::memory_order_relaxed) == 0) return;
  const std::uint64_t bits = throttled_mask.exchange(0, std::memory_order_acq_rel);
  sigset_t set;
  ::sigemptyset(&set);
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0) ::sigaddset(&set, s);
  }
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

// Carries out SIG_DFL's action for `s` for real, here at the checkpoint: a terminating signal
// ends the process by that signal; a stop signal stops it and, after SIGCONT, goes on.
void carry_out_default_action(int s) {
  switch (default_action_of(signum(s))) {
    case default_action::terminate:
    case default_action::core:
      end_process_by_signal(s);  // as the kernel would: no stdio flush, no atexit
    case default_action::stop: {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      ::sigemptyset(&dfl.sa_mask);
      struct sigaction ours {};
      if (::sigaction(s, &dfl, &ours) != 0) return;
      sigset_t one;
      sigset_t old;
      ::sigemptyset(&one);
      ::sigaddset(&one, s);
      ::pthread_sigmask(SIG_UNBLOCK, &one, &old);
      static_cast<void>(::raise(s));  // returns after SIGCONT
      ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
      ::sigaction(s, &ours, nullptr);
      return;
    }
    case default_action::cont:
    case default_action::ignore:
      return;
  }
}

void run_native_action(int s, const native_action& action, const siginfo& info) {
  if ((action.sa_flags & SA_SIGINFO) != 0) {
    siginfo_t native = to_native(info);
    action.sa_sigaction(s, &native, nullptr);
  } else if (action.sa_handler == SIG_DFL) {
    carry_out_default_action(s);
  } else if (action.sa_handler != SIG_IGN) {
    action.sa_handler(s);
  }
}

std::string wakeup_error_line(int fd, int err) {
  return "sigkit: cannot write to the signal wakeup fd " + std::to_string(fd) + ": " +
         std::strerror(err) + "\n";
}

void take_os_deliveries() noexcept {
  if (const fastpath_ops* ops = fastpath.load(std::memory_order_acquire)) ops->checkpoint();
}

std::atomic<const fastpath_ops*> fastpath{nullptr};

void bump_fast_generation() noexcept {
  fast_generation.fetch_add(1, std::memory_order_acq_rel);
  if (fastpath.load(std::memory_order_acquire) == nullptr) return;
  // The main thread applies the change at its next checkpoint: wake its loop for that.
  if (is_main_thread()) return;
  const int fd = notify_event_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(::write(fd, &one, sizeof one));
  notify_written.store(true, std::memory_order_release);
}

void sync_fast_path() noexcept {
  const fastpath_ops* ops = fastpath.load(std::memory_order_acquire);
  if (ops != nullptr && is_main_thread()) ops->sync();
}

void take_delivery(const siginfo& info) noexcept {
  const int s = info.signo;
  if (s < 1 || s >= NSIG) return;
  const std::uint64_t bit = signal_bit(s);
  if ((owned_mask.load(std::memory_order_acquire) & bit) == 0) {
    run_current_os_action(s, info);
    return;
  }
  if (handler_mode[s].load(std::memory_order_acquire) ==
      static_cast<std::uint8_t>(record_mode::siginfo)) {
    push_backlog(info);
  }
  mark_taken(s);
  if ((shutdown_mask.load(std::memory_order_relaxed) & bit) != 0) escalate_shutdowns(s, info);
  // Read by this thread only (the dispatcher); signal context never clears it.
  if (!signals_pending.load(std::memory_order_relaxed)) {
    signals_pending.store(true, std::memory_order_relaxed);
  }
}

classic_section::classic_section(const sigset_t& wait_set) noexcept {
  const fastpath_ops* ops = fastpath.load(std::memory_order_acquire);
  if (ops == nullptr || !is_main_thread()) return;
  ops->checkpoint();  // what arrived before the wait goes to its handler, as in Part 1
  const std::uint64_t bits = fast_blocked_mask.load(std::memory_order_acquire);
  ::sigemptyset(&unblocked_);
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0 && ::sigismember(&wait_set, s) != 1) {
      ::sigaddset(&unblocked_, s);
      active_ = true;
    }
  }
  if (active_) ::pthread_sigmask(SIG_UNBLOCK, &unblocked_, nullptr);
}

classic_section::~classic_section() {
  if (active_) ::pthread_sigmask(SIG_BLOCK, &unblocked_, nullptr);
}

void remove_backpressure(sigset_t& mask) noexcept {
  if (!is_main_thread()) return;
  const std::uint64_t bits = throttled_mask.load(std::memory_order_acquire) |
                             fast_blocked_mask.load(std::memory_order_acquire);
  if (bits == 0) return;
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0) ::sigdelset(&mask, s);
  }
}

namespace {

enum class wake { woken, interrupted, timed_out };

// Blocks on sigkit's wake eventfd, which the OS-level handler writes whenever this thread
// waits; so a delivery to any thread, or one that lands between the caller's last check and
// the block, wakes it at once (API.md 11).
wake wait_for_wake(const timespec* timeout) {
  const int fd = internal_wake_fd.load(std::memory_order_acquire);
  waiting_thread.store(static_cast<unsigned long>(::pthread_self()), std::memory_order_seq_cst);
  if (signals_pending.load(std::memory_order_seq_cst)) {
    waiting_thread.store(0, std::memory_order_seq_cst);
    return wake::woken;
  }
  // With the event-loop fast path, deliveries also wait in the signalfd.
  const int signal_fd = fast_blocked_mask.load(std::memory_order_acquire) != 0
                            ? fast_signal_fd.load(std::memory_order_acquire)
                            : -1;
  pollfd p[2] = {{fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  const int r = sys.ppoll(p, signal_fd >= 0 ? 2 : 1, timeout, nullptr);
  const int err = errno;
  waiting_thread.store(0, std::memory_order_seq_cst);
  if ((r > 0 && (p[0].revents & POLLIN) != 0) || wake_written.load(std::memory_order_acquire)) {
    wake_written.store(false, std::memory_order_relaxed);
    std::uint64_t count = 0;
    static_cast<void>(::read(fd, &count, sizeof count));  // EAGAIN: nothing to drain
  }
  if (r > 0) return wake::woken;
  if (r == 0) return wake::timed_out;
  if (err == EINTR) return wake::interrupted;
  throw_error(err, "cannot wait for a signal");
}

}  // namespace
}  // namespace detail

void pause() {
  if (!detail::is_main_thread()) {
    ::pause();  // returns once a handler has run in this thread
    return;
  }
  detail::ensure_initialized();
  for (;;) {
    // Deliveries waiting in the fast path's signalfd count as pending.
    if (const auto* ops = detail::fastpath.load(std::memory_order_acquire)) ops->checkpoint();
    // Returns at once if something is pending already (then no sleep at all).
    const detail::wake w = detail::wait_for_wake(nullptr);
    if (w == detail::wake::interrupted || detail::signals_pending.load()) {
      check_signals();
      return;
    }
    // Woken by a stale count with nothing pending: wait again.
  }
}

void sleep(std::chrono::duration<double> duration) {
  detail::check_wait_duration(duration.count(), "sleep duration");
  const timespec deadline =
      detail::add_timespec(detail::monotonic_now(), detail::ceil_timespec(duration.count()));
  if (!detail::is_main_thread()) {
    // Other threads sleep the whole duration and run no handlers.
    while (detail::sys.clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) ==
           EINTR) {
    }
    return;
  }
  detail::ensure_initialized();
  check_signals();
  for (;;) {
    timespec remaining{};
    if (!detail::remaining_until(deadline, remaining) ||
        (remaining.tv_sec == 0 && remaining.tv_nsec == 0)) {
      return;
    }
    if (detail::wait_for_wake(&remaining) == detail::wake::timed_out) return;
    check_signals();
  }
}

void detail::wait_for_delivery() { sigkit::pause(); }

}  // namespace sigkit
