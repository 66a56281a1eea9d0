// sigkit/shutdown.hpp - graceful shutdown with escalation, through std::stop_token.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>

#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/subscribe.hpp"

namespace sigkit {

/// How a shutdown reacts to its signals.
struct shutdown_options {
  /// The signals that request the stop (and, delivered again, end the process). On Windows
  /// SIGBREAK too: Ctrl+Break, and closing the console, logging off or shutting down, which
  /// the console reports as SIGBREAK (sigkit then holds the close for up to the ~5 s that
  /// Windows allows, so that the program can finish).
#ifdef _WIN32
  signal_set signals{SIGINT, SIGBREAK, SIGTERM};
#else
  signal_set signals{SIGINT, SIGTERM};
#endif
  /// How long after the first delivery the process may still live before it is ended by the
  /// first signal; 0: no deadline.
  std::chrono::duration<double> grace{0};
  /// A second delivery of any of `signals` ends the process at once, by that signal.
  bool second_signal_kills = true;
};

/// Graceful shutdown with escalation (Go's signal.NotifyContext, plus what it lacks).
/// The first delivery of any of `options.signals` requests stop on token() within
/// milliseconds, even if the main thread never reaches a checkpoint: a thread of sigkit's,
/// woken from signal context, calls request_stop() and runs the stop callbacks. A second
/// delivery ends the process at once by that signal (if second_signal_kills), even if every
/// thread is stuck; if grace > 0 and the process still lives `grace` after the first
/// delivery, it ends by the first signal. The parent always sees WIFSIGNALED. (On Windows,
/// where a process does not die by a signal, it ends with the exit code Windows gives a
/// Ctrl+C, STATUS_CONTROL_C_EXIT, for SIGINT and SIGBREAK, and 3 for the others, as the C
/// runtime's SIG_DFL.)
/// Built on subscribe(): its subscriber counts as handled (a signal() handler beneath does
/// not run while the object lives; getsignal() keeps reporting it), and the destructor
/// restores what was there before.
/// Thread safety: the object may be used from any thread; construct and destroy it where it
/// suits (commonly main). Signal safety: not async-signal-safe.
/// Fork: a child inherits the object's state; there, the first delivery requests stop at the
/// next main-thread checkpoint (sigkit's thread is started again then).
class shutdown {
 public:
  /// Subscribes to `options.signals` and arms the escalation.
  /// Thread safety: safe. Signal safety: not async-signal-safe.
  /// Errors: as subscribe() (std::invalid_argument for an empty set, SIGKILL, SIGSTOP, 32,
  /// 33); std::invalid_argument for a negative or NaN grace, std::out_of_range for an
  /// infinite one; std::length_error if 16 shutdown objects live already;
  /// std::system_error if sigkit's thread cannot be started.
  explicit shutdown(shutdown_options options = {});
  /// Unsubscribes, cancels any deadline and restores the dispositions found before. Waits
  /// for stop callbacks that sigkit's thread is running for this object.
  ~shutdown();
  shutdown(const shutdown&) = delete;
  shutdown& operator=(const shutdown&) = delete;
  shutdown(shutdown&&) = delete;
  shutdown& operator=(shutdown&&) = delete;

  /// The token whose stop is requested at the first delivery.
  /// Thread safety: safe. Signal safety: not async-signal-safe.
  [[nodiscard]] std::stop_token token() const noexcept;

  /// True once the first delivery has been recorded (the token's stop follows within
  /// milliseconds, on sigkit's thread).
  /// Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] bool requested() const noexcept;

  /// The first delivery (signal, sender pid/uid, code, value), or nullopt before it. Later
  /// deliveries never change it.
  /// Thread safety: safe. Signal safety: not async-signal-safe.
  [[nodiscard]] std::optional<siginfo> reason() const;

  /// Blocks until the stop has been requested on token(). On the main thread it runs the
  /// checkpoints meanwhile (other handlers and subscribers run; their exceptions
  /// propagate); in other threads it just waits.
  /// Thread safety: safe. Signal safety: not async-signal-safe.
  /// Errors: whatever a handler throws; std::system_error from the OS.
  void wait();

 private:
  int slot_ = -1;
  subscription subscription_;
};

}  // namespace sigkit
