// registry_posix: the POSIX port of the registry's OS side: dispositions are sigaction(2)
// actions, sigkit's is sigkit_os_handler with SA_SIGINFO | SA_ONSTACK and no SA_RESTART;
// process setup (pthread_atfork, the internal wake eventfd), fork handling, the main thread
// (thread id == process id), siginterrupt().
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <stdexcept>

#include "detail/action_keeper.hpp"
#include "detail/fastpath.hpp"
#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state_posix.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/handler.hpp"

namespace sigkit {
namespace detail {
void reset_dispatcher_after_fork();  // dispatch.cpp
namespace {

std::once_flag init_once;

constexpr int kMaxForkHooks = 8;
std::array<void (*)(), kMaxForkHooks> fork_child_hooks{};
int fork_child_hook_count = 0;  // guarded by the registry lock

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
  registry_lock().lock();
}

void after_fork_in_parent() noexcept {
  registry_lock().unlock();
  ::pthread_sigmask(SIG_SETMASK, &mask_before_fork, nullptr);
}

void after_fork_in_child() noexcept {
  // The forking thread is the child's only (and main) thread. Nothing delivered to the
  // parent before the fork may run here (API.md 9): forget it, and take a wake fd of our own.
  fork_generation.fetch_add(1, std::memory_order_relaxed);
  reset_os_action_lock_after_fork();
  reset_posix_signal_context_state();
  reset_signal_context_state();
  reset_dispatcher_after_fork();
  const int old_fd = internal_wake_fd.load(std::memory_order_relaxed);
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  internal_wake_fd.store(fd, std::memory_order_release);
  if (old_fd >= 0) ::close(old_fd);
  for (int i = 0; i < fork_child_hook_count; ++i) fork_child_hooks[static_cast<std::size_t>(i)]();
  registry_lock().unlock();
  ::pthread_sigmask(SIG_SETMASK, &mask_for_child, nullptr);
}

}  // namespace

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

struct sigaction our_action() noexcept {
  struct sigaction action {};
  ::sigemptyset(&action.sa_mask);
  action.sa_sigaction = &sigkit_os_handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;  // no SA_RESTART: interruptible, as in Python
  return action;
}

struct sigaction plain_action(const handler& h) noexcept {
  struct sigaction action {};
  ::sigemptyset(&action.sa_mask);
  action.sa_handler = h.is_default() ? SIG_DFL : SIG_IGN;
  return action;
}

bool is_foreign_siginfo(const struct sigaction& sa) noexcept {
  return (sa.sa_flags & SA_SIGINFO) != 0 && !is_ours(sa);
}

// The registry's sigaction calls go beneath the crash reporter while it keeps a signal
// (detail/action_keeper.hpp).
int read_os_action(int signo, native_action& out) noexcept {
  return os_action(signo, nullptr, &out) == 0 ? 0 : errno;
}

int write_os_action(int signo, const native_action& action, native_action* old) noexcept {
  return os_action(signo, &action, old) == 0 ? 0 : errno;
}

bool has_disposition(int /*signo*/) noexcept { return true; }

void delivery_routing_changed() noexcept {
  bump_fast_generation();
  sync_fast_path();
}

bool is_main_thread_slow() noexcept {
  main_cache = ::syscall(SYS_gettid) == ::getpid();
  main_cache_generation = fork_generation.load(std::memory_order_relaxed);
  return main_cache;
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

void add_fork_child_hook(void (*hook)()) {
  ensure_initialized();
  const std::lock_guard lock(registry_lock());
  for (int i = 0; i < fork_child_hook_count; ++i) {
    if (fork_child_hooks[static_cast<std::size_t>(i)] == hook) return;
  }
  if (fork_child_hook_count == kMaxForkHooks) throw std::length_error("too many fork hooks");
  fork_child_hooks[static_cast<std::size_t>(fork_child_hook_count++)] = hook;
}

bool owns_os_action(int signo) noexcept {
  struct sigaction current {};
  return peek_os_action(signo, &current) == 0 && is_ours(current);
}

}  // namespace detail

void siginterrupt(int signalnum, bool flag) {
  detail::check_signal_range(signalnum);
  struct sigaction sa {};
  if (detail::os_action(signalnum, nullptr, &sa) != 0) {
    detail::throw_error(errno,
                        "cannot read the disposition of " + detail::describe_signal(signalnum));
  }
  if (flag) {
    sa.sa_flags &= ~SA_RESTART;
  } else {
    sa.sa_flags |= SA_RESTART;
  }
  if (detail::os_action(signalnum, &sa, nullptr) != 0) {
    detail::throw_error(errno,
                        "cannot change SA_RESTART for " + detail::describe_signal(signalnum));
  }
}

}  // namespace sigkit
