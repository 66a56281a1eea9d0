// The syscall seam's default table: the real system calls.
#include "detail/syscalls.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace sigkit::detail {
namespace {

int real_pidfd_send_signal(int pidfd, int sig, siginfo_t* info, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags));
}
int real_pidfd_open(pid_t pid, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}
int real_fcntl_getfl(int fd) { return ::fcntl(fd, F_GETFL); }

constexpr syscall_table real_table{
    ::sigaction,     ::pthread_sigmask, ::sigpending,   ::sigwait,
    ::sigwaitinfo,   ::sigtimedwait,    ::setitimer,    ::getitimer,
    ::alarm,         ::raise,           ::pthread_kill, real_pidfd_send_signal,
    real_pidfd_open, ::sigqueue,        ::fstat,        real_fcntl_getfl,
    ::ppoll,         ::clock_nanosleep,
};

}  // namespace

syscall_table sys = real_table;

const syscall_table& real_syscalls() noexcept { return real_table; }

}  // namespace sigkit::detail
