// mask: pthread_sigmask, sigpending, block, scoped_block.
#include "sigkit/mask.hpp"

#include <pthread.h>

#include <cerrno>

#include "detail/state.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {

signal_set pthread_sigmask(int how, const signal_set& mask) {
  sigset_t old;
  ::sigemptyset(&old);
  // pthread_sigmask returns the error number; it does not set errno (CPython).
  const int err = detail::sys.pthread_sigmask(how, &mask.native(), &old);
  if (err != 0) detail::throw_error(err, "cannot change the signal mask");
  detail::remove_backpressure(old);
  check_signals();  // unblocking a pending signal runs its handler before we return
  return signal_set::from_native(old);
}

signal_set sigpending() {
  sigset_t pending;
  ::sigemptyset(&pending);
  if (detail::sys.sigpending(&pending) != 0) {
    detail::throw_error(errno, "cannot read the pending signals");
  }
  return signal_set::from_native(pending);
}

signal_set block(const signal_set& set) noexcept {
  sigset_t old;
  ::sigemptyset(&old);
  ::pthread_sigmask(SIG_BLOCK, &set.native(), &old);
  detail::remove_backpressure(old);
  return signal_set::from_native(old);
}

scoped_block::scoped_block(const signal_set& set) noexcept : old_(block(set)) {}

scoped_block::~scoped_block() { ::pthread_sigmask(SIG_SETMASK, &old_.native(), nullptr); }

}  // namespace sigkit
