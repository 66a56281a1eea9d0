// cmake/coverage_flush.cpp - linked into every executable of the coverage preset only
// (cmake/coverage.cmake). gcov writes a process's counters when it exits normally, so code that
// ran in a process that leaves with _exit() (every forked test child, a failed exec) or dies by
// a signal it raises (die_by_signal, run_main after Ctrl-C, the death tests) would never be
// counted. The linker routes our calls of _exit, _Exit and raise here (-Wl,--wrap=...): they
// write the counters first. Nothing here is part of sigkit.
#include <csignal>

extern "C" {
void __gcov_dump();   // NOLINT(bugprone-reserved-identifier): libgcov's interface
void __gcov_reset();  // NOLINT(bugprone-reserved-identifier)
[[noreturn]] void __real__exit(int status);  // NOLINT(bugprone-reserved-identifier)
[[noreturn]] void __real__Exit(int status);  // NOLINT(bugprone-reserved-identifier)
int __real_raise(int signo);                 // NOLINT(bugprone-reserved-identifier)

[[noreturn]] void __wrap__exit(int status) {  // NOLINT(bugprone-reserved-identifier)
  __gcov_dump();
  __real__exit(status);
}

[[noreturn]] void __wrap__Exit(int status) {  // NOLINT(bugprone-reserved-identifier)
  __gcov_dump();
  __real__Exit(status);
}

// Only a raise that may end the process (a signal at SIG_DFL whose default action is not to
// ignore or stop) writes the counters, then zeroes them so that a process that lives on does
// not count twice: tests raise handled signals by the thousand.
int __wrap_raise(int signo) {  // NOLINT(bugprone-reserved-identifier)
  struct sigaction current {};
  const bool harmless = signo == SIGCHLD || signo == SIGCONT || signo == SIGURG ||
                        signo == SIGWINCH || signo == SIGSTOP || signo == SIGTSTP ||
                        signo == SIGTTIN || signo == SIGTTOU;
  if (!harmless && ::sigaction(signo, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    __gcov_dump();
    __gcov_reset();
  }
  return __real_raise(signo);
}
}
