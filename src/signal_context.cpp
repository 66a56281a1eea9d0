// signal_context.cpp - the ONE translation unit whose code runs inside the OS signal handler.
//
// Everything in this file runs in signal context (except queue_pop and the fork reset, which
// are marked). Rules: only lock-free atomics and async-signal-safe system calls (write,
// sigaction, getpid, gettid, sigaddset, clock_gettime, pthread_self and rt_tgsigqueueinfo
// for the event-loop fast path, and for the shutdown escalation pthread_sigmask, raise and
// _exit); errno saved and restored; no allocation, no locks, no
// exceptions, no logging. Failures are recorded in atomics and reported later from normal
// context. testing::inject() runs record_delivery() in normal context: it is the same code.
//
// Order of a delivery (CPython's, bpo-30038): record (queue cell, per-signal flag), then the
// global "something pending" flag, then wake the main thread's pause()/sleep() and the
// notify fd, then write the wakeup byte.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "detail/state.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit::detail {

constinit std::atomic<bool> signals_pending{false};
constinit std::atomic<bool> fastpath_active{false};

constinit std::atomic<std::uint8_t> handler_mode[NSIG]{};
constinit std::atomic<std::uint64_t> tripped_mask{0};
constinit std::atomic<std::uint64_t> dropped[NSIG]{};
constinit std::atomic<std::uint64_t> throttled_mask{0};
constinit delivery_record queue[kQueueCapacity]{};
constinit std::atomic<std::uint64_t> queue_head{0};
constinit std::atomic<std::uint64_t> queue_tail{0};

constinit std::atomic<std::uint64_t> wakeup_word{kWakeupNone};
constinit std::atomic<std::uint64_t> wakeup_error_count{0};
constinit std::atomic<int> wakeup_error_fd{-1};
constinit std::atomic<int> wakeup_error_errno{0};

constinit shutdown_slot shutdown_slots[kMaxShutdowns]{};
constinit std::atomic<std::uint64_t> shutdown_mask{0};
constinit std::atomic<int> shutdown_wake_fd{-1};

constinit std::atomic<std::uint64_t> fast_blocked_mask{0};
constinit std::atomic<int> fast_signal_fd{-1};
constinit std::atomic<unsigned long> main_pthread{0};
constinit std::atomic<int> main_pid{0};
constinit std::atomic<std::uint64_t> owned_mask{0};
constinit std::atomic<std::uint64_t> fast_generation{0};

constinit std::atomic<int> notify_event_fd{-1};
constinit std::atomic<bool> notify_written{false};

constinit std::atomic<int> internal_wake_fd{-1};
constinit std::atomic<unsigned long> waiting_thread{0};
constinit std::atomic<bool> wake_written{false};

