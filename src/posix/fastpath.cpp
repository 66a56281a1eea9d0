// fastpath: the event-loop fast path behind notify_fd() (signalfd, no signal frame).
//
// After the opt-in, the main thread keeps blocked every signal that has sigkit's OS action
// (the *fast set*, minus what must stay on the classic path), and sigkit's signalfd, watched by
// the notify epoll, receives them: a delivery costs the kernel no signal frame and sigkit no
// extra write. What Part 1 lets a program observe stays as it was:
// - masks: the main thread's mask as the user set it is kept apart (user_blocked); sigkit's
//   mask functions change and report that, and sigkit's own block is never reported nor
//   inherited (fork: registry; threads, exec, posix_spawn, system, popen: fastpath_spawn.cpp);
// - a fast-set signal that the kernel hands to another thread runs the OS-level handler
//   there, which forwards it to the main thread with its siginfo (rt_tgsigqueueinfo) or,
//   where the kernel forbids that, records it and writes the notify eventfd;
// - pause()/sleep() poll the signalfd too; check_signals() reads it on the main thread;
//   sigwait*() let the other fast-set signals interrupt them (classic_section);
// - a wakeup fd needs the OS-level handler for each delivery: while one is set, the fast set
//   is empty. Signals armed by a shutdown need signal context (second-signal death): never fast.
// Everything here runs on the main thread (sync, checkpoint, change_mask), so its state needs
// no lock; signal context reads only the atomics in state.hpp.
#include "detail/fastpath_impl.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "detail/fastpath.hpp"
#include "detail/registry.hpp"
#include "detail/state_posix.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/wakeup.hpp"

namespace sigkit::detail {
namespace {

// Never on the fast path: synchronous faults (a blocked one kills the process outright),
// SIGTTIN/SIGTTOU (blocking them turns a background terminal read or write into EIO), and
// what cannot be caught anyway.
constexpr std::uint64_t bits_of(std::initializer_list<int> signals) {
  std::uint64_t bits = 0;
  for (const int s : signals) bits |= signal_bit(s);
  return bits;
}
const std::uint64_t kNeverFast =
    bits_of({SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU, SIGKILL, SIGSTOP});

// Main thread only.
std::uint64_t user_blocked = 0;  // the main thread's mask as the user set it (bit s-1)
bool user_known = false;
std::uint64_t applied_generation = ~std::uint64_t{0};

std::uint64_t bits_of_set(const sigset_t& set) noexcept {
  std::uint64_t bits = 0;
  for (int s = 1; s < NSIG; ++s) {
    if (::sigismember(&set, s) == 1) bits |= signal_bit(s);
  }
  return bits;
}

sigset_t set_of_bits(std::uint64_t bits) noexcept {
  sigset_t set;
  ::sigemptyset(&set);
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0) ::sigaddset(&set, s);
  }
  return set;
}

void learn_user_mask() noexcept {
  if (user_known) return;
  sigset_t current;
  ::sigemptyset(&current);
  ::pthread_sigmask(SIG_BLOCK, nullptr, &current);
  user_blocked = bits_of_set(current) & ~fast_blocked_mask.load(std::memory_order_relaxed) &
                 ~throttled_mask.load(std::memory_order_relaxed);
  user_known = true;
}

// The fast set for a user mask of `user`.
std::uint64_t desired(std::uint64_t user) noexcept {
  if (get_wakeup_fd() != -1) return 0;
  return owned_mask.load(std::memory_order_acquire) & ~kNeverFast &
         ~shutdown_mask.load(std::memory_order_acquire) & ~user;
}

void set_signalfd_mask(std::uint64_t bits) noexcept {
  const int fd = fast_signal_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const sigset_t set = set_of_bits(bits);
  static_cast<void>(::signalfd(fd, &set, 0));
}

