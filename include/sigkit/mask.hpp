// sigkit/mask.hpp - the calling thread's signal mask and the pending set.
#pragma once

#ifdef _WIN32
#error "sigkit/mask.hpp: Windows has no signal masks (Python has no pthread_sigmask there)"
#endif

#include "sigkit/signal_set.hpp"

namespace sigkit {

/// Changes the calling thread's mask (`how` is SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK) and
/// returns the old mask. A checkpoint: unblocking a pending signal runs its handler before
/// this returns (main thread), and the handler's exception propagates.
/// Thread safety: safe (affects the calling thread only). Signal safety: not async-signal-safe.
/// Errors: std::system_error (EINVAL) for a bad `how`.
signal_set pthread_sigmask(int how, const signal_set& mask);

/// The signals pending for the calling thread or the process.
/// Thread safety: safe. Signal safety: async-signal-safe. Errors: std::system_error.
signal_set sigpending();

/// Blocks `set` in the calling thread and returns the old mask (no checkpoint).
/// Thread safety: safe. Signal safety: async-signal-safe.
signal_set block(const signal_set& set) noexcept;

/// Blocks signals for the lifetime of the object and restores the previous mask exactly.
/// Thread safety: use from one thread (masks are per thread). Signal safety: async-signal-safe.
class scoped_block {
 public:
  /// Blocks `set` in the calling thread (no checkpoint), remembering the previous mask.
  explicit scoped_block(const signal_set& set) noexcept;
  /// Restores the previous mask exactly. Not a checkpoint: the handler of a signal this
  /// unblocks runs at the next checkpoint.
  ~scoped_block();
  scoped_block(const scoped_block&) = delete;
  scoped_block& operator=(const scoped_block&) = delete;
  /// The mask that was in force before this object blocked its set.
  [[nodiscard]] const signal_set& previous() const noexcept { return old_; }

 private:
  signal_set old_;
};

}  // namespace sigkit
