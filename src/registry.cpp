// registry: the private owner of all sigaction state (signal, getsignal, siginterrupt,
// scoped_handler), process setup and fork handling.
#include "detail/registry.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

#include "detail/state.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"

namespace sigkit {
namespace detail {
void reset_dispatcher_after_fork();  // dispatch.cpp
namespace {

std::mutex registry_mutex;
std::array<handler, NSIG> user_handlers;  // guarded by registry_mutex
std::atomic<unsigned> generation{0};
std::once_flag init_once;

thread_local sigset_t mask_before_fork;
thread_local sigset_t mask_for_child;

// fork(): no delivery may run in the forking thread while the registry is copied, and the
// registry lock must not be held by another thread at the moment of the copy.
void before_fork() noexcept {
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &mask_before_fork);
  // The child must not inherit a block that only back-pressure made (its dispatcher starts
  // with an empty queue and would never lift it); the parent keeps it until its checkpoint.
  mask_for_child = mask_before_fork;
  remove_backpressure(mask_for_child);
  registry_mutex.lock();
}

void after_fork_in_parent() noexcept {
  registry_mutex.unlock();
  ::pthread_sigmask(SIG_SETMASK, &mask_before_fork, nullptr);
}

void after_fork_in_child() noexcept {
  registry_mutex.unlock();
  // The forking thread is the child's only (and main) thread. Nothing delivered to the
  // parent before the fork may run here (API.md 9): forget it, and take a wake fd of our own.
  generation.fetch_add(1, std::memory_order_relaxed);
  reset_signal_context_state();
  reset_dispatcher_after_fork();
  const int old_fd = internal_wake_fd.load(std::memory_order_relaxed);
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  internal_wake_fd.store(fd, std::memory_order_release);
  if (old_fd >= 0) ::close(old_fd);
  ::pthread_sigmask(SIG_SETMASK, &mask_for_child, nullptr);
}

bool is_ours(const struct sigaction& sa) noexcept {
  return (sa.sa_flags & SA_SIGINFO) != 0 && sa.sa_sigaction == &sigkit_os_handler;
}

handler from_os(const struct sigaction& sa) {
  if ((sa.sa_flags & SA_SIGINFO) == 0) {
    if (sa.sa_handler == SIG_DFL) return handler(SIG_DFL);
    if (sa.sa_handler == SIG_IGN) return handler(SIG_IGN);
  }
  return {};
}

std::uint8_t mode_of(const handler& h) noexcept {
  return static_cast<std::uint8_t>(h.takes_siginfo() ? record_mode::siginfo : record_mode::flag);
}

// Replaces the OS action of `signo` and its table entry together; the caller holds the
// registry lock. The record mode that the OS-level handler reads is published before the OS
// can call it with the new action and retracted only after that action is gone. Nothing else
// is needed (no signal blocking): the OS-level handler reads nothing else of the registry and
// shares no lock with it. Returns 0, or the errno of a failed sigaction (nothing changed).
int replace_action(int signo, const struct sigaction& action, const handler& entry,
                   struct sigaction* old) {
  const auto index = static_cast<std::size_t>(signo);
  const std::uint8_t old_mode = handler_mode[index].load(std::memory_order_relaxed);
  if (is_ours(action)) handler_mode[index].store(mode_of(entry), std::memory_order_release);
  if (sys.sigaction(signo, &action, old) != 0) {
    const int err = errno;
    handler_mode[index].store(old_mode, std::memory_order_release);
    return err;
  }
  user_handlers[index] = entry;
  if (!is_ours(action)) {
    handler_mode[index].store(static_cast<std::uint8_t>(record_mode::flag),
                              std::memory_order_release);
  }
  return 0;
}

// The checks signal() and scoped_handler make, in API.md's order: arguments, then thread.
void check_handler_arguments(int signo, const handler& h, const char* function) {
  check_signal_range(signo);
  if (h.empty()) {
    throw std::invalid_argument("cannot install an empty handler for " + describe_signal(signo));
  }
  check_main_thread(function);
}

}  // namespace

bool is_main_thread() noexcept {
  thread_local unsigned cached_generation = ~0U;
  thread_local bool cached = false;
  const unsigned g = generation.load(std::memory_order_relaxed);
  if (cached_generation != g) {
    cached = ::syscall(SYS_gettid) == ::getpid();
    cached_generation = g;
  }
  return cached;
}

void ensure_initialized() {
  std::call_once(init_once, [] {
    if (::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) != 0) {
      throw std::runtime_error("sigkit: pthread_atfork failed");
    }
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw_error(errno, "cannot create sigkit's wake eventfd");
    internal_wake_fd.store(fd, std::memory_order_release);
  });
}

