// src/posix/detail/fastpath.hpp - how the layers below reach the event-loop fast path
// (fastpath.cpp), which exists only in programs that call notify_fd(): through a table of
// functions published at the opt-in, so that a program that never calls notify_fd() does not
// even link it. Normal context only.
#pragma once

#include <signal.h>

#include <atomic>
#include <cstdint>

#include "sigkit/siginfo.hpp"

namespace sigkit::detail {

struct fastpath_ops {
  /// Main thread: applies a changed fast set (mask and signalfd), nothing else. Never throws.
  void (*sync)() noexcept;
  /// Main thread: applies a changed fast set (mask and signalfd) and reads every delivery
  /// waiting in the signalfd into the dispatcher (take_delivery). Never throws.
  void (*checkpoint)() noexcept;
  /// Main thread: pthread_sigmask as the user sees it (sigkit's own block neither reported
  /// nor lost); `old_user` gets the user's previous mask. Returns 0 or an error number.
  int (*change_mask)(int how, const sigset_t* set, sigset_t* old_user) noexcept;
};

/// Null until notify_fd() publishes the fast path.
extern std::atomic<const fastpath_ops*> fastpath;

/// Applies a changed fast set now if the caller is the main thread (the registry, the wakeup
/// fd and shutdown call it after a change, so that a signal that leaves the fast path is
/// unblocked before they return). Never throws.
void sync_fast_path() noexcept;

/// Records that something changed which signals may take the fast path (an OS action, a
/// shutdown, the wakeup fd); from another thread it also wakes the notify fd so that the main
/// thread applies it soon. Never throws.
void bump_fast_generation() noexcept;

/// The dispatcher's side (dispatch.cpp, main thread): one delivery read from the signalfd,
/// recorded as the OS-level handler would have recorded it.
void take_delivery(const siginfo& info) noexcept;

/// Main thread, during sigwait/sigwaitinfo/sigtimedwait: lets the fast-path signals that are
/// not in `wait_set` interrupt the wait as in Part 1 (they run their handler through the
/// OS-level handler meanwhile), after taking what waits in the signalfd.
class classic_section {
 public:
  explicit classic_section(const sigset_t& wait_set) noexcept;
  ~classic_section();
  classic_section(const classic_section&) = delete;
  classic_section& operator=(const classic_section&) = delete;

 private:
  sigset_t unblocked_{};
  bool active_ = false;
};

}  // namespace sigkit::detail
