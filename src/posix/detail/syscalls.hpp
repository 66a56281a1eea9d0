// src/posix/detail/syscalls.hpp - the syscall seam: every system call that normal-context code
// makes and whose errors matter goes through this table, so tests can inject EINTR, EAGAIN,
// EBADF where a real OS cannot be made to produce them ({fmt}'s posix mock). Signal-context
// code never uses it (it calls the OS directly).
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

namespace sigkit::detail {

struct syscall_table {
  int (*sigaction)(int, const struct sigaction*, struct sigaction*);
  int (*pthread_sigmask)(int, const sigset_t*, sigset_t*);  // returns the error number
  int (*sigpending)(sigset_t*);
  int (*sigwait)(const sigset_t*, int*);  // returns the error number
  int (*sigwaitinfo)(const sigset_t*, siginfo_t*);
  int (*sigtimedwait)(const sigset_t*, siginfo_t*, const struct timespec*);
  int (*setitimer)(int, const struct itimerval*, struct itimerval*);
  int (*getitimer)(int, struct itimerval*);
  unsigned (*alarm)(unsigned);
  int (*raise)(int);
  int (*pthread_kill)(pthread_t, int);  // returns the error number
  int (*pidfd_send_signal)(int, int, siginfo_t*, unsigned);
  int (*pidfd_open)(pid_t, unsigned);
  int (*sigqueue)(pid_t, int, const union sigval);
  int (*fstat)(int, struct stat*);
  int (*fcntl_getfl)(int);
  int (*ppoll)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*);
  int (*clock_nanosleep)(clockid_t, int, const struct timespec*, struct timespec*);
};

/// The table in use. Tests replace entries (see scoped_syscall) in a single-threaded phase.
extern syscall_table sys;

/// The real system calls.
const syscall_table& real_syscalls() noexcept;

/// Replaces one entry of `sys` for the lifetime of the object.
template <class Fn>
class scoped_syscall {
 public:
  scoped_syscall(Fn syscall_table::*member, Fn replacement) : member_(member), saved_(sys.*member) {
    sys.*member_ = replacement;
  }
  ~scoped_syscall() { sys.*member_ = saved_; }
  scoped_syscall(const scoped_syscall&) = delete;
  scoped_syscall& operator=(const scoped_syscall&) = delete;

 private:
  Fn syscall_table::*member_;
  Fn saved_;
};

}  // namespace sigkit::detail
