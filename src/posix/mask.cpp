// mask: pthread_sigmask, sigpending, block, scoped_block.
#include "sigkit/mask.hpp"

#include <pthread.h>

#include <cerrno>

#include "detail/fastpath.hpp"
#include "detail/state_posix.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {
namespace {

// pthread_sigmask for the calling thread, with the old mask as the user sees it: without
// sigkit's own block (back-pressure, and on the main thread with the event-loop fast path the
// signals it keeps blocked, which this also keeps). Returns the error number.
int change_mask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (const auto* ops = detail::fastpath.load(std::memory_order_acquire);
      ops != nullptr && detail::is_main_thread()) {
    return ops->change_mask(how, set, old);
  }
  const int err = detail::sys.pthread_sigmask(how, set, old);
  if (err == 0 && old != nullptr) detail::remove_backpressure(*old);
  return err;
}

}  // namespace

signal_set pthread_sigmask(int how, const signal_set& mask) {
  sigset_t old;
  ::sigemptyset(&old);
  // pthread_sigmask returns the error number; it does not set errno (CPython).
  const int err = change_mask(how, &mask.native(), &old);
  if (err != 0) detail::throw_error(err, "cannot change the signal mask");
  check_signals();  // unblocking a pending signal runs its handler before we return
  return signal_set::from_native(old);
}

signal_set sigpending() {
  sigset_t pending;
  ::sigemptyset(&pending);
  if (detail::sys.sigpending(&pending) != 0) {
    detail::throw_error(errno, "cannot read the pending signals");
  }
  // Deliveries waiting in the fast path's signalfd are not pending in Part 1's sense: without
  // the fast path their handler would have recorded them already.
  if (const std::uint64_t fast = detail::fast_blocked_mask.load(std::memory_order_acquire);
      fast != 0 && detail::is_main_thread()) {
    for (int s = 1; s < NSIG; ++s) {
      if ((fast & detail::signal_bit(s)) != 0) ::sigdelset(&pending, s);
    }
  }
  return signal_set::from_native(pending);
}

signal_set block(const signal_set& set) noexcept {
  sigset_t old;
  ::sigemptyset(&old);
  change_mask(SIG_BLOCK, &set.native(), &old);
  return signal_set::from_native(old);
}

scoped_block::scoped_block(const signal_set& set) noexcept : old_(block(set)) {}

scoped_block::~scoped_block() { change_mask(SIG_SETMASK, &old_.native(), nullptr); }

}  // namespace sigkit