// Makes `want` the fast set: the signalfd reads it, the main thread blocks it. A signal that
// leaves it is unblocked (unless the user blocked it), so a delivery pending for it meets its
// current disposition at once.
void apply(std::uint64_t want) noexcept {
  const std::uint64_t old = fast_blocked_mask.load(std::memory_order_relaxed);
  if (want == old) return;
  set_signalfd_mask(want);
  const std::uint64_t added = want & ~old;
  const std::uint64_t removed = old & ~want & ~user_blocked;
  if (added != 0) {
    const sigset_t set = set_of_bits(added);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  fast_blocked_mask.store(want, std::memory_order_release);
  if (removed != 0) {
    const sigset_t set = set_of_bits(removed);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }
}

// Applies a changed fast set (main thread).
void apply_changes(std::uint64_t generation) noexcept {
  applied_generation = generation;
  main_pthread.store(static_cast<unsigned long>(::pthread_self()), std::memory_order_release);
  main_pid.store(::getpid(), std::memory_order_release);
  learn_user_mask();
  apply(desired(user_blocked));
}

inline void sync_on_main() noexcept {
  const std::uint64_t generation = fast_generation.load(std::memory_order_acquire);
  if (generation != applied_generation) [[unlikely]]
    apply_changes(generation);
}

void sync() noexcept {
  if (is_main_thread()) sync_on_main();
}

siginfo from_signalfd(const signalfd_siginfo& raw) noexcept {
  siginfo info;
  info.signo = static_cast<int>(raw.ssi_signo);
  info.code = raw.ssi_code;
  info.error = raw.ssi_errno;
  info.pid = static_cast<pid_t>(raw.ssi_pid);
  info.uid = static_cast<uid_t>(raw.ssi_uid);
  info.status = raw.ssi_status;
  info.band = static_cast<long>(raw.ssi_band);
  info.value.sival_ptr = reinterpret_cast<void*>(raw.ssi_ptr);  // NOLINT: the union as sent
  return info;
}

// Reads every delivery waiting in the signalfd, in the kernel's order, into the dispatcher.
void drain() noexcept {
  if (fast_blocked_mask.load(std::memory_order_relaxed) == 0) return;
  const int fd = fast_signal_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  constexpr std::size_t kBatch = 32;
  signalfd_siginfo batch[kBatch];
  for (;;) {
    const ssize_t got = ::read(fd, batch, sizeof batch);
    if (got <= 0) return;  // EAGAIN: nothing (left) to read
    const auto count = static_cast<std::size_t>(got) / sizeof batch[0];
    for (std::size_t i = 0; i < count; ++i) take_delivery(from_signalfd(batch[i]));
    if (count < kBatch) return;  // a short read emptied it
  }
}

// Every caller runs on the main thread (the dispatcher, pause/sleep, classic_section).
void checkpoint() noexcept {
  sync_on_main();
  drain();
}

int change_mask(int how, const sigset_t* set, sigset_t* old_user) noexcept {
  sync_on_main();
  learn_user_mask();
  const std::uint64_t before = user_blocked;
  std::uint64_t after = before;
  if (set != nullptr) {
    const std::uint64_t bits = bits_of_set(*set);
    switch (how) {
      case SIG_BLOCK:
        after = before | bits;
        break;
      case SIG_UNBLOCK:
        after = before & ~bits;
        break;
      case SIG_SETMASK:
        after = bits;
        break;
      default:
        return EINVAL;
    }
  }
  const std::uint64_t want = desired(after);
  const sigset_t real = set_of_bits(after | want | throttled_mask.load(std::memory_order_acquire));
  if (const int err = sys.pthread_sigmask(SIG_SETMASK, &real, nullptr); err != 0) return err;
  user_blocked = after;
  if (want != fast_blocked_mask.load(std::memory_order_relaxed)) {
    set_signalfd_mask(want);
    fast_blocked_mask.store(want, std::memory_order_release);
  }
  if (old_user != nullptr) *old_user = set_of_bits(before);
  return 0;
}

constexpr fastpath_ops kOps{&sync, &checkpoint, &change_mask};

}  // namespace

void enable_fast_path(int signal_fd) noexcept {
  resolve_spawn_functions();
  fast_signal_fd.store(signal_fd, std::memory_order_release);
  fastpath.store(&kOps, std::memory_order_release);
  fastpath_active.store(true, std::memory_order_release);
  bump_fast_generation();
  sync();
}

void fast_path_after_fork_in_child(int signal_fd) noexcept {
  // The forking thread is the child's main thread; its mask carries no fast-path block (the
  // registry's fork hook took it out). Start over: the next checkpoint applies the fast set.
  fast_signal_fd.store(signal_fd, std::memory_order_release);
  fast_blocked_mask.store(0, std::memory_order_release);
  user_known = false;
  applied_generation = ~std::uint64_t{0};
  main_pthread.store(static_cast<unsigned long>(::pthread_self()), std::memory_order_release);
  main_pid.store(::getpid(), std::memory_order_release);
}

}  // namespace sigkit::detail
