// event_loop: notify_fd() and dispatch() (event_loop.hpp).
//
// notify_fd() is an epoll fd of sigkit's own; what it watches is sigkit's business: the
// signalfd of the fast path (fastpath.cpp), where deliveries to the main thread queue without
// a signal frame, and the notify eventfd, which the OS-level handler writes after recording a
// delivery that did not take the fast path (another thread, an injected delivery, a wakeup fd
// or a shutdown in use). A fork child gets a channel of its own under the same fd number.
#include "sigkit/event_loop.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <new>

#include "detail/fastpath_impl.hpp"
#include "detail/registry.hpp"
#include "detail/state_posix.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {
namespace detail {
namespace {

std::mutex notify_mutex;
std::atomic<int> notify_epoll_fd{-1};  // the number notify_fd() returns, for life

bool watch(int ep, int fd) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

// Makes the eventfd, the signalfd (empty mask: the fast path sets it) and an epoll fd that
// watches both; returns the epoll fd, or -1 with errno (and nothing left open).
int make_channel(int& event_fd, int& signal_fd) noexcept {
  event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd < 0) return -1;
  sigset_t none;
  ::sigemptyset(&none);
  signal_fd = ::signalfd(-1, &none, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    const int err = errno;
    ::close(event_fd);
    errno = err;
    return -1;
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0 || ::fcntl(ep, F_SETFL, O_NONBLOCK) != 0) {
    const int err = errno;
    if (ep >= 0) ::close(ep);
    ::close(signal_fd);
    ::close(event_fd);
    errno = err;
    return -1;
  }
  if (!watch(ep, event_fd) || !watch(ep, signal_fd)) {
    const int err = errno;
    ::close(ep);
    ::close(signal_fd);
    ::close(event_fd);
    errno = err;
    return -1;
  }
  return ep;
}

// Makes the notify fd readable again (deliveries are left for the next dispatch()).
void rearm() noexcept {
  const int fd = notify_event_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(::write(fd, &one, sizeof one));
  notify_written.store(true, std::memory_order_release);
}

// Fork child (single-threaded): the epoll and eventfd files are shared with the parent.
// Make new ones and put the new epoll under the old number, so notify_fd() is unchanged.
void after_fork_in_child() noexcept {
  const int number = notify_epoll_fd.load(std::memory_order_relaxed);
  if (number < 0) return;
  const int old_event = notify_event_fd.load(std::memory_order_relaxed);
  const int old_signal = fast_signal_fd.load(std::memory_order_relaxed);
  notify_event_fd.store(-1, std::memory_order_relaxed);
  notify_written.store(false, std::memory_order_relaxed);
  int event_fd = -1;
  int signal_fd = -1;
  const int ep = make_channel(event_fd, signal_fd);
  if (ep >= 0) {
    ::dup3(ep, number, O_CLOEXEC);
    ::close(ep);
    notify_event_fd.store(event_fd, std::memory_order_release);
  }
  fast_path_after_fork_in_child(signal_fd);
  if (old_event >= 0) ::close(old_event);
  if (old_signal >= 0) ::close(old_signal);
  new (&notify_mutex) std::mutex;  // NOLINT: a parent's thread may have held it
}

}  // namespace
}  // namespace detail

int notify_fd() {
  const int known = detail::notify_epoll_fd.load(std::memory_order_acquire);
  if (known >= 0) return known;
  detail::ensure_initialized();
  const std::lock_guard lock(detail::notify_mutex);
  if (const int again = detail::notify_epoll_fd.load(std::memory_order_acquire); again >= 0) {
    return again;
  }
  detail::add_fork_child_hook(&detail::after_fork_in_child);
  int event_fd = -1;
  int signal_fd = -1;
  const int ep = detail::make_channel(event_fd, signal_fd);
  if (ep < 0) detail::throw_error(errno, "cannot create sigkit's notify fd");
  detail::notify_event_fd.store(event_fd, std::memory_order_release);
  detail::notify_epoll_fd.store(ep, std::memory_order_release);
  detail::enable_fast_path(signal_fd);
  // Deliveries recorded before the opt-in make it readable at once.
  if (detail::signals_pending.load(std::memory_order_seq_cst)) detail::rearm();
  return ep;
}

void dispatch() {
  detail::check_main_thread("dispatch");
  // Drain first, then run: a delivery after the drain writes the eventfd again.
  if (detail::notify_written.load(std::memory_order_relaxed) &&
      detail::notify_written.exchange(false, std::memory_order_acq_rel)) {
    const int fd = detail::notify_event_fd.load(std::memory_order_acquire);
    std::uint64_t count = 0;
    if (fd >= 0) static_cast<void>(::read(fd, &count, sizeof count));
  }
  try {
    check_signals();
  } catch (...) {
    detail::rearm();  // what a handler's exception left pending keeps the fd readable
    throw;
  }
}

}  // namespace sigkit
