// send: raise_signal, pthread_kill, pidfd_send_signal, pidfd_open, sigqueue.
#include "sigkit/send.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>

#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {

void raise_signal(int signalnum) {
  if (detail::sys.raise(signalnum) != 0) {
    detail::throw_error(errno, "cannot raise " + detail::describe_signal(signalnum));
  }
  check_signals();  // on the main thread the handler has run when this returns
}

void pthread_kill(pthread_t thread_id, int signalnum) {
  if (thread_id == 0) throw std::invalid_argument("pthread_kill: thread id 0 is not a thread");
  const int err = detail::sys.pthread_kill(thread_id, signalnum);  // returns the error number
  if (err != 0) {
    detail::throw_error(err, "cannot send " + detail::describe_signal(signalnum) + " to a thread");
  }
  check_signals();
}

void pidfd_send_signal(int pidfd, int signalnum, int flags) {
  if (detail::sys.pidfd_send_signal(pidfd, signalnum, nullptr, static_cast<unsigned>(flags)) != 0) {
    detail::throw_error(errno, "cannot send " + detail::describe_signal(signalnum) +
                                   " through pidfd " + std::to_string(pidfd));
  }
}

int pidfd_open(pid_t pid) {
  const int fd = detail::sys.pidfd_open(pid, 0);
  if (fd < 0) detail::throw_error(errno, "cannot open a pidfd for process " + std::to_string(pid));
  return fd;
}

void sigqueue(pid_t pid, int signalnum, int value) {
  sigval payload{};
  payload.sival_int = value;
  if (detail::sys.sigqueue(pid, signalnum, payload) != 0) {
    detail::throw_error(errno, "cannot queue " + detail::describe_signal(signalnum) +
                                   " to process " + std::to_string(pid));
  }
}

}  // namespace sigkit