handler installed_handler(int signo) {
  const std::lock_guard lock(registry_mutex);
  return user_handlers[static_cast<std::size_t>(signo)];
}

handler installed_handler_on_main_thread(int signo) noexcept {
  // Only the main thread writes the table (signal() and scoped_handler are main-thread only),
  // so the main thread reads it without the lock; the copy keeps the callable alive even if
  // the handler replaces itself while it runs.
  return user_handlers[static_cast<std::size_t>(signo)];
}

}  // namespace detail

handler signal(int signalnum, handler h) {  // NOLINT(performance-unnecessary-value-param)
  detail::check_handler_arguments(signalnum, h, "signal");
  check_signals();  // pending handlers run before anything changes (bpo-30057)
  detail::ensure_initialized();

  struct sigaction action {};
  ::sigemptyset(&action.sa_mask);
  if (h.is_callable()) {
    action.sa_sigaction = &detail::sigkit_os_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;  // no SA_RESTART: interruptible, as in Python
  } else {
    action.sa_handler = h.is_default() ? SIG_DFL : SIG_IGN;
  }
  const std::lock_guard lock(detail::registry_mutex);
  const handler old_entry = detail::user_handlers[static_cast<std::size_t>(signalnum)];
  struct sigaction old {};
  if (const int err = detail::replace_action(signalnum, action, h, &old); err != 0) {
    detail::throw_error(err, "cannot install handler for " + detail::describe_signal(signalnum));
  }
  // The previous disposition as getsignal() saw it: the OS's word, ours if it was ours.
  if (detail::is_ours(old)) return old_entry.is_callable() ? old_entry : handler{};
  return detail::from_os(old);
}

handler getsignal(int signalnum) {
  detail::check_signal_range(signalnum);
  struct sigaction current {};
  if (detail::sys.sigaction(signalnum, nullptr, &current) != 0) return {};  // 32, 33
  if (detail::is_ours(current)) {
    handler h = detail::installed_handler(signalnum);
    return h.is_callable() ? h : handler{};
  }
  return detail::from_os(current);
}

void siginterrupt(int signalnum, bool flag) {
  detail::check_signal_range(signalnum);
  struct sigaction sa {};
  if (detail::sys.sigaction(signalnum, nullptr, &sa) != 0) {
    detail::throw_error(errno,
                        "cannot read the disposition of " + detail::describe_signal(signalnum));
  }
  if (flag) {
    sa.sa_flags &= ~SA_RESTART;
  } else {
    sa.sa_flags |= SA_RESTART;
  }
  if (detail::sys.sigaction(signalnum, &sa, nullptr) != 0) {
    detail::throw_error(errno,
                        "cannot change SA_RESTART for " + detail::describe_signal(signalnum));
  }
}

scoped_handler::scoped_handler(int signalnum, handler h) : signalnum_(signalnum) {
  detail::check_handler_arguments(signalnum, h, "scoped_handler");
  if (detail::sys.sigaction(signalnum, nullptr, &previous_) != 0) {
    detail::throw_error(errno, "cannot install handler for " + detail::describe_signal(signalnum));
  }
  previous_handler_ = detail::installed_handler(signalnum);
  sigkit::signal(signalnum, std::move(h));
}

scoped_handler::~scoped_handler() {
  const std::lock_guard lock(detail::registry_mutex);
  // The exact previous action (handler, flags, mask), and the table entry that goes with it.
  static_cast<void>(detail::replace_action(signalnum_, previous_, previous_handler_, nullptr));
}

}  // namespace sigkit
