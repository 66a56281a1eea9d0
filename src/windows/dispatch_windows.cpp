// dispatch_windows: the Windows port of the dispatcher's OS side: sleep() (a wait on sigkit's
// wake event, which signal context sets for every delivery while the main thread waits: a
// Ctrl+C on the console's thread wakes it), SIG_DFL carried out for real (the seven signals
// all end the process), foreign C runtime handlers beneath subscribers, and the wakeup
// socket's error line.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>

#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state_windows.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;

enum class wake { woken, timed_out };

// Blocks the main thread on sigkit's wake event for at most `timeout_ms` (INFINITE: no
// limit). The flag and the pending check pair with signal context (set the flags, then look
// at main_waiting): a delivery after the caller's last check wakes it at once.
wake wait_for_wake(DWORD timeout_ms) {
  main_waiting.store(true, std::memory_order_seq_cst);
  if (signals_pending.load(std::memory_order_seq_cst)) {
    main_waiting.store(false, std::memory_order_seq_cst);
    return wake::woken;
  }
  const DWORD r = ::WaitForSingleObject(wake_event.load(std::memory_order_acquire), timeout_ms);
  const DWORD err = ::GetLastError();
  main_waiting.store(false, std::memory_order_seq_cst);
  if (r == WAIT_OBJECT_0) return wake::woken;
  if (r == WAIT_TIMEOUT) return wake::timed_out;
  throw_error(static_cast<int>(err), "cannot wait for a signal");
}

// The time to a deadline as a wait's timeout: whole milliseconds rounded up (never 0 before
// the deadline), at most a day per wait (the caller waits again).
DWORD milliseconds_until(clock::time_point deadline, clock::time_point now) noexcept {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
  return static_cast<DWORD>(left < kDay ? left : kDay);
}

// A validated duration as a deadline on the steady clock; beyond 30 years: never.
clock::time_point deadline_after(double seconds) noexcept {
  if (seconds > 30.0 * 365 * 24 * 3600) return clock::time_point::max();
  const auto nanoseconds =
      std::chrono::ceil<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  return clock::now() + std::chrono::duration_cast<clock::duration>(nanoseconds);
}

}  // namespace

void take_os_deliveries() noexcept {
  // Every Windows delivery is recorded by signal context; none waits in the OS.
}

void release_backpressure() noexcept {
  // Windows has no signal masks, hence no back-pressure to lift.
}

void carry_out_default_action(int signo) {
  // SIG_DFL ends the process for each of Windows' seven signals.
  end_process_by_signal(signo);
}

void run_native_action(int signo, const native_action& action, const siginfo& /*info*/) {
  if (action == SIG_DFL) {
    carry_out_default_action(signo);
  } else if (action != SIG_IGN) {
    action(signo);
  }
}

std::string wakeup_error_line(int fd, int err) {
  char text[256] = {};
  const DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, static_cast<DWORD>(err), 0, text, sizeof text, nullptr);
  std::string message(text, n);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' ||
                              message.back() == ' ' || message.back() == '.')) {
    message.pop_back();
  }
  if (message.empty()) message = "Winsock error";
  return "sigkit: cannot send to the signal wakeup fd " + std::to_string(fd) + ": " + message +
         " (" + std::to_string(err) + ")\n";
}

void wait_for_delivery() {
  ensure_initialized();
  for (;;) {
    // Returns at once if something is pending already.
    if (wait_for_wake(INFINITE) == wake::woken && signals_pending.load()) {
      check_signals();
      return;
    }
    // Woken by a stale event with nothing pending: wait again.
  }
}

}  // namespace detail

void sleep(std::chrono::duration<double> duration) {
  detail::check_wait_duration(duration.count(), "sleep duration");
  const auto deadline = detail::deadline_after(duration.count());
  if (!detail::is_main_thread()) {
    // Other threads sleep the whole duration and run no handlers. (A sleep may end a little
    // early on Windows: go round until the deadline has passed.)
    for (auto now = detail::clock::now(); now < deadline; now = detail::clock::now()) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(detail::milliseconds_until(deadline, now)));
    }
    return;
  }
  detail::ensure_initialized();
  check_signals();
  for (;;) {
    const auto now = detail::clock::now();
    if (now >= deadline) return;
    // A timed-out wait goes round once more: Windows may end it a little before the deadline.
    if (detail::wait_for_wake(detail::milliseconds_until(deadline, now)) == detail::wake::woken) {
      check_signals();
    }
  }
}

}  // namespace sigkit
