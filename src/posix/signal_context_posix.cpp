// signal_context_posix.cpp - the POSIX port's OS-level handler (sigkit_os_handler) and what
// follows the record of a delivery: waking a waiting pause()/sleep() through sigkit's eventfd,
// the notify fd, the wakeup fd; back-pressure; the event-loop fast path's forwarding; the
// shutdown escalation's death. The record itself is shared: signal_context.cpp.
//
// Everything in this file runs in signal context (except the fork reset, which is marked).
// Rules: only lock-free atomics and async-signal-safe system calls (write, sigaction, getpid,
// gettid, sigaddset, clock_gettime, pthread_self and rt_tgsigqueueinfo for the event-loop fast
// path, and for the shutdown escalation pthread_sigmask, raise and _exit); errno saved and
// restored; no allocation, no locks, no exceptions, no logging. Failures are recorded in
// atomics and reported later from normal context.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "detail/platform.hpp"
#include "detail/state_posix.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit::detail {

constinit std::atomic<std::uint64_t> throttled_mask{0};
constinit std::atomic<int> shutdown_wake_fd{-1};

constinit std::atomic<std::uint64_t> fast_blocked_mask{0};
constinit std::atomic<int> fast_signal_fd{-1};
constinit std::atomic<unsigned long> main_pthread{0};
constinit std::atomic<int> main_pid{0};
constinit std::atomic<std::uint64_t> fast_generation{0};

constinit std::atomic<int> notify_event_fd{-1};
constinit std::atomic<bool> notify_written{false};

constinit std::atomic<int> internal_wake_fd{-1};
constinit std::atomic<unsigned long> waiting_thread{0};
constinit std::atomic<bool> wake_written{false};

namespace {

bool is_cpu_fault(int signo, const siginfo_t* info) noexcept {
  return (signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL) &&
         info != nullptr && info->si_code > 0;
}

// write(2) that retries on EINTR; returns 0 or the errno.
int write_all(int fd, const void* data, std::size_t size) noexcept {
  for (;;) {
    if (::write(fd, data, size) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

void write_wakeup_byte(int signo) noexcept {
  const std::uint64_t word = wakeup_word.load(std::memory_order_acquire);
  if ((word & kWakeupNone) == kWakeupNone) return;
  const int fd = static_cast<int>(static_cast<std::uint32_t>(word & kWakeupNone));
  int err = 0;
  if ((word & kWakeupEventfd) != 0) {
    const std::uint64_t one = 1;
    err = write_all(fd, &one, sizeof one);
  } else {
    const auto byte = static_cast<unsigned char>(signo);
    err = write_all(fd, &byte, 1);
  }
  if (err == 0) return;
  if (err == EAGAIN || err == EWOULDBLOCK) {
    if ((word & kWakeupWarn) != 0) record_wakeup_error(fd, err);
    return;
  }
  record_wakeup_error(fd, err);
}

void wake_waiting_thread() noexcept {
  if (waiting_thread.load(std::memory_order_seq_cst) == 0) return;
  const int fd = internal_wake_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(write_all(fd, &one, sizeof one));  // EAGAIN: already readable
  wake_written.store(true, std::memory_order_release);
}

// Makes notify_fd() readable (after notify_fd() was called once).
void write_notify() noexcept {
  const int fd = notify_event_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(write_all(fd, &one, sizeof one));  // EAGAIN: already readable
  notify_written.store(true, std::memory_order_release);
}

// A fast-path signal that the kernel handed to a thread other than the main one (which blocks
// it): forward it to the main thread with its siginfo intact, where it queues on the
// signalfd (every real-time instance too). The kernel lets another thread pass on only codes
// that a process may send (si_code < 0, not SI_TKILL); the others are recorded here instead.
bool forward_to_main(int signo, siginfo_t* info) noexcept {
  if (info == nullptr || info->si_code >= 0 || info->si_code == SI_TKILL) return false;
  if ((fast_blocked_mask.load(std::memory_order_acquire) & signal_bit(signo)) == 0) return false;
  const unsigned long main = main_pthread.load(std::memory_order_acquire);
  if (main == 0 || ::pthread_self() == main) return false;
  const int pid = main_pid.load(std::memory_order_acquire);
  return ::syscall(SYS_rt_tgsigqueueinfo, pid, pid, signo, info) == 0;
}

}  // namespace

void end_process_by_signal(int signo) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(signo, &dfl, nullptr);
  sigset_t one;
  ::sigemptyset(&one);
  ::sigaddset(&one, signo);
  ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  static_cast<void>(::raise(signo));
  ::_exit(128 + signo);  // the default action of `signo` does not end a process
}

// Back-pressure: return from the handler with `signo` blocked in the interrupted context, so
// the kernel keeps further instances queued until the dispatcher has made room and unblocks
// it. Only in the main thread: the dispatcher runs there and can lift the block; a block in
// another thread could never be lifted (only a thread can change its own mask). A delivery
// that lands in another thread when the queue is full is dropped and counted instead.
void throttle(int signo, void* context) noexcept {
  auto* uc = static_cast<ucontext_t*>(context);
  if (uc == nullptr || ::syscall(SYS_gettid) != ::getpid()) return;
  ::sigaddset(&uc->uc_sigmask, signo);
  throttled_mask.fetch_or(signal_bit(signo), std::memory_order_release);
}

void announce_delivery(int signo) noexcept {
  wake_waiting_thread();
  write_notify();
  write_wakeup_byte(signo);
}

void wake_shutdown_thread() noexcept {
  const int fd = shutdown_wake_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(write_all(fd, &one, sizeof one));  // EAGAIN: already readable
}

std::int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// ---- normal context (fork child, single-threaded): forget the parent's deliveries -------
void reset_posix_signal_context_state() noexcept {
  throttled_mask.store(0, std::memory_order_relaxed);
  waiting_thread.store(0, std::memory_order_relaxed);
  wake_written.store(false, std::memory_order_relaxed);
}

// ---- the OS-level handler (extern "C", declared in state_posix.hpp) --------------------
void sigkit_os_handler(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;

  if (is_cpu_fault(signo, info)) {
    // A real fault cannot be deferred: returning would re-execute the faulting instruction
    // forever. Restore the default action and return; the fault recurs and ends the process
    // by this signal.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigemptyset(&dfl.sa_mask);
    ::sigaction(signo, &dfl, nullptr);
    errno = saved_errno;
    return;
  }

  if (signo > 0 && signo < NSIG) {
    if (forward_to_main(signo, info)) {
      errno = saved_errno;
      return;
    }
    siginfo recorded = info != nullptr ? siginfo::from_native(*info) : siginfo{};
    recorded.signo = signo;
    record_delivery(signo, recorded, context);
  }

  errno = saved_errno;
}

}  // namespace sigkit::detail
