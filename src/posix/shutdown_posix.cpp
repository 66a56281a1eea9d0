// shutdown_posix: the POSIX port of the shutdown service's thread: an eventfd wakes it (signal
// context writes it: wake_shutdown_thread in signal_context_posix.cpp), it starts with every
// signal blocked, and it is named "sigkit-shutdown" for top, gdb and ps -L.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <thread>

#include "detail/platform.hpp"
#include "detail/state_posix.hpp"
#include "detail/util.hpp"

namespace sigkit::detail {
namespace {

// The eventfd the calling shutdown thread sleeps on (each thread gets its own at start, so a
// thread never waits on an fd published later or forgotten in a fork child).
thread_local int thread_wake_fd = -1;

}  // namespace

std::thread::id start_shutdown_thread(void (*body)()) {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw_error(errno, "cannot create sigkit's shutdown eventfd");
  // The thread never receives a process-directed signal: it starts with all blocked.
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread::id id;
  try {
    std::thread worker([fd, body] {
      thread_wake_fd = fd;
      body();
    });
    ::pthread_setname_np(worker.native_handle(), "sigkit-shutdown");  // for top, gdb, ps -L
    id = worker.get_id();
    worker.detach();
  } catch (const std::system_error& e) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::close(fd);
    throw_error(e.code().value(), "cannot start sigkit's shutdown thread");
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  shutdown_wake_fd.store(fd, std::memory_order_release);
  // A first delivery recorded before the fd existed (fork child) is picked up at once.
  const std::uint64_t one = 1;
  static_cast<void>(::write(fd, &one, sizeof one));
  return id;
}

void wait_shutdown_wake(int timeout_ms) noexcept {
  pollfd p{thread_wake_fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) > 0) {
    std::uint64_t count = 0;
    static_cast<void>(::read(thread_wake_fd, &count, sizeof count));
  }
}

void forget_shutdown_wake() noexcept {
  const int old_fd = shutdown_wake_fd.load(std::memory_order_relaxed);
  shutdown_wake_fd.store(-1, std::memory_order_release);
  if (old_fd >= 0) ::close(old_fd);
}

}  // namespace sigkit::detail