namespace {

constexpr std::uint64_t kQueueMask = kQueueCapacity - 1;

// A cell's sequence number, stored relative to its index (see delivery_record).
std::uint64_t load_seq(const delivery_record& cell, std::uint64_t index) noexcept {
  return cell.seq.load(std::memory_order_acquire) + index;
}
void store_seq(delivery_record& cell, std::uint64_t index, std::uint64_t seq) noexcept {
  cell.seq.store(seq - index, std::memory_order_release);
}

// Claims a cell and publishes the delivery. Returns the number of cells in use after it (at
// least 1), or 0 if the queue was full. Lock-free and safe against nested handlers: a producer
// interrupted between claim and publish only delays the consumer, which stops at the unpublished
// cell and resumes at the next checkpoint (the interrupted producer raises signals_pending again).
std::uint64_t queue_push(const siginfo& info) noexcept {
  std::uint64_t pos = queue_head.load(std::memory_order_relaxed);
  delivery_record* cell = nullptr;
  for (;;) {
    cell = &queue[pos & kQueueMask];
    const std::uint64_t seq = load_seq(*cell, pos & kQueueMask);
    const auto diff = static_cast<std::int64_t>(seq - pos);
    if (diff == 0) {
      if (queue_head.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (diff < 0) {
      return 0;  // full
    } else {
      pos = queue_head.load(std::memory_order_relaxed);
    }
  }
  cell->info = info;
  store_seq(*cell, pos & kQueueMask, pos + 1);
  // Cells in use after this one. The consumer may already have taken this cell (and later
  // ones) by now: never report 0, which means "full", nor a wrapped-around count.
  const auto used = static_cast<std::int64_t>(pos + 1 - queue_tail.load(std::memory_order_acquire));
  return used < 1 ? 1 : static_cast<std::uint64_t>(used);
}

bool is_cpu_fault(int signo, const siginfo_t* info) noexcept {
  return (signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL) &&
         info != nullptr && info->si_code > 0;
}

void record_wakeup_error(int fd, int err) noexcept {
  wakeup_error_fd.store(fd, std::memory_order_relaxed);
  wakeup_error_errno.store(err, std::memory_order_relaxed);
  wakeup_error_count.fetch_add(1, std::memory_order_release);
  signals_pending.store(true, std::memory_order_seq_cst);
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

// Makes notify_fd() readable (after notify_fd() was called once).
void write_notify() noexcept {
  const int fd = notify_event_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(write_all(fd, &one, sizeof one));  // EAGAIN: already readable
  notify_written.store(true, std::memory_order_release);
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

// The escalation of every armed shutdown that covers `signo`: the first delivery claims the
// slot, publishes itself as the reason and wakes sigkit's shutdown thread (which requests
// the stop: never request_stop() here); any later one ends the process by its own signal.
void escalate_shutdowns(int signo, const siginfo& info) noexcept {
  const std::uint64_t bit = signal_bit(signo);
  if ((shutdown_mask.load(std::memory_order_acquire) & bit) == 0) return;
  for (auto& slot : shutdown_slots) {
    if ((slot.signals.load(std::memory_order_acquire) & bit) == 0) continue;
    slot.in_flight.fetch_add(1, std::memory_order_seq_cst);
    if ((slot.signals.load(std::memory_order_seq_cst) & bit) != 0) {  // still armed
      std::uint32_t armed = 0;
      if (slot.phase.compare_exchange_strong(armed, 1, std::memory_order_acq_rel)) {
        slot.reason = info;
        slot.first_ns.store(monotonic_ns(), std::memory_order_relaxed);
        slot.phase.store(2, std::memory_order_release);
        wake_shutdown_thread();
      } else if (slot.second_kills.load(std::memory_order_acquire)) {
        end_process_by_signal(signo);
      }
    }
    slot.in_flight.fetch_sub(1, std::memory_order_seq_cst);
  }
}

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

void record_delivery(int signo, const siginfo& info, void* context) noexcept {
  if (handler_mode[signo].load(std::memory_order_acquire) ==
      static_cast<std::uint8_t>(record_mode::siginfo)) {
    const std::uint64_t used = queue_push(info);                            // 0: the queue was full
    if (used == 0) dropped[signo].fetch_add(1, std::memory_order_relaxed);  // never silent
    if (used == 0 || used + kQueueReserve >= kQueueCapacity) throttle(signo, context);
  }
  tripped_mask.fetch_or(signal_bit(signo), std::memory_order_release);
  escalate_shutdowns(signo, info);
  signals_pending.store(true, std::memory_order_seq_cst);
  wake_waiting_thread();
  write_notify();
  write_wakeup_byte(signo);
}

// ---- normal context (main thread): the consumer side of the queue -----------------------
bool queue_pop(siginfo& out) noexcept {
  const std::uint64_t pos = queue_tail.load(std::memory_order_relaxed);
  delivery_record& cell = queue[pos & kQueueMask];
  if (load_seq(cell, pos & kQueueMask) != pos + 1) return false;
  out = cell.info;
  store_seq(cell, pos & kQueueMask, pos + kQueueCapacity);
  queue_tail.store(pos + 1, std::memory_order_release);
  return true;
}

// ---- normal context (fork child, single-threaded): forget the parent's deliveries -------
void reset_signal_context_state() noexcept {
  for (auto& count : dropped) count.store(0, std::memory_order_relaxed);
  tripped_mask.store(0, std::memory_order_relaxed);
  throttled_mask.store(0, std::memory_order_relaxed);
  for (auto& cell : queue) cell.seq.store(0, std::memory_order_relaxed);
  queue_head.store(0, std::memory_order_relaxed);
  queue_tail.store(0, std::memory_order_relaxed);
  wakeup_error_count.store(0, std::memory_order_relaxed);
  waiting_thread.store(0, std::memory_order_relaxed);
  wake_written.store(false, std::memory_order_relaxed);
  signals_pending.store(false, std::memory_order_seq_cst);
}

// ---- the OS-level handler (extern "C", declared in state.hpp) ----------------------------
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
