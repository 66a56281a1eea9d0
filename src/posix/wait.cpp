// wait: sigwait, sigwaitinfo, sigtimedwait (PEP 475: resume after EINTR).
#include "sigkit/wait.hpp"

#include <cerrno>
#include <stdexcept>

#include "detail/fastpath.hpp"
#include "detail/syscalls.hpp"
#include "detail/util_posix.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {
namespace {

void check_not_empty(const signal_set& sigset, const char* function) {
  if (sigset.empty()) {
    throw std::invalid_argument(std::string(function) + " needs a non-empty signal set");
  }
}

}  // namespace

signum sigwait(const signal_set& sigset) {
  check_not_empty(sigset, "sigwait");
  const detail::classic_section as_in_part1(sigset.native());
  int signo = 0;
  const int err = detail::sys.sigwait(&sigset.native(), &signo);  // returns the error number
  if (err != 0) detail::throw_error(err, "sigwait failed");
  return signo;
}

siginfo sigwaitinfo(const signal_set& sigset) {
  check_not_empty(sigset, "sigwaitinfo");
  const detail::classic_section as_in_part1(sigset.native());
  for (;;) {
    siginfo_t info{};
    if (detail::sys.sigwaitinfo(&sigset.native(), &info) >= 0) return siginfo::from_native(info);
    const int err = errno;
    if (err != EINTR) detail::throw_error(err, "sigwaitinfo failed");
    check_signals();  // a handler's exception propagates; otherwise wait again
  }
}

std::optional<siginfo> sigtimedwait(const signal_set& sigset,
                                    std::chrono::duration<double> timeout) {
  check_not_empty(sigset, "sigtimedwait");
  detail::check_wait_duration(timeout.count(), "sigtimedwait timeout");
  timespec remaining = detail::ceil_timespec(timeout.count());
  const detail::classic_section as_in_part1(sigset.native());
  const timespec deadline = detail::add_timespec(detail::monotonic_now(), remaining);
  for (;;) {
    siginfo_t info{};
    if (detail::sys.sigtimedwait(&sigset.native(), &info, &remaining) >= 0) {
      return siginfo::from_native(info);
    }
    const int err = errno;
    if (err == EAGAIN) return std::nullopt;
    if (err != EINTR) detail::throw_error(err, "sigtimedwait failed");
    check_signals();
    // Resume with what remains; if the handler used it all, it is a timeout (never the
    // uninitialised record CPython returns here).
    if (!detail::remaining_until(deadline, remaining)) return std::nullopt;
  }
}

}  // namespace sigkit
