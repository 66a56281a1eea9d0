// sigkit/siginfo.hpp - what the kernel says about one delivery.
#pragma once

#include <sys/types.h>
#include <csignal>
#include <string>

namespace sigkit {

#ifdef _WIN32
/// One delivery of a signal on Windows (Python has no `struct_siginfo` there): the signal,
/// how it came (`code`, a delivery_code) and the sending process where it is known.
struct siginfo {
  int signo = 0;          ///< the signal number
  int code = 0;           ///< a delivery_code: raised, ctrl_c_event, ctrl_close_event, ...
  unsigned long pid = 0;  ///< the sender's process id: this process for raise(); 0: unknown
};

/// How a delivery came about on Windows (the value of siginfo::code).
enum delivery_code : int {
  raised = 1,               ///< raise(), raise_signal() or abort() in this process
  ctrl_c_event = 2,         ///< the console's CTRL_C_EVENT (Ctrl+C, send_ctrl_event): SIGINT
  ctrl_break_event = 3,     ///< the console's CTRL_BREAK_EVENT (Ctrl+Break): SIGBREAK
  ctrl_close_event = 4,     ///< the console is being closed: SIGBREAK (as the C runtime maps it)
  ctrl_logoff_event = 5,    ///< the user logs off: SIGBREAK (as the C runtime maps it)
  ctrl_shutdown_event = 6,  ///< the system shuts down: SIGBREAK (as the C runtime maps it)
};
#else
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
#endif

/// "SI_USER", "SI_QUEUE", "SI_KERNEL", "SI_TKILL", "SI_TIMER", "SI_MESGQ", "SI_ASYNCIO",
/// "SI_SIGIO", "CLD_EXITED", "SEGV_MAPERR", ... for the code of a delivery of `signo` (on
/// Windows: "raised", "CTRL_C_EVENT", "CTRL_BREAK_EVENT", "CTRL_CLOSE_EVENT", ...); the
/// number as text ("12345") for a code it does not know.
/// Thread safety: safe. Signal safety: not async-signal-safe (allocates).
std::string code_name(int signo, int code);

}  // namespace sigkit
