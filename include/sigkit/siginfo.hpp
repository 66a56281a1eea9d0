// sigkit/siginfo.hpp - what the kernel says about one delivery.
#pragma once

#include <sys/types.h>
#include <csignal>
#include <string>

namespace sigkit {

/// One delivery of a signal (Python: `struct_siginfo`, plus the sigqueue payload).
/// The si_* names are glibc macros, hence the unprefixed member names.
struct siginfo {
  int signo = 0;   ///< the signal number
  int code = 0;    ///< SI_USER, SI_QUEUE, SI_KERNEL, SI_TKILL, CLD_EXITED, ...
  int error = 0;   ///< si_errno
  pid_t pid = 0;   ///< the sender's pid (kill, sigqueue, child signals)
  uid_t uid = 0;   ///< the sender's real uid
  int status = 0;  ///< exit value or signal (SIGCHLD)
  long band = 0;   ///< band event (SIGPOLL); on Linux aliases the pid for kill()
  sigval value{};  ///< the payload sent with sigqueue(3)

  /// Copies the fields out of the kernel's record. Signal safety: async-signal-safe (inline,
  /// field copies only: sigkit's OS-level handler uses it).
  static siginfo from_native(const siginfo_t& info) noexcept {
    siginfo r;
    r.signo = info.si_signo;
    r.code = info.si_code;
    r.error = info.si_errno;
    r.pid = info.si_pid;
    r.uid = info.si_uid;
    r.status = info.si_status;
    r.band = info.si_band;
    r.value = info.si_value;
    return r;
  }
};

/// "SI_USER", "SI_QUEUE", "SI_KERNEL", "SI_TKILL", "SI_TIMER", "SI_MESGQ", "SI_ASYNCIO",
/// "SI_SIGIO", "CLD_EXITED", "SEGV_MAPERR", ... for the code of a delivery of `signo`; the
/// number as text ("12345") for a code it does not know.
/// Thread safety: safe. Signal safety: not async-signal-safe (allocates).
std::string code_name(int signo, int code);

}  // namespace sigkit
