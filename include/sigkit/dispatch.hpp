// sigkit/dispatch.hpp - when deferred handlers run: checkpoints, pause, sleep, losses.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sigkit {

namespace detail {
/// Set in signal context after a delivery is recorded; cleared by the dispatcher.
extern std::atomic<bool> signals_pending;
/// Set once notify_fd() has opted in to the event-loop fast path: deliveries may then wait in
/// the kernel (a signalfd) without any flag, so the main thread's checkpoints look there.
extern std::atomic<bool> fastpath_active;
/// The slow path of check_signals().
void run_pending_handlers();
}  // namespace detail

/// Runs the handlers of pending signals now, in ascending signal number (Python's
/// PyErr_CheckSignals). (int) handlers run once however many deliveries coalesced;
/// (const siginfo&) handlers once per delivery in arrival order. An exception from a handler
/// propagates; the signals not yet handled stay pending for the next checkpoint.
/// Idle cost: one relaxed atomic load; after notify_fd() (the event-loop fast path) one
/// non-blocking read(2) of sigkit's signalfd on the main thread. In threads other than the
/// main thread: does nothing.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: whatever a handler throws.
inline void check_signals() {
  if (detail::signals_pending.load(std::memory_order_relaxed) ||
      detail::fastpath_active.load(std::memory_order_relaxed)) [[unlikely]] {
    detail::run_pending_handlers();
  }
}

#ifndef _WIN32
/// Runs pending handlers; if none ran, sleeps until a signal is delivered to any thread of
/// the process and runs its handler (main thread). No lost wakeups: a delivery after the last
/// checkpoint wakes it at once. In other threads: returns after a signal is delivered to that
/// thread, without running handlers.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: whatever a handler throws; std::system_error from the OS.
void pause();
#endif  // Windows: no pause() (Python has none there); sleep() is interrupted by Ctrl+C.

/// Sleeps for `duration` like Python's time.sleep: on the main thread it runs handlers of
/// signals that arrive (on entry too), propagates their exception, else resumes with the
/// remaining time (PEP 475). In other threads it sleeps the whole duration. On Windows a
/// Ctrl+C or Ctrl+Break wakes it too (the console delivers them on a thread of its own).
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a negative or NaN duration; std::out_of_range for +inf
/// or too large; whatever a handler throws.
void sleep(std::chrono::duration<double> duration);

/// Deliveries of `signalnum` that a (const siginfo&) handler will never see, since process
/// start (a forked child starts at 0): queue overflow, or records discarded because the
/// handler was changed before they were dispatched. received + dropped == sent.
/// Thread safety: safe. Signal safety: async-signal-safe.
/// Errors: std::invalid_argument outside 1..NSIG-1.
std::uint64_t dropped_deliveries(int signalnum);

/// How many delivery records can wait between two checkpoints before back-pressure starts
/// (the kernel then keeps further instances queued) or, failing that, deliveries are dropped.
/// Thread safety: safe. Signal safety: async-signal-safe.
std::size_t siginfo_queue_capacity() noexcept;

}  // namespace sigkit
