// signal_context.cpp - the shared core of what runs inside the OS signal handler: recording
// one delivery (the siginfo queue, the per-signal flag, the shutdown escalation, the global
// flag). Each port's OS-level handler calls record_delivery(): posix/signal_context_posix.cpp
// (sigkit_os_handler) and windows/signal_context_windows.cpp (the C runtime and console
// handlers); then the port wakes the waiters and writes the wakeup fd (announce_delivery).
//
// Everything in this file runs in signal context (except queue_pop and the fork reset, which
// are marked). Rules: only lock-free atomics and the port's async-signal-safe calls
// (detail/platform.hpp); errno is the port's OS-level handler's to save; no allocation, no
// locks, no exceptions, no logging. Failures are recorded in atomics and reported later from
// normal context. testing::inject() runs record_delivery() in normal context: it is the same
// code.
//
// Order of a delivery (CPython's, bpo-30038): record (queue cell, per-signal flag), then the
// global "something pending" flag, then wake the main thread's pause()/sleep() and the
// notify fd, then write the wakeup byte.
#include <atomic>
#include <cstdint>

#include "detail/platform.hpp"
#include "detail/state.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit::detail {

constinit std::atomic<bool> signals_pending{false};
constinit std::atomic<bool> fastpath_active{false};

constinit std::atomic<std::uint8_t> handler_mode[NSIG]{};
constinit std::atomic<std::uint64_t> tripped_mask{0};
constinit std::atomic<std::uint64_t> dropped[NSIG]{};
constinit delivery_record queue[kQueueCapacity]{};
constinit std::atomic<std::uint64_t> queue_head{0};
constinit std::atomic<std::uint64_t> queue_tail{0};

constinit std::atomic<std::uint64_t> wakeup_word{kWakeupNone};
constinit std::atomic<std::uint64_t> wakeup_error_count{0};
constinit std::atomic<int> wakeup_error_fd{-1};
constinit std::atomic<int> wakeup_error_errno{0};

constinit shutdown_slot shutdown_slots[kMaxShutdowns]{};
constinit std::atomic<std::uint64_t> shutdown_mask{0};

constinit std::atomic<std::uint64_t> owned_mask{0};

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

}  // namespace

void record_wakeup_error(int fd, int err) noexcept {
  wakeup_error_fd.store(fd, std::memory_order_relaxed);
  wakeup_error_errno.store(err, std::memory_order_relaxed);
  wakeup_error_count.fetch_add(1, std::memory_order_release);
  signals_pending.store(true, std::memory_order_seq_cst);
}

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
  announce_delivery(signo);
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
  for (auto& cell : queue) cell.seq.store(0, std::memory_order_relaxed);
  queue_head.store(0, std::memory_order_relaxed);
  queue_tail.store(0, std::memory_order_relaxed);
  wakeup_error_count.store(0, std::memory_order_relaxed);
  signals_pending.store(false, std::memory_order_seq_cst);
}

}  // namespace sigkit::detail
